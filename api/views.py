"""The JSON API, version 1 (API.md). Thin views over lobby.services."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from api.openapi import openapi_document
from core.errors import InvalidRequest
from lobby import inputs, services
from lobby.auth import current_device, current_principal, require_device, require_staff
from lobby.extensions import csrf, db, issue_limit, limiter, public_limit
from lobby.models import IdempotencyRecord
from lobby.tx import insert_for, transaction

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # CSRF is checked in lobby.auth for cookie-authenticated writes only


class BadRequest(InvalidRequest):
    code = "bad_request"
    status = 400


def json_body() -> dict[str, Any]:
    """The request's JSON object; an empty body counts as {}. Hostile JSON (too deep, NUL,
    broken Unicode, integers beyond 64 bits) is refused here for every route (lobby.inputs)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Nội dung gửi lên không phải JSON hợp lệ.") from None
    except RecursionError:
        raise BadRequest("Nội dung JSON lồng nhau quá sâu.") from None
    inputs.check_json(data)
    if not isinstance(data, dict):
        raise InvalidRequest("Nội dung phải là một đối tượng JSON.")
    return data


NEVER_STORED = frozenset({"lookup_pin", "pin"})


def idempotent(view: Callable[..., tuple[dict[str, Any], int]]) -> Callable[..., Response]:
    """The same Idempotency-Key and body within 24 h returns the first response, not a new act.

    The key is stored in the same transaction as the act: a double tap racing on two
    connections commits once; the loser rolls back and replays the winner's response.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key")
        if not key:
            body, status = view(*args, **kwargs)
            return _json(body, status)
        if len(key) > 255:
            raise InvalidRequest("Idempotency-Key quá dài (tối đa 255 ký tự).")
        device = current_device() if request.path == "/api/v1/tickets" else None
        scope = device.scope if device is not None else current_principal().scope
        digest = hashlib.sha256(
            request.method.encode() + request.path.encode() + b"\0" + request.get_data()
        ).hexdigest()
        for _attempt in range(3):
            try:
                with transaction():
                    # Claim the key first, in the act's own transaction: a concurrent twin
                    # waits on the unique key here, then finds it taken and replays.
                    record_id = _claim(scope, key, digest)
                    if record_id is None:
                        raise _Claimed()
                    body, status = view(*args, **kwargs)
                    db.session.connection().execute(
                        _STORE,
                        {
                            "record": record_id,
                            "status": status,
                            # A secret shown once (a dossier's lookup PIN) is never stored:
                            # a replay answers without it.
                            "response": json.dumps(
                                {k: v for k, v in body.items() if k not in NEVER_STORED},
                                ensure_ascii=False,
                            ),
                        },
                    )
                return _json(body, status)
            except (_Claimed, IntegrityError):
                db.session.rollback()
                replay = _replay(scope, key, digest)
                if replay is not None:
                    return replay
        raise InvalidRequest("Không xử lý được Idempotency-Key, vui lòng thử lại.")

    return wrapped


class _Claimed(Exception):
    """The Idempotency-Key is already stored: answer with the first response."""


@cache
def _claim_stmt(dialect: str) -> Any:
    """Built once per database kind: every kiosk ticket and counter action claims a key."""
    table = IdempotencyRecord.__table__
    return (
        insert_for(dialect)(table)
        .on_conflict_do_nothing(index_elements=["scope", "key"])
        .returning(table.c.id)
    )


_STORE = (
    update(IdempotencyRecord.__table__)
    .where(IdempotencyRecord.__table__.c.id == bindparam("record"))
    .values(status_code=bindparam("status"), body=bindparam("response"))
)


def _claim(scope: str, key: str, digest: str) -> int | None:
    """Store the key (INSERT … ON CONFLICT DO NOTHING); its id, or None if it was there already."""
    conn = db.session.connection()
    row = conn.execute(
        _claim_stmt(conn.dialect.name),
        {
            "scope": scope,
            "key": key,
            "request_hash": digest,
            "status_code": 0,
            "body": "",
            "created_at": services.ctx().clock.now(),
        },
    ).first()
    return None if row is None else int(row[0])


def _replay(scope: str, key: str, digest: str) -> Response | None:
    rec = db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
        )
    )
    db.session.commit()  # end the read; unlike a rollback it keeps loaded objects usable
    if rec is None:
        return None
    if rec.request_hash != digest:
        raise _KeyReused()
    resp = Response(rec.body, status=rec.status_code, mimetype="application/json")
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


class _KeyReused(InvalidRequest):
    code = "conflict"
    status = 409

    def __init__(self) -> None:
        super().__init__("Idempotency-Key này đã được dùng cho một yêu cầu khác.")


def _json(body: dict[str, Any], status: int) -> Response:
    resp = jsonify(body)
    resp.status_code = status
    return resp


def _staff() -> Any:
    user = current_principal().user
    assert user is not None
    return user


# --- kiosk and public ---------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.get("/services")
def list_services() -> Response:
    return jsonify(services.services_list())


@bp.get("/counters")
def list_counters() -> Response:
    return jsonify(services.counters_list())


@bp.get("/procedures")
def list_procedures() -> Response:
    return jsonify(services.procedures_list(request.args.get("service")))


@bp.post("/tickets")
@limiter.limit(issue_limit)
@require_device("kiosk")
@idempotent
def issue_ticket() -> tuple[dict[str, Any], int]:
    body = json_body()
    device = current_device()
    return services.issue_ticket(
        body.get("service"), body.get("priority"), device=device.device if device else None
    ), 201


@bp.get("/tickets/<token>")
@limiter.limit(public_limit)
def public_ticket(token: str) -> Response:
    t = services.ticket_by_token(token)
    if t is None:
        from core.errors import NotFound

        raise NotFound("Không tìm thấy phiếu. Phiếu có thể đã hết hạn.")
    return jsonify(services.public_ticket_view(t))


@bp.get("/board")
@limiter.limit(public_limit)
def board() -> Response:
    device = None
    board_id = request.args.get("board")
    if board_id is not None:
        from core.errors import NotFound
        from lobby.models import Device

        try:
            device = db.session.get(Device, inputs.int64(board_id))
        except ValueError:
            device = None
        if device is None or device.kind != "board":
            raise NotFound("Không có màn hình này.")
    return jsonify(services.board_snapshot(device))


# --- counter ------------------------------------------------------------------------------


@bp.get("/counters/<int:n>/queue")
@require_staff()
def counter_queue(n: int) -> Response:
    return jsonify(services.counter_queue(n, _staff()))


@bp.post("/counters/<int:n>/call-next")
@require_staff()
@idempotent
def call_next(n: int) -> tuple[dict[str, Any], int]:
    json_body()
    return services.call_next(n, _staff()), 200


@bp.post("/counters/<int:n>/call")
@require_staff()
@idempotent
def call_number(n: int) -> tuple[dict[str, Any], int]:
    return services.call_number(n, json_body().get("number"), _staff()), 200


@bp.post("/counters/<int:n>/open")
@require_staff()
@idempotent
def open_counter(n: int) -> tuple[dict[str, Any], int]:
    force = bool(json_body().get("force", False))
    return services.set_counter_state(n, _staff(), "open", force=force), 200


@bp.post("/counters/<int:n>/close")
@require_staff()
@idempotent
def close_counter(n: int) -> tuple[dict[str, Any], int]:
    json_body()
    return services.set_counter_state(n, _staff(), "closed"), 200


@bp.post("/counters/<int:n>/pause")
@require_staff()
@idempotent
def pause_counter(n: int) -> tuple[dict[str, Any], int]:
    reason = json_body().get("reason", "")
    if not isinstance(reason, str):
        raise InvalidRequest("Lý do tạm nghỉ (reason) phải là chuỗi.", field="reason")
    return services.set_counter_state(n, _staff(), "paused", reason=reason), 200


@bp.post("/counters/<int:n>/resume")
@require_staff()
@idempotent
def resume_counter(n: int) -> tuple[dict[str, Any], int]:
    json_body()
    return services.set_counter_state(n, _staff(), "open"), 200


def _ticket_action(name: str) -> Callable[[int], tuple[dict[str, Any], int]]:
    action = getattr(services, name.replace("-", "_"))

    def view(ticket_id: int) -> tuple[dict[str, Any], int]:
        body = json_body()
        if name == "finish":
            return services.finish(ticket_id, body.get("outcome"), _staff()), 200
        if name == "transfer":
            return services.transfer(ticket_id, body, _staff()), 200
        return action(ticket_id, _staff()), 200

    view.__name__ = f"ticket_{name.replace('-', '_')}"
    return view


for _name in ("recall", "start", "finish", "no-show", "requeue", "transfer"):
    bp.add_url_rule(
        f"/tickets/<int:ticket_id>/{_name}",
        view_func=require_staff()(idempotent(_ticket_action(_name))),
        methods=["POST"],
    )


@bp.post("/tickets/<int:ticket_id>/reprint")
@require_staff()
@idempotent
def ticket_reprint(ticket_id: int) -> tuple[dict[str, Any], int]:
    device = json_body().get("device")
    printing = services.ctx().printing
    return {"print": printing.reprint_ticket(ticket_id, device, _staff())}, 202
