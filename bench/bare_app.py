"""The bare stack, for baselines: Flask + Flask-SQLAlchemy + Flask-SocketIO on gevent, no lobby.

Served exactly as server.py serves the lobby (gevent monkey-patching, TCP_NODELAY on accepted
connections, socketio.run), with the same SQLite settings (WAL, synchronous=FULL, busy timeout) or DATABASE_URL for PostgreSQL:
  POST /insert   inserts one row with SQLAlchemy and returns it as JSON;
  POST /call     marks the oldest waiting row "called" (one conditional UPDATE … RETURNING);
  POST /rows/<id>/start, /rows/<id>/finish   one UPDATE each: the officer's cycle, bare;
  POST /emit     emits one `ticket_called` to every connected Socket.IO client (room "all").
Run by the benchmarks: `PORT=... LOBBY_INSTANCE_PATH=... python bench/bare_app.py`.
"""

if __name__ == "__main__":
    from gevent import monkey

    monkey.patch_all()

import contextlib
import os
import socket
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, jsonify, request
from flask_socketio import SocketIO, emit, join_room
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, String, event, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
socketio = SocketIO()


class Row(db.Model):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    field: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default="waiting", index=True)


def create_app() -> Flask:
    instance = os.environ["LOBBY_INSTANCE_PATH"]
    app = Flask(__name__, instance_path=instance)
    app.config["SQLALCHEMY_DATABASE_URI"] = (
        os.environ.get("DATABASE_URL") or f"sqlite:///{instance}/bare.sqlite3"
    )
    db.init_app(app)
    socketio.init_app(app, async_mode="gevent", ping_interval=20, ping_timeout=20)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_connection: Any, _record: Any) -> None:
                cur = dbapi_connection.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")
                cur.execute("PRAGMA busy_timeout=10000")
                cur.close()

        db.drop_all()
        db.create_all()

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"ok": True})

    @app.post("/insert")
    def insert() -> Any:
        body = request.get_json(silent=True) or {}
        row = Row(
            field=str(body.get("field", "x"))[:20],
            created_at=datetime.fromtimestamp(time.time(), UTC),
        )
        db.session.add(row)
        db.session.commit()
        return jsonify({"id": row.id, "field": row.field}), 201

    @app.post("/call")
    def call() -> Any:
        oldest = (
            select(Row.id)
            .where(Row.status == "waiting")
            .order_by(Row.id)
            .limit(1)
            .scalar_subquery()
        )
        called = db.session.scalar(
            update(Row)
            .where(Row.id == oldest, Row.status == "waiting")
            .values(status="called")
            .returning(Row.id)
        )
        db.session.commit()
        if called is None:
            return jsonify({"error": "queue_empty"}), 409
        return jsonify({"id": called})

    @app.post("/rows/<int:row_id>/<any(start, finish):action>")
    def act(row_id: int, action: str) -> Any:
        before, after = ("called", "serving") if action == "start" else ("serving", "done")
        done = db.session.execute(
            update(Row).where(Row.id == row_id, Row.status == before).values(status=after)
        )
        db.session.commit()
        if done.rowcount != 1:
            return jsonify({"error": "conflict"}), 409
        return jsonify({"id": row_id, "status": after})

    @app.post("/emit")
    def emit_all() -> Any:
        payload = request.get_json(silent=True) or {}
        socketio.emit("ticket_called", payload, to="all")
        return jsonify({"ok": True, "at": time.time()})

    @socketio.on("connect")
    def _connect(auth: Any = None) -> None:
        join_room("all")
        emit("snapshot", {})

    return app


def nodelay() -> None:
    """TCP_NODELAY on every accepted connection, as server.py sets it."""
    from gevent import pywsgi

    original = pywsgi.WSGIHandler.__init__

    def init(self: Any, sock: Any, *args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        original(self, sock, *args, **kwargs)

    pywsgi.WSGIHandler.__init__ = init  # type: ignore[method-assign]


if __name__ == "__main__":
    nodelay()
    app = create_app()
    socketio.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_output=False)
