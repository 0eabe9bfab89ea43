"""The kiosk in real Chromium against a real server: tiles, priority question, ticket, QR."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import requests
from PIL import Image

from tests.e2e.conftest import LiveServer, make_server, pair, wait_until

pytestmark = pytest.mark.browser

PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}
NUMBER = re.compile(r"^A-?\d{3}$")


def waiting(server: LiveServer, code: str) -> int:
    services = requests.get(server.url + "/api/v1/services", timeout=5).json()["services"]
    return int(next(s["waiting"] for s in services if s["code"] == code))


def paired_page(browser: Any, server: LiveServer, viewport: dict[str, int]) -> Any:
    """A fresh browser context paired as the demo kiosk, on the kiosk's start screen."""
    context = browser.new_context(viewport=viewport, locale="vi-VN", has_touch=True)
    page = context.new_page()
    pair(page, server, "kiosk")
    assert urlparse(page.url).path == "/kiosk"
    page.wait_for_selector("#screen-start.is-active .tile")
    page.evaluate("document.fonts.ready")
    return page


@pytest.fixture
def kiosk_portrait(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    page = paired_page(browser, live_server, PORTRAIT)
    yield page
    page.context.close()


def assert_fits_without_scrolling(page: Any) -> None:
    size = page.evaluate(
        "() => ({sw: document.documentElement.scrollWidth, sh: document.documentElement.scrollHeight,"
        " w: innerWidth, h: innerHeight})"
    )
    assert size["sw"] <= size["w"] and size["sh"] <= size["h"], size


# Screens kiosks are built with: 16:9 and 16:10 both ways, and the squarer 5:4 and 4:3 monitors.
SCREEN_SHAPES = [
    (1920, 1080),
    (1366, 768),
    (1280, 800),
    (1280, 1024),
    (1024, 768),
    (1080, 1920),
    (768, 1024),
]

# The tiles whose letter, name, wait or reason reach outside the tile (cut off by its edge).
WORDS_OUTSIDE_TILES = """() => [...document.querySelectorAll('.tile')].filter(t => {
  const r = t.getBoundingClientRect();
  return [...t.querySelectorAll('.tile-prefix, .tile-name, .tile-wait, .tile-closed')]
    .filter(e => e.offsetParent !== null && e.textContent.trim())
    .some(e => { const c = e.getBoundingClientRect();
      return c.top < r.top - 0.5 || c.bottom > r.bottom + 0.5
        || c.left < r.left - 0.5 || c.right > r.right + 0.5; });
}).map(t => t.dataset.code)"""


# The start screen's pieces that lie on top of one another: the QR codes, the greeting's lines,
# the buttons of the corners (language, booking check-in, reception) and the tiles.
HEADER_OVERLAPS = """() => {
  const name = e => e.id || e.className;
  const shown = [...document.querySelectorAll(
    '.greeting .corner > *, .greeting .welcome > *, .tiles')].filter(e => e.offsetParent !== null);
  const boxes = shown.map(e => [name(e), e.getBoundingClientRect()]);
  const hits = [];
  boxes.forEach(([a, r], i) => boxes.slice(i + 1).forEach(([b, s]) => {
    if (r.left < s.right - 0.5 && s.left < r.right - 0.5 && r.top < s.bottom - 0.5
        && s.top < r.bottom - 0.5) hits.push([a, b]);
  }));
  return hits;
}"""


def assert_every_tile_reads_whole_on_every_screen_shape(page: Any) -> None:
    for width, height in SCREEN_SHAPES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_function("() => document.fonts.status === 'loaded'")
        assert page.evaluate(WORDS_OUTSIDE_TILES) == [], (width, height)
        assert page.evaluate(HEADER_OVERLAPS) == [], (width, height)
        assert_fits_without_scrolling(page)


def assert_touch_targets_at_least_80px(page: Any, selector: str) -> None:
    boxes = page.eval_on_selector_all(
        selector,
        "els => els.filter(e => e.offsetParent !== null)"
        ".map(e => { const r = e.getBoundingClientRect(); return [e.textContent.trim(), r.width, r.height]; })",
    )
    assert boxes, f"no visible {selector}"
    small = [b for b in boxes if b[1] < 80 or b[2] < 80]
    assert not small, small


def take_ticket(page: Any, field: str = "ho_tich") -> str:
    page.locator(f".tile[data-code='{field}']").click()
    page.locator("#screen-priority.is-active").wait_for()
    page.get_by_role("button", name="Không", exact=True).click()
    number = page.locator("#result-number")
    number.wait_for()
    page.wait_for_function("() => /\\d/.test(document.getElementById('result-number').textContent)")
    return str(number.text_content())


def wait_for_qr(page: Any) -> None:
    """The QR image has loaded and the screen's fade-in is over (for a sharp screenshot)."""
    page.wait_for_function(
        "() => { const i = document.getElementById('result-qr');"
        " return i.complete && i.naturalWidth > 0"
        " && !document.querySelector('.screen.entering'); }"
    )


def test_a_tap_on_a_field_then_on_khong_shows_the_number_and_a_qr_of_the_phone_link(
    kiosk_portrait: Any, live_server: LiveServer, screenshots_dir: Path
) -> None:
    from playwright.sync_api import expect

    page = kiosk_portrait
    expect(page.locator("#greeting")).to_have_text(
        "Chào mừng quý khách đến Trung tâm Phục vụ hành chính công xã Thạnh Lợi"
    )
    expect(page.get_by_text("Vui lòng chạm để chọn lĩnh vực")).to_be_visible()
    expect(page.locator(".tile")).to_have_count(7)
    expect(page.locator(".tile[data-code='ho_tich']")).to_contain_text("Hộ tịch")
    expect(page.locator(".tile[data-code='ho_tich']")).to_contain_text("Đang chờ: 0 người")
    assert_fits_without_scrolling(page)
    assert_touch_targets_at_least_80px(page, ".btn")
    page.screenshot(path=str(screenshots_dir / "kiosk-portrait.png"))
    before = waiting(live_server, "ho_tich")

    # The pressed state shows while the finger is still down, before any request is made.
    tile = page.locator(".tile[data-code='ho_tich']")
    box = tile.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    assert "pressed" in (tile.get_attribute("class") or "")
    page.mouse.up()

    page.locator("#screen-priority.is-active").wait_for()
    expect(page.get_by_text("Quý khách thuộc diện ưu tiên?")).to_be_visible()
    for label in (
        "Người cao tuổi (từ 60 tuổi)",
        "Người khuyết tật",
        "Phụ nữ mang thai",
        "Người có công",
        "Không",
    ):
        expect(page.get_by_role("button", name=label, exact=True)).to_be_visible()
    assert_touch_targets_at_least_80px(page, "#screen-priority .btn")
    assert_fits_without_scrolling(page)
    page.get_by_role("button", name="Không", exact=True).click()

    number = page.locator("#result-number")
    expect(number).to_have_text(NUMBER)
    expect(page.locator("#result-field")).to_have_text("Lĩnh vực: Hộ tịch")
    expect(page.locator("#result-ahead")).to_have_text("Số người chờ trước: 0")
    expect(page.get_by_text("Quét mã QR để theo dõi lượt gọi trên điện thoại")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"Màn hình sẽ trở về trang chủ sau \d+ giây"))
    ).to_be_visible()
    wait_for_qr(page)
    assert_fits_without_scrolling(page)
    shot = screenshots_dir / "kiosk-ticket.png"
    page.screenshot(path=str(shot))

    import zxingcpp

    codes = zxingcpp.read_barcodes(Image.open(shot))
    assert len(codes) == 1, codes
    url = codes[0].text
    assert url.startswith(live_server.url + "/t/"), url
    token = url.rsplit("/", 1)[1]
    ticket = requests.get(live_server.url + "/api/v1/tickets/" + token, timeout=5).json()
    assert ticket["number"] == number.text_content()
    assert ticket["status"] == "waiting"
    assert waiting(live_server, "ho_tich") == before + 1


def test_the_kiosk_fits_a_landscape_screen_with_big_targets(
    browser: Any, live_server: LiveServer, screenshots_dir: Path
) -> None:
    from playwright.sync_api import expect

    page = paired_page(browser, live_server, LANDSCAPE)
    try:
        expect(page.locator(".tile")).to_have_count(7)
        assert_fits_without_scrolling(page)
        assert_touch_targets_at_least_80px(page, ".btn")
        page.screenshot(path=str(screenshots_dir / "kiosk-landscape.png"))
        assert_every_tile_reads_whole_on_every_screen_shape(page)
        page.set_viewport_size(LANDSCAPE)
        take_ticket(page)
        wait_for_qr(page)
        assert_fits_without_scrolling(page)
        page.screenshot(path=str(screenshots_dir / "kiosk-ticket-landscape.png"))
    finally:
        page.context.close()


def test_a_double_tap_while_the_request_runs_issues_one_ticket(
    kiosk_portrait: Any, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = kiosk_portrait
    before = waiting(live_server, "ho_tich")
    held: list[Any] = []
    page.route("**/api/v1/tickets", lambda route: held.append(route))
    page.locator(".tile[data-code='ho_tich']").click()
    page.locator("#screen-priority.is-active").wait_for()
    no = page.get_by_role("button", name="Không", exact=True)
    no.dblclick()

    # While the request is held: a spinner on the tapped button, every button disabled.
    expect(no).to_have_class(re.compile(r"\bis-loading\b"))
    expect(no).to_be_disabled()
    expect(page.get_by_role("button", name="Người khuyết tật")).to_be_disabled()
    assert len(held) == 1
    held[0].continue_()

    expect(page.locator("#result-number")).to_have_text(NUMBER)
    assert len(held) == 1
    assert waiting(live_server, "ho_tich") == before + 1


def test_a_retried_request_reuses_its_idempotency_key_and_issues_one_ticket(
    kiosk_portrait: Any, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = kiosk_portrait
    before = waiting(live_server, "chung_thuc")
    keys: list[str | None] = []
    lost: list[dict[str, Any]] = []

    def lose_first_answer(route: Any) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            # The server issues the ticket, but its answer never reaches the kiosk.
            lost.append(route.fetch().json())
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/tickets", lose_first_answer)
    number = take_ticket(page, "chung_thuc")

    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    assert number == lost[0]["number"]
    expect(page.locator("#result-field")).to_have_text("Lĩnh vực: Chứng thực")
    assert waiting(live_server, "chung_thuc") == before + 1


def test_a_new_choice_after_going_home_gets_a_new_ticket(
    kiosk_portrait: Any, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = kiosk_portrait
    first = take_ticket(page)
    page.get_by_role("button", name="Xong").click()
    page.locator("#screen-start.is-active").wait_for()
    expect(page.locator(".tile[data-code='ho_tich']")).to_contain_text("Đang chờ: 1 người")
    second = take_ticket(page)
    assert first != second
    expect(page.locator("#result-ahead")).to_have_text("Số người chờ trước: 1")
    assert waiting(live_server, "ho_tich") == 2


def test_the_result_stays_30_seconds_for_older_citizens_then_goes_back_to_the_start(
    browser: Any, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=PORTRAIT)
    page = context.new_page()
    try:
        page.clock.install()
        pair(page, live_server, "kiosk")
        page.wait_for_selector("#screen-start.is-active .tile")
        page.clock.run_for(1000)
        page.locator(".tile[data-code='ho_tich']").click()
        page.clock.run_for(500)
        page.get_by_role("button", name="Không", exact=True).click()
        expect(page.locator("#result-number")).to_have_text(NUMBER)
        expect(page.get_by_text("Màn hình sẽ trở về trang chủ sau 30 giây")).to_be_visible()
        expect(page.get_by_role("button", name="Xong")).to_be_visible()
        page.clock.run_for(20000)
        expect(page.get_by_text("Màn hình sẽ trở về trang chủ sau 10 giây")).to_be_visible()
        expect(page.locator("#screen-result")).to_be_visible()
        page.clock.run_for(10500)
        expect(page.locator("#screen-start")).to_be_visible()
        expect(page.locator("#screen-result")).to_be_hidden()
    finally:
        context.close()


# The kiosk asks for the fields again once its live connection is up (kiosk.js onConnect): done
# when a /api/v1/services request started after the first Socket.IO request with a session id.
LIVE_AND_REFRESHED = """() => {
  const names = performance.getEntriesByType('resource').map(e => e.name);
  const sid = names.findIndex(n => n.includes('/socket.io/') && n.includes('sid='));
  return sid >= 0 && names.slice(sid).some(n => n.includes('/api/v1/services'));
}"""


def _set_daily_limit(server: LiveServer, code: str, limit: int) -> None:
    with sqlite3.connect(server.instance / "lobby.sqlite3") as db:
        db.execute("UPDATE fields SET daily_ticket_limit = ? WHERE code = ?", (limit, code))


def test_a_field_out_of_numbers_is_shown_disabled_and_a_late_tap_is_answered_kindly(
    kiosk_portrait: Any, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = kiosk_portrait
    # The limit arrives after the page was drawn and refreshed its fields on connecting (else
    # that refresh greys the tile out first, which a slow connection made happen in CI): the
    # tile still looks open.
    page.wait_for_function(LIVE_AND_REFRESHED, timeout=30_000)
    _set_daily_limit(live_server, "dat_dai", 0)
    page.locator(".tile[data-code='dat_dai']").click()
    page.locator("#screen-priority.is-active").wait_for()
    page.get_by_role("button", name="Không", exact=True).click()
    expect(page.locator("#message-text")).to_have_text("Lĩnh vực này đã hết số trong ngày.")
    page.get_by_role("button", name="Trang chủ").click()

    tile = page.locator(".tile[data-code='dat_dai']")
    expect(tile).to_be_disabled()
    expect(tile).to_contain_text("Lĩnh vực này đã hết số trong ngày")
    expect(page.locator(".tile[data-code='ho_tich']")).to_be_enabled()
    assert waiting(live_server, "dat_dai") == 0


def test_outside_hours_every_field_is_disabled_and_the_hours_are_shown(
    browser: Any, tmp_path: Path, screenshots_dir: Path
) -> None:
    from playwright.sync_api import expect

    server = make_server(tmp_path / "closed", LOBBY_OPEN_ALWAYS="0").start()
    try:
        board = requests.get(server.url + "/api/v1/board", timeout=5).json()
        weekday = date.fromisoformat(board["service_day"]).weekday()
        with sqlite3.connect(server.instance / "lobby.sqlite3") as db:
            # No ticketing window on the server's service day: closed all day, whatever the hour.
            db.execute(
                "DELETE FROM working_windows WHERE purpose = 'ticketing' AND weekday = ?",
                (weekday,),
            )

        def every_field_closed() -> bool:
            services = requests.get(server.url + "/api/v1/services", timeout=5).json()["services"]
            return not any(s["open"] for s in services)

        # The server keeps its reference rows a few seconds: inside the office's hours the
        # kiosk would still be told "open" until they are read again.
        wait_until(every_field_closed)
        page = paired_page(browser, server, LANDSCAPE)
        try:
            expect(page.locator("#notice")).to_have_text(
                "Ngoài giờ lấy số. Vui lòng quay lại trong giờ làm việc: "
                "Sáng 07:00–11:30, Chiều 13:30–17:00"
            )
            expect(page.locator("#prompt")).to_be_hidden()
            expect(page.locator(".tile")).to_have_count(7)
            expect(page.locator(".tile:enabled")).to_have_count(0)
            expect(page.locator(".tile[data-code='ho_tich']")).to_contain_text("Ngoài giờ lấy số")
            assert_fits_without_scrolling(page)
            page.screenshot(path=str(screenshots_dir / "kiosk-closed.png"))
            assert_every_tile_reads_whole_on_every_screen_shape(page)
        finally:
            page.context.close()
    finally:
        server.stop()


def test_when_the_server_is_unreachable_the_kiosk_says_so_and_retries(
    kiosk_portrait: Any, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = kiosk_portrait
    page.locator(".tile[data-code='hoi_dap']").click()
    page.locator("#screen-priority.is-active").wait_for()
    live_server.stop()
    page.get_by_role("button", name="Không", exact=True).click()
    expect(page.get_by_text("Mất kết nối tới máy chủ, đang thử lại…")).to_be_visible(timeout=10000)
    live_server.start()
    expect(page.locator("#result-number")).to_have_text(re.compile(r"^H-?001$"), timeout=30000)
    expect(page.locator("#offline")).to_be_hidden(timeout=10000)
    assert waiting(live_server, "hoi_dap") == 1


def test_an_unpaired_browser_gets_the_friendly_pairing_page(
    browser: Any, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=PORTRAIT)
    page = context.new_page()
    try:
        response = page.goto(live_server.url + "/kiosk")
        assert response is not None and response.status == 403
        expect(page.get_by_role("heading", name="Thiết bị chưa được ghép nối")).to_be_visible()
        expect(page.get_by_text("/pair/")).to_be_visible()
        expect(page.locator(".tile")).to_have_count(0)
        qr = page.request.get(live_server.url + "/kiosk/qr.svg?token=anything")
        assert qr.status == 404
    finally:
        context.close()


def test_the_kiosk_shows_a_fields_procedures_and_what_to_bring(
    live_server: LiveServer, browser: Any
) -> None:
    ctx = browser.new_context(
        viewport={"width": 1920, "height": 1080}, locale="vi-VN", has_touch=True
    )
    page = ctx.new_page()
    pair(page, live_server, "kiosk")
    page.click(".tile >> nth=0")
    page.click("[data-action=procedures]")
    page.wait_for_selector(".proc")
    text = page.locator("#procedures").inner_text()
    assert "Đăng ký khai sinh" in text and "Giấy chứng sinh (bản chính)" in text
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    page.click("[data-action=to-priority]")
    page.wait_for_selector("#screen-priority:not([hidden])")
    ctx.close()
