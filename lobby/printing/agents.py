"""The print agent's side of printing: a kiosk whose printer URL is agent:// has no worker here.

Its jobs wait in the database under the kiosk's own key (agent://<device id>); the agent on the
kiosk PC (printers/agent.py) is woken through Socket.IO, pulls them over HTTP (api/print_agent.py),
prints them locally and reports back, and its reports become printer_status like a worker's.
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import func, select

from core.access import DeviceKind
from core.clock import Clock
from core.errors import DomainError, NotFound
from lobby import events
from lobby.extensions import db
from lobby.models import Device, PrintJob
from lobby.printing.status import PrinterStatus
from lobby.printing.store import DbJobStore
from lobby.tx import transaction
from printers import backends
from printers.backends import PRINTER_STATES as PRINTER_STATES  # what an agent may report
from printers.backends import PrinterState

AGENT_KEY_PREFIX = "agent://"
AGENT_JOB_LIMIT = 50  # most jobs one pull may ask for


class NotAgentPrinter(DomainError):
    """The device's printer is driven by the server, so a print agent must not take its jobs."""

    code = "not_agent_printer"
    status = 409
    default_message = (
        "Máy in của thiết bị này không được cấu hình agent://, máy chủ tự in các phiếu của nó."
    )


def agent_key(device_id: int) -> str:
    """The printer key of a kiosk's agent printer: one queue per device, not one for agent://."""
    return f"{AGENT_KEY_PREFIX}{device_id}"


def is_agent_key(key: str) -> bool:
    """True for the queue of a printer driven by a print agent (no worker runs for it here)."""
    return key.startswith(AGENT_KEY_PREFIX)


def job_printer_key(url: str, device_id: int) -> str:
    """The printer key a job for this device's URL is queued under."""
    return agent_key(device_id) if backends.is_agent_url(url) else backends.printer_key(url)


def agent_device(device: Device) -> tuple[int, str, str]:
    """The kiosk's id, name and URL; NotAgentPrinter unless an agent prints for it (the agent's
    routes ask first: this 409 answers before any mistake in the body)."""
    url = device.printer_url
    if device.kind != DeviceKind.KIOSK or not url or not backends.is_agent_url(url):
        raise NotAgentPrinter()
    return device.id, device.name, url


class PrintAgents:
    """What the print agents of agent:// kiosks may ask: their jobs, and reports on them."""

    def __init__(self, store: DbJobStore, clock: Clock, status: PrinterStatus) -> None:
        self.store = store
        self.clock = clock
        self.status = status

    @staticmethod
    def _agent_device(device: Device) -> tuple[int, str, str]:
        return agent_device(device)

    def pending_count(self, device_id: int) -> int:
        """How many jobs wait for the kiosk's agent (on its own connection: no session touched)."""
        with db.engine.connect() as conn:
            count = conn.scalar(
                select(func.count())
                .select_from(PrintJob)
                .where(PrintJob.printer_key == agent_key(device_id), PrintJob.status == "pending")
            )
        return int(count or 0)

    def wake(self, device_id: int) -> None:
        """Tell the kiosk's agent (its own Socket.IO room) that jobs wait for it."""
        events.publisher().publish(
            events.PRINT_JOBS,
            {"pending": self.pending_count(device_id)},
            [events.agent_room(device_id)],
        )

    def jobs(self, device: Device, limit: int) -> dict[str, Any]:
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

    @staticmethod
    def _agent_job(device_id: int, job_id: int) -> PrintJob:
        job = db.session.get(PrintJob, job_id)
        if job is None or job.printer_key != agent_key(device_id):
            raise NotFound("Không có lệnh in này.", field="id")
        return job

    def job_done(
        self, device: Device, job_id: int, state: PrinterState | None = None
    ) -> dict[str, Any]:
        """The agent printed the job: mark it printed (again is harmless) and publish the status.
        `state` is checked (api.print_agent.DoneRequest); none means ok."""
        device_id, name, _ = self._agent_device(device)
        paper: PrinterState = state or "ok"
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
        self.publish_status(device_id, name, paper)
        return {"job": view}

    def job_failed(
        self,
        device: Device,
        job_id: int,
        error: str | None,
        state: PrinterState | None = None,
    ) -> dict[str, Any]:
        """The agent could not print the job: count the try; the job stays pending for a retry.
        `error` and `state` are checked (api.print_agent.FailedRequest)."""
        device_id, name, _ = self._agent_device(device)
        paper = state
        with transaction():
            job = self._agent_job(device_id, job_id)
            if job.status == "pending":
                job.attempts = (job.attempts or 0) + 1
                job.last_error = ("agent: " + ((error or "").strip() or "print failed"))[:1000]
            view = _job_view(job)
        if paper is not None:
            self.publish_status(device_id, name, paper)
        return {"job": view}

    def report_status(
        self, device: Device, state: PrinterState, pending_jobs: int | None = None
    ) -> dict[str, Any]:
        """The agent read its printer (`state` checked: api.print_agent.StatusRequest): publish
        printer_status with the server's count of jobs. The agent's own count (pending_jobs)
        is only checked: what waits on the server is what staff need (it includes what the
        agent holds)."""
        device_id, name, _ = self._agent_device(device)
        return self.publish_status(device_id, name, state)

    def publish_status(self, device_id: int, name: str, state: str) -> dict[str, Any]:
        """printer_status of an agent printer, to staff and to its kiosk."""
        count = self.pending_count(device_id)
        self.status.publish(agent_key(device_id), [(device_id, name)], state, count)
        return {"printer": name, "state": state, "pending_jobs": count}


def _job_view(job: PrintJob) -> dict[str, Any]:
    return {"id": job.id, "status": job.status, "attempts": job.attempts}
