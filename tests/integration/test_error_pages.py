"""Error pages never need the database, a database outage is a 503 (never a 500), and every
error page is friendly and in the visitor's language (never Werkzeug's English text)."""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from flask import abort
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import POSTGRES_URL, build_app
from tests.integration.helpers import Staff

WERKZEUG_WORDS = [  # fragments of Werkzeug's own descriptions (without their apostrophes)
    "The requested URL",
    "have the permission",
    "The method is not allowed",
    "The server encountered",
    "The server is temporarily unable",
    "exceeded an allotted request count",
    "The server could not verify",
    "Internal Server Error",
    "Service Unavailable",
    "Too Many Requests",
    "Forbidden",
    "Not Found",
]


def _friendly(r: Any, status: int, lang: str = "vi") -> str:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert f'<html lang="{lang}"' in page
    assert ("Về trang chủ" if lang == "vi" else "home page") in page
    for words in WERKZEUG_WORDS:
        assert words not in page, words
    if lang == "en":  # the heading and the message too, not only the page's frame
        main = page[page.index("<main") : page.index("</main>")]
        assert main.isascii(), main
    return page


def _unavailable_json(r: Any) -> None:
    assert r.status_code == 503, (r.status_code, r.get_data(as_text=True)[:300])
    body = r.get_json()
    assert body["error"] == "unavailable" and body["message"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _outage_checks(app: Any) -> None:
    """What every surface answers while the database cannot be reached."""
    client = app.test_client()
    _friendly(client.get("/khong-co-trang-nay"), 404)  # needs no database at all
    _friendly(client.get("/t/abcdefghijklmnop"), 503)
    _friendly(client.get("/tra-cuu"), 503)
    _unavailable_json(client.get("/api/v1/services"))
    _unavailable_json(client.get("/api/v1/board"))
    _unavailable_json(
        client.post(
            "/api/v1/tickets", json={"service": "ho_tich"}, headers={"Authorization": "Bearer dv_x"}
        )
    )
    _unavailable_json(client.post("/api/v1/dossiers/lookup", json={"code": "X", "pin": "1"}))
    assert client.get("/healthz").status_code == 503
    # The English visitor gets the same page in English.
    page = _friendly(client.get("/t/abcdefghijklmnop?lang=en"), 503, "en")
    assert "Về trang chủ" not in page


def test_error_pages_render_on_an_empty_database(db_url: str, tmp_path: Path) -> None:
    """No office set up yet: a 404 page (and the API's 404) still answer, friendly."""
    app = build_app(db_url, tmp_path)
    client = app.test_client()
    _friendly(client.get("/khong-co-trang-nay"), 404)
    r = client.get("/t/abcdefghijklmnop")  # the phone's own "no such ticket" page
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert "Không tìm thấy" in r.get_data(as_text=True)
    assert client.get("/api/v1/khong-co").get_json()["error"] == "not_found"


@pytest.mark.parametrize("kind", ["missing_folder", "not_a_database"])
def test_an_unreachable_sqlite_database_answers_503(tmp_path: Path, kind: str) -> None:
    if kind == "missing_folder":
        path = tmp_path / "gone" / "lobby.sqlite3"  # SQLite cannot create it
    else:
        path = tmp_path / "lobby.sqlite3"
        path.write_bytes(os.urandom(8192))  # a damaged disk, a wrong file
    app = build_app(f"sqlite:///{path}", tmp_path)
    _outage_checks(app)


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["closed_port", "no_such_database"])
def test_an_unreachable_postgres_answers_503(tmp_path: Path, kind: str) -> None:
    if not POSTGRES_URL:
        pytest.skip("needs LOBBY_TEST_POSTGRES_URL")
    base = POSTGRES_URL.rsplit("/", 1)[0]
    if kind == "closed_port":
        url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/lobby"
    else:
        url = f"{base}/lobby_gone_{os.getpid()}"
    app = build_app(url, tmp_path)
    _outage_checks(app)


@pytest.mark.postgres
def test_a_postgres_database_dropped_while_serving_answers_503(tmp_path: Path) -> None:
    if not POSTGRES_URL:
        pytest.skip("needs LOBBY_TEST_POSTGRES_URL")
    import psycopg

    admin = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"lobby_dropped_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        app = build_app(POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}", tmp_path)
        client = app.test_client()
        assert client.get("/healthz").status_code == 200  # connected, pooled
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        _outage_checks(app)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with app.app_context():
            from lobby.extensions import db

            db.engine.dispose()


def _failed_statement() -> None:
    """Run a statement that fails and swallow the error, leaving the transaction as it is
    (on PostgreSQL: aborted, refusing every later statement until a rollback)."""
    from lobby.extensions import db

    with contextlib.suppress(DBAPIError):
        db.session.execute(text("SELECT * FROM no_such_table"))


def test_an_aborted_transaction_still_gets_the_friendly_page(app: Any) -> None:
    def aborted_404() -> Any:
        _failed_statement()
        abort(404)

    def aborted_500() -> Any:
        _failed_statement()
        raise RuntimeError("a bug after a failed statement")

    app.add_url_rule("/_test/aborted-404", view_func=aborted_404)
    app.add_url_rule("/_test/aborted-500", view_func=aborted_500)
    app.add_url_rule("/api/_test/aborted-500", view_func=aborted_500, endpoint="api_aborted")
    client = app.test_client()
    _friendly(client.get("/_test/aborted-404"), 404)
    page = _friendly(client.get("/_test/aborted-500"), 500)
    assert "a bug after" not in page  # never the exception's text
    r = client.get("/api/_test/aborted-500")
    assert r.status_code == 500 and r.get_json()["error"] == "internal_error"
    # The session was rolled back: the next request on this process works.
    assert client.get("/api/v1/services").status_code == 200


@pytest.mark.parametrize("status", [401, 403, 404, 405, 429, 500, 503])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_error_page_is_friendly_in_the_visitors_language(
    app: Any, status: int, lang: str
) -> None:
    app.add_url_rule("/_test/abort/<int:code>", view_func=lambda code: abort(code))
    client = app.test_client()
    path = {404: "/khong-co-trang-nay", 405: "/logout"}.get(status, f"/_test/abort/{status}")
    method = client.get
    page = _friendly(method(f"{path}?lang={lang}"), status, lang)
    if lang == "en":
        assert "Về trang chủ" not in page
    # The API keeps answering JSON.
    r = client.get(f"/api/v1/khong-co?lang={lang}")
    assert r.get_json()["error"] == "not_found"


def test_real_403_and_429_pages_are_friendly(app: Any, tmp_path: Path, db_url: str) -> None:
    officer = Staff(app, "canbo1")
    page = _friendly(officer.get("/admin/setup"), 403)
    assert "Không có quyền truy cập" in page
    limited = build_app(
        db_url, tmp_path / "limited", RATELIMIT_ENABLED=True, RATELIMIT_LOOKUP="1 per minute"
    )
    client = limited.test_client()
    answers = [client.post("/tra-cuu", data={"code": "X", "pin": "1"}) for _ in range(2)]
    assert answers[-1].status_code == 429
    assert "Traceback" not in answers[-1].get_data(as_text=True)
    answers = [
        client.post("/api/v1/dossiers/lookup", json={"code": "X", "pin": "1"}) for _ in range(3)
    ]
    assert answers[-1].status_code == 429 and answers[-1].get_json()["error"] == "rate_limited"
