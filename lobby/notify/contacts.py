"""Who asked to be told: a ticket's phone number or push subscription, a dossier's consent.
Stored only when an adapter that would use it is on; a ticket's row goes at the end of its day."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, select

from core.errors import InvalidRequest, NotFound
from core.phones import normalize_phone
from core.tickets import TicketStatus
from lobby.context import ctx, office, today
from lobby.extensions import db
from lobby.models import Dossier, Ticket
from lobby.notify.models import NotifyContact, NotifyMessage
from lobby.notify.settings import GATEWAY, WEBPUSH, adapters
from lobby.queue.reference import ticket_by_token
from lobby.tx import transaction


def contact_of_ticket(ticket_id: int, *, create: bool = False) -> NotifyContact | None:
    c = db.session.scalar(select(NotifyContact).where(NotifyContact.ticket_id == ticket_id))
    if c is None and create:
        t = db.session.get(Ticket, ticket_id)
        assert t is not None
        c = NotifyContact(
            office_id=t.office_id,
            ticket_id=t.id,
            service_day=t.service_day,
            created_at=ctx().clock.now(),
        )
        db.session.add(c)
    return c


def contact_of_dossier(dossier_id: int) -> NotifyContact | None:
    return db.session.scalar(select(NotifyContact).where(NotifyContact.dossier_id == dossier_id))


def set_ticket_contact(ticket: Ticket | int, phone: str | None, field: str = "phone") -> bool:
    """The phone number to text about this ticket (kiosk, booking): checked, encrypted, kept
    until the end of the ticket's day, with its blind index (the bookings' "booking-phone":
    the day's booking limits per person count this ticket). Inside the caller's transaction
    (or its own). False, and nothing stored, when no phone is given or no gateway is on."""
    if not phone or not str(phone).strip():
        return False
    number = normalize_phone(phone, field=field)
    if GATEWAY not in adapters():
        return False
    with transaction():
        ticket_id = ticket if isinstance(ticket, int) else ticket.id
        contact = contact_of_ticket(ticket_id, create=True)
        assert contact is not None
        contact.phone = number
        contact.phone_key = phone_key(number)
    return True


def phone_key(number: str) -> str:
    """A normalised mobile number's blind index, the one bookings count a person by."""
    from lobby.crypto import blind_index  # cryptography: loaded with the first phone number

    return blind_index("booking-phone", number)


def push_service_allowed(endpoint: str) -> bool:
    """Only a known push service (LOBBY_NOTIFY_PUSH_HOSTS), over HTTPS: the server will POST
    to this address, and a visitor must not make it POST into the office's LAN."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    allowed = current_app.config.get("LOBBY_NOTIFY_PUSH_HOSTS") or ()
    known = any(host == h or host.endswith("." + h) for h in allowed)
    secure = parts.scheme == "https" or (parts.scheme == "http" and host in allowed)
    return bool(host) and known and secure and len(endpoint) <= 1000


def subscribe_ticket(token: str, subscription: dict[str, Any]) -> dict[str, Any]:
    """The ticket page's "Báo cho tôi": keep the browser's push subscription for this ticket."""
    if WEBPUSH not in adapters():
        raise NotFound("Đơn vị chưa bật thông báo trên điện thoại.")
    endpoint = str(subscription.get("endpoint") or "")
    keys = subscription.get("keys") or {}
    if not push_service_allowed(endpoint):
        raise InvalidRequest("Đăng ký nhận thông báo không hợp lệ.", field="endpoint")
    if not isinstance(keys, dict) or not all(
        isinstance(keys.get(k), str) and 0 < len(keys[k]) <= 200 for k in ("p256dh", "auth")
    ):
        raise InvalidRequest("Đăng ký nhận thông báo không hợp lệ.", field="keys")
    with transaction():
        t = ticket_by_token(token)
        if t is None or t.service_day != today(office()):
            raise NotFound("Không tìm thấy phiếu.")
        if t.status not in (TicketStatus.WAITING, TicketStatus.CALLED):
            raise InvalidRequest("Phiếu đã được phục vụ xong.", field="token")
        contact = contact_of_ticket(t.id, create=True)
        assert contact is not None
        keep = {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}
        contact.push_subscription = json.dumps(keep, sort_keys=True)
    return {"subscribed": True}


def consent_dossier(d: Dossier) -> None:
    """The applicant agreed, at intake, to be texted about this dossier (at the applicant's
    phone number, read when a message is queued). In the intake's transaction; the number
    must then be a mobile number (a 422 naming applicant.phone)."""
    if GATEWAY not in adapters() or contact_of_dossier(d.id) is not None:
        return
    if not d.applicant.phone:
        raise InvalidRequest(
            "Cần số điện thoại để nhận tin nhắn về hồ sơ.", field="applicant.phone"
        )
    d.applicant.phone = normalize_phone(d.applicant.phone, field="applicant.phone")
    db.session.add(
        NotifyContact(office_id=d.office_id, dossier_id=d.id, created_at=ctx().clock.now())
    )


def forget_past_days() -> int:
    """Tickets' phone numbers and subscriptions are deleted once their service day is over;
    messages sent (or given up) more than a day ago go too."""
    with transaction():
        day = today(office())
        gone = db.session.execute(
            delete(NotifyContact).where(
                NotifyContact.service_day.is_not(None), NotifyContact.service_day < day
            )
        )
        db.session.execute(
            delete(NotifyMessage).where(
                NotifyMessage.status.in_(("delivered", "failed")),
                NotifyMessage.created_at < ctx().clock.now() - timedelta(days=1),
            )
        )
        return int(gone.rowcount or 0)  # type: ignore[attr-defined]
