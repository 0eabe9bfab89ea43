"""The lobby: the floors every surface stands on (docs/architecture.md).

`from lobby import create_app` is kept for the server, the tests and the benchmarks; the app is
built in lobby.app, loaded on first use so that importing any lobby module does not import
every surface."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from lobby.app import create_app  # the composition root, loaded on first use

        return create_app
    raise AttributeError(name)
