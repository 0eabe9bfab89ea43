"""The same QR, two journeys: the phone page switches from the queue to the dossier, live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LiveServer, api_login, issue_ticket
from tests.e2e.test_phone_browser import PHONE, act, call_next, officer

pytestmark = pytest.mark.browser
PRIVATE = ["079123456789", "0901234567", "Nguyễn Văn An", "an@example.com", "Ấp 3"]


def _staff_context(browser: Any, server: LiveServer, session: requests.Session) -> Any:
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    ctx.add_cookies(
        [{"name": c.name, "value": c.value or "", "url": server.url} for c in session.cookies]
    )
    return ctx


def test_the_phone_switches_to_the_dossier_view_when_the_officer_accepts_it(
    live_server: LiveServer, browser: Any, screenshots_dir: Path
) -> None:
    ticket = issue_ticket(live_server)
    staff = officer(live_server)
    t = call_next(staff, live_server)
    act(staff, live_server, t["id"], "start")
    phone_ctx = browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True)
    phone = phone_ctx.new_page()
    phone.goto(f"{live_server.url}/t/{ticket['token']}")
    phone.wait_for_selector("#conn[data-conn=live]")
    assert phone.locator("#dossier").is_hidden()

    staff_ctx = _staff_context(browser, live_server, staff)
    console = staff_ctx.new_page()
    console.goto(f"{live_server.url}/counter")
    accept = console.locator('[data-action="dossier"]')
    accept.wait_for()
    console.wait_for_function("() => !document.querySelector('[data-action=\"dossier\"]').disabled")
    with console.expect_popup() as popup:
        accept.click()
    form = popup.value
    form.wait_for_load_state()
    assert "Tiếp nhận hồ sơ – phiếu A001" in form.content()
    form.select_option("select[name=procedure]", "HT-XNTTHN")
    form.fill("input[name=full_name]", "Nguyễn Văn An")
    form.fill("input[name=id_number]", "079123456789")
    form.fill("input[name=phone]", "0901234567")
    form.fill("input[name=address]", "Ấp 3, xã Thạnh Lợi")
    form.click("button:has-text('Tiếp nhận hồ sơ')")
    # No printer at counter 1: the A5 receipt with the lookup PIN, to print.
    form.wait_for_selector("#lookup-pin")
    code = form.locator("b.code").first.inner_text()

    # Live, without a reload: the dossier card appears with the masked name.
    phone.wait_for_selector("#dossier:not([hidden])", timeout=2000)
    assert phone.locator("#d-code").inner_text() == code
    assert phone.locator("#d-status").inner_text() == "Đã tiếp nhận"
    assert phone.locator("#d-applicant").inner_text() == "N*** V*** A"
    html = phone.content()
    for secret in PRIVATE:
        assert secret not in html
    phone.screenshot(path=str(screenshots_dir / "phone-dossier.png"), full_page=True)

    r = staff.post(
        f"{live_server.url}/api/v1/dossiers/{code}/events", json={"action": "result_ready"}
    )
    assert r.status_code == 200, r.text
    phone.wait_for_function(
        "() => document.getElementById('d-status').textContent.includes('mời đến nhận')",
        timeout=2000,
    )
    assert phone.locator("#d-timeliness").inner_text() in ("Trước hạn", "Đúng hạn")
    phone.screenshot(path=str(screenshots_dir / "phone-dossier-ready.png"), full_page=True)

    act(staff, live_server, t["id"], "finish", outcome="dossier_accepted")
    phone.wait_for_selector("#rating:not([hidden])", timeout=2000)
    phone.click("#rating [data-level=rat_hai_long]")
    phone.wait_for_selector("text=Cảm ơn quý khách đã đánh giá!")
    phone_ctx.close()
    staff_ctx.close()


def test_the_dossier_page_and_lookup_by_code_and_pin(live_server: LiveServer, browser: Any) -> None:
    staff = api_login(live_server, "canbo1")
    got = staff.post(
        live_server.url + "/api/v1/dossiers",
        json={
            "procedure": "CT-BS",
            "applicant": {"full_name": "Nguyễn Văn An", "phone": "0901234567"},
        },
    ).json()
    ctx = browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True)
    page = ctx.new_page()
    page.goto(live_server.url + "/tra-cuu")
    page.fill("input[name=code]", got["code"])
    page.fill("input[name=pin]", "000000" if got["lookup_pin"] != "000000" else "111111")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Mã hồ sơ hoặc mã tra cứu không đúng")
    page.fill("input[name=pin]", got["lookup_pin"])
    page.click("button[type=submit]")
    page.wait_for_selector("#d-code")
    assert page.url == got["url"].replace("http://127.0.0.1", "http://127.0.0.1")
    assert page.locator("#d-code").inner_text() == got["code"]
    staff.post(
        f"{live_server.url}/api/v1/dossiers/{got['code']}/events",
        json={"action": "handover", "to_unit": "Tư pháp"},
    )
    page.wait_for_function(
        "() => document.getElementById('d-status').textContent === 'Đang xử lý'", timeout=2000
    )
    assert "0901234567" not in page.content()
    assert requests.get(live_server.url + "/d/not-a-token", timeout=5).status_code == 404
    ctx.close()


def test_intake_finds_the_procedure_by_typing_prefills_its_documents_and_checks_the_id(
    live_server: LiveServer, browser: Any, screenshots_dir: Path
) -> None:
    staff = api_login(live_server, "canbo1")
    ctx = _staff_context(browser, live_server, staff)
    errors: list[str] = []
    form = ctx.new_page()
    form.on("pageerror", lambda e: errors.append(str(e)))  # the intake script runs cleanly
    form.goto(f"{live_server.url}/admin/dossiers/new")
    # Nothing is chosen for the officer; typing (without accents) filters the list.
    assert form.eval_on_selector("#procedure", "s => s.selectedIndex") == -1
    form.wait_for_selector("#procedure-search:not([hidden])")
    form.fill("#procedure-search", "khai sinh")
    visible = form.eval_on_selector_all(
        "#procedure option", "os => os.filter(o => !o.hidden).map(o => o.textContent)"
    )
    total = form.locator("#procedure option").count()
    assert visible and all("khai sinh" in v.lower() for v in visible), visible
    assert len(visible) < total
    form.select_option("#procedure", "HT-KS")
    # The procedure's documents, ticked, with their counts.
    rows = form.locator("#documents tr")
    rows.first.wait_for()
    assert rows.count() == 3
    assert form.locator("#documents input[type=checkbox]:checked").count() == 3
    assert form.locator("#documents-count").inner_text() == "(3/3 giấy tờ đã đánh dấu)"
    form.locator("#documents input[type=checkbox]").nth(2).uncheck()
    assert form.locator("#documents-count").inner_text() == "(2/3 giấy tờ đã đánh dấu)"
    form.fill("#documents input[name='c-0-ban_chinh']", "2")
    form.fill("input[name=full_name]", "Trần Thị Bình")
    # A CCCD number of 5 digits does not leave the browser; the message says why.
    form.fill("#id_number", "12345")
    form.click("button:has-text('Tiếp nhận hồ sơ')")
    message = form.eval_on_selector("#id_number", "i => i.validationMessage")
    assert message == "Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số."
    assert form.url.endswith("/admin/dossiers/new")
    form.screenshot(path=str(screenshots_dir / "admin-intake.png"), full_page=True)
    form.fill("#id_number", "079 123 456 789")
    form.click("button:has-text('Tiếp nhận hồ sơ')")
    form.wait_for_selector("#lookup-pin")
    code = form.locator("b.code").first.inner_text()
    pin = form.locator("#lookup-pin").inner_text()
    view = staff.get(f"{live_server.url}/api/v1/dossiers/{code}").json()["dossier"]
    assert [(c["name"], c["ban_chinh"]) for c in view["components"]] == [
        ("Tờ khai đăng ký khai sinh", 2),
        ("Giấy chứng sinh (bản chính)", 1),
    ]
    assert view["applicant"]["id_number"] == "079123456789"

    # The citizen lost the PIN: the officer checks the card and issues a new one.
    form.goto(f"{live_server.url}/admin/dossiers/{code}")
    form.fill("#pin-form input[name=id_number]", "079123456789")
    form.click("#pin-form button")
    form.wait_for_selector("#lookup-pin")
    new = form.locator("#lookup-pin").inner_text()
    assert "mã tra cứu cũ không còn hiệu lực" in form.content()
    lookup = live_server.url + "/api/v1/dossiers/lookup"
    assert requests.post(lookup, json={"code": code, "pin": new}, timeout=5).status_code == 200
    if new != pin:
        assert requests.post(lookup, json={"code": code, "pin": pin}, timeout=5).status_code == 404
    assert errors == []
    ctx.close()
