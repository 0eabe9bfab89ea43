"""Closed days' tickets counted once into ticket_day_figures (per field of issue, counter and
status, waits and service times summed in microseconds), and their spread (lobby/stats/spread.py)
kept beside them. Kept by the report itself: a day whose tickets no longer match by status is
counted anew."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from core.tickets import TicketStatus
from lobby.extensions import db
from lobby.models import Office, Ticket, TicketDayFigures
from lobby.stats import spread
from lobby.stats.period import micros
from lobby.tx import transaction


def counted(o: Office, first: date, last: date, *, by_day: bool = False) -> Any:
    """SELECT [service_day,] field, counter, status, tickets, called, Σ wait µs, served,
    Σ service µs FROM the tickets of first..last GROUP BY the same."""
    t = Ticket
    served = and_(
        t.status == TicketStatus.DONE.value,
        t.serving_started_at.is_not(None),
        t.finished_at.is_not(None),
    )
    keys = [t.issue_field_id, t.counter_id, t.status]
    if by_day:
        keys.insert(0, t.service_day)
    return (
        select(
            *keys,
            func.count(),
            func.count(t.called_at),
            func.sum(case((t.called_at.is_not(None), micros(t.called_at, t.issued_at)))),
            func.count(case((served, 1))),
            func.sum(case((served, micros(t.finished_at, t.serving_started_at)))),
        )
        .where(t.office_id == o.id, t.service_day >= first, t.service_day <= last)
        .group_by(*keys)
    )


def _stale_days(
    o: Office, first: date, last: date, live: dict[tuple[date, str], int]
) -> list[date]:
    """The days of first..last whose kept figures no longer match their tickets, by how many
    tickets each day has in each status (`live`: spread.live_status, an index-only count). A
    closed day's tickets change only by status (the night's expiry) or by going (retention):
    both show here."""
    f = TicketDayFigures
    kept = db.session.execute(
        select(f.service_day, f.status, func.sum(f.tickets))
        .where(f.office_id == o.id, f.service_day >= first, f.service_day <= last)
        .group_by(f.service_day, f.status)
    ).all()
    differ = set(live.items()) ^ {((d, st), int(n)) for d, st, n in kept}
    return sorted({d for (d, _st), _n in differ})


def keep_day_figures(o: Office, first: date, last: date) -> int:
    """Bring the kept figures and spread of the closed days first..last up to date; return how
    many days' figures were counted anew."""
    live = spread.live_status(o, first, last)
    n = _keep_figures(o, first, last, live)
    spread.keep_day_spread(o, first, last, live)
    spread.keep_months(o, first, last)
    return n


def _keep_figures(o: Office, first: date, last: date, live: dict[tuple[date, str], int]) -> int:
    """Bring the kept figures of the closed days first..last up to date; return how many days
    were counted anew. The counting reads only; the write lock is held just to swap the rows
    (on SQLite a writer waiting for it would stall the lobby). Two reports at once: the second
    finds the days done, or (PostgreSQL) meets the first's rows and leaves them."""
    stale = _stale_days(o, first, last, live)
    if not stale:
        return 0
    rows: dict[date, list[dict[str, Any]]] = {d: [] for d in stale}
    for i in range(0, len(stale), 62):
        days = stale[i : i + 62]
        for (
            day,
            field_id,
            counter_id,
            status,
            n,
            called,
            wait,
            served_n,
            service,
        ) in db.session.execute(counted(o, days[0], days[-1], by_day=True)).all():
            if day in rows:
                rows[day].append(
                    {
                        "office_id": o.id,
                        "service_day": day,
                        "issue_field_id": field_id,
                        "counter_id": counter_id or 0,
                        "status": status,
                        "tickets": int(n),
                        "called": int(called),
                        "wait_us": int(wait or 0),
                        "served": int(served_n),
                        "service_us": int(service or 0),
                    }
                )
    f = TicketDayFigures
    try:
        with transaction():
            # Still stale, now that we hold the lock? (A day that changed meanwhile is counted
            # again by the next report: its counts will not match.)
            days = sorted(
                set(_stale_days(o, first, last, spread.live_status(o, first, last))) & set(rows)
            )
            for i in range(0, len(days), 500):
                chunk = days[i : i + 500]
                db.session.execute(delete(f).where(f.office_id == o.id, f.service_day.in_(chunk)))
            new = [r for d in days for r in rows[d]]
            if new:
                db.session.execute(insert(f), new)
    except IntegrityError:  # another report kept the same days first
        db.session.rollback()
        return 0
    return len(days)
