"""Long work (drawing a slip, a VACUUM, a backup) run where it cannot stall the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def run_off_loop(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a real OS thread of gevent's pool when the server is gevent's (the loop
    keeps serving requests between GIL switches); inline elsewhere (tests, the CLI)."""
    try:
        from gevent import get_hub, monkey
    except ImportError:  # pragma: no cover (gevent is a dependency)
        return fn(*args)
    if monkey.is_module_patched("threading"):
        result: T = get_hub().threadpool.apply(fn, args)
        return result
    return fn(*args)
