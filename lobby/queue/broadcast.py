"""Telling the screens: calls, counter changes and each field's waiting line (line_changed: each
phone works out its own place from it), after the commit (through
lobby.context.publish_after_commit and the Publisher).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select

from core.tickets import TicketStatus
from lobby import events
from lobby.announce import announcement_payload
from lobby.context import ctx, iso, office_ref, publish_after_commit
from lobby.extensions import db, socketio
from lobby.models import Counter, Office, Ticket
from lobby.notify import near, tell
from lobby.notify.settings import enabled as notifying
from lobby.queue.line import (
    LINE_ORDER,
    estimate_inputs,
    eta_minutes,
    phone_key,
    places_at,
    waiting_counts,
)
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
    """queue_changed per field, then line_changed per field (its phones each work out their
    place from it: one message for the field, not one per waiting phone), and ticket_updated to
    the few tickets sent to one counter."""
    listening = events.rooms_with_clients(app)
    with app.app_context():
        try:
            pub = ctx().publisher
            codes = {fid: field_code(fid) for fid in field_ids}
            # With no phone following this field's line on this (only) process, there is nobody
            # to tell: skip reading the whole waiting line, which grows with the lobby.
            heard = {
                fid
                for fid, code in codes.items()
                if code is not None and (listening is None or events.line_room(code) in listening)
            }
            lines = _lines(office_id, day, heard, codes) if heard else []
            phones_here = listening is None or any(
                isinstance(r, str) and r.startswith("ticket:") for r in listening
            )
            sent = _sent_to_counters(office_id, day, listening) if phones_here else []
        finally:
            db.session.remove()  # nothing held while the events go out
        # The phones first: the boards' counts and next numbers take longer to read.
        for code, payload in lines:
            pub.publish(events.LINE_CHANGED, payload, [events.line_room(code)])
        # With several processes: one message on the queue, not one per ticket.
        pub.publish_each(events.TICKET_UPDATED, sent)
        try:
            _publish_counts(pub, field_ids, day)
        finally:
            db.session.remove()


# Orders the line_changed messages of one field: a phone ignores one older than the last it
# applied (two pushes may go out in either order). Milliseconds since the epoch, then a count.
_last_version = [0]


def _next_version() -> int:
    now = time.time_ns() // 1_000_000 * 1000
    _last_version[0] = max(now, _last_version[0] + 1)
    return _last_version[0]


def _lines(
    office_id: int, day: date, field_ids: set[int], codes: dict[int, str | None]
) -> list[tuple[str, dict[str, Any]]]:
    """Each field's line as its phones need it, read in one query (columns only: hundreds may
    wait). `line`: the waiting tickets' opaque keys (phone_key) in call order; `priority`: the
    positions in `line` of the priority tickets (a priority ticket has only the priority
    tickets before it ahead); `counters` and `service_seconds`: the wait estimate's inputs.
    No number, token or personal detail: the keys mean something only to their own phones."""
    rows = db.session.execute(
        select(Ticket.field_id, Ticket.is_priority, Ticket.public_token)
        .where(
            Ticket.office_id == office_id,
            Ticket.service_day == day,
            Ticket.status == TicketStatus.WAITING,
            Ticket.field_id.in_(field_ids),
            Ticket.target_counter_id.is_(None),  # sent to one counter: not in the line
        )
        .order_by(Ticket.field_id, *LINE_ORDER)
    ).all()
    keys: dict[int, list[str]] = {fid: [] for fid in field_ids}
    priority: dict[int, list[int]] = {fid: [] for fid in field_ids}
    for fid, is_priority, token in rows:
        if is_priority:
            priority[fid].append(len(keys[fid]))
        keys[fid].append(phone_key(token))
    version = _next_version()
    out = []
    for fid in sorted(field_ids):
        code = codes[fid]
        assert code is not None
        counters, seconds = estimate_inputs(fid)
        payload = {
            "service": code,
            "version": version,
            "line": keys[fid],
            "priority": priority[fid],
            "counters": counters,
            "service_seconds": seconds,
        }
        out.append((code, payload))
    return out


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
