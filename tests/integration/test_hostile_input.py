"""Bad input never gives a 500 (API.md): hostile bodies, paths, queries, headers and socket
payloads are refused with a clear 4xx, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from lobby.extensions import socketio
from tests.integration.helpers import Staff, device_token, issue, kiosk_headers

HUGE = 2**70  # beyond 64 bits
DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"service": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}"


def _is_api_error(r: Any, *statuses: int) -> None:
    assert r.status_code in statuses, (r.status_code, r.get_data(as_text=True)[:300])
    body = r.get_json()
    assert set(body) >= {"error", "message"} and body["message"]


def _is_friendly_page(r: Any, *statuses: int) -> None:
    assert r.status_code in statuses, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert "Về trang chủ" in page and "Traceback" not in page


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_json_nested_a_thousand_deep_is_refused_on_every_json_route(app: Any, body: str) -> None:
    client = app.test_client()
    token = issue(client, app)["token"]
    officer = Staff(app, "canbo1")
    for path, headers, who in [
        ("/api/v1/tickets", kiosk_headers(app), client),
        ("/api/v1/dossiers/lookup", {}, client),
        (f"/api/v1/tickets/{token}/rating", {}, client),
        ("/api/v1/counters/1/pause", {"X-CSRF-Token": officer.csrf}, officer.client),
        ("/api/v1/dossiers", {"X-CSRF-Token": officer.csrf}, officer.client),
    ]:
        r = who.post(path, data=body, content_type="application/json", headers=headers)
        _is_api_error(r, 400)
        assert r.get_json()["error"] == "bad_request", path


def test_a_lone_surrogate_in_a_body_is_invalid_request(app: Any) -> None:
    client = app.test_client()
    r = client.post(
        "/api/v1/dossiers/lookup",
        data='{"code": "\\udc00", "pin": "123456"}',
        content_type="application/json",
    )
    _is_api_error(r, 422)
    r = client.post(
        "/api/v1/tickets",
        data='{"service": "ho_tich\\udc00"}',
        content_type="application/json",
        headers=kiosk_headers(app),
    )
    _is_api_error(r, 422)
    assert r.get_json()["error"] == "invalid_request"
    # Nothing was issued.
    waiting = {
        s["code"]: s["waiting"] for s in client.get("/api/v1/services").get_json()["services"]
    }
    assert waiting["ho_tich"] == 0


def test_a_nul_byte_is_refused_wherever_it_comes_from(app: Any) -> None:
    client = app.test_client()
    ticket = issue(client, app)
    officer = Staff(app, "canbo1")
    # Paths and queries, for people and for the API.
    for path in [
        f"/t/{ticket['token']}%00",
        "/d/abc%00def",
        "/api/v1/tickets/abc%00",
        "/api/v1/dossiers/public/abc%00",
        "/api/v1/procedures?service=ho%00tich",
        "/tra-cuu?x=%00",
    ]:
        r = client.get(path)
        if path.startswith("/api/"):
            _is_api_error(r, 400)
        else:
            _is_friendly_page(r, 400)
    # A form (the public lookup page) and JSON bodies.
    _is_friendly_page(client.post("/tra-cuu", data={"code": "H15\x00", "pin": "123456"}), 400)
    r = client.post("/api/v1/dossiers/lookup", json={"code": "a\x00b", "pin": "123456"})
    _is_api_error(r, 422)
    r = client.post(f"/api/v1/tickets/{ticket['token']}/rating", json={"level": "hai\x00long"})
    _is_api_error(r, 422)
    r = client.post("/api/v1/tickets", json={"service": "ho\x00"}, headers=kiosk_headers(app))
    _is_api_error(r, 422)
    # Headers: an Idempotency-Key, a bearer token.
    r = client.post(
        "/api/v1/tickets",
        json={"service": "ho_tich"},
        headers={**kiosk_headers(app), "Idempotency-Key": "k\x00"},
    )
    _is_api_error(r, 400)
    r = client.get("/api/v1/counters/1/queue", headers={"Authorization": "Bearer st_\x00"})
    _is_api_error(r, 400)
    # Staff routes: dossier codes in paths, search and form fields.
    for path in [
        "/api/v1/dossiers/H15%00",
        "/admin/dossiers/H15%00",
        "/admin/dossiers?code=H15%00",
        "/admin/dossiers/H15%00/receipt",
    ]:
        r = officer.get(path)
        assert r.status_code == 400, (path, r.status_code)
    r = officer.post("/api/v1/dossiers/H15%00/events", json={"action": "handover"})
    _is_api_error(r, 400)
    r = officer.post("/api/v1/counters/1/pause", json={"reason": "nghỉ\x00"})
    _is_api_error(r, 422)
    r = officer.client.post(
        "/admin/dossiers/new", data={"csrf_token": officer.csrf, "procedure": "x\x00"}
    )
    _is_friendly_page(r, 400)
    # The ticket is still there and well.
    assert client.get(f"/api/v1/tickets/{ticket['token']}").status_code == 200


def test_integers_beyond_64_bits_are_refused_not_overflowed(app: Any) -> None:
    client = app.test_client()
    ticket = issue(client, app)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    for path in [
        f"/api/v1/counters/{HUGE}/call-next",
        f"/api/v1/tickets/{HUGE}/recall",
        f"/api/v1/tickets/{HUGE}/finish",
        f"/api/v1/tickets/{HUGE}/reprint",
    ]:
        _is_api_error(officer.post(path), 404)
    _is_api_error(officer.get(f"/api/v1/counters/{HUGE}/queue"), 404)
    called = officer.call_next(1).get_json()["ticket"]
    assert called["number"] == ticket["number"]
    for path, body in [
        (f"/api/v1/tickets/{called['id']}/transfer", {"counter": HUGE}),
        (f"/api/v1/tickets/{called['id']}/reprint", {"device": HUGE}),
        (
            "/api/v1/dossiers",
            {"ticket_id": HUGE, "procedure": "x", "applicant": {"full_name": "Nguyễn Văn A"}},
        ),
    ]:
        _is_api_error(officer.post(path, json=body), 422)
    _is_api_error(client.get(f"/api/v1/board?board={HUGE}"), 404)
    for path in [f"/counter?counter={HUGE}", f"/admin/dossiers/new?ticket={HUGE}"]:
        r = officer.get(path)
        assert r.status_code < 500, (path, r.status_code)
    # The counter still holds its ticket.
    queue = officer.get("/api/v1/counters/1/queue").get_json()
    assert queue["current"]["number"] == ticket["number"]


@pytest.mark.parametrize("year", ["-5", "0", "99999", "10000", "abc"])
def test_a_calendar_year_out_of_range_is_not_a_500(app: Any, year: str) -> None:
    officer = Staff(app, "lanhdao")
    r = officer.get(f"/admin/calendar?year={year}")
    assert r.status_code in (200, 404), r.status_code
    if r.status_code == 404:
        _is_friendly_page(r, 404)


def test_an_unknown_service_in_a_ticket_body_is_invalid_request(app: Any) -> None:
    r = app.test_client().post(
        "/api/v1/tickets", json={"service": "khong_co"}, headers=kiosk_headers(app)
    )
    _is_api_error(r, 422)
    assert r.get_json()["error"] == "invalid_request"


def test_a_405_names_the_methods_allowed(app: Any) -> None:
    client = app.test_client()
    r = client.get("/api/v1/tickets")
    _is_api_error(r, 405)
    assert "POST" in r.headers["Allow"]
    r = client.get("/logout")
    _is_friendly_page(r, 405)
    assert "POST" in r.headers["Allow"]


@pytest.mark.parametrize("payload", ["room", ["lobby"], 5, None, {"room": ["x"]}])
def test_socket_join_and_leave_with_any_payload_answer_without_error(
    app: Any, payload: Any
) -> None:
    board = socketio.test_client(app, auth={"device_token": device_token(app, "board")})
    assert board.is_connected()
    for event in ("join", "leave"):
        answer = board.emit(event, payload, callback=True)
        assert isinstance(answer, dict) and "ok" in answer
    assert board.is_connected()
    board.disconnect()


@pytest.mark.parametrize(
    "auth",
    [
        {"ticket": "abc\x00"},
        {"dossier": "abc\x00"},
        {"device_token": "dv_\x00"},
        {"token": "st_\x00"},
        {"counter": HUGE},
        {"counter": "x\x00"},
    ],
)
def test_socket_connect_with_hostile_credentials_is_refused_cleanly(app: Any, auth: Any) -> None:
    officer = Staff(app, "canbo1")
    client = socketio.test_client(app, flask_test_client=officer.client, auth=auth)
    assert not client.is_connected()
