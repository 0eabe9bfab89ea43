"""The board's announcement line (set on /admin/setup, live on every board) and the next
numbers each open counter will call (the call-next order itself, priority and transfers in)."""

from __future__ import annotations

import time
from typing import Any

from lobby.extensions import socketio
from tests.integration.helpers import Staff, device_token, issue


def _events(client: Any, name: str) -> list[Any]:
    return [e["args"][0] for e in client.get_received() if e["name"] == name]


def _board(app: Any) -> dict[str, Any]:
    r = app.test_client().get("/api/v1/board")
    assert r.status_code == 200
    return r.get_json()  # type: ignore[no-any-return]


def _announce(admin: Staff, text: str) -> str:
    r = admin.client.post(
        "/admin/setup",
        data={"csrf_token": admin.csrf, "action": "announcement", "announcement": text},
        follow_redirects=True,
    )
    assert r.status_code == 200
    return str(r.get_data(as_text=True))


def _serve_next(officer: Staff, counter: int) -> str:
    """Call the next number at the counter and finish it; the number called."""
    called = officer.call_next(counter).get_json()["ticket"]
    assert officer.post(f"/api/v1/tickets/{called['id']}/start").status_code == 200
    done = officer.post(f"/api/v1/tickets/{called['id']}/finish", {"outcome": "guided_only"})
    assert done.status_code == 200, done.get_json()
    return str(called["number"])


def test_the_next_numbers_are_the_order_call_next_takes_with_a_priority_and_a_transfer(
    app: Any,
) -> None:
    client = app.test_client()
    civil = Staff(app, "canbo1")  # counter 1: civil status, certification, questions
    land = Staff(app, "canbo2")  # counter 2: land
    civil.open_counter(1)
    land.open_counter(2)
    issue(client, app, "dat_dai")  # the earliest: sent on to counter 1 below
    for service in ("ho_tich", "ho_tich", "ho_tich", "chung_thuc"):
        issue(client, app, service)
    elderly = issue(client, app, "ho_tich", priority="elderly")["number"]
    moved = land.call_next(2).get_json()["ticket"]
    r = land.post(f"/api/v1/tickets/{moved['id']}/transfer", {"counter": 1})
    assert r.status_code == 200, r.get_json()

    board = _board(app)
    upcoming = board["next"]["1"]
    assert len(upcoming) == 3
    assert elderly in upcoming and moved["number"] in upcoming  # the case is the one asked
    assert board["next"]["2"] == []  # open, nothing left for it
    assert set(board["next"]) == {"1", "2"}  # closed counters call nobody
    console = civil.get("/api/v1/counters/1/queue").get_json()
    assert [t["number"] for t in console["waiting"][:3]] == upcoming

    called = []
    for step in range(3):
        assert _board(app)["next"]["1"][: 3 - step] == upcoming[step:]
        called.append(_serve_next(civil, 1))
    assert called == upcoming


def test_a_waiting_number_is_next_under_one_counter_only(app: Any) -> None:
    client = app.test_client()
    first, second = Staff(app, "canbo1"), Staff(app, "canbo2")
    first.open_counter(1)
    second.open_counter(2)  # both serve questions (hoi_dap)
    numbers = [issue(client, app, "hoi_dap")["number"] for _ in range(4)]
    board = _board(app)
    # Taking turns, as they would call: no number under both counters.
    assert board["next"] == {"1": [numbers[0], numbers[2]], "2": [numbers[1], numbers[3]]}
    assert first.call_next(1).get_json()["ticket"]["number"] == numbers[0]
    # Counter 1 now serves: the free counter 2 calls before it.
    assert _board(app)["next"] == {"1": [numbers[2]], "2": [numbers[1], numbers[3]]}


def test_a_board_hears_the_new_next_numbers_after_a_ticket_is_issued(app: Any) -> None:
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    board = socketio.test_client(app, auth={"device_token": device_token(app, "board")})
    assert _events(board, "snapshot")[0]["next"] == {"1": []}
    first = issue(app.test_client(), app)["number"]
    # The next numbers go out in the background after the commit: wait for them.
    heard: list[Any] = []
    deadline = time.monotonic() + 5
    while not heard and time.monotonic() < deadline:
        heard = [e for e in _events(board, "queue_changed") if e.get("next")]
        time.sleep(0.02)
    assert heard and heard[-1]["next"] == {"1": [first]}
    assert heard[-1]["service"] == "ho_tich" and heard[-1]["waiting"] == 1


def test_the_announcement_set_on_the_admin_page_reaches_the_api_and_live_boards(
    app: Any,
) -> None:
    board = socketio.test_client(app, auth={"device_token": device_token(app, "board")})
    assert _events(board, "snapshot")[0]["announcement"] == ""
    assert _board(app)["announcement"] == ""
    admin = Staff(app, "admin")
    page = _announce(admin, "  Bộ phận Một cửa nghỉ Tết Dương lịch\n ngày 01/01/2027  ")
    assert "Đã lưu thông báo trên màn hình." in page
    text = "Bộ phận Một cửa nghỉ Tết Dương lịch ngày 01/01/2027"
    assert f'value="{text}"' in page  # the form shows what the boards show
    assert _board(app)["announcement"] == text
    live = _events(board, "snapshot")
    assert live and live[-1]["announcement"] == text
    assert [c["number"] for c in live[-1]["counters"]] == [1, 2, 3, 4, 5]  # a whole snapshot

    # Too long: refused with the reason, nothing changed, no board told.
    assert "dài quá 120 ký tự" in _announce(admin, "x" * 121)
    assert _board(app)["announcement"] == text and _events(board, "snapshot") == []
    # Only an administrator sets it.
    officer = Staff(app, "canbo1")
    r = officer.client.post(
        "/admin/setup",
        data={"csrf_token": officer.csrf, "action": "announcement", "announcement": "Hack"},
    )
    assert r.status_code in (302, 403) and _board(app)["announcement"] == text

    # Emptied: gone from the API and from the board at once.
    assert "Đã gỡ thông báo trên màn hình." in _announce(admin, "   ")
    assert _board(app)["announcement"] == ""
    assert _events(board, "snapshot")[-1]["announcement"] == ""


def test_counters_sharing_their_fields_read_one_line_and_each_gets_its_own_call_order(
    app: Any,
) -> None:
    """The board reads a field set's line once for every counter serving it (line.
    counters_next_numbers); each counter's numbers are still its own call order, with the
    tickets sent to it alone and its own turn between priority and normal tickets."""
    from lobby.context import office_ref, today
    from lobby.extensions import db
    from lobby.models import Counter
    from lobby.queue.line import counter_order, counters_next_numbers

    client = app.test_client()
    first, second = Staff(app, "canbo1"), Staff(app, "canbo2")
    with app.app_context():
        one = db.session.scalar(db.select(Counter).where(Counter.number == 1))
        two = db.session.scalar(db.select(Counter).where(Counter.number == 2))
        two.fields = list(one.fields)  # counter 2 now serves exactly counter 1's fields
        db.session.commit()
    first.open_counter(1)
    second.open_counter(2)
    for service in ("ho_tich", "chung_thuc", "ho_tich", "hoi_dap", "ho_tich"):
        issue(client, app, service)
    issue(client, app, "ho_tich", priority="elderly")
    moved = first.call_next(1).get_json()["ticket"]
    r = first.post(f"/api/v1/tickets/{moved['id']}/transfer", {"counter": 2})
    assert r.status_code == 200, r.get_json()
    with app.app_context():
        o, counters = office_ref(), list(db.session.scalars(db.select(Counter)))
        day = today(o)
        shared = counters_next_numbers(counters, o, day, 6)
        for c in counters:
            assert shared[c.id] == [t.number for t in counter_order(c, o, day, 6)]
        by_number = {c.number: shared[c.id] for c in counters}
    assert moved["number"] in by_number[2] and moved["number"] not in by_number[1]
    assert len(by_number[1]) == 5 and len(by_number[2]) == 6
