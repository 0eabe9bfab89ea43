"""Upgrades: a database made by the first migration and filled with an office's data goes
through every later migration, one by one, on SQLite and PostgreSQL, and keeps all of it; the
server's start backs an older SQLite database up before migrating it (the rollback point)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_URL, build_app

FIRST = "704ead98e441"
WHEN = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)


def _revisions(app: Any) -> list[str]:
    """Every revision after the first, oldest first."""
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    return [
        s.revision for s in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))
    ]


def _filler(column: sa.Column, n: int) -> Any:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return n
    if isinstance(kind, sa.DateTime):
        return WHEN
    if isinstance(kind, sa.Date):
        return date(2026, 11, 30)
    if isinstance(kind, sa.Time):
        return time(7, 30)
    if isinstance(kind, sa.JSON):
        return {}
    length = getattr(kind, "length", None) or 40
    return f"{column.name}-{n}"[:length]


class Rows:
    """Rows put in with plain SQL (Core on the reflected table, no models) at a revision."""

    def __init__(self) -> None:
        self.kept: list[tuple[str, dict[str, Any]]] = []

    def add(self, conn: sa.Connection, table: str, **values: Any) -> int:
        t = sa.Table(table, sa.MetaData(), autoload_with=conn)
        n = len(self.kept) + 1
        row = dict(values)
        for column in t.columns:
            if (
                column.name in row
                or column.nullable
                or (column.primary_key and column.autoincrement)
            ):
                continue
            if column.server_default is not None:
                continue
            row[column.name] = _filler(column, n)
        result = conn.execute(t.insert().values(**row))
        pk = result.inserted_primary_key
        if pk and pk[0] is not None and "id" in t.columns:
            row["id"] = pk[0]
        self.kept.append((table, row))
        return int(row.get("id", 0))


def _fill_first(conn: sa.Connection, rows: Rows, key_text: str) -> dict[str, int]:
    ids: dict[str, int] = {}
    ids["office"] = rows.add(
        conn,
        "offices",
        code="thanh-loi",
        name="Trung tâm Phục vụ hành chính công xã Thạnh Lợi",
        timezone="Asia/Ho_Chi_Minh",
        number_format="{prefix}{seq:03d}",
        interleave_n=3,
        settings={},
    )
    o = ids["office"]
    ids["field"] = rows.add(
        conn, "fields", office_id=o, code="ho_tich", name_vi="Hộ tịch", ticket_prefix="A"
    )
    ids["counter"] = rows.add(conn, "counters", office_id=o, number=1, name="Quầy 1", state="open")
    ids["staff"] = rows.add(
        conn, "staff_users", office_id=o, username="canbo1", role="officer", counter_id=None
    )
    ids["device"] = rows.add(conn, "devices", office_id=o, kind="kiosk", token_hash="k" * 64)
    ids["procedure"] = rows.add(
        conn,
        "procedures",
        office_id=o,
        field_id=ids["field"],
        code="HT-KS",
        deadline_unit="working_days",
        deadline_value=3,
        components=[],
    )
    rows.add(conn, "counter_fields", counter_id=ids["counter"], field_id=ids["field"])
    rows.add(conn, "working_windows", office_id=o, weekday=0, purpose="ticketing")
    rows.add(conn, "calendar_days", office_id=o, kind="holiday", name="Tết Dương lịch")
    for seq, status in enumerate(["done", "waiting", "no_show"], start=1):
        ids[f"ticket{seq}"] = tid = rows.add(
            conn,
            "tickets",
            office_id=o,
            issue_field_id=ids["field"],
            field_id=ids["field"],
            seq=seq,
            number=f"A{seq:03d}",
            session="sang",
            status=status,
            public_token=f"token-{seq}",
            counter_id=ids["counter"] if status == "done" else None,
            staff_id=ids["staff"] if status == "done" else None,
            device_id=ids["device"],
        )
        rows.add(conn, "ticket_events", ticket_id=tid, action="issue", to_status="waiting")
    rows.add(
        conn,
        "ticket_sequences",
        office_id=o,
        field_id=ids["field"],
        service_day=date(2026, 11, 30),
        last_seq=3,
    )
    rows.add(conn, "api_tokens", user_id=ids["staff"], token_hash="t" * 64)
    return ids


def _fill_dossiers(conn: sa.Connection, rows: Rows, ids: dict[str, int], secret: Any) -> None:
    o = ids["office"]
    ids["applicant"] = rows.add(
        conn,
        "applicants",
        office_id=o,
        full_name=secret("Nguyễn Văn An"),
        id_number=secret("079123456789"),
        phone=secret("0901234567"),
    )
    ids["dossier"] = rows.add(
        conn,
        "dossiers",
        office_id=o,
        code="000.00.00.H00-261130-0001",
        public_token="dossier-token",
        procedure_id=ids["procedure"],
        applicant_id=ids["applicant"],
        ticket_id=ids["ticket1"],
        staff_id=ids["staff"],
        counter_id=ids["counter"],
        channel="direct",
        components=[],
        status_code=2,
        rules={},
    )
    rows.add(conn, "dossier_events", dossier_id=ids["dossier"], action="accept", to_status=2)
    rows.add(conn, "dossier_sequences", office_id=o, day=date(2026, 11, 30), last_seq=1)
    rows.add(
        conn,
        "ratings",
        office_id=o,
        ticket_id=ids["ticket1"],
        dossier_id=ids["dossier"],
        counter_id=ids["counter"],
        staff_id=ids["staff"],
        field_id=ids["field"],
        channel="tablet",
        level="hai_long",
    )
    rows.add(conn, "webhook_deliveries", event="dossier.accepted", status="delivered")


FILLS = {
    "06ef065fbfac": lambda conn, rows, ids, secret: rows.add(
        conn,
        "print_jobs",
        ticket_id=ids["ticket1"],
        device_id=ids["device"],
        printer_url="memory://kiosk",
        printer_key="memory://kiosk",
        kind="ticket",
        slip={"number": "A001"},
        status="printed",
    ),
    "169d57297ea8": _fill_dossiers,
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lobby.sqlite3'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need LOBBY_TEST_POSTGRES_URL")
    import psycopg

    admin = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"lobby_upgrade_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _plain(value: Any) -> bool:
    return isinstance(value, str | int | bool) and not isinstance(value, datetime)


def test_a_filled_database_from_the_first_migration_upgrades_step_by_step_keeping_its_data(
    empty_url: str, tmp_path: Path
) -> None:
    from flask_migrate import upgrade

    app = build_app(empty_url, tmp_path)
    rows = Rows()
    with app.app_context():
        from lobby.crypto import encrypt
        from lobby.extensions import db

        upgrade(revision=FIRST)
        with db.engine.begin() as conn:
            ids = _fill_first(conn, rows, "")
        for revision in _revisions(app)[1:]:
            upgrade(revision=revision)
            if revision in FILLS:
                with db.engine.begin() as conn:
                    FILLS[revision](conn, rows, ids, encrypt)
        tables = {table for table, _ in rows.kept}
        assert {"tickets", "dossiers", "applicants", "ratings", "print_jobs"} <= tables

        # Every row is there with what was put in.
        with db.engine.connect() as conn:
            for table, row in rows.kept:
                t = sa.Table(table, sa.MetaData(), autoload_with=conn)
                keys = [c.name for c in t.primary_key.columns]
                where = [t.c[k] == row[k] for k in keys if k in row]
                found = conn.execute(sa.select(t).where(*where)).mappings().all()
                assert found, f"{table} lost its row"
                got = found[0]
                assert {k: got[k] for k, v in row.items() if _plain(v)} == {
                    k: v for k, v in row.items() if _plain(v)
                }, table

        # And the application reads it: the models, the applicant's decrypted data, the status.
        from sqlalchemy import select

        from lobby.models import Applicant, Dossier, PrintJob, Rating, StaffUser, Ticket
        from lobby.retention import status

        tickets = db.session.scalars(select(Ticket).order_by(Ticket.seq)).all()
        assert [(t.number, t.status) for t in tickets] == [
            ("A001", "done"),
            ("A002", "waiting"),
            ("A003", "no_show"),
        ]
        dossier = db.session.scalars(select(Dossier)).one()
        applicant = db.session.get(Applicant, dossier.applicant_id)
        assert applicant is not None
        assert (applicant.full_name, applicant.id_number, applicant.phone) == (
            "Nguyễn Văn An",
            "079123456789",
            "0901234567",
        )
        assert dossier.lookup_failures == 0
        assert db.session.scalars(select(Rating)).one().ticket_id == ids["ticket1"]
        assert db.session.scalars(select(PrintJob)).one().status == "printed"
        assert db.session.scalars(select(StaffUser)).one().session_epoch == 0
        counts = {t["table"]: t["rows"] for t in status()["tables"]}
        assert counts["tickets"] == 3 and counts["dossiers"] == 1 and counts["ratings"] == 1
        db.session.remove()
        db.engine.dispose()


def test_the_server_start_backs_an_older_sqlite_database_up_before_migrating_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `./run` (python server.py) does after a `git pull`: migrate_database() runs
    `flask --app server upgrade` in a child process, as the server does."""
    from flask_migrate import upgrade

    from lobby.startup import migrate_database

    instance = tmp_path / "instance"
    instance.mkdir()
    url = f"sqlite:///{instance / 'lobby.sqlite3'}"
    app = build_app(url, instance)
    rows = Rows()
    with app.app_context():
        from lobby.extensions import db

        upgrade(revision=FIRST)
        with db.engine.begin() as conn:
            _fill_first(conn, rows, "")
        db.engine.dispose()
    for name in ("SECRET_KEY", "LOBBY_DATA_KEY", "LOBBY_BACKUP_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LOBBY_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("LOBBY_DEMO", "0")

    migrate_database()
    made = list((instance / "backups").glob("lobby-*-truoc-nang-cap.tar.gz"))
    assert len(made) == 1
    with tarfile.open(made[0]) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        tar.extract("lobby.sqlite3", tmp_path / "old", filter="data")
    assert manifest["alembic_revision"] == FIRST
    with sqlite3.connect(tmp_path / "old" / "lobby.sqlite3") as old:
        assert old.execute("SELECT count(*) FROM tickets").fetchone() == (3,)
    with sqlite3.connect(instance / "lobby.sqlite3") as now:
        head = now.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    with app.app_context():
        assert head == _revisions(app)[-1]

    # Nothing left to migrate: no second backup.
    migrate_database()
    assert len(list((instance / "backups").glob("*.tar.gz"))) == 1


def test_a_new_database_is_not_backed_up_before_its_first_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "instance"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{instance / 'lobby.sqlite3'}")
    monkeypatch.setenv("LOBBY_INSTANCE_PATH", str(instance))
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "server", "upgrade"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not (instance / "backups").exists()


def test_the_server_start_skips_the_migration_process_only_when_the_database_is_current(
    tmp_path: Path,
) -> None:
    """A restart with nothing to migrate starts without the child process (`flask upgrade`):
    the newest revisions are read from migrations/versions without Alembic, and must be the
    ones Alembic itself finds; a new or older database still migrates."""
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    from lobby.extensions import db
    from lobby.startup import database_is_current, newest_migrations

    instance = tmp_path / "instance"
    instance.mkdir()
    app = build_app(f"sqlite:///{instance / 'lobby.sqlite3'}", instance)
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        assert newest_migrations() == set(ScriptDirectory.from_config(config).get_heads())
        assert not database_is_current()  # new: no alembic_version table
        upgrade(revision=FIRST)
        assert not database_is_current()  # older
        upgrade()
        assert database_is_current()
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = 'not-ours'"))
        assert not database_is_current()  # a revision this code does not know: Alembic says
        db.engine.dispose()
