"""Queue order for "Gọi số tiếp theo" (DOMAIN.md §7, product rule).

The caller gathers the candidates (today's WAITING tickets of the counter's fields plus tickets
transferred to it) and stores each counter's `normals_since_priority`; this module only decides.

A ticket's place in its line is its *line time*: its issue time, unless the citizen let the
people behind go first ("Để người sau lên trước", `delayed_line_at`), which moves the line time
just past theirs. Everything that orders waiting tickets (call-next, a counter's list, a phone's
place, the board) orders by `order_key`: (line time, sequence number, id), and the database
reads in lobby/queue/line.py order by the same three columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from core.errors import IllegalTransition

# A counter starts each service day "eligible": its stored normals_since_priority is at least
# any interleave N, so a waiting priority ticket is called first. The value fits a 32-bit
# integer column, and normals_after_call never grows past it.
FRESH_COUNTER_NORMALS = 10**9

DEFAULT_INTERLEAVE_N = 2

T = TypeVar("T")

# "Để người sau lên trước": how many people a ticket lets go first, and how often (office
# settings `delay_places` and `delay_max`).
DEFAULT_DELAY_PLACES = 3
DEFAULT_MAX_DELAYS = 2
# A delayed ticket's line time is this much after the last person it lets go first.
LINE_STEP = timedelta(microseconds=1)


@dataclass(frozen=True)
class Candidate:
    """A waiting ticket as the queue rule sees it; transfers keep their original issued_at
    and line time. `line_at` is the line time (None: the issue time, never delayed)."""

    id: int
    priority: bool
    issued_at: datetime
    seq: int = 0
    line_at: datetime | None = None


@dataclass(frozen=True)
class CounterPolicy:
    """How one counter picks: priority counter or "1 priority per N normal" (N = 0: strict)."""

    is_priority_counter: bool = False
    interleave_n: int = DEFAULT_INTERLEAVE_N
    priority_counter_serves_normal: bool = True

    def __post_init__(self) -> None:
        if self.interleave_n < 0:
            raise ValueError(f"interleave_n must be >= 0, got {self.interleave_n}")


def order_key(candidate: Candidate) -> tuple[datetime, int, int]:
    """Older first: by line time (the issue time unless delayed), then sequence number, then id."""
    line_at = candidate.issued_at if candidate.line_at is None else candidate.line_at
    return (line_at, candidate.seq, candidate.id)


def delayed_line_at(behind: Sequence[datetime], places: int) -> datetime | None:
    """The new line time of a ticket whose holder lets `places` people go first: just after the
    line time of the places-th person behind it (the last one when fewer wait). `behind` are
    the line times of the tickets after it in its line, in order. None: nobody waits behind.
    Tickets issued in the same microsecond share a line time: a delay passes all of them."""
    if places < 1:
        raise ValueError(f"places must be >= 1, got {places}")
    if not behind:
        return None
    return behind[min(places, len(behind)) - 1] + LINE_STEP


def check_may_delay(delays_done: int, max_delays: int) -> None:
    """A ticket lets others go first at most `max_delays` times (IllegalTransition: 409)."""
    if delays_done >= max_delays:
        raise IllegalTransition(
            f"Quý khách đã nhường lượt {delays_done} lần, không thể nhường thêm.",
            delays=delays_done,
            max_delays=max_delays,
        )


def _oldest(candidates: Iterable[Candidate]) -> Candidate | None:
    return min(candidates, key=order_key, default=None)


def choose_next(
    candidates: Iterable[Candidate], policy: CounterPolicy, normals_since_priority: int
) -> Candidate | None:
    """The next ticket to call by DOMAIN §7, or None when nothing may be called.

    Priority counter: the oldest priority ticket, else the oldest normal one if the policy
    allows. Normal counter: the oldest priority ticket when one waits and (the counter has
    called at least N normal tickets since its last priority call, or no normal ticket
    waits); otherwise the oldest normal ticket.
    """
    pool = list(candidates)
    oldest_priority = _oldest(c for c in pool if c.priority)
    oldest_normal = _oldest(c for c in pool if not c.priority)

    if policy.is_priority_counter:
        if oldest_priority is not None:
            return oldest_priority
        return oldest_normal if policy.priority_counter_serves_normal else None

    if oldest_priority is None:
        return oldest_normal
    if oldest_normal is None or normals_since_priority >= policy.interleave_n:
        return oldest_priority
    return oldest_normal


def normals_after_call(chosen: Candidate, normals_since_priority: int) -> int:
    """A priority call resets the counter's count to 0; a normal call adds 1 (capped)."""
    if chosen.priority:
        return 0
    # Cap so the stored value never overflows an integer column; any value >= N acts the same.
    return min(normals_since_priority + 1, FRESH_COUNTER_NORMALS)


def call_order(
    candidates: Iterable[Candidate],
    policy: CounterPolicy,
    normals_since_priority: int,
    limit: int | None = None,
) -> list[Candidate]:
    """The order in which successive "call next" presses would take these tickets: choose_next
    applied again and again, so a list shown to the officer never differs from what is called."""
    pool = list(candidates)
    priority = sorted((c for c in pool if c.priority), key=order_key, reverse=True)
    normal = sorted((c for c in pool if not c.priority), key=order_key, reverse=True)
    order: list[Candidate] = []
    while limit is None or len(order) < limit:
        heads = [line[-1] for line in (priority, normal) if line]
        chosen = choose_next(heads, policy, normals_since_priority)
        if chosen is None:
            break
        (priority if chosen.priority else normal).pop()
        order.append(chosen)
        normals_since_priority = normals_after_call(chosen, normals_since_priority)
    return order


def share_next(orders: Sequence[tuple[int, Sequence[T]]], shown: int) -> dict[int, list[T]]:
    """The next `shown` tickets of each counter on the board, no ticket under two counters.
    `orders`: (counter number, its call order), the counter that calls first first; a waiting
    ticket goes to the counter that would call it first: counters take turns in that order,
    each its earliest ticket not yet shown, one per turn."""
    taken: set[T] = set()
    picked: dict[int, list[T]] = {number: [] for number, _ in orders}
    places = dict.fromkeys(picked, 0)
    for _turn in range(shown):
        for number, order in orders:
            i = places[number]
            while i < len(order) and order[i] in taken:
                i += 1
            if i < len(order):
                taken.add(order[i])
                picked[number].append(order[i])
                i += 1
            places[number] = i
    return picked
