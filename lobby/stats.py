"""The office's own figures (DOMAIN §5, §6, §12 "Metrics"): on-time rate, satisfaction, waits."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, cast, delete, extract, func, insert, select
from sqlalchemy.exc import IntegrityError

from core.clock import day_bounds
from core.deadlines import Timeliness, on_time_rate
from core.dossiers import RATING_LABELS_VI, RatingLevel, level_counts, satisfaction_rate
from core.errors import InvalidRequest
from core.spreadsheet import SafeWriter, safe_cell
from core.tickets import TicketStatus
from lobby.context import ctx, office, office_tz
from lobby.dossiers.ratings import rating_scale
from lobby.extensions import db
from lobby.models import (
    Counter,
    CounterTakeover,
    Dossier,
    Field,
    Office,
    Rating,
    StaffUser,
    Ticket,
    TicketDayFigures,
)
from lobby.offloop import run_off_loop, run_off_loop_in_app
from lobby.tx import transaction

MAX_DAYS = 3660
MAX_COMMENTS = 200  # the newest comments of the period, for the leader to read


def parse_range(raw_from: str | None, raw_to: str | None) -> tuple[date, date]:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD, both inclusive; default: this month so far."""
    o = office()
    today = ctx().clock.now().astimezone(office_tz(o)).date()
    try:
        start = date.fromisoformat(raw_from) if raw_from else today.replace(day=1)
        end = date.fromisoformat(raw_to) if raw_to else today
    except ValueError:
        raise InvalidRequest("Ngày phải có dạng YYYY-MM-DD (from, to).") from None
    if end < start:
        raise InvalidRequest("Ngày kết thúc (to) phải sau ngày bắt đầu (from).")
    if (end - start).days > MAX_DAYS:
        raise InvalidRequest("Khoảng thời gian tối đa là 10 năm.")
    return start, end


def _mean_us(total_us: int, n: int) -> float | None:
    """The mean in seconds, one decimal, of n durations summing to total_us microseconds (the
    database sums exact integers; the division is Python's, as the figures always were)."""
    return round(total_us / 1_000_000 / n, 1) if n else None


def _micros(later: Any, earlier: Any) -> Any:
    """SQL: the exact whole microseconds from `earlier` to `later` (two UTCDateTime columns).
    SQLite keeps them as 'YYYY-MM-DD HH:MM:SS.ffffff' text: whole seconds by strftime, the
    microseconds from the text (julianday's double would lose some); PostgreSQL's
    extract(epoch) of an interval is an exact numeric."""
    if db.session.get_bind().dialect.name == "sqlite":

        def whole(col: Any) -> Any:
            return cast(func.strftime("%s", func.substr(col, 1, 19)), Integer)

        def frac(col: Any) -> Any:
            return cast(func.substr(col, 21, 6), Integer)

        return (whole(later) - whole(earlier)) * 1_000_000 + frac(later) - frac(earlier)
    return extract("epoch", later - earlier) * 1_000_000


def office_stats(start: date, end: date) -> dict[str, Any]:
    """The office's figures for the days start..end (both inclusive): dossiers received and
    resolved, satisfaction, tickets, per service and per counter. Counted by the database and
    run off the event loop (a year's report must not stall the kiosk and the board)."""
    return run_off_loop_in_app(_office_stats, start, end, one_at_a_time="report")


def _office_stats(start: date, end: date) -> dict[str, Any]:
    o = office()
    tz = office_tz(o)
    lo, _ = day_bounds(start, tz)
    _, hi = day_bounds(end, tz)
    received = int(
        db.session.scalar(
            select(func.count()).where(
                Dossier.office_id == o.id, Dossier.received_at >= lo, Dossier.received_at < hi
            )
        )
        or 0
    )
    fields = {f.id: f for f in db.session.scalars(select(Field).where(Field.office_id == o.id))}
    counters = {
        c.id: c for c in db.session.scalars(select(Counter).where(Counter.office_id == o.id))
    }
    total, per_field, per_counter = _ticket_groups(o, start, end)
    by_field = _rows(per_field, lambda k: {"service": fields[k].code, "name": fields[k].name_vi})
    by_counter = _rows(
        per_counter, lambda k: {"counter": counters[k].number, "name": counters[k].name}
    )
    for r in by_counter:
        r["handled"] = r["issued"]
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "dossiers": _dossier_figures(o, lo, hi, received),
        "satisfaction": _satisfaction(o, lo, hi, received, counters),
        "tickets": _ticket_figures(total),
        "by_service": sorted(by_field, key=lambda r: r["service"]),
        "by_counter": sorted(by_counter, key=lambda r: r["counter"]),
    }


def _dossier_figures(o: Office, lo: datetime, hi: datetime, received: int) -> dict[str, Any]:
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
    rate = on_time_rate(timeliness)
    return {
        "received": received,
        "resolved": sum(timeliness.values()),
        "early": timeliness[Timeliness.EARLY],
        "on_time": timeliness[Timeliness.ON_TIME],
        "late": timeliness[Timeliness.LATE],
        "on_time_rate": None if rate is None else round(rate, 1),
    }


UNHAPPY = (RatingLevel.NOT_SATISFIED.value, RatingLevel.VERY_DISSATISFIED.value)


def _satisfaction(
    o: Office, lo: datetime, hi: datetime, received: int, counters: dict[int, Counter]
) -> dict[str, Any]:
    """The ratings of the period: each level's count, the rates, the newest comments."""
    tz = office_tz(o)
    in_period = (Rating.office_id == o.id, Rating.created_at >= lo, Rating.created_at < hi)
    counted = db.session.execute(
        select(Rating.level, func.count()).where(*in_period).group_by(Rating.level)
    ).all()
    levels = [RatingLevel(level) for level, n in counted for _ in range(int(n))]
    # Decision 766: the dossiers received in the period that a rating of the period calls
    # Không hài lòng (or worse). Two plain lookups rather than a join, whose plan a database
    # with fresh statistics-less rows can get badly wrong: the unhappy ratings are few.
    rated = sorted(
        db.session.scalars(
            select(Rating.dossier_id)
            .where(*in_period, Rating.level.in_(UNHAPPY), Rating.dossier_id.is_not(None))
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
    newest = db.session.execute(
        select(Rating.created_at, Rating.level, Rating.counter_id, Rating.comment)
        .where(*in_period, Rating.comment.is_not(None), Rating.comment != "")
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


class _Acc:
    """Tickets counted, and their waits and service times summed in microseconds."""

    __slots__ = ("called", "issued", "no_show", "served", "service_n", "service_us", "wait_us")

    def __init__(self) -> None:
        self.issued = self.served = self.no_show = self.called = self.service_n = 0
        self.wait_us = self.service_us = 0

    def add(self, status: str, n: int, called: int, wait: int, served_n: int, served: int) -> None:
        self.issued += n
        if status == TicketStatus.DONE:
            self.served += n
        if status == TicketStatus.NO_SHOW:
            self.no_show += n
        self.called += called
        self.wait_us += wait
        self.service_n += served_n
        self.service_us += served


def _ticket_groups(
    o: Office, start: date, end: date
) -> tuple[_Acc, dict[int, _Acc], dict[int, _Acc]]:
    """The period's tickets counted and timed: in total, per field (tickets issued for it) and
    per counter (tickets handled there; tickets without one are left out). Closed days come
    from their kept figures (ticket_day_figures, brought up to date first), today and later
    from the tickets themselves."""
    today = ctx().clock.now().astimezone(office_tz(o)).date()
    total = _Acc()
    per_field: dict[int, _Acc] = defaultdict(_Acc)
    per_counter: dict[int, _Acc] = defaultdict(_Acc)
    rows: list[Any] = []
    closed_end = min(end, today - timedelta(days=1))
    if start <= closed_end:
        keep_day_figures(o, start, closed_end)
        f = TicketDayFigures
        rows += db.session.execute(
            select(
                f.issue_field_id,
                f.counter_id,
                f.status,
                func.sum(f.tickets),
                func.sum(f.called),
                func.sum(f.wait_us),
                func.sum(f.served),
                func.sum(f.service_us),
            )
            .where(f.office_id == o.id, f.service_day >= start, f.service_day <= closed_end)
            .group_by(f.issue_field_id, f.counter_id, f.status)
        ).all()
    if end >= today:
        rows += db.session.execute(_counted(o, max(start, today), end)).all()
    for field_id, counter_id, status, n, called, wait, served_n, service in rows:
        figures = (status, int(n), int(called), int(wait or 0), int(served_n), int(service or 0))
        total.add(*figures)
        per_field[field_id].add(*figures)
        if counter_id:  # 0 in the kept figures, NULL in the tickets: no counter
            per_counter[counter_id].add(*figures)
    return total, per_field, per_counter


def _counted(o: Office, first: date, last: date, *, by_day: bool = False) -> Any:
    """SELECT [service_day,] field, counter, status, tickets, called, Σ wait µs, served,
    Σ service µs FROM the tickets of first..last GROUP BY the same."""
    t = Ticket
    served = and_(
        t.status == TicketStatus.DONE.value,
        t.serving_started_at.is_not(None),
        t.finished_at.is_not(None),
    )
    keys = [t.issue_field_id, t.counter_id, t.status]
    if by_day:
        keys.insert(0, t.service_day)
    return (
        select(
            *keys,
            func.count(),
            func.count(t.called_at),
            func.sum(case((t.called_at.is_not(None), _micros(t.called_at, t.issued_at)))),
            func.count(case((served, 1))),
            func.sum(case((served, _micros(t.finished_at, t.serving_started_at)))),
        )
        .where(t.office_id == o.id, t.service_day >= first, t.service_day <= last)
        .group_by(*keys)
    )


def _stale_days(o: Office, first: date, last: date) -> list[date]:
    """The days of first..last whose kept figures no longer match their tickets, by how many
    tickets each day has in each status (an index-only count). A closed day's tickets change
    only by status (the night's expiry) or by going (retention): both show here."""
    t, f = Ticket, TicketDayFigures
    live = db.session.execute(
        select(t.service_day, t.status, func.count())
        .where(t.office_id == o.id, t.service_day >= first, t.service_day <= last)
        .group_by(t.service_day, t.status)
    ).all()
    kept = db.session.execute(
        select(f.service_day, f.status, func.sum(f.tickets))
        .where(f.office_id == o.id, f.service_day >= first, f.service_day <= last)
        .group_by(f.service_day, f.status)
    ).all()
    differ = {(d, st, int(n)) for d, st, n in live} ^ {(d, st, int(n)) for d, st, n in kept}
    return sorted({d for d, _st, _n in differ})


def keep_day_figures(o: Office, first: date, last: date) -> int:
    """Bring the kept figures of the closed days first..last up to date; return how many days
    were counted anew. The counting reads only; the write lock is held just to swap the rows
    (on SQLite a writer waiting for it would stall the lobby). Two reports at once: the second
    finds the days done, or (PostgreSQL) meets the first's rows and leaves them."""
    stale = _stale_days(o, first, last)
    if not stale:
        return 0
    rows: dict[date, list[dict[str, Any]]] = {d: [] for d in stale}
    for i in range(0, len(stale), 62):
        days = stale[i : i + 62]
        for (
            day,
            field_id,
            counter_id,
            status,
            n,
            called,
            wait,
            served_n,
            service,
        ) in db.session.execute(_counted(o, days[0], days[-1], by_day=True)).all():
            if day in rows:
                rows[day].append(
                    {
                        "office_id": o.id,
                        "service_day": day,
                        "issue_field_id": field_id,
                        "counter_id": counter_id or 0,
                        "status": status,
                        "tickets": int(n),
                        "called": int(called),
                        "wait_us": int(wait or 0),
                        "served": int(served_n),
                        "service_us": int(service or 0),
                    }
                )
    f = TicketDayFigures
    try:
        with transaction():
            # Still stale, now that we hold the lock? (A day that changed meanwhile is counted
            # again by the next report: its counts will not match.)
            days = sorted(set(_stale_days(o, first, last)) & set(rows))
            for i in range(0, len(days), 500):
                chunk = days[i : i + 500]
                db.session.execute(delete(f).where(f.office_id == o.id, f.service_day.in_(chunk)))
            new = [r for d in days for r in rows[d]]
            if new:
                db.session.execute(insert(f), new)
    except IntegrityError:  # another report kept the same days first
        db.session.rollback()
        return 0
    return len(days)


def _ticket_figures(a: _Acc) -> dict[str, Any]:
    return {
        "issued": a.issued,
        "served": a.served,
        "no_show": a.no_show,
        "called": a.called,  # the tickets avg_wait_seconds is taken over
        "avg_wait_seconds": _mean_us(a.wait_us, a.called),
        "avg_service_seconds": _mean_us(a.service_us, a.service_n),
    }


def _rows(acc: dict[int, _Acc], label: Any) -> list[dict[str, Any]]:
    # Per field: tickets issued for it; per counter: tickets handled there (also as "handled").
    # "called": the tickets the average wait is taken over.
    return [
        {
            **label(k),
            "issued": a.issued,
            "called": a.called,
            "served": a.served,
            "no_show": a.no_show,
            "avg_wait_seconds": _mean_us(a.wait_us, a.called),
            "avg_service_seconds": _mean_us(a.service_us, a.service_n),
        }
        for k, a in acc.items()
    ]


def counter_takeovers(start: date, end: date, limit: int = 200) -> list[dict[str, Any]]:
    """Counters taken with force from the officer who held them, newest first: when, which
    counter, who took it and from whom (for the leader's report)."""
    o = office()
    tz = office_tz(o)
    lo, _ = day_bounds(start, tz)
    _, hi = day_bounds(end, tz)
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


SUMMARY_ROWS = [
    ("Hồ sơ tiếp nhận", ("dossiers", "received")),
    ("Hồ sơ đã giải quyết", ("dossiers", "resolved")),
    ("Trước hạn", ("dossiers", "early")),
    ("Đúng hạn", ("dossiers", "on_time")),
    ("Quá hạn", ("dossiers", "late")),
    ("Tỷ lệ đúng hạn (%)", ("dossiers", "on_time_rate")),
    ("Lượt đánh giá", ("satisfaction", "ratings")),
    ("Rất hài lòng", ("satisfaction", "rat_hai_long")),
    ("Hài lòng", ("satisfaction", "hai_long")),
    ("Bình thường", ("satisfaction", "binh_thuong")),
    ("Không hài lòng", ("satisfaction", "khong_hai_long")),
    ("Rất không hài lòng", ("satisfaction", "rat_khong_hai_long")),
    ("Tỷ lệ hài lòng (%)", ("satisfaction", "rate")),
    ("Tỷ lệ hồ sơ hài lòng (%)", ("satisfaction", "dossier_rate")),
    ("Phiếu đã cấp", ("tickets", "issued")),
    ("Phiếu đã gọi", ("tickets", "called")),
    ("Đã phục vụ", ("tickets", "served")),
    ("Vắng mặt", ("tickets", "no_show")),
    ("Thời gian chờ trung bình (phút)", ("tickets", "avg_wait_seconds")),
    ("Thời gian phục vụ trung bình (phút)", ("tickets", "avg_service_seconds")),
]
# Durations in minutes (the API's *_seconds keys are converted by _cell), as on the screen.
_TIMES = ["Chờ TB (phút)", "Phục vụ TB (phút)"]
SERVICE_HEADERS = ["Phiếu đã cấp", "Đã gọi", "Đã phục vụ", "Vắng mặt", *_TIMES]
# Per counter: the tickets handled there (a field's tickets are issued, not a counter's).
COUNTER_HEADERS = ["Phiếu đã xử lý", "Đã gọi", "Đã phục vụ", "Vắng mặt", *_TIMES]
GROUP_KEYS = ["issued", "called", "served", "no_show", "avg_wait_seconds", "avg_service_seconds"]


def period_text(stats: dict[str, Any]) -> str:
    """The report's period as the screen says it: dd/mm/yyyy – dd/mm/yyyy."""
    start, end = (date.fromisoformat(stats[k]) for k in ("from", "to"))
    return f"{start:%d/%m/%Y} – {end:%d/%m/%Y}"


COMMENT_HEADERS = ["Thời gian", "Quầy", "Mức độ", "Góp ý"]


def comment_rows(stats: dict[str, Any]) -> list[list[Any]]:
    """The citizens' comments of the period, newest first, dated the Vietnamese way."""
    return [
        [
            datetime.fromisoformat(c["at"]).strftime("%H:%M %d/%m/%Y"),
            c["counter"],
            RATING_LABELS_VI[RatingLevel(c["level"])],
            c["comment"],
        ]
        for c in stats["satisfaction"]["comments"]
    ]


def _cell(key: str, value: Any) -> Any:
    """A figure in the units the report page shows: durations in minutes, one decimal."""
    if key.endswith("_seconds") and value is not None:
        return round(value / 60, 1)
    return value


def export_csv(stats: dict[str, Any]) -> str:
    """The report as CSV (UTF-8 with a BOM), written off the event loop."""
    return run_off_loop(_export_csv, stats)


def _export_csv(stats: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = SafeWriter(buf)
    w.writerow(["Báo cáo", period_text(stats)])
    for label, (a, b) in SUMMARY_ROWS:
        w.writerow([label, _cell(b, stats[a][b])])
    w.writerow([])
    w.writerow(["Lĩnh vực", "Tên", *SERVICE_HEADERS])
    for r in stats["by_service"]:
        w.writerow([r["service"], r["name"], *(_cell(k, r[k]) for k in GROUP_KEYS)])
    w.writerow([])
    w.writerow(["Quầy", "Tên", *COUNTER_HEADERS])
    for r in stats["by_counter"]:
        w.writerow([r["counter"], r["name"], *(_cell(k, r[k]) for k in GROUP_KEYS)])
    w.writerow([])
    w.writerow(COMMENT_HEADERS)
    for row in comment_rows(stats):
        w.writerow(row)
    return "\ufeff" + buf.getvalue()  # BOM: Excel opens UTF-8 Vietnamese correctly


def export_xlsx(stats: dict[str, Any]) -> bytes:
    """The report as an Excel workbook, written off the event loop (openpyxl is pure Python:
    between GIL switches the loop keeps serving)."""
    return run_off_loop(_export_xlsx, stats)


def _export_xlsx(stats: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws.append(["Báo cáo", period_text(stats)])
    ws["A1"].font = Font(bold=True)
    for label, (a, b) in SUMMARY_ROWS:
        ws.append([label, _cell(b, stats[a][b])])
    ws.column_dimensions["A"].width = 38
    for title, key, first, headers in (
        ("Theo lĩnh vực", "by_service", "service", SERVICE_HEADERS),
        ("Theo quầy", "by_counter", "counter", COUNTER_HEADERS),
    ):
        sheet = wb.create_sheet(title)
        sheet.append(["Mã" if first == "service" else "Quầy", "Tên", *headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for r in stats[key]:
            sheet.append(
                [safe_cell(v) for v in (r[first], r["name"], *(_cell(k, r[k]) for k in GROUP_KEYS))]
            )
        sheet.column_dimensions["B"].width = 36
    notes = wb.create_sheet("Góp ý")
    notes.append(COMMENT_HEADERS)
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for row in comment_rows(stats):
        notes.append([safe_cell(v) for v in row])  # citizens' own words: never a formula
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["C"].width = 20
    notes.column_dimensions["D"].width = 80
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
