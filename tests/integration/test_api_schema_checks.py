"""The request checks api/schemas.py makes answer exactly what the domain answered for the same
body before they existed: the same message, `field` and details (so the same 422 to clients).
Each case runs both: the schema's check, and the lobby function that checks the same body.

The four bodies whose hand checks were replaced by their schemas (accepting a dossier, a dossier
event, a rating, the print agent's reports) no longer have a hand check to compare with: their
bad bodies go through the real routes and must get the answers captured on the code before the
move (tests/integration/route_refusals.py), which error wins included."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from marshmallow import Schema, fields

from api import dossiers as api_dossiers
from api import print_agent
from api import schemas as s
from core.errors import InvalidRequest
from lobby.dossiers import pins as dossier_pins
from lobby.dossiers import rules as dossier_rules
from lobby.queue import counter_actions, issuing
from tests.integration.route_refusals import CASES, World

Domain = Callable[[dict[str, Any]], Any]


def _issue(body: dict[str, Any]) -> Any:
    return issuing.issue_ticket(body.get("service"), body.get("priority"))


def _call(body: dict[str, Any]) -> Any:
    return counter_actions.call_number(1, body.get("number"), None)  # type: ignore[arg-type]


def _finish(body: dict[str, Any]) -> Any:
    return counter_actions.finish(1, body.get("outcome"), None)  # type: ignore[arg-type]


def _transfer(body: dict[str, Any]) -> Any:
    return counter_actions.transfer(1, body, None)  # type: ignore[arg-type]


def _pause(body: dict[str, Any]) -> Any:
    # What api/views.py checked itself before the schema did.
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise InvalidRequest("Lý do tạm nghỉ (reason) phải là chuỗi.", field="reason")


def _lookup(body: dict[str, Any]) -> Any:
    return dossier_pins.public_lookup(body.get("code"), body.get("pin"))


def _reissue_pin(body: dict[str, Any]) -> Any:
    return dossier_pins.reissue_pin("HS-1", body, None)  # type: ignore[arg-type]


Lookup, PinRequest = api_dossiers.LookupRequest, api_dossiers.PinRequest
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
    (Lookup, _lookup, {}),
    (Lookup, _lookup, {"code": "", "pin": ""}),
    (Lookup, _lookup, {"code": "HS-1", "pin": " \t"}),
    (Lookup, _lookup, {"code": " ", "pin": "123456"}),
    (Lookup, _lookup, {"code": 5, "pin": 123456}),
    (Lookup, _lookup, {"code": None, "pin": "123456"}),
    (PinRequest, _reissue_pin, {"identity_checked": "yes"}),
    (PinRequest, _reissue_pin, {"identity_checked": 1, "id_number": 5}),
    (PinRequest, _reissue_pin, {"id_number": 5}),
    (PinRequest, _reissue_pin, {"id_number": ["0"], "identity_checked": True}),
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
    (Lookup, {"code": "hs 1", "pin": " 12 34 56 "}),
    (PinRequest, {"identity_checked": None, "id_number": None, "print": "yes"}),
    (PinRequest, {}),  # "check the identity first" is the domain's rule
    (dossier_rules.AcceptRequest, {"procedure": " P ", "applicant": {"full_name": "An"}}),
    (
        dossier_rules.AcceptRequest,
        {
            "procedure": "P",
            "ticket_id": None,
            "applicant": {"full_name": "An", "id_number": " 079.123.456.789 ", "id_type": ""},
            "components": ["Tờ khai", {"name": "CCCD", "ban_photo": 2}],
            "channel": "buu_chinh",
            "sets_count": 50,
            "print": "yes",
        },
    ),
    (dossier_rules.Applicant, {"full_name": "An", "id_number": "c1234567", "id_type": "passport"}),
    (dossier_rules.EventRequest, {"action": "handover", "to_unit": "Phòng Tư pháp"}),
    (dossier_rules.EventRequest, {"action": "return", "note": None, "items": None}),
    (api_dossiers.RatingRequest, {"level": "hai_long", "comment": None}),
    (api_dossiers.TabletRatingRequest, {"level": "hai_long", "number": 5}),  # 409: the domain's
    (print_agent.DoneRequest, {"state": None}),
    (print_agent.FailedRequest, {"error": None, "state": "paper_out"}),
    (print_agent.StatusRequest, {"state": "unknown", "pending_jobs": 0}),
]
CHECKED = sorted({schema for schema, _ in PASSED}, key=lambda c: c.__name__)


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


def test_every_checked_field_answers_in_the_domains_words() -> None:
    """A field a route checks either takes anything (Raw: the domain checks it) or carries
    its own messages: marshmallow's English defaults must never reach a client."""
    for schema in CHECKED:
        _in_the_domains_words(schema(), schema.__name__)


def _in_the_domains_words(schema: Schema, name: str) -> None:
    for key, field in schema.declared_fields.items():
        where = (name, key)
        for rule in field.validators:
            assert isinstance(rule, s.Predicate | s.Rule) or "{" not in str(rule.error), where
        if type(field) is fields.Raw:
            continue
        if isinstance(field, fields.Nested):  # an object: its own type message, its fields
            nested = field.schema
            assert nested.error_messages["type"] != Schema._default_error_messages["type"], where
            _in_the_domains_words(nested, f"{name}.{key}")
            asked = [] if field.allow_none else ["null"]
        else:
            asked = ["invalid"] + ([] if field.allow_none else ["null"])
        defaults = {**fields.Field.default_error_messages, **type(field).default_error_messages}
        asked += ["required"] if field.required else []
        for kind in asked:
            assert field.error_messages[kind] != defaults[kind], (*where, kind)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_routes_checked_by_their_schemas_answer_as_before(app: Any, printing: Any) -> None:
    world = World(app)
    for who, path, body, status, answer in CASES:
        assert world.send(who, path, body) == (status, answer), (who, path, body)
