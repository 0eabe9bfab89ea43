"""Remote tickets in real Chromium: booking a slot on a 360 px phone (/lay-so), and checking the
booking in at the kiosk the way a USB/HID scanner does (the code typed, then Enter). The server
reads its time from a file: Monday 30 Nov 2026, 08:40, so today's slots are there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from core.clock import write_clock_file
from tests.e2e.conftest import LiveServer, make_server, pair

PHONE = {"width": 360, "height": 740}
PORTRAIT = {"width": 1080, "height": 1920}
NOW = datetime(2026, 11, 30, 8, 40, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("bookings")
    clock = tmp / "clock"
    write_clock_file(str(clock), NOW)
    live = make_server(tmp / "instance", LOBBY_CLOCK_FILE=str(clock)).start()
    try:
        yield live
    finally:
        live.stop()


@pytest.mark.browser
def test_a_citizen_books_a_slot_on_the_phone_and_gets_a_code_and_a_qr(
    browser: Any, server: LiveServer, screenshots_dir: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/lay-so")
        page.get_by_role("link", name="Hộ tịch").click()
        expect(page.get_by_role("heading", name="3. Chọn khung giờ")).to_be_visible()
        expect(page.locator(".days .chosen")).to_have_text("Thứ Hai 30/11")
        page.locator("label.slot", has_text="09:00–09:30").click()
        page.get_by_label("Số điện thoại di động (không bắt buộc)").fill("0912 345 678")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
        page.screenshot(path=str(screenshots_dir / "phone-booking.png"), full_page=True)
        page.get_by_role("button", name="Đặt lịch").click()
        expect(page.get_by_role("heading", name="Lịch hẹn lấy số")).to_be_visible()
        code = page.locator("#booking-code").inner_text()
        assert re.fullmatch(r"[2-9A-Z]{6}", code), code
        page.wait_for_function("() => document.querySelector('img.qr').naturalWidth > 0")
        assert "0912" not in page.content()  # the number is never shown back
        page.screenshot(path=str(screenshots_dir / "phone-booked.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.browser
def test_the_kiosk_checks_a_booking_in_from_a_scanned_code(
    browser: Any, server: LiveServer, screenshots_dir: Path
) -> None:
    from playwright.sync_api import expect

    r = requests.post(
        f"{server.url}/api/v1/bookings",
        json={"service": "chung_thuc", "day": "2026-11-30", "slot": "08:30"},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    booked = r.json()
    context = browser.new_context(viewport=PORTRAIT, locale="vi-VN", has_touch=True)
    page = context.new_page()
    try:
        pair(page, server, "kiosk")
        page.wait_for_selector("#screen-start.is-active .tile")
        page.get_by_role("button", name="Tôi đã đặt lịch").click()
        expect(page.locator("#booked-code")).to_be_focused()
        page.keyboard.type(booked["code"])  # what a HID scanner does: the code, then Enter
        page.keyboard.press("Enter")
        expect(page.locator("#booked-number")).to_have_text(re.compile(r"^B-?\d{3}$"))
        page.evaluate("document.fonts.ready")
        page.screenshot(path=str(screenshots_dir / "kiosk-booking-checkin.png"))
        seen = requests.get(f"{server.url}/api/v1/bookings/{booked['token']}", timeout=10).json()
        assert seen["status"] == "checked_in"
        assert seen["ticket"]["number"] == page.locator("#booked-number").inner_text()
    finally:
        context.close()
