"""The office's dossier rules and the parsing of what an officer sends: its settings (with their
defaults), the channels, the applicant's ID, the components, and the due moment of a procedure.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from core.deadlines import DeadlineUnit, DueMode, due_at
from core.dossiers import DossierStatus, normalize_id_number, parse_id_type
from core.errors import InvalidRequest
from lobby.context import office_setting, office_tz
from lobby.forms import body_text
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
}
# The rules a dossier keeps from the day it was accepted (Dossier.rules).
KEPT_RULES = ("due_mode", "timeliness_boundary", "supplement_clock")


def setting(o: Office, name: str) -> Any:
    return office_setting(o, name, DEFAULT_SETTINGS[name])


def status_of(d: Dossier) -> DossierStatus:
    return DossierStatus(d.status_code)


def parse_id(applicant: dict[str, Any]) -> tuple[str | None, str | None]:
    """The applicant's ID number checked by its type (id_type: cccd by default, passport,
    other) → (number as stored, type); (None, None) when no number is given."""
    raw = body_text(applicant, "id_number", limit=40)
    kind = parse_id_type(applicant.get("id_type"))
    if raw is None:
        return None, None
    return normalize_id_number(kind, raw), kind.value


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


def parse_when(value: Any, o: Office, field: str) -> datetime:
    """An ISO 8601 moment; one without a zone is the office's local time."""
    if not isinstance(value, str):
        raise InvalidRequest(f"{field} phải là thời điểm ISO 8601.", field=field)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{field} không đúng định dạng ISO 8601.", field=field) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=office_tz(o))
    return when


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
