"""Issuing a ticket at the kiosk (or the API): one transaction, one number, printed if the
kiosk has a printer.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from core.errors import InvalidRequest, NotFound
from core.numbering import check_daily_limit, display_number, ensure_open, session_at
from core.tickets import TicketStatus, parse_priority_group
from lobby import events
from lobby.context import ctx, iso, local_now, office, office_ref, token_url
from lobby.extensions import db
from lobby.models import Device, Ticket
from lobby.notify.contacts import set_ticket_contact
from lobby.queue.broadcast import publish_counts
from lobby.queue.line import ahead_and_waiting, eta_minutes
from lobby.queue.reference import field_ref, is_day_off, windows
from lobby.queue.tickets import INSERT_TICKET, record_event_row, take_seq
from lobby.reception import schedule as reception
from lobby.tx import transaction


def issue_ticket(
    service: Any,
    priority: Any,
    *,
    device: Device | None = None,
    line_at: datetime | None = None,
    phone: str | None = None,
) -> dict[str, Any]:
    """Take the next number of the field for today, unless outside hours or over the daily limit;
    keep the citizen's phone number for its messages when one is given (lobby.notify).
    `line_at`: the ticket's place in line when not its issue time (a checked-in booking's slot
    start, lobby.bookings.checkin: ahead of walk-ins issued after it)."""
    priority = parse_priority_group(priority)
    with transaction() as tx:
        o = office_ref()
        try:
            f = field_ref(o, service)
        except NotFound as exc:  # a code the body names, not a resource in the path (API.md)
            raise InvalidRequest(exc.message, field="service") from None
        now_local = local_now(o)
        day = now_local.date()
        office_windows, day_off = windows(o), is_day_off(o, day)
        ensure_open(office_windows, now_local, day_off=day_off, open_always=ctx().open_always)
        reception.check_ticket(f.code)  # the reception field: only on a day with a session
        seq = take_seq(o.id, f.id, day)
        check_daily_limit(seq - 1, f.daily_ticket_limit)
        now = ctx().clock.now()
        row = {
            "office_id": o.id,
            "service_day": day,
            "issue_field_id": f.id,
            "field_id": f.id,
            "seq": seq,
            "number": display_number(f.ticket_prefix, seq, o.number_format),
            "session": session_at(office_windows, now_local, day_off=day_off),
            "is_priority": priority is not None,
            "priority_group": priority,
            "status": TicketStatus.WAITING.value,
            "public_token": secrets.token_urlsafe(18),
            "issued_at": now,
            # A new ticket's place: its issue time (core.queueing.order_key), or its booked slot.
            "line_at": now if line_at is None else line_at,
            "device_id": device.id if device else None,
        }
        ticket_id = db.session.connection().execute(INSERT_TICKET, row).scalar_one()
        record_event_row(ticket_id, "issue", None, "waiting", device_id=row["device_id"])
        if phone:
            set_ticket_contact(ticket_id, phone)
        ahead, waiting = ahead_and_waiting(
            o.id, day, f.id, row["is_priority"], (row["line_at"], seq, ticket_id)
        )
        result = _issued_view(ticket_id, row, f, o, ahead)
        publish_counts({f.id}, day)  # in the background: the boards' next numbers
        _announce_issued(tx, f.code, row["number"], waiting)
        printing = ctx().printing
        if printing is not None and device is not None and device.printer_url:
            t = db.session.get_one(Ticket, ticket_id)
            result["print"] = printing.enqueue_ticket(t, t.field, office(), device, ahead=ahead)
    return result


def _issued_view(ticket_id: int, row: dict[str, Any], f: Any, o: Any, ahead: int) -> dict[str, Any]:
    """The kiosk's answer: the number, the phone's link, the place and wait."""
    return {
        "id": ticket_id,
        "number": row["number"],
        "token": row["public_token"],
        "url": token_url(row["public_token"]),
        "service": f.code,
        "service_name": f.name_vi,
        "priority": row["is_priority"],
        "issued_at": iso(row["issued_at"], o),
        "session": row["session"],
        "ahead": ahead,
        "eta_minutes": eta_minutes(f.id, ahead),
        "print": {"status": "none"},
    }


def _announce_issued(tx: Any, code: str, number: str, waiting: int) -> None:
    """After the commit: the boards and kiosks of the field hear the new number and count."""
    rooms = [events.service_room(code)]
    pub = ctx().publisher
    issued = {"number": number, "service": code, "waiting": waiting}
    tx.after_commit(lambda: pub.publish(events.TICKET_ISSUED, issued, rooms))
    tx.after_commit(
        lambda: pub.publish(events.QUEUE_CHANGED, {"service": code, "waiting": waiting}, rooms)
    )
