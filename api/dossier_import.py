"""POST /api/v1/dossiers/import: dossier status changes in bulk, from other one-stop software
(JSON lines or CSV with a header row); each valid row in its own transaction."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _
from marshmallow import fields

from api import schemas as s
from api.http import bp, staff
from core.access import Role
from core.errors import DomainError, InvalidRequest, UnsupportedMediaType
from lobby import forms
from lobby.auth import require_staff
from lobby.dossiers import operations as dossier_operations

MAX_IMPORT_ROWS = 5000
IMPORT_COLUMNS = ("code", "action", "note", "reason", "to_unit", "new_due_at")
IMPORT_REQUIRED = ("code", "action")
CSV_TYPES = ("text/csv", "application/csv")
JSON_LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")


def _csv_rows(raw: str) -> list[dict[str, Any]]:
    """CSV rows under a header row naming IMPORT_COLUMNS; a wrong header is one error."""
    reader = csv.DictReader(io.StringIO(raw.lstrip("\ufeff")))
    header = [(name or "").strip() for name in reader.fieldnames or []]
    if not any(header):
        return []
    reader.fieldnames = header
    missing = [c for c in IMPORT_REQUIRED if c not in header]
    unknown = [c for c in header if c and c not in IMPORT_COLUMNS]
    if missing or unknown:
        raise InvalidRequest(
            _(
                "Dòng tiêu đề CSV không đúng: cần các cột %(required)s, có thể thêm "
                "%(optional)s (thiếu: %(missing)s; không nhận: %(unknown)s).",
                required=", ".join(IMPORT_REQUIRED),
                optional=", ".join(c for c in IMPORT_COLUMNS if c not in IMPORT_REQUIRED),
                missing=", ".join(missing) or "-",
                unknown=", ".join(unknown) or "-",
            ),
            field="header",
            columns=list(IMPORT_COLUMNS),
            missing=missing,
            unknown=unknown,
        )
    return [{k: (v if v != "" else None) for k, v in r.items() if k} for r in reader]


def _json_lines_rows(raw: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (ValueError, RecursionError):
            item = {"__error__": _("dòng %(n)s không phải JSON", n=n)}
        rows.append(
            item
            if isinstance(item, dict)
            else {"__error__": _("dòng %(n)s không phải đối tượng JSON", n=n)}
        )
    return rows


def _import_rows() -> list[dict[str, Any]]:
    """JSON lines (application/x-ndjson or .jsonl) or CSV with a header row; nothing else (a
    body in another format is not read as JSON lines)."""
    kind = (request.mimetype or "").lower()
    if kind in CSV_TYPES:
        rows = _csv_rows(request.get_data(as_text=True))
    elif kind in JSON_LINES_TYPES:
        rows = _json_lines_rows(request.get_data(as_text=True))
    else:
        raise UnsupportedMediaType(
            _(
                "Định dạng %(kind)s không được nhận: gửi JSON lines (application/x-ndjson) "
                "hoặc CSV có dòng tiêu đề (text/csv).",
                kind=kind or _("(không có Content-Type)"),
            ),
            allowed=[*JSON_LINES_TYPES, *CSV_TYPES],
        )
    for n, row in enumerate(rows, start=1):
        try:
            forms.check_json(row)  # NUL, broken Unicode, huge numbers: that row fails alone
        except InvalidRequest as exc:
            rows[n - 1] = {"__error__": _("dòng %(n)s: %(message)s", n=n, message=_(exc.message))}
    if len(rows) > MAX_IMPORT_ROWS:
        raise InvalidRequest(_("Tối đa %(n)s dòng mỗi lần nhập.", n=MAX_IMPORT_ROWS))
    return rows


@bp.post("/dossiers/import")
@require_staff(*Role)
def import_dossier_changes() -> Response:
    """Apply each valid row in its own transaction; answer which rows failed and why."""
    rows = _import_rows()
    if not rows:
        raise InvalidRequest("Không có dòng nào để nhập (JSON lines hoặc CSV có dòng tiêu đề).")
    applied = 0
    failed = []
    user = staff()
    for index, row in enumerate(rows, start=1):
        if "__error__" in row:
            failed.append(
                {
                    "row": index,
                    "code": None,
                    "error": "invalid_request",
                    "message": row["__error__"],
                }
            )
            continue
        try:
            dossier_operations.apply_event(row.get("code"), row, user, source="import")
            applied += 1
        except DomainError as exc:
            failed.append(  # in the caller's language, as the API's own errors
                {
                    "row": index,
                    "code": row.get("code"),
                    "error": exc.code,
                    "message": _(exc.message),
                }
            )
    return jsonify({"received": len(rows), "applied": applied, "failed": failed})


# --- what this route takes and answers, for openapi.json (api/openapi.py) -------------------

_TEXT = {"type": "string", "minLength": 1}


class ImportAnswer(s.Open):
    received = fields.Integer(required=True)
    applied = fields.Integer(required=True)
    failed = fields.List(fields.Raw(), required=True)


PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/dossiers/import": {
        "post": s.staff_op(
            "Status changes in bulk: JSON lines or CSV (columns code, action, note, reason, "
            "to_unit, new_due_at)",
            s.answer(ImportAnswer),
            401,
            403,
            415,
            422,
            requestBody={
                "required": True,
                "content": {
                    "application/x-ndjson": {"schema": _TEXT},
                    "text/csv": {"schema": _TEXT},
                },
            },
            description="Other body types answer 415 `unsupported_media_type`; a CSV whose "
            "header row lacks code or action, or names another column, answers 422 once "
            "(`field`: header) instead of an error per row; a device's token 403. Row messages "
            "follow Accept-Language.",
        )
    },
}
