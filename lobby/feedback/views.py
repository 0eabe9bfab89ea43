"""Read models of feedback: the public view (no personal data), the staff list and detail, and
feedback_counts() for the office's figures (the satisfaction indicator, DOMAIN §14)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.clock import day_bounds
from core.errors import Forbidden
from core.feedback import (
    OPEN_STATUSES,
    STATUS_LABELS_VI,
    TOPIC_LABELS_VI,
    FeedbackAction,
    FeedbackStatus,
    FeedbackTopic,
    allowed_feedback_actions,
)
from lobby.context import ctx, iso, office, office_tz
from lobby.extensions import db
from lobby.feedback.intake import feedback_url
from lobby.feedback.models import Feedback, FeedbackStep
from lobby.feedback.workflow import feedback_by_code, is_supervisor, may_answer
from lobby.models import Dossier, Office, StaffUser

ACTION_LABELS_VI: dict[str, str] = {
    FeedbackAction.RECEIVE: "Tiếp nhận phản ánh",
    FeedbackAction.ASSIGN: "Giao xử lý",
    FeedbackAction.ANSWER: "Trả lời",
    FeedbackAction.PUBLISH: "Công khai kết quả",
    FeedbackAction.OUT_OF_SCOPE: "Đóng: không thuộc phạm vi xử lý",
}
LIST_LIMIT = 500


def topic_choices() -> list[dict[str, str]]:
    return [{"code": t.value, "label": _(TOPIC_LABELS_VI[t])} for t in FeedbackTopic]


def feedback_by_token(token: str) -> Feedback | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Feedback).where(Feedback.public_token == token))


def is_overdue(f: Feedback, now: Any = None) -> bool:
    """Not answered by its deadline (the close of the 15th working day by default)."""
    now = now or ctx().clock.now()
    return FeedbackStatus(f.status) in OPEN_STATUSES and now > f.due_at


def public_feedback_view(f: Feedback) -> dict[str, Any]:
    """What the tracking link shows: code, topic, status, dates, and the answer once published.
    Never the contact, never the content (it may name people)."""
    o = office()
    status = FeedbackStatus(f.status)
    view: dict[str, Any] = {
        "code": f.code,
        "topic": f.topic,
        "topic_label": _(TOPIC_LABELS_VI[FeedbackTopic(f.topic)]),
        "status": status.value,
        "status_label": _(STATUS_LABELS_VI[status]),
        "received_at": iso(f.received_at, o),
        "due_at": iso(f.due_at, o),
        "url": feedback_url(f),
    }
    if status is FeedbackStatus.PUBLISHED:
        view["answer"] = f.answer
        view["answered_at"] = iso(f.answered_at, o)
    if status is FeedbackStatus.OUT_OF_SCOPE:
        view["reason"] = out_of_scope_reason(f)
    return view


def out_of_scope_reason(f: Feedback) -> str:
    """Why a leader closed it as not the office's to handle (the note of that history row)."""
    note = db.session.scalar(
        select(FeedbackStep.note)
        .where(
            FeedbackStep.feedback_id == f.id,
            FeedbackStep.action == FeedbackAction.OUT_OF_SCOPE.value,
        )
        .order_by(FeedbackStep.id.desc())
        .limit(1)
    )
    return note or ""


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(StaffUser.id, StaffUser.full_name).where(StaffUser.id.in_(ids))
    ).all()
    return {r.id: r.full_name for r in rows}


def _row(f: Feedback, o: Office, names: dict[int, str], now: Any) -> dict[str, Any]:
    status = FeedbackStatus(f.status)
    return {
        "code": f.code,
        "topic_label": _(TOPIC_LABELS_VI[FeedbackTopic(f.topic)]),
        "status": status.value,
        "status_label": _(STATUS_LABELS_VI[status]),
        "received_at": iso(f.received_at, o),
        "due_at": iso(f.due_at, o),
        "overdue": is_overdue(f, now),
        "assign_late": status is FeedbackStatus.RECEIVED and now > f.assign_due_at,
        "assignee": names.get(f.assignee_id) if f.assignee_id else None,
        "excerpt": f.content[:120] + ("…" if len(f.content) > 120 else ""),
        "channel": f.channel,
    }


def _visible_to(user: StaffUser, o: Office) -> list[Any]:
    """Leaders and admins see all of the office's feedback, an officer what was given to them."""
    mine: list[Any] = [Feedback.office_id == o.id]
    if not is_supervisor(user):
        mine.append(Feedback.assignee_id == user.id)
    return mine


def _late(now: Any) -> list[Any]:
    return [Feedback.status.in_([s.value for s in OPEN_STATUSES]), Feedback.due_at < now]


def overdue_count(user: StaffUser) -> int:
    """How many of the feedback this user sees are past their answer deadline (the staff home
    links it to the list filtered on them)."""
    late = _late(ctx().clock.now())
    return int(
        db.session.scalar(select(func.count()).where(*_visible_to(user, office()), *late)) or 0
    )


def feedback_list(
    user: StaffUser, status: str | None = None, overdue: bool = False
) -> dict[str, Any]:
    """The leader's list (an officer sees only what was given to them): open ones by deadline
    first, then the rest; filters by status and overdue; counts per status."""
    o = office()
    now = ctx().clock.now()
    mine = _visible_to(user, o)
    late = _late(now)
    where = list(mine)
    if status in {s.value for s in FeedbackStatus}:
        where.append(Feedback.status == status)
    else:
        status = None
    if overdue:
        where += late
    rows = db.session.scalars(
        select(Feedback).where(*where).order_by(Feedback.due_at, Feedback.id).limit(LIST_LIMIT)
    ).all()
    rows = sorted(rows, key=lambda f: (FeedbackStatus(f.status) not in OPEN_STATUSES, f.due_at))
    names = _names({f.assignee_id for f in rows if f.assignee_id})
    counts = dict(
        db.session.execute(
            select(Feedback.status, func.count()).where(*mine).group_by(Feedback.status)
        ).all()
    )
    overdue_count = db.session.scalar(select(func.count()).where(*mine, *late))
    return {
        "items": [_row(f, o, names, now) for f in rows],
        "status": status,
        "overdue_only": overdue,
        "counts": {
            s.value: {"label": _(STATUS_LABELS_VI[s]), "n": int(counts.get(s.value, 0))}
            for s in FeedbackStatus
        },
        "overdue": int(overdue_count or 0),
    }


def feedback_detail(code: Any, user: StaffUser) -> dict[str, Any]:
    """Everything staff see of one feedback, the contact included (decrypted, staff only), its
    history, what this user may do next and whom it may be given to."""
    o = office()
    f = feedback_by_code(code)
    if not (is_supervisor(user) or f.assignee_id == user.id):
        raise Forbidden("Phản ánh này chưa được giao cho bạn.")
    steps = db.session.scalars(
        select(FeedbackStep).where(FeedbackStep.feedback_id == f.id).order_by(FeedbackStep.id)
    ).all()
    names = _names(
        {i for s in steps for i in (s.staff_id, s.assignee_id) if i}
        | ({f.assignee_id} if f.assignee_id else set())
    )
    allowed = [a.value for a in allowed_feedback_actions(FeedbackStatus(f.status))]
    if not is_supervisor(user):
        allowed = [a for a in allowed if a == FeedbackAction.ANSWER and may_answer(user, f)]
    view = _row(f, o, names, ctx().clock.now())
    view.update(
        {
            "topic": f.topic,
            "content": f.content,
            "contact": {"name": f.contact_name, "phone": f.contact_phone},
            "assign_due_at": iso(f.assign_due_at, o),
            "answer": f.answer,
            "answered_at": iso(f.answered_at, o),
            "publish_due_at": iso(f.publish_due_at, o),
            "published_at": iso(f.published_at, o),
            "public_url": feedback_url(f),
            "linked_ticket": f.ticket_id is not None,
            "linked_dossier": _dossier_code(f.dossier_id),
            "allowed": allowed,
            "history": [
                {
                    "at": iso(s.at, o),
                    "action": s.action,
                    "label": _(ACTION_LABELS_VI[s.action]),
                    "by": names.get(s.staff_id) if s.staff_id else None,
                    "to": names.get(s.assignee_id) if s.assignee_id else None,
                    "note": s.note,
                }
                for s in steps
            ],
            "staff": _assignable(o) if is_supervisor(user) else [],
        }
    )
    return view


def _dossier_code(dossier_id: int | None) -> str | None:
    if dossier_id is None:
        return None
    return db.session.scalar(select(Dossier.code).where(Dossier.id == dossier_id))


def _assignable(o: Office) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(StaffUser.id, StaffUser.full_name, StaffUser.title)
        .where(StaffUser.office_id == o.id, StaffUser.active.is_(True))
        .order_by(StaffUser.full_name)
    ).all()
    return [{"id": r.id, "name": r.full_name, "title": r.title} for r in rows]


# A feedback about a dossier's handling: tied to the dossier, and not closed as none of the
# office's business (out of scope).
_ABOUT_A_DOSSIER = (
    Feedback.dossier_id.is_not(None),
    Feedback.status != FeedbackStatus.OUT_OF_SCOPE.value,
)


def complaint_dossier_ids(office_id: int, before: Any) -> set[int]:
    """The dossiers citizens complained about by feedback received before `before`, each once
    (Decision 766's indicator 5.4, lobby/stats/indicators.py)."""
    return set(
        db.session.scalars(
            select(Feedback.dossier_id)
            .where(
                Feedback.office_id == office_id, Feedback.received_at < before, *_ABOUT_A_DOSSIER
            )
            .distinct()
        ).all()
    )


def feedback_counts(start: date, end: date) -> dict[str, Any]:
    """Feedback received on the office's days start..end (both inclusive), for the figures:
    how many; with_complaint: the dossiers they are about, each once (the index's 5.4 takes
    "dossiers with a complaint" from the dossiers received); per topic; the answers against
    their deadline."""
    o = office()
    tz = office_tz(o)
    lo, _hi = day_bounds(start, tz)
    _lo, hi = day_bounds(end, tz)
    period = [Feedback.office_id == o.id, Feedback.received_at >= lo, Feedback.received_at < hi]
    received = int(db.session.scalar(select(func.count()).where(*period)) or 0)
    dossiers = int(
        db.session.scalar(
            select(func.count(func.distinct(Feedback.dossier_id))).where(*period, *_ABOUT_A_DOSSIER)
        )
        or 0
    )
    by_topic = dict(
        db.session.execute(
            select(Feedback.topic, func.count()).where(*period).group_by(Feedback.topic)
        ).all()
    )
    answered = db.session.execute(
        select(Feedback.answered_at, Feedback.due_at).where(
            *period, Feedback.answered_at.is_not(None)
        )
    ).all()
    on_time = sum(1 for r in answered if r.answered_at <= r.due_at)
    now = ctx().clock.now()
    overdue = int(
        db.session.scalar(
            select(func.count()).where(
                *period,
                Feedback.status.in_([s.value for s in OPEN_STATUSES]),
                Feedback.due_at < now,
            )
        )
        or 0
    )
    return {
        "received": received,
        "with_complaint": dossiers,
        "by_topic": {t.value: int(by_topic.get(t.value, 0)) for t in FeedbackTopic},
        "answered": len(answered),
        "answered_on_time": on_time,
        "overdue": overdue,
    }
