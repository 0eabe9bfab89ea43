"""A real print agent process against a real server process, printing on a loopback printer."""

from __future__ import annotations

import http.client
import importlib.metadata
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.e2e.conftest import REPO, LiveServer, api_login, make_server, wait_until
from tests.e2e.test_printing_e2e import StaffListener, add_kiosk, issue, qr_text
from tests.printer_loopback import LoopbackPrinter

pytestmark = pytest.mark.slow


class AgentProcess:
    """`python -m printers.agent ...` with its log in a file."""

    def __init__(self, server: LiveServer, token: str, printer_url: str, *extra: str) -> None:
        self.log_path = server.instance / "agent.log"
        self.args = [
            sys.executable,
            "-m",
            "printers.agent",
            "--server",
            server.url,
            "--printer",
            printer_url,
            "--retry-max",
            "0.5",
            *extra,
        ]
        # The token through the environment, as the systemd unit in docs/printers.md does; what
        # must survive a restart in the test's folder (systemd's StateDirectory= does the same).
        self.env = {
            **os.environ,
            "LOBBY_AGENT_TOKEN": token,
            "STATE_DIRECTORY": str(server.instance / "agent-state"),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> AgentProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the process)
        self.proc = subprocess.Popen(self.args, cwd=REPO, env=self.env, stdout=log, stderr=log)
        return self

    def run_once(self) -> int:
        done = subprocess.run(
            [*self.args, "--once"], cwd=REPO, env=self.env, capture_output=True, timeout=60
        )
        with open(self.log_path, "ab") as log:
            log.write(done.stderr)
        return done.returncode

    def stop(self) -> int:
        """SIGTERM, as systemd stops it; return the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return int(self.proc.returncode)

    def log_text(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")


@pytest.fixture
def printer() -> Iterator[LoopbackPrinter]:
    with LoopbackPrinter() as loop:
        yield loop


def test_an_agent_prints_a_kiosks_tickets_once_in_order_across_its_absence_and_an_outage(
    tmp_path: Path, printer: LoopbackPrinter
) -> None:
    server = make_server(tmp_path / "instance").start()
    agent: AgentProcess | None = None
    try:
        token = add_kiosk(server, "agent://")
        staff = api_login(server, "canbo1")
        listener = StaffListener(server, staff)

        # The agent is not running: tickets are issued, their jobs wait on the server.
        waiting = [issue(server, token) for _ in range(3)]
        assert printer.jobs() == []

        # A long --poll: anything printed while it runs came through the Socket.IO wake-up.
        agent = AgentProcess(server, token, printer.url, "--poll", "3600").start()
        received = printer.wait_for_jobs(3, timeout=30)
        assert [qr_text(job) for job in received] == [t["url"] for t in waiting]
        listener.wait_for(lambda e: e["printer"] == "Kiosk in" and e["pending_jobs"] == 0)

        woken = issue(server, token)
        received = printer.wait_for_jobs(4, timeout=30)
        assert qr_text(received[-1]) == woken["url"]

        # The printer goes away: the job waits, the agent reports the printer offline.
        printer.stop()
        during = [issue(server, token), issue(server, token)]
        offline = listener.wait_for(lambda e: e["state"] == "offline", timeout=30)
        assert offline["printer"] == "Kiosk in" and offline["pending_jobs"] >= 1
        # It comes back: the agent's retries print both, in order.
        printer.start()
        received = printer.wait_for_jobs(6, timeout=30)
        assert [qr_text(job) for job in received[4:]] == [t["url"] for t in during]
        listener.wait_for(lambda e: e["state"] == "ok" and e["pending_jobs"] == 0, timeout=30)

        # Stopped like a service; a job queued meanwhile prints on the next start (--once).
        assert agent.stop() == 0
        later = issue(server, token)
        assert agent.run_once() == 0
        received = printer.wait_for_jobs(7, timeout=30)
        assert qr_text(received[-1]) == later["url"]

        expected = [*waiting, woken, *during, later]
        assert [qr_text(job) for job in printer.jobs()] == [t["url"] for t in expected]
        log = agent.log_text()
        assert "printed job" in log and "stopped" in log
        assert token not in log
        listener.client.disconnect()
    finally:
        if agent is not None and agent.proc is not None:
            agent.stop()
        server.stop()


def test_an_agent_for_a_kiosk_the_server_prints_for_is_refused_with_a_clear_reason(
    tmp_path: Path, printer: LoopbackPrinter
) -> None:
    server = make_server(tmp_path / "instance").start()
    try:
        token = add_kiosk(server, printer.url)  # the server prints for this kiosk itself
        agent = AgentProcess(server, token, printer.url)
        assert agent.run_once() == 2
        assert "not_agent_printer" in agent.log_text()
        bad = AgentProcess(server, token, "agent://")
        assert bad.run_once() == 2
        assert "not agent://" in bad.log_text()
    finally:
        server.stop()


class AckDroppingProxy:
    """An HTTP proxy in front of the server that, while `dropping`, answers every
    `POST .../print-jobs/<id>/done` with 503 without passing it on (the server briefly away
    just when the agent reports a job printed). Socket.IO is refused: the agent polls."""

    DONE = re.compile(r"/api/v1/print-jobs/(\d+)/done$")

    def __init__(self, upstream_port: int) -> None:
        self.dropping = True
        self.dropped: list[int] = []
        self.passed: list[int] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                done = proxy.DONE.search(self.path.split("?")[0])
                if self.path.startswith("/socket.io"):
                    return self._answer(404, b"{}")
                if done and proxy.dropping:
                    proxy.dropped.append(int(done.group(1)))
                    return self._answer(503, b'{"error": "unavailable", "message": "away"}')
                conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                conn.close()
                if done and answer.status == 200:
                    proxy.passed.append(int(done.group(1)))
                self._answer(answer.status, data)

            def _answer(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _forward

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_job_printed_but_not_acknowledged_before_a_restart_is_acknowledged_not_reprinted(
    tmp_path: Path, printer: LoopbackPrinter
) -> None:
    server = make_server(tmp_path / "instance").start()
    proxy = AckDroppingProxy(server.port)
    agent: AgentProcess | None = None
    try:
        token = add_kiosk(server, "agent://")
        first = issue(server, token)
        agent = AgentProcess(server, token, printer.url, "--poll", "0.2")
        agent.args[agent.args.index("--server") + 1] = proxy.url
        agent.start()
        printer.wait_for_jobs(1, timeout=30)
        wait_until(lambda: proxy.dropped)
        # systemctl restart during the outage: SIGTERM, and the server is back for the new start.
        assert agent.stop() == 0
        assert "kept for the next start" in agent.log_text()
        proxy.dropping = False
        agent.start()
        wait_until(lambda: proxy.passed)
        second = issue(server, token)
        printer.wait_for_jobs(2, timeout=30)
        wait_until(lambda: len(proxy.passed) >= 2)
        assert agent.stop() == 0
        # Each ticket came out once: the restarted agent acknowledged the first, never reprinted.
        assert [qr_text(job) for job in printer.jobs()] == [first["url"], second["url"]]
        assert proxy.passed[0] == proxy.dropped[0]
    finally:
        if agent is not None and agent.proc is not None:
            agent.stop()
        proxy.close()
        server.stop()


# --- the install docs/printers.md gives for the kiosk PC ------------------------------------------

DOCS = REPO / "docs" / "printers.md"


def _pinned(requirements: Path) -> list[Requirement]:
    lines = (line.split("#")[0].strip() for line in requirements.read_text("utf-8").splitlines())
    return [Requirement(line) for line in lines if line]


def _resolve(requirements: list[Requirement]) -> list[importlib.metadata.Distribution]:
    """The distributions `pip install -r` of these requirements puts in a venv (taken from the
    test's own environment, which must hold the pinned versions), dependencies included."""
    found: dict[tuple[str, str], importlib.metadata.Distribution] = {}
    todo = [(req, "") for req in requirements]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        dist = importlib.metadata.distribution(req.name)
        assert req.specifier.contains(dist.version, prereleases=True), (req, dist.version)
        key = dist.metadata["Name"].lower().replace("_", "-")
        for wanted in {""} | set(req.extras):
            if (key, wanted) in found:
                continue
            found[(key, wanted)] = dist
            todo += [(Requirement(r), wanted) for r in dist.requires or []]
    return list({id(d): d for d in found.values()}.values())


def _agent_install(root: Path) -> Path:
    """docs/printers.md's install, offline: a copy of printers/ and requirements-agent.txt, a
    venv, and in it exactly what requirements-agent.txt names (linked from this environment)."""
    text = DOCS.read_text("utf-8")
    assert "sudo cp -r printers requirements-agent.txt /opt/lobby-agent/" in text
    assert "venv/bin/pip install -r /opt/lobby-agent/requirements-agent.txt" in text
    shutil.copytree(REPO / "printers", root / "printers")
    shutil.copy(REPO / "requirements-agent.txt", root)
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True, timeout=60
    )
    site = next((root / "venv" / "lib").glob("python3*/site-packages"))
    for dist in _resolve(_pinned(root / "requirements-agent.txt")):
        tops = {Path(str(f)).parts[0] for f in dist.files or [] if not str(f).startswith("..")}
        for top in tops - {"__pycache__"}:
            source = Path(str(dist.locate_file(top)))
            if source.exists() and not (site / top).exists():
                (site / top).symlink_to(source)
    return root / "venv" / "bin" / "python"


def _agent_env(home: Path, token: str) -> dict[str, str]:
    """The environment systemd gives the agent's unit: a bare PATH, its token, a state folder."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LOBBY_AGENT_TOKEN": token,
        "STATE_DIRECTORY": str(home / "state"),
    }


def test_the_agent_installed_as_the_docs_say_is_woken_by_its_live_connection_not_its_poll(
    tmp_path: Path, printer: LoopbackPrinter
) -> None:
    python = _agent_install(tmp_path / "opt-lobby-agent")
    # The unit's command line, with a poll so long that only the live connection can wake it.
    unit = DOCS.read_text("utf-8")
    assert "ExecStart=/opt/lobby-agent/venv/bin/python -m printers.agent \\" in unit
    server = make_server(tmp_path / "instance").start()
    proc: subprocess.Popen[bytes] | None = None
    log_path = tmp_path / "agent.log"
    try:
        token = add_kiosk(server, "agent://")
        env = _agent_env(tmp_path, token)
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [
                    str(python),
                    "-m",
                    "printers.agent",
                    "--server",
                    server.url,
                    "--printer",
                    printer.url,
                    "--poll",
                    "3600",
                ],
                cwd=tmp_path / "opt-lobby-agent",
                env=env,
                stdout=log,
                stderr=log,
            )
        wait_until(lambda: "connected to" in log_path.read_text("utf-8", errors="replace"))
        ticket = issue(server, token)
        # Printed within 30 s while the agent polls once an hour: the live connection woke it.
        # (How fast is for bench/, not a test: a 1 s limit here failed on a loaded machine.)
        printer.wait_for_jobs(1, timeout=30)
        assert [qr_text(job) for job in printer.jobs()] == [ticket["url"]]
        text = log_path.read_text("utf-8", errors="replace")
        assert "not installed" not in text and "needs" not in text
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        server.stop()


def test_the_agent_without_the_live_packages_says_so_once_and_still_pulls(
    tmp_path: Path, printer: LoopbackPrinter
) -> None:
    python = _agent_install(tmp_path / "opt-lobby-agent")
    site = next((tmp_path / "opt-lobby-agent" / "venv" / "lib").glob("python3*/site-packages"))
    (site / "requests").unlink()  # the server's own venv has no requests either
    server = make_server(tmp_path / "instance").start()
    proc: subprocess.Popen[bytes] | None = None
    log_path = tmp_path / "agent.log"
    try:
        token = add_kiosk(server, "agent://")
        env = _agent_env(tmp_path, token)
        args = [str(python), "-m", "printers.agent", "--server", server.url]
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [*args, "--printer", printer.url, "--poll", "0.3"],
                cwd=tmp_path / "opt-lobby-agent",
                env=env,
                stdout=log,
                stderr=log,
            )
        tickets = [issue(server, token), issue(server, token)]
        received = printer.wait_for_jobs(2, timeout=30)
        assert [qr_text(job) for job in received] == [t["url"] for t in tickets]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        text = log_path.read_text("utf-8", errors="replace")
        assert text.count("the live connection needs requests") == 1
        assert "requests package is not installed" not in text
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(5)
        server.stop()
