"""Long work (drawing a slip, a VACUUM, a backup) run where it cannot stall the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def run_off_loop(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a real OS thread of gevent's pool when the server is gevent's (the loop
    keeps serving requests between GIL switches); inline elsewhere (tests, the CLI)."""
    if _patched():
        from gevent import get_hub

        result: T = get_hub().threadpool.apply(fn, args)
        return result
    return fn(*args)


def _patched() -> bool:
    """Whether this process is gevent's (monkey-patched): only then is there a loop to spare."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover (gevent is a dependency)
        return False
    return bool(monkey.is_module_patched("threading"))


def run_off_loop_in_app(fn: Callable[..., T], *args: Any) -> T:
    """run_off_loop for work that reads the database: in the thread, an app context (and so a
    session) of its own, removed afterwards. Inline (tests, the CLI), the caller's own."""
    from flask import current_app

    from lobby.extensions import db

    if not _patched():
        return fn(*args)
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def call() -> T:
        with app.app_context():
            try:
                return fn(*args)
            finally:
                db.session.remove()

    return run_off_loop(call)
