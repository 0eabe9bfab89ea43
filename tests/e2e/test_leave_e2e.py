"""Leaving and delaying from the phone against one real server: a board and the phones behind
hear the new state over Socket.IO, and the ticket page's leave flow in real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LiveServer, issue_ticket, make_server
from tests.e2e.test_server_e2e import Listener
from tests.integration.helpers import place_in_line

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module (each start costs seconds); each test uses its own field."""
    live = make_server(tmp_path_factory.mktemp("leave") / "instance").start()
    try:
        yield live
    finally:
        live.stop()


@pytest.mark.slow
def test_after_a_leave_and_a_delay_the_board_and_the_phones_behind_hear_their_new_state(
    server: LiveServer,
) -> None:
    first, second, third = (issue_ticket(server, "chung_thuc") for _ in range(3))
    board = Listener(server.url, {"device_token": server.device("board")["token"]})
    behind = Listener(server.url, {"ticket": third["token"]})
    leaver = Listener(server.url, {"ticket": first["token"]})
    try:
        snap, _ = behind.wait_for("snapshot")
        assert snap["ahead"] == 2
        key = snap["line_key"]  # its place in the field's line_changed, as phone.js finds it
        leaver.wait_for("snapshot")
        seen = len(board.events), len(behind.events)
        r = requests.post(f"{server.url}/api/v1/tickets/{first['token']}/leave", timeout=10)
        assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
        count, _ = board.wait_for(
            "queue_changed", lambda d: d["service"] == "chung_thuc", after=seen[0]
        )
        assert count["waiting"] == 2
        behind.wait_for("line_changed", lambda d: place_in_line(d, key) == 1, after=seen[1])
        own, _ = leaver.wait_for("ticket_updated", lambda d: d["status"] == "cancelled")
        assert own["number"] == first["number"]
        # The one ahead lets the phone behind go first: it hears it is next.
        seen = len(behind.events)
        d = requests.post(f"{server.url}/api/v1/tickets/{second['token']}/delay", timeout=10)
        assert d.status_code == 200 and d.json()["ahead"] == 1, d.text
        behind.wait_for("line_changed", lambda d: place_in_line(d, key) == 0, after=seen)
    finally:
        for listener in (board, behind, leaver):
            listener.close()


@pytest.mark.browser
def test_the_ticket_page_leaves_the_line_after_a_confirmation(
    browser: Any, server: LiveServer, screenshots_dir: Path
) -> None:
    from playwright.sync_api import expect

    mine = issue_ticket(server, "dat_dai")
    behind = issue_ticket(server, "dat_dai")
    context = browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(mine["url"])
        expect(page.locator("#conn[data-conn='live']")).to_be_attached(timeout=15000)
        confirm = page.locator("#leave-confirm")
        expect(confirm).to_be_hidden()  # nothing happens on one tap: a confirmation first
        page.get_by_text("Tôi không chờ nữa").click()
        expect(confirm).to_be_visible()
        expect(page.get_by_text(f"Số {mine['number']} sẽ bị hủy", exact=False)).to_be_visible()
        page.evaluate("document.fonts.ready")
        page.screenshot(path=str(screenshots_dir / "phone-leave-confirm.png"), full_page=True)
        confirm.click()
        expect(page.get_by_text("Quý khách đã rời hàng chờ", exact=False)).to_be_visible()
        expect(page.get_by_text("lấy số mới tại máy lấy số", exact=False)).to_be_visible()
        expect(page.locator("#queue-actions")).to_be_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.evaluate("document.fonts.ready")
        page.screenshot(path=str(screenshots_dir / "phone-left.png"), full_page=True)
        view = requests.get(f"{server.url}/api/v1/tickets/{behind['token']}", timeout=10).json()
        assert view["ahead"] == 0
    finally:
        context.close()
