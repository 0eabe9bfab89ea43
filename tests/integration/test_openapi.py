"""The OpenAPI document describes every /api/v1 route, and real answers match it."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest

from api import apidoc
from tests.integration.helpers import Staff, issue, kiosk_headers


def _doc(app: Any) -> dict[str, Any]:
    return app.test_client().get("/api/v1/openapi.json").get_json()  # type: ignore[no-any-return]


def _template(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_api_route_is_documented_with_its_methods(app: Any) -> None:
    doc = _doc(app)
    jsonschema.Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = _template(rule.rule)
        assert path in doc["paths"], f"{path} is not in openapi.json"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], f"{method} {path} is not documented"
    documented = {p for p in doc["paths"] if p.startswith("/api/v1")}
    served = {_template(r.rule) for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")}
    assert documented == served


class Checker:
    """Validates each response against the document's schema for its path, method and status."""

    def __init__(self, app: Any) -> None:
        self.doc = _doc(app)
        self.seen: set[tuple[str, str, int]] = set()

    def check(self, method: str, path: str, response: Any) -> Any:
        op = self.doc["paths"][path][method]
        status = str(response.status_code)
        assert status in op["responses"], f"{method} {path} answered undocumented {status}"
        content = op["responses"][status].get("content")
        body = response.get_json()
        if content:
            schema = {**content["application/json"]["schema"], "components": self.doc["components"]}
            jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)
        self.seen.add((method, path, response.status_code))
        return body


def test_real_answers_match_the_documented_schemas(app: Any) -> None:
    c = Checker(app)
    client = app.test_client()
    c.check("get", "/api/v1/services", client.get("/api/v1/services"))
    c.check("get", "/api/v1/counters", client.get("/api/v1/counters"))
    c.check("get", "/api/v1/procedures", client.get("/api/v1/procedures"))
    c.check("get", "/healthz", client.get("/healthz"))
    t = c.check(
        "post",
        "/api/v1/tickets",
        client.post(
            "/api/v1/tickets",
            json={"service": "ho_tich", "priority": None},
            headers=kiosk_headers(app),
        ),
    )
    c.check(
        "post",
        "/api/v1/tickets",
        client.post("/api/v1/tickets", json={"service": 1}, headers=kiosk_headers(app)),
    )
    c.check("get", "/api/v1/tickets/{token}", client.get(f"/api/v1/tickets/{t['token']}"))
    c.check("get", "/api/v1/tickets/{token}", client.get("/api/v1/tickets/zzz"))
    officer = Staff(app, "canbo1")
    c.check("post", "/api/v1/counters/{n}/open", officer.post("/api/v1/counters/1/open"))
    c.check("get", "/api/v1/counters/{n}/queue", officer.get("/api/v1/counters/1/queue"))
    tid = c.check("post", "/api/v1/counters/{n}/call-next", officer.call_next(1))["ticket"]["id"]
    c.check("post", "/api/v1/counters/{n}/call-next", officer.call_next(1))
    c.check("get", "/api/v1/board", client.get("/api/v1/board"))
    c.check(
        "post", "/api/v1/tickets/{ticket_id}/recall", officer.post(f"/api/v1/tickets/{tid}/recall")
    )
    c.check(
        "post",
        "/api/v1/tickets/{ticket_id}/no-show",
        officer.post(f"/api/v1/tickets/{tid}/no-show"),
    )
    c.check(
        "post",
        "/api/v1/tickets/{ticket_id}/requeue",
        officer.post(f"/api/v1/tickets/{tid}/requeue"),
    )
    c.check(
        "post",
        "/api/v1/counters/{n}/call",
        officer.post("/api/v1/counters/1/call", {"number": "A001"}),
    )
    c.check(
        "post", "/api/v1/tickets/{ticket_id}/start", officer.post(f"/api/v1/tickets/{tid}/start")
    )
    c.check(
        "post",
        "/api/v1/tickets/{ticket_id}/transfer",
        officer.post(f"/api/v1/tickets/{tid}/transfer", {"counter": 2}),
    )  # counter 2 is closed: 409, and the ticket stays at counter 1
    Staff(app, "canbo2").open_counter(2)
    c.check(
        "post",
        "/api/v1/tickets/{ticket_id}/transfer",
        officer.post(f"/api/v1/tickets/{tid}/transfer", {"counter": 2, "note": "Đất đai"}),
    )
    issue(client, app)
    tid2 = officer.call_next(1).get_json()["ticket"]["id"]
    officer.post(f"/api/v1/tickets/{tid2}/start")
    c.check(
        "post",
        "/api/v1/tickets/{ticket_id}/finish",
        officer.post(f"/api/v1/tickets/{tid2}/finish", {"outcome": "guided_only"}),
    )
    c.check(
        "post",
        "/api/v1/tickets/{ticket_id}/finish",
        officer.post(f"/api/v1/tickets/{tid2}/finish", {"outcome": "guided_only"}),
    )
    c.check(
        "post",
        "/api/v1/counters/{n}/pause",
        officer.post("/api/v1/counters/1/pause", {"reason": "x"}),
    )
    c.check("post", "/api/v1/counters/{n}/resume", officer.post("/api/v1/counters/1/resume"))
    c.check("post", "/api/v1/counters/{n}/close", officer.post("/api/v1/counters/1/close"))
    c.check("post", "/api/v1/counters/{n}/call-next", client.post("/api/v1/counters/1/call-next"))
    assert len(c.seen) >= 25


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_document_refuses_the_bodies_the_api_refuses(app: Any) -> None:
    """Schema gaps a fuzzer found: empty strings the schema allowed but the API refuses, a
    finish without its outcome, a transfer to both a field and a counter, an empty import."""
    doc = _doc(app)

    def documented_valid(path: str, body: Any) -> bool:
        request_body = doc["paths"][path]["post"].get("requestBody")
        if body is None:
            return not (request_body or {}).get("required")
        schema = {
            **request_body["content"]["application/json"]["schema"],
            "components": doc["components"],
        }
        return jsonschema.Draft202012Validator(schema).is_valid(body)

    client = app.test_client()
    ticket = issue(client, app)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    called = officer.call_next(1).get_json()["ticket"]
    tid = called["id"]
    cases: list[tuple[str, str, Any, Any]] = [
        ("/api/v1/tickets", "/api/v1/tickets", {"service": ""}, None),
        ("/api/v1/counters/{n}/call", "/api/v1/counters/1/call", {"number": ""}, officer),
        ("/api/v1/dossiers/lookup", "/api/v1/dossiers/lookup", {"code": "", "pin": ""}, None),
        (
            "/api/v1/dossiers",
            "/api/v1/dossiers",
            {"procedure": "", "applicant": {"full_name": ""}},
            officer,
        ),
        (
            "/api/v1/tickets/{ticket_id}/transfer",
            f"/api/v1/tickets/{tid}/transfer",
            {"service": "chung_thuc", "counter": 2},
            officer,
        ),
        ("/api/v1/tickets/{ticket_id}/transfer", f"/api/v1/tickets/{tid}/transfer", {}, officer),
        ("/api/v1/tickets/{ticket_id}/finish", f"/api/v1/tickets/{tid}/finish", None, officer),
    ]
    for template, path, body, who in cases:
        if who is None:
            r = client.post(path, json=body, headers=kiosk_headers(app))
        elif body is None:
            r = who.client.post(path, headers={"X-CSRF-Token": who.csrf})
        else:
            r = who.post(path, json=body)
        assert r.status_code == 422, (path, body, r.get_json())
        assert not documented_valid(template, body), f"{template} documents {body!r} as valid"
    # The ticket is still the counter's, unfinished and untransferred.
    queue = officer.get("/api/v1/counters/1/queue").get_json()
    assert queue["current"]["number"] == ticket["number"]
    # An import with nothing in it is refused, as the document says.
    admin = Staff(app, "admin")
    importing = doc["paths"]["/api/v1/dossiers/import"]["post"]["requestBody"]
    assert importing["required"]
    for kind in ("application/x-ndjson", "text/csv"):
        assert importing["content"][kind]["schema"]["minLength"] == 1
        r = admin.client.post(
            "/api/v1/dossiers/import",
            data="\n",
            content_type=kind,
            headers={"X-CSRF-Token": admin.csrf},
        )
        assert r.status_code == 422 and r.get_json()["error"] == "invalid_request"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_docs_api_md_names_every_route_and_is_up_to_date(app: Any) -> None:
    """docs/api.md is written from the same schemas (python -m api.apidoc): a route added
    without rerunning it, or a hand edit of the generated part, fails here."""
    text = apidoc.DOC.read_text(encoding="utf-8")
    assert text == apidoc.rewritten(text), "run: .venv/bin/python -m api.apidoc"
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert f"### `{method} {_template(rule.rule)}`" in text, (method, rule.rule)
