"""What the lobby tells its screens: event and room names, the Publisher port, and the Redis
message queue between processes. A leaf: it knows nothing of tickets or dossiers.

HTTP carries commands; events only carry facts after they are committed (lobby.context's
publish_after_commit). Who may join which room, and the snapshots, are in lobby.sockets.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Protocol

from flask import current_app
from socketio import RedisManager
from socketio.manager import Manager
from socketio.redis_manager import redis

from lobby.extensions import socketio

log = logging.getLogger(__name__)

# Event names (snake_case facts).
TICKET_ISSUED = "ticket_issued"
TICKET_CALLED = "ticket_called"
TICKET_RECALLED = "ticket_recalled"
TICKET_UPDATED = "ticket_updated"
LINE_CHANGED = "line_changed"  # a field's waiting line, to its phones: each works out its place
QUEUE_CHANGED = "queue_changed"
DOSSIER_UPDATED = "dossier_updated"
COUNTER_CHANGED = "counter_changed"
PRINTER_STATUS = "printer_status"
PRINT_JOBS = "print_jobs"  # to a kiosk's print agent: {"pending": n}, jobs wait for it
SNAPSHOT = "snapshot"

LOBBY_ROOM = "lobby"  # every board and counter of the office
STAFF_ROOM = "staff"  # signed-in staff: printer status and other operational notices


def service_room(code: str) -> str:
    return f"service:{code}"


def counter_room(number: int) -> str:
    return f"counter:{number}"


def ticket_room(token: str) -> str:
    return f"ticket:{token}"


def line_room(code: str) -> str:
    """The phones of the tickets waiting in a field (line_changed); public, like a board."""
    return f"line:{code}"


def dossier_room(token: str) -> str:
    return f"dossier:{token}"


def display_room(device_id: int) -> str:
    return f"display:{device_id}"


def kiosk_room(device_id: int) -> str:
    return f"kiosk:{device_id}"


def agent_room(device_id: int) -> str:
    """The room only the print agent of this kiosk joins (auth {"device_token", "agent": true})."""
    return f"agent:{device_id}"


class Publisher(Protocol):
    def publish(self, event: str, payload: dict[str, Any], rooms: list[str]) -> None: ...

    def publish_each(self, event: str, items: list[tuple[str, dict[str, Any]]]) -> None: ...


# A batch: one message on the Redis queue carrying one event for many rooms, each with its own
# payload. Sent to a room nobody joins, so a process that does not know batches delivers it to
# no one (never the whole batch to every client).
_EACH_ROOM = "lobby:each_room"


# A request to every process: "tell your own clients the whole state again" (sent by a process
# whose publishes were lost while the queue was away). Like batches, to a room nobody joins.
_RESYNC_ROOM = "lobby:resync"

# How long the queue's listener waits between attempts to reach Redis again (seconds, doubling
# up to the cap): python-socketio's own listener doubles up to 60 s, so a lobby would have
# waited a minute after Redis came back before hearing the other processes again.
_RETRY_FIRST, _RETRY_CAP = 0.2, 1.0
# After the listener is back, the resync waits this long, so that Redis has surely processed the
# SUBSCRIBE (anything published before it is then in the database the snapshots are read from)
# and so that the resync requests of the other processes arriving meanwhile make one resync.
_RESYNC_DELAY = 0.3


def redis_client_options(*, blocking_reads: bool = False) -> dict[str, Any]:
    """Options for a Redis client on a request's path (publishing, rate limits): a Redis that is
    away costs a request at most a refused connect and one retry, or 2 s if its host is silent.
    redis-py's default retries ten times with backoff (seconds per request). A subscriber
    (`blocking_reads`) waits for messages without a read timeout."""
    # Only with a Redis URL: server.py leaves redis-py out of a one-process lobby.
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    options: dict[str, Any] = {"socket_connect_timeout": 2.0, "retry": Retry(NoBackoff(), 1)}
    if not blocking_reads:
        options["socket_timeout"] = 2.0
    return options


class EachRoomRedisManager(RedisManager):  # type: ignore[misc]
    """python-socketio's Redis client manager, plus batches (SocketPublisher.publish_each), and
    a lobby that keeps working while Redis is away.

    Each process delivers a batch to the rooms that have a client on it. Without batches, a call
    with 500 tickets waiting put 500 messages on the queue, and every process decoded all 500.

    While Redis is away, an event still reaches the clients of the process that published it
    (the local emit comes first), publishing costs nothing (skipped, one warning in the log) and
    `queue_state()` says "down" (/healthz). When it is back, every process sends each of its own
    clients a fresh snapshot (`on_resync`): once its listener is subscribed again (it missed the
    others' events) and when another process asks (the others missed its events)."""

    def __init__(self, url: str, channel: str = "socketio", **kwargs: Any) -> None:
        super().__init__(url, channel=channel, **kwargs)
        self.on_resync: Any = None  # set by create_app(): sends local clients fresh snapshots
        self._publisher: Any = None
        self._publish_ok = True
        self._probing = False
        self._listening = False  # the listener has started (the manager is initialized)
        self._subscribed = False
        self._resync_pending = False

    def queue_state(self) -> str:
        """ "ok" when events travel between processes, "down" while Redis cannot be reached."""
        if not self._publish_ok or (self._listening and not self._subscribed):
            return "down"
        return "ok"

    # --- publishing: never an exception or a wait in the request ------------------------------

    def _publish(self, data: Any) -> None:
        if not self._publish_ok:
            return  # Redis is away; a probe in the background notices its return
        try:
            if self._publisher is None:
                self._publisher = redis.Redis.from_url(self.redis_url, **redis_client_options())
            self._publisher.publish(self.channel, self.json.dumps(data))
        except Exception as exc:
            self._lost("publish", exc)

    def _lost(self, where: str, exc: Exception) -> None:
        if self._publish_ok:
            log.warning(
                "Message queue unreachable (%s: %s): events reach only the screens connected to "
                "this process until it is back",
                where,
                exc,
            )
        self._publish_ok = False
        if not self._probing:
            self._probing = True
            self.server.start_background_task(self._probe)

    def _probe(self) -> None:
        """Until Redis answers again; then publish again, and ask every process to resync."""
        try:
            while True:
                self.server.sleep(_RETRY_CAP / 2)
                try:
                    if self._publisher is None:
                        self._publisher = redis.Redis.from_url(
                            self.redis_url, **redis_client_options()
                        )
                    self._publisher.ping()
                except Exception:
                    continue
                break
        finally:
            self._probing = False
        self._publish_ok = True
        log.warning("Message queue reachable again: publishing events to every process")
        # The others missed what this process published meanwhile.
        self.emit(_RESYNC_ROOM, {}, room=_RESYNC_ROOM)

    # --- listening: back within a second of Redis, then a fresh snapshot to every client -------

    def _redis_listen_with_retries(self) -> Any:
        self._listening = True
        retry = _RETRY_FIRST
        was_lost = False
        while True:
            try:
                if not self._subscribed:
                    client = redis.Redis.from_url(
                        self.redis_url, **redis_client_options(blocking_reads=True)
                    )
                    self.pubsub = client.pubsub(ignore_subscribe_messages=True)
                    self.pubsub.subscribe(self.channel)
                    self._subscribed = True
                    retry = _RETRY_FIRST
                    if was_lost:
                        was_lost = False
                        log.warning("Message queue reachable again: listening to every process")
                        self.resync_soon()  # what the others published meanwhile was lost here
                yield from self.pubsub.listen()
            except Exception as exc:
                if self._subscribed or not was_lost:
                    self._lost("listen", exc)
                self._subscribed = False
                was_lost = True
                with contextlib.suppress(Exception):
                    self.pubsub.close()
                self.server.sleep(retry)
                retry = min(retry * 2, _RETRY_CAP)

    def resync_soon(self) -> None:
        """One resync of the local clients shortly, however many ask meanwhile."""
        if self._resync_pending or self.on_resync is None:
            return
        self._resync_pending = True

        def run() -> None:
            self.server.sleep(_RESYNC_DELAY)
            self._resync_pending = False
            try:
                self.on_resync()
            except Exception:
                log.exception("resending snapshots after the message queue came back failed")

        self.server.start_background_task(run)

    def emit_local(self, event: str, data: Any, sid: str) -> None:
        """To one client of this process, not through the queue."""
        Manager.emit(self, event, data, namespace="/", room=sid)

    def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("room") == _RESYNC_ROOM:
            if message.get("host_id") != self.host_id:
                self.resync_soon()
            return
        if message.get("room") != _EACH_ROOM or message.get("event") != _EACH_ROOM:
            super()._handle_emit(message)
            return
        batch = message["data"][0]
        namespace = message.get("namespace") or "/"
        here = self.rooms.get(namespace, {})
        for room, payload in batch["items"]:
            if room in here:
                # The plain, local emit: this message is already on the queue.
                Manager.emit(self, batch["event"], payload, namespace=namespace, room=room)


def queue_options(url: str | None, channel: str) -> dict[str, Any]:
    """socketio.init_app()'s options for the message queue: on Redis, the manager that knows
    batches; with no queue, a fresh in-process manager (Flask-SocketIO would otherwise keep the
    one it made for an earlier app); another kind of queue as Flask-SocketIO sets it up."""
    if not url:
        return {"message_queue": None, "client_manager": None}
    if url.startswith(("redis://", "rediss://")):
        return {"message_queue": url, "client_manager": EachRoomRedisManager(url, channel=channel)}
    return {"message_queue": url, "channel": channel}


class SocketPublisher:
    """Publishes to Socket.IO rooms (through the Redis queue when several processes share it)."""

    def publish(self, event: str, payload: dict[str, Any], rooms: list[str]) -> None:
        # One emit to a list of rooms: a client in several of them receives the event once.
        socketio.emit(event, payload, to=list(dict.fromkeys(rooms)))

    def publish_each(self, event: str, items: list[tuple[str, dict[str, Any]]]) -> None:
        """`event` to many rooms, each with its own payload (the waiting phones' places): on
        the Redis queue one message for them all; otherwise one emit per room."""
        if not items:
            return
        if isinstance(getattr(socketio.server, "manager", None), EachRoomRedisManager):
            socketio.emit(_EACH_ROOM, {"event": event, "items": items}, to=_EACH_ROOM)
            return
        for room, payload in items:
            socketio.emit(event, payload, to=room)


def publisher() -> Publisher:
    return current_app.extensions["lobby"].publisher  # type: ignore[no-any-return]


def queue_manager() -> EachRoomRedisManager | None:
    """The Redis message queue's manager of this process, or None (one process, no queue)."""
    manager = getattr(socketio.server, "manager", None)
    return manager if isinstance(manager, EachRoomRedisManager) else None


def realtime_state() -> str:
    """For /healthz: "ok", or "down" while the message queue between processes is away."""
    manager = queue_manager()
    return manager.queue_state() if manager is not None else "ok"


def rooms_with_clients(app: Any) -> set[str] | None:
    """Rooms with a client on this process, when this process is the only one (no message
    queue); None when other processes may hold clients too, so every room must be told."""
    if app.config.get("SOCKETIO_MESSAGE_QUEUE"):
        return None
    try:
        return set(socketio.server.manager.rooms.get("/", {}))
    except AttributeError:  # no Socket.IO server (CLI)
        return None
