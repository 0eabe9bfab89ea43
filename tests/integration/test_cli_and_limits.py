"""The command line of API.md, and rate limits on issuing and public lookups."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.helpers import Staff, kiosk_headers

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_demo_refuses_to_load_twice(app: Any) -> None:
    out = app.test_cli_runner().invoke(args=["demo", "--json"])
    assert out.exit_code != 0 and "already has an office" in out.output


def test_users_create_prints_a_generated_password_that_signs_in(app: Any) -> None:
    out = app.test_cli_runner().invoke(
        args=["users", "create", "canbo9", "--role", "officer", "--counter", "2", "--json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["username"] == "canbo9" and data["counter"] == 2 and len(data["password"]) >= 12
    app.demo["users"].append({"username": "canbo9", "password": data["password"]})
    officer = Staff(app, "canbo9")
    assert officer.post("/api/v1/counters/2/open").status_code == 200
    again = app.test_cli_runner().invoke(args=["users", "create", "canbo9", "--role", "officer"])
    assert again.exit_code != 0 and "Tên đăng nhập canbo9 đã có." in again.output


def test_devices_create_gives_a_token_that_works_and_a_pairing_link(app: Any) -> None:
    out = app.test_cli_runner().invoke(
        args=["devices", "create", "kiosk", "Kiosk tầng 2", "--json"]
    )
    data = json.loads(out.output)
    assert (
        data["kind"] == "kiosk" and data["pairing_url"] == f"http://lobby.test/pair/{data['token']}"
    )
    client = app.test_client()
    r = client.post(
        "/api/v1/tickets",
        json={"service": "ho_tich"},
        headers={"Authorization": f"Bearer {data['token']}"},
    )
    assert r.status_code == 201
    paired = client.get(f"/pair/{data['token']}")
    assert paired.status_code == 302 and paired.headers["Location"].endswith("/kiosk")
    assert (
        "lobby_device=" in paired.headers["Set-Cookie"]
        and "HttpOnly" in paired.headers["Set-Cookie"]
    )
    assert client.get("/pair/not-a-token").status_code == 404


def test_a_bad_printer_url_is_refused_when_the_device_is_created(app: Any) -> None:
    out = app.test_cli_runner().invoke(
        args=["devices", "create", "kiosk", "K", "--printer", "lpt1"]
    )
    assert out.exit_code != 0 and "printer" in out.output.lower()


def test_device_and_api_tokens_are_stored_only_as_hashes(app: Any) -> None:
    from sqlalchemy import text

    from lobby.extensions import db

    token = next(d["token"] for d in app.demo["devices"] if d["kind"] == "kiosk")
    with app.app_context():
        stored = [r[0] for r in db.session.execute(text("SELECT token_hash FROM devices"))]
    assert token not in stored and all(len(h) == 64 for h in stored)


def test_issuing_is_rate_limited_per_kiosk_with_a_clear_429(
    db_url: str, tmp_path: Any, clock: Any
) -> None:
    from tests.conftest import build_app

    limited = build_app(db_url, tmp_path, clock, RATELIMIT_ENABLED=True)
    with limited.app_context():
        from lobby.setup.demo import load_demo

        limited.demo = load_demo()
    client = limited.test_client()
    codes = [
        client.post(
            "/api/v1/tickets", json={"service": "ho_tich"}, headers=kiosk_headers(limited)
        ).status_code
        for _ in range(21)
    ]
    assert codes[:20] == [201] * 20 and codes[20] == 429
    r = client.post("/api/v1/tickets", json={"service": "ho_tich"}, headers=kiosk_headers(limited))
    assert r.get_json()["error"] == "rate_limited" and "thử lại" in r.get_json()["message"]
    tries = [
        client.post("/api/v1/dossiers/lookup", json={"code": "X", "pin": "1"}).status_code
        for _ in range(11)
    ]
    assert tries[-1] == 429 and set(tries[:10]) <= {403, 404, 422}


def test_with_the_rate_limit_store_unreachable_kiosks_still_issue_and_limits_count_in_memory(
    db_url: str, tmp_path: Any, clock: Any
) -> None:
    """The store defaults to the message queue's Redis; while it is away a kiosk must not get
    500s (issue 11): Flask-Limiter counts in this process's memory meanwhile."""
    import socket

    from lobby.ratelimit import limiter
    from tests.conftest import build_app

    with socket.socket() as s:  # a port nothing listens on: connections are refused
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    away = build_app(
        db_url,
        tmp_path,
        clock,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed}/0",
    )
    try:
        with away.app_context():
            from lobby.setup.demo import load_demo

            away.demo = load_demo()
        client = away.test_client()
        codes = [
            client.post(
                "/api/v1/tickets", json={"service": "ho_tich"}, headers=kiosk_headers(away)
            ).status_code
            for _ in range(21)
        ]
        assert codes[:20] == [201] * 20 and codes[20] == 429
        assert client.get("/api/v1/board").status_code == 200
    finally:
        # The limiter is one object for every app of the test session: the next app's store
        # is not this dead one.
        limiter._storage_dead = False
