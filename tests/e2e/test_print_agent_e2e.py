"""A real print agent process against a real server process, printing on a loopback printer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, LiveServer, api_login, make_server
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
        # The token through the environment, as the systemd unit in docs/printers.md does.
        self.env = {**os.environ, "LOBBY_AGENT_TOKEN": token}
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
