"""The office's dossier rules and what an officer sends: its settings (with their defaults), the
channels, the components, the due moment of a procedure, and the bodies of accepting a dossier
and of a dossier event, declared once (lobby.forms schemas): the API checks them, documents them
(api/dossiers.py) and the staff pages send the same through the same use cases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Any, ClassVar

from marshmallow import ValidationError, fields, validates_schema
from marshmallow.validate import OneOf

from core.deadlines import DeadlineUnit, DueMode, due_at
from core.dossiers import (
    DossierAction,
    DossierStatus,
    IdType,
    normalize_dossier_code,
    normalize_id_number,
    parse_action,
    parse_id_type,
)
from core.errors import InvalidRequest
from core.numbering import parse_dossier_code
from lobby.context import office_setting, office_tz
from lobby.forms import (
    Open,
    Predicate,
    Rule,
    gettext_noop,
    missing_text,
    refuse,
    says,
    text,
    trimmed,
    whole,
)
from lobby.models import Dossier, Office, Procedure
from lobby.workcal import working_calendar

CHANNELS = ("truc_tiep", "buu_chinh", "truc_tuyen")
DEFAULT_SETTINGS: dict[str, Any] = {
    "due_mode": DueMode.WORKING_HOURS.value,  # UNCONFIRMED in law: a setting (DOMAIN §5)
    "timeliness_boundary": "due_day",
    "supplement_clock": "restart",  # restart | pause (DOMAIN §2)
    "saturday_counts": False,
    "hide_applicant_name": False,  # a small commune may hide even the masked name
    "due_soon_working_hours": 8.0,  # "Hồ sơ sắp đến hạn": due within one working day
    "rating_levels": 3,  # the three official levels; 5 adds Bình thường, Rất không hài lòng
    # Decree 118/2025 (DOMAIN §14); 0 turns a check off
    "supplement_requests_max": 1,  # a supplement may be requested once
    "reappointments_max": 1,  # a dossier is re-appointed (apology + new date) at most once
    "apology_lead_working_hours": 8.0,  # the apology goes out ≥ 1 working day before due
}
# The rules a dossier keeps from the day it was accepted (Dossier.rules).
KEPT_RULES = ("due_mode", "timeliness_boundary", "supplement_clock")


def setting(o: Office, name: str) -> Any:
    return office_setting(o, name, DEFAULT_SETTINGS[name])


def status_of(d: Dossier) -> DossierStatus:
    return DossierStatus(d.status_code)


def parse_components(raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidRequest(
            "Thành phần hồ sơ (components) phải là một danh sách.", field="components"
        )
    out = []
    for item in raw:
        if isinstance(item, str):
            item = {"name": item}
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("name"), str)
            or not item["name"].strip()
        ):
            raise InvalidRequest("Mỗi thành phần hồ sơ cần có tên (name).", field="components")
        counts = {}
        for k in ("ban_chinh", "ban_chung_thuc", "ban_photo"):
            v = item.get(k, 0)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 99:
                raise InvalidRequest(f"Số bản ({k}) phải là số nguyên 0–99.", field="components")
            counts[k] = v
        out.append({"name": item["name"].strip()[:255], **counts})
    return out


def local_moment(value: str, o: Office) -> datetime:
    """A checked ISO 8601 moment (EventRequest.new_due_at); one without a zone is the office's
    local time."""
    when = datetime.fromisoformat(value)
    return when if when.tzinfo is not None else when.replace(tzinfo=office_tz(o))


def external_code(value: Any) -> str | None:
    """A code given by another system (Decree 118, DOMAIN §14), as stored: capitals, no spaces;
    blank is none. Refused (InvalidRequest) when it is not a dossier code."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        parse_dossier_code(value)  # refuses
    code = normalize_dossier_code(value)
    parse_dossier_code(code)
    return code


def due_from(now: datetime, proc: Procedure, o: Office, mode: DueMode) -> datetime:
    """When a dossier of this procedure, complete at `now`, is due (DOMAIN §5)."""
    return due_at(
        now,
        proc.deadline_value,
        DeadlineUnit(proc.deadline_unit),
        working_calendar(o),
        office_tz(o),
        mode=mode,
        same_day_cutoff=proc.same_day_cutoff or time(15, 0),
    )


# --- the bodies -----------------------------------------------------------------------------

NO_APPLICANT = gettext_noop("Thiếu thông tin người nộp (applicant).")
BAD_CHANNEL = gettext_noop("Kênh nộp (channel) không hợp lệ.")
BAD_SETS = gettext_noop("Số lượng bộ hồ sơ phải từ 1 đến 50.")
BAD_TICKET_ID = gettext_noop("ticket_id phải là số.")
USE_ACCEPT = gettext_noop("Dùng POST /api/v1/dossiers để tiếp nhận hồ sơ.")
NO_SUPPLEMENT_REASON = gettext_noop("Phiếu yêu cầu bổ sung cần nêu lý do (reason).")
NO_APOLOGY_REASON = gettext_noop("Phiếu xin lỗi cần nêu lý do chậm trễ (reason).")
NOT_A_MOMENT = gettext_noop("new_due_at phải là thời điểm ISO 8601.")
BAD_MOMENT = gettext_noop("new_due_at không đúng định dạng ISO 8601.")


def _id_number(applicant: dict[str, Any]) -> None:
    """The ID number checked by its type (core.dossiers: 12 digits for a CCCD …)."""
    raw = trimmed(applicant.get("id_number"))
    if raw is not None:
        normalize_id_number(parse_id_type(applicant.get("id_type")), raw)


class Applicant(Open):
    error_messages = {"type": NO_APPLICANT}  # noqa: RUF012  (marshmallow: not an object = missing)

    full_name = text("full_name", required=True, metadata={"minLength": 1})
    id_number = text("id_number", limit=40)
    phone = text("phone", limit=40)
    email = text("email")
    address = text("address", limit=500)
    id_type = fields.Raw(
        allow_none=True,
        validate=Rule(parse_id_type),
        metadata={
            "type": "string",
            "enum": [t.value for t in IdType],
            "description": "what id_number is: cccd (12 digits, the default), passport or other",
        },
    )

    @validates_schema(pass_original=True)
    def _id_by_type(self, data: Any, original: Any, **kwargs: Any) -> None:
        refuse(_id_number, original, field="id_number")


def _whole(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: whole(v, low, high)


class AcceptRequest(Open):
    """Accepting a dossier. Checked by lobby.dossiers.operations.accept_dossier in three parts,
    in the order the officer's mistakes were always answered: INTAKE before the procedure is
    looked up, FROM_TICKET before the ticket is, CONTACTS last."""

    ticket_id = fields.Raw(
        allow_none=True,
        validate=Predicate(whole, BAD_TICKET_ID),
        metadata={"type": "integer"},
    )
    procedure = text("procedure", required=True, limit=60, metadata={"minLength": 1})
    applicant = fields.Nested(Applicant, required=True, error_messages=says(NO_APPLICANT))
    channel = fields.String(
        validate=OneOf(CHANNELS, error=BAD_CHANNEL),
        error_messages=says(BAD_CHANNEL),
        metadata={"details": {BAD_CHANNEL: {"allowed": list(CHANNELS)}}},
    )
    components = fields.Raw(
        allow_none=True, validate=Rule(parse_components), metadata={"type": "array"}
    )
    sets_count = fields.Raw(
        validate=Predicate(_whole(1, 50), BAD_SETS),
        error_messages={"null": BAD_SETS},
        metadata={"type": "integer", "minimum": 1, "maximum": 50},
    )
    external_code = fields.Raw(
        allow_none=True,
        validate=Rule(external_code),
        metadata={
            "type": "string",
            "description": "the code the national portal or a ministry system gave the dossier "
            "(<agency ID>-YYMMDD-<4+ digits>, a ministry's two letters allowed before the "
            "digits): kept as the dossier's code instead of making one",
        },
    )
    # Its paper components scanned at intake (Decision 766 indicator 4.2).
    digitised = fields.Boolean(
        truthy={True},
        falsy={False},
        error_messages=says("digitised (đã số hóa thành phần hồ sơ) là true hoặc false."),
        metadata={"type": "boolean"},
    )
    return_place = text("return_place")
    fee_method = text("fee_method")
    resolving_office = text("resolving_office")
    print = fields.Raw(metadata={"type": "boolean"})
    notify_consent = fields.Raw(
        metadata={
            "type": "boolean",
            "description": "the applicant agrees to be texted about this dossier at "
            "applicant.phone (only when the office has a notification gateway: "
            "docs/notifications.md)",
        }
    )

    INTAKE: ClassVar[tuple[str, ...]] = (
        "procedure",
        "applicant.full_name",
        "applicant.id_number",
        "applicant.id_type",
        "channel",
        "components",
        "sets_count",
        "external_code",
        "digitised",
    )
    FROM_TICKET: ClassVar[tuple[str, ...]] = ("ticket_id",)
    CONTACTS: ClassVar[tuple[str, ...]] = (
        "applicant.phone",
        "applicant.email",
        "applicant.address",
        "return_place",
        "fee_method",
        "resolving_office",
    )


def _event_action(value: Any) -> None:
    parse_action(value)  # core's refusal, with the allowed actions


def _is_moment(value: Any) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


class EventRequest(Open):
    """A hand-over or a status change. Checked by lobby.dossiers.operations.apply_event in two
    parts: HEAD before the dossier is looked up, then (once the move is legal) the action's own
    fields, with the ones it needs (EventRequest.of(action))."""

    action = fields.Raw(  # core.dossiers.parse_action checks it (EventRequest._action)
        required=True,
        allow_none=True,
        metadata={
            "type": "string",
            "enum": [a.value for a in DossierAction if a is not DossierAction.ACCEPT],
        },
    )
    note = text("note", limit=2000)
    reason = text("reason", limit=2000)
    to_unit = text("to_unit")
    items = fields.Raw(allow_none=True, validate=Rule(parse_components), metadata={"type": "array"})
    new_due_at = fields.Raw(
        validate=[
            Predicate(lambda v: isinstance(v, str), NOT_A_MOMENT),
            Predicate(lambda v: not isinstance(v, str) or _is_moment(v), BAD_MOMENT),
        ],
        error_messages={"null": NOT_A_MOMENT},
        metadata={"type": "string", "format": "date-time"},
    )

    HEAD: ClassVar[tuple[str, ...]] = ("action", "note", "reason")
    NEEDS: ClassVar[dict[str, str]] = {}  # field -> the message when the action lacks it

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _action(self, data: Any, original: Any, **kwargs: Any) -> None:
        if "action" in self.fields:
            refuse(_event_action, original.get("action"), field="action")
            if original.get("action") == DossierAction.ACCEPT.value:
                raise ValidationError(USE_ACCEPT, "action")
        for name, message in self.NEEDS.items():
            if name in self.fields and trimmed(original.get(name)) is None:
                raise ValidationError(message, name)

    @staticmethod
    def of(action: DossierAction) -> tuple[type[EventRequest], tuple[str, ...]]:
        """The schema and the fields an action's own change checks (after HEAD)."""
        return _EVENT_PARTS.get(action, (EventRequest, ()))


class _Handover(EventRequest):
    NEEDS: ClassVar[dict[str, str]] = {"to_unit": missing_text("to_unit")}


class _Supplement(EventRequest):
    NEEDS: ClassVar[dict[str, str]] = {"reason": NO_SUPPLEMENT_REASON}


class _Apology(EventRequest):
    NEEDS: ClassVar[dict[str, str]] = {"reason": NO_APOLOGY_REASON, "new_due_at": NOT_A_MOMENT}


_EVENT_PARTS: dict[DossierAction, tuple[type[EventRequest], tuple[str, ...]]] = {
    DossierAction.HANDOVER: (_Handover, ("to_unit",)),
    DossierAction.REQUEST_SUPPLEMENT: (_Supplement, ("reason", "items")),
    DossierAction.APOLOGISE: (_Apology, ("reason", "new_due_at")),
}
