"""End-of-day expiry of tickets never served, and pruning of stored idempotency answers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from core.tickets import OPEN_STATUSES, Action, TicketStatus, next_status
from lobby.context import ctx, office, today
from lobby.extensions import db
from lobby.models import IdempotencyRecord, Ticket
from lobby.queue.tickets import record_event
from lobby.tx import transaction


def expire_stale_tickets() -> int:
    """Tickets still open after their service day close as expired."""
    with transaction():
        o = office()
        day = today(o)
        stale = db.session.scalars(
            select(Ticket).where(
                Ticket.office_id == o.id,
                Ticket.service_day < day,
                Ticket.status.in_([s.value for s in OPEN_STATUSES] + [TicketStatus.NO_SHOW.value]),
            )
        ).all()
        for t in stale:
            before = t.status
            t.status = next_status(TicketStatus(t.status), Action.EXPIRE).value
            t.finished_at = ctx().clock.now()
            record_event(t, "expire", before)
        return len(stale)


def prune_idempotency(max_age: timedelta = timedelta(hours=24)) -> int:
    with transaction():
        cutoff = ctx().clock.now() - max_age
        result = db.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
