"""The staff's steps on a feedback: assign (leader, admin), answer (leader, admin or the officer
it was given to), publish the answer (leader, admin), or close it as out of scope (leader,
admin; with a reason). One transaction each, a history row each;
a step that does not apply is a 409, a staff member who may not take it a 403."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.access import SUPERVISORS, Role
from core.errors import Forbidden, InvalidRequest, NotFound
from core.feedback import FeedbackAction, FeedbackStatus, next_feedback_status
from lobby.context import ctx, of_this_office, office
from lobby.extensions import db
from lobby.feedback.models import Feedback, FeedbackStep
from lobby.feedback.rules import due_after
from lobby.forms import trimmed
from lobby.models import StaffUser
from lobby.tx import transaction

ANSWER_LIMIT = 5000
NOTE_LIMIT = 500


def is_supervisor(user: StaffUser) -> bool:
    return Role(user.role) in SUPERVISORS


def may_answer(user: StaffUser, f: Feedback) -> bool:
    return is_supervisor(user) or (f.assignee_id is not None and f.assignee_id == user.id)


def feedback_by_code(code: Any, *, lock: bool = False) -> Feedback:
    if not isinstance(code, str) or not code or len(code) > 32:
        raise NotFound("Không tìm thấy phản ánh.")
    stmt = select(Feedback).where(Feedback.code == code.strip().upper())
    if lock:
        stmt = stmt.with_for_update(of=Feedback)
    f = db.session.scalar(stmt)
    if f is None or f.office_id != office().id:
        raise NotFound("Không tìm thấy phản ánh.")
    return f


def _step(
    f: Feedback, action: FeedbackAction, user: StaffUser, note: str = "", **more: Any
) -> None:
    f.status = next_feedback_status(FeedbackStatus(f.status), action).value
    db.session.add(
        FeedbackStep(
            feedback_id=f.id,
            at=ctx().clock.now(),
            action=action.value,
            staff_id=user.id,
            note=note,
            **more,
        )
    )
    db.session.flush()


def _note(raw: Any, limit: int, field: str) -> str:
    if raw is not None and not isinstance(raw, str):
        raise InvalidRequest(f"Trường {field} phải là chuỗi.", field=field)
    value = trimmed(raw) or ""
    if len(value) > limit:
        raise InvalidRequest(f"Trường {field} dài quá {limit} ký tự.", field=field)
    return value


def assign(code: Any, assignee_id: Any, user: StaffUser, note: Any = None) -> dict[str, Any]:
    """Give the feedback to an active staff member of the office to handle (or hand it on)."""
    if not is_supervisor(user):
        raise Forbidden("Chỉ lãnh đạo hoặc quản trị được giao xử lý phản ánh.")
    text = _note(note, NOTE_LIMIT, "note")
    with transaction():
        f = feedback_by_code(code, lock=True)
        person = of_this_office(StaffUser, assignee_id, "Không có cán bộ này.")
        if not person.active:
            raise InvalidRequest("Tài khoản cán bộ này đã ngừng hoạt động.", field="assignee")
        _step(f, FeedbackAction.ASSIGN, user, text, assignee_id=person.id)
        f.assignee_id = person.id
        f.assigned_at = ctx().clock.now()
        return {"code": f.code, "status": f.status}


def answer(code: Any, text: Any, user: StaffUser) -> dict[str, Any]:
    """The answer to the citizen; the publishing deadline starts from it."""
    body = _note(text, ANSWER_LIMIT, "answer")
    if not body:
        raise InvalidRequest("Vui lòng nhập nội dung trả lời.", field="answer")
    with transaction():
        f = feedback_by_code(code, lock=True)
        if not may_answer(user, f):
            raise Forbidden("Phản ánh này chưa được giao cho bạn.")
        _step(f, FeedbackAction.ANSWER, user)
        now = ctx().clock.now()
        f.answer = body
        f.answered_at = now
        f.publish_due_at = due_after(now, office(), "feedback_publish_days")
        return {"code": f.code, "status": f.status}


def publish(code: Any, user: StaffUser) -> dict[str, Any]:
    """Show the answer on the feedback's public page (the contact never is)."""
    if not is_supervisor(user):
        raise Forbidden("Chỉ lãnh đạo hoặc quản trị được công khai kết quả.")
    with transaction():
        f = feedback_by_code(code, lock=True)
        _step(f, FeedbackAction.PUBLISH, user)
        f.published_at = ctx().clock.now()
        return {"code": f.code, "status": f.status}


def close_out_of_scope(code: Any, reason: Any, user: StaffUser) -> dict[str, Any]:
    """Close a feedback not yet answered as not the office's to handle (không thuộc phạm vi),
    with the reason the citizen reads on its tracking page (DOMAIN §14: within 2 working days).
    The history keeps who closed it, when and why."""
    if not is_supervisor(user):
        raise Forbidden("Chỉ lãnh đạo hoặc quản trị được đóng phản ánh không thuộc phạm vi.")
    why = _note(reason, NOTE_LIMIT, "reason")
    if not why:
        raise InvalidRequest("Vui lòng nêu lý do không thuộc phạm vi xử lý.", field="reason")
    with transaction():
        f = feedback_by_code(code, lock=True)
        _step(f, FeedbackAction.OUT_OF_SCOPE, user, why)
        return {"code": f.code, "status": f.status}
