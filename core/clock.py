"""Time for the domain: an injectable clock, service days and sessions in the office's zone.

All datetimes handled here are timezone-aware. `SystemClock.now` is the only place in the code
base that reads the system time; everything else receives a Clock or a datetime.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

OFFICE_TZ = "Asia/Ho_Chi_Minh"

NOON = time(12, 0)
SESSION_LABELS = {"sang": "Sáng", "chieu": "Chiều"}
# A ticket issued outside every ticketing window (LOBBY_OPEN_ALWAYS, a day off): no session.
OUTSIDE_HOURS = "ngoai_gio"


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def _require_aware(dt: datetime, what: str = "datetime") -> None:
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {dt!r}")


class Clock(Protocol):
    """Source of the current instant (aware UTC) and of the office-local service day."""

    tz: ZoneInfo

    def now(self) -> datetime: ...

    def today(self) -> date: ...

    def local(self, dt: datetime) -> datetime: ...


def service_day(instant: datetime, tz: ZoneInfo) -> date:
    """The service day of an aware instant is its calendar date in the office's zone."""
    _require_aware(instant, "instant")
    return instant.astimezone(tz).date()


def session_of(local: datetime | time) -> str:
    """Wall-clock times before 12:00 are the morning session ("sang"), the rest "chieu"."""
    wall = local.time() if isinstance(local, datetime) else local
    return "sang" if wall < NOON else "chieu"


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A local day is the half-open UTC interval [its midnight, the next day's midnight)."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def to_local(dt: datetime, tz: ZoneInfo) -> datetime:
    """An aware instant expressed in the office's zone (naive input is refused)."""
    _require_aware(dt)
    return dt.astimezone(tz)


class SystemClock:
    """The real clock: now() is the system time in UTC; today() is the office-local date."""

    def __init__(self, tz: str | ZoneInfo = OFFICE_TZ) -> None:
        self.tz: ZoneInfo = _zone(tz)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return service_day(self.now(), self.tz)

    def local(self, dt: datetime) -> datetime:
        return to_local(dt, self.tz)


class FixedClock:
    """A clock that stands still until told otherwise; for tests, demos and replays."""

    def __init__(self, now: datetime, tz: str | ZoneInfo = OFFICE_TZ) -> None:
        self.tz: ZoneInfo = _zone(tz)
        self._now = self._as_utc(now)

    @staticmethod
    def _as_utc(now: datetime) -> datetime:
        _require_aware(now, "now")
        return now.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return service_day(self._now, self.tz)

    def local(self, dt: datetime) -> datetime:
        return to_local(dt, self.tz)

    def set(self, now: datetime) -> None:
        """Jump to an aware instant (stored as UTC)."""
        self._now = self._as_utc(now)

    def advance(self, **timedelta_kwargs: Any) -> datetime:
        """Move forward (or back, with negative values) by a timedelta; returns the new now."""
        self._now = self._now + timedelta(**timedelta_kwargs)
        return self._now


class FileClock:
    """A clock whose instant is read from a file on every call (an ISO 8601 time with offset).

    For a replayed or training day across processes: whoever drives the day writes the next
    instant (atomically: write a temporary file, then rename it over this one), and every
    server process sees it at once. Never for a live office (config refuses it in production).
    """

    def __init__(self, path: str, tz: str | ZoneInfo = OFFICE_TZ) -> None:
        self.tz: ZoneInfo = _zone(tz)
        self.path = path

    def now(self) -> datetime:
        with open(self.path, encoding="utf-8") as f:
            instant = datetime.fromisoformat(f.read().strip())
        _require_aware(instant, f"the instant in {self.path}")
        return instant.astimezone(UTC)

    def today(self) -> date:
        return service_day(self.now(), self.tz)

    def local(self, dt: datetime) -> datetime:
        return to_local(dt, self.tz)


def write_clock_file(path: str, instant: datetime) -> None:
    """Set a FileClock's instant: written beside it and renamed, so no reader sees half a line."""
    _require_aware(instant, "instant")
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(instant.isoformat())
    os.replace(tmp, path)
