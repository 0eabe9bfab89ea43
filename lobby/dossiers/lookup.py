"""Finding a dossier: by its public token, by its code, by the ticket it was accepted from; and
its public link.

A leaf of the dossier package: it imports only the ground floor (core, lobby.context,
lobby.extensions, lobby.models), so the queue may import it without importing the dossier use
cases back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.errors import InvalidRequest, NotFound
from lobby.context import public_url
from lobby.extensions import db
from lobby.models import Dossier, Ticket


def dossier_url(d: Dossier) -> str:
    return public_url(f"d/{d.public_token}")


def dossier_by_code(code: Any, *, lock: bool = False) -> Dossier:
    if not isinstance(code, str) or not code or len(code) > 80:
        raise InvalidRequest("Mã hồ sơ không hợp lệ.", field="code")
    stmt = select(Dossier).where(Dossier.code == code)
    if lock:
        stmt = stmt.with_for_update(of=Dossier)
    d = db.session.scalar(stmt)
    if d is None:
        raise NotFound("Không tìm thấy hồ sơ")
    return d


def dossier_by_token(token: str) -> Dossier | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Dossier).where(Dossier.public_token == token))


def dossier_of_ticket(t: Ticket) -> Dossier | None:
    return db.session.scalar(
        select(Dossier).where(Dossier.ticket_id == t.id).order_by(Dossier.id.desc()).limit(1)
    )


def dossier_code_of_ticket(t: Ticket) -> str | None:
    """The code of the latest dossier accepted from the ticket: one column, no joined rows."""
    return db.session.scalar(
        select(Dossier.code).where(Dossier.ticket_id == t.id).order_by(Dossier.id.desc()).limit(1)
    )
