"""Feedback routes of /api/v1 (on the api blueprint): a citizen sends feedback about the desk
and follows it by its token. Public, rate-limited; the contact is never in an answer."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from marshmallow import fields
from marshmallow.validate import OneOf

from api import schemas as s
from api.http import bp, json_body
from core.access import DeviceKind
from core.errors import NotFound
from core.feedback import FeedbackStatus, FeedbackTopic
from lobby.auth import Unauthorized, current_device
from lobby.feedback import intake as feedback_intake
from lobby.feedback import views as feedback_views
from lobby.feedback.rules import FeedbackRequest
from lobby.ratelimit import FEEDBACK_SCOPE, feedback_limit, limiter, public_limit


def _source() -> tuple[str, int | None]:
    """Where it was sent from: a paired kiosk or counter tablet (with its counter), else a
    phone."""
    try:
        principal = current_device()
    except Unauthorized:
        return "phone", None
    device = principal.device if principal is not None else None
    if device is not None and device.kind == DeviceKind.KIOSK:
        return "kiosk", None
    if device is not None and device.kind == DeviceKind.TABLET:
        counter = (device.settings or {}).get("counter")
        return "counter_tablet", int(counter) if str(counter or "").isdigit() else None
    return "phone", None


@bp.post("/feedback")
@limiter.shared_limit(feedback_limit, scope=FEEDBACK_SCOPE)  # one bucket with the /gop-y form
def send_feedback() -> tuple[Response, int]:
    channel, counter = _source()
    return jsonify(feedback_intake.submit_feedback(json_body(), channel, counter)), 201


@bp.get("/feedback/<token>")
@limiter.limit(public_limit)
def public_feedback(token: str) -> Response:
    f = feedback_views.feedback_by_token(token)
    if f is None:
        raise NotFound("Không tìm thấy phản ánh.")
    return jsonify(feedback_views.public_feedback_view(f))


class FeedbackReceived(s.Open):
    code = fields.String(required=True, metadata={"example": "PA-261207-0001"})
    token = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "the tracking page (its QR)"})
    status = fields.String(required=True)
    due_at = fields.String(required=True, metadata={"format": "date-time"})


class PublicFeedback(s.Open):
    code = fields.String(required=True)
    topic = fields.String(required=True, validate=OneOf([t.value for t in FeedbackTopic]))
    topic_label = fields.String(required=True)
    status = fields.String(required=True, validate=OneOf([x.value for x in FeedbackStatus]))
    status_label = fields.String(required=True)
    received_at = fields.String(required=True, metadata={"format": "date-time"})
    due_at = fields.String(
        required=True,
        metadata={"format": "date-time", "description": "answer due (working days, DOMAIN §14)"},
    )
    url = fields.String(required=True)
    answer = fields.String(metadata={"description": "only once the office publishes it"})
    answered_at = fields.String(metadata={"format": "date-time"})
    reason = fields.String(
        metadata={"description": "why it was closed as out of scope (status out_of_scope only)"}
    )


PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/feedback": {
        "post": {
            "summary": "Send feedback about the desk (phản ánh, kiến nghị): a code and a tracking "
            "link",
            "description": "Public, rate-limited per address (together with the /gop-y page). "
            "`ticket_token` or `dossier_token` links it to a visit (an unknown one is ignored). "
            "The contact (name, phone) is stored encrypted, shown to staff only, never in a "
            "public answer. Sent by a paired kiosk or counter tablet, it is counted as theirs; "
            "a counter tablet's without a token is linked to the ticket served at its counter "
            "(now, or finished there in the last 10 minutes).",
            **s.body(FeedbackRequest),
            "responses": {**s.answer(FeedbackReceived, "201"), **s.errors(400, 422, 429)},
        }
    },
    "/api/v1/feedback/{token}": {
        "get": {
            "summary": "A feedback's status, answer deadline and, once published, the answer "
            "(no personal data, not the content)",
            "parameters": [s.path_param("token")],
            "responses": {**s.answer(PublicFeedback), **s.errors(404, 429)},
        }
    },
}
