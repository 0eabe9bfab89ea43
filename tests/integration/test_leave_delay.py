"""Leaving the line and letting others go first, from the phone: the API, the history kept for
staff, what the board and the phones behind are told, and the queue rule with delays (the order
call-next takes tickets is the order of the places their phones show)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from core.clock import FixedClock
from tests.integration.helpers import Staff, issue


def _leave(client: Any, token: str) -> Any:
    return client.post(f"/api/v1/tickets/{token}/leave")


def _delay(client: Any, token: str) -> Any:
    return client.post(f"/api/v1/tickets/{token}/delay")


def _ahead(client: Any, token: str) -> int:
    return int(client.get(f"/api/v1/tickets/{token}").get_json()["ahead"])


def _history(app: Any, number: str) -> list[tuple[str, str | None, str, dict[str, Any]]]:
    with app.app_context():
        from sqlalchemy import select

        from lobby.extensions import db
        from lobby.models import Ticket, TicketEvent

        rows = db.session.execute(
            select(
                TicketEvent.action,
                TicketEvent.from_status,
                TicketEvent.to_status,
                TicketEvent.detail,
            )
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(Ticket.number == number)
            .order_by(TicketEvent.id)
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_leaving_cancels_the_ticket_and_the_people_behind_move_up(app: Any, published: Any) -> None:
    client = app.test_client()
    a, b, c = (issue(client, app) for _ in range(3))
    assert _ahead(client, c["token"]) == 2
    r = _leave(client, a["token"])
    assert r.status_code == 200, r.get_json()
    view = r.get_json()
    assert view["number"] == a["number"] and view["status"] == "cancelled" and view["ahead"] == 0
    assert set(view) >= {"service", "counter", "called_at", "dossier", "rated"}
    assert _ahead(client, b["token"]) == 0 and _ahead(client, c["token"]) == 1
    board = client.get("/api/v1/board").get_json()
    assert board["waiting"]["ho_tich"] == 2
    # The board's count and the leaver's own phone are told after the commit.
    counts = [p for p, rooms in published.named("queue_changed") if "service:ho_tich" in rooms]
    assert {k: counts[-1][k] for k in ("service", "waiting")} == {
        "service": "ho_tich",
        "waiting": 2,
    }
    mine = [p for p, rooms in published.named("ticket_updated") if f"ticket:{a['token']}" in rooms]
    assert mine[-1]["status"] == "cancelled"
    assert _history(app, a["number"])[-1][:3] == ("leave", "waiting", "cancelled")
    # The counter calls the next one in line, never the ticket that left.
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    assert officer.call_next(1).get_json()["ticket"]["number"] == b["number"]


def test_a_double_tap_on_leave_answers_the_same_ticket_once_cancelled(app: Any) -> None:
    client = app.test_client()
    t = issue(client, app)
    first, second = _leave(client, t["token"]), _leave(client, t["token"])
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    assert [e[0] for e in _history(app, t["number"])] == ["issue", "leave"]


def test_only_a_waiting_ticket_may_leave_or_delay(app: Any) -> None:
    client = app.test_client()
    t, behind = issue(client, app), issue(client, app)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    tid = officer.call_next(1).get_json()["ticket"]["id"]
    for state in ("called", "serving", "done"):
        if state == "serving":
            officer.post(f"/api/v1/tickets/{tid}/start")
        if state == "done":
            officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": "guided_only"})
        for attempt in (_leave, _delay):
            r = attempt(client, t["token"])
            assert r.status_code == 409, (state, r.get_json())
            body = r.get_json()
            assert body["error"] == "conflict" and "Không thể thực hiện thao tác" in body["message"]
    assert client.get(f"/api/v1/tickets/{t['token']}").get_json()["status"] == "done"
    # A ticket cancelled by leaving cannot be delayed either; an officer's no-show cannot leave.
    _leave(client, behind["token"])
    assert _delay(client, behind["token"]).status_code == 409


def test_an_unknown_token_is_a_404_for_leave_and_delay(app: Any) -> None:
    client = app.test_client()
    for attempt in (_leave, _delay):
        r = attempt(client, "no-such-ticket-token-here")
        assert r.status_code == 404 and r.get_json()["error"] == "not_found"
        assert attempt(client, "x" * 300).status_code == 404


def _issue_apart(client: Any, app: Any, clock: FixedClock, n: int) -> list[dict[str, Any]]:
    """n tickets a second apart (tickets of the same instant share a line time)."""
    out = []
    for _ in range(n):
        clock.advance(seconds=1)
        out.append(issue(client, app))
    return out


def test_a_delay_lets_three_people_go_first_twice_at_most_with_its_history(
    app: Any, clock: FixedClock
) -> None:
    client = app.test_client()
    tickets = _issue_apart(client, app, clock, 8)
    first = tickets[0]
    r = _delay(client, first["token"])
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["ahead_before"], body["ahead"], body["delays_left"]) == (0, 3, 1)
    assert body["ticket"]["ahead"] == 3 and body["ticket"]["status"] == "waiting"
    assert [_ahead(client, t["token"]) for t in tickets[1:4]] == [0, 1, 2]
    again = _delay(client, first["token"]).get_json()
    assert (again["ahead_before"], again["ahead"], again["delays_left"]) == (3, 6, 0)
    third = _delay(client, first["token"])
    assert third.status_code == 409 and "không thể nhường thêm" in third.get_json()["message"]
    history = _history(app, first["number"])
    assert [(e[0], e[1], e[2]) for e in history] == [
        ("issue", None, "waiting"),
        ("delay", "waiting", "waiting"),
        ("delay", "waiting", "waiting"),
    ]
    assert history[1][3] == {"ahead_before": 0, "ahead": 3}
    # The counter's list and its calls follow the new order.
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    waiting = officer.get("/api/v1/counters/1/queue").get_json()["waiting"]
    listed = [w["number"] for w in waiting]
    expected = [t["number"] for t in tickets[1:7]] + [first["number"], tickets[7]["number"]]
    assert listed == expected
    # The officer sees that the holder let others go first, twice.
    assert [w["delays"] for w in waiting] == [0] * 6 + [2, 0]
    called = []
    for _ in tickets:
        _finish_current(officer, 1)
        called.append(officer.call_next(1).get_json()["ticket"]["number"])
    assert called == expected


def test_tickets_of_the_same_instant_share_a_line_time_and_a_delay_passes_them_all(
    app: Any,
) -> None:
    client = app.test_client()
    first, *others = (issue(client, app) for _ in range(5))
    body = _delay(client, first["token"]).get_json()
    assert body["ahead"] == 4 and [_ahead(client, t["token"]) for t in others] == [0, 1, 2, 3]


def test_the_last_in_line_has_nobody_to_let_go_first(app: Any) -> None:
    client = app.test_client()
    issue(client, app)
    last = issue(client, app)
    r = _delay(client, last["token"])
    assert r.status_code == 409 and "Không có ai đang chờ sau" in r.get_json()["message"]
    assert [e[0] for e in _history(app, last["number"])] == ["issue"]


def test_the_office_sets_how_far_and_how_often(app: Any, clock: FixedClock) -> None:
    admin = Staff(app, "admin")
    setup = admin.get("/admin/setup").get_data(as_text=True)
    assert 'name="delay_places" value="3"' in setup and 'name="delay_max" value="2"' in setup
    form = {
        "csrf_token": admin.csrf,
        "action": "office",
        "name": "Trung tâm Phục vụ hành chính công xã Tân Lập",
        "interleave_n": "2",
    }
    too_far = admin.client.post(
        "/admin/setup", data={**form, "delay_places": "99"}, follow_redirects=True
    )
    assert "phải từ 1 đến 20" in too_far.get_data(as_text=True)
    saved = admin.client.post("/admin/setup", data={**form, "delay_places": "1", "delay_max": "1"})
    assert saved.status_code in (200, 302, 303)
    setup = admin.get("/admin/setup").get_data(as_text=True)
    assert 'name="delay_places" value="1"' in setup and 'name="delay_max" value="1"' in setup
    client = app.test_client()
    a, _b, _c = _issue_apart(client, app, clock, 3)
    body = _delay(client, a["token"]).get_json()
    assert (body["ahead"], body["delays_left"]) == (1, 0)
    assert _delay(client, a["token"]).status_code == 409
    assert "Để người sau lên trước" not in client.get(f"/t/{a['token']}").get_data(as_text=True)
    # 0: the office turns delays off; the page no longer offers it.
    admin.client.post("/admin/setup", data={**form, "delay_max": "0"})
    assert _delay(client, _c["token"]).status_code == 409


def _finish_current(officer: Staff, n: int) -> None:
    queue = officer.get(f"/api/v1/counters/{n}/queue").get_json()
    if queue["current"] is not None:
        tid = queue["current"]["id"]
        officer.post(f"/api/v1/tickets/{tid}/start")
        officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": "guided_only"})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_with_delays_call_next_takes_each_line_in_the_order_of_the_places_phones_show(
    app: Any, clock: FixedClock, seed: int
) -> None:
    """Random lines of normal and priority tickets in two fields of one counter, random delays
    (some refused: last in line, out of delays): the counter's list is what call-next takes,
    and within each kind and field the tickets are called in the order of their phones' places."""
    rng = random.Random(seed)
    client = app.test_client()
    tickets = []
    for _ in range(rng.randint(6, 14)):
        if rng.random() < 0.7:  # some tickets share an instant
            clock.advance(seconds=rng.randint(1, 30))
        field = rng.choice(["ho_tich", "chung_thuc"])
        priority = "elderly" if rng.random() < 0.3 else None
        tickets.append({**issue(client, app, field, priority), "field": field, "prio": priority})
    for _ in range(rng.randint(3, 10)):
        r = _delay(client, rng.choice(tickets)["token"])
        assert r.status_code in (200, 409), r.get_json()
    places = {t["number"]: _ahead(client, t["token"]) for t in tickets}
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    listed = [w["number"] for w in officer.get("/api/v1/counters/1/queue").get_json()["waiting"]]
    called = []
    for _ in tickets:
        _finish_current(officer, 1)
        r = officer.call_next(1)
        assert r.status_code == 200, r.get_json()
        called.append(r.get_json()["ticket"]["number"])
    assert called == listed
    for field in ("ho_tich", "chung_thuc"):
        for prio in (None, "elderly"):
            line = [t["number"] for t in tickets if t["field"] == field and t["prio"] == prio]
            in_call_order = [n for n in called if n in line]
            assert in_call_order == sorted(line, key=lambda n: places[n]), (field, prio)
            # Places are distinct within a kind: no two phones show the same place.
            assert len({places[n] for n in line}) == len(line)


# --- the ticket page's forms (no JavaScript needed) -------------------------------------------


def test_the_ticket_page_offers_both_with_a_confirmation_and_leaving_shows_the_way_back(
    app: Any, clock: FixedClock
) -> None:
    client = app.test_client()
    t, _behind = _issue_apart(client, app, clock, 2)
    page = client.get(f"/t/{t['token']}").get_data(as_text=True)
    assert "Tôi không chờ nữa" in page and "Để người sau lên trước" in page
    assert f'action="/t/{t["token"]}/leave"' in page and "<details" in page
    assert "Quý khách còn được nhường lượt 2 lần." in page
    moved = client.post(f"/t/{t['token']}/delay")
    assert moved.status_code == 303 and moved.headers["Location"].endswith("?nhuong=1")
    page = client.get(moved.headers["Location"]).get_data(as_text=True)
    assert "Quý khách đã nhường lượt cho người phía sau." in page
    assert "Quý khách còn được nhường lượt 1 lần." in page
    gone = client.post(f"/t/{t['token']}/leave")
    assert gone.status_code == 303 and gone.headers["Location"].endswith(f"/t/{t['token']}")
    page = client.get(f"/t/{t['token']}").get_data(as_text=True)
    assert "Quý khách đã rời hàng chờ. Số thứ tự này đã được hủy." in page
    assert "mời Quý khách lấy số mới tại máy lấy số ở sảnh" in page
    assert "status-cancelled" in page


def test_the_page_says_why_when_leaving_is_too_late_and_a_wrong_token_is_a_friendly_404(
    app: Any,
) -> None:
    client = app.test_client()
    t = issue(client, app)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    officer.call_next(1)
    late = client.post(f"/t/{t['token']}/leave")
    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert "Không thể thực hiện thao tác" in page and "Rời hàng chờ" in page
    assert client.post("/t/no-such-token-at-all/leave").status_code == 404
    assert client.post("/t/no-such-token-at-all/delay").status_code == 404


def test_an_officer_cancelling_is_told_apart_from_the_holder_leaving(app: Any) -> None:
    with app.test_request_context():
        from phone.views import phone_strings, state_text

        strings = phone_strings()
        view = {"status": "cancelled"}
        assert state_text(view, strings)["head"].startswith("Số thứ tự này đã được hủy")
        assert state_text(view, strings, left=True)["head"].startswith("Quý khách đã rời")


def test_the_answers_match_the_documented_schemas(app: Any, clock: FixedClock) -> None:
    from tests.integration.test_openapi import Checker

    c = Checker(app)
    client = app.test_client()
    a, b, _c = _issue_apart(client, app, clock, 3)
    delay_path, leave_path = "/api/v1/tickets/{token}/delay", "/api/v1/tickets/{token}/leave"
    c.check("post", delay_path, _delay(client, a["token"]))
    c.check("post", delay_path, _delay(client, "zzz"))
    c.check("post", leave_path, _leave(client, b["token"]))
    c.check("post", leave_path, _leave(client, b["token"]))
    c.check("post", delay_path, _delay(client, b["token"]))  # 409: left
    c.check("post", leave_path, _leave(client, "zzz"))
    bad = client.post(
        f"/api/v1/tickets/{a['token']}/leave", data="[", content_type="application/json"
    )
    assert bad.status_code == 400
    c.check("post", leave_path, bad)
