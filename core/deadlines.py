"""Due moments of dossiers and their timeliness (DOMAIN §5).

Every rule the legal text leaves open is a parameter whose default is the proposal of DOMAIN §5:
working-hour arithmetic at 8 h per working day, the 15:00 same-day cutoff, and "on time" meaning
"on the due working day". Local times are read in the office zone ``tz``; results are UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from core.calendar import WorkingCalendar

__all__ = [
    "TIMELINESS_LABELS_VI",
    "DeadlineUnit",
    "DueMode",
    "Timeliness",
    "add_working_hours",
    "due_at",
    "on_time_rate",
    "timeliness",
    "working_hours_between",
]

# How many days a search for open windows may scan before giving up.
_SEARCH_LIMIT_DAYS = 3700


class DeadlineUnit(StrEnum):
    WORKING_DAY = "working_day"
    WORKING_HOUR = "working_hour"
    SAME_DAY = "same_day"


class DueMode(StrEnum):
    """How a deadline in working days becomes a moment (UNCONFIRMED in law; DOMAIN §5)."""

    WORKING_HOURS = "working_hours"  # N days = N × 8 working hours over the reception windows
    END_OF_NTH_DAY = "end_of_nth_day"  # close of the N-th working day after the day of receipt


class Timeliness(StrEnum):
    EARLY = "truoc_han"
    ON_TIME = "dung_han"
    LATE = "qua_han"


TIMELINESS_LABELS_VI: dict[Timeliness, str] = {
    Timeliness.EARLY: "Trước hạn",
    Timeliness.ON_TIME: "Đúng hạn",
    Timeliness.LATE: "Quá hạn",
}


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")


def _spans(d: date, cal: WorkingCalendar, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Reception windows of day ``d`` as aware UTC intervals."""
    return [
        (
            datetime.combine(d, start, tzinfo=tz).astimezone(UTC),
            datetime.combine(d, end, tzinfo=tz).astimezone(UTC),
        )
        for start, end in cal.windows_on(d)
    ]


def _end_of_day(d: date, cal: WorkingCalendar, tz: ZoneInfo) -> datetime:
    """Close of the last reception window of working day ``d``, in UTC."""
    spans = _spans(d, cal, tz)
    if not spans:
        raise ValueError(f"{d} has no reception windows")
    return spans[-1][1]


def add_working_hours(
    start: datetime, hours: float, cal: WorkingCalendar, tz: ZoneInfo
) -> datetime:
    """Moment (UTC) reached after ``hours`` of open reception time from ``start``.

    Time outside windows does not count, so counting starts at the next window opening; a
    result that exactly fills a window is that window's close (17:00, not next morning 07:00).
    """
    _require_aware(start, "start")
    if hours < 0:
        raise ValueError("hours must not be negative")
    remaining = timedelta(hours=hours)
    cursor = start.astimezone(UTC)
    day = cursor.astimezone(tz).date()
    for _ in range(_SEARCH_LIMIT_DAYS):
        for opens, closes in _spans(day, cal, tz):
            if closes <= cursor:
                continue
            begin = max(cursor, opens)
            if remaining <= closes - begin:
                return begin + remaining
            remaining -= closes - begin
        day += timedelta(days=1)
    raise ValueError("no reception window within ten years")


def working_hours_between(a: datetime, b: datetime, cal: WorkingCalendar, tz: ZoneInfo) -> float:
    """Hours of open reception time in [a, b] (negative when b is before a)."""
    _require_aware(a, "a")
    _require_aware(b, "b")
    if b < a:
        return -working_hours_between(b, a, cal, tz)
    a, b = a.astimezone(UTC), b.astimezone(UTC)
    total = timedelta()
    day = a.astimezone(tz).date()
    last = b.astimezone(tz).date()
    while day <= last:
        for opens, closes in _spans(day, cal, tz):
            begin, end = max(opens, a), min(closes, b)
            if begin < end:
                total += end - begin
        day += timedelta(days=1)
    return total.total_seconds() / 3600.0


def due_at(
    received_at: datetime,
    value: int,
    unit: DeadlineUnit,
    cal: WorkingCalendar,
    tz: ZoneInfo,
    *,
    mode: DueMode = DueMode.WORKING_HOURS,
    same_day_cutoff: time = time(15, 0),
    hours_per_day: float = 8.0,
) -> datetime:
    """Due moment (UTC) of a dossier received at ``received_at`` with a statutory time.

    * working hours: ``value`` hours of open windows after receipt;
    * working days, WORKING_HOURS mode: ``value × hours_per_day`` working hours;
    * working days, END_OF_NTH_DAY mode: close of the ``value``-th working day after the
      local day of receipt (the day of receipt itself does not count);
    * same day: close of the receiving day if it is a working day and receipt is before
      ``same_day_cutoff``, else close of the next working day (``value`` is ignored).
    """
    _require_aware(received_at, "received_at")
    unit = DeadlineUnit(unit)
    local = received_at.astimezone(tz)
    if unit is DeadlineUnit.SAME_DAY:
        day = local.date()
        if not (cal.is_working_day(day) and local.time() < same_day_cutoff):
            day = cal.next_working_day(day)
        return _end_of_day(day, cal, tz)
    if value < 1:
        raise ValueError("a deadline needs a value of at least 1")
    if unit is DeadlineUnit.WORKING_HOUR:
        return add_working_hours(received_at, value, cal, tz)
    if DueMode(mode) is DueMode.END_OF_NTH_DAY:
        return _end_of_day(cal.add_working_days(local.date(), value), cal, tz)
    return add_working_hours(received_at, value * hours_per_day, cal, tz)


def timeliness(
    ready_at: datetime,
    due: datetime,
    tz: ZoneInfo,
    cal: WorkingCalendar,
    *,
    boundary: Literal["due_day", "due_moment"] = "due_day",
) -> Timeliness:
    """Early / on time / late of a result against its original due moment.

    The due working day is the local date of ``due`` (moved to the next working day if that
    date is a day off, as the Civil Code moves a period ending on a rest day). Ready before
    that day is EARLY. On it: ``boundary="due_day"`` counts the whole day as ON_TIME (DOMAIN
    §5 default); ``"due_moment"`` counts only up to ``due`` itself. Anything later is LATE.
    """
    _require_aware(ready_at, "ready_at")
    _require_aware(due, "due")
    if boundary not in ("due_day", "due_moment"):
        raise ValueError(f"unknown boundary {boundary!r}")
    due_day = due.astimezone(tz).date()
    if not cal.is_working_day(due_day):
        due_day = cal.next_working_day(due_day)
    ready_day = ready_at.astimezone(tz).date()
    if boundary == "due_moment" and ready_at > due:
        return Timeliness.LATE
    if ready_day < due_day:
        return Timeliness.EARLY
    if ready_day == due_day:
        return Timeliness.ON_TIME
    return Timeliness.LATE


def on_time_rate(counts: Mapping[Timeliness, int]) -> float | None:
    """(early + on time) ÷ all resolved × 100; None when nothing was resolved."""
    total = sum(counts.values())
    if total == 0:
        return None
    good = counts.get(Timeliness.EARLY, 0) + counts.get(Timeliness.ON_TIME, 0)
    return good / total * 100.0
