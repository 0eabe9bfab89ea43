"""One use case, one transaction: commit, then run what must happen after the commit."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from lobby.extensions import db

log = logging.getLogger(__name__)

_current: ContextVar[Tx | None] = ContextVar("lobby_tx", default=None)
# On SQLite a write transaction takes the write lock at BEGIN (IMMEDIATE), so two writers
# queue on the busy timeout instead of failing when a reader upgrades to a writer.
_immediate: ContextVar[bool] = ContextVar("lobby_tx_immediate", default=False)


class Tx:
    """The open transaction of one use case, with the hooks to run after its commit."""

    def __init__(self) -> None:
        self._after_commit: list[Callable[[], Any]] = []

    def after_commit(self, fn: Callable[[], Any]) -> None:
        self._after_commit.append(fn)

    def _run_hooks(self) -> None:
        for fn in self._after_commit:
            try:
                fn()
            except Exception:  # a failed publish must not undo a committed fact
                log.exception("after-commit hook failed")


def insert_for(dialect: str) -> Callable[..., Any]:
    """INSERT with ON CONFLICT for the database in use (SQLite or PostgreSQL). The PostgreSQL
    dialect (~2 MB) is imported only by installations that run on it."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert  # type: ignore[no-any-return]


def take_next(model: Any, **keys: Any) -> int:
    """The next number of a series kept as one row per key with its `last_seq` (a dossier's or
    a feedback's daily code), by one atomic upsert: two requests never get the same number."""
    stmt = (
        insert_for(db.session.get_bind().dialect.name)(model)
        .values(**keys, last_seq=1)
        .on_conflict_do_update(index_elements=list(keys), set_={"last_seq": model.last_seq + 1})
        .returning(model.last_seq)
    )
    return int(db.session.execute(stmt).scalar_one())


def current_tx() -> Tx | None:
    return _current.get()


@contextmanager
def transaction() -> Iterator[Tx]:
    """Join the open use-case transaction, or open one that commits (or rolls back) at exit."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    session = db.session()  # the request's Session behind the scoped proxy
    if session.in_transaction():
        session.commit()  # end a read-only transaction begun by auth or a lookup
    tx = Tx()
    token = _current.set(tx)
    imm = _immediate.set(True)
    try:
        session.connection()  # BEGIN now, IMMEDIATE on SQLite
        _immediate.reset(imm)
        yield tx
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _current.reset(token)
    tx._run_hooks()


def _create_private(database: str | None) -> None:
    """Create the SQLite file readable by the server's user only (0600) before SQLite makes it
    with the umask's 0644: it holds staff password hashes and the office's dossiers. SQLite
    gives its -wal and -shm files the same mode."""
    if database in (None, "", ":memory:") or database.startswith("file:"):
        return
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        log.warning("could not create the database file %s", database)


def configure_engine(engine: Engine) -> None:
    """SQLite: WAL, durable commits, foreign keys, busy timeout, explicit BEGIN. Others: nothing."""
    if engine.dialect.name != "sqlite":
        return
    _create_private(engine.url.database)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            # A new database frees deleted pages to the disk in steps (lobby.retention);
            # an existing one takes it at its first VACUUM. Before WAL: it must precede tables.
            cur.execute("PRAGMA auto_vacuum=INCREMENTAL")
            cur.execute("PRAGMA journal_mode=WAL")
            # FULL: every commit waits until the WAL is on the disk. With NORMAL a commit made
            # just before a power cut can be lost, and the number of a ticket already printed
            # be issued again (bench/README.md: the cost, measured).
            cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")
