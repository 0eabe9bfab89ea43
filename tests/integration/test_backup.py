"""Backups: a copy of the live SQLite database and its secrets, made while the office works,
restores on another machine with every acknowledged ticket and dossier, and readable
applicants; the daily schedule keeps the last N; restore is careful; PostgreSQL says pg_dump."""

from __future__ import annotations

import io
import os
import shutil
import socket
import stat
import tarfile
import threading
from datetime import datetime, time, timedelta
from pathlib import Path
from time import monotonic
from typing import Any

import pytest

from core.clock import FixedClock
from tests.conftest import MONDAY_8AM, VN, build_app
from tests.integration.helpers import Staff, kiosk_headers


@pytest.fixture
def office(tmp_path: Path, sqlite_template: Path, clock: FixedClock) -> Any:
    """A SQLite office (made by the migrations, demo loaded) in its own instance folder."""
    instance = tmp_path / "office"
    instance.mkdir()
    shutil.copy(sqlite_template, instance / "lobby.sqlite3")
    app = build_app(f"sqlite:///{instance / 'lobby.sqlite3'}", instance, clock)
    with app.app_context():
        from lobby.extensions import db
        from lobby.setup.demo import load_demo

        app.demo = load_demo()
        db.session.remove()
    yield app
    with app.app_context():
        from lobby.extensions import db

        db.session.remove()
        db.engine.dispose()


def _backup(app: Any, *args: str) -> Path:
    result = app.test_cli_runner().invoke(args=["backup", *args])
    assert result.exit_code == 0, result.output
    return Path(result.output.strip().rsplit(": ", 1)[1])


def test_a_backup_taken_while_the_office_works_restores_everything_acknowledged(
    office: Any, tmp_path: Path
) -> None:
    started = threading.Event()  # set just before the backup begins
    stop = threading.Event()
    tickets_before: list[int] = []
    dossiers_before: dict[str, str] = {}  # code -> applicant's name
    failures: list[Any] = []
    after = [0]

    def guarded(work: Any) -> Any:
        def run() -> None:
            try:
                work()
            except Exception as exc:  # reported by the test, not lost in the thread
                failures.append(repr(exc))

        return run

    def kiosk() -> None:
        client = office.test_client()
        while not stop.is_set():
            r = client.post(
                "/api/v1/tickets", json={"service": "ho_tich"}, headers=kiosk_headers(office)
            )
            if r.status_code != 201:
                failures.append(r.get_json())
                return
            # Acknowledged (committed) before the backup began: it must be in the backup.
            if not started.is_set():
                tickets_before.append(r.get_json()["id"])
            else:
                after[0] += 1

    def officer() -> None:
        staff = Staff(office, "canbo1")
        n = 0
        while not stop.is_set():
            n += 1
            name = f"Trần Thị Bé {n}"
            r = staff.post(
                "/api/v1/dossiers",
                {
                    "procedure": "HT-KS",
                    "applicant": {"full_name": name, "id_number": "079123456789"},
                },
            )
            if r.status_code != 201:
                failures.append(r.get_json())
                return
            if not started.is_set():
                dossiers_before[r.get_json()["code"]] = name

    own = Path(office.instance_path)
    (own / "logo.png").write_bytes(b"logo")
    (own / "voice" / "vi").mkdir(parents=True)
    (own / "voice" / "vi" / "so-1.mp3").write_bytes(b"mot")
    workers = [threading.Thread(target=guarded(kiosk)) for _ in range(2)]
    workers.append(threading.Thread(target=guarded(officer)))
    for w in workers:
        w.start()
    try:
        deadline = monotonic() + 30
        while (len(tickets_before) < 20 or len(dossiers_before) < 3) and not failures:
            assert monotonic() < deadline, "the office never got busy"
            threading.Event().wait(0.01)
        started.set()
        made = _backup(office)
        # The office went on working while the copy was made and after it.
        while after[0] < 5 and not failures:
            assert monotonic() < deadline
            threading.Event().wait(0.01)
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert not failures, failures

    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    with tarfile.open(made) as tar:
        assert {"lobby.sqlite3", "data_key", "secret_key", "manifest.json"} <= set(tar.getnames())

    # Another machine: a new instance folder with no keys of its own.
    other = tmp_path / "new-machine"
    other.mkdir()
    restored = build_app(f"sqlite:///{other / 'lobby.sqlite3'}", other, FixedClock(MONDAY_8AM))
    with restored.app_context():
        result = restored.test_cli_runner().invoke(args=["restore", str(made), "--yes"])
        assert result.exit_code == 0, result.output
        from sqlalchemy import select

        from lobby.extensions import db
        from lobby.models import Applicant, Dossier, Ticket

        ids = set(db.session.scalars(select(Ticket.id)))
        assert set(tickets_before) <= ids
        names = {
            code: name
            for code, name in db.session.execute(
                select(Dossier.code, Applicant.full_name).join(
                    Applicant, Dossier.applicant_id == Applicant.id
                )
            )
        }
        assert {code: names.get(code) for code in dossiers_before} == dossiers_before
        db.session.remove()
        db.engine.dispose()
    assert (other / "data_key").read_text() == (own / "data_key").read_text()
    assert (other / "logo.png").read_bytes() == b"logo"
    assert (other / "voice" / "vi" / "so-1.mp3").read_bytes() == b"mot"


def test_restore_asks_for_yes_refuses_while_a_server_listens_and_keeps_what_it_replaces(
    office: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "kept"
    made = _backup(office, "--to", str(folder))
    runner = office.test_cli_runner()
    asked = runner.invoke(args=["restore", str(made)])
    assert asked.exit_code != 0 and "--yes" in asked.output

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        office.config.update(HOST="127.0.0.1", PORT=listener.getsockname()[1])
        busy = runner.invoke(args=["restore", str(made), "--yes"])
    assert busy.exit_code != 0 and "systemctl stop lobby" in busy.output

    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a backup")
    bad = runner.invoke(args=["restore", str(broken), "--yes"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output

    office.config["PORT"] = _free_port()
    done = runner.invoke(args=["restore", str(made), "--yes"])
    assert done.exit_code == 0, done.output
    kept = list(Path(office.instance_path, "backups").glob("lobby-*-truoc-khoi-phuc.tar.gz"))
    assert len(kept) == 1


@pytest.mark.parametrize("python", ["3.11.4 and newer", "Debian 12's 3.11.2"])
def test_restore_works_on_the_pythons_offices_run_and_refuses_a_backup_with_links_or_dot_dot(
    office: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, python: str
) -> None:
    """Debian 12 ships Python 3.11.2, whose TarFile.extractall() takes no `filter` (it came
    in 3.11.4): following the operator guide there, restore died with a TypeError."""
    if python.startswith("Debian"):
        if hasattr(tarfile, "data_filter"):
            monkeypatch.delattr(tarfile, "data_filter")
        plain = tarfile.TarFile.extractall

        def extractall_of_3_11_2(
            self: Any, path: Any = ".", members: Any = None, *, numeric_owner: bool = False
        ) -> None:
            plain(self, path, members, numeric_owner=numeric_owner)

        monkeypatch.setattr(tarfile.TarFile, "extractall", extractall_of_3_11_2)
    made = _backup(office, "--to", str(tmp_path / "kept"))
    office.config["PORT"] = _free_port()
    runner = office.test_cli_runner()
    done = runner.invoke(args=["restore", str(made), "--yes"])
    assert done.exit_code == 0, done.output

    for name, hostile in [
        ("link", tarfile.TarInfo("voice/chime.mp3")),
        ("dotdot", tarfile.TarInfo("../outside.txt")),
    ]:
        bad = tmp_path / f"{name}.tar.gz"
        with tarfile.open(made) as src, tarfile.open(bad, "w:gz") as out:
            for m in src.getmembers():
                out.addfile(m, src.extractfile(m) if m.isfile() else None)
            if name == "link":
                hostile.type, hostile.linkname = tarfile.SYMTYPE, "/etc/passwd"
                out.addfile(hostile)
            else:
                hostile.size = 1
                out.addfile(hostile, io.BytesIO(b"x"))
        refused = runner.invoke(args=["restore", str(bad), "--yes"])
        assert refused.exit_code != 0 and "không hợp lệ" in refused.output, refused.output
        assert "Traceback" not in refused.output
    assert not (tmp_path / "outside.txt").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_server_backs_up_once_a_day_at_the_configured_hour_keeping_the_last_n(
    office: Any, clock: FixedClock
) -> None:
    from lobby.retention import Housekeeper

    office.config.update(LOBBY_BACKUP_AT=time(21, 30), LOBBY_BACKUP_KEEP=2)
    folder = Path(office.config["LOBBY_BACKUP_DIR"])

    def plain() -> list[str]:
        return sorted(p.name for p in folder.glob("lobby-*.tar.gz")) if folder.exists() else []

    keeper = Housekeeper(office)
    day = datetime(2026, 11, 30, tzinfo=VN)
    with office.app_context():
        clock.set(day.replace(hour=21, minute=29))
        keeper.run()
        assert plain() == []
        clock.set(day.replace(hour=21, minute=31))
        keeper.run()
        keeper.run()
        assert plain() == ["lobby-20261130-213100.tar.gz"]
        # A restart after the hour does not make a second one the same day.
        restarted = Housekeeper(office)
        clock.set(day.replace(hour=23, minute=0))
        restarted.run()
        assert plain() == ["lobby-20261130-213100.tar.gz"]
        for n in (1, 2):
            clock.set(day.replace(hour=21, minute=40) + timedelta(days=n))
            restarted.run()
    assert plain() == ["lobby-20261201-214000.tar.gz", "lobby-20261202-214000.tar.gz"]


def test_backup_settings_are_checked_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lobby import config

    monkeypatch.setenv("LOBBY_BACKUP_AT", "off")
    assert config.from_environment(str(tmp_path))["LOBBY_BACKUP_AT"] is None
    monkeypatch.setenv("LOBBY_BACKUP_AT", "6:05")
    assert config.from_environment(str(tmp_path))["LOBBY_BACKUP_AT"] == time(6, 5)
    for bad in ("25:00", "noon"):
        monkeypatch.setenv("LOBBY_BACKUP_AT", bad)
        with pytest.raises(RuntimeError, match="LOBBY_BACKUP_AT"):
            config.from_environment(str(tmp_path))
    monkeypatch.delenv("LOBBY_BACKUP_AT")
    monkeypatch.setenv("LOBBY_BACKUP_KEEP", "0")
    with pytest.raises(RuntimeError, match="LOBBY_BACKUP_KEEP"):
        config.from_environment(str(tmp_path))


@pytest.mark.postgres
def test_on_postgresql_backup_points_to_pg_dump(postgres_database: str, tmp_path: Path) -> None:
    app = build_app(postgres_database, tmp_path)
    result = app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code != 0 and "pg_dump" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        from lobby.extensions import db

        db.engine.dispose()
    assert not os.path.exists(tmp_path / "backups") or not any((tmp_path / "backups").iterdir())
