"""Citizen reception in headless Chromium against a real server: the board's panel and the
public page, then the leader's schedule page and the reception book's print view. The demo's
reception desk (`flask demo`) is added to the live server's database first."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import REPO, LiveServer, pair

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADD_DESK = """
from lobby import create_app
from lobby.reception.demo import add_reception_demo
app = create_app()
with app.app_context():
    print(add_reception_demo())
"""


def add_desk(server: LiveServer) -> None:
    done = subprocess.run(
        [sys.executable, "-c", ADD_DESK],
        cwd=REPO,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "'added': True" in done.stdout, done.stderr


def test_the_board_panel_and_the_public_page_show_the_schedule(
    live_server: LiveServer, browser: Any, screenshots_dir: Any
) -> None:
    add_desk(live_server)
    board = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    pair(board, live_server, "board")
    board.wait_for_selector("#rc-next:not([hidden])")
    assert "Huỳnh Văn Chánh" in board.inner_text("#rc-next")
    # The strip takes the footer's middle: hours and hotline keep their place, nothing else
    # on the board moves; a long line is cut with an ellipsis.
    boxes = board.evaluate(
        """() => ['.board-footer .footer-info', '#reception', '.board-footer .footer-info:last-child']
             .map((s) => document.querySelector(s).getBoundingClientRect().toJSON())"""
    )
    hours, strip, hotline = boxes
    assert hours["right"] <= strip["left"] and strip["right"] <= hotline["left"]
    assert strip["height"] > 0 and board.evaluate("document.documentElement.scrollWidth") <= 1920
    board.screenshot(path=str(screenshots_dir / "board-reception.png"))

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto(live_server.url + "/lich-tiep-cong-dan")
    assert "Huỳnh Văn Chánh" in phone.inner_text(".rc-sessions")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    phone.screenshot(path=str(screenshots_dir / "reception-public.png"), full_page=True)

    # The kiosk's button opens the schedule over the start screen; "Đóng" closes it.
    kiosk = browser.new_context(viewport={"width": 1920, "height": 1080}, has_touch=True).new_page()
    pair(kiosk, live_server, "kiosk")
    kiosk.wait_for_selector("#screen-start.is-active .tile")
    # The button keeps clear of the greeting (its side padding is the corner's room).
    button, title = (kiosk.locator(s).bounding_box() for s in ("#reception-open", "#greeting"))
    assert button["x"] >= title["x"] + title["width"] - kiosk.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#greeting')).paddingRight)"
    )
    kiosk.click("#reception-open")
    kiosk.wait_for_selector("#reception-panel:not([hidden])")
    assert "Huỳnh Văn Chánh" in kiosk.inner_text("#reception-panel")
    kiosk.screenshot(path=str(screenshots_dir / "kiosk-reception.png"))
    kiosk.click("#reception-close")
    kiosk.wait_for_selector("#reception-panel", state="hidden")


def test_the_leader_edits_the_schedule_and_keeps_the_book(
    live_server: LiveServer, browser: Any, screenshots_dir: Any
) -> None:
    add_desk(live_server)
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.goto(live_server.url + "/admin/reception")
    page.fill("input[name=username]", "lanhdao")
    page.fill("input[name=password]", live_server.user("lanhdao")["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/reception")
    assert page.locator(".rhythm .flash").count() == 2  # this month and the next, checked
    add = page.locator("form:has(input[value=entry_add])")
    add.locator("select[name=kind]").select_option("chuyen_de")
    add.locator("input[name=official_name]").fill("Lê Thị Phó")
    add.locator("input[name=official_title]").fill("Phó Chủ tịch UBND xã")
    add.locator("input[name=place]").fill("Hội trường UBND xã")
    add.locator("input[name=day]").fill("2027-01-19")
    add.locator("button.primary").click()
    page.wait_for_selector("text=Đã thêm vào lịch tiếp công dân.")
    assert page.locator("tr.entry", has_text="Hội trường UBND xã").count() == 1
    page.screenshot(path=str(screenshots_dir / "admin-reception.png"), full_page=True)

    page.goto(live_server.url + "/admin/reception/book")
    page.fill("input[name=citizen_name]", "Nguyễn Văn Mẫu")
    page.fill("input[name=citizen_id_number]", "080190001234")
    page.fill("input[name=citizen_address]", "Ấp 3, xã Thạnh Lợi (dữ liệu mẫu)")
    page.fill(
        "textarea[name=content]", "Kiến nghị về việc sửa chữa đường giao thông nông thôn ấp 3"
    )
    page.fill("textarea[name=documents]", "Đơn kiến nghị có chữ ký của 12 hộ dân")
    page.fill("input[name=official]", "Huỳnh Văn Chánh – Chủ tịch UBND xã")
    page.click("form.grid-form button.primary")
    page.wait_for_selector("tr.record")
    page.click("text=In sổ (Mẫu 03/TCD)")
    page.wait_for_selector("h1:has-text('SỔ TIẾP CÔNG DÂN')")
    assert "Nguyễn Văn Mẫu" in page.inner_text("table.book")
    page.screenshot(path=str(screenshots_dir / "reception-book-print.png"), full_page=True)
