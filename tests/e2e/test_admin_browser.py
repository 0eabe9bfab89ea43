"""The administrator's setup page in a real browser: sign in, add a field and a counter."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LiveServer, issue_ticket

pytestmark = pytest.mark.browser


def _admin_page(
    live_server: LiveServer, browser: Any, path: str, heading: str, locale: str = "vi-VN"
) -> Any:
    """A browser signed in as the demo administrator through the login form, at `path`."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 1000}, locale=locale)
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


def test_setup_warns_before_a_save_or_leaving_would_drop_an_edit_made_in_another_form(
    live_server: LiveServer, browser: Any, screenshots_dir: Path
) -> None:
    page = _admin_page(live_server, browser, "/admin/setup", "Cấu hình đơn vị")
    office_name = page.locator("#office input[name=name]")
    office_name.fill("Trung tâm đã sửa, chưa lưu")
    assert page.locator("#office form.unsaved").count() == 1, "the edited form is marked"
    row = page.locator("#fields tbody tr").first
    row.locator("input[name=name_vi]").fill("Hộ tịch (sửa)")

    # Saving the field's row would reload the page and drop the office's edit: asked first.
    row.locator("button").click()
    dialog = page.locator("dialog#unsaved")
    dialog.wait_for(state="visible")
    assert dialog.locator("li").all_inner_texts() == ["Thông tin đơn vị"]
    page.screenshot(path=str(screenshots_dir / "admin-setup-unsaved.png"))
    dialog.locator("[data-act=back]").click()
    assert not dialog.is_visible()
    assert office_name.input_value() == "Trung tâm đã sửa, chưa lưu", "the edit is still there"
    assert page.evaluate("document.activeElement.name") == "name", "back at the unsaved form"

    # Leaving the page: the browser asks; staying keeps the edits.
    asked: list[str] = []

    def stay(d: Any) -> None:
        asked.append(d.type)
        d.dismiss()

    page.on("dialog", stay)
    page.locator("header nav a", has_text="Thủ tục").click(no_wait_after=True)
    deadline = time.monotonic() + 5
    while not asked and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert asked == ["beforeunload"]
    assert page.url.endswith("/admin/setup")
    assert office_name.input_value() == "Trung tâm đã sửa, chưa lưu"
    page.remove_listener("dialog", stay)

    # Choosing to drop the other edits saves this form alone, without a second question.
    row.locator("button").click()
    dialog.wait_for(state="visible")
    page.on("dialog", stay)
    dialog.locator("[data-act=discard]").click()
    page.wait_for_selector("text=Đã lưu lĩnh vực Hộ tịch (sửa).")
    assert asked == ["beforeunload"], "no question after the administrator chose"
    assert page.locator("#office input[name=name]").input_value() != "Trung tâm đã sửa, chưa lưu"
    page.context.close()


def _cut_time_inputs(page: Any) -> tuple[int, list[str]]:
    """How many time inputs the page has, and those whose time does not show whole: the input
    overflows its box or the window, or the browser's edit area inside it (Chromium's
    user-agent shadow DOM, reached through the DevTools protocol) is cut, as "07:00 A" was."""
    cut = page.evaluate(
        """() => [...document.querySelectorAll('input[type=time]')]
            .filter(i => i.scrollWidth > i.clientWidth
                || i.getBoundingClientRect().right > document.documentElement.clientWidth)
            .map(i => i.name)"""
    )
    cdp = page.context.new_cdp_session(page)
    edits: list[int] = []

    def walk(node: dict[str, Any], inside: bool) -> None:
        attrs = node.get("attributes", [])
        named = dict(zip(attrs[::2], attrs[1::2], strict=True))
        inside = inside or (node.get("nodeName") == "INPUT" and named.get("type") == "time")
        if inside and named.get("pseudo") == "-webkit-datetime-edit":
            edits.append(node["backendNodeId"])
        for child in node.get("children", []) + node.get("shadowRoots", []):
            walk(child, inside)

    walk(cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"], False)
    for backend_id in edits:
        handle = cdp.send("DOM.resolveNode", {"backendNodeId": backend_id})["object"]
        widths = cdp.send(
            "Runtime.callFunctionOn",
            {
                "objectId": handle["objectId"],
                "functionDeclaration": "function () { return [this.scrollWidth, this.clientWidth,"
                " this.textContent]; }",
                "returnByValue": True,
            },
        )["result"]["value"]
        if widths[0] > widths[1]:
            cut.append(f"{widths[2]!r} shows {widths[1]} of {widths[0]} px")
    cdp.detach()
    return len(edits), cut


@pytest.mark.parametrize("locale", ["vi-VN", "en-US"])
def test_no_time_input_on_setup_is_cut_off_in_either_language_narrow_or_wide(
    live_server: LiveServer, browser: Any, locale: str
) -> None:
    page = _admin_page(live_server, browser, "/admin/setup", "Cấu hình đơn vị", locale=locale)
    for lang in ("vi", "en"):
        page.goto(f"{live_server.url}/admin/setup?lang={lang}")
        for width in (1024, 1920):
            page.set_viewport_size({"width": width, "height": 900})
            count, cut = _cut_time_inputs(page)
            assert count == 56, "7 days × morning and afternoon × from and to, twice"
            assert cut == [], f"{locale}, ?lang={lang}, {width} px wide: {cut[:4]}"
    page.context.close()
