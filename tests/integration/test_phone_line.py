"""line_changed: one message per field, from which each waiting phone works out its own place.

Each phone here is a Socket.IO test client kept as phone/static/phone.js keeps its view: the
snapshot, its own ticket_updated, and its place found in its field's line_changed. After each
step every phone's place must be the server's (GET /api/v1/tickets/<token>)."""

from __future__ import annotations

import json
import time
from typing import Any

from lobby.extensions import socketio
from tests.integration.helpers import Staff, issue, place_in_line


class Phone:
    """The phone page's view of one ticket, updated from its events as phone.js does."""

    def __init__(self, app: Any, token: str) -> None:
        self.token = token
        self.client = socketio.test_client(app, auth={"ticket": token})
        self.view: dict[str, Any] = {}
        self.lines: list[dict[str, Any]] = []
        self.version = 0
        self.read()

    def read(self) -> None:
        for message in self.client.get_received():
            name, payload = message["name"], message["args"][0]
            if name in ("snapshot", "ticket_updated"):
                self.view.update(payload)
                if name == "ticket_updated" and payload.get("service"):
                    # phone.js follows its (new) field's line.
                    self.client.emit("join", {"room": f"line:{payload['service']}"})
            elif name == "line_changed":
                self.lines.append(payload)
                self._apply_line(payload)

    def _apply_line(self, line: dict[str, Any]) -> None:
        v = self.view
        if line["service"] != v["service"] or v["status"] != "waiting" or v.get("next_counter"):
            return
        ahead = place_in_line(line, v["line_key"])
        if ahead is None or line["version"] < self.version:
            return
        self.version = line["version"]
        v["ahead"] = ahead


def _server_ahead(client: Any, token: str) -> int:
    view = client.get(f"/api/v1/tickets/{token}").get_json()
    return int(view["ahead"]) if view["status"] == "waiting" else -1


def _agree(client: Any, phones: list[Phone]) -> None:
    """Wait (the lines go out in the background after the commit) until each waiting phone shows
    the place the server gives it; fail with both if they never agree."""
    deadline = time.monotonic() + 5
    while True:
        for p in phones:
            p.read()
        want = {p.token: _server_ahead(client, p.token) for p in phones}
        have = {p.token: p.view["ahead"] for p in phones if want[p.token] >= 0}
        if have == {t: a for t, a in want.items() if a >= 0}:
            return
        assert time.monotonic() < deadline, f"phones {have} != server {want}"
        time.sleep(0.02)


def test_each_phone_works_out_its_place_from_its_fields_line(app: Any) -> None:
    client = app.test_client()
    tickets = [issue(client, app) for _ in range(3)]  # A001-A003
    tickets.append(issue(client, app, priority="elderly"))  # A004, priority
    tickets.append(issue(client, app))  # A005
    tickets.append(issue(client, app, priority="disabled"))  # A006, priority: one stays waiting
    phones = [Phone(app, t["token"]) for t in tickets]
    _agree(client, phones)
    officer = Staff(app, "canbo1")
    officer.open_counter(1)

    # A call: the priority ticket is called first (or A001); everyone else moves up.
    called = officer.call_next(1).get_json()["ticket"]
    _agree(client, phones)
    assert phones[4].lines, "the line went out"

    # A leave from the phone page: those behind it move up.
    assert client.post(f"/api/v1/tickets/{tickets[1]['token']}/leave").status_code == 200
    _agree(client, phones)

    # A delay: the ticket goes back a few places, those it lets pass move up.
    assert client.post(f"/api/v1/tickets/{tickets[2]['token']}/delay").status_code == 200
    _agree(client, phones)

    # The called ticket transferred to another field: its phone follows that field's line.
    tid = called["id"]
    officer.post(f"/api/v1/tickets/{tid}/start")
    assert (
        officer.post(f"/api/v1/tickets/{tid}/transfer", {"service": "dat_dai"}).status_code == 200
    )
    _agree(client, phones)
    moved = phones[[t["id"] for t in tickets].index(tid)]
    assert moved.view["service"] == "dat_dai"
    two = Staff(app, "canbo2")
    two.open_counter(2)
    before = len(moved.lines)
    issue(client, app, "dat_dai")
    two.call_next(2)  # calls the transferred ticket or someone before it: the line moves
    _agree(client, phones)
    assert len(moved.lines) > before or moved.view["status"] != "waiting"
    for p in phones:
        p.client.disconnect()


def test_the_line_names_no_ticket_and_no_person(app: Any, published: Any) -> None:
    client = app.test_client()
    tickets = [issue(client, app) for _ in range(3)]
    phone = Phone(app, tickets[2]["token"])
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    officer.call_next(1)
    _agree(client, [phone])
    line, rooms = published.named("line_changed")[-1]
    assert rooms == ["line:ho_tich"]
    text = json.dumps(line)
    for t in tickets:
        assert t["token"] not in text and t["number"] not in text
    assert set(line) == {"service", "version", "line", "priority", "counters", "service_seconds"}
    # The key is its own phone's alone: another phone cannot join a ticket's room with it.
    key = phone.view["line_key"]
    assert key in line["line"]
    other = socketio.test_client(app, auth={"ticket": key})
    assert not other.is_connected()
    phone.client.disconnect()
