"""Print agent routes of /api/v1 (on the api blueprint): an agent:// kiosk's jobs and status.

The agent on the kiosk PC (printers/agent.py) authenticates with the kiosk's device token
(`Authorization: Bearer ...`), pulls the kiosk's pending jobs, prints them and acknowledges each.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from api.openapi import error_responses, json_content
from api.views import bp, json_body
from core.errors import InvalidRequest
from lobby import services
from lobby.auth import current_device, require_device
from lobby.models import Device
from lobby.printing import AGENT_JOB_LIMIT

DEFAULT_LIMIT = 10


def _device() -> Device:
    principal = current_device()
    assert principal is not None and principal.device is not None
    return principal.device


def _printing() -> Any:
    return services.ctx().printing


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
@require_device("kiosk")
def agent_print_jobs() -> Response:
    """This kiosk's pending print jobs, oldest first, as base64 ESC/POS bytes."""
    return jsonify(_printing().agent_jobs(_device(), _limit()))


@bp.post("/print-jobs/<int:job_id>/done")
@require_device("kiosk")
def agent_job_done(job_id: int) -> Response:
    body = json_body()
    return jsonify(_printing().agent_job_done(_device(), job_id, body.get("state")))


@bp.post("/print-jobs/<int:job_id>/failed")
@require_device("kiosk")
def agent_job_failed(job_id: int) -> Response:
    body = json_body()
    return jsonify(
        _printing().agent_job_failed(_device(), job_id, body.get("error"), body.get("state"))
    )


@bp.post("/printer-status")
@require_device("kiosk")
def agent_printer_status() -> Response:
    body = json_body()
    return jsonify(
        _printing().agent_report_status(_device(), body.get("state"), body.get("pending_jobs"))
    )


# --- OpenAPI ---------------------------------------------------------------------------------

_AGENT = [{"bearer": []}]
_STATE = {"type": "string", "enum": ["ok", "paper_low", "paper_out", "offline", "unknown"]}
_JOB_STATE = {
    "type": "object",
    "required": ["job"],
    "properties": {
        "job": {
            "type": "object",
            "required": ["id", "status", "attempts"],
            "properties": {
                "id": {"type": "integer"},
                "status": {"type": "string", "enum": ["pending", "printed", "failed"]},
                "attempts": {"type": "integer", "minimum": 0},
            },
        }
    },
}
_STATUS_ANSWER = {
    "type": "object",
    "required": ["printer", "state", "pending_jobs"],
    "properties": {
        "printer": {"type": "string"},
        "state": _STATE,
        "pending_jobs": {"type": "integer", "minimum": 0},
    },
}
_JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _errors(*codes: int) -> dict[str, Any]:
    return error_responses(
        *codes, description="Error (409 not_agent_printer: the kiosk's printer is not agent://)"
    )


def openapi_paths() -> dict[str, Any]:
    """The print agent's routes for openapi.json."""
    return {
        "/api/v1/print-jobs": {
            "get": {
                "summary": "The kiosk's pending print jobs, oldest first (print agent; agent:// kiosks)",
                "security": _AGENT,
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": AGENT_JOB_LIMIT},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "Jobs to print in this order; more: further jobs wait",
                        **json_content(
                            {
                                "type": "object",
                                "required": ["jobs", "more"],
                                "properties": {
                                    "jobs": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id", "kind", "payload"],
                                            "properties": {
                                                "id": {"type": "integer"},
                                                "kind": {
                                                    "type": "string",
                                                    "enum": ["ticket", "receipt"],
                                                },
                                                "payload": {
                                                    "type": "string",
                                                    "contentEncoding": "base64",
                                                    "description": "ESC/POS bytes to send as is",
                                                },
                                                "attempts": {"type": "integer", "minimum": 0},
                                                "width": {"type": "integer"},
                                            },
                                        },
                                    },
                                    "more": {"type": "boolean"},
                                },
                            }
                        ),
                    },
                    **_errors(401, 403, 409, 422),
                },
            }
        },
        "/api/v1/print-jobs/{job_id}/done": {
            "post": {
                "summary": "The agent printed the job (repeating it is harmless)",
                "security": _AGENT,
                "parameters": [_JOB_ID],
                "requestBody": json_content(
                    {
                        "type": "object",
                        "properties": {
                            "state": {**_STATE, "description": "paper state seen (default ok)"}
                        },
                    }
                ),
                "responses": {
                    "200": {"description": "Marked printed", **json_content(_JOB_STATE)},
                    **_errors(400, 401, 403, 404, 409, 422),
                },
            }
        },
        "/api/v1/print-jobs/{job_id}/failed": {
            "post": {
                "summary": "The agent could not print the job: counted, it stays pending",
                "security": _AGENT,
                "parameters": [_JOB_ID],
                "requestBody": json_content(
                    {
                        "type": "object",
                        "properties": {"error": {"type": "string"}, "state": _STATE},
                    }
                ),
                "responses": {
                    "200": {"description": "Try recorded", **json_content(_JOB_STATE)},
                    **_errors(400, 401, 403, 404, 409, 422),
                },
            }
        },
        "/api/v1/printer-status": {
            "post": {
                "summary": "The agent's printer state; published as printer_status",
                "security": _AGENT,
                "requestBody": {
                    "required": True,
                    **json_content(
                        {
                            "type": "object",
                            "required": ["state"],
                            "properties": {
                                "state": _STATE,
                                "pending_jobs": {"type": "integer", "minimum": 0},
                            },
                        }
                    ),
                },
                "responses": {
                    "200": {"description": "Published", **json_content(_STATUS_ANSWER)},
                    **_errors(400, 401, 403, 409, 422),
                },
            }
        },
    }
