"""Thin entry point. `python server.py` runs the lobby server; `flask --app server ...` the CLI.

The server is Flask-SocketIO on gevent's WSGI server with gevent-websocket: one process holds
many open websockets cheaply (see docs/deployment.md for why).
"""


def _leave_out_unused_libraries() -> None:
    """python-socketio and python-engineio import every optional library they find installed:
    their client's transports (requests, websocket-client; installed here for the tests) and
    Redis (~6 MB with what it imports). This process is a Socket.IO server, and needs Redis only
    when a message queue or a Redis rate-limit store is configured. Leaving them out makes it
    start ~11 MB smaller (bench/README.md); a library left out stays out of this process."""
    import os
    import sys

    unused = ["requests", "websocket"]
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

import os  # noqa: E402  (after the gevent patch above)

from lobby import create_app  # noqa: E402

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
    import contextlib
    import socket

    from gevent import pywsgi

    original = pywsgi.WSGIHandler.__init__

    def init(self, sock, *args, **kwargs):  # type: ignore[no-untyped-def]
        with contextlib.suppress(OSError):  # not a TCP socket
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        original(self, sock, *args, **kwargs)

    pywsgi.WSGIHandler.__init__ = init


def main() -> None:
    from lobby.extensions import socketio
    from lobby.startup import prepare, run_background_jobs

    _nodelay()
    prepare(app)
    socketio.start_background_task(run_background_jobs, app)
    import signal

    import gevent

    # SIGTERM (service managers) ends the server as cleanly as Ctrl-C does: the serving
    # greenlet gets a KeyboardInterrupt (raised in the signal handler itself, gevent's hub
    # would print it as a crash first).
    serving = gevent.getcurrent()
    gevent.signal_handler(signal.SIGTERM, lambda: gevent.kill(serving, KeyboardInterrupt))
    try:
        socketio.run(
            app,
            host=app.config["HOST"],
            port=app.config["PORT"],
            log_output=os.environ.get("LOBBY_ACCESS_LOG", "0") == "1",
        )
    except KeyboardInterrupt:
        print("Đã dừng máy chủ.")


if __name__ == "__main__":
    main()
