"""The line: who is waiting where, each ticket's place and wait estimate, and each counter's
call order (core.queueing decides; this module reads what it needs).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select

from core import queueing
from core.access import CounterState
from core.estimate import average_service_seconds, estimate_wait_minutes
from core.tickets import AT_COUNTER_STATUSES, TicketStatus
from lobby.context import ctx
from lobby.extensions import db
from lobby.models import Counter, Office, Ticket, counter_fields
from lobby.queue.reference import counter_fields_ref

# The order of every line (core.queueing.order_key): line time, then sequence number, then id.
# Every read that orders waiting tickets uses it, so call-next, a counter's list, the phones'
# places and the board agree.
LINE_ORDER = (Ticket.line_at, Ticket.seq, Ticket.id)

LineKey = tuple[datetime, int, int]


def line_key(t: Ticket) -> LineKey:
    """A ticket's key in LINE_ORDER (as core.queueing.order_key of its Candidate)."""
    return (t.line_at, t.seq, t.id)


def before_in_line(key: Any) -> ColumnElement[bool]:
    """Tickets ahead of the key (a LineKey, or bind parameters in its place) in LINE_ORDER."""
    line_at, seq, tid = key
    return or_(
        Ticket.line_at < line_at,
        and_(
            Ticket.line_at == line_at,
            or_(Ticket.seq < seq, and_(Ticket.seq == seq, Ticket.id < tid)),
        ),
    )


def after_in_line(key: LineKey) -> ColumnElement[bool]:
    """Tickets behind the key in LINE_ORDER."""
    line_at, seq, tid = key
    return or_(
        Ticket.line_at > line_at,
        and_(
            Ticket.line_at == line_at,
            or_(Ticket.seq > seq, and_(Ticket.seq == seq, Ticket.id > tid)),
        ),
    )


def phone_key(token: str) -> str:
    """A ticket's opaque key in its field's line_changed message: derived from its secret token
    with the server's key, so only its phone (which got it in its snapshot) recognises it, and
    the key tells nothing of the token, the number or the person."""
    return _phone_key(current_app.config["SECRET_KEY"], token)


@functools.lru_cache(maxsize=20_000)
def _phone_key(secret: str | bytes, token: str) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, b"line:" + token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:6]).decode()  # 8 characters, 48 bits


def candidate(t: Any) -> queueing.Candidate:
    """A ticket (or a row with its columns) as the queue rule sees it."""
    return queueing.Candidate(t.id, t.is_priority, t.issued_at, t.seq, t.line_at)


def _waiting_counts_stmt(priority: bool) -> Any:
    key = (
        bindparam("line_at", type_=Ticket.line_at.type),
        bindparam("seq"),
        bindparam("id"),
    )
    before = before_in_line(key)
    before = before & Ticket.target_counter_id.is_(None)  # sent to one counter: not this line
    if priority:
        before = before & Ticket.is_priority
    return select(func.count(), func.count().filter(before)).where(
        Ticket.office_id == bindparam("office"),
        Ticket.service_day == bindparam("day"),
        Ticket.field_id == bindparam("field"),
        Ticket.status == TicketStatus.WAITING,
    )


_AHEAD_AND_WAITING = {flag: _waiting_counts_stmt(flag) for flag in (False, True)}


def waiting_counts(o: Office, day: date) -> dict[int, int]:
    rows = db.session.execute(
        select(Ticket.field_id, func.count())
        .where(
            Ticket.office_id == o.id,
            Ticket.service_day == day,
            Ticket.status == TicketStatus.WAITING,
        )
        .group_by(Ticket.field_id)
    )
    return {fid: n for fid, n in rows}


def ahead_and_waiting(
    office_id: int, day: date, field_id: int, priority: bool, key: LineKey
) -> tuple[int, int]:
    """People before a new ticket in its line, and everyone waiting in its field: one query."""
    line_at, seq, ticket_id = key
    row = db.session.execute(
        _AHEAD_AND_WAITING[priority],
        {
            "office": office_id,
            "day": day,
            "field": field_id,
            "line_at": line_at,
            "seq": seq,
            "id": ticket_id,
        },
    ).one()
    return int(row[1]), int(row[0])


def ahead_of(t: Ticket) -> int:
    """People before this ticket in its field's line (priority tickets only count priority);
    a ticket transferred to one counter: the tickets that counter will call before it."""
    if t.status != TicketStatus.WAITING:
        return 0
    if t.target_counter_id is not None:
        target = db.session.get(Counter, t.target_counter_id)
        if target is not None:
            return _place_at(target, t)
    stmt = select(func.count()).where(
        Ticket.office_id == t.office_id,
        Ticket.service_day == t.service_day,
        Ticket.field_id == t.field_id,
        Ticket.status == TicketStatus.WAITING,
        # Tickets sent to one counter are not in the field's line any more.
        Ticket.target_counter_id.is_(None),
        before_in_line(line_key(t)),
    )
    if t.is_priority:
        stmt = stmt.where(Ticket.is_priority)
    return int(db.session.scalar(stmt) or 0)


def _place_at(c: Counter, t: Ticket) -> int:
    """How many tickets counter c will call before t (its whole call order, as call-next)."""
    o = db.session.get(Office, t.office_id)
    assert o is not None
    places = places_at(c, o, t.service_day)
    return places.get(t.id, len(places))


def places_at(c: Counter, o: Office, day: date) -> dict[int, int]:
    """Each waiting ticket counter c may call, with how many it will call before it."""
    return {t.id: i for i, t in enumerate(counter_order(c, o, day, PLACE_LIMIT))}


PLACE_LIMIT = 10_000  # more than a lobby's day of tickets


def _cached(kind: str, field_id: int, compute: Any) -> float:
    """The wait estimate's inputs change slowly; reading them on every ticket costs two queries."""
    return ctx().estimates.get((kind, field_id), lambda: float(compute(field_id)))


def _avg_service_seconds(field_id: int) -> float:
    rows = db.session.execute(
        select(Ticket.serving_started_at, Ticket.finished_at)
        .where(
            Ticket.field_id == field_id,
            Ticket.status == TicketStatus.DONE,
            Ticket.serving_started_at.is_not(None),
        )
        .order_by(Ticket.finished_at.desc())
        .limit(20)
    )
    durations = [(end - start).total_seconds() for start, end in rows if start and end]
    return average_service_seconds(durations)


def _open_counters_for(field_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Counter)
            .join(counter_fields, counter_fields.c.counter_id == Counter.id)
            .where(
                counter_fields.c.field_id == field_id,
                Counter.state == CounterState.OPEN,
                Counter.active,
            )
        )
        or 0
    )


def estimate_inputs(field_id: int) -> tuple[int, float]:
    """Open counters serving the field and its recent service time (cached, see _cached)."""
    return (
        int(_cached("counters", field_id, _open_counters_for)),
        _cached("service", field_id, _avg_service_seconds),
    )


def eta_minutes(field_id: int, ahead: int) -> int:
    if ahead <= 0:
        return 0
    return estimate_wait_minutes(ahead, *estimate_inputs(field_id))


CURRENT_TICKET = (
    select(Ticket)
    .where(
        Ticket.counter_id == bindparam("counter"),
        Ticket.service_day == bindparam("day"),
        Ticket.status.in_(AT_COUNTER_STATUSES),
    )
    .order_by(Ticket.called_at.desc())
    .limit(1)
)


def current_ticket_of(c: Counter, day: date) -> Ticket | None:
    return db.session.scalar(CURRENT_TICKET, {"counter": c.id, "day": day})


# The tickets a counter may call: waiting in one of its fields and not sent to another counter,
# or sent to this one. Parameters: candidate_params().
CANDIDATES = select(Ticket).where(
    Ticket.office_id == bindparam("office"),
    Ticket.service_day == bindparam("day"),
    Ticket.status == TicketStatus.WAITING,
    or_(
        Ticket.field_id.in_(bindparam("fields", expanding=True))
        & Ticket.target_counter_id.is_(None),
        Ticket.target_counter_id == bindparam("counter"),
    ),
)
# SKIP LOCKED (PostgreSQL): a head another counter is taking right now is skipped, so
# concurrent counters take consecutive tickets instead of racing for the same one.
# Only what the queue rule needs (no ORM object, no eager joins), along ix_tickets_line.
_HEAD = {
    flag: CANDIDATES.with_only_columns(
        Ticket.id, Ticket.is_priority, Ticket.issued_at, Ticket.seq, Ticket.line_at
    )
    .where(Ticket.is_priority.is_(flag))
    .order_by(*LINE_ORDER)
    .limit(1)
    .with_for_update(skip_locked=True, of=Ticket)
    for flag in (True, False)
}


def candidate_params(c: Counter, o: Office, day: date) -> dict[str, Any]:
    field_ids = [fid for fid, _code in counter_fields_ref(c.id)]
    return {"office": o.id, "day": day, "fields": field_ids, "counter": c.id}


def call_heads(c: Counter, o: Office, day: date) -> list[queueing.Candidate]:
    """The oldest waiting ticket of each class: all the queue rule needs to choose."""
    params = candidate_params(c, o, day)
    heads = []
    for flag in (True, False):
        row = db.session.execute(_HEAD[flag], params).first()
        if row is not None:
            heads.append(candidate(row))
    return heads


def normals_served(c: Counter, day: date) -> int:
    return c.normals_since_priority if c.interleave_day == day else queueing.FRESH_COUNTER_NORMALS


def counter_policy(c: Counter, o: Office) -> queueing.CounterPolicy:
    return queueing.CounterPolicy(
        is_priority_counter=c.is_priority,
        interleave_n=o.interleave_n,
        priority_counter_serves_normal=o.priority_counter_serves_normal,
    )


_LINE = {
    flag: CANDIDATES.where(Ticket.is_priority.is_(flag))
    .order_by(*LINE_ORDER)
    .limit(bindparam("limit"))
    for flag in (True, False)
}


def counter_order(c: Counter, o: Office, day: date, limit: int) -> list[Ticket]:
    """The first `limit` tickets in the order call-next will take them at this counter
    (queueing.call_order over the oldest of each line: the rule call_next applies)."""
    params = {**candidate_params(c, o, day), "limit": limit}
    by_id = {t.id: t for flag in (True, False) for t in db.session.scalars(_LINE[flag], params)}
    return _in_call_order(by_id, c, o, day, limit)


_NUMBER_COLUMNS = (
    Ticket.id,
    Ticket.is_priority,
    Ticket.issued_at,
    Ticket.seq,
    Ticket.line_at,
    Ticket.number,
    Ticket.target_counter_id,
)
_WAITING_TODAY = (
    Ticket.office_id == bindparam("office"),
    Ticket.service_day == bindparam("day"),
    Ticket.status == TicketStatus.WAITING,
)
# A field set's own line (tickets sent to no counter), as columns only, per class.
_FIELDS_LINE = {
    flag: select(*_NUMBER_COLUMNS)
    .where(
        *_WAITING_TODAY,
        Ticket.field_id.in_(bindparam("fields", expanding=True)),
        Ticket.target_counter_id.is_(None),
        Ticket.is_priority.is_(flag),
    )
    .order_by(*LINE_ORDER)
    .limit(bindparam("limit"))
    for flag in (True, False)
}
_SENT_TO = select(*_NUMBER_COLUMNS).where(
    *_WAITING_TODAY, Ticket.target_counter_id.in_(bindparam("counters", expanding=True))
)


def counters_next_numbers(
    counters: list[Counter], o: Office, day: date, limit: int
) -> dict[int, list[str]]:
    """counter_order's first `limit` numbers of each counter (by counter id), reading each line
    once: counters serving the same fields share it (the board's next numbers, after every
    change, read it for every open counter), and the tickets sent to one of them come in one
    query. Plain rows, not ORM objects."""
    lines: dict[tuple[int, ...], dict[bool, list[Any]]] = {}
    fields_of: dict[int, tuple[int, ...]] = {}
    for c in counters:
        key = tuple(sorted(fid for fid, _code in counter_fields_ref(c.id)))
        fields_of[c.id] = key
        if key not in lines:
            params = {"office": o.id, "day": day, "fields": list(key), "limit": limit}
            lines[key] = {
                flag: list(db.session.execute(_FIELDS_LINE[flag], params)) for flag in (True, False)
            }
    sent: dict[int, list[Any]] = {}
    if counters:
        params = {"office": o.id, "day": day, "counters": [c.id for c in counters]}
        for r in db.session.execute(_SENT_TO, params):
            sent.setdefault(r.target_counter_id, []).append(r)
    out = {}
    for c in counters:
        by_id: dict[int, Any] = {}
        for flag in (True, False):
            rows = lines[fields_of[c.id]][flag] + [
                r for r in sent.get(c.id, []) if bool(r.is_priority) == flag
            ]
            rows.sort(key=lambda r: queueing.order_key(candidate(r)))
            by_id.update((r.id, r) for r in rows[:limit])
        out[c.id] = [r.number for r in _in_call_order(by_id, c, o, day, limit)]
    return out


def _in_call_order(
    by_id: dict[int, Any], c: Counter, o: Office, day: date, limit: int
) -> list[Any]:
    order = queueing.call_order(
        [candidate(t) for t in by_id.values()],
        counter_policy(c, o),
        normals_served(c, day),
        limit,
    )
    return [by_id[candidate.id] for candidate in order]


def line_times_behind(t: Ticket, limit: int) -> list[datetime]:
    """The line times of the first `limit` waiting tickets after t in its line and of its kind
    (priority tickets among priority ones): its field's line, or the call order of the counter
    it was sent to."""
    if t.target_counter_id is not None:
        target = db.session.get(Counter, t.target_counter_id)
        o = db.session.get(Office, t.office_id)
        assert target is not None and o is not None
        stmt, params = CANDIDATES, candidate_params(target, o, t.service_day)
    else:
        stmt = select(Ticket).where(
            Ticket.office_id == t.office_id,
            Ticket.service_day == t.service_day,
            Ticket.field_id == t.field_id,
            Ticket.status == TicketStatus.WAITING,
            Ticket.target_counter_id.is_(None),
        )
        params = {}
    stmt = (
        stmt.with_only_columns(Ticket.line_at)
        .where(Ticket.is_priority.is_(t.is_priority), after_in_line(line_key(t)))
        .order_by(*LINE_ORDER)
        .limit(limit)
    )
    return list(db.session.scalars(stmt, params))
