"""Read models (plain dicts: the API's shapes): a dossier as the public and the staff see it, the
officer's due lists, and the public ticket view (a ticket with the dossier accepted from it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.deadlines import (
    TIMELINESS_LABELS_VI,
    Timeliness,
    add_working_hours,
    working_hours_between,
)
from core.dossiers import (
    STATUS_LABELS,
    STATUS_NAMES,
    DossierStatus,
    allowed_dossier_actions,
    mask_name,
)
from lobby.context import ctx, iso, office, office_ref, office_tz
from lobby.dossiers.lookup import dossier_of_ticket, dossier_url
from lobby.dossiers.ratings import is_rated
from lobby.dossiers.rules import setting, status_of
from lobby.extensions import db
from lobby.models import Dossier, DossierEvent, Field, Office, StaffUser, Ticket
from lobby.queue.line import phone_key
from lobby.queue.views import update_payload as _update_payload
from lobby.workcal import working_calendar

# Not collected yet: the dossier is closed one way or another (no collect_at to show).
_CLOSED = (
    DossierStatus.RETURNED,
    DossierStatus.REFUSED,
    DossierStatus.WITHDRAWN,
    DossierStatus.STOPPED,
)
# Open at the office: due soon or late while in one of these.
_OPEN = (
    DossierStatus.ACCEPTED,
    DossierStatus.PROCESSING,
    DossierStatus.SUPPLEMENT_REQUESTED,
    DossierStatus.AWAITING_PAYMENT,
)


def public_dossier_view(d: Dossier, o: Office | None = None) -> dict[str, Any]:
    """Only what DOMAIN §10 allows on a public page: no ID, phone, e-mail, address or full name."""
    o = o or office()
    status = status_of(d)
    proc = d.procedure
    field = db.session.get(Field, proc.field_id)
    procedure_name = field.name_vi if field is not None and field.sensitive else proc.name_vi
    applicant = None if setting(o, "hide_applicant_name") else mask_name(d.applicant.full_name)
    collect_at = None
    if status is DossierStatus.RESULT_READY:
        collect_at = iso(d.result_ready_at, o)
    elif status not in _CLOSED:
        collect_at = iso(d.new_due_at or d.due_at, o)
    return {
        "code": d.code,
        "procedure": procedure_name,
        "applicant": applicant,
        "received_at": iso(d.received_at, o),
        "due_at": iso(d.original_due_at, o),
        "status": STATUS_NAMES[status],
        "status_code": int(status),
        "status_label": STATUS_LABELS[status].citizen,
        "timeliness": d.timeliness,
        "timeliness_label": TIMELINESS_LABELS_VI[Timeliness(d.timeliness)]
        if d.timeliness
        else None,
        "new_due_at": iso(d.new_due_at, o),
        "apology": d.apology or None,
        "collect_at": collect_at,
        "collect_place": d.return_place,
        "url": dossier_url(d),
    }


def staff_dossier_view(d: Dossier, o: Office | None = None) -> dict[str, Any]:
    """The public view with the applicant's data, the allowed actions and the control sheet."""
    o = o or office()
    view = public_dossier_view(d, o)
    a = d.applicant
    rows = db.session.scalars(
        select(DossierEvent)
        .where(DossierEvent.dossier_id == d.id)
        .order_by(DossierEvent.at, DossierEvent.id)
    ).all()
    view.update(
        {
            "procedure": d.procedure.name_vi,
            "procedure_code": d.procedure.code,
            "applicant": {
                "full_name": a.full_name,
                "id_number": a.id_number,
                "id_type": a.id_type,
                "phone": a.phone,
                "email": a.email,
                "address": a.address,
            },
            "status_system_label": STATUS_LABELS[status_of(d)].system,
            "due_at_current": iso(d.due_at, o),
            "result_ready_at": iso(d.result_ready_at, o),
            "returned_at": iso(d.returned_at, o),
            "channel": d.channel,
            "components": d.components or [],
            "sets_count": d.sets_count,
            "current_unit": d.current_unit,
            "allowed_actions": [a.value for a in allowed_dossier_actions(status_of(d))],
            "ticket_id": d.ticket_id,
            "lookup_locked_until": iso(d.lookup_locked_until, o)
            if d.lookup_locked_until is not None and d.lookup_locked_until > ctx().clock.now()
            else None,
            "events": [_event_row(e, o) for e in rows],
        }
    )
    return view


def _event_row(e: DossierEvent, o: Office) -> dict[str, Any]:
    """One row of the control sheet (phiếu kiểm soát quá trình giải quyết hồ sơ)."""
    return {
        "at": iso(e.at, o),
        "action": e.action,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "from_unit": e.from_unit,
        "to_unit": e.to_unit,
        "reason": e.reason,
        "items": e.items or [],
        "new_due_at": iso(e.new_due_at, o),
        "note": e.note_internal,
        "source": e.source,
        "staff": _staff_name(e.actor_staff_id),
    }


def _staff_name(staff_id: int | None) -> str | None:
    if staff_id is None:
        return None
    user = db.session.get(StaffUser, staff_id)
    return user.full_name if user else None


def due_lists(user: StaffUser) -> dict[str, Any]:
    """The officer's dossiers due soon (within a working day) and late, oldest first."""
    o = office()
    now = ctx().clock.now()
    cal = working_calendar(o)
    tz = office_tz(o)
    # Decree 118: the apology goes out a working day before the due date, so "due soon" looks
    # that much further ahead, and says whether an apology may still go out (apology_open).
    lead = float(setting(o, "apology_lead_working_hours"))
    horizon = add_working_hours(now, float(setting(o, "due_soon_working_hours")) + lead, cal, tz)
    open_codes = [int(s) for s in _OPEN]
    base = (
        select(Dossier)
        .where(Dossier.office_id == o.id, Dossier.status_code.in_(open_codes))
        .options(selectinload(Dossier.applicant))  # one query for the names, not one a row
    )
    late = db.session.scalars(
        base.where(Dossier.due_at < now).order_by(Dossier.due_at).limit(200)
    ).all()
    soon = db.session.scalars(
        base.where(Dossier.due_at >= now, Dossier.due_at <= horizon)
        .order_by(Dossier.due_at)
        .limit(200)
    ).all()
    ready = db.session.scalars(
        select(Dossier)
        .options(selectinload(Dossier.applicant))
        .where(Dossier.office_id == o.id, Dossier.status_code == int(DossierStatus.RESULT_READY))
        .order_by(Dossier.result_ready_at)
        .limit(200)
    ).all()
    # Re-appointments so far (apologise rows of the control sheet), in one query.
    apologies: dict[int, int] = dict(
        db.session.execute(
            select(DossierEvent.dossier_id, func.count())
            .where(
                DossierEvent.dossier_id.in_([d.id for d in soon]),
                DossierEvent.action == "apologise",
            )
            .group_by(DossierEvent.dossier_id)
        ).all()
    )
    most = int(setting(o, "reappointments_max"))
    return {
        "late": [_due_row(d, o) for d in late],
        "due_soon": [
            _soon_row(d, o, now, lead, cal, not most or apologies.get(d.id, 0) < most) for d in soon
        ],
        "ready": [_due_row(d, o) for d in ready],
    }


def _soon_row(
    d: Dossier, o: Office, now: Any, lead: float, cal: Any, may_reappoint: bool
) -> dict[str, Any]:
    """A due-soon row with whether an apology may still go out (Decree 118: a working day
    before the due moment, and re-appointed at most reappointments_max times)."""
    left = working_hours_between(now, d.due_at, cal, office_tz(o))
    return {
        **_due_row(d, o),
        "apology_open": may_reappoint and left >= lead,
        "working_hours_left": round(left, 1),
    }


def _due_row(d: Dossier, o: Office) -> dict[str, Any]:
    return {
        "code": d.code,
        "procedure": d.procedure.name_vi,
        "applicant": mask_name(d.applicant.full_name),
        "due_at": iso(d.due_at, o),
        "status": STATUS_NAMES[status_of(d)],
        "status_label": STATUS_LABELS[status_of(d)].short,
    }


# --- the public ticket view -----------------------------------------------------------------


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
        "rated": is_rated(t),
        # Its key in its field's line_changed message (only its phone knows it).
        "line_key": phone_key(t.public_token),
    }


def _public_dossier_of(t: Ticket, o: Office) -> dict[str, Any] | None:
    """Once a dossier is accepted from this ticket, the same QR shows the dossier."""
    d = dossier_of_ticket(t)
    return None if d is None else public_dossier_view(d, o)


def last_event(dossier_id: int, action: str) -> DossierEvent | None:
    """A dossier's latest event of one kind (the notices print from it), or None."""
    return db.session.scalar(
        select(DossierEvent)
        .where(DossierEvent.dossier_id == dossier_id, DossierEvent.action == action)
        .order_by(DossierEvent.id.desc())
        .limit(1)
    )
