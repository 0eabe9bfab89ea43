"""The Content Security Policy (lobby/security.py) in a real browser: the kiosk, board, counter,
phone and admin pages still work under it, and not one of them trips it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, issue_ticket, pair

pytestmark = pytest.mark.browser

# Recorded from the first script of the page on: any blocked script, style, socket or handler.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watched:
    """A browser context that records CSP violations from events and from the console."""

    def __init__(self, browser: Any, **options: Any) -> None:
        self.context = browser.new_context(**options)
        self.context.add_init_script(WATCH)
        self.console: list[str] = []
        self.page = self.context.new_page()
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[str]:
        found = list(self.page.evaluate("window.__violations || []"))
        return found + self.console

    def close(self) -> None:
        self.context.close()


def _sign_in(watched: Watched, server: LiveServer, username: str, path: str) -> Any:
    page = watched.page
    page.goto(f"{server.url}/login?next={path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", server.user(username)["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**" + path)
    return page


def test_every_screen_works_under_the_content_security_policy(
    live_server: LiveServer, browser: Any
) -> None:
    from playwright.sync_api import expect

    problems: dict[str, list[str]] = {}

    # Kiosk: the tiles get their colour and grid from kiosk.js (no style= attribute), and a
    # ticket is issued from a tile.
    kiosk = Watched(browser, viewport={"width": 1280, "height": 800})
    page = kiosk.page
    pair(page, live_server, "kiosk")
    tile = page.locator("#tiles .tile").first
    expect(tile).to_be_visible()
    colour = tile.evaluate("t => getComputedStyle(t).getPropertyValue('--c').trim()")
    assert colour.startswith(("#", "rgb(")), colour  # set by kiosk.js (darkened for contrast)
    columns = page.locator(".kiosk-app").evaluate(
        "a => getComputedStyle(a).getPropertyValue('--cols-l').trim()"
    )
    assert columns in ("4", "5"), columns
    response = page.request.get(f"{live_server.url}/kiosk")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    problems["kiosk"] = kiosk.violations()
    kiosk.close()

    # Board: live over Socket.IO (connect-src 'self' lets the websocket through).
    board = Watched(browser, viewport={"width": 1920, "height": 1080})
    page = board.page
    pair(page, live_server, "board")
    page.wait_for_function(
        """() => !document.body.classList.contains('offline')
              && !document.body.classList.contains('connecting')""",
        timeout=15000,
    )
    problems["board"] = board.violations()
    board.close()

    # Counter: live, the counter picker submits without an inline handler, sign-out works.
    counter = Watched(browser, viewport={"width": 1366, "height": 768})
    page = _sign_in(counter, live_server, "canbo2", "/counter")
    page.select_option("#counter-pick", "2")
    page.wait_for_url("**/counter?counter=2")
    page.wait_for_selector('#conn[data-state="live"]', timeout=15000)
    page.click("form[action='/logout'] button")
    page.wait_for_url("**/login")
    problems["counter"] = counter.violations()
    counter.close()

    # Phone: the ticket page follows its ticket.
    phone = Watched(browser, viewport={"width": 360, "height": 740})
    mine = issue_ticket(live_server)
    phone.page.goto(mine["url"])
    expect(phone.page.get_by_text(f"Số của Quý khách: {mine['number']}")).to_be_visible()
    phone.page.goto(f"{live_server.url}/tra-cuu")
    problems["phone"] = phone.violations()
    phone.close()

    # Admin: the report, the staff page, and a printable form with its print button.
    admin = Watched(browser, viewport={"width": 1366, "height": 1000})
    page = _sign_in(admin, live_server, "admin", "/admin")
    page.goto(f"{live_server.url}/admin/staff")
    expect(page.locator("h1")).to_be_visible()
    page.goto(f"{live_server.url}/admin/notices/refusal")
    form = page.locator("form.grid-form")
    form.locator("input[name=full_name]").fill("Nguyễn Văn A")
    form.locator("input[name=request]").fill("Đăng ký khai sinh")
    form.locator("[name=reason]").fill("Hồ sơ không thuộc thẩm quyền giải quyết của xã.")
    form.evaluate("f => f.removeAttribute('target')")  # the sheet opens here, not in a tab
    form.locator("button").click()
    printed = page.locator("[data-print]")
    expect(printed).to_be_visible()
    page.evaluate("window.print = () => { window.__printed = true; }")
    printed.click()
    page.wait_for_function("() => window.__printed === true", timeout=5000)
    problems["admin"] = admin.violations()
    admin.close()

    assert problems == {name: [] for name in problems}
