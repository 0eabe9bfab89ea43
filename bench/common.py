"""Shared benchmark machinery: a real `python server.py` on a free port, clients, percentiles.

Every benchmark talks to 127.0.0.1 only and stops by itself. Run from the repository root,
e.g. `.venv/bin/python bench/bench_issue.py --db sqlite`.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
PG_ADMIN_DSN = os.environ.get("LOBBY_BENCH_PG_ADMIN", "host=127.0.0.1 port=5432 user=postgres")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{db}"
PG_DB = "lobby_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raise_open_files(want: int = 16384) -> int:
    """Lift the soft open-files limit towards `want` (a socket per client); returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- statistics -----------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0..100) by linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """p50, p90, p99 and max of latencies given in seconds, reported in milliseconds."""
    ms = [x * 1000.0 for x in seconds]
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p90": percentile(ms, 90),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else float("nan"),
    }


def fmt_ms(s: dict[str, float]) -> str:
    return f"p50 {s['p50']:7.2f} ms  p99 {s['p99']:7.2f} ms  max {s['max']:7.2f} ms"


# --- the machine ----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """What the figures were measured on: CPU count, architecture, CPU model, UTC date."""
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        head, dirty = "?", ""
    return {
        "commit": head + (" + uncommitted changes" if dirty else ""),
        "nproc": str(os.cpu_count()),
        "arch": platform.machine(),
        "cpu": model,
        "python": platform.python_version(),
        "load": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "date": datetime.fromtimestamp(time.time(), UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


def print_machine(command: str) -> None:
    m = machine()
    print(f"# machine: {m['nproc']} CPU, {m['arch']}, {m['cpu']}, Python {m['python']}")
    print(f"# date: {m['date']}; load average before the run: {m['load']}")
    print(f"# code: {m['commit']}")
    print(f"# command: {command}")


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


# --- PostgreSQL -----------------------------------------------------------------------------


@contextmanager
def fresh_pg_database(name: str = PG_DB) -> Iterator[str]:
    """A new, empty PostgreSQL database for one run; dropped afterwards. Yields its URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.format(db=name)
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the server -----------------------------------------------------------------------------


@dataclass
class Server:
    """One server process (by default `python server.py`) on a free port, own instance folder."""

    instance: Path
    port: int
    env: dict[str, str]
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    credentials: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> Server:
        log = open(self.instance / "server.log", "ab")  # noqa: SIM115 (kept open for the process)
        self.proc = subprocess.Popen(
            self.argv, cwd=REPO, env=self.env, stdout=log, stderr=log, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_text()[-3000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("server did not answer /healthz in time")
        creds = self.instance / "demo-credentials.json"
        if creds.exists():
            self.credentials = json.loads(creds.read_text("utf-8"))
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def log_text(self) -> str:
        return (self.instance / "server.log").read_text("utf-8", errors="replace")

    def user(self, username: str) -> dict[str, Any]:
        return next(u for u in self.credentials["users"] if u["username"] == username)

    def device(self, kind: str) -> dict[str, Any]:
        return next(d for d in self.credentials["devices"] if d["kind"] == kind)

    def kiosk_token(self, kind: str = "plain") -> str:
        """A kiosk's bearer token: "demo" = the demo kiosk (prints every slip to memory://),
        "plain" = a kiosk made with `flask devices create kiosk` without a printer."""
        if kind == "demo":
            return str(self.device("kiosk")["token"])
        if "plain_kiosk" not in self.credentials:
            out = self.flask("devices", "create", "kiosk", "Kiosk đo tải", "--json")
            data = json.loads(next(x for x in out.splitlines()[::-1] if x.startswith("{")))
            self.credentials["plain_kiosk"] = data["token"]
        return str(self.credentials["plain_kiosk"])

    def printing_kiosk(self, printer_url: str, name: str = "Kiosk in thử") -> requests.Session:
        """A new kiosk (`flask devices create kiosk --printer URL`) as a keep-alive session."""
        out = self.flask("devices", "create", "kiosk", name, "--printer", printer_url, "--json")
        data = json.loads(next(x for x in out.splitlines()[::-1] if x.startswith("{")))
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {data['token']}"
        return s

    def issue(self, kiosk: requests.Session, service: str = "ho_tich") -> dict[str, Any]:
        """One ticket from that kiosk, with a fresh Idempotency-Key, as the kiosk page asks."""
        r = kiosk.post(
            self.url + "/api/v1/tickets",
            json={"service": service},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def app_python(self, code: str, timeout: float = 60.0) -> str:
        """Run `code` in a separate process inside the app's context on the same database."""
        prelude = (
            "import sys; sys.path.insert(0, '.')\n"
            "from lobby import create_app\n"
            "from lobby.extensions import db\n"
            "app = create_app()\n"
            "ctx = app.app_context(); ctx.push()\n"
        )
        return self._python(["-c", prelude + code], "app_python", timeout)

    def flask(self, *args: str, timeout: float = 60.0) -> str:
        """Run `flask --app server <args>` against this server's instance and database."""
        return self._python(
            ["-m", "flask", "--app", "server", *args], f"flask {' '.join(args)}", timeout
        )

    def _python(self, argv: list[str], what: str, timeout: float) -> str:
        """This checkout's Python with `argv`, on the server's environment; its output."""
        out = subprocess.run(
            [sys.executable, *argv],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"{what} failed: {out.stderr[-3000:]}")
        return out.stdout


@contextmanager
def running_server(
    db: str = "sqlite", *, argv: list[str] | None = None, **extra_env: str
) -> Iterator[Server]:
    """Start a server (sqlite or postgres) in a temp instance folder; stop and clean up after."""
    if db not in ("sqlite", "postgres"):
        raise ValueError(f"unknown database {db!r}")
    tmp = Path(tempfile.mkdtemp(prefix="lobby-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "LOBBY_INSTANCE_PATH": str(tmp),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "LOBBY_OPEN_ALWAYS": "1",
        "LOBBY_RATE_LIMITS": "0",
        "LOBBY_DEMO": "1",
        **extra_env,
    }
    env.pop("DATABASE_URL", None)
    server = Server(instance=tmp, port=port, env=env, argv=argv or [sys.executable, "server.py"])
    with _maybe_pg(db) as url:
        if url:
            env["DATABASE_URL"] = url
        try:
            server.start()
            yield server
        finally:
            server.stop()
            if os.environ.get("LOBBY_BENCH_KEEP"):
                print(f"# kept instance folder {tmp}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def running_peer(server: Server) -> Iterator[Server]:
    """A second `python server.py` on the same database as `server` (its SQLite file or its
    PostgreSQL database), own port and instance folder. Share a message queue by starting both
    with SOCKETIO_MESSAGE_QUEUE and SECRET_KEY in their environment."""
    tmp = Path(tempfile.mkdtemp(prefix="lobby-bench-peer-"))
    port = free_port()
    env = {
        **server.env,
        "LOBBY_INSTANCE_PATH": str(tmp),
        "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": server.env.get("DATABASE_URL")
        or f"sqlite:///{server.instance / 'lobby.sqlite3'}",
    }
    peer = Server(instance=tmp, port=port, env=env, argv=server.argv)
    try:
        peer.start()
        peer.credentials = server.credentials
        yield peer
    finally:
        peer.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _maybe_pg(db: str) -> Iterator[str | None]:
    if db == "postgres":
        with fresh_pg_database() as url:
            yield url
    else:
        yield None


BARE_ARGV = [sys.executable, "bench/bare_app.py"]


# --- HTTP clients ---------------------------------------------------------------------------


def login(server: Server, username: str, password: str | None = None) -> requests.Session:
    """A requests session signed in through /login (CSRF form), with X-CSRF-Token set."""
    s = requests.Session()
    page = s.get(server.url + "/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("login page has no CSRF token")
    r = s.post(
        server.url + "/login",
        data={
            "username": username,
            "password": password or server.user(username)["password"],
            "csrf_token": token.group(1),
        },
        allow_redirects=False,
    )
    if r.status_code != 302:
        raise RuntimeError(f"login of {username} failed: {r.status_code} {r.text[:300]}")
    s.headers["X-CSRF-Token"] = token.group(1)
    return s


@dataclass
class LoadResult:
    clients: int
    requests: int
    errors: int
    elapsed: float
    latencies: list[float]
    results: list[Any]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed > 0 else float("nan")


def run_load(
    clients: int,
    total: int,
    make_session: Callable[[int], requests.Session],
    one_request: Callable[[requests.Session, int], tuple[bool, Any]],
    *,
    max_seconds: float = 60.0,
) -> LoadResult:
    """`clients` threads, each with its own keep-alive session, share `total` requests.

    `one_request(session, i)` returns (counted, result); only counted requests enter the
    latency list. Stops after `total` requests or `max_seconds`, whichever comes first.
    """
    sessions = [make_session(i) for i in range(clients)]
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    results: list[Any] = []
    errors = [0]
    start_gate = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(k: int) -> None:
        s = sessions[k]
        start_gate.wait()
        while True:
            with lock:
                i = next_index[0]
                if i >= total or time.monotonic() > deadline[0]:
                    return
                next_index[0] += 1
            t0 = time.perf_counter()
            try:
                counted, result = one_request(s, i)
            except Exception as exc:  # a failed request is counted, never hidden
                counted, result = False, exc
            dt = time.perf_counter() - t0
            with lock:
                if counted:
                    latencies.append(dt)
                    results.append(result)
                else:
                    errors[0] += 1
                    if errors[0] <= 3:
                        print(f"  ! request {i} failed: {str(result)[:300]}")

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.monotonic() + max_seconds
    t0 = time.perf_counter()
    start_gate.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    for s in sessions:
        s.close()
    return LoadResult(clients, next_index[0], errors[0], elapsed, latencies, results)


def print_level(name: str, r: LoadResult) -> dict[str, Any]:
    s = summary_ms(r.latencies)
    print(
        f"{name:<28} clients {r.clients:>3}  ok {len(r.latencies):>5}  err {r.errors:>3}  "
        f"{r.rate:8.1f} /s  {fmt_ms(s)}",
        flush=True,
    )
    return {"clients": r.clients, "ok": len(r.latencies), "errors": r.errors, "rate": r.rate, **s}


def write_results(name: str, data: dict[str, Any]) -> Path:
    """Keep the raw figures of a run under bench/results/ (one JSON file per benchmark and db)."""
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **data}, indent=2, ensure_ascii=False))
    return path
