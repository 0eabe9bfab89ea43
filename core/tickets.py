"""Queue-ticket states, outcomes, priority groups and the transition rule (DOMAIN.md §2, §7).

Decision on finishing: a ticket is finished only from SERVING. DOMAIN §2 defines SERVING as the
officer having pressed "start serving" and the service-time metric runs serving → finished, so a
CALLED ticket cannot jump to DONE; a counter screen that offers "Hoàn thành" straight after a
call applies START and then FINISH (two logged steps).
"""

from __future__ import annotations

from enum import StrEnum

from core.errors import IllegalTransition, InvalidRequest


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Outcome(StrEnum):
    GUIDED_ONLY = "guided_only"
    SUPPLEMENT_GUIDANCE = "supplement_guidance"
    REFUSED = "refused"
    DOSSIER_ACCEPTED = "dossier_accepted"
    RESULT_RETURNED = "result_returned"


class Action(StrEnum):
    CALL = "call"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    NO_SHOW = "no_show"
    REQUEUE = "requeue"
    TRANSFER = "transfer"
    CANCEL = "cancel"
    EXPIRE = "expire"
    # The citizen, from the ticket's page: leave the line, or let the people behind go first.
    LEAVE = "leave"
    DELAY = "delay"


OPEN_STATUSES: frozenset[TicketStatus] = frozenset(
    {TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING}
)
# A counter holds one ticket at a time: these statuses occupy it (API.md, call-next).
AT_COUNTER_STATUSES: frozenset[TicketStatus] = frozenset(
    {TicketStatus.CALLED, TicketStatus.SERVING}
)
TERMINAL_STATUSES: frozenset[TicketStatus] = frozenset(
    {TicketStatus.DONE, TicketStatus.CANCELLED, TicketStatus.EXPIRED}
)

STATUS_LABELS_VI: dict[TicketStatus, str] = {
    TicketStatus.WAITING: "Đang chờ",
    TicketStatus.CALLED: "Đang gọi",
    TicketStatus.SERVING: "Đang phục vụ",
    TicketStatus.DONE: "Hoàn thành",
    TicketStatus.NO_SHOW: "Vắng mặt",
    TicketStatus.CANCELLED: "Đã hủy",
    TicketStatus.EXPIRED: "Hết hiệu lực",
}

OUTCOME_LABELS_VI: dict[Outcome, str] = {
    Outcome.GUIDED_ONLY: "Chỉ hướng dẫn",
    Outcome.SUPPLEMENT_GUIDANCE: "Hướng dẫn bổ sung",
    Outcome.REFUSED: "Từ chối tiếp nhận",
    Outcome.DOSSIER_ACCEPTED: "Tiếp nhận hồ sơ",
    Outcome.RESULT_RETURNED: "Trả kết quả",
}

ACTION_LABELS_VI: dict[Action, str] = {
    Action.CALL: "Gọi số",
    Action.RECALL: "Gọi lại",
    Action.START: "Bắt đầu phục vụ",
    Action.FINISH: "Hoàn thành",
    Action.NO_SHOW: "Vắng mặt",
    Action.REQUEUE: "Xếp lại hàng chờ",
    Action.TRANSFER: "Chuyển quầy",
    Action.CANCEL: "Hủy phiếu",
    Action.EXPIRE: "Đóng phiếu hết hiệu lực",
    Action.LEAVE: "Rời hàng chờ",
    Action.DELAY: "Nhường lượt",
}

PRIORITY_GROUPS = ("elderly", "disabled", "pregnant", "meritorious")
PRIORITY_LABELS_VI: dict[str, str] = {
    "elderly": "Người cao tuổi (từ 60 tuổi)",
    "disabled": "Người khuyết tật",
    "pregnant": "Phụ nữ mang thai",
    "meritorious": "Người có công",
}

_W, _C, _S = TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING
_D, _N = TicketStatus.DONE, TicketStatus.NO_SHOW
_X, _E = TicketStatus.CANCELLED, TicketStatus.EXPIRED

# (current status, action) -> new status. Every pair not listed is illegal.
TRANSITIONS: dict[tuple[TicketStatus, Action], TicketStatus] = {
    (_W, Action.CALL): _C,
    (_C, Action.RECALL): _C,  # the caller increments recall_count
    (_C, Action.START): _S,
    (_S, Action.FINISH): _D,
    (_C, Action.NO_SHOW): _N,
    (_N, Action.REQUEUE): _W,
    # Transfer keeps number and issue time; the ticket waits again for the new counter/field.
    (_W, Action.TRANSFER): _W,
    (_C, Action.TRANSFER): _W,
    (_S, Action.TRANSFER): _W,
    (_W, Action.CANCEL): _X,
    (_C, Action.CANCEL): _X,
    (_N, Action.CANCEL): _X,
    # The citizen leaves from the phone: only while waiting (at the counter, the officer decides).
    (_W, Action.LEAVE): _X,
    # Letting the next people go first keeps the ticket waiting, a few places further back.
    (_W, Action.DELAY): _W,
    # End-of-day sweep: whatever is still open (or absent) stops being valid.
    (_W, Action.EXPIRE): _E,
    (_C, Action.EXPIRE): _E,
    (_S, Action.EXPIRE): _E,
    (_N, Action.EXPIRE): _E,
}


def _as_status(value: TicketStatus | str) -> TicketStatus:
    try:
        return TicketStatus(value)
    except ValueError:
        raise InvalidRequest(
            f"Trạng thái phiếu không hợp lệ: {value!r}.", ticket_status=value
        ) from None


def _as_action(value: Action | str) -> Action:
    try:
        return Action(value)
    except ValueError:
        raise InvalidRequest(f"Thao tác không hợp lệ: {value!r}.", action=value) from None


def parse_outcome(value: object) -> Outcome:
    """A finished ticket needs one of the five outcomes; anything else is InvalidRequest."""
    try:
        return Outcome(value)  # type: ignore[arg-type]  # any JSON value: ValueError if not one
    except ValueError:
        raise InvalidRequest(
            "Kết quả phục vụ (outcome) không hợp lệ.",
            field="outcome",
            allowed=[o.value for o in Outcome],
        ) from None


def parse_priority_group(value: str | None) -> str | None:
    """The kiosk's priority choice is None or one of PRIORITY_GROUPS; anything else is invalid."""
    if value is None:
        return None
    if value not in PRIORITY_GROUPS:
        raise InvalidRequest(
            "Nhóm ưu tiên không hợp lệ.", field="priority", allowed=list(PRIORITY_GROUPS)
        )
    return value


def allowed_actions(current: TicketStatus | str) -> frozenset[Action]:
    """The actions the transition table permits from a status (e.g. to enable buttons)."""
    status = _as_status(current)
    return frozenset(action for (s, action) in TRANSITIONS if s == status)


def can_transition(current: TicketStatus | str, action: Action | str) -> bool:
    """Whether the transition table has an entry for this status and action."""
    return (_as_status(current), _as_action(action)) in TRANSITIONS


def next_status(
    current: TicketStatus, action: Action, *, outcome: Outcome | None = None
) -> TicketStatus:
    """The status a ticket moves to, or IllegalTransition (409); finish needs an outcome (422).

    The legality of the move is checked before the outcome, and an outcome is accepted only
    with FINISH.
    """
    status, act = _as_status(current), _as_action(action)
    target = TRANSITIONS.get((status, act))
    if target is None:
        raise IllegalTransition(
            f"Không thể thực hiện thao tác “{ACTION_LABELS_VI[act]}” "
            f"khi phiếu đang ở trạng thái “{STATUS_LABELS_VI[status]}”.",
            ticket_status=status.value,
            action=act.value,
        )
    if act is Action.FINISH:
        parse_outcome(outcome)
    elif outcome is not None:
        raise InvalidRequest(
            "Chỉ ghi kết quả xử lý khi hoàn thành phiếu.", field="outcome", action=act.value
        )
    return target
