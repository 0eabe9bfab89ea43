"""The leader's report at a year's size: `demo --history 365` at ~1,000 tickets a day, then
GET /api/v1/stats for one year and one month, the Excel export of the year, the server's memory
growth, and /healthz + issuing latency while three yearly reports run at once (beside the same
probe with no report running, and the bare stack's /healthz).

  .venv/bin/python bench/bench_report.py --db sqlite
  .venv/bin/python bench/bench_report.py --db postgres
  # the report of another checkout (e.g. the code before this change) on the same data:
  .venv/bin/python bench/bench_report.py --db sqlite --server-repo /tmp/before

With --server-repo, the server runs from that checkout while the sample history is written by
this one (`flask upgrade` then `flask demo --history`), so both measure the same rows.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from common import (
    BARE_ARGV,
    Server,
    fmt_ms,
    login,
    print_machine,
    rss_mb,
    running_server,
    summary_ms,
    write_results,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def timed_get(s: requests.Session, url: str) -> tuple[float, requests.Response]:
    t0 = time.perf_counter()
    r = s.get(url, timeout=600)
    dt = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError(f"{url}: {r.status_code} {r.text[:300]}")
    return dt, r


class RssPeak:
    """The server's largest VmRSS while running, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, rss_mb(pid), threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.02)

    def __enter__(self) -> RssPeak:
        self._t.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        self._t.join()


def probe(server: Server, kiosk: str | None, stop: threading.Event, pause: float) -> dict[str, Any]:
    """/healthz and (with a kiosk token) one issued ticket, one after the other, until `stop`."""
    health: list[float] = []
    issue: list[float] = []
    s = requests.Session()
    k = requests.Session()
    if kiosk:
        k.headers["Authorization"] = f"Bearer {kiosk}"
    timeouts = 0
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            assert s.get(server.url + "/healthz", timeout=60).status_code == 200
        except requests.Timeout:
            timeouts += 1  # counted as 60 s: the server did not answer in a minute
        health.append(time.perf_counter() - t0)
        if kiosk:
            t0 = time.perf_counter()
            try:
                r = k.post(
                    server.url + "/api/v1/tickets",
                    json={"service": "hoi_dap"},
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                    timeout=60,
                )
                assert r.status_code == 201, r.text[:300]
            except requests.Timeout:
                timeouts += 1
            issue.append(time.perf_counter() - t0)
        time.sleep(pause)
    if timeouts:
        print(f"  ! {timeouts} probe requests unanswered after 60 s")
    return {
        "healthz": summary_ms(health),
        "issue": summary_ms(issue) if kiosk else None,
        "timeouts": timeouts,
    }


def probe_for(server: Server, kiosk: str | None, seconds: float) -> dict[str, Any]:
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    return probe(server, kiosk, stop, 0.02)


def lobby_run(args: argparse.Namespace) -> dict[str, Any]:
    argv = [sys.executable, str(Path(args.server_repo) / "server.py")] if args.server_repo else None
    out: dict[str, Any] = {}
    with running_server(args.db, argv=argv) as server:
        if args.server_repo:
            # this checkout's tables and indexes, for its history
            server.flask("upgrade", timeout=1800)
        t0 = time.perf_counter()
        made = json.loads(
            server.flask(
                "demo",
                "--history",
                str(args.days),
                "--per-day",
                str(args.per_day),
                "--json",
                timeout=1800,
            )
            .strip()
            .splitlines()[-1]
        )
        out["history"] = {**made, "wall_seconds": round(time.perf_counter() - t0, 1)}
        print(
            f"history: {made['tickets']} tickets, {made['dossiers']} dossiers, "
            f"{made['ratings']} ratings over {made['days']} working days "
            f"in {out['history']['wall_seconds']} s (command included)",
            flush=True,
        )
        leader = login(server, "lanhdao")
        kiosk = server.kiosk_token("plain")
        today = datetime.now(VN).date()
        year = f"from={today - timedelta(days=365)}&to={today - timedelta(days=1)}"
        month = f"from={today - timedelta(days=30)}&to={today - timedelta(days=1)}"
        idle = probe_for(server, kiosk, args.probe_seconds)
        out["idle_probe"] = idle
        print(f"idle        /healthz {fmt_ms(idle['healthz'])}")
        print(f"idle        issuing  {fmt_ms(idle['issue'])}", flush=True)
        rss0 = rss_mb(server.pid)
        with RssPeak(server.pid) as peak:
            years = [
                timed_get(leader, f"{server.url}/api/v1/stats?{year}") for _ in range(args.reports)
            ]
            months = [
                timed_get(leader, f"{server.url}/api/v1/stats?{month}") for _ in range(args.reports)
            ]
            books = [
                timed_get(leader, f"{server.url}/api/v1/stats/export?format=xlsx&{year}")
                for _ in range(max(1, args.reports // 2))
            ]
        issued = years[0][1].json()["tickets"]["issued"]
        for name, runs in (("year report", years), ("month report", months), ("xlsx year", books)):
            secs = [dt for dt, _r in runs]
            out[name] = {
                "runs_s": [round(x, 3) for x in secs],
                "median_s": round(statistics.median(secs), 3),
            }
            print(
                f"{name:<13} median {statistics.median(secs) * 1000:8.1f} ms  runs "
                + " ".join(f"{x * 1000:.0f}" for x in secs)
                + " ms",
                flush=True,
            )
        print(f"(year: {issued} tickets in the report)")
        out["rss_mb"] = {"before": round(rss0, 1), "peak": round(peak.peak, 1)}
        out["rss_growth_mb"] = round(peak.peak - rss0, 1)
        print(
            f"memory: VmRSS {rss0:.0f} MB before the reports, peak {peak.peak:.0f} MB "
            f"(growth {peak.peak - rss0:.0f} MB)"
        )
        # Three yearly reports at once, each by its own leader session, while the probe runs.
        stop = threading.Event()
        done: list[float] = []

        # Signed in before the probe starts: a sign-in's password check is deliberately slow
        # and runs on the loop (it is not what is measured here).
        sessions = [login(server, "lanhdao") for _ in range(3)]

        def reports(k: int) -> None:
            s = sessions[k]
            while not stop.is_set():
                done.append(timed_get(s, f"{server.url}/api/v1/stats?{year}")[0])
                if len(done) >= 3 and time.monotonic() - began >= args.busy_seconds:
                    stop.set()

        began = time.monotonic()
        workers = [threading.Thread(target=reports, args=(k,)) for k in range(3)]
        for w in workers:
            w.start()
        busy = probe(server, kiosk, stop, 0.02)
        for w in workers:
            w.join()
        out["busy_probe"] = {**busy, "reports": len(done), "report_s": summary_ms(done)}
        print(f"3 reports   /healthz {fmt_ms(busy['healthz'])}  (n {busy['healthz']['n']})")
        print(
            f"3 reports   issuing  {fmt_ms(busy['issue'])}  ({len(done)} yearly reports "
            f"done, median {statistics.median(done):.2f} s each)",
            flush=True,
        )
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--per-day", type=int, default=1000)
    p.add_argument("--reports", type=int, default=5, help="timed runs of each report")
    p.add_argument(
        "--busy-seconds", type=float, default=15.0, help="how long three reports keep running"
    )
    p.add_argument("--probe-seconds", type=float, default=5.0, help="the idle probe's length")
    p.add_argument("--server-repo", default=None, help="run the server from this checkout")
    p.add_argument("--no-baseline", action="store_true", help="skip the bare stack's /healthz")
    args = p.parse_args()
    print_machine(" ".join([".venv/bin/python", *sys.argv]))
    print(
        f"# database: {args.db}; {args.days} days at ~{args.per_day} tickets/day; server "
        f"from {args.server_repo or 'this checkout'}"
    )
    results: dict[str, Any] = {
        "db": args.db,
        "days": args.days,
        "per_day": args.per_day,
        "server_repo": args.server_repo,
    }
    results["lobby"] = lobby_run(args)
    if not args.no_baseline:
        with running_server(args.db, argv=BARE_ARGV) as bare:
            results["bare_idle_probe"] = probe_for(bare, None, args.probe_seconds)
        print(f"bare stack  /healthz {fmt_ms(results['bare_idle_probe']['healthz'])}")
    name = f"report-{args.db}" + ("-other" if args.server_repo else "")
    print(f"# raw figures: {write_results(name, results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
