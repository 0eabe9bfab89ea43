"""The day played as discrete events on the office's clock, against the server's public API.

The simulator keeps its own account of what every ticket and counter should be (`tickets`,
`holding`) from what it did, never from what the server says; checks compare the two.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core import queueing
from core.tickets import TicketStatus
from lobby.simulate.client import Http, ServerError
from lobby.simulate.plan import FIELD_MIX, OUTCOMES, RATING_SCALES, Citizen, plan_citizens


@dataclass
class TicketState:
    """What the simulator knows a ticket to be, from its own actions."""

    citizen: Citizen
    id: int
    number: str
    token: str
    service: str
    priority: bool
    issued_at: datetime
    status: str = TicketStatus.WAITING
    counter: int | None = None
    target_counter: int | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: str | None = None
    recalls: int = 0
    transferred: bool = False
    transferred_from: int | None = None
    dossier: dict[str, Any] | None = None
    rating: str | None = None


@dataclass
class Step:
    """One thing that happened, for the caller's checks and the showroom's log."""

    at: datetime
    what: str
    ticket: TicketState | None = None
    counter: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class OfficeDay:
    """Plays the day as discrete events on the office's clock.

    `set_time(instant)` moves the server's clock (a clock file, or sleeping in real time);
    `after_step(step)` runs after every action (checks, a log line); `on_restart()` at noon.
    """

    def __init__(
        self,
        http: Http,
        *,
        kiosk_token: str,
        officer_tokens: dict[int, str],
        day: date,
        tz: ZoneInfo,
        set_time: Callable[[datetime], None],
        after_step: Callable[[Step], None] = lambda step: None,
        on_restart: Callable[[], None] | None = None,
        citizens: int = 300,
        seed: int = 20261130,
        rating_levels: Callable[[], int] = lambda: 3,
        mix: dict[str, tuple[int, tuple[int, int]]] | None = None,
        procedures: dict[str, list[str]] | None = None,
    ) -> None:
        self.http = http
        self.kiosk = kiosk_token
        self.officers = officer_tokens
        self.day, self.tz = day, tz
        self.set_time = set_time
        self.after_step = after_step
        self.on_restart = on_restart
        self.rng = random.Random(seed + 1)
        self.mix = mix or FIELD_MIX
        self.people = plan_citizens(
            day, tz, count=citizens, seed=seed, mix=self.mix, procedures=procedures
        )
        self.rating_levels = rating_levels
        self.tickets: dict[int, TicketState] = {}
        self.holding: dict[int, int | None] = {n: None for n in officer_tokens}
        self.paused: set[int] = set()
        self.counter_fields: dict[int, set[str]] = {}
        self.priority_counters: set[int] = set()
        # Each counter's "normal calls since its last priority call" (DOMAIN §7), fresh today.
        self.normals: dict[int, int] = {}
        self.now = datetime.combine(day, time(7, 0), tzinfo=tz)
        self._events: list[tuple[datetime, int, str, Any]] = []
        self._seq = 0
        self._wake_at: dict[int, tuple[datetime, int]] = {}
        self.steps = 0

    # --- the event queue ------------------------------------------------------------------

    def _at(self, when: datetime, kind: str, data: Any = None) -> None:
        self._seq += 1
        heapq.heappush(self._events, (when, self._seq, kind, data))

    def _wake(self, n: int, after: timedelta) -> None:
        """The officer at counter n looks for the next citizen then (one look pending at most)."""
        when = self.now + after
        pending = self._wake_at.get(n)
        if pending is not None and pending[0] <= when:
            return
        self._at(when, "free", n)
        self._wake_at[n] = (when, self._seq)

    def _tick(self, when: datetime) -> None:
        # Every action gets its own instant, so issue times and call times never tie.
        self.now = max(when, self.now + timedelta(milliseconds=1))
        self.set_time(self.now)

    def _step(
        self,
        what: str,
        ticket: TicketState | None = None,
        counter: int | None = None,
        **detail: Any,
    ) -> None:
        self.steps += 1
        self.after_step(Step(self.now, what, ticket, counter, detail))

    def local(self, h: int, m: int) -> datetime:
        return datetime.combine(self.day, time(h, m), tzinfo=self.tz)

    def run(self) -> None:
        """Play the whole day; returns when every citizen has been served or has left."""
        self._tick(self.local(7, 0))
        _, counters = self.http.call("GET", "/api/v1/counters")
        for c in counters["counters"]:
            if c["number"] in self.officers:
                self.counter_fields[c["number"]] = set(c["services"])
                if c["priority"]:
                    self.priority_counters.add(c["number"])
        for n in self.officers:
            self._at(self.local(7, 0), "open", n)
        for person in self.people:
            self._at(person.arrive, "arrive", person)
        # A counter stops for the weekly meeting (its current citizen is finished first).
        meeting = min(n for n in self.officers if n not in self.priority_counters and n != 1)
        self._at(self.local(10, 0), "pause", meeting)
        if self.on_restart is not None:
            self._at(self.local(12, 0), "restart")
        while self._events:
            when, seq, kind, data = heapq.heappop(self._events)
            if kind == "free":
                if self._wake_at.get(data, (None, None))[1] != seq:
                    continue  # superseded by a sooner look
                del self._wake_at[data]
            self._tick(when)
            getattr(self, f"_on_{kind}")(data)

    # --- what people do -------------------------------------------------------------------

    def _on_restart(self, _: Any) -> None:
        assert self.on_restart is not None
        self.on_restart()
        self._step("restart")

    def _on_open(self, n: int) -> None:
        self.http.call("POST", f"/api/v1/counters/{n}/open", {}, token=self.officers[n])
        self._step("open", counter=n)
        self._wake(n, timedelta(seconds=1))

    def _on_arrive(self, person: Citizen) -> None:
        _, body = self.http.call(
            "POST",
            "/api/v1/tickets",
            {"service": person.service, "priority": person.priority},
            token=self.kiosk,
        )
        t = TicketState(
            person,
            body["id"],
            body["number"],
            body["token"],
            person.service,
            person.priority is not None,
            self.now,
        )
        self.tickets[t.id] = t
        self._step("issue", t, ahead=body["ahead"])
        for n, fields in self.counter_fields.items():
            if person.service in fields and self.holding[n] is None:
                self._wake(n, timedelta(seconds=10))

    def _waiting_for(self, n: int) -> bool:
        fields = self.counter_fields[n]
        return any(
            t.status == TicketStatus.WAITING
            and (t.target_counter == n or (t.target_counter is None and t.service in fields))
            for t in self.tickets.values()
        )

    def _on_free(self, n: int) -> None:
        if self.holding[n] is not None or n in self.paused:
            return
        if self._pause_due(n):
            return
        status, body = self.http.call(
            "POST", f"/api/v1/counters/{n}/call-next", {}, token=self.officers[n], expect=(200, 409)
        )
        if status == 409:
            if body.get("error") != "queue_empty":
                raise ServerError(f"call-next at {n}: {body}")
            if self._more_to_come():
                self._wake(n, timedelta(seconds=45))
            return
        t = self.tickets[body["ticket"]["id"]]
        t.status, t.counter, t.called_at, t.target_counter = TicketStatus.CALLED, n, self.now, None
        self.normals[n] = (
            0
            if t.priority
            else min(
                self.normals.get(n, queueing.FRESH_COUNTER_NORMALS) + 1,
                queueing.FRESH_COUNTER_NORMALS,
            )
        )
        self.holding[n] = t.id
        self._step("call", t, n)
        walk = timedelta(seconds=self.rng.uniform(20, 70))
        self._at(self.now + walk, "show", t.id)

    def _more_to_come(self) -> bool:
        return any(p.arrive > self.now for p in self.people) or any(
            t.status == TicketStatus.WAITING
            or (t.status == TicketStatus.NO_SHOW and t.citizen.comes_back)
            for t in self.tickets.values()
        )

    def _pause_due(self, n: int) -> bool:
        for i, (when, _, kind, data) in enumerate(self._events):
            if kind == "pause" and data == n and when <= self.now:
                self._events.pop(i)
                heapq.heapify(self._events)
                self._on_pause(n)
                return True
        return False

    def _on_pause(self, n: int) -> None:
        if self.holding[n] is not None:  # finish the citizen first; paused when free
            self._at(self.now + timedelta(seconds=30), "pause", n)
            return
        self.http.call(
            "POST",
            f"/api/v1/counters/{n}/pause",
            {"reason": "Họp giao ban"},
            token=self.officers[n],
        )
        self.paused.add(n)
        self._step("pause", counter=n, reason="Họp giao ban")
        self._at(self.now + timedelta(minutes=20), "resume", n)

    def _on_resume(self, n: int) -> None:
        self.http.call("POST", f"/api/v1/counters/{n}/resume", {}, token=self.officers[n])
        self.paused.discard(n)
        self._step("resume", counter=n)
        self._wake(n, timedelta(seconds=1))

    def _act(self, t: TicketState, action: str, body: dict[str, Any] | None = None) -> Any:
        assert t.counter is not None
        return self.http.call(
            "POST", f"/api/v1/tickets/{t.id}/{action}", body or {}, token=self.officers[t.counter]
        )[1]

    def _on_show(self, ticket_id: int) -> None:
        t = self.tickets[ticket_id]
        n = t.counter
        assert n is not None
        if t.citizen.absent and t.recalls == 0:
            self._act(t, "recall")
            t.recalls += 1
            t.called_at = self.now
            self._step("recall", t, n)
            self._at(self.now + timedelta(seconds=60), "show", t.id)
            return
        if t.citizen.absent:
            self._act(t, "no-show")
            t.status, t.finished_at = TicketStatus.NO_SHOW, self.now
            self.holding[n] = None
            self._step("no_show", t, n)
            if t.citizen.comes_back:
                t.citizen.absent = False  # back from the car park
                self._at(self.now + timedelta(minutes=8), "back", t.id)
            self._wake(n, timedelta(seconds=5))
            return
        self._act(t, "start")
        t.status, t.started_at = TicketStatus.SERVING, self.now
        self._step("start", t, n)
        low, high = self.mix[t.service][1]
        self._at(self.now + timedelta(minutes=self.rng.uniform(low, high)), "done", t.id)

    def _on_back(self, ticket_id: int) -> None:
        t = self.tickets[ticket_id]
        self._act(t, "requeue")
        t.status, t.target_counter, t.called_at, t.finished_at = (
            TicketStatus.WAITING,
            t.counter,
            None,
            None,
        )
        t.counter = None
        self._step("requeue", t, t.target_counter)
        self._wake(t.target_counter, timedelta(seconds=1))

    def _transfer_target(self, t: TicketState) -> int | None:
        here = t.counter
        open_ = [
            n
            for n in sorted(self.officers)
            if n != here and n not in self.paused and t.service in self.counter_fields[n]
        ]
        return open_[0] if open_ else None

    def _on_done(self, ticket_id: int) -> None:
        t = self.tickets[ticket_id]
        n = t.counter
        assert n is not None
        plan = t.citizen.transfer
        if plan is not None and not t.transferred:
            kind, where = plan
            if kind == "counter":
                where = self._transfer_target(t)
            if where is not None:
                body: dict[str, Any] = {kind: where}
                if kind == "counter":
                    body["note"] = "Hồ sơ đất đai, cần quầy chuyên môn"
                self._act(t, "transfer", body)
                t.transferred, t.transferred_from = True, n
                t.status, t.counter, t.called_at, t.started_at = (
                    TicketStatus.WAITING,
                    None,
                    None,
                    None,
                )
                if kind == "service":
                    t.service = where
                else:
                    t.target_counter = where
                self.holding[n] = None
                self._step("transfer", t, n, to={kind: where})
                self._wake(n, timedelta(seconds=5))
                for other in [where] if kind == "counter" else list(self.officers):
                    self._wake(other, timedelta(seconds=6))
                return
        outcome = self.rng.choice(OUTCOMES)
        if t.citizen.dossier and t.service == t.citizen.service:
            _, d = self.http.call(
                "POST",
                "/api/v1/dossiers",
                {
                    "ticket_id": t.id,
                    "procedure": t.citizen.dossier,
                    "applicant": {
                        "full_name": f"Công dân Thử Nghiệm {t.citizen.index}",
                        "id_type": "cccd",
                        "id_number": f"0792{t.citizen.index:08d}",
                    },
                },
                token=self.officers[n],
            )
            t.dossier = d
            self._step("dossier", t, n, code=d["code"])
            outcome = "dossier_accepted"
        self._act(t, "finish", {"outcome": outcome})
        t.status, t.finished_at, t.outcome = TicketStatus.DONE, self.now, outcome
        self.holding[n] = None
        self._step("finish", t, n, outcome=outcome)
        if t.citizen.rates:
            self._at(self.now + timedelta(seconds=self.rng.uniform(20, 120)), "rate", t.id)
        self._wake(n, timedelta(seconds=self.rng.uniform(5, 30)))

    def _on_rate(self, ticket_id: int) -> None:
        t = self.tickets[ticket_id]
        scale = RATING_SCALES[self.rating_levels()]
        # Most citizens are content; the last level is the unhappiest.
        level = self.rng.choices(scale, [6, 3] + [1] * (len(scale) - 2))[0]
        body: dict[str, Any] = {"level": level}
        if t.citizen.comment:
            body["comment"] = t.citizen.comment
        self.http.call("POST", f"/api/v1/tickets/{t.token}/rating", body)
        t.rating = level
        self._step("rate", t, level=level)
