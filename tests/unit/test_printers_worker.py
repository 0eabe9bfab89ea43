"""The print worker: jobs wait while the printer is away and print once, in order, when it is back."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st

from core.clock import FixedClock, SystemClock
from printers.backends import PrinterState, memory_device
from printers.escpos_out import slip_bytes
from printers.layout import render_ticket
from printers.sample import sample_ticket_slip
from printers.worker import InMemoryJobStore, Job, JobId, PrintWorker, backoff_delay
from tests.printer_loopback import LoopbackPrinter, parse_raster, stitch

START = datetime(2025, 7, 1, 1, 0, tzinfo=ZoneInfo("UTC"))
URL = "memory://kiosk-1"
KEY = "memory://kiosk-1"


pytestmark = pytest.mark.usefixtures("fresh_memory_printers")


class Recorder:
    """Collects on_status calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, PrinterState, int]] = []

    def __call__(self, key: str, state: PrinterState, pending: int) -> None:
        self.calls.append((key, state, pending))


def make_worker(
    store: InMemoryJobStore, clock: FixedClock, **options: object
) -> tuple[PrintWorker, Recorder]:
    recorder = Recorder()
    worker = PrintWorker(KEY, store, clock=clock.now, on_status=recorder, **options)  # type: ignore[arg-type]
    return worker, recorder


def test_jobs_print_in_order_and_each_is_marked_printed_once() -> None:
    store, clock = InMemoryJobStore(), FixedClock(START)
    jobs = [store.add(URL, f"job-{n}".encode()) for n in range(5)]
    worker, recorder = make_worker(store, clock)

    worker.run_once()

    assert memory_device("kiosk-1").jobs == [job.payload for job in jobs]
    assert store.printed_order == [job.id for job in jobs]
    assert all(store.get(job.id).printed_marks == 1 for job in jobs)
    assert store.pending(KEY) == []
    assert worker.state().state == "ok" and worker.state().pending == 0
    assert recorder.calls[-1] == (KEY, "ok", 0)


def test_while_the_printer_is_down_jobs_wait_and_the_head_job_records_its_backoff() -> None:
    store, clock = InMemoryJobStore(), FixedClock(START)
    memory_device("kiosk-1").online = False
    first, second, third = (store.add(URL, bytes([n])) for n in range(3))
    worker, recorder = make_worker(store, clock, backoff_base=1.0, backoff_cap=30.0)

    delays = []
    for _ in range(8):
        delay = worker.run_once()
        # Running again before the delay is over tries nothing.
        assert worker.run_once() == pytest.approx(delay)
        delays.append(delay)
        clock.advance(seconds=delay)

    assert delays == [1, 2, 4, 8, 16, 30, 30, 30]
    head = store.get(first.id)
    assert head.job.attempts == 8
    assert head.status == "pending" and head.error is not None
    assert head.next_try_at == clock.now()
    assert store.get(second.id).job.attempts == 0 and store.get(third.id).job.attempts == 0
    assert memory_device("kiosk-1").jobs == []
    state = worker.state()
    assert (state.state, state.pending) == ("offline", 3)
    assert state.next_try_at == clock.now()
    assert recorder.calls == [(KEY, "offline", 3)]  # reported once, not at every retry


def test_when_the_printer_returns_every_job_prints_exactly_once_in_order() -> None:
    store, clock = InMemoryJobStore(), FixedClock(START)
    device = memory_device("kiosk-1")
    device.online = False
    worker, recorder = make_worker(store, clock)
    jobs = [store.add(URL, f"ticket {n}".encode()) for n in range(3)]
    for _ in range(3):
        clock.advance(seconds=worker.run_once())
    jobs += [store.add(URL, f"ticket {n}".encode()) for n in range(3, 5)]  # issued meanwhile
    worker.run_once()

    device.online = True
    clock.advance(seconds=worker.run_once())
    worker.run_once()
    worker.run_once()

    assert device.jobs == [job.payload for job in jobs]
    assert [store.get(job.id).printed_marks for job in jobs] == [1] * 5
    assert recorder.calls[0] == (KEY, "offline", 3)
    assert (KEY, "offline", 5) in recorder.calls
    assert recorder.calls[-1] == (KEY, "ok", 0)


def test_a_printer_out_of_paper_holds_the_jobs_and_says_so() -> None:
    store, clock = InMemoryJobStore(), FixedClock(START)
    device = memory_device("kiosk-1")
    device.state = "paper_out"
    job = store.add(URL, b"ticket")
    worker, recorder = make_worker(store, clock)

    clock.advance(seconds=worker.run_once())

    assert device.jobs == []
    assert recorder.calls == [(KEY, "paper_out", 1)]
    assert store.get(job.id).error == "paper out"

    device.state = "paper_low"
    worker.run_once()
    assert device.jobs == [b"ticket"]
    assert recorder.calls[-1] == (KEY, "paper_low", 0)


def test_an_idle_worker_reads_the_paper_sensor_so_staff_see_paper_out_early() -> None:
    store, clock = InMemoryJobStore(), FixedClock(START)
    worker, recorder = make_worker(store, clock, status_url=URL, status_interval=10.0)
    worker.run_once()
    assert recorder.calls == [(KEY, "ok", 0)]

    memory_device("kiosk-1").state = "paper_out"
    worker.run_once()  # too early for the next poll
    assert worker.state().state == "ok"
    clock.advance(seconds=10)
    worker.run_once()
    assert recorder.calls[-1] == (KEY, "paper_out", 0)


class FlakyStore(InMemoryJobStore):
    """A store whose mark_printed fails the first times (a database hiccup)."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def mark_printed(self, job_id: JobId) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("database is locked")
        super().mark_printed(job_id)


def test_a_job_whose_printed_mark_failed_is_never_sent_twice() -> None:
    store, clock = FlakyStore(failures=2), FixedClock(START)
    job = store.add(URL, b"once")
    worker, _ = make_worker(store, clock)

    for _ in range(4):
        worker.run_once()

    assert memory_device("kiosk-1").jobs == [b"once"]
    assert store.get(job.id).printed_marks == 1
    assert store.pending(KEY) == []


def test_a_job_is_given_up_after_max_attempts_and_the_next_one_moves_up() -> None:
    store, clock = InMemoryJobStore(), FixedClock(START)
    device = memory_device("kiosk-1")
    device.online = False
    first, second = store.add(URL, b"a"), store.add(URL, b"b")
    worker, _ = make_worker(store, clock, max_attempts=2)

    clock.advance(seconds=worker.run_once())
    clock.advance(seconds=worker.run_once())

    assert store.get(first.id).status == "failed"
    assert store.get(first.id).next_try_at is None
    assert [job.id for job in store.pending(KEY)] == [second.id]
    device.online = True
    clock.advance(seconds=worker.run_once())
    assert device.jobs == [b"b"]


def test_a_failing_status_callback_does_not_stop_printing() -> None:
    store, clock = InMemoryJobStore(), FixedClock(START)
    store.add(URL, b"x")

    def broken(key: str, state: PrinterState, pending: int) -> None:
        raise RuntimeError("socket gone")

    worker = PrintWorker(KEY, store, clock=clock.now, on_status=broken)
    worker.run_once()
    assert memory_device("kiosk-1").jobs == [b"x"]


@given(base=st.floats(0.01, 5), cap=st.floats(0.1, 60), failures=st.integers(1, 200))
def test_backoff_grows_and_never_passes_the_cap(base: float, cap: float, failures: int) -> None:
    delay = backoff_delay(failures, base, cap)
    assert 0 < delay <= cap
    assert backoff_delay(failures + 1, base, cap) >= delay
    assert backoff_delay(1, base, cap) == min(base, cap)


def wait_until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.005)


def test_a_worker_thread_prints_every_ticket_once_in_order_across_a_printer_outage() -> None:
    clock = SystemClock()
    slips = [
        dataclasses.replace(
            sample_ticket_slip(clock.local(clock.now())),
            number=f"A{n:03d}",
            qr_url=f"https://thanhloi.example.vn/t/token-{n:03d}-Qm8sPz2VkR",
        )
        for n in range(1, 5)
    ]
    with LoopbackPrinter() as printer:
        printer.stop()  # the printer is away when the tickets are issued
        store = InMemoryJobStore()
        woke = threading.Event()
        worker = PrintWorker(
            printer_key=printer.url,
            store=store,
            clock=clock.now,
            backoff_base=0.01,
            backoff_cap=0.05,
            send_timeout=2.0,
            on_status=lambda *args: woke.set(),
        )
        worker.start()
        try:
            jobs: list[Job] = []
            for slip in slips:
                jobs.append(store.add(printer.url, slip_bytes(render_ticket(slip))))
                worker.notify()
            wait_until(lambda: store.get(jobs[0].id).job.attempts >= 3)
            assert printer.jobs() == []
            assert worker.state().state == "offline"

            printer.start()  # back on the same port
            received = printer.wait_for_jobs(len(slips))
            wait_until(lambda: store.pending(printer.url) == [])
        finally:
            worker.stop()

    urls = [
        zxingcpp.read_barcodes(stitch(parse_raster(job)).convert("L"))[0].text for job in received
    ]
    assert urls == [slip.qr_url for slip in slips]
    assert len(printer.jobs()) == len(slips)
    assert [store.get(job.id).printed_marks for job in jobs] == [1] * len(slips)
    assert worker.state().state == "ok" and woke.is_set()
