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


def run_off_loop_in_app(
    fn: Callable[..., T], *args: Any, one_at_a_time: str = "", app: Any = None
) -> T:
    """run_off_loop for work that reads the database: in the thread, an app context (and so a
    session) of its own, removed afterwards. Inline (tests, the CLI), the caller's own.
    `one_at_a_time`: a name; calls with the same name run one after the other (three leaders
    opening a year at once take turns instead of taking both cores from the lobby).
    `app`: for a caller outside a request (the housekeeping job); then `fn` always runs in a
    context of that app of its own, inline too."""
    from flask import current_app

    from lobby.extensions import db

    if app is None and not _patched():
        return fn(*args)
    owner = app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]

    def call() -> T:
        with owner.app_context():
            try:
                return fn(*args)
            finally:
                db.session.remove()

    if not one_at_a_time:
        return run_off_loop(call)
    with _turns(one_at_a_time):
        return run_off_loop(call)


_TURNS: dict[str, Any] = {}


def _turns(name: str) -> Any:
    """A gevent semaphore per name (made in the patched process: waiting yields to the loop)."""
    from gevent.lock import BoundedSemaphore

    return _TURNS.setdefault(name, BoundedSemaphore(1))
