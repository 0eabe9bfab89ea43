"""What the citizen does from the ticket's page: leave the line ("Tôi không chờ nữa") or let
the next people go first ("Để người sau lên trước"), each one transaction, told to the board,
the counters and the phones behind after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core import queueing
from core.errors import IllegalTransition, NotFound
from core.tickets import Action, TicketStatus, next_status
from lobby.context import ctx, office_ref, office_setting
from lobby.extensions import db
from lobby.models import Office, Ticket, TicketEvent
from lobby.queue.broadcast import publish_positions, publish_updated
from lobby.queue.line import ahead_of, line_times_behind
from lobby.queue.reference import ticket_by_token
from lobby.queue.tickets import record_event, write_ticket
from lobby.queue.views import delays_of
from lobby.tx import transaction

NOT_FOUND = "Không tìm thấy phiếu. Phiếu có thể đã hết hạn."


def _just_called() -> IllegalTransition:
    """A counter called the ticket between our read and our write: it won."""
    return IllegalTransition(
        "Số của Quý khách vừa được gọi. Mời Quý khách theo dõi màn hình gọi số."
    )


def _whole_setting(o: Office, name: str, default: int) -> int:
    value = office_setting(o, name, default)
    try:
        return int(value)
    except (TypeError, ValueError):  # a hand-edited setting that is not a number: the default
        return default


def delay_rules(o: Office) -> tuple[int, int]:
    """How many people a delay lets go first, and how many delays a ticket has (office
    settings `delay_places` and `delay_max`)."""
    places = _whole_setting(o, "delay_places", queueing.DEFAULT_DELAY_PLACES)
    most = _whole_setting(o, "delay_max", queueing.DEFAULT_MAX_DELAYS)
    return max(1, places), max(0, most)


def delays_done(t: Ticket) -> int:
    """How many times this ticket has let others go first (its history's delay events)."""
    return delays_of([t.id]).get(t.id, 0)


def left_by_citizen(t: Ticket) -> bool:
    """Whether the ticket was cancelled by its holder from the phone (not by an officer)."""
    if t.status != TicketStatus.CANCELLED:
        return False
    last = db.session.scalar(
        select(TicketEvent.action)
        .where(TicketEvent.ticket_id == t.id)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    return last == Action.LEAVE


def delays_left(t: Ticket) -> int:
    """How many more times a waiting ticket may let others go first (0 when not waiting)."""
    if t.status != TicketStatus.WAITING:
        return 0
    return max(0, delay_rules(office_ref())[1] - delays_done(t))


def _ticket(token: str) -> Ticket:
    t = ticket_by_token(token)
    if t is None or t.office_id != office_ref().id:
        raise NotFound(NOT_FOUND)
    return t


def leave(token: str) -> Ticket:
    """Cancel a waiting ticket at its holder's wish. Only WAITING may leave (else 409); a second
    leave of a ticket its holder already cancelled answers the same ticket (a double tap)."""
    with transaction():
        t = _ticket(token)
        if left_by_citizen(t):
            return t
        before = t.status
        after = next_status(TicketStatus(t.status), Action.LEAVE)
        values = {"status": after.value, "finished_at": ctx().clock.now()}
        # Conditional: a counter calling it meanwhile wins, and the citizen is told.
        if not write_ticket(t, values, only_if=TicketStatus.WAITING):
            raise _just_called()
        record_event(t, Action.LEAVE, before)
        publish_updated(t)
        publish_positions({t.field_id}, office_ref(), t.service_day)
        return t


@dataclass(frozen=True)
class Delayed:
    ticket: Ticket
    ahead_before: int
    ahead: int
    delays_left: int


def delay(token: str) -> Delayed:
    """Let the next people of the ticket's line go first: its line time moves just past the
    `delay_places`-th person behind it (core.queueing.delayed_line_at), at most `delay_max`
    times; a delay event keeps the history. 409 when not waiting, out of delays, or last."""
    with transaction():
        o = office_ref()
        t = _ticket(token)
        before = t.status
        next_status(TicketStatus(t.status), Action.DELAY)
        places, most = delay_rules(o)
        done = delays_done(t)
        queueing.check_may_delay(done, most)
        new_line_at = queueing.delayed_line_at(line_times_behind(t, places), places)
        if new_line_at is None:
            raise IllegalTransition("Không có ai đang chờ sau Quý khách, không cần nhường lượt.")
        ahead_before = ahead_of(t)
        if not write_ticket(t, {"line_at": new_line_at}, only_if=TicketStatus.WAITING):
            raise _just_called()
        ahead = ahead_of(t)
        record_event(t, Action.DELAY, before, ahead_before=ahead_before, ahead=ahead)
        publish_updated(t)
        publish_positions({t.field_id}, o, t.service_day)
        return Delayed(t, ahead_before, ahead, max(0, most - done - 1))
