"""Dossier use cases: accept at the counter, follow through its states.

Each is one transaction; its events (dossier_updated, the outgoing webhook) are published or
queued with the commit. Applicants' personal data stays in the applicants table.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from core.deadlines import DueMode, add_working_hours, timeliness, working_hours_between
from core.dossiers import (
    STATUS_LABELS,
    STATUS_NAMES,
    DossierAction,
    DossierStatus,
    dossier_code,
    next_dossier_status,
    parse_action,
)
from core.errors import Forbidden, IllegalTransition, InvalidRequest, NotFound
from core.tickets import AT_COUNTER_STATUSES, OUTCOME_LABELS_VI, Outcome, TicketStatus
from lobby.context import ctx, iso, office, office_tz
from lobby.dossiers.changes import after_change, record_event
from lobby.dossiers.lookup import dossier_by_code, dossier_url
from lobby.dossiers.pins import new_pin
from lobby.dossiers.rules import (
    CHANNELS,
    KEPT_RULES,
    due_from,
    parse_components,
    parse_id,
    parse_when,
    setting,
    status_of,
)
from lobby.dossiers.views import staff_dossier_view
from lobby.extensions import db
from lobby.forms import body_text
from lobby.models import Applicant, Dossier, DossierSequence, Office, Procedure, StaffUser, Ticket
from lobby.queue.counter_actions import CONTRADICT_DOSSIER
from lobby.queue.reference import may_operate, ticket_by_id
from lobby.tx import insert_for, transaction
from lobby.workcal import working_calendar

RECEPTION_UNIT = "Bộ phận tiếp nhận và trả kết quả"

# --- accepting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Intake:
    """What the officer typed for a new dossier, checked before the transaction starts."""

    procedure: str
    applicant: dict[str, Any]
    full_name: str
    id_number: str | None
    id_type: str | None
    channel: str
    components: list[dict[str, Any]]
    sets: int


def _parse_intake(body: dict[str, Any]) -> _Intake:
    proc_code = body_text(body, "procedure", required=True, limit=60)
    applicant = body.get("applicant")
    if not isinstance(applicant, dict):
        raise InvalidRequest("Thiếu thông tin người nộp (applicant).", field="applicant")
    full_name = body_text(applicant, "full_name", required=True)
    id_number, id_type = parse_id(applicant)
    channel = body.get("channel", "truc_tiep")
    if channel not in CHANNELS:
        raise InvalidRequest(
            "Kênh nộp (channel) không hợp lệ.", field="channel", allowed=list(CHANNELS)
        )
    components = parse_components(body.get("components"))
    sets = body.get("sets_count", 1)
    if not isinstance(sets, int) or isinstance(sets, bool) or not 1 <= sets <= 50:
        raise InvalidRequest("Số lượng bộ hồ sơ phải từ 1 đến 50.", field="sets_count")
    return _Intake(
        procedure=proc_code or "",
        applicant=applicant,
        full_name=full_name or "",
        id_number=id_number,
        id_type=id_type,
        channel=channel,
        components=components,
        sets=sets,
    )


def accept_dossier(body: dict[str, Any], user: StaffUser) -> dict[str, Any]:
    """Accept a complete dossier: code, due moment, lookup secret, link to the served ticket."""
    intake = _parse_intake(body)
    with transaction():
        o = office()
        proc = db.session.scalar(
            select(Procedure).where(Procedure.office_id == o.id, Procedure.code == intake.procedure)
        )
        if proc is None or not proc.active:
            raise NotFound("Không có thủ tục này.", field="procedure")
        ticket = _served_ticket(body.get("ticket_id"), user)
        d, pin = _add_dossier(o, proc, intake, body, ticket, user)
        record_event(d, DossierAction.ACCEPT.value, None, user, to_unit=d.current_unit)
        after_change(d, o, "dossier.accepted")
        result = {
            "code": d.code,
            "token": d.public_token,
            "url": dossier_url(d),
            "lookup_pin": pin,
            "received_at": iso(d.received_at, o),
            "due_at": iso(d.due_at, o),
            "status": STATUS_NAMES[DossierStatus.ACCEPTED],
            "status_label": STATUS_LABELS[DossierStatus.ACCEPTED].citizen,
        }
        printing = ctx().printing
        if printing is not None and body.get("print"):
            result["print"] = printing.enqueue_receipt(d, o, pin, counter_id=d.counter_id)
    return result


def _served_ticket(ticket_id: Any, user: StaffUser) -> Ticket | None:
    """The ticket the dossier is accepted from (locked), when one is given: served (or being
    called) at a counter this officer may operate, and not closed with a contradicting outcome."""
    if ticket_id is None:
        return None
    if not isinstance(ticket_id, int):
        raise InvalidRequest("ticket_id phải là số.", field="ticket_id")
    ticket = ticket_by_id(ticket_id, lock=True)
    if ticket.status not in (*AT_COUNTER_STATUSES, TicketStatus.DONE):
        raise IllegalTransition("Chỉ tiếp nhận hồ sơ từ phiếu đang được phục vụ.")
    if ticket.status == TicketStatus.DONE and ticket.outcome in CONTRADICT_DOSSIER:
        # The figures would say "only guided" for a citizen whose dossier was taken.
        raise IllegalTransition(
            _(
                "Số %(number)s đã kết thúc với kết quả “%(outcome)s”: không thể tiếp "
                "nhận hồ sơ từ lượt này. Hãy tiếp nhận không gắn số thứ tự.",
                number=ticket.number,
                outcome=_(OUTCOME_LABELS_VI[Outcome(ticket.outcome)]),
            )
        )
    if ticket.counter is not None and not may_operate(user, ticket.counter):
        raise Forbidden("Phiếu này đang được phục vụ ở quầy khác.")
    return ticket


def _take_dossier_seq(office_id: int, day: date) -> int:
    stmt = (
        insert_for(db.session.get_bind().dialect.name)(DossierSequence)
        .values(office_id=office_id, day=day, last_seq=1)
        .on_conflict_do_update(
            index_elements=["office_id", "day"], set_={"last_seq": DossierSequence.last_seq + 1}
        )
        .returning(DossierSequence.last_seq)
    )
    return int(db.session.execute(stmt).scalar_one())


def _add_dossier(
    o: Office,
    proc: Procedure,
    intake: _Intake,
    body: dict[str, Any],
    ticket: Ticket | None,
    user: StaffUser,
) -> tuple[Dossier, str]:
    """The new dossier (with its applicant, code, due moment and PIN hash) → (dossier, PIN)."""
    now = ctx().clock.now()
    due = due_from(now, proc, o, DueMode(setting(o, "due_mode")))
    day = now.astimezone(office_tz(o)).date()
    code = dossier_code(
        o.agency_code or "000.00.00.H00",
        day,
        _take_dossier_seq(o.id, day),
        (o.settings or {}).get("dossier_code_format", "{agency}-{yymmdd}-{seq:04d}"),
    )
    person = Applicant(
        office_id=o.id,
        full_name=intake.full_name,
        id_number=intake.id_number,
        id_type=intake.id_type,
        phone=body_text(intake.applicant, "phone", limit=40),
        email=body_text(intake.applicant, "email", limit=255),
        address=body_text(intake.applicant, "address", limit=500),
    )
    db.session.add(person)
    db.session.flush()
    pin, pin_hash = new_pin()
    d = Dossier(
        office_id=o.id,
        code=code,
        public_token=secrets.token_urlsafe(18),
        lookup_pin_hash=pin_hash,
        procedure_id=proc.id,
        applicant_id=person.id,
        ticket_id=ticket.id if ticket else None,
        counter_id=ticket.counter_id if ticket else user.counter_id,
        staff_id=user.id,
        channel=intake.channel,
        components=intake.components or list(proc.components or []),
        sets_count=intake.sets,
        received_at=now,
        due_at=due,
        original_due_at=due,
        status_code=int(DossierStatus.ACCEPTED),
        return_place=body_text(body, "return_place") or f"{RECEPTION_UNIT} – {o.name}",
        fee_method=body_text(body, "fee_method") or "",
        resolving_office=body_text(body, "resolving_office") or o.name,
        current_unit=RECEPTION_UNIT,
        rules={k: setting(o, k) for k in KEPT_RULES},
    )
    db.session.add(d)
    db.session.flush()
    return d, pin


# --- following through ----------------------------------------------------------------------


def apply_event(
    code: Any, body: dict[str, Any], user: StaffUser | None, *, source: str = "counter"
) -> dict[str, Any]:
    """A hand-over or a status change, logged as a control-sheet row; illegal moves are 409."""
    action = parse_action(body.get("action"))
    if action is DossierAction.ACCEPT:
        raise InvalidRequest("Dùng POST /api/v1/dossiers để tiếp nhận hồ sơ.", field="action")
    note = body_text(body, "note", limit=2000) or ""
    reason = body_text(body, "reason", limit=2000) or ""
    with transaction():
        o = office()
        d = dossier_by_code(code, lock=True)
        before = status_of(d)
        after = next_dossier_status(before, action)
        fields: dict[str, Any] = {"reason": reason, "note_internal": note}
        change = _CHANGES.get(action)
        if change is not None:
            fields.update(change(d, body, o, ctx().clock.now(), reason))
        d.status_code = int(after)
        record_event(d, action.value, int(before), user, source=source, **fields)
        db.session.flush()
        after_change(d, o, f"dossier.{action.value}")
        return {"dossier": staff_dossier_view(d, o)}


# Each action's own change to the dossier: (d, body, office, now, reason) → the control-sheet
# row's extra fields. Actions not listed only move the status.


def _handover(
    d: Dossier, body: dict[str, Any], o: Office, now: datetime, reason: str
) -> dict[str, Any]:
    to_unit = body_text(body, "to_unit", required=True)
    fields = {"from_unit": d.current_unit, "to_unit": to_unit}
    d.current_unit = to_unit or ""
    return fields


def _request_supplement(
    d: Dossier, body: dict[str, Any], o: Office, now: datetime, reason: str
) -> dict[str, Any]:
    if not reason:
        raise InvalidRequest("Phiếu yêu cầu bổ sung cần nêu lý do (reason).", field="reason")
    items = parse_components(body.get("items")) if body.get("items") is not None else []
    d.supplement_requested_at = now
    return {"items": items}


def _supplement_received(
    d: Dossier, body: dict[str, Any], o: Office, now: datetime, reason: str
) -> dict[str, Any]:
    if d.rules.get("supplement_clock", "restart") == "pause" and d.supplement_requested_at:
        cal, tz = working_calendar(o), office_tz(o)
        paused = working_hours_between(d.supplement_requested_at, now, cal, tz)
        d.due_at = add_working_hours(d.due_at, paused, cal, tz)
    else:  # restart: time runs again from the complete dossier
        d.due_at = due_from(now, d.procedure, o, DueMode(d.rules.get("due_mode", "working_hours")))
    d.original_due_at = d.due_at
    d.supplement_requested_at = None
    return {}


def _apologise(
    d: Dossier, body: dict[str, Any], o: Office, now: datetime, reason: str
) -> dict[str, Any]:
    if not reason:
        raise InvalidRequest("Phiếu xin lỗi cần nêu lý do chậm trễ (reason).", field="reason")
    new_due = parse_when(body.get("new_due_at"), o, "new_due_at")
    if new_due <= now:
        raise InvalidRequest("Ngày hẹn trả mới phải sau thời điểm hiện tại.", field="new_due_at")
    d.new_due_at = new_due
    d.due_at = new_due
    d.apology = f"Cơ quan xin lỗi vì sự chậm trễ. {reason}"
    return {"new_due_at": new_due}


def _result_ready(
    d: Dossier, body: dict[str, Any], o: Office, now: datetime, reason: str
) -> dict[str, Any]:
    d.result_ready_at = now
    # Against the original due date: an apology's new date does not reset it.
    d.timeliness = timeliness(
        now,
        d.original_due_at,
        office_tz(o),
        working_calendar(o),
        boundary=d.rules.get("timeliness_boundary", "due_day"),
    ).value
    return {}


def _return(
    d: Dossier, body: dict[str, Any], o: Office, now: datetime, reason: str
) -> dict[str, Any]:
    d.returned_at = now
    return {}


_CHANGES = {
    DossierAction.HANDOVER: _handover,
    DossierAction.REQUEST_SUPPLEMENT: _request_supplement,
    DossierAction.SUPPLEMENT_RECEIVED: _supplement_received,
    DossierAction.APOLOGISE: _apologise,
    DossierAction.RESULT_READY: _result_ready,
    DossierAction.RETURN: _return,
}
