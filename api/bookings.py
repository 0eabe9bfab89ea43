"""Remote tickets (lấy số từ xa): book a slot, see and cancel a booking (public, by its
token), and check it in at the kiosk (lobby.bookings)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from marshmallow import fields

from api import schemas as s
from api.http import bp, json_body
from core.access import DeviceKind
from lobby.auth import current_device, require_device
from lobby.bookings import booking, checkin
from lobby.forms import Open, check, gettext_noop, says
from lobby.ratelimit import booking_limit, issue_limit, limiter, public_limit

NO_SLOT_FIELD = gettext_noop("Thiếu lĩnh vực, ngày hoặc khung giờ (service, day, slot).")


class BookingRequest(Open):
    service = fields.String(required=True, error_messages=says(NO_SLOT_FIELD))
    day = fields.String(
        required=True, error_messages=says(NO_SLOT_FIELD), metadata={"format": "date"}
    )
    slot = fields.String(
        required=True, error_messages=says(NO_SLOT_FIELD), metadata={"pattern": r"^\d\d:\d\d$"}
    )
    phone = fields.String(allow_none=True, metadata={"description": "never shown back"})


class CheckInRequest(Open):
    code = fields.String(
        required=True,
        error_messages=says(gettext_noop("Nhập mã đặt lịch.")),
        metadata={"description": "the booking's code, or the address its QR holds"},
    )


class ConfirmRequest(Open):
    otp = fields.String(
        required=True,
        error_messages=says(gettext_noop("Nhập mã xác nhận gửi qua tin nhắn.")),
        metadata={"description": "the one-time code the SMS brought"},
    )


class TicketLink(Open):
    number = fields.String(required=True)
    url = fields.String(required=True)


class BookingView(Open):
    code = fields.String(required=True)
    token = fields.String(required=True)
    url = fields.String(required=True)
    service = fields.String(required=True)
    service_name = fields.String(required=True)
    day = fields.String(required=True)
    slot = fields.String(required=True)
    slot_end = fields.String(required=True)
    status = fields.String(required=True)
    status_label = fields.String(required=True)
    checkin_until = fields.String(required=True)
    ticket = fields.Nested(TicketLink, allow_none=True, required=True)


@bp.post("/bookings")
@limiter.limit(booking_limit)
def book() -> tuple[dict[str, Any], int]:
    body = check(BookingRequest, json_body())
    made = booking.book(
        body["service"], body["day"], body["slot"], body.get("phone"), request.remote_addr
    )
    return made, 201


@bp.get("/bookings/<token>")
@limiter.limit(public_limit)
def show(token: str) -> Response:
    return jsonify(booking.show(token))


@bp.delete("/bookings/<token>")
@limiter.limit(public_limit)
def cancel(token: str) -> Response:
    return jsonify(booking.cancel(token))


@bp.post("/bookings/<token>/confirm")
@limiter.limit(booking_limit)
def confirm(token: str) -> Response:
    body = check(ConfirmRequest, json_body())
    return jsonify(booking.confirm(token, body["otp"]))


# Not behind Idempotency-Key: a refused check-in of a lapsed booking marks it expired, which a
# replayed answer's transaction would roll back. Scanning twice answers 409 booking_closed.
@bp.post("/bookings/check-in")
@limiter.limit(issue_limit)
@require_device(DeviceKind.KIOSK)
def check_in() -> tuple[dict[str, Any], int]:
    body = check(CheckInRequest, json_body())
    device = current_device()
    return checkin.check_in(body["code"], device=device.device if device else None), 201


PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/bookings": {
        "post": {
            "summary": "Book a remote ticket (lấy số từ xa): a field, a day (today or the next "
            "working days) and a slot. 409 slot_full (with details.next_slot) or "
            "booking_limit (per number or address a day, and per field; with an SMS gateway "
            "the day's walk-in tickets given the same number count too). With a phone number "
            "and an SMS gateway the booking is `pending` until confirmed.",
            **s.body(BookingRequest),
            "responses": {
                **s.answer(BookingView, "201", "Booked"),
                **s.errors(400, 409, 422, 429),
            },
        }
    },
    "/api/v1/bookings/{token}": {
        "get": {
            "summary": "A booking as its phone sees it (with its ticket once checked in)",
            "parameters": [s.path_param("token")],
            "responses": {**s.answer(BookingView), **s.errors(404, 429)},
        },
        "delete": {
            "summary": "Cancel a booking not yet checked in (again: the same answer); 409 "
            "booking_closed once checked in or expired",
            "parameters": [s.path_param("token")],
            "responses": {**s.answer(BookingView), **s.errors(404, 409, 429)},
        },
    },
    "/api/v1/bookings/{token}/confirm": {
        "post": {
            "summary": "Confirm a pending booking with the one-time code sent by SMS (only when "
            "an SMS gateway is configured; without one a number is taken on trust). A wrong "
            "code is a 422 (details.tries_left); too many, or too late: 409 booking_closed.",
            "parameters": [s.path_param("token")],
            **s.body(ConfirmRequest),
            "responses": {**s.answer(BookingView), **s.errors(400, 404, 409, 422, 429)},
        }
    },
    "/api/v1/bookings/check-in": {
        "post": {
            "summary": "Check a booking in at the kiosk (its code typed or its QR scanned): "
            "issues its ticket, placed in line at the slot's start. 409 booking_closed, "
            "booking_not_today, booking_unconfirmed, outside_hours.",
            "security": s.DEVICE,
            **s.body(CheckInRequest),
            "responses": {
                **s.answer("IssuedTicket", "201", "Issued"),
                **s.errors(400, 401, 403, 404, 409, 422, 429),
            },
        }
    },
}
