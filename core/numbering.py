"""Ticket numbers, daily limits and working windows (DOMAIN.md §5, §9; API.md "Ticket numbers").

The database hands out sequence numbers atomically per (field, service day), starting at 1;
this module only formats, parses and checks them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from core.clock import OUTSIDE_HOURS, SESSION_LABELS, session_of
from core.errors import DailyLimitReached, InvalidRequest, OutsideHours

DEFAULT_NUMBER_FORMAT = "{prefix}{seq:03d}"  # A025
DASHED_NUMBER_FORMAT = "{prefix}-{seq:03d}"  # A-025, the form shown in DOMAIN.md §9

PURPOSES = ("reception", "ticketing")

# A prefix of 1-4 letters (any alphabet, so "Đ" works), an optional separator, then digits.
_NUMBER_RE = re.compile(r"^\s*([^\W\d_]{1,4})\s*[-.\s]?\s*(\d{1,6})\s*$")


def display_number(prefix: str, seq: int, fmt: str = DEFAULT_NUMBER_FORMAT) -> str:
    """A ticket number is the field prefix and the day's sequence (from 1) in the office format."""
    if seq < 1:
        raise ValueError(f"sequence numbers start at 1, got {seq}")
    return fmt.format(prefix=prefix, seq=seq)


def parse_number(number: str) -> tuple[str, int]:
    """ "A025", "A-025" and "a25" all mean ("A", 25); anything else is InvalidRequest."""
    match = _NUMBER_RE.match(number) if isinstance(number, str) else None
    if match is None or int(match.group(2)) < 1:
        raise InvalidRequest(f"Số thứ tự không hợp lệ: {number!r}.", number=number)
    return match.group(1).upper(), int(match.group(2))


def validate_number_format(fmt: str) -> str:
    """An office number format must render {prefix} and {seq} and parse back to them."""
    try:
        sample = display_number("A", 25, fmt)
        parsed = parse_number(sample)
    except (KeyError, IndexError, ValueError, InvalidRequest):
        parsed = None
    if parsed != ("A", 25):
        raise InvalidRequest(
            "Định dạng số thứ tự không hợp lệ; cần chứa {prefix} và {seq}, ví dụ {prefix}{seq:03d}.",
            format=fmt,
        )
    return fmt


def check_daily_limit(already_issued: int, limit: int | None) -> None:
    """A field with a daily limit issues no more tickets once `limit` have been issued today."""
    if limit is not None and already_issued >= limit:
        raise DailyLimitReached(
            "Lĩnh vực này đã hết số trong ngày.", limit=limit, issued=already_issued
        )


def daily_limit_left(already_issued: int, limit: int | None) -> int | None:
    """Tickets still available today; None when the field has no limit."""
    if limit is None:
        return None
    return max(0, limit - already_issued)


@dataclass(frozen=True)
class WorkingWindow:
    """A weekly opening window [start, end) on one weekday (0 = Monday) for one purpose."""

    weekday: int
    start: time
    end: time
    purpose: str = "ticketing"

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {self.weekday}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("window times are office wall-clock times, without tzinfo")
        if not self.start < self.end:
            raise ValueError(f"window must start before it ends: {self.start}–{self.end}")
        if self.purpose not in PURPOSES:
            raise ValueError(f"purpose must be one of {PURPOSES}, got {self.purpose!r}")

    def contains(self, wall: time) -> bool:
        """Half-open: the start minute is inside, the end minute is not."""
        return self.start <= wall < self.end


# Typical commune hours (DOMAIN §5): Mon–Fri 07:00–11:30 and 13:30–17:00, for both purposes.
DEFAULT_WINDOWS: tuple[WorkingWindow, ...] = tuple(
    WorkingWindow(weekday, start, end, purpose)
    for purpose in PURPOSES
    for weekday in range(5)
    for start, end in ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0)))
)


def is_open(
    windows: Iterable[WorkingWindow],
    local_dt: datetime,
    *,
    day_off: bool = False,
    purpose: str = "ticketing",
) -> bool:
    """Open when the office-local wall time falls in a window of that purpose and weekday.

    `local_dt` must already be in the office zone (its wall clock is used as is); a day off
    (holiday, compensatory or swapped day off, local closure) is always closed.
    """
    if day_off:
        return False
    weekday, wall = local_dt.weekday(), local_dt.time()
    return any(w.purpose == purpose and w.weekday == weekday and w.contains(wall) for w in windows)


def session_at(
    windows: Iterable[WorkingWindow], local_dt: datetime, *, day_off: bool = False
) -> str:
    """The session a ticket belongs to: morning or afternoon inside a ticketing window, else
    OUTSIDE_HOURS (issued in the open-always mode at 20:16 is not "Chiều")."""
    if is_open(windows, local_dt, day_off=day_off, purpose="ticketing"):
        return session_of(local_dt)
    return OUTSIDE_HOURS


def _hhmm(t: time) -> str:
    return t.strftime("%H:%M")


def hours_text(windows: Iterable[WorkingWindow], *, purpose: str | None = None) -> str:
    """The distinct daily hours, morning first: "Sáng 07:00–11:30, Chiều 13:30–17:00".

    Weekdays are not named; windows that differ by weekday are listed side by side.
    `purpose=None` takes every window.
    """
    spans = sorted({(w.start, w.end) for w in windows if purpose is None or w.purpose == purpose})
    parts: list[str] = []
    for session in SESSION_LABELS:
        in_session = [f"{_hhmm(s)}–{_hhmm(e)}" for s, e in spans if session_of(s) == session]
        if in_session:
            parts.append(f"{SESSION_LABELS[session]} {', '.join(in_session)}")
    return ", ".join(parts)


def ensure_open(
    windows: Iterable[WorkingWindow],
    local_dt: datetime,
    *,
    day_off: bool = False,
    open_always: bool = False,
) -> None:
    """Tickets are issued only inside a ticketing window on a working day (unless open_always)."""
    if open_always:
        return
    windows = tuple(windows)
    if is_open(windows, local_dt, day_off=day_off, purpose="ticketing"):
        return
    hours = hours_text(windows, purpose="ticketing")
    if hours:
        message = f"Ngoài giờ lấy số. Vui lòng quay lại trong giờ làm việc: {hours}"
    else:
        message = "Ngoài giờ lấy số. Hiện chưa có lịch giờ lấy số."
    raise OutsideHours(message, hours=hours, day_off=day_off)


# --- dossier codes (DOMAIN §4, §14: Circular 01/2018, Decree 118, Circular 04/2025) -----------

# <agency electronic ID>-YYMMDD-<sequence>: the agency ID is dot-separated groups of letters and
# digits (000.00.24.H56, H15.50.05.13, G22, …); a ministry system puts its two letters before
# the sequence (…-YYMMDD-AAXXXX); the sequence has at least 4 digits, as many as needed.
_DOSSIER_CODE_RE = re.compile(
    r"^(?P<agency>[A-Z0-9]+(?:\.[A-Z0-9]+)*)-(?P<yymmdd>\d{6})-(?P<ministry>[A-Z]{2})?(?P<seq>\d{4,})$",
    re.ASCII,  # "\d" is 0-9 only: no other script's digits in a stored code
)


@dataclass(frozen=True)
class DossierCode:
    """A dossier code read back: the agency, the day of receipt, the ministry letters (a ministry
    system's code) and the running number."""

    agency: str
    received: str  # YYMMDD as written
    ministry: str | None
    seq: int


def parse_dossier_code(code: str) -> DossierCode:
    """A code given by the office, the national portal or a ministry system (already normalised:
    capitals, no spaces); anything else — or an impossible date — is InvalidRequest."""
    match = _DOSSIER_CODE_RE.match(code) if isinstance(code, str) else None
    if match is not None and len(code) <= 80:
        yymmdd = match.group("yymmdd")
        try:
            date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
        except ValueError:
            match = None
        else:
            return DossierCode(
                match.group("agency"), yymmdd, match.group("ministry"), int(match.group("seq"))
            )
    raise InvalidRequest(
        "Mã hồ sơ không đúng cấu trúc <mã cơ quan>-YYMMDD-<số thứ tự từ 4 chữ số> "
        "(VD: H15.50.05.13-260105-0001 hoặc 000.00.00.G12-260105-TP0001).",
        field="external_code",
    )
