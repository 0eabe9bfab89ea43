"""The leader's figures as rules (DOMAIN §5, §6, §14): percentiles of waits kept as half-minute
histograms, the Decision 766/QĐ-TTg indicators and their full-points thresholds, the trend's
periods. Standard library only."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# Waits and service times are kept as counts per half-minute (seconds / 30, rounded): the
# report shows minutes with one decimal, and a percentile of the rounded times is the rounded
# percentile (rounding keeps the order).
BUCKET_SECONDS = 30


def bucket_of(seconds: float) -> int:
    """The half-minute a duration falls in (nearest; never negative)."""
    return max(0, math.floor(seconds / BUCKET_SECONDS + 0.5))


def merge(into: dict[int, int], counts: Mapping[int | str, int]) -> None:
    """Add a histogram (keys may be JSON's strings) into another."""
    for k, n in counts.items():
        key = int(k)
        into[key] = into.get(key, 0) + int(n)


def percentile(counts: Mapping[int, int], q: float) -> float | None:
    """The q-th percentile (0 < q ≤ 100) in seconds by the nearest-rank method: the smallest
    kept value with at least q % of the values at or below it. None when there are none."""
    n = sum(counts.values())
    if n <= 0:
        return None
    rank = max(1, math.ceil(q / 100 * n))
    seen = 0
    for b in sorted(counts):
        seen += counts[b]
        if seen >= rank:
            return float(b * BUCKET_SECONDS)
    return None  # pragma: no cover - rank ≤ n


def minutes(seconds: float | None) -> float | None:
    """Seconds as the screen's minutes, one decimal."""
    return None if seconds is None else round(seconds / 60, 1)


# --- the trend's periods ----------------------------------------------------------------------

GRAINS = ("day", "week", "month")


def period_start(day: date, grain: str) -> date:
    """The first day of the day's period: itself, its ISO week's Monday, its month's 1st."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def trend_grain(start: date, end: date) -> str:
    """The trend's default grain: by day up to two months, by week up to half a year, else
    by month (a line of a few dozen points reads best)."""
    days = (end - start).days + 1
    return "day" if days <= 62 else "week" if days <= 183 else "month"


# --- Decision 766/QĐ-TTg (DOMAIN §14) ---------------------------------------------------------


@dataclass(frozen=True)
class DossierFacts:
    """What indicator 2.1 reads of one dossier. `finished_at`: when it was done (result ready,
    else returned, else stopped or refused), None while in progress. `paused_at`: when a
    supplement asked of the citizen is still awaited (the office's clock stands still)."""

    received_at: datetime
    appointment: datetime  # the due moment, the citizen's supplement time already added
    finished_at: datetime | None
    supplement_requests: int = 0
    paused_at: datetime | None = None


def in_period(f: DossierFacts, lo: datetime, hi: datetime) -> bool:
    """Received or processed in [lo, hi): received before its end and not finished before it
    began (a dossier carried over from an earlier period counts)."""
    return f.received_at < hi and (f.finished_at is None or f.finished_at >= lo)


def on_time_766(f: DossierFacts, hi: datetime, now: datetime) -> bool:
    """Indicator 2.1 for one dossier of the period [.., hi): finished on or before its
    appointment, or still in progress within time at the period's end (or now, if sooner),
    compared as date and time. More than one supplement request is late; the time the citizen
    takes for a supplement does not count (a dossier waiting for one is judged at the moment it
    was asked)."""
    if f.supplement_requests > 1:
        return False
    if f.finished_at is not None and f.finished_at < hi:
        return f.finished_at <= f.appointment
    at = f.paused_at if f.paused_at is not None else min(hi, now)
    return at <= f.appointment


def rate(part: int, whole: int) -> float | None:
    """part ÷ whole in per cent, one decimal; None for an empty whole."""
    return None if whole <= 0 else round(part * 100 / whole, 1)


def satisfaction_766(late_rate: float | None, unhappy_rate: float | None) -> float | None:
    """Indicator 5.4: 100 % − (late rate + rate of dossiers with a complaint or a "not
    satisfied"), never below 0."""
    if late_rate is None or unhappy_rate is None:
        return None
    return round(max(0.0, 100.0 - late_rate - unhappy_rate), 1)


@dataclass(frozen=True)
class Threshold:
    """An indicator's full points: its value must be `at_least` (or, if False, at most) `value`."""

    code: str
    value: float
    at_least: bool = True
    confirmed: bool = True

    def met(self, x: float | None) -> bool | None:
        if x is None:
            return None
        return x >= self.value if self.at_least else x <= self.value


# Full points (DOMAIN §14). 2.1's threshold is not in the sources at hand: 100 % is assumed
# (every dossier on time) and marked unconfirmed; 2.2 compares each procedure's average with
# its statutory time.
THRESHOLDS: dict[str, Threshold] = {
    "2.1": Threshold("2.1", 100.0, confirmed=False),
    "3.3": Threshold("3.3", 50.0),
    "4.2": Threshold("4.2", 80.0),
    "5.4": Threshold("5.4", 90.0),
}


def handling_days(
    received_at: datetime, finished_at: datetime, paused: Iterable[tuple[datetime, datetime]]
) -> float:
    """Indicator 2.2's handling time of one dossier in days (24 h): receipt to finish, less the
    citizen's supplement time (each pause from the request to the supplement received)."""
    pause = sum(((b - a).total_seconds() for a, b in paused if b > a), 0.0)
    return max(0.0, (finished_at - received_at).total_seconds() - pause) / 86400


def supplement_pauses(
    events: Iterable[tuple[str, datetime]], finished: datetime
) -> list[tuple[datetime, datetime]]:
    """The citizen's supplement times from a dossier's events in order ("request_supplement",
    "supplement_received", at): each request to its receipt, or to the finish if none came."""
    out, since = [], None
    for action, at in events:
        if action == "request_supplement" and since is None:
            since = at
        elif action == "supplement_received" and since is not None:
            out.append((since, at))
            since = None
    if since is not None:
        out.append((since, finished))
    return out
