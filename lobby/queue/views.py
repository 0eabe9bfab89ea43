"""Read models of the queue: the staff's ticket view, counters, the board's snapshot and the
counter console's queue (plain dicts: the API's shapes).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from core import queueing
from core.access import CounterState
from core.numbering import hours_text
from core.tickets import AT_COUNTER_STATUSES, Action, TicketStatus
from lobby.context import ctx, iso, office, office_ref, office_setting, today
from lobby.dossiers.lookup import dossier_of_ticket
from lobby.extensions import db
from lobby.models import (
    Counter,
    Device,
    Field,
    Office,
    StaffUser,
    Ticket,
    TicketEvent,
    TicketSequence,
)
from lobby.queue.line import (
    CANDIDATES,
    ahead_of,
    candidate_params,
    counter_order,
    counters_next_numbers,
    current_ticket_of,
    eta_minutes,
    waiting_counts,
)
from lobby.queue.reference import (
    board_field_codes,
    counter_by_number,
    counter_fields_ref,
    counter_for_staff,
    counter_ref,
    is_issuing_now,
    windows,
)

RECENT_CALLS = 10
NEXT_SHOWN = 3  # the numbers a board shows under each open counter's current one
ANNOUNCEMENT = "board_announcement"  # the office setting the board shows as a line


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


def update_payload(t: Ticket) -> dict[str, Any]:
    """A ticket's live part (ticket_updated): its place in the line, wait, counter, and where
    it waits after a transfer (its field, and the counter it was sent to)."""
    ahead = ahead_of(t)
    waiting = t.status == TicketStatus.WAITING
    return {
        "number": t.number,
        "status": t.status,
        "ahead": ahead,
        "eta_minutes": eta_minutes(t.field_id, ahead) if waiting else 0,
        "counter": counter_ref(t.counter)
        if t.status in (*AT_COUNTER_STATUSES, TicketStatus.NO_SHOW)
        else None,
        "service": t.field.code,
        "service_name": t.field.name_vi,
        "next_counter": counter_ref(db.session.get(Counter, t.target_counter_id))
        if waiting and t.target_counter_id is not None
        else None,
    }


def counter_view(c: Counter, o: Office, day: date, *, free: bool = False) -> dict[str, Any]:
    """What a counter holds now. `free`: the caller has just closed the counter's one ticket,
    so it holds none. Boards derive their callout from `state`, `current` and
    `current_called_at` (see board_callout()), in the snapshot and on every counter_changed."""
    current = None if free else current_ticket_of(c, day)
    return {
        "counter": c.number,
        "number": c.number,
        "name": c.name,
        "services": [code for _fid, code in counter_fields_ref(c.id)],
        "priority": c.is_priority,
        "state": c.state,
        "pause_reason": c.pause_reason if c.state == CounterState.PAUSED else "",
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
        if c["state"] == CounterState.OPEN and c["current"] is not None and c["current_called_at"]
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


def delays_of(ticket_ids: list[int]) -> dict[int, int]:
    """How many times each ticket let the next people go first, from the phone (its history)."""
    if not ticket_ids:
        return {}
    rows = db.session.execute(
        select(TicketEvent.ticket_id, func.count())
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.action == Action.DELAY)
        .group_by(TicketEvent.ticket_id)
    ).all()
    return {tid: int(n) for tid, n in rows}


def _console_ticket(
    t: Ticket,
    o: Office,
    transfers: dict[int, dict[str, Any]],
    delays: dict[int, int],
    *,
    with_dossier: bool = False,
) -> dict[str, Any]:
    """A ticket as the counter console lists it: where it was transferred from (with the
    transferring officer's note), how often its holder let others go first and, for the
    current one, the dossier accepted from it."""
    view = staff_ticket_view(t, o)
    view["transfer"] = transfers.get(t.id)
    view["delays"] = delays.get(t.id, 0)
    if with_dossier:
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
        .where(
            Ticket.office_id == o.id,
            Ticket.service_day == day,
            Ticket.status == TicketStatus.WAITING,
        )
        .group_by(Ticket.field_id, Ticket.target_counter_id)
    ).all()
    out = []
    for c in rows:
        fields = {fid for fid, _code in counter_fields_ref(c.id)}
        # The tickets this counter may call (as CANDIDATES): its fields' unsent ones, and the
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
    current = current_ticket_of(c, day)
    params = candidate_params(c, o, day)
    # Listed in the order call-next will take them, not by issue time (a requeued ticket keeps
    # its early issue time but may be called after a priority one).
    waiting = counter_order(c, o, day, 50)
    total = db.session.scalar(select(func.count()).select_from(CANDIDATES.subquery()), params)
    no_shows = db.session.scalars(
        select(Ticket)
        .where(
            Ticket.counter_id == c.id,
            Ticket.service_day == day,
            Ticket.status == TicketStatus.NO_SHOW,
        )
        .order_by(Ticket.finished_at.desc())
        .limit(10)
    ).all()
    listed = [t.id for t in waiting] + ([current.id] if current else [])
    transfers, delays = _transfers_of(listed), delays_of(listed)
    return {
        "counter": counter_view(c, o, day),
        "current": _console_ticket(current, o, transfers, delays, with_dossier=True)
        if current
        else None,
        "waiting_total": int(total or 0),
        "waiting": [_console_ticket(t, o, transfers, delays) for t in waiting],
        "no_show": [staff_ticket_view(t, o) for t in no_shows],
        "services": [
            {"code": f.code, "name": f.name_vi, "prefix": f.ticket_prefix} for f in c.fields
        ],
    }


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


def board_snapshot(device: Device | None = None) -> dict[str, Any]:
    """What a board renders: now serving, recent calls, people waiting, counters."""
    o = office_ref()
    day = today(o)
    codes = board_field_codes(device)
    settings = (device.settings or {}) if device is not None else {}
    fields = db.session.scalars(select(Field).where(Field.office_id == o.id)).all()
    by_id = {f.id: f for f in fields}
    wanted_ids = {f.id for f in fields if f.code in codes}
    counts = waiting_counts(o, day)
    counters = _board_counters(o, wanted_ids, set(settings.get("counters") or []))
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
        "now_serving": _now_serving(counters, o, day),
        "recent": _recent_calls(o, day, wanted_ids),
        "waiting": {by_id[fid].code: counts.get(fid, 0) for fid in sorted(wanted_ids)},
        "services": [
            {"code": f.code, "name": f.name_vi, "prefix": f.ticket_prefix, "color": f.color}
            for f in sorted(fields, key=lambda f: f.sort_order)
            if f.id in wanted_ids and f.active
        ],
        "counters": views,
        "callout": board_callout(views),
        "next": next_numbers(o, day, counters),
        "announcement": office_setting(o, ANNOUNCEMENT, ""),
    }


def next_numbers(o: Any, day: date, counters: list[Counter] | None = None) -> dict[str, list[str]]:
    """The next numbers each open counter will call, by counter number (as text: a JSON key),
    in call-next's own order (line.counter_order): of `counters`, else of every active one.
    A waiting number is shown under one counter only, the one that would call it first
    (queueing.share_next over every open counter, whichever a board shows: free counters
    first, then by number)."""
    everyone = list(
        db.session.scalars(
            select(Counter)
            .where(Counter.office_id == o.id, Counter.active, Counter.state == CounterState.OPEN)
            .order_by(Counter.number)
        )
    )
    # A free counter calls before one still serving: it takes its turn first.
    busy = set(
        db.session.scalars(
            select(Ticket.counter_id).where(
                Ticket.office_id == o.id,
                Ticket.service_day == day,
                Ticket.status.in_(AT_COUNTER_STATUSES),
            )
        )
    )
    everyone.sort(key=lambda c: (c.id in busy, c.number))
    # Each counter loses at most NEXT_SHOWN numbers to each other counter.
    depth = NEXT_SHOWN * max(len(everyone), 1)
    numbers = counters_next_numbers(everyone, o, day, depth)
    shared = queueing.share_next(
        [(c.number, numbers[c.id]) for c in everyone],
        NEXT_SHOWN,
    )
    wanted = everyone if counters is None else counters
    return {str(c.number): shared.get(c.number, []) for c in wanted if c.state == CounterState.OPEN}


def _board_counters(o: Any, wanted_ids: set[int], only: set[int]) -> list[Counter]:
    """The active counters a board shows: those it was set to show (all when none), serving
    at least one of its fields."""
    counters = db.session.scalars(
        select(Counter).where(Counter.office_id == o.id, Counter.active).order_by(Counter.number)
    ).all()
    return [
        c
        for c in counters
        if (not only or c.number in only)
        and (not wanted_ids or any(f.id in wanted_ids for f in c.fields))
    ]


def _now_serving(counters: list[Counter], o: Any, day: date) -> list[dict[str, Any]]:
    open_tickets = db.session.scalars(
        select(Ticket).where(
            Ticket.office_id == o.id,
            Ticket.service_day == day,
            Ticket.status.in_(AT_COUNTER_STATUSES),
        )
    ).all()
    current = {
        t.counter_id: t for t in sorted(open_tickets, key=lambda t: t.called_at or t.issued_at)
    }
    return [
        {
            "counter": counter_ref(c),
            "number": current[c.id].number,
            "service": current[c.id].field.code,
            "status": current[c.id].status,
            "called_at": iso(current[c.id].called_at, o),
        }
        for c in counters
        if c.id in current
    ]


def _recent_calls(o: Any, day: date, wanted_ids: set[int]) -> list[dict[str, Any]]:
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
    return [
        {
            "number": t.number,
            "service": t.field.code,
            "counter": counter_ref(t.counter),
            "called_at": iso(t.called_at, o),
        }
        for t in recent
    ]


# --- the counter console's page (counter/views.py) -------------------------------------------


def console_counter(user: StaffUser, wanted: str | None) -> Counter | None:
    """The counter the console opens: the one asked for (?counter=; DomainError when there is
    no such active counter), else the user's assigned active one, else one they hold."""
    o = office()
    if wanted:
        return counter_by_number(o, wanted)
    if user.counter_id is not None:
        assigned = db.session.get(Counter, user.counter_id)
        if assigned is not None and assigned.active:
            return assigned
    return db.session.scalar(
        select(Counter)
        .where(
            Counter.office_id == o.id,
            Counter.staff_id == user.id,
            Counter.state != CounterState.CLOSED,
        )
        .order_by(Counter.number)
        .limit(1)
    )


def counter_holder(c: Counter | None) -> StaffUser | None:
    """The staff member holding a counter that is not closed, if anyone does."""
    if c is None or c.staff_id is None or c.state == CounterState.CLOSED:
        return None
    return db.session.get(StaffUser, c.staff_id)


def console_fields() -> list[dict[str, str]]:
    """The active fields, in kiosk order: where a ticket can be transferred."""
    rows = db.session.scalars(
        select(Field).where(Field.office_id == office().id, Field.active).order_by(Field.sort_order)
    )
    return [{"code": f.code, "name": f.name_vi, "prefix": f.ticket_prefix} for f in rows]
