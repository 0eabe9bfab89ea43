"""The public reception schedule of /api/v1: the sessions to come and today's leader on duty
(an official's name and title, the place and the time; nothing about citizens)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from api import schemas as s
from api.http import bp
from lobby.ratelimit import limiter, public_limit
from lobby.reception import schedule


@bp.get("/reception")
@limiter.limit(public_limit)
def reception() -> Response:
    resp = jsonify(schedule.public_schedule())
    resp.headers["Cache-Control"] = "no-cache"
    return resp


PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/reception": {
        "get": {
            "summary": "Citizen reception: upcoming sessions and today's leader on duty",
            "responses": {**s.answer(s.ReceptionSchedule), **s.errors(429)},
        }
    }
}
