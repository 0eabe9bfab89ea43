"""The spread of waits and service times (for p50/p90), the counts by officer and procedure, and
the hour × weekday heat map. Closed days are kept in ticket_day_spread (a few dozen JSON rows a
day, so a year's percentiles read ~10,000 small rows, never the 300,000 tickets); today and
later are counted from the tickets themselves."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from core.figures import bucket_of, merge
from core.tickets import TicketStatus
from lobby.context import office_tz
from lobby.extensions import db
from lobby.models import Dossier, Office, Ticket
from lobby.stats.models import TicketDaySpread
from lobby.stats.period import micros, today_of
from lobby.tx import transaction

DIMS = ("all", "field", "counter", "staff", "proc")
# A closed month's spread, merged once from its days (a year's report then reads 12 rows per
# group and the days at its ends): the same dimensions in capitals, dated the month's 1st,
# with the heat map kept as "hw" {"weekday:hour": tickets}.
MONTH_DIMS = {dim: dim.upper() for dim in DIMS}
Counts = dict[str, Any]


def _empty() -> Counts:
    return {"n": 0, "done": 0, "no": 0, "w": {}, "s": {}}


def live_status(o: Office, first: date, last: date) -> dict[tuple[date, str], int]:
    """How many tickets each day of first..last has in each status (an index-only count)."""
    t = Ticket
    return {
        (d, st): int(n)
        for d, st, n in db.session.execute(
            select(t.service_day, t.status, func.count())
            .where(t.office_id == o.id, t.service_day >= first, t.service_day <= last)
            .group_by(t.service_day, t.status)
        ).all()
    }


def _count_days(o: Office, first: date, last: date) -> dict[date, dict[tuple[str, int], Counts]]:
    """The days first..last counted from their tickets: per day, per (dimension, key)."""
    t = Ticket
    served = and_(
        t.status == TicketStatus.DONE.value,
        t.serving_started_at.is_not(None),
        t.finished_at.is_not(None),
    )
    in_days = (t.office_id == o.id, t.service_day >= first, t.service_day <= last)
    procs: dict[int, set[int]] = defaultdict(set)
    for ticket_id, proc_id in db.session.execute(
        select(Dossier.ticket_id, Dossier.procedure_id)
        .join(t, t.id == Dossier.ticket_id)
        .where(*in_days)
    ).all():
        procs[ticket_id].add(proc_id)
    tz = office_tz(o)
    out: dict[date, dict[tuple[str, int], Counts]] = defaultdict(lambda: defaultdict(_empty))
    for (
        tid,
        day,
        field_id,
        counter_id,
        staff_id,
        status,
        issued,
        wait,
        service,
    ) in db.session.execute(
        select(
            t.id,
            t.service_day,
            t.issue_field_id,
            t.counter_id,
            t.staff_id,
            t.status,
            t.issued_at,
            case((t.called_at.is_not(None), micros(t.called_at, t.issued_at))),
            case((served, micros(t.finished_at, t.serving_started_at))),
        ).where(*in_days)
    ).all():
        groups = out[day]
        everyone = groups[("all", 0)]
        hours = everyone.setdefault("h", {})
        hour = str(issued.astimezone(tz).hour)
        hours[hour] = hours.get(hour, 0) + 1
        signature = everyone.setdefault("st", {})
        signature[status] = signature.get(status, 0) + 1
        keys = [("all", 0), ("field", field_id)]
        keys += [("counter", counter_id)] if counter_id else []
        keys += [("staff", staff_id)] if staff_id else []
        keys += [("proc", p) for p in sorted(procs.get(tid, ()))]
        for key in keys:
            c = groups[key]
            c["n"] += 1
            c["done"] += status == TicketStatus.DONE
            c["no"] += status == TicketStatus.NO_SHOW
            if wait is not None:
                b = str(bucket_of(int(wait) / 1_000_000))
                c["w"][b] = c["w"].get(b, 0) + 1
            if service is not None:
                b = str(bucket_of(int(service) / 1_000_000))
                c["s"][b] = c["s"].get(b, 0) + 1
    return out


def _kept_signatures(o: Office, first: date, last: date) -> dict[date, dict[str, int]]:
    s = TicketDaySpread
    return {
        day: dict(counts.get("st", {}))
        for day, counts in db.session.execute(
            select(s.service_day, s.counts).where(
                s.office_id == o.id,
                s.service_day >= first,
                s.service_day <= last,
                s.dim == "all",
            )
        ).all()
    }


def _stale(o: Office, first: date, last: date, live: dict[tuple[date, str], int]) -> list[date]:
    now: dict[date, dict[str, int]] = defaultdict(dict)
    for (day, status), n in live.items():
        now[day][status] = n
    kept = _kept_signatures(o, first, last)
    return sorted(d for d in set(now) | set(kept) if now.get(d) != kept.get(d))


def keep_day_spread(o: Office, first: date, last: date, live: dict[tuple[date, str], int]) -> int:
    """Bring the kept spread of the closed days first..last up to date (counted while reading,
    written in one short transaction); return how many days were counted anew."""
    stale = _stale(o, first, last, live)
    if not stale:
        return 0
    rows: list[dict[str, Any]] = []
    for i in range(0, len(stale), 31):
        days = stale[i : i + 31]
        counted = _count_days(o, days[0], days[-1])
        for day in days:
            for (dim, key), counts in counted.get(day, {}).items():
                rows.append(
                    {
                        "office_id": o.id,
                        "service_day": day,
                        "dim": dim,
                        "key": key,
                        "counts": counts,
                    }
                )
    s = TicketDaySpread
    months = sorted({d.replace(day=1) for d in stale})
    try:
        with transaction():
            for i in range(0, len(stale), 500):
                chunk = stale[i : i + 500]
                db.session.execute(
                    delete(s).where(s.office_id == o.id, s.service_day.in_(chunk), s.dim.in_(DIMS))
                )
            for i in range(0, len(months), 500):  # their months are merged again when read
                db.session.execute(
                    delete(s).where(
                        s.office_id == o.id,
                        s.service_day.in_(months[i : i + 500]),
                        s.dim.in_(MONTH_DIMS.values()),
                    )
                )
            if rows:
                db.session.execute(insert(s), rows)
    except IntegrityError:  # another report kept the same days first
        db.session.rollback()
        return 0
    return len(stale)


@dataclass
class Spread:
    """The period's spread: per (dimension, key) the merged counts, and the heat map as
    {(weekday 0 = Monday, hour): tickets issued}."""

    groups: dict[tuple[str, int], Counts] = field(default_factory=lambda: defaultdict(_empty))
    heat: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))

    def add(self, day: date, key: tuple[str, int], counts: Counts) -> None:
        c = self.groups[key]
        for k in ("n", "done", "no"):
            c[k] += int(counts.get(k, 0))
        merge(c["w"], counts.get("w", {}))
        merge(c["s"], counts.get("s", {}))
        for hour, n in counts.get("h", {}).items():
            self.heat[(day.weekday(), int(hour))] += int(n)
        for at, n in counts.get("hw", {}).items():
            weekday, hour = at.split(":")
            self.heat[(int(weekday), int(hour))] += int(n)

    def month_rows(self) -> dict[tuple[str, int], Counts]:
        """This spread (of one month's days) as a month's kept rows."""
        out = {}
        for (dim, key), c in self.groups.items():
            row: Counts = {k: c[k] for k in ("n", "done", "no", "w", "s")}
            if dim == "all":
                row["hw"] = {f"{w}:{h}": n for (w, h), n in self.heat.items()}
            out[(MONTH_DIMS[dim], key)] = row
        return out


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def _read_days(out: Spread, o: Office, first: date, last: date) -> None:
    s = TicketDaySpread
    for day, dim, key, counts in db.session.execute(
        select(s.service_day, s.dim, s.key, s.counts).where(
            s.office_id == o.id,
            s.service_day >= first,
            s.service_day <= last,
            s.dim.in_(DIMS),
        )
    ).all():
        out.add(day, (dim, key), counts)


def _month_rows(o: Office, month: date) -> list[tuple[str, int, Counts]] | None:
    s = TicketDaySpread
    upper = list(MONTH_DIMS.values())
    kept = db.session.execute(
        select(s.dim, s.key, s.counts).where(
            s.office_id == o.id, s.service_day == month, s.dim.in_(upper)
        )
    ).all()
    return [tuple(r) for r in kept] or None  # type: ignore[misc]


def _merge_month(o: Office, month: date) -> dict[tuple[str, int], Counts]:
    merged = Spread()
    _read_days(merged, o, month, _next_month(month) - timedelta(days=1))
    return merged.month_rows()


def keep_months(o: Office, first: date, last: date) -> int:
    """Merge the whole months of first..last that have no kept rows yet (their days kept
    first); return how many. Done when the days are kept (the report, `demo --history`), so
    that reading a period never writes."""
    month = first if first.day == 1 else _next_month(first)
    todo = []
    while _next_month(month) - timedelta(days=1) <= last:
        if _month_rows(o, month) is None:
            todo.append(month)
        month = _next_month(month)
    rows = [
        {"office_id": o.id, "service_day": m, "dim": dim, "key": key, "counts": counts}
        for m in todo
        for (dim, key), counts in _merge_month(o, m).items()
    ]
    if rows:
        try:
            with transaction():
                db.session.execute(insert(TicketDaySpread), rows)
        except IntegrityError:  # another report merged the same months first
            db.session.rollback()
            return 0
    return len(todo)


def _read_month(out: Spread, o: Office, month: date) -> None:
    """A whole closed month: its kept rows (merged from its days if not kept yet)."""
    upper = {v: k for k, v in MONTH_DIMS.items()}
    kept = _month_rows(o, month)
    if kept is None:
        kept = [(dim, key, counts) for (dim, key), counts in _merge_month(o, month).items()]
    for dim, key, counts in kept:
        out.add(month, (upper[dim], key), counts)


def read_spread(o: Office, start: date, end: date) -> Spread:
    """The spread of start..end: kept closed days (brought up to date by the caller, see
    daily.keep_day_figures), whole closed months from their merged rows, and the tickets of
    today and later."""
    out = Spread()
    today = today_of(o)
    closed_end = min(end, today - timedelta(days=1))
    day = start
    while day <= closed_end:
        month_end = _next_month(day) - timedelta(days=1)
        if day.day == 1 and month_end <= closed_end:
            _read_month(out, o, day)
        else:
            _read_days(out, o, day, min(month_end, closed_end))
        day = month_end + timedelta(days=1)
    if end >= today:
        for d, groups in _count_days(o, max(start, today), end).items():
            for key, counts in groups.items():
                out.add(d, key, counts)
    return out
