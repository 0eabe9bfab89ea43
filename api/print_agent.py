"""Print agent routes of /api/v1 (on the api blueprint): an agent:// kiosk's jobs and status.

The agent on the kiosk PC (printers/agent.py) authenticates with the kiosk's device token
(`Authorization: Bearer ...`), pulls the kiosk's pending jobs, prints them and acknowledges each.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from marshmallow import fields
from marshmallow.validate import OneOf, Range

from api import schemas as s
from api.http import bp, json_body
from core.access import DeviceKind
from core.errors import InvalidRequest
from lobby.auth import current_device, require_device
from lobby.context import ctx
from lobby.printing.agents import AGENT_JOB_LIMIT, PRINTER_STATES, agent_device

DEFAULT_LIMIT = 10


def _device() -> Any:
    principal = current_device()
    assert principal is not None and principal.device is not None
    return principal.device


def _printing() -> Any:
    return ctx().printing


def _limit() -> int:
    raw = request.args.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= AGENT_JOB_LIMIT:
        # A literal message (AGENT_JOB_LIMIT is 50) so that it can be translated.
        raise InvalidRequest("limit phải là số từ 1 đến 50.", field="limit")
    return value


@bp.get("/print-jobs")
@require_device(DeviceKind.KIOSK)
def agent_print_jobs() -> Response:
    """This kiosk's pending print jobs, oldest first, as base64 ESC/POS bytes."""
    return jsonify(_printing().agent_jobs(_device(), _limit()))


def _report(schema: type[s.Open]) -> dict[str, Any]:
    """The agent's report, checked once the kiosk is known to print through an agent (409
    not_agent_printer answers before any mistake in the body)."""
    body = json_body()
    agent_device(_device())
    return s.check(schema, body)


@bp.post("/print-jobs/<int:job_id>/done")
@require_device(DeviceKind.KIOSK)
def agent_job_done(job_id: int) -> Response:
    body = _report(DoneRequest)
    return jsonify(_printing().agent_job_done(_device(), job_id, body.get("state")))


@bp.post("/print-jobs/<int:job_id>/failed")
@require_device(DeviceKind.KIOSK)
def agent_job_failed(job_id: int) -> Response:
    body = _report(FailedRequest)
    return jsonify(
        _printing().agent_job_failed(_device(), job_id, body.get("error"), body.get("state"))
    )


@bp.post("/printer-status")
@require_device(DeviceKind.KIOSK)
def agent_printer_status() -> Response:
    body = _report(StatusRequest)
    return jsonify(
        _printing().agent_report_status(_device(), body["state"], body.get("pending_jobs"))
    )


# --- what these routes take and answer, for openapi.json (api/openapi.py) -------------------

_AGENT = [{"bearer": []}]
NO_STATE = s.gettext_noop("Thiếu trạng thái máy in (state).")
BAD_STATE = s.gettext_noop(
    "Trạng thái máy in (state) phải là một trong: ok, paper_low, paper_out, offline, unknown."
)
BAD_ERROR = s.gettext_noop("Mô tả lỗi (error) phải là chuỗi.")
BAD_PENDING = s.gettext_noop("Số lệnh in chờ (pending_jobs) phải là số nguyên không âm.")


def _paper_state(**kw: Any) -> fields.Field:
    """One of the printer states printers.backends knows (none given: as the route says)."""
    kw.setdefault("error_messages", {"invalid": BAD_STATE})
    return fields.String(validate=OneOf(PRINTER_STATES, error=BAD_STATE), **kw)


class AgentJob(s.Open):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=OneOf(["ticket", "receipt"]))
    payload = fields.String(
        required=True,
        metadata={"description": "ESC/POS bytes to send as is", "contentEncoding": "base64"},
    )
    attempts = fields.Integer(validate=Range(min=0))
    width = fields.Integer()


class AgentJobs(s.Open):
    jobs = fields.List(fields.Nested(AgentJob), required=True)
    more = fields.Boolean(required=True)


class JobState(s.Open):
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=OneOf(["pending", "printed", "failed"]))
    attempts = fields.Integer(required=True, validate=Range(min=0))


class JobAnswer(s.Open):
    job = fields.Nested(JobState, required=True)


class DoneRequest(s.Open):
    state = _paper_state(allow_none=True, metadata={"description": "paper state seen (default ok)"})


class FailedRequest(s.Open):
    error = fields.String(allow_none=True, error_messages={"invalid": BAD_ERROR})
    state = _paper_state(allow_none=True)


def _whole_not_negative(value: Any) -> bool:
    return s.whole(value, 0)


class StatusRequest(s.Open):
    state = _paper_state(
        required=True, error_messages={"required": NO_STATE, "null": NO_STATE, "invalid": BAD_STATE}
    )
    pending_jobs = fields.Raw(
        allow_none=True,
        validate=s.Predicate(_whole_not_negative, BAD_PENDING),
        metadata={"type": "integer", "minimum": 0},
    )


class StatusAnswer(s.Open):
    printer = fields.String(required=True)
    state = fields.String(required=True, validate=OneOf(PRINTER_STATES))
    pending_jobs = fields.Integer(required=True, validate=Range(min=0))


def _errors(*codes: int) -> dict[str, Any]:
    return s.errors(
        *codes, description="Error (409 not_agent_printer: the kiosk's printer is not agent://)"
    )


PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/print-jobs": {
        "get": {
            "summary": "The kiosk's pending print jobs, oldest first (print agent; agent:// kiosks)",
            "security": _AGENT,
            "parameters": [
                s.query_param(
                    "limit", {"type": "integer", "minimum": 1, "maximum": AGENT_JOB_LIMIT}
                )
            ],
            "responses": {
                **s.answer(AgentJobs, desc="Jobs to print in this order; more: further jobs wait"),
                **_errors(401, 403, 409, 422),
            },
        }
    },
    "/api/v1/print-jobs/{job_id}/done": {
        "post": {
            "summary": "The agent printed the job (repeating it is harmless)",
            "security": _AGENT,
            "parameters": [s.path_param("job_id", "integer")],
            "requestBody": s.json_content(DoneRequest),
            "responses": {
                **s.answer(JobAnswer, desc="Marked printed"),
                **_errors(400, 401, 403, 404, 409, 422),
            },
        }
    },
    "/api/v1/print-jobs/{job_id}/failed": {
        "post": {
            "summary": "The agent could not print the job: counted, it stays pending",
            "security": _AGENT,
            "parameters": [s.path_param("job_id", "integer")],
            "requestBody": s.json_content(FailedRequest),
            "responses": {
                **s.answer(JobAnswer, desc="Try recorded"),
                **_errors(400, 401, 403, 404, 409, 422),
            },
        }
    },
    "/api/v1/printer-status": {
        "post": {
            "summary": "The agent's printer state; published as printer_status",
            "security": _AGENT,
            **s.body(StatusRequest),
            "responses": {
                **s.answer(StatusAnswer, desc="Published"),
                **_errors(400, 401, 403, 409, 422),
            },
        }
    },
}
