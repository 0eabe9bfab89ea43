"""The staff's dossier list: every dossier of the office, filtered (status, procedure, field,
period, channel, late / on time), searched by code or — through the blind index — by the
applicant's name, phone or ID number, newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import selectinload

from core.deadlines import TIMELINESS_LABELS_VI, Timeliness
from core.dossiers import STATUS_LABELS, STATUS_NAMES, DossierStatus, normalize_dossier_code
from core.errors import InvalidRequest
from lobby.context import ctx, iso, office, office_tz
from lobby.dossiers.rules import CHANNELS, status_of
from lobby.dossiers.search import matching_applicants
from lobby.extensions import db
from lobby.models import Dossier, Field, Procedure

PER_PAGE = 50
OPEN = "open"  # every status still being handled
TIMELINESS_FILTERS = ("late", "on_time")
_OPEN_CODES = [
    int(s)
    for s in (
        DossierStatus.ACCEPTED,
        DossierStatus.PROCESSING,
        DossierStatus.SUPPLEMENT_REQUESTED,
        DossierStatus.AWAITING_PAYMENT,
    )
]
_BY_NAME = {name: status for status, name in STATUS_NAMES.items()}


@dataclass(frozen=True)
class ListQuery:
    status: str | None = None
    procedure: str | None = None
    field: str | None = None
    start: date | None = None
    end: date | None = None
    channel: str | None = None
    timeliness: str | None = None
    q: str | None = None
    page: int = 1


def _day(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidRequest("Ngày phải có dạng YYYY-MM-DD (from, to).", field=name) from None


def _one_of(raw: str | None, allowed: list[str], name: str) -> str | None:
    if not raw:
        return None
    if raw not in allowed:
        raise InvalidRequest("Giá trị lọc không hợp lệ.", field=name, allowed=allowed)
    return raw


def parse_list_query(args: Any) -> ListQuery:
    """The list's filters from a query string (?status=&procedure=&field=&from=&to=&channel=
    &timeliness=&q=&page=); a wrong value is InvalidRequest naming the parameter."""
    try:
        page = int(args.get("page") or 1)
    except ValueError:
        page = 0
    if not 1 <= page <= 100_000:
        raise InvalidRequest("Số trang (page) phải là số nguyên dương.", field="page")
    q = " ".join((args.get("q") or "").split())[:100] or None
    return ListQuery(
        status=_one_of(args.get("status"), [OPEN, *_BY_NAME], "status"),
        procedure=(args.get("procedure") or "").strip()[:60] or None,
        field=(args.get("field") or "").strip()[:40] or None,
        start=_day(args.get("from"), "from"),
        end=_day(args.get("to"), "to"),
        channel=_one_of(args.get("channel"), list(CHANNELS), "channel"),
        timeliness=_one_of(args.get("timeliness"), list(TIMELINESS_FILTERS), "timeliness"),
        q=q,
        page=page,
    )


def _conditions(query: ListQuery, office_id: int, now: datetime) -> list[Any]:
    o = office()
    tz = office_tz(o)
    where: list[Any] = [Dossier.office_id == office_id]  # first: replaced for a people search
    if query.status == OPEN:
        where.append(Dossier.status_code.in_(_OPEN_CODES))
    elif query.status:
        where.append(Dossier.status_code == int(_BY_NAME[query.status]))
    if query.procedure:
        where.append(
            Dossier.procedure_id.in_(
                select(Procedure.id).where(
                    Procedure.office_id == office_id, Procedure.code == query.procedure
                )
            )
        )
    if query.field:
        where.append(
            Dossier.procedure_id.in_(
                select(Procedure.id)
                .join(Field, Field.id == Procedure.field_id)
                .where(Field.office_id == office_id, Field.code == query.field)
            )
        )
    if query.start:
        where.append(Dossier.received_at >= datetime.combine(query.start, time(), tz))
    if query.end:
        after = datetime.combine(query.end + timedelta(days=1), time(), tz)
        where.append(Dossier.received_at < after)
    if query.channel:
        where.append(Dossier.channel == query.channel)
    still_open = and_(Dossier.timeliness.is_(None), Dossier.status_code.in_(_OPEN_CODES))
    if query.timeliness == "late":
        where.append(
            or_(
                Dossier.timeliness == Timeliness.LATE.value,
                and_(still_open, Dossier.due_at < now),
            )
        )
    elif query.timeliness == "on_time":
        where.append(
            or_(
                Dossier.timeliness.in_([Timeliness.EARLY.value, Timeliness.ON_TIME.value]),
                and_(still_open, Dossier.due_at >= now),
            )
        )
    if query.q:
        found = []
        code = normalize_dossier_code(query.q)
        if any(ch.isdigit() for ch in code):
            found.append(Dossier.code.contains(code, autoescape=True))
        people = matching_applicants(office_id, query.q)
        if people is not None:
            found.append(Dossier.applicant_id.in_(people))
            # The applicants found are the office's: "+ 0" keeps SQLite (without statistics)
            # from walking the office's dossiers by office_id instead of the applicants' few.
            where[0] = (Dossier.office_id + 0) == office_id
        where.append(or_(*found) if found else false())
    return where


def dossier_list(query: ListQuery) -> dict[str, Any]:
    """A page of the office's dossiers (newest first) and how many match in all."""
    o = office()
    now = ctx().clock.now()
    where = _conditions(query, o.id, now)
    total = int(db.session.scalar(select(func.count(Dossier.id)).where(*where)) or 0)
    pages = max(1, -(-total // PER_PAGE))
    page = min(query.page, pages)
    rows = db.session.scalars(
        select(Dossier)
        .where(*where)
        .options(selectinload(Dossier.applicant))
        .order_by(Dossier.received_at.desc(), Dossier.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    return {
        "items": [_row(d, o, now) for d in rows],
        "total": total,
        "page": page,
        "pages": pages,
        "per_page": PER_PAGE,
    }


def _row(d: Dossier, o: Any, now: datetime) -> dict[str, Any]:
    status = status_of(d)
    late = (
        d.timeliness == Timeliness.LATE.value
        if d.timeliness
        else (int(status) in _OPEN_CODES and d.due_at < now)
    )
    return {
        "code": d.code,
        "procedure": d.procedure.name_vi,
        "procedure_code": d.procedure.code,
        "applicant": d.applicant.full_name,
        "channel": d.channel,
        "received_at": iso(d.received_at, o),
        "due_at": iso(d.due_at, o),
        "status": STATUS_NAMES[status],
        "status_label": STATUS_LABELS[status].system,
        "timeliness": d.timeliness,
        "timeliness_label": TIMELINESS_LABELS_VI[Timeliness(d.timeliness)]
        if d.timeliness
        else None,
        "late": late,
        "external_code": (d.rules or {}).get("code_from") == "external",
    }


def list_choices() -> dict[str, Any]:
    """What the list's filters offer: the office's fields and procedures, statuses, channels."""
    o = office()
    fields = db.session.execute(
        select(Field.code, Field.name_vi).where(Field.office_id == o.id).order_by(Field.name_vi)
    ).all()
    procedures = db.session.execute(
        select(Procedure.code, Procedure.name_vi)
        .where(Procedure.office_id == o.id)
        .order_by(Procedure.name_vi)
    ).all()
    return {
        "fields": [{"code": c, "name": n} for c, n in fields],
        "procedures": [{"code": c, "name": n} for c, n in procedures],
        "statuses": [{"code": s, "name": STATUS_LABELS[_BY_NAME[s]].system} for s in _BY_NAME],
        "channels": list(CHANNELS),
    }
