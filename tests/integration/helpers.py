"""Small helpers for integration tests through the Flask test client."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask.testing import FlaskClient


def device_token(app: Any, kind: str) -> str:
    return next(d["token"] for d in app.demo["devices"] if d["kind"] == kind)


def password(app: Any, username: str) -> str:
    return next(u["password"] for u in app.demo["users"] if u["username"] == username)


def kiosk_headers(app: Any, key: str | None = None) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {device_token(app, 'kiosk')}",
        "Idempotency-Key": key or uuid.uuid4().hex,
    }


def issue(
    client: FlaskClient, app: Any, service: str = "ho_tich", priority: str | None = None
) -> dict[str, Any]:
    r = client.post(
        "/api/v1/tickets",
        json={"service": service, "priority": priority},
        headers=kiosk_headers(app),
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()  # type: ignore[no-any-return]


class Staff:
    """A signed-in staff browser session: cookie plus the CSRF header."""

    def __init__(self, app: Any, username: str) -> None:
        self.client = app.test_client()
        page = self.client.get("/login").get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match
        self.csrf = match.group(1)
        r = self.client.post(
            "/login",
            data={
                "username": username,
                "password": password(app, username),
                "csrf_token": self.csrf,
            },
        )
        assert r.status_code == 302, r.get_data(as_text=True)

    def post(self, path: str, json: Any = None, **headers: str) -> Any:
        return self.client.post(
            path,
            json=json if json is not None else {},
            headers={"X-CSRF-Token": self.csrf, **headers},
        )

    def get(self, path: str) -> Any:
        return self.client.get(path)

    def open_counter(self, n: int) -> None:
        r = self.post(f"/api/v1/counters/{n}/open")
        assert r.status_code == 200, r.get_json()

    def call_next(self, n: int) -> Any:
        return self.post(f"/api/v1/counters/{n}/call-next")


def place_in_line(line: dict[str, Any], key: str) -> int | None:
    """What the phone page (phone/static/phone.js, placeIn) works out from a line_changed
    message: how many are ahead of the ticket whose line_key is `key`, or None (not in it)."""
    if key not in line["line"]:
        return None
    at = line["line"].index(key)
    return line["priority"].index(at) if at in line["priority"] else at
