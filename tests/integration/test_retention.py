"""Nothing on the lobby PC grows without bound: slips, webhook rows and keys are forgotten in
time, records are kept, SQLite gives the space back, and `flask status` shows the disk."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.clock import FixedClock
from printers.backends import printer_key
from tests.conftest import VN
from tests.integration.helpers import issue
from tests.integration.test_printing import jobs_of, set_kiosk_printer
from tests.printer_loopback import LoopbackPrinter

pytestmark = pytest.mark.usefixtures("fresh_memory_printers")
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _add(app: Any, *rows: Any) -> None:
    from lobby.extensions import db

    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()


def _count(app: Any, model: Any, *where: Any) -> int:
    from lobby.extensions import db

    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_printed_slips_and_delivered_webhooks_are_forgotten_after_their_time_not_before(
    app: Any, clock: FixedClock
) -> None:
    from lobby import retention
    from lobby.models import IdempotencyRecord, PrintJob, Ticket, TicketEvent, WebhookDelivery

    t = issue(app.test_client(), app)
    now = clock.now()

    def job(status: str, printed_days_ago: float | None, payload: bytes | None = None) -> Any:
        printed = now - timedelta(days=printed_days_ago) if printed_days_ago is not None else None
        return PrintJob(
            printer_url="memory://k",
            printer_key="memory://k",
            kind="ticket",
            slip={"number": "A001"},
            payload=payload,
            status=status,
            created_at=printed or now - timedelta(days=200),
            printed_at=printed,
        )

    def hook(status: str, days_ago: float) -> Any:
        at = now - timedelta(days=days_ago)
        return WebhookDelivery(
            url="http://x.test/hook",
            event="dossier_updated",
            body="{}",
            status=status,
            next_try_at=at,
            created_at=at,
            delivered_at=at if status == "delivered" else None,
        )

    _add(
        app,
        job("printed", 91),  # past the 90 days: goes
        job("printed", 89, payload=b"\x1dv0 old raster"),  # kept, but its bytes go
        job("failed", None),  # never printed: kept until someone resolves it
        job("pending", None, payload=b"\x1dv0"),  # still to print: kept with its bytes
        hook("delivered", 91),
        hook("delivered", 10),
        hook("failed", 300),
        IdempotencyRecord(
            scope="k", key="old", request_hash="h", created_at=now - timedelta(hours=25)
        ),
        IdempotencyRecord(scope="k", key="new", request_hash="h", created_at=now),
    )
    tickets, events = _count(app, Ticket), _count(app, TicketEvent)

    with app.app_context():
        counts = retention.prune(app)

    assert counts == {
        "print_payloads": 1,
        "print_jobs": 1,
        "webhooks": 1,
        "idempotency_keys": 1,
        "notify_contacts": 0,
    }
    kept = [j for j in jobs_of(app) if j.printer_url == "memory://k"]
    assert sorted(j.status for j in kept) == ["failed", "pending", "printed"]
    assert [j.payload for j in kept if j.status == "printed"] == [None]
    assert [j.payload for j in kept if j.status == "pending"] == [b"\x1dv0"]
    assert _count(app, WebhookDelivery) == 2
    assert _count(app, IdempotencyRecord, IdempotencyRecord.key.in_(["old", "new"])) == 1
    # Records are records: the ticket and its history stay.
    assert (_count(app, Ticket), _count(app, TicketEvent)) == (tickets, events) != (0, 0)
    assert t["id"] in {tid for (tid,) in _ticket_ids(app)}


def _ticket_ids(app: Any) -> list[Any]:
    from lobby.extensions import db
    from lobby.models import Ticket

    with app.app_context():
        return list(db.session.execute(select(Ticket.id)).all())


def test_retention_periods_come_from_the_environment_and_bad_ones_stop_the_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from lobby.config import from_environment

    monkeypatch.setenv("LOBBY_PRINT_RETENTION_DAYS", "30")
    assert from_environment(str(tmp_path))["LOBBY_PRINT_RETENTION_DAYS"] == 30
    monkeypatch.setenv("LOBBY_WEBHOOK_RETENTION_DAYS", "0")
    with pytest.raises(RuntimeError, match="LOBBY_WEBHOOK_RETENTION_DAYS"):
        from_environment(str(tmp_path))


@SQLITE
def test_a_day_of_printing_leaves_no_slip_bytes_and_the_file_gives_the_space_back(
    app: Any, printing: Any, clock: FixedClock
) -> None:
    """100 tickets printed: each keeps under 2 KB on disk once printed and the hour's
    housekeeping has run, and 91 days later the slips' rows go and the file shrinks."""
    from lobby import retention
    from lobby.extensions import db
    from lobby.models import PrintJob

    with LoopbackPrinter() as loop:
        set_kiosk_printer(app, loop.url)
        with app.app_context():
            path = retention.sqlite_path()
            assert path is not None
            assert db.session.execute(select(func.count()).select_from(PrintJob)).scalar() == 0
            db.session.remove()
        client = app.test_client()

        def size() -> int:
            """The database's pages, WAL frames included (no checkpoint: the print worker's
            connection may be reading, and a TRUNCATE checkpoint would have to wait for it)."""
            with app.app_context():
                conn = db.session.connection()
                pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
                size = conn.exec_driver_sql("PRAGMA page_size").scalar()
                db.session.commit()
            return int(pages) * int(size)

        with app.app_context():
            retention.give_back_space()
        before = size()
        for _ in range(100):
            issue(client, app, "chung_thuc")
        printing.run_pending(printer_key(loop.url))
        loop.wait_for_jobs(100)
        assert _count(app, PrintJob, PrintJob.payload.is_not(None)) == 0
        clock.advance(days=1, hours=14)  # the next night: keys of yesterday are gone too
        with app.app_context():
            retention.prune(app)
            assert retention.give_back_space() == "incremental"
        after_day = size()
        assert (after_day - before) / 100 <= 2048, (before, after_day)

        clock.advance(days=91)
        with app.app_context():
            assert retention.prune(app)["print_jobs"] == 100
            retention.give_back_space()
        assert size() < after_day


@SQLITE
def test_a_database_made_by_the_migrations_frees_pages_incrementally(app: Any) -> None:
    from lobby.extensions import db

    with app.app_context():
        assert db.session.connection().exec_driver_sql("PRAGMA auto_vacuum").scalar() == 2


def test_the_housekeeper_prunes_hourly_and_gives_space_back_once_a_quiet_night(
    app: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lobby import retention

    calls: list[str] = []
    monkeypatch.setattr(retention, "prune", lambda app=None: calls.append("prune") or {})
    monkeypatch.setattr(retention, "give_back_space", lambda: calls.append("space") or "x")
    keeper = retention.Housekeeper(app)
    with app.app_context():
        keeper.run()  # Monday 08:00: the office is open
        clock.advance(minutes=30)
        keeper.run()
        clock.set(datetime(2026, 11, 30, 12, 15, tzinfo=VN))  # lunch: back at 13:30
        keeper.run()
        assert calls == ["prune", "prune"]
        clock.set(datetime(2026, 11, 30, 22, 0, tzinfo=VN))
        keeper.run()
        clock.advance(hours=1, minutes=30)
        keeper.run()
        assert calls == ["prune", "prune", "prune", "space", "prune"]
        clock.set(datetime(2026, 12, 1, 21, 0, tzinfo=VN))
        keeper.run()
        assert calls[-2:] == ["prune", "space"]


def test_the_housekeepers_work_off_the_loop_runs_in_a_context_of_its_app(app: Any) -> None:
    """The background job has no request: lobby.offloop gives its work the app's context."""
    from flask import current_app, has_app_context

    from lobby.extensions import db
    from lobby.models import Office
    from lobby.offloop import run_off_loop_in_app

    assert not has_app_context()
    seen = run_off_loop_in_app(
        lambda: (current_app.name, db.session.scalar(select(func.count()).select_from(Office))),
        app=app,
    )
    assert seen == (app.name, 1)
    assert not has_app_context()


def test_flask_status_shows_the_database_the_tables_the_disk_and_warns_when_it_is_nearly_full(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lobby import retention

    issue(app.test_client(), app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["database"]["bytes"] > 0
    assert data["disk"]["free_bytes"] > 0
    tickets = next(t for t in data["tables"] if t["table"] == "tickets")
    assert tickets["rows"] == 1 and tickets["oldest"].startswith("2026-11-30")
    assert data["retention_days"] == {"print_jobs": 90, "webhooks": 90}
    assert data["warnings"] == [] or "Ổ đĩa" in data["warnings"][0]

    monkeypatch.setattr(retention, "LOW_DISK_BYTES", data["disk"]["total_bytes"] + 1)
    text = runner.invoke(args=["status"]).output
    assert "WARNING: Ổ đĩa sắp đầy" in text
    assert "tickets" in text and "MB" in text


def test_wrong_sign_ins_are_forgotten_at_night_but_a_running_lock_stays(
    app: Any, clock: FixedClock
) -> None:
    from lobby import retention
    from lobby.models import LoginThrottle

    _add(
        app,
        LoginThrottle(username="canbo1", failures=3),
        LoginThrottle(username="khong-co-ai", failures=10, locked_until=clock.now()),
        LoginThrottle(
            username="canbo2", failures=10, locked_until=clock.now() + timedelta(minutes=10)
        ),
    )
    with app.app_context():
        assert retention.forget_sign_in_failures() == 2
    assert _count(app, LoginThrottle) == 1
    assert _count(app, LoginThrottle, LoginThrottle.username == "canbo2") == 1
