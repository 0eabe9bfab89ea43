"""Use cases of a remote ticket: book a slot, see a booking, cancel it. One transaction each."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from core import bookings as rules
from core.bookings import BookingClosed, BookingStatus, SlotFull
from core.errors import DomainError, InvalidRequest, NotFound
from core.tickets import TicketStatus
from lobby.bookings import sms
from lobby.bookings.models import Booking
from lobby.bookings.slots import at, bookable_days, capacity, next_free, settings, slots_of, taken
from lobby.context import ctx, iso, office_ref, public_url, token_url
from lobby.extensions import db
from lobby.models import Field, Ticket
from lobby.notify.contacts import phone_key
from lobby.notify.models import NotifyContact
from lobby.queue.reference import field_ref
from lobby.tx import transaction

PAGE = "lay-so"
STATUS_LABELS = {
    BookingStatus.PENDING: "Chờ nhập mã xác nhận",
    BookingStatus.BOOKED: "Đã đặt lịch",
    BookingStatus.CHECKED_IN: "Đã xác nhận tại sảnh",
    BookingStatus.CANCELLED: "Đã hủy",
    BookingStatus.EXPIRED: "Đã hết hạn",
}


def booking_url(token: str) -> str:
    return public_url(f"{PAGE}/{token}")


def person_keys(phone: str | None, address: str | None) -> tuple[str, str]:
    """The blind indexes a booking is counted by: the phone's (else the address's) and the
    address's. The plain values are never stored or logged."""
    from lobby.crypto import blind_index  # cryptography: loaded with the first booking

    address_key = blind_index("booking-address", address or "")
    return (phone_key(phone) if phone else address_key), address_key


def book(service: Any, day: Any, slot: Any, phone: Any, address: str | None) -> dict[str, Any]:
    """Book a slot of a field (201), refused by the limits (409 booking_limit) or a full slot
    (409 slot_full, with the next free slot in `next_slot`). With a phone number and an SMS
    gateway, the booking waits for the one-time code sent to it (`pending`, see confirm)."""
    when, start = rules.parse_day(day), rules.parse_slot(slot)
    number = None if phone in (None, "") else rules.normalise_phone(phone)
    otp = f"{secrets.randbelow(10**rules.OTP_LENGTH):0{rules.OTP_LENGTH}d}"
    if number is None or not sms.configured():
        otp = ""
    with transaction():
        o = office_ref()
        try:
            f = field_ref(o, service)
        except NotFound as exc:
            raise InvalidRequest(exc.message, field="service") from None
        if when not in bookable_days(o):
            raise InvalidRequest("Ngày này không nhận đặt lịch.", field="day")
        chosen = next((s for s in slots_of(o, when) if s.start == start), None)
        if chosen is None:
            raise InvalidRequest("Khung giờ này không nhận đặt lịch.", field="slot")
        person, address_key = person_keys(number, address)
        _check_limits(o, f, when, person, address_key)
        # One booking at a time takes a field's slots (PostgreSQL; SQLite writes one at a time).
        db.session.execute(select(Field.id).where(Field.id == f.id).with_for_update())
        slot_at, slot_end = at(o, chosen)
        if taken(o, f, when).get(slot_at, 0) >= capacity(o, f):
            raise SlotFull(next_slot=next_free(o, f, chosen))
        token = secrets.token_urlsafe(18)
        b = Booking(
            office_id=o.id,
            field_id=f.id,
            day=when,
            slot_at=slot_at,
            slot_end=slot_end,
            code=_new_code(),
            public_token=token,
            status=(BookingStatus.PENDING if otp else BookingStatus.BOOKED).value,
            otp_hash=_otp_hash(otp, token) if otp else None,
            otp_tries=0,
            person_key=person,
            address_key=address_key,
            phone=number,
            created_at=ctx().clock.now(),
        )
        db.session.add(b)
        db.session.flush()
        result = booking_view(b)
    if otp and number is not None and not sms.send_one_time_code(number, otp):
        result = _taken_on_trust(token)  # the gateway failed: the number is taken on trust
    return result


def _otp_hash(otp: str, token: str) -> str:
    from lobby.crypto import blind_index  # cryptography: see person_keys

    return blind_index(f"booking-otp:{token}", otp)


def _taken_on_trust(token: str) -> dict[str, Any]:
    with transaction():
        b = booking_by_token(token)
        if b.status == BookingStatus.PENDING:
            b.status, b.otp_hash = BookingStatus.BOOKED.value, None
        db.session.flush()
        return booking_view(b)


def confirm(token: str, otp: Any) -> dict[str, Any]:
    """The one-time code sent by SMS confirms a pending booking (again: the same answer). A
    wrong code is a 422 naming `otp`; too many wrong codes, or a code entered too late, close
    the booking (409 booking_closed)."""
    refusal: DomainError | None = None
    with transaction():
        b = booking_by_token(token)
        if b.status == BookingStatus.PENDING:
            refusal = _try_code(b, otp)
        elif b.status != BookingStatus.BOOKED:
            refusal = BookingClosed(status=b.status)
        db.session.flush()
        view = booking_view(b)
    if refusal is not None:
        raise refusal
    return view


def _try_code(b: Booking, otp: Any) -> DomainError | None:
    if ctx().clock.now() >= b.created_at + timedelta(minutes=rules.OTP_MINUTES):
        close(b, BookingStatus.EXPIRED)
        return BookingClosed("Mã xác nhận đã hết hạn, lịch hẹn đã bị hủy.", status=b.status)
    given = "".join(otp.split()) if isinstance(otp, str) else ""
    if hmac.compare_digest(_otp_hash(given, b.public_token), b.otp_hash or ""):
        b.status, b.otp_hash = BookingStatus.BOOKED.value, None
        return None
    b.otp_tries += 1
    if b.otp_tries >= rules.OTP_TRIES:
        close(b, BookingStatus.CANCELLED)
        return BookingClosed("Nhập sai mã quá nhiều lần, lịch hẹn đã bị hủy.", status=b.status)
    return InvalidRequest(
        "Mã xác nhận không đúng.", field="otp", tries_left=rules.OTP_TRIES - b.otp_tries
    )


def close(b: Booking, status: BookingStatus) -> None:
    """Cancelled, expired or used: the phone number has served its purpose and is forgotten
    (the blind index stays, for the day's limits)."""
    b.status = status.value
    b.closed_at = ctx().clock.now()
    b.phone = None
    b.otp_hash = None


def _check_limits(o: Any, f: Any, day: Any, person: str, address_key: str) -> None:
    counted = [s.value for s in rules.COUNTED]
    base = select(func.count()).where(
        Booking.office_id == o.id, Booking.day == day, Booking.status.in_(counted)
    )
    cfg = settings(o)
    walk_ins = walk_in_fields(o, day, person)
    rules.check_limits(
        person_day=(db.session.scalar(base.where(Booking.person_key == person)) or 0)
        + len(walk_ins),
        person_field=(
            db.session.scalar(base.where(Booking.person_key == person, Booking.field_id == f.id))
            or 0
        )
        + walk_ins.count(f.id),
        address_day=db.session.scalar(base.where(Booking.address_key == address_key)) or 0,
        per_person=cfg.per_person,
        per_field=cfg.per_field,
        per_address=cfg.per_address,
    )


def walk_in_fields(o: Any, day: Any, person: str) -> list[int]:
    """The fields of the day's walk-in tickets (not cancelled) given this person's phone number
    at the kiosk: they count in the limits too. Known only with an SMS gateway (the kiosk asks
    the number then, lobby.notify.contacts), and only until the end of the day."""
    return list(
        db.session.scalars(
            select(Ticket.issue_field_id)
            .join(NotifyContact, NotifyContact.ticket_id == Ticket.id)
            .where(
                NotifyContact.office_id == o.id,
                NotifyContact.phone_key == person,
                NotifyContact.service_day == day,
                Ticket.status != TicketStatus.CANCELLED.value,
                # A checked-in booking's ticket keeps its number too: counted as the booking.
                ~select(Booking.id).where(Booking.ticket_id == Ticket.id).exists(),
            )
        )
    )


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(rules.CODE_ALPHABET) for _ in range(rules.CODE_LENGTH))
        if db.session.scalar(select(Booking.id).where(Booking.code == code)) is None:
            return code


def booking_by_token(token: str) -> Booking:
    found = None
    if isinstance(token, str) and 0 < len(token) <= 64:
        found = db.session.scalar(select(Booking).where(Booking.public_token == token))
    if found is None or found.office_id != office_ref().id:
        raise NotFound("Không tìm thấy lịch hẹn.")
    return found


def booking_view(b: Booking) -> dict[str, Any]:
    """What the citizen's phone sees: no phone number, nothing personal."""
    o = office_ref()
    status = BookingStatus(b.status)
    view: dict[str, Any] = {
        "code": b.code,
        "token": b.public_token,
        "url": booking_url(b.public_token),
        "service": b.field.code,
        "service_name": b.field.name_vi,
        "day": b.day.isoformat(),
        "slot": _hhmm(b.slot_at, o),
        "slot_end": _hhmm(b.slot_end, o),
        "status": status.value,
        "status_label": STATUS_LABELS[status],
        "checkin_until": iso(
            rules.checkin_deadline(b.slot_end, settings(o).grace_minutes), o, "minutes"
        ),
        "ticket": None,
    }
    if b.ticket_id is not None:
        t = db.session.get(Ticket, b.ticket_id)
        if t is not None:
            view["ticket"] = {"number": t.number, "url": token_url(t.public_token)}
    return view


def _hhmm(dt: datetime, o: Any) -> str:
    return (iso(dt, o, "minutes") or "")[11:16]


def show(token: str) -> dict[str, Any]:
    with transaction():
        return booking_view(booking_by_token(token))


def cancel(token: str) -> dict[str, Any]:
    """Cancel a booking not yet used (a second cancel answers the same); 409 once checked in
    or expired."""
    with transaction():
        b = booking_by_token(token)
        if b.status in (BookingStatus.BOOKED, BookingStatus.PENDING):
            close(b, BookingStatus.CANCELLED)
        elif b.status != BookingStatus.CANCELLED:
            raise BookingClosed(status=b.status)
        db.session.flush()
        return booking_view(b)
