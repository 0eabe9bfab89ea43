"""What an officer does at a counter: call next or a number, recall, start, finish, no-show,
requeue, transfer, and the counter's own state (open, paused, closed).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from core import queueing
from core.access import SUPERVISORS, CounterState, Role
from core.errors import Forbidden, IllegalTransition, InvalidRequest, NotFound, QueueEmpty
from core.numbering import parse_number
from core.tickets import Action, Outcome, TicketStatus, next_status, parse_outcome
from lobby import events
from lobby.audit import log as audit_log
from lobby.context import ctx, office_ref, publish_after_commit, today
from lobby.dossiers.lookup import dossier_code_of_ticket
from lobby.extensions import db
from lobby.models import Counter, CounterTakeover, Field, Office, StaffUser, Ticket
from lobby.queue.broadcast import publish_called, publish_counts, publish_positions, publish_updated
from lobby.queue.line import CURRENT_TICKET, call_heads, candidate, counter_policy, normals_served
from lobby.queue.reference import (
    counter_by_number,
    counter_for_staff,
    field_by_code,
    may_operate,
    ticket_by_id,
)
from lobby.queue.tickets import Raced, record_event, write_ticket
from lobby.queue.views import counter_view, staff_ticket_view
from lobby.tx import transaction


def _call(t: Ticket, c: Counter, user: StaffUser | None, o: Office, day: date, how: str) -> None:
    before = t.status
    next_status(TicketStatus(t.status), Action.CALL)
    values = {
        "status": TicketStatus.CALLED,
        "counter_id": c.id,
        "staff_id": user.id if user else None,
        "called_at": ctx().clock.now(),
        "target_counter_id": None,
    }
    # A conditional update: if another counter took this ticket first, nothing changes here.
    if not write_ticket(t, values, only_if=TicketStatus.WAITING):
        raise Raced()
    c.normals_since_priority = queueing.normals_after_call(candidate(t), normals_served(c, day))
    c.interleave_day = day
    record_event(t, how, before, staff=user, counter=c)
    audit_log.ticket_called(day, user.id if user else None, c.id)
    publish_called(t, c, o, recall=False)
    publish_updated(t)
    publish_positions({t.field_id}, o, day)


_CURRENT_NUMBER = CURRENT_TICKET.with_only_columns(Ticket.number)


def hand_back_transfers(c: Counter, o: Office, day: date) -> None:
    """Tickets sent to this counter alone (transferred there, or back after a no-show) go back
    to their field's line when it closes or is taken out of use, where every counter of the
    field can call them; their phones are told their new place."""
    sent = db.session.scalars(
        select(Ticket).where(
            Ticket.target_counter_id == c.id,
            Ticket.status == TicketStatus.WAITING,
            Ticket.service_day == day,
        )
    ).all()
    if not sent:
        return
    for t in sent:
        t.target_counter_id = None
    db.session.flush()
    # Each phone hears it waits in its field's line again (a phone sent to one counter does not
    # follow its field's line_changed); the field's phones their places.
    for t in sent:
        publish_updated(t, c)
    fields = {t.field_id for t in sent}
    publish_positions(fields, o, day)


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
                heads = call_heads(c, o, day)
                chosen = queueing.choose_next(heads, counter_policy(c, o), normals_served(c, day))
                if chosen is None:
                    raise QueueEmpty("Không còn số nào đang chờ tại quầy này.")
                t = ticket_by_id(chosen.id)
                _call(t, c, user, o, day, "call")
                return {"ticket": staff_ticket_view(t, o)}
        except Raced:
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
        if t.status != TicketStatus.WAITING:
            next_status(TicketStatus(t.status), Action.CALL)
        try:
            _call(t, c, user, o, day, "call_specific")
        except Raced:
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
    elif user.role not in SUPERVISORS and user.counter_id is None:
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
        serving_since = t.serving_started_at if before == TicketStatus.SERVING else None
        held_by = t.staff_id or user.id
        write_ticket(t, values)
        record_event(t, action.value, before, staff=user, counter=c, **kw.get("detail", {}))
        if serving_since is not None or action is Action.FINISH:
            audit_log.ticket_left(
                day,
                held_by,
                c.id if c else None,
                serving_since,
                finished=action is Action.FINISH,
            )
        if action is Action.RECALL and c is not None:
            publish_called(t, c, o, recall=True)
        publish_updated(t, c)
        if action is Action.REQUEUE or (action is Action.CANCEL and before == TicketStatus.WAITING):
            publish_positions({t.field_id}, o, day)
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
    value = parse_outcome(outcome)
    return _act(ticket_id, user, Action.FINISH, outcome=value, detail={"outcome": value.value})


# With a dossier accepted from the ticket, the visit ended in that dossier (or in its result
# returned on the spot, DOMAIN §2): "guided only", "supplement guidance" (intake, no dossier)
# and "refused" would count a dossier as not received.
CONTRADICT_DOSSIER = frozenset({Outcome.GUIDED_ONLY, Outcome.SUPPLEMENT_GUIDANCE, Outcome.REFUSED})


def _check_outcome_fits_dossier(t: Ticket, outcome: Outcome) -> None:
    if outcome not in CONTRADICT_DOSSIER:
        return
    code = dossier_code_of_ticket(t)
    if code is not None:
        raise IllegalTransition(
            f"Số {t.number} đã được tiếp nhận hồ sơ {code}: hãy chọn kết quả "
            "“Tiếp nhận hồ sơ” (hoặc “Trả kết quả” nếu đã trả ngay).",
            dossier=code,
            allowed=[Outcome.DOSSIER_ACCEPTED.value, Outcome.RESULT_RETURNED.value],
        )


def no_show(ticket_id: int, user: StaffUser) -> dict[str, Any]:
    return _act(ticket_id, user, Action.NO_SHOW)


def requeue(ticket_id: int, user: StaffUser) -> dict[str, Any]:
    return _act(ticket_id, user, Action.REQUEUE)


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
    note = _transfer_note(body.get("note"))
    with transaction():
        t, c, o = _ticket_at_counter(ticket_id, user)
        if user.role not in SUPERVISORS and (c is None or not _holds(user, c)):
            raise Forbidden(
                f"Chỉ chuyển được số đang ở quầy của mình; số {t.number} không ở quầy "
                "tài khoản này đang giữ."
            )
        before = t.status
        if before == TicketStatus.SERVING:  # the serving stretch ends here
            audit_log.ticket_left(
                t.service_day,
                t.staff_id or user.id,
                c.id if c else None,
                t.serving_started_at,
                finished=False,
            )
        t.status = next_status(TicketStatus(t.status), Action.TRANSFER).value
        old_field = t.field_id
        detail: dict[str, Any] = {"note": note} if note else {}
        if service is not None:
            f = field_by_code(o, service)
            t.field_id = f.id
            t.target_counter_id = None
            detail["to_service"] = f.code
        else:
            target = _open_target(o, counter, c)
            t.target_counter_id = target.id
            detail["to_counter"] = target.number
        t.counter_id = None
        t.called_at = None
        t.serving_started_at = None
        record_event(t, "transfer", before, staff=user, counter=c, **detail)
        db.session.flush()
        db.session.refresh(t)
        # The phone, and the counter it was sent to (its console lists it at once, even when
        # the counter does not serve the ticket's field).
        publish_updated(t, db.session.get(Counter, t.target_counter_id) if counter else None)
        publish_positions({old_field, t.field_id}, o, t.service_day)
        if c is not None:
            publish_after_commit(
                events.COUNTER_CHANGED,
                counter_view(c, o, t.service_day),
                [events.LOBBY_ROOM, events.counter_room(c.number)],
            )
        return {"ticket": staff_ticket_view(t, o)}


def _transfer_note(note: Any) -> str:
    """The officer's note to the receiving counter: text, spaces folded, at most 200 characters."""
    if note is not None and not isinstance(note, str):
        raise InvalidRequest("Ghi chú (note) phải là chuỗi.", field="note")
    note = " ".join((note or "").split())
    if len(note) > TRANSFER_NOTE_MAX:
        raise InvalidRequest(
            f"Ghi chú chuyển số tối đa {TRANSFER_NOTE_MAX} ký tự.",
            field="note",
            max_length=TRANSFER_NOTE_MAX,
        )
    return note


def _open_target(o: Office, number: Any, here: Counter | None) -> Counter:
    """The counter a ticket is sent to: another one, and open."""
    target = counter_by_number(o, number)
    if here is not None and target.id == here.id:
        raise InvalidRequest("Không thể chuyển về chính quầy đang phục vụ.")
    if target.state != CounterState.OPEN:
        state = "đang tạm nghỉ" if target.state == CounterState.PAUSED else "đã đóng"
        raise IllegalTransition(
            f"Quầy {target.number} {state}, không nhận số chuyển đến. "
            "Hãy chọn quầy đang mở hoặc chuyển sang lĩnh vực.",
            counter=target.number,
            counter_state=target.state,
        )
    return target


def set_counter_state(
    counter_number: int, user: StaffUser, state: str, *, reason: str = "", force: bool = False
) -> dict[str, Any]:
    """Open (take), pause, resume or close a counter; taking one held by another needs force."""
    with transaction():
        o = office_ref()
        c = counter_by_number(o, counter_number, lock=True)
        if (
            state == CounterState.OPEN
            and c.staff_id not in (None, user.id)
            and c.state != CounterState.CLOSED
        ):
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
        if state == CounterState.OPEN:
            if user.role == Role.OFFICER and user.counter_id not in (None, c.id) and not force:
                raise Forbidden(
                    f"Tài khoản này được phân công quầy khác, không phải quầy {c.number}."
                )
            c.staff_id = user.id
        elif not may_operate(user, c):
            raise Forbidden(f"Tài khoản này không được phân công tại quầy số {c.number}.")
        if state == CounterState.PAUSED:
            c.pause_reason = reason[:255]
        elif state in (CounterState.OPEN, CounterState.CLOSED):
            c.pause_reason = ""
        day = today(o)
        if state == CounterState.CLOSED:
            c.staff_id = None
            hand_back_transfers(c, o, day)
        audit_log.counter_changed(c.id, user.id, c.state, state, c.pause_reason)
        c.state = state
        view = counter_view(c, o, day)
        publish_after_commit(
            events.COUNTER_CHANGED, view, [events.LOBBY_ROOM, events.counter_room(c.number)]
        )
        publish_counts({f.id for f in c.fields}, day)  # the boards' next numbers of this counter
        return {"counter": view}
