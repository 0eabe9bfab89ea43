"""Dossier, rating, import and report routes of /api/v1 (on the api blueprint)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _

from api.openapi import IDEM, STAFF, error_responses, json_content, json_response
from api.views import _staff, bp, idempotent, json_body
from core.dossiers import DossierAction, IdType, RatingLevel
from core.errors import InvalidRequest, NotFound, UnsupportedMediaType
from lobby import dossiers, inputs, stats
from lobby.auth import require_device, require_staff
from lobby.errors import error_response
from lobby.extensions import limiter, lookup_limit, public_limit

MAX_IMPORT_ROWS = 5000


@bp.post("/dossiers")
@require_staff()
@idempotent
def accept_dossier() -> tuple[dict[str, Any], int]:
    return dossiers.accept_dossier(json_body(), _staff()), 201


@bp.get("/dossiers/due")
@require_staff()
def due_dossiers() -> Response:
    return jsonify(dossiers.due_lists(_staff()))


@bp.get("/dossiers/<code>")
@require_staff()
def staff_dossier(code: str) -> Response:
    return jsonify({"dossier": dossiers.staff_dossier_view(dossiers.dossier_by_code(code))})


@bp.post("/dossiers/<code>/events")
@require_staff()
@idempotent
def dossier_event(code: str) -> tuple[dict[str, Any], int]:
    return dossiers.apply_event(code, json_body(), _staff()), 200


@bp.post("/dossiers/<code>/pin")
@require_staff()
def reissue_pin(code: str) -> tuple[dict[str, Any], int]:
    """Cấp lại mã tra cứu after checking the citizen's identity; the new PIN is shown once."""
    return dossiers.reissue_pin(code, json_body(), _staff()), 201


@bp.get("/dossiers/public/<token>")
@limiter.limit(public_limit)
def public_dossier(token: str) -> Response:
    d = dossiers.dossier_by_token(token)
    if d is None:
        raise NotFound("Không tìm thấy hồ sơ")
    return jsonify(dossiers.public_dossier_view(d))


@bp.post("/dossiers/lookup")
@limiter.shared_limit(lookup_limit, scope=dossiers.LOOKUP_SCOPE)  # one bucket with /tra-cuu
def lookup_dossier() -> Response:
    body = json_body()
    try:
        return jsonify(dossiers.public_lookup(body.get("code"), body.get("pin")))
    except dossiers.LookupLocked as exc:
        resp, status = error_response(exc.status, exc.code, _(exc.message), exc.details)
        resp.status_code = status
        resp.headers["Retry-After"] = str(exc.details["retry_after"])
        return resp


@bp.post("/tickets/<token>/rating")
@limiter.limit(public_limit)
def rate(token: str) -> tuple[Response, int]:
    return jsonify(dossiers.rate_ticket(token, json_body())), 201


def _tablet_counter() -> int:
    from lobby.auth import current_device

    principal = current_device()
    device = principal.device if principal is not None else None
    counter = (device.settings or {}).get("counter") if device else None
    if not counter:
        raise InvalidRequest(
            "Máy đánh giá chưa được gán quầy (devices create tablet … --counter N)."
        )
    return int(counter)


@bp.get("/tablet/state")
@require_device("tablet")
def tablet_state() -> Response:
    """What the counter's rating tablet shows: the counter, its officer, the ticket to rate."""
    return jsonify(dossiers.tablet_state(_tablet_counter()))


@bp.post("/tablet/rating")
@require_device("tablet")
def tablet_rating() -> tuple[Response, int]:
    body = json_body()
    return jsonify(dossiers.rate_at_counter(_tablet_counter(), body)), 201


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
            inputs.check_json(row)  # NUL, broken Unicode, huge numbers: that row fails alone
        except InvalidRequest as exc:
            rows[n - 1] = {"__error__": _("dòng %(n)s: %(message)s", n=n, message=_(exc.message))}
    if len(rows) > MAX_IMPORT_ROWS:
        raise InvalidRequest(_("Tối đa %(n)s dòng mỗi lần nhập.", n=MAX_IMPORT_ROWS))
    return rows


@bp.post("/dossiers/import")
@require_staff("admin", "leader", "officer")
def import_dossier_changes() -> Response:
    """Apply each valid row in its own transaction; answer which rows failed and why."""
    from core.errors import DomainError

    rows = _import_rows()
    if not rows:
        raise InvalidRequest("Không có dòng nào để nhập (JSON lines hoặc CSV có dòng tiêu đề).")
    applied = 0
    failed = []
    user = _staff()
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
            dossiers.apply_event(row.get("code"), row, user, source="import")
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


@bp.get("/stats")
@require_staff("admin", "leader")
def office_stats() -> Response:
    start, end = stats.parse_range(request.args.get("from"), request.args.get("to"))
    return jsonify(stats.office_stats(start, end))


@bp.get("/stats/export")
@require_staff("admin", "leader")
def export_stats() -> Response:
    start, end = stats.parse_range(request.args.get("from"), request.args.get("to"))
    data = stats.office_stats(start, end)
    fmt = request.args.get("format", "xlsx")
    name = f"bao-cao-{start.isoformat()}-{end.isoformat()}"
    if fmt == "csv":
        resp = Response(stats.export_csv(data), content_type="text/csv; charset=utf-8")
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return resp
    if fmt != "xlsx":
        raise InvalidRequest("Định dạng xuất (format) là xlsx hoặc csv.", field="format")
    resp = Response(
        stats.export_xlsx(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return resp


# --- OpenAPI description of these routes (merged into api/openapi.py's document) --------------

_PUBLIC_DOSSIER = {
    "type": "object",
    "required": [
        "code",
        "procedure",
        "applicant",
        "received_at",
        "due_at",
        "status",
        "status_label",
        "timeliness",
        "new_due_at",
        "collect_at",
    ],
    "properties": {
        "code": {"type": "string"},
        "procedure": {"type": "string"},
        "applicant": {"type": ["string", "null"], "description": "masked: N*** V*** A"},
        "received_at": {"type": "string"},
        "due_at": {"type": "string"},
        "status": {"type": "string"},
        "status_code": {"type": "integer", "minimum": 1, "maximum": 10},
        "status_label": {"type": "string"},
        "timeliness": {
            "type": ["string", "null"],
            "enum": ["truoc_han", "dung_han", "qua_han", None],
        },
        "timeliness_label": {"type": ["string", "null"]},
        "new_due_at": {"type": ["string", "null"]},
        "apology": {"type": ["string", "null"]},
        "collect_at": {"type": ["string", "null"]},
        "collect_place": {"type": "string"},
        "url": {"type": "string"},
    },
    "additionalProperties": False,
}
_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
_RANGE = [
    {
        "name": "from",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "date"},
    },
    {
        "name": "to",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "date"},
    },
]


def _rating_body(**extra: Any) -> dict[str, Any]:
    """A rating: one of the levels of DOMAIN §6, an optional comment (and extra fields)."""
    return {
        "type": "object",
        "required": ["level"],
        "properties": {
            "level": {"enum": [x.value for x in RatingLevel]},
            **extra,
            "comment": {"type": "string"},
        },
    }


def openapi_paths() -> dict[str, Any]:
    actions = [a.value for a in DossierAction if a is not DossierAction.ACCEPT]
    obj = {"type": "object"}
    return {
        "/api/v1/dossiers": {
            "post": {
                "summary": "Accept a dossier (usually from the ticket being served)",
                "security": STAFF,
                "parameters": [IDEM],
                "requestBody": {
                    "required": True,
                    **json_content(
                        {
                            "type": "object",
                            "required": ["procedure", "applicant"],
                            "properties": {
                                "ticket_id": {"type": "integer"},
                                "procedure": {"type": "string", "minLength": 1},
                                "applicant": {
                                    "type": "object",
                                    "required": ["full_name"],
                                    "properties": {
                                        "full_name": {"type": "string", "minLength": 1},
                                        **{
                                            k: {"type": "string"}
                                            for k in ("id_number", "phone", "email", "address")
                                        },
                                        "id_type": {
                                            "enum": [t.value for t in IdType],
                                            "description": "what id_number is: cccd (12 digits, "
                                            "the default), passport or other",
                                        },
                                    },
                                },
                                "components": {"type": "array"},
                                "channel": {"enum": list(dossiers.CHANNELS)},
                                "sets_count": {"type": "integer"},
                                "print": {"type": "boolean"},
                            },
                        }
                    ),
                },
                "responses": {
                    **json_response(
                        {
                            "type": "object",
                            "required": ["code", "token", "url", "received_at", "due_at", "status"],
                            "properties": {
                                "code": {"type": "string"},
                                "token": {"type": "string"},
                                "url": {"type": "string"},
                                "lookup_pin": {"type": "string"},
                                "received_at": {"type": "string"},
                                "due_at": {"type": "string"},
                                "status": {"type": "string"},
                                "status_label": {"type": "string"},
                                "print": obj,
                            },
                        },
                        "201",
                    ),
                    **error_responses(400, 401, 403, 404, 409, 422),
                },
            }
        },
        "/api/v1/dossiers/due": {
            "get": {
                "summary": "Dossiers late, due within a working day, and ready to return",
                "security": STAFF,
                "responses": {
                    **json_response({"type": "object", "required": ["late", "due_soon", "ready"]}),
                    **error_responses(401, 403),
                },
            }
        },
        "/api/v1/dossiers/{code}": {
            "get": {
                "summary": "Full staff view with the control sheet (Mẫu 05) rows",
                "security": STAFF,
                "parameters": [_CODE],
                "responses": {
                    **json_response({"type": "object", "required": ["dossier"]}),
                    **error_responses(401, 403, 404, 422),
                },
            }
        },
        "/api/v1/dossiers/{code}/events": {
            "post": {
                "summary": "A hand-over or a status change",
                "security": STAFF,
                "parameters": [_CODE, IDEM],
                "requestBody": {
                    "required": True,
                    **json_content(
                        {
                            "type": "object",
                            "required": ["action"],
                            "properties": {
                                "action": {"enum": actions},
                                "note": {"type": "string"},
                                "reason": {"type": "string"},
                                "to_unit": {"type": "string"},
                                "items": {"type": "array"},
                                "new_due_at": {"type": "string", "format": "date-time"},
                            },
                        }
                    ),
                },
                "responses": {
                    **json_response({"type": "object", "required": ["dossier"]}),
                    **error_responses(400, 401, 403, 404, 409, 422),
                },
            }
        },
        "/api/v1/dossiers/{code}/pin": {
            "post": {
                "summary": "Cấp lại mã tra cứu: a new lookup PIN after checking the citizen's ID "
                "(the ID number, compared with the stored one, or identity_checked: true); the old "
                "PIN stops working; shown once, never stored in clear",
                "security": STAFF,
                "parameters": [_CODE],
                "requestBody": {
                    "required": True,
                    **json_content(
                        {
                            "type": "object",
                            "properties": {
                                "id_number": {"type": "string"},
                                "identity_checked": {"type": "boolean"},
                                "print": {
                                    "type": "boolean",
                                    "description": "reprint the receipt on the counter's printer",
                                },
                            },
                        }
                    ),
                },
                "responses": {
                    **json_response(
                        {
                            "type": "object",
                            "required": ["pin"],
                            "properties": {
                                "pin": {"type": "string", "pattern": "^[0-9]{6}$"},
                                "print": obj,
                            },
                        },
                        "201",
                    ),
                    **error_responses(400, 401, 403, 404, 422),
                },
            }
        },
        "/api/v1/dossiers/public/{token}": {
            "get": {
                "summary": "The public dossier view (no personal data)",
                "parameters": [
                    {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {**json_response(_PUBLIC_DOSSIER), **error_responses(404, 429)},
            }
        },
        "/api/v1/dossiers/lookup": {
            "post": {
                "summary": "Look up by dossier code (any case, spaces ignored) and the lookup PIN "
                "printed on the receipt. An unknown code and a wrong PIN get the same 404; 5 wrong "
                "PINs lock that dossier's lookup for 15 minutes (429, Retry-After); rate-limited "
                "per address together with the /tra-cuu page",
                "requestBody": {
                    "required": True,
                    **json_content(
                        {
                            "type": "object",
                            "required": ["code", "pin"],
                            "properties": {
                                "code": {"type": "string", "minLength": 1},
                                "pin": {"type": "string", "minLength": 1},
                            },
                        }
                    ),
                },
                "responses": {
                    **json_response(_PUBLIC_DOSSIER),
                    **error_responses(400, 404, 422, 429),
                },
            }
        },
        "/api/v1/dossiers/import": {
            "post": {
                "summary": "Status changes in bulk: JSON lines or CSV (columns code, action, note, reason, to_unit, new_due_at)",
                "security": STAFF,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-ndjson": {"schema": {"type": "string", "minLength": 1}},
                        "text/csv": {"schema": {"type": "string", "minLength": 1}},
                    },
                },
                "description": "Other body types answer 415 `unsupported_media_type`; a CSV "
                "whose header row lacks code or action, or names another column, answers 422 "
                "once (`field`: header) instead of an error per row; a device's token 403. "
                "Row messages follow Accept-Language.",
                "responses": {
                    **json_response(
                        {
                            "type": "object",
                            "required": ["received", "applied", "failed"],
                            "properties": {
                                "received": {"type": "integer"},
                                "applied": {"type": "integer"},
                                "failed": {"type": "array"},
                            },
                        }
                    ),
                    **error_responses(401, 403, 415, 422),
                },
            }
        },
        "/api/v1/tickets/{token}/rating": {
            "post": {
                "summary": "Rate the service, once per ticket",
                "description": "The level must be one of the office's scale (the 3 official "
                "levels, or all 5 when the office asks 5: see `scale` of the tablet state); "
                "any other answers 422 `invalid_request` with the `allowed` levels.",
                "parameters": [
                    {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "requestBody": {"required": True, **json_content(_rating_body())},
                "responses": {
                    **json_response({"type": "object", "required": ["level", "message"]}, "201"),
                    **error_responses(400, 404, 409, 422, 429),
                },
            }
        },
        "/api/v1/tablet/state": {
            "get": {
                "summary": "The counter rating tablet's state",
                "security": [{"bearer": []}, {"deviceCookie": []}],
                "responses": {
                    **json_response(
                        {
                            "type": "object",
                            "required": ["counter", "ticket"],
                            "properties": {
                                "scale": {
                                    "type": "array",
                                    "items": {"enum": [x.value for x in RatingLevel]},
                                    "description": "the levels the office asks, best first",
                                }
                            },
                        }
                    ),
                    **error_responses(401, 403, 422),
                },
            }
        },
        "/api/v1/tablet/rating": {
            "post": {
                "summary": "Rate the ticket just finished at the tablet's counter",
                "security": [{"bearer": []}, {"deviceCookie": []}],
                "requestBody": {
                    "required": True,
                    **json_content(_rating_body(number={"type": "string"})),
                },
                "responses": {
                    **json_response({"type": "object", "required": ["level", "message"]}, "201"),
                    **error_responses(400, 401, 403, 404, 409, 422),
                },
            }
        },
        "/api/v1/stats": {
            "get": {
                "summary": "Dossiers early/on time/late, on-time rate, satisfaction, waits per field and counter",
                "security": STAFF,
                "description": "Durations are in seconds (`avg_wait_seconds`, "
                "`avg_service_seconds`; the report page and the exports show minutes). The "
                "average wait is over the `called` tickets; per field `issued` counts the "
                "tickets issued for it, per counter `issued` (also `handled`) the tickets "
                "handled there.",
                "parameters": _RANGE,
                "responses": {
                    **json_response(
                        {
                            "type": "object",
                            "required": [
                                "dossiers",
                                "satisfaction",
                                "tickets",
                                "by_service",
                                "by_counter",
                            ],
                        }
                    ),
                    **error_responses(401, 403, 422),
                },
            }
        },
        "/api/v1/stats/export": {
            "get": {
                "summary": "The same figures as an Excel workbook or CSV",
                "security": STAFF,
                "parameters": [
                    *_RANGE,
                    {"name": "format", "in": "query", "schema": {"enum": ["xlsx", "csv"]}},
                ],
                "responses": {"200": {"description": "A file"}, **error_responses(401, 403, 422)},
            }
        },
    }
