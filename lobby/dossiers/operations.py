"""Dossier use cases: accept at the counter, follow through its states.

Each is one transaction; its events (dossier_updated, the outgoing webhook) are published or
queued with the commit. Applicants' personal data stays in the applicants table.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.deadlines import DueMode, add_working_hours, timeliness, working_hours_between
from core.dossiers import (
    STATUS_LABELS,
    STATUS_NAMES,
    DossierAction,
    DossierStatus,
    check_apology,
    check_supplement_request,
    dossier_code,
    next_dossier_status,
    normalize_id_number,
    parse_id_type,
)
from core.errors import Forbidden, IllegalTransition, InvalidRequest, NotFound
from core.tickets import AT_COUNTER_STATUSES, OUTCOME_LABELS_VI, Outcome, TicketStatus
from lobby.context import ctx, iso, office, office_tz
from lobby.dossiers.changes import after_change, record_event
from lobby.dossiers.lookup import dossier_by_code, dossier_url
from lobby.dossiers.pins import new_pin
from lobby.dossiers.rules import (
    KEPT_RULES,
    AcceptRequest,
    EventRequest,
    due_from,
    external_code,
    local_moment,
    parse_components,
    setting,
    status_of,
)
from lobby.dossiers.search import index_applicant
from lobby.dossiers.views import staff_dossier_view
from lobby.extensions import db
from lobby.forms import check, trimmed
from lobby.models import (
    Applicant,
    Dossier,
    DossierEvent,
    DossierSequence,
    Office,
    Procedure,
    StaffUser,
    Ticket,
)
from lobby.notify.contacts import consent_dossier
from lobby.queue.counter_actions import CONTRADICT_DOSSIER
from lobby.queue.reference import may_operate, ticket_by_id
from lobby.tx import take_next, transaction
from lobby.workcal import working_calendar

RECEPTION_UNIT = "Bộ phận tiếp nhận và trả kết quả"

# --- accepting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Intake:
    """What the officer typed for a new dossier (AcceptRequest.INTAKE, checked), as stored."""

    procedure: str
    applicant: dict[str, Any]
    full_name: str
    id_number: str | None
    id_type: str | None
    channel: str
    components: list[dict[str, Any]]
    sets: int
    external_code: str | None
    digitised: bool

    @classmethod
    def of(cls, body: dict[str, Any]) -> _Intake:
        applicant = body["applicant"]
        raw_id = trimmed(applicant.get("id_number"))
        kind = parse_id_type(applicant.get("id_type"))
        return cls(
            procedure=body["procedure"].strip(),
            applicant=applicant,
            full_name=applicant["full_name"].strip(),
            id_number=normalize_id_number(kind, raw_id) if raw_id is not None else None,
            id_type=kind.value if raw_id is not None else None,
            channel=body.get("channel", "truc_tiep"),
            components=parse_components(body.get("components")),
            sets=body.get("sets_count", 1),
            external_code=external_code(body.get("external_code")),
            digitised=bool(body.get("digitised", False)),
        )


def accept_dossier(body: dict[str, Any], user: StaffUser) -> dict[str, Any]:
    """Accept a complete dossier: code, due moment, lookup secret, link to the served ticket.

    The body is checked with AcceptRequest (one declaration, also the API's document) in the
    order an officer's mistakes were always answered: what was typed, then is there such a
    procedure (404), then the ticket's id, then is it being served here, then the contacts."""
    intake = _Intake.of(check(AcceptRequest, body, only=AcceptRequest.INTAKE))
    with transaction():
        o = office()
        proc = db.session.scalar(
            select(Procedure).where(Procedure.office_id == o.id, Procedure.code == intake.procedure)
        )
        if proc is None or not proc.active:
            raise NotFound("Không có thủ tục này.", field="procedure")
        check(AcceptRequest, body, only=AcceptRequest.FROM_TICKET)
        ticket = _served_ticket(body.get("ticket_id"), user)
        check(AcceptRequest, body, only=AcceptRequest.CONTACTS)
        d, pin = _add_dossier(o, proc, intake, body, ticket, user)
        if body.get("notify_consent") is True:
            consent_dossier(d)
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


def _served_ticket(ticket_id: int | None, user: StaffUser) -> Ticket | None:
    """The ticket the dossier is accepted from (locked), when one is given: served (or being
    called) at a counter this officer may operate, and not closed with a contradicting outcome."""
    if ticket_id is None:
        return None
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
    code = intake.external_code or dossier_code(
        o.agency_code or "000.00.00.H00",
        day,
        take_next(DossierSequence, office_id=o.id, day=day),
        (o.settings or {}).get("dossier_code_format", "{agency}-{yymmdd}-{seq:04d}"),
    )
    if intake.external_code and db.session.scalar(
        select(Dossier.id).where(Dossier.code == intake.external_code)
    ):
        raise IllegalTransition(
            "Mã hồ sơ này đã được tiếp nhận trước đó.", field="external_code", code=code
        )
    person = Applicant(
        office_id=o.id,
        full_name=intake.full_name,
        id_number=intake.id_number,
        id_type=intake.id_type,
        phone=trimmed(intake.applicant.get("phone")),
        email=trimmed(intake.applicant.get("email")),
        address=trimmed(intake.applicant.get("address")),
    )
    db.session.add(person)
    db.session.flush()
    index_applicant(person)  # the blind index: found later by name, phone or ID number
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
        digitised=intake.digitised,
        received_at=now,
        due_at=due,
        original_due_at=due,
        status_code=int(DossierStatus.ACCEPTED),
        return_place=trimmed(body.get("return_place")) or f"{RECEPTION_UNIT} – {o.name}",
        fee_method=trimmed(body.get("fee_method")) or "",
        resolving_office=trimmed(body.get("resolving_office")) or o.name,
        current_unit=RECEPTION_UNIT,
        rules={k: setting(o, k) for k in KEPT_RULES}
        | ({"code_from": "external"} if intake.external_code else {}),
    )
    db.session.add(d)
    db.session.flush()
    return d, pin


# --- following through ----------------------------------------------------------------------


def apply_event(
    code: Any, body: dict[str, Any], user: StaffUser | None, *, source: str = "counter"
) -> dict[str, Any]:
    """A hand-over or a status change, logged as a control-sheet row; illegal moves are 409.

    The body is checked with EventRequest (one declaration, also the API's document) in the
    order it always was: the action, note and reason; is there such a dossier (404) and may it
    move so (409); then what the action itself needs (a unit, a reason, a new date)."""
    check(EventRequest, body, only=EventRequest.HEAD)
    action = DossierAction(str(body["action"]))
    note = trimmed(body.get("note")) or ""
    reason = trimmed(body.get("reason")) or ""
    with transaction():
        o = office()
        d = dossier_by_code(code, lock=True)
        before = status_of(d)
        after = next_dossier_status(before, action)
        schema, own = EventRequest.of(action)
        if own:
            check(schema, body, only=own)
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
    to_unit = body["to_unit"].strip()
    fields = {"from_unit": d.current_unit, "to_unit": to_unit}
    d.current_unit = to_unit
    return fields


def _request_supplement(
    d: Dossier, body: dict[str, Any], o: Office, now: datetime, reason: str
) -> dict[str, Any]:
    items = parse_components(body.get("items")) if body.get("items") is not None else []
    check_supplement_request(
        _earlier(d, DossierAction.REQUEST_SUPPLEMENT), int(setting(o, "supplement_requests_max"))
    )
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
    new_due = local_moment(body["new_due_at"], o)
    left = working_hours_between(now, d.due_at, working_calendar(o), office_tz(o))
    check_apology(
        _earlier(d, DossierAction.APOLOGISE),
        left if d.due_at > now else 0.0,
        max_reappointments=int(setting(o, "reappointments_max")),
        lead_working_hours=float(setting(o, "apology_lead_working_hours")),
    )
    if new_due <= now:
        raise InvalidRequest("Ngày hẹn trả mới phải sau thời điểm hiện tại.", field="new_due_at")
    d.new_due_at = new_due
    d.due_at = new_due
    d.apology = f"Cơ quan xin lỗi vì sự chậm trễ. {reason}"
    return {"new_due_at": new_due}


def _earlier(d: Dossier, action: DossierAction) -> int:
    """How many times this dossier already had `action` (rows of its control sheet)."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(DossierEvent)
            .where(DossierEvent.dossier_id == d.id, DossierEvent.action == action.value)
        )
        or 0
    )


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
