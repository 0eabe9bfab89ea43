"""Kiosk and public routes through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.clock import FixedClock
from tests.conftest import VN
from tests.integration.helpers import device_token, issue, kiosk_headers


def test_a_kiosk_issues_numbered_tickets_per_field_with_a_phone_link(app: Any) -> None:
    client = app.test_client()
    first = issue(client, app, "ho_tich")
    second = issue(client, app, "ho_tich")
    other = issue(client, app, "chung_thuc")
    assert (first["number"], second["number"], other["number"]) == ("A001", "A002", "B001")
    assert second["ahead"] == 1 and first["ahead"] == 0
    assert second["url"] == f"http://lobby.test/t/{second['token']}"
    assert len(second["token"]) >= 22 and second["token"] != first["token"]
    assert first["issued_at"].endswith("+07:00")
    assert first["print"] == {"status": "none"} or first["print"]["status"] in {
        "queued",
        "printed",
        "failed",
    }


def test_the_public_view_of_a_ticket_has_no_personal_data_and_no_priority_reason(app: Any) -> None:
    client = app.test_client()
    t = issue(client, app, "chinh_sach", "disabled")
    view = client.get(f"/api/v1/tickets/{t['token']}").get_json()
    assert view["number"] == "D001" and view["status"] == "waiting" and view["ahead"] == 0
    text = str(view)
    assert "disabled" not in text and "priority" not in view


def test_an_unknown_ticket_token_is_a_clear_404(app: Any) -> None:
    r = app.test_client().get("/api/v1/tickets/not-a-real-token")
    assert r.status_code == 404
    assert r.get_json()["error"] == "not_found" and "phiếu" in r.get_json()["message"]


def test_issuing_needs_a_kiosk_device(app: Any) -> None:
    client = app.test_client()
    assert client.post("/api/v1/tickets", json={"service": "ho_tich"}).status_code == 401
    bad = client.post(
        "/api/v1/tickets", json={"service": "ho_tich"}, headers={"Authorization": "Bearer nope"}
    )
    assert bad.status_code == 401 and bad.get_json()["error"] == "unauthorized"
    board = client.post(
        "/api/v1/tickets",
        json={"service": "ho_tich"},
        headers={"Authorization": f"Bearer {device_token(app, 'board')}"},
    )
    assert board.status_code == 403 and board.get_json()["error"] == "forbidden"


def test_bad_bodies_get_clear_errors_never_a_500(app: Any) -> None:
    client = app.test_client()
    h = kiosk_headers(app)
    not_json = client.post(
        "/api/v1/tickets", data="{oops", headers=h, content_type="application/json"
    )
    assert not_json.status_code == 400 and not_json.get_json()["error"] == "bad_request"
    cases = [
        ({"service": 5}, 422),
        ({}, 422),
        ({"service": "ho_tich", "priority": "vip"}, 422),
        ({"service": "khong_co"}, 422),
        (["ho_tich"], 422),
    ]
    for body, status in cases:
        r = client.post("/api/v1/tickets", json=body, headers=kiosk_headers(app))
        assert r.status_code == status, (body, r.get_json())
        assert set(r.get_json()) >= {"error", "message"}
    assert client.get("/api/v1/services").get_json()["services"][0]["waiting"] == 0


def test_the_same_idempotency_key_returns_the_first_ticket_instead_of_a_second(app: Any) -> None:
    client = app.test_client()
    h = kiosk_headers(app, key="tap-1")
    first = client.post("/api/v1/tickets", json={"service": "ho_tich"}, headers=h)
    again = client.post("/api/v1/tickets", json={"service": "ho_tich"}, headers=h)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    other_body = client.post("/api/v1/tickets", json={"service": "chung_thuc"}, headers=h)
    assert other_body.status_code == 409 and other_body.get_json()["error"] == "conflict"
    services = {s["code"]: s for s in client.get("/api/v1/services").get_json()["services"]}
    assert services["ho_tich"]["waiting"] == 1 and services["chung_thuc"]["waiting"] == 0


def test_issuing_is_refused_outside_the_working_windows(app: Any, clock: FixedClock) -> None:
    client = app.test_client()
    clock.set(datetime(2026, 11, 30, 12, 0, tzinfo=VN))  # lunch break
    r = client.post("/api/v1/tickets", json={"service": "ho_tich"}, headers=kiosk_headers(app))
    assert r.status_code == 409 and r.get_json()["error"] == "outside_hours"
    assert "07:00" in r.get_json()["message"]
    assert all(not s["open"] for s in client.get("/api/v1/services").get_json()["services"])
    clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=VN))  # Saturday
    r = client.post("/api/v1/tickets", json={"service": "ho_tich"}, headers=kiosk_headers(app))
    assert r.status_code == 409


def test_a_field_stops_issuing_at_its_daily_limit_and_says_how_many_are_left(app: Any) -> None:
    from lobby.extensions import db
    from lobby.models import Field

    with app.app_context():
        f = db.session.scalar(db.select(Field).where(Field.code == "chung_thuc"))
        f.daily_ticket_limit = 2
        db.session.commit()
    client = app.test_client()
    issue(client, app, "chung_thuc")
    left = {s["code"]: s for s in client.get("/api/v1/services").get_json()["services"]}[
        "chung_thuc"
    ]
    assert left["daily_limit_left"] == 1 and left["open"]
    issue(client, app, "chung_thuc")
    r = client.post("/api/v1/tickets", json={"service": "chung_thuc"}, headers=kiosk_headers(app))
    assert r.status_code == 409 and r.get_json()["error"] == "daily_limit_reached"
    left = {s["code"]: s for s in client.get("/api/v1/services").get_json()["services"]}[
        "chung_thuc"
    ]
    assert left["daily_limit_left"] == 0 and not left["open"]


def test_numbers_restart_on_the_next_service_day(app: Any, clock: FixedClock) -> None:
    client = app.test_client()
    assert issue(client, app)["number"] == "A001"
    assert issue(client, app)["number"] == "A002"
    clock.set(datetime(2026, 12, 1, 7, 5, tzinfo=VN))
    assert issue(client, app)["number"] == "A001"


def test_tickets_left_open_expire_after_their_day(app: Any, clock: FixedClock) -> None:
    client = app.test_client()
    t = issue(client, app)
    clock.set(datetime(2026, 12, 1, 7, 5, tzinfo=VN))
    with app.app_context():
        from lobby.housekeeping import expire_stale_tickets

        assert expire_stale_tickets() == 1
    assert client.get(f"/api/v1/tickets/{t['token']}").get_json()["status"] == "expired"


def test_lists_are_wrapped_in_objects(app: Any) -> None:
    client = app.test_client()
    services = client.get("/api/v1/services").get_json()["services"]
    assert [s["prefix"] for s in services] == ["A", "B", "C", "D", "E", "H", "K"]
    counters = client.get("/api/v1/counters").get_json()["counters"]
    assert [c["number"] for c in counters] == [1, 2, 3, 4, 5]
    assert [c["priority"] for c in counters] == [False, False, False, False, True]
    procs = client.get("/api/v1/procedures?service=ho_tich").get_json()["procedures"]
    assert procs and all(p["service"] == "ho_tich" for p in procs)
    assert client.get("/api/v1/procedures?service=nope").status_code == 404


def test_health_reports_the_database(app: Any) -> None:
    r = app.test_client().get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok", "realtime": "ok"}


def test_english_messages_with_accept_language_en(app: Any) -> None:
    r = app.test_client().get("/api/v1/tickets/nope", headers={"Accept-Language": "en"})
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"


def test_a_ticket_issued_outside_the_working_hours_has_no_session_on_paper_or_in_the_api(
    db_url: str, tmp_path: Any, clock: FixedClock
) -> None:
    """Open-always mode (LOBBY_OPEN_ALWAYS) at 20:16: not "Buổi: Chiều", no session at all."""
    from lobby.extensions import db
    from lobby.models import Field, Office, Ticket
    from lobby.printing.slips import ticket_slip
    from lobby.setup.demo import load_demo
    from printers.layout import layout_ticket
    from tests.conftest import build_app

    app = build_app(db_url, tmp_path, clock, LOBBY_OPEN_ALWAYS=True)
    try:
        with app.app_context():
            app.demo = load_demo()
            db.session.remove()
        client = app.test_client()
        sessions = {}
        for hour, minute in ((8, 15), (14, 0), (20, 16), (12, 0)):
            clock.set(datetime(2026, 11, 30, hour, minute, tzinfo=VN))  # a Monday
            sessions[(hour, minute)] = issue(client, app, "ho_tich")
        clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=VN))  # Saturday: no ticketing window
        saturday = issue(client, app, "ho_tich")
        # 12:00 is the lunch break between the two windows: outside the hours too.
        got = [t["session"] for t in sessions.values()]
        assert got == ["sang", "chieu", "ngoai_gio", "ngoai_gio"]
        assert saturday["session"] == "ngoai_gio"
        with app.app_context():
            lines = {}
            for key, issued in {**sessions, "sat": saturday}.items():
                t = db.session.get(Ticket, issued["id"])
                f, o = db.session.get(Field, t.field_id), db.session.get(Office, t.office_id)
                slip = ticket_slip(t, f, o, ahead=0)  # only the session lines are read
                lines[key] = [line.text for line in layout_ticket(slip).lines]
            db.session.remove()
        assert "Buổi: Sáng" in lines[(8, 15)] and "Buổi: Chiều" in lines[(14, 0)]
        for key in ((20, 16), (12, 0), "sat"):
            assert "Ngoài giờ làm việc" in lines[key]
            assert not any(text.startswith("Buổi:") for text in lines[key])
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
