"""What a citizen sees in real Chromium (issue 10, items 7, 10, 11): the rating tablet's faces,
the kiosk for older eyes (contrast, type size, time, language, priority), and public pages
that ask only for files that exist."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LiveServer, api_login, issue_ticket, make_server, pair

pytestmark = pytest.mark.browser

PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}

# WCAG 2.x contrast of every text in every kiosk tile against the colour behind it, computed
# by the browser from the styles it actually applied.
CONTRAST_JS = """
() => {
  const rgb = (s) => s.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const behind = (el) => {
    // Composite the translucent backgrounds from the element up to the first opaque one.
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      const a = c.length > 3 ? c[3] : 1;
      if (a > 0) layers.push([c, a]);
      if (a >= 1) break;
    }
    let out = [255, 255, 255];
    for (const [c, a] of layers.reverse()) out = out.map((v, i) => v * (1 - a) + c[i] * a);
    return out;
  };
  const out = [];
  for (const tile of document.querySelectorAll('.tile')) {
    for (const el of tile.querySelectorAll('.tile-prefix, .tile-name, .tile-wait, .tile-closed')) {
      if (!el.textContent.trim() || el.offsetParent === null) continue;
      const fg = rgb(getComputedStyle(el).color);
      const opacity = Number(getComputedStyle(el).opacity);
      const bg = behind(el);
      const ink = fg.slice(0, 3).map((v, i) => v * opacity + bg[i] * (1 - opacity));
      const [hi, lo] = [lum(ink), lum(bg)].sort((a, b) => b - a);
      out.push({code: tile.dataset.code, part: el.className, text: el.textContent.trim(),
                ratio: (hi + 0.05) / (lo + 0.05)});
    }
  }
  return out;
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module (the machine is small): settings are read at once."""
    live = make_server(tmp_path_factory.mktemp("citizen"), LOBBY_REFERENCE_TTL="0").start()
    try:
        yield live
    finally:
        live.stop()


def _db(server: LiveServer, sql: str, *args: Any) -> None:
    with sqlite3.connect(server.instance / "lobby.sqlite3") as db:
        db.execute(sql, args)


def _set_rating_levels(server: LiveServer, n: int) -> None:
    _db(
        server,
        "UPDATE offices SET settings = json_set(coalesce(settings, '{}'), '$.rating_levels', ?)",
        n,
    )


def _serve_and_finish(server: LiveServer, counter: int = 1) -> dict[str, Any]:
    officer = api_login(server, "canbo1")
    ticket = issue_ticket(server)
    officer.post(f"{server.url}/api/v1/counters/{counter}/open", json={})
    called = officer.post(
        f"{server.url}/api/v1/counters/{counter}/call", json={"number": ticket["number"]}
    )
    assert called.status_code == 200, called.text
    tid = called.json()["ticket"]["id"]
    for step, body in (("start", {}), ("finish", {"outcome": "guided_only"})):
        r = officer.post(f"{server.url}/api/v1/tickets/{tid}/{step}", json=body)
        assert r.status_code == 200, r.text
    return ticket


def _kiosk(browser: Any, server: LiveServer, viewport: dict[str, int], **ctx: Any) -> Any:
    context = browser.new_context(viewport=viewport, locale="vi-VN", has_touch=True, **ctx)
    page = context.new_page()
    pair(page, server, "kiosk")
    page.wait_for_selector("#screen-start.is-active .tile")
    page.evaluate("document.fonts.ready")
    return page


def _wait_for(page: Any, condition: Any, timeout_ms: int = 10000) -> None:
    """Let the page run until `condition()` holds (events arrive while Playwright waits)."""
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("condition not met in time")


# --- item 7: the rating tablet ---------------------------------------------------------------


def test_the_tablet_shows_exactly_the_offices_3_or_5_faces_drawn_and_says_back_the_choice(
    browser: Any, server: LiveServer, screenshots_dir: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    frames: list[Any] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f)))
    try:
        pair(page, server, "tablet")
        assert page.url.endswith("/rate")
        for levels, faces in (
            (3, ["Rất hài lòng", "Hài lòng", "Không hài lòng"]),
            (
                5,
                ["Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng", "Rất không hài lòng"],
            ),
        ):
            _set_rating_levels(server, levels)
            # The tablet asks when a service at its counter ends: wait until its socket is in.
            frames.clear()
            page.reload()
            _wait_for(page, lambda: any(str(f).startswith("40") for f in frames))
            ticket = _serve_and_finish(server)
            expect(page.locator("#ask")).to_be_visible()
            expect(page.locator("#number")).to_have_text(ticket["number"])
            visible = page.eval_on_selector_all(
                ".levels button",
                "bs => bs.filter(b => b.getBoundingClientRect().width > 0).map(b => b.innerText.trim())",
            )
            assert visible == faces
            # Every face is a bundled picture that loaded, never an emoji the PC cannot draw.
            drawn = page.eval_on_selector_all(
                ".levels button img",
                "is => is.filter(i => i.getBoundingClientRect().width > 0)"
                ".map(i => i.complete && i.naturalWidth > 0)",
            )
            assert drawn == [True] * levels
            page.evaluate("document.fonts.ready")
            page.screenshot(path=str(screenshots_dir / f"tablet-{levels}.png"))
            choice = faces[2]  # Không hài lòng of 3, Bình thường of 5
            page.get_by_role("button", name=choice, exact=True).click()
            expect(page.locator("#thanks")).to_be_visible()
            expect(page.locator("#chosen-label")).to_have_text(choice)
        stats = api_login(server, "lanhdao").get(server.url + "/api/v1/stats").json()
        # Each counted as chosen: a "Bình thường" is not a "Hài lòng".
        assert stats["satisfaction"]["khong_hai_long"] == 1
        assert stats["satisfaction"]["binh_thuong"] == 1
        assert stats["satisfaction"]["hai_long"] == 0
    finally:
        _set_rating_levels(server, 3)
        context.close()


# --- item 10: the kiosk for older citizens ------------------------------------------------------


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_every_kiosk_tile_reads_at_wcag_aa_contrast_open_or_closed(
    browser: Any, server: LiveServer, viewport: dict[str, int]
) -> None:
    _db(server, "UPDATE fields SET daily_ticket_limit = 0 WHERE code = 'kinh_te'")
    page = _kiosk(browser, server, viewport)
    try:
        page.wait_for_selector(".tile.is-closed")
        parts = page.evaluate(CONTRAST_JS)
        assert {p["code"] for p in parts} >= {"dat_dai", "kinh_te", "ho_tich"}
        low = [p for p in parts if p["ratio"] < 4.5]
        assert not low, low
    finally:
        _db(server, "UPDATE fields SET daily_ticket_limit = NULL WHERE code = 'kinh_te'")
        page.context.close()


def test_the_procedures_screen_names_the_field_reads_large_and_leads_to_a_number(
    browser: Any, server: LiveServer, screenshots_dir: Path
) -> None:
    from playwright.sync_api import expect

    page = _kiosk(browser, server, LANDSCAPE)
    try:
        page.locator(".tile[data-code='ho_tich']").click()
        page.locator("[data-action=procedures]").click()
        page.wait_for_selector(".proc")
        expect(page.locator("#screen-procedures .chosen")).to_contain_text("Hộ tịch")
        sizes = page.eval_on_selector_all(
            "#procedures li, #procedures .proc-meta, #procedures h2",
            "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))",
        )
        assert sizes and min(sizes) >= 28, sizes
        page.screenshot(path=str(screenshots_dir / "kiosk-procedures.png"))
        page.get_by_role("button", name="Lấy số", exact=True).click()
        expect(page.locator("#screen-priority")).to_be_visible()
    finally:
        page.context.close()


def test_a_priority_ticket_is_marked_on_screen_with_one_print_message_and_a_xong_button(
    browser: Any, server: LiveServer, screenshots_dir: Path
) -> None:
    from playwright.sync_api import expect

    page = _kiosk(browser, server, PORTRAIT)
    try:
        page.locator(".tile[data-code='ho_tich']").click()
        page.get_by_role("button", name="Người cao tuổi (từ 60 tuổi)").click()
        expect(page.locator("#result-priority")).to_have_text(
            "ƯU TIÊN – Người cao tuổi (từ 60 tuổi)"
        )
        page.wait_for_function(
            "() => { const i = document.getElementById('result-qr');"
            " return i.complete && i.naturalWidth > 0 && !document.querySelector('.screen.entering'); }"
        )
        messages = page.eval_on_selector_all(
            "#print-status, #take-ticket",
            "els => els.filter(e => e.offsetParent !== null && e.textContent.trim())"
            ".map(e => e.textContent.trim())",
        )
        assert len(messages) == 1, messages
        # The demo kiosk prints on a memory printer: the one message ends as "take your ticket".
        expect(page.locator("#take-ticket")).to_have_text("Vui lòng nhận phiếu số thứ tự")
        expect(page.locator("#print-status")).to_be_hidden()
        page.screenshot(path=str(screenshots_dir / "kiosk-ticket-priority.png"))
        page.get_by_role("button", name="Xong", exact=True).click()
        expect(page.locator("#screen-start")).to_be_visible()

        page.locator(".tile[data-code='ho_tich']").click()
        page.get_by_role("button", name="Không", exact=True).click()
        expect(page.locator("#result-number")).to_have_text(re.compile(r"A\d{3}"))
        expect(page.locator("#result-priority")).to_be_hidden()
    finally:
        page.context.close()


def test_the_kiosk_switches_to_english_with_field_names_in_english_and_back_for_the_next_citizen(
    browser: Any, server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = _kiosk(browser, server, PORTRAIT)
    try:
        assert page.evaluate("document.documentElement.lang") == "vi"
        switch = page.locator("#lang-switch")
        expect(switch).to_be_visible()
        box = switch.bounding_box()
        assert box and box["width"] >= 80 and box["height"] >= 80
        switch.click()
        page.wait_for_function("() => document.documentElement.lang === 'en'")
        page.wait_for_selector("#screen-start.is-active .tile")
        expect(page.locator(".tile[data-code='ho_tich'] .tile-name")).to_have_text("Civil status")
        expect(page.locator(".tile[data-code='dat_dai'] .tile-name")).to_have_text(
            "Land and construction"
        )
        page.locator(".tile[data-code='ho_tich']").click()
        page.get_by_role("button", name="No", exact=True).click()
        expect(page.locator("#result-field")).to_contain_text("Civil status")
        page.get_by_role("button", name="Done", exact=True).click()
        page.wait_for_function("() => document.documentElement.lang === 'vi'")
        page.wait_for_selector("#screen-start.is-active .tile")
        expect(page.locator(".tile[data-code='ho_tich'] .tile-name")).to_have_text("Hộ tịch")
    finally:
        page.context.close()


# --- item 11: public pages ask only for what exists -----------------------------------------


def test_every_public_page_loads_without_a_failed_request_and_lets_people_zoom(
    browser: Any, server: LiveServer, screenshots_dir: Path
) -> None:
    ticket = issue_ticket(server)
    officer = api_login(server, "canbo1")
    served = _serve_and_finish(server)
    dossier = officer.post(
        server.url + "/api/v1/dossiers",
        json={
            "procedure": "HT-KS",
            "applicant": {"full_name": "Trần Thị Bình", "id_number": "079123456789"},
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert dossier.status_code == 201, dossier.text
    pages = {
        "home": ("/", None),
        "lookup": ("/tra-cuu", None),
        "procedures": ("/thu-tuc", None),
        "login": ("/login", None),
        "phone": (f"/t/{ticket['token']}", None),
        "phone-done": (f"/t/{served['token']}", None),
        "dossier": (f"/d/{dossier.json()['token']}", None),
        "kiosk": ("/kiosk", "kiosk"),
        "tablet": ("/rate", "tablet"),
        "board": ("/display", "board"),
    }
    for name, (path, device) in pages.items():
        context = browser.new_context(
            viewport={"width": 390, "height": 844} if device is None else LANDSCAPE, locale="vi-VN"
        )
        page = context.new_page()
        failed: list[str] = []

        def on_failed(r: Any, failed: list[str] = failed) -> None:
            failed.append(f"{r.url} {r.failure}")

        def on_response(r: Any, failed: list[str] = failed) -> None:
            if r.status >= 400:
                failed.append(f"{r.status} {r.url}")

        try:
            if device:  # paired first, in a page of its own, so its requests are not cut short
                pairing = context.new_page()
                pair(pairing, server, device)
                pairing.close()
            page.on("requestfailed", on_failed)
            page.on("response", on_response)
            page.goto(server.url + path, wait_until="networkidle")
            page.evaluate("document.fonts.ready")
            # socket.io long-polls may be cut when the page closes; only real files count.
            failed_files = [f for f in failed if "/socket.io/" not in f]
            assert not failed_files, (name, failed_files)
            viewport = page.eval_on_selector("meta[name=viewport]", "m => m.content")
            assert "user-scalable=no" not in viewport and "maximum-scale=1" not in viewport.replace(
                " ", ""
            ), (name, viewport)
            assert page.evaluate("document.documentElement.lang") == "vi"
            if name == "home":
                page.screenshot(path=str(screenshots_dir / "home.png"), full_page=True)
        finally:
            context.close()
    fav = requests.get(server.url + "/favicon.ico", timeout=5)
    assert fav.status_code == 200


# --- issue 14: the procedures posted publicly; the board's announcement, next numbers, QR ----


def _announce(server: LiveServer, admin: requests.Session, text: str) -> None:
    r = admin.post(
        server.url + "/admin/setup",
        data={
            "csrf_token": admin.headers["X-CSRF-Token"],
            "action": "announcement",
            "announcement": text,
        },
        timeout=10,
    )
    assert r.status_code == 200 and "thông báo trên màn hình" in r.text, r.text


def test_the_procedures_read_on_a_360_px_phone_search_without_script_and_print_on_a4(
    browser: Any, server: LiveServer, screenshots_dir: Path
) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="vi-VN", java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(server.url + "/thu-tuc", wait_until="networkidle")
        assert page.locator("article.proc").count() >= 15
        page.screenshot(path=str(screenshots_dir / "procedures-phone.png"))
        # The search is a plain form: typed without diacritics, found with them.
        page.fill("#q", "dang ky khai sinh")
        page.click(".proc-search button")
        page.wait_for_url("**/thu-tuc?q=dang+ky+khai+sinh")
        names = page.locator("article.proc h3").all_inner_texts()
        assert names == ["Đăng ký lại khai sinh", "Đăng ký khai sinh"], names
        page.screenshot(path=str(screenshots_dir / "procedures-search.png"), full_page=True)
    finally:
        context.close()

    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(server.url + "/thu-tuc#HT-KS", wait_until="networkidle")
        # Nothing wider than the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.evaluate("location.hash") == "#HT-KS"
        assert (
            page.evaluate("getComputedStyle(document.getElementById('HT-KS')).outlineStyle")
            == "solid"
        )  # the anchored procedure is marked
        page.emulate_media(media="print")
        hidden = page.evaluate(
            """() => ['.proc-search', '.top', '.foot', '.proc-nav'].map(
                 (s) => getComputedStyle(document.querySelector(s)).display)"""
        )
        assert hidden == ["none"] * 4, hidden
        pdf = page.pdf(format="A4", print_background=False)
        assert pdf.startswith(b"%PDF") and b"/MediaBox [0 0 595" in pdf
    finally:
        context.close()


def test_the_board_shows_the_announcement_live_the_next_numbers_and_the_qr(
    browser: Any, server: LiveServer, screenshots_dir: Path
) -> None:
    admin = api_login(server, "admin")
    officer = api_login(server, "canbo1")
    _announce(server, admin, "")
    officer.post(f"{server.url}/api/v1/counters/1/open", json={})
    for _ in range(4):
        issue_ticket(server)
    called = officer.post(f"{server.url}/api/v1/counters/1/call-next", json={})
    assert called.status_code == 200, called.text
    context = browser.new_context(viewport=LANDSCAPE, locale="vi-VN")
    page = context.new_page()
    try:
        pair(page, server, "board")
        page.wait_for_function("() => !document.body.classList.contains('connecting')")
        assert page.is_hidden("#announcement")
        notice = "Bộ phận Một cửa nghỉ Tết Dương lịch ngày 01/01/2027, làm việc lại từ 02/01/2027"
        _announce(server, admin, notice)  # the open board hears it, no reload
        page.wait_for_selector("#announcement", state="visible", timeout=10000)
        assert page.inner_text("#announcement-text") == notice
        upcoming = requests.get(server.url + "/api/v1/board", timeout=5).json()["next"]["1"]
        assert upcoming
        row = '#serving-rows li[data-counter="1"] .next'
        page.wait_for_function(
            "([sel, text]) => document.querySelector(sel)?.textContent === text",
            arg=[row, "Tiếp theo: " + " · ".join(upcoming)],
            timeout=10000,
        )
        # One more ticket: the board hears the new next numbers without a reload.
        issue_ticket(server)
        fresh = requests.get(server.url + "/api/v1/board", timeout=5).json()["next"]["1"]
        page.wait_for_function(
            "([sel, text]) => document.querySelector(sel)?.textContent === text",
            arg=[row, "Tiếp theo: " + " · ".join(fresh)],
            timeout=10000,
        )
        assert page.evaluate("document.querySelector('.board-qr img').naturalWidth") > 0
        page.evaluate("document.fonts.ready")
        page.screenshot(path=str(screenshots_dir / "board-announcement.png"))
        _announce(server, admin, "")
        page.wait_for_selector("#announcement", state="hidden", timeout=10000)
    finally:
        context.close()
        officer.post(f"{server.url}/api/v1/counters/1/close", json={})


def test_the_dossier_code_never_breaks_mid_code_on_a_narrow_phone(
    browser: Any, server: LiveServer
) -> None:
    officer = api_login(server, "canbo1")
    r = officer.post(
        server.url + "/api/v1/dossiers",
        json={"procedure": "HT-KS", "applicant": {"full_name": "Lê Văn Cường"}},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.text
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(server.url + f"/d/{r.json()['token']}")
        code = page.locator("#d-code")
        code.wait_for()
        assert code.inner_text() == r.json()["code"]
        lines = page.evaluate(
            "() => { const e = document.getElementById('d-code'); const rg = document.createRange();"
            " rg.selectNodeContents(e); return new Set([...rg.getClientRects()].map(r => Math.round(r.top))).size; }"
        )
        assert lines == 1
        # A fresh dossier has no timeliness yet: no empty pill next to its status.
        assert page.locator("#d-timeliness").bounding_box() is None
    finally:
        context.close()
