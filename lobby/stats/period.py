"""The report's period and the SQL of exact durations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, cast, extract, func

from core.clock import day_bounds
from core.errors import InvalidRequest
from lobby.context import ctx, office, office_tz
from lobby.extensions import db
from lobby.models import Office

MAX_DAYS = 3660


def parse_range(raw_from: str | None, raw_to: str | None) -> tuple[date, date]:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD, both inclusive; default: this month so far."""
    o = office()
    today = ctx().clock.now().astimezone(office_tz(o)).date()
    try:
        start = date.fromisoformat(raw_from) if raw_from else today.replace(day=1)
        end = date.fromisoformat(raw_to) if raw_to else today
    except ValueError:
        raise InvalidRequest("Ngày phải có dạng YYYY-MM-DD (from, to).") from None
    if end < start:
        raise InvalidRequest("Ngày kết thúc (to) phải sau ngày bắt đầu (from).")
    if (end - start).days > MAX_DAYS:
        raise InvalidRequest("Khoảng thời gian tối đa là 10 năm.")
    return start, end


def bounds(o: Office, start: date, end: date) -> tuple[datetime, datetime]:
    """The period's first and after-last moments (UTC-aware) in the office's time zone."""
    tz = office_tz(o)
    return day_bounds(start, tz)[0], day_bounds(end, tz)[1]


def today_of(o: Office) -> date:
    return ctx().clock.now().astimezone(office_tz(o)).date()


def mean_us(total_us: int, n: int) -> float | None:
    """The mean in seconds, one decimal, of n durations summing to total_us microseconds (the
    database sums exact integers; the division is Python's, as the figures always were)."""
    return round(total_us / 1_000_000 / n, 1) if n else None


def micros(later: Any, earlier: Any) -> Any:
    """SQL: the exact whole microseconds from `earlier` to `later` (two UTCDateTime columns).
    SQLite keeps them as 'YYYY-MM-DD HH:MM:SS.ffffff' text: whole seconds by strftime, the
    microseconds from the text (julianday's double would lose some); PostgreSQL's
    extract(epoch) of an interval is an exact numeric."""
    if db.session.get_bind().dialect.name == "sqlite":

        def whole(col: Any) -> Any:
            return cast(func.strftime("%s", func.substr(col, 1, 19)), Integer)

        def frac(col: Any) -> Any:
            return cast(func.substr(col, 21, 6), Integer)

        return (whole(later) - whole(earlier)) * 1_000_000 + frac(later) - frac(earlier)
    return extract("epoch", later - earlier) * 1_000_000
