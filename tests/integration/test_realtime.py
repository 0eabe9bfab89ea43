"""Socket.IO rooms: who may connect, what snapshot they get, which events reach them."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from lobby.extensions import socketio
from tests.integration.helpers import Staff, device_token, issue, place_in_line


def _events(client: Any, name: str) -> list[Any]:
    return [e["args"][0] for e in client.get_received() if e["name"] == name]


def test_a_board_connects_with_its_token_and_gets_a_snapshot_then_calls(app: Any) -> None:
    board = socketio.test_client(app, auth={"device_token": device_token(app, "board")})
    assert board.is_connected()
    received = board.get_received()
    assert received[0]["name"] == "snapshot"
    snap = received[0]["args"][0]
    assert snap["now_serving"] == [] and [c["number"] for c in snap["counters"]] == [1, 2, 3, 4, 5]
    client = app.test_client()
    issue(client, app)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    officer.call_next(1)
    called = _events(board, "ticket_called")
    assert [c["number"] for c in called] == ["A001"]
    assert called[0]["counter"] == {"number": 1, "name": "Quầy 1 – Hộ tịch, Chứng thực"}
    assert called[0]["recall"] is False


def test_a_phone_joins_only_its_own_ticket(app: Any) -> None:
    client = app.test_client()
    mine = issue(client, app)
    other = issue(client, app)
    phone = socketio.test_client(app, auth={"ticket": mine["token"]})
    snap = _events(phone, "snapshot")[0]
    assert snap["number"] == mine["number"] and snap["status"] == "waiting"
    assert phone.emit("join", {"room": f"ticket:{other['token']}"}, callback=True) == {
        "ok": False,
        "error": "forbidden",
    }
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    officer.call_next(1)  # calls mine (A001)
    assert [e["number"] for e in _events(phone, "ticket_called")] == [mine["number"]]
    other_phone = socketio.test_client(app, auth={"ticket": other["token"]})
    other_phone.get_received()
    officer.post("/api/v1/tickets/1/recall")  # mine again: the other phone hears nothing
    assert _events(other_phone, "ticket_recalled") == []
    assert [e["number"] for e in _events(phone, "ticket_recalled")] == [mine["number"]]


def test_waiting_phones_learn_they_moved_up(app: Any) -> None:
    client = app.test_client()
    issue(client, app)
    second = issue(client, app)
    phone = socketio.test_client(app, auth={"ticket": second["token"]})
    snapshot = _events(phone, "snapshot")[0]
    assert snapshot["ahead"] == 1
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    officer.call_next(1)
    # The field's line goes out in the background after the commit: wait for it (not a timing
    # check). One message for the field; the phone finds its own place in it.
    line = _wait_for(phone, "line_changed", lambda e: True)
    assert line["service"] == "ho_tich"
    assert place_in_line(line, snapshot["line_key"]) == 0
    assert _events(phone, "ticket_updated") == []  # no message of its own any more


@pytest.mark.parametrize(
    "auth",
    [None, {}, {"device_token": "dv_not-a-token"}, {"ticket": "nope"}, {"token": "st_forged"}],
)
def test_unknown_credentials_are_refused_on_connect(app: Any, auth: Any) -> None:
    client = socketio.test_client(app, auth=auth)
    assert not client.is_connected()


def test_a_counter_console_connects_with_the_staff_session(app: Any) -> None:
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    console = socketio.test_client(app, flask_test_client=officer.client, auth={"counter": 1})
    assert console.is_connected()
    snap = _events(console, "snapshot")[0]
    assert snap["counter"]["number"] == 1 and snap["current"] is None
    issue(app.test_client(), app)
    assert [e["number"] for e in _events(console, "ticket_issued")] == ["A001"]
    refused = socketio.test_client(app, flask_test_client=officer.client, auth={"counter": 2})
    assert not refused.is_connected()


def test_a_board_limited_to_some_fields_hears_only_those(app: Any) -> None:
    from lobby.extensions import db
    from lobby.models import Device

    with app.app_context():
        board = db.session.scalar(db.select(Device).where(Device.kind == "board"))
        board.settings = {"fields": ["dat_dai"]}
        db.session.commit()
    client = socketio.test_client(app, auth={"device_token": device_token(app, "board")})
    snap = _events(client, "snapshot")[0]
    assert list(snap["waiting"]) == ["dat_dai"]
    assert {c["number"] for c in snap["counters"]} == {2, 5}
    issue(app.test_client(), app, "ho_tich")
    issue(app.test_client(), app, "dat_dai")
    assert [e["number"] for e in _events(client, "ticket_issued")] == ["C001"]


def test_a_board_browser_signed_in_as_staff_still_acts_as_the_board(app: Any) -> None:
    officer = Staff(app, "canbo1")
    officer.client.get(f"/pair/{device_token(app, 'board')}")
    page = officer.client.get("/display")
    assert page.status_code == 200
    board = socketio.test_client(app, flask_test_client=officer.client)
    snap = _events(board, "snapshot")[0]
    assert "now_serving" in snap  # the board's snapshot, not the staff one
    console = socketio.test_client(app, flask_test_client=officer.client, auth={"counter": 1})
    assert "current" in _events(console, "snapshot")[0]


def _wait_for(phone: Any, name: str, ok: Any) -> dict[str, Any]:
    """The first `name` event (the background pushes included) that satisfies ok()."""
    deadline = time.monotonic() + 5
    seen: list[Any] = []
    while time.monotonic() < deadline:
        seen += _events(phone, name)
        found = [e for e in seen if ok(e)]
        if found:
            return dict(found[-1])
        time.sleep(0.02)
    raise AssertionError(f"no matching {name}: {seen}")


def test_a_transferred_phone_is_told_its_new_counter_and_its_place_there(
    app: Any, published: Any
) -> None:
    client = app.test_client()
    result = issue(client, app, "nhan_ket_qua")  # K001: waits for counter 4 already
    mine = issue(client, app, "ho_tich")  # A001
    four = Staff(app, "canbo4")
    four.open_counter(4)
    one = Staff(app, "canbo1")
    one.open_counter(1)
    tid = one.call_next(1).get_json()["ticket"]["id"]
    phone = socketio.test_client(app, auth={"ticket": mine["token"]})
    phone.get_received()
    body = {"counter": 4, "note": "Ghi chú nội bộ"}
    assert one.post(f"/api/v1/tickets/{tid}/transfer", body).status_code == 200
    moved = _wait_for(phone, "ticket_updated", lambda e: e["status"] == "waiting")
    # The receiving counter hears of it too, though it does not serve Hộ tịch.
    told = [rooms for _p, rooms in published.named("ticket_updated") if "counter:4" in rooms]
    assert told, "counter 4's console is told of the number sent to it"
    assert moved["next_counter"] == {"number": 4, "name": "Quầy 4 – Trả kết quả"}
    assert moved["ahead"] == 1  # K001 is older: counter 4 calls it first
    public = client.get(f"/api/v1/tickets/{mine['token']}").get_json()
    assert public["next_counter"]["number"] == 4 and public["ahead"] == 1
    page = client.get(f"/t/{mine['token']}").get_data(as_text=True)
    assert "Quý khách sẽ được gọi tại quầy 4." in page
    # Counter 4 calls K001: the transferred phone moves up to first at counter 4.
    assert four.call_next(4).get_json()["ticket"]["number"] == result["number"]
    _wait_for(phone, "ticket_updated", lambda e: e["ahead"] == 0 and e["status"] == "waiting")
    k001 = four.get("/api/v1/counters/4/queue").get_json()["current"]["id"]
    four.post(f"/api/v1/tickets/{k001}/no-show")
    assert four.call_next(4).get_json()["ticket"]["id"] == tid
    called = _wait_for(phone, "ticket_called", lambda e: True)
    assert called["counter"]["number"] == 4
    # The transferring officer's note is for staff only: the phone never hears it.
    to_phone = [p for _e, p, rooms in published.events if f"ticket:{mine['token']}" in rooms]
    assert to_phone and "Ghi chú" not in json.dumps(to_phone, ensure_ascii=False)
    assert "Ghi chú" not in client.get(f"/api/v1/tickets/{mine['token']}").get_data(as_text=True)


def _board(app: Any) -> Any:
    return socketio.test_client(app, auth={"device_token": device_token(app, "board")})


def _fresh_snapshot(app: Any) -> dict[str, Any]:
    """What a board sees on (re)connect."""
    client = _board(app)
    snap = _events(client, "snapshot")[0]
    client.disconnect()
    return snap  # type: ignore[no-any-return]


def _counter(snap: dict[str, Any], number: int) -> dict[str, Any]:
    return next(c for c in snap["counters"] if c["number"] == number)


# What each staff action does to counter 1, which has called A001: the path, its body, and
# whether counter 1 still holds A001 afterwards (and in which state).
LET_GO = {
    "finish": ("finish", {"outcome": "guided_only"}, None, "open"),
    "no_show": ("no-show", {}, None, "open"),
    "transfer_to_field": ("transfer", {"service": "dat_dai"}, None, "open"),
    "transfer_to_counter": ("transfer", {"counter": 2}, None, "open"),
    "pause": ("pause", {"reason": "Họp"}, "A001", "paused"),
    "close": ("close", {}, "A001", "closed"),
}


@pytest.mark.parametrize("action", list(LET_GO))
def test_a_board_is_told_the_moment_a_counter_stops_inviting_its_number_and_a_reconnect_agrees(
    app: Any, action: str
) -> None:
    path, body, still_held, state = LET_GO[action]
    issue(app.test_client(), app)
    Staff(app, "canbo2").open_counter(2)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    ticket = officer.call_next(1).get_json()["ticket"]
    before = _fresh_snapshot(app)
    assert before["callout"]["number"] == "A001" and before["callout"]["counter"]["number"] == 1
    assert _counter(before, 1)["current_called_at"] == before["callout"]["called_at"]
    board = _board(app)
    board.get_received()

    if action == "finish":
        assert officer.post(f"/api/v1/tickets/{ticket['id']}/start").status_code == 200
    if path in ("pause", "close"):
        r = officer.post(f"/api/v1/counters/1/{path}", body)
    else:
        r = officer.post(f"/api/v1/tickets/{ticket['id']}/{path}", body)
    assert r.status_code == 200, r.get_json()

    told = [e for e in _events(board, "counter_changed") if e["number"] == 1]
    assert told, "the board must hear that counter 1 changed"
    assert told[-1]["state"] == state
    if action != "close":  # what a closed counter's ticket becomes is the counter's business
        assert told[-1]["current"] == still_held
    after = _fresh_snapshot(app)
    # Nobody is invited any more: counter 1 let go of A001, or it is paused or closed.
    assert after["callout"] is None
    # The delta and the snapshot tell the same story about counter 1.
    assert told[-1] == _counter(after, 1)
    serving = [s["number"] for s in after["now_serving"] if s["counter"]["number"] == 1]
    if action != "close":
        assert serving == ([still_held] if still_held else [])


def test_the_callout_falls_back_to_the_newest_call_a_counter_still_holds(
    app: Any, clock: Any
) -> None:
    client = app.test_client()
    issue(client, app, "ho_tich")
    issue(client, app, "dat_dai")
    issue(client, app, "dat_dai")
    first, second = Staff(app, "canbo1"), Staff(app, "canbo2")
    first.open_counter(1)
    second.open_counter(2)
    a = first.call_next(1).get_json()["ticket"]
    clock.advance(seconds=30)
    c = second.call_next(2).get_json()["ticket"]
    snap = _fresh_snapshot(app)
    assert (snap["callout"]["number"], snap["callout"]["counter"]["number"]) == (c["number"], 2)

    clock.advance(seconds=30)
    assert second.post(f"/api/v1/tickets/{c['id']}/no-show").status_code == 200
    snap = _fresh_snapshot(app)
    assert (snap["callout"]["number"], snap["callout"]["counter"]["number"]) == (a["number"], 1)

    clock.advance(seconds=30)
    d = second.call_next(2).get_json()["ticket"]
    snap = _fresh_snapshot(app)
    assert (snap["callout"]["number"], snap["callout"]["counter"]["number"]) == (d["number"], 2)

    # A recall makes the older call the newest one again.
    clock.advance(seconds=30)
    assert first.post(f"/api/v1/tickets/{a['id']}/recall").status_code == 200
    snap = _fresh_snapshot(app)
    assert (snap["callout"]["number"], snap["callout"]["counter"]["number"]) == (a["number"], 1)
    assert snap["callout"]["called_at"] == _counter(snap, 1)["current_called_at"]
