"""The request checks api/schemas.py makes answer exactly what the domain answered for the same
body before they existed: the same message, `field` and details (so the same 422 to clients).
Each case runs both: the schema's check, and the lobby function that checks the same body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from marshmallow import Schema

from api import schemas as s
from core.errors import InvalidRequest
from lobby import services

Domain = Callable[[dict[str, Any]], Any]


def _issue(body: dict[str, Any]) -> Any:
    return services.issue_ticket(body.get("service"), body.get("priority"))


def _call(body: dict[str, Any]) -> Any:
    return services.call_number(1, body.get("number"), None)  # type: ignore[arg-type]


def _finish(body: dict[str, Any]) -> Any:
    return services.finish(1, body.get("outcome"), None)  # type: ignore[arg-type]


def _transfer(body: dict[str, Any]) -> Any:
    return services.transfer(1, body, None)  # type: ignore[arg-type]


def _pause(body: dict[str, Any]) -> Any:
    # What api/views.py checked itself before the schema did.
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise InvalidRequest("Lý do tạm nghỉ (reason) phải là chuỗi.", field="reason")


LONG_NOTE = "x" * 201
SPACED_NOTE = "a" + " " * 300 + "b"  # 3 characters once its spaces are one

REFUSED: list[tuple[type[Schema], Domain, dict[str, Any]]] = [
    (s.IssueRequest, _issue, {"priority": "vip", "service": "ho_tich"}),
    (s.IssueRequest, _issue, {"priority": 5}),
    (s.IssueRequest, _issue, {"priority": "", "service": None}),
    (s.IssueRequest, _issue, {"priority": None, "service": ""}),
    (s.IssueRequest, _issue, {"service": 1}),
    (s.IssueRequest, _issue, {"service": ["ho_tich"]}),
    (s.IssueRequest, _issue, {}),
    (s.CallRequest, _call, {}),
    (s.CallRequest, _call, {"number": None}),
    (s.CallRequest, _call, {"number": 25}),
    (s.FinishRequest, _finish, {}),
    (s.FinishRequest, _finish, {"outcome": None}),
    (s.FinishRequest, _finish, {"outcome": "done"}),
    (s.FinishRequest, _finish, {"outcome": ["refused"]}),
    (s.TransferRequest, _transfer, {}),
    (s.TransferRequest, _transfer, {"service": None, "counter": None, "note": "x"}),
    (s.TransferRequest, _transfer, {"service": "ho_tich", "counter": 2}),
    (s.TransferRequest, _transfer, {"service": "ho_tich", "counter": 2, "note": 5}),
    (s.TransferRequest, _transfer, {"counter": 2, "note": 5}),
    (s.TransferRequest, _transfer, {"counter": 2, "note": ["x"]}),
    (s.TransferRequest, _transfer, {"service": "ho_tich", "note": LONG_NOTE}),
    (s.PauseRequest, _pause, {"reason": 5}),
    (s.PauseRequest, _pause, {"reason": None}),
]

PASSED: list[tuple[type[Schema], dict[str, Any]]] = [
    (s.IssueRequest, {"service": "ho_tich"}),
    (s.IssueRequest, {"service": "ho_tich", "priority": None, "extra": 1}),
    (s.IssueRequest, {"service": " ", "priority": "elderly"}),
    (s.CallRequest, {"number": ""}),  # its format is core.numbering's rule, with its message
    (s.FinishRequest, {"outcome": "guided_only"}),
    (s.TransferRequest, {"service": "ho_tich", "note": SPACED_NOTE}),
    (s.TransferRequest, {"counter": "2", "note": None}),
    (s.TransferRequest, {"counter": 2.5}),
    (s.OpenRequest, {"force": "yes"}),
    (s.PauseRequest, {}),
    (s.ReprintRequest, {"device": "x"}),  # lobby.printing answers this one
]


def _refusal(act: Callable[[], Any]) -> tuple[Any, ...]:
    with pytest.raises(InvalidRequest) as caught:
        act()
    e = caught.value
    return (type(e), e.status, e.code, e.message, e.details)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_schema_checks_answer_what_the_domain_answered(app: Any) -> None:
    with app.test_request_context("/api/v1/tickets", method="POST"):
        for schema, domain, body in REFUSED:
            theirs = _refusal(lambda: domain(body))  # noqa: B023  (called at once)
            mine = _refusal(lambda: s.check(schema, body))  # noqa: B023
            assert mine == theirs, (schema.__name__, body)


def test_schema_checks_pass_what_the_domain_checks_itself() -> None:
    for schema, body in PASSED:
        assert s.check(schema, body) is body, (schema.__name__, body)
