"""A real server process printing tickets on a loopback network printer, across outages and restarts."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
import zxingcpp
from PIL import Image

from tests.e2e.conftest import REPO, LiveServer, api_login, issue_ticket, make_server
from tests.printer_loopback import LoopbackPrinter, parse_raster, stitch

pytestmark = pytest.mark.slow


def flask_cli(server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `flask --app server ...` against the server's instance folder."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "server", *args],
        cwd=REPO,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def add_kiosk(server: LiveServer, printer_url: str) -> str:
    """A kiosk whose printer is printer_url; returns its device token."""
    done = flask_cli(
        server, "devices", "create", "kiosk", "Kiosk in", "--printer", printer_url, "--json"
    )
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout.strip().splitlines()[-1])["token"])


def issue(server: LiveServer, token: str) -> dict[str, Any]:
    """A ticket from the kiosk with this token, whose slip was queued for its printer."""
    body = issue_ticket(server, token=token)
    assert body["print"] == {"status": "queued"}
    return body


def slip_image(job: bytes) -> Image.Image:
    return stitch(parse_raster(job))


def qr_text(job: bytes) -> str:
    return str(zxingcpp.read_barcodes(slip_image(job).convert("L"))[0].text)


def longest_black_run(image: Image.Image, rows: int) -> int:
    """The longest horizontal run of printed dots in the top rows (an inverted banner is long)."""
    grey = image.convert("L")
    best = 0
    for y in range(min(rows, grey.height)):
        run = 0
        for x in range(grey.width):
            run = run + 1 if grey.getpixel((x, y)) == 0 else 0
            best = max(best, run)
    return best


class StaffListener:
    """A signed-in staff Socket.IO client that keeps the printer_status events it receives."""

    def __init__(self, server: LiveServer, session: requests.Session) -> None:
        self.events: list[dict[str, Any]] = []
        self.client = socketio.Client()
        self.client.on("printer_status", self.events.append)
        cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        self.client.connect(
            server.url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10
        )

    def wait_for(self, pred: Any, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in list(self.events):
                if pred(event):
                    return event
            time.sleep(0.02)
        raise AssertionError(f"no matching printer_status; got {self.events}")


def test_tickets_print_once_in_order_across_a_printer_outage_and_a_server_restart(
    tmp_path: Path,
) -> None:
    with LoopbackPrinter() as printer:
        server = make_server(tmp_path / "instance", LOBBY_PRINT_RETRY_MAX="0.5").start()
        try:
            token = add_kiosk(server, printer.url)
            staff = api_login(server, "canbo1")
            listener = StaffListener(server, staff)

            first = issue(server, token)
            [job] = printer.wait_for_jobs(1)
            assert qr_text(job) == first["url"]

            # The printer goes away: tickets are still issued, their jobs wait.
            printer.stop()
            waiting = [issue(server, token), issue(server, token)]
            offline = listener.wait_for(lambda e: e["state"] == "offline")
            assert offline["printer"] == "Kiosk in" and offline["pending_jobs"] >= 1
            printer.start()
            received = printer.wait_for_jobs(3)
            assert [qr_text(j) for j in received] == [t["url"] for t in [first, *waiting]]
            listener.wait_for(lambda e: e["state"] == "ok" and e["pending_jobs"] == 0)
            listener.client.disconnect()

            # The server stops while the printer is away, with jobs pending; both come back.
            printer.stop()
            pending = [issue(server, token), issue(server, token)]
            server.stop()
            printer.start()
            server.start()
            received = printer.wait_for_jobs(5)
            expected = [first, *waiting, *pending]
            assert [qr_text(j) for j in received] == [t["url"] for t in expected]

            # A reprint by staff arrives marked IN LẠI at the top.
            staff = api_login(server, "canbo1")
            r = staff.post(f"{server.url}/api/v1/tickets/{first['id']}/reprint", json={})
            assert r.status_code == 202, r.text
            assert r.json() == {"print": {"status": "queued"}}
            received = printer.wait_for_jobs(6)
            again = received[-1]
            assert qr_text(again) == first["url"]
            assert longest_black_run(slip_image(again), 80) > 100
            assert longest_black_run(slip_image(received[0]), 80) < 100
            assert len(printer.jobs()) == 6
        finally:
            server.stop()


def test_devices_create_refuses_a_bad_printer_url(tmp_path: Path) -> None:
    server = make_server(tmp_path / "instance").start()
    try:
        done = flask_cli(server, "devices", "create", "kiosk", "K", "--printer", "usb://04b8")
        assert done.returncode != 0
        assert "use usb://VENDOR:PRODUCT" in done.stderr
    finally:
        server.stop()


INTERRUPTED_WORKER = """
from gevent import monkey
monkey.patch_all()
import time
from datetime import UTC, datetime
from lobby.printing.service import ServerWorker

class Store:
    def pending(self, key):
        raise KeyboardInterrupt  # as if Ctrl-C arrived while this greenlet was rendering

worker = ServerWorker("memory://x", Store(), clock=lambda: datetime.now(UTC))
try:
    worker.start()
    time.sleep(5)
    print("server kept running")
except KeyboardInterrupt:
    print("server stopped")
"""


def test_a_ctrl_c_that_lands_in_a_print_worker_under_gevent_still_stops_the_server() -> None:
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_WORKER],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "server stopped", done.stderr
