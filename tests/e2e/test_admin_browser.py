"""The administrator's setup page in a real browser: sign in, add a field and a counter."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LiveServer, issue_ticket

pytestmark = pytest.mark.browser


def _admin_page(live_server: LiveServer, browser: Any, path: str, heading: str) -> Any:
    """A browser signed in as the demo administrator through the login form, at `path`."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 1000}, locale="vi-VN")
    page = ctx.new_page()
    page.goto(f"{live_server.url}/login?next={path}")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", live_server.user("admin")["password"])
    page.click("button[type=submit]")
    page.wait_for_selector(f"h1:has-text('{heading}')")
    return page


def test_an_administrator_sets_up_a_field_and_a_counter_in_the_browser(
    live_server: LiveServer, browser: Any, screenshots_dir: Path
) -> None:
    page = _admin_page(live_server, browser, "/admin/setup", "Cấu hình đơn vị")

    new_field = page.locator("tr.new").first
    new_field.locator("input[name=code]").fill("bao_hiem")
    new_field.locator("input[name=name_vi]").fill("Bảo hiểm xã hội")
    new_field.locator("input[name=name_en]").fill("Social insurance")
    new_field.locator("input[name=ticket_prefix]").fill("M")
    new_field.locator("button").click()
    page.wait_for_selector("text=Đã thêm lĩnh vực Bảo hiểm xã hội.")

    new_counter = page.locator("#counters tr.new")
    assert new_counter.locator("input[name=number]").input_value() == "6"
    new_counter.locator("input[name=name]").fill("Quầy 6 – Bảo hiểm xã hội")
    new_counter.locator("label:has-text('Bảo hiểm xã hội') input").check()
    new_counter.locator("button").click()
    page.wait_for_selector("text=Đã thêm quầy 6.")
    page.screenshot(path=str(screenshots_dir / "admin-setup.png"), full_page=True)
    page.context.close()

    assert issue_ticket(live_server, "bao_hiem")["number"] == "M001"
    counters = requests.get(f"{live_server.url}/api/v1/counters", timeout=5).json()["counters"]
    assert next(c for c in counters if c["number"] == 6)["services"] == ["bao_hiem"]


def test_an_administrator_adds_an_officer_and_pairs_a_tablet_in_the_browser(
    live_server: LiveServer, browser: Any, screenshots_dir: Path
) -> None:
    page = _admin_page(live_server, browser, "/admin/staff", "Tài khoản và thiết bị")

    new_user = page.locator("#users tr.new")
    new_user.locator("input[name=username]").fill("canbo6")
    new_user.locator("input[name=full_name]").fill("Hồ Thị Sáu")
    new_user.locator("input[name=counter]").fill("2")
    new_user.locator("button").click()
    page.wait_for_selector("h2:has-text('Mật khẩu của canbo6')")
    password = page.locator(".secret .big code").inner_text()
    officer = requests.Session()
    login = officer.get(f"{live_server.url}/login").text
    csrf = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = officer.post(
        f"{live_server.url}/login",
        data={"username": "canbo6", "password": password, "csrf_token": csrf},
        allow_redirects=False,
    )
    assert r.status_code == 302, "the password shown signs the officer in"

    new_device = page.locator("#devices tr.new")
    new_device.locator("select[name=kind]").select_option("tablet")
    new_device.locator("input[name=name]").fill("Máy đánh giá quầy 2")
    new_device.locator("input[name=counter]").fill("2")
    new_device.locator("button").click()
    page.wait_for_selector("h2:has-text('Ghép nối Máy đánh giá quầy 2')")
    assert page.locator(".secret .qr svg").count() == 1
    link = page.locator(".secret .big code").inner_text()
    page.screenshot(path=str(screenshots_dir / "admin-staff.png"), full_page=True)
    page.context.close()

    tablet = browser.new_context(viewport={"width": 1024, "height": 768}, locale="vi-VN")
    screen = tablet.new_page()
    screen.goto(link)
    screen.wait_for_url(re.compile(r".*/rate.*"))
    assert "2" in screen.content()
    tablet.close()


def test_an_administrator_adds_a_procedure_in_the_browser(
    live_server: LiveServer, browser: Any, screenshots_dir: Path
) -> None:
    page = _admin_page(live_server, browser, "/admin/procedures", "Thủ tục hành chính")
    row = page.locator("tr.new")
    row.locator("input[name=code]").fill("TP-ATTP")
    row.locator("select[name=field]").select_option(label="E · Kinh tế – Hộ kinh doanh")
    row.locator("input[name=name_vi]").fill("Xác nhận kiến thức an toàn thực phẩm")
    row.locator("textarea[name=components]").fill("Đơn đề nghị xác nhận\nBài kiểm tra kiến thức")
    row.locator("input[name=deadline_value]").fill("5")
    row.locator("input[name=fee_text]").fill("30.000 đồng")
    row.locator("button").click()
    page.wait_for_selector("text=Đã thêm thủ tục TP-ATTP.")
    page.locator("details").first.click()
    page.screenshot(path=str(screenshots_dir / "admin-procedures.png"), full_page=True)
    page.context.close()
    listed = requests.get(f"{live_server.url}/api/v1/procedures?service=kinh_te", timeout=5).json()[
        "procedures"
    ]
    added = next(p for p in listed if p["code"] == "TP-ATTP")
    assert added["deadline"] == {"value": 5, "unit": "working_day"}
    assert [c["name"] for c in added["components"]] == [
        "Đơn đề nghị xác nhận",
        "Bài kiểm tra kiến thức",
    ]
