"""Print jobs on the database: the job store the workers drain, and on PostgreSQL the lease that
makes one process at a time the owner of a printer. Each call is its own short transaction."""

from __future__ import annotations

import logging
import threading
import zlib
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from core.clock import Clock
from lobby.extensions import db
from lobby.models import PrintJob
from lobby.printing.render import render_off_loop
from lobby.tx import transaction
from printers.worker import Job, JobId

log = logging.getLogger(__name__)

# Jobs read, rendered and sent per drain: bounds memory when a printer was away for long.
BATCH = 20
# Slips drawn per drain (~30 ms each): the first of a backlog is not held up by the others.
RENDER_PER_DRAIN = 4
# First key of the PostgreSQL advisory locks that make one process the owner of a printer.
_LOCK_CLASS = 0x5052_4E54  # "PRNT"


# --- one owner per printer across processes ------------------------------------------------------


class _PrinterLease:
    """On PostgreSQL, one process at a time drains a printer (a session advisory lock per key).

    Several server processes may share one database; without this two of them could send the
    same job. The lock lives on a connection in autocommit mode: no transaction stays open.
    """

    def __init__(self) -> None:
        self._conns: dict[str, Connection] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _ids(key: str) -> dict[str, int]:
        return {"a": _LOCK_CLASS, "b": zlib.crc32(key.encode()) & 0x7FFF_FFFF}

    def hold(self, key: str) -> bool:
        """True if this process owns the printer now (always on databases other than PostgreSQL)."""
        engine = db.engine
        if engine.dialect.name != "postgresql":
            return True
        ids = self._ids(key)
        with self._lock:
            conn = self._conns.get(key)
        if conn is not None:
            try:
                held = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                        " AND pid = pg_backend_pid() AND classid = :a AND objid = :b"
                        " AND objsubid = 2"
                    ),
                    ids,
                ).scalar()
                conn.commit()
                if held:
                    return True
            except DBAPIError:
                # The connection died, and the lock with it: take it again on a fresh one.
                self.release(key)
                conn = None
        if conn is None:
            conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            with self._lock:
                self._conns[key] = conn
        got = conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"), ids).scalar()
        conn.commit()
        return bool(got)

    def release(self, key: str) -> None:
        """Give the printer up (and never return a connection holding the lock to the pool)."""
        with self._lock:
            conn = self._conns.pop(key, None)
        if conn is None:
            return
        try:
            conn.execute(text("SELECT pg_advisory_unlock_all()"))
            conn.commit()
            conn.close()
        except DBAPIError:
            conn.invalidate()
            conn.close()

    def release_all(self) -> None:
        with self._lock:
            keys = list(self._conns)
        for key in keys:
            self.release(key)


# --- the job store on the database ---------------------------------------------------------------


class DbJobStore:
    """printers.worker.JobStore on the print_jobs table; each call is its own short transaction."""

    def __init__(
        self,
        app: Flask,
        clock: Clock,
        *,
        batch: int = BATCH,
        max_age: timedelta | None = timedelta(minutes=60),
    ) -> None:
        self.app = app
        self.clock = clock
        self.batch = batch
        self.max_age = max_age
        self.lease = _PrinterLease()
        self.owner: dict[str, bool] = {}
        self.on_batch_done: Any = None  # called with the printer key when a full batch printed
        self._batch_tail: dict[JobId, str] = {}
        self._lock = threading.Lock()

    def pending(self, printer_key: str) -> list[Job]:
        """The printer's pending jobs, oldest first (one batch), rendered and cached on first use."""
        with self.app.app_context():
            if not self.lease.hold(printer_key):
                self.owner[printer_key] = False
                return []
            self.owner[printer_key] = True
            rows = self.pending_rows(PrintJob.printer_key == printer_key, self.batch)
            ready, more = self.prepare(rows, self.batch)
        jobs = [Job(row.id, row.printer_url, payload, row.attempts) for row, payload in ready]
        if more:
            if jobs:
                with self._lock:
                    self._batch_tail[jobs[-1].id] = printer_key
            elif self.on_batch_done is not None:
                self.on_batch_done(printer_key)  # all given up: the next batch is already due
        return jobs

    @staticmethod
    def pending_rows(where: Any, limit: int) -> list[Any]:
        """Up to limit + 1 pending jobs matching `where`, oldest first; the read is ended."""
        rows = db.session.execute(
            select(
                PrintJob.id,
                PrintJob.printer_url,
                PrintJob.attempts,
                PrintJob.payload,
                PrintJob.slip,
                PrintJob.kind,
                PrintJob.created_at,
            )
            .where(where, PrintJob.status == "pending")
            .order_by(PrintJob.id)
            .limit(limit + 1)
        ).all()
        db.session.rollback()  # end the read: nothing is held while rendering or printing
        return list(rows)

    def prepare(self, rows: list[Any], limit: int) -> tuple[list[tuple[Any, bytes]], bool]:
        """Of the first `limit` rows, give up the too old and the undrawable, draw the rest (a
        few per call) and cache their bytes; return (row, bytes) in order and whether more wait."""
        more = len(rows) > limit
        now = self.clock.now()
        given_up: list[tuple[int, str]] = []
        rendered: dict[int, bytes] = {}
        ready: list[tuple[Any, bytes]] = []
        for row in rows[:limit]:
            if self.max_age and row.created_at < now - self.max_age:
                given_up.append((row.id, "expired: not printed in time"))
                continue
            payload = row.payload
            if payload is None and len(rendered) >= RENDER_PER_DRAIN:
                more = True  # send what is drawn first; the rest comes with the next batch
                break
            if payload is None:
                try:
                    payload = render_off_loop(row.kind, row.slip, row.printer_url)
                except Exception as exc:  # a slip that cannot be drawn must not block the rest
                    log.exception("print job %s cannot be rendered", row.id)
                    given_up.append((row.id, f"cannot render: {exc}"))
                    continue
                rendered[row.id] = payload
            ready.append((row, payload))
        if rendered or given_up:
            with transaction():
                for job_id, payload in rendered.items():
                    db.session.execute(
                        update(PrintJob)
                        .where(PrintJob.id == job_id, PrintJob.payload.is_(None))
                        .values(payload=payload)
                    )
                for job_id, error in given_up:
                    db.session.execute(
                        update(PrintJob)
                        .where(PrintJob.id == job_id, PrintJob.status == "pending")
                        .values(status="failed", last_error=error, next_try_at=None)
                    )
        return ready, more

    def mark_printed(self, job_id: JobId) -> None:
        """Record that the job's bytes reached the printer; the bytes themselves are dropped
        (a reprint draws the slip again from its data; a receipt's held its lookup PIN), the
        audit row stays."""
        with self.app.app_context(), transaction():
            db.session.execute(
                update(PrintJob)
                .where(PrintJob.id == job_id)
                .values(
                    status="printed", printed_at=self.clock.now(), next_try_at=None, payload=None
                )
            )
        with self._lock:
            key = self._batch_tail.pop(job_id, None)
        if key is not None and self.on_batch_done is not None:
            self.on_batch_done(key)

    def mark_failed(
        self, job_id: JobId, error: str, attempts: int, next_try_at: datetime | None
    ) -> None:
        """Record a failed try; next_try_at None means the job is given up."""
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_error": error[:1000],
            "next_try_at": next_try_at,
        }
        if next_try_at is None:
            values["status"] = "failed"
        with self.app.app_context(), transaction():
            db.session.execute(update(PrintJob).where(PrintJob.id == job_id).values(**values))

    def pending_count(self, printer_key: str) -> int:
        """How many jobs wait for this printer."""
        with self.app.app_context():
            count = db.session.scalar(
                select(func.count())
                .select_from(PrintJob)
                .where(PrintJob.printer_key == printer_key, PrintJob.status == "pending")
            )
            db.session.rollback()
            return int(count or 0)
