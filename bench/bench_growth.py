"""How much the SQLite file grows per ticket with a printing kiosk, and after housekeeping.

A real server with a kiosk printing to a loopback network printer issues N tickets; every slip
is printed. The database file (with its WAL, checkpointed) is measured before, right after the
day, and after `flask prune` (what the server does every hour and once a quiet night). Beside
it, the bare stack: the same number of bare ticket rows (number, token, times, field) in a plain
SQLite table, the least any queue could store. Target: at most 2 KB per ticket once printed.

  .venv/bin/python bench/bench_growth.py --tickets 500
"""

from __future__ import annotations

import argparse
import secrets
import sqlite3
import sys
import tempfile
from pathlib import Path

from common import print_machine, running_server, write_results

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.printer_loopback import LoopbackPrinter


def file_bytes(path: Path) -> int:
    """The database and its WAL after a checkpoint (what the disk really holds)."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def table_bytes(path: Path) -> dict[str, int]:
    """Bytes used (pages less their unused space) per table or index, by SQLite's dbstat."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT name, SUM(pgsize - unused) FROM dbstat GROUP BY name"
        ).fetchall()
    return {name: int(n) for name, n in rows}


def bare_bytes_per_ticket(tickets: int) -> float:
    """The same count of bare ticket rows in a plain table: the floor any queue stands on."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bare.sqlite3"
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE tickets (id INTEGER PRIMARY KEY, number TEXT, token TEXT UNIQUE,"
            " field TEXT, status TEXT, issued_at TEXT, called_at TEXT, finished_at TEXT)"
        )
        conn.commit()
        before = file_bytes(path)
        for i in range(tickets):
            conn.execute(
                "INSERT INTO tickets (number, token, field, status, issued_at) VALUES (?,?,?,?,?)",
                (
                    f"A{i:03d}",
                    secrets.token_urlsafe(24),
                    "ho_tich",
                    "waiting",
                    "2026-11-30T08:00:00+00:00",
                ),
            )
            conn.commit()
        conn.close()
        return (file_bytes(path) - before) / tickets


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tickets", type=int, default=500)
    args = p.parse_args()
    print_machine(" ".join([".venv/bin/python", *sys.argv]))
    with LoopbackPrinter() as printer, running_server("sqlite") as server:
        db = server.instance / "lobby.sqlite3"
        kiosk = server.printing_kiosk(printer.url)
        server.flask("prune")
        before = file_bytes(db)
        tables_before = table_bytes(db)
        for _ in range(args.tickets):
            server.issue(kiosk)
        printer.wait_for_jobs(args.tickets, timeout=300)
        same_day = file_bytes(db)
        server.flask("prune")
        housekept = file_bytes(db)
        tables_after = table_bytes(db)
    bare = bare_bytes_per_ticket(args.tickets)
    per_day = (same_day - before) / args.tickets
    per_kept = (housekept - before) / args.tickets
    print(f"tickets issued and printed                      {args.tickets}")
    print(f"growth per ticket, the same day               {per_day / 1024:7.2f} KB")
    print(
        f"growth per ticket, after the housekeeping     {per_kept / 1024:7.2f} KB  (target ≤ 2 KB)"
    )
    print(f"bare stack: a plain ticket row                {bare / 1024:7.2f} KB")
    grown = {k: v - tables_before.get(k, 0) for k, v in tables_after.items()}
    print("where it is, after the housekeeping (bytes per ticket, largest first):")
    for name, n in sorted(grown.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {name:<40} {n / args.tickets:8.0f}")
    path = write_results(
        "growth-sqlite",
        {
            "tickets": args.tickets,
            "bytes_per_ticket_same_day": per_day,
            "bytes_per_ticket_after_housekeeping": per_kept,
            "bare_bytes_per_ticket": bare,
        },
    )
    print(f"# raw figures: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
