"""Faults a real `python server.py` process must survive: hostile Socket.IO polling requests and
being stopped (Ctrl-C, a service manager) while it is busy (issue 11, items 1 and 3)."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import socketio

from tests.e2e.conftest import LiveServer, issue_ticket, make_server

pytestmark = pytest.mark.slow

CLOSE_WAIT = "08"  # the TCP state in /proc/net/tcp


def _close_wait(port: int) -> int:
    """Connections on the server's side of `port` that the peer closed and the server has not."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            if int(local.rsplit(":", 1)[1], 16) == port and state == CLOSE_WAIT:
                count += 1
    return count


def _polling_session(http: requests.Session, server: LiveServer) -> str:
    """An Engine.IO session opened by a long-polling handshake, as any browser may open one."""
    r = http.get(f"{server.url}/socket.io/?EIO=4&transport=polling", timeout=5)
    assert r.status_code == 200, r.text
    return str(json.loads(r.text[1:])["sid"])


def test_malformed_polling_posts_are_answered_and_leave_no_connection_behind(
    live_server: LiveServer,
) -> None:
    """300 polling POSTs with a packet type Engine.IO does not know, from a caller that never
    polls: each is refused at once, no connection is left half-closed, the server answers."""
    bodies = [b"9999", b"6", b"2probe"]
    http = requests.Session()
    conns: list[socket.socket] = []
    try:
        for i in range(300):
            sid = _polling_session(http, live_server)
            body = bodies[i % len(bodies)]
            conn = socket.create_connection(("127.0.0.1", live_server.port), timeout=5)
            conns.append(conn)
            conn.sendall(
                f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n"
                f"Host: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
        # Every request gets its answer (all were sent before the first is read).
        deadline = time.monotonic() + 20
        statuses = []
        for conn in conns:
            conn.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                statuses.append(conn.recv(64).split(b" ", 2)[1])
            except (TimeoutError, IndexError):
                statuses.append(b"no answer")
        assert statuses == [b"400"] * 300, {s: statuses.count(s) for s in set(statuses)}
    finally:
        for conn in conns:  # the caller goes away; the server must close its side too
            conn.close()
        http.close()
    deadline = time.monotonic() + 30
    while _close_wait(live_server.port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _close_wait(live_server.port) == 0
    started = time.monotonic()
    assert requests.get(live_server.url + "/healthz", timeout=5).status_code == 200
    assert time.monotonic() - started < 1.0
    # and the polling transport still works for a well-behaved client
    client = socketio.Client(reconnection=False)
    board = live_server.device("board")["token"]
    client.connect(live_server.url, auth={"device_token": board}, transports=["polling"])
    try:
        assert client.connected
    finally:
        client.disconnect()


class _Load:
    """Boards on websockets and kiosks issuing tickets in a loop, each ticket pushed to every
    board: the server spends its time writing to websockets when the signal comes."""

    def __init__(self, server: LiveServer, boards: int = 20, kiosks: int = 3) -> None:
        self.server = server
        self.stopping = threading.Event()
        self.issued = 0
        self.last_error = ""
        self.clients: list[socketio.Client] = []
        token = server.device("board")["token"]
        for _ in range(boards):
            client = socketio.Client(reconnection=False)
            client.connect(
                server.url,
                auth={"device_token": token},
                transports=["websocket"],
                wait_timeout=10,
            )
            self.clients.append(client)
        self.threads = [threading.Thread(target=self._issue, daemon=True) for _ in range(kiosks)]
        for t in self.threads:
            t.start()

    def _issue(self) -> None:
        http = requests.Session()
        while not self.stopping.is_set():
            try:
                issue_ticket(self.server, session=http, timeout=5)
                self.issued += 1
            except (requests.RequestException, AssertionError) as e:
                if self.stopping.is_set():
                    return
                self.last_error = repr(e)[:300]
                time.sleep(0.05)  # the server is going away; the loop ends with the test
        http.close()

    def wait_until_busy(self, tickets: int = 20, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.issued < tickets and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.issued >= tickets, f"{self.issued} tickets issued; {self.last_error}"

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(10)
        for client in self.clients:
            client.disconnect()


@pytest.fixture
def sigint_not_ignored() -> Iterator[None]:
    """A process started with SIGINT ignored (a job a shell put in the background) ignores it,
    as Python does, and so do its children: the servers below must get the signal."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("sigint_not_ignored")
@pytest.mark.timeout(360)  # three starts of a server on a machine shared with other work
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_busy_server_with_websockets_open_stops_promptly_on_a_signal(
    tmp_path: Path, signum: signal.Signals
) -> None:
    """Ctrl-C (SIGINT) and a service manager (SIGTERM) stop the server within 10 s, with exit
    code 0, its last words in the log and no traceback, while boards are connected and kiosks
    are issuing; three times in a row, on the same database."""
    server = make_server(tmp_path / "instance")
    for _ in range(3):
        server.start()
        load = _Load(server)
        try:
            load.wait_until_busy()
            before = len(server.log_text())
            assert server.proc is not None
            server.proc.send_signal(signum)
            try:
                code = server.proc.wait(10)
            except Exception:
                server.proc.kill()
                server.proc.wait(5)
                raise AssertionError(f"{signum.name} did not stop the server within 10 s") from None
            log = server.log_text()[before:]
            assert code == 0, log[-3000:]
            assert "Đã dừng máy chủ." in log and "Traceback" not in log, log[-3000:]
        finally:
            load.stop()
            server.stop()
