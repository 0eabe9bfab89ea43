"""Short-lived per-process caches of what every ticket and every call reads but rarely changes.

`reference`: the office's settings, its fields, working windows and calendar days, its devices
and staff accounts, and the fields each counter serves. They change a few times a year, yet
issuing a ticket or acting at a counter read them from the database every time (about a third
of its CPU). A process keeps them for `LOBBY_REFERENCE_TTL` seconds (default 5); a write to any
of them through the ORM in this process clears them at once, and another process sees the change
within the TTL. Values are immutable (Core rows, tuples, plain values), never ORM objects, so
concurrent requests can share them safely.

`estimates`: the wait estimate's inputs (open counters, recent service time per field), which
move with every finished ticket but need not be exact: 10 s, never cleared by writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from itertools import chain
from typing import Any, TypeVar

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction

from lobby.models import CalendarDay, Counter, Device, Field, Office, StaffUser, WorkingWindow

T = TypeVar("T")


class RefCache:
    """A dict of (key → value) whose entries live `ttl` seconds; ttl <= 0 turns it off.

    Some keys come from requests (a field code, a token's hash), misses included, so the
    dict is bounded: past `max_entries` the expired entries go, then everything if need be.
    """

    def __init__(self, ttl: float, max_entries: int = 4096) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._data: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        if self.ttl <= 0:
            return load()
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]  # type: ignore[no-any-return]
        value = load()
        if len(self._data) >= self.max_entries:
            self._data = {k: v for k, v in self._data.items() if now - v[0] < self.ttl}
            if len(self._data) >= self.max_entries:
                self._data.clear()
        self._data[key] = (now, value)
        return value

    def clear(self) -> None:
        self._data.clear()


def _reference_models() -> tuple[type, ...]:
    return (Office, Field, WorkingWindow, CalendarDay, Device, StaffUser)


def _clear_reference() -> None:
    if not has_app_context():
        return
    lobby = current_app.extensions.get("lobby")
    if lobby is not None:
        lobby.reference.clear()


def _counter_fields_changed(session: Session, obj: Any) -> bool:
    """A counter added or removed, or the fields it serves changed (its other columns, such as
    the interleave count written on every call, are not reference data)."""
    if not isinstance(obj, Counter):
        return False
    if obj in session.new or obj in session.deleted:
        return True
    return bool(inspect(obj).attrs.fields.history.has_changes())


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context: Any) -> None:
    models = _reference_models()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, models) or _counter_fields_changed(session, obj):
            session.info["lobby_reference_changed"] = True
            # Now, for the rest of this transaction; and again at commit, so that a request
            # that read the old rows in between does not keep them.
            _clear_reference()
            return


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("lobby_reference_changed", False):
        _clear_reference()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: SessionTransaction) -> None:
    if session.info.pop("lobby_reference_changed", False):
        _clear_reference()
