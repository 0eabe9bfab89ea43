"""The leader's audit view in a real browser: what an officer did at a counter is on it, and
the kind filter keeps the pauses with their reason."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, api_login, issue_ticket

pytestmark = pytest.mark.browser


def _post(server: LiveServer, session: Any, path: str, body: Any = None) -> Any:
    r = session.post(
        server.url + path,
        json=body or {},
        headers={"Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_a_leader_reads_who_did_what_and_keeps_the_pauses(
    live_server: LiveServer, browser: Any, screenshots_dir: Path
) -> None:
    officer = api_login(live_server, "canbo1")
    _post(live_server, officer, "/api/v1/counters/1/open")
    issue_ticket(live_server, "ho_tich")
    ticket = _post(live_server, officer, "/api/v1/counters/1/call-next")["ticket"]
    _post(live_server, officer, f"/api/v1/tickets/{ticket['id']}/start")
    _post(
        live_server, officer, f"/api/v1/tickets/{ticket['id']}/finish", {"outcome": "guided_only"}
    )
    _post(live_server, officer, "/api/v1/counters/1/pause", {"reason": "Họp giao ban"})
    _post(live_server, officer, "/api/v1/counters/1/resume")

    ctx = browser.new_context(viewport={"width": 1366, "height": 1000}, locale="vi-VN")
    page = ctx.new_page()
    page.goto(f"{live_server.url}/login?next=/admin/audit")
    page.fill("input[name=username]", "lanhdao")
    page.fill("input[name=password]", live_server.user("lanhdao")["password"])
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Nhật ký hoạt động')")
    days = page.locator("#officer-days tbody tr")
    assert days.count() == 1 and "Nguyễn Văn Một" in days.first.inner_text()
    trail = page.locator("#trail").inner_text()
    assert ticket["number"] in trail and "Gọi số tiếp theo" in trail and "Đăng nhập" in trail
    page.screenshot(path=str(screenshots_dir / "admin-audit.png"), full_page=True)

    page.select_option("select[name=kind]", "pause")
    page.click("#audit-filters button")
    page.wait_for_url("**kind=pause**")
    rows = page.locator("#trail tbody tr")
    assert rows.count() == 1
    assert "Họp giao ban" in rows.first.inner_text() and "Nguyễn Văn Một" in rows.first.inner_text()
    with page.expect_download() as download:
        page.click("text=Xuất Excel")
    assert download.value.suggested_filename.endswith(".xlsx")
    ctx.close()
