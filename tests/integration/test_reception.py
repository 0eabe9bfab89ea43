"""Citizen reception (issue 14, part 1): the public schedule (API and page), the admin's
schedule with the law's rhythm, the kiosk's reception field on reception days only, called at
its counter like any other, and the reception book with its print views. The demo clock stands
on Monday 30 Nov 2026; the demo's reception desk (`flask demo`) is added here."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.integration.helpers import Staff, device_token, issue, kiosk_headers

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CITIZEN = {
    "citizen_name": "Phan Thị Khiếu Nại",
    "citizen_id_number": "080188009911",
    "citizen_phone": "0987654321",
    "citizen_address": "Số 12, ấp Bình Hòa",
    "content": "Đề nghị xem xét việc cấp giấy chứng nhận quyền sử dụng đất thửa số 45",
    "documents": "Đơn kiến nghị\nBản sao giấy chứng nhận",
}
PRIVATE = ["Phan Thị", "Khiếu Nại", "080188009911", "0987654321", "ấp Bình Hòa", "thửa số 45"]


@pytest.fixture
def desk(app: Any) -> Any:
    with app.app_context():
        from lobby.extensions import db
        from lobby.reception.demo import add_reception_demo

        assert add_reception_demo()["added"]
        assert not add_reception_demo()["added"]  # once
        db.session.remove()
    return app


def _form(staff: Staff, path: str, **data: Any) -> Any:
    return staff.client.post(path, data={"csrf_token": staff.csrf, **data}, follow_redirects=True)


def test_the_api_lists_the_sessions_to_come_and_todays_leader_on_duty(desk: Any) -> None:
    r = desk.test_client().get("/api/v1/reception")
    assert r.status_code == 200
    body = r.get_json()
    assert body["today"] == "2026-11-30"
    first = body["sessions"][0]
    # The chairman on the 2nd and 4th Thursday mornings: 10 and 24 December.
    assert first == {
        "date": "2026-12-10",
        "start": "07:30",
        "end": "11:30",
        "official": {"name": "Huỳnh Văn Chánh", "title": "Chủ tịch UBND xã"},
        "place": "Phòng tiếp công dân, trụ sở UBND xã (dữ liệu mẫu)",
        "mode": "in_person",
        "kind": "dinh_ky",
    }
    dates = [s["date"] for s in body["sessions"] if s["kind"] == "dinh_ky"]
    assert dates[:4] == ["2026-12-10", "2026-12-24", "2027-01-14", "2027-01-28"]
    assert [(d["official"]["name"], d["kind"]) for d in body["duty_today"]] == [
        ("Lê Thị Phó", "truc")
    ]


def test_the_public_page_shows_the_schedule_and_todays_duty(desk: Any) -> None:
    r = desk.test_client().get("/lich-tiep-cong-dan")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "Lịch tiếp công dân" in page
    assert "Thứ Năm, 10/12/2026" in page and "Huỳnh Văn Chánh" in page
    assert "Lãnh đạo trực hôm nay" in page and "Lê Thị Phó" in page
    english = desk.test_client().get("/lich-tiep-cong-dan?lang=en").get_data(as_text=True)
    assert "Thursday, 10/12/2026" in english


def test_public_answers_carry_no_personal_data_of_citizens(desk: Any) -> None:
    leader = Staff(desk, "lanhdao")
    page = _form(leader, "/admin/reception/book", **CITIZEN).get_data(as_text=True)
    assert "Phan Thị Khiếu Nại" in page  # staff see the book
    public = desk.test_client()
    kiosk = desk.test_client()
    kiosk.get(f"/pair/{device_token(desk, 'kiosk')}")
    board = desk.test_client()
    board.get(f"/pair/{device_token(desk, 'board')}")
    for client, path in [
        (board, "/display"),
        (public, "/api/v1/reception"),
        (public, "/lich-tiep-cong-dan"),
        (public, "/api/v1/services"),
        (kiosk, "/kiosk"),
    ]:
        text = client.get(path).get_data(as_text=True)
        assert [p for p in PRIVATE if p in text] == [], path


def test_the_book_is_encrypted_at_rest_and_prints_forms_03_and_02(desk: Any) -> None:
    officer = Staff(desk, "canbo1")
    _form(officer, "/admin/reception/book", **CITIZEN, official="Huỳnh Văn Chánh")
    with desk.app_context():
        from sqlalchemy import text

        from lobby.extensions import db

        raw = json.dumps(
            [list(r) for r in db.session.execute(text("SELECT * FROM reception_records"))],
            default=str,
            ensure_ascii=False,
        )
        record_id = db.session.execute(text("SELECT id FROM reception_records")).scalar()
        db.session.remove()
    assert [p for p in PRIVATE if p in raw] == []
    book = officer.get("/admin/reception/book/print?month=2026-11").get_data(as_text=True)
    assert "SỔ TIẾP CÔNG DÂN" in book and "Mẫu số 03/TCD" in book
    assert "Phan Thị Khiếu Nại" in book and "080188009911" in book and "30/11/2026" in book
    receipt = officer.get(f"/admin/reception/book/{record_id}/receipt").get_data(as_text=True)
    assert "Mẫu số 02/TCD" in receipt and "1. Đơn kiến nghị" in receipt
    assert "2. Bản sao giấy chứng nhận" in receipt
    assert officer.get("/admin/reception/book/99999/receipt").status_code == 404
    # The next line of the year takes the next number; a handling written later is kept.
    page = _form(officer, "/admin/reception/book", citizen_name="B", content="Hỏi").get_data(
        as_text=True
    )
    assert "số thứ tự 2" in page
    page = _form(
        officer,
        "/admin/reception/book",
        action="handling",
        id=record_id,
        handling="Chuyển Địa chính",
    ).get_data(as_text=True)
    assert "Chuyển Địa chính" in page


def test_the_book_refuses_a_line_without_a_citizen_or_matter(desk: Any) -> None:
    officer = Staff(desk, "canbo1")
    page = _form(officer, "/admin/reception/book", content="x").get_data(as_text=True)
    assert "Cần nhập họ tên công dân." in page
    page = _form(officer, "/admin/reception/book", citizen_name="A", content="x", day="2027-01-01")
    assert "Ngày tiếp không thể ở tương lai." in page.get_data(as_text=True)


def test_the_admin_page_warns_when_the_coming_month_falls_short(desk: Any) -> None:
    leader = Staff(desk, "lanhdao")
    page = leader.get("/admin/reception").get_data(as_text=True)
    assert "Tháng 12/2026: đủ lịch." in page and "warn-rhythm" not in page
    # The chairman's periodic entry goes: December is short by 2 days.
    with desk.app_context():
        from sqlalchemy import text

        from lobby.extensions import db

        periodic = db.session.execute(
            text("SELECT id FROM reception_entries WHERE kind = 'dinh_ky'")
        ).scalar()
        db.session.remove()
    page = _form(leader, "/admin/reception", action="entry_remove", id=periodic).get_data(
        as_text=True
    )
    assert "Tháng 12/2026: Chủ tịch mới có 0 ngày tiếp công dân, thiếu 2 ngày" in page
    # One session on 17 December (a one-off) leaves it one day short.
    one = {
        "action": "entry_add",
        "kind": "dinh_ky",
        "mode": "online",
        "official_name": "Huỳnh Văn Chánh",
        "official_title": "Chủ tịch UBND xã",
        "day": "2026-12-17",
        "start": "07:30",
        "end": "11:30",
        "repeat": "once",
    }
    page = _form(leader, "/admin/reception", **one).get_data(as_text=True)
    assert "Đã thêm vào lịch tiếp công dân." in page and "thiếu 1 ngày" in page
    # Every first and third Wednesday from December: enough again.
    page = _form(
        leader,
        "/admin/reception",
        **{**one, "day": "2026-12-02", "repeat": "monthly", "ordinals": ["1", "3"]},
    ).get_data(as_text=True)
    assert "Tháng 12/2026: đủ lịch." in page
    assert "Thứ Tư tuần thứ nhất và tuần thứ ba hằng tháng" in page


def test_a_bad_entry_is_refused_kindly_and_officers_only_read(desk: Any) -> None:
    leader = Staff(desk, "lanhdao")
    bad = {"action": "entry_add", "kind": "dinh_ky", "official_name": "A", "official_title": "B"}
    page = _form(leader, "/admin/reception", **bad, day="2026-12-02", start="11:00", end="07:00")
    assert "Giờ kết thúc phải sau giờ bắt đầu." in page.get_data(as_text=True)
    page = _form(leader, "/admin/reception", **bad, day="x", start="07:00", end="11:00").get_data(
        as_text=True
    )
    assert "Ngày phải có dạng YYYY-MM-DD." in page
    page = _form(
        leader,
        "/admin/reception",
        **bad,
        day="2026-12-02",
        start="07:00",
        end="11:00",
        repeat="monthly",
    ).get_data(as_text=True)
    assert "Chọn tuần trong tháng." in page
    officer = Staff(desk, "canbo1")
    assert officer.get("/admin/reception").status_code == 200
    refused = officer.client.post(
        "/admin/reception", data={"csrf_token": officer.csrf, **bad, "day": "2026-12-02"}
    )
    assert refused.status_code == 403


def _kiosk_codes(client: Any) -> list[str]:
    page = client.get("/kiosk").get_data(as_text=True)
    start = page.index('id="kiosk-config">') + len('id="kiosk-config">')
    return list(json.loads(page[start : page.index("</script>", start)])["fields"])


def test_the_kiosk_offers_the_reception_ticket_on_reception_days_called_at_its_desk(
    desk: Any, clock: Any
) -> None:
    kiosk = desk.test_client()
    kiosk.get(f"/pair/{device_token(desk, 'kiosk')}")
    assert "tiep_cong_dan" not in _kiosk_codes(kiosk)  # Monday 30 Nov: no session
    assert "ho_tich" in _kiosk_codes(kiosk)
    # A kiosk page left open from a reception day gets a kind refusal, not a number.
    refused = desk.test_client().post(
        "/api/v1/tickets", json={"service": "tiep_cong_dan"}, headers=kiosk_headers(desk)
    )
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "no_reception_today"
    clock.set(datetime(2026, 12, 10, 8, 0, tzinfo=VN))  # Thursday: the chairman receives
    desk.extensions["lobby"].reference.clear()
    assert "tiep_cong_dan" in _kiosk_codes(kiosk)
    client = desk.test_client()
    ticket = issue(client, desk, "tiep_cong_dan")
    assert ticket["number"].startswith("L")
    leader = Staff(desk, "lanhdao")
    leader.open_counter(6)
    called = leader.call_next(6)
    assert called.status_code == 200, called.get_json()
    assert called.get_json()["ticket"]["number"] == ticket["number"]


def test_the_board_shows_the_next_session_and_the_leader_on_duty(desk: Any) -> None:
    board = desk.test_client()
    board.get(f"/pair/{device_token(desk, 'board')}")
    page = board.get("/display").get_data(as_text=True)
    assert 'class="footer-info reception-strip" id="reception">' in page
    assert "Thứ Năm 10/12, 07:30–11:30 · Huỳnh Văn Chánh" in page
    assert "Lê Thị Phó – Phó Chủ tịch UBND xã" in page


def test_an_office_without_a_schedule_keeps_its_board_and_kiosk_as_they_were(app: Any) -> None:
    board = app.test_client()
    board.get(f"/pair/{device_token(app, 'board')}")
    page = board.get("/display").get_data(as_text=True)
    assert 'class="footer-info reception-strip" id="reception" hidden>' in page
    kiosk = app.test_client()
    kiosk.get(f"/pair/{device_token(app, 'kiosk')}")
    assert 'id="reception-open"' not in kiosk.get("/kiosk").get_data(as_text=True)


def test_the_kiosk_button_lists_the_sessions_and_says_when_to_take_the_ticket(
    desk: Any, clock: Any
) -> None:
    kiosk = desk.test_client()
    kiosk.get(f"/pair/{device_token(desk, 'kiosk')}")
    page = kiosk.get("/kiosk").get_data(as_text=True)
    assert 'id="reception-open"' in page and "Thứ Năm, 10/12/2026" in page
    assert "Hôm nay có buổi tiếp công dân" not in page
    clock.set(datetime(2026, 12, 10, 8, 0, tzinfo=VN))
    page = kiosk.get("/kiosk").get_data(as_text=True)
    assert "chọn “Gặp lãnh đạo / Tiếp công dân” để lấy số" in page


def test_flask_demo_gives_the_demo_office_a_reception_desk(
    db_url: str, tmp_path: Any, clock: Any
) -> None:
    from tests.conftest import build_app

    empty = build_app(db_url, tmp_path, clock)
    out = empty.test_cli_runner().invoke(args=["demo", "--json"])
    assert out.exit_code == 0, out.output
    client = empty.test_client()
    services = client.get("/api/v1/services").get_json()["services"]
    assert [s["name"] for s in services if s["code"] == "tiep_cong_dan"] == [
        "Gặp lãnh đạo / Tiếp công dân"
    ]
    counters = client.get("/api/v1/counters").get_json()["counters"]
    assert next(c for c in counters if c["number"] == 6)["services"] == ["tiep_cong_dan"]
    assert client.get("/api/v1/reception").get_json()["sessions"][0]["date"] == "2026-12-10"
    with empty.app_context():
        from lobby.extensions import db

        db.session.remove()
        db.engine.dispose()
