"""One print worker per printer: drains stored jobs in order, retries with back-off, reports state.

Jobs live in a JobStore (the database in the app, InMemoryJobStore in tests) before anything is
printed, so a restart loses none. The worker never blocks whoever queued the job: it runs in its
own thread, or is driven by run_once() with an injected clock in tests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from printers import backends
from printers.backends import PrinterError, PrinterState

log = logging.getLogger(__name__)

JobId = int | str
Clock = Callable[[], datetime]
Wait = Callable[[threading.Event, float], object]
SendFn = Callable[[str, bytes, float], None]
StatusFn = Callable[[str], PrinterState]
StatusCallback = Callable[[str, PrinterState, int], None]


@dataclass(frozen=True)
class Job:
    """A stored print job: the exact bytes for one printer, and how often it was tried."""

    id: JobId
    printer_url: str
    payload: bytes
    attempts: int = 0


class JobStore(Protocol):
    """Where jobs wait. The app implements it on the database; tests use InMemoryJobStore."""

    def pending(self, printer_key: str) -> list[Job]:
        """Jobs of this printer not printed and not given up, oldest first (retries included)."""
        ...

    def mark_printed(self, job_id: JobId) -> None:
        """Record that the job's bytes reached the printer."""
        ...

    def mark_failed(
        self, job_id: JobId, error: str, attempts: int, next_try_at: datetime | None
    ) -> None:
        """Record a failed try; next_try_at None means the worker gave the job up for good."""
        ...


@dataclass(frozen=True)
class WorkerState:
    """What staff screens show about one printer."""

    printer_key: str
    state: PrinterState
    pending: int
    last_error: str | None = None
    next_try_at: datetime | None = None


def _event_wait(event: threading.Event, timeout: float) -> object:
    return event.wait(timeout)


def backoff_delay(failures: int, base: float = 1.0, cap: float = 30.0) -> float:
    """Seconds to wait after the n-th failure in a row: base, 2*base, 4*base ... at most cap."""
    if failures <= 0:
        return 0.0
    return float(min(cap, base * 2 ** min(failures - 1, 32)))


class PrintWorker:
    """Sends one printer's jobs in order, each marked printed once, retrying while it is away."""

    def __init__(
        self,
        printer_key: str,
        store: JobStore,
        *,
        clock: Clock,
        wait: Wait = _event_wait,
        send: SendFn = backends.send,
        read_status: StatusFn | None = backends.read_status,
        on_status: StatusCallback | None = None,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        max_attempts: int | None = None,
        status_interval: float = 15.0,
        send_timeout: float = 5.0,
        status_url: str | None = None,
    ) -> None:
        self.printer_key = printer_key
        self.store = store
        self.clock = clock
        self._wait = wait
        self._send = send
        self._read_status = read_status
        self.on_status = on_status
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_attempts = max_attempts
        self.status_interval = status_interval
        self.send_timeout = send_timeout
        # Polled while no job waits; else the URL of the last job sent.
        self.status_url = status_url
        self._last_url: str | None = status_url

        self._drain_lock = threading.Lock()  # one drain at a time: order and exactly-once
        self._state_lock = threading.Lock()
        self._state = WorkerState(printer_key, "unknown", 0)
        self._published: tuple[PrinterState, int] | None = None
        self._failures = 0
        self._retry_at: datetime | None = None
        self._next_poll: datetime | None = None
        # None until known; False once the printer failed to answer a status query.
        self._status_readable: bool | None = None
        # Jobs whose bytes went out but whose mark_printed failed: never send them again.
        self._sent_unmarked: set[JobId] = set()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- public surface ----------------------------------------------------------------------

    def state(self) -> WorkerState:
        """Return the printer state, pending count and next retry as last seen."""
        with self._state_lock:
            return self._state

    def notify(self) -> None:
        """Wake the worker: a job was queued (it is sent now unless the printer is backing off)."""
        self._wake.set()

    def start(self) -> None:
        """Run the worker in a daemon thread until stop()."""
        if self._thread and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._loop, name=f"print-worker:{self.printer_key}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop the thread after the job in hand (a job is never cut in half by stopping)."""
        self._stopping.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> float:
        """Send every job that is due, in order; return the seconds until it should run again."""
        with self._drain_lock:
            return self._drain()

    # --- the loop ------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            # Clear before draining: a notify() during the drain then cuts the wait short.
            self._wake.clear()
            try:
                delay = self.run_once()
            except Exception:  # the worker must outlive a broken store or callback
                log.exception("print worker %s: drain failed", self.printer_key)
                delay = self.backoff_cap
            if self._stopping.is_set():
                break
            self._wait(self._wake, max(0.0, delay))

    def _drain(self) -> float:
        now = self.clock()
        jobs = self.store.pending(self.printer_key)
        jobs = self._settle_sent(jobs)
        if self._retry_at is not None and now < self._retry_at:
            self._set_state(pending=len(jobs))
            return (self._retry_at - now).total_seconds()
        self._retry_at = None
        if not jobs:
            self._poll_when_idle(now)
            self._set_state(pending=0)
            return self.status_interval
        for index, job in enumerate(jobs):
            paper = self._check_before_send(job)
            if paper in ("paper_out", "offline"):
                why = "paper out" if paper == "paper_out" else "printer offline"
                return self._fail(job, why, paper, remaining=len(jobs) - index)
            try:
                self._send(job.printer_url, job.payload, self.send_timeout)
            except PrinterError as exc:
                return self._fail(job, str(exc), "offline", remaining=len(jobs) - index)
            self._failures = 0
            self._mark_printed(job)
            self._set_state(
                state="paper_low" if paper == "paper_low" else "ok",
                pending=len(jobs) - index - 1,
                last_error=None,
                next_try_at=None,
            )
        self._next_poll = self.clock() + timedelta(seconds=self.status_interval)
        return self.status_interval

    def _settle_sent(self, jobs: list[Job]) -> list[Job]:
        """Retry marking jobs already sent; drop them from what is still to send."""
        if not self._sent_unmarked:
            return jobs
        already_sent = set(self._sent_unmarked)
        for job_id in already_sent:
            try:
                self.store.mark_printed(job_id)
            except Exception:
                log.exception("print worker %s: cannot mark job %s", self.printer_key, job_id)
                continue
            self._sent_unmarked.discard(job_id)
        return [job for job in jobs if job.id not in already_sent]

    def _mark_printed(self, job: Job) -> None:
        try:
            self.store.mark_printed(job.id)
        except Exception:
            # The bytes are out: remember it so a store hiccup never prints the job twice.
            self._sent_unmarked.add(job.id)
            log.exception("print worker %s: cannot mark job %s", self.printer_key, job.id)

    def _check_before_send(self, job: Job) -> PrinterState:
        """Ask the paper sensor before sending: a printer out of paper swallows bytes silently."""
        self._last_url = job.printer_url
        if self._read_status is None or self._status_readable is False:
            return "unknown"
        state = self._read_status(job.printer_url)
        if state == "unknown":
            self._status_readable = False
        elif state != "offline":
            self._status_readable = True
        return state

    def _poll_when_idle(self, now: datetime) -> None:
        """Read the paper sensor now and then while idle, so staff see paper-out before a job."""
        url = self.status_url or self._last_url
        if url is None or self._read_status is None or self._status_readable is False:
            return
        if self._next_poll is not None and now < self._next_poll:
            return
        self._next_poll = now + timedelta(seconds=self.status_interval)
        state = self._read_status(url)
        if state == "unknown":
            self._status_readable = False
            return
        if state != "offline":
            self._status_readable = True
        self._set_state(state=state)

    def _fail(self, job: Job, error: str, state: PrinterState, *, remaining: int) -> float:
        now = self.clock()
        self._failures += 1
        delay = backoff_delay(self._failures, self.backoff_base, self.backoff_cap)
        attempts = job.attempts + 1
        give_up = self.max_attempts is not None and attempts >= self.max_attempts
        next_try = None if give_up else now + timedelta(seconds=delay)
        self.store.mark_failed(job.id, error, attempts, next_try)
        if give_up:
            remaining -= 1
        self._retry_at = now + timedelta(seconds=delay)
        self._set_state(
            state=state, pending=remaining, last_error=error, next_try_at=self._retry_at
        )
        log.warning(
            "print worker %s: job %s failed (%s), attempt %d, next try in %.1fs",
            self.printer_key,
            job.id,
            error,
            attempts,
            delay,
        )
        return delay

    def _set_state(self, **changes: object) -> None:
        with self._state_lock:
            self._state = replace(self._state, **changes)  # type: ignore[arg-type]
            snapshot = self._state
        key = (snapshot.state, snapshot.pending)
        if key == self._published:
            return
        self._published = key
        if self.on_status is None:
            return
        try:
            self.on_status(self.printer_key, snapshot.state, snapshot.pending)
        except Exception:
            log.exception("print worker %s: on_status callback failed", self.printer_key)


# --- a job store for tests and the demo --------------------------------------------------------


@dataclass
class StoredJob:
    """A job with its bookkeeping, as InMemoryJobStore keeps it."""

    job: Job
    key: str
    status: str = "pending"  # pending | printed | failed
    error: str | None = None
    next_try_at: datetime | None = None
    printed_marks: int = 0
    failures: list[str] = field(default_factory=list)


class InMemoryJobStore:
    """A thread-safe JobStore in memory, keyed by printer_key(url) unless told otherwise."""

    def __init__(self, key: Callable[[str], str] = backends.printer_key) -> None:
        self._key = key
        self._lock = threading.Lock()
        self._jobs: dict[JobId, StoredJob] = {}
        self._next_id = 1
        self.printed_order: list[JobId] = []

    def add(self, printer_url: str, payload: bytes) -> Job:
        """Store a new job (before anything is printed) and return it."""
        with self._lock:
            job = Job(self._next_id, printer_url, payload)
            self._next_id += 1
            self._jobs[job.id] = StoredJob(job, self._key(printer_url))
            return job

    def pending(self, printer_key: str) -> list[Job]:
        """Jobs of this printer not printed and not given up, oldest first."""
        with self._lock:
            return [
                s.job
                for s in self._jobs.values()  # insertion order is queue order
                if s.key == printer_key and s.status == "pending"
            ]

    def mark_printed(self, job_id: JobId) -> None:
        """Record that the job reached the printer (counts calls, to catch double marking)."""
        with self._lock:
            stored = self._jobs[job_id]
            stored.printed_marks += 1
            stored.status = "printed"
            self.printed_order.append(job_id)

    def mark_failed(
        self, job_id: JobId, error: str, attempts: int, next_try_at: datetime | None
    ) -> None:
        """Record a failed try; next_try_at None gives the job up."""
        with self._lock:
            stored = self._jobs[job_id]
            stored.job = replace(stored.job, attempts=attempts)
            stored.error = error
            stored.next_try_at = next_try_at
            stored.failures.append(error)
            if next_try_at is None:
                stored.status = "failed"

    def get(self, job_id: JobId) -> StoredJob:
        """Return a job's record."""
        with self._lock:
            return self._jobs[job_id]
