"""Writing tickets: the day's sequence numbers, the ticket and event rows (through Core on the
hot paths), and conditional updates that lose races cleanly.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value

from lobby.context import ctx
from lobby.extensions import db
from lobby.models import Counter, Device, StaffUser, Ticket, TicketEvent, TicketSequence
from lobby.tx import insert_for

# Rows written on every ticket go through Core: the ORM's unit of work costs more than the row.
INSERT_TICKET = insert(Ticket.__table__).returning(Ticket.__table__.c.id)
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


def take_seq(office_id: int, field_id: int, day: date) -> int:
    """The next number of the (office, field, day) series, by one atomic upsert."""
    conn = db.session.connection()
    return int(
        conn.execute(
            _take_seq_stmt(conn.dialect.name),
            {"office_id": office_id, "field_id": field_id, "service_day": day, "last_seq": 1},
        ).scalar_one()
    )


def record_event(
    t: Ticket,
    action: str,
    before: str | None,
    *,
    staff: StaffUser | None = None,
    counter: Counter | None = None,
    device: Device | None = None,
    **detail: Any,
) -> None:
    record_event_row(
        t.id,
        action,
        before,
        t.status,
        staff_id=staff.id if staff else None,
        counter_id=counter.id if counter else None,
        device_id=device.id if device else None,
        detail=detail,
    )


def record_event_row(
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


_TICKETS = Ticket.__table__


@cache
def _ticket_update(columns: tuple[str, ...], only_if: str | None = None) -> Any:
    """UPDATE tickets SET <columns> WHERE id = :ticket [AND status = only_if], built once."""
    stmt = update(_TICKETS).where(_TICKETS.c.id == bindparam("ticket"))
    if only_if is not None:
        stmt = stmt.where(_TICKETS.c.status == only_if)
    return stmt.values({name: bindparam(name, type_=_TICKETS.c[name].type) for name in columns})


def write_ticket(t: Ticket, values: dict[str, Any], *, only_if: str | None = None) -> bool:
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


class Raced(Exception):
    """Another counter called the chosen ticket between our read and our update."""
