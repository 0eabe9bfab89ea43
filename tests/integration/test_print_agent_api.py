"""The print agent's side of the server: agent:// kiosks, their jobs over HTTP, the wake-up room.

Also the agent itself (printers.agent.PrintAgent) driven in-process against the test client and
a loopback printer: order, exactly once, retries, and a server that stops answering mid-round.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
import zxingcpp
from sqlalchemy import select

from core.clock import FixedClock
from lobby.extensions import socketio
from printers import backends
from printers.agent import PrintAgent, ServerApi, ServerRefused, ServerUnavailable
from printers.backends import PrinterConfigError
from tests.integration.helpers import Staff, device_token
from tests.integration.test_openapi import Checker
from tests.printer_loopback import LoopbackPrinter, cut_follows_raster, parse_raster, stitch

pytestmark = pytest.mark.usefixtures("fresh_memory_printers")


def add_kiosk(app: Any, name: str, printer: str | None) -> dict[str, Any]:
    """A new kiosk through the CLI; returns {"token", "id"}."""
    args = ["devices", "create", "kiosk", name, "--json"]
    if printer is not None:
        args += ["--printer", printer]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    token = json.loads(result.output.strip().splitlines()[-1])["token"]
    from lobby.extensions import db
    from lobby.models import Device

    with app.app_context():
        device_id = db.session.scalar(select(Device.id).where(Device.name == name))
    return {"token": token, "id": int(device_id)}


@pytest.fixture
def agent_kiosk(app: Any, printing: Any) -> dict[str, Any]:
    return add_kiosk(app, "Kiosk tầng 2", "agent://?width=384")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue_on(app: Any, token: str, service: str = "ho_tich") -> dict[str, Any]:
    r = app.test_client().post(
        "/api/v1/tickets",
        json={"service": service},
        headers={**bearer(token), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()  # type: ignore[no-any-return]


def pull(app: Any, token: str, limit: int | None = None) -> Any:
    path = "/api/v1/print-jobs" + (f"?limit={limit}" if limit is not None else "")
    return app.test_client().get(path, headers=bearer(token))


def jobs_of(app: Any) -> list[Any]:
    from lobby.extensions import db
    from lobby.models import PrintJob

    with app.app_context():
        rows = db.session.scalars(select(PrintJob).order_by(PrintJob.id)).all()
        db.session.expunge_all()
        return list(rows)


def qr_text(data: bytes) -> str:
    found = zxingcpp.read_barcodes(stitch(parse_raster(data)).convert("L"))
    assert len(found) == 1
    return str(found[0].text)


# --- the agent:// printer URL --------------------------------------------------------------------


def test_agent_urls_take_a_width_and_nothing_that_names_a_printer() -> None:
    assert backends.validate_printer_url(" agent:// ") == "agent://"
    assert backends.width_dots("agent://?width=384") == 384
    assert backends.width_dots("agent://") == 576
    assert backends.is_agent_url("agent://?width=384")
    assert not backends.is_agent_url("network://10.0.0.5")
    assert backends.read_status("agent://") == "unknown"
    for bad, why in [
        ("agent://10.0.0.5", "takes no address"),
        ("agent:///dev/usb/lp0", "takes no address"),
        ("agent://?baudrate=9600", "unknown option baudrate"),
        ("agent://?width=300", "width=300"),
    ]:
        with pytest.raises(PrinterConfigError, match=why):
            backends.validate_printer_url(bad)
    with pytest.raises(PrinterConfigError, match="print agent"):
        backends.send("agent://", b"x")


def test_devices_create_accepts_agent_urls_and_refuses_an_address(app: Any) -> None:
    kiosk = add_kiosk(app, "Kiosk 3", "agent://?width=384")
    assert kiosk["token"]
    bad = app.test_cli_runner().invoke(
        args=["devices", "create", "kiosk", "Kiosk 4", "--printer", "agent://kiosk-pc"]
    )
    assert bad.exit_code != 0 and "takes no address" in bad.output


# --- jobs wait in the database; the agent is woken, no server worker runs -----------------------


def test_tickets_on_an_agent_kiosk_wait_in_the_database_with_no_server_worker(
    app: Any, printing: Any, agent_kiosk: dict[str, Any], published: Any
) -> None:
    printing.threads = True  # as in production: a server printer would get a worker thread now
    tickets = [issue_on(app, agent_kiosk["token"]) for _ in range(2)]

    assert [t["print"] for t in tickets] == [{"status": "queued"}] * 2
    assert printing._workers == {}
    jobs = jobs_of(app)
    assert [(j.status, j.device_id, j.printer_key) for j in jobs] == [
        ("pending", agent_kiosk["id"], f"agent://{agent_kiosk['id']}")
    ] * 2
    wakes = published.named("print_jobs")
    assert [(p, r) for p, r in wakes] == [
        ({"pending": 1}, [f"agent:{agent_kiosk['id']}"]),
        ({"pending": 2}, [f"agent:{agent_kiosk['id']}"]),
    ]
    # A server restart leaves them to the agent too.
    key = f"agent://{agent_kiosk['id']}"
    assert printing.resume() == ["memory://kiosk-1"]  # the demo kiosk, printed by the server
    assert list(printing._workers) == ["memory://kiosk-1"]
    state = printing.run_pending(key)
    assert state.pending == 2 and key not in printing._workers


def test_a_kiosk_printing_on_the_server_is_unaffected(app: Any, printing: Any) -> None:
    t = issue_on(app, device_token(app, "kiosk"))
    [job] = jobs_of(app)
    assert job.printer_key == "memory://kiosk-1"
    printing.run_pending("memory://kiosk-1")
    assert qr_text(backends.memory_output("kiosk-1")) == t["url"]


# --- pulling jobs ----------------------------------------------------------------------------------


def test_the_agent_gets_only_its_kiosks_jobs_oldest_first_drawn_at_its_width(
    app: Any, printing: Any, agent_kiosk: dict[str, Any]
) -> None:
    other = add_kiosk(app, "Kiosk tầng 3", "agent://")
    mine = [issue_on(app, agent_kiosk["token"], s) for s in ("ho_tich", "chung_thuc", "ho_tich")]
    theirs = issue_on(app, other["token"])
    issue_on(app, device_token(app, "kiosk"))  # printed by the server: never handed out
    checker = Checker(app)

    body = checker.check("get", "/api/v1/print-jobs", pull(app, agent_kiosk["token"]))

    assert body["more"] is False
    assert [j["kind"] for j in body["jobs"]] == ["ticket"] * 3
    ids = [j["id"] for j in body["jobs"]]
    assert ids == sorted(ids)
    payloads = [base64.b64decode(j["payload"]) for j in body["jobs"]]
    assert [qr_text(p) for p in payloads] == [t["url"] for t in mine]
    assert all(cut_follows_raster(p) for p in payloads)
    assert {stitch(parse_raster(p)).width for p in payloads} == {384}
    assert [j["width"] for j in body["jobs"]] == [384] * 3
    # The drawn bytes are kept: the next pull hands out the same bytes.
    again = pull(app, agent_kiosk["token"]).get_json()
    assert [base64.b64decode(j["payload"]) for j in again["jobs"]] == payloads

    [job] = pull(app, other["token"]).get_json()["jobs"]
    assert qr_text(base64.b64decode(job["payload"])) == theirs["url"]
    assert base64.b64decode(job["payload"]).count(b"\x1dv0") >= 1
    assert stitch(parse_raster(base64.b64decode(job["payload"]))).width == 576


def test_a_pull_is_limited_and_says_more_wait(
    app: Any, printing: Any, agent_kiosk: dict[str, Any]
) -> None:
    tickets = [issue_on(app, agent_kiosk["token"]) for _ in range(3)]
    checker = Checker(app)
    first = checker.check("get", "/api/v1/print-jobs", pull(app, agent_kiosk["token"], 2))
    assert len(first["jobs"]) == 2 and first["more"] is True
    assert [qr_text(base64.b64decode(j["payload"])) for j in first["jobs"]] == [
        t["url"] for t in tickets[:2]
    ]
    for limit in (0, 51, "x"):
        r = pull(app, agent_kiosk["token"], limit)  # type: ignore[arg-type]
        assert checker.check("get", "/api/v1/print-jobs", r)["error"] == "invalid_request"


def test_only_a_kiosk_whose_printer_is_agent_may_pull(
    app: Any, printing: Any, agent_kiosk: dict[str, Any]
) -> None:
    issue_on(app, agent_kiosk["token"])
    checker = Checker(app)
    path = "/api/v1/print-jobs"
    client = app.test_client()

    assert checker.check("get", path, client.get(path))["error"] == "unauthorized"
    wrong = client.get(path, headers=bearer("dev_not-a-real-token"))
    assert checker.check("get", path, wrong)["error"] == "unauthorized"
    board = client.get(path, headers=bearer(device_token(app, "board")))
    assert board.status_code == 403 and checker.check("get", path, board)["error"] == "forbidden"
    server_kiosk = client.get(path, headers=bearer(device_token(app, "kiosk")))
    assert server_kiosk.status_code == 409
    assert checker.check("get", path, server_kiosk)["error"] == "not_agent_printer"
    staff = Staff(app, "admin").get(path)
    assert staff.status_code == 401
    no_printer = add_kiosk(app, "Kiosk không máy in", None)
    assert pull(app, no_printer["token"]).status_code == 409
    # The server's own kiosk cannot mark or fail agent jobs either.
    [job] = jobs_of(app)
    r = client.post(f"/api/v1/print-jobs/{job.id}/done", headers=bearer(device_token(app, "kiosk")))
    assert r.status_code == 409
    assert jobs_of(app)[0].status == "pending"


def test_jobs_older_than_the_limit_are_given_up_at_the_pull(
    app: Any, printing: Any, agent_kiosk: dict[str, Any], clock: FixedClock
) -> None:
    issue_on(app, agent_kiosk["token"])
    clock.advance(minutes=61)
    fresh = issue_on(app, agent_kiosk["token"])

    [job] = pull(app, agent_kiosk["token"]).get_json()["jobs"]

    assert qr_text(base64.b64decode(job["payload"])) == fresh["url"]
    old, new = jobs_of(app)
    assert (old.status, new.status) == ("failed", "pending")
    assert old.last_error.startswith("expired")


# --- done, failed, status -------------------------------------------------------------------------


def test_done_marks_the_job_printed_once_and_tells_staff_and_the_kiosk(
    app: Any, printing: Any, agent_kiosk: dict[str, Any], published: Any, clock: FixedClock
) -> None:
    other = add_kiosk(app, "Kiosk tầng 3", "agent://")
    issue_on(app, agent_kiosk["token"])
    issue_on(app, agent_kiosk["token"])
    theirs = issue_on(app, other["token"])
    first, second = pull(app, agent_kiosk["token"]).get_json()["jobs"]
    client = app.test_client()
    checker = Checker(app)
    path = "/api/v1/print-jobs/{job_id}/done"
    headers = bearer(agent_kiosk["token"])

    done = client.post(f"/api/v1/print-jobs/{first['id']}/done", json={}, headers=headers)
    assert checker.check("post", path, done) == {
        "job": {"id": first["id"], "status": "printed", "attempts": 0}
    }
    payload, rooms = published.named("printer_status")[-1]
    assert payload == {"printer": "Kiosk tầng 2", "state": "ok", "pending_jobs": 1}
    assert set(rooms) == {"staff", f"kiosk:{agent_kiosk['id']}"}
    printed_at = jobs_of(app)[0].printed_at
    assert printed_at is not None
    # On paper: the slip's bytes are not kept, the job waiting behind it keeps its own.
    assert [j.payload is None for j in jobs_of(app)[:2]] == [True, False]

    # Saying it twice changes nothing; the job is not handed out again.
    clock.advance(minutes=1)
    again = client.post(f"/api/v1/print-jobs/{first['id']}/done", headers=headers)
    assert again.status_code == 200 and jobs_of(app)[0].printed_at == printed_at
    assert [j["id"] for j in pull(app, agent_kiosk["token"]).get_json()["jobs"]] == [second["id"]]

    low = client.post(
        f"/api/v1/print-jobs/{second['id']}/done", json={"state": "paper_low"}, headers=headers
    )
    assert low.status_code == 200
    assert published.named("printer_status")[-1][0] == {
        "printer": "Kiosk tầng 2",
        "state": "paper_low",
        "pending_jobs": 0,
    }
    # Another kiosk's job, an unknown job, a bad state.
    theirs_id = jobs_of(app)[2].id
    assert jobs_of(app)[2].ticket_id == theirs["id"]
    foreign = client.post(f"/api/v1/print-jobs/{theirs_id}/done", headers=headers)
    assert checker.check("post", path, foreign)["error"] == "not_found"
    assert jobs_of(app)[2].status == "pending"
    missing = client.post("/api/v1/print-jobs/999999/done", headers=headers)
    assert checker.check("post", path, missing)["error"] == "not_found"
    bad = client.post(
        f"/api/v1/print-jobs/{second['id']}/done", json={"state": "jammed"}, headers=headers
    )
    assert checker.check("post", path, bad)["error"] == "invalid_request"


def test_failed_counts_the_try_and_keeps_the_job_first_in_line(
    app: Any, printing: Any, agent_kiosk: dict[str, Any], published: Any
) -> None:
    issue_on(app, agent_kiosk["token"])
    issue_on(app, agent_kiosk["token"])
    first, _ = pull(app, agent_kiosk["token"]).get_json()["jobs"]
    client = app.test_client()
    checker = Checker(app)
    path = "/api/v1/print-jobs/{job_id}/failed"
    url = f"/api/v1/print-jobs/{first['id']}/failed"
    headers = bearer(agent_kiosk["token"])

    r = client.post(url, json={"error": "network://10.0.0.9:9100 is unreachable"}, headers=headers)
    assert checker.check("post", path, r) == {
        "job": {"id": first["id"], "status": "pending", "attempts": 1}
    }
    assert published.named("printer_status") == []  # no state given: nothing to publish
    r = client.post(url, json={"error": "paper out", "state": "paper_out"}, headers=headers)
    assert r.get_json()["job"]["attempts"] == 2
    assert published.named("printer_status")[-1][0] == {
        "printer": "Kiosk tầng 2",
        "state": "paper_out",
        "pending_jobs": 2,
    }

    stored = jobs_of(app)[0]
    assert (stored.status, stored.attempts, stored.last_error) == ("pending", 2, "agent: paper out")
    jobs = pull(app, agent_kiosk["token"]).get_json()["jobs"]
    assert jobs[0]["id"] == first["id"] and jobs[0]["attempts"] == 2
    # A failure reported after the job printed does not undo it.
    client.post(f"/api/v1/print-jobs/{first['id']}/done", headers=headers)
    r = client.post(url, json={"error": "late"}, headers=headers)
    assert r.get_json()["job"] == {"id": first["id"], "status": "printed", "attempts": 2}
    bad = client.post(url, json={"error": 5}, headers=headers)
    assert checker.check("post", path, bad)["error"] == "invalid_request"


def test_printer_status_is_published_with_the_servers_count_of_waiting_jobs(
    app: Any, printing: Any, agent_kiosk: dict[str, Any], published: Any
) -> None:
    issue_on(app, agent_kiosk["token"])
    client = app.test_client()
    checker = Checker(app)
    path = "/api/v1/printer-status"
    headers = bearer(agent_kiosk["token"])

    r = client.post(path, json={"state": "offline", "pending_jobs": 0}, headers=headers)
    answer = checker.check("post", path, r)

    assert answer == {"printer": "Kiosk tầng 2", "state": "offline", "pending_jobs": 1}
    payload, rooms = published.named("printer_status")[-1]
    assert payload == answer
    assert set(rooms) == {"staff", f"kiosk:{agent_kiosk['id']}"}
    assert {
        "printer": f"agent://{agent_kiosk['id']}",
        "devices": ["Kiosk tầng 2"],
        "state": "offline",
        "pending_jobs": 1,
    } in printing.printer_states()
    for body in ({}, {"state": "on fire"}, {"state": "ok", "pending_jobs": -1}):
        r = client.post(path, json=body, headers=headers)
        assert checker.check("post", path, r)["error"] == "invalid_request"
    board = client.post(path, json={"state": "ok"}, headers=bearer(device_token(app, "board")))
    assert checker.check("post", path, board)["error"] == "forbidden"


def test_a_dossier_receipt_for_an_agent_kiosk_waits_for_its_agent(
    app: Any, printing: Any, published: Any
) -> None:
    from lobby.extensions import db
    from lobby.models import Device

    with app.app_context():
        kiosk = db.session.scalar(select(Device).where(Device.kind == "kiosk"))
        kiosk.printer_url = "agent://"
        kiosk.settings = {**(kiosk.settings or {}), "counter": 1}  # the printer at counter 1
        db.session.commit()
        kiosk_id = kiosk.id
    officer = Staff(app, "canbo1")
    r = officer.post(
        "/api/v1/dossiers",
        {
            "procedure": "HT-XNTTHN",
            "applicant": {"full_name": "Nguyễn Văn An", "id_number": "079123456789"},
            "print": True,
        },
    )
    assert r.status_code == 201, r.get_json()
    accepted = r.get_json()
    assert printing._workers == {}
    assert published.named("print_jobs")[-1] == ({"pending": 1}, [f"agent:{kiosk_id}"])
    [job] = pull(app, device_token(app, "kiosk")).get_json()["jobs"]
    assert job["kind"] == "receipt"
    assert qr_text(base64.b64decode(job["payload"])) == accepted["url"]


# --- the Socket.IO room --------------------------------------------------------------------------


def _events(client: Any, name: str) -> list[Any]:
    return [e["args"][0] for e in client.get_received() if e["name"] == name]


def test_the_agent_joins_its_own_room_and_is_woken_by_new_jobs(
    app: Any, printing: Any, agent_kiosk: dict[str, Any]
) -> None:
    other = add_kiosk(app, "Kiosk tầng 3", "agent://")
    issue_on(app, agent_kiosk["token"])
    agent = socketio.test_client(app, auth={"device_token": agent_kiosk["token"], "agent": True})
    other_agent = socketio.test_client(app, auth={"device_token": other["token"], "agent": True})
    screen = socketio.test_client(app, auth={"device_token": agent_kiosk["token"]})
    assert agent.is_connected() and screen.is_connected()

    received = agent.get_received()
    assert [(e["name"], e["args"][0]) for e in received] == [("print_jobs", {"pending": 1})]
    other_agent.get_received()
    assert _events(screen, "snapshot")  # the kiosk's screen still gets its snapshot

    issue_on(app, agent_kiosk["token"])

    assert _events(agent, "print_jobs") == [{"pending": 2}]
    assert _events(other_agent, "print_jobs") == []
    assert _events(screen, "print_jobs") == []
    # Only the agent room: no queue events for a process that only prints.
    issue_on(app, device_token(app, "kiosk"))
    assert agent.get_received() == []
    # A kiosk page cannot join the agent room by asking.
    assert screen.emit("join", {"room": f"agent:{agent_kiosk['id']}"}, callback=True) == {
        "ok": False,
        "error": "forbidden",
    }


def test_an_agent_connection_needs_an_agent_kiosk(app: Any, printing: Any) -> None:
    board = socketio.test_client(
        app, auth={"device_token": device_token(app, "board"), "agent": True}
    )
    assert not board.is_connected()
    server_kiosk = socketio.test_client(
        app, auth={"device_token": device_token(app, "kiosk"), "agent": True}
    )
    assert not server_kiosk.is_connected()


# --- the agent itself, in-process ------------------------------------------------------------------


class ClientApi(ServerApi):
    """ServerApi over the Flask test client; `down` makes the server unreachable."""

    def __init__(self, app: Any, token: str) -> None:
        super().__init__("http://lobby.test", token)
        self.client = app.test_client()
        self.down = False
        self.down_after_send = False  # the next /done is lost on the way back
        self.calls: list[str] = []

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        if self.down_after_send and path.endswith("/done"):
            self.down_after_send = False
            self.down = True
        if self.down:
            raise ServerUnavailable("connection refused")
        self.calls.append(f"{method} {path.split('?')[0]}")
        r = self.client.open(
            "/api/v1" + path, method=method, json=body, headers=bearer(self._token)
        )
        if r.status_code >= 400:
            info = r.get_json() or {}
            raise ServerRefused(r.status_code, info.get("error", ""), info.get("message", ""))
        return r.get_json()


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_agent(api: ClientApi, url: str, ticks: Ticks) -> PrintAgent:
    return PrintAgent(api, url, clock=ticks, backoff_cap=30.0, batch=2)


def test_the_agent_prints_each_job_once_in_order_across_printer_and_server_outages(
    app: Any, printing: Any, agent_kiosk: dict[str, Any], published: Any
) -> None:
    api = ClientApi(app, agent_kiosk["token"])
    ticks = Ticks()
    with LoopbackPrinter() as printer:
        agent = make_agent(api, printer.url, ticks)
        tickets = [issue_on(app, agent_kiosk["token"]) for _ in range(3)]

        assert agent.run_once() == agent.poll_interval

        received = printer.wait_for_jobs(3)
        assert [qr_text(j) for j in received] == [t["url"] for t in tickets]
        assert [j.status for j in jobs_of(app)] == ["printed"] * 3
        assert published.named("printer_status")[-1][0]["pending_jobs"] == 0

        # The printer goes away: the job stays on the server, tried again after a back-off.
        printer.stop()
        late = [issue_on(app, agent_kiosk["token"]) for _ in range(2)]
        assert agent.run_once() == 1.0
        stored = jobs_of(app)
        assert [j.status for j in stored[3:]] == ["pending", "pending"]
        assert stored[3].attempts == 1 and stored[4].attempts == 0
        status = published.named("printer_status")[-1][0]
        assert (status["state"], status["pending_jobs"]) == ("offline", 2)
        assert agent.run_once() == 1.0  # still backing off: nothing tried
        assert jobs_of(app)[3].attempts == 1

        # It comes back; the first /done is lost on the way: the server still lists the job.
        printer.start()
        ticks.now += 1.0
        api.down_after_send = True
        agent.run_once()
        assert len(printer.wait_for_jobs(4)) == 4
        assert jobs_of(app)[3].status == "pending"  # the server never heard
        api.down = False
        ticks.now += 60
        agent.run_once()

        received = printer.wait_for_jobs(5)
        assert [qr_text(j) for j in received] == [t["url"] for t in [*tickets, *late]]
        assert len(printer.jobs()) == 5  # the unacknowledged job was not sent again
        assert [j.status for j in jobs_of(app)] == ["printed"] * 5
        assert published.named("printer_status")[-1][0] == {
            "printer": "Kiosk tầng 2",
            "state": "ok",
            "pending_jobs": 0,
        }


def test_the_agent_holds_jobs_while_the_printer_is_out_of_paper_and_reports_it(
    app: Any, printing: Any, agent_kiosk: dict[str, Any], published: Any
) -> None:
    api = ClientApi(app, agent_kiosk["token"])
    ticks = Ticks()
    with LoopbackPrinter(paper="paper_out") as printer:
        agent = make_agent(api, printer.url, ticks)
        agent.run_once()  # idle: reports the state at start
        assert published.named("printer_status")[-1][0]["state"] == "paper_out"
        t = issue_on(app, agent_kiosk["token"])
        agent.run_once()
        assert printer.jobs() == [] and jobs_of(app)[0].last_error == "agent: paper out"

        printer.paper = "ok"
        ticks.now += 60
        agent.run_once()
        [job] = printer.wait_for_jobs(1)
        assert qr_text(job) == t["url"]
        assert published.named("printer_status")[-1][0]["state"] == "ok"


def test_an_agent_refused_by_the_server_says_why_and_exits_with_status_2(
    app: Any, printing: Any
) -> None:
    api = ClientApi(app, device_token(app, "kiosk"))  # a kiosk the server prints for
    agent = make_agent(api, "memory://agent-test", Ticks())
    assert agent.run(once=True) == 2
    assert agent.refused is not None and agent.refused.code == "not_agent_printer"


def test_an_agent_with_an_unreachable_server_keeps_trying_with_back_off(
    app: Any, printing: Any, agent_kiosk: dict[str, Any]
) -> None:
    api = ClientApi(app, agent_kiosk["token"])
    api.down = True
    ticks = Ticks()
    agent = make_agent(api, "memory://agent-test", ticks)
    assert [agent.run_once() for _ in range(1)] == [1.0]
    ticks.now += 1.0
    assert agent.run_once() == 2.0
    assert agent.run(once=True) == 1
    t = issue_on(app, agent_kiosk["token"])
    api.down = False
    agent.wake(server_back=True)  # the live connection is back: no need to wait
    assert agent.run(once=True) == 0
    assert qr_text(backends.memory_output("agent-test")) == t["url"]
    assert jobs_of(app)[0].status == "printed"


def test_jobs_waiting_longer_than_the_limit_are_not_printed_by_a_returning_agent(
    app: Any, printing: Any, agent_kiosk: dict[str, Any], clock: FixedClock
) -> None:
    issue_on(app, agent_kiosk["token"])
    clock.advance(minutes=90)
    agent = make_agent(ClientApi(app, agent_kiosk["token"]), "memory://agent-test", Ticks())
    assert agent.run(once=True) == 0
    assert backends.memory_output("agent-test") == b""
    assert jobs_of(app)[0].status == "failed"
