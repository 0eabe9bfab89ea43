"""Waiting-time estimate shown on the kiosk, ticket and phone page ("khoảng {m} phút")."""

from __future__ import annotations

import math
from collections.abc import Sequence

DEFAULT_SERVICE_SECONDS = 300.0
# Durations above this are forgotten tickets (a counter left "serving" over lunch), not service.
MAX_PLAUSIBLE_SERVICE_SECONDS = 2 * 60 * 60


def average_service_seconds(
    durations_seconds: Sequence[float],
    *,
    default: float = DEFAULT_SERVICE_SECONDS,
    window: int = 20,
) -> float:
    """Mean of the last `window` plausible durations (0 < d <= 2 h), in input order; else default."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    # `0 < d` is False for NaN, so NaN is dropped with the other implausible values.
    plausible = [float(d) for d in durations_seconds if 0 < d <= MAX_PLAUSIBLE_SERVICE_SECONDS]
    recent = plausible[-window:]
    if not recent:
        return float(default)
    return math.fsum(recent) / len(recent)


def estimate_wait_minutes(ahead: int, serving_counters: int, avg_service_seconds: float) -> int:
    """Whole minutes, rounded up: ahead × average ÷ counters (at least one); 0 with nobody ahead."""
    if ahead <= 0:
        return 0
    minutes = ahead * max(0.0, avg_service_seconds) / max(1, serving_counters) / 60
    # Round away float noise first so that exactly 10 minutes is not shown as 11.
    return math.ceil(round(minutes, 9))
