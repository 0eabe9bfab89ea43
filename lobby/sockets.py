"""The Socket.IO entry: who may connect and join which room, the snapshot a new connection
gets, and the fresh snapshots sent again after the message queue between processes was away.

The names of events and rooms, and the publisher, are in lobby.events.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, emit, join_room, leave_room

from core.access import DeviceKind
from core.errors import DomainError, NotFound
from lobby.auth import DEVICE_COOKIE, Principal, principal_from_session, principal_from_token
from lobby.dossiers.lookup import dossier_by_token
from lobby.dossiers.views import public_dossier_view, public_ticket_view
from lobby.events import (
    LOBBY_ROOM,
    PRINT_JOBS,
    SNAPSHOT,
    STAFF_ROOM,
    agent_room,
    counter_room,
    display_room,
    dossier_room,
    kiosk_room,
    line_room,
    queue_manager,
    service_room,
    ticket_room,
)
from lobby.extensions import db, socketio
from lobby.forms import bad_text
from lobby.models import Device
from lobby.printing.agents import NotAgentPrinter
from lobby.queue.reference import board_field_codes, counter_for_staff, ticket_by_token
from lobby.queue.views import board_snapshot, counter_queue, counters_list, services_list
from printers.backends import is_agent_url

log = logging.getLogger(__name__)


def start_message_queue(app: Any) -> None:
    """Listen to the message queue from the start (python-socketio waits for the first client),
    so /healthz knows whether it is reachable, and resync local clients when it comes back."""
    manager = queue_manager()
    if manager is None:
        return
    manager.on_resync = lambda: resync_local_clients(app)
    server = socketio.server
    if not server.manager_initialized:
        server.manager_initialized = True
        manager.initialize()


# What each client of this process was given on connect (sid -> (kind, ref)), to give it a
# fresh snapshot of the same when events may have been lost (the message queue was away).
_CLIENT_VIEWS: dict[str, tuple[str, Any]] = {}


def resync_local_clients(app: Any) -> int:
    """Each client connected to this process gets its snapshot again, read now; returns how many.

    The snapshots are all read first (one per distinct view), then sent: no database
    transaction spans socket I/O."""

    manager = queue_manager()
    clients = list(_CLIENT_VIEWS.items())
    if manager is None or not clients:
        return 0
    views: dict[tuple[str, Any], tuple[str, Any] | None] = {}
    with app.app_context():
        try:
            for _sid, view in clients:
                if view in views:
                    continue
                kind, ref = view
                try:
                    if kind == "agent":
                        pending = app.extensions["lobby"].printing.agent_pending_count(ref)
                        views[view] = (PRINT_JOBS, {"pending": pending})
                    else:
                        views[view] = (SNAPSHOT, snapshot_for(kind, ref))
                except DomainError:
                    views[view] = None  # e.g. a withdrawn device: its next reconnect is refused
                db.session.rollback()
        finally:
            db.session.remove()
    sent = 0
    for sid, view in clients:
        message = views.get(view)
        if message is not None and sid in _CLIENT_VIEWS:
            manager.emit_local(message[0], message[1], sid)
            sent += 1
    log.info("sent %d clients a fresh snapshot after the message queue came back", sent)
    return sent


def snapshot_for(kind: str, ref: Any) -> dict[str, Any]:
    """The snapshot a connecting socket client renders from."""
    if kind == "ticket":
        t = ticket_by_token(ref)
        if t is None:
            raise NotFound("Không tìm thấy phiếu.")
        return public_ticket_view(t)
    if kind == "dossier":
        d = dossier_by_token(ref)
        if d is None:
            raise NotFound("Không tìm thấy hồ sơ")
        return public_dossier_view(d)
    if kind in ("board", "kiosk", "tablet"):
        device = db.session.get(Device, ref)
        snap = board_snapshot(device)
        if kind == DeviceKind.KIOSK:
            snap["services_list"] = services_list()["services"]
        return snap
    if kind == "counter":
        return counter_queue(ref, None)
    return {"counters": counters_list()["counters"]}


# --- connections -----------------------------------------------------------------------------


def _rooms_for_connection(auth: dict[str, Any] | None) -> tuple[list[str], str, Any]:
    """The rooms a new connection joins and what its snapshot is; refuses unknown credentials."""
    auth = auth if isinstance(auth, dict) else {}
    if any(isinstance(v, str) and bad_text(v) for v in auth.values()):
        raise ConnectionRefusedError(
            {"error": "bad_request", "message": "Thông tin kết nối có ký tự không hợp lệ."}
        )
    if auth.get("ticket"):
        ticket = ticket_by_token(str(auth["ticket"]))
        if ticket is None:
            raise ConnectionRefusedError({"error": "not_found", "message": "Không tìm thấy phiếu."})
        # Its own room, and its field's line (line_changed: the phone works out its place).
        rooms = [ticket_room(ticket.public_token), line_room(ticket.field.code)]
        return rooms, "ticket", ticket.public_token
    if auth.get("dossier"):
        d = dossier_by_token(str(auth["dossier"]))
        if d is None:
            raise ConnectionRefusedError({"error": "not_found", "message": "Không tìm thấy hồ sơ"})
        return [dossier_room(d.public_token)], "dossier", d.public_token
    principal = _principal(auth)
    if principal.device is not None:
        return _device_rooms(principal.device, auth)
    assert principal.user is not None
    rooms = [LOBBY_ROOM, STAFF_ROOM]
    wanted = auth.get("counter")
    if wanted is not None:
        counter = counter_for_staff(principal.user, wanted)
        rooms += [counter_room(counter.number)] + [service_room(f.code) for f in counter.fields]
        return rooms, "counter", counter.number
    return rooms, "staff", None


def _principal(auth: dict[str, Any]) -> Principal:
    """Who connects: the device token it names, else its paired-device cookie or the staff
    session (a board or kiosk browser also signed in as staff acts as its device, unless the
    client asks for a counter console)."""
    token = auth.get("device_token") or auth.get("token")
    if token:
        principal = principal_from_token(str(token))
        if principal is None:
            raise ConnectionRefusedError(
                {"error": "unauthorized", "message": "Mã thiết bị không hợp lệ."}
            )
        return principal
    device = principal_from_token(request.cookies.get(DEVICE_COOKIE))
    session_user = principal_from_session()
    chosen = session_user if auth.get("counter") is not None else (device or session_user)
    if chosen is None:
        raise ConnectionRefusedError({"error": "unauthorized", "message": "Vui lòng đăng nhập."})
    return chosen


def _device_rooms(device: Device, auth: dict[str, Any]) -> tuple[list[str], str, Any]:
    """A paired device's rooms: its fields and the lobby, plus its own room (a print agent
    joins only its kiosk's agent room)."""
    if auth.get("agent"):
        if device.kind != DeviceKind.KIOSK:
            raise ConnectionRefusedError(
                {"error": "forbidden", "message": "Chỉ máy lấy số (kiosk) mới chạy print agent."}
            )
        if not is_agent_url(device.printer_url):
            refused = NotAgentPrinter()
            raise ConnectionRefusedError({"error": refused.code, "message": refused.message})
        return [agent_room(device.id)], "agent", device.id
    rooms = [service_room(c) for c in board_field_codes(device)] + [LOBBY_ROOM]
    if device.kind == DeviceKind.BOARD:
        return [*rooms, display_room(device.id)], "board", device.id
    if device.kind == DeviceKind.KIOSK:
        return [*rooms, kiosk_room(device.id)], "kiosk", device.id
    counter = (device.settings or {}).get("counter")
    extra = [counter_room(int(counter))] if counter else []
    return [*rooms, *extra], "tablet", device.id


def _on_connect(auth: dict[str, Any] | None = None) -> None:

    try:
        rooms, kind, ref = _rooms_for_connection(auth)
    except DomainError as exc:
        raise ConnectionRefusedError({"error": exc.code, "message": exc.message}) from exc
    finally:
        db.session.remove()  # never hold a database transaction across socket I/O
    # Join before reading the snapshot: a fact committed in between arrives as an event
    # (possibly as well as in the snapshot, which clients tolerate) instead of being lost.
    for room in rooms:
        join_room(room)
    session["socket_rooms"] = rooms
    if kind == "agent":
        # A print agent needs no screen snapshot, only whether jobs already wait for it.
        pending = current_app.extensions["lobby"].printing.agent_pending_count(ref)
        emit(PRINT_JOBS, {"pending": pending})
        _CLIENT_VIEWS[request.sid] = (kind, ref)  # type: ignore[attr-defined]
        return
    try:
        snapshot = snapshot_for(kind, ref)
    except DomainError as exc:
        raise ConnectionRefusedError({"error": exc.code, "message": exc.message}) from exc
    finally:
        db.session.remove()
    emit(SNAPSHOT, snapshot)
    _CLIENT_VIEWS[request.sid] = (kind, ref)  # type: ignore[attr-defined]


def _on_disconnect(*_reason: Any) -> None:
    _CLIENT_VIEWS.pop(request.sid, None)  # type: ignore[attr-defined]


def _on_join(data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Clients may only join rooms their credentials allowed on connect (e.g. after a leave)."""
    room = data.get("room") if isinstance(data, dict) else None
    # A field's line is public (opaque keys): a phone whose ticket moved to another field
    # follows that field's line instead.
    line = (
        isinstance(room, str)
        and room.startswith("line:")
        and len(room) <= 80
        and not bad_text(room)
    )
    if not line and room not in session.get("socket_rooms", []):
        return {"ok": False, "error": "forbidden"}
    join_room(room)
    return {"ok": True}


def _on_leave(data: dict[str, Any] | None = None) -> dict[str, Any]:
    room = data.get("room") if isinstance(data, dict) else None
    if isinstance(room, str):
        leave_room(room)
    return {"ok": True}


def register() -> None:
    """Attach the handlers to the Socket.IO server create_app() just made (each app has its own:
    a decorator would only reach the server that existed when this module was first imported)."""
    for event, handler in (
        ("connect", _on_connect),
        ("disconnect", _on_disconnect),
        ("join", _on_join),
        ("leave", _on_leave),
    ):
        socketio.on_event(event, handler)
