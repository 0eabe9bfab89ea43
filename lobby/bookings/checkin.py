"""A booking becomes a ticket: checked in at the kiosk (its code typed, or its QR read by a
USB/HID scanner, which types the booking's address), or automatically when its slot opens if
the office chose so. The ticket's place in line is the slot's start (core.queueing.order_key):
ahead of walk-ins issued after it. Bookings not checked in by slot end + grace expire.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core import bookings as rules
from core.bookings import BookingClosed, BookingStatus
from core.errors import DomainError, InvalidRequest, NotFound
from lobby.bookings.booking import PAGE, booking_view, close
from lobby.bookings.models import Booking
from lobby.bookings.slots import settings
from lobby.context import ctx, local_now, office_ref
from lobby.extensions import db
from lobby.models import Device
from lobby.queue.issuing import issue_ticket
from lobby.tx import transaction

_TOKEN_IN_URL = re.compile(rf"/{PAGE}/([A-Za-z0-9_-]{{8,64}})")
_CODE = re.compile(rf"^[{rules.CODE_ALPHABET}]{{{rules.CODE_LENGTH}}}$")


def find(text: Any) -> Booking:
    """The booking a kiosk's input names: its code ("K7P9QX", any case, spaces ignored) or its
    address (what a scanner types from the QR)."""
    if not isinstance(text, str) or not text.strip() or len(text) > 300:
        raise InvalidRequest("Nhập mã đặt lịch.", field="code")
    in_url = _TOKEN_IN_URL.search(text)
    if in_url is not None:
        found = db.session.scalar(select(Booking).where(Booking.public_token == in_url.group(1)))
    else:
        code = re.sub(r"\s+", "", text).upper()
        if not _CODE.match(code):
            raise InvalidRequest("Mã đặt lịch không hợp lệ.", field="code")
        found = db.session.scalar(select(Booking).where(Booking.code == code))
    if found is None or found.office_id != office_ref().id:
        raise NotFound("Không tìm thấy lịch hẹn với mã này.")
    return found


def check_in(text: Any, *, device: Device | None = None, how: str = "kiosk") -> dict[str, Any]:
    """Issue the booking's ticket (one way to issue: lobby.queue.issuing) with the slot's start
    as its line time. 409 when it is not today's, already used, cancelled or expired (an expired
    one is marked so)."""
    lapsed = _expire_if_due(text)
    if lapsed is not None:
        raise BookingClosed("Lịch hẹn đã quá giờ xác nhận và đã hết hạn.", status=lapsed)
    with transaction():
        b = find(text)
        _check_usable(b)
        # The number given at booking now texts about the ticket (lobby.notify, with a gateway);
        # the booking then forgets it (close).
        issued = issue_ticket(
            b.field.code, None, device=device, line_at=b.slot_at, phone=b.phone or None
        )
        close(b, BookingStatus.CHECKED_IN)
        b.checked_in_at = b.closed_at
        b.ticket_id = issued["id"]
        b.checkin = how
        db.session.flush()
        return {**issued, "booking": booking_view(b)}


def _check_usable(b: Booking) -> None:
    status = BookingStatus(b.status)
    if status == BookingStatus.CHECKED_IN:
        raise BookingClosed("Lịch hẹn này đã được xác nhận.", status=status.value)
    if status == BookingStatus.PENDING:
        raise BookingClosed(
            "Lịch hẹn chưa được xác nhận bằng mã gửi qua tin nhắn.", code="booking_unconfirmed"
        )
    if status != BookingStatus.BOOKED:
        raise BookingClosed(status=status.value)
    if b.day != local_now(office_ref()).date():
        raise BookingClosed(
            "Lịch hẹn này không phải của hôm nay.", code="booking_not_today", day=b.day.isoformat()
        )


def _expire_if_due(text: Any) -> str | None:
    """Mark the named booking expired when its time has passed (its own transaction, so the
    mark stays although the check-in is refused); the status it now has, else None."""
    with transaction():
        b = find(text)
        grace = settings(office_ref()).grace_minutes
        if b.status == BookingStatus.BOOKED and rules.expired(b.slot_end, grace, ctx().clock.now()):
            close(b, BookingStatus.EXPIRED)
            return b.status
    return None


def expire_bookings() -> int:
    """The periodic job: bookings not checked in by slot end + grace expire (their slots' places
    stay counted: nobody else was given them), and so do pending ones whose code never came."""
    with transaction():
        o = office_ref()
        now = ctx().clock.now()
        grace = settings(o).grace_minutes
        due = db.session.scalars(
            select(Booking).where(
                Booking.office_id == o.id,
                Booking.status == BookingStatus.BOOKED.value,
                Booking.slot_end <= now,
            )
        ).all()
        lapsed = [b for b in due if rules.expired(b.slot_end, grace, now)]
        # A code never entered: the booking gives its place back.
        lapsed += db.session.scalars(
            select(Booking).where(
                Booking.office_id == o.id,
                Booking.status == BookingStatus.PENDING.value,
                Booking.created_at <= now - timedelta(minutes=rules.OTP_MINUTES),
            )
        ).all()
        for b in lapsed:
            close(b, BookingStatus.EXPIRED)
        return len(lapsed)


def auto_check_in() -> int:
    """The periodic job, when the office chose `booking_auto_checkin`: today's bookings whose
    slot has opened become tickets. A refusal (outside hours, the field's daily limit) leaves
    the booking for the kiosk."""
    o = office_ref()
    if not settings(o).auto_checkin:
        return 0
    now = ctx().clock.now()
    with transaction():
        codes = db.session.scalars(
            select(Booking.code).where(
                Booking.office_id == o.id,
                Booking.day == local_now(o).date(),
                Booking.status == BookingStatus.BOOKED.value,
                Booking.slot_at <= now,
            )
        ).all()
    done = 0
    for code in codes:
        try:
            check_in(code, how="auto")
            done += 1
        except DomainError:  # closed meanwhile, outside hours, the field's daily limit
            continue
    return done
