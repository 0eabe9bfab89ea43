"""Printing in the app: class Printing, the PrintQueue port's implementation (lobby.context).

Issuing a ticket only inserts a PrintJob (the slip as data) in the use case's transaction; after
the commit the printer's worker wakes, renders the slip once (cached in the job), sends it and
marks it. Nothing here holds a database transaction while a printer is talked to. A kiosk whose
printer URL is agent:// has no worker here: its print agent takes its jobs (lobby.printing.agents).

Settings (app config, else the environment of the same name):
    LOBBY_PRINT_THREADS         run workers in background threads (default: on, off when TESTING)
    LOBBY_PRINT_RETRY_MAX       longest wait between retries of an offline printer, s (30)
    LOBBY_PRINT_MAX_AGE_MINUTES a job still unprinted after this long is given up (60; 0 = never)
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from core.clock import Clock
from core.errors import DomainError, InvalidRequest, NotFound
from lobby.context import office
from lobby.extensions import db
from lobby.forms import whole
from lobby.models import Counter, Device, Field, Office, PrintJob, StaffUser, Ticket, TicketEvent
from lobby.printing.agents import PrintAgents, is_agent_key, job_printer_key
from lobby.printing.render import logo_path, render_job
from lobby.printing.slips import receipt_slip, slip_data, ticket_slip
from lobby.printing.status import PrinterStatus
from lobby.printing.store import BATCH, DbJobStore
from lobby.queue.line import ahead_of
from lobby.queue.reference import ticket_by_id
from lobby.tx import current_tx, transaction
from printers import backends
from printers.backends import PrinterConfigError, PrinterState
from printers.worker import PrintWorker, WorkerState

log = logging.getLogger(__name__)

STATUS_INTERVAL = 15.0  # seconds between paper-sensor reads of an idle printer


class NoPrinter(DomainError):
    """The device has no printer configured, so nothing can be printed on it."""

    code = "no_printer"
    status = 409
    default_message = "Thiết bị này chưa được cấu hình máy in."


def _setting(app: Flask, name: str, default: Any) -> Any:
    """A LOBBY_PRINT_* setting (lobby.config reads the environment), else `default`."""
    value = app.config.get(name)
    return default if value is None else value


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


class ServerWorker(PrintWorker):
    """A PrintWorker whose thread hands a Ctrl-C back to the server instead of swallowing it."""

    def _loop(self) -> None:
        try:
            super()._loop()
        except KeyboardInterrupt:
            # Under gevent a signal lands in whichever greenlet runs, often this one while it
            # renders; a thread would print it and die while the server kept running.
            _interrupt_main()


def _interrupt_main() -> None:
    # gevent only matters on a Ctrl-C in a worker: loaded then, like the other optional imports.
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
        self.status = PrinterStatus()
        self.agents = PrintAgents(self.store, clock, self.status)
        self._workers: dict[str, PrintWorker] = {}
        self._lock = threading.RLock()

    # --- queueing ------------------------------------------------------------------------------

    def enqueue_ticket(
        self,
        t: Ticket,
        f: Field,
        o: Office,
        device: Device,
        *,
        ahead: int,
        reprint: bool = False,
    ) -> dict[str, Any]:
        """Store the ticket's print job in the current transaction; the worker prints it later.

        `ahead`: the people before the ticket in its line, as the queue counted them.
        """
        if current_tx() is None:
            with transaction():
                return self.enqueue_ticket(t, f, o, device, ahead=ahead, reprint=reprint)
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
            **slip_data(ticket_slip(t, f, o, ahead=ahead, reprint=reprint)),
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
            t = ticket_by_id(ticket_id)
            o = office()
            device = _reprint_device(t, device_id, o)
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
            return self.enqueue_ticket(t, t.field, o, device, ahead=ahead_of(t), reprint=True)

    # --- workers -------------------------------------------------------------------------------

    def _worker(self, key: str, url: str | None = None) -> PrintWorker:
        with self._lock:
            worker = self._workers.get(key)
            if worker is None:
                worker = ServerWorker(
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
            self.agents.wake(device_id)
        else:
            self.wake(key, url)

    def wake(self, printer_key: str, url: str | None = None) -> None:
        """A job was queued for this printer: start its worker thread if needed and wake it.

        Agent printers have no worker here: their agent is woken instead (PrintAgents.wake).
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

    # --- print agents (agent:// kiosks): lobby.printing.agents --------------------------------

    def agent_pending_count(self, device_id: int) -> int:
        return self.agents.pending_count(device_id)

    def agent_jobs(self, device: Device, limit: int) -> dict[str, Any]:
        return self.agents.jobs(device, limit)

    def agent_job_done(self, device: Device, job_id: int, state: Any = None) -> dict[str, Any]:
        return self.agents.job_done(device, job_id, state)

    def agent_job_failed(
        self, device: Device, job_id: int, error: Any, state: Any = None
    ) -> dict[str, Any]:
        return self.agents.job_failed(device, job_id, error, state)

    def agent_report_status(
        self, device: Device, state: Any, pending_jobs: Any = None
    ) -> dict[str, Any]:
        return self.agents.report_status(device, state, pending_jobs)

    # --- status --------------------------------------------------------------------------------

    def printer_states(self) -> list[dict[str, Any]]:
        """The last printer_status payload of each printer this process reports for."""
        return self.status.states()

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
            self.status.publish(printer_key, devices, state, count)


def _reprint_device(t: Ticket, device_id: Any, o: Office) -> Device:
    """The kiosk a reprint goes to: the given one, else the one that issued the ticket."""
    if device_id is None:
        device = db.session.get(Device, t.device_id) if t.device_id else None
    else:
        if not whole(device_id):
            raise InvalidRequest("Mã thiết bị (device) phải là số.", field="device")
        device = db.session.get(Device, device_id)
        if device is None or device.office_id != o.id or not device.active:
            raise NotFound("Không có thiết bị này.", field="device")
    if device is None or not device.printer_url:
        raise NoPrinter()
    return device


def _key_or_none(url: str | None) -> str | None:
    try:
        return backends.printer_key(url) if url else None
    except PrinterConfigError:
        return None
