"""A publisher for tests: remembers what the lobby would have told its screens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordingPublisher:
    """A fake for tests: remembers what would have been published."""

    events: list[tuple[str, dict[str, Any], list[str]]] = field(default_factory=list)

    def publish(self, event: str, payload: dict[str, Any], rooms: list[str]) -> None:
        self.events.append((event, payload, list(rooms)))

    def publish_each(self, event: str, items: list[tuple[str, dict[str, Any]]]) -> None:
        self.events += [(event, payload, [room]) for room, payload in items]

    def named(self, event: str) -> list[tuple[dict[str, Any], list[str]]]:
        return [(p, r) for e, p, r in self.events if e == event]
