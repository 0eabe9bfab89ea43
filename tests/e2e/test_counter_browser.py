"""The counter console in headless Chromium against a real server: sign in, take, call, serve."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LiveServer, api_login, issue_ticket

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def ticket_status(server: LiveServer, token: str) -> str:
    return str(requests.get(f"{server.url}/api/v1/tickets/{token}", timeout=10).json()["status"])


def counter_state(server: LiveServer, number: int) -> dict[str, Any]:
    counters = requests.get(server.url + "/api/v1/counters", timeout=10).json()["counters"]
    return dict(next(c for c in counters if c["number"] == number))


def sign_in(browser: Any, server: LiveServer, username: str, path: str = "/counter") -> Any:
    """Open the console signed out, sign in on /login, and land back on the console."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(server.url + path)
    assert "/login?next=" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", server.user(username)["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**" + path)
    return page


def wait_text(page: Any, selector: str, text: str, timeout: float = 5000) -> None:
    page.wait_for_function(
        """([selector, text]) => {
          const node = document.querySelector(selector);
          return node !== null && node.textContent.includes(text);
        }""",
        arg=[selector, text],
        timeout=timeout,
    )


def open_counter(server: LiveServer, username: str, number: int) -> Any:
    """The officer takes the counter through the API (another desk), and keeps the session."""
    session = api_login(server, username)
    r = session.post(
        f"{server.url}/api/v1/counters/{number}/open",
        json={},
        headers={"Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return session


def staff_post(server: LiveServer, session: Any, path: str, body: Any = None) -> Any:
    r = session.post(
        server.url + path,
        json=body or {},
        headers={"Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert r.status_code in (200, 201), r.text
    return r.json()


def wait_live(page: Any, timeout: float = 10000) -> None:
    page.wait_for_selector('#conn[data-state="live"]', timeout=timeout)


def test_signed_out_visitors_are_sent_to_the_login_page(live_server: LiveServer) -> None:
    response = requests.get(live_server.url + "/counter", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login?next=/counter")
    paired = requests.get(
        live_server.url + "/counter",
        headers={"Authorization": "Bearer " + live_server.device("board")["token"]},
        allow_redirects=False,
        timeout=10,
    )
    assert paired.status_code == 302


def test_an_officer_signs_in_takes_the_counter_and_calls_serves_and_finishes(
    live_server: LiveServer, browser: Any, screenshots_dir: Any
) -> None:
    assert counter_state(live_server, 1)["state"] == "closed"
    page = sign_in(browser, live_server, "canbo1")
    wait_text(page, "#counter-state", "Đang mở")
    wait_live(page)
    assert counter_state(live_server, 1)["state"] == "open"
    assert page.is_disabled('[data-action="next"]')  # nobody is waiting yet
    assert "N" in page.inner_text('[data-action="next"] kbd')

    first = issue_ticket(live_server, "ho_tich")
    second = issue_ticket(live_server, "chung_thuc", priority="elderly")
    issue_ticket(live_server, "ho_tich")
    page.wait_for_selector(f'#queue-list li[data-number="{first["number"]}"]', timeout=5000)
    wait_text(page, "#waiting-total", "3")
    assert "Ưu tiên" in page.inner_text(f'#queue-list li[data-number="{second["number"]}"]')
    assert page.is_enabled('[data-action="next"]')

    page.click('[data-action="next"]')
    page.wait_for_function("() => document.querySelector('#current-number').textContent !== '—'")
    called = next(t for t in (first, second) if t["number"] == page.inner_text("#current-number"))
    assert ticket_status(live_server, called["token"]) == "called"
    assert page.inner_text("#current-status") == "Đang gọi"
    for action in ("recall", "start", "finish", "noshow", "transfer"):
        assert page.is_enabled(f'[data-action="{action}"]'), action
    assert page.is_disabled('[data-action="next"]')
    page.wait_for_function(
        "() => /\\d\\d:\\d\\d/.test(document.querySelector('#timer').textContent)"
    )

    page.keyboard.press("s")
    wait_text(page, "#current-status", "Đang phục vụ")
    assert ticket_status(live_server, called["token"]) == "serving"
    assert page.is_disabled('[data-action="recall"]') and page.is_disabled('[data-action="noshow"]')
    # A dossier is accepted from the number being served (in the dossier tab; here the API).
    officer = api_login(live_server, "canbo1")
    current = officer.get(f"{live_server.url}/api/v1/counters/1/queue", timeout=10).json()
    dossier = staff_post(
        live_server,
        officer,
        "/api/v1/dossiers",
        {
            "procedure": "HT-XNTTHN",
            "ticket_id": current["current"]["id"],
            "applicant": {"full_name": "Lê Văn Bảy"},
        },
    )
    more = [issue_ticket(live_server, s) for s in ("hoi_dap", "ho_tich", "chung_thuc", "ho_tich")]
    # Counter 4 sends one of its numbers here, with a note.
    four = open_counter(live_server, "canbo4", 4)
    sent = staff_post(live_server, four, "/api/v1/counters/4/call-next")["ticket"]
    staff_post(
        live_server,
        four,
        f"/api/v1/tickets/{sent['id']}/transfer",
        {"counter": 1, "note": "Cần chứng thực thêm bản sao"},
    )
    page.wait_for_selector(f'#queue-list li[data-number="{more[-1]["number"]}"]', timeout=5000)
    wait_text(page, f'#queue-list li[data-number="{sent["number"]}"]', "Chuyển từ quầy 4")
    wait_text(page, "#current-dossier", dossier["code"])
    page.wait_for_timeout(3500)  # the screenshot shows the timer running, not a toast
    page.screenshot(path=str(screenshots_dir / "counter.png"))

    page.keyboard.press("f")
    page.wait_for_selector("#dlg-finish[open]")
    assert "Tiếp nhận hồ sơ" in page.inner_text("#dlg-finish")
    page.screenshot(path=str(screenshots_dir / "counter-finish.png"))
    page.keyboard.press("1")
    wait_text(page, "#current-number", "—")
    assert ticket_status(live_server, called["token"]) == "done"
    page.context.close()


def test_finishing_a_called_ticket_records_start_then_finish(
    live_server: LiveServer, browser: Any
) -> None:
    ticket = issue_ticket(live_server, "ho_tich")
    page = sign_in(browser, live_server, "canbo1")
    wait_text(page, "#counter-state", "Đang mở")
    page.wait_for_selector(f'#queue-list li[data-number="{ticket["number"]}"]')
    page.keyboard.press("n")
    wait_text(page, "#current-status", "Đang gọi")
    page.click('[data-action="finish"]')
    page.wait_for_selector("#finish-note", state="visible")
    page.click("#dlg-finish button.outcome >> nth=0")
    wait_text(page, "#current-number", "—")
    assert ticket_status(live_server, ticket["token"]) == "done"
    page.context.close()


def test_no_show_requeue_call_a_number_pause_and_resume(
    live_server: LiveServer, browser: Any
) -> None:
    first = issue_ticket(live_server, "ho_tich")
    second = issue_ticket(live_server, "ho_tich")
    page = sign_in(browser, live_server, "canbo1")
    wait_text(page, "#counter-state", "Đang mở")
    wait_live(page)
    page.wait_for_selector(f'#queue-list li[data-number="{second["number"]}"]')

    page.keyboard.press("n")
    wait_text(page, "#current-number", first["number"])
    page.keyboard.press("v")
    page.wait_for_selector(f'#noshow-list li[data-number="{first["number"]}"]')
    assert ticket_status(live_server, first["token"]) == "no_show"

    # Call a specific number: first a wrong one (the API's message is shown), then the right one.
    page.keyboard.press("g")
    page.fill("#dlg-call input[name=number]", "A999")
    page.keyboard.press("Enter")
    wait_text(page, "#toast", "Không có số A999 trong ngày hôm nay.")
    page.keyboard.press("g")
    page.fill("#dlg-call input[name=number]", second["number"].lower())
    page.keyboard.press("Enter")
    wait_text(page, "#current-number", second["number"])

    page.click(f'#noshow-list li[data-number="{first["number"]}"] button')
    page.wait_for_selector(f'#queue-list li[data-number="{first["number"]}"]')
    assert ticket_status(live_server, first["token"]) == "waiting"

    open_counter(live_server, "canbo4", 4)  # only an open counter takes a transfer
    page.keyboard.press("t")
    page.wait_for_selector('#dlg-transfer button[value="counter:4"]:enabled')
    page.click('#dlg-transfer button[value="counter:4"]')
    wait_text(page, "#toast", f"Đã chuyển số {second['number']}")
    assert ticket_status(live_server, second["token"]) == "waiting"

    page.keyboard.press("p")
    page.fill("#dlg-pause input[name=reason]", "Họp giao ban")
    page.keyboard.press("Enter")
    wait_text(page, "#counter-state", "Tạm nghỉ: Họp giao ban")
    assert counter_state(live_server, 1)["state"] == "paused"
    assert page.is_disabled('[data-action="next"]') and page.is_hidden('[data-action="pause"]')
    page.keyboard.press("p")
    wait_text(page, "#counter-state", "Đang mở")
    assert counter_state(live_server, 1)["state"] == "open"
    page.context.close()


def test_taking_a_counter_held_by_another_officer_needs_confirmation(
    live_server: LiveServer, browser: Any
) -> None:
    holder = api_login(live_server, "canbo1")
    taken = holder.post(
        live_server.url + "/api/v1/counters/1/open",
        json={},
        headers={"Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert taken.status_code == 200
    page = sign_in(browser, live_server, "lanhdao", "/counter?counter=1")
    page.wait_for_selector("#dlg-confirm[open]")
    assert "Nguyễn Văn Một" in page.inner_text("#confirm-message")
    page.click("#dlg-confirm button[value=ok]")
    wait_text(page, "#toast", "Đã nhận quầy 1.")
    wait_text(page, "#counter-state", "Đang mở")
    page.context.close()


def test_the_console_shows_offline_and_recovers_after_a_restart(
    live_server: LiveServer, browser: Any
) -> None:
    page = sign_in(browser, live_server, "canbo1")
    wait_live(page)
    live_server.stop()
    page.wait_for_selector('#conn[data-state="offline"]', timeout=10000)
    assert "Mất kết nối" in page.inner_text("#conn")
    live_server.start()
    wait_live(page, timeout=20000)
    ticket = issue_ticket(live_server, "ho_tich")
    page.wait_for_selector(f'#queue-list li[data-number="{ticket["number"]}"]', timeout=5000)
    page.keyboard.press("n")
    wait_text(page, "#current-number", ticket["number"])
    page.context.close()


def test_staff_reprint_the_current_ticket_from_the_console(
    live_server: LiveServer, browser: Any
) -> None:
    page = sign_in(browser, live_server, "canbo1")
    wait_live(page)
    ticket = issue_ticket(live_server, "ho_tich")
    page.wait_for_selector(f'#queue-list li[data-number="{ticket["number"]}"]', timeout=5000)
    page.click('[data-action="next"]')
    wait_text(page, "#current-number", ticket["number"])
    assert page.is_enabled('[data-action="reprint"]')
    page.keyboard.press("i")
    page.wait_for_selector(f"text=Đã gửi lệnh in lại số {ticket['number']}", timeout=5000)
    # The demo kiosk prints to memory://kiosk-1: the reprint is a stored job marked as such.
    import sqlite3

    with sqlite3.connect(live_server.instance / "lobby.sqlite3") as db:
        rows = db.execute("SELECT reprint FROM print_jobs ORDER BY id").fetchall()
    assert [r[0] for r in rows][-1] == 1


# --- issue 10 items 3, 4 and 8 ----------------------------------------------------------------


def test_the_transfer_dialog_shows_each_target_and_the_receiving_counter_sees_the_origin(
    live_server: LiveServer, browser: Any, screenshots_dir: Any
) -> None:
    open_counter(live_server, "canbo4", 4)
    paused = open_counter(live_server, "canbo3", 3)
    staff_post(live_server, paused, "/api/v1/counters/3/pause", {"reason": "Họp"})
    waiting_at_4 = issue_ticket(live_server, "nhan_ket_qua")
    ticket = issue_ticket(live_server, "ho_tich")
    page = sign_in(browser, live_server, "canbo1")
    wait_live(page)
    page.wait_for_selector(f'#queue-list li[data-number="{ticket["number"]}"]')
    page.keyboard.press("n")
    wait_text(page, "#current-number", ticket["number"])

    page.keyboard.press("t")
    page.wait_for_selector("#dlg-transfer[open]")
    four = '#dlg-transfer button[value="counter:4"]'
    page.wait_for_selector(four + ":enabled")
    assert "Đang mở" in page.inner_text(four) and "1 đang chờ" in page.inner_text(four)
    three = '#dlg-transfer button[value="counter:3"]'
    assert page.is_disabled(three) and "Tạm nghỉ" in page.inner_text(three)
    two = '#dlg-transfer button[value="counter:2"]'
    assert page.is_disabled(two) and "Đã đóng" in page.inner_text(two)
    assert "đang chờ" in page.inner_text('#dlg-transfer button[value="service:dat_dai"]')
    assert page.inner_text("#transfer-number") == ticket["number"]
    page.fill("#dlg-transfer input[name=note]", "Đã xem giấy tờ, cần ký nhận")
    page.keyboard.press("Enter")  # Enter in the note does not send the number anywhere
    assert page.is_visible("#dlg-transfer")
    page.screenshot(path=str(screenshots_dir / "counter-transfer.png"))
    page.click(four)
    wait_text(page, "#toast", f"Đã chuyển số {ticket['number']}")
    assert ticket_status(live_server, ticket["token"]) == "waiting"

    receiving = sign_in(browser, live_server, "canbo4")
    wait_live(receiving)
    line = f'#queue-list li[data-number="{ticket["number"]}"]'
    receiving.wait_for_selector(line)
    assert "Chuyển từ quầy 1: Đã xem giấy tờ, cần ký nhận" in receiving.inner_text(line)
    # Counter 4 does not serve Hộ tịch: the count names the field, never its code.
    chips = receiving.inner_text("#field-counts")
    assert "Hộ tịch: 1" in chips and "ho_tich" not in chips
    # Counter 4's own older ticket comes first, then the transferred one.
    numbers = receiving.eval_on_selector_all(
        "#queue-list li[data-number]", "items => items.map(li => li.dataset.number)"
    )
    assert numbers == [waiting_at_4["number"], ticket["number"]]
    receiving.click(f"{line} button")
    wait_text(receiving, "#current-number", ticket["number"])
    wait_text(receiving, "#current-transfer", "Chuyển từ quầy 1: Đã xem giấy tờ, cần ký nhận")
    page.context.close()
    receiving.context.close()


def test_finishing_a_number_with_a_dossier_defaults_to_dossier_accepted(
    live_server: LiveServer, browser: Any
) -> None:
    ticket = issue_ticket(live_server, "ho_tich")
    page = sign_in(browser, live_server, "canbo1")
    wait_live(page)
    page.wait_for_selector(f'#queue-list li[data-number="{ticket["number"]}"]')
    page.keyboard.press("n")
    wait_text(page, "#current-status", "Đang gọi")
    page.keyboard.press("s")
    wait_text(page, "#current-status", "Đang phục vụ")
    # The dossier is accepted in the dossier tab (here: the same officer through the API).
    officer = api_login(live_server, "canbo1")
    queue = officer.get(f"{live_server.url}/api/v1/counters/1/queue", timeout=10).json()
    dossier = staff_post(
        live_server,
        officer,
        "/api/v1/dossiers",
        {
            "procedure": "HT-XNTTHN",
            "ticket_id": queue["current"]["id"],
            "applicant": {"full_name": "Lê Văn Bảy"},
        },
    )
    page.keyboard.press("f")
    page.wait_for_selector("#dlg-finish[open]")
    wait_text(page, "#current-dossier", f"Đã tiếp nhận hồ sơ {dossier['code']}")
    assert dossier["code"] in page.inner_text("#finish-dossier")
    first = page.eval_on_selector("#dlg-finish button.outcome", "b => b.value")
    assert first == "dossier_accepted"
    focused = page.evaluate("() => document.activeElement && document.activeElement.value")
    assert focused == "dossier_accepted"
    for contradicting in ("guided_only", "supplement_guidance", "refused"):
        assert page.is_disabled(f'#dlg-finish button[value="{contradicting}"]')
    page.keyboard.press("Enter")
    wait_text(page, "#current-number", "—")
    wait_text(page, "#current-service", "Sẵn sàng gọi số tiếp theo")
    import sqlite3

    with sqlite3.connect(live_server.instance / "lobby.sqlite3") as db:
        (outcome,) = db.execute(
            "SELECT outcome FROM tickets WHERE public_token = ?", (ticket["token"],)
        ).fetchone()
    assert outcome == "dossier_accepted"
    page.context.close()


def test_the_queue_shows_call_next_order_and_an_error_does_not_linger(
    live_server: LiveServer, browser: Any
) -> None:
    first = issue_ticket(live_server, "ho_tich")
    page = sign_in(browser, live_server, "canbo1")
    wait_live(page)
    wait_text(page, "#current-service", "Sẵn sàng gọi số tiếp theo")
    page.wait_for_selector(f'#queue-list li[data-number="{first["number"]}"]')
    page.keyboard.press("n")
    wait_text(page, "#current-number", first["number"])
    page.keyboard.press("v")
    page.wait_for_selector(f'#noshow-list li[data-number="{first["number"]}"]')
    issue_ticket(live_server, "ho_tich")
    priority = issue_ticket(live_server, "chung_thuc", priority="elderly")
    page.wait_for_selector(f'#queue-list li[data-number="{priority["number"]}"]')
    page.click(f'#noshow-list li[data-number="{first["number"]}"] button')
    page.wait_for_selector(f'#queue-list li[data-number="{first["number"]}"]')
    # The requeued number is the oldest, but call-next takes the priority ticket first; the
    # list says so.
    listed = page.eval_on_selector_all(
        "#queue-list li[data-number]", "items => items.map(li => li.dataset.number)"
    )
    assert listed[0] == priority["number"] and first["number"] in listed
    page.keyboard.press("n")
    wait_text(page, "#current-number", listed[0])

    # An error is shown, then gone when the officer opens the next dialog.
    page.keyboard.press("v")
    wait_text(page, "#current-number", "—")
    page.keyboard.press("g")
    page.fill("#dlg-call input[name=number]", "A999")
    page.keyboard.press("Enter")
    wait_text(page, "#toast", "Không có số A999 trong ngày hôm nay.")
    page.keyboard.press("p")
    page.wait_for_selector("#dlg-pause[open]")
    assert page.is_hidden("#toast")
    page.keyboard.press("Escape")
    page.context.close()


def test_a_leader_without_a_counter_gets_a_clear_page_and_an_admin_lands_on_admin(
    live_server: LiveServer, browser: Any
) -> None:
    page = sign_in(browser, live_server, "lanhdao")
    page.wait_for_selector("#no-counter")
    assert "không gắn với quầy nào" in page.inner_text("#no-counter")
    assert page.query_selector("#conn") is None
    assert page.is_visible('a[href="/admin"]')
    page.context.close()

    context = browser.new_context()
    admin = context.new_page()
    admin.goto(live_server.url + "/login")
    admin.fill("input[name=username]", "admin")
    admin.fill("input[name=password]", live_server.user("admin")["password"])
    admin.click("button[type=submit]")
    admin.wait_for_url("**/admin")
    context.close()


def test_the_transferred_citizens_phone_says_which_counter_will_call_them(
    live_server: LiveServer, browser: Any
) -> None:
    open_counter(live_server, "canbo4", 4)
    older = issue_ticket(live_server, "nhan_ket_qua")  # waits for counter 4 already
    ticket = issue_ticket(live_server, "ho_tich")
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    phone = context.new_page()
    phone.goto(ticket["url"])
    phone.wait_for_function("() => document.getElementById('conn').dataset.conn === 'live'")
    desk = open_counter(live_server, "canbo1", 1)
    called = staff_post(live_server, desk, "/api/v1/counters/1/call-next")["ticket"]
    assert called["number"] == ticket["number"]
    wait_text(phone, "#state-head", "Mời đến quầy 1")
    staff_post(live_server, desk, f"/api/v1/tickets/{called['id']}/transfer", {"counter": 4})
    # Live, without reloading: where to wait now, and the place there (counter 4 calls its
    # older number first).
    wait_text(phone, "#state-detail", "Quý khách sẽ được gọi tại quầy 4.")
    wait_text(phone, "#state-head", "1 người")
    four = api_login(live_server, "canbo4")
    assert (
        staff_post(live_server, four, "/api/v1/counters/4/call-next")["ticket"]["number"]
        == (older["number"])
    )
    phone.wait_for_function(
        "() => !/\\d+ người/.test(document.getElementById('state-head').textContent)"
    )
    assert "Quý khách sẽ được gọi tại quầy 4." in phone.inner_text("#state-detail")
    context.close()
