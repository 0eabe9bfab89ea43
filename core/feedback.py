"""Feedback about the desk (phản ánh, kiến nghị; DOMAIN §8 and §14): topics, states, the
staff's steps and the deadlines in working days. Standard library only."""

from __future__ import annotations

from enum import StrEnum

from core.errors import IllegalTransition


class FeedbackTopic(StrEnum):
    """What the feedback is about (the citizen picks one)."""

    PROCEDURE = "thu_tuc"  # a procedure, its papers, how it was handled
    CONDUCT = "thai_do_can_bo"  # an officer's conduct
    WAITING = "thoi_gian_cho"  # waiting, the queue
    PREMISES = "co_so_vat_chat"  # the premises, the equipment
    OTHER = "khac"


TOPIC_LABELS_VI: dict[FeedbackTopic, str] = {
    FeedbackTopic.PROCEDURE: "Thủ tục, cách giải quyết hồ sơ",
    FeedbackTopic.CONDUCT: "Thái độ, tác phong của cán bộ",
    FeedbackTopic.WAITING: "Thời gian chờ đợi",
    FeedbackTopic.PREMISES: "Cơ sở vật chất, trang thiết bị",
    FeedbackTopic.OTHER: "Nội dung khác",
}


class FeedbackStatus(StrEnum):
    """received → assigned → answered → (optionally) published; or, before an answer, closed
    by a leader as not the office's to handle (out_of_scope, with the reason)."""

    RECEIVED = "received"
    ASSIGNED = "assigned"
    ANSWERED = "answered"
    PUBLISHED = "published"
    OUT_OF_SCOPE = "out_of_scope"


STATUS_LABELS_VI: dict[FeedbackStatus, str] = {
    FeedbackStatus.RECEIVED: "Đã tiếp nhận",
    FeedbackStatus.ASSIGNED: "Đang xử lý",
    FeedbackStatus.ANSWERED: "Đã trả lời",
    FeedbackStatus.PUBLISHED: "Đã công khai kết quả",
    FeedbackStatus.OUT_OF_SCOPE: "Không thuộc phạm vi xử lý",
}

# Still waiting for an answer: these count against the answer deadline.
OPEN_STATUSES = (FeedbackStatus.RECEIVED, FeedbackStatus.ASSIGNED)


class FeedbackAction(StrEnum):
    RECEIVE = "receive"  # the history's first row
    ASSIGN = "assign"
    ANSWER = "answer"
    PUBLISH = "publish"
    OUT_OF_SCOPE = "out_of_scope"  # close it: not the office's to handle (a reason is given)


_MOVES: dict[tuple[FeedbackStatus, FeedbackAction], FeedbackStatus] = {
    (FeedbackStatus.RECEIVED, FeedbackAction.ASSIGN): FeedbackStatus.ASSIGNED,
    (FeedbackStatus.ASSIGNED, FeedbackAction.ASSIGN): FeedbackStatus.ASSIGNED,  # hand it on
    (FeedbackStatus.RECEIVED, FeedbackAction.ANSWER): FeedbackStatus.ANSWERED,
    (FeedbackStatus.ASSIGNED, FeedbackAction.ANSWER): FeedbackStatus.ANSWERED,
    (FeedbackStatus.ANSWERED, FeedbackAction.PUBLISH): FeedbackStatus.PUBLISHED,
    (FeedbackStatus.RECEIVED, FeedbackAction.OUT_OF_SCOPE): FeedbackStatus.OUT_OF_SCOPE,
    (FeedbackStatus.ASSIGNED, FeedbackAction.OUT_OF_SCOPE): FeedbackStatus.OUT_OF_SCOPE,
}

_REFUSAL_LABELS: dict[FeedbackAction, str] = {
    FeedbackAction.ASSIGN: "Phản ánh đã được trả lời hoặc đã đóng, không thể giao xử lý nữa.",
    FeedbackAction.ANSWER: "Phản ánh này đã được trả lời hoặc đã đóng.",
    FeedbackAction.PUBLISH: "Chỉ công khai được phản ánh đã trả lời và chưa công khai.",
    FeedbackAction.OUT_OF_SCOPE: "Chỉ đóng được phản ánh chưa trả lời.",
}


def next_feedback_status(current: FeedbackStatus, action: FeedbackAction) -> FeedbackStatus:
    """The state after a staff step; IllegalTransition (409) when the step does not apply."""
    after = _MOVES.get((FeedbackStatus(current), FeedbackAction(action)))
    if after is None:
        raise IllegalTransition(_REFUSAL_LABELS.get(FeedbackAction(action)))
    return after


def allowed_feedback_actions(current: FeedbackStatus) -> list[FeedbackAction]:
    return [a for (s, a) in _MOVES if s == current]


# National-portal deadlines the index uses (DOMAIN §14), in working days; offices may change them
# (settings feedback_assign_days, feedback_answer_days, feedback_publish_days).
DEFAULT_DEADLINE_DAYS: dict[str, int] = {
    "feedback_assign_days": 2,  # decide who handles it (or reject) within 2 working days
    "feedback_answer_days": 15,  # handle (answer) within 15 working days of receipt
    "feedback_publish_days": 2,  # publish the result within 2 working days of the answer
}


def feedback_code(day_yymmdd: str, seq: int) -> str:
    """'PA-261207-0001': shown to the citizen, one daily sequence per office."""
    return f"PA-{day_yymmdd}-{seq:04d}"
