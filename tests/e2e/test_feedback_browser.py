"""Feedback about the desk in real Chromium: a citizen sends it from the phone's ticket page and
keeps its tracking page, or from the counter tablet while being served; the leader assigns,
answers and publishes it on the staff pages."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LiveServer, api_login, issue_ticket, pair

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
NAME = "Hoàng Thị Phản Ánh"
PHONE_NUMBER = "0912 345 678"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def _fits_360(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_a_citizen_sends_feedback_from_the_ticket_page_and_keeps_its_tracking_page(
    phone: Any, live_server: LiveServer, screenshots_dir: Path
) -> None:
    from playwright.sync_api import expect

    ticket = issue_ticket(live_server)
    phone.goto(ticket["url"])
    phone.get_by_role("link", name="Gửi phản ánh, kiến nghị").click()
    expect(phone.get_by_role("heading", name="Gửi phản ánh, kiến nghị")).to_be_visible()
    phone.get_by_label("Thời gian chờ đợi").check()
    phone.get_by_label("Nội dung phản ánh, kiến nghị").fill("Chờ hơn một giờ ở quầy hộ tịch.")
    phone.get_by_label("Họ và tên").fill(NAME)
    phone.get_by_label("Số điện thoại").fill(PHONE_NUMBER)
    phone.evaluate("document.fonts.ready")
    _fits_360(phone)
    phone.screenshot(path=str(screenshots_dir / "phone-feedback.png"), full_page=True)

    phone.get_by_role("button", name="Gửi phản ánh, kiến nghị").click()
    expect(phone.locator("#feedback-new")).to_contain_text("Đã tiếp nhận phản ánh, mã số: PA-")
    expect(phone.locator("#fb-status")).to_have_text("Đã tiếp nhận")
    expect(phone.locator("#fb-topic")).to_have_text("Thời gian chờ đợi")
    qr = phone.locator(".feedback-qr img")
    expect(qr).to_be_visible()
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    page = phone.content()
    assert NAME not in page and PHONE_NUMBER not in page
    _fits_360(phone)
    phone.screenshot(path=str(screenshots_dir / "phone-feedback-tracking.png"), full_page=True)


def _send(server: LiveServer, topic: str, content: str) -> dict[str, Any]:
    r = requests.post(
        server.url + "/api/v1/feedback", json={"topic": topic, "content": content}, timeout=10
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_the_leader_assigns_answers_and_publishes_feedback_on_the_staff_pages(
    browser: Any, live_server: LiveServer, screenshots_dir: Path
) -> None:
    from playwright.sync_api import expect

    mine = _send(live_server, "thai_do_can_bo", "Cán bộ quầy 2 không hướng dẫn rõ ràng.")
    _send(live_server, "co_so_vat_chat", "Sảnh chờ thiếu quạt vào buổi trưa.")
    _send(live_server, "thu_tuc", "Đề nghị niêm yết rõ lệ phí chứng thực.")
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = ctx.new_page()
    try:
        page.goto(f"{live_server.url}/login?next=/admin/feedback")
        page.fill("input[name=username]", "lanhdao")
        page.fill("input[name=password]", live_server.user("lanhdao")["password"])
        page.click("button[type=submit]")
        expect(page.get_by_role("heading", name="Phản ánh, kiến nghị")).to_be_visible()
        page.get_by_role("link", name=mine["code"]).click()

        page.select_option(
            "#assign-form select", label="Nguyễn Văn Một – Công chức Tư pháp – Hộ tịch"
        )
        page.locator("#assign-form").get_by_role("button", name="Giao xử lý").click()
        expect(page.locator("#fb-status")).to_have_text("Đang xử lý")
        page.get_by_label("Nội dung trả lời").fill("Đã nhắc nhở cán bộ và bổ sung bảng hướng dẫn.")
        page.get_by_role("button", name="Lưu trả lời").click()
        expect(page.locator("#fb-status")).to_have_text("Đã trả lời")
        page.get_by_role("button", name="Công khai kết quả").click()
        expect(page.locator("#fb-status")).to_have_text("Đã công khai kết quả")
        history = page.locator("#fb-history tbody tr")
        expect(history).to_have_count(4)
        page.screenshot(path=str(screenshots_dir / "admin-feedback-detail.png"), full_page=True)

        public = requests.get(f"{live_server.url}/api/v1/feedback/{mine['token']}", timeout=10)
        assert public.json()["answer"] == "Đã nhắc nhở cán bộ và bổ sung bảng hướng dẫn."

        page.goto(f"{live_server.url}/admin/feedback")
        expect(page.locator("#feedback-table tbody tr")).to_have_count(3)
        page.evaluate("document.fonts.ready")
        page.screenshot(path=str(screenshots_dir / "admin-feedback.png"), full_page=True)
    finally:
        ctx.close()


def test_a_citizen_sends_feedback_from_the_counter_tablet_and_it_goes_back_to_idle(
    browser: Any, live_server: LiveServer, screenshots_dir: Path
) -> None:
    from playwright.sync_api import expect

    ticket = issue_ticket(live_server)
    officer = api_login(live_server, "canbo1")
    officer.post(f"{live_server.url}/api/v1/counters/1/open", json={})  # the tablet's counter
    called = officer.post(f"{live_server.url}/api/v1/counters/1/call-next", json={})
    assert called.status_code == 200, called.text
    started = officer.post(
        f"{live_server.url}/api/v1/tickets/{called.json()['ticket']['id']}/start"
    )
    assert started.status_code == 200, started.text

    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = ctx.new_page()
    try:
        page.clock.install()  # the screens' own timers, fast-forwarded below
        pair(page, live_server, "tablet")
        expect(page.locator("#idle")).to_be_visible()
        page.get_by_role("button", name="Góp ý, phản ánh").click()
        expect(page.locator("#feedback")).to_be_visible()
        page.get_by_role("button", name="Gửi phản ánh").click()  # nothing chosen yet
        expect(page.locator("#fb-error")).to_have_text("Vui lòng chọn nội dung góp ý, phản ánh.")
        page.get_by_role("radio", name="Thời gian chờ đợi").click()
        expect(page.locator("#fb-error")).to_have_text("")
        expect(page.get_by_role("radio", name="Thời gian chờ đợi")).to_have_attribute(
            "aria-checked", "true"
        )
        page.get_by_label("Nội dung phản ánh, kiến nghị").fill("Quầy 1 gọi số chậm, chờ lâu.")
        page.get_by_label("Họ và tên (không bắt buộc)").fill(NAME)
        page.evaluate("document.fonts.ready")
        page.screenshot(path=str(screenshots_dir / "tablet-feedback.png"))
        page.get_by_role("button", name="Gửi phản ánh").click()

        expect(page.locator("#feedback-sent")).to_be_visible()
        code = page.locator("#fb-code").inner_text()
        assert code.startswith("PA-")
        qr = page.locator("#fb-qr")
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=qr.element_handle()
        )
        assert NAME not in page.locator("#feedback-sent").inner_text()
        page.screenshot(path=str(screenshots_dir / "tablet-feedback-sent.png"))

        # Sent by the tablet, about the citizen being served at its counter.
        with sqlite3.connect(live_server.instance / "lobby.sqlite3") as db:
            row = db.execute(
                "SELECT f.channel, t.number FROM feedback f JOIN tickets t ON t.id = f.ticket_id "
                "WHERE f.code = ?",
                (code,),
            ).fetchone()
        assert row == ("counter_tablet", ticket["number"])

        # Left alone, the tablet goes back to its idle screen, the form emptied for the next one.
        page.clock.fast_forward("01:05")
        expect(page.locator("#idle")).to_be_visible()
        expect(page.locator("#feedback-sent")).to_be_hidden()
        page.get_by_role("button", name="Góp ý, phản ánh").click()
        expect(page.get_by_label("Họ và tên (không bắt buộc)")).to_have_value("")
    finally:
        ctx.close()
