"""The lobby board in headless Chromium against a real server: calls, voice, limits, recovery."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid
from typing import Any

import pytest
import requests

from core.speech import call_announcement, clip_sequence
from tests.e2e.conftest import REPO, LiveServer, api_login, issue_ticket, pair

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIELD_OF_COUNTER = {1: "ho_tich", 2: "dat_dai", 3: "chinh_sach", 4: "nhan_ket_qua", 5: "hoi_dap"}

# Plays the clips eight times faster (the queue logic is the same) and measures overlap:
# window.__maxPlaying is the most clips that were ever playing at the same time.
FAST_AUDIO = """
(() => {
  const play = HTMLMediaElement.prototype.play;
  window.__playing = 0;
  window.__maxPlaying = 0;
  HTMLMediaElement.prototype.play = function () {
    this.playbackRate = 8;
    if (!this.__tracked) {
      this.__tracked = true;
      this.__on = false;
      const stop = () => { if (this.__on) { this.__on = false; window.__playing -= 1; } };
      this.addEventListener("playing", () => {
        if (!this.__on) {
          this.__on = true;
          window.__playing += 1;
          window.__maxPlaying = Math.max(window.__maxPlaying, window.__playing);
        }
      });
      this.addEventListener("ended", stop);
      this.addEventListener("pause", stop);
    }
    return play.call(this);
  };
})();
"""

# The browser's autoplay block, as on a TV started without --autoplay-policy: play() is refused
# until someone has touched the page.
AUTOPLAY_BLOCKED = """
(() => {
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    if (!navigator.userActivation.hasBeenActive) {
      return Promise.reject(new DOMException("play() needs a user gesture", "NotAllowedError"));
    }
    return play.call(this);
  };
})();
"""


def clips_for(number: str, counter: int) -> list[str]:
    """The clip URLs the board must play for a call, computed independently of the server."""
    return ["/voice/vi/" + c for c in clip_sequence(call_announcement(number, counter), repeat=2)]


def post(session: requests.Session, server: LiveServer, path: str, body: Any = None) -> Any:
    response = session.post(
        server.url + path,
        json=body or {},
        headers={"Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def run_in_app(server: LiveServer, code: str) -> str:
    """Run Python against the server's database in a separate process (the server may be down)."""
    prelude = textwrap.dedent(
        """
        from sqlalchemy import select
        from lobby import create_app
        from lobby.extensions import db
        from lobby.models import Device, StaffUser
        from tests.publishers import RecordingPublisher
        from lobby.queue import counter_actions
        from lobby.queue import views as queue_views
        from lobby import context
        app = create_app(publisher=RecordingPublisher())
        ctx = app.app_context()
        ctx.push()
        def user(name):
            return db.session.scalar(select(StaffUser).where(StaffUser.username == name))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        cwd=REPO,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def open_board(browser: Any, server: LiveServer, token: str | None = None, script: str = "") -> Any:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    if script:
        context.add_init_script(script)
    page = context.new_page()
    pair(page, server, "board", token)
    assert page.url.endswith("/display")
    wait_live(page)
    # Record the raw call events too, to compare with what the board played.
    page.evaluate(
        """() => {
          window.__events = [];
          for (const name of ["ticket_called", "ticket_recalled"]) {
            window.lobbySocket.on(name, (ev) => window.__events.push(ev));
          }
        }"""
    )
    return page


def wait_live(page: Any, timeout: float = 15000) -> None:
    page.wait_for_function(
        """() => !document.body.classList.contains('offline')
              && !document.body.classList.contains('connecting')""",
        timeout=timeout,
    )


def row_number(page: Any, counter: int) -> str:
    return str(page.inner_text(f'#serving-rows li[data-counter="{counter}"] .num'))


def wait_row(page: Any, counter: int, number: str, timeout: float) -> None:
    page.wait_for_function(
        """([counter, number]) => {
          const cell = document.querySelector(`#serving-rows li[data-counter="${counter}"] .num`);
          return cell !== null && cell.textContent === number;
        }""",
        arg=[counter, number],
        timeout=timeout,
    )


def wait_audio(page: Any, count: int, timeout: float = 60000) -> list[str]:
    page.wait_for_function(
        "(n) => window.lobbyAudioLog.length >= n && !window.lobbyAnnouncer.busy",
        arg=count,
        timeout=timeout,
    )
    return list(page.evaluate("window.lobbyAudioLog"))


def test_an_unpaired_screen_gets_a_friendly_pairing_page(live_server: LiveServer) -> None:
    response = requests.get(live_server.url + "/display", timeout=10)
    assert response.status_code == 403  # as the kiosk and the rating tablet answer
    assert "Thiết bị chưa được ghép nối" in response.text
    kiosk = requests.get(
        live_server.url + "/display",
        headers={"Authorization": "Bearer " + live_server.device("kiosk")["token"]},
        timeout=10,
    )
    assert kiosk.status_code == 403 and "không phải màn hình gọi số" in kiosk.text


def test_a_call_shows_live_and_its_clips_play_in_order_and_a_recall_again(
    live_server: LiveServer, browser: Any
) -> None:
    officer = api_login(live_server, "canbo1")
    post(officer, live_server, "/api/v1/counters/1/open")
    for service in ("ho_tich", "ho_tich", "chung_thuc", "dat_dai", "dat_dai", "kinh_te"):
        issue_ticket(live_server, service)
    page = open_board(browser, live_server)
    voice = []
    page.on("response", lambda r: voice.append((r.url, r.status)) if "/voice/" in r.url else None)
    assert row_number(page, 1) == "—"
    assert page.inner_text('#waiting-list li[data-service="ho_tich"] .count') == "2"

    ticket = post(officer, live_server, "/api/v1/counters/1/call-next")["ticket"]
    wait_row(page, 1, ticket["number"], timeout=10_000)
    assert ticket["number"] == "A001"
    assert page.inner_text("#recent-list li:first-child .r-num") == "A001"
    assert "flash" in str(page.get_attribute('#serving-rows li[data-counter="1"]', "class"))
    page.wait_for_function(
        "() => document.querySelector('#waiting-list li[data-service=\"ho_tich\"] .count')"
        ".textContent === '1'",
        timeout=3000,
    )

    expected = clips_for("A001", 1)
    played = wait_audio(page, len(expected))
    assert played == expected
    events = page.evaluate("window.__events")
    assert [e["announcement"]["audio"] for e in events] == [expected]
    assert expected[0] == "/voice/vi/chime" and expected.count("/voice/vi/den_quay_so") == 2
    assert voice and all(status in (200, 206, 304) for _url, status in voice)
    assert page.inner_text("#callout-number") == "A001"
    assert page.inner_text("#callout-counter") == "1"

    post(officer, live_server, f"/api/v1/tickets/{ticket['id']}/recall")
    played = wait_audio(page, 2 * len(expected))
    assert played == expected + expected
    assert [c["recall"] for c in page.evaluate("window.lobbyCalls")] == [False, True]

    # A second counter and a paused one.
    other = api_login(live_server, "canbo2")
    post(other, live_server, "/api/v1/counters/2/open")
    c_ticket = post(other, live_server, "/api/v1/counters/2/call-next")["ticket"]
    third = api_login(live_server, "canbo3")
    post(third, live_server, "/api/v1/counters/3/open")
    post(third, live_server, "/api/v1/counters/3/pause", {"reason": "Họp"})
    wait_row(page, 2, c_ticket["number"], timeout=3000)
    page.wait_for_function(
        "() => document.querySelector('#serving-rows li[data-counter=\"3\"] .num')"
        "?.textContent === 'Tạm nghỉ'",
        timeout=3000,
    )
    page.context.close()


def test_ten_calls_in_a_burst_are_all_announced_in_order_without_overlap(
    live_server: LiveServer, browser: Any
) -> None:
    admin = api_login(live_server, "admin")  # an admin may work at every counter
    tickets: dict[int, list[str]] = {}
    for counter, service in FIELD_OF_COUNTER.items():
        post(admin, live_server, f"/api/v1/counters/{counter}/open")
        tickets[counter] = [issue_ticket(live_server, service)["number"] for _ in range(2)]
    page = open_board(browser, live_server, script=FAST_AUDIO)

    calls: list[tuple[str, int]] = []
    ids: dict[int, int] = {}
    for round_ in range(2):
        for counter in FIELD_OF_COUNTER:
            if round_:
                post(admin, live_server, f"/api/v1/tickets/{ids[counter]}/no-show")
            number = tickets[counter][round_]
            ticket = post(
                admin, live_server, f"/api/v1/counters/{counter}/call", {"number": number}
            )
            ids[counter] = ticket["ticket"]["id"]
            calls.append((number, counter))
    assert len(calls) == 10

    expected = [url for number, counter in calls for url in clips_for(number, counter)]
    played = wait_audio(page, len(expected), timeout=90000)
    assert played == expected
    arrived = [(c["number"], c["counter"]) for c in page.evaluate("window.lobbyCalls")]
    assert arrived == calls
    assert page.evaluate("window.__maxPlaying") == 1
    for number, counter in calls[5:]:
        assert row_number(page, counter) == number
    page.context.close()


def test_a_board_limited_to_counters_ignores_calls_at_other_counters(
    live_server: LiveServer, browser: Any
) -> None:
    token = run_in_app(
        live_server,
        """
        from lobby.auth import DEVICE_TOKEN_PREFIX, new_token, token_hash
        token = new_token(DEVICE_TOKEN_PREFIX)
        db.session.add(Device(office_id=context.office().id, kind="board", name="Quầy 1",
                              token_hash=token_hash(token), settings={"counters": [1]},
                              created_at=context.ctx().clock.now()))
        db.session.commit()
        print(token)
        """,
    )
    admin = api_login(live_server, "admin")
    for counter in (1, 5):
        post(admin, live_server, f"/api/v1/counters/{counter}/open")
    first, second = issue_ticket(live_server, "ho_tich"), issue_ticket(live_server, "ho_tich")
    page = open_board(browser, live_server, token=token, script=FAST_AUDIO)
    rows = page.eval_on_selector_all("#serving-rows li", "rows => rows.map(r => r.dataset.counter)")
    assert rows == ["1"]

    # Counter 5 also serves Hộ tịch, so this board hears the call, and must ignore it.
    post(admin, live_server, "/api/v1/counters/5/call", {"number": second["number"]})
    post(admin, live_server, "/api/v1/counters/1/call", {"number": first["number"]})
    wait_row(page, 1, first["number"], timeout=3000)
    expected = clips_for(first["number"], 1)
    assert wait_audio(page, len(expected)) == expected
    assert [e["counter"]["number"] for e in page.evaluate("window.__events")] == [5, 1]
    assert page.evaluate("window.lobbyCalls") == [
        {"number": first["number"], "counter": 1, "recall": False}
    ]
    assert second["number"] not in page.inner_text("#board")
    page.context.close()


def test_when_autoplay_is_blocked_a_notice_asks_for_a_tap_and_then_the_call_plays(
    live_server: LiveServer, browser: Any, screenshots_dir: Any
) -> None:
    officer = api_login(live_server, "canbo1")
    post(officer, live_server, "/api/v1/counters/1/open")
    issue_ticket(live_server, "ho_tich")
    page = open_board(browser, live_server, script=AUTOPLAY_BLOCKED)
    page.wait_for_selector("#sound-off", state="visible", timeout=5000)
    assert "Âm thanh đang tắt – chạm để bật" in page.inner_text("#sound-off")

    ticket = post(officer, live_server, "/api/v1/counters/1/call-next")["ticket"]
    wait_row(page, 1, ticket["number"], timeout=3000)
    assert page.evaluate("window.lobbyAudioLog") == []
    assert page.inner_text("#callout-number") == ticket["number"]
    page.screenshot(path=str(screenshots_dir / "board-sound-off.png"))

    page.click("#sound-off")
    page.wait_for_selector("#sound-off", state="hidden", timeout=5000)
    expected = clips_for(ticket["number"], 1)
    assert wait_audio(page, len(expected)) == expected
    page.context.close()


def test_the_board_recovers_by_itself_after_the_server_restarts(
    live_server: LiveServer, browser: Any, screenshots_dir: Any
) -> None:
    officer = api_login(live_server, "canbo2")
    post(officer, live_server, "/api/v1/counters/2/open")
    for _ in range(3):
        issue_ticket(live_server, "dat_dai")
    page = open_board(browser, live_server, script=FAST_AUDIO)
    first = post(officer, live_server, "/api/v1/counters/2/call-next")["ticket"]
    wait_row(page, 2, first["number"], timeout=3000)

    live_server.stop()
    page.wait_for_selector("#offline-badge", state="visible", timeout=10000)
    assert "Mất kết nối – đang kết nối lại" in page.inner_text("#offline-badge")
    assert "offline" in str(page.get_attribute("body", "class"))
    greyed = page.eval_on_selector(".serving", "el => getComputedStyle(el).filter")
    assert "grayscale" in greyed
    page.screenshot(path=str(screenshots_dir / "board-offline.png"))

    # Changed while the board is cut off: only the snapshot on reconnect can tell it.
    second = run_in_app(
        live_server,
        """
        officer = user("canbo2")
        current = queue_views.counter_queue(2, officer)["current"]
        counter_actions.no_show(current["id"], officer)
        print(counter_actions.call_next(2, officer)["ticket"]["number"])
        """,
    )
    live_server.start()
    wait_live(page, timeout=20000)
    assert page.is_hidden("#offline-badge")
    wait_row(page, 2, second, timeout=3000)
    board = requests.get(live_server.url + "/api/v1/board", timeout=10).json()
    shown = page.eval_on_selector_all(
        "#waiting-list li",
        "items => items.map(i => [i.dataset.service, i.querySelector('.count').textContent])",
    )
    assert dict(shown) == {code: str(n) for code, n in board["waiting"].items()}
    assert [r["number"] for r in board["recent"]][:2] == [second, first["number"]]
    recent = page.eval_on_selector_all(
        "#recent-list .r-num", "items => items.map(i => i.textContent)"
    )
    assert recent[:2] == [second, first["number"]]
    # The missed call is shown, not announced late.
    assert [c["number"] for c in page.evaluate("window.lobbyCalls")] == [first["number"]]
    assert json.dumps(page.evaluate("window.lobbyAudioLog")).count("chime") == 1
    page.context.close()


# --- the board tells what each counter holds now (issue 10, item 1) ---------------------------


def board_state(page: Any) -> dict[str, Any]:
    """What the board shows: the callout, whether it blinks, and each row's number and blink."""
    return dict(
        page.evaluate(
            """() => ({
              callout: [document.querySelector('#callout-number').textContent,
                        document.querySelector('#callout-counter').textContent],
              calloutBlinks: document.querySelector('#callout').classList.contains('flash'),
              rows: Object.fromEntries([...document.querySelectorAll('#serving-rows li')].map(
                (li) => [li.dataset.counter,
                         [li.querySelector('.num').textContent, li.classList.contains('flash')]])),
            })"""
        )
    )


def truth(server: LiveServer) -> dict[str, Any]:
    """What the board should show, from the server's board snapshot (what a reconnect shows)."""
    snap = requests.get(server.url + "/api/v1/board", timeout=10).json()
    call = snap["callout"]
    rows = {
        str(c["number"]): "Tạm nghỉ" if c["state"] == "paused" else (c["current"] or "—")
        for c in snap["counters"]
        if c["state"] in ("open", "paused")
    }
    return {
        "callout": [call["number"], str(call["counter"]["number"])] if call else ["—", "—"],
        "rows": rows,
    }


def wait_board_shows_truth(page: Any, server: LiveServer, timeout: float = 5000) -> dict[str, Any]:
    want = truth(server)
    page.wait_for_function(
        """(want) => {
          const shown = [...document.querySelectorAll('#serving-rows li')];
          return document.querySelector('#callout-number').textContent === want.callout[0]
            && document.querySelector('#callout-counter').textContent === want.callout[1]
            && shown.length === Object.keys(want.rows).length
            && shown.every((li) => want.rows[li.dataset.counter]
                                   === li.querySelector('.num').textContent);
        }""",
        arg=want,
        timeout=timeout,
    )
    return want


def test_the_callout_and_the_rows_follow_what_each_counter_holds_after_every_action(
    live_server: LiveServer, browser: Any, screenshots_dir: Any
) -> None:
    admin = api_login(live_server, "admin")
    for counter in (1, 2):
        post(admin, live_server, f"/api/v1/counters/{counter}/open")
    for _ in range(6):
        issue_ticket(live_server, "ho_tich")
    issue_ticket(live_server, "dat_dai")
    page = open_board(browser, live_server, script=FAST_AUDIO)

    def call_at_1() -> dict[str, Any]:
        ticket = post(admin, live_server, "/api/v1/counters/1/call-next")["ticket"]
        page.wait_for_function(
            """(n) => document.querySelector('#callout-number').textContent === n
                 && document.querySelector('#serving-rows li[data-counter="1"]')
                      .classList.contains('flash')""",
            arg=ticket["number"],
            timeout=5000,
        )
        assert board_state(page)["callout"] == [ticket["number"], "1"]
        return dict(ticket)

    def let_go(what: str, ticket: dict[str, Any]) -> dict[str, Any]:
        """Do `what` at counter 1 while the call still blinks; the board must follow at once."""
        tid = ticket["id"]
        if what == "transfer":
            post(admin, live_server, f"/api/v1/tickets/{tid}/transfer", {"service": "dat_dai"})
        elif what == "finish":
            post(admin, live_server, f"/api/v1/tickets/{tid}/start")
            post(admin, live_server, f"/api/v1/tickets/{tid}/finish", {"outcome": "guided_only"})
        elif what == "no_show":
            post(admin, live_server, f"/api/v1/tickets/{tid}/no-show")
        else:
            post(admin, live_server, f"/api/v1/counters/1/{what}", {"reason": "Họp"})
        want = wait_board_shows_truth(page, live_server)
        shown = board_state(page)
        assert shown["callout"] != [ticket["number"], "1"], what
        # Nothing blinks for a number counter 1 no longer invites.
        assert not shown["calloutBlinks"] or shown["callout"][1] != "1", what
        assert not shown["rows"].get("1", ["", False])[1], what
        return want

    # Nobody else holds a number: the callout is cleared.
    want = let_go("transfer", call_at_1())
    assert want["callout"] == ["—", "—"] and want["rows"]["1"] == "—"
    want = let_go("finish", call_at_1())
    assert want["callout"] == ["—", "—"] and want["rows"]["1"] == "—"

    # Counter 2 holds an older call: the callout goes back to it.
    held = post(admin, live_server, "/api/v1/counters/2/call-next")["ticket"]["number"]
    wait_row(page, 2, held, timeout=5000)
    want = let_go("no_show", call_at_1())
    assert want["callout"] == [held, "2"] and want["rows"]["1"] == "—"

    paused_with = call_at_1()
    want = let_go("pause", paused_with)
    assert want["callout"] == [held, "2"] and want["rows"]["1"] == "Tạm nghỉ"
    page.screenshot(path=str(screenshots_dir / "board-paused-counter.png"))
    # Back from the pause, counter 1 still holds its number: it is the newest call again.
    post(admin, live_server, "/api/v1/counters/1/resume")
    want = wait_board_shows_truth(page, live_server)
    assert want["callout"] == [paused_with["number"], "1"]

    want = let_go("close", paused_with)
    assert want["callout"] == [held, "2"] and "1" not in want["rows"]

    # And a reconnect shows the same board as the events did.
    before = board_state(page)
    page.reload()
    wait_live(page)
    wait_board_shows_truth(page, live_server)
    after = board_state(page)
    numbers = {counter: shown[0] for counter, shown in before["rows"].items()}
    assert after["callout"] == before["callout"]
    assert {counter: shown[0] for counter, shown in after["rows"].items()} == numbers
    page.context.close()


# --- readable from across the room (issue 10, item 2) -----------------------------------------

# Noto Sans (the board's font) draws capitals 0.714 em tall; the measure below asks Chromium.
CALLOUT_CAP_PX = 160  # the newest call on a 43" TV at 1920×1080, read from 10 m
ROW_CAP_PX = 90  # the numbers in the "ĐANG PHỤC VỤ" rows

# Long field names, as a commune after the 2025 mergers might call them.
LONG_FIELDS = [
    ("nong_nghiep", "N", "Nông nghiệp và Môi trường – Tài nguyên nước, khoáng sản"),
    ("van_hoa", "V", "Văn hóa, Thể thao và Du lịch – Gia đình, Thông tin cơ sở"),
    ("boi_thuong", "G", "Bồi thường nhà nước, Trợ giúp pháp lý và Hòa giải ở cơ sở"),
]

MEASURE = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const cap = (el) => {
    const cs = getComputedStyle(el);
    ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
    return ctx.measureText('H').actualBoundingBoxAscent;
  };
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
            sw: el.scrollWidth, cw: el.clientWidth, sh: el.scrollHeight, ch: el.clientHeight};
  };
  const texts = [...document.querySelectorAll('.board-frame *')].filter(
    (el) => el.childElementCount === 0 && el.textContent.trim() && el.offsetParent !== null);
  const rows = [...document.querySelectorAll('#serving-rows li')];
  return {
    font: document.fonts.check('700 100px "Lobby Sans"'),
    callout: {number: cap(document.querySelector('#callout-number')),
              counter: cap(document.querySelector('#callout-counter'))},
    calloutIds: ['callout-number', 'callout-counter'],
    biggestElsewhere: Math.max(...texts.filter(
      (el) => !el.closest('#callout')).map(cap)),
    rows: rows.map((li) => ({
      counter: li.dataset.counter,
      paused: li.classList.contains('is-paused'),
      num: cap(li.querySelector('.num')),
      ctr: cap(li.querySelector('.ctr-num')),
      box: box(li),
      parts: [...li.querySelectorAll('.num, .ctr-num')].map(box),
    })),
    boxes: Object.fromEntries(['#callout', '#callout-number', '#callout-counter',
      '.callout-counter', '.serving', '#serving-rows', '.recent', '.waiting', '#waiting-list',
      '.board-header', '.board-footer', '.board-frame'].map(
      (sel) => [sel, box(document.querySelector(sel))])),
    page: {sw: document.documentElement.scrollWidth, sh: document.documentElement.scrollHeight,
           w: innerWidth, h: innerHeight},
  };
}"""


def check_layout(page: Any, counters: int) -> None:
    """The checks of issue 10 item 2, for the board as it is shown now."""
    page.evaluate("document.fonts.ready")
    m = page.evaluate(MEASURE)
    assert m["font"], "the bundled Noto Sans is loaded"
    where = f"with {counters} counters"
    # The newest call is the biggest thing on the wall, number and counter alike.
    assert m["callout"]["number"] >= CALLOUT_CAP_PX, (where, m["callout"])
    assert m["callout"]["counter"] >= CALLOUT_CAP_PX, (where, m["callout"])
    assert min(m["callout"].values()) > 1.5 * m["biggestElsewhere"], (where, m)
    assert len(m["rows"]) == counters, where
    for row in m["rows"]:
        assert row["ctr"] >= ROW_CAP_PX, (where, row)
        if not row["paused"]:
            assert row["num"] >= ROW_CAP_PX, (where, row)
    # Nothing spills out of its box, and nothing leaves the screen.
    for name, b in m["boxes"].items():
        assert b["sw"] <= b["cw"] + 1 and b["sh"] <= b["ch"] + 1, (where, name, b)
        assert b["left"] >= 0 and b["top"] >= 0, (where, name, b)
        assert b["right"] <= m["page"]["w"] + 1 and b["bottom"] <= m["page"]["h"] + 1, (where, name)
    callout = m["boxes"]["#callout"]
    for name in ("#callout-number", ".callout-counter"):
        inner = m["boxes"][name]
        assert inner["left"] >= callout["left"] and inner["right"] <= callout["right"], (
            where,
            name,
        )
        assert inner["top"] >= callout["top"] and inner["bottom"] <= callout["bottom"], (
            where,
            name,
        )
    rows_box = m["boxes"]["#serving-rows"]
    for row in m["rows"]:
        b = row["box"]
        assert b["sw"] <= b["cw"] + 1 and b["sh"] <= b["ch"] + 1, (where, row)
        assert b["bottom"] <= rows_box["bottom"] + 1 and b["right"] <= rows_box["right"] + 1, (
            where,
            row,
        )
        for part in row["parts"]:
            assert part["sw"] <= part["cw"] + 1, (where, row)
            assert b["left"] <= part["left"] and part["right"] <= b["right"] + 1, (where, row)
    assert m["page"]["sw"] <= m["page"]["w"] and m["page"]["sh"] <= m["page"]["h"], (where, m)


def add_fields_and_counters(server: LiveServer, admin: requests.Session) -> None:
    """Three fields with long names and counters 6 to 10, through the office setup page."""
    import re

    csrf = admin.headers["X-CSRF-Token"]

    def setup_form(data: list[tuple[str, str]], done: str) -> None:
        r = admin.post(server.url + "/admin/setup", data=[("csrf_token", csrf), *data], timeout=10)
        assert r.status_code == 200 and done in r.text, r.text

    for order, (code, prefix, name) in enumerate(LONG_FIELDS, start=20):
        setup_form(
            [
                ("action", "field_add"),
                ("code", code),
                ("ticket_prefix", prefix),
                ("name_vi", name),
                ("sort_order", str(order)),
                ("active", "1"),
            ],
            f"Đã thêm lĩnh vực {name}",
        )
    page = admin.get(server.url + "/admin/setup", timeout=10).text
    ids = dict(
        (prefix, fid)
        for fid, prefix in re.findall(
            r'form="counter-new" type="checkbox" name="fields" value="(\d+)"> ([A-Z]+) ·', page
        )
    )
    served = {
        6: ["N"],
        7: ["V", "G"],
        8: ["N", "V", "G"],
        9: ["A", "B", "C", "D", "E", "H", "K", "N", "V", "G"],
        10: ["G", "K"],
    }
    for number, prefixes in served.items():
        setup_form(
            [
                ("action", "counter_add"),
                ("number", str(number)),
                ("name", f"Quầy {number}"),
                *[("fields", ids[p]) for p in prefixes],
            ],
            f"Đã thêm quầy {number}",
        )


def test_the_board_is_readable_from_across_the_room_with_one_five_and_ten_counters(
    live_server: LiveServer, browser: Any, screenshots_dir: Any
) -> None:
    admin = api_login(live_server, "admin")
    services = dict(FIELD_OF_COUNTER)
    post(admin, live_server, "/api/v1/counters/1/open")
    for _ in range(3):
        issue_ticket(live_server, "ho_tich")
    post(admin, live_server, "/api/v1/counters/1/call-next")
    page = open_board(browser, live_server, script=FAST_AUDIO)
    check_layout(page, 1)

    for counter in range(2, 6):
        post(admin, live_server, f"/api/v1/counters/{counter}/open")
        issue_ticket(live_server, services[counter])
        if counter != 3:
            post(admin, live_server, f"/api/v1/counters/{counter}/call-next")
    post(admin, live_server, "/api/v1/counters/3/pause", {"reason": "Họp"})
    for service in ("ho_tich", "chung_thuc", "dat_dai", "kinh_te", "kinh_te", "hoi_dap"):
        issue_ticket(live_server, service)
    # The calls of counters 2, 4 and 5 read out: the callout shows the newest again.
    page.wait_for_function(
        "() => window.lobbyCalls.length >= 3 && !window.lobbyAnnouncer.busy", timeout=60000
    )
    wait_board_shows_truth(page, live_server)
    check_layout(page, 5)
    page.screenshot(path=str(screenshots_dir / "board.png"))

    add_fields_and_counters(live_server, admin)
    services.update({6: "nong_nghiep", 7: "van_hoa", 8: "van_hoa", 9: "nong_nghiep"})
    services[10] = "boi_thuong"
    for counter in range(6, 11):
        post(admin, live_server, f"/api/v1/counters/{counter}/open")
        issue_ticket(live_server, services[counter])
        issue_ticket(live_server, services[counter])
        post(admin, live_server, f"/api/v1/counters/{counter}/call-next")
    page.reload()
    wait_live(page)
    wait_board_shows_truth(page, live_server)
    check_layout(page, 10)
    page.screenshot(path=str(screenshots_dir / "board-10-counters.png"))
    page.context.close()
