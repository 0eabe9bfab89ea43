"""The office's own figures (DOMAIN §5, §6, §12 "Metrics"): on-time rate, satisfaction, waits."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from core.clock import day_bounds
from core.deadlines import Timeliness, on_time_rate
from core.dossiers import RATING_LABELS_VI, RatingLevel, level_counts, satisfaction_rate
from core.errors import InvalidRequest
from core.spreadsheet import SafeWriter, safe_cell
from core.tickets import TicketStatus
from lobby.context import ctx, office, office_tz
from lobby.dossiers.ratings import rating_scale
from lobby.extensions import db
from lobby.models import Counter, CounterTakeover, Dossier, Field, Office, Rating, StaffUser, Ticket

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


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def office_stats(start: date, end: date) -> dict[str, Any]:
    """The office's figures for the days start..end (both inclusive): dossiers received and
    resolved, satisfaction, tickets, per service and per counter."""
    o = office()
    tz = office_tz(o)
    lo, _ = day_bounds(start, tz)
    _, hi = day_bounds(end, tz)
    received = db.session.scalars(
        select(Dossier).where(
            Dossier.office_id == o.id, Dossier.received_at >= lo, Dossier.received_at < hi
        )
    ).all()
    dossiers = _dossier_figures(o, lo, hi, len(received))
    ratings = db.session.scalars(
        select(Rating).where(
            Rating.office_id == o.id, Rating.created_at >= lo, Rating.created_at < hi
        )
    ).all()
    tickets = db.session.scalars(
        select(Ticket).where(
            Ticket.office_id == o.id, Ticket.service_day >= start, Ticket.service_day <= end
        )
    ).all()
    fields = {f.id: f for f in db.session.scalars(select(Field).where(Field.office_id == o.id))}
    counters = {
        c.id: c for c in db.session.scalars(select(Counter).where(Counter.office_id == o.id))
    }
    by_field = _rows(
        _group(tickets, lambda t: t.issue_field_id),
        lambda k: {"service": fields[k].code, "name": fields[k].name_vi},
    )
    by_counter = _rows(
        _group(tickets, lambda t: t.counter_id),
        lambda k: {"counter": counters[k].number, "name": counters[k].name},
    )
    for r in by_counter:
        r["handled"] = r["issued"]
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "dossiers": dossiers,
        "satisfaction": _satisfaction(o, list(ratings), list(received), counters),
        "tickets": _ticket_figures(list(tickets)),
        "by_service": sorted(by_field, key=lambda r: r["service"]),
        "by_counter": sorted(by_counter, key=lambda r: r["counter"]),
    }


def _dossier_figures(o: Office, lo: datetime, hi: datetime, received: int) -> dict[str, Any]:
    """Dossiers received in the period, and those resolved in it by timeliness (DOMAIN §5)."""
    resolved = db.session.scalars(
        select(Dossier).where(
            Dossier.office_id == o.id,
            Dossier.result_ready_at >= lo,
            Dossier.result_ready_at < hi,
            Dossier.timeliness.is_not(None),
        )
    ).all()
    timeliness = {t: 0 for t in Timeliness}
    for d in resolved:
        timeliness[Timeliness(d.timeliness)] += 1
    rate = on_time_rate(timeliness)
    return {
        "received": received,
        "resolved": len(resolved),
        "early": timeliness[Timeliness.EARLY],
        "on_time": timeliness[Timeliness.ON_TIME],
        "late": timeliness[Timeliness.LATE],
        "on_time_rate": None if rate is None else round(rate, 1),
    }


def _satisfaction(
    o: Office, ratings: list[Rating], received: list[Dossier], counters: dict[int, Counter]
) -> dict[str, Any]:
    """The ratings of the period: each level's count, the rates, the newest comments."""
    tz = office_tz(o)
    levels = [RatingLevel(r.level) for r in ratings]
    unhappy_dossiers = {
        r.dossier_id
        for r in ratings
        if r.dossier_id
        and RatingLevel(r.level) in (RatingLevel.NOT_SATISFIED, RatingLevel.VERY_DISSATISFIED)
    }
    comments = [
        {
            "at": r.created_at.astimezone(tz).isoformat(),
            "level": r.level,
            "counter": counters[r.counter_id].number if r.counter_id in counters else None,
            "comment": r.comment,
        }
        for r in sorted(ratings, key=lambda r: (r.created_at, r.id), reverse=True)
        if r.comment
    ][:MAX_COMMENTS]
    return {
        "ratings": len(levels),
        # Each level exactly as chosen; the office's scale says which ones it asks.
        "levels": rating_scale(o),
        **{lvl.value: n for lvl, n in level_counts(levels).items()},
        "rate": None if not levels else round(satisfaction_rate(levels) or 0.0, 1),
        # Decision 766: (dossiers − dossiers rated Không hài lòng) ÷ dossiers.
        "dossier_rate": None
        if not received
        else round(
            (len(received) - len(unhappy_dossiers & {d.id for d in received}))
            * 100
            / len(received),
            1,
        ),
        "comments": comments,
    }


def _ticket_figures(tickets: list[Ticket]) -> dict[str, Any]:
    all_waits = [(t.called_at - t.issued_at).total_seconds() for t in tickets if t.called_at]
    all_service = [
        (t.finished_at - t.serving_started_at).total_seconds()
        for t in tickets
        if t.serving_started_at and t.finished_at and t.status == TicketStatus.DONE
    ]
    return {
        "issued": len(tickets),
        "served": sum(1 for t in tickets if t.status == TicketStatus.DONE),
        "no_show": sum(1 for t in tickets if t.status == TicketStatus.NO_SHOW),
        "called": len(all_waits),  # the tickets avg_wait_seconds is taken over
        "avg_wait_seconds": _mean(all_waits),
        "avg_service_seconds": _mean(all_service),
    }


def _group(tickets: Sequence[Ticket], key: Any) -> dict[Any, dict[str, Any]]:
    """Tickets counted and timed per key (a field, a counter); tickets without one are left out."""
    acc: dict[Any, dict[str, list[float] | int]] = defaultdict(
        lambda: {"issued": 0, "served": 0, "no_show": 0, "wait": [], "service": []}
    )
    for t in tickets:
        k = key(t)
        if k is None:
            continue
        row = acc[k]
        row["issued"] += 1  # type: ignore[operator]
        if t.status == TicketStatus.DONE:
            row["served"] += 1  # type: ignore[operator]
        if t.status == TicketStatus.NO_SHOW:
            row["no_show"] += 1  # type: ignore[operator]
        if t.called_at:
            row["wait"].append((t.called_at - t.issued_at).total_seconds())  # type: ignore[union-attr]
        if t.serving_started_at and t.finished_at and t.status == TicketStatus.DONE:
            row["service"].append((t.finished_at - t.serving_started_at).total_seconds())  # type: ignore[union-attr]
    return acc  # type: ignore[return-value]


def _rows(acc: dict[Any, dict[str, Any]], label: Any) -> list[dict[str, Any]]:
    out = []
    for k, r in acc.items():
        out.append(
            {
                **label(k),
                # Per field: tickets issued for it; per counter: tickets handled there
                # (also as "handled"). "called": the tickets the average wait is taken over.
                "issued": r["issued"],
                "called": len(r["wait"]),
                "served": r["served"],
                "no_show": r["no_show"],
                "avg_wait_seconds": _mean(r["wait"]),
                "avg_service_seconds": _mean(r["service"]),
            }
        )
    return out


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
