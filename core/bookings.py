"""Remote tickets (lấy số từ xa, issue 15): the day's slots, their capacity, the limits per
person, and a booking's states. Hà Nội's online ticket is the model: today or the next few
working days, at most 2 a person a day and 1 a field, served together with walk-ins by
registration time (a checked-in booking's line time is its slot's start, core.queueing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from core.errors import DomainError, InvalidRequest
from core.phones import normalize_phone

DEFAULT_SLOT_MINUTES = 30
DEFAULT_DAYS_AHEAD = 6  # today or the next 6 working days
DEFAULT_PER_PERSON = 2  # a person's bookings a day
DEFAULT_PER_FIELD = 1  # a person's bookings a day in one field
DEFAULT_PER_ADDRESS = 6  # bookings a day from one network address (taken on trust)
DEFAULT_GRACE_MINUTES = 15  # not checked in by slot end + grace: expired
DEFAULT_SHARE = 0.5  # the part of a slot's service time offered to bookings
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
CODE_LENGTH = 6

_SLOT_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_PHONE_RE = re.compile(r"^0[35789]\d{8}$")  # a Vietnamese mobile number, 10 digits


class BookingStatus(StrEnum):
    PENDING = "pending"  # waiting for the one-time code sent by SMS (a gateway is configured)
    BOOKED = "booked"  # waiting for its day and slot
    CHECKED_IN = "checked_in"  # a ticket was issued for it
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# Holding a place in a slot.
ACTIVE = frozenset({BookingStatus.PENDING, BookingStatus.BOOKED, BookingStatus.CHECKED_IN})
# Counted by the limits per person, field and address: a booking left to expire used its turn.
COUNTED = ACTIVE | {BookingStatus.EXPIRED}
OTP_LENGTH = 6
OTP_MINUTES = 10  # a code not entered by then: the booking lapses
OTP_TRIES = 5  # wrong codes before the booking is cancelled


class SlotFull(DomainError):
    code = "slot_full"
    status = 409
    default_message = "Khung giờ này đã hết chỗ."


class BookingLimit(DomainError):
    code = "booking_limit"
    status = 409
    default_message = "Quý khách đã dùng đủ số lượt cho phép trong ngày."


class BookingClosed(DomainError):
    """The booking cannot be checked in or cancelled any more (expired, cancelled, used)."""

    code = "booking_closed"
    status = 409
    default_message = "Lịch hẹn này không còn hiệu lực."


@dataclass(frozen=True)
class Slot:
    """One time slot of a day: [start, end) on the office's wall clock."""

    day: date
    start: time
    end: time

    @property
    def label(self) -> str:
        return self.start.strftime("%H:%M")


def day_slots(
    day: date, spans: Iterable[tuple[time, time]], minutes: int = DEFAULT_SLOT_MINUTES
) -> list[Slot]:
    """The day's slots: each opening span cut into `minutes`-long pieces from its start (a piece
    that would run past the span's end is left out)."""
    if minutes < 5:
        raise ValueError(f"a slot lasts at least 5 minutes, got {minutes}")
    out: list[Slot] = []
    step = timedelta(minutes=minutes)
    for start, end in sorted(spans):
        at = datetime.combine(day, start)
        stop = datetime.combine(day, end)
        while at + step <= stop:
            out.append(Slot(day, at.time(), (at + step).time()))
            at += step
    return out


def default_capacity(
    slot_minutes: int, avg_service_seconds: float, counters: int, share: float = DEFAULT_SHARE
) -> int:
    """Bookings a slot takes when the admin set none: the share of the slot's service time
    (its length times the counters serving the field) over the average service time; at least 1."""
    if avg_service_seconds <= 0:
        return 1
    served = slot_minutes * 60 * max(1, counters) / avg_service_seconds
    return max(1, int(served * share))


def parse_slot(text: object) -> time:
    """ "08:30" → time(8, 30); anything else is InvalidRequest naming `slot`."""
    match = _SLOT_RE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidRequest("Khung giờ (slot) phải có dạng HH:MM.", field="slot")
    return time(int(match.group(1)), int(match.group(2)))


def parse_day(text: object) -> date:
    try:
        return date.fromisoformat(text.strip()) if isinstance(text, str) else date.fromisoformat("")
    except ValueError:
        raise InvalidRequest("Ngày (day) phải có dạng YYYY-MM-DD.", field="day") from None


def normalise_phone(text: object) -> str:
    """A Vietnamese mobile number as 10 digits starting with 0 ("+84 912 345 678" →
    "0912345678", read by core.phones as the kiosk's and the intake's numbers are, so the same
    person's keys match); InvalidRequest naming `phone` otherwise."""
    try:
        digits = normalize_phone(text) if isinstance(text, str) else ""
    except InvalidRequest:
        digits = ""
    if not _PHONE_RE.match(digits):
        raise InvalidRequest("Số điện thoại di động không hợp lệ.", field="phone")
    return digits


def check_limits(
    *,
    person_day: int,
    person_field: int,
    address_day: int,
    per_person: int = DEFAULT_PER_PERSON,
    per_field: int = DEFAULT_PER_FIELD,
    per_address: int = DEFAULT_PER_ADDRESS,
) -> None:
    """A new booking is refused (BookingLimit, 409) when the person already holds `per_person`
    active bookings that day, `per_field` in the field, or the address `per_address`."""
    if person_field >= per_field:
        raise BookingLimit(
            "Quý khách đã có lượt cho lĩnh vực này trong ngày.", limit=per_field, reason="field"
        )
    if person_day >= per_person:
        raise BookingLimit(
            "Quý khách đã dùng đủ số lượt cho phép trong ngày.",
            limit=per_person,
            reason="person",
        )
    if address_day >= per_address:
        raise BookingLimit(
            "Đã có quá nhiều lượt đặt từ cùng một mạng trong ngày.",
            limit=per_address,
            reason="address",
        )


def first_free(slots: Iterable[Slot], taken: dict[Slot, int], capacity: int) -> Slot | None:
    """The first slot (in the order given) with room left, or None."""
    return next((s for s in slots if taken.get(s, 0) < capacity), None)


def checkin_deadline(slot_end: datetime, grace_minutes: int) -> datetime:
    """The last moment a booking may be checked in: its slot's end plus the grace."""
    return slot_end + timedelta(minutes=grace_minutes)


def expired(slot_end: datetime, grace_minutes: int, now: datetime) -> bool:
    """Not checked in by the slot's end plus the grace: the booking lapses."""
    return now >= checkin_deadline(slot_end, grace_minutes)


def bookable(slot_end: datetime, now: datetime) -> bool:
    """A slot may be booked until it ends (a slot of today that has begun still takes people)."""
    return now < slot_end
