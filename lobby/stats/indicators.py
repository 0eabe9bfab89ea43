"""The dossiers' figures: the office's own (received, resolved by timeliness, DOMAIN §5), the
ratings (§6), and the Decision 766/QĐ-TTg indicators beside them (§14: 2.1 on time, 2.2 average
handling time per procedure, 3.3 online share, 4.2 digitisation, 5.4 satisfaction), each with
its full-points threshold (core.figures.THRESHOLDS)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from core.deadlines import Timeliness, on_time_rate
from core.dossiers import DossierAction, DossierStatus, RatingLevel, level_counts, satisfaction_rate
from core.figures import (
    THRESHOLDS,
    DossierFacts,
    handling_days,
    in_period,
    on_time_766,
    rate,
    satisfaction_766,
)
from lobby.context import ctx, office_tz
from lobby.dossiers.ratings import rating_scale
from lobby.extensions import db
from lobby.models import Counter, Dossier, DossierEvent, Office, Procedure, Rating

MAX_COMMENTS = 200  # the newest comments of the period, for the leader to read
UNHAPPY = (RatingLevel.NOT_SATISFIED.value, RatingLevel.VERY_DISSATISFIED.value)
ONLINE = "truc_tuyen"
FINISHING = (int(DossierStatus.REFUSED), int(DossierStatus.STOPPED))
NOT_RECEIVED = (int(DossierStatus.SUBMITTED_ONLINE), int(DossierStatus.WITHDRAWN))


def complaint_dossier_ids(o: Office, lo: datetime, hi: datetime) -> set[int]:
    """THE INPUT FOR COMPLAINTS (Decision 766, 5.4): the ids of the dossiers with a complaint
    about their handling or lateness. Until the feedback feature (lobby/feedback/) is wired
    here, a complaint is what a rating says: the dossiers rated Không hài lòng or worse."""
    return set(
        db.session.scalars(
            select(Rating.dossier_id)
            .where(
                Rating.office_id == o.id,
                Rating.level.in_(UNHAPPY),
                Rating.dossier_id.is_not(None),
                Rating.created_at < hi,
            )
            .distinct()
        ).all()
    )


def received_count(o: Office, lo: datetime, hi: datetime) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                Dossier.office_id == o.id, Dossier.received_at >= lo, Dossier.received_at < hi
            )
        )
        or 0
    )


def dossier_figures(o: Office, lo: datetime, hi: datetime, received: int) -> dict[str, Any]:
    """Dossiers received in the period, and those resolved in it by timeliness (DOMAIN §5)."""
    rows = db.session.execute(
        select(Dossier.timeliness, func.count())
        .where(
            Dossier.office_id == o.id,
            Dossier.result_ready_at >= lo,
            Dossier.result_ready_at < hi,
            Dossier.timeliness.is_not(None),
        )
        .group_by(Dossier.timeliness)
    ).all()
    timeliness = {t: 0 for t in Timeliness}
    for value, n in rows:
        timeliness[Timeliness(value)] += int(n)
    on_time = on_time_rate(timeliness)
    return {
        "received": received,
        "resolved": sum(timeliness.values()),
        "early": timeliness[Timeliness.EARLY],
        "on_time": timeliness[Timeliness.ON_TIME],
        "late": timeliness[Timeliness.LATE],
        "on_time_rate": None if on_time is None else round(on_time, 1),
    }


def _events(o: Office, lo: datetime, hi: datetime, base: Any) -> dict[int, list[Any]]:
    """The supplement requests and receipts, stops and refusals of the period's dossiers."""
    e = DossierEvent
    out: dict[int, list[Any]] = defaultdict(list)
    for dossier_id, action, to_status, at in db.session.execute(
        select(e.dossier_id, e.action, e.to_status, e.at)
        .join(Dossier, Dossier.id == e.dossier_id)
        .where(
            *base,
            or_(
                e.action.in_(
                    (
                        DossierAction.REQUEST_SUPPLEMENT.value,
                        DossierAction.SUPPLEMENT_RECEIVED.value,
                    )
                ),
                e.to_status.in_(FINISHING),
            ),
        )
        .order_by(e.dossier_id, e.at, e.id)
    ).all():
        out[dossier_id].append((action, to_status, at))
    return out


def indicators_766(o: Office, lo: datetime, hi: datetime) -> dict[str, Any]:
    """Decision 766's indicators of the period [lo, hi), counted as the national method does."""
    now = ctx().clock.now()
    d = Dossier
    base = (
        d.office_id == o.id,
        d.received_at < hi,
        d.status_code.not_in(NOT_RECEIVED),
        or_(d.result_ready_at.is_(None), d.result_ready_at >= lo),
    )
    events = _events(o, lo, hi, base)
    procs = {
        p.id: p for p in db.session.scalars(select(Procedure).where(Procedure.office_id == o.id))
    }
    n = on_time = on_time_done = on_time_open = 0
    ids: set[int] = set()
    handled: dict[int, list[float]] = defaultdict(list)
    channels: dict[str, int] = defaultdict(int)
    received = digitised = 0
    for (
        did,
        proc_id,
        channel,
        scanned,
        received_at,
        due,
        ready,
        returned,
        status,
        asked,
    ) in db.session.execute(
        select(
            d.id,
            d.procedure_id,
            d.channel,
            d.digitised,
            d.received_at,
            d.original_due_at,
            d.result_ready_at,
            d.returned_at,
            d.status_code,
            d.supplement_requested_at,
        ).where(*base)
    ).all():
        evs = events.get(did, [])
        stopped = [at for _a, to, at in evs if to in FINISHING]
        finished = ready or returned or (max(stopped) if stopped else None)
        facts = DossierFacts(
            received_at=received_at,
            appointment=due,
            finished_at=finished,
            supplement_requests=sum(
                1 for a, _to, _at in evs if a == DossierAction.REQUEST_SUPPLEMENT
            ),
            paused_at=asked if status == DossierStatus.SUPPLEMENT_REQUESTED else None,
        )
        if lo <= received_at:
            received += 1
            channels[channel] += 1
            digitised += bool(scanned) or channel == ONLINE
        if not in_period(facts, lo, hi):
            continue
        n += 1
        ids.add(did)
        if on_time_766(facts, hi, now):
            on_time += 1
            if finished is not None and finished < hi:
                on_time_done += 1
            else:
                on_time_open += 1
        if finished is not None and lo <= finished < hi:
            handled[proc_id].append(handling_days(received_at, finished, _pauses(evs, finished)))
    late_rate = rate(n - on_time, n)
    unhappy = len(ids & complaint_dossier_ids(o, lo, hi))
    unhappy_rate = rate(unhappy, n)
    return {
        "dossiers": n,
        "on_time": {
            "finished": on_time_done,
            "in_progress": on_time_open,
            "late": n - on_time,
            "rate": rate(on_time, n),
            "full_points": THRESHOLDS["2.1"].value,
            "confirmed": THRESHOLDS["2.1"].confirmed,
        },
        "handling": sorted(
            (
                {
                    "procedure": procs[p].code if p in procs else str(p),
                    "name": procs[p].name_vi if p in procs else "",
                    "finished": len(days),
                    "avg_days": round(sum(days) / len(days), 1),
                    "deadline_value": procs[p].deadline_value if p in procs else None,
                    "deadline_unit": procs[p].deadline_unit if p in procs else None,
                }
                for p, days in handled.items()
            ),
            key=lambda r: r["procedure"],
        ),
        "online": {
            "received": received,
            "by_channel": dict(sorted(channels.items())),
            "rate": rate(channels.get(ONLINE, 0), received),
            "full_points": THRESHOLDS["3.3"].value,
        },
        "digitised": {
            "dossiers": digitised,
            "rate": rate(digitised, received),
            "full_points": THRESHOLDS["4.2"].value,
        },
        "satisfaction": {
            "late_rate": late_rate,
            "unhappy": unhappy,
            "unhappy_rate": unhappy_rate,
            "rate": satisfaction_766(late_rate, unhappy_rate),
            "full_points": THRESHOLDS["5.4"].value,
        },
    }


def _pauses(evs: list[Any], finished: datetime) -> list[tuple[datetime, datetime]]:
    """The citizen's supplement times: each request to its receipt (or to the finish)."""
    out, since = [], None
    for action, _to, at in evs:
        if action == DossierAction.REQUEST_SUPPLEMENT and since is None:
            since = at
        elif action == DossierAction.SUPPLEMENT_RECEIVED and since is not None:
            out.append((since, at))
            since = None
    if since is not None:
        out.append((since, finished))
    return out


def satisfaction(
    o: Office,
    lo: datetime,
    hi: datetime,
    received: int,
    counters: dict[int, Counter],
    comment_filter: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ratings of the period: each level's count, the rates, the newest comments (those of
    one level and/or one counter when `comment_filter` says so: {"level": …, "counter": …})."""
    tz = office_tz(o)
    in_period_ = (Rating.office_id == o.id, Rating.created_at >= lo, Rating.created_at < hi)
    counted = db.session.execute(
        select(Rating.level, func.count()).where(*in_period_).group_by(Rating.level)
    ).all()
    levels = [RatingLevel(level) for level, n in counted for _ in range(int(n))]
    # The dossiers received in the period that a rating of the period calls Không hài lòng
    # (or worse). Two plain lookups rather than a join, whose plan a database with fresh
    # statistics-less rows can get badly wrong: the unhappy ratings are few.
    rated = sorted(
        db.session.scalars(
            select(Rating.dossier_id)
            .where(*in_period_, Rating.level.in_(UNHAPPY), Rating.dossier_id.is_not(None))
            .distinct()
        ).all()
    )
    unhappy = 0
    for i in range(0, len(rated), 1000):
        unhappy += int(
            db.session.scalar(
                select(func.count()).where(
                    Dossier.id.in_(rated[i : i + 1000]),
                    Dossier.office_id == o.id,
                    Dossier.received_at >= lo,
                    Dossier.received_at < hi,
                )
            )
            or 0
        )
    wanted = comment_filter or {}
    only = []
    if wanted.get("level"):
        only.append(Rating.level == wanted["level"])
    if wanted.get("counter"):
        ids = [c.id for c in counters.values() if c.number == wanted["counter"]]
        only.append(Rating.counter_id.in_(ids))
    newest = db.session.execute(
        select(Rating.created_at, Rating.level, Rating.counter_id, Rating.comment)
        .where(*in_period_, Rating.comment.is_not(None), Rating.comment != "", *only)
        .order_by(Rating.created_at.desc(), Rating.id.desc())
        .limit(MAX_COMMENTS)
    ).all()
    comments = [
        {
            "at": at.astimezone(tz).isoformat(),
            "level": level,
            "counter": counters[counter_id].number if counter_id in counters else None,
            "comment": comment,
        }
        for at, level, counter_id, comment in newest
    ]
    return {
        "ratings": len(levels),
        # Each level exactly as chosen; the office's scale says which ones it asks.
        "levels": rating_scale(o),
        **{lvl.value: n for lvl, n in level_counts(levels).items()},
        "rate": None if not levels else round(satisfaction_rate(levels) or 0.0, 1),
        # Decision 766: (dossiers − dossiers rated Không hài lòng) ÷ dossiers.
        "dossier_rate": None if not received else round((received - unhappy) * 100 / received, 1),
        "comments": comments,
    }
