"""Staff dossier pages, printable one-stop forms, and the counter rating tablet."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.helpers import Staff, device_token, issue

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _served(app: Any, officer: Staff) -> int:
    issue(app.test_client(), app)
    officer.open_counter(1)
    tid = officer.call_next(1).get_json()["ticket"]["id"]
    officer.post(f"/api/v1/tickets/{tid}/start")
    return int(tid)


def test_staff_pages_need_sign_in(app: Any) -> None:
    r = app.test_client().get("/admin/dossiers")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_an_officer_accepts_a_dossier_from_the_served_ticket_and_prints_the_receipt(
    app: Any,
) -> None:
    officer = Staff(app, "canbo1")
    tid = _served(app, officer)
    page = officer.get(f"/admin/dossiers/new?ticket={tid}").get_data(as_text=True)
    assert "Tiếp nhận hồ sơ – phiếu A001" in page
    r = officer.client.post(
        f"/admin/dossiers/new?ticket={tid}",
        data={
            "csrf_token": officer.csrf,
            "procedure": "HT-KS",
            "full_name": "Trần Thị Bình",
            "phone": "0912345678",
            "components": "Tờ khai đăng ký khai sinh\nGiấy chứng sinh",
            "sets_count": "1",
        },
    )
    # Counter 1 has no receipt printer: the answer is the A5 receipt, with the PIN, not cached.
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    receipt = r.get_data(as_text=True)
    code = re.search(r"Mã hồ sơ: <b class=\"code\">([^<]+)</b>", receipt).group(1)
    assert re.fullmatch(r"000\.00\.00\.H00-\d{6}-0001", code)
    for text in (
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        code,
        "Trần Thị Bình",
        "Giấy chứng sinh",
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "<svg",
        "Mã tra cứu",
    ):
        assert text in receipt, text
    detail = officer.get(f"/admin/dossiers/{code}").get_data(as_text=True)
    assert "Trần Thị Bình" in detail and "Phiếu kiểm soát quá trình giải quyết hồ sơ" in detail
    public = app.test_client().get(f"/api/v1/tickets/{issue_token(app)}").get_json()
    assert public["dossier"]["code"] == code


def issue_token(app: Any) -> str:
    from lobby.extensions import db
    from lobby.models import Ticket

    with app.app_context():
        return str(db.session.scalar(db.select(Ticket.public_token).order_by(Ticket.id).limit(1)))


def test_supplement_and_apology_forms_print_from_the_dossier_events(app: Any) -> None:
    officer = Staff(app, "canbo1")
    r = officer.post(
        "/api/v1/dossiers", {"procedure": "HT-XNTTHN", "applicant": {"full_name": "Lê Văn Cường"}}
    )
    code = r.get_json()["code"]
    assert officer.get(f"/admin/dossiers/{code}/notice/supplement").status_code == 404
    officer.client.post(
        f"/admin/dossiers/{code}/events",
        data={
            "csrf_token": officer.csrf,
            "action": "request_supplement",
            "reason": "Thiếu giấy tờ",
            "items": "Bản sao sổ hộ khẩu",
        },
    )
    supplement = officer.get(f"/admin/dossiers/{code}/notice/supplement").get_data(as_text=True)
    assert (
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in supplement
        and "Bản sao sổ hộ khẩu" in supplement
    )
    officer.client.post(
        f"/admin/dossiers/{code}/events",
        data={
            "csrf_token": officer.csrf,
            "action": "apologise",
            "reason": "Chờ xác minh",
            "new_due_at": "2026-12-15T10:00",
        },
    )
    apology = officer.get(f"/admin/dossiers/{code}/notice/apology").get_data(as_text=True)
    assert (
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in apology
        and "10 giờ 00 phút, ngày 15/12/2026" in apology
    )
    refusal = officer.client.post(
        "/admin/notices/refusal",
        data={
            "csrf_token": officer.csrf,
            "full_name": "Phạm Thị Dung",
            "request": "Đăng ký khai sinh",
            "reason": "Không thuộc thẩm quyền của xã",
        },
    ).get_data(as_text=True)
    assert (
        "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in refusal
        and "Không thuộc thẩm quyền của xã" in refusal
    )


def test_the_leader_dashboard_shows_the_figures(app: Any) -> None:
    page = Staff(app, "lanhdao").get("/admin").get_data(as_text=True)
    assert "Hồ sơ giải quyết đúng hạn" in page and "Xuất Excel" in page


def test_the_counter_tablet_rates_the_ticket_just_finished_once(app: Any) -> None:
    officer = Staff(app, "canbo1")
    tid = _served(app, officer)
    client = app.test_client()
    h = {"Authorization": f"Bearer {device_token(app, 'tablet')}"}
    state = client.get("/api/v1/tablet/state", headers=h).get_json()
    assert state["counter"]["number"] == 1 and state["officer"]["name"] == "Nguyễn Văn Một"
    officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": "guided_only"})
    state = client.get("/api/v1/tablet/state", headers=h).get_json()
    assert state["ticket"] == {"number": "A001", "status": "done"}
    stale = client.post(
        "/api/v1/tablet/rating", json={"level": "hai_long", "number": "A999"}, headers=h
    )
    assert stale.status_code == 409
    ok = client.post(
        "/api/v1/tablet/rating", json={"level": "khong_hai_long", "number": "A001"}, headers=h
    )
    assert ok.status_code == 201
    assert client.get("/api/v1/tablet/state", headers=h).get_json()["ticket"] is None
    assert (
        client.post("/api/v1/tablet/rating", json={"level": "hai_long"}, headers=h).status_code
        == 409
    )
    report = Staff(app, "lanhdao").get("/api/v1/stats").get_json()
    assert report["satisfaction"]["khong_hai_long"] == 1
    kiosk = {"Authorization": f"Bearer {device_token(app, 'kiosk')}"}
    assert client.get("/api/v1/tablet/state", headers=kiosk).status_code == 403


def test_the_office_calendar_is_editable_and_moves_deadlines(app: Any, clock: Any) -> None:
    from datetime import datetime

    from tests.conftest import VN

    leader = Staff(app, "lanhdao")
    page = leader.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "Tết Nguyên đán" in page and "Giỗ Tổ Hùng Vương" in page
    r = leader.client.post(
        "/admin/calendar?year=2026",
        data={
            "csrf_token": leader.csrf,
            "day": "2026-12-01",
            "kind": "local_closure",
            "name": "Kiểm kê",
        },
    )
    assert r.status_code == 302
    assert "Kiểm kê" in leader.get("/admin/calendar?year=2026").get_data(as_text=True)
    # Monday 30 Nov 08:00 + 3 working days now skips the closed Tuesday: Friday 08:00.
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=VN))
    got = leader.post(
        "/api/v1/dossiers", {"procedure": "HT-XNTTHN", "applicant": {"full_name": "A B"}}
    ).get_json()
    assert got["due_at"] == "2026-12-04T08:00:00+07:00"
    out = app.test_cli_runner().invoke(args=["calendar", "remove", "2026-12-01", "local_closure"])
    assert out.exit_code == 0, out.output
    out = app.test_cli_runner().invoke(
        args=["calendar", "add", "2026-12-05", "swap_workday", "Làm bù"]
    )
    assert out.exit_code == 0 and "added" in out.output
    listing = app.test_cli_runner().invoke(args=["calendar", "list", "--year", "2026"]).output
    assert "* 2026-12-05" in listing and "2026-12-01" not in listing


def test_a_day_is_removed_from_the_calendar_on_its_page(app: Any) -> None:
    from lobby.extensions import db
    from lobby.models import CalendarDay

    leader = Staff(app, "lanhdao")
    form = {"csrf_token": leader.csrf, "day": "2026-12-02", "kind": "local_closure", "name": "Bão"}
    leader.client.post("/admin/calendar?year=2026", data=form)
    with app.app_context():
        day_id = db.session.scalar(db.select(CalendarDay.id).where(CalendarDay.name == "Bão"))
    for bogus in ("x", "99999999999999999999", "0"):
        r = leader.client.post(
            "/admin/calendar?year=2026",
            data={"csrf_token": leader.csrf, "remove": bogus},
            follow_redirects=True,
        )
        assert "Không có ngày này trong lịch của đơn vị." in r.get_data(as_text=True)
    r = leader.client.post(
        "/admin/calendar?year=2026",
        data={"csrf_token": leader.csrf, "remove": str(day_id)},
        follow_redirects=True,
    )
    assert "Đã xóa ngày khỏi lịch của đơn vị." in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CalendarDay, day_id) is None
