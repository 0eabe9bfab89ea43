"""Printing through the app: tickets issued by the API reach a network printer, once, in order."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from core.clock import FixedClock
from lobby.setup.demo import OFFICE
from printers.backends import printer_key
from printers.layout import render_ticket
from printers.sample import SAMPLE_TICKET_URL
from printers.slips import TicketSlip
from tests.conftest import build_app
from tests.integration.helpers import Staff, issue
from tests.integration.test_openapi import Checker
from tests.printer_loopback import LoopbackPrinter, cut_follows_raster, parse_raster, stitch

SESSION_LABEL = {"sang": "Sáng", "chieu": "Chiều"}


pytestmark = pytest.mark.usefixtures("fresh_memory_printers")


@pytest.fixture
def printer(app: Any, printing: Any) -> Iterator[LoopbackPrinter]:
    """A loopback network printer set as the demo kiosk's printer."""
    with LoopbackPrinter() as loop:
        set_kiosk_printer(app, loop.url)
        yield loop


def set_kiosk_printer(app: Any, url: str | None) -> int:
    from lobby.extensions import db
    from lobby.models import Device

    with app.app_context():
        kiosk = db.session.scalar(select(Device).where(Device.kind == "kiosk"))
        kiosk.printer_url = url
        db.session.commit()
        return int(kiosk.id)


def device_id(app: Any, kind: str) -> int:
    from lobby.extensions import db
    from lobby.models import Device

    with app.app_context():
        return int(db.session.scalar(select(Device.id).where(Device.kind == kind)))


def jobs_of(app: Any) -> list[Any]:
    """Every print job, oldest first, detached from the session."""
    from lobby.extensions import db
    from lobby.models import PrintJob

    with app.app_context():
        rows = db.session.scalars(select(PrintJob).order_by(PrintJob.id)).all()
        db.session.expunge_all()
        return list(rows)


def raster(job: bytes) -> Image.Image:
    return stitch(parse_raster(job))


def qr_text(job: bytes) -> str:
    found = zxingcpp.read_barcodes(raster(job).convert("L"))
    assert len(found) == 1
    return str(found[0].text)


def expected_slip(issued: dict[str, Any], *, reprint: bool = False) -> TicketSlip:
    """What the ticket must say on paper, built from the API's answer and the demo office."""
    return TicketSlip(
        office_name=OFFICE["name"],
        parent_authority=OFFICE["parent_authority"],
        field_name=issued["service_name"],
        number=issued["number"],
        ahead=issued["ahead"],
        issued_at_local=datetime.fromisoformat(issued["issued_at"]),
        session_label=SESSION_LABEL[issued["session"]],
        qr_url=issued["url"],
        reprint=reprint,
    )


def wait_until(predicate: Any, timeout: float = 10.0) -> None:
    """Wait for a background worker to get somewhere (a wait, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


# --- a ticket reaches the printer ------------------------------------------------------------


def test_a_ticket_issued_through_the_api_prints_and_its_qr_is_the_ticket_url(
    app: Any, printing: Any, printer: LoopbackPrinter
) -> None:
    t = issue(app.test_client(), app, "ho_tich")
    assert t["print"] == {"status": "queued"}
    [stored] = jobs_of(app)
    # The request only stored the slip as data; the worker renders it.
    assert (stored.status, stored.payload, stored.ticket_id) == ("pending", None, t["id"])

    state = printing.run_pending(printer_key(printer.url))

    [job] = printer.wait_for_jobs(1)
    assert qr_text(job) == t["url"]
    assert cut_follows_raster(job)
    assert raster(job).tobytes() == render_ticket(expected_slip(t)).tobytes()
    [stored] = jobs_of(app)
    assert stored.status == "printed" and stored.printed_at is not None
    # On paper now: the audit row stays (printer, when, tries), the rendered bytes go.
    assert (stored.payload, stored.printer_url, stored.attempts) == (None, printer.url, 0)
    assert state.pending == 0


def test_the_stored_slip_holds_only_public_ticket_facts(
    app: Any, printing: Any, printer: LoopbackPrinter
) -> None:
    t = issue(app.test_client(), app, "chinh_sach", "disabled")
    [stored] = jobs_of(app)
    assert set(stored.slip) == {
        "office_name",
        "parent_authority",
        "field_name",
        "number",
        "ahead",
        "issued_at_local",
        "session_label",
        "qr_url",
        "footer",
        "reprint",
        "sample",
        "priority",  # "ƯU TIÊN" on paper, never which group
        "logo",  # the office's logo file, if any
    }
    assert stored.slip["number"] == t["number"] and stored.slip["qr_url"] == t["url"]
    assert stored.slip["issued_at_local"].endswith("+07:00")
    assert stored.slip["priority"] is True
    assert not {"disabled", "khuyết tật"} & {str(v) for v in stored.slip.values()}
    assert "disabled" not in str(stored.slip) and "khuyết" not in str(stored.slip)


def test_a_kiosk_without_a_printer_issues_tickets_without_print_jobs(app: Any) -> None:
    set_kiosk_printer(app, None)
    t = issue(app.test_client(), app)
    assert t["print"] == {"status": "none"}
    assert jobs_of(app) == []


# --- the printer goes away and comes back ------------------------------------------------------


def test_tickets_are_issued_while_the_printer_is_away_and_print_once_in_order_on_its_return(
    app: Any, printing: Any, printer: LoopbackPrinter, clock: FixedClock, published: Any
) -> None:
    key = printer_key(printer.url)
    kiosk = device_id(app, "kiosk")
    printer.stop()
    client = app.test_client()
    tickets = [issue(client, app, service) for service in ("ho_tich", "chung_thuc", "ho_tich")]
    assert [t["print"]["status"] for t in tickets] == ["queued"] * 3

    state = printing.run_pending(key)

    assert state.state == "offline" and state.pending == 3
    jobs = jobs_of(app)
    assert [j.status for j in jobs] == ["pending"] * 3
    assert jobs[0].attempts == 1 and jobs[0].last_error and jobs[0].next_try_at is not None
    offline = [p for p, _ in published.named("printer_status") if p["state"] == "offline"]
    assert offline and offline[-1]["pending_jobs"] == 3
    assert offline[-1]["printer"] == "Kiosk sảnh chính"
    rooms = published.named("printer_status")[-1][1]
    assert set(rooms) == {"staff", f"kiosk:{kiosk}"}

    printer.start()
    clock.advance(seconds=30)  # past the back-off
    state = printing.run_pending(key)
    printing.run_pending(key)  # nothing is left to send twice

    received = printer.wait_for_jobs(3)
    assert [qr_text(job) for job in received] == [t["url"] for t in tickets]
    assert len(printer.jobs()) == 3
    assert [j.status for j in jobs_of(app)] == ["printed"] * 3
    assert state.state == "ok"
    last = published.named("printer_status")[-1][0]
    assert (last["state"], last["pending_jobs"]) == ("ok", 0)


def test_a_printer_out_of_paper_keeps_its_jobs_until_paper_is_back(
    app: Any, printing: Any, printer: LoopbackPrinter, clock: FixedClock, published: Any
) -> None:
    key = printer_key(printer.url)
    printer.paper = "paper_out"
    t = issue(app.test_client(), app)

    assert printing.run_pending(key).state == "paper_out"
    assert printer.jobs() == []  # only status queries went out
    assert published.named("printer_status")[-1][0]["state"] == "paper_out"

    printer.paper = "ok"
    clock.advance(seconds=30)
    printing.run_pending(key)
    [job] = printer.wait_for_jobs(1)
    assert qr_text(job) == t["url"]


def test_a_job_waiting_longer_than_the_limit_is_given_up_not_printed_late(
    app: Any, printing: Any, printer: LoopbackPrinter, clock: FixedClock
) -> None:
    key = printer_key(printer.url)
    printer.stop()
    issue(app.test_client(), app)
    printing.run_pending(key)
    printer.start()
    clock.advance(minutes=61)
    fresh = issue(app.test_client(), app)

    printing.run_pending(key)

    [job] = printer.wait_for_jobs(1)
    assert qr_text(job) == fresh["url"]
    old, new = jobs_of(app)
    assert (old.status, new.status) == ("failed", "printed")
    assert old.last_error.startswith("expired")


def test_a_job_that_cannot_be_drawn_is_failed_and_the_next_one_prints(
    app: Any, printing: Any, printer: LoopbackPrinter, clock: FixedClock
) -> None:
    from lobby.extensions import db
    from lobby.models import PrintJob

    with app.app_context():
        db.session.add(
            PrintJob(
                printer_url=printer.url,
                printer_key=printer_key(printer.url),
                kind="ticket",
                slip={"number": "A001"},  # no issue time: cannot be drawn
                created_at=clock.now(),
            )
        )
        db.session.commit()
    t = issue(app.test_client(), app)

    printing.run_pending(printer_key(printer.url))

    [job] = printer.wait_for_jobs(1)
    assert qr_text(job) == t["url"]
    broken, good = jobs_of(app)
    assert broken.status == "failed" and "cannot render" in broken.last_error
    assert good.status == "printed"


# --- workers in threads, restarts ---------------------------------------------------------------


@pytest.mark.parametrize("batch", [2, 20])  # 20: the drawing limit per round splits the queue
def test_a_worker_thread_drains_a_long_queue_round_after_round(
    app: Any, printing: Any, printer: LoopbackPrinter, batch: int
) -> None:
    key = printer_key(printer.url)
    printing.store.batch = batch
    client = app.test_client()
    tickets = [issue(client, app) for _ in range(6)]  # threads are off: the jobs wait

    printing.threads = True
    printing.wake(key, printer.url)

    received = printer.wait_for_jobs(6)
    assert [qr_text(job) for job in received] == [t["url"] for t in tickets]
    wait_until(lambda: all(j.status == "printed" for j in jobs_of(app)))
    printing.stop_all()
    assert len(printer.jobs()) == 6


def test_jobs_left_pending_at_shutdown_print_after_the_restart(
    app: Any,
    printing: Any,
    printer: LoopbackPrinter,
    db_url: str,
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    key = printer_key(printer.url)
    printer.stop()
    client = app.test_client()
    tickets = [issue(client, app) for _ in range(2)]
    printing.run_pending(key)  # the server tried: the printer was away
    printing.stop_all()  # the server stops

    printer.start()
    restarted = build_app(db_url, tmp_path, clock, LOBBY_PRINT_THREADS=True)
    again = restarted.extensions["lobby"].printing
    try:
        assert key in again.resume()
        received = printer.wait_for_jobs(2)
        wait_until(lambda: all(j.status == "printed" for j in jobs_of(app)))
    finally:
        again.stop_all()
        with restarted.app_context():
            from lobby.extensions import db

            db.session.remove()
            db.engine.dispose()
    assert [qr_text(job) for job in received] == [t["url"] for t in tickets]
    assert len(printer.jobs()) == 2


# --- reprint ---------------------------------------------------------------------------------------


def test_staff_reprint_prints_the_ticket_again_marked_in_lai(
    app: Any, printing: Any, printer: LoopbackPrinter
) -> None:
    from lobby.extensions import db
    from lobby.models import TicketEvent

    key = printer_key(printer.url)
    t = issue(app.test_client(), app)
    printing.run_pending(key)
    officer = Staff(app, "canbo1")
    checker = Checker(app)

    answer = checker.check(
        "post",
        "/api/v1/tickets/{ticket_id}/reprint",
        officer.post(f"/api/v1/tickets/{t['id']}/reprint"),
    )
    assert answer == {"print": {"status": "queued"}}
    printing.run_pending(key)

    first, again = printer.wait_for_jobs(2)
    assert qr_text(again) == t["url"]
    assert raster(again).tobytes() == render_ticket(expected_slip(t, reprint=True)).tobytes()
    assert raster(first).tobytes() != raster(again).tobytes()
    assert [j.reprint for j in jobs_of(app)] == [False, True]
    # The first slip's bytes were gone before the reprint: it was drawn again from its data.
    assert [j.payload for j in jobs_of(app)] == [None, None]
    with app.app_context():
        event = db.session.scalar(select(TicketEvent).where(TicketEvent.action == "reprint"))
        assert event is not None and event.ticket_id == t["id"]


def test_reprint_on_a_device_without_a_printer_is_refused(app: Any, printing: Any) -> None:
    t = issue(app.test_client(), app)
    officer = Staff(app, "canbo1")
    checker = Checker(app)
    path = "/api/v1/tickets/{ticket_id}/reprint"
    url = f"/api/v1/tickets/{t['id']}/reprint"

    board = officer.post(url, {"device": device_id(app, "board")})
    assert checker.check("post", path, board)["error"] == "no_printer"
    assert board.status_code == 409
    missing = officer.post(url, {"device": 999_999})
    assert checker.check("post", path, missing)["error"] == "not_found"
    assert checker.check("post", path, officer.post(url, {"device": "x"}))["error"] == (
        "invalid_request"
    )
    assert officer.post("/api/v1/tickets/999999/reprint").status_code == 404
    assert checker.check("post", path, app.test_client().post(url, json={})).get("error") == (
        "unauthorized"
    )
    set_kiosk_printer(app, None)
    assert officer.post(url).status_code == 409


# --- configuration and the print-test command ------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("netwrk://10.0.0.5", "unknown scheme"),
        ("10.0.0.5:9100", "missing scheme"),
        ("usb://04b8", "usb://VENDOR:PRODUCT"),
        ("network://10.0.0.5?width=500", "width=500"),
        ("network://10.0.0.5?speed=fast", "unknown option speed"),
    ],
)
def test_devices_create_rejects_a_bad_printer_url_with_a_clear_message(
    app: Any, url: str, message: str
) -> None:
    result = app.test_cli_runner().invoke(
        args=["devices", "create", "kiosk", "Kiosk 2", "--printer", url]
    )
    assert result.exit_code != 0
    assert message in result.output and url.strip() in result.output


def test_devices_create_stores_a_good_printer_url(app: Any) -> None:
    from lobby.extensions import db
    from lobby.models import Device

    result = app.test_cli_runner().invoke(
        args=["devices", "create", "kiosk", "Kiosk 2", "--printer", " network://10.0.0.5:9100 "]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        kiosk = db.session.scalar(select(Device).where(Device.name == "Kiosk 2"))
        assert kiosk.printer_url == "network://10.0.0.5:9100"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_print_test_writes_the_sample_ticket_as_a_png(app: Any, tmp_path: Path) -> None:
    out = tmp_path / "ticket.png"
    result = app.test_cli_runner().invoke(args=["print-test", "--out", str(out)])
    assert result.exit_code == 0, result.output
    image = Image.open(out)
    assert image.width == 576
    assert zxingcpp.read_barcodes(image.convert("L"))[0].text == SAMPLE_TICKET_URL

    narrow = tmp_path / "narrow.png"
    result = app.test_cli_runner().invoke(
        args=["print-test", "--printer", "network://10.0.0.5?width=384", "--out", str(narrow)]
    )
    assert result.exit_code == 0, result.output
    assert Image.open(narrow).width == 384


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_print_test_sends_a_sample_ticket_to_the_printer(app: Any) -> None:
    with LoopbackPrinter() as loop:
        result = app.test_cli_runner().invoke(args=["print-test", "--printer", loop.url])
        assert result.exit_code == 0, result.output
        [job] = loop.wait_for_jobs(1)
        assert qr_text(job) == SAMPLE_TICKET_URL
        loop.stop()
        result = app.test_cli_runner().invoke(args=["print-test", "--printer", loop.url])
    assert result.exit_code != 0 and "offline" in result.output
    bad = app.test_cli_runner().invoke(args=["print-test", "--printer", "lpt1"])
    assert bad.exit_code != 0 and "missing scheme" in bad.output


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_server_processes_never_both_drive_one_printer(
    app: Any,
    printing: Any,
    printer: LoopbackPrinter,
    db_url: str,
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    key = printer_key(printer.url)
    client = app.test_client()
    first = issue(client, app)
    printing.run_pending(key)  # this process now drives the printer
    second = issue(client, app)
    other = build_app(db_url, tmp_path, clock).extensions["lobby"].printing
    try:
        other.run_pending(key)
        assert len(printer.jobs()) == 1  # the other process left the job to the owner
        assert [j.status for j in jobs_of(app)] == ["printed", "pending"]

        printing.stop_all()  # the owner goes away: the other process takes over
        other.run_pending(key)
    finally:
        other.stop_all()
        with other.app.app_context():
            from lobby.extensions import db

            db.engine.dispose()
    assert [qr_text(job) for job in printer.wait_for_jobs(2)] == [first["url"], second["url"]]


# --- the dossier receipt (Mẫu 01) on the thermal printer ---------------------------------------


def set_counter_printer(app: Any, url: str, counter: int = 1) -> int:
    """A receipt printer at the counter: a device whose settings name that counter."""
    from lobby.setup import accounts

    with app.test_request_context():
        device, _token = accounts.create_device(
            "kiosk", f"Máy in quầy {counter}", printer=url, counter=counter
        )
        return int(device.id)


def test_an_accepted_dossier_prints_its_receipt_with_a_qr_to_the_public_page(
    app: Any, printing: Any, printer: LoopbackPrinter
) -> None:
    from printers.backends import printer_key
    from tests.integration.helpers import Staff

    with LoopbackPrinter() as at_counter:
        set_counter_printer(app, at_counter.url, counter=1)
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
        assert accepted["print"]["status"] == "queued"
        printing.run_pending(printer_key(at_counter.url))
        at_counter.wait_for_jobs(1)
        job = at_counter.jobs()[-1]
        assert qr_text(job) == accepted["url"]
    stored = jobs_of(app)[-1]
    assert stored.kind == "receipt" and stored.status == "printed"
    # The lookup secret is on paper only: never stored as text with the job.
    assert accepted["lookup_pin"] not in str(stored.slip) and stored.slip["lookup_pin"] is None
    assert "079123456789" not in str(stored.slip) and "Nguyễn Văn An" not in str(stored.slip)
    # Once on paper, the raster (which shows the PIN) is not kept either.
    assert stored.payload is None
    # The lobby kiosk's printer (the `printer` fixture) printed nothing: a receipt is personal.
    assert printer.jobs() == []


def test_an_office_logo_in_the_instance_folder_heads_the_ticket(
    app: Any, printing: Any, printer: LoopbackPrinter
) -> None:
    from pathlib import Path

    from PIL import ImageDraw

    from printers.backends import printer_key
    from tests.integration.helpers import issue

    client = app.test_client()
    issue(client, app)
    printing.run_pending(printer_key(printer.url))
    printer.wait_for_jobs(1)
    plain = raster(printer.jobs()[-1])
    logo = Image.new("L", (300, 120), 255)
    ImageDraw.Draw(logo).ellipse((10, 10, 290, 110), fill=0)
    logo.save(Path(app.instance_path) / "logo.png")
    issue(client, app)
    printing.run_pending(printer_key(printer.url))
    printer.wait_for_jobs(2)
    with_logo = raster(printer.jobs()[-1])
    assert with_logo.height > plain.height + 60
    top = with_logo.crop((0, 0, with_logo.width, 100)).convert("L")
    assert top.getextrema()[0] == 0  # the logo is printed at the top


def test_a_receipt_never_goes_to_the_lobby_kiosk_printer(
    app: Any, printing: Any, printer: LoopbackPrinter
) -> None:
    """Counter 1 has no printer of its own: the receipt (name, PIN) is not printed in the lobby;
    the officer gets the A5 page instead."""
    officer = Staff(app, "canbo1")
    r = officer.post(
        "/api/v1/dossiers",
        {"procedure": "HT-XNTTHN", "applicant": {"full_name": "Nguyễn Văn An"}, "print": True},
    )
    assert r.status_code == 201 and r.get_json()["print"] == {"status": "none"}
    assert jobs_of(app) == []
    page = officer.client.post(
        "/admin/dossiers/new",
        data={
            "csrf_token": officer.csrf,
            "procedure": "HT-XNTTHN",
            "full_name": "Trần Thị Bình",
            "print": "1",
        },
    )
    assert page.status_code == 200 and "GIẤY TIẾP NHẬN HỒ SƠ" in page.get_data(as_text=True)
    assert jobs_of(app) == [] and printer.jobs() == []


def test_a_new_pin_reprints_the_receipt_at_the_counter_marked_in_lai_with_that_pin(
    app: Any, printing: Any
) -> None:
    from lobby.context import office
    from lobby.dossiers.lookup import dossier_by_code
    from lobby.printing.render import logo_path, render_job
    from lobby.printing.slips import receipt_slip, slip_data

    with LoopbackPrinter() as at_counter:
        set_counter_printer(app, at_counter.url, counter=1)
        officer = Staff(app, "canbo1")
        accepted = officer.post(
            "/api/v1/dossiers",
            {
                "procedure": "HT-XNTTHN",
                "applicant": {"full_name": "Nguyễn Văn An", "id_number": "079123456789"},
                "print": True,
            },
        ).get_json()
        code = accepted["code"]
        r = officer.post(f"/api/v1/dossiers/{code}/pin", {"identity_checked": True, "print": True})
        assert r.status_code == 201 and r.get_json()["print"]["status"] == "queued"
        pin = r.get_json()["pin"]
        printing.run_pending(printer_key(at_counter.url))
        first, again = at_counter.wait_for_jobs(2)[:2]

    def drawn(with_pin: str, reprint: bool) -> bytes:
        with app.test_request_context():
            slip = receipt_slip(dossier_by_code(code), office(), with_pin, reprint=reprint)
            return render_job("receipt", {**slip_data(slip), "logo": logo_path(app)}, "memory://x")

    assert qr_text(again) == accepted["url"]
    assert raster(again).tobytes() == raster(drawn(pin, reprint=True)).tobytes()
    assert raster(first).tobytes() == raster(drawn(accepted["lookup_pin"], False)).tobytes()
    if pin != accepted["lookup_pin"]:
        assert raster(again).tobytes() != raster(drawn(accepted["lookup_pin"], True)).tobytes()
    assert [j.payload for j in jobs_of(app)] == [None, None]  # nothing with a PIN is kept
