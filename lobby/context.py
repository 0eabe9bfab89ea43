"""The ground floor every use case stands on: what create_app() chose (LobbyContext and its
ports), the office, its local time, public links, and publishing after the commit.

It imports only leaves (core, extensions, models, events, refcache, tx): anything may import it,
and it imports nothing that imports it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from core.clock import OFFICE_TZ, Clock
from core.errors import NotFound
from lobby.events import Publisher
from lobby.extensions import db
from lobby.models import Office, Ticket
from lobby.refcache import RefCache
from lobby.tx import current_tx


class PrintQueue(Protocol):
    """The printer port: features hand it what to print and get the job's state back; how a
    slip is drawn and reaches the paper (a printer on the LAN, the kiosk's print agent) is
    lobby.printing's business. The print agent's HTTP and socket entries use the agent_* part."""

    def enqueue_ticket(
        self, t: Any, f: Any, o: Any, device: Any, *, ahead: int, reprint: bool = ...
    ) -> dict[str, Any]: ...

    def enqueue_receipt(
        self, d: Any, o: Any, pin: str | None, *, counter_id: int | None, reprint: bool = ...
    ) -> dict[str, Any]: ...

    def reprint_ticket(self, ticket_id: int, device_id: Any, user: Any) -> dict[str, Any]: ...

    def resume(self) -> list[str]: ...

    def agent_pending_count(self, device_id: int) -> int: ...

    def agent_jobs(self, device: Any, limit: int) -> dict[str, Any]: ...

    def agent_job_done(self, device: Any, job_id: int, state: Any = ...) -> dict[str, Any]: ...

    def agent_job_failed(
        self, device: Any, job_id: int, error: Any, state: Any = ...
    ) -> dict[str, Any]: ...

    def agent_report_status(
        self, device: Any, state: Any, pending_jobs: Any = ...
    ) -> dict[str, Any]: ...


@dataclass
class LobbyContext:
    """What create_app() chose: the clock, the publisher and the settings the rules need."""

    clock: Clock
    publisher: Publisher
    open_always: bool
    public_base_url: str
    printing: PrintQueue | None = None
    speech_settings: dict[str, Any] = field(default_factory=dict)
    reference: RefCache = field(default_factory=lambda: RefCache(5.0))
    estimates: RefCache = field(default_factory=lambda: RefCache(10.0))


def ctx() -> LobbyContext:
    return current_app.extensions["lobby"]  # type: ignore[no-any-return]


# --- the office and its time ----------------------------------------------------------------

_OFFICE = select(Office).order_by(Office.id).limit(1)


def office() -> Office:
    """The office this installation serves (one per installation)."""
    return _found_office(db.session.scalar(_OFFICE))


def office_ref() -> Any:
    """The office's row, read-only and cached a few seconds (lobby.refcache): for the hot paths
    that only read its settings. Change the office through office()."""
    table = Office.__table__
    return _found_office(
        ctx().reference.get(
            "office",
            lambda: db.session.execute(select(table).order_by(table.c.id).limit(1)).first(),
        )
    )


def _found_office(found: Any) -> Any:
    if found is None:
        raise NotFound("Chưa cấu hình đơn vị. Hãy chạy: flask --app server demo")
    return found


def office_tz(o: Office) -> ZoneInfo:
    return ZoneInfo(o.timezone)


def local_now(o: Office) -> datetime:
    return ctx().clock.now().astimezone(office_tz(o))


def today(o: Office) -> date:
    return local_now(o).date()


def iso(dt: datetime | None, o: Office | None = None, timespec: str = "seconds") -> str | None:
    if dt is None:
        return None
    tz = office_tz(o) if o is not None else ZoneInfo(OFFICE_TZ)
    return dt.astimezone(tz).isoformat(timespec=timespec)


T = TypeVar("T")


def office_setting(o: Any, name: str, default: Any) -> Any:
    """One of the office's settings (the JSON column `settings`), else `default`."""
    return (o.settings or {}).get(name, default)


def of_this_office(model: type[T], row_id: Any, missing: str) -> T:
    """The office's row of `model` with that id (from a form: any text), or NotFound(missing)."""
    try:
        key = int(str(row_id).strip())
    except ValueError:
        key = 0
    row = db.session.get(model, key) if 0 < key < 2**31 else None
    if row is None or getattr(row, "office_id", None) != office_ref().id:
        raise NotFound(missing)
    return row


# --- public links ---------------------------------------------------------------------------


def public_url(path: str) -> str:
    """An address citizens open from outside the office's pages (a QR, a message)."""
    return f"{ctx().public_base_url.rstrip('/')}/{path.lstrip('/')}"


def token_url(token: str) -> str:
    return public_url(f"t/{token}")


def ticket_url(t: Ticket) -> str:
    return token_url(t.public_token)


# --- publishing -----------------------------------------------------------------------------


def publish_after_commit(event: str, payload: dict[str, Any], rooms: list[str]) -> None:
    """Publish after the current use case commits (never a fact that was rolled back)."""
    pub = ctx().publisher
    tx = current_tx()
    assert tx is not None, "publish only inside a use case"
    tx.after_commit(lambda: pub.publish(event, payload, rooms))
