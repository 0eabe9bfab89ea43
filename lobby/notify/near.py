""" "N places from your turn" (LOBBY_NOTIFY_NEAR, default 3), once per ticket: after a line
moved (lobby.queue.broadcast.publish_positions), in the background, only the tickets whose
citizen asked to be told and was not told yet are looked at (usually none: one query)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from core.tickets import TicketStatus
from lobby.extensions import db
from lobby.models import Ticket
from lobby.notify.models import NotifyContact
from lobby.notify.settings import enabled, near_places
from lobby.notify.tell import ticket_near
from lobby.queue.line import ahead_of
from lobby.tx import transaction


def tell_the_near(field_ids: set[int], office_id: int, day: date) -> int:
    """Queue "N places from your turn" for each waiting ticket of these fields now that close;
    returns how many were queued. Needs an app context (run in a background task)."""
    if not enabled() or not field_ids:
        return 0
    asked = select(Ticket).join(NotifyContact, NotifyContact.ticket_id == Ticket.id)
    asked = asked.where(
        NotifyContact.near_sent.is_(False),
        Ticket.office_id == office_id,
        Ticket.service_day == day,
        Ticket.status == TicketStatus.WAITING,
        Ticket.field_id.in_(field_ids),
    )
    limit = near_places()
    # Reads first: the write transaction (on SQLite, the database's write lock) only when a
    # ticket that asked is now close enough.
    close = [t.id for t in db.session.scalars(asked) if ahead_of(t) <= limit]
    db.session.rollback()
    if not close:
        return 0
    told = 0
    with transaction():
        for t in db.session.scalars(select(Ticket).where(Ticket.id.in_(close))):
            ahead = ahead_of(t)
            if t.status == TicketStatus.WAITING and ahead <= limit and ticket_near(t, ahead):
                told += 1
    return told


def after_moves(app: Any, field_ids: set[int], office_id: int, day: date) -> None:
    """The background task lobby.queue.broadcast starts after a commit that moved lines."""
    with app.app_context():
        try:
            tell_the_near(field_ids, office_id, day)
        finally:
            db.session.remove()
