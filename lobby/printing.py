"""Printing in the app: print jobs stored in the database, one worker per printer, status pushed.

Issuing a ticket only inserts a PrintJob (the slip as data) in the use case's transaction; after
the commit the printer's worker wakes, renders the slip once (cached in the job), sends it and
marks it. Nothing here holds a database transaction while a printer is talked to.

A kiosk whose printer URL is agent:// has no worker here: its jobs wait in the database for the
print agent on the kiosk PC (printers/agent.py), which is woken through Socket.IO, pulls them
over HTTP (api/print_agent.py), prints them locally and reports back.

Settings (app config, else the environment of the same name):
    LOBBY_PRINT_THREADS         run workers in background threads (default: on, off when TESTING)
    LOBBY_PRINT_RETRY_MAX       longest wait between retries of an offline printer, s (30)
    LOBBY_PRINT_MAX_AGE_MINUTES a job still unprinted after this long is given up (60; 0 = never)
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import os
import threading
import zlib
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from core.clock import SESSION_LABELS, Clock
from core.errors import DomainError, InvalidRequest, NotFound
from lobby import events, services
from lobby.context import office, ticket_url
from lobby.extensions import db
from lobby.models import Device, Field, Office, PrintJob, StaffUser, Ticket, TicketEvent
from lobby.offloop import run_off_loop
from lobby.tx import current_tx, transaction
from printers import backends
from printers.backends import PRINTER_STATES, PrinterConfigError, PrinterState
from printers.slips import DEFAULT_TICKET_FOOTER, ReceiptSlip, TicketSlip
from printers.worker import Job, JobId, PrintWorker, WorkerState

log = logging.getLogger(__name__)

# Jobs read, rendered and sent per drain: bounds memory when a printer was away for long.
BATCH = 20
# Slips drawn per drain (~30 ms each): the first of a backlog is not held up by the others.
RENDER_PER_DRAIN = 4
STATUS_INTERVAL = 15.0  # seconds between paper-sensor reads of an idle printer
# First key of the PostgreSQL advisory locks that make one process the owner of a printer.
_LOCK_CLASS = 0x5052_4E54  # "PRNT"


class NoPrinter(DomainError):
    """The device has no printer configured, so nothing can be printed on it."""

    code = "no_printer"
    status = 409
    default_message = "Thiết bị này chưa được cấu hình máy in."


class NotAgentPrinter(DomainError):
    """The device's printer is driven by the server, so a print agent must not take its jobs."""

    code = "not_agent_printer"
    status = 409
    default_message = (
        "Máy in của thiết bị này không được cấu hình agent://, máy chủ tự in các phiếu của nó."
    )


AGENT_KEY_PREFIX = "agent://"
AGENT_JOB_LIMIT = 50  # most jobs one pull may ask for


def agent_key(device_id: int) -> str:
    """The printer key of a kiosk's agent printer: one queue per device, not one for agent://."""
    return f"{AGENT_KEY_PREFIX}{device_id}"


def is_agent_key(key: str) -> bool:
    """True for the queue of a printer driven by a print agent (no worker runs for it here)."""
    return key.startswith(AGENT_KEY_PREFIX)


def job_printer_key(url: str, device_id: int) -> str:
    """The printer key a job for this device's URL is queued under."""
    return agent_key(device_id) if backends.is_agent_url(url) else backends.printer_key(url)


def _setting(app: Flask, name: str, default: Any) -> Any:
    if app.config.get(name) is not None:
        return app.config[name]
    return os.environ.get(name, default)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


# --- slips as stored data ----------------------------------------------------------------------


def ticket_slip(
    t: Ticket, f: Field, o: Office, *, reprint: bool = False, ahead: int | None = None
) -> TicketSlip:
    """The ticket's paper content: office, field, number, people ahead, time, session, QR link.

    Never a name, ID number, phone or priority reason (DOMAIN.md §9).
    """
    footer = (o.settings or {}).get("ticket_footer") or DEFAULT_TICKET_FOOTER
    return TicketSlip(
        office_name=o.name,
        parent_authority=o.parent_authority or "",
        field_name=f.name_vi,
        number=t.number,
        ahead=services._ahead(t) if ahead is None else ahead,
        issued_at_local=t.issued_at.astimezone(ZoneInfo(o.timezone)),
        session_label=SESSION_LABELS.get(t.session, ""),
        qr_url=ticket_url(t),
        footer=footer,
        reprint=reprint,
        priority=bool(t.is_priority),
    )


def slip_data(slip: TicketSlip | ReceiptSlip) -> dict[str, Any]:
    """A slip as JSON-safe data (datetimes as ISO strings with their offset)."""
    data = dataclasses.asdict(slip)
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def slip_from_data(data: dict[str, Any]) -> TicketSlip:
    """Rebuild a stored ticket slip; unknown keys are ignored."""
    names = {f.name for f in dataclasses.fields(TicketSlip)}
    values = {k: v for k, v in data.items() if k in names}
    values["issued_at_local"] = datetime.fromisoformat(values["issued_at_local"])
    return TicketSlip(**values)


_render_lock = threading.Lock()


def render_off_loop(kind: str, data: dict[str, Any], printer_url: str) -> bytes:
    """render_job, run where it cannot stall the server: ~30 ms of CPU would block gevent's loop."""
    with _render_lock:  # one slip at a time: fonts are shared
        return run_off_loop(render_job, kind, data, printer_url)


def render_job(kind: str, data: dict[str, Any], printer_url: str) -> bytes:
    """The ESC/POS bytes of a stored slip, drawn at the width of the printer's URL."""
    # Pillow, qrcode and python-escpos load with the first slip: a process that never prints
    # (a board-only server, a second web process) saves ~12 MB and 0.2 s of start-up.
    from printers.escpos_out import slip_bytes
    from printers.layout import render_receipt, render_ticket

    target = backends.parse_printer_url(printer_url)
    logo = _logo(data.get("logo"))
    if kind == "ticket":
        image = render_ticket(slip_from_data(data), target.width_dots, logo=logo)
    elif kind == "receipt":
        image = render_receipt(receipt_from_data(data), target.width_dots, logo=logo)
    else:
        raise ValueError(f"unknown print job kind {kind!r}")
    return slip_bytes(image, profile=target.profile)


def _logo(path: Any) -> Any:
    """The office's logo for the top of the slip, if one was configured and can be read."""
    if not path:
        return None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            return img.copy()
    except (OSError, UnidentifiedImageError):
        log.warning("the office logo %s cannot be read; printing without it", path)
        return None


def logo_path(app: Flask) -> str | None:
    """instance/logo.png, when the office has put one there (optional, DOMAIN §9 header)."""
    path = os.path.join(app.instance_path, "logo.png")
    return path if os.path.isfile(path) else None


def receipt_slip(d: Any, o: Office, pin: str | None, *, reprint: bool = False) -> ReceiptSlip:
    """The thermal Mẫu 01 receipt: code, procedure, dates, where to collect, lookup QR and PIN."""
    from core.dossiers import mask_name
    from lobby.dossiers import dossier_url

    tz = ZoneInfo(o.timezone)
    return ReceiptSlip(
        office_name=o.name,
        parent_authority=o.parent_authority or "",
        dossier_code=d.code,
        procedure_name=d.procedure.name_vi,
        received_at_local=d.received_at.astimezone(tz),
        due_at_local=d.due_at.astimezone(tz),
        collect_place=d.return_place,
        qr_url=dossier_url(d),
        lookup_pin=pin,
        applicant_masked=mask_name(d.applicant.full_name),
        reprint=reprint,
    )


def receipt_from_data(data: dict[str, Any]) -> ReceiptSlip:
    names = {f.name for f in dataclasses.fields(ReceiptSlip)}
    values = {k: v for k, v in data.items() if k in names}
    for key in ("received_at_local", "due_at_local"):
        values[key] = datetime.fromisoformat(values[key])
    return ReceiptSlip(**values)


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


# --- the app's printing ------------------------------------------------------------------------


class _ServerWorker(PrintWorker):
    """A PrintWorker whose thread hands a Ctrl-C back to the server instead of swallowing it."""

    def _loop(self) -> None:
        try:
            super()._loop()
        except KeyboardInterrupt:
            # Under gevent a signal lands in whichever greenlet runs, often this one while it
            # renders; a thread would print it and die while the server kept running.
            _interrupt_main()


def _interrupt_main() -> None:
    try:
        from gevent import get_hub, monkey
    except ImportError:  # pragma: no cover (gevent is a dependency)
        return
    if monkey.is_module_patched("threading"):
        get_hub().parent.throw(KeyboardInterrupt)


class Printing:
    """Queues slips for kiosk printers and runs one PrintWorker per printer."""

    def __init__(
        self,
        app: Flask,
        *,
        clock: Clock,
        threads: bool | None = None,
        batch: int = BATCH,
    ) -> None:
        self.app = app
        self.clock = clock
        configured = _setting(app, "LOBBY_PRINT_THREADS", None)
        if threads is None:
            threads = _flag(configured) if configured is not None else not app.testing
        self.threads = threads
        self.backoff_cap = float(_setting(app, "LOBBY_PRINT_RETRY_MAX", 30))
        minutes = float(_setting(app, "LOBBY_PRINT_MAX_AGE_MINUTES", 60))
        self.store = DbJobStore(
            app, clock, batch=batch, max_age=timedelta(minutes=minutes) if minutes > 0 else None
        )
        self.store.on_batch_done = self._next_batch
        self._workers: dict[str, PrintWorker] = {}
        self._status: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()

    # --- queueing ------------------------------------------------------------------------------

    def enqueue_ticket(
        self,
        t: Ticket,
        f: Field,
        o: Office,
        device: Device,
        *,
        reprint: bool = False,
        ahead: int | None = None,
    ) -> dict[str, Any]:
        """Store the ticket's print job in the current transaction; the worker prints it later."""
        if current_tx() is None:
            with transaction():
                return self.enqueue_ticket(t, f, o, device, reprint=reprint, ahead=ahead)
        tx = current_tx()
        assert tx is not None
        url = device.printer_url
        if not url:
            raise NoPrinter()
        try:
            key = job_printer_key(url, device.id)
        except PrinterConfigError:
            # A bad URL stored before validation: the ticket is still valid, only unprintable.
            log.exception("device %s has an unusable printer URL", device.id)
            return {"status": "failed"}
        slip = {
            **slip_data(ticket_slip(t, f, o, reprint=reprint, ahead=ahead)),
            "logo": logo_path(self.app),
        }
        self._queue(tx, device, key, "ticket", t.id, slip, reprint=reprint)
        return {"status": "queued"}

    def _queue(
        self,
        tx: Any,
        device: Any,
        key: str,
        kind: str,
        ticket_id: int | None,
        slip: dict[str, Any],
        *,
        payload: bytes | None = None,
        reprint: bool = False,
    ) -> None:
        """Store a pending job for the device's printer; its worker wakes after the commit."""
        url, device_id = device.printer_url, device.id
        db.session.add(
            PrintJob(
                device_id=device_id,
                printer_url=url,
                printer_key=key,
                kind=kind,
                ticket_id=ticket_id,
                slip=slip,
                payload=payload,
                status="pending",
                attempts=0,
                created_at=self.clock.now(),
                reprint=reprint,
            )
        )
        tx.after_commit(lambda: self._after_queued(key, url, device_id))

    def receipt_printer(self, counter_id: int | None) -> Device | None:
        """The counter's own printer (a device with settings.counter = N), or none: a receipt
        carries personal details and the lookup PIN, so never the lobby kiosk's printer."""
        from lobby.models import Counter

        counter = db.session.get(Counter, counter_id) if counter_id else None
        if counter is None:
            return None
        devices = db.session.scalars(
            select(Device).where(Device.active, Device.printer_url.is_not(None)).order_by(Device.id)
        ).all()
        return next(
            (dev for dev in devices if (dev.settings or {}).get("counter") == counter.number), None
        )

    def enqueue_receipt(
        self,
        d: Any,
        o: Office,
        pin: str | None,
        *,
        counter_id: int | None,
        reprint: bool = False,
    ) -> dict[str, Any]:
        """Queue the thermal receipt on the counter's own printer in the current transaction,
        drawn now: the lookup PIN is only on paper (and in the raster until it is printed),
        never kept as text. {"status": "none"} when the counter has no printer (the A5 page)."""
        tx = current_tx()
        assert tx is not None, "receipts are queued by the accepting use case"
        device = self.receipt_printer(counter_id)
        if device is None or not device.printer_url:
            return {"status": "none"}
        url = device.printer_url
        key = job_printer_key(url, device.id)
        slip = receipt_slip(d, o, pin, reprint=reprint)
        payload = render_job("receipt", {**slip_data(slip), "logo": logo_path(self.app)}, url)
        stored = slip_data(dataclasses.replace(slip, lookup_pin=None))
        self._queue(tx, device, key, "receipt", d.ticket_id, stored, payload=payload)
        return {"status": "queued", "printer": device.name}

    def reprint_ticket(self, ticket_id: int, device_id: Any, user: StaffUser) -> dict[str, Any]:
        """Queue the ticket again, marked IN LẠI, on the given kiosk or the one that issued it."""
        with transaction():
            t = services.ticket_by_id(ticket_id)
            o = office()
            if device_id is None:
                device = db.session.get(Device, t.device_id) if t.device_id else None
            else:
                if isinstance(device_id, bool) or not isinstance(device_id, int):
                    raise InvalidRequest("Mã thiết bị (device) phải là số.", field="device")
                device = db.session.get(Device, device_id)
                if device is None or device.office_id != o.id or not device.active:
                    raise NotFound("Không có thiết bị này.", field="device")
            if device is None or not device.printer_url:
                raise NoPrinter()
            db.session.add(
                TicketEvent(
                    ticket_id=t.id,
                    at=self.clock.now(),
                    action="reprint",
                    from_status=t.status,
                    to_status=t.status,
                    staff_id=user.id,
                    device_id=device.id,
                    detail={},
                )
            )
            return self.enqueue_ticket(t, t.field, o, device, reprint=True)

    # --- workers -------------------------------------------------------------------------------

    def _worker(self, key: str, url: str | None = None) -> PrintWorker:
        with self._lock:
            worker = self._workers.get(key)
            if worker is None:
                worker = _ServerWorker(
                    key,
                    self.store,
                    clock=self.clock.now,
                    on_status=self._on_status,
                    backoff_cap=self.backoff_cap,
                    status_interval=STATUS_INTERVAL,
                    status_url=url,
                )
                self._workers[key] = worker
            return worker

    def _after_queued(self, key: str, url: str, device_id: int) -> None:
        if is_agent_key(key):
            self.wake_agent(device_id)
        else:
            self.wake(key, url)

    def wake(self, printer_key: str, url: str | None = None) -> None:
        """A job was queued for this printer: start its worker thread if needed and wake it.

        Agent printers have no worker here: their agent is woken instead (wake_agent).
        """
        if is_agent_key(printer_key) or backends.is_agent_url(url):
            return
        worker = self._worker(printer_key, url)
        if self.threads:
            with self._lock:
                worker.start()
        worker.notify()

    def _next_batch(self, printer_key: str) -> None:
        with self._lock:
            worker = self._workers.get(printer_key)
        if worker is not None:
            worker.notify()

    def run_pending(self, printer_key: str) -> WorkerState:
        """Drain the printer now, in the caller's thread, until it prints no more (tests, CLI)."""
        if is_agent_key(printer_key):
            # Only the kiosk's agent prints these; report what waits for it.
            return WorkerState(printer_key, "unknown", self.store.pending_count(printer_key))
        worker = self._worker(printer_key)
        left = self.store.pending_count(printer_key)
        while True:
            worker.run_once()
            now_left = self.store.pending_count(printer_key)
            if now_left == 0 or now_left >= left:
                return worker.state()
            left = now_left

    def pending_printers(self) -> dict[str, str]:
        """Printer key -> URL of every printer with jobs waiting."""
        with self.app.app_context():
            rows = db.session.execute(
                select(PrintJob.printer_key, func.max(PrintJob.printer_url))
                .where(PrintJob.status == "pending")
                .group_by(PrintJob.printer_key)
            ).all()
            db.session.rollback()
        return {key: url for key, url in rows if not is_agent_key(key)}

    def device_printers(self) -> dict[str, str]:
        """Printer key -> URL of every active device's printer (bad URLs skipped)."""
        with self.app.app_context():
            urls = db.session.scalars(
                select(Device.printer_url).where(Device.active, Device.printer_url.is_not(None))
            ).all()
            db.session.rollback()
        found: dict[str, str] = {}
        for url in urls:
            if not url or backends.is_agent_url(url):
                continue
            try:
                found.setdefault(backends.printer_key(url), url)
            except PrinterConfigError:
                log.warning("ignoring unusable printer URL %r", url)
        return found

    def resume(self) -> list[str]:
        """At server start: run a worker for every printer with waiting jobs or a kiosk using it.

        Agent printers are left to their agents, which pull what waits when they connect.
        """
        printers = {**self.device_printers(), **self.pending_printers()}
        for key, url in printers.items():
            self.wake(key, url)
        return sorted(printers)

    def stop_all(self, timeout: float = 10.0) -> None:
        """Stop every worker (after the job in hand) and give up printer ownership."""
        with self._lock:
            workers = list(self._workers.values())
            self._workers.clear()
        for worker in workers:
            worker.stop(timeout)
        self.store.lease.release_all()

    # --- print agents (agent:// kiosks) ----------------------------------------------------------

    @staticmethod
    def _agent_device(device: Device) -> tuple[int, str, str]:
        """The kiosk's id, name and URL; NotAgentPrinter unless an agent prints for it."""
        url = device.printer_url
        if device.kind != "kiosk" or not url or not backends.is_agent_url(url):
            raise NotAgentPrinter()
        return device.id, device.name, url

    def agent_pending_count(self, device_id: int) -> int:
        """How many jobs wait for the kiosk's agent (on its own connection: no session touched)."""
        with db.engine.connect() as conn:
            count = conn.scalar(
                select(func.count())
                .select_from(PrintJob)
                .where(PrintJob.printer_key == agent_key(device_id), PrintJob.status == "pending")
            )
        return int(count or 0)

    def wake_agent(self, device_id: int) -> None:
        """Tell the kiosk's agent (its own Socket.IO room) that jobs wait for it."""
        events.publisher().publish(
            events.PRINT_JOBS,
            {"pending": self.agent_pending_count(device_id)},
            [events.agent_room(device_id)],
        )

    def agent_jobs(self, device: Device, limit: int) -> dict[str, Any]:
        """The kiosk's pending jobs, oldest first, as ESC/POS bytes drawn at its URL's width.

        Jobs older than the age limit are given up here, as a server worker would; `more` says
        that further jobs wait (a pull draws only a few slips).
        """
        device_id, _, _ = self._agent_device(device)
        limit = max(1, min(limit, AGENT_JOB_LIMIT))
        rows = self.store.pending_rows(PrintJob.printer_key == agent_key(device_id), limit)
        ready, more = self.store.prepare(rows, limit)
        jobs = [
            {
                "id": row.id,
                "kind": row.kind,
                "payload": base64.b64encode(payload).decode("ascii"),
                "attempts": row.attempts,
                "width": backends.width_dots(row.printer_url),
            }
            for row, payload in ready
        ]
        return {"jobs": jobs, "more": more}

    def _agent_job(self, device_id: int, job_id: int) -> PrintJob:
        job = db.session.get(PrintJob, job_id)
        if job is None or job.printer_key != agent_key(device_id):
            raise NotFound("Không có lệnh in này.", field="id")
        return job

    def agent_job_done(self, device: Device, job_id: int, state: Any = None) -> dict[str, Any]:
        """The agent printed the job: mark it printed (again is harmless) and publish the status."""
        device_id, name, _ = self._agent_device(device)
        paper = _printer_state(state, "ok")
        with transaction():
            job = self._agent_job(device_id, job_id)
            if job.status != "printed":
                # Also for a job given up meanwhile: it did reach paper.
                job.status = "printed"
                job.printed_at = self.clock.now()
                job.next_try_at = None
            # On paper now: only the audit row is kept (a receipt's raster holds its PIN).
            job.payload = None
            view = _job_view(job)
        self.publish_agent_status(device_id, name, paper)
        return {"job": view}

    def agent_job_failed(
        self, device: Device, job_id: int, error: Any, state: Any = None
    ) -> dict[str, Any]:
        """The agent could not print the job: count the try; the job stays pending for a retry."""
        device_id, name, _ = self._agent_device(device)
        if error is None:
            error = ""
        if not isinstance(error, str):
            raise InvalidRequest("Mô tả lỗi (error) phải là chuỗi.", field="error")
        paper = _printer_state(state, None)
        with transaction():
            job = self._agent_job(device_id, job_id)
            if job.status == "pending":
                job.attempts = (job.attempts or 0) + 1
                job.last_error = ("agent: " + (error.strip() or "print failed"))[:1000]
            view = _job_view(job)
        if paper is not None:
            self.publish_agent_status(device_id, name, paper)
        return {"job": view}

    def agent_report_status(
        self, device: Device, state: Any, pending_jobs: Any = None
    ) -> dict[str, Any]:
        """The agent read its printer: publish printer_status with the server's count of jobs.

        pending_jobs, the agent's own count, is only checked: what waits on the server is what
        staff need (it includes what the agent holds).
        """
        device_id, name, _ = self._agent_device(device)
        paper = _printer_state(state, None)
        if paper is None:
            raise InvalidRequest("Thiếu trạng thái máy in (state).", field="state")
        if pending_jobs is not None and (
            isinstance(pending_jobs, bool) or not isinstance(pending_jobs, int) or pending_jobs < 0
        ):
            raise InvalidRequest(
                "Số lệnh in chờ (pending_jobs) phải là số nguyên không âm.", field="pending_jobs"
            )
        return self.publish_agent_status(device_id, name, paper)

    def publish_agent_status(self, device_id: int, name: str, state: str) -> dict[str, Any]:
        """printer_status of an agent printer, to staff and to its kiosk."""
        count = self.agent_pending_count(device_id)
        self._publish_status(agent_key(device_id), [(device_id, name)], state, count)
        return {"printer": name, "state": state, "pending_jobs": count}

    # --- status --------------------------------------------------------------------------------

    def printer_states(self) -> list[dict[str, Any]]:
        """The last printer_status payload of each printer this process drives."""
        with self._lock:
            return [dict(p) for p in self._status.values()]

    def _on_status(self, printer_key: str, state: PrinterState, pending: int) -> None:
        """Publish printer_status to staff and to the kiosks printing on that printer."""
        if self.store.owner.get(printer_key) is False:
            return  # another process drives this printer and reports for it
        with self.app.app_context():
            # The database count, not the worker's: a worker sees one batch at a time.
            count = self.store.pending_count(printer_key)
            devices = [
                (d.id, d.name)
                for d in db.session.scalars(
                    select(Device).where(Device.active, Device.printer_url.is_not(None))
                )
                if _key_or_none(d.printer_url) == printer_key
            ]
            db.session.rollback()
            self._publish_status(printer_key, devices, state, count)

    def _publish_status(
        self, printer_key: str, devices: list[tuple[int, str]], state: str, count: int
    ) -> None:
        """printer_status to staff and each kiosk printing there; remembered for printer_states."""
        pub = events.publisher()
        targets = [(name, [events.STAFF_ROOM, events.kiosk_room(i)]) for i, name in devices]
        for name, rooms in targets or [(printer_key, [events.STAFF_ROOM])]:
            payload = {"printer": name, "state": state, "pending_jobs": count}
            pub.publish(events.PRINTER_STATUS, payload, rooms)
        with self._lock:
            self._status[printer_key] = {
                "printer": printer_key,
                "devices": [name for _, name in devices],
                "state": state,
                "pending_jobs": count,
            }


def _printer_state(value: Any, default: PrinterState | None) -> PrinterState | None:
    if value is None:
        return default
    if value not in PRINTER_STATES:
        raise InvalidRequest(
            "Trạng thái máy in (state) phải là một trong: ok, paper_low, paper_out, offline,"
            " unknown.",
            field="state",
        )
    return value  # type: ignore[no-any-return]


def _job_view(job: PrintJob) -> dict[str, Any]:
    return {"id": job.id, "status": job.status, "attempts": job.attempts}


def _key_or_none(url: str | None) -> str | None:
    try:
        return backends.printer_key(url) if url else None
    except PrinterConfigError:
        return None
