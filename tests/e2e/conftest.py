"""Real server processes (python server.py) and headless Chromium for end-to-end tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LOBBY_CHROMIUM", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """One `python server.py` process on a free port, with its own instance folder."""

    instance: Path
    port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    credentials: dict[str, Any] = field(default_factory=dict)
    # The port was picked by free_port(): another test process may take it before the server
    # binds it (tests run in two workers); then the first start (only) moves to a new one.
    port_is_ours_to_change: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> LiveServer:
        log = open(self.instance / "server.log", "ab")  # noqa: SIM115 (kept open for the process)
        self.proc = subprocess.Popen(
            [sys.executable, "server.py"], cwd=REPO, env=self.env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                said = (self.instance / "server.log").read_text()[-3000:]
                if self.port_is_ours_to_change and "Address already in use" in said:
                    self.port_is_ours_to_change = False
                    self.port = free_port()
                    self.env.update(PORT=str(self.port), PUBLIC_BASE_URL=self.url)
                    return self.start(timeout)
                raise RuntimeError(f"server exited: {said}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not answer /healthz in time")
        self.port_is_ours_to_change = False  # a restart keeps the address its clients know
        creds = self.instance / "demo-credentials.json"
        if creds.exists() and not self.credentials:
            self.credentials = json.loads(creds.read_text("utf-8"))
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def user(self, username: str) -> dict[str, Any]:
        return next(u for u in self.credentials["users"] if u["username"] == username)

    def device(self, kind: str) -> dict[str, Any]:
        return next(d for d in self.credentials["devices"] if d["kind"] == kind)

    def staff_token(self, username: str) -> str:
        """A new API token for a staff account, made with the command line as an integration
        would (`flask users token NAME --json`) on this server's instance and database."""
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "server",
                "users",
                "token",
                username,
                "--json",
            ],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        line = next(x for x in out.splitlines()[::-1] if x.startswith("{"))
        return str(json.loads(line)["token"])

    def log_text(self) -> str:
        return (self.instance / "server.log").read_text("utf-8", errors="replace")


def issue_ticket(
    server: LiveServer,
    service: str = "ho_tich",
    priority: str | None = None,
    *,
    token: str | None = None,
    session: requests.Session | None = None,
    timeout: float = 10,
) -> dict[str, Any]:
    """A ticket from a kiosk (the demo kiosk unless `token`), as the kiosk page asks for it."""
    r = (session or requests).post(
        server.url + "/api/v1/tickets",
        json={"service": service, "priority": priority},
        headers={
            "Authorization": f"Bearer {token or server.device('kiosk')['token']}",
            "Idempotency-Key": uuid.uuid4().hex,
        },
        timeout=timeout,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def wait_until(pred: object, timeout: float = 30.0) -> None:
    """Wait for a condition another process brings about (a server, a browser, a printer)."""
    deadline = time.monotonic() + timeout
    while not pred():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def make_server(tmp: Path, *, port: int | None = None, **env: str) -> LiveServer:
    tmp.mkdir(parents=True, exist_ok=True)
    chosen = port is None
    port = port or free_port()
    full_env = {
        **os.environ,
        "LOBBY_INSTANCE_PATH": str(tmp),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "LOBBY_OPEN_ALWAYS": "1",
        "LOBBY_RATE_LIMITS": "0",
        "LOBBY_DEMO": "1",
        # The nightly backup would run whenever a test happens to start after 21:30 office
        # time; tests of the backup turn it on themselves.
        "LOBBY_BACKUP_AT": "off",
        **env,
    }
    return LiveServer(instance=tmp, port=port, env=full_env, port_is_ours_to_change=chosen)


@pytest.fixture(scope="session")
def demo_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instance folder (SQLite database, secrets, demo accounts) made once by a real first
    start: migrated and with the demo office. Each live_server starts from a copy of it, as a
    restarted server would, which skips the migration (about 3 s of every start)."""
    path = tmp_path_factory.mktemp("demo") / "instance"
    make_server(path).start().stop()
    (path / "server.log").unlink()
    return path


@pytest.fixture
def live_server(tmp_path: Path, demo_instance: Path) -> Iterator[LiveServer]:
    """A fresh server with the demo office on embedded SQLite (a copy of demo_instance: the
    same accounts and devices, nothing issued)."""
    instance = tmp_path / "instance"
    shutil.copytree(demo_instance, instance)
    server = make_server(instance).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_db() -> Iterator[str]:
    """A new, empty PostgreSQL database for server processes to migrate; dropped afterwards."""
    url = os.environ.get("LOBBY_TEST_POSTGRES_URL", "")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must set LOBBY_TEST_POSTGRES_URL")
        pytest.skip("needs LOBBY_TEST_POSTGRES_URL")
    import psycopg

    admin = url.replace("postgresql+psycopg://", "postgresql://")
    name = f"lobby_e2e_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium")
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def screenshots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where browser tests save screenshots (LOBBY_SCREENSHOTS overrides, e.g. docs/screenshots)."""
    target = os.environ.get("LOBBY_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def pair(page: Any, server: LiveServer, kind: str, token: str | None = None) -> Any:
    """Open a device's pairing link in this page, as the device that holds it: a pairing link
    works for one device (the browser with its cookie may open it again), so every browser
    context of a test that stands for the same kiosk, board or tablet carries that cookie."""
    token = token or server.device(kind)["token"]
    page.context.add_cookies([{"name": "lobby_device", "value": token, "url": server.url}])
    return page.goto(f"{server.url}/pair/{token}")


def api_login(server: LiveServer, username: str) -> requests.Session:
    """A requests session signed in as a demo user, with the CSRF header set."""
    import re

    s = requests.Session()
    page = s.get(server.url + "/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "login page has a CSRF token"
    r = s.post(
        server.url + "/login",
        data={
            "username": username,
            "password": server.user(username)["password"],
            "csrf_token": token.group(1),
        },
        allow_redirects=False,
    )
    assert r.status_code == 302, r.text
    s.headers["X-CSRF-Token"] = token.group(1)
    return s


def _cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
