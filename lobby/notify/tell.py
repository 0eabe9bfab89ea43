"""The events citizens are told of, queued in the transaction of the change (lobby.queue's
calls, lobby.dossiers' changes) and sent after its commit. Nothing happens when no adapter is on,
or when nobody asked to be told."""

from __future__ import annotations

from typing import Any

from lobby.context import ticket_url
from lobby.models import Dossier, Ticket
from lobby.notify import messages
from lobby.notify.contacts import contact_of_dossier, contact_of_ticket
from lobby.notify.outbox import queue_for
from lobby.notify.settings import enabled


def ticket_called(t: Ticket, counter_number: int, *, recall: bool) -> None:
    """Called (or called again) to a counter: in the call's transaction."""
    if not enabled():
        return
    contact = contact_of_ticket(t.id)
    if contact is None:
        return
    event = messages.TICKET_RECALLED if recall else messages.TICKET_CALLED
    message = messages.ticket_message(event, t.number, counter=counter_number, url=ticket_url(t))
    queue_for(event, message, phone=contact.phone, subscription=contact.push_subscription)
    contact.near_sent = True  # called already: "N places from your turn" would come too late


def ticket_near(t: Ticket, ahead: int) -> bool:
    """N places (or fewer) from its turn: once per ticket. In the caller's transaction."""
    contact = contact_of_ticket(t.id)
    if contact is None or contact.near_sent:
        return False
    message = messages.ticket_message(
        messages.TICKET_NEAR, t.number, ahead=ahead, url=ticket_url(t)
    )
    queue_for(
        messages.TICKET_NEAR, message, phone=contact.phone, subscription=contact.push_subscription
    )
    contact.near_sent = True
    return True


def dossier_changed(d: Dossier, change: str, view: dict[str, Any]) -> None:
    """A dossier's change (lobby.dossiers.changes.after_change): received, supplement requested,
    refused, stopped, result ready, returned, the apology with its new date. To the applicant's
    phone when they agreed at intake, and to the push subscription of the ticket it came from."""
    if not enabled():
        return
    event = messages.DOSSIER_BY_CHANGE.get(change) or messages.DOSSIER_BY_STATUS.get(
        str(view.get("status"))
    )
    if event is None:
        return
    consent = contact_of_dossier(d.id)
    by_ticket = contact_of_ticket(d.ticket_id) if d.ticket_id is not None else None
    if consent is None and by_ticket is None:
        return
    queue_for(
        event,
        messages.dossier_message(event, view),
        phone=d.applicant.phone if consent is not None else None,
        subscription=by_ticket.push_subscription if by_ticket is not None else None,
    )
