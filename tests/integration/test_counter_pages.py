"""Where staff land after signing in, and the counter console page without a counter."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.helpers import Staff, password

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _sign_in(app: Any, username: str, next_path: str | None = None) -> str:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    url = "/login" + (f"?next={next_path}" if next_path else "")
    r = client.post(
        url,
        data={"username": username, "password": password(app, username), "csrf_token": csrf[1]},
    )
    assert r.status_code == 302
    return str(r.headers["Location"])


def test_an_administrator_lands_on_admin_and_officers_on_their_counter(app: Any) -> None:
    assert _sign_in(app, "admin") == "/admin"
    assert _sign_in(app, "canbo1") == "/counter"
    assert _sign_in(app, "lanhdao") == "/counter"
    # A page asked for before signing in still wins.
    assert _sign_in(app, "admin", "/counter?counter=2") == "/counter?counter=2"
    assert _sign_in(app, "admin", "https://evil.example/") == "/admin"


@pytest.mark.parametrize("username", ["lanhdao", "admin"])
def test_staff_without_a_counter_get_a_clear_page_not_a_connection_that_never_comes(
    app: Any, username: str
) -> None:
    page = Staff(app, username).get("/counter").get_data(as_text=True)
    assert "không gắn với quầy nào" in page
    assert 'href="/admin"' in page and "Về trang quản lý" in page
    assert 'href="/counter?counter=1"' in page
    # Nothing on this page connects: no "connecting…" that would stay forever, no console script.
    assert "Đang kết nối" not in page and "counter.js" not in page


def test_an_officer_console_still_connects(app: Any) -> None:
    page = Staff(app, "canbo1").get("/counter").get_data(as_text=True)
    assert "Đang kết nối" in page and "counter.js" in page
