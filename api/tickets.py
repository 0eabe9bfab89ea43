"""Kiosk, public and counter routes of /api/v1: fields, counters, tickets, the board."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request

from api import schemas as s
from api.http import bp, json_body, staff
from api.idempotency import idempotent
from core.access import CounterState, DeviceKind
from core.errors import NotFound
from lobby.auth import current_device, require_device, require_staff
from lobby.context import ctx
from lobby.dossiers.views import public_ticket_view
from lobby.notify import contacts
from lobby.queue import counter_actions, issuing, leaving, reference
from lobby.queue import views as queue_views
from lobby.ratelimit import issue_limit, limiter, public_limit


@bp.get("/services")
def list_services() -> Response:
    return jsonify(queue_views.services_list())


@bp.get("/counters")
def list_counters() -> Response:
    return jsonify(queue_views.counters_list())


@bp.get("/procedures")
def list_procedures() -> Response:
    return jsonify(reference.procedures_list(request.args.get("service")))


@bp.post("/tickets")
@limiter.limit(issue_limit)
@require_device(DeviceKind.KIOSK)
@idempotent
def issue_ticket() -> tuple[dict[str, Any], int]:
    body = s.check(s.IssueRequest, json_body())
    device = current_device()
    return issuing.issue_ticket(
        body.get("service"),
        body.get("priority"),
        device=device.device if device else None,
        phone=body.get("phone"),
    ), 201


@bp.get("/tickets/<token>")
@limiter.limit(public_limit)
def public_ticket(token: str) -> Response:
    t = reference.ticket_by_token(token)
    if t is None:
        raise NotFound("Không tìm thấy phiếu. Phiếu có thể đã hết hạn.")
    return jsonify(public_ticket_view(t))


@bp.post("/tickets/<token>/leave")
@limiter.limit(public_limit)
def leave_line(token: str) -> Response:
    """ "Tôi không chờ nữa": the holder cancels a waiting ticket (a double tap answers the same)."""
    json_body()
    return jsonify(public_ticket_view(leaving.leave(token)))


@bp.post("/tickets/<token>/delay")
@limiter.limit(public_limit)
def delay_turn(token: str) -> Response:
    """ "Để người sau lên trước": the waiting ticket lets the next few people go first."""
    json_body()
    moved = leaving.delay(token)
    return jsonify(
        {
            "ticket": public_ticket_view(moved.ticket),
            "ahead_before": moved.ahead_before,
            "ahead": moved.ahead,
            "delays_left": moved.delays_left,
        }
    )


@bp.post("/tickets/<token>/push")
@limiter.limit(public_limit)
def push_subscribe(token: str) -> Response:
    """ "Báo cho tôi": the ticket page's push subscription (only when web push is on)."""
    body = s.check(s.PushRequest, json_body())
    return jsonify(contacts.subscribe_ticket(token, body))


@bp.get("/board")
@limiter.limit(public_limit)
def board() -> Response:
    device = None
    board_id = request.args.get("board")
    if board_id is not None:
        device = reference.board_device(board_id)
    return jsonify(queue_views.board_snapshot(device))


# --- counter ------------------------------------------------------------------------------


@bp.get("/counters/<int:n>/queue")
@require_staff()
def counter_queue(n: int) -> Response:
    return jsonify(queue_views.counter_queue(n, staff()))


@bp.post("/counters/<int:n>/call-next")
@require_staff()
@idempotent
def call_next(n: int) -> tuple[dict[str, Any], int]:
    json_body()
    return counter_actions.call_next(n, staff()), 200


@bp.post("/counters/<int:n>/call")
@require_staff()
@idempotent
def call_number(n: int) -> tuple[dict[str, Any], int]:
    body = s.check(s.CallRequest, json_body())
    return counter_actions.call_number(n, body.get("number"), staff()), 200


@bp.post("/counters/<int:n>/open")
@require_staff()
@idempotent
def open_counter(n: int) -> tuple[dict[str, Any], int]:
    force = bool(s.check(s.OpenRequest, json_body()).get("force", False))
    return counter_actions.set_counter_state(n, staff(), CounterState.OPEN, force=force), 200


@bp.post("/counters/<int:n>/close")
@require_staff()
@idempotent
def close_counter(n: int) -> tuple[dict[str, Any], int]:
    json_body()
    return counter_actions.set_counter_state(n, staff(), CounterState.CLOSED), 200


@bp.post("/counters/<int:n>/pause")
@require_staff()
@idempotent
def pause_counter(n: int) -> tuple[dict[str, Any], int]:
    reason = s.check(s.PauseRequest, json_body()).get("reason", "")
    return counter_actions.set_counter_state(n, staff(), CounterState.PAUSED, reason=reason), 200


@bp.post("/counters/<int:n>/resume")
@require_staff()
@idempotent
def resume_counter(n: int) -> tuple[dict[str, Any], int]:
    json_body()
    return counter_actions.set_counter_state(n, staff(), CounterState.OPEN), 200


# --- a ticket at a counter ------------------------------------------------------------------


def _ticket_action(name: str) -> Callable[[int], tuple[dict[str, Any], int]]:
    action = getattr(counter_actions, name.replace("-", "_"))

    def view(ticket_id: int) -> tuple[dict[str, Any], int]:
        body = json_body()
        if name == "finish":
            body = s.check(s.FinishRequest, body)
            return counter_actions.finish(ticket_id, body.get("outcome"), staff()), 200
        if name == "transfer":
            return counter_actions.transfer(
                ticket_id, s.check(s.TransferRequest, body), staff()
            ), 200
        return action(ticket_id, staff()), 200

    view.__name__ = f"ticket_{name.replace('-', '_')}"
    return view


TICKET_ACTIONS = ("recall", "start", "finish", "no-show", "requeue", "transfer")

for _name in TICKET_ACTIONS:
    bp.add_url_rule(
        f"/tickets/<int:ticket_id>/{_name}",
        view_func=require_staff()(idempotent(_ticket_action(_name))),
        methods=["POST"],
    )


@bp.post("/tickets/<int:ticket_id>/reprint")
@require_staff()
@idempotent
def ticket_reprint(ticket_id: int) -> tuple[dict[str, Any], int]:
    device = s.check(s.ReprintRequest, json_body()).get("device")
    printing = ctx().printing
    return {"print": printing.reprint_ticket(ticket_id, device, staff())}, 202


# --- what these routes take and answer, for openapi.json (api/openapi.py) -------------------


def _counter_op(
    summary: str,
    request: s.Shape | None = None,
    ok: str = "TicketEnvelope",
    *,
    required: bool = False,
    param: str = "n",
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "security": s.STAFF,
        "parameters": [s.path_param(param, "integer"), s.IDEM],
        "responses": {**s.answer(ok), **s.errors(400, 401, 403, 404, 409, 422)},
    }
    if request is not None:
        # A body with required fields is itself required (finish without a body is a 422).
        op.update(s.body(request, required=required))
    return op


def _ticket_op(summary: str, request: s.Shape | None = None, **kw: Any) -> dict[str, Any]:
    return _counter_op(summary, request, param="ticket_id", **kw)


PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/services": {
        "get": {"summary": "Active fields (lĩnh vực)", "responses": s.answer(s.ServiceList)}
    },
    "/api/v1/counters": {"get": {"summary": "Counters", "responses": s.answer(s.CounterList)}},
    "/api/v1/procedures": {
        "get": {
            "summary": "Procedures, optionally of one field",
            "parameters": [s.query_param("service", {"type": "string"})],
            "responses": {**s.answer(s.ProcedureList), **s.errors(404)},
        }
    },
    "/api/v1/tickets": {
        "post": {
            "summary": "Issue a ticket (kiosk device)",
            "security": s.DEVICE,
            "parameters": [s.IDEM],
            **s.body("IssueRequest"),
            "responses": {
                **s.answer("IssuedTicket", "201", "Issued"),
                **s.errors(400, 401, 403, 404, 409, 422, 429),
            },
        }
    },
    "/api/v1/tickets/{token}": {
        "get": {
            "summary": "A ticket as its phone sees it",
            "parameters": [s.path_param("token")],
            "responses": {**s.answer("PublicTicket"), **s.errors(404, 429)},
        }
    },
    "/api/v1/tickets/{token}/leave": {
        "post": {
            "summary": "“Tôi không chờ nữa”: the ticket's holder leaves the line (the ticket is "
            "cancelled). Only a waiting ticket may leave (409 conflict when called, serving, "
            "absent or closed); leaving again a ticket its holder has already cancelled "
            "answers 200 with the same ticket (a double tap).",
            "parameters": [s.path_param("token")],
            "responses": {**s.answer("PublicTicket"), **s.errors(400, 404, 409, 429)},
        }
    },
    "/api/v1/tickets/{token}/delay": {
        "post": {
            "summary": "“Để người sau lên trước”: the waiting ticket lets the next people of "
            "its line go first (office setting delay_places, default 3), at most delay_max "
            "times (default 2); each delay is in the ticket's history. 409 conflict when not "
            "waiting, out of delays, or nobody waits behind it.",
            "parameters": [s.path_param("token")],
            "responses": {**s.answer(s.DelayedTicket), **s.errors(400, 404, 409, 429)},
        }
    },
    "/api/v1/tickets/{token}/push": {
        "post": {
            "summary": "“Báo cho tôi”: the ticket page's Web Push subscription; the office "
            "then pushes “N places from your turn”, the call and the recall to this browser. "
            "404 when the office has no web push (LOBBY_NOTIFY) or no such ticket today, 422 "
            "when the ticket is done (docs/notifications.md).",
            "parameters": [s.path_param("token")],
            **s.body(s.PushRequest),
            "responses": {**s.answer(s.PushAnswer), **s.errors(400, 404, 422, 429)},
        }
    },
    "/api/v1/board": {
        "get": {
            "summary": "Board snapshot",
            "parameters": [s.query_param("board", {"type": "integer"})],
            "responses": {**s.answer("Board"), **s.errors(404, 429)},
        }
    },
    "/api/v1/counters/{n}/queue": {
        "get": _counter_op("The counter console's snapshot", ok="CounterQueue")
    },
    "/api/v1/counters/{n}/call-next": {"post": _counter_op("Call the next ticket")},
    "/api/v1/counters/{n}/call": {
        "post": _counter_op("Call a specific waiting ticket", s.CallRequest, required=True)
    },
    "/api/v1/counters/{n}/open": {
        "post": _counter_op(
            "Take the counter (force to take it from another officer)",
            s.OpenRequest,
            ok="CounterEnvelope",
        )
    },
    "/api/v1/counters/{n}/close": {"post": _counter_op("Close the counter", ok="CounterEnvelope")},
    "/api/v1/counters/{n}/pause": {
        "post": _counter_op("Pause with a reason", s.PauseRequest, ok="CounterEnvelope")
    },
    "/api/v1/counters/{n}/resume": {"post": _counter_op("Resume", ok="CounterEnvelope")},
    "/api/v1/tickets/{ticket_id}/recall": {"post": _ticket_op("Announce again")},
    "/api/v1/tickets/{ticket_id}/start": {"post": _ticket_op("Serving starts")},
    "/api/v1/tickets/{ticket_id}/finish": {
        "post": _ticket_op(
            "Finish with an outcome; with a dossier accepted from the ticket, only "
            "dossier_accepted or result_returned (else 409 conflict)",
            s.FinishRequest,
            required=True,
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
            "TransferRequest",
        )
    },
    "/api/v1/tickets/{ticket_id}/reprint": {
        "post": {
            "summary": "Print the ticket again, marked IN LẠI (on its kiosk or the given one)",
            "security": s.STAFF,
            "parameters": [s.path_param("ticket_id", "integer"), s.IDEM],
            "requestBody": s.json_content(s.ReprintRequest),
            "responses": {
                **s.answer(
                    s.Reprinted,
                    "202",
                    "Queued for the printer (409 no_printer: the device has none)",
                ),
                **s.errors(400, 401, 403, 404, 409, 422),
            },
        }
    },
}
