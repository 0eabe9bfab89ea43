import itertools
import unicodedata

import pytest

from core.errors import (
    DailyLimitReached,
    DomainError,
    Forbidden,
    IllegalTransition,
    InvalidRequest,
    NotFound,
    OutsideHours,
    QueueEmpty,
)
from core.tickets import (
    ACTION_LABELS_VI,
    OPEN_STATUSES,
    OUTCOME_LABELS_VI,
    PRIORITY_GROUPS,
    PRIORITY_LABELS_VI,
    STATUS_LABELS_VI,
    TERMINAL_STATUSES,
    Action,
    Outcome,
    TicketStatus,
    allowed_actions,
    can_transition,
    next_status,
    parse_outcome,
    parse_priority_group,
)

S = TicketStatus
A = Action

# The rule, written out independently of core.tickets.TRANSITIONS.
LEGAL = {
    (S.WAITING, A.CALL): S.CALLED,
    (S.CALLED, A.RECALL): S.CALLED,
    (S.CALLED, A.START): S.SERVING,
    (S.SERVING, A.FINISH): S.DONE,
    (S.CALLED, A.NO_SHOW): S.NO_SHOW,
    (S.NO_SHOW, A.REQUEUE): S.WAITING,
    (S.WAITING, A.TRANSFER): S.WAITING,
    (S.CALLED, A.TRANSFER): S.WAITING,
    (S.SERVING, A.TRANSFER): S.WAITING,
    (S.WAITING, A.CANCEL): S.CANCELLED,
    (S.CALLED, A.CANCEL): S.CANCELLED,
    (S.NO_SHOW, A.CANCEL): S.CANCELLED,
    (S.WAITING, A.EXPIRE): S.EXPIRED,
    (S.CALLED, A.EXPIRE): S.EXPIRED,
    (S.SERVING, A.EXPIRE): S.EXPIRED,
    (S.NO_SHOW, A.EXPIRE): S.EXPIRED,
    # The citizen, from the phone: only while waiting.
    (S.WAITING, A.LEAVE): S.CANCELLED,
    (S.WAITING, A.DELAY): S.WAITING,
}
ALL_PAIRS = list(itertools.product(TicketStatus, Action))


def test_enumerations_use_the_api_strings():
    assert [s.value for s in TicketStatus] == [
        "waiting",
        "called",
        "serving",
        "done",
        "no_show",
        "cancelled",
        "expired",
    ]
    assert [o.value for o in Outcome] == [
        "guided_only",
        "supplement_guidance",
        "refused",
        "dossier_accepted",
        "result_returned",
    ]
    assert TicketStatus.NO_SHOW == "no_show"


def test_open_statuses_are_waiting_called_serving():
    assert {S.WAITING, S.CALLED, S.SERVING} == OPEN_STATUSES
    assert {S.DONE, S.CANCELLED, S.EXPIRED} == TERMINAL_STATUSES


def test_vietnamese_labels_match_the_domain_guide():
    assert STATUS_LABELS_VI == {
        S.WAITING: "Đang chờ",
        S.CALLED: "Đang gọi",
        S.SERVING: "Đang phục vụ",
        S.DONE: "Hoàn thành",
        S.NO_SHOW: "Vắng mặt",
        S.CANCELLED: "Đã hủy",
        S.EXPIRED: "Hết hiệu lực",
    }
    assert set(OUTCOME_LABELS_VI) == set(Outcome)
    assert OUTCOME_LABELS_VI[Outcome.DOSSIER_ACCEPTED] == "Tiếp nhận hồ sơ"
    assert PRIORITY_GROUPS == ("elderly", "disabled", "pregnant", "meritorious")
    assert set(PRIORITY_LABELS_VI) == set(PRIORITY_GROUPS)
    assert set(ACTION_LABELS_VI) == set(Action)


def test_every_vietnamese_label_is_nfc():
    labels = [
        *STATUS_LABELS_VI.values(),
        *OUTCOME_LABELS_VI.values(),
        *PRIORITY_LABELS_VI.values(),
        *ACTION_LABELS_VI.values(),
    ]
    assert all(unicodedata.is_normalized("NFC", label) for label in labels)


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS)
def test_transition_table_over_every_status_and_action(status, action):
    outcome = Outcome.GUIDED_ONLY if action is A.FINISH else None
    if (status, action) in LEGAL:
        assert next_status(status, action, outcome=outcome) is LEGAL[(status, action)]
        assert can_transition(status, action)
        assert action in allowed_actions(status)
    else:
        with pytest.raises(IllegalTransition) as info:
            next_status(status, action, outcome=outcome)
        error = info.value
        assert error.code == "conflict"
        assert error.status == 409
        assert STATUS_LABELS_VI[status] in error.message
        assert unicodedata.is_normalized("NFC", error.message)
        assert error.details == {"ticket_status": status.value, "action": action.value}
        assert not can_transition(status, action)
        assert action not in allowed_actions(status)


def test_terminal_statuses_allow_nothing():
    for status in TERMINAL_STATUSES:
        assert allowed_actions(status) == frozenset()


def test_finishing_a_ticket_that_was_only_called_is_illegal():
    with pytest.raises(IllegalTransition):
        next_status(S.CALLED, A.FINISH, outcome=Outcome.GUIDED_ONLY)


def test_finishing_a_ticket_never_called_is_a_conflict_even_without_an_outcome():
    with pytest.raises(IllegalTransition):
        next_status(S.WAITING, A.FINISH)


def test_calling_a_ticket_twice_is_a_conflict():
    assert next_status(S.WAITING, A.CALL) is S.CALLED
    with pytest.raises(IllegalTransition):
        next_status(S.CALLED, A.CALL)


@pytest.mark.parametrize("outcome", list(Outcome))
def test_finish_accepts_every_outcome(outcome):
    assert next_status(S.SERVING, A.FINISH, outcome=outcome) is S.DONE


def test_finish_without_an_outcome_is_invalid_request():
    with pytest.raises(InvalidRequest) as info:
        next_status(S.SERVING, A.FINISH)
    assert info.value.status == 422
    assert info.value.code == "invalid_request"
    assert info.value.details["field"] == "outcome"


def test_finish_with_an_unknown_outcome_is_invalid_request():
    with pytest.raises(InvalidRequest):
        next_status(S.SERVING, A.FINISH, outcome="lost")  # type: ignore[arg-type]


def test_an_outcome_is_refused_on_actions_other_than_finish():
    with pytest.raises(InvalidRequest):
        next_status(S.WAITING, A.CALL, outcome=Outcome.REFUSED)


def test_plain_strings_from_the_database_are_accepted():
    assert next_status("called", "start") is S.SERVING  # type: ignore[arg-type]
    assert next_status("serving", "finish", outcome="refused") is S.DONE  # type: ignore[arg-type]


def test_unknown_status_or_action_is_invalid_request():
    with pytest.raises(InvalidRequest):
        next_status("lost", A.CALL)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest):
        next_status(S.WAITING, "jump")  # type: ignore[arg-type]


def test_parse_outcome_and_priority_group():
    assert parse_outcome("result_returned") is Outcome.RESULT_RETURNED
    for bad in [None, "", "done"]:
        with pytest.raises(InvalidRequest):
            parse_outcome(bad)
    assert parse_priority_group(None) is None
    assert parse_priority_group("pregnant") == "pregnant"
    with pytest.raises(InvalidRequest):
        parse_priority_group("vip")


def test_a_no_show_citizen_can_come_back_and_be_served():
    status = S.WAITING
    for action in [A.CALL, A.RECALL, A.NO_SHOW, A.REQUEUE, A.CALL, A.START]:
        status = next_status(status, action)
    assert next_status(status, A.FINISH, outcome=Outcome.DOSSIER_ACCEPTED) is S.DONE


def test_domain_errors_carry_code_status_message_and_details():
    error = IllegalTransition("thông báo", ticket_status="waiting")
    assert isinstance(error, DomainError)
    assert str(error) == "thông báo"
    assert error.as_dict() == {"error": "conflict", "message": "thông báo"}
    assert error.details == {"ticket_status": "waiting"}
    overridden = DomainError("x", code="special")
    assert overridden.code == "special"
    assert DomainError.code == "conflict"


@pytest.mark.parametrize(
    ("cls", "code", "status"),
    [
        (IllegalTransition, "conflict", 409),
        (QueueEmpty, "queue_empty", 409),
        (OutsideHours, "outside_hours", 409),
        (DailyLimitReached, "daily_limit_reached", 409),
        (NotFound, "not_found", 404),
        (InvalidRequest, "invalid_request", 422),
        (Forbidden, "forbidden", 403),
    ],
)
def test_each_domain_error_maps_to_its_api_code_and_status(cls, code, status):
    error = cls("lỗi")
    assert (error.code, error.status) == (code, status)
    assert issubclass(cls, DomainError)
    default = cls()
    assert default.message and unicodedata.is_normalized("NFC", default.message)
