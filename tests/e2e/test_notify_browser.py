"""Notifications in real Chromium against a real server (docs/notifications.md): "Báo cho tôi"
asks permission only after the tap, registers the service worker and hands the subscription to
the server, which pushes the call to a local push service that checks the VAPID signature; the
kiosk's optional phone field brings a text through the gateway."""

from __future__ import annotations

import base64
import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, issue_ticket, make_server, pair
from tests.e2e.test_kiosk_browser import assert_fits_without_scrolling
from tests.e2e.test_phone_browser import PHONE, act, call_next, officer
from tests.integration.test_notify import _free_port, _Listener, _listening, _vapid_check

pytestmark = pytest.mark.browser

# The browser's push service is on the internet; here the page's PushManager hands out a
# subscription whose endpoint is the test's own push service (everything else is Chromium's).
FAKE_PUSH = """([endpoint, p256dh, auth]) => {
  window.__asked = 0;
  const ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = () => { window.__asked += 1; return ask(); };
  PushManager.prototype.getSubscription = async () => null;
  PushManager.prototype.subscribe = async function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    window.__serverKey = btoa(String.fromCharCode(...key))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    return { toJSON: () => ({ endpoint, keys: { p256dh, auth } }) };
  };
}"""


def _wait_for(condition: Any) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("the condition was never reached")


def test_notify_me_pushes_the_call_and_the_kiosk_takes_a_phone_number(
    browser: Any, tmp_path: Path, demo_instance: Path, screenshots_dir: Path
) -> None:
    pytest.importorskip("pywebpush")
    import http_ece
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from playwright.sync_api import expect

    from lobby.notify.settings import new_vapid_key

    private, public = new_vapid_key()
    port = _free_port()
    instance = tmp_path / "instance"
    shutil.copytree(demo_instance, instance)
    server: LiveServer = make_server(
        instance,
        LOBBY_NOTIFY="webpush,gateway",
        LOBBY_VAPID_PRIVATE_KEY=private,
        LOBBY_NOTIFY_GATEWAY_URL=f"http://127.0.0.1:{port}/sms",
        LOBBY_NOTIFY_PUSH_HOSTS="127.0.0.1",
    ).start()
    browser_key = ec.generate_private_key(ec.SECP256R1())
    point = browser_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    secret = b"sixteen-byte-key"

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    try:
        with _listening(port):
            # The kiosk: the optional phone number on the priority question.
            kiosk = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
            page = kiosk.new_page()
            pair(page, server, "kiosk")
            page.locator(".tile[data-code='ho_tich']").click()
            page.locator("#screen-priority.is-active").wait_for()
            page.locator("#sms-phone").fill("0912 345 678")
            page.evaluate("document.fonts.ready")
            page.screenshot(path=str(screenshots_dir / "kiosk-phone.png"))
            page.set_viewport_size({"width": 1366, "height": 768})  # a small landscape screen
            assert_fits_without_scrolling(page)
            page.set_viewport_size({"width": 1080, "height": 1920})
            page.get_by_role("button", name="Không", exact=True).click()
            page.wait_for_function(
                "() => /\\d/.test(document.getElementById('result-number').textContent)"
            )
            texted = page.locator("#result-number").text_content()
            kiosk.close()

            context = browser.new_context(
                viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True
            )
            context.grant_permissions(["notifications"], origin=server.url)
            phone = context.new_page()
            endpoint = f"http://127.0.0.1:{port}/push/e2e"
            phone.add_init_script(
                f"({FAKE_PUSH})({json.dumps([endpoint, b64(point), b64(secret)])})"
            )
            mine = issue_ticket(server)
            phone.goto(mine["url"])
            button = phone.get_by_role("button", name="Báo cho tôi")
            expect(button).to_be_visible()
            assert phone.evaluate("window.__asked") == 0  # nothing asked before the tap
            phone.evaluate("document.fonts.ready")
            phone.screenshot(path=str(screenshots_dir / "phone-notify.png"))
            button.click()
            # The service worker installs first (seconds on a loaded machine).
            done = phone.get_by_text("Đã bật. Điện thoại sẽ báo", exact=False)
            expect(done).to_be_visible(timeout=60000)
            assert phone.evaluate("window.__asked") == 1
            assert phone.evaluate("window.__serverKey") == public
            registered = phone.evaluate(
                "navigator.serviceWorker.getRegistration('/phone/static/').then(r => !!r)"
            )
            assert registered
            context.close()

            staff = officer(server)
            first = call_next(staff, server)
            assert first["number"] == texted  # the kiosk's ticket first
            act(staff, server, first["id"], "no-show")
            assert call_next(staff, server)["number"] == mine["number"]
            pushed = _wait_for(
                lambda: (got := [g for g in _Listener.got if g[0] == "/push/e2e"])[1:] and got
            )
            texts = _wait_for(lambda: [json.loads(g[2]) for g in _Listener.got if g[0] == "/sms"])
    finally:
        server.stop()
    shown = {}
    for _, headers, body in pushed:
        _vapid_check(headers["Authorization"], f"http://127.0.0.1:{port}", public)
        note = json.loads(http_ece.decrypt(body, private_key=browser_key, auth_secret=secret))
        shown[note["tag"]] = note["body"]
    assert shown == {
        "ticket.near": f"Số {mine['number']}: bạn là người tiếp theo. Mời về gần quầy.",
        "ticket.called": f"Mời số {mine['number']} đến quầy 1.",
    }
    assert texts[0]["phone"] == "0912345678" and texts[0]["event"] == "ticket.called"
