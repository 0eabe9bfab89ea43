"""Call next over HTTP: POST /api/v1/counters/<n>/call-next with 1, 8 and 16 officers at once.

Before each level the kiosk issues the level's tickets (POST /api/v1/tickets, 10 % priority).
Each client is one officer signed in through /login (CSRF), at their own open counter, looping
call-next, start, finish {"outcome": "guided_only"} until their queue is empty; only call-next
is timed. The demo office has officers canbo1..canbo5 at counters 1..5; the 8- and 16-client
levels add counters 6..16 (serving every field) and officers bench06..bench16 to the benchmark's
own throw-away database first. Each level runs on a fresh server and database. Afterwards every
ticket must have been called exactly once. After each level the same cycle runs on the bare
stack (bench/bare_app.py: /call, /rows/<id>/start, /rows/<id>/finish, one UPDATE each) with as
many rows and officers, for the ratio (--no-baseline skips it). A last part (the depth probe)
measures one officer's call-next with 10, 100, 300 and 1,000 tickets waiting in one field,
topped up after each call.

  .venv/bin/python bench/bench_call_next.py --db sqlite
  .venv/bin/python bench/bench_call_next.py --db postgres
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter
from typing import Any

import requests
from common import (
    BARE_ARGV,
    login,
    print_machine,
    raise_open_files,
    run_load,
    running_server,
    summary_ms,
    write_results,
)

BENCH_PASSWORD = "bench-password-1"  # only in the benchmark's throw-away database
COUNTER1_FIELDS = ["ho_tich", "chung_thuc", "hoi_dap"]


def add_counters(server: Any, first: int, last: int) -> None:
    """Counters first..last serving every field, each with its own officer (benchNN)."""
    server.app_python(
        "from sqlalchemy import select\n"
        "from lobby.auth import hash_password\n"
        "from lobby.models import Counter, Field, Office, StaffUser\n"
        "o = db.session.scalar(select(Office))\n"
        "fields = list(db.session.scalars(select(Field)))\n"
        f"for n in range({first}, {last + 1}):\n"
        "    c = Counter(office_id=o.id, number=n, name=f'Quầy {n} (đo hiệu năng)',\n"
        "                is_priority=False, fields=fields)\n"
        "    db.session.add(c)\n"
        "    db.session.flush()\n"
        "    db.session.add(StaffUser(office_id=o.id, username=f'bench{n:02d}',\n"
        "        full_name=f'Cán bộ đo {n}', password_hash=hash_password("
        f"{BENCH_PASSWORD!r}), role='officer', counter_id=c.id))\n"
        "db.session.commit()\n"
    )


def issue_tickets(server: Any, n: int, codes: list[str]) -> list[int]:
    """Issue n tickets through the kiosk API with 8 clients; returns their ids."""
    kiosk = server.kiosk_token()

    def make_session(_k: int) -> requests.Session:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {kiosk}"
        return s

    def issue(s: requests.Session, _i: int) -> tuple[bool, Any]:
        priority = "elderly" if random.random() < 0.1 else None
        r = s.post(
            server.url + "/api/v1/tickets",
            json={"service": random.choice(codes), "priority": priority},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            timeout=30,
        )
        return r.status_code == 201, (r.json().get("id") if r.status_code == 201 else r.text)

    r = run_load(8, n, make_session, issue, max_seconds=120)
    if r.errors:
        raise RuntimeError(f"{r.errors} tickets failed to issue")
    return [int(x) for x in r.results]


def officer_session(server: Any, number: int) -> requests.Session:
    name = f"canbo{number}" if number <= 5 else f"bench{number:02d}"
    s = login(server, name, None if number <= 5 else BENCH_PASSWORD)
    r = s.post(f"{server.url}/api/v1/counters/{number}/open", json={})
    if r.status_code != 200:
        raise RuntimeError(f"open counter {number}: {r.status_code} {r.text[:300]}")
    return s


class Cycle:
    """Where an officer's cycle goes: the lobby's API, or the bare stack's three updates."""

    def __init__(self, call: Any, act: Any, ticket_id: Any) -> None:
        self.call = call  # counter number -> URL of "call the next"
        self.act = act  # (ticket id, "start" | "finish") -> URL
        self.ticket_id = ticket_id  # the call's JSON answer -> ticket id


def lobby_cycle(server: Any) -> Cycle:
    base = f"{server.url}/api/v1"
    return Cycle(
        lambda n: f"{base}/counters/{n}/call-next",
        lambda tid, action: f"{base}/tickets/{tid}/{action}",
        lambda body: body["ticket"]["id"],
    )


def bare_cycle(server: Any) -> Cycle:
    return Cycle(
        lambda _n: f"{server.url}/call",
        lambda tid, action: f"{server.url}/rows/{tid}/{action}",
        lambda body: body["id"],
    )


def run_level(
    cycle: Cycle, sessions: dict[int, requests.Session], max_seconds: float
) -> dict[str, Any]:
    """Every officer loops call-next, start, finish until the queue is empty or time is up."""
    lock = threading.Lock()
    latencies: list[float] = []
    called: list[int] = []
    failures: list[str] = []
    requests_done = [0]
    gate = threading.Barrier(len(sessions) + 1)
    deadline = [0.0]

    def officer(number: int, s: requests.Session) -> None:
        gate.wait()
        while time.monotonic() < deadline[0]:
            t0 = time.perf_counter()
            r = s.post(
                cycle.call(number),
                json={},
                headers={"Idempotency-Key": uuid.uuid4().hex},
                timeout=60,
            )
            dt = time.perf_counter() - t0
            if r.status_code == 409 and r.json().get("error") == "queue_empty":
                return
            if r.status_code != 200:
                with lock:
                    failures.append(f"call-next {number}: {r.status_code} {r.text[:200]}")
                return
            tid = cycle.ticket_id(r.json())
            ok = True
            for action, body in (("start", {}), ("finish", {"outcome": "guided_only"})):
                rr = s.post(cycle.act(tid, action), json=body, timeout=60)
                if rr.status_code != 200:
                    ok = False
                    with lock:
                        failures.append(f"{action} {tid}: {rr.status_code} {rr.text[:200]}")
            with lock:
                latencies.append(dt)
                called.append(tid)
                requests_done[0] += 3
            if not ok:
                return

    threads = [
        threading.Thread(target=officer, args=(n, s), daemon=True) for n, s in sessions.items()
    ]
    for t in threads:
        t.start()
    deadline[0] = time.monotonic() + max_seconds
    t0 = time.perf_counter()
    gate.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return {
        "latencies": latencies,
        "called": called,
        "failures": failures,
        "elapsed": elapsed,
        "requests": requests_done[0],
    }


def bare_level(db: str, clients: int, tickets: int, max_seconds: float) -> dict[str, Any]:
    """The same cycle on the bare stack: /insert the rows, then /call, /start, /finish."""
    with running_server(db, argv=BARE_ARGV) as bare:

        def insert(s: requests.Session, _i: int) -> tuple[bool, Any]:
            r = s.post(f"{bare.url}/insert", json={"field": "x"}, timeout=30)
            return r.status_code == 201, r.text

        filled = run_load(8, tickets, lambda _k: requests.Session(), insert)
        if filled.errors:
            raise RuntimeError(f"bare stack: {filled.errors} rows failed to insert")
        sessions = {n: requests.Session() for n in range(1, clients + 1)}
        level = run_level(bare_cycle(bare), sessions, max_seconds)
    if level["failures"]:
        raise RuntimeError(f"bare stack: {level['failures'][:3]}")
    return level


def depth_probe(server: Any, session: requests.Session, depth: int, calls: int) -> dict:
    """One officer at counter 1 with `depth` tickets waiting in one field: call-next latency.

    The queue is topped up after each call, so every call sees `depth` waiting tickets.
    """
    base = f"{server.url}/api/v1"
    kiosk = requests.Session()
    kiosk.headers["Authorization"] = f"Bearer {server.kiosk_token()}"

    def top_up(n: int) -> None:
        for _ in range(n):
            r = kiosk.post(
                f"{base}/tickets",
                json={"service": "ho_tich", "priority": None},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            assert r.status_code == 201, r.text

    waiting = requests.get(f"{base}/services").json()["services"]
    now = sum(s["waiting"] for s in waiting if s["code"] in COUNTER1_FIELDS)
    top_up(max(0, depth - now))
    latencies = []
    deadline = time.monotonic() + 90
    for _ in range(calls):
        if time.monotonic() > deadline:
            break
        t0 = time.perf_counter()
        r = session.post(
            f"{base}/counters/1/call-next", json={}, headers={"Idempotency-Key": uuid.uuid4().hex}
        )
        latencies.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.text
        tid = r.json()["ticket"]["id"]
        session.post(f"{base}/tickets/{tid}/start", json={})
        session.post(f"{base}/tickets/{tid}/finish", json={"outcome": "guided_only"})
        top_up(1)
    kiosk.close()
    return {"depth": depth, **summary_ms(latencies)}


def db_check(server: Any, ids: list[int]) -> dict[str, int]:
    """From the database: calls per ticket among `ids`, and how many are still waiting."""
    out = server.app_python(
        "import json\n"
        "from sqlalchemy import text\n"
        f"ids = {sorted(ids)!r}\n"
        'calls = dict(db.session.execute(text("SELECT ticket_id, COUNT(*) FROM ticket_events '
        "WHERE action = 'call' GROUP BY ticket_id\")).all())\n"
        "status = dict(db.session.execute(text('SELECT id, status FROM tickets')).all())\n"
        "print(json.dumps({\n"
        "  'twice': sum(1 for i in ids if calls.get(i, 0) > 1),\n"
        "  'never': sum(1 for i in ids if calls.get(i, 0) == 0),\n"
        "  'waiting': sum(1 for i in ids if status.get(i) == 'waiting'),\n"
        "  'not_done': sum(1 for i in ids if status.get(i) not in ('done', 'waiting')),\n"
        "}))\n"
    )
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--levels", default="1,8,16", help="concurrent officers per level (max 16)")
    p.add_argument("--tickets", type=int, default=400, help="tickets issued (and called) per level")
    p.add_argument("--max-seconds", type=float, default=60.0, help="time bound per level")
    p.add_argument(
        "--depths",
        default="10,100,300,1000",
        help="queue depths for the one-officer depth probe ('' to skip)",
    )
    p.add_argument("--depth-calls", type=int, default=20, help="calls per depth")
    p.add_argument("--no-baseline", action="store_true", help="skip the bare-stack baseline")
    args = p.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    if max(levels) > 16:
        p.error("at most 16 officers")
    raise_open_files()
    print_machine(" ".join([".venv/bin/python", *sys.argv]))
    print(f"# database: {args.db}; {args.tickets} tickets per level")
    results: dict[str, Any] = {
        "db": args.db,
        "tickets": args.tickets,
        "levels": [],
    }
    all_ok = True
    for clients in levels:
        # Each level on a fresh server and database, so one level's leftovers never slow the next.
        with running_server(args.db) as server:
            if clients > 5:
                add_counters(server, 6, clients)
            codes = [
                s["code"] for s in requests.get(server.url + "/api/v1/services").json()["services"]
            ]
            sessions = {n: officer_session(server, n) for n in range(1, clients + 1)}
            # One officer: counter 1, so only its fields; more: every field.
            ids = issue_tickets(server, args.tickets, COUNTER1_FIELDS if clients == 1 else codes)
            level = run_level(lobby_cycle(server), sessions, args.max_seconds)
            check = db_check(server, ids)
        s = summary_ms(level["latencies"])
        rate = len(level["called"]) / level["elapsed"]
        dup = sum(v > 1 for v in Counter(level["called"]).values())
        ok = dup == 0 and check["twice"] == 0 and not level["failures"]
        drained = check["waiting"] == 0 and check["never"] == 0
        all_ok &= ok
        print(
            f"call-next  clients {clients:>3}  calls {len(level['called']):>5}  "
            f"{rate:7.1f} calls/s ({level['requests'] / level['elapsed']:6.1f} req/s with "
            f"start+finish)  p50 {s['p50']:7.2f} ms  p99 {s['p99']:7.2f} ms  "
            f"max {s['max']:7.2f} ms",
            flush=True,
        )
        print(
            f"  check: {len(ids)} issued, called twice {check['twice']} (responses: {dup}), "
            f"never called {check['never']}, still waiting {check['waiting']}"
            + ("" if drained else " (time bound reached before the queue was empty)")
            + (f"; failures: {level['failures'][:3]}" if level["failures"] else ""),
            flush=True,
        )
        results["levels"].append(
            {
                "clients": clients,
                "calls": len(level["called"]),
                "rate": rate,
                "req_rate": level["requests"] / level["elapsed"],
                **s,
                "check": check,
                "failures": level["failures"][:10],
            }
        )
        if not args.no_baseline:
            bare = bare_level(args.db, clients, args.tickets, args.max_seconds)
            bs = summary_ms(bare["latencies"])
            bare_rate = len(bare["called"]) / bare["elapsed"]
            print(
                f"bare cycle clients {clients:>3}  calls {len(bare['called']):>5}  "
                f"{bare_rate:7.1f} calls/s ({bare['requests'] / bare['elapsed']:6.1f} req/s with "
                f"start+finish)  p50 {bs['p50']:7.2f} ms  p99 {bs['p99']:7.2f} ms  "
                f"max {bs['max']:7.2f} ms;  lobby/bare throughput {rate / bare_rate:.2f}",
                flush=True,
            )
            results["levels"][-1]["bare"] = {
                "calls": len(bare["called"]),
                "rate": bare_rate,
                "req_rate": bare["requests"] / bare["elapsed"],
                **bs,
            }
    depths = [int(x) for x in args.depths.split(",") if x.strip()]
    results["depths"] = []
    if depths:
        with running_server(args.db) as server:
            officer = officer_session(server, 1)
            for depth in depths:
                d = depth_probe(server, officer, depth, args.depth_calls)
                results["depths"].append(d)
                print(
                    f"call-next with {depth:>5} waiting (1 officer, {d['n']} calls)  "
                    f"p50 {d['p50']:7.2f} ms  p99 {d['p99']:7.2f} ms  max {d['max']:7.2f} ms",
                    flush=True,
                )
    name = f"call-next-{args.db}"
    print(f"# raw figures: {write_results(name, results)}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
