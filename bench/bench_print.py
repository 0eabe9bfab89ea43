"""From a ticket request to the last byte at the printer, and the render time of one slip.

A loopback network printer (tests/printer_loopback.py, a TCP server on 127.0.0.1) is set as a new
kiosk's printer. Tickets are issued one after the other through POST /api/v1/tickets; for each,
the time from sending the request to the printer connection closing with the whole slip is
measured. Then one slip is rendered and encoded in-process, many times. Target: under 150 ms p99.

  .venv/bin/python bench/bench_print.py --db sqlite
"""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from common import print_machine, running_server, summary_ms, write_results

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from printers.escpos_out import slip_bytes
from printers.layout import render_ticket
from printers.sample import sample_ticket_slip
from tests.printer_loopback import LoopbackPrinter


def end_to_end(server: Any, printer: LoopbackPrinter, tickets: int) -> list[float]:
    kiosk = server.printing_kiosk(printer.url)
    took: list[float] = []
    for i in range(tickets + 5):
        t0 = time.perf_counter()
        server.issue(kiosk)
        printer.wait_for_jobs(i + 1, timeout=30)
        if i >= 5:  # the first few warm the worker and the fonts
            took.append(time.perf_counter() - t0)
    assert len(printer.jobs()) == tickets + 5, "every ticket printed exactly once"
    return took


def render_times(count: int) -> tuple[list[float], list[float]]:
    """Each slip as a real one differs from the last: number, people ahead, time, QR token."""
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    first = dataclasses.replace(sample_ticket_slip(now), sample=False)
    slips = [
        dataclasses.replace(
            first,
            number=f"A{i % 1000:03d}",
            ahead=i % 23,
            issued_at_local=now + timedelta(seconds=37 * i),
            qr_url=f"https://thanhloi.example.vn/t/{secrets.token_urlsafe(16)}",
        )
        for i in range(count + 1)
    ]
    slip_bytes(render_ticket(slips[-1]))  # the first slip of a process loads the fonts
    took, cpu = [], []
    for slip in slips[:count]:
        t0, c0 = time.perf_counter(), time.thread_time()
        slip_bytes(render_ticket(slip))
        took.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    return took, cpu


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--tickets", type=int, default=200)
    p.add_argument("--renders", type=int, default=100)
    p.add_argument("--renders-only", action="store_true", help="skip the server and printer")
    args = p.parse_args()
    print_machine(" ".join([".venv/bin/python", *sys.argv]))
    e2e: dict[str, float] = {}
    if not args.renders_only:
        with LoopbackPrinter() as printer, running_server(args.db) as server:
            e2e = summary_ms(end_to_end(server, printer, args.tickets))
        print(
            f"request → last byte at the printer ({args.tickets} tickets, one at a time)"
            f"  p50 {e2e['p50']:7.2f} ms  p99 {e2e['p99']:7.2f} ms  max {e2e['max']:7.2f} ms"
        )
    wall, cpu_time = render_times(args.renders)
    render, cpu = summary_ms(wall), summary_ms(cpu_time)
    print(
        f"render + encode one 80 mm slip ({args.renders} different tickets)"
        f"              p50 {render['p50']:7.2f} ms  p99 {render['p99']:7.2f} ms"
    )
    print(
        f"  the same, CPU time of the thread (steadier on a busy machine)"
        f"    p50 {cpu['p50']:7.2f} ms  p99 {cpu['p99']:7.2f} ms"
    )
    if args.renders_only:
        return 0
    path = write_results(
        f"print-{args.db}", {"db": args.db, "end_to_end": e2e, "render": render, "render_cpu": cpu}
    )
    print(f"# raw figures: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
