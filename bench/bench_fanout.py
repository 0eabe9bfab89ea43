"""Call to board: how long a call takes to reach 10, 300 and 1,000 connected Socket.IO clients.

One `python server.py` process per level (fresh instance folder). Half the clients are boards
(auth {"device_token": <board token>}), half are phones (auth {"ticket": <token>}) holding
tickets waiting in the same field (ho_tich) that counter 1 calls from. The clients are
python-socketio AsyncClients over the websocket transport, spread over separate client
processes (bench/fanout_clients.py) that run in their own venv (see bench/README.md). Each round the officer of counter 1 sends POST call-next; a board's latency is the
time from just before that request to its receipt of `ticket_called` for the called number; a
phone's is the time to the first message from which it works out that its place in line moved
up: its field's `line_changed` (finding its ticket's `line_key` in it, as the phone page does;
a server from before line_changed: its own `ticket_updated`). The one ticket called is not a
connected phone's. Then start and finish, and the next round. Both clocks are
CLOCK_MONOTONIC, shared by all processes of the machine.

The same harness runs against the bare stack (bench/bare_app.py: one socketio.emit to a room
holding every client) for the ratio. Server memory (VmRSS) is read with the clients connected.
With --queue <redis URL>, two server processes share the database and the queue, the clients
are split between them and the calls are made on the first; the CPU each server process spends
per call is printed.

  .venv/bin/python bench/bench_fanout.py --db sqlite
  .venv/bin/python bench/bench_fanout.py --db postgres --queue redis://127.0.0.1:6379/0 \
      --levels 300,1000 --no-baseline
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from common import (
    BARE_ARGV,
    BENCH,
    cpu_seconds,
    login,
    print_machine,
    raise_open_files,
    rss_mb,
    run_load,
    running_peer,
    running_server,
    summary_ms,
    write_results,
)

FIELD = "ho_tich"
CLIENT_VENV = Path.home() / ".cache" / "lobby-bench" / "clients-venv"
WARMUP_ROUNDS = 2


# --- the client processes --------------------------------------------------------------------


def clients_python() -> str:
    """The interpreter of the clients' venv (python-socketio AsyncClient and aiohttp)."""
    path = os.environ.get("LOBBY_BENCH_CLIENT_PYTHON", str(CLIENT_VENV / "bin" / "python"))
    if not Path(path).exists():
        raise SystemExit(
            f"no clients' interpreter at {path}; create it once with\n"
            f"  .venv/bin/python -m venv {CLIENT_VENV}\n"
            f"  {CLIENT_VENV}/bin/pip install -r bench/requirements-clients.txt\n"
            "(or set LOBBY_BENCH_CLIENT_PYTHON)"
        )
    return path


class Clients:
    """Client processes (bench/fanout_clients.py), each holding a share of the clients."""

    def __init__(self, url: str, specs: list[tuple[str, Any]], procs: int) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="lobby-bench-clients-"))
        self.procs: list[subprocess.Popen[str]] = []
        self.got: list[int] = []
        self.ready: list[dict[str, Any] | None] = []
        self.outs: list[Path] = []
        python = clients_python()
        for k in range(procs):
            chunk = specs[k::procs]
            if not chunk:
                continue
            spec = self.tmp / f"spec{k}.json"
            spec.write_text(json.dumps(chunk))
            out = self.tmp / f"out{k}.json"
            proc = subprocess.Popen(
                [python, str(BENCH / "fanout_clients.py"), url, str(spec), str(out)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                bufsize=1,
            )
            self.procs.append(proc)
            self.outs.append(out)
            self.got.append(0)
            self.ready.append(None)
            threading.Thread(target=self._read, args=(len(self.procs) - 1,), daemon=True).start()

    def _read(self, k: int) -> None:
        stdout = self.procs[k].stdout
        assert stdout is not None
        for line in stdout:
            if line.startswith("GOT "):
                self.got[k] = int(line[4:])
            elif line.startswith("READY "):
                self.ready[k] = json.loads(line[6:])

    def wait_ready(self, timeout: float = 300.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while any(r is None for r in self.ready):
            if time.monotonic() > deadline:
                raise RuntimeError("client processes did not connect in time")
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError("a client process died while connecting")
            time.sleep(0.05)
        failed = [f for r in self.ready if r for f in r["failed"]]
        return {
            "connected": sum(r["connected"] for r in self.ready if r),
            "n_failed": len(failed),
            "failed": failed[:5],
        }

    def received(self) -> int:
        return sum(self.got)

    def wait_for(self, expected: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.received() >= expected:
                return True
            time.sleep(0.002)
        return False

    def stop(self) -> list[dict[str, Any]]:
        for p in self.procs:
            assert p.stdin is not None
            p.stdin.write("stop\n")
            p.stdin.flush()
        reports = []
        for p, out in zip(self.procs, self.outs, strict=True):
            try:
                p.wait(120)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
            reports.append(json.loads(out.read_text()))
        shutil.rmtree(self.tmp, ignore_errors=True)
        return reports


# --- the coordinator -------------------------------------------------------------------------


def issue(server: Any, n: int) -> list[dict[str, Any]]:
    kiosk = server.kiosk_token()  # no printer: the memory:// printer would keep every slip

    def make(_k: int) -> requests.Session:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {kiosk}"
        return s

    def one(s: requests.Session, _i: int) -> tuple[bool, Any]:
        r = s.post(
            server.url + "/api/v1/tickets",
            json={"service": FIELD, "priority": None},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            timeout=30,
        )
        return r.status_code == 201, r.json()

    r = run_load(1, n, make, one, max_seconds=300)  # one client: issue order = number order
    if r.errors:
        raise RuntimeError(f"{r.errors} tickets failed to issue")
    return r.results


def lobby_level(
    clients: int, rounds: int, procs: int, db: str, queue: str | None = None
) -> dict[str, Any]:
    """One level against the real server: boards and phones, call-next rounds. With `queue`
    (a Redis URL): two server processes on one database sharing that message queue, the
    clients split between them, every call made on the first."""
    boards = clients - clients // 2
    phones = clients // 2
    total_rounds = rounds + WARMUP_ROUNDS
    shared = (
        {
            "SOCKETIO_MESSAGE_QUEUE": queue,
            "SOCKETIO_CHANNEL": f"lobby-bench-{uuid.uuid4().hex[:8]}",
            "SECRET_KEY": uuid.uuid4().hex,
        }
        if queue
        else {}
    )
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(running_server(db, **shared))
        servers = [server] + ([stack.enter_context(running_peer(server))] if queue else [])
        rss_start = rss_mb(server.pid)
        board_token = server.device("board")["token"]
        officer = login(server, "canbo1")
        r = officer.post(server.url + "/api/v1/counters/1/open", json={})
        assert r.status_code == 200, r.text
        to_call = issue(server, total_rounds)  # oldest: these are the ones called
        phone_tickets = issue(server, phones)
        specs: list[tuple[str, Any]] = [("board", {"device_token": board_token})] * boards
        specs += [("phone", {"ticket": t["token"]}) for t in phone_tickets]
        random.shuffle(specs)
        rss_idle = rss_mb(server.pid)
        t_connect = time.monotonic()
        groups = [
            Clients(srv.url, specs[k :: len(servers)], max(1, procs // len(servers)))
            for k, srv in enumerate(servers)
        ]
        statuses = [group.wait_ready() for group in groups]
        connect_s = time.monotonic() - t_connect
        rss_connected = rss_mb(server.pid)
        connected = [status["connected"] for status in statuses]
        sends: list[tuple[str, float, float]] = []  # (number, t_send, call-next seconds)
        missing_rounds = 0
        cpu_before = [cpu_seconds(srv.pid) for srv in servers]
        for k in range(total_rounds):
            if k == WARMUP_ROUNDS:
                cpu_before = [cpu_seconds(srv.pid) for srv in servers]
            t0 = time.monotonic()
            r = officer.post(
                f"{server.url}/api/v1/counters/1/call-next",
                json={},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            t1 = time.monotonic()
            assert r.status_code == 200, r.text
            ticket = r.json()["ticket"]
            sends.append((ticket["number"], t0, t1 - t0))
            if not all(
                group.wait_for(n * (k + 1), timeout=10)
                for group, n in zip(groups, connected, strict=True)
            ):
                missing_rounds += 1
            tid = ticket["id"]
            officer.post(f"{server.url}/api/v1/tickets/{tid}/start", json={})
            officer.post(
                f"{server.url}/api/v1/tickets/{tid}/finish", json={"outcome": "guided_only"}
            )
            time.sleep(0.05)
        cpu_ms = [
            (cpu_seconds(srv.pid) - before) / rounds * 1000
            for srv, before in zip(servers, cpu_before, strict=True)
        ]
        rss_after = rss_mb(server.pid)
        reports = [rep for group in groups for rep in group.stop()]
        expected_numbers = [t["number"] for t in to_call]
    board_lat, phone_lat, problems = [], [], 0
    for rep in reports:
        for kind, recs, snap in zip(rep["kinds"], rep["records"], rep["snapshots"], strict=True):
            if kind == "board":
                got = {num: t for ev, num, t in recs if ev == "called"}
                for k, (number, t0, _) in enumerate(sends):
                    if k < WARMUP_ROUNDS:
                        continue
                    if number in got:
                        board_lat.append(got[number] - t0)
                    else:
                        problems += 1
            else:
                ups = [(ahead, t) for ev, ahead, t in recs if ev == "updated"]
                for k, (_number, t0, _) in enumerate(sends):
                    if k < WARMUP_ROUNDS:
                        continue
                    if k < len(ups) and (snap is None or ups[k][0] == snap - k - 1):
                        phone_lat.append(ups[k][1] - t0)
                    else:
                        problems += 1
    called_ok = [n for n, _, _ in sends] == expected_numbers
    return {
        "clients": clients,
        "servers": len(cpu_ms),
        "boards": boards,
        "phones": phones,
        "connected": sum(connected),
        "connect_failed": sum(status["n_failed"] for status in statuses),
        "connect_errors": [e for status in statuses for e in status["failed"]][:5],
        "connect_seconds": connect_s,
        "rounds": rounds,
        "rounds_incomplete": missing_rounds,
        "missing_or_wrong_receipts": problems,
        "called_in_order": called_ok,
        "all": summary_ms(board_lat + phone_lat),
        "boards_ms": summary_ms(board_lat),
        "phones_ms": summary_ms(phone_lat),
        "call_next_ms": summary_ms([d for _, _, d in sends[WARMUP_ROUNDS:]]),
        "server_cpu_ms_per_call": cpu_ms,
        "rss_start_mb": rss_start,
        "rss_idle_mb": rss_idle,
        "rss_connected_mb": rss_connected,
        "rss_after_mb": rss_after,
    }


def bare_level(clients: int, rounds: int, procs: int, db: str) -> dict[str, Any]:
    """The same clients against bare Flask-SocketIO: one emit to a room of everyone."""
    with running_server(db, argv=BARE_ARGV) as server:
        specs: list[tuple[str, Any]] = [("bare", None)] * clients
        rss_idle = rss_mb(server.pid)
        group = Clients(server.url, specs, procs)
        status = group.wait_ready()
        rss_connected = rss_mb(server.pid)
        connected = status["connected"]
        s = requests.Session()
        sends: list[tuple[str, float, float]] = []
        for k in range(rounds + WARMUP_ROUNDS):
            number = f"A{k + 1:03d}"
            t0 = time.monotonic()
            r = s.post(server.url + "/emit", json={"number": number, "service": FIELD})
            sends.append((number, t0, time.monotonic() - t0))
            assert r.status_code == 200
            group.wait_for(connected * (k + 1), timeout=10)
            time.sleep(0.05)
        reports = group.stop()
    lat, problems = [], 0
    for rep in reports:
        for recs in rep["records"]:
            got = {num: t for ev, num, t in recs if ev == "called"}
            for number, t0, _ in sends[WARMUP_ROUNDS:]:
                if number in got:
                    lat.append(got[number] - t0)
                else:
                    problems += 1
    return {
        "clients": clients,
        "connected": connected,
        "connect_failed": status["n_failed"],
        "missing_receipts": problems,
        "all": summary_ms(lat),
        "rss_idle_mb": rss_idle,
        "rss_connected_mb": rss_connected,
    }


def fmt(s: dict[str, float]) -> str:
    return f"p50 {s['p50']:7.1f} ms  p99 {s['p99']:7.1f} ms  max {s['max']:7.1f} ms"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--levels", default="10,300,1000", help="connected clients per level")
    p.add_argument("--rounds", type=int, default=20, help="measured calls per level")
    p.add_argument("--procs", type=int, default=2, help="client processes")
    p.add_argument("--no-baseline", action="store_true", help="skip the bare-stack baseline")
    p.add_argument(
        "--queue",
        default=None,
        help="a Redis URL: two server processes share it (and the database), clients split",
    )
    args = p.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    limit = raise_open_files(max(levels) * 4 + 1024)
    print_machine(" ".join([".venv/bin/python", *sys.argv]))
    print(
        f"# database: {args.db}; {args.rounds} calls per level (+{WARMUP_ROUNDS} warm-up); "
        f"{args.procs} client processes; open-files limit {limit}"
    )
    results: dict[str, Any] = {"db": args.db, "rounds": args.rounds, "lobby": [], "bare": []}
    ok = True
    for clients in levels:
        procs = max(1, min(args.procs, math.ceil(clients / 10)))
        lv = lobby_level(clients, args.rounds, procs, args.db, args.queue)
        results["lobby"].append(lv)
        ok &= lv["missing_or_wrong_receipts"] == 0 and lv["connect_failed"] == 0
        print(
            f"lobby  {clients:>5} clients ({lv['boards']} boards, {lv['phones']} phones; "
            f"{lv['connected']} connected in {lv['connect_seconds']:.1f} s)\n"
            f"   call→receipt all    {fmt(lv['all'])}\n"
            f"   call→board          {fmt(lv['boards_ms'])}\n"
            f"   call→phone          {fmt(lv['phones_ms'])}\n"
            f"   call-next response  {fmt(lv['call_next_ms'])}\n"
            f"   server CPU per call (call-next, start, finish, the pushes): "
            + ", ".join(f"{ms:.1f} ms" for ms in lv["server_cpu_ms_per_call"])
            + "\n"
            f"   server RSS: {lv['rss_start_mb']:.1f} MB at start, {lv['rss_idle_mb']:.1f} MB "
            f"after issuing, {lv['rss_connected_mb']:.1f} MB "
            f"connected, {lv['rss_after_mb']:.1f} MB after the calls; "
            f"missing/wrong receipts {lv['missing_or_wrong_receipts']}, "
            f"rounds not completed in 10 s {lv['rounds_incomplete']}"
            + (
                f"; connect failures {lv['connect_failed']}: {lv['connect_errors']}"
                if lv["connect_failed"]
                else ""
            ),
            flush=True,
        )
        if not args.no_baseline:
            bl = bare_level(clients, args.rounds, procs, args.db)
            results["bare"].append(bl)
            print(
                f"bare   {clients:>5} clients  emit→receipt        {fmt(bl['all'])}\n"
                f"   server RSS: {bl['rss_idle_mb']:.1f} MB idle, "
                f"{bl['rss_connected_mb']:.1f} MB connected; missing {bl['missing_receipts']}",
                flush=True,
            )
    name = f"fanout-{args.db}" + ("-2proc-redis" if args.queue else "")
    print(f"# raw figures: {write_results(name, results)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
