"""The audit view's read model: the trail (who did what and when: calls, serving, transfers,
takeovers, pauses with their reasons and lengths, counters opened and closed, sign-ins, setting
changes), filtered by officer, counter, kind and days; and each officer's calls, serving time
and pause time per day, counted by the database."""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select

from core.clock import day_bounds
from core.errors import InvalidRequest
from core.tickets import OUTCOME_LABELS_VI, Action, Outcome
from lobby.audit.log import Kind
from lobby.audit.models import AuditEntry, OfficerDayFigures
from lobby.context import iso, office, office_tz
from lobby.extensions import db
from lobby.forms import gettext_noop, int64
from lobby.models import Counter, CounterTakeover, StaffUser, Ticket, TicketEvent
from lobby.offloop import run_off_loop_in_app
from lobby.stats.period import parse_range

# The kinds a leader filters by, with the facts each gathers: ticket history actions, or
# audit entries, or the takeovers table.
KINDS: dict[str, str] = {
    "call": gettext_noop("Gọi số"),
    "serve": gettext_noop("Phục vụ"),
    "transfer": gettext_noop("Chuyển số"),
    "takeover": gettext_noop("Nhận quầy thay"),
    "pause": gettext_noop("Tạm nghỉ"),
    "counter": gettext_noop("Mở, đóng quầy"),
    "sign_in": gettext_noop("Đăng nhập, đăng xuất"),
    "settings": gettext_noop("Thay đổi cài đặt"),
}
_TICKET_ACTIONS = {
    "call": ("call", "call_specific", Action.RECALL.value),
    "serve": (
        Action.START.value,
        Action.FINISH.value,
        Action.NO_SHOW.value,
        Action.REQUEUE.value,
        Action.CANCEL.value,
    ),
    "transfer": (Action.TRANSFER.value,),
}
_ENTRY_KINDS = {
    "pause": (Kind.PAUSE.value,),
    "counter": (Kind.OPEN.value, Kind.CLOSE.value),
    "sign_in": (Kind.SIGN_IN.value, Kind.SIGN_OUT.value),
    "settings": (Kind.SETTINGS.value,),
}
ACTION_LABELS: dict[str, str] = {
    "call": gettext_noop("Gọi số tiếp theo"),
    "call_specific": gettext_noop("Gọi số chỉ định"),
    "recall": gettext_noop("Gọi lại"),
    "start": gettext_noop("Bắt đầu phục vụ"),
    "finish": gettext_noop("Hoàn thành"),
    "no_show": gettext_noop("Vắng mặt"),
    "requeue": gettext_noop("Cho vào hàng lại"),
    "cancel": gettext_noop("Hủy số"),
    "transfer": gettext_noop("Chuyển số"),
    "takeover": gettext_noop("Nhận quầy thay"),
    "pause": gettext_noop("Tạm nghỉ"),
    "open": gettext_noop("Mở quầy"),
    "close": gettext_noop("Đóng quầy"),
    "sign_in": gettext_noop("Đăng nhập"),
    "sign_out": gettext_noop("Đăng xuất"),
    "settings": gettext_noop("Thay đổi cài đặt"),
}
PAGE_ROWS = 300  # the newest facts shown on the page; the files hold up to EXPORT_ROWS
EXPORT_ROWS = 100_000


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    staff_id: int | None = None
    counter: int | None = None  # the counter's number
    kind: str | None = None


def parse_filters(args: Any) -> Filters:
    """?from&to (days, default this month), officer (an account id), counter (its number), kind."""
    start, end = parse_range(args.get("from"), args.get("to"))
    kind = args.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise InvalidRequest("Loại thao tác không hợp lệ.", field="kind", allowed=list(KINDS))
    return Filters(start, end, _number(args, "officer"), _number(args, "counter"), kind)


def _number(args: Any, name: str) -> int | None:
    raw = args.get(name) or None
    if raw is None:
        return None
    try:
        return int64(raw)
    except ValueError:
        raise InvalidRequest("Bộ lọc phải là số.", field=name) from None


def audit_page(f: Filters) -> dict[str, Any]:
    """Everything the page shows, counted off the event loop (a year must not stall the lobby)."""
    return run_off_loop_in_app(_audit_page, f, one_at_a_time="report")


def _audit_page(f: Filters) -> dict[str, Any]:
    rows, more = trail(f, PAGE_ROWS)
    return {
        "filters": f,
        "rows": rows,
        "more": more,
        "days": officer_days(f),
        "officers": [
            {"id": u.id, "name": u.full_name or u.username, "username": u.username}
            for u in db.session.scalars(
                select(StaffUser)
                .where(StaffUser.office_id == office().id)
                .order_by(StaffUser.username)
            )
        ],
        "counters": [
            c.number
            for c in db.session.scalars(
                select(Counter).where(Counter.office_id == office().id).order_by(Counter.number)
            )
        ],
        "kinds": KINDS,
    }


# --- the trail ------------------------------------------------------------------------------


class _Scope:
    """The filters as the database reads them: the period's bounds, the counter's id."""

    def __init__(self, f: Filters) -> None:
        self.f = f
        self.office = office()
        self.tz = office_tz(self.office)
        self.lo, _ = day_bounds(f.start, self.tz)
        _, self.hi = day_bounds(f.end, self.tz)
        self.counters = {
            c.id: c.number
            for c in db.session.scalars(select(Counter).where(Counter.office_id == self.office.id))
        }
        self.counter_id = next((i for i, n in self.counters.items() if n == f.counter), -1)
        self.names = {
            u.id: u.full_name or u.username
            for u in db.session.scalars(
                select(StaffUser).where(StaffUser.office_id == self.office.id)
            )
        }

    def wants(self, kinds: dict[str, Any]) -> list[str]:
        """The actions of `kinds` the kind filter keeps."""
        return [a for k, actions in kinds.items() if self.f.kind in (None, k) for a in actions]


def trail(f: Filters, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The newest `limit` facts matching the filters, newest first, and whether there are more
    (each source reads at most limit + 1 rows along its time index: no count of a year)."""
    s = _Scope(f)
    sources = [_ticket_facts(s, limit + 1), _takeovers(s, limit + 1), _entries(s, limit + 1)]
    rows = list(heapq.merge(*sources, key=lambda r: r["_key"], reverse=True))
    out = rows[:limit]
    for r in out:
        del r["_key"]
    return out, len(rows) > limit


def _row(s: _Scope, at: datetime, rid: tuple[int, int], **values: Any) -> dict[str, Any]:
    staff_id = values.pop("staff_id", None)
    counter_id = values.pop("counter_id", None)
    return {
        "_key": (at, rid),
        "at": iso(at, s.office),
        "staff_id": staff_id,
        "officer": s.names.get(staff_id or 0, ""),
        "counter": values.pop("counter", None) or s.counters.get(counter_id or 0),
        "ticket": "",
        "reason": "",
        "seconds": None,
        "note": "",
        **values,
    }


def _newest(stmt: Any, limit: int) -> list[Any]:
    return list(db.session.execute(stmt.limit(limit)))


def _ticket_facts(s: _Scope, limit: int) -> list[dict[str, Any]]:
    actions = s.wants(_TICKET_ACTIONS)
    if not actions:
        return []
    e = TicketEvent
    stmt = (
        select(e.id, e.at, e.action, e.staff_id, e.counter_id, e.detail, Ticket.number)
        .join(Ticket, Ticket.id == e.ticket_id)
        .where(Ticket.office_id == s.office.id, e.at >= s.lo, e.at < s.hi, e.action.in_(actions))
    )
    if s.f.staff_id is not None:
        stmt = stmt.where(e.staff_id == s.f.staff_id)
    if s.f.counter is not None:
        stmt = stmt.where(e.counter_id == s.counter_id)
    found = _newest(stmt.order_by(e.at.desc(), e.id.desc()), limit)
    rows = [
        _row(
            s,
            r.at,
            (0, r.id),
            kind=next(k for k, a in _TICKET_ACTIONS.items() if r.action in a),
            action=r.action,
            staff_id=r.staff_id,
            counter_id=r.counter_id,
            ticket=r.number,
            note=_ticket_note(r.detail or {}),
        )
        for r in found
    ]
    return rows


def _ticket_note(detail: dict[str, Any]) -> str:
    """What a history row adds: where a ticket was sent, how a visit ended, the officer's note."""
    parts = []
    if "to_counter" in detail:
        parts.append(f"→ quầy {detail['to_counter']}")
    if "to_service" in detail:
        parts.append(f"→ {detail['to_service']}")
    if "outcome" in detail:
        outcome = str(detail["outcome"])
        parts.append(
            OUTCOME_LABELS_VI.get(Outcome(outcome), outcome)
            if outcome in Outcome.__members__.values()
            else outcome
        )
    if detail.get("note"):
        parts.append(str(detail["note"]))
    return "; ".join(parts)


def _takeovers(s: _Scope, limit: int) -> list[dict[str, Any]]:
    if s.f.kind not in (None, "takeover"):
        return []
    t = CounterTakeover
    stmt = select(t).where(t.office_id == s.office.id, t.at >= s.lo, t.at < s.hi)
    if s.f.staff_id is not None:
        stmt = stmt.where(or_(t.by_user_id == s.f.staff_id, t.from_user_id == s.f.staff_id))
    if s.f.counter is not None:
        stmt = stmt.where(t.counter_number == s.f.counter)
    found = _newest(stmt.order_by(t.at.desc(), t.id.desc()), limit)
    rows = [
        _row(
            s,
            r.at,
            (1, r.id),
            kind="takeover",
            action="takeover",
            staff_id=r.by_user_id,
            counter=r.counter_number,
            note=s.names.get(r.from_user_id or 0, ""),
        )
        for (r,) in found
    ]
    return rows


def _entries(s: _Scope, limit: int) -> list[dict[str, Any]]:
    kinds = s.wants(_ENTRY_KINDS)
    if not kinds:
        return []
    a = AuditEntry
    stmt = select(a).where(
        a.office_id == s.office.id, a.day >= s.f.start, a.day <= s.f.end, a.kind.in_(kinds)
    )
    if s.f.staff_id is not None:
        stmt = stmt.where(a.staff_id == s.f.staff_id)
    if s.f.counter is not None:
        stmt = stmt.where(a.counter_id == s.counter_id)
    found = _newest(stmt.order_by(a.at.desc(), a.id.desc()), limit)
    rows = [
        _row(
            s,
            r.at,
            (2, r.id),
            kind=next(k for k, ks in _ENTRY_KINDS.items() if r.kind in ks),
            action=r.kind,
            staff_id=r.staff_id,
            counter_id=r.counter_id,
            reason=r.reason,
            seconds=r.seconds,
            note=_entry_note(r),
        )
        for (r,) in found
    ]
    return rows


def _entry_note(r: AuditEntry) -> str:
    detail = r.detail or {}
    if r.kind == Kind.SETTINGS:
        return " ".join(str(detail.get(k) or "") for k in ("action", "target")).strip()
    if r.kind == Kind.OPEN and detail.get("from") == "paused":
        return "sau tạm nghỉ"
    return ""


# --- each officer's day ---------------------------------------------------------------------


def officer_days(f: Filters) -> list[dict[str, Any]]:
    """Per officer and day of the period: calls, tickets finished, serving time (from the start
    of serving to the ticket leaving the officer: finished, transferred, absent, back in line;
    counted as it happens) and pauses (their number and total length; a pause still running is
    counted once it ends). Seconds, whole. Newest day first, then by officer. Sums of the
    counted rows (a few per officer and day): a year is as quick as a day."""
    s = _Scope(f)
    acc: dict[tuple[date, int], dict[str, int]] = defaultdict(
        lambda: {"calls": 0, "finished": 0, "serving_seconds": 0, "pauses": 0, "pause_seconds": 0}
    )
    for day, staff, calls, finished, micros in _figures(s):
        acc[(day, staff)].update(
            calls=int(calls or 0),
            finished=int(finished or 0),
            serving_seconds=int(micros or 0) // 1_000_000,
        )
    for day, staff, pauses, seconds in _pauses(s):
        acc[(day, staff)].update(pauses=int(pauses), pause_seconds=int(seconds or 0))
    rows = [
        {"day": day.isoformat(), "staff_id": staff, "officer": s.names.get(staff, ""), **v}
        for (day, staff), v in acc.items()
    ]
    rows.sort(key=lambda r: r["officer"])
    rows.sort(key=lambda r: r["day"], reverse=True)
    return rows


def _figures(s: _Scope) -> list[Any]:
    """Calls, finishes and serving time, as lobby.audit.log counted them."""
    f = OfficerDayFigures
    stmt = select(
        f.day, f.staff_id, func.sum(f.calls), func.sum(f.finished), func.sum(f.serving_us)
    ).where(f.office_id == s.office.id, f.day >= s.f.start, f.day <= s.f.end)
    if s.f.staff_id is not None:
        stmt = stmt.where(f.staff_id == s.f.staff_id)
    if s.f.counter is not None:
        stmt = stmt.where(f.counter_id == s.counter_id)
    return list(db.session.execute(stmt.group_by(f.day, f.staff_id)))


def _pauses(s: _Scope) -> list[Any]:
    a = AuditEntry
    stmt = select(a.day, a.staff_id, func.count(), func.sum(a.seconds)).where(
        a.office_id == s.office.id,
        a.day >= s.f.start,
        a.day <= s.f.end,
        a.kind == Kind.PAUSE.value,
        a.seconds.is_not(None),
        a.staff_id.is_not(None),
    )
    if s.f.staff_id is not None:
        stmt = stmt.where(a.staff_id == s.f.staff_id)
    if s.f.counter is not None:
        stmt = stmt.where(a.counter_id == s.counter_id)
    return list(db.session.execute(stmt.group_by(a.day, a.staff_id)))
