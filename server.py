"""Thin entry point. `python server.py` runs the lobby server; `flask --app server ...` the CLI.

The server is Flask-SocketIO on gevent's WSGI server with gevent-websocket: one process holds
many open websockets cheaply (see docs/deployment.md for why).
"""

import os
import sys


def _leave_out_unused_libraries() -> None:
    """python-socketio and python-engineio import every optional library they find installed:
    their client's transports (requests, websocket-client; installed here for the tests) and
    Redis (~6 MB with what it imports). This process is a Socket.IO server, and needs Redis only
    when a message queue or a Redis rate-limit store is configured, requests only when it sends
    web push (LOBBY_NOTIFY=webpush: pywebpush posts with it). Leaving them out makes it
    start ~11 MB smaller (bench/README.md); a library left out stays out of this process.

    The one read of the environment outside lobby.config: it runs before gevent patches the
    standard library, so before anything imports the lobby package (and Flask with it)."""
    unused = ["websocket"]
    if "webpush" not in os.environ.get("LOBBY_NOTIFY", "").lower():
        unused.append("requests")  # pywebpush sends with it (docs/notifications.md)
    settings = ("SOCKETIO_MESSAGE_QUEUE", "RATELIMIT_STORAGE_URI")
    if not any("redis" in os.environ.get(name, "").lower() for name in settings):
        unused.append("redis")
    for name in unused:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


if __name__ == "__main__":
    _leave_out_unused_libraries()
    # Before anything else imports socket or threading: make blocking I/O cooperative.
    from gevent import monkey

    monkey.patch_all()

# After the gevent patch above.
import contextlib  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402

import click  # noqa: E402
from engineio import exceptions as engineio_errors  # noqa: E402
from engineio.socket import Socket as EngineIOSocket  # noqa: E402

from lobby import create_app  # noqa: E402
from lobby.extensions import socketio  # noqa: E402
from lobby.startup import prepare, run_background_jobs, say_listening  # noqa: E402


def _refuse_flask_run() -> None:
    """`flask --app server run` would serve with Werkzeug's threads: no gevent (websockets held
    by a thread each), none of the background jobs (closing past days, forgetting, printing) and
    no migration. The server is started by `python server.py` (or `./run`); the rest of the
    command line (`flask --app server db upgrade`, `users`, `demo`...) is untouched."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.info_name == "run" and ctx.parent is not None:
        raise SystemExit(
            "Không chạy máy chủ bằng `flask run` (thiếu gevent và các việc chạy nền).\n"
            "Hãy dùng: ./run  (hoặc .venv/bin/python server.py)\n"
            "Do not start the server with `flask run` (no gevent, no background jobs): "
            "use ./run or python server.py."
        )


if __name__ != "__main__":
    _refuse_flask_run()

# Under `python server.py` gevent serves; under `flask --app server` (CLI, tests) threads do.
app = create_app(
    {"SOCKETIO_ASYNC_MODE": "gevent", "LOBBY_MIGRATIONS_IN_PROCESS": False}
    if __name__ == "__main__"
    else None
)


def _nodelay() -> None:
    """TCP_NODELAY on every accepted connection. gevent's WSGI server writes the headers and the
    body in two sends; with Nagle's algorithm the body waits for the client's delayed ACK (up to
    40 ms) on every kept-alive request after the first (measured in bench/README.md)."""
    from gevent import pywsgi  # gevent: only when serving (the command line runs without it)

    original = pywsgi.WSGIHandler.__init__

    def init(self, sock, *args, **kwargs):  # type: ignore[no-untyped-def]
        with contextlib.suppress(OSError):  # not a TCP socket
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        original(self, sock, *args, **kwargs)

    pywsgi.WSGIHandler.__init__ = init


def _failed_polls_close_at_once() -> None:
    """A long-polling POST that engine.io refuses (an unknown packet type such as `9999`, `6` or
    `2probe`, a body over the size limit) is answered 400 at once, and its session closed.

    python-engineio 4.15.1 (the latest release) handles that error with `disconnect()`, whose
    `close(wait=True)` waits until a long-polling GET has taken the CLOSE packet off the session's
    queue. A caller that never polls (anyone can open a session) leaves the POST unanswered and its
    connection in CLOSE-WAIT for good, with its greenlet: a few hundred such requests use up the
    process's file descriptors and the lobby stops answering (issue 11, item 1). Here the session is
    closed without waiting (a poll in flight still gets the CLOSE packet), so engine.io's own
    `disconnect()` that follows finds it closed and only forgets it."""
    original = EngineIOSocket.handle_post_request

    def handle_post_request(self, environ):  # type: ignore[no-untyped-def]
        try:
            return original(self, environ)
        except engineio_errors.EngineIOError:
            self.close(wait=False, reason=self.server.reason.TRANSPORT_ERROR)
            raise

    EngineIOSocket.handle_post_request = handle_post_request


def _configure_logging(access_log: bool) -> None:
    """One log, on standard error (the systemd journal under the service, which rotates it):
    warnings and errors, the lobby's own notes (backups, housekeeping), and with
    LOBBY_ACCESS_LOG=1 one line per request (address, method, path, status, size, time).
    Nothing logged carries a request's body, where personal data travels (docs/huong-dan-van-hanh.md).
    gevent-websocket writes its request lines to its own logger at INFO, which said nothing
    before: LOBBY_ACCESS_LOG=1 had no effect."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("lobby").setLevel(logging.INFO)
    if access_log:
        logging.getLogger("geventwebsocket.handler").setLevel(logging.INFO)


def main() -> None:
    access_log = bool(app.config["LOBBY_ACCESS_LOG"])
    _configure_logging(access_log)
    _nodelay()
    _failed_polls_close_at_once()
    prepare(app)
    socketio.start_background_task(run_background_jobs, app)
    import gevent  # only when serving (the command line runs without it)

    # Ctrl-C (SIGINT) and service managers (SIGTERM) stop the server the same way: gevent's hub
    # runs the handler between greenlets and the serving greenlet gets the KeyboardInterrupt.
    # Python's own SIGINT handler raised it in whichever greenlet was running, and engine.io's
    # websocket writer (a bare `except:`) swallowed it: the server went on serving. A SIGINT
    # ignored by whoever started us (`nohup`, a background job) stays ignored, as in Python.
    serving = gevent.getcurrent()
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            gevent.signal_handler(signum, lambda: gevent.kill(serving, KeyboardInterrupt))
    say_listening(app)
    try:
        socketio.run(
            app,
            host=app.config["HOST"],
            port=app.config["PORT"],
            log_output=access_log,
        )
    except KeyboardInterrupt:
        _say_stopped()


def _say_stopped() -> None:
    """The last line, even when whoever read our output has gone (`./run | tee log` and Ctrl-C:
    tee stops first, and a BrokenPipeError here would end the server with a traceback)."""
    try:
        print("Đã dừng máy chủ.", flush=True)
    except OSError:
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (nothing more is written)


if __name__ == "__main__":
    main()
