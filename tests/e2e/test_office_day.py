"""A whole office day, replayed: every screen and every figure stays true at every step.

A real server process on a clock file plays a seeded Monday (lobby/simulate/): 300 citizens
over the seven fields, five counters (one for priority groups), recalls, no-shows and returns,
transfers to fields and to counters, a pause for a meeting, 40 dossiers, ratings on the 5-level
scale in the morning and the 3-level one after the administrator changes it over lunch, and a
server restart at noon. Boards and phones are real python-socketio clients. After every step:
the boards (their socket view and the board API) show exactly what each counter holds, each
followed phone and the ticket API say the ticket's true state and place, and nothing is called
that no counter holds. Then the dossiers are worked over the following days, and every figure of
the leader's report must equal what this test computes from its own log.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import socketio

from core import queueing
from core.clock import write_clock_file
from lobby.simulate.client import Http
from lobby.simulate.day import OfficeDay, Step, TicketState
from tests.e2e.conftest import LiveServer, api_login, make_server
from tests.integration.helpers import place_in_line

pytestmark = pytest.mark.slow
VN = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 11, 30)  # a Monday, a working day
UNHAPPY = {"khong_hai_long", "rat_khong_hai_long"}


class Screen:
    """A socket client that keeps what its screen would show: a board's counters, or a phone's
    ticket (the snapshot on every connect, then the pushed events)."""

    def __init__(self, url: str, auth: dict[str, Any], kind: str) -> None:
        self.kind = kind
        self.lock = threading.Lock()
        self.serving: dict[int, str] = {}
        self.ticket: dict[str, Any] = {}
        self.snapshots = 0
        # Back after a server restart within a second, as the screens' own clients retry.
        self.client = socketio.Client(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1
        )
        self.client.on("*", self._on)
        self.client.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)

    def _on(self, event: str, data: Any = None) -> None:
        with self.lock:
            if event == "snapshot":
                self.snapshots += 1
                if self.kind == "board":
                    self.serving = {
                        row["counter"]["number"]: row["number"] for row in data["now_serving"]
                    }
                else:
                    self.ticket = dict(data)
            elif self.kind == "board":
                if event in ("ticket_called", "ticket_recalled"):
                    self.serving[data["counter"]["number"]] = data["number"]
                elif event == "counter_changed":
                    if data.get("current"):
                        self.serving[data["counter"]] = data["current"]
                    else:
                        self.serving.pop(data["counter"], None)
            elif event == "ticket_updated":
                self.ticket.update(data)
                if data.get("service"):  # as phone.js: follow its (new) field's line
                    self.client.emit("join", {"room": f"line:{data['service']}"})
            elif event == "line_changed":
                self._place(data)
            elif event in ("ticket_called", "ticket_recalled"):
                self.ticket.update(status="called", counter=data["counter"])

    def _place(self, line: dict[str, Any]) -> None:
        """The phone's place in its field's line (phone/static/phone.js applyLine)."""
        t = self.ticket
        if t.get("status") != "waiting" or t.get("next_counter"):
            return
        if line["service"] != t.get("service") or line["version"] < t.get("_version", 0):
            return
        ahead = place_in_line(line, t.get("line_key", ""))
        if ahead is not None:
            t["ahead"], t["_version"] = ahead, line["version"]

    def close(self) -> None:
        self.client.disconnect()


def _eventually(check: Callable[[], str | None], what: str, timeout: float = 5.0) -> None:
    """`check` returns None when the screen is right, else what is wrong; wait for it."""
    deadline = time.monotonic() + timeout
    wrong = check()
    while wrong is not None:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: {wrong}")
        time.sleep(0.005)
        wrong = check()


class _Forms(HTMLParser):
    """The fields of every form on a page, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({})
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.forms[-1][a["name"]] = a.get("value", "on")
        elif tag == "select":
            self._select = a.get("name")
        elif (
            tag == "option"
            and self._select
            and ("selected" in a or self._select not in self.forms[-1])
        ):
            self.forms[-1][self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def set_rating_levels(server: LiveServer, levels: int) -> None:
    """The administrator changes the satisfaction scale on the office setup page."""
    admin = api_login(server, "admin")
    page = admin.get(server.url + "/admin/setup")
    parser = _Forms()
    parser.feed(page.text)
    form = next(f for f in parser.forms if f.get("action") == "rules")
    form["rating_levels"] = str(levels)
    r = admin.post(server.url + "/admin/setup", data=form, allow_redirects=True)
    assert r.status_code == 200
    assert f'value="{levels}" selected' in admin.get(server.url + "/admin/setup").text


def true_ahead(day: OfficeDay, t: TicketState) -> int:
    """People called before this ticket. In its field's line: tickets of the field waiting
    there, issued earlier (a priority ticket counts only the priority ones). Sent to one counter
    (a transfer, or a no-show put back): its place in that counter's call order (DOMAIN §7)."""
    waiting = [o for o in day.tickets.values() if o.status == "waiting"]
    if t.target_counter is None:
        return sum(
            1
            for o in waiting
            if o.target_counter is None
            and o.service == t.service
            and (o.issued_at, o.id) < (t.issued_at, t.id)
            and (o.priority or not t.priority)
        )
    n = t.target_counter
    fields = day.counter_fields[n]
    candidates = [
        queueing.Candidate(o.id, o.priority, o.issued_at)
        for o in waiting
        if o.target_counter == n or (o.target_counter is None and o.service in fields)
    ]
    policy = queueing.CounterPolicy(is_priority_counter=n in day.priority_counters)
    order = queueing.call_order(
        candidates, policy, day.normals.get(n, queueing.FRESH_COUNTER_NORMALS)
    )
    return [c.id for c in order].index(t.id)


class Referee:
    """Checks every screen against the day's own account after each step."""

    def __init__(self, server: LiveServer, day_ref: list[OfficeDay]) -> None:
        self.server = server
        self.day_ref = day_ref
        self.http = requests.Session()
        board = server.device("board")["token"]
        self.boards = [Screen(server.url, {"device_token": board}, "board") for _ in range(2)]
        self.phones: dict[int, Screen] = {}
        self.log: list[str] = []
        self.snapshots_before_restart: dict[int, int] = {}

    def note_snapshots(self) -> None:
        """Before the server restarts: how many snapshots each screen has had."""
        for s in [*self.boards, *self.phones.values()]:
            with s.lock:
                self.snapshots_before_restart[id(s)] = s.snapshots

    @property
    def day(self) -> OfficeDay:
        return self.day_ref[0]

    def holding(self) -> dict[int, str]:
        d = self.day
        return {n: d.tickets[tid].number for n, tid in d.holding.items() if tid is not None}

    def expected_phone(self, t: TicketState) -> dict[str, Any]:
        want: dict[str, Any] = {"status": t.status}
        if t.status == "waiting":
            want["ahead"] = true_ahead(self.day, t)
        if t.status in ("called", "serving"):
            want["counter"] = t.counter
        return want

    @staticmethod
    def seen_phone(view: dict[str, Any]) -> dict[str, Any]:
        seen: dict[str, Any] = {"status": view.get("status")}
        if view.get("status") == "waiting":
            seen["ahead"] = view.get("ahead")
        if view.get("status") in ("called", "serving"):
            seen["counter"] = (view.get("counter") or {}).get("number")
        return seen

    def __call__(self, step: Step) -> None:
        self.log.append(
            f"{step.at:%H:%M:%S} {step.what} {step.ticket.number if step.ticket else ''}"
        )
        t = step.ticket
        if step.what == "issue" and t is not None:
            assert step.detail["ahead"] == true_ahead(self.day, t), (
                f"kiosk's 'ahead' for {t.number}"
            )
            if t.citizen.index % 8 == 0:
                self.phones[t.id] = Screen(self.server.url, {"ticket": t.token}, "phone")
        want_board = self.holding()
        timeout = 20.0 if step.what == "restart" else 5.0
        if step.what == "restart":
            # Every screen back on the new process (its snapshot again) before the day goes on:
            # a board still holding the old process's picture would look right until the next
            # call, which it would then miss while it reconnects.
            for s in [*self.boards, *self.phones.values()]:
                before = self.snapshots_before_restart[id(s)]
                _eventually(
                    lambda s=s, n=before: None if s.snapshots > n else "not reconnected",
                    f"a {s.kind} screen reconnecting after {self.log[-1]}",
                    60.0,
                )
        # The board API: exactly what each counter holds, nothing else called.
        board = self.http.get(self.server.url + "/api/v1/board", timeout=10).json()
        shown = {row["counter"]["number"]: row["number"] for row in board["now_serving"]}
        assert shown == want_board, f"board API after {self.log[-1]}"
        # The callout invites the newest call a counter still holds, and nothing else.
        held = [self.day.tickets[tid] for tid in self.day.holding.values() if tid is not None]
        newest = max(held, key=lambda t: t.called_at or t.issued_at, default=None)
        callout = board.get("callout")
        seen = (callout["number"], callout["counter"]["number"]) if callout else None
        want = (newest.number, newest.counter) if newest else None
        assert seen == want, f"callout after {self.log[-1]}"
        # The ticket this step touched, as its phone page reads it.
        if t is not None:
            view = self.http.get(f"{self.server.url}/api/v1/tickets/{t.token}", timeout=10).json()
            assert self.seen_phone(view) == self.expected_phone(t), (
                f"ticket API after {self.log[-1]}"
            )
        # The live boards and the followed phones, as their screens show them.
        for b in self.boards:
            _eventually(
                lambda b=b: None if b.serving == want_board else f"{b.serving} != {want_board}",
                f"board screen after {self.log[-1]}",
                timeout,
            )
        for tid, phone in list(self.phones.items()):
            ticket = self.day.tickets[tid]
            want = self.expected_phone(ticket)
            _eventually(
                lambda p=phone, w=want: (
                    None
                    if self.seen_phone(p.ticket) == w
                    else f"{self.seen_phone(p.ticket)} != {w}"
                ),
                f"phone of {ticket.number} after {self.log[-1]}",
                timeout,
            )
            if ticket.status == "done" or (
                ticket.status == "no_show" and not ticket.citizen.comes_back
            ):
                phone.close()
                del self.phones[tid]

    def close(self) -> None:
        for s in [*self.boards, *self.phones.values()]:
            s.close()


def work_the_dossiers(
    day: OfficeDay, server: LiveServer, clock: Path, token: str
) -> tuple[dict[str, str], date]:
    """Over the following days: some dossiers wait for a supplement, each result is made ready
    early, on its due day or late. Returns each dossier's timeliness as this test judges it,
    and the last day worked."""
    http = Http(server.url)
    plan: list[tuple[datetime, str, str]] = []
    judged: dict[str, str] = {}
    dossiers = [t.dossier for t in day.tickets.values() if t.dossier]
    for i, d in enumerate(sorted(dossiers, key=lambda d: d["code"])):
        received = datetime.fromisoformat(d["received_at"])
        due = datetime.fromisoformat(d["due_at"]).astimezone(VN)
        fate = ["early", "on_time", "late", "on_time", "early"][i % 5]
        if (due.date() - received.astimezone(VN).date()).days < 1 and fate == "early":
            fate = "late"  # due the same day: no earlier day to be early on
        if fate == "early":
            ready = datetime.combine(due.date() - timedelta(days=1), datetime.min.time(), VN)
            ready = max(ready.replace(hour=9), received + timedelta(hours=1))
            if ready.astimezone(VN).date() >= due.date():
                fate = "on_time"
        if fate == "on_time":
            ready = min(due - timedelta(minutes=5), due.replace(hour=16, minute=0))
            ready = max(ready, received + timedelta(minutes=30))
        if fate == "late":
            ready = (due + timedelta(days=1)).replace(hour=9, minute=30)
        if fate == "early" and i % 3 == 0 and (ready - received) > timedelta(hours=4):
            # Asked for a supplement and got it back within the hour: still early.
            plan.append((received + timedelta(hours=1), d["code"], "request_supplement"))
            plan.append((received + timedelta(hours=2), d["code"], "supplement_received"))
        plan.append((ready, d["code"], "result_ready"))
        judged[d["code"]] = fate
    for when, code, action in sorted(plan):
        write_clock_file(str(clock), when)
        body = {"action": action}
        if action == "request_supplement":
            body["reason"] = "Thiếu bản sao giấy khai sinh của người con."
        http.call("POST", f"/api/v1/dossiers/{code}/events", body, token=token)
    return judged, max(when for when, _, _ in plan).astimezone(VN).date()


def expected_report(day: OfficeDay, judged: dict[str, str]) -> dict[str, Any]:
    """The leader's figures as this test computes them from its own log (lobby.stats' shape)."""
    tickets = list(day.tickets.values())

    def mean(xs: list[float]) -> float | None:
        return round(sum(xs) / len(xs), 1) if xs else None

    def figures(group: list[TicketState]) -> dict[str, Any]:
        return {
            "issued": len(group),
            "served": sum(1 for t in group if t.status == "done"),
            "no_show": sum(1 for t in group if t.status == "no_show"),
            "avg_wait_seconds": mean(
                [(t.called_at - t.issued_at).total_seconds() for t in group if t.called_at]
            ),
            "avg_service_seconds": mean(
                [
                    (t.finished_at - t.started_at).total_seconds()
                    for t in group
                    if t.status == "done" and t.started_at and t.finished_at
                ]
            ),
        }

    by_service: dict[str, list[TicketState]] = defaultdict(list)
    by_counter: dict[int, list[TicketState]] = defaultdict(list)
    for t in tickets:
        by_service[t.citizen.service].append(t)
        if t.counter is not None:
            by_counter[t.counter].append(t)
    rated = [t for t in tickets if t.rating]
    levels = [t.rating for t in rated]
    early = sum(1 for f in judged.values() if f == "early")
    on_time = sum(1 for f in judged.values() if f == "on_time")
    late = sum(1 for f in judged.values() if f == "late")
    unhappy_dossiers = {t.dossier["code"] for t in rated if t.dossier and t.rating in UNHAPPY}
    received = len(judged)
    return {
        "tickets": figures(tickets),
        "by_service": {k: figures(v) for k, v in by_service.items()},
        "by_counter": {k: figures(v) for k, v in by_counter.items()},
        "dossiers": {
            "received": received,
            "resolved": received,
            "early": early,
            "on_time": on_time,
            "late": late,
            "on_time_rate": round((early + on_time) * 100 / received, 1),
        },
        "ratings": {lvl: levels.count(lvl) for lvl in set(levels)},
        "rated": len(levels),
        "satisfaction_rate": round(
            (len(levels) - sum(1 for x in levels if x in UNHAPPY)) * 100 / len(levels), 1
        ),
        "dossier_rate": round((received - len(unhappy_dossiers)) * 100 / received, 1),
    }


@pytest.mark.timeout(1200)
@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_whole_office_day_keeps_every_screen_and_every_figure_true(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    clock = tmp_path / "clock"
    write_clock_file(str(clock), datetime(2026, 11, 30, 6, 50, tzinfo=VN))
    env = {"LOBBY_CLOCK_FILE": str(clock), "LOBBY_OPEN_ALWAYS": "0"}
    if database == "postgres":
        env["DATABASE_URL"] = request.getfixturevalue("postgres_db")
    server = make_server(tmp_path / "instance", **env).start()
    started = time.monotonic()
    referee: Referee | None = None
    scale = {"levels": 5}
    try:
        set_rating_levels(server, 5)
        tokens = {
            u: server.staff_token(u) for u in [f"canbo{n}" for n in range(1, 6)] + ["lanhdao"]
        }

        def restart() -> None:
            referee.note_snapshots()
            server.restart()
            set_rating_levels(server, 3)  # the administrator changes the scale over lunch
            scale["levels"] = 3

        day_ref: list[OfficeDay] = []
        referee = Referee(server, day_ref)
        day = OfficeDay(
            Http(server.url),
            kiosk_token=server.device("kiosk")["token"],
            officer_tokens={n: tokens[f"canbo{n}"] for n in range(1, 6)},
            day=DAY,
            tz=VN,
            set_time=lambda instant: write_clock_file(str(clock), instant),
            after_step=referee,
            on_restart=restart,
            rating_levels=lambda: scale["levels"],
        )
        day_ref.append(day)
        day.run()
        print(f"day played: {day.steps} steps in {time.monotonic() - started:.0f} s")

        # The day was what it claims to be.
        tickets = list(day.tickets.values())
        assert len(tickets) == 300
        assert len({t.citizen.service for t in tickets}) == 7
        assert sum(1 for t in tickets if t.priority) >= 20
        assert sum(1 for t in tickets if t.dossier) == 40
        assert any(t.recalls for t in tickets) and any(t.status == "no_show" for t in tickets)
        assert any(t.citizen.comes_back and t.status == "done" for t in tickets)
        assert any(t.transferred and t.citizen.transfer[0] == "service" for t in tickets)
        assert any(t.transferred and t.citizen.transfer[0] == "counter" for t in tickets)
        assert {"pause", "restart"} <= {line.split()[1] for line in referee.log}
        assert {t.rating for t in tickets if t.rating} >= {"binh_thuong", "rat_hai_long"}
        assert all(t.status in ("done", "no_show") for t in tickets)

        judged, last = work_the_dossiers(day, server, clock, tokens["canbo1"])
        assert set(judged.values()) == {"early", "on_time", "late"}
        report = requests.get(
            f"{server.url}/api/v1/stats",
            params={"from": DAY.isoformat(), "to": last.isoformat()},
            headers={"Authorization": f"Bearer {tokens['lanhdao']}"},
            timeout=30,
        ).json()
        want = expected_report(day, judged)
        for key in ("issued", "served", "no_show", "avg_wait_seconds", "avg_service_seconds"):
            assert report["tickets"][key] == want["tickets"][key], key
        assert {
            r["service"]: {k: r[k] for k in want["tickets"]} for r in report["by_service"]
        } == want["by_service"]
        assert {
            r["counter"]: {k: r[k] for k in want["tickets"]} for r in report["by_counter"]
        } == want["by_counter"]
        assert {k: report["dossiers"][k] for k in want["dossiers"]} == want["dossiers"]
        sat = report["satisfaction"]
        assert sat["ratings"] == want["rated"]
        for level in (
            "rat_hai_long",
            "hai_long",
            "binh_thuong",
            "khong_hai_long",
            "rat_khong_hai_long",
        ):
            assert sat.get(level, 0) == want["ratings"].get(level, 0), level
        assert sat["rate"] == want["satisfaction_rate"]
        assert sat["dossier_rate"] == want["dossier_rate"]
    finally:
        if referee is not None:
            referee.close()
        server.stop()
