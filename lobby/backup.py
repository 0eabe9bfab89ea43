"""Backups of a SQLite office: one file holding the database and the secrets it needs.

A backup is `lobby-YYYYMMDD-HHMMSS[-label].tar.gz` (mode 0600) with `lobby.sqlite3` (a consistent
copy made by SQLite's online backup API while the server keeps serving), `data_key` (applicants'
personal data cannot be read without it), `secret_key`, `manifest.json`, and the office's own
logo and voice recordings (`files/`). The server makes one
every day at LOBBY_BACKUP_AT into LOBBY_BACKUP_DIR and keeps the last LOBBY_BACKUP_KEEP;
`flask --app server backup` makes one at once, `flask --app server restore FILE` puts one back,
and the server's start takes one before migrating an older database (label `truoc-nang-cap`).
PostgreSQL is backed up with pg_dump (docs/huong-dan-van-hanh.md).
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import socket
import sqlite3
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from lobby.config import data_key_from_environment, secret_key_from_environment
from lobby.extensions import db

log = logging.getLogger(__name__)

# Made by hand or by the daily schedule: these are the ones LOBBY_BACKUP_KEEP counts. Backups
# with a label (before an upgrade, before a restore) are never deleted by the schedule.
PLAIN = re.compile(r"^lobby-\d{8}-\d{6}\.tar\.gz$")
BEFORE_UPGRADE = "truoc-nang-cap"
# Files of the instance folder that belong to the office and are not in the database.
OFFICE_FILES = ("logo.png", "voice")
BEFORE_RESTORE = "truoc-khoi-phuc"
PG_HELP = (
    "Cơ sở dữ liệu là PostgreSQL: sao lưu bằng pg_dump, khôi phục bằng pg_restore "
    "(xem docs/huong-dan-van-hanh.md, mục Sao lưu), và giữ kèm tệp data_key và secret_key "
    "của thư mục instance (hoặc LOBBY_DATA_KEY, SECRET_KEY)."
)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the operator."""


def sqlite_file() -> Path | None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database))


def backup_dir(app: Flask) -> Path:
    configured = app.config.get("LOBBY_BACKUP_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "backups"


def _secrets(app: Flask) -> dict[str, str]:
    from lobby.crypto import data_keys  # cryptography (~7 MB): only a backup needs the key

    return {"data_key": data_keys(), "secret_key": str(app.config["SECRET_KEY"])}


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def make_backup(to: Path | str | None = None, label: str = "") -> Path:
    """Copy the live database (online backup API) and the secrets into one new file."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    source = sqlite_file()
    if source is None:
        raise BackupError(PG_HELP)
    if not source.exists():
        raise BackupError(f"Không có cơ sở dữ liệu để sao lưu: {source}")
    folder = Path(to) if to else backup_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    now: datetime = app.extensions["lobby"].clock.now()
    now = now.astimezone(ZoneInfo(app.config["LOBBY_TIMEZONE"]))  # the office's wall clock
    target = _new_file(folder, "lobby-" + now.strftime("%Y%m%d-%H%M%S"), label)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".backup-") as tmp:
        copy = Path(tmp) / "lobby.sqlite3"
        revision = _snapshot(source, copy)
        manifest = {
            "made_at": now.isoformat(),
            "database": source.name,
            "alembic_revision": revision,
            "label": label,
        }
        _write_archive(app, target, copy, manifest, now)
    return target


def _new_file(folder: Path, stem: str, label: str) -> Path:
    """`stem[-label].tar.gz` in `folder`, numbered when one of that name is there already."""
    stem += f"-{label}" if label else ""
    target = folder / f"{stem}.tar.gz"
    n = 1
    while target.exists():  # two in one second
        n += 1
        target = folder / f"{stem}-{n}.tar.gz"
    return target


def _snapshot(source: Path, copy: Path) -> str | None:
    """A consistent copy of the live database in one self-contained file; its schema revision."""
    src = sqlite3.connect(str(source), timeout=30)
    try:
        dst = sqlite3.connect(str(copy))
        try:
            src.backup(dst)  # pages copied under SQLite's locks: a consistent snapshot
            revision = _revision(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
    finally:
        src.close()
    return revision


def _write_archive(
    app: Flask, target: Path, copy: Path, manifest: dict[str, Any], now: datetime
) -> None:
    """The backup file (0600): the database copy, the office's files, the secrets, the manifest;
    written aside and renamed into place once it is on disk."""
    part = target.parent / f".{target.name}.part"
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.add(copy, arcname="lobby.sqlite3", filter=_private)
            for name in OFFICE_FILES:  # the office's own logo and voice recordings
                if (Path(app.instance_path) / name).exists():
                    tar.add(
                        Path(app.instance_path) / name, arcname=f"files/{name}", filter=_private
                    )
            for name, value in [
                *_secrets(app).items(),
                ("manifest.json", json.dumps(manifest, indent=2)),
            ]:
                data = (value + "\n").encode()
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(data), 0o600, int(now.timestamp())
                tar.addfile(info, io.BytesIO(data))
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(part, 0o600)
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode = 0o700 if info.isdir() else 0o600
    info.uid, info.gid, info.uname, info.gname = 0, 0, "", ""
    return info


def keep_last(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest plain backups beyond `keep`; labelled ones stay."""
    plain = sorted(p for p in folder.iterdir() if PLAIN.match(p.name)) if folder.exists() else []
    gone = plain[:-keep] if keep > 0 else []
    for p in gone:
        p.unlink(missing_ok=True)
    return gone


def pending_migration() -> bool:
    """The database holds data at an older schema than this code's newest migration."""
    # Alembic (~12 MB): loaded only when the server's start or `upgrade` asks.
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return bool(current) and current != heads


def backup_before_upgrade() -> Path | None:
    """SQLite with something to migrate: a backup to roll back to (label truoc-nang-cap)."""
    if sqlite_file() is None or not pending_migration():
        return None
    return make_backup(label=BEFORE_UPGRADE)


def server_answers(app: Flask) -> bool:
    """Something listens on the configured port of this machine (the server, most likely)."""
    host = str(app.config.get("HOST") or "127.0.0.1")
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    try:
        with socket.create_connection((host, int(app.config["PORT"])), timeout=1):
            return True
    except OSError:
        return False


def _extract_plainly(tar: tarfile.TarFile, into: Path) -> None:
    """Unpack only plain files and folders inside `into` (no links, devices, absolute paths or
    `..`). Python's own "data" filter does this too where it exists (3.11.4 and newer), but
    Debian 12's Python is 3.11.2, whose extractall() takes no filter: the check is ours."""
    members = tar.getmembers()
    for m in members:
        parts = Path(m.name).parts
        if not (m.isfile() or m.isdir()) or m.name.startswith("/") or ".." in parts:
            raise BackupError(f"Bản sao lưu có mục không hợp lệ: {m.name!r}")
    if hasattr(tarfile, "data_filter"):
        tar.extractall(into, members=members, filter="data")
    else:  # Pythons before 3.11.4 (a test simulates one)
        tar.extractall(into, members=members)


def read_backup(path: Path, into: Path) -> dict[str, Any]:
    """Unpack a backup into a folder, check it, and return its manifest and secrets."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            names = set(tar.getnames())
            if not {"lobby.sqlite3", "data_key", "secret_key"} <= names:
                raise BackupError(f"{path} không phải một bản sao lưu của lobby.")
            _extract_plainly(tar, into)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"Không đọc được bản sao lưu {path}: {exc}") from exc
    conn = sqlite3.connect(str(into / "lobby.sqlite3"))
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        ok = str(exc)
    finally:
        conn.close()
    if ok != "ok":
        raise BackupError(f"Bản sao lưu {path} bị hỏng ({ok}).")
    manifest = {}
    if (into / "manifest.json").exists():
        manifest = json.loads((into / "manifest.json").read_text())
    return {
        "manifest": manifest,
        "data_key": (into / "data_key").read_text().strip(),
        "secret_key": (into / "secret_key").read_text().strip(),
    }


def _write_secret(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    os.chmod(path, 0o600)


def restore(path: Path | str) -> dict[str, Any]:
    """Put a backup back in place of the current database (the server must be stopped).

    What is replaced is first saved as a backup labelled truoc-khoi-phuc. The secrets go back
    into the instance folder, unless they come from the environment (then a differing one is
    reported: the operator must set the backup's one)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    target = sqlite_file()
    if target is None:
        raise BackupError(PG_HELP)
    path = Path(path)
    warnings: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        content = read_backup(path, Path(tmp))
        kept = make_backup(label=BEFORE_RESTORE) if target.exists() else None
        db.engine.dispose()
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(str(Path(tmp) / "lobby.sqlite3"))
        try:
            dst = sqlite3.connect(str(target), timeout=30)
            try:
                src.backup(dst)  # replaces every page, WAL included, under SQLite's locks
            finally:
                dst.close()
        finally:
            src.close()
        files = Path(tmp) / "files"
        for name in OFFICE_FILES:
            if (files / name).is_dir():
                shutil.copytree(files / name, Path(app.instance_path) / name, dirs_exist_ok=True)
            elif (files / name).is_file():
                shutil.copy2(files / name, Path(app.instance_path) / name)
    instance = Path(app.instance_path)
    if app.config.get("LOBBY_DATA_KEY") or data_key_from_environment():
        from lobby.crypto import data_keys  # cryptography (~7 MB): only a restore needs the key

        if data_keys() != content["data_key"]:
            warnings.append(
                "LOBBY_DATA_KEY khác khóa trong bản sao lưu: đặt LOBBY_DATA_KEY bằng nội dung "
                "tệp data_key của bản sao lưu, nếu không dữ liệu cá nhân không giải mã được."
            )
    else:
        _write_secret(instance / "data_key", content["data_key"])
    if environment_secret := secret_key_from_environment():
        if environment_secret != content["secret_key"]:
            warnings.append(
                "SECRET_KEY khác khóa trong bản sao lưu: cán bộ phải đăng nhập lại (không mất dữ liệu)."
            )
    else:
        _write_secret(instance / "secret_key", content["secret_key"])
    return {
        "restored": str(path),
        "database": str(target),
        "previous": str(kept) if kept else None,
        "manifest": content["manifest"],
        "warnings": warnings,
    }


def scheduled_backup(app: Flask) -> Path | None:
    """The daily backup, then keep the last LOBBY_BACKUP_KEEP (run off the event loop)."""
    if sqlite_file() is None:
        return None
    made = make_backup()
    for old in keep_last(made.parent, int(app.config["LOBBY_BACKUP_KEEP"])):
        log.info("backup: removed old %s", old.name)
    log.info("backup: %s", made)
    return made


# `backup`, `restore FILE` and `upgrade` (what the server's start runs before serving), added to
# `flask` by lobby.cli.register().
commands = AppGroup("backup", help="Backups and upgrades.")


@commands.command("backup")
@click.option("--to", "to", type=click.Path(file_okay=False), default=None)
def backup_command(to: str | None) -> None:
    """Back up the SQLite database and its secrets into one file (LOBBY_BACKUP_DIR)."""
    try:
        made = make_backup(to)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Đã sao lưu: {made}")


@commands.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="replace the current database")
def restore_command(file: str, yes: bool) -> None:
    """Put a backup back (stop the server first); the current database is kept aside."""
    if sqlite_file() is None:
        raise click.ClickException(PG_HELP)
    if server_answers(current_app):
        raise click.ClickException(
            f"Máy chủ đang chạy trên cổng {current_app.config['PORT']}: dừng nó trước "
            "(sudo systemctl stop lobby), rồi chạy lại lệnh này."
        )
    if not yes:
        raise click.ClickException(
            f"Lệnh này thay cơ sở dữ liệu {sqlite_file()} bằng bản sao lưu {file} "
            "(bản hiện tại được giữ lại). Chạy lại với --yes để làm."
        )
    try:
        done = restore(file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Đã khôi phục {done['restored']} vào {done['database']}")
    if done["previous"]:
        click.echo(f"Cơ sở dữ liệu cũ được giữ ở: {done['previous']}")
    for warning in done["warnings"]:
        click.echo(f"CHÚ Ý: {warning}")
    click.echo("Khởi động lại máy chủ (nó nâng cấp cơ sở dữ liệu nếu cần).")


@commands.command("upgrade")
def upgrade_command() -> None:
    """Migrate to the newest schema; on SQLite, back up first when there is anything to do."""
    from flask_migrate import upgrade  # Alembic (~12 MB): only for this command

    try:
        made = backup_before_upgrade()
    except BackupError as exc:
        raise click.ClickException(f"Không sao lưu được trước khi nâng cấp: {exc}") from exc
    if made is not None:
        click.echo(f"Đã sao lưu trước khi nâng cấp: {made}")
    upgrade()
