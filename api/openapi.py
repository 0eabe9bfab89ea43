"""The OpenAPI 3.1 document of /api/v1, gathered from what each route module declares (its
PATHS, written with the schema classes of api/schemas.py and its own) by apispec's marshmallow
plugin: the document and the request checks come from the same classes."""

from __future__ import annotations

from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Response, jsonify
from marshmallow import fields

from api import bookings, dossier_import, dossiers, feedback, print_agent, reception, tickets
from api import schemas as s
from api.http import bp

ROUTE_MODULES = (tickets, bookings, dossiers, dossier_import, print_agent, feedback, reception)

# Outside /api/v1, documented for monitors.
HEALTH_PATHS: dict[str, dict[str, Any]] = {
    "/healthz": {
        "get": {
            "summary": "Liveness and database",
            "responses": {**s.answer("Health"), **s.errors(503)},
        }
    }
}
SELF_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/openapi.json": {
        "get": {"summary": "This document", "responses": {"200": {"description": "OK"}}}
    }
}


def _content_encoding(self: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """JSON Schema's contentEncoding (a base64 payload), which apispec does not pass on."""
    encoding = field.metadata.get("contentEncoding")
    return {"contentEncoding": encoding} if encoding else {}


def _inline(schema: Any) -> None:
    """Classes not named in COMPONENTS are written inline where they are used."""
    return None


@cache
def openapi_document() -> dict[str, Any]:
    plugin = MarshmallowPlugin(schema_name_resolver=_inline)
    spec = APISpec(
        title="Lobby queue and dossier tracking — Trung tâm Phục vụ hành chính công",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[plugin],
        info={
            "description": "Errors are {error, message}; messages in Vietnamese, English with "
            "Accept-Language: en."
        },
    )
    assert plugin.converter is not None
    plugin.converter.add_attribute_function(_content_encoding)
    for name, schema in s.COMPONENTS.items():
        spec.components.schema(name, schema=schema)
    spec.components.schema("IssueRequest", schema=s.IssueRequest)
    spec.components.schema("TransferRequest", s.TRANSFER_ONE_OF, schema=s.TransferRequest)
    spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": "session"}
    )
    spec.components.security_scheme(
        "deviceCookie", {"type": "apiKey", "in": "cookie", "name": "lobby_device"}
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for declared in (SELF_PATHS, *(m.PATHS for m in ROUTE_MODULES), HEALTH_PATHS):
        for path, operations in declared.items():
            spec.path(path=path, operations=_with_the_guard(operations))
    return spec.to_dict()


def _with_the_guard(operations: dict[str, Any]) -> dict[str, Any]:
    """An operation that reads a query string may meet the hostile-input guard (lobby.forms:
    a NUL or control character in it is answered 400 before the route runs): say so."""
    guarded = {}
    for method, op in operations.items():
        queried = any(p.get("in") == "query" for p in op.get("parameters", ()))
        if queried and "400" not in op.get("responses", {}):
            op = {**op, "responses": {**op["responses"], **s.errors(400)}}
        guarded[method] = op
    return guarded


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())
