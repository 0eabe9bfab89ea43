"""The print agent: prints an agent:// kiosk's tickets on the printer attached to the kiosk PC.

    python -m printers.agent --server https://lobby.example --token DEVICE_TOKEN \\
        --printer usb://0x04b8:0x0202

The server keeps the kiosk's jobs (already drawn as ESC/POS bytes) until the agent reports them
printed, so nothing is lost while the agent or the kiosk PC is away. The agent holds a Socket.IO
connection to be woken as soon as a job is queued, and also asks every --poll seconds, so it keeps
working (a little later) when only plain HTTP gets through. Jobs go to the printer one at a time,
in order; a job that fails stops the round and is retried with back-off, never skipped.

Only the standard library, python-escpos (printers.backends) and, for the wake-ups, the
python-socketio client; never Flask or the server's code. Log lines carry job ids, kinds and sizes,
never what is on the slip.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import http.client
import json
import logging
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from printers import backends
from printers.backends import PrinterError, PrinterState
from printers.worker import backoff_delay

log = logging.getLogger("printers.agent")

API = "/api/v1"
TOKEN_ENV = "LOBBY_AGENT_TOKEN"
USER_AGENT = "lobby-print-agent/1"

SendFn = Callable[[str, bytes, float], None]
StatusFn = Callable[[str], PrinterState]


# --- talking to the server -----------------------------------------------------------------------


class ServerUnavailable(Exception):
    """The server could not be reached, or answered with a server error: try again later."""


class ServerRefused(Exception):
    """The server understood and said no (bad token, not an agent:// kiosk, unknown job)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class AgentJob:
    """One job as the server hands it out: the exact bytes for the printer."""

    id: int
    kind: str
    payload: bytes
    attempts: int = 0


class ServerApi:
    """The server's print-agent routes over HTTP(S), authenticated with the kiosk's token."""

    def __init__(self, server: str, token: str, *, timeout: float = 10.0) -> None:
        self.server = server.rstrip("/")
        self._token = token
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.server + API + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self._token}",
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 or exc.code == 429:
                raise ServerUnavailable(f"HTTP {exc.code}") from None
            info = _error_body(exc)
            raise ServerRefused(
                exc.code, str(info.get("error", "error")), str(info.get("message", ""))
            ) from None
        except urllib.error.URLError as exc:
            raise ServerUnavailable(str(exc.reason)) from None
        except (OSError, http.client.HTTPException) as exc:  # timeouts, resets, bad answers
            raise ServerUnavailable(f"{type(exc).__name__}: {exc}") from None
        try:
            return json.loads(raw)
        except ValueError:
            raise ServerUnavailable("the answer is not JSON (a proxy page?)") from None

    def jobs(self, limit: int) -> tuple[list[AgentJob], bool]:
        """The kiosk's pending jobs, oldest first, and whether more wait after them."""
        answer = self._call("GET", f"/print-jobs?limit={limit}")
        jobs = []
        for item in answer.get("jobs", []):
            try:
                payload = base64.b64decode(item["payload"], validate=True)
            except (binascii.Error, KeyError, TypeError):
                raise ServerUnavailable(
                    f"job {item.get('id')} came without readable bytes"
                ) from None
            jobs.append(
                AgentJob(
                    int(item["id"]), str(item.get("kind", "")), payload, item.get("attempts", 0)
                )
            )
        return jobs, bool(answer.get("more"))

    def done(self, job_id: int, state: PrinterState) -> None:
        """Report the job printed (saying it twice is harmless)."""
        self._call("POST", f"/print-jobs/{job_id}/done", {"state": state})

    def failed(self, job_id: int, error: str, state: PrinterState) -> None:
        """Report a failed try; the job stays on the server for the next one."""
        self._call("POST", f"/print-jobs/{job_id}/failed", {"error": error, "state": state})

    def status(self, state: PrinterState) -> None:
        """Report the printer's state (published to staff and the kiosk)."""
        self._call("POST", "/printer-status", {"state": state})


def _error_body(exc: urllib.error.HTTPError) -> dict[str, Any]:
    try:
        body = json.loads(exc.read() or b"{}")
    except (ValueError, OSError):
        return {}
    return body if isinstance(body, dict) else {}


# --- jobs printed but not yet acknowledged, kept on disk -----------------------------------------


def default_state_dir() -> Path:
    """Where the agent keeps what must survive a restart: systemd's StateDirectory=, else the
    user's state folder (XDG_STATE_HOME, ~/.local/state; %LOCALAPPDATA% on Windows)."""
    if os.environ.get("STATE_DIRECTORY"):
        return Path(os.environ["STATE_DIRECTORY"].split(":")[0])
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "lobby-agent"
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "lobby-agent"


class AckStore:
    """The jobs printed whose `done` the server has not received yet, in a small JSON file.

    One file per server and kiosk token (named by a hash of both, never the token itself), so a
    restart (systemctl restart during a short outage) acknowledges them instead of printing them
    again. Written atomically; removed when nothing is owed.
    """

    def __init__(self, directory: Path, server: str, token: str) -> None:
        key = hashlib.sha256(f"{server.rstrip('/')}\n{token}".encode()).hexdigest()[:16]
        self.path = directory / f"unacked-{key}.json"

    def load(self) -> dict[int, PrinterState]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            return {int(job_id): state for job_id, state in dict(data["unacked"]).items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("cannot read %s (%s): starting without it", self.path, exc)
            return {}

    def save(self, unacked: dict[int, PrinterState]) -> None:
        try:
            if not unacked:
                self.path.unlink(missing_ok=True)
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp = self.path.with_suffix(".tmp")
            with open(temp, "w", encoding="utf-8") as out:
                json.dump({"unacked": {str(k): v for k, v in unacked.items()}}, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        except OSError as exc:
            log.warning("cannot keep unacknowledged jobs in %s (%s)", self.path, exc)


# --- the agent -----------------------------------------------------------------------------------


def _event_wait(event: threading.Event, timeout: float) -> object:
    return event.wait(timeout)


class PrintAgent:
    """Pulls the kiosk's jobs, prints each once and in order, reports the printer's state."""

    def __init__(
        self,
        api: ServerApi,
        printer_url: str,
        *,
        send: SendFn = backends.send,
        read_status: StatusFn | None = backends.read_status,
        poll_interval: float = 30.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        batch: int = 10,
        send_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[threading.Event, float], object] = _event_wait,
        store: AckStore | None = None,
    ) -> None:
        self.api = api
        self._store = store
        self.printer_url = printer_url
        self._send = send
        self._read_status = read_status
        self.poll_interval = poll_interval
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.batch = batch
        self.send_timeout = send_timeout
        self.clock = clock
        self._wait = wait

        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._printer_failures = 0
        self._printer_retry_at: float | None = None
        self._server_failures = 0
        self._server_retry_at: float | None = None
        self._next_status_read = 0.0
        # None until known; False once the printer failed to answer a status query.
        self._status_readable: bool | None = None
        self._reported: PrinterState | None = None
        self._force_report = True  # tell the server the state at start and after reconnecting
        # Printed but not yet acknowledged (the server was away): never send these again.
        # Kept on disk too (store), so a restart acknowledges them rather than printing them again.
        self._unacked: dict[int, PrinterState] = store.load() if store is not None else {}
        if self._unacked:
            log.info("%d printed job(s) still to acknowledge", len(self._unacked))
        self.refused: ServerRefused | None = None
        self.printed: list[int] = []

    # --- control ---------------------------------------------------------------------------------

    def wake(self, *, server_back: bool = False) -> None:
        """Run a round now (jobs were queued); server_back: the server answers again."""
        if server_back:
            with self._lock:
                self._server_retry_at = None
                self._server_failures = 0
                self._force_report = True
        self._wake.set()

    def stop(self) -> None:
        """Stop after the job in hand (a job is never cut in half by stopping)."""
        self._stopping.set()
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run(self, *, once: bool = False) -> int:
        """Run rounds until stop(); with once, one round. Exit status: 0 drained or stopped,
        1 jobs still wait (printer or server away), 2 the server refused this agent."""
        while not self._stopping.is_set():
            self._wake.clear()  # before the round: a wake-up during it cuts the wait short
            try:
                delay = self.run_once()
            except Exception:  # the agent must outlive a surprise and keep its jobs
                log.exception("print round failed")
                delay = self.backoff_cap
            if once:
                break
            self._wait(self._wake, max(0.0, delay))
        if self._unacked and not once:
            self._ack_before_exit()
        if self.refused is not None:
            return 2
        if once and (self._printer_retry_at or self._server_retry_at or self._unacked):
            return 1
        return 0

    # --- one round -------------------------------------------------------------------------------

    def run_once(self) -> float:
        """Print every job that is due, in order; return the seconds until the next round."""
        now = self.clock()
        with self._lock:
            server_retry_at = self._server_retry_at
        if server_retry_at is not None and now < server_retry_at:
            return server_retry_at - now
        try:
            delay = self._round()
        except ServerUnavailable as exc:
            with self._lock:
                self._server_failures += 1
                delay = backoff_delay(self._server_failures, self.backoff_base, self.backoff_cap)
                self._server_retry_at = self.clock() + delay
                failures = self._server_failures
            # The first failure and then one line every ~10 minutes: a long outage stays readable.
            level = logging.WARNING if failures == 1 or failures % 20 == 0 else logging.DEBUG
            log.log(level, "server unreachable (%s); next try in %.1fs", exc, delay)
            return delay
        except ServerRefused as exc:
            repeated = self.refused is not None and str(self.refused) == str(exc)
            self.refused = exc
            with self._lock:
                self._server_retry_at = self.clock() + self.backoff_cap
            log.log(
                logging.DEBUG if repeated else logging.ERROR,
                "the server refused this agent: %s",
                exc,
            )
            return self.backoff_cap
        with self._lock:
            was_down = self._server_failures > 0
            self._server_failures = 0
            self._server_retry_at = None
        if was_down:
            log.info("server reachable again")
        if self.refused is not None:
            log.info("the server accepts this agent again")
            self.refused = None
        return delay

    def _round(self) -> float:
        self._settle_acks()
        now = self.clock()
        if self._printer_retry_at is not None and now < self._printer_retry_at:
            return self._printer_retry_at - now
        self._printer_retry_at = None
        while not self._stopping.is_set():
            jobs, more = self.api.jobs(self.batch)
            jobs = [job for job in jobs if job.id not in self._unacked]
            if not jobs and not more:
                break
            for job in jobs:
                if self._stopping.is_set():
                    return 0.0
                delay = self._print(job)
                if delay is not None:
                    return delay
        self._idle_status()
        return self.poll_interval

    def _print(self, job: AgentJob) -> float | None:
        """Send one job; None when printed, else the seconds to wait before trying again."""
        paper = self._check_before_send()
        if paper in ("paper_out", "offline"):
            why = "paper out" if paper == "paper_out" else "printer offline"
            return self._fail(job, why, paper)
        try:
            self._send(self.printer_url, job.payload, self.send_timeout)
        except PrinterError as exc:
            return self._fail(job, str(exc), "offline")
        self._printer_failures = 0
        state: PrinterState = "paper_low" if paper == "paper_low" else "ok"
        self.printed.append(job.id)
        log.info("printed job %s (%s, %d bytes)", job.id, job.kind, len(job.payload))
        self._ack(job.id, state)
        return None

    def _ack_before_exit(self) -> None:
        """Stopping with acknowledgements owed: one more try (they stay on disk if it fails)."""
        try:
            self._settle_acks()
        except (ServerUnavailable, ServerRefused) as exc:
            log.warning(
                "%d printed job(s) not acknowledged (%s); kept for the next start",
                len(self._unacked),
                exc,
            )

    def _owe(self, job_id: int, state: PrinterState) -> None:
        self._unacked[job_id] = state
        if self._store is not None:
            self._store.save(self._unacked)

    def _ack(self, job_id: int, state: PrinterState) -> None:
        try:
            self.api.done(job_id, state)
        except ServerUnavailable:
            # The bytes are out: remember it so a lost answer never prints the job twice.
            self._owe(job_id, state)
            log.warning("job %s printed but not yet acknowledged; will tell the server", job_id)
            raise
        except ServerRefused as exc:
            if exc.status != 404:
                self._owe(job_id, state)
                raise
            log.warning("job %s printed but unknown to the server now", job_id)
        self._reported = state

    def _settle_acks(self) -> None:
        for job_id, state in list(self._unacked.items()):
            try:
                self.api.done(job_id, state)
            except ServerRefused as exc:
                if exc.status != 404:
                    raise
            del self._unacked[job_id]
            if self._store is not None:
                self._store.save(self._unacked)
            log.info("job %s acknowledged", job_id)
            self._reported = state

    def _fail(self, job: AgentJob, error: str, state: PrinterState) -> float:
        self._printer_failures += 1
        delay = backoff_delay(self._printer_failures, self.backoff_base, self.backoff_cap)
        self._printer_retry_at = self.clock() + delay
        log.warning(
            "job %s not printed (%s); it waits on the server, next try in %.1fs",
            job.id,
            error,
            delay,
        )
        self.api.failed(job.id, error, state)
        self._reported = state
        return delay

    # --- printer state ---------------------------------------------------------------------------

    def _check_before_send(self) -> PrinterState:
        """Ask the paper sensor before sending: a printer out of paper swallows bytes silently."""
        if self._read_status is None or self._status_readable is False:
            return "unknown"
        state = self._read_status(self.printer_url)
        if state == "unknown":
            self._status_readable = False
        elif state != "offline":
            self._status_readable = True
        return state

    def _idle_status(self) -> None:
        """Read the printer now and then while idle, and tell the server when its state changes."""
        now = self.clock()
        with self._lock:
            force = self._force_report
        if not force and now < self._next_status_read:
            return
        self._next_status_read = now + self.poll_interval
        if self._read_status is None or self._status_readable is False:
            if not force:
                return
            state: PrinterState = self._reported or "unknown"
        else:
            state = self._read_status(self.printer_url)
            if state == "unknown":
                self._status_readable = False
                state = self._reported or "unknown"
            elif state != "offline":
                self._status_readable = True
        if state == self._reported and not force:
            return
        self.api.status(state)
        if state != self._reported:
            log.info("printer state: %s", state)
        self._reported = state
        with self._lock:
            self._force_report = False


# --- the live connection -------------------------------------------------------------------------


def _disconnect(client: Any) -> None:
    try:
        client.disconnect()
    except Exception:  # already gone
        log.debug("socket disconnect failed", exc_info=True)


class SocketLink:
    """Keeps a Socket.IO connection to the server in a thread; wakes the agent on print_jobs."""

    def __init__(
        self, server: str, token: str, agent: PrintAgent, *, retry_cap: float = 30.0
    ) -> None:
        self.server = server.rstrip("/")
        self._token = token
        self.agent = agent
        self.retry_cap = retry_cap
        self._stop = threading.Event()
        self._client: Any = None
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="agent-socket", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        client = self._client
        if client is not None:
            # python-engineio's disconnect() waits without a limit for its reader thread, that
            # is until the server closes the socket: a stopping agent gives it 3 s (seen: an
            # agent still there 15 s after SIGTERM). Its threads are daemons: exit goes on.
            leaving = threading.Thread(target=_disconnect, args=(client,), daemon=True)
            leaving.start()
            leaving.join(3)
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            failure = self._session()
            if failure is None:
                failures = 0
                if not self._stop.is_set():
                    log.warning("live connection lost; reconnecting")
                    self._stop.wait(1.0)
                continue
            failures += 1
            delay = backoff_delay(failures, 1.0, self.retry_cap)
            level = logging.WARNING if failures == 1 else logging.DEBUG
            log.log(
                level,
                "live connection failed (%s); pulling every --poll seconds meanwhile",
                failure[:200],
            )
            self._stop.wait(delay)

    def _session(self) -> str | None:
        """Connect and stay until the connection drops or stop(); else say why it failed."""
        import socketio

        lost = threading.Event()
        refusal: list[Any] = []
        client = socketio.Client(reconnection=False, handle_sigint=False)
        client.on("disconnect", lambda *_: lost.set())
        client.on("connect_error", lambda data=None: refusal.append(data))
        client.on("print_jobs", lambda *_: self.agent.wake())
        try:
            client.connect(
                self.server, auth={"device_token": self._token, "agent": True}, wait_timeout=10
            )
        except Exception as exc:  # socketio.exceptions.ConnectionError and transport errors
            _close_client(client)
            return _refusal_text(refusal) or str(exc) or type(exc).__name__
        self._client = client
        self.connected.set()
        log.info("connected to %s", self.server)
        self.agent.wake(server_back=True)  # pull what waits and report the state now
        while not self._stop.is_set() and not lost.wait(1.0):
            pass
        self.connected.clear()
        self._client = None
        _close_client(client)
        return None


def _refusal_text(refusal: list[Any]) -> str:
    for data in refusal:
        if isinstance(data, dict) and data.get("message"):
            return f"{data.get('error', 'refused')}: {data['message']}"
    return ""


def _close_client(client: Any) -> None:
    """Drop a client that failed or lost its connection (its threads end)."""
    try:
        client.disconnect()
    except Exception:
        log.debug("socket cleanup failed", exc_info=True)


# --- command line ----------------------------------------------------------------------------------


# The live connection: the python-socketio client and both of its transports (HTTP long-polling
# through requests, WebSocket through websocket-client); requirements-agent.txt pins them.
LIVE_PACKAGES = {
    "socketio": "python-socketio",
    "requests": "requests",
    "websocket": "websocket-client",
}


def missing_live_packages() -> list[str]:
    """The packages the live connection needs that cannot be imported here."""
    missing = []
    for module, package in LIVE_PACKAGES.items():
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    return missing


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m printers.agent",
        description="Print an agent:// kiosk's tickets on the printer attached to this PC.",
    )
    p.add_argument("--server", required=True, help="the server's address, e.g. https://lobby.local")
    p.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV),
        help=f"the kiosk's device token (or set {TOKEN_ENV}, which keeps it out of `ps`)",
    )
    p.add_argument(
        "--printer",
        required=True,
        help="the local printer's URL, e.g. usb://0x04b8:0x0202 or network://192.168.1.50:9100",
    )
    p.add_argument("--poll", type=float, default=30.0, help="seconds between pulls (30)")
    p.add_argument(
        "--retry-max", type=float, default=30.0, help="longest wait between two tries, s (30)"
    )
    p.add_argument("--once", action="store_true", help="print what waits, then exit")
    p.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="where printed jobs not yet acknowledged are kept across restarts "
        "($STATE_DIRECTORY, else ~/.local/state/lobby-agent)",
    )
    p.add_argument(
        "--no-socket", action="store_true", help="no live connection: only pull every --poll s"
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the agent until SIGINT/SIGTERM (or one round with --once); return the exit status."""
    args = _parser().parse_args(argv)
    # The root logger stays at WARNING: python-escpos logs "Network printer enabled" on it at
    # every connection. force: python-escpos already configured it when imported.
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(message)s",
        force=True,
    )
    log.setLevel(logging.DEBUG if args.verbose else logging.INFO)
    if not args.token:
        log.error("no device token: give --token or set %s", TOKEN_ENV)
        return 2
    if not args.server.startswith(("http://", "https://")):
        log.error("--server must start with http:// or https://, got %r", args.server)
        return 2
    try:
        url = backends.validate_printer_url(args.printer)
        if backends.is_agent_url(url):
            raise backends.PrinterConfigError(
                "--printer is the local printer's own URL (network://, usb://, ...), not agent://"
            )
        backends.require_driver(url)
    except PrinterError as exc:
        log.error("%s", exc)
        return 2

    api = ServerApi(args.server, args.token)
    store = AckStore(args.state_dir or default_state_dir(), args.server, args.token)
    agent = PrintAgent(api, url, poll_interval=args.poll, backoff_cap=args.retry_max, store=store)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping (%s)", signal.Signals(signum).name)
        agent.stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    link: SocketLink | None = None
    if not args.once and not args.no_socket:
        missing = missing_live_packages()
        if missing:
            # Said once, plainly, instead of python-engineio's "requests package is not
            # installed" every few seconds from a connection that can never work.
            log.warning(
                "the live connection needs %s (pip install -r requirements-agent.txt): "
                "pulling every %.0fs only",
                ", ".join(missing),
                args.poll,
            )
        else:
            link = SocketLink(args.server, args.token, agent, retry_cap=args.retry_max)
            link.start()
    log.info("print agent for %s, printer %s", args.server, backends.printer_key(url))
    try:
        status = agent.run(once=args.once)
    finally:
        if link is not None:
            link.stop()
    log.info("stopped (%d printed)", len(agent.printed))
    return status


if __name__ == "__main__":
    sys.exit(main())
