"""The queue's own figures: tickets, served, no-shows, waits and service times (mean, p50, p90)
in total and by field, counter, officer and procedure; the hour × weekday heat map; the trend
by day, week or month. Durations in seconds (the screen and the exports show minutes)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from core.figures import percentile, period_start
from core.tickets import TicketStatus
from lobby.extensions import db
from lobby.models import Office, TicketDayFigures
from lobby.stats.daily import counted, keep_day_figures
from lobby.stats.period import mean_us, today_of
from lobby.stats.spread import Counts, Spread, read_spread

HEAT_HOURS = range(
    7, 18
)  # 07:00–17:59, the office's day (tickets outside it are added at the ends)


class Acc:
    """Tickets counted, and their waits and service times summed in microseconds."""

    __slots__ = ("called", "issued", "no_show", "served", "service_n", "service_us", "wait_us")

    def __init__(self) -> None:
        self.issued = self.served = self.no_show = self.called = self.service_n = 0
        self.wait_us = self.service_us = 0

    def add(self, status: str, n: int, called: int, wait: int, served_n: int, served: int) -> None:
        self.issued += n
        if status == TicketStatus.DONE:
            self.served += n
        if status == TicketStatus.NO_SHOW:
            self.no_show += n
        self.called += called
        self.wait_us += wait
        self.service_n += served_n
        self.service_us += served


def _rows_of(
    o: Office, start: date, end: date, *, by_day: bool = False, keep: bool = True
) -> list[Any]:
    """The kept figures of the closed days (brought up to date first) and the counted tickets
    of today and later: [service_day,] field, counter, status, tickets, called, Σ wait µs,
    served, Σ service µs."""
    today = today_of(o)
    rows: list[Any] = []
    closed_end = min(end, today - timedelta(days=1))
    if start <= closed_end:
        if keep:
            keep_day_figures(o, start, closed_end)
        f = TicketDayFigures
        keys = [f.issue_field_id, f.counter_id, f.status]
        if by_day:
            keys.insert(0, f.service_day)
        rows += db.session.execute(
            select(
                *keys,
                func.sum(f.tickets),
                func.sum(f.called),
                func.sum(f.wait_us),
                func.sum(f.served),
                func.sum(f.service_us),
            )
            .where(f.office_id == o.id, f.service_day >= start, f.service_day <= closed_end)
            .group_by(*keys)
        ).all()
    if end >= today:
        rows += db.session.execute(counted(o, max(start, today), end, by_day=by_day)).all()
    return rows


def ticket_groups(o: Office, start: date, end: date) -> tuple[Acc, dict[int, Acc], dict[int, Acc]]:
    """The period's tickets counted and timed: in total, per field (tickets issued for it) and
    per counter (tickets handled there; tickets without one are left out)."""
    total = Acc()
    per_field: dict[int, Acc] = defaultdict(Acc)
    per_counter: dict[int, Acc] = defaultdict(Acc)
    for field_id, counter_id, status, n, called, wait, served_n, service in _rows_of(o, start, end):
        figures = (status, int(n), int(called), int(wait or 0), int(served_n), int(service or 0))
        total.add(*figures)
        per_field[field_id].add(*figures)
        if counter_id:  # 0 in the kept figures, NULL in the tickets: no counter
            per_counter[counter_id].add(*figures)
    return total, per_field, per_counter


def spread_of(c: Counts | None) -> dict[str, float | None]:
    """p50 and p90 of the waits (called tickets) and service times (served tickets), seconds."""
    w = c["w"] if c else {}
    s = c["s"] if c else {}
    return {
        "wait_p50_seconds": percentile(w, 50),
        "wait_p90_seconds": percentile(w, 90),
        "service_p50_seconds": percentile(s, 50),
        "service_p90_seconds": percentile(s, 90),
    }


def acc_figures(a: Acc) -> dict[str, Any]:
    return {
        "issued": a.issued,
        "called": a.called,  # the tickets avg_wait_seconds is taken over
        "served": a.served,
        "no_show": a.no_show,
        "avg_wait_seconds": mean_us(a.wait_us, a.called),
        "avg_service_seconds": mean_us(a.service_us, a.service_n),
    }


def spread_rows(spread: Spread, dim: str, label: Any) -> list[dict[str, Any]]:
    """One row per key of a dimension counted only in the spread (officer, procedure)."""
    return [
        {
            **label(key),
            "issued": c["n"],
            "called": sum(c["w"].values()),
            "served": c["done"],
            "no_show": c["no"],
            **spread_of(c),
        }
        for (d, key), c in spread.groups.items()
        if d == dim
    ]


def heat_map(spread: Spread) -> dict[str, Any]:
    """Tickets issued by weekday (Monday first) × hour; hours before 07:00 or after 17:00 are
    counted in the first or last column."""
    hours = list(HEAT_HOURS)
    grid = [[0] * len(hours) for _ in range(7)]
    for (weekday, hour), n in spread.heat.items():
        j = min(max(hour, hours[0]), hours[-1]) - hours[0]
        grid[weekday][j] += n
    days = [i for i in range(7) if any(grid[i])] or list(range(5))
    return {"hours": hours, "weekdays": days, "counts": [grid[i] for i in days]}


def trend(o: Office, start: date, end: date, grain: str) -> list[dict[str, Any]]:
    """Tickets issued, served, no-shows and the mean wait per day, ISO week or month of the
    period (a period that starts before the range is labelled by its own first day). Reads
    the kept days as they are: call after ticket_groups, which brings them up to date."""
    acc: dict[date, Acc] = defaultdict(Acc)
    for day, _field, _counter, status, n, called, wait, served_n, service in _rows_of(
        o, start, end, by_day=True, keep=False
    ):
        acc[period_start(day, grain)].add(
            status, int(n), int(called), int(wait or 0), int(served_n), int(service or 0)
        )
    return [{"period": p.isoformat(), **acc_figures(a)} for p, a in sorted(acc.items())]


def queue_figures(
    o: Office, start: date, end: date
) -> tuple[Acc, dict[int, Acc], dict[int, Acc], Spread]:
    """The period's kept/counted groups and its spread (the kept days brought up to date once)."""
    total, per_field, per_counter = ticket_groups(o, start, end)
    return total, per_field, per_counter, read_spread(o, start, end)
