"""Dossier, rating and report routes of /api/v1 (on the api blueprint); the bulk import of
dossier changes is api/dossier_import.py."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _
from marshmallow import fields
from marshmallow.validate import OneOf, Range

from api import schemas as s
from api.http import bp, json_body, staff
from api.idempotency import idempotent
from api.schemas import Predicate, gettext_noop
from core.access import SUPERVISORS, DeviceKind
from core.deadlines import Timeliness
from core.dossiers import STATUS_NAMES, RatingLevel, normalize_dossier_code
from core.errors import InvalidRequest, NotFound
from lobby.auth import current_device, require_device, require_staff
from lobby.dossiers import listing as dossier_listing
from lobby.dossiers import lookup as dossier_lookup
from lobby.dossiers import operations as dossier_operations
from lobby.dossiers import pins as dossier_pins
from lobby.dossiers import ratings as dossier_ratings
from lobby.dossiers import views as dossier_views
from lobby.dossiers.rules import CHANNELS, AcceptRequest, EventRequest
from lobby.errors import error_response
from lobby.ratelimit import limiter, lookup_limit, public_limit
from lobby.stats import exports as stats_exports
from lobby.stats import period as stats_period
from lobby.stats import report as stats_report


@bp.post("/dossiers")
@require_staff()
@idempotent
def accept_dossier() -> tuple[dict[str, Any], int]:
    return dossier_operations.accept_dossier(json_body(), staff()), 201


@bp.get("/dossiers")
@require_staff()
def list_dossiers() -> Response:
    """All the office's dossiers, filtered and searched (the blind index for personal data)."""
    return jsonify(dossier_listing.dossier_list(dossier_listing.parse_list_query(request.args)))


@bp.get("/dossiers/due")
@require_staff()
def due_dossiers() -> Response:
    return jsonify(dossier_views.due_lists(staff()))


@bp.get("/dossiers/<code>")
@require_staff()
def staff_dossier(code: str) -> Response:
    return jsonify(
        {"dossier": dossier_views.staff_dossier_view(dossier_lookup.dossier_by_code(code))}
    )


@bp.post("/dossiers/<code>/events")
@require_staff()
@idempotent
def dossier_event(code: str) -> tuple[dict[str, Any], int]:
    return dossier_operations.apply_event(code, json_body(), staff()), 200


@bp.post("/dossiers/<code>/pin")
@require_staff()
def reissue_pin(code: str) -> tuple[dict[str, Any], int]:
    """Cấp lại mã tra cứu after checking the citizen's identity; the new PIN is shown once."""
    return dossier_pins.reissue_pin(code, s.check(PinRequest, json_body()), staff()), 201


@bp.get("/dossiers/public/<token>")
@limiter.limit(public_limit)
def public_dossier(token: str) -> Response:
    d = dossier_lookup.dossier_by_token(token)
    if d is None:
        raise NotFound("Không tìm thấy hồ sơ")
    return jsonify(dossier_views.public_dossier_view(d))


@bp.post("/dossiers/lookup")
@limiter.shared_limit(lookup_limit, scope=dossier_pins.LOOKUP_SCOPE)  # one bucket with /tra-cuu
def lookup_dossier() -> Response:
    body = s.check(LookupRequest, json_body())
    try:
        return jsonify(dossier_pins.public_lookup(body.get("code"), body.get("pin")))
    except dossier_pins.LookupLocked as exc:
        resp, status = error_response(exc.status, exc.code, _(exc.message), exc.details)
        resp.status_code = status
        resp.headers["Retry-After"] = str(exc.details["retry_after"])
        return resp


@bp.post("/tickets/<token>/rating")
@limiter.limit(public_limit)
def rate(token: str) -> tuple[Response, int]:
    body = json_body()
    level = dossier_ratings.rating_level(body.get("level"))  # the office's scale first
    body = s.check(RatingRequest, body)
    return jsonify(dossier_ratings.rate_ticket(token, level, body.get("comment"))), 201


def _tablet_counter() -> int:
    principal = current_device()
    device = principal.device if principal is not None else None
    counter = (device.settings or {}).get("counter") if device else None
    if not counter:
        raise InvalidRequest(
            "Máy đánh giá chưa được gán quầy (devices create tablet … --counter N)."
        )
    return int(counter)


@bp.get("/tablet/state")
@require_device(DeviceKind.TABLET)
def tablet_state() -> Response:
    """What the counter's rating tablet shows: the counter, its officer, the ticket to rate."""
    return jsonify(dossier_ratings.tablet_state(_tablet_counter()))


@bp.post("/tablet/rating")
@require_device(DeviceKind.TABLET)
def tablet_rating() -> tuple[Response, int]:
    """Which ticket first (409 when the counter moved on), then its level and comment."""
    body = json_body()
    ticket = dossier_ratings.ticket_to_rate_at(_tablet_counter(), body.get("number"))
    level = dossier_ratings.rating_level(body.get("level"))
    body = s.check(TabletRatingRequest, body)
    return jsonify(dossier_ratings.rate_at_counter(ticket, level, body.get("comment"))), 201


@bp.get("/stats")
@require_staff(*SUPERVISORS)
def office_stats() -> Response:
    start, end = stats_period.parse_range(request.args.get("from"), request.args.get("to"))
    return jsonify(stats_report.office_stats(start, end, grain=request.args.get("grain")))


@bp.get("/stats/export")
@require_staff(*SUPERVISORS)
def export_stats() -> Response:
    start, end = stats_period.parse_range(request.args.get("from"), request.args.get("to"))
    data = stats_report.office_stats(start, end, grain=request.args.get("grain"))
    fmt = request.args.get("format", "xlsx")
    name = f"bao-cao-{start.isoformat()}-{end.isoformat()}"
    if fmt == "csv":
        resp = Response(stats_exports.export_csv(data), content_type="text/csv; charset=utf-8")
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return resp
    if fmt != "xlsx":
        raise InvalidRequest("Định dạng xuất (format) là xlsx hoặc csv.", field="format")
    resp = Response(
        stats_exports.export_xlsx(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return resp


# --- what these routes take and answer, for openapi.json (api/openapi.py) -------------------
# Accepting a dossier and a dossier event are declared in lobby.dossiers.rules (the staff pages
# send them through the same use cases, which check them in their order); the rest here.

_NAMED = {"minLength": 1}


class Accepted(s.Open):
    code = fields.String(required=True)
    token = fields.String(required=True)
    url = fields.String(required=True)
    lookup_pin = fields.String()
    received_at = fields.String(required=True)
    due_at = fields.String(required=True)
    status = fields.String(required=True)
    status_label = fields.String()
    print = fields.Dict()


class DossierRow(s.Open):
    code = fields.String(required=True)
    procedure = fields.String(required=True)
    procedure_code = fields.String(required=True)
    applicant = fields.String(required=True, metadata={"description": "staff only: full name"})
    channel = fields.String(required=True)
    received_at = fields.String(required=True)
    due_at = fields.String(required=True)
    status = fields.String(required=True)
    status_label = fields.String(required=True)
    timeliness = fields.String(allow_none=True)
    timeliness_label = fields.String(allow_none=True)
    late = fields.Boolean(
        required=True, metadata={"description": "finished late, or open past due"}
    )
    external_code = fields.Boolean(
        required=True, metadata={"description": "the code was given by another system"}
    )


class DossierPage(s.Open):
    items = fields.List(fields.Nested(DossierRow), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class DueLists(s.Open):
    late = fields.Raw(required=True)
    due_soon = fields.Raw(required=True)
    ready = fields.Raw(required=True)


class DossierEnvelope(s.Open):
    dossier = fields.Raw(required=True)


class PinRequest(s.Open):
    """Checked here as lobby.dossiers.reissue_pin does: true or false means exactly that."""

    identity_checked = fields.Raw(
        allow_none=True,
        validate=Predicate(
            lambda v: isinstance(v, bool),
            gettext_noop("identity_checked phải là true hoặc false."),
        ),
        metadata={"type": "boolean"},
    )
    id_number = fields.String(
        allow_none=True,
        error_messages={"invalid": gettext_noop("Trường id_number phải là chuỗi.")},
    )
    print = fields.Raw(
        metadata={"type": "boolean", "description": "reprint the receipt on the counter's printer"}
    )


class NewPin(s.Open):
    pin = fields.String(required=True, metadata={"pattern": "^[0-9]{6}$"})
    print = fields.Dict()


class PublicDossier(s._Closed):
    code = fields.String(required=True)
    procedure = fields.String(required=True)
    applicant = fields.String(
        required=True, allow_none=True, metadata={"description": "masked: N*** V*** A"}
    )
    received_at = fields.String(required=True)
    due_at = fields.String(required=True)
    status = fields.String(required=True)
    status_code = fields.Integer(validate=Range(min=1, max=10))
    status_label = fields.String(required=True)
    timeliness = fields.String(
        required=True, allow_none=True, validate=OneOf([t.value for t in Timeliness])
    )
    timeliness_label = fields.String(allow_none=True)
    new_due_at = fields.String(required=True, allow_none=True)
    apology = fields.String(allow_none=True)
    collect_at = fields.String(required=True, allow_none=True)
    collect_place = fields.String()
    url = fields.String()


NO_PIN = gettext_noop("Vui lòng nhập mã tra cứu (in trên giấy hẹn).")
NO_CODE = gettext_noop("Vui lòng nhập mã hồ sơ (in trên giấy hẹn).")


class LookupRequest(s.Open):
    """Checked here, PIN first, as lobby.dossiers.public_lookup does; spaces do not count."""

    pin = fields.String(
        required=True,
        validate=Predicate(lambda v: bool("".join(v.split())), NO_PIN),
        error_messages=s.says(NO_PIN),
        metadata=_NAMED,
    )
    code = fields.String(
        required=True,
        validate=Predicate(lambda v: bool(normalize_dossier_code(v)), NO_CODE),
        error_messages=s.says(NO_CODE),
        metadata=_NAMED,
    )


class RatingRequest(s.Open):
    """A rating: one of the levels of DOMAIN §6 and an optional comment. The level is checked
    against the office's own scale (lobby.dossiers.ratings.rating_level) before check() runs."""

    level = fields.Raw(
        required=True, metadata={"type": "string", "enum": [x.value for x in RatingLevel]}
    )
    comment = s.text("comment", limit=1000)


class TabletRatingRequest(RatingRequest):
    # The ticket the tablet showed: another one is a 409 (lobby.dossiers.ratings).
    number = fields.Raw(metadata={"type": "string"})


class Rated(s.Open):
    level = fields.Raw(required=True)
    message = fields.Raw(required=True)


class TabletState(s.Open):
    counter = fields.Raw(required=True)
    ticket = fields.Raw(required=True)
    scale = fields.List(
        fields.Raw(validate=OneOf([x.value for x in RatingLevel])),
        metadata={"description": "the levels the office asks, best first"},
    )


class Stats(s.Open):
    dossiers = fields.Raw(required=True)
    satisfaction = fields.Raw(required=True)
    tickets = fields.Raw(required=True)
    by_service = fields.Raw(required=True)
    by_counter = fields.Raw(required=True)
    indicators_766 = fields.Raw(
        required=True,
        metadata={
            "description": "Decision 766/QĐ-TTg: on_time (2.1), handling (2.2, days per "
            "procedure), online (3.3), digitised (4.2), satisfaction (5.4), each with full_points"
        },
    )
    by_officer = fields.Raw(required=True)
    by_procedure = fields.Raw(required=True)
    heat_map = fields.Raw(
        required=True, metadata={"description": "tickets issued by weekday (0 = Monday) × hour"}
    )
    trend = fields.Raw(required=True, metadata={"description": "grain (day|week|month) and rows"})


_CODE = s.path_param("code")
_TOKEN = s.path_param("token")
_RANGE = [
    s.query_param("from", {"type": "string", "format": "date"}),
    s.query_param("to", {"type": "string", "format": "date"}),
    s.query_param("grain", {"enum": ["day", "week", "month"]}),
]


_LIST = [
    s.query_param("status", {"enum": ["open", *(n for n in STATUS_NAMES.values())]}),
    s.query_param("procedure", {"type": "string"}),
    s.query_param("field", {"type": "string"}),
    *_RANGE,
    s.query_param("channel", {"enum": list(CHANNELS)}),
    s.query_param("timeliness", {"enum": ["late", "on_time"]}),
    s.query_param("q", {"type": "string"}),
    s.query_param("page", {"type": "integer", "minimum": 1}),
]

PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/dossiers": {
        "get": s.staff_op(
            "All dossiers, newest first, 50 a page: filtered by status (or `open`), procedure, "
            "field, period received (`from`, `to`), channel, `late` / `on_time`; `q` finds a "
            "code (or part of one) or an applicant's full name, phone or ID number, through a "
            "blind index (keyed hashes; the plain values are never stored unencrypted)",
            s.answer(DossierPage),
            401,
            403,
            422,
            parameters=_LIST,
        ),
        "post": s.staff_op(
            "Accept a dossier (usually from the ticket being served)",
            s.answer(Accepted, "201"),
            400,
            401,
            403,
            404,
            409,
            422,
            parameters=[s.IDEM],
            **s.body(AcceptRequest),
        ),
    },
    "/api/v1/dossiers/due": {
        "get": s.staff_op(
            "Dossiers late, due within a working day, and ready to return",
            s.answer(DueLists),
            401,
            403,
            description="`due_soon` looks one working day further ahead (the office's "
            "`apology_lead_working_hours`) so that an apology can still go out in time (Decree "
            "118: at least a working day before the due moment); each of its rows adds "
            "`apology_open` (an apology with a new date may still be sent) and "
            "`working_hours_left`.",
        )
    },
    "/api/v1/dossiers/{code}": {
        "get": s.staff_op(
            "Full staff view with the control sheet (Mẫu 05) rows",
            s.answer(DossierEnvelope),
            401,
            403,
            404,
            422,
            parameters=[_CODE],
        )
    },
    "/api/v1/dossiers/{code}/events": {
        "post": s.staff_op(
            "A hand-over or a status change",
            s.answer(DossierEnvelope),
            400,
            401,
            403,
            404,
            409,
            422,
            parameters=[_CODE, s.IDEM],
            **s.body(EventRequest),
        )
    },
    "/api/v1/dossiers/{code}/pin": {
        "post": s.staff_op(
            "Cấp lại mã tra cứu: a new lookup PIN after checking the citizen's ID (the ID "
            "number, compared with the stored one, or identity_checked: true); the old PIN stops "
            "working; shown once, never stored in clear",
            s.answer(NewPin, "201"),
            400,
            401,
            403,
            404,
            422,
            parameters=[_CODE],
            **s.body(PinRequest),
        )
    },
    "/api/v1/dossiers/public/{token}": {
        "get": {
            "summary": "The public dossier view (no personal data)",
            "parameters": [_TOKEN],
            "responses": {**s.answer(PublicDossier), **s.errors(404, 429)},
        }
    },
    "/api/v1/dossiers/lookup": {
        "post": {
            "summary": "Look up by dossier code (any case, spaces ignored) and the lookup PIN "
            "printed on the receipt. An unknown code and a wrong PIN get the same 404; 5 wrong "
            "PINs lock that dossier's lookup for 15 minutes (429, Retry-After); rate-limited "
            "per address together with the /tra-cuu page",
            **s.body(LookupRequest),
            "responses": {**s.answer(PublicDossier), **s.errors(400, 404, 422, 429)},
        }
    },
    "/api/v1/tickets/{token}/rating": {
        "post": {
            "summary": "Rate the service, once per ticket",
            "description": "The level must be one of the office's scale (the 3 official levels, "
            "or all 5 when the office asks 5: see `scale` of the tablet state); any other "
            "answers 422 `invalid_request` with the `allowed` levels.",
            "parameters": [_TOKEN],
            **s.body(RatingRequest),
            "responses": {**s.answer(Rated, "201"), **s.errors(400, 404, 409, 422, 429)},
        }
    },
    "/api/v1/tablet/state": {
        "get": {
            "summary": "The counter rating tablet's state",
            "security": s.DEVICE,
            "responses": {**s.answer(TabletState), **s.errors(401, 403, 422)},
        }
    },
    "/api/v1/tablet/rating": {
        "post": {
            "summary": "Rate the ticket just finished at the tablet's counter",
            "security": s.DEVICE,
            **s.body(TabletRatingRequest),
            "responses": {**s.answer(Rated, "201"), **s.errors(400, 401, 403, 404, 409, 422)},
        }
    },
    "/api/v1/stats": {
        "get": s.staff_op(
            "Dossiers early/on time/late, Decision 766 indicators, satisfaction, waits (mean, "
            "p50, p90) per field, counter, officer and procedure, heat map, trend",
            s.answer(Stats),
            401,
            403,
            422,
            description="Durations are in seconds (`avg_wait_seconds`, `avg_service_seconds`; "
            "the report page and the exports show minutes). The average wait is over the "
            "`called` tickets; per field `issued` counts the tickets issued for it, per counter "
            "`issued` (also `handled`) the tickets handled there. Percentiles (`*_p50_seconds`, "
            "`*_p90_seconds`) are by nearest rank over durations rounded to the half-minute. "
            "The trend's `grain` defaults to day up to two months, week up to half a year, "
            "else month.",
            parameters=_RANGE,
        )
    },
    "/api/v1/stats/export": {
        "get": {
            "summary": "The same figures as an Excel workbook or CSV",
            "security": s.STAFF,
            "parameters": [*_RANGE, s.query_param("format", {"enum": ["xlsx", "csv"]})],
            "responses": {"200": {"description": "A file"}, **s.errors(401, 403, 422)},
        }
    },
}
