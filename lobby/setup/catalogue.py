"""The office's catalogue: its fields (lĩnh vực) and the administrative procedures of each.

Fields are added and changed from /admin/setup, procedures from /admin/procedures, one at a
time or from a CSV file (all rows or none). The read models give the pages what they list.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import time
from typing import Any

from sqlalchemy import select

from core.deadlines import DeadlineUnit
from core.errors import DomainError, IllegalTransition, InvalidRequest, NotFound
from core.spreadsheet import SafeWriter, read_cell
from core.text import matches
from lobby.context import of_this_office, office
from lobby.dossiers.rules import parse_components
from lobby.extensions import db
from lobby.forms import form_text, form_whole
from lobby.models import Field, Office, Procedure
from lobby.tx import transaction

FIELD_CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")
# Ticket numbers are read aloud letter by letter: plain capital letters only.
TICKET_PREFIX = re.compile(r"[A-Z]{1,4}")
PROCEDURE_CODE = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,59}")
DEADLINE_UNITS = tuple(unit.value for unit in DeadlineUnit)
SAME_DAY_CUTOFF = time(15, 0)  # received later: the result is due the next working day
MAX_COMPONENTS = 50
MAX_LEGAL_BASIS = 2000


# --- read models -----------------------------------------------------------------------------


def fields_in_order(
    office_id: int, *, active_only: bool = False, ids: set[int] | None = None
) -> list[Field]:
    """The office's fields in display order (sort order, then id): all of them, the active
    ones only, or those of `ids`."""
    stmt = select(Field).where(Field.office_id == office_id)
    if active_only:
        stmt = stmt.where(Field.active)
    if ids is not None:
        stmt = stmt.where(Field.id.in_(ids))
    return list(db.session.scalars(stmt.order_by(Field.sort_order, Field.id)))


def procedures_view() -> dict[str, Any]:
    """Every field, and every procedure by its field's display order then its code."""
    o = office()
    fields = fields_in_order(o.id)
    order = {f.id: i for i, f in enumerate(fields)}
    procedures = sorted(
        db.session.scalars(select(Procedure).where(Procedure.office_id == o.id)),
        key=lambda p: (order.get(p.field_id, 0), p.code),
    )
    return {"fields": fields, "procedures": procedures}


def intake_procedures(first_field_id: int | None = None) -> list[tuple[Field, list[Procedure]]]:
    """Active procedures by active field, by name; the ticket's field first (nothing is chosen
    for the officer). The intake form lists them."""
    o = office()
    procs = db.session.scalars(
        select(Procedure)
        .where(Procedure.office_id == o.id, Procedure.active)
        .order_by(Procedure.name_vi)
    ).all()
    fields = sorted(fields_in_order(o.id, active_only=True), key=lambda f: f.id != first_field_id)
    return [(f, [p for p in procs if p.field_id == f.id]) for f in fields]


def public_catalogue(query: str = "") -> list[dict[str, Any]]:
    """What /thu-tuc posts (public data only): each active field in display order with its
    active procedures by code, kept when every word of `query` is in the procedure's name,
    code, national code or field name, with or without diacritics. A field with no such
    procedure (the questions desk, collecting results) is left out."""
    o = office()
    fields = fields_in_order(o.id, active_only=True)
    procs = db.session.scalars(
        select(Procedure)
        .where(Procedure.office_id == o.id, Procedure.active)
        .order_by(Procedure.code)
    ).all()
    out = []
    for f in fields:
        listed = [
            {
                "code": p.code,
                "national_code": p.national_code,
                "name": p.name_vi,
                "deadline": {"value": p.deadline_value, "unit": p.deadline_unit},
                "fee": p.fee_text,
                "legal_basis": document_lines(p.legal_basis),
                "components": [
                    {k: c.get(k) or 0 for k in ("ban_chinh", "ban_chung_thuc", "ban_photo")}
                    | {"name": str(c.get("name") or "")}
                    for c in p.components or []
                    if isinstance(c, dict)
                ],
            }
            for p in procs
            if p.field_id == f.id
            and matches(query, p.name_vi, p.code, p.national_code, f.name_vi, f.name_en)
        ]
        if listed:
            out.append(
                {"code": f.code, "name": f.name_vi, "name_en": f.name_en, "procedures": listed}
            )
    return out


def document_lines(text: Any) -> list[str]:
    """Documents typed one per line: each line trimmed, empty lines left out."""
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


# --- fields ----------------------------------------------------------------------------------


def _field_values(form: Any) -> dict[str, Any]:
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


def add_field(form: Any) -> Field:
    code = form_text(form.get("code"), "mã lĩnh vực", "code", limit=40).lower()
    if not FIELD_CODE.fullmatch(code):
        raise InvalidRequest(
            "Mã lĩnh vực gồm chữ thường không dấu, chữ số và dấu gạch dưới, bắt đầu bằng một chữ "
            "(VD: ho_tich).",
            field="code",
        )
    values = _field_values(form)
    with transaction():
        o = office()
        if db.session.scalar(select(Field).where(Field.office_id == o.id, Field.code == code)):
            raise IllegalTransition(f"Đã có lĩnh vực mã {code}.", field="code")
        _check_prefix_free(o.id, values["ticket_prefix"], None)
        f = Field(office_id=o.id, code=code, **values)
        db.session.add(f)
        db.session.flush()
        return f


def update_field(field_id: Any, form: Any) -> Field:
    """Everything but the code, which kiosks, boards and other software refer to."""
    values = _field_values(form)
    with transaction():
        o = office()
        f = of_this_office(Field, field_id, "Không có lĩnh vực này.")
        _check_prefix_free(o.id, values["ticket_prefix"], f.id)
        for key, value in values.items():
            setattr(f, key, value)
        return f


# --- procedures ------------------------------------------------------------------------------


def _components_from_lines(text: Any, previous: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One document per line. A line already listed keeps its copy counts; a new one asks for
    one original (bản chính), as the dossier form does."""
    known = {c.get("name"): c for c in previous or [] if isinstance(c, dict)}
    lines = document_lines(text)
    if len(lines) > MAX_COMPONENTS:
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
        "field_id": of_this_office(Field, form.get("field"), "Không có lĩnh vực này.").id,
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
        if unit == DeadlineUnit.SAME_DAY
        else form_whole(
            form.get("deadline_value"), "thời hạn giải quyết", "deadline_value", 1, 365
        ),
        "fee_text": form_text(form.get("fee_text"), "phí, lệ phí", "fee_text", required=False),
        "legal_basis": _legal_basis(form.get("legal_basis")),
        "components": _components_from_lines(form.get("components"), previous),
        "active": bool(form.get("active")),
    }


def _legal_basis(value: Any) -> str:
    """The legal basis lines (one law or decree a line), as /thu-tuc posts them."""
    text = form_text(value, "căn cứ pháp lý", "legal_basis", required=False, limit=MAX_LEGAL_BASIS)
    return "\n".join(document_lines(text))


def _procedure_code(value: Any) -> str:
    code = form_text(value, "mã thủ tục", "code", limit=60).upper()
    if not PROCEDURE_CODE.fullmatch(code):
        raise InvalidRequest(
            "Mã thủ tục gồm chữ in hoa không dấu, chữ số, dấu chấm, gạch ngang (VD: HT-KS).",
            field="code",
        )
    return code


def _cutoff(values: dict[str, Any]) -> time | None:
    return SAME_DAY_CUTOFF if values["deadline_unit"] == DeadlineUnit.SAME_DAY else None


def add_procedure(form: Any) -> Procedure:
    code = _procedure_code(form.get("code"))
    values = _procedure_values(form, [])
    with transaction():
        o = office()
        if db.session.scalar(
            select(Procedure.id).where(Procedure.office_id == o.id, Procedure.code == code)
        ):
            raise IllegalTransition(f"Đã có thủ tục mã {code}.", field="code")
        p = Procedure(office_id=o.id, code=code, same_day_cutoff=_cutoff(values), **values)
        db.session.add(p)
        db.session.flush()
        return p


def update_procedure(procedure_id: Any, form: Any) -> Procedure:
    """Everything but the code, which dossier codes and other software refer to. Dossiers
    already accepted keep the due date they were given."""
    with transaction():
        p = of_this_office(Procedure, procedure_id, "Không có thủ tục này.")
        for key, value in _procedure_values(form, list(p.components or [])).items():
            setattr(p, key, value)
        if p.deadline_unit == DeadlineUnit.SAME_DAY and p.same_day_cutoff is None:
            p.same_day_cutoff = SAME_DAY_CUTOFF
        return p


# --- the procedures file ---------------------------------------------------------------------

# The columns of a procedures file, as a spreadsheet saves it (CSV, UTF-8): one procedure per
# line; the documents separated by "|"; the unit working_day, working_hour or same_day.
CSV_COLUMNS = (
    "ma",
    "linh_vuc",
    "ten",
    "thoi_han",
    "don_vi",
    "phi",
    "ma_quoc_gia",  # left out: a known one unchanged
    "thanh_phan",
    "dang_dung",  # 1 in use, 0 not; left out: a new procedure is in use, a known one unchanged
    "can_cu",  # the legal basis, lines separated by "|"; left out: a known one unchanged
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
                " | ".join(p.legal_basis.splitlines()),
            ]
        )
    return out.getvalue()


def _csv_rows(raw: bytes) -> list[dict[str, Any]]:
    """The rows of an uploaded procedures file, checked for its columns and its length."""
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
    return rows


def _row_values(row: dict[str, Any], fields: dict[str, int], p: Procedure | None) -> dict[str, Any]:
    """One file row as the values of a procedure (`p`, or a new one when None)."""
    field_code = (row.get("linh_vuc") or "").strip()
    if field_code not in fields:
        raise NotFound(f"Không có lĩnh vực mã “{field_code}”.")
    form = {
        "field": fields[field_code],
        "name_vi": row.get("ten"),
        "deadline_value": row.get("thoi_han"),
        "deadline_unit": (row.get("don_vi") or "").strip(),
        "fee_text": row.get("phi") or "",
        # Left out: a known one unchanged (an empty cell clears it).
        "national_code": row.get("ma_quoc_gia") or ""
        if row.get("ma_quoc_gia") is not None
        else (p.national_code if p else ""),
        "components": "\n".join((row.get("thanh_phan") or "").split("|")),
        "legal_basis": "\n".join((row.get("can_cu") or "").split("|"))
        if row.get("can_cu") is not None
        else (p.legal_basis if p else ""),
    }
    in_use = (row.get("dang_dung") or "").strip()
    if in_use not in ("", "0", "1"):
        raise InvalidRequest("Cột dang_dung chỉ nhận 1 (đang dùng) hoặc 0.")
    form["active"] = in_use == "1" or (in_use == "" and (p is None or p.active))
    return _procedure_values(form, list(p.components or []) if p else [])


def _import_rows(o: Office, rows: list[dict[str, Any]]) -> tuple[int, int, list[str]]:
    """Add or change the procedure of each row (in the open transaction): (added, updated,
    the errors by line)."""
    fields = {f.code: f.id for f in fields_in_order(o.id)}
    existing = {
        p.code: p for p in db.session.scalars(select(Procedure).where(Procedure.office_id == o.id))
    }
    added = updated = 0
    errors: list[str] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        try:
            code = _procedure_code(row.get("ma"))
            if code in seen:
                raise IllegalTransition(f"Mã {code} lặp lại trong tệp.")
            seen.add(code)
            p = existing.get(code)
            values = _row_values(row, fields, p)
        except DomainError as exc:
            errors.append(f"Dòng {line}: {exc.message}")
            continue
        if p is None:
            db.session.add(
                Procedure(office_id=o.id, code=code, same_day_cutoff=_cutoff(values), **values)
            )
            added += 1
        else:
            for key, value in values.items():
                setattr(p, key, value)
            p.same_day_cutoff = p.same_day_cutoff or _cutoff(values)
            updated += 1
    return added, updated, errors


def import_procedures(raw: bytes) -> tuple[int, int]:
    """Add or update procedures from a CSV file (by code); all rows or none. Procedures not in
    the file stay as they are. Returns (added, updated)."""
    rows = _csv_rows(raw)
    with transaction():
        added, updated, errors = _import_rows(office(), rows)
        if errors:
            more = f" (và {len(errors) - 5} lỗi khác)" if len(errors) > 5 else ""
            raise InvalidRequest(
                "Chưa nhập gì. " + " ".join(errors[:5]) + more, field="file", errors=errors[:50]
            )
    return added, updated
