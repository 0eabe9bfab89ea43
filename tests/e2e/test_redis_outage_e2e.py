"""A Redis outage under two real server processes: the lobby keeps issuing and calling, /healthz
says so, and when Redis is back every board and phone on every process catches up."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LiveServer, api_login, free_port, issue_ticket, make_server
from tests.e2e.test_server_e2e import Listener

pytestmark = pytest.mark.slow

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class PrivateRedis:
    """A redis-server of this test alone, on a free port, that the test stops and starts."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "redis.log", "ab") as log:
            self.proc = subprocess.Popen(
                [
                    *(REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        try:
            _until(lambda: _answers(client), 10, "the private redis-server answers")
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def _answers(client: Any) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


def _until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s: {what}")


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if not Path(REDIS_SERVER).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install redis-server")
        pytest.skip("needs redis-server (apt-get install redis-server)")
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _health(server: LiveServer) -> tuple[int, dict[str, Any]]:
    r = requests.get(server.url + "/healthz", timeout=5)
    return r.status_code, r.json()


def _called(officer: requests.Session, server: LiveServer, counter: int) -> dict[str, Any]:
    r = officer.post(f"{server.url}/api/v1/counters/{counter}/call-next", json={}, timeout=10)
    assert r.status_code == 200, r.text
    return dict(r.json()["ticket"])


@pytest.mark.timeout(240)
def test_while_redis_is_away_the_lobby_keeps_working_and_every_screen_catches_up_after(
    tmp_path: Path, private_redis: PrivateRedis
) -> None:
    shared = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "SECRET_KEY": "e2e-shared-secret",
        "SOCKETIO_MESSAGE_QUEUE": private_redis.url,
        # Rate limits on, counted in the same Redis (the default with a message queue).
        "LOBBY_RATE_LIMITS": "1",
        "LOBBY_PRINT_THREADS": "0",
    }
    first = make_server(tmp_path / "a", **shared).start()
    second = make_server(tmp_path / "b", **shared).start()
    second.credentials = first.credentials
    servers = (first, second)
    listeners: list[Listener] = []
    try:
        outage_call, ticket_a, ticket_b = (issue_ticket(s) for s in (first, first, second))
        board_token = first.device("board")["token"]
        boards = [Listener(s.url, {"device_token": board_token}) for s in servers]
        phone_a = Listener(first.url, {"ticket": ticket_a["token"]})
        phone_b = Listener(second.url, {"ticket": ticket_b["token"]})
        listeners = [*boards, phone_a, phone_b]
        for listener in listeners:
            listener.wait_for("snapshot")
        assert phone_a.wait_for("snapshot")[0]["ahead"] == 1
        for server in servers:
            _until(lambda s=server: _health(s)[1]["realtime"] == "ok", 5, "queue up at start")
        officers = {n: api_login(server, f"canbo{n}") for n, server in ((1, second), (5, second))}
        for n, officer in officers.items():
            assert officer.post(f"{first.url}/api/v1/counters/{n}/open", json={}).ok

        # --- Redis goes away -----------------------------------------------------------------
        private_redis.stop()
        for server in servers:
            status, body = _until(
                lambda s=server: (h := _health(s))[1]["realtime"] == "down" and h, 5, "down"
            )
            assert status == 200 and body == {
                "status": "degraded",
                "database": "ok",
                "realtime": "down",
            }
        # The kiosk issues on both processes, the board API and a lookup answer, a counter calls.
        during = [issue_ticket(s) for s in (first, second, first)]
        for server in servers:
            assert requests.get(server.url + "/api/v1/board", timeout=5).status_code == 200
            assert requests.get(server.url + "/api/v1/services", timeout=5).status_code == 200
            got = requests.get(f"{server.url}/api/v1/tickets/{during[0]['token']}", timeout=5)
            assert got.status_code == 200 and got.json()["number"] == during[0]["number"]
            assert requests.get(f"{server.url}/t/{ticket_a['token']}", timeout=5).status_code == 200
        assert _called(officers[1], second, 1)["number"] == outage_call["number"]
        # The board on the other process could not hear that call: it is the one to catch up.
        assert not any(e[0] == "ticket_called" for e in boards[0].events), (
            "first's board heard nothing from second while Redis was away"
        )
        seen = [len(listener.events) for listener in listeners]

        # --- Redis is back -------------------------------------------------------------------
        private_redis.start()
        back = time.monotonic()
        truth = requests.get(first.url + "/api/v1/board", timeout=5).json()
        fresh = [
            listener.wait_for("snapshot", timeout=max(0.1, back + 5 - time.monotonic()), after=n)[0]
            for listener, n in zip(listeners, seen, strict=True)
        ]
        for board_snap in fresh[:2]:
            assert {(s["counter"]["number"], s["number"]) for s in board_snap["now_serving"]} == {
                (1, outage_call["number"])
            }
            assert board_snap["waiting"]["ho_tich"] == truth["waiting"]["ho_tich"] == 5
        assert fresh[2]["number"] == ticket_a["number"] and fresh[2]["ahead"] == 0
        assert fresh[3]["number"] == ticket_b["number"] and fresh[3]["ahead"] == 1
        for server in servers:
            _until(lambda s=server: _health(s) == (200, _ok()), 5, "healthz ok again")

        # Calls made now travel between the processes again: each phone is called from the other.
        assert _called(officers[5], second, 5)["number"] == ticket_a["number"]
        done = officers[1].post(f"{first.url}/api/v1/tickets/{outage_call['id']}/no-show", json={})
        assert done.status_code == 200, done.text
        assert _called(officers[1], first, 1)["number"] == ticket_b["number"]
        phone_a.wait_for("ticket_called", lambda d: d["number"] == ticket_a["number"])
        phone_b.wait_for("ticket_called", lambda d: d["number"] == ticket_b["number"])
        for board in boards:
            for number in (ticket_a["number"], ticket_b["number"]):
                board.wait_for("ticket_called", lambda d, n=number: d["number"] == n)
        assert "Message queue unreachable" in first.log_text()
    finally:
        for listener in listeners:
            listener.close()
        first.stop()
        second.stop()


def _ok() -> dict[str, str]:
    return {"status": "ok", "database": "ok", "realtime": "ok"}
