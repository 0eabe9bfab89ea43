"""The leader's whole report for a period (DOMAIN §5, §6, §12 "Metrics", §14): counted by the
database and run off the event loop (a year's report must not stall the kiosk and the board)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from core.figures import GRAINS, trend_grain
from lobby.context import office, office_tz
from lobby.extensions import db
from lobby.models import Counter, CounterTakeover, Field, Procedure, StaffUser
from lobby.offloop import run_off_loop_in_app
from lobby.stats import indicators, queue
from lobby.stats.period import bounds


def office_stats(
    start: date,
    end: date,
    *,
    grain: str | None = None,
    comment_filter: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The office's figures for the days start..end (both inclusive): dossiers received and
    resolved, the Decision 766 indicators, satisfaction, tickets in total and by field,
    counter, officer and procedure, the heat map and the trend (by `grain`: day, week or
    month; by default the one that suits the period's length)."""
    return run_off_loop_in_app(
        _office_stats, start, end, grain, comment_filter, one_at_a_time="report"
    )


def _office_stats(
    start: date, end: date, grain: str | None, comment_filter: dict[str, Any] | None
) -> dict[str, Any]:
    o = office()
    lo, hi = bounds(o, start, end)
    received = indicators.received_count(o, lo, hi)
    fields = {f.id: f for f in db.session.scalars(select(Field).where(Field.office_id == o.id))}
    counters = {
        c.id: c for c in db.session.scalars(select(Counter).where(Counter.office_id == o.id))
    }
    total, per_field, per_counter, spread = queue.queue_figures(o, start, end)
    by_field = [
        {
            "service": fields[k].code,
            "name": fields[k].name_vi,
            **queue.acc_figures(a),
            **queue.spread_of(spread.groups.get(("field", k))),
        }
        for k, a in per_field.items()
    ]
    by_counter = [
        {
            "counter": counters[k].number,
            "name": counters[k].name,
            **queue.acc_figures(a),
            "handled": a.issued,
            **queue.spread_of(spread.groups.get(("counter", k))),
        }
        for k, a in per_counter.items()
    ]
    staff_ids = [k for d, k in spread.groups if d == "staff"]
    names = {
        u.id: u.full_name or u.username
        for u in db.session.scalars(select(StaffUser).where(StaffUser.id.in_(staff_ids)))
    }
    procs = {
        p.id: p for p in db.session.scalars(select(Procedure).where(Procedure.office_id == o.id))
    }
    grain = grain if grain in GRAINS else trend_grain(start, end)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "dossiers": indicators.dossier_figures(o, lo, hi, received),
        "indicators_766": indicators.indicators_766(o, lo, hi),
        "satisfaction": indicators.satisfaction(o, lo, hi, received, counters, comment_filter),
        "tickets": {
            **queue.acc_figures(total),
            **queue.spread_of(spread.groups.get(("all", 0))),
        },
        "by_service": sorted(by_field, key=lambda r: r["service"]),
        "by_counter": sorted(by_counter, key=lambda r: r["counter"]),
        # Leaders only see the report: the officers by name.
        "by_officer": sorted(
            queue.spread_rows(spread, "staff", lambda k: {"name": names.get(k, "—")}),
            key=lambda r: r["name"],
        ),
        "by_procedure": sorted(
            queue.spread_rows(
                spread,
                "proc",
                lambda k: {
                    "procedure": procs[k].code if k in procs else str(k),
                    "name": procs[k].name_vi if k in procs else "",
                },
            ),
            key=lambda r: r["procedure"],
        ),
        "heat_map": queue.heat_map(spread),
        "trend": {"grain": grain, "rows": queue.trend(o, start, end, grain)},
    }


def counter_takeovers(start: date, end: date, limit: int = 200) -> list[dict[str, Any]]:
    """Counters taken with force from the officer who held them, newest first: when, which
    counter, who took it and from whom (for the leader's report)."""
    o = office()
    tz = office_tz(o)
    lo, hi = bounds(o, start, end)
    rows = db.session.scalars(
        select(CounterTakeover)
        .where(CounterTakeover.office_id == o.id, CounterTakeover.at >= lo, CounterTakeover.at < hi)
        .order_by(CounterTakeover.at.desc(), CounterTakeover.id.desc())
        .limit(limit)
    ).all()
    ids = {i for r in rows for i in (r.by_user_id, r.from_user_id) if i is not None}
    names = {
        u.id: u.full_name or u.username
        for u in db.session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))
    }
    return [
        {
            "at": r.at.astimezone(tz),
            "counter": r.counter_number,
            "by": names.get(r.by_user_id or 0, "—"),
            "from": names.get(r.from_user_id or 0, "—"),
        }
        for r in rows
    ]
