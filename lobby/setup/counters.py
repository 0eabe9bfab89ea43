"""The office's counters: added, renamed, given fields to serve, taken out of use.

Boards and counter screens hear of each change at once (counter.changed), after the commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.access import CounterState
from core.errors import IllegalTransition, InvalidRequest
from lobby import events
from lobby.audit import log as audit_log
from lobby.context import of_this_office, office, publish_after_commit, today
from lobby.extensions import db
from lobby.forms import form_text, form_whole
from lobby.models import Counter, Field, Office
from lobby.queue import counter_actions
from lobby.queue import views as queue_views
from lobby.setup.catalogue import fields_in_order
from lobby.tx import transaction

MAX_COUNTER = 999


def counters_in_order(office_id: int) -> list[Counter]:
    """Every counter of the office, by number."""
    return list(
        db.session.scalars(
            select(Counter).where(Counter.office_id == office_id).order_by(Counter.number)
        )
    )


def _counter_fields(office_id: int, field_ids: list[Any]) -> list[Field]:
    ids = {form_whole(i, "lĩnh vực", "fields", 1, 2**31 - 1) for i in field_ids}
    found = fields_in_order(office_id, ids=ids)
    if len(found) != len(ids):
        raise InvalidRequest("Có lĩnh vực không thuộc đơn vị này.", field="fields")
    return found


def add_counter(form: Any, field_ids: list[Any]) -> Counter:
    number = form_whole(form.get("number"), "số quầy", "number", 1, MAX_COUNTER)
    name = form_text(form.get("name"), "tên quầy", "name")
    with transaction():
        o = office()
        if db.session.scalar(
            select(Counter).where(Counter.office_id == o.id, Counter.number == number)
        ):
            raise IllegalTransition(f"Đã có quầy số {number}.", field="number")
        c = Counter(
            office_id=o.id,
            number=number,
            name=name,
            is_priority=bool(form.get("is_priority")),
            fields=_counter_fields(o.id, field_ids),
        )
        db.session.add(c)
        db.session.flush()
        _publish_counter(c, o)
        return c


def update_counter(counter_id: Any, form: Any, field_ids: list[Any]) -> Counter:
    """Name, priority, the fields served, in use or not. A counter holding a ticket stays in
    use until the ticket is finished, marked absent or transferred."""
    name = form_text(form.get("name"), "tên quầy", "name")
    active = bool(form.get("active"))
    with transaction():
        o = office()
        c = of_this_office(Counter, counter_id, "Không có quầy này.")
        if c.active and not active:
            _take_out_of_use(c, o)
        c.name, c.is_priority, c.active = name, bool(form.get("is_priority")), active
        c.fields = _counter_fields(o.id, field_ids)
        _publish_counter(c, o)
        return c


def _take_out_of_use(c: Counter, o: Office) -> None:
    """Refused while the counter holds a ticket. Tickets transferred to it alone go back to the
    line of their field (counter_actions.hand_back_transfers); it is closed, and no officer holds it."""
    day = today(o)
    counter_actions.ensure_counter_free(c, day)
    counter_actions.hand_back_transfers(c, o, day)
    audit_log.end_pause(c.id)
    c.state, c.staff_id = CounterState.CLOSED, None


def _publish_counter(c: Counter, o: Office) -> None:
    """Boards and counter screens show the new name and fields without a reload."""
    publish_after_commit(
        events.COUNTER_CHANGED,
        queue_views.counter_view(c, o, today(o)),
        [events.LOBBY_ROOM, events.counter_room(c.number)],
    )
