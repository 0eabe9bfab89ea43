"""Past days for the demo office (`flask --app server demo --history DAYS`): sample data for the
leader's report and for bench/bench_report.py, drawn from a seed and written in bulk.

Each working day before today gets its tickets (across the fields by their share, two thirds in
the morning with the peak at 8–9 o'clock), their outcomes, no-shows after recalls, the dossiers
accepted at the counters (some sent back for a supplement, most early, some on the due day, a
few late: their due moments and timeliness computed by core.deadlines as the counter's own code
does, their control-sheet events), and the citizens' ratings with a few comments. Applicants'
personal data goes through the model's encrypted columns, as a real intake's does.

Not drawn: the tickets' own event rows and the counters' pauses (no table keeps a pause's
history); the report reads neither.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

from core.calendar import WorkingCalendar
from core.deadlines import DeadlineUnit, DueMode, due_at, timeliness
from core.dossiers import (
    DossierAction,
    DossierStatus,
    IdType,
    RatingLevel,
    dossier_code,
    next_dossier_status,
)
from core.errors import InvalidRequest
from core.tickets import Outcome, TicketStatus
from lobby.context import ctx, office, office_tz
from lobby.dossiers.pins import new_pin
from lobby.dossiers.rules import KEPT_RULES, setting
from lobby.extensions import db
from lobby.models import (
    Applicant,
    Counter,
    Dossier,
    DossierEvent,
    DossierSequence,
    Field,
    Office,
    Procedure,
    Rating,
    StaffUser,
    Ticket,
    TicketSequence,
)
from lobby.simulate.plan import DOSSIER_PROCEDURES, FIELD_MIX

MAX_DAYS = 3660
MAX_PER_DAY = 20000
RECEPTION_UNIT = "Bộ phận tiếp nhận và trả kết quả"
PROCESSING_UNIT = "Công chức chuyên môn"
PRIORITY_GROUPS = ["elderly", "disabled", "pregnant", "meritorious"]
COMMENTS = [
    "Cán bộ nhiệt tình, hướng dẫn rõ ràng.",
    "Chờ hơi lâu vào buổi sáng.",
    "Thủ tục nhanh gọn, cảm ơn.",
    "Nên có thêm ghế ngồi chờ.",
    "Cán bộ giải thích chưa rõ.",
    "Màn hình gọi số dễ theo dõi.",
]
# Fictitious names (sample data), drawn as family + middle + given name.
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Thu"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Khang", "Lan", "Mai", "Nam", "Phúc", "Yến"]
SUPPLEMENT_REASON = "Thiếu giấy tờ trong thành phần hồ sơ (dữ liệu mẫu)."


@dataclass
class _Ids:
    """The next id of each table: rows are written with their ids (one executemany per table,
    no round trip per row); PostgreSQL's sequences are moved past them at the end."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        self.next[table] += 1
        return self.next[table] - 1


@dataclass
class _Office:
    """What the drawing needs of the office, read once."""

    o: Office
    tz: ZoneInfo
    cal: WorkingCalendar
    fields: dict[str, Field]
    counters_of: dict[int, list[Counter]]  # field id → counters serving it (not the priority)
    priority: Counter | None
    staff_of: dict[int, int | None]  # counter id → officer id
    procedures: dict[str, list[Procedure]]  # field code → procedures a dossier is accepted for
    rules: dict[str, Any]
    levels: list[str]
    pin_hash: str


def add_history(days: int, per_day: int = 1000, seed: int = 20261130) -> dict[str, Any]:
    """Add `days` past days (the working ones among them) of about `per_day` tickets each to
    the demo office; return what was added. Only into the sample office, and only days that
    have no ticket yet."""
    if not 1 <= days <= MAX_DAYS or not 1 <= per_day <= MAX_PER_DAY:
        raise InvalidRequest(f"--history: 1–{MAX_DAYS} ngày, --per-day: 1–{MAX_PER_DAY} phiếu.")
    o = office()
    if not (o.settings or {}).get("sample_data"):
        raise InvalidRequest("Chỉ thêm dữ liệu mẫu vào đơn vị mẫu (flask --app server demo).")
    info = _read_office(o)
    today = ctx().clock.now().astimezone(info.tz).date()
    first, last = today - timedelta(days=days), today - timedelta(days=1)
    taken = db.session.scalar(
        select(func.count()).where(
            Ticket.office_id == o.id, Ticket.service_day >= first, Ticket.service_day <= last
        )
    )
    if taken:
        raise InvalidRequest(f"Đã có phiếu trong khoảng {first:%d/%m/%Y} – {last:%d/%m/%Y}.")
    ids = _Ids({t.__tablename__: _max_id(t) + 1 for t in _TABLES})
    rng = random.Random(seed)
    now = ctx().clock.now()
    counts = dict.fromkeys(("days", "tickets", "dossiers", "ratings", "dossier_events"), 0)
    batch: dict[str, list[dict[str, Any]]] = {t.__tablename__: [] for t in _ORDER}
    for day in _days(first, last):
        if not info.cal.is_working_day(day):
            continue
        counts["days"] += 1
        _draw_day(info, day, per_day, rng, ids, batch, now)
        if len(batch["tickets"]) >= 20000:
            _flush(batch, counts)
    _flush(batch, counts)
    _move_sequences()
    if db.session.get_bind().dialect.name == "postgresql":
        # Fresh statistics for the planner (autovacuum would take its time after a bulk load).
        for model in _ORDER:
            db.session.execute(text(f"ANALYZE {model.__tablename__}"))
    o.settings = {**(o.settings or {}), "sample_history": {"days": days, "per_day": per_day}}
    db.session.commit()
    return {"from": first.isoformat(), "to": last.isoformat(), **counts}


# Written in this order (foreign keys); the sequences tables have no id.
_ORDER = [Ticket, Applicant, Dossier, DossierEvent, Rating, TicketSequence, DossierSequence]
_TABLES = [Ticket, Applicant, Dossier, DossierEvent, Rating]


def _max_id(model: Any) -> int:
    return int(db.session.scalar(select(func.max(model.id))) or 0)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _flush(batch: dict[str, list[dict[str, Any]]], counts: dict[str, int]) -> None:
    """One executemany per table (SQLAlchemy core: each column's type still binds, so the
    applicants' personal data is encrypted as the model says)."""
    for model in _ORDER:
        rows = batch[model.__tablename__]
        if rows:
            db.session.execute(insert(model.__table__), rows)  # type: ignore[arg-type]
            if model.__tablename__ in counts:
                counts[model.__tablename__] += len(rows)
            rows.clear()


def _move_sequences() -> None:
    """PostgreSQL: each table's id sequence past the ids written here."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in _TABLES:
        name = model.__tablename__
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
            )
        )


def _read_office(o: Office) -> _Office:
    from lobby.workcal import working_calendar

    fields = {f.code: f for f in db.session.scalars(select(Field).where(Field.office_id == o.id))}
    counters = db.session.scalars(
        select(Counter).where(Counter.office_id == o.id, Counter.active)
    ).all()
    counters_of: dict[int, list[Counter]] = {f.id: [] for f in fields.values()}
    priority = next((c for c in counters if c.is_priority), None)
    for c in counters:
        if c.is_priority:
            continue
        for f in c.fields:
            counters_of[f.id].append(c)
    for fid, serving in counters_of.items():
        if not serving:
            counters_of[fid] = [priority] if priority else list(counters[:1])
    staff_of: dict[int, int | None] = {c.id: None for c in counters}
    for u in db.session.scalars(select(StaffUser).where(StaffUser.office_id == o.id)):
        if u.counter_id in staff_of:
            staff_of[u.counter_id] = u.id
    procs = {
        p.code: p for p in db.session.scalars(select(Procedure).where(Procedure.office_id == o.id))
    }
    procedures = {
        code: [procs[p] for p in names if p in procs] for code, names in DOSSIER_PROCEDURES.items()
    }
    five = int(setting(o, "rating_levels")) == 5
    levels = (
        [x.value for x in RatingLevel] if five else ["rat_hai_long", "hai_long", "khong_hai_long"]
    )
    # One PIN hash for every sample dossier: hashing 50,000 PINs would take minutes, and
    # nobody is given these PINs (a sample dossier's public page opens by its link).
    _pin, pin_hash = new_pin()
    return _Office(
        o=o,
        tz=office_tz(o),
        cal=working_calendar(o),
        fields=fields,
        counters_of=counters_of,
        priority=priority,
        staff_of=staff_of,
        procedures=procedures,
        rules={k: setting(o, k) for k in KEPT_RULES},
        levels=levels,
        pin_hash=pin_hash,
    )


def _arrival(rng: random.Random, day: date, tz: ZoneInfo) -> datetime:
    """Two thirds in the morning with the peak at 8–9 o'clock (as lobby.simulate.plan draws)."""
    roll = rng.random()
    if roll < 0.30:
        lo, span = time(8, 0), 3600
    elif roll < 0.66:
        lo, span = time(7, 5), 3 * 3600 + 55 * 60
    else:
        lo, span = time(13, 35), 2 * 3600 + 55 * 60
    start = datetime.combine(day, lo, tzinfo=tz).astimezone(UTC)
    return start + timedelta(microseconds=rng.randrange(span * 1_000_000))


def _draw_day(
    info: _Office,
    day: date,
    per_day: int,
    rng: random.Random,
    ids: _Ids,
    batch: dict[str, list[dict[str, Any]]],
    now: datetime,
) -> None:
    o = info.o
    weekday_share = (1.15, 1.05, 1.0, 0.95, 0.85, 0.6, 0.5)[day.weekday()]
    count = max(1, round(per_day * weekday_share * rng.uniform(0.85, 1.15)))
    codes = [c for c in FIELD_MIX if c in info.fields]
    weights = [FIELD_MIX[c][0] for c in codes]
    arrivals = sorted(_arrival(rng, day, info.tz) for _ in range(count))
    seqs: dict[int, int] = {}
    dossier_seq = 0
    for issued in arrivals:
        code = rng.choices(codes, weights)[0]
        f = info.fields[code]
        seqs[f.id] = seqs.get(f.id, 0) + 1
        seq = seqs[f.id]
        group = rng.choice(PRIORITY_GROUPS) if rng.random() < 0.12 else None
        counter = (
            info.priority
            if group and info.priority and rng.random() < 0.7
            else rng.choice(info.counters_of[f.id])
        )
        local_hour = issued.astimezone(info.tz).hour
        peak = 8 <= local_hour < 10
        wait = timedelta(microseconds=int(rng.expovariate(1 / (900 if peak else 360)) * 1e6))
        roll = rng.random()
        ticket_id = ids.take("tickets")
        row: dict[str, Any] = {
            "id": ticket_id,
            "office_id": o.id,
            "service_day": day,
            "issue_field_id": f.id,
            "field_id": f.id,
            "seq": seq,
            "number": o.number_format.format(prefix=f.ticket_prefix, seq=seq),
            "session": "sang" if local_hour < 12 else "chieu",
            "is_priority": group is not None,
            "priority_group": group,
            "status": TicketStatus.DONE.value,
            "outcome": None,
            "public_token": secrets.token_urlsafe(18),
            "issued_at": issued,
            "called_at": None,
            "serving_started_at": None,
            "finished_at": None,
            "recall_count": 0,
            "counter_id": None,
            "staff_id": None,
            "target_counter_id": None,
            "device_id": None,
        }
        batch["tickets"].append(row)
        if roll < 0.01:  # left before being called; the day's end expired the ticket
            row["status"] = TicketStatus.EXPIRED.value
            continue
        if roll < 0.015:
            row["status"] = TicketStatus.CANCELLED.value
            continue
        called = issued + wait
        row.update(called_at=called, counter_id=counter.id, staff_id=info.staff_of[counter.id])
        if roll < 0.075:  # not there: recalled twice, then marked no-show
            row.update(
                status=TicketStatus.NO_SHOW.value,
                recall_count=2,
                finished_at=called + timedelta(seconds=rng.uniform(120, 300)),
            )
            continue
        lo, hi = FIELD_MIX[code][1]
        started = called + timedelta(microseconds=rng.randrange(15_000_000, 90_000_000))
        service = timedelta(microseconds=rng.randrange(lo * 60_000_000, hi * 60_000_000))
        row.update(
            serving_started_at=started,
            finished_at=started + service,
            recall_count=1 if rng.random() < 0.05 else 0,
            outcome=rng.choice(
                [Outcome.GUIDED_ONLY, Outcome.GUIDED_ONLY, Outcome.SUPPLEMENT_GUIDANCE]
            ).value,
        )
        if code == "nhan_ket_qua":
            row["outcome"] = Outcome.RESULT_RETURNED.value
        dossier_id = None
        if info.procedures.get(code) and rng.random() < 0.23:
            dossier_seq += 1
            row["outcome"] = Outcome.DOSSIER_ACCEPTED.value
            # Its own generator: how far it got depends on `now`, the day's draw must not.
            own = random.Random(rng.getrandbits(64))
            dossier_id = _draw_dossier(
                info, own, ids, batch, now, row, rng.choice(info.procedures[code]), dossier_seq
            )
        if rng.random() < 0.18:
            _draw_rating(info, rng, ids, batch, row, dossier_id)
    for fid, last in seqs.items():
        batch["ticket_sequences"].append(
            {"office_id": o.id, "field_id": fid, "service_day": day, "last_seq": last}
        )
    if dossier_seq:
        batch["dossier_sequences"].append({"office_id": o.id, "day": day, "last_seq": dossier_seq})


def _due(info: _Office, at: datetime, p: Procedure) -> datetime:
    return due_at(
        at,
        p.deadline_value,
        DeadlineUnit(p.deadline_unit),
        info.cal,
        info.tz,
        mode=DueMode(info.rules["due_mode"]),
        same_day_cutoff=p.same_day_cutoff or time(15, 0),
    )


def _draw_dossier(
    info: _Office,
    rng: random.Random,
    ids: _Ids,
    batch: dict[str, list[dict[str, Any]]],
    now: datetime,
    ticket: dict[str, Any],
    p: Procedure,
    seq: int,
) -> int:
    """A dossier accepted while serving `ticket`, followed through as far as `now` allows."""
    o = info.o
    received = ticket["finished_at"] - timedelta(seconds=30)
    day = received.astimezone(info.tz).date()
    applicant_id = ids.take("applicants")
    batch["applicants"].append(
        {
            "id": applicant_id,
            "office_id": o.id,
            "full_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
            "id_number": f"0{rng.randrange(10**10, 10**11)}",
            "id_type": IdType.CCCD.value,
            "phone": f"09{rng.randrange(10**7, 10**8)}",
            "email": None,
            "address": None,
        }
    )
    dossier_id = ids.take("dossiers")
    staff = ticket["staff_id"]
    events: list[tuple[datetime, DossierAction | None, dict[str, Any]]] = []
    status = DossierStatus.ACCEPTED
    events.append((received, None, {}))
    due = _due(info, received, p)
    original_due = due
    unit = RECEPTION_UNIT
    supplement_at = None
    handed = received + timedelta(minutes=rng.uniform(10, 120))
    if handed < now:
        events.append(
            (handed, DossierAction.HANDOVER, {"from_unit": unit, "to_unit": PROCESSING_UNIT})
        )
        unit = PROCESSING_UNIT
    if handed < now and rng.random() < 0.08:  # sent back for a supplement, then completed
        asked = handed + (due - handed) * rng.uniform(0.1, 0.5)
        if asked < now:
            events.append((asked, DossierAction.REQUEST_SUPPLEMENT, {"reason": SUPPLEMENT_REASON}))
            supplement_at = asked
            back = asked + timedelta(hours=rng.uniform(20, 120))
            if back < now:
                events.append((back, DossierAction.SUPPLEMENT_RECEIVED, {}))
                supplement_at = None
                # restart (the default): time runs again from the complete dossier; pause:
                # the working hours it waited are added (lobby.dossiers.operations).
                if info.rules["supplement_clock"] == "pause":
                    from core.deadlines import add_working_hours, working_hours_between

                    paused = working_hours_between(asked, back, info.cal, info.tz)
                    due = add_working_hours(due, paused, info.cal, info.tz)
                else:
                    due = _due(info, back, p)
                original_due = due
    ready = None
    returned = None
    timely = None
    if supplement_at is None and events[-1][0] < now:
        start = events[-1][0]
        fate = rng.random()
        if fate < 0.06:  # late
            ready = due + timedelta(hours=rng.uniform(20, 120))
        elif fate < 0.25 or due - start < timedelta(hours=2):  # on the due day
            ready = max(start + timedelta(minutes=5), due - timedelta(minutes=rng.uniform(5, 90)))
        else:  # early
            ready = start + (due - start) * rng.uniform(0.2, 0.7)
        if ready < now:
            events.append((ready, DossierAction.RESULT_READY, {}))
            timely = timeliness(
                ready, original_due, info.tz, info.cal, boundary=info.rules["timeliness_boundary"]
            ).value
            back_for_it = ready + timedelta(hours=rng.uniform(1, 72))
            if back_for_it < now and rng.random() < 0.9:
                events.append((back_for_it, DossierAction.RETURN, {}))
                returned = back_for_it
        else:
            ready = None
    for at, action, extra in events:
        before = None if action is None else status
        if action is not None:
            status = next_dossier_status(status, action) or status
        batch["dossier_events"].append(
            {
                "id": ids.take("dossier_events"),
                "dossier_id": dossier_id,
                "at": at,
                "action": (action or DossierAction.ACCEPT).value,
                "from_status": None if before is None else int(before),
                "to_status": int(status),
                "actor_staff_id": staff,
                "source": "counter",
                "from_unit": extra.get("from_unit", ""),
                "to_unit": extra.get("to_unit", ""),
                "reason": extra.get("reason", ""),
                "items": [],
                "new_due_at": None,
                "note_internal": "",
            }
        )
    batch["dossiers"].append(
        {
            "id": dossier_id,
            "office_id": o.id,
            "code": dossier_code(
                o.agency_code or "000.00.00.H00",
                day,
                seq,
                (o.settings or {}).get("dossier_code_format", "{agency}-{yymmdd}-{seq:04d}"),
            ),
            "public_token": secrets.token_urlsafe(18),
            "lookup_pin_hash": info.pin_hash,
            "lookup_failures": 0,
            "lookup_locked_until": None,
            "procedure_id": p.id,
            "applicant_id": applicant_id,
            "ticket_id": ticket["id"],
            "counter_id": ticket["counter_id"],
            "staff_id": staff,
            "channel": "truc_tiep",
            "resolving_office": o.name,
            "current_unit": unit,
            "components": list(p.components or []),
            "sets_count": 1,
            "received_at": received,
            "due_at": due,
            "original_due_at": original_due,
            "new_due_at": None,
            "apology": "",
            "status_code": int(status),
            "supplement_requested_at": supplement_at,
            "result_ready_at": ready,
            "returned_at": returned,
            "timeliness": timely,
            "return_place": f"{RECEPTION_UNIT} – {o.name}",
            "fee_method": "",
            "rules": info.rules,
        }
    )
    return dossier_id


def _draw_rating(
    info: _Office,
    rng: random.Random,
    ids: _Ids,
    batch: dict[str, list[dict[str, Any]]],
    ticket: dict[str, Any],
    dossier_id: int | None,
) -> None:
    """About one citizen in six rates (as the issue's year: 50,000 ratings for 300,000 tickets);
    most pleased, a few not; one in seven with a comment."""
    roll = rng.random()
    levels = info.levels
    if len(levels) == 5:
        level = levels[
            0 if roll < 0.6 else 1 if roll < 0.85 else 2 if roll < 0.95 else 3 if roll < 0.99 else 4
        ]
    else:
        level = levels[0 if roll < 0.65 else 1 if roll < 0.95 else 2]
    batch["ratings"].append(
        {
            "id": ids.take("ratings"),
            "office_id": info.o.id,
            "ticket_id": ticket["id"],
            "dossier_id": dossier_id,
            "counter_id": ticket["counter_id"],
            "staff_id": ticket["staff_id"],
            "field_id": ticket["field_id"],
            "channel": "counter_tablet" if rng.random() < 0.7 else "qr_phone",
            "level": level,
            "comment": rng.choice(COMMENTS) if rng.random() < 0.15 else "",
            "created_at": ticket["finished_at"] + timedelta(seconds=rng.uniform(5, 120)),
        }
    )
