"""Counter routes: the ticket state machine over HTTP, queue order, authorization."""

from __future__ import annotations

from typing import Any

from tests.integration.helpers import Staff, issue


def test_an_officer_calls_serves_and_finishes_the_next_ticket(app: Any, published: Any) -> None:
    client = app.test_client()
    t = issue(client, app)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    called = officer.call_next(1)
    assert called.status_code == 200
    ticket = called.get_json()["ticket"]
    assert ticket["number"] == t["number"] and ticket["status"] == "called"
    assert ticket["counter"]["number"] == 1 and ticket["called_at"]
    tid = ticket["id"]
    assert officer.post(f"/api/v1/tickets/{tid}/recall").get_json()["ticket"]["recall_count"] == 1
    assert officer.post(f"/api/v1/tickets/{tid}/start").get_json()["ticket"]["status"] == "serving"
    done = officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": "guided_only"}).get_json()[
        "ticket"
    ]
    assert done["status"] == "done" and done["outcome"] == "guided_only"
    public = client.get(f"/api/v1/tickets/{t['token']}").get_json()
    assert public["status"] == "done"
    called_events = published.named("ticket_called")
    assert len(called_events) == 1
    payload, rooms = called_events[0]
    assert payload["announcement"]["text"].startswith("Xin mời công dân có số thứ tự A001")
    assert payload["announcement"]["audio"][0].endswith("/chime")
    assert set(rooms) == {"service:ho_tich", "counter:1", f"ticket:{t['token']}"}
    assert len(published.named("ticket_recalled")) == 1


def test_illegal_transitions_answer_409_and_change_nothing(app: Any) -> None:
    client = app.test_client()
    issue(client, app)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    tid = officer.call_next(1).get_json()["ticket"]["id"]
    finish_early = officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": "guided_only"})
    assert finish_early.status_code == 409 and finish_early.get_json()["error"] == "conflict"
    requeue_called = officer.post(f"/api/v1/tickets/{tid}/requeue")
    assert requeue_called.status_code == 409
    queue = officer.get("/api/v1/counters/1/queue").get_json()
    assert queue["current"]["status"] == "called" and queue["current"]["id"] == tid
    bad_outcome = officer.post(f"/api/v1/tickets/{tid}/start")
    assert bad_outcome.status_code == 200
    r = officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": "maybe"})
    assert r.status_code == 422 and r.get_json()["error"] == "invalid_request"


def test_a_counter_holds_one_ticket_at_a_time(app: Any) -> None:
    client = app.test_client()
    issue(client, app)
    issue(client, app)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    assert officer.call_next(1).status_code == 200
    again = officer.call_next(1)
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"
    assert "A001" in again.get_json()["message"]


def test_call_next_on_an_empty_queue_says_queue_empty(app: Any) -> None:
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    r = officer.call_next(1)
    assert r.status_code == 409 and r.get_json()["error"] == "queue_empty"


def test_priority_goes_first_then_one_priority_per_two_normals(app: Any) -> None:
    client = app.test_client()
    for _ in range(4):
        issue(client, app)  # A001..A004 normal
    issue(client, app, priority="elderly")  # A005
    issue(client, app, priority="pregnant")  # A006
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    order = []
    for _ in range(6):
        t = officer.call_next(1).get_json()["ticket"]
        order.append(t["number"])
        officer.post(f"/api/v1/tickets/{t['id']}/no-show")
    # Fresh counter: priority first; then N=2 normals before the next priority.
    assert order == ["A005", "A001", "A002", "A006", "A003", "A004"]


def test_no_show_then_requeue_keeps_the_number_and_returns_to_the_same_counter(
    app: Any, published: Any
) -> None:
    client = app.test_client()
    t = issue(client, app)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    tid = officer.call_next(1).get_json()["ticket"]["id"]
    assert (
        officer.post(f"/api/v1/tickets/{tid}/no-show").get_json()["ticket"]["status"] == "no_show"
    )
    assert client.get(f"/api/v1/tickets/{t['token']}").get_json()["status"] == "no_show"
    back = officer.post(f"/api/v1/tickets/{tid}/requeue").get_json()["ticket"]
    assert back["status"] == "waiting" and back["number"] == t["number"]
    # The phone and the counter the citizen came back to both hear of it.
    payload, rooms = published.named("ticket_updated")[-1]
    assert payload["status"] == "waiting" and payload["counter"] is None
    assert set(rooms) == {f"ticket:{t['token']}", "counter:1"}
    again = officer.call_next(1).get_json()["ticket"]
    assert again["id"] == tid


def test_transfer_to_another_field_keeps_number_and_issue_time(app: Any) -> None:
    client = app.test_client()
    t = issue(client, app, "ho_tich")
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    tid = officer.call_next(1).get_json()["ticket"]["id"]
    moved = officer.post(f"/api/v1/tickets/{tid}/transfer", {"service": "dat_dai"}).get_json()[
        "ticket"
    ]
    assert (
        moved["status"] == "waiting" and moved["number"] == "A001" and moved["service"] == "dat_dai"
    )
    assert moved["issued_at"] == t["issued_at"]
    land = Staff(app, "canbo2")
    land.open_counter(2)
    assert land.call_next(2).get_json()["ticket"]["number"] == "A001"


def test_transfer_to_a_counter_sends_the_ticket_only_there(app: Any) -> None:
    client = app.test_client()
    issue(client, app, "ho_tich")
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    returns = Staff(app, "canbo4")
    returns.open_counter(4)
    tid = officer.call_next(1).get_json()["ticket"]["id"]
    r = officer.post(f"/api/v1/tickets/{tid}/transfer", {"counter": 4})
    assert r.status_code == 200
    assert officer.call_next(1).get_json()["error"] == "queue_empty"
    assert returns.call_next(4).get_json()["ticket"]["id"] == tid
    bad = officer.post(f"/api/v1/tickets/{tid}/transfer", {"service": "ho_tich", "counter": 2})
    assert bad.status_code == 422


def test_call_a_specific_number(app: Any) -> None:
    client = app.test_client()
    issue(client, app)
    issue(client, app)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    r = officer.post("/api/v1/counters/1/call", {"number": "A002"})
    assert r.status_code == 200 and r.get_json()["ticket"]["number"] == "A002"
    assert officer.post("/api/v1/counters/1/call", {"number": "Z999"}).status_code in (404, 409)
    assert officer.post("/api/v1/counters/1/call", {}).status_code == 422


def test_pause_and_resume_show_on_the_counter_list(app: Any, published: Any) -> None:
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    r = officer.post("/api/v1/counters/1/pause", {"reason": "Họp giao ban"})
    assert r.get_json()["counter"]["state"] == "paused"
    counters = app.test_client().get("/api/v1/counters").get_json()["counters"]
    assert counters[0]["state"] == "paused" and counters[0]["pause_reason"] == "Họp giao ban"
    assert officer.post("/api/v1/counters/1/resume").get_json()["counter"]["state"] == "open"
    states = [p["state"] for p, _ in published.named("counter_changed")]
    assert states == ["open", "paused", "open"]


def test_officers_act_only_at_their_counter_and_a_taken_counter_needs_force(app: Any) -> None:
    client = app.test_client()
    issue(client, app)
    one, two = Staff(app, "canbo1"), Staff(app, "canbo2")
    one.open_counter(1)
    assert two.call_next(1).status_code == 403
    assert two.post("/api/v1/counters/1/open").status_code in (403, 409)
    leader = Staff(app, "lanhdao")
    taken = leader.post("/api/v1/counters/1/open")
    assert taken.status_code == 409 and taken.get_json()["error"] == "conflict"
    forced = leader.post("/api/v1/counters/1/open", {"force": True})
    assert forced.status_code == 200
    tid = leader.call_next(1).get_json()["ticket"]["id"]
    assert two.post(f"/api/v1/tickets/{tid}/start").status_code == 403


def test_staff_routes_need_sign_in_and_csrf(app: Any) -> None:
    client = app.test_client()
    assert client.post("/api/v1/counters/1/call-next").status_code == 401
    officer = Staff(app, "canbo1")
    no_csrf = officer.client.post("/api/v1/counters/1/open", json={})
    assert no_csrf.status_code == 403 and no_csrf.get_json()["error"] == "forbidden"


def test_an_api_token_acts_for_its_user_without_csrf(app: Any) -> None:
    runner = app.test_cli_runner()
    out = runner.invoke(args=["users", "token", "canbo1", "--json"])
    assert out.exit_code == 0, out.output
    import json

    token = json.loads(out.output)["token"]
    client = app.test_client()
    h = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/counters/1/open", json={}, headers=h).status_code == 200
    assert (
        client.post("/api/v1/counters/1/call-next", json={}, headers=h).get_json()["error"]
        == "queue_empty"
    )


def test_counter_call_next_is_idempotent_with_a_key(app: Any) -> None:
    client = app.test_client()
    issue(client, app)
    issue(client, app)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    a = officer.post("/api/v1/counters/1/call-next", **{"Idempotency-Key": "press-1"})
    b = officer.post("/api/v1/counters/1/call-next", **{"Idempotency-Key": "press-1"})
    assert a.get_json() == b.get_json() and a.status_code == b.status_code == 200
    queue = officer.get("/api/v1/counters/1/queue").get_json()
    assert queue["waiting_total"] == 1


# --- transfer: targets, notes, who may transfer (issue 10 item 3, issue 11 item 12) ----------


def _called_at_1(app: Any, service: str = "ho_tich") -> tuple[Staff, dict[str, Any], int]:
    t = issue(app.test_client(), app, service)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    called = officer.call_next(1).get_json()["ticket"]
    assert called["number"] == t["number"]
    return officer, t, called["id"]


def test_a_transfer_to_a_closed_or_paused_counter_is_refused_with_409(app: Any) -> None:
    officer, t, tid = _called_at_1(app)
    closed = officer.post(f"/api/v1/tickets/{tid}/transfer", {"counter": 4})
    assert closed.status_code == 409 and closed.get_json()["error"] == "conflict"
    assert "Quầy 4 đã đóng" in closed.get_json()["message"]
    four = Staff(app, "canbo4")
    four.open_counter(4)
    four.post("/api/v1/counters/4/pause", {"reason": "Họp"})
    paused = officer.post(f"/api/v1/tickets/{tid}/transfer", {"counter": 4})
    assert paused.status_code == 409 and "Quầy 4 đang tạm nghỉ" in paused.get_json()["message"]
    # Nothing changed: the citizen is still called at counter 1.
    queue = officer.get("/api/v1/counters/1/queue").get_json()
    assert queue["current"]["id"] == tid and queue["current"]["status"] == "called"
    assert app.test_client().get(f"/api/v1/tickets/{t['token']}").get_json()["status"] == "called"
    assert four.post("/api/v1/counters/4/resume").status_code == 200
    assert officer.post(f"/api/v1/tickets/{tid}/transfer", {"counter": 4}).status_code == 200


def test_the_receiving_counter_sees_where_the_ticket_came_from_and_the_note(app: Any) -> None:
    four = Staff(app, "canbo4")
    four.open_counter(4)
    officer, t, tid = _called_at_1(app)
    r = officer.post(
        f"/api/v1/tickets/{tid}/transfer", {"counter": 4, "note": "  Nhận bản sao   trích lục "}
    )
    assert r.status_code == 200, r.get_json()
    waiting = four.get("/api/v1/counters/4/queue").get_json()["waiting"]
    assert [w["number"] for w in waiting] == [t["number"]]
    assert waiting[0]["transfer"] == {"from_counter": 1, "note": "Nhận bản sao trích lục"}
    four.call_next(4)
    current = four.get("/api/v1/counters/4/queue").get_json()["current"]
    assert current["number"] == t["number"]
    assert current["transfer"] == {"from_counter": 1, "note": "Nhận bản sao trích lục"}
    # To a field, without a note: every counter of that field sees where it came from.
    four.post(f"/api/v1/tickets/{tid}/start")
    assert four.post(f"/api/v1/tickets/{tid}/transfer", {"service": "dat_dai"}).status_code == 200
    land = Staff(app, "canbo2")
    land.open_counter(2)
    waiting = land.get("/api/v1/counters/2/queue").get_json()["waiting"]
    assert waiting[0]["number"] == t["number"]
    assert waiting[0]["transfer"] == {"from_counter": 4, "note": ""}


def test_a_transfer_note_must_be_short_text(app: Any) -> None:
    Staff(app, "canbo4").open_counter(4)
    officer, _t, tid = _called_at_1(app)
    for note in (42, ["x"], "x" * 201):
        r = officer.post(f"/api/v1/tickets/{tid}/transfer", {"counter": 4, "note": note})
        assert r.status_code == 422 and r.get_json()["error"] == "invalid_request", note
    assert officer.get("/api/v1/counters/1/queue").get_json()["current"]["id"] == tid


def test_an_officer_transfers_only_tickets_their_counter_holds(app: Any) -> None:
    client = app.test_client()
    waiting = issue(client, app, "ho_tich")
    one = Staff(app, "canbo1")
    one.open_counter(1)
    Staff(app, "canbo4").open_counter(4)
    tid = waiting["id"]
    # A waiting ticket is held by no counter: an officer may not send it anywhere.
    refused = one.post(f"/api/v1/tickets/{tid}/transfer", {"service": "dat_dai"})
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    # Nor one held at another officer's counter.
    held = issue(client, app, "dat_dai")
    two = Staff(app, "canbo2")
    two.open_counter(2)
    held_id = two.call_next(2).get_json()["ticket"]["id"]
    assert held_id == held["id"]
    assert one.post(f"/api/v1/tickets/{held_id}/transfer", {"counter": 4}).status_code == 403
    # Nor one at their own assigned counter while a leader holds it.
    leader = Staff(app, "lanhdao")
    assert leader.post("/api/v1/counters/1/open", {"force": True}).status_code == 200
    at_one = leader.call_next(1).get_json()["ticket"]
    assert at_one["id"] == tid
    assert one.post(f"/api/v1/tickets/{tid}/transfer", {"counter": 4}).status_code == 403
    queue = leader.get("/api/v1/counters/1/queue").get_json()
    assert queue["current"]["id"] == tid
    # Leaders and administrators transfer any ticket, waiting or held.
    assert leader.post(f"/api/v1/tickets/{tid}/transfer", {"counter": 4}).status_code == 200
    admin = Staff(app, "admin")
    assert admin.post(f"/api/v1/tickets/{tid}/transfer", {"service": "dat_dai"}).status_code == 200
    # The officer holding the ticket transfers it.
    assert two.post(f"/api/v1/tickets/{held_id}/transfer", {"counter": 4}).status_code == 200


def test_the_counter_list_gives_each_counters_state_and_queue(app: Any) -> None:
    client = app.test_client()
    issue(client, app, "ho_tich")
    issue(client, app, "ho_tich")
    issue(client, app, "nhan_ket_qua")
    Staff(app, "canbo4").open_counter(4)
    counters = {c["number"]: c for c in client.get("/api/v1/counters").get_json()["counters"]}
    assert counters[1]["state"] == "closed" and counters[4]["state"] == "open"
    # Counter 1 serves ho_tich; 4 serves nhan_ket_qua; 5 (priority) serves every field.
    assert (counters[1]["waiting"], counters[2]["waiting"], counters[4]["waiting"]) == (2, 0, 1)
    assert counters[5]["waiting"] == 3


# --- finish and the dossier (issue 10 item 4) -------------------------------------------------


def _accept_dossier(officer: Staff, ticket_id: int) -> dict[str, Any]:
    r = officer.post(
        "/api/v1/dossiers",
        {"procedure": "HT-XNTTHN", "ticket_id": ticket_id, "applicant": {"full_name": "Lê Văn B"}},
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()  # type: ignore[no-any-return]


def test_finish_refuses_an_outcome_that_contradicts_the_accepted_dossier(app: Any) -> None:
    officer, _t, tid = _called_at_1(app)
    officer.post(f"/api/v1/tickets/{tid}/start")
    dossier = _accept_dossier(officer, tid)
    queue = officer.get("/api/v1/counters/1/queue").get_json()
    assert queue["current"]["dossier"] == {"code": dossier["code"]}
    for outcome in ("guided_only", "supplement_guidance", "refused"):
        r = officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": outcome})
        assert r.status_code == 409 and r.get_json()["error"] == "conflict", outcome
        assert dossier["code"] in r.get_json()["message"]
    assert officer.get("/api/v1/counters/1/queue").get_json()["current"]["status"] == "serving"
    done = officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": "dossier_accepted"})
    assert done.status_code == 200 and done.get_json()["ticket"]["outcome"] == "dossier_accepted"


def test_a_result_returned_on_the_spot_may_finish_a_ticket_with_a_dossier(app: Any) -> None:
    officer, _t, tid = _called_at_1(app)
    officer.post(f"/api/v1/tickets/{tid}/start")
    _accept_dossier(officer, tid)
    done = officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": "result_returned"})
    assert done.status_code == 200 and done.get_json()["ticket"]["outcome"] == "result_returned"


def test_without_a_dossier_every_outcome_is_still_allowed(app: Any) -> None:
    client = app.test_client()
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    for outcome in ("guided_only", "supplement_guidance", "refused"):
        issue(client, app)
        tid = officer.call_next(1).get_json()["ticket"]["id"]
        officer.post(f"/api/v1/tickets/{tid}/start")
        r = officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": outcome})
        assert r.status_code == 200 and r.get_json()["ticket"]["outcome"] == outcome


# --- the counter's queue list is the call-next order (issue 10 item 8) ----------------------


def test_the_queue_list_is_the_order_call_next_takes_even_with_a_requeued_ticket(
    app: Any,
) -> None:
    client = app.test_client()
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    first = issue(client, app)  # A001, called then absent, comes back later
    tid = officer.call_next(1).get_json()["ticket"]["id"]
    officer.post(f"/api/v1/tickets/{tid}/no-show")
    for priority in (None, "elderly", None, None, "disabled", None):
        issue(client, app, "chung_thuc" if priority else "ho_tich", priority=priority)
    assert officer.post(f"/api/v1/tickets/{tid}/requeue").status_code == 200
    queue = officer.get("/api/v1/counters/1/queue").get_json()
    listed = [w["number"] for w in queue["waiting"]]
    assert queue["waiting_total"] == len(listed) == 7
    # The requeued A001 is the oldest ticket, but a waiting priority ticket goes first.
    assert listed[0] != first["number"] and first["number"] in listed
    called = []
    for _ in listed:
        t = officer.call_next(1).get_json()["ticket"]
        called.append(t["number"])
        officer.post(f"/api/v1/tickets/{t['id']}/no-show")
    assert called == listed


def test_a_dossier_cannot_be_hung_on_a_ticket_finished_as_only_guided(app: Any) -> None:
    """The other way round: a ticket already counted as "Chỉ hướng dẫn" takes no dossier (the
    figures would say guided for a citizen whose dossier was taken); the officer accepts it
    without a number instead."""
    officer, t, tid = _called_at_1(app)
    officer.post(f"/api/v1/tickets/{tid}/start")
    finished = officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": "guided_only"})
    assert finished.status_code == 200
    r = officer.post(
        "/api/v1/dossiers",
        {"procedure": "HT-XNTTHN", "ticket_id": tid, "applicant": {"full_name": "Lê Văn B"}},
    )
    assert r.status_code == 409 and r.get_json()["error"] == "conflict"
    assert t["number"] in r.get_json()["message"] and "Chỉ hướng dẫn" in r.get_json()["message"]
    alone = officer.post(
        "/api/v1/dossiers", {"procedure": "HT-XNTTHN", "applicant": {"full_name": "Lê Văn B"}}
    )
    assert alone.status_code == 201


def test_closing_a_counter_hands_its_transferred_tickets_back_to_their_fields_line(
    app: Any, published: Any
) -> None:
    """A number sent to counter 4 is not stranded when counter 4 closes: it goes back to its
    field's line, the phone is told, and a counter of that field calls it next."""
    import time

    four = Staff(app, "canbo4")
    four.open_counter(4)
    officer, t, tid = _called_at_1(app)
    assert officer.post(f"/api/v1/tickets/{tid}/transfer", {"counter": 4}).status_code == 200
    view = app.test_client().get(f"/api/v1/tickets/{t['token']}").get_json()
    assert view["next_counter"]["number"] == 4
    from lobby.extensions import socketio

    phone = socketio.test_client(app, auth={"ticket": t["token"]})  # someone follows it

    assert four.post("/api/v1/counters/4/close").status_code == 200

    view = app.test_client().get(f"/api/v1/tickets/{t['token']}").get_json()
    assert (view["status"], view["next_counter"], view["ahead"]) == ("waiting", None, 0)
    room = f"ticket:{t['token']}"
    deadline = time.monotonic() + 5
    while not any(
        room in rooms and p.get("next_counter") is None and p["status"] == "waiting"
        for p, rooms in published.named("ticket_updated")
    ):
        assert time.monotonic() < deadline, "the phone was not told its new place"
        time.sleep(0.02)
    phone.disconnect()
    assert officer.call_next(1).get_json()["ticket"]["id"] == tid
