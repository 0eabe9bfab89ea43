"""Idempotency-Key: the same key and body within 24 h returns the first response, not a new act."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from flask import Response, request
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from api.http import json_answer
from core.errors import InvalidRequest
from lobby.auth import current_device, current_principal
from lobby.context import ctx
from lobby.extensions import db
from lobby.models import IdempotencyRecord
from lobby.tx import insert_for, transaction

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
            return json_answer(body, status)
        if len(key) > 255:
            raise InvalidRequest("Idempotency-Key quá dài (tối đa 255 ký tự).")
        device = current_device() if request.path == "/api/v1/tickets" else None
        scope = device.scope if device is not None else current_principal().scope
        digest = hashlib.sha256(
            request.method.encode() + request.path.encode() + b"\0" + request.get_data()
        ).hexdigest()
        for _attempt in range(3):
            try:
                return _act_once(view, args, kwargs, scope, key, digest)
            except (_Claimed, IntegrityError):
                db.session.rollback()
                replay = _replay(scope, key, digest)
                if replay is not None:
                    return replay
        raise InvalidRequest("Không xử lý được Idempotency-Key, vui lòng thử lại.")

    return wrapped


def _act_once(
    view: Callable[..., tuple[dict[str, Any], int]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    scope: str,
    key: str,
    digest: str,
) -> Response:
    """Claim the key and act, in one transaction; _Claimed if the key is taken already."""
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
    return json_answer(body, status)


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
            "created_at": ctx().clock.now(),
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
