"""Telling the screens: calls, counter changes and each waiting phone's new place, after the
commit (through lobby.context.publish_after_commit and the Publisher).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select

from core.estimate import estimate_wait_minutes
from core.tickets import TicketStatus
from lobby import events
from lobby.announce import announcement_payload
from lobby.context import ctx, iso, office_ref, publish_after_commit
from lobby.extensions import db, socketio
from lobby.models import Counter, Office, Ticket
from lobby.notify import near, tell
from lobby.notify.settings import enabled as notifying
from lobby.queue.line import LINE_ORDER, estimate_inputs, eta_minutes, places_at, waiting_counts
from lobby.queue.reference import counter_ref, field_code
from lobby.queue.views import next_numbers, update_payload
from lobby.tx import current_tx


def publish_called(t: Ticket, c: Counter, o: Office, *, recall: bool) -> None:
    payload = {
        "number": t.number,
        "service": t.field.code,
        "counter": counter_ref(c),
        "called_at": iso(t.called_at, o),
        "recall": recall,
        "announcement": announcement_payload(t.number, c.number),
    }
    event = events.TICKET_RECALLED if recall else events.TICKET_CALLED
    rooms = [
        events.service_room(t.field.code),
        events.counter_room(c.number),
        events.ticket_room(t.public_token),
    ]
    publish_after_commit(event, payload, rooms)
    tell.ticket_called(t, c.number, recall=recall)


def publish_positions(field_ids: set[int], o: Office, day: date) -> None:
    """Everyone still waiting in these fields moved up: after the commit, in the background, so
    the officer's answer does not wait for hundreds of phones to be told."""
    if not field_ids:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ids, office_id = set(field_ids), o.id
    tx = current_tx()
    assert tx is not None, "publish only inside a use case"
    tx.after_commit(
        lambda: socketio.start_background_task(_push_positions, app, ids, office_id, day)
    )
    if notifying():  # "N places from your turn" to those who asked (lobby.notify)
        tx.after_commit(
            lambda: socketio.start_background_task(near.after_moves, app, ids, office_id, day)
        )


def _push_positions(app: Any, field_ids: set[int], office_id: int, day: date) -> None:
    """queue_changed per field, then ticket_updated (people ahead, wait) to each waiting phone."""
    listening = events.rooms_with_clients(app)
    # With no phone following a ticket on this (only) process, there is nobody to tell: skip
    # reading the whole waiting line, which grows with the lobby.
    phones_here = listening is None or any(
        isinstance(r, str) and r.startswith("ticket:") for r in listening
    )
    with app.app_context():
        try:
            pub = ctx().publisher
            _publish_counts(pub, field_ids, day)
            if not phones_here:
                return
            # Columns only: hundreds may wait, and no ORM object (or eager join) is needed.
            waiting = db.session.execute(
                select(Ticket.number, Ticket.is_priority, Ticket.field_id, Ticket.public_token)
                .where(
                    Ticket.office_id == office_id,
                    Ticket.service_day == day,
                    Ticket.status == TicketStatus.WAITING,
                    Ticket.field_id.in_(field_ids),
                    Ticket.target_counter_id.is_(None),
                )
                .order_by(Ticket.field_id, *LINE_ORDER)
            ).all()
            sent = _sent_to_counters(office_id, day, listening)
            # The estimate's inputs are per field: read them once, not once per waiting ticket.
            rates = {fid: estimate_inputs(fid) for fid in field_ids}
        finally:
            db.session.remove()  # nothing held while the events go out
        # With several processes: one message on the queue, not one per waiting ticket.
        pub.publish_each(events.TICKET_UPDATED, _places(waiting, rates, listening) + sent)


def publish_counts(field_ids: set[int], day: date) -> None:
    """After the commit, in the background: queue_changed for these fields, with the next
    numbers of every open counter (a new ticket, or a counter opening, may change them)."""
    if not field_ids:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ids = set(field_ids)
    tx = current_tx()
    assert tx is not None, "publish only inside a use case"
    tx.after_commit(lambda: socketio.start_background_task(_push_counts, app, ids, day))


def _push_counts(app: Any, field_ids: set[int], day: date) -> None:
    with app.app_context():
        try:
            _publish_counts(ctx().publisher, field_ids, day)
        finally:
            db.session.remove()


def _publish_counts(pub: Any, field_ids: set[int], day: date) -> None:
    """queue_changed per field: how many wait, and the next numbers each open counter will call
    (the boards show them under the counters' current numbers)."""
    o = office_ref()
    counts = waiting_counts(o, day)
    upcoming = next_numbers(o, day)
    for fid in field_ids:
        code = field_code(fid)
        if code is not None:
            pub.publish(
                events.QUEUE_CHANGED,
                {"service": code, "waiting": counts.get(fid, 0), "next": upcoming},
                [events.service_room(code)],
            )


def _places(
    waiting: Any, rates: dict[int, tuple[int, float]], listening: set[str] | None
) -> list[tuple[str, dict[str, Any]]]:
    """Each waiting phone's place, worked out in one pass over the line (in call order: a
    priority ticket has only the priority tickets before it ahead)."""
    seen_all: dict[int, int] = {}
    seen_priority: dict[int, int] = {}
    places = []
    for t in waiting:
        ahead = (seen_priority if t.is_priority else seen_all).get(t.field_id, 0)
        seen_all[t.field_id] = seen_all.get(t.field_id, 0) + 1
        if t.is_priority:
            seen_priority[t.field_id] = seen_priority.get(t.field_id, 0) + 1
        counters, avg = rates[t.field_id]
        room = events.ticket_room(t.public_token)
        if listening is not None and room not in listening:
            continue  # nobody follows this ticket right now
        eta = estimate_wait_minutes(ahead, counters, avg) if ahead > 0 else 0
        places.append(
            (
                room,
                {
                    "number": t.number,
                    "status": TicketStatus.WAITING.value,
                    "ahead": ahead,
                    "eta_minutes": eta,
                    "counter": None,
                },
            )
        )
    return places


def _sent_to_counters(
    office_id: int, day: date, listening: set[str] | None
) -> list[tuple[str, dict[str, Any]]]:
    """ticket_updated for the waiting tickets sent to one counter (transferred or requeued):
    their place in that counter's call order, read once per counter (usually none: one query)."""
    sent = db.session.scalars(
        select(Ticket).where(
            Ticket.office_id == office_id,
            Ticket.service_day == day,
            Ticket.status == TicketStatus.WAITING,
            Ticket.target_counter_id.is_not(None),
        )
    ).all()
    wanted = [
        t for t in sent if listening is None or events.ticket_room(t.public_token) in listening
    ]
    o = db.session.get(Office, office_id)
    places: dict[int, dict[int, int]] = {}
    out = []
    for t in wanted:
        assert t.target_counter_id is not None and o is not None
        c = db.session.get(Counter, t.target_counter_id)
        if c is None:
            continue
        if c.id not in places:
            places[c.id] = places_at(c, o, day)
        ahead = places[c.id].get(t.id, len(places[c.id]))
        payload = {
            "number": t.number,
            "status": TicketStatus.WAITING.value,
            "ahead": ahead,
            "eta_minutes": eta_minutes(t.field_id, ahead),
            "counter": None,
            "next_counter": counter_ref(c),
        }
        out.append((events.ticket_room(t.public_token), payload))
    return out


def publish_updated(t: Ticket, counter: Counter | None = None) -> None:
    """ticket_updated to the ticket's phone and to the counter it is at (or has just left)."""
    rooms = [events.ticket_room(t.public_token)]
    at = counter or t.counter
    if at is not None:
        rooms.append(events.counter_room(at.number))
    publish_after_commit(events.TICKET_UPDATED, update_payload(t), rooms)
