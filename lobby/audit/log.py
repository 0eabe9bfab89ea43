"""What the audit trail records beside the ticket history: sign-ins, a counter's state
(opened, paused with its reason, closed; a pause's length once it ends) and setting changes;
and each officer's day counted as it happens (calls, finishes, serving time). Each writer joins
the open transaction (lobby.tx) or opens its own."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import select

from core.access import CounterState
from lobby.audit.models import AuditEntry, OfficerDayFigures
from lobby.context import ctx, office_ref, today
from lobby.extensions import db
from lobby.tx import insert_for, transaction


class Kind(StrEnum):
    SIGN_IN = "sign_in"
    SIGN_OUT = "sign_out"
    OPEN = "open"
    PAUSE = "pause"
    CLOSE = "close"
    SETTINGS = "settings"


_STATE_KIND = {
    CounterState.OPEN: Kind.OPEN,
    CounterState.PAUSED: Kind.PAUSE,
    CounterState.CLOSED: Kind.CLOSE,
}


def _add(
    kind: Kind,
    staff_id: int | None,
    *,
    counter_id: int | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    o = office_ref()
    db.session.add(
        AuditEntry(
            office_id=o.id,
            at=ctx().clock.now(),
            day=today(o),
            kind=kind.value,
            staff_id=staff_id,
            counter_id=counter_id,
            reason=reason[:255],
            detail=detail or {},
        )
    )


def signed_in(staff_id: int) -> None:
    with transaction():
        _add(Kind.SIGN_IN, staff_id)


def signed_out(staff_id: int) -> None:
    with transaction():
        _add(Kind.SIGN_OUT, staff_id)


def setting_changed(staff_id: int, action: str, target: Any = "") -> None:
    """An administrator's change on /admin (the form's action and what it named; never a
    password or a token)."""
    with transaction():
        _add(Kind.SETTINGS, staff_id, detail={"action": action, "target": str(target or "")})


def counter_changed(
    counter_id: int, staff_id: int | None, before: str, after: str, reason: str = ""
) -> None:
    """In the counter's own transaction (lobby.queue.counter_actions.set_counter_state): a
    pause that ends gets its length; the new state is a line of the trail (not a repeat)."""
    if before == CounterState.PAUSED:
        end_pause(counter_id)
    if before == after and after != CounterState.PAUSED:
        return
    _add(
        _STATE_KIND[CounterState(after)],
        staff_id,
        counter_id=counter_id,
        reason=reason if after == CounterState.PAUSED else "",
        detail={"from": before},
    )


def end_pause(counter_id: int) -> None:
    """The counter's pause (if one lasts) is over now: its length, in whole seconds."""
    now = ctx().clock.now()
    for entry in db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.counter_id == counter_id,
            AuditEntry.kind == Kind.PAUSE,
            AuditEntry.seconds.is_(None),
        )
    ):
        entry.seconds = max(0, int((now - entry.at).total_seconds()))


# --- each officer's day, counted as it happens ----------------------------------------------

_FIGURES = OfficerDayFigures.__table__


@cache
def _add_figures_stmt(dialect: str) -> Any:
    t = _FIGURES
    stmt = insert_for(dialect)(t)
    return stmt.on_conflict_do_update(
        index_elements=["office_id", "day", "staff_id", "counter_id"],
        set_={
            name: t.c[name] + stmt.excluded[name] for name in ("calls", "finished", "serving_us")
        },
    )


def _count(day: date, staff_id: int | None, counter_id: int | None, **figures: int) -> None:
    if staff_id is None:
        return  # nobody's time (a ticket no officer held)
    conn = db.session.connection()
    conn.execute(
        _add_figures_stmt(conn.dialect.name),
        {
            "office_id": office_ref().id,
            "day": day,
            "staff_id": staff_id,
            "counter_id": counter_id or 0,
            "calls": 0,
            "finished": 0,
            "serving_us": 0,
            **figures,
        },
    )


def ticket_called(day: date, staff_id: int | None, counter_id: int | None) -> None:
    """In the call's transaction (lobby.queue.counter_actions)."""
    _count(day, staff_id, counter_id, calls=1)


def ticket_left(
    day: date,
    staff_id: int | None,
    counter_id: int | None,
    serving_since: datetime | None,
    *,
    finished: bool,
) -> None:
    """A ticket leaves the officer (finished, transferred, absent, back in line): its serving
    stretch, if it was being served, is the officer's; a finish is counted."""
    served = 0
    if serving_since is not None:
        delta = ctx().clock.now() - serving_since
        served = max(0, (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)
    if served or finished:
        _count(day, staff_id, counter_id, finished=int(finished), serving_us=served)
