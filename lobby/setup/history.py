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
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

from core.dossiers import RatingLevel
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
from lobby.setup.sample_draws import Ids, SampleOffice, draw_dossier, draw_rating
from lobby.simulate.plan import DOSSIER_PROCEDURES, FIELD_MIX

MAX_DAYS = 3660
MAX_PER_DAY = 20000
PRIORITY_GROUPS = ["elderly", "disabled", "pregnant", "meritorious"]


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
    ids = Ids({t.__tablename__: _max_id(t) + 1 for t in _TABLES})
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


def _read_office(o: Office) -> SampleOffice:
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
    return SampleOffice(
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
    info: SampleOffice,
    day: date,
    per_day: int,
    rng: random.Random,
    ids: Ids,
    batch: dict[str, list[dict[str, Any]]],
    now: datetime,
) -> None:
    """One working day: its tickets (a morning peak), how each ended, its dossiers, ratings."""
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
        group = rng.choice(PRIORITY_GROUPS) if rng.random() < 0.12 else None
        counter = (
            info.priority
            if group and info.priority and rng.random() < 0.7
            else rng.choice(info.counters_of[f.id])
        )
        row = _ticket_row(info, ids, day, f, seqs[f.id], issued, group)
        batch["tickets"].append(row)
        if not _serve(info, rng, row, code, counter):
            continue
        dossier_id = None
        if info.procedures.get(code) and rng.random() < 0.23:
            dossier_seq += 1
            row["outcome"] = Outcome.DOSSIER_ACCEPTED.value
            # Its own generator: how far it got depends on `now`, the day's draw must not.
            own = random.Random(rng.getrandbits(64))
            dossier_id = draw_dossier(
                info, own, ids, batch, now, row, rng.choice(info.procedures[code]), dossier_seq
            )
        if rng.random() < 0.18:
            draw_rating(info, rng, ids, batch, row, dossier_id)
    for fid, last in seqs.items():
        batch["ticket_sequences"].append(
            {"office_id": o.id, "field_id": fid, "service_day": day, "last_seq": last}
        )
    if dossier_seq:
        batch["dossier_sequences"].append({"office_id": o.id, "day": day, "last_seq": dossier_seq})


def _ticket_row(
    info: SampleOffice,
    ids: Ids,
    day: date,
    f: Field,
    seq: int,
    issued: datetime,
    group: str | None,
) -> dict[str, Any]:
    """A ticket as the kiosk issued it (done until _serve says how it ended)."""
    o = info.o
    return {
        "id": ids.take("tickets"),
        "office_id": o.id,
        "service_day": day,
        "issue_field_id": f.id,
        "field_id": f.id,
        "seq": seq,
        "number": o.number_format.format(prefix=f.ticket_prefix, seq=seq),
        "session": "sang" if issued.astimezone(info.tz).hour < 12 else "chieu",
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


def _serve(
    info: SampleOffice, rng: random.Random, row: dict[str, Any], code: str, counter: Counter
) -> bool:
    """How the ticket ended: left unseen (expired), cancelled, a no-show after two recalls, or
    called and served (true) at `counter`, waiting longer in the morning peak."""
    issued = row["issued_at"]
    peak = 8 <= issued.astimezone(info.tz).hour < 10
    wait = timedelta(microseconds=int(rng.expovariate(1 / (900 if peak else 360)) * 1e6))
    roll = rng.random()
    if roll < 0.01:  # left before being called; the day's end expired the ticket
        row["status"] = TicketStatus.EXPIRED.value
        return False
    if roll < 0.015:
        row["status"] = TicketStatus.CANCELLED.value
        return False
    called = issued + wait
    row.update(called_at=called, counter_id=counter.id, staff_id=info.staff_of[counter.id])
    if roll < 0.075:  # not there: recalled twice, then marked no-show
        row.update(
            status=TicketStatus.NO_SHOW.value,
            recall_count=2,
            finished_at=called + timedelta(seconds=rng.uniform(120, 300)),
        )
        return False
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
    return True
