"""Thin entry point. `python server.py` runs the lobby server; `flask --app server ...` the CLI.

The server is Flask-SocketIO on gevent's WSGI server with gevent-websocket: one process holds
many open websockets cheaply (see docs/deployment.md for why).
"""

if __name__ == "__main__":
    import sys

    # This process is a Socket.IO server only. python-engineio imports its client's transports
    # (requests, websocket-client) whenever they are installed, as they are here for the tests;
    # the server never uses them, and without them it starts ~5 MB smaller (bench/README.md).
    for _client_only in ("requests", "websocket"):
        sys.modules.setdefault(_client_only, None)  # type: ignore[arg-type]

    # Before anything else imports socket or threading: make blocking I/O cooperative.
    from gevent import monkey

    monkey.patch_all()

import os

from lobby import create_app

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

    # SIGTERM (service managers) ends the server as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
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
