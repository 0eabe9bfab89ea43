"""Use cases. Each is one transaction; its events are published after the commit."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from core import queueing
from core.errors import Forbidden, IllegalTransition, InvalidRequest, NotFound, QueueEmpty
from core.estimate import average_service_seconds, estimate_wait_minutes
from core.numbering import WorkingWindow as WindowRule
from core.numbering import (
    check_daily_limit,
    display_number,
    ensure_open,
    is_open,
    parse_number,
    session_at,
)
from core.tickets import (
    OPEN_STATUSES,
    PRIORITY_GROUPS,
    Action,
    Outcome,
    TicketStatus,
    next_status,
)
from lobby import events
from lobby.context import (  # noqa: F401  (re-exported until the sweep)
    LobbyContext,
    ctx,
    iso,
    local_now,
    of_this_office,
    office,
    office_ref,
    office_tz,
    publish_after_commit,
    ticket_url,
    today,
    token_url,
)
from lobby.extensions import db
from lobby.inputs import int64
from lobby.models import (
    Counter,
    CounterTakeover,
    Device,
    Field,
    Office,
    Procedure,
    StaffUser,
    Ticket,
    TicketEvent,
    TicketSequence,
    WorkingWindow,
    counter_fields,
)
from lobby.tx import insert_for, transaction

RECENT_CALLS = 10


# --- office, calendar, lookups --------------------------------------------------------------


# Statements on the hot paths are built once: SQLAlchemy then only binds the values, instead of
# building and hashing a new statement on every request (most of a request's CPU).
_WINDOWS = (
    select(WorkingWindow)
    .where(
        WorkingWindow.office_id == bindparam("office"),
        WorkingWindow.purpose == bindparam("purpose"),
    )
    .order_by(WorkingWindow.weekday, WorkingWindow.start)
)
_FIELD = select(Field).where(
    Field.office_id == bindparam("office"), Field.code == bindparam("code")
)
# Rows written on every ticket go through Core: the ORM's unit of work costs more than the row.
_INSERT_TICKET = insert(Ticket.__table__).returning(Ticket.__table__.c.id)
_INSERT_EVENT = insert(TicketEvent.__table__)


@cache
def _take_seq_stmt(dialect: str) -> Any:
    table = TicketSequence.__table__
    return (
        insert_for(dialect)(table)
        .on_conflict_do_update(
            index_elements=["office_id", "field_id", "service_day"],
            set_={"last_seq": table.c.last_seq + 1},
        )
        .returning(table.c.last_seq)
    )


def _waiting_counts_stmt(priority: bool) -> Any:
    issued, tid = bindparam("issued_at", type_=Ticket.issued_at.type), bindparam("id")
    before = or_(Ticket.issued_at < issued, (Ticket.issued_at == issued) & (Ticket.id < tid))
    before = before & Ticket.target_counter_id.is_(None)  # sent to one counter: not this line
    if priority:
        before = before & Ticket.is_priority
    return select(func.count(), func.count().filter(before)).where(
        Ticket.office_id == bindparam("office"),
        Ticket.service_day == bindparam("day"),
        Ticket.field_id == bindparam("field"),
        Ticket.status == "waiting",
    )


_AHEAD_AND_WAITING = {flag: _waiting_counts_stmt(flag) for flag in (False, True)}


def windows(o: Office, purpose: str = "ticketing") -> list[WindowRule]:
    def load() -> tuple[WindowRule, ...]:
        rows = db.session.scalars(_WINDOWS, {"office": o.id, "purpose": purpose})
        return tuple(WindowRule(w.weekday, w.start, w.end, w.purpose) for w in rows)

    return list(ctx().reference.get(("windows", o.id, purpose), load))


def is_day_off(o: Office, day: date) -> bool:
    """A public holiday, compensatory or swapped day off, or a local closure (not a weekend:
    the working windows decide those). The calendar is the national table plus the office's rows."""
    from lobby.workcal import day_entry

    def load() -> bool:
        entry = day_entry(o, day)
        return entry is not None and entry.is_off

    return ctx().reference.get(("day_off", o.id, day), load)


def is_issuing_now(o: Office) -> bool:
    if ctx().open_always:
        return True
    now = local_now(o)
    return is_open(windows(o), now, day_off=is_day_off(o, now.date()))


def field_by_code(o: Office, code: Any) -> Field:
    _check_field_code(code)
    return _active_field(db.session.scalar(_FIELD, {"office": o.id, "code": code}))


def field_ref(o: Any, code: Any) -> Any:
    """An active field's row, read-only and cached like office_ref()."""
    _check_field_code(code)
    table = Field.__table__

    def load() -> Any:
        stmt = select(table).where(table.c.office_id == o.id, table.c.code == code)
        return db.session.execute(stmt).first()

    return _active_field(ctx().reference.get(("field", o.id, code), load))


def field_code(field_id: int) -> str | None:
    """A field's code by its id (cached like field_ref())."""
    return ctx().reference.get(
        ("field_code", field_id),
        lambda: db.session.scalar(select(Field.code).where(Field.id == field_id)),
    )


def _check_field_code(code: Any) -> None:
    if not isinstance(code, str) or not code:
        raise InvalidRequest("Thiếu lĩnh vực (service).", field="service")


def _active_field(found: Any) -> Any:
    if found is None or not found.active:
        raise NotFound("Không có lĩnh vực này.", field="service")
    return found


_COUNTER = select(Counter).where(
    Counter.office_id == bindparam("office"), Counter.number == bindparam("number")
)
_COUNTER_BY_NUMBER = {False: _COUNTER, True: _COUNTER.with_for_update()}


def counter_by_number(o: Office, number: Any, *, lock: bool = False) -> Counter:
    try:
        n = int64(number)
    except (TypeError, ValueError):
        raise InvalidRequest("Số quầy không hợp lệ.", field="counter") from None
    found = db.session.scalar(_COUNTER_BY_NUMBER[lock], {"office": o.id, "number": n})
    if found is None or not found.active:
        raise NotFound(f"Không có quầy số {n}.")
    return found


_TICKET_BY_ID = {
    False: select(Ticket).where(Ticket.id == bindparam("id")),
    True: select(Ticket).where(Ticket.id == bindparam("id")).with_for_update(of=Ticket),
}


def ticket_by_id(ticket_id: int, *, lock: bool = False) -> Ticket:
    found = db.session.scalar(_TICKET_BY_ID[lock], {"id": ticket_id})
    if found is None:
        raise NotFound("Không tìm thấy phiếu.")
    return found


def ticket_by_token(token: str) -> Ticket | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.public_token == token))


def board_field_codes(device: Device | None) -> list[str]:
    """The fields a board (or kiosk) shows: its configured ones, else every active field."""
    o = office_ref()
    codes = list(
        db.session.scalars(
            select(Field.code)
            .where(Field.office_id == o.id, Field.active)
            .order_by(Field.sort_order)
        )
    )
    wanted = (device.settings or {}).get("fields") if device is not None else None
    return [c for c in codes if c in wanted] if wanted else codes


# --- counts and estimates -------------------------------------------------------------------


def waiting_counts(o: Office, day: date) -> dict[int, int]:
    rows = db.session.execute(
        select(Ticket.field_id, func.count())
        .where(Ticket.office_id == o.id, Ticket.service_day == day, Ticket.status == "waiting")
        .group_by(Ticket.field_id)
    )
    return {fid: n for fid, n in rows}


def _ahead_and_waiting(
    office_id: int, day: date, field_id: int, priority: bool, issued_at: datetime, ticket_id: int
) -> tuple[int, int]:
    """People before a new ticket in its line, and everyone waiting in its field: one query."""
    row = db.session.execute(
        _AHEAD_AND_WAITING[priority],
        {
            "office": office_id,
            "day": day,
            "field": field_id,
            "issued_at": issued_at,
            "id": ticket_id,
        },
    ).one()
    return int(row[1]), int(row[0])


def _ahead(t: Ticket) -> int:
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
        Ticket.status == "waiting",
        # Tickets sent to one counter are not in the field's line any more.
        Ticket.target_counter_id.is_(None),
        or_(Ticket.issued_at < t.issued_at, (Ticket.issued_at == t.issued_at) & (Ticket.id < t.id)),
    )
    if t.is_priority:
        stmt = stmt.where(Ticket.is_priority)
    return int(db.session.scalar(stmt) or 0)


def _place_at(c: Counter, t: Ticket) -> int:
    """How many tickets counter c will call before t (its whole call order, as call-next)."""
    o = db.session.get(Office, t.office_id)
    assert o is not None
    places = _places_at(c, o, t.service_day)
    return places.get(t.id, len(places))


def _places_at(c: Counter, o: Office, day: date) -> dict[int, int]:
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
            Ticket.status == "done",
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
            .where(counter_fields.c.field_id == field_id, Counter.state == "open", Counter.active)
        )
        or 0
    )


def _estimate_inputs(field_id: int) -> tuple[int, float]:
    """Open counters serving the field and its recent service time (cached, see _cached)."""
    return (
        int(_cached("counters", field_id, _open_counters_for)),
        _cached("service", field_id, _avg_service_seconds),
    )


def eta_minutes(field_id: int, ahead: int) -> int:
    if ahead <= 0:
        return 0
    return estimate_wait_minutes(ahead, *_estimate_inputs(field_id))


# --- views (plain dicts: the API's shapes) ---------------------------------------------------


def counter_ref(c: Counter | None) -> dict[str, Any] | None:
    return None if c is None else {"number": c.number, "name": c.name}


def staff_ticket_view(t: Ticket, o: Office | None = None) -> dict[str, Any]:
    o = o or office_ref()
    return {
        "id": t.id,
        "number": t.number,
        "service": t.field.code,
        "service_name": t.field.name_vi,
        "status": t.status,
        "priority": t.is_priority,
        "issued_at": iso(t.issued_at, o),
        "called_at": iso(t.called_at, o),
        "serving_started_at": iso(t.serving_started_at, o),
        "counter": counter_ref(t.counter),
        "recall_count": t.recall_count,
        "outcome": t.outcome,
    }


def public_ticket_view(t: Ticket, o: Office | None = None) -> dict[str, Any]:
    """What a phone may see of a ticket: no personal data, no priority reason."""
    o = o or office_ref()
    return {
        **_update_payload(t),
        "service": t.field.code,
        "service_name": t.field.name_vi,
        "called_at": iso(t.called_at, o),
        "issued_at": iso(t.issued_at, o),
        "service_day": t.service_day.isoformat(),
        "dossier": _public_dossier_of(t, o),
        "rated": _is_rated(t),
    }


def _is_rated(t: Ticket) -> bool:
    from lobby.models import Rating

    return db.session.scalar(select(Rating.id).where(Rating.ticket_id == t.id)) is not None


def _public_dossier_of(t: Ticket, o: Office) -> dict[str, Any] | None:
    """Once a dossier is accepted from this ticket, the same QR shows the dossier."""
    from lobby.dossiers import dossier_of_ticket, public_dossier_view

    d = dossier_of_ticket(t)
    return None if d is None else public_dossier_view(d, o)


def _update_payload(t: Ticket) -> dict[str, Any]:
    """A ticket's live part (ticket_updated): its place in the line, wait, counter, and where
    it waits after a transfer (its field, and the counter it was sent to)."""
    ahead = _ahead(t)
    waiting = t.status == "waiting"
    return {
        "number": t.number,
        "status": t.status,
        "ahead": ahead,
        "eta_minutes": eta_minutes(t.field_id, ahead) if waiting else 0,
        "counter": counter_ref(t.counter) if t.status in ("called", "serving", "no_show") else None,
        "service": t.field.code,
        "service_name": t.field.name_vi,
        "next_counter": counter_ref(db.session.get(Counter, t.target_counter_id))
        if waiting and t.target_counter_id is not None
        else None,
    }


# --- issuing ----------------------------------------------------------------------------------


def _take_seq(office_id: int, field_id: int, day: date) -> int:
    """The next number of the (office, field, day) series, by one atomic upsert."""
    conn = db.session.connection()
    return int(
        conn.execute(
            _take_seq_stmt(conn.dialect.name),
            {"office_id": office_id, "field_id": field_id, "service_day": day, "last_seq": 1},
        ).scalar_one()
    )


def _record(
    t: Ticket,
    action: str,
    before: str | None,
    *,
    staff: StaffUser | None = None,
    counter: Counter | None = None,
    device: Device | None = None,
    **detail: Any,
) -> None:
    _record_row(
        t.id,
        action,
        before,
        t.status,
        staff_id=staff.id if staff else None,
        counter_id=counter.id if counter else None,
        device_id=device.id if device else None,
        detail=detail,
    )


def _record_row(
    ticket_id: int,
    action: str,
    before: str | None,
    after: str,
    *,
    staff_id: int | None = None,
    counter_id: int | None = None,
    device_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One line of a ticket's history (Core insert: the ticket row is already written)."""
    db.session.connection().execute(
        _INSERT_EVENT,
        {
            "ticket_id": ticket_id,
            "at": ctx().clock.now(),
            "action": action,
            "from_status": before,
            "to_status": after,
            "counter_id": counter_id,
            "staff_id": staff_id,
            "device_id": device_id,
            "detail": detail or {},
        },
    )


def issue_ticket(service: Any, priority: Any, *, device: Device | None = None) -> dict[str, Any]:
    """Take the next number of the field for today, unless outside hours or over the daily limit."""
    if priority is not None and priority not in PRIORITY_GROUPS:
        raise InvalidRequest(
            "Nhóm ưu tiên không hợp lệ.", field="priority", allowed=list(PRIORITY_GROUPS)
        )
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
        seq = _take_seq(o.id, f.id, day)
        check_daily_limit(seq - 1, f.daily_ticket_limit)
        token = secrets.token_urlsafe(18)
        issued_at = ctx().clock.now()
        is_priority = priority is not None
        number = display_number(f.ticket_prefix, seq, o.number_format)
        part_of_day = session_at(office_windows, now_local, day_off=day_off)
        ticket_id = (
            db.session.connection()
            .execute(
                _INSERT_TICKET,
                {
                    "office_id": o.id,
                    "service_day": day,
                    "issue_field_id": f.id,
                    "field_id": f.id,
                    "seq": seq,
                    "number": number,
                    "session": part_of_day,
                    "is_priority": is_priority,
                    "priority_group": priority,
                    "status": TicketStatus.WAITING.value,
                    "public_token": token,
                    "issued_at": issued_at,
                    "device_id": device.id if device else None,
                },
            )
            .scalar_one()
        )
        _record_row(ticket_id, "issue", None, "waiting", device_id=device.id if device else None)
        ahead, waiting = _ahead_and_waiting(o.id, day, f.id, is_priority, issued_at, ticket_id)
        result = {
            "id": ticket_id,
            "number": number,
            "token": token,
            "url": token_url(token),
            "service": f.code,
            "service_name": f.name_vi,
            "priority": is_priority,
            "issued_at": iso(issued_at, o),
            "session": part_of_day,
            "ahead": ahead,
            "eta_minutes": eta_minutes(f.id, ahead),
            "print": {"status": "none"},
        }
        rooms = [events.service_room(f.code)]
        pub = ctx().publisher
        tx.after_commit(
            lambda: pub.publish(
                events.TICKET_ISSUED,
                {"number": result["number"], "service": f.code, "waiting": waiting},
                rooms,
            )
        )
        tx.after_commit(
            lambda: pub.publish(
                events.QUEUE_CHANGED, {"service": f.code, "waiting": waiting}, rooms
            )
        )
        printing = ctx().printing
        if printing is not None and device is not None and device.printer_url:
            t = db.session.get_one(Ticket, ticket_id)
            result["print"] = printing.enqueue_ticket(t, t.field, office(), device, ahead=ahead)
    return result


# --- counters -------------------------------------------------------------------------------


def may_operate(user: StaffUser, c: Counter) -> bool:
    """Leaders and admins may act at any counter; an officer at their own or the one they hold."""
    return user.role in ("admin", "leader") or c.id in (user.counter_id,) or c.staff_id == user.id


def counter_for_staff(user: StaffUser, number: int, *, lock: bool = False) -> Counter:
    c = counter_by_number(office_ref(), number, lock=lock)
    if not may_operate(user, c):
        raise Forbidden(f"Tài khoản này không được phân công tại quầy số {c.number}.")
    return c


_CURRENT_TICKET = (
    select(Ticket)
    .where(
        Ticket.counter_id == bindparam("counter"),
        Ticket.service_day == bindparam("day"),
        Ticket.status.in_(["called", "serving"]),
    )
    .order_by(Ticket.called_at.desc())
    .limit(1)
)


def _current_ticket(c: Counter, day: date) -> Ticket | None:
    return db.session.scalar(_CURRENT_TICKET, {"counter": c.id, "day": day})


# The tickets a counter may call: waiting in one of its fields and not sent to another counter,
# or sent to this one. Parameters: _candidate_params().
_CANDIDATES = select(Ticket).where(
    Ticket.office_id == bindparam("office"),
    Ticket.service_day == bindparam("day"),
    Ticket.status == "waiting",
    or_(
        Ticket.field_id.in_(bindparam("fields", expanding=True))
        & Ticket.target_counter_id.is_(None),
        Ticket.target_counter_id == bindparam("counter"),
    ),
)
_COUNTER_FIELDS = (
    select(Field.id, Field.code)
    .join(counter_fields, counter_fields.c.field_id == Field.id)
    .where(counter_fields.c.counter_id == bindparam("counter"))
    .order_by(Field.sort_order, Field.id)
)


def counter_fields_ref(counter_id: int) -> tuple[tuple[int, str], ...]:
    """(id, code) of the fields a counter serves, in display order (cached like field_ref())."""
    return ctx().reference.get(
        ("counter_fields", counter_id),
        lambda: tuple(
            (row.id, row.code)
            for row in db.session.execute(_COUNTER_FIELDS, {"counter": counter_id})
        ),
    )


# SKIP LOCKED (PostgreSQL): a head another counter is taking right now is skipped, so
# concurrent counters take consecutive tickets instead of racing for the same one.
# Only what the queue rule needs (no ORM object, no eager joins), along ix_tickets_line.
_HEAD = {
    flag: _CANDIDATES.with_only_columns(Ticket.id, Ticket.is_priority, Ticket.issued_at, Ticket.seq)
    .where(Ticket.is_priority.is_(flag))
    .order_by(Ticket.issued_at, Ticket.seq, Ticket.id)
    .limit(1)
    .with_for_update(skip_locked=True, of=Ticket)
    for flag in (True, False)
}


def _candidate_params(c: Counter, o: Office, day: date) -> dict[str, Any]:
    field_ids = [fid for fid, _code in counter_fields_ref(c.id)]
    return {"office": o.id, "day": day, "fields": field_ids, "counter": c.id}


def _heads(c: Counter, o: Office, day: date) -> list[queueing.Candidate]:
    """The oldest waiting ticket of each class: all the queue rule needs to choose."""
    params = _candidate_params(c, o, day)
    heads = []
    for flag in (True, False):
        row = db.session.execute(_HEAD[flag], params).first()
        if row is not None:
            heads.append(queueing.Candidate(row.id, row.is_priority, row.issued_at, row.seq))
    return heads


def _counter_normals(c: Counter, day: date) -> int:
    return c.normals_since_priority if c.interleave_day == day else queueing.FRESH_COUNTER_NORMALS


def _policy(c: Counter, o: Office) -> queueing.CounterPolicy:
    return queueing.CounterPolicy(
        is_priority_counter=c.is_priority,
        interleave_n=o.interleave_n,
        priority_counter_serves_normal=o.priority_counter_serves_normal,
    )


_LINE = {
    flag: _CANDIDATES.where(Ticket.is_priority.is_(flag))
    .order_by(Ticket.issued_at, Ticket.seq, Ticket.id)
    .limit(bindparam("limit"))
    for flag in (True, False)
}


def counter_order(c: Counter, o: Office, day: date, limit: int) -> list[Ticket]:
    """The first `limit` tickets in the order call-next will take them at this counter
    (queueing.call_order over the oldest of each line: the rule call_next applies)."""
    params = {**_candidate_params(c, o, day), "limit": limit}
    by_id = {t.id: t for flag in (True, False) for t in db.session.scalars(_LINE[flag], params)}
    order = queueing.call_order(
        [queueing.Candidate(t.id, t.is_priority, t.issued_at, t.seq) for t in by_id.values()],
        _policy(c, o),
        _counter_normals(c, day),
        limit,
    )
    return [by_id[candidate.id] for candidate in order]


def _publish_called(t: Ticket, c: Counter, o: Office, *, recall: bool) -> None:
    from lobby.announce import announcement_payload

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


def _publish_positions(field_ids: set[int], o: Office, day: date) -> None:
    """Everyone still waiting in these fields moved up: after the commit, in the background, so
    the officer's answer does not wait for hundreds of phones to be told."""
    if not field_ids:
        return
    from lobby.extensions import socketio
    from lobby.tx import current_tx

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ids, office_id = set(field_ids), o.id
    tx = current_tx()
    assert tx is not None, "publish only inside a use case"
    tx.after_commit(
        lambda: socketio.start_background_task(_push_positions, app, ids, office_id, day)
    )


def _push_positions(app: Any, field_ids: set[int], office_id: int, day: date) -> None:
    """queue_changed per field, then ticket_updated (people ahead, wait) to each waiting phone."""
    listening = _rooms_with_clients(app)
    # With no phone following a ticket on this (only) process, there is nobody to tell: skip
    # reading the whole waiting line, which grows with the lobby.
    phones_here = listening is None or any(
        isinstance(r, str) and r.startswith("ticket:") for r in listening
    )
    with app.app_context():
        try:
            pub = ctx().publisher
            counts = waiting_counts(office_ref(), day)
            for fid in field_ids:
                code = field_code(fid)
                if code is not None:
                    pub.publish(
                        events.QUEUE_CHANGED,
                        {"service": code, "waiting": counts.get(fid, 0)},
                        [events.service_room(code)],
                    )
            if not phones_here:
                return
            # Columns only: hundreds may wait, and no ORM object (or eager join) is needed.
            waiting = db.session.execute(
                select(Ticket.number, Ticket.is_priority, Ticket.field_id, Ticket.public_token)
                .where(
                    Ticket.office_id == office_id,
                    Ticket.service_day == day,
                    Ticket.status == "waiting",
                    Ticket.field_id.in_(field_ids),
                    Ticket.target_counter_id.is_(None),
                )
                .order_by(Ticket.field_id, Ticket.issued_at, Ticket.id)
            ).all()
            sent = _sent_to_counters(office_id, day, listening)
            # The estimate's inputs are per field: read them once, not once per waiting ticket.
            rates = {fid: _estimate_inputs(fid) for fid in field_ids}
        finally:
            db.session.remove()  # nothing held while the events go out
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
            places.append(
                (
                    room,
                    {
                        "number": t.number,
                        "status": "waiting",
                        "ahead": ahead,
                        "eta_minutes": estimate_wait_minutes(ahead, counters, avg)
                        if ahead > 0
                        else 0,
                        "counter": None,
                    },
                )
            )
        # With several processes: one message on the queue, not one per waiting ticket.
        pub.publish_each(events.TICKET_UPDATED, places + sent)


def _sent_to_counters(
    office_id: int, day: date, listening: set[str] | None
) -> list[tuple[str, dict[str, Any]]]:
    """ticket_updated for the waiting tickets sent to one counter (transferred or requeued):
    their place in that counter's call order, read once per counter (usually none: one query)."""
    sent = db.session.scalars(
        select(Ticket).where(
            Ticket.office_id == office_id,
            Ticket.service_day == day,
            Ticket.status == "waiting",
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
            places[c.id] = _places_at(c, o, day)
        ahead = places[c.id].get(t.id, len(places[c.id]))
        payload = {
            "number": t.number,
            "status": "waiting",
            "ahead": ahead,
            "eta_minutes": eta_minutes(t.field_id, ahead),
            "counter": None,
            "next_counter": counter_ref(c),
        }
        out.append((events.ticket_room(t.public_token), payload))
    return out


def _rooms_with_clients(app: Any) -> set[str] | None:
    """Rooms with a client on this process, when this process is the only one (no message
    queue); None when other processes may hold clients too, so every room must be told."""
    if app.config.get("SOCKETIO_MESSAGE_QUEUE"):
        return None
    from lobby.extensions import socketio

    try:
        return set(socketio.server.manager.rooms.get("/", {}))
    except AttributeError:  # no Socket.IO server (CLI)
        return None


def _publish_updated(t: Ticket, counter: Counter | None = None) -> None:
    """ticket_updated to the ticket's phone and to the counter it is at (or has just left)."""
    rooms = [events.ticket_room(t.public_token)]
    at = counter or t.counter
    if at is not None:
        rooms.append(events.counter_room(at.number))
    publish_after_commit(events.TICKET_UPDATED, _update_payload(t), rooms)


def _call(t: Ticket, c: Counter, user: StaffUser | None, o: Office, day: date, how: str) -> None:
    before = t.status
    next_status(TicketStatus(t.status), Action.CALL)
    values = {
        "status": "called",
        "counter_id": c.id,
        "staff_id": user.id if user else None,
        "called_at": ctx().clock.now(),
        "target_counter_id": None,
    }
    # A conditional update: if another counter took this ticket first, nothing changes here.
    if not _write_ticket(t, values, only_if="waiting"):
        raise _Raced()
    c.normals_since_priority = queueing.normals_after_call(
        queueing.Candidate(t.id, t.is_priority, t.issued_at, t.seq), _counter_normals(c, day)
    )
    c.interleave_day = day
    _record(t, how, before, staff=user, counter=c)
    _publish_called(t, c, o, recall=False)
    _publish_updated(t)
    _publish_positions({t.field_id}, o, day)


_TICKETS = Ticket.__table__


@cache
def _ticket_update(columns: tuple[str, ...], only_if: str | None = None) -> Any:
    """UPDATE tickets SET <columns> WHERE id = :ticket [AND status = only_if], built once."""
    stmt = update(_TICKETS).where(_TICKETS.c.id == bindparam("ticket"))
    if only_if is not None:
        stmt = stmt.where(_TICKETS.c.status == only_if)
    return stmt.values({name: bindparam(name, type_=_TICKETS.c[name].type) for name in columns})


def _write_ticket(t: Ticket, values: dict[str, Any], *, only_if: str | None = None) -> bool:
    """Write a ticket's changed columns with one Core UPDATE (no unit of work) and tell the
    loaded object; False when `only_if` no longer holds (another counter was first)."""
    done = db.session.connection().execute(
        _ticket_update(tuple(values), only_if), {"ticket": t.id, **values}
    )
    if done.rowcount != 1:
        return False
    for key, value in values.items():
        set_committed_value(t, key, value)
    if "counter_id" in values:
        set_committed_value(
            t,
            "counter",
            None if values["counter_id"] is None else db.session.get(Counter, values["counter_id"]),
        )
    return True


class _Raced(Exception):
    """Another counter called the chosen ticket between our read and our update."""


_CURRENT_NUMBER = _CURRENT_TICKET.with_only_columns(Ticket.number)


def hand_back_transfers(c: Counter, o: Office, day: date) -> None:
    """Tickets sent to this counter alone (transferred there, or back after a no-show) go back
    to their field's line when it closes or is taken out of use, where every counter of the
    field can call them; their phones are told their new place."""
    fields = set(
        db.session.scalars(
            select(Ticket.field_id).where(
                Ticket.target_counter_id == c.id,
                Ticket.status == "waiting",
                Ticket.service_day == day,
            )
        )
    )
    if not fields:
        return
    db.session.execute(
        update(Ticket)
        .where(
            Ticket.target_counter_id == c.id,
            Ticket.status == "waiting",
            Ticket.service_day == day,
        )
        .values(target_counter_id=None)
    )
    _publish_positions(fields, o, day)


def ensure_counter_free(c: Counter, day: date) -> None:
    current = db.session.scalar(_CURRENT_NUMBER, {"counter": c.id, "day": day})
    if current is not None:
        raise IllegalTransition(
            f"Quầy {c.number} đang giữ số {current}. "
            "Hãy hoàn thành, đánh dấu vắng mặt hoặc chuyển quầy trước khi gọi số mới.",
            ticket=current,
        )


def call_next(counter_number: int, user: StaffUser) -> dict[str, Any]:
    """Call the next ticket by the queue-order rule; one ticket never goes to two counters."""
    for _attempt in range(20):
        try:
            with transaction():
                o = office_ref()
                day = today(o)
                c = counter_for_staff(user, counter_number, lock=True)
                ensure_counter_free(c, day)
                heads = _heads(c, o, day)
                chosen = queueing.choose_next(heads, _policy(c, o), _counter_normals(c, day))
                if chosen is None:
                    raise QueueEmpty("Không còn số nào đang chờ tại quầy này.")
                t = ticket_by_id(chosen.id)
                _call(t, c, user, o, day, "call")
                return {"ticket": staff_ticket_view(t, o)}
        except _Raced:
            continue
    raise IllegalTransition("Quầy khác vừa gọi số này, vui lòng thử lại.")


def call_number(counter_number: int, number: Any, user: StaffUser) -> dict[str, Any]:
    """Call one waiting ticket by its number (logged as a manual call)."""
    if not isinstance(number, str):
        raise InvalidRequest("Thiếu số cần gọi (number).", field="number")
    prefix, seq = parse_number(number)
    with transaction():
        o = office_ref()
        day = today(o)
        c = counter_for_staff(user, counter_number, lock=True)
        ensure_counter_free(c, day)
        t = db.session.scalar(
            select(Ticket)
            .join(Field, Field.id == Ticket.issue_field_id)
            .where(
                Ticket.office_id == o.id,
                Ticket.service_day == day,
                Field.ticket_prefix == prefix,
                Ticket.seq == seq,
            )
        )
        if t is None:
            raise NotFound(f"Không có số {number} trong ngày hôm nay.")
        if t.status != "waiting":
            next_status(TicketStatus(t.status), Action.CALL)
        try:
            _call(t, c, user, o, day, "call_specific")
        except _Raced:
            raise IllegalTransition(f"Số {t.number} vừa được quầy khác gọi.") from None
        return {"ticket": staff_ticket_view(t, o)}


def _ticket_at_counter(ticket_id: int, user: StaffUser) -> tuple[Ticket, Counter | None, Office]:
    o = office_ref()
    t = ticket_by_id(ticket_id, lock=True)
    if t.office_id != o.id:
        raise NotFound("Không tìm thấy phiếu.")
    c = t.counter
    if c is not None:
        if not may_operate(user, c):
            raise Forbidden(f"Số {t.number} đang ở quầy {c.number}, không thuộc tài khoản này.")
    elif user.role not in ("admin", "leader") and user.counter_id is None:
        raise Forbidden("Tài khoản này chưa được phân công quầy.")
    return t, c, o


def _act(ticket_id: int, user: StaffUser, action: Action, **kw: Any) -> dict[str, Any]:
    with transaction():
        t, c, o = _ticket_at_counter(ticket_id, user)
        before = t.status
        outcome = kw.get("outcome")
        new = next_status(TicketStatus(t.status), action, outcome=outcome)
        now = ctx().clock.now()
        day = t.service_day
        values: dict[str, Any] = {"status": new.value}
        if action is Action.RECALL:
            values |= {"recall_count": t.recall_count + 1, "called_at": now}
        elif action is Action.START:
            values["serving_started_at"] = now
        elif action is Action.FINISH:
            assert outcome is not None  # next_status refuses a finish without one
            _check_outcome_fits_dossier(t, outcome)
            values |= {"outcome": outcome.value, "finished_at": now}
        elif action in (Action.NO_SHOW, Action.CANCEL):
            values["finished_at"] = now
        elif action is Action.REQUEUE:
            values |= {
                "finished_at": None,
                "called_at": None,
                "counter_id": None,
                "target_counter_id": c.id if c is not None else None,
            }
        _write_ticket(t, values)
        _record(t, action.value, before, staff=user, counter=c, **kw.get("detail", {}))
        if action is Action.RECALL and c is not None:
            _publish_called(t, c, o, recall=True)
        _publish_updated(t, c)
        if action in (Action.REQUEUE,):
            _publish_positions({t.field_id}, o, day)
        if c is not None and action in (Action.FINISH, Action.NO_SHOW, Action.CANCEL):
            publish_after_commit(
                events.COUNTER_CHANGED,
                counter_view(c, o, day, free=True),
                [events.LOBBY_ROOM, events.counter_room(c.number)],
            )
        return {"ticket": staff_ticket_view(t, o)}


def recall(ticket_id: int, user: StaffUser) -> dict[str, Any]:
    return _act(ticket_id, user, Action.RECALL)


def start(ticket_id: int, user: StaffUser) -> dict[str, Any]:
    return _act(ticket_id, user, Action.START)


def finish(ticket_id: int, outcome: Any, user: StaffUser) -> dict[str, Any]:
    try:
        value = Outcome(outcome)
    except ValueError:
        raise InvalidRequest(
            "Kết quả phục vụ (outcome) không hợp lệ.",
            field="outcome",
            allowed=[o.value for o in Outcome],
        ) from None
    return _act(ticket_id, user, Action.FINISH, outcome=value, detail={"outcome": value.value})


# With a dossier accepted from the ticket, the visit ended in that dossier (or in its result
# returned on the spot, DOMAIN §2): "guided only", "supplement guidance" (intake, no dossier)
# and "refused" would count a dossier as not received.
CONTRADICT_DOSSIER = frozenset({Outcome.GUIDED_ONLY, Outcome.SUPPLEMENT_GUIDANCE, Outcome.REFUSED})


def _check_outcome_fits_dossier(t: Ticket, outcome: Outcome) -> None:
    if outcome not in CONTRADICT_DOSSIER:
        return
    from lobby.dossiers import dossier_of_ticket

    d = dossier_of_ticket(t)
    if d is not None:
        raise IllegalTransition(
            f"Số {t.number} đã được tiếp nhận hồ sơ {d.code}: hãy chọn kết quả "
            "“Tiếp nhận hồ sơ” (hoặc “Trả kết quả” nếu đã trả ngay).",
            dossier=d.code,
            allowed=[Outcome.DOSSIER_ACCEPTED.value, Outcome.RESULT_RETURNED.value],
        )


def no_show(ticket_id: int, user: StaffUser) -> dict[str, Any]:
    return _act(ticket_id, user, Action.NO_SHOW)


def requeue(ticket_id: int, user: StaffUser) -> dict[str, Any]:
    return _act(ticket_id, user, Action.REQUEUE)


def cancel(ticket_id: int, user: StaffUser) -> dict[str, Any]:
    return _act(ticket_id, user, Action.CANCEL)


TRANSFER_NOTE_MAX = 200


def _holds(user: StaffUser, c: Counter) -> bool:
    """The officer works at this counter now: holds it, or it is theirs and nobody holds it."""
    return c.staff_id == user.id or (c.staff_id is None and c.id == user.counter_id)


def transfer(ticket_id: int, body: dict[str, Any], user: StaffUser) -> dict[str, Any]:
    """Back to waiting for another field or counter, keeping the number and the issue time."""
    service, counter = body.get("service"), body.get("counter")
    if (service is None) == (counter is None):
        raise InvalidRequest(
            "Chọn đúng một nơi chuyển đến: lĩnh vực (service) hoặc quầy (counter)."
        )
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise InvalidRequest("Ghi chú (note) phải là chuỗi.", field="note")
    note = " ".join((note or "").split())
    if len(note) > TRANSFER_NOTE_MAX:
        raise InvalidRequest(
            f"Ghi chú chuyển số tối đa {TRANSFER_NOTE_MAX} ký tự.",
            field="note",
            max_length=TRANSFER_NOTE_MAX,
        )
    with transaction():
        t, c, o = _ticket_at_counter(ticket_id, user)
        if user.role not in ("admin", "leader") and (c is None or not _holds(user, c)):
            raise Forbidden(
                f"Chỉ chuyển được số đang ở quầy của mình; số {t.number} không ở quầy "
                "tài khoản này đang giữ."
            )
        before = t.status
        t.status = next_status(TicketStatus(t.status), Action.TRANSFER).value
        old_field = t.field_id
        detail: dict[str, Any] = {"note": note} if note else {}
        if service is not None:
            f = field_by_code(o, service)
            t.field_id = f.id
            t.target_counter_id = None
            detail["to_service"] = f.code
        else:
            target = counter_by_number(o, counter)
            if c is not None and target.id == c.id:
                raise InvalidRequest("Không thể chuyển về chính quầy đang phục vụ.")
            if target.state != "open":
                state = "đang tạm nghỉ" if target.state == "paused" else "đã đóng"
                raise IllegalTransition(
                    f"Quầy {target.number} {state}, không nhận số chuyển đến. "
                    "Hãy chọn quầy đang mở hoặc chuyển sang lĩnh vực.",
                    counter=target.number,
                    counter_state=target.state,
                )
            t.target_counter_id = target.id
            detail["to_counter"] = target.number
        t.counter_id = None
        t.called_at = None
        t.serving_started_at = None
        _record(t, "transfer", before, staff=user, counter=c, **detail)
        db.session.flush()
        db.session.refresh(t)
        # The phone, and the counter it was sent to (its console lists it at once, even when
        # the counter does not serve the ticket's field).
        _publish_updated(t, db.session.get(Counter, t.target_counter_id) if counter else None)
        _publish_positions({old_field, t.field_id}, o, t.service_day)
        if c is not None:
            publish_after_commit(
                events.COUNTER_CHANGED,
                counter_view(c, o, t.service_day),
                [events.LOBBY_ROOM, events.counter_room(c.number)],
            )
        return {"ticket": staff_ticket_view(t, o)}


def set_counter_state(
    counter_number: int, user: StaffUser, state: str, *, reason: str = "", force: bool = False
) -> dict[str, Any]:
    """Open (take), pause, resume or close a counter; taking one held by another needs force."""
    with transaction():
        o = office_ref()
        c = counter_by_number(o, counter_number, lock=True)
        if state == "open" and c.staff_id not in (None, user.id) and c.state != "closed":
            holder = db.session.get(StaffUser, c.staff_id)
            if not force:
                raise IllegalTransition(
                    f"Quầy {c.number} đang được {holder.full_name if holder else 'cán bộ khác'} sử dụng.",
                    held_by=holder.username if holder else None,
                )
            # Taken with force from the officer who held it: the leader sees who took it.
            db.session.add(
                CounterTakeover(
                    office_id=o.id,
                    counter_number=c.number,
                    by_user_id=user.id,
                    from_user_id=c.staff_id,
                    at=ctx().clock.now(),
                )
            )
        if state == "open":
            if user.role == "officer" and user.counter_id not in (None, c.id) and not force:
                raise Forbidden(
                    f"Tài khoản này được phân công quầy khác, không phải quầy {c.number}."
                )
            c.staff_id = user.id
        elif not may_operate(user, c):
            raise Forbidden(f"Tài khoản này không được phân công tại quầy số {c.number}.")
        if state == "paused":
            c.pause_reason = reason[:255]
        elif state in ("open", "closed"):
            c.pause_reason = ""
        day = today(o)
        if state == "closed":
            c.staff_id = None
            hand_back_transfers(c, o, day)
        c.state = state
        view = counter_view(c, o, day)
        publish_after_commit(
            events.COUNTER_CHANGED, view, [events.LOBBY_ROOM, events.counter_room(c.number)]
        )
        return {"counter": view}


def counter_view(c: Counter, o: Office, day: date, *, free: bool = False) -> dict[str, Any]:
    """What a counter holds now. `free`: the caller has just closed the counter's one ticket,
    so it holds none. Boards derive their callout from `state`, `current` and
    `current_called_at` (see board_callout()), in the snapshot and on every counter_changed."""
    current = None if free else _current_ticket(c, day)
    return {
        "counter": c.number,
        "number": c.number,
        "name": c.name,
        "services": [code for _fid, code in counter_fields_ref(c.id)],
        "priority": c.is_priority,
        "state": c.state,
        "pause_reason": c.pause_reason if c.state == "paused" else "",
        "current": current.number if current else None,
        # To the microsecond: two counters often call in the same second, and which call is the
        # newest must not depend on who breaks the tie (the server or a board).
        "current_called_at": iso(current.called_at, o, "microseconds") if current else None,
    }


def board_callout(counters: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The call a board shows as "Mời số … đến quầy …": the newest call that an open counter
    still holds. A counter that finished, transferred or marked its number absent, or that is
    paused or closed, invites nobody. `counters` are counter_view()s."""
    held = [
        c
        for c in counters
        if c["state"] == "open" and c["current"] is not None and c["current_called_at"]
    ]
    if not held:
        return None
    c = max(held, key=lambda c: (datetime.fromisoformat(c["current_called_at"]), -c["number"]))
    return {
        "number": c["current"],
        "counter": {"number": c["number"], "name": c["name"]},
        "called_at": c["current_called_at"],
    }


def _transfers_of(ticket_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each ticket's last transfer: the counter it came from and the officer's note."""
    if not ticket_ids:
        return {}
    rows = db.session.execute(
        select(TicketEvent.ticket_id, Counter.number, TicketEvent.detail)
        .outerjoin(Counter, Counter.id == TicketEvent.counter_id)
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.action == "transfer")
        .order_by(TicketEvent.id)
    ).all()
    return {
        tid: {"from_counter": number, "note": (detail or {}).get("note") or ""}
        for tid, number, detail in rows
    }


def _console_ticket(
    t: Ticket, o: Office, transfers: dict[int, dict[str, Any]], *, with_dossier: bool = False
) -> dict[str, Any]:
    """A ticket as the counter console lists it: where it was transferred from (with the
    transferring officer's note) and, for the current one, the dossier accepted from it."""
    view = staff_ticket_view(t, o)
    view["transfer"] = transfers.get(t.id)
    if with_dossier:
        from lobby.dossiers import dossier_of_ticket

        d = dossier_of_ticket(t)
        view["dossier"] = None if d is None else {"code": d.code}
    return view


def counters_list() -> dict[str, Any]:
    o = office_ref()
    day = today(o)
    rows = db.session.scalars(
        select(Counter).where(Counter.office_id == o.id, Counter.active).order_by(Counter.number)
    ).all()
    lines = db.session.execute(
        select(Ticket.field_id, Ticket.target_counter_id, func.count())
        .where(Ticket.office_id == o.id, Ticket.service_day == day, Ticket.status == "waiting")
        .group_by(Ticket.field_id, Ticket.target_counter_id)
    ).all()
    out = []
    for c in rows:
        fields = {fid for fid, _code in counter_fields_ref(c.id)}
        # The tickets this counter may call (as _CANDIDATES): its fields' unsent ones, and the
        # ones sent to it. The transfer dialog shows it.
        waiting = sum(
            n for fid, target, n in lines if target == c.id or (target is None and fid in fields)
        )
        out.append({**counter_view(c, o, day), "waiting": int(waiting)})
    return {"counters": out}


def counter_queue(counter_number: int, user: StaffUser | None) -> dict[str, Any]:
    """The counter console's snapshot: its current ticket and the lines it serves."""
    o = office_ref()
    day = today(o)
    c = counter_for_staff(user, counter_number) if user else counter_by_number(o, counter_number)
    current = _current_ticket(c, day)
    params = _candidate_params(c, o, day)
    # Listed in the order call-next will take them, not by issue time (a requeued ticket keeps
    # its early issue time but may be called after a priority one).
    waiting = counter_order(c, o, day, 50)
    total = db.session.scalar(select(func.count()).select_from(_CANDIDATES.subquery()), params)
    no_shows = db.session.scalars(
        select(Ticket)
        .where(Ticket.counter_id == c.id, Ticket.service_day == day, Ticket.status == "no_show")
        .order_by(Ticket.finished_at.desc())
        .limit(10)
    ).all()
    transfers = _transfers_of([t.id for t in waiting] + ([current.id] if current else []))
    return {
        "counter": counter_view(c, o, day),
        "current": _console_ticket(current, o, transfers, with_dossier=True) if current else None,
        "waiting_total": int(total or 0),
        "waiting": [_console_ticket(t, o, transfers) for t in waiting],
        "no_show": [staff_ticket_view(t, o) for t in no_shows],
        "services": [
            {"code": f.code, "name": f.name_vi, "prefix": f.ticket_prefix} for f in c.fields
        ],
    }


# --- public lists and the board -------------------------------------------------------------


def services_list() -> dict[str, Any]:
    o = office_ref()
    day = today(o)
    counts = waiting_counts(o, day)
    open_now = is_issuing_now(o)
    issued = dict(
        db.session.execute(
            select(TicketSequence.field_id, TicketSequence.last_seq).where(
                TicketSequence.office_id == o.id, TicketSequence.service_day == day
            )
        ).all()
    )
    fields = db.session.scalars(
        select(Field).where(Field.office_id == o.id, Field.active).order_by(Field.sort_order)
    ).all()
    out = []
    for f in fields:
        left = None
        if f.daily_ticket_limit is not None:
            left = max(0, f.daily_ticket_limit - issued.get(f.id, 0))
        out.append(
            {
                "code": f.code,
                "prefix": f.ticket_prefix,
                "name": f.name_vi,
                "name_en": f.name_en,
                "color": f.color,
                "waiting": counts.get(f.id, 0),
                "open": open_now and left != 0,
                "daily_limit_left": left,
            }
        )
    return {"services": out}


def procedures_list(service: str | None) -> dict[str, Any]:
    o = office_ref()
    stmt = select(Procedure).where(Procedure.office_id == o.id, Procedure.active)
    if service:
        f = field_by_code(o, service)
        stmt = stmt.where(Procedure.field_id == f.id)
    rows = db.session.scalars(stmt.order_by(Procedure.id)).all()
    return {
        "procedures": [
            {
                "code": p.code,
                "national_code": p.national_code,
                "name": p.name_vi,
                "service": p.field.code,
                "deadline": {"value": p.deadline_value, "unit": p.deadline_unit},
                "fee": p.fee_text,
                "components": p.components or [],
            }
            for p in rows
        ]
    }


def procedures_by_field() -> list[dict[str, Any]]:
    """The office's active fields, in kiosk order, each with the procedures it accepts."""
    o = office_ref()
    procs = procedures_list(None)["procedures"]
    fields = db.session.scalars(
        select(Field).where(Field.office_id == o.id, Field.active).order_by(Field.sort_order)
    ).all()
    return [
        {
            "code": f.code,
            "name": f.name_vi,
            "name_en": f.name_en,
            "procedures": [p for p in procs if p["service"] == f.code],
        }
        for f in fields
    ]


WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def office_info() -> dict[str, str]:
    """What any public page may say about the office: name, address, hotline, reception hours."""
    from core.numbering import hours_text

    o = office_ref()
    rules = windows(o, "reception") or windows(o)
    days = sorted({w.weekday for w in rules})
    if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 1:
        day_text = f"{WEEKDAY_NAMES[days[0]]} – {WEEKDAY_NAMES[days[-1]]}"
    else:
        day_text = ", ".join(WEEKDAY_NAMES[d] for d in days)
    return {
        "name": o.name,
        "parent_authority": o.parent_authority or "",
        "address": o.address or "",
        "hotline": o.hotline or "",
        "hours": hours_text(rules),
        "days": day_text,
    }


def board_snapshot(device: Device | None = None) -> dict[str, Any]:
    """What a board renders: now serving, recent calls, people waiting, counters."""
    from core.numbering import hours_text

    o = office_ref()
    day = today(o)
    codes = board_field_codes(device)
    settings = (device.settings or {}) if device is not None else {}
    only_counters = set(settings.get("counters") or [])
    fields = db.session.scalars(select(Field).where(Field.office_id == o.id)).all()
    by_id = {f.id: f for f in fields}
    wanted_ids = {f.id for f in fields if f.code in codes}
    counts = waiting_counts(o, day)
    counters = db.session.scalars(
        select(Counter).where(Counter.office_id == o.id, Counter.active).order_by(Counter.number)
    ).all()
    counters = [
        c
        for c in counters
        if (not only_counters or c.number in only_counters)
        and (not wanted_ids or any(f.id in wanted_ids for f in c.fields))
    ]
    open_tickets = db.session.scalars(
        select(Ticket).where(
            Ticket.office_id == o.id,
            Ticket.service_day == day,
            Ticket.status.in_(["called", "serving"]),
        )
    ).all()
    current = {
        t.counter_id: t for t in sorted(open_tickets, key=lambda t: t.called_at or t.issued_at)
    }
    recent = db.session.scalars(
        select(Ticket)
        .where(
            Ticket.office_id == o.id,
            Ticket.service_day == day,
            Ticket.called_at.is_not(None),
            Ticket.field_id.in_(wanted_ids) if wanted_ids else True,
        )
        .order_by(Ticket.called_at.desc())
        .limit(RECENT_CALLS)
    ).all()
    views = [counter_view(c, o, day) for c in counters]
    return {
        "office": {
            "name": o.name,
            "parent_authority": o.parent_authority,
            "hotline": o.hotline,
            "hours": hours_text(windows(o, "reception")) or hours_text(windows(o)),
        },
        "service_day": day.isoformat(),
        "now": iso(ctx().clock.now(), o),
        "now_serving": [
            {
                "counter": counter_ref(c),
                "number": current[c.id].number,
                "service": current[c.id].field.code,
                "status": current[c.id].status,
                "called_at": iso(current[c.id].called_at, o),
            }
            for c in counters
            if c.id in current
        ],
        "recent": [
            {
                "number": t.number,
                "service": t.field.code,
                "counter": counter_ref(t.counter),
                "called_at": iso(t.called_at, o),
            }
            for t in recent
        ],
        "waiting": {by_id[fid].code: counts.get(fid, 0) for fid in sorted(wanted_ids)},
        "services": [
            {"code": f.code, "name": f.name_vi, "prefix": f.ticket_prefix, "color": f.color}
            for f in sorted(fields, key=lambda f: f.sort_order)
            if f.id in wanted_ids and f.active
        ],
        "counters": views,
        "callout": board_callout(views),
    }


def snapshot_for(kind: str, ref: Any) -> dict[str, Any]:
    """The snapshot a connecting socket client renders from."""
    if kind == "ticket":
        t = ticket_by_token(ref)
        if t is None:
            raise NotFound("Không tìm thấy phiếu.")
        return public_ticket_view(t)
    if kind == "dossier":
        from lobby.dossiers import dossier_by_token, public_dossier_view

        d = dossier_by_token(ref)
        if d is None:
            raise NotFound("Không tìm thấy hồ sơ")
        return public_dossier_view(d)
    if kind in ("board", "kiosk", "tablet"):
        device = db.session.get(Device, ref)
        snap = board_snapshot(device)
        if kind == "kiosk":
            snap["services_list"] = services_list()["services"]
        return snap
    if kind == "counter":
        return counter_queue(ref, None)
    return {"counters": counters_list()["counters"]}


# --- end of day -----------------------------------------------------------------------------


def expire_stale_tickets() -> int:
    """Tickets still open after their service day close as expired."""
    with transaction():
        o = office()
        day = today(o)
        stale = db.session.scalars(
            select(Ticket).where(
                Ticket.office_id == o.id,
                Ticket.service_day < day,
                Ticket.status.in_([s.value for s in OPEN_STATUSES] + ["no_show"]),
            )
        ).all()
        for t in stale:
            before = t.status
            t.status = next_status(TicketStatus(t.status), Action.EXPIRE).value
            t.finished_at = ctx().clock.now()
            _record(t, "expire", before)
        return len(stale)


def prune_idempotency(max_age: timedelta = timedelta(hours=24)) -> int:
    from sqlalchemy import delete

    from lobby.models import IdempotencyRecord

    with transaction():
        cutoff = ctx().clock.now() - max_age
        result = db.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
