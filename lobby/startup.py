"""What `python server.py` does before serving: migrate, load the demo office, print addresses."""

from __future__ import annotations

import ast
import ipaddress
import json
import logging
import os
import subprocess
import sys
import time
from typing import Any

import click
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from core.errors import NotFound
from lobby.auth import password_matches
from lobby.bookings.checkin import auto_check_in, expire_bookings
from lobby.config import REPO
from lobby.dossiers.search import backfill as backfill_search
from lobby.extensions import db, socketio
from lobby.housekeeping import expire_stale_tickets
from lobby.models import Office, StaffUser
from lobby.retention import Housekeeper
from lobby.setup.accounts import pairing_url
from lobby.setup.demo import load_demo
from lobby.sockets import start_message_queue

log = logging.getLogger(__name__)


def migrate_database() -> None:
    """`flask upgrade` in a child process (the server itself never loads Alembic): a SQLite
    database with anything to migrate is backed up first (lobby.backup), then migrated."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "server", "upgrade"],
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit("database migration failed (flask --app server upgrade)")


MIGRATIONS = REPO / "migrations" / "versions"


def newest_migrations() -> set[str] | None:
    """The newest revisions (Alembic's heads) of migrations/versions, read from each file's
    `revision` and `down_revision` lines without loading Alembic; None when a file does not say
    them plainly (then the child process's Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in MIGRATIONS.glob("*.py"):
        said: dict[str, Any] = {}
        try:
            for node in ast.parse(path.read_text("utf-8")).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target, value = node.targets[0], node.value
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    target, value = node.target, node.value
                else:
                    continue
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                    said[target.id] = ast.literal_eval(value)
        except (SyntaxError, ValueError, OSError):
            return None
        if not isinstance(said.get("revision"), str):
            return None
        revisions.add(said["revision"])
        down = said.get("down_revision")
        parents.update([down] if isinstance(down, str) else (down or ()))
    return (revisions - parents) or None


def database_is_current() -> bool:
    """The database (of the app context) is at this code's newest migrations: nothing to do."""
    heads = newest_migrations()
    if heads is None:
        return False
    try:
        with db.engine.connect() as conn:
            current = {
                row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))
            }
    except SQLAlchemyError:  # a new database: no alembic_version yet
        return False
    return current == heads


SCREENS = (
    ("Máy lấy số (kiosk)", "/kiosk"),
    ("Màn hình gọi số", "/display"),
    ("Quầy cán bộ", "/counter"),
    ("Quản trị, báo cáo", "/admin"),
    ("Cấu hình đơn vị", "/admin/setup"),
    ("API", "/api/v1/openapi.json"),
)


def prepare(app: Flask) -> None:
    """Migrate; load the demo office into an empty database (development, or LOBBY_DEMO=1) and
    print its accounts, else remind where they are; print the screens' addresses; start the
    message queue, the printers and the webhooks."""
    if app.config.get("LOBBY_MIGRATIONS_IN_PROCESS", True):
        from flask_migrate import upgrade  # Alembic (~12 MB): only when migrating in-process

        with app.app_context():
            upgrade()
    else:
        with app.app_context():
            # A restart with nothing to migrate skips the child process (~2.5 s of start).
            current = database_is_current()
            db.engine.dispose()
        if not current:
            migrate_database()
    with app.app_context():
        empty = db.session.scalar(select(Office).limit(1)) is None
        demo_flag = app.config.get("LOBBY_DEMO")
        want_demo = demo_flag == "1" or (
            demo_flag is None and app.config["LOBBY_ENV"] == "development"
        )
        if empty and want_demo:
            _load_demo(app)
        elif empty:
            click.echo("Cơ sở dữ liệu trống. Nạp đơn vị mẫu: flask --app server demo")
        else:
            remind_credentials(app)
        # Applicants not yet in the blind index (older data, a new key): indexed once, now.
        indexed = backfill_search()
        if indexed:
            click.echo(f"Đã lập chỉ mục tìm kiếm cho {indexed} người nộp hồ sơ.")
        base = app.config["PUBLIC_BASE_URL"].rstrip("/")
        click.echo("Các màn hình:")
        for label, path in SCREENS:
            click.echo(f"  {label:<20} {base}{path}")
        db.session.remove()
    start_message_queue(app)  # /healthz knows at once whether Redis is reachable
    # Jobs left by the last run print now; kiosk printers report their paper state from now on.
    app.extensions["lobby"].printing.resume()
    for name in ("lobby_webhooks", "lobby_notify"):
        sender = app.extensions.get(name)
        if sender is not None:  # dossier changes, citizens' messages not yet delivered go out now
            sender.start()


def _load_demo(app: Flask) -> None:
    """The demo office, its staff passwords and pairing links printed once (and kept)."""
    data = load_demo()
    click.echo(f"Đã nạp đơn vị mẫu: {data['office']['name']} (dữ liệu mẫu)")
    click.echo("Tài khoản cán bộ (ghi lại, mật khẩu chỉ in một lần):")
    for u in data["users"]:
        extra = f", quầy {u['counter']}" if u["counter"] else ""
        click.echo(f"  {u['username']:<8} mật khẩu {u['password']}  ({u['role']}{extra})")
    click.echo("Ghép nối thiết bị (mở một lần trên thiết bị đó):")
    for d in data["devices"]:
        click.echo(f"  {d['kind']:<6} {d['name']}: {pairing_url(d['token'])}")
    _write_demo_file(app, data)


def _write_demo_file(app: Flask, data: dict) -> None:
    """Keep the demo's credentials in the instance folder so the operator can find them again."""
    path = _credentials_path(app)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
    os.chmod(path, 0o600)
    click.echo(f"(đã lưu vào {path})")
    _warn_if_reachable(app, data)


def _credentials_path(app: Flask) -> str:
    return os.path.join(app.instance_path, "demo-credentials.json")


def remind_credentials(app: Flask) -> None:
    """On every start after the first: where the demo's staff passwords and pairing links are
    kept (they are printed only once), and the warning below while they still open the office."""
    path = _credentials_path(app)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return
    click.echo(f"Mật khẩu cán bộ và liên kết ghép nối thiết bị mẫu: {path}")
    click.echo("  (thêm hoặc ghép nối lại thiết bị, đặt lại mật khẩu: /admin/staff)")
    _warn_if_reachable(app, data)


def reachable_from_lan(host: str) -> bool:
    """The server answers other machines unless it listens on a loopback address only."""
    name = host.strip().strip("[]").lower()
    if name in {"", "localhost"}:
        return name == ""  # "" listens on every address
    try:
        return not ipaddress.ip_address(name).is_loopback
    except ValueError:  # a host name: whatever it resolves to, assume others can reach it
        return True


def demo_passwords_in_use(data: dict[str, Any]) -> list[str]:
    """The demo accounts, active, whose password is still the one the demo generated."""
    kept = {u.get("username"): u.get("password") for u in data.get("users", [])}
    if not kept:
        return []
    users = db.session.scalars(select(StaffUser).where(StaffUser.username.in_(list(kept))))
    return sorted(
        u.username
        for u in users
        if u.active and kept[u.username] and password_matches(u, str(kept[u.username]))
    )


def _warn_if_reachable(app: Flask, data: dict[str, Any]) -> None:
    host = str(app.config.get("HOST", "0.0.0.0"))
    if not reachable_from_lan(host):
        return
    names = demo_passwords_in_use(data)
    if names:
        click.secho(
            f"CẢNH BÁO: máy chủ nghe trên {host}, mọi máy trong mạng LAN đều vào được, và các"
            f" tài khoản mẫu vẫn dùng mật khẩu mẫu ({', '.join(names)}). Đổi mật khẩu trên"
            " /admin/staff (Đặt lại mật khẩu) hoặc chỉ nghe trên máy này: HOST=127.0.0.1 ./run",
            fg="red",
            bold=True,
            err=True,
        )


def say_listening(app: Flask) -> None:
    """The last line before serving: where the server answers."""
    host, port = str(app.config["HOST"]), app.config["PORT"]
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    click.echo(f"Máy chủ đang nghe tại http://{shown}:{port} (mạng LAN: {base}); Ctrl-C để dừng.")


def run_background_jobs(app: Flask, interval: float = 60.0) -> None:
    """Every minute: close tickets of past days, check in or expire bookings; every hour, forget what has served its time
    (lobby.retention); once a quiet night, give SQLite's free space back to the disk."""
    housekeeper = Housekeeper(app)
    while True:
        try:
            with app.app_context():
                expire_stale_tickets()
                auto_check_in()  # remote tickets (lobby.bookings): slots that opened
                expire_bookings()
                housekeeper.run()
                db.session.remove()
        except NotFound:
            pass  # an empty database (LOBBY_DEMO=0): no office to look after until one is made
        except Exception:
            log.exception("background job failed")
        socketio.sleep(interval)
        time.sleep(0)
