"""Real server processes, real python-socketio clients, over HTTP and websockets."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from tests.e2e.conftest import LiveServer, api_login, issue_ticket, make_server
from tests.integration.helpers import place_in_line

POSTGRES_URL = os.environ.get("LOBBY_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("LOBBY_TEST_REDIS_URL", "")
pytestmark = pytest.mark.slow


def _need(url: str, what: str) -> None:
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"CI must set {what}")
        pytest.skip(f"needs {what}")


class Listener:
    """A python-socketio client that timestamps the events it receives."""

    def __init__(self, url: str, auth: dict[str, Any]) -> None:
        self.events: list[tuple[str, Any, float]] = []
        self.client = socketio.Client(reconnection=True)
        self.client.on("*", self._on_any)
        self.client.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)

    def _on_any(self, event: str, data: Any = None) -> None:
        self.events.append((event, data, time.monotonic()))

    def wait_for(
        self, event: str, pred: Any = lambda d: True, timeout: float = 5.0, after: int = 0
    ) -> tuple[Any, float]:
        """The first `event` matching `pred` among the events received after the first `after`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, data, at in list(self.events)[after:]:
                if name == event and pred(data):
                    return data, at
            time.sleep(0.01)
        raise AssertionError(f"no {event} within {timeout}s; got {[e[0] for e in self.events]}")

    def close(self) -> None:
        self.client.disconnect()


def test_a_call_reaches_the_board_and_the_phone_live(live_server: LiveServer) -> None:
    ticket = issue_ticket(live_server)
    board = Listener(live_server.url, {"device_token": live_server.device("board")["token"]})
    phone = Listener(live_server.url, {"ticket": ticket["token"]})
    try:
        snap, _ = phone.wait_for("snapshot")
        assert snap["status"] == "waiting"
        officer = api_login(live_server, "canbo1")
        assert officer.post(live_server.url + "/api/v1/counters/1/open", json={}).status_code == 200
        # Pushed, not polled: both arrive while the listeners wait (how fast is
        # bench/bench_fanout.py's question, not a test's).
        r = officer.post(live_server.url + "/api/v1/counters/1/call-next", json={})
        assert r.status_code == 200 and r.json()["ticket"]["number"] == ticket["number"]
        on_board, _ = board.wait_for("ticket_called", lambda d: d["number"] == ticket["number"])
        on_phone, _ = phone.wait_for("ticket_called")
        assert on_board["counter"]["number"] == 1 and on_phone["number"] == ticket["number"]
        assert on_board["announcement"]["audio"], "the board gets the clips to play"
        for url in on_board["announcement"]["audio"][:3]:
            assert requests.get(live_server.url + url, timeout=5).status_code == 200
    finally:
        board.close()
        phone.close()


def test_a_service_manager_stops_the_server_cleanly_with_sigterm(live_server: LiveServer) -> None:
    """systemd and friends send SIGTERM: the server says it stopped, exits 0, logs no crash."""
    import signal

    ticket = issue_ticket(live_server)
    assert live_server.proc is not None
    live_server.proc.send_signal(signal.SIGTERM)
    assert live_server.proc.wait(10) == 0
    log = live_server.log_text()
    assert "Đã dừng máy chủ." in log and "Traceback" not in log
    live_server.proc = None
    live_server.start()  # and what it issued is still there
    got = requests.get(f"{live_server.url}/api/v1/tickets/{ticket['token']}", timeout=5)
    assert got.json()["number"] == ticket["number"]


def test_tickets_survive_a_server_restart_and_clients_reconnect(live_server: LiveServer) -> None:
    ticket = issue_ticket(live_server)
    phone = Listener(live_server.url, {"ticket": ticket["token"]})
    try:
        phone.wait_for("snapshot")
        before = len(phone.events)
        live_server.restart()
        assert (
            requests.get(f"{live_server.url}/api/v1/tickets/{ticket['token']}", timeout=5).json()[
                "number"
            ]
            == ticket["number"]
        )
        # The client reconnects by itself and gets a fresh snapshot (maybe already by now).
        phone.wait_for("snapshot", timeout=15, after=before)
        officer = api_login(live_server, "canbo1")
        officer.post(live_server.url + "/api/v1/counters/1/open", json={})
        officer.post(live_server.url + "/api/v1/counters/1/call-next", json={})
        phone.wait_for("ticket_called")
    finally:
        phone.close()


def _pair(tmp_path: Path, db_url: str, **env: str) -> tuple[LiveServer, LiveServer]:
    shared = {"DATABASE_URL": db_url, "SECRET_KEY": "e2e-shared-secret", **env}
    first = make_server(tmp_path / "a", **shared).start()
    second = make_server(tmp_path / "b", **shared).start()
    second.credentials = first.credentials
    return first, second


@pytest.mark.timeout(400)
def test_two_server_processes_on_one_postgresql_never_repeat_a_number_or_a_call(
    tmp_path: Path, postgres_db: str
) -> None:
    # Printing is not under test here: drawing 400 slips would only slow the two processes.
    first, second = _pair(tmp_path, postgres_db, LOBBY_PRINT_THREADS="0")
    try:
        numbers: list[str] = []
        lock = threading.Lock()

        def kiosk(server: LiveServer) -> None:
            s = requests.Session()
            for _ in range(50):
                got = _issue_with(s, server)
                with lock:
                    numbers.append(got)

        threads = [threading.Thread(target=kiosk, args=(srv,)) for srv in (first, second) * 4]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert len(numbers) == 400 and len(set(numbers)) == 400

        called: list[str] = []

        def counter(server: LiveServer, username: str, n: int) -> None:
            s = api_login(server, username)
            assert (
                s.post(f"{server.url}/api/v1/counters/{n}/open", json={"force": True}).status_code
                == 200
            )
            while True:
                r = s.post(f"{server.url}/api/v1/counters/{n}/call-next", json={})
                if r.status_code == 409 and r.json()["error"] == "queue_empty":
                    return
                assert r.status_code == 200, r.text
                with lock:
                    called.append(r.json()["ticket"]["number"])
                s.post(f"{server.url}/api/v1/tickets/{r.json()['ticket']['id']}/no-show", json={})

        staff = [
            (first, "canbo1", 1),
            (second, "canbo4", 4),
            (first, "canbo5", 5),
            (second, "canbo2", 2),
        ]
        threads = [threading.Thread(target=counter, args=s) for s in staff]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        # Counters 1, 2, 4, 5 together serve every field the kiosk used (ho_tich).
        assert len(called) == 400
        assert [n for n, k in Counter(called).items() if k > 1] == []
    finally:
        first.stop()
        second.stop()


def _issue_with(session: requests.Session, server: LiveServer) -> str:
    return str(issue_ticket(server, session=session, timeout=30)["number"])


def test_with_the_redis_queue_a_call_on_one_process_reaches_a_board_on_the_other(
    tmp_path: Path, postgres_db: str
) -> None:
    _need(REDIS_URL, "LOBBY_TEST_REDIS_URL")
    channel = f"lobby-e2e-{uuid.uuid4().hex[:8]}"
    first, second = _pair(
        tmp_path, postgres_db, SOCKETIO_MESSAGE_QUEUE=REDIS_URL, SOCKETIO_CHANNEL=channel
    )
    board = Listener(second.url, {"device_token": first.device("board")["token"]})
    try:
        board.wait_for("snapshot")
        ticket = issue_ticket(first)
        board.wait_for("ticket_issued", lambda d: d["number"] == ticket["number"])
        officer = api_login(first, "canbo1")
        officer.post(first.url + "/api/v1/counters/1/open", json={})
        assert officer.post(first.url + "/api/v1/counters/1/call-next", json={}).status_code == 200
        board.wait_for("ticket_called", lambda d: d["number"] == ticket["number"])
    finally:
        board.close()
        first.stop()
        second.stop()


def test_with_the_redis_queue_phones_on_both_processes_move_up_with_one_message_for_all(
    tmp_path: Path, postgres_db: str
) -> None:
    """A call tells every waiting phone its new place. With 30 waiting that was 30 messages on
    the queue, each decoded by every process; now one batch, delivered where each phone is."""
    _need(REDIS_URL, "LOBBY_TEST_REDIS_URL")
    import json

    import redis

    channel = f"lobby-e2e-{uuid.uuid4().hex[:8]}"
    first, second = _pair(
        tmp_path,
        postgres_db,
        SOCKETIO_MESSAGE_QUEUE=REDIS_URL,
        SOCKETIO_CHANNEL=channel,
        LOBBY_PRINT_THREADS="0",
    )
    queue = redis.Redis.from_url(REDIS_URL).pubsub()
    queue.subscribe(channel)
    phones: list[Listener] = []
    try:
        tickets = [issue_ticket(first) for _ in range(30)]
        phones = [
            Listener(first.url, {"ticket": tickets[-2]["token"]}),
            Listener(second.url, {"ticket": tickets[-1]["token"]}),
        ]
        snaps = [phone.wait_for("snapshot")[0] for phone in phones]
        before = [snap["ahead"] for snap in snaps]
        assert before == [28, 29]
        officer = api_login(first, "canbo1")
        officer.post(first.url + "/api/v1/counters/1/open", json={})
        while queue.get_message(timeout=0.3) is not None:
            pass  # what issuing and opening put on the queue
        assert officer.post(first.url + "/api/v1/counters/1/call-next", json={}).status_code == 200
        for phone, snap in zip(phones, snaps, strict=True):
            phone.wait_for(
                "line_changed",
                lambda d, s=snap: place_in_line(d, s["line_key"]) == s["ahead"] - 1,
            )
        messages = []
        while (m := queue.get_message(timeout=0.5)) is not None:
            if m["type"] == "message":
                messages.append(json.loads(m["data"]))
        updates = [m for m in messages if m.get("event") == "ticket_updated"]
        lines = [m for m in messages if m.get("event") == "line_changed"]
        # The called ticket's own update; the 29 still waiting learn their places from one line.
        assert len(updates) == 1 and len(lines) == 1, [m.get("event") for m in messages]
        assert len(messages) <= 8, [m.get("event") for m in messages]
        assert all(
            sum(1 for e in phone.events if e[0] == "line_changed") == 1 for phone in phones
        ), "each phone is told once, by the process it is connected to"
    finally:
        for phone in phones:
            phone.close()
        queue.close()
        first.stop()
        second.stop()


def test_two_installations_on_one_redis_never_hear_each_others_calls(tmp_path: Path) -> None:
    """Redis pub/sub ignores the database number: two offices pointed at one Redis (even at
    different database numbers) each keep their own channel, named from their SECRET_KEY."""
    _need(REDIS_URL, "LOBBY_TEST_REDIS_URL")
    other_db = REDIS_URL.rsplit("/", 1)[0] + "/6"
    ours = make_server(tmp_path / "ours", SOCKETIO_MESSAGE_QUEUE=REDIS_URL).start()
    theirs = make_server(tmp_path / "theirs", SOCKETIO_MESSAGE_QUEUE=other_db).start()
    our_board = Listener(ours.url, {"device_token": ours.device("board")["token"]})
    their_board = Listener(theirs.url, {"device_token": theirs.device("board")["token"]})
    try:
        our_board.wait_for("snapshot")
        their_board.wait_for("snapshot")
        for server in (ours, theirs):
            issue_ticket(server)
            officer = api_login(server, "canbo1")
            assert officer.post(server.url + "/api/v1/counters/1/open", json={}).ok
            assert officer.post(server.url + "/api/v1/counters/1/call-next", json={}).ok
        # Each board hears its own office's call (both are A001 at counter 1) once, never two.
        for board in (our_board, their_board):
            board.wait_for("ticket_called")
        time.sleep(1.0)  # room for a stray message from the other office to arrive, if any
        assert [e for e, _, _ in our_board.events].count("ticket_called") == 1
        assert [e for e, _, _ in their_board.events].count("ticket_called") == 1
        assert [e for e, _, _ in our_board.events].count("ticket_issued") == 1
    finally:
        our_board.close()
        their_board.close()
        ours.stop()
        theirs.stop()


def test_a_server_on_an_empty_database_waits_for_its_office_without_logging_failures(
    tmp_path: Path,
) -> None:
    """LOBBY_DEMO=0 on a new installation: no office yet. The background jobs have nothing to
    look after; they must not write a traceback into the log every minute."""
    server = make_server(tmp_path / "empty", LOBBY_DEMO="0").start()
    try:
        time.sleep(1.5)  # the jobs run once as the server starts: give them the time to
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
        assert "background job failed" not in server.log_text()
        assert "Traceback" not in server.log_text()
    finally:
        server.stop()
