"""The dossiers' figures: the office's own (received, resolved by timeliness, DOMAIN §5), the
ratings (§6), and the Decision 766/QĐ-TTg indicators beside them (§14: 2.1 on time, 2.2 average
handling time per procedure, 3.3 online share, 4.2 digitisation, 5.4 satisfaction), each with
its full-points threshold (core.figures.THRESHOLDS)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, not_, or_, select

from core.deadlines import Timeliness, on_time_rate
from core.dossiers import DossierAction, DossierStatus, RatingLevel, level_counts, satisfaction_rate
from core.figures import THRESHOLDS, rate, satisfaction_766, supplement_pauses
from lobby.context import ctx, office_tz
from lobby.dossiers.ratings import rating_scale
from lobby.extensions import db
from lobby.feedback import views as feedback_views
from lobby.models import Counter, Dossier, DossierEvent, Office, Procedure, Rating, UTCDateTime
from lobby.stats.period import micros

MAX_COMMENTS = 200  # the newest comments of the period, for the leader to read
UNHAPPY = (RatingLevel.NOT_SATISFIED.value, RatingLevel.VERY_DISSATISFIED.value)
ONLINE = "truc_tuyen"
FINISHING = (int(DossierStatus.REFUSED), int(DossierStatus.STOPPED))
NOT_RECEIVED = (int(DossierStatus.SUBMITTED_ONLINE), int(DossierStatus.WITHDRAWN))


def complaint_dossier_ids(o: Office, lo: datetime, hi: datetime) -> set[int]:
    """The input for complaints (Decision 766, 5.4): the ids of the dossiers with a complaint
    about their handling or lateness: rated Không hài lòng or worse, or the subject of a
    citizen's feedback (phản ánh, kiến nghị, lobby/feedback/) not closed as out of scope."""
    return feedback_views.complaint_dossier_ids(o.id, hi) | set(
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


def _finished(d: Any) -> Any:
    """SQL: when a dossier was done (Decision 766): result ready, else returned, else stopped
    or refused (its last such event); NULL while in progress."""
    e = DossierEvent
    stopped = (
        select(func.max(e.at))
        .where(e.dossier_id == d.id, e.to_status.in_(FINISHING))
        .correlate(d)
        .scalar_subquery()
    )
    return func.coalesce(
        d.result_ready_at,
        d.returned_at,
        case((d.status_code.in_(FINISHING), stopped)),
        type_=UTCDateTime(),
    )


def indicators_766(o: Office, lo: datetime, hi: datetime) -> dict[str, Any]:
    """Decision 766's indicators of the period [lo, hi), counted as the national method does
    (the rules of core.figures: in_period, on_time_766, handling_days — here as SQL so that a year's 50,000 dossiers stay in the
    database): one GROUP BY per procedure, channel and digitised flag, then the citizen's
    supplement times of the few dossiers that had one."""
    d, e = Dossier, DossierEvent
    asof = min(hi, ctx().clock.now())
    finished = _finished(d)
    twice = (
        select(e.dossier_id)
        .where(e.action == DossierAction.REQUEST_SUPPLEMENT.value)
        .group_by(e.dossier_id)
        .having(func.count() > 1)
    )
    late_by_rule = d.id.in_(twice)
    done = and_(finished.is_not(None), finished < hi)
    waiting = and_(
        d.status_code == int(DossierStatus.SUPPLEMENT_REQUESTED),
        d.supplement_requested_at.is_not(None),
    )
    in_time = case(
        (waiting, d.supplement_requested_at <= d.original_due_at), else_=d.original_due_at >= asof
    )
    base = (
        d.office_id == o.id,
        d.received_at < hi,
        d.status_code.not_in(NOT_RECEIVED),
        or_(finished.is_(None), finished >= lo),
    )
    done_here = and_(finished >= lo, finished < hi)

    def n(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    rows = db.session.execute(
        select(
            d.procedure_id,
            d.channel,
            d.digitised,
            func.count(),
            n(and_(done, finished <= d.original_due_at, not_(late_by_rule))),
            n(and_(not_(done), in_time, not_(late_by_rule))),
            n(d.received_at >= lo),
            n(done_here),
            func.sum(case((done_here, micros(finished, d.received_at)), else_=0)),
        )
        .where(*base)
        .group_by(d.procedure_id, d.channel, d.digitised)
    ).all()
    total = on_time_done = on_time_open = received = digitised = 0
    channels: dict[str, int] = defaultdict(int)
    handled: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # finished, Σ µs
    for proc_id, channel, scanned, count, ok_done, ok_open, new, fin, fin_us in rows:
        total += int(count)
        on_time_done += int(ok_done or 0)
        on_time_open += int(ok_open or 0)
        received += int(new or 0)
        channels[channel] += int(new or 0)
        digitised += int(new or 0) if scanned or channel == ONLINE else 0
        if fin:
            handled[proc_id][0] += int(fin)
            handled[proc_id][1] += int(fin_us or 0)
    for proc_id, paused_us in _supplement_pauses(o, hi, finished, done_here).items():
        handled[proc_id][1] -= paused_us
    channels = {k: v for k, v in channels.items() if v}
    on_time = on_time_done + on_time_open
    late_rate = rate(total - on_time, total)
    complained = sorted(complaint_dossier_ids(o, lo, hi))
    unhappy = 0
    for i in range(0, len(complained), 1000):  # the few complained of, looked up by id
        chunk = complained[i : i + 1000]
        unhappy += int(db.session.scalar(select(func.count()).where(d.id.in_(chunk), *base)) or 0)
    unhappy_rate = rate(unhappy, total)
    procs = {
        p.id: p for p in db.session.scalars(select(Procedure).where(Procedure.office_id == o.id))
    }
    return {
        "dossiers": total,
        "on_time": {
            "finished": on_time_done,
            "in_progress": on_time_open,
            "late": total - on_time,
            "rate": rate(on_time, total),
            "full_points": THRESHOLDS["2.1"].value,
            "confirmed": THRESHOLDS["2.1"].confirmed,
        },
        "handling": sorted(
            (
                {
                    "procedure": procs[p].code if p in procs else str(p),
                    "name": procs[p].name_vi if p in procs else "",
                    "finished": fin,
                    "avg_days": round(max(0, us) / 1_000_000 / 86400 / fin, 1),
                    "deadline_value": procs[p].deadline_value if p in procs else None,
                    "deadline_unit": procs[p].deadline_unit if p in procs else None,
                }
                for p, (fin, us) in handled.items()
                if fin
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


def _supplement_pauses(o: Office, hi: datetime, finished: Any, done_here: Any) -> dict[int, int]:
    """Per procedure, the citizen's supplement time (µs) of the dossiers finished in the
    period: each request to its receipt, or to the finish if none came (core.figures)."""
    d, e = Dossier, DossierEvent
    per_dossier: dict[int, list[Any]] = defaultdict(list)
    ends: dict[int, tuple[int, datetime]] = {}
    # Two plain lookups (their plans cannot go wrong on a database without statistics): the
    # supplement events, from the index on action; then which of their dossiers were finished
    # in the period, by id.
    actions = (DossierAction.REQUEST_SUPPLEMENT.value, DossierAction.SUPPLEMENT_RECEIVED.value)
    events: dict[int, list[Any]] = defaultdict(list)
    for did, action, at in db.session.execute(
        select(e.dossier_id, e.action, e.at)
        .where(e.action.in_(actions))
        .order_by(e.dossier_id, e.at, e.id)
    ).all():
        events[did].append((action, at))
    asked = sorted(events)
    for i in range(0, len(asked), 500):
        for did, proc_id, end in db.session.execute(
            select(d.id, d.procedure_id, finished).where(
                d.id.in_(asked[i : i + 500]), d.office_id == o.id, d.received_at < hi, done_here
            )
        ).all():
            per_dossier[did] = events[did]
            ends[did] = (proc_id, end)
    out: dict[int, int] = defaultdict(int)
    for did, evs in per_dossier.items():
        proc_id, end = ends[did]
        paused = supplement_pauses(evs, end)
        seconds = sum((b - a).total_seconds() for a, b in paused if b > a)
        out[proc_id] += round(seconds * 1_000_000)
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
