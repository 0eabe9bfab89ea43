"""Who acts in the lobby: staff roles and the kinds of paired devices, and a counter's states."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A staff account's role: an officer serves at counters; a leader also sees every
    counter's figures and officers' names; an admin also configures the office."""

    ADMIN = "admin"
    LEADER = "leader"
    OFFICER = "officer"


# Roles that act across counters (transfer any ticket, see officers' figures).
SUPERVISORS: frozenset[Role] = frozenset({Role.ADMIN, Role.LEADER})


class DeviceKind(StrEnum):
    """A paired device: the touch kiosk, the lobby board, the rating tablet at a counter."""

    KIOSK = "kiosk"
    BOARD = "board"
    TABLET = "tablet"


class CounterState(StrEnum):
    """A counter is open (calls numbers), paused (keeps its place, calls none) or closed."""

    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"
