"""The OpenAPI 3.1 document of /api/v1: every route, its inputs and its answers."""

from __future__ import annotations

from typing import Any

NULLABLE_STR = {"type": ["string", "null"]}
COUNTER_REF = {
    "type": ["object", "null"],
    "required": ["number", "name"],
    "properties": {"number": {"type": "integer"}, "name": {"type": "string"}},
}
STATUS = {
    "type": "string",
    "enum": ["waiting", "called", "serving", "done", "no_show", "cancelled", "expired"],
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "details": {"type": "object"},
        },
    },
    "Service": {
        "type": "object",
        "required": ["code", "prefix", "name", "waiting", "open", "daily_limit_left"],
        "properties": {
            "code": {"type": "string"},
            "prefix": {"type": "string"},
            "name": {"type": "string"},
            "name_en": {"type": "string"},
            "color": {"type": "string"},
            "waiting": {"type": "integer", "minimum": 0},
            "open": {"type": "boolean"},
            "daily_limit_left": {"type": ["integer", "null"]},
        },
    },
    "Counter": {
        "type": "object",
        "required": ["number", "name", "services", "priority", "state"],
        "properties": {
            "number": {"type": "integer"},
            "counter": {"type": "integer"},
            "name": {"type": "string"},
            "services": {"type": "array", "items": {"type": "string"}},
            "priority": {"type": "boolean"},
            "state": {"type": "string", "enum": ["open", "paused", "closed"]},
            "pause_reason": {"type": "string"},
            "current": NULLABLE_STR,
            "waiting": {
                "type": "integer",
                "minimum": 0,
                "description": "GET /counters: tickets this counter may call now",
            },
            "current_called_at": NULLABLE_STR,
        },
    },
    "Procedure": {
        "type": "object",
        "required": ["code", "name", "service", "deadline", "fee", "components"],
        "properties": {
            "code": {"type": "string"},
            "national_code": {"type": "string"},
            "name": {"type": "string"},
            "service": {"type": "string"},
            "deadline": {
                "type": "object",
                "required": ["value", "unit"],
                "properties": {
                    "value": {"type": "integer"},
                    "unit": {"type": "string", "enum": ["working_day", "working_hour", "same_day"]},
                },
            },
            "fee": {"type": "string"},
            "components": {"type": "array"},
        },
    },
    "IssueRequest": {
        "type": "object",
        "required": ["service"],
        "properties": {
            "service": {"type": "string", "minLength": 1},
            "priority": {
                "type": ["string", "null"],
                "enum": [None, "elderly", "disabled", "pregnant", "meritorious"],
            },
        },
    },
    "IssuedTicket": {
        "type": "object",
        "required": [
            "id",
            "number",
            "token",
            "url",
            "service",
            "issued_at",
            "ahead",
            "eta_minutes",
            "print",
        ],
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string"},
            "token": {"type": "string", "minLength": 22},
            "url": {"type": "string"},
            "service": {"type": "string"},
            "service_name": {"type": "string"},
            "priority": {"type": "boolean"},
            "issued_at": {"type": "string", "format": "date-time"},
            "session": {
                "type": "string",
                "enum": ["sang", "chieu", "ngoai_gio"],
                "description": "sang: morning, chieu: afternoon; ngoai_gio: issued outside the "
                "ticketing hours (LOBBY_OPEN_ALWAYS, a day off), no session",
            },
            "ahead": {"type": "integer", "minimum": 0},
            "eta_minutes": {"type": "integer", "minimum": 0},
            "print": {
                "type": "object",
                "required": ["status"],
                "properties": {"status": {"enum": ["queued", "printed", "failed", "none"]}},
            },
        },
    },
    "PublicTicket": {
        "type": "object",
        "required": [
            "number",
            "service",
            "status",
            "ahead",
            "eta_minutes",
            "counter",
            "called_at",
            "dossier",
        ],
        "properties": {
            "number": {"type": "string"},
            "service": {"type": "string"},
            "service_name": {"type": "string"},
            "status": STATUS,
            "ahead": {"type": "integer", "minimum": 0},
            "eta_minutes": {"type": "integer", "minimum": 0},
            "counter": COUNTER_REF,
            "called_at": NULLABLE_STR,
            "issued_at": {"type": "string"},
            "service_day": {"type": "string", "format": "date"},
            "dossier": {"type": ["object", "null"]},
            "rated": {"type": "boolean"},
            "next_counter": {
                **COUNTER_REF,
                "description": "a waiting ticket transferred to one counter: the counter "
                "that will call it (its place is `ahead` in that counter's call order)",
            },
        },
        "additionalProperties": False,
    },
    "StaffTicket": {
        "type": "object",
        "required": [
            "id",
            "number",
            "service",
            "status",
            "priority",
            "issued_at",
            "called_at",
            "counter",
            "recall_count",
        ],
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string"},
            "service": {"type": "string"},
            "service_name": {"type": "string"},
            "status": STATUS,
            "priority": {"type": "boolean"},
            "issued_at": {"type": "string"},
            "called_at": NULLABLE_STR,
            "serving_started_at": NULLABLE_STR,
            "counter": COUNTER_REF,
            "recall_count": {"type": "integer"},
            "outcome": NULLABLE_STR,
            "transfer": {
                "type": ["object", "null"],
                "description": "counter queue only: the ticket's last transfer",
                "required": ["from_counter", "note"],
                "properties": {
                    "from_counter": {"type": ["integer", "null"]},
                    "note": {"type": "string"},
                },
            },
            "dossier": {
                "type": ["object", "null"],
                "description": "counter queue, current ticket only: the dossier accepted from it",
                "required": ["code"],
                "properties": {"code": {"type": "string"}},
            },
        },
    },
    "TicketEnvelope": {
        "type": "object",
        "required": ["ticket"],
        "properties": {"ticket": {"$ref": "#/components/schemas/StaffTicket"}},
    },
    "CounterEnvelope": {
        "type": "object",
        "required": ["counter"],
        "properties": {"counter": {"$ref": "#/components/schemas/Counter"}},
    },
    "CounterQueue": {
        "type": "object",
        "required": ["counter", "current", "waiting_total", "waiting"],
        "properties": {
            "counter": {"$ref": "#/components/schemas/Counter"},
            "current": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/StaffTicket"}]},
            "waiting_total": {"type": "integer"},
            "waiting": {"type": "array", "items": {"$ref": "#/components/schemas/StaffTicket"}},
            "no_show": {"type": "array", "items": {"$ref": "#/components/schemas/StaffTicket"}},
            "services": {"type": "array"},
        },
    },
    "Board": {
        "type": "object",
        "required": ["now_serving", "recent", "waiting", "counters"],
        "properties": {
            "office": {"type": "object"},
            "service_day": {"type": "string"},
            "now": {"type": "string"},
            "now_serving": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["counter", "number"],
                    "properties": {"counter": COUNTER_REF, "number": {"type": "string"}},
                },
            },
            "recent": {"type": "array"},
            "waiting": {"type": "object", "additionalProperties": {"type": "integer"}},
            "services": {"type": "array"},
            "counters": {"type": "array", "items": {"$ref": "#/components/schemas/Counter"}},
            "callout": {
                "description": "The newest call an open counter still holds (the board's "
                "'Mời số … đến quầy …'); null when no open counter holds a number.",
                "type": ["object", "null"],
                "required": ["number", "counter", "called_at"],
                "properties": {
                    "number": {"type": "string"},
                    "counter": COUNTER_REF,
                    "called_at": {"type": "string"},
                },
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "database"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded"]},
            "database": {"type": "string"},
            "realtime": {
                "type": "string",
                "enum": ["ok", "down"],
                "description": "down: the message queue between server processes is away; "
                "this process still serves (status degraded, still 200)",
            },
        },
    },
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def json_response(schema: dict[str, Any], status: str = "200", desc: str = "OK") -> dict[str, Any]:
    """One documented answer with a JSON body; the route modules describe theirs with it."""
    return {status: {"description": desc, **json_content(schema)}}


def error_responses(*codes: int, description: str = "Error") -> dict[str, Any]:
    """The {error, message} answers of the given statuses."""
    return {str(c): {"description": description, **json_content(_ref("Error"))} for c in codes}


def _ok(name: str, status: str = "200", desc: str = "OK") -> dict[str, Any]:
    return json_response(_ref(name), status, desc)


def _errors(*codes: int) -> dict[str, Any]:
    return error_responses(*codes)


def _list(key: str, item: str) -> dict[str, Any]:
    return json_response(
        {
            "type": "object",
            "required": [key],
            "properties": {key: {"type": "array", "items": _ref(item)}},
        }
    )


IDEM = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"}}
STAFF = [{"session": []}, {"bearer": []}]
DEVICE = [{"bearer": []}, {"deviceCookie": []}]


def _counter_op(
    summary: str,
    body: dict[str, Any] | None = None,
    ok: str = "TicketEnvelope",
    extra: tuple[int, ...] = (),
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "security": STAFF,
        "parameters": [
            {"name": "n", "in": "path", "required": True, "schema": {"type": "integer"}},
            IDEM,
        ],
        "responses": {**_ok(ok), **_errors(400, 401, 403, 404, 409, 422, *extra)},
    }
    if body is not None:
        # A body with required fields is itself required (finish without a body is a 422).
        op["requestBody"] = {"required": bool(body.get("required")), **json_content(body)}
    return op


def _ticket_op(summary: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    op = _counter_op(summary, body)
    op["parameters"] = [
        {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "integer"}},
        IDEM,
    ]
    return op


def openapi_document() -> dict[str, Any]:
    outcome = {
        "type": "string",
        "enum": [
            "guided_only",
            "supplement_guidance",
            "refused",
            "dossier_accepted",
            "result_returned",
        ],
    }
    paths: dict[str, Any] = {
        "/api/v1/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": {"description": "OK"}}}
        },
        "/api/v1/services": {
            "get": {
                "summary": "Active fields (lĩnh vực)",
                "responses": _list("services", "Service"),
            }
        },
        "/api/v1/counters": {
            "get": {"summary": "Counters", "responses": _list("counters", "Counter")}
        },
        "/api/v1/procedures": {
            "get": {
                "summary": "Procedures, optionally of one field",
                "parameters": [
                    {
                        "name": "service",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {**_list("procedures", "Procedure"), **_errors(404)},
            }
        },
        "/api/v1/tickets": {
            "post": {
                "summary": "Issue a ticket (kiosk device)",
                "security": DEVICE,
                "parameters": [IDEM],
                "requestBody": {
                    "required": True,
                    **json_content(_ref("IssueRequest")),
                },
                "responses": {
                    **_ok("IssuedTicket", "201", "Issued"),
                    **_errors(400, 401, 403, 404, 409, 422, 429),
                },
            }
        },
        "/api/v1/tickets/{token}": {
            "get": {
                "summary": "A ticket as its phone sees it",
                "parameters": [
                    {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {**_ok("PublicTicket"), **_errors(404, 429)},
            }
        },
        "/api/v1/board": {
            "get": {
                "summary": "Board snapshot",
                "parameters": [
                    {
                        "name": "board",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {**_ok("Board"), **_errors(404, 429)},
            }
        },
        "/api/v1/counters/{n}/queue": {
            "get": {**_counter_op("The counter console's snapshot", ok="CounterQueue")}
        },
        "/api/v1/counters/{n}/call-next": {"post": _counter_op("Call the next ticket", extra=())},
        "/api/v1/counters/{n}/call": {
            "post": _counter_op(
                "Call a specific waiting ticket",
                {
                    "type": "object",
                    "required": ["number"],
                    "properties": {"number": {"type": "string", "minLength": 1}},
                },
            )
        },
        "/api/v1/counters/{n}/open": {
            "post": _counter_op(
                "Take the counter (force to take it from another officer)",
                {"type": "object", "properties": {"force": {"type": "boolean"}}},
                ok="CounterEnvelope",
            )
        },
        "/api/v1/counters/{n}/close": {
            "post": _counter_op("Close the counter", ok="CounterEnvelope")
        },
        "/api/v1/counters/{n}/pause": {
            "post": _counter_op(
                "Pause with a reason",
                {"type": "object", "properties": {"reason": {"type": "string"}}},
                ok="CounterEnvelope",
            )
        },
        "/api/v1/counters/{n}/resume": {"post": _counter_op("Resume", ok="CounterEnvelope")},
        "/api/v1/tickets/{ticket_id}/recall": {"post": _ticket_op("Announce again")},
        "/api/v1/tickets/{ticket_id}/start": {"post": _ticket_op("Serving starts")},
        "/api/v1/tickets/{ticket_id}/finish": {
            "post": _ticket_op(
                "Finish with an outcome; with a dossier accepted from the ticket, only "
                "dossier_accepted or result_returned (else 409 conflict)",
                {"type": "object", "required": ["outcome"], "properties": {"outcome": outcome}},
            )
        },
        "/api/v1/tickets/{ticket_id}/no-show": {"post": _ticket_op("Called but absent")},
        "/api/v1/tickets/{ticket_id}/requeue": {"post": _ticket_op("A no-show citizen came back")},
        "/api/v1/tickets/{ticket_id}/transfer": {
            "post": _ticket_op(
                "Transfer to a field or to an open counter, keeping number and issue time. "
                "Officers transfer only a ticket at the counter they hold (403); a closed or "
                "paused target counter answers 409 conflict. The note is shown to the "
                "receiving counter, never to the citizen.",
                {
                    "type": "object",
                    "properties": {
                        "service": {"type": "string", "minLength": 1},
                        "counter": {"type": "integer"},
                        "note": {"type": "string", "maxLength": 200},
                    },
                    # Exactly one destination: a field or a counter.
                    "oneOf": [{"required": ["service"]}, {"required": ["counter"]}],
                },
            )
        },
        "/api/v1/tickets/{ticket_id}/reprint": {
            "post": {
                "summary": "Print the ticket again, marked IN LẠI (on its kiosk or the given one)",
                "security": STAFF,
                "parameters": [
                    {
                        "name": "ticket_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                    IDEM,
                ],
                "requestBody": {
                    **json_content(
                        {
                            "type": "object",
                            "properties": {"device": {"type": "integer"}},
                        }
                    )
                },
                "responses": {
                    **json_response(
                        {
                            "type": "object",
                            "required": ["print"],
                            "properties": {
                                "print": {
                                    "type": "object",
                                    "required": ["status"],
                                    "properties": {"status": {"enum": ["queued", "failed"]}},
                                }
                            },
                        },
                        "202",
                        "Queued for the printer (409 no_printer: the device has none)",
                    ),
                    **_errors(400, 401, 403, 404, 409, 422),
                },
            }
        },
    }
    # Ticket numbers in the kiosk table are /healthz outside /api/v1, documented for monitors.
    paths["/healthz"] = {
        "get": {"summary": "Liveness and database", "responses": {**_ok("Health"), **_errors(503)}}
    }
    from api.dossiers import openapi_paths
    from api.print_agent import openapi_paths as print_agent_paths

    paths.update(openapi_paths())
    paths.update(print_agent_paths())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Lobby queue and dossier tracking — Trung tâm Phục vụ hành chính công",
            "version": "1.0.0",
            "description": "Errors are {error, message}; messages in Vietnamese, English with Accept-Language: en.",
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                "deviceCookie": {"type": "apiKey", "in": "cookie", "name": "lobby_device"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }
