"""The api blueprint and what every route of /api/v1 shares: the JSON body, the JSON answer,
the signed-in officer."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request

from core.errors import InvalidRequest
from lobby import forms
from lobby.auth import current_principal
from lobby.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # CSRF is checked in lobby.auth for cookie-authenticated writes only


class BadRequest(InvalidRequest):
    code = "bad_request"
    status = 400


def json_body() -> dict[str, Any]:
    """The request's JSON object; an empty body counts as {}. Hostile JSON (too deep, NUL,
    broken Unicode, integers beyond 64 bits) is refused here for every route (lobby.forms)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Nội dung gửi lên không phải JSON hợp lệ.") from None
    except RecursionError:
        raise BadRequest("Nội dung JSON lồng nhau quá sâu.") from None
    forms.check_json(data)
    if not isinstance(data, dict):
        raise InvalidRequest("Nội dung phải là một đối tượng JSON.")
    return data


def json_answer(body: dict[str, Any], status: int) -> Response:
    resp = jsonify(body)
    resp.status_code = status
    return resp


def staff() -> Any:
    """The signed-in officer (the route is behind require_staff)."""
    user = current_principal().user
    assert user is not None
    return user
