"""Setting up the office itself: its details, its fields (lĩnh vực) and its counters.

The administrator's page (/admin/setup) calls these; each change is one transaction through the
ORM, so the per-process reference cache (lobby/refcache.py) forgets the old values at once.
Every check raises a DomainError with a message for people: the page shows it, nothing changes.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import time
from typing import Any

from sqlalchemy import select

from core.errors import DomainError, IllegalTransition, InvalidRequest, NotFound
from core.spreadsheet import SafeWriter, read_cell
from lobby import realtime, services
from lobby.extensions import db
from lobby.models import Counter, Field, Procedure, WorkingWindow
from lobby.tx import transaction

FIELD_CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")
# Ticket numbers are read aloud letter by letter: plain capital letters only.
TICKET_PREFIX = re.compile(r"[A-Z]{1,4}")
MAX_INTERLEAVE = 10
MAX_COUNTER = 999
AGENCY_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,59}")
# The rules the law leaves open (DOMAIN §2, §5, §6): each with the values it may take. A
# dossier keeps the rules it was accepted under; a change applies to the next one.
RULE_CHOICES: dict[str, tuple[str, ...]] = {
    "due_mode": ("working_hours", "end_of_nth_day"),
    "timeliness_boundary": ("due_day", "due_moment"),
    "supplement_clock": ("restart", "pause"),
    "rating_levels": ("3", "5"),
}
PROCEDURE_CODE = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,59}")
DEADLINE_UNITS = ("working_day", "working_hour", "same_day")
SAME_DAY_CUTOFF = time(15, 0)  # received later: the result is due the next working day
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
SESSIONS = ("am", "pm")  # a morning and an afternoon window per day, as offices work


def form_text(
    value: Any, label: str, field: str, *, required: bool = True, limit: int = 255
) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidRequest(f"Cần nhập {label}.", field=field)
    if len(text) > limit:
        raise InvalidRequest(f"{label.capitalize()} dài quá {limit} ký tự.", field=field)
    return text


def form_whole(
    value: Any, label: str, field: str, low: int, high: int, *, blank: bool = False
) -> Any:
    """A whole number in [low, high] from a form; None for an empty box when `blank`."""
    if blank and (value is None or str(value).strip() == ""):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidRequest(f"{label.capitalize()} phải là một số nguyên.", field=field) from None
    if not low <= number <= high:
        raise InvalidRequest(
            f"{label.capitalize()} phải từ {low} đến {high}.", field=field, low=low, high=high
        )
    return number


# --- the office ------------------------------------------------------------------------------


def update_office(form: dict[str, Any]) -> None:
    """Name, parent authority, province, address, hotline; the queue rule's settings."""
    name = form_text(form.get("name"), "tên đơn vị", "name")
    parent = form_text(
        form.get("parent_authority"), "cơ quan chủ quản", "parent_authority", required=False
    )
    province = form_text(
        form.get("province"), "tỉnh, thành phố", "province", required=False, limit=120
    )
    address = form_text(form.get("address"), "địa chỉ", "address", required=False)
    hotline = form_text(
        form.get("hotline"), "số điện thoại đường dây nóng", "hotline", required=False, limit=40
    )
    interleave = form_whole(
        form.get("interleave_n"),
        "số lượt thường giữa hai lượt ưu tiên",
        "interleave_n",
        0,
        MAX_INTERLEAVE,
    )
    with transaction():
        o = services.office()
        o.name, o.parent_authority, o.province = name, parent, province
        o.address, o.hotline, o.interleave_n = address, hotline, interleave
        o.priority_counter_serves_normal = bool(form.get("priority_counter_serves_normal"))


def update_dossier_rules(form: Any) -> None:
    """The agency code in dossier codes, and the rules of DOMAIN that the law leaves open."""
    from lobby.dossiers import DEFAULT_SETTINGS

    agency = form_text(form.get("agency_code"), "mã đơn vị trong mã hồ sơ", "agency_code", limit=60)
    if not AGENCY_CODE.fullmatch(agency):
        raise InvalidRequest(
            "Mã đơn vị gồm chữ, số, dấu chấm và gạch ngang (VD: 000.00.00.H00).",
            field="agency_code",
        )
    rules: dict[str, Any] = {}
    for name, allowed in RULE_CHOICES.items():
        value = form.get(name)
        if value not in allowed:
            raise InvalidRequest("Lựa chọn không hợp lệ.", field=name, allowed=list(allowed))
        rules[name] = int(value) if name == "rating_levels" else value
    rules["due_soon_working_hours"] = float(
        form_whole(
            form.get("due_soon_working_hours"),
            "số giờ báo sắp đến hạn",
            "due_soon_working_hours",
            1,
            80,
        )
    )
    rules["saturday_counts"] = bool(form.get("saturday_counts"))
    rules["hide_applicant_name"] = bool(form.get("hide_applicant_name"))
    assert set(rules) <= set(DEFAULT_SETTINGS)
    with transaction():
        o = services.office()
        o.agency_code = agency
        o.settings = {**(o.settings or {}), **rules}  # a new dict: the JSON column sees it


def dossier_rules(o: Any) -> dict[str, Any]:
    from lobby.dossiers import setting

    return {
        name: setting(o, name)
        for name in (
            *RULE_CHOICES,
            "due_soon_working_hours",
            "saturday_counts",
            "hide_applicant_name",
        )
    }


# --- hours -----------------------------------------------------------------------------------


def _clock_time(value: Any, where: str) -> time | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    try:
        value = time.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is not None:  # office wall-clock time, e.g. 07:30
        raise InvalidRequest(f"{where}: giờ phải có dạng HH:MM.", field="hours")
    return value.replace(second=0, microsecond=0)


# The two kinds of working hours, by the prefix of their form fields: when the kiosk issues
# numbers, and when dossiers are received (working-hour deadlines count these).
HOURS_FORMS = {"ticketing": "h", "reception": "r"}


def update_hours(form: Any, purpose: str) -> None:
    """Up to a morning and an afternoon window per weekday, an empty pair for none."""
    prefix = HOURS_FORMS[purpose]
    spans: list[tuple[int, time, time]] = []
    for weekday, day in enumerate(WEEKDAYS):
        for session in SESSIONS:
            where = f"{day}, {'sáng' if session == 'am' else 'chiều'}"
            start = _clock_time(form.get(f"{prefix}{weekday}_{session}_start"), where)
            end = _clock_time(form.get(f"{prefix}{weekday}_{session}_end"), where)
            if start is None and end is None:
                continue
            if start is None or end is None:
                raise InvalidRequest(f"{where}: cần cả giờ bắt đầu và giờ kết thúc.", field="hours")
            if not start < end:
                raise InvalidRequest(f"{where}: giờ kết thúc phải sau giờ bắt đầu.", field="hours")
            if spans and spans[-1][0] == weekday and spans[-1][2] > start:
                raise InvalidRequest(
                    f"{day}: buổi chiều phải bắt đầu sau buổi sáng.", field="hours"
                )
            spans.append((weekday, start, end))
    if not spans:
        raise InvalidRequest("Cần ít nhất một khung giờ làm việc.", field="hours")
    with transaction():
        o = services.office()
        for old in db.session.scalars(
            select(WorkingWindow).where(
                WorkingWindow.office_id == o.id, WorkingWindow.purpose == purpose
            )
        ):
            db.session.delete(old)
        for weekday, start, end in spans:
            db.session.add(
                WorkingWindow(
                    office_id=o.id, weekday=weekday, start=start, end=end, purpose=purpose
                )
            )


def _hours(office_id: int, purpose: str) -> list[dict[str, Any]]:
    """Per weekday its number and its windows by session, for the form."""
    rows = db.session.scalars(
        select(WorkingWindow)
        .where(WorkingWindow.office_id == office_id, WorkingWindow.purpose == purpose)
        .order_by(WorkingWindow.weekday, WorkingWindow.start)
    )
    by_day: dict[int, list[WorkingWindow]] = {}
    for w in rows:
        by_day.setdefault(w.weekday, []).append(w)
    days = []
    for weekday in range(len(WEEKDAYS)):
        windows: list[WorkingWindow | None] = list(by_day.get(weekday, [])[:2])
        if len(windows) == 1 and windows[0] is not None and windows[0].start >= time(12):
            windows = [None, windows[0]]  # an afternoon alone
        cells = {}
        for session, w in zip(SESSIONS, [*windows, None, None], strict=False):
            cells[session] = (w.start.strftime("%H:%M"), w.end.strftime("%H:%M")) if w else ("", "")
        days.append({"weekday": weekday, **cells})
    return days


# --- fields ----------------------------------------------------------------------------------


def _field_values(form: dict[str, Any]) -> dict[str, Any]:
    prefix = form_text(
        form.get("ticket_prefix"), "chữ đầu số thứ tự", "ticket_prefix", limit=4
    ).upper()
    if not TICKET_PREFIX.fullmatch(prefix):
        raise InvalidRequest(
            "Chữ đầu số thứ tự gồm 1 đến 4 chữ cái in hoa, không dấu (VD: A, HT).",
            field="ticket_prefix",
        )
    return {
        "name_vi": form_text(form.get("name_vi"), "tên lĩnh vực", "name_vi"),
        "name_en": form_text(form.get("name_en"), "tên tiếng Anh", "name_en", required=False),
        "ticket_prefix": prefix,
        "daily_ticket_limit": form_whole(
            form.get("daily_ticket_limit"),
            "giới hạn số phiếu mỗi ngày",
            "daily_ticket_limit",
            1,
            9999,
            blank=True,
        ),
        "sort_order": form_whole(
            form.get("sort_order") or 0, "thứ tự hiển thị", "sort_order", 0, 999
        ),
        "active": bool(form.get("active")),
    }


def _check_prefix_free(office_id: int, prefix: str, field_id: int | None) -> None:
    taken = db.session.scalar(
        select(Field).where(Field.office_id == office_id, Field.ticket_prefix == prefix)
    )
    if taken is not None and taken.id != field_id:
        raise IllegalTransition(
            f"Chữ đầu {prefix} đã dùng cho lĩnh vực “{taken.name_vi}”: "
            "mỗi lĩnh vực một dãy số riêng.",
            field="ticket_prefix",
        )


def add_field(form: dict[str, Any]) -> Field:
    code = form_text(form.get("code"), "mã lĩnh vực", "code", limit=40).lower()
    if not FIELD_CODE.fullmatch(code):
        raise InvalidRequest(
            "Mã lĩnh vực gồm chữ thường không dấu, chữ số và dấu gạch dưới, bắt đầu bằng một chữ "
            "(VD: ho_tich).",
            field="code",
        )
    values = _field_values(form)
    with transaction():
        o = services.office()
        if db.session.scalar(select(Field).where(Field.office_id == o.id, Field.code == code)):
            raise IllegalTransition(f"Đã có lĩnh vực mã {code}.", field="code")
        _check_prefix_free(o.id, values["ticket_prefix"], None)
        f = Field(office_id=o.id, code=code, **values)
        db.session.add(f)
        db.session.flush()
        return f


def update_field(field_id: Any, form: dict[str, Any]) -> Field:
    """Everything but the code, which kiosks, boards and other software refer to."""
    values = _field_values(form)
    with transaction():
        o = services.office()
        f = services.of_this_office(Field, field_id, "Không có lĩnh vực này.")
        _check_prefix_free(o.id, values["ticket_prefix"], f.id)
        for key, value in values.items():
            setattr(f, key, value)
        return f


# --- procedures ------------------------------------------------------------------------------


def _components_from_lines(text: Any, previous: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One document per line. A line already listed keeps its copy counts; a new one asks for
    one original (bản chính), as the dossier form does."""
    from lobby.dossiers import parse_components

    known = {c.get("name"): c for c in previous or [] if isinstance(c, dict)}
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    if len(lines) > 50:
        raise InvalidRequest("Tối đa 50 thành phần hồ sơ.", field="components")
    return [
        known[line] if line in known else parse_components([{"name": line, "ban_chinh": 1}])[0]
        for line in lines
    ]


def _procedure_values(form: Any, previous: list[dict[str, Any]]) -> dict[str, Any]:
    unit = form.get("deadline_unit")
    if unit not in DEADLINE_UNITS:
        raise InvalidRequest(
            "Đơn vị thời hạn không hợp lệ.", field="deadline_unit", allowed=list(DEADLINE_UNITS)
        )
    return {
        "field_id": services.of_this_office(Field, form.get("field"), "Không có lĩnh vực này.").id,
        "name_vi": form_text(form.get("name_vi"), "tên thủ tục", "name_vi", limit=500),
        "national_code": form_text(
            form.get("national_code"),
            "mã thủ tục quốc gia",
            "national_code",
            required=False,
            limit=60,
        ),
        "deadline_unit": unit,
        "deadline_value": 0
        if unit == "same_day"
        else form_whole(
            form.get("deadline_value"), "thời hạn giải quyết", "deadline_value", 1, 365
        ),
        "fee_text": form_text(form.get("fee_text"), "phí, lệ phí", "fee_text", required=False),
        "components": _components_from_lines(form.get("components"), previous),
        "active": bool(form.get("active")),
    }


def _procedure_code(value: Any) -> str:
    code = form_text(value, "mã thủ tục", "code", limit=60).upper()
    if not PROCEDURE_CODE.fullmatch(code):
        raise InvalidRequest(
            "Mã thủ tục gồm chữ in hoa không dấu, chữ số, dấu chấm, gạch ngang (VD: HT-KS).",
            field="code",
        )
    return code


def add_procedure(form: Any) -> Procedure:
    code = _procedure_code(form.get("code"))
    values = _procedure_values(form, [])
    with transaction():
        o = services.office()
        if db.session.scalar(
            select(Procedure.id).where(Procedure.office_id == o.id, Procedure.code == code)
        ):
            raise IllegalTransition(f"Đã có thủ tục mã {code}.", field="code")
        cutoff = SAME_DAY_CUTOFF if values["deadline_unit"] == "same_day" else None
        p = Procedure(office_id=o.id, code=code, same_day_cutoff=cutoff, **values)
        db.session.add(p)
        db.session.flush()
        return p


def update_procedure(procedure_id: Any, form: Any) -> Procedure:
    """Everything but the code, which dossier codes and other software refer to. Dossiers
    already accepted keep the due date they were given."""
    with transaction():
        p = services.of_this_office(Procedure, procedure_id, "Không có thủ tục này.")
        for key, value in _procedure_values(form, list(p.components or [])).items():
            setattr(p, key, value)
        if p.deadline_unit == "same_day" and p.same_day_cutoff is None:
            p.same_day_cutoff = SAME_DAY_CUTOFF
        return p


# The columns of a procedures file, as a spreadsheet saves it (CSV, UTF-8): one procedure per
# line; the documents separated by "|"; the unit working_day, working_hour or same_day.
CSV_COLUMNS = (
    "ma",
    "linh_vuc",
    "ten",
    "thoi_han",
    "don_vi",
    "phi",
    "ma_quoc_gia",
    "thanh_phan",
    "dang_dung",  # 1 in use, 0 not; left out: a new procedure is in use, a known one unchanged
)
MAX_CSV_ROWS = 2000


def procedures_csv() -> str:
    """Every procedure of the office in the import format: a file to edit and load again."""
    view = procedures_view()
    codes = {f.id: f.code for f in view["fields"]}
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(CSV_COLUMNS)
    for p in view["procedures"]:
        writer.writerow(
            [
                p.code,
                codes.get(p.field_id, ""),
                p.name_vi,
                p.deadline_value,
                p.deadline_unit,
                p.fee_text,
                p.national_code,
                " | ".join(c.get("name", "") for c in p.components or []),
                1 if p.active else 0,
            ]
        )
    return out.getvalue()


def import_procedures(raw: bytes) -> tuple[int, int]:
    """Add or update procedures from a CSV file (by code); all rows or none. Procedures not in
    the file stay as they are. Returns (added, updated)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest("Tệp phải là CSV mã hóa UTF-8.", field="file") from None
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.DictReader(io.StringIO(text), dialect=dialect))
    except csv.Error as exc:
        raise InvalidRequest(f"Tệp CSV không đọc được: {exc}.", field="file") from None
    # A file this app wrote protects text cells from spreadsheets (core.spreadsheet).
    rows = [{k: read_cell(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]
    if not rows:
        raise InvalidRequest("Tệp không có dòng thủ tục nào.", field="file")
    missing = [c for c in CSV_COLUMNS[:5] if c not in (rows[0].keys() or ())]
    if missing:
        raise InvalidRequest(
            f"Tệp thiếu cột: {', '.join(missing)}. Các cột: {', '.join(CSV_COLUMNS)}.",
            field="file",
        )
    if len(rows) > MAX_CSV_ROWS:
        raise InvalidRequest(f"Tối đa {MAX_CSV_ROWS} thủ tục mỗi tệp.", field="file")
    added = updated = 0
    errors: list[str] = []
    with transaction():
        o = services.office()
        fields = {
            f.code: f.id for f in db.session.scalars(select(Field).where(Field.office_id == o.id))
        }
        existing = {
            p.code: p
            for p in db.session.scalars(select(Procedure).where(Procedure.office_id == o.id))
        }
        seen: set[str] = set()
        for line, row in enumerate(rows, start=2):
            try:
                code = _procedure_code(row.get("ma"))
                if code in seen:
                    raise IllegalTransition(f"Mã {code} lặp lại trong tệp.")
                seen.add(code)
                field_code = (row.get("linh_vuc") or "").strip()
                if field_code not in fields:
                    raise NotFound(f"Không có lĩnh vực mã “{field_code}”.")
                form = {
                    "field": fields[field_code],
                    "name_vi": row.get("ten"),
                    "deadline_value": row.get("thoi_han"),
                    "deadline_unit": (row.get("don_vi") or "").strip(),
                    "fee_text": row.get("phi") or "",
                    "national_code": row.get("ma_quoc_gia") or "",
                    "components": "\n".join((row.get("thanh_phan") or "").split("|")),
                }
                p = existing.get(code)
                in_use = (row.get("dang_dung") or "").strip()
                if in_use not in ("", "0", "1"):
                    raise InvalidRequest("Cột dang_dung chỉ nhận 1 (đang dùng) hoặc 0.")
                form["active"] = in_use == "1" or (in_use == "" and (p is None or p.active))
                values = _procedure_values(form, list(p.components or []) if p else [])
            except DomainError as exc:
                errors.append(f"Dòng {line}: {exc.message}")
                continue
            cutoff = SAME_DAY_CUTOFF if values["deadline_unit"] == "same_day" else None
            if p is None:
                db.session.add(
                    Procedure(office_id=o.id, code=code, same_day_cutoff=cutoff, **values)
                )
                added += 1
            else:
                for key, value in values.items():
                    setattr(p, key, value)
                p.same_day_cutoff = p.same_day_cutoff or cutoff
                updated += 1
        if errors:
            more = f" (và {len(errors) - 5} lỗi khác)" if len(errors) > 5 else ""
            raise InvalidRequest(
                "Chưa nhập gì. " + " ".join(errors[:5]) + more, field="file", errors=errors[:50]
            )
    return added, updated


def procedures_view() -> dict[str, Any]:
    o = services.office()
    fields = list(
        db.session.scalars(
            select(Field).where(Field.office_id == o.id).order_by(Field.sort_order, Field.id)
        )
    )
    order = {f.id: i for i, f in enumerate(fields)}
    procedures = sorted(
        db.session.scalars(select(Procedure).where(Procedure.office_id == o.id)),
        key=lambda p: (order.get(p.field_id, 0), p.code),
    )
    return {"fields": fields, "procedures": procedures}


# --- counters --------------------------------------------------------------------------------


def _counter_fields(office_id: int, field_ids: list[Any]) -> list[Field]:
    ids = {form_whole(i, "lĩnh vực", "fields", 1, 2**31 - 1) for i in field_ids}
    found = list(
        db.session.scalars(
            select(Field)
            .where(Field.office_id == office_id, Field.id.in_(ids))
            .order_by(Field.sort_order, Field.id)
        )
    )
    if len(found) != len(ids):
        raise InvalidRequest("Có lĩnh vực không thuộc đơn vị này.", field="fields")
    return found


def add_counter(form: dict[str, Any], field_ids: list[Any]) -> Counter:
    number = form_whole(form.get("number"), "số quầy", "number", 1, MAX_COUNTER)
    name = form_text(form.get("name"), "tên quầy", "name")
    with transaction():
        o = services.office()
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


def update_counter(counter_id: Any, form: dict[str, Any], field_ids: list[Any]) -> Counter:
    """Name, priority, the fields served, in use or not. A counter holding a ticket stays in
    use until the ticket is finished, marked absent or transferred."""
    name = form_text(form.get("name"), "tên quầy", "name")
    active = bool(form.get("active"))
    with transaction():
        o = services.office()
        c = services.of_this_office(Counter, counter_id, "Không có quầy này.")
        if c.active and not active:
            _take_out_of_use(c, o)
        c.name, c.is_priority, c.active = name, bool(form.get("is_priority")), active
        c.fields = _counter_fields(o.id, field_ids)
        _publish_counter(c, o)
        return c


def _take_out_of_use(c: Counter, o: Any) -> None:
    """Refused while the counter holds a ticket. Tickets transferred to it alone go back to the
    line of their field (services.hand_back_transfers); it is closed, and no officer holds it."""
    day = services.today(o)
    services.ensure_counter_free(c, day)
    services.hand_back_transfers(c, o, day)
    c.state, c.staff_id = "closed", None


def _publish_counter(c: Counter, o: Any) -> None:
    """Boards and counter screens show the new name and fields without a reload."""
    services.tx_hooks_publish(
        realtime.COUNTER_CHANGED,
        services.counter_view(c, o, services.today(o)),
        [realtime.LOBBY_ROOM, realtime.counter_room(c.number)],
    )


def setup_view() -> dict[str, Any]:
    """What the page shows: the office, every field, every counter with the fields it serves."""
    o = services.office()
    fields = list(
        db.session.scalars(
            select(Field).where(Field.office_id == o.id).order_by(Field.sort_order, Field.id)
        )
    )
    counters = list(
        db.session.scalars(
            select(Counter).where(Counter.office_id == o.id).order_by(Counter.number)
        )
    )
    served = {f.id for c in counters if c.active for f in c.fields}
    return {
        "office": o,
        "fields": fields,
        "unserved": [f for f in fields if f.active and f.id not in served],
        "counters": counters,
        "hours": {purpose: _hours(o.id, purpose) for purpose in HOURS_FORMS},
        "rules": dossier_rules(o),
        "max_interleave": MAX_INTERLEAVE,
    }
