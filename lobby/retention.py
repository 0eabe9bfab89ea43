"""Nothing on the lobby PC grows without bound: what is kept, for how long, and the disk.

Records stay: tickets, their history, dossiers, their events, ratings. What only served a moment
goes: a printed slip keeps its audit row (who, when, which printer, attempts) but not its
rendered bytes, and the row itself after LOBBY_PRINT_RETENTION_DAYS; delivered webhook rows
after LOBBY_WEBHOOK_RETENTION_DAYS; citizens' phone numbers and push subscriptions given for a
ticket once its service day is over (lobby.notify); idempotency keys after 24 hours; a day's wrong sign-ins
each night. Failed and pending jobs and
webhooks stay until they are resolved. On SQLite the freed pages go back to the disk at night.
"""

from __future__ import annotations

import logging
import os
import shutil
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from sqlalchemy import delete, func, inspect, select, text, update

from lobby.backup import PLAIN, backup_dir, scheduled_backup
from lobby.context import ctx, local_now, office
from lobby.extensions import db
from lobby.housekeeping import prune_idempotency
from lobby.models import (
    Dossier,
    DossierEvent,
    IdempotencyRecord,
    LoginThrottle,
    PrintJob,
    Rating,
    Ticket,
    TicketEvent,
    WebhookDelivery,
)
from lobby.notify.contacts import forget_past_days
from lobby.offloop import run_off_loop_in_app
from lobby.queue.reference import is_day_off, windows
from lobby.tx import transaction

log = logging.getLogger(__name__)

# Warn when the disk holding the database has less than this left.
LOW_DISK_BYTES = 2 * 1024**3
LOW_DISK_SHARE = 0.10
# Tables shown by `flask status`, with the column that says how old a row is.
AGED_TABLES: list[tuple[Any, Any]] = [
    (Ticket, Ticket.issued_at),
    (TicketEvent, TicketEvent.at),
    (Dossier, Dossier.received_at),
    (DossierEvent, DossierEvent.at),
    (Rating, Rating.created_at),
    (PrintJob, PrintJob.created_at),
    (WebhookDelivery, WebhookDelivery.created_at),
    (IdempotencyRecord, IdempotencyRecord.created_at),
]


def _days(app: Flask, name: str) -> timedelta:
    return timedelta(days=float(app.config[name]))


def prune(app: Flask | None = None) -> dict[str, int]:
    """Forget what has served its time; returns how many rows each rule touched."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    now = ctx().clock.now()
    with transaction():
        # Slips printed before this rule existed still hold their bytes: drop them too.
        bytes_dropped = db.session.execute(
            update(PrintJob)
            .where(PrintJob.status == "printed", PrintJob.payload.is_not(None))
            .values(payload=None)
        ).rowcount
        jobs = db.session.execute(
            delete(PrintJob).where(
                PrintJob.status == "printed",
                PrintJob.printed_at < now - _days(app, "LOBBY_PRINT_RETENTION_DAYS"),
            )
        ).rowcount
        hooks = db.session.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.status == "delivered",
                WebhookDelivery.delivered_at < now - _days(app, "LOBBY_WEBHOOK_RETENTION_DAYS"),
            )
        ).rowcount
    keys = prune_idempotency()
    contacts = forget_past_days()
    return {
        "print_payloads": int(bytes_dropped or 0),
        "print_jobs": int(jobs or 0),
        "webhooks": int(hooks or 0),
        "idempotency_keys": keys,
        "notify_contacts": contacts,
    }


def forget_sign_in_failures() -> int:
    """Each night, wrong sign-ins of the day are forgotten, except a lock still running: the
    10-failure lock counts a day's tries, and names that never existed do not pile up."""
    now = ctx().clock.now()
    with transaction():
        result = db.session.execute(
            delete(LoginThrottle).where(
                (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until <= now)
            )
        )
    return int(result.rowcount or 0)


def is_quiet_hour() -> bool:
    """Nobody is served until tomorrow: a day off, or before the day's first window or after
    its last (ticket and reception hours alike; lunch is not quiet). LOBBY_OPEN_ALWAYS does
    not count: a demo's lobby still sleeps at night."""
    o = office()
    now = local_now(o)
    if is_day_off(o, now.date()):
        return True
    today = [
        w
        for purpose in ("ticketing", "reception")
        for w in windows(o, purpose)
        if w.weekday == now.weekday()
    ]
    if not today:
        return True
    wall = now.time()
    return wall < min(w.start for w in today) or wall >= max(w.end for w in today)


def sqlite_path() -> str | None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return str(url.database)


def give_back_space() -> str:
    """SQLite: return free pages to the disk. A database made with incremental auto-vacuum
    frees them in place; an older one is rebuilt once by VACUUM, which also switches it to
    incremental (the connection asks for it). Run off the event loop, at a quiet hour."""
    if sqlite_path() is None:
        return "not sqlite"
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        mode = conn.exec_driver_sql("PRAGMA auto_vacuum").scalar()
        if mode == 2:  # incremental
            # It frees one page per step: sqlite3_exec (executescript) steps it to the end.
            conn.connection.dbapi_connection.executescript("PRAGMA incremental_vacuum;")
            return "incremental"
        conn.exec_driver_sql("PRAGMA auto_vacuum=INCREMENTAL")
        conn.exec_driver_sql("VACUUM")
        return "vacuum"


class Housekeeper:
    """The background job's memory: prune every hour, back up once a day at LOBBY_BACKUP_AT,
    give space back once a quiet night."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pruned_at: datetime | None = None
        self.vacuumed_on: Any = None
        self.backed_up_on: Any = None

    def run(self) -> None:
        now = ctx().clock.now()
        if self.pruned_at is None or now - self.pruned_at >= timedelta(hours=1):
            counts = prune(self.app)
            self.pruned_at = now
            if any(counts.values()):
                log.info("housekeeping: %s", counts)
        self.backup(now)
        today = ctx().clock.today()
        if self.vacuumed_on != today and is_quiet_hour():
            forget_sign_in_failures()
            done = run_off_loop_in_app(give_back_space, app=self.app)
            self.vacuumed_on = today
            log.info("housekeeping: database space given back (%s)", done)

    def backup(self, now: datetime) -> None:
        """The daily backup (lobby.backup), once the configured hour has passed: once a day,
        not again when the server restarts after it, off the event loop; a failure is logged
        and tried again the next day."""
        at = self.app.config.get("LOBBY_BACKUP_AT")
        if at is None or sqlite_path() is None:
            return
        local = now.astimezone(ZoneInfo(self.app.config["LOBBY_TIMEZONE"]))
        if self.backed_up_on == local.date() or local.time() < at:
            return
        self.backed_up_on = local.date()
        folder = backup_dir(self.app)
        if folder.exists() and any(
            PLAIN.match(p.name) and p.name[15:19] >= f"{at:%H%M}"
            for p in folder.glob(f"lobby-{local:%Y%m%d}-*.tar.gz")
        ):
            return  # made after today's hour already (before a restart)
        try:
            run_off_loop_in_app(scheduled_backup, self.app, app=self.app)
        except Exception:
            log.exception("backup failed (tried again tomorrow; flask --app server backup now)")


def status() -> dict[str, Any]:
    """The database's size, each table's rows and oldest row, and the disk, with warnings."""
    app = current_app
    tables = []
    present = set(inspect(db.session.connection()).get_table_names())  # no second connection
    for model, column in AGED_TABLES:
        if model.__tablename__ not in present:
            continue
        count, oldest = db.session.execute(select(func.count(), func.min(column))).one()
        tables.append(
            {
                "table": model.__tablename__,
                "rows": int(count),
                "oldest": oldest.isoformat() if oldest else None,
            }
        )
    path = sqlite_path()
    if path is not None:
        size = sum(
            os.path.getsize(p) for p in (path, path + "-wal", path + "-shm") if os.path.exists(p)
        )
        where = os.path.dirname(os.path.abspath(path))
    else:
        size = int(
            db.session.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0
        )
        where = app.instance_path
    disk = shutil.disk_usage(where)
    warnings = []
    if disk.free < LOW_DISK_BYTES or disk.free < disk.total * LOW_DISK_SHARE:
        warnings.append(f"Ổ đĩa sắp đầy: còn {disk.free / 1024**3:.1f} GB trống ({where}).")
    return {
        "database": {"url": db.engine.url.render_as_string(hide_password=True), "bytes": size},
        "disk": {"path": where, "free_bytes": disk.free, "total_bytes": disk.total},
        "retention_days": {
            "print_jobs": float(app.config["LOBBY_PRINT_RETENTION_DAYS"]),
            "webhooks": float(app.config["LOBBY_WEBHOOK_RETENTION_DAYS"]),
        },
        "tables": tables,
        "warnings": warnings,
    }
