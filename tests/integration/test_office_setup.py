"""The administrator's setup page (/admin/setup): the office, its fields and its counters, as a
commune's IT officer changes them in a browser; the kiosk, the counters and the API follow."""

from __future__ import annotations

from typing import Any

from tests.integration.helpers import Staff, issue, kiosk_headers


def _post(staff: Staff, **form: Any) -> str:
    """Submit the setup form like the browser does; the page it lands on, flash included."""
    r = staff.client.post(
        "/admin/setup", data={"csrf_token": staff.csrf, **form}, follow_redirects=True
    )
    assert r.status_code == 200, r.status_code
    return str(r.get_data(as_text=True))


def _field(app: Any, code: str) -> Any:
    from lobby.extensions import db
    from lobby.models import Field

    with app.app_context():
        found = db.session.scalar(db.select(Field).where(Field.code == code))
        db.session.expunge_all()
        return found


def _counter(app: Any, number: int) -> Any:
    from lobby.extensions import db
    from lobby.models import Counter

    with app.app_context():
        found = db.session.scalar(db.select(Counter).where(Counter.number == number))
        fields = sorted(f.code for f in found.fields) if found else []
        db.session.expunge_all()
        return found, fields


NEW_FIELD = {
    "action": "field_add",
    "code": "bao_hiem",
    "name_vi": "Bảo hiểm xã hội",
    "name_en": "Social insurance",
    "ticket_prefix": "m",  # typed in lower case: stored in capitals
    "daily_ticket_limit": "",
    "sort_order": "8",
    "active": "1",
}


def test_a_field_added_on_the_page_becomes_a_kiosk_tile_with_its_own_numbers(app: Any) -> None:
    admin = Staff(app, "admin")
    page = _post(admin, **NEW_FIELD)
    assert "Đã thêm lĩnh vực Bảo hiểm xã hội." in page
    client = app.test_client()
    services = client.get("/api/v1/services").get_json()["services"]
    assert "Bảo hiểm xã hội" in [s["name"] for s in services if s["code"] == "bao_hiem"]
    assert issue(client, app, "bao_hiem")["number"] == "M001"
    assert issue(client, app, "bao_hiem")["number"] == "M002"


def test_a_taken_code_or_prefix_or_a_bad_value_is_refused_with_a_message(app: Any) -> None:
    admin = Staff(app, "admin")
    cases = [
        ({"code": "ho_tich"}, "Đã có lĩnh vực mã ho_tich."),
        ({"ticket_prefix": "A"}, "Chữ đầu A đã dùng cho lĩnh vực “Hộ tịch”"),
        ({"ticket_prefix": "Đ"}, "Chữ đầu số thứ tự gồm 1 đến 4 chữ cái in hoa"),
        ({"code": "Bảo hiểm"}, "Mã lĩnh vực gồm chữ thường không dấu"),
        ({"name_vi": "   "}, "Cần nhập tên lĩnh vực."),
        ({"daily_ticket_limit": "nhiều"}, "Giới hạn số phiếu mỗi ngày phải là một số nguyên."),
        ({"daily_ticket_limit": "0"}, "Giới hạn số phiếu mỗi ngày phải từ 1 đến 9999."),
    ]
    for change, message in cases:
        page = _post(admin, **{**NEW_FIELD, **change})
        assert message in page, change
    assert _field(app, "bao_hiem") is None
    services = app.test_client().get("/api/v1/services").get_json()["services"]
    assert len(services) == 7


def test_renaming_a_field_limiting_it_and_taking_it_out_of_use_reach_the_kiosk_at_once(
    app: Any,
) -> None:
    admin = Staff(app, "admin")
    client = app.test_client()
    issue(client, app, "chung_thuc")  # the field is in the reference cache now
    f = _field(app, "chung_thuc")
    form = {
        "action": "field_save",
        "id": str(f.id),
        "name_vi": "Chứng thực bản sao, chữ ký",
        "name_en": "Certified copies",
        "ticket_prefix": "B",
        "daily_ticket_limit": "2",
        "sort_order": "2",
        "active": "1",
    }
    assert "Đã lưu lĩnh vực Chứng thực bản sao, chữ ký." in _post(admin, **form)
    second = issue(client, app, "chung_thuc")
    assert second["service_name"] == "Chứng thực bản sao, chữ ký" and second["number"] == "B002"
    r = client.post("/api/v1/tickets", json={"service": "chung_thuc"}, headers=kiosk_headers(app))
    assert r.status_code == 409 and r.get_json()["error"] == "daily_limit_reached"
    _post(admin, **{**form, "active": ""})  # an unticked box is not sent
    r = client.post("/api/v1/tickets", json={"service": "chung_thuc"}, headers=kiosk_headers(app))
    assert r.status_code == 422  # a field out of use is no field the kiosk may name (API.md)
    assert f.code == _field(app, "chung_thuc").code  # the code never changes


def test_a_counter_added_on_the_page_calls_the_fields_it_was_given(app: Any) -> None:
    admin = Staff(app, "admin")
    dat_dai, kinh_te = _field(app, "dat_dai"), _field(app, "kinh_te")
    page = admin.client.post(
        "/admin/setup",
        data={
            "csrf_token": admin.csrf,
            "action": "counter_add",
            "number": "7",
            "name": "Quầy 7 – Đất đai",
            "fields": [str(dat_dai.id), str(kinh_te.id)],
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Đã thêm quầy 7." in page
    counter, fields = _counter(app, 7)
    assert counter.active and not counter.is_priority and fields == ["dat_dai", "kinh_te"]
    listed = app.test_client().get("/api/v1/counters").get_json()["counters"]
    assert next(c for c in listed if c["number"] == 7)["services"] == ["dat_dai", "kinh_te"]
    client = app.test_client()
    issue(client, app, "ho_tich")  # not its field
    land = issue(client, app, "dat_dai")
    admin.open_counter(7)
    r = admin.call_next(7)
    assert r.status_code == 200 and r.get_json()["ticket"]["number"] == land["number"]
    assert "Đã có quầy số 7." in _post(admin, action="counter_add", number="7", name="Trùng")
    assert "Số quầy phải từ 1 đến 999." in _post(admin, action="counter_add", number="0", name="X")


def test_a_counter_holding_a_ticket_stays_in_use_until_the_ticket_is_closed(app: Any) -> None:
    admin, officer = Staff(app, "admin"), Staff(app, "canbo1")
    counter, fields = _counter(app, 1)
    ids = [str(_field(app, code).id) for code in fields]
    officer.open_counter(1)
    ticket = issue(app.test_client(), app, "ho_tich")
    assert officer.call_next(1).status_code == 200
    out_of_use = {"action": "counter_save", "id": str(counter.id), "name": counter.name}
    page = admin.client.post(
        "/admin/setup",
        data={"csrf_token": admin.csrf, **out_of_use, "fields": ids},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"Quầy 1 đang giữ số {ticket['number']}." in page
    assert _counter(app, 1)[0].active
    assert officer.post(f"/api/v1/tickets/{ticket['id']}/no-show").status_code == 200
    admin.client.post(
        "/admin/setup",
        data={"csrf_token": admin.csrf, **out_of_use, "fields": ids},
    )
    closed, still = _counter(app, 1)
    assert not closed.active and closed.state == "closed" and still == fields
    assert officer.call_next(1).status_code == 404


def test_the_office_details_and_the_queue_rule_are_saved_and_checked(app: Any) -> None:
    admin = Staff(app, "admin")
    form = {
        "action": "office",
        "name": "Trung tâm Phục vụ hành chính công xã Tân Lập",
        "parent_authority": "UBND xã Tân Lập",
        "province": "Tây Ninh",
        "address": "Ấp 2, xã Tân Lập",
        "hotline": "0276 3800 111",
        "interleave_n": "0",
    }
    page = _post(admin, **form)
    assert "Đã lưu thông tin đơn vị." in page
    assert "Trung tâm Phục vụ hành chính công xã Tân Lập" in admin.get("/admin").get_data(
        as_text=True
    )
    from lobby.extensions import db
    from lobby.models import Office

    with app.app_context():
        o = db.session.scalar(db.select(Office))
        assert (o.interleave_n, o.priority_counter_serves_normal) == (0, False)
        assert o.hotline == "0276 3800 111"
    for bad, message in [
        ({"interleave_n": "hai"}, "Số lượt thường giữa hai lượt ưu tiên phải là một số nguyên."),
        ({"interleave_n": "11"}, "Số lượt thường giữa hai lượt ưu tiên phải từ 0 đến 10."),
        ({"name": ""}, "Cần nhập tên đơn vị."),
    ]:
        assert message in _post(admin, **{**form, **bad})
    with app.app_context():
        assert db.session.scalar(db.select(Office)).name == form["name"]


def test_only_an_administrator_may_open_or_change_the_setup(app: Any) -> None:
    for username in ("lanhdao", "canbo1"):
        staff = Staff(app, username)
        assert staff.get("/admin/setup").status_code == 403
        r = staff.client.post(
            "/admin/setup", data={"csrf_token": staff.csrf, **NEW_FIELD}, follow_redirects=False
        )
        assert r.status_code == 403
        assert "Cấu hình" not in staff.get("/admin/calendar").get_data(as_text=True)
    anonymous = app.test_client().get("/admin/setup")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    admin = Staff(app, "admin")
    page = admin.get("/admin/setup").get_data(as_text=True)
    assert "Cấu hình đơn vị" in page and "ho_tich" in page and "Quầy 5 – Ưu tiên" in page
    assert _field(app, "bao_hiem") is None


def test_a_form_without_its_csrf_token_changes_nothing(app: Any) -> None:
    admin = Staff(app, "admin")
    r = admin.client.post("/admin/setup", data=NEW_FIELD, follow_redirects=True)
    assert "Phiên làm việc đã hết hạn" in r.get_data(as_text=True)
    assert _field(app, "bao_hiem") is None


def test_an_unknown_field_or_counter_gives_a_message_not_an_error_page(app: Any) -> None:
    admin = Staff(app, "admin")
    assert "Không có lĩnh vực này." in _post(
        admin, **{**NEW_FIELD, "action": "field_save", "id": "9999"}
    )
    assert "Không có lĩnh vực này." in _post(
        admin, **{**NEW_FIELD, "action": "field_save", "id": "x"}
    )
    assert "Không có lĩnh vực này." in _post(
        admin, **{**NEW_FIELD, "action": "field_save", "id": "99999999999999999999"}
    )
    assert "Không có quầy này." in _post(admin, action="counter_save", id="9999", name="Q")
    assert "Có lĩnh vực không thuộc đơn vị này." in _post(
        admin, action="counter_add", number="8", name="Q8", fields="9999"
    )
    assert "Thao tác không hợp lệ." in _post(admin, action="drop_tables")


WEEKDAY_HOURS = {
    f"h{day}_{session}_{end}": value
    for day in range(5)
    for session, span in (("am", ("07:00", "11:30")), ("pm", ("13:30", "17:00")))
    for end, value in zip(("start", "end"), span, strict=True)
}


def test_ticketing_hours_decide_when_the_kiosk_issues(app: Any, clock: Any) -> None:
    """The fixture's clock stands at Monday 08:00, inside the demo's morning window."""
    admin = Staff(app, "admin")
    client = app.test_client()
    issue(client, app, "ho_tich")
    monday_afternoon_only = {**WEEKDAY_HOURS, "h0_am_start": "", "h0_am_end": ""}
    page = _post(admin, action="hours", **monday_afternoon_only)
    assert "Đã lưu giờ phát số." in page
    r = client.post("/api/v1/tickets", json={"service": "ho_tich"}, headers=kiosk_headers(app))
    assert r.status_code == 409 and r.get_json()["error"] == "outside_hours"
    saturday = {**WEEKDAY_HOURS, "h5_am_start": "07:30", "h5_am_end": "11:00"}
    _post(admin, action="hours", **saturday)
    issue(client, app, "ho_tich")  # Monday morning is back
    clock.advance(days=5, hours=1)  # Saturday 09:00
    assert issue(client, app, "ho_tich")["number"] == "A001"  # a new service day
    page = admin.get("/admin/setup?s=hours").get_data(as_text=True)
    assert 'name="h5_am_start" value="07:30"' in page and 'name="h6_am_start" value=""' in page


def test_wrong_hours_are_refused_and_the_old_ones_kept(app: Any) -> None:
    admin = Staff(app, "admin")
    cases = [
        ({"h1_am_end": ""}, "Thứ Ba, sáng: cần cả giờ bắt đầu và giờ kết thúc."),
        ({"h2_pm_start": "18:00"}, "Thứ Tư, chiều: giờ kết thúc phải sau giờ bắt đầu."),
        ({"h3_pm_start": "11:00"}, "Thứ Năm: buổi chiều phải bắt đầu sau buổi sáng."),
        ({"h4_am_start": "7 giờ"}, "Thứ Sáu, sáng: giờ phải có dạng HH:MM."),
        ({"h4_am_start": "07:00+07:00"}, "Thứ Sáu, sáng: giờ phải có dạng HH:MM."),
        ({key: "" for key in WEEKDAY_HOURS}, "Cần ít nhất một khung giờ làm việc."),
    ]
    for change, message in cases:
        assert message in _post(admin, action="hours", **{**WEEKDAY_HOURS, **change}), change
    issue(app.test_client(), app, "ho_tich")  # Monday 08:00: still open


RULES = {
    "action": "rules",
    "agency_code": "000.00.31.H56",
    "rating_levels": "3",
    "due_mode": "working_hours",
    "timeliness_boundary": "due_day",
    "supplement_clock": "restart",
    "due_soon_working_hours": "8",
}


def test_dossier_rules_apply_to_the_next_dossier_and_not_to_earlier_ones(
    app: Any, clock: Any
) -> None:
    """Monday 30 Nov 2026 08:00; HT-XNTTHN takes 3 working days."""
    from datetime import datetime

    from tests.conftest import VN

    admin = Staff(app, "admin")
    clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=VN))
    body = {"procedure": "HT-XNTTHN", "applicant": {"full_name": "Trần Văn D"}}
    first = admin.post("/api/v1/dossiers", body).get_json()
    assert first["due_at"] == "2026-12-03T10:00:00+07:00"  # 24 working hours later
    rules = {**RULES, "due_mode": "end_of_nth_day", "supplement_clock": "pause"}
    assert "Đã lưu quy tắc hồ sơ." in _post(admin, **rules, saturday_counts="1")
    second = admin.post("/api/v1/dossiers", body).get_json()
    assert second["code"].startswith("000.00.31.H56-261130-")
    # End of the 3rd working day after Monday, Saturday morning counting: Thursday 17:00.
    assert second["due_at"] == "2026-12-03T17:00:00+07:00"
    from lobby.extensions import db
    from lobby.models import Dossier

    with app.app_context():
        kept = dict(db.session.execute(db.select(Dossier.code, Dossier.rules)).all())
    assert kept[second["code"]]["supplement_clock"] == "pause"
    assert kept[first["code"]]["supplement_clock"] == "restart"
    assert kept[first["code"]]["due_mode"] == "working_hours"
    page = admin.get("/admin/setup").get_data(as_text=True)
    assert (
        'value="end_of_nth_day" selected' in page
        and 'name="saturday_counts" value="1" checked' in page
    )


def test_wrong_dossier_rules_are_refused_and_nothing_changes(app: Any) -> None:
    from lobby.extensions import db
    from lobby.models import Office

    admin = Staff(app, "admin")
    cases = [
        ({"agency_code": "mã đơn vị"}, "Mã đơn vị gồm chữ, số, dấu chấm và gạch ngang"),
        ({"due_mode": "whenever"}, "Lựa chọn không hợp lệ."),
        ({"rating_levels": "4"}, "Lựa chọn không hợp lệ."),
        ({"due_soon_working_hours": "0"}, "Số giờ báo sắp đến hạn phải từ 1 đến 80."),
    ]
    for change, message in cases:
        assert message in _post(admin, **{**RULES, **change}), change
    with app.app_context():
        o = db.session.scalar(db.select(Office))
        assert o.agency_code == "000.00.00.H00" and "due_mode" not in (o.settings or {})


def test_a_counter_out_of_use_hands_its_transferred_tickets_back_to_their_line(
    app: Any,
) -> None:
    admin, officer = Staff(app, "admin"), Staff(app, "canbo1")
    officer.open_counter(1)
    Staff(app, "canbo4").open_counter(4)  # only an open counter takes a transferred ticket
    ticket = issue(app.test_client(), app, "chung_thuc")  # counters 1 and 4 call it
    assert officer.call_next(1).status_code == 200
    r = officer.post(f"/api/v1/tickets/{ticket['id']}/transfer", json={"counter": 4})
    assert r.status_code == 200, r.get_json()
    counter, fields = _counter(app, 4)
    ids = [str(_field(app, code).id) for code in fields]
    admin.client.post(
        "/admin/setup",
        data={
            "csrf_token": admin.csrf,
            "action": "counter_save",
            "id": str(counter.id),
            "name": counter.name,
            "fields": ids,
        },
    )
    assert not _counter(app, 4)[0].active
    r = officer.call_next(1)  # counter 1 serves chung_thuc too: the ticket is in its line again
    assert r.status_code == 200 and r.get_json()["ticket"]["number"] == ticket["number"]


def test_a_field_no_counter_calls_is_pointed_out(app: Any) -> None:
    admin = Staff(app, "admin")
    assert "Chưa có quầy nào đang dùng gọi số của" not in admin.get("/admin/setup").get_data(
        as_text=True
    )
    _post(admin, **NEW_FIELD)
    page = admin.get("/admin/setup").get_data(as_text=True)
    assert "Chưa có quầy nào đang dùng gọi số của: Bảo hiểm xã hội." in page


def test_reception_hours_are_what_working_hour_deadlines_count(app: Any, clock: Any) -> None:
    """Mornings only, 07:00–11:00: 3 working days (24 working hours) from Monday 10:00 end on
    the second Tuesday at 10:00 (1 + 4 × 5 + 3 hours)."""
    from datetime import datetime

    from tests.conftest import VN

    admin = Staff(app, "admin")
    mornings = {
        f"r{day}_am_{end}": t
        for day in range(5)
        for end, t in (("start", "07:00"), ("end", "11:00"))
    }
    assert "Đã lưu giờ tiếp nhận hồ sơ." in _post(admin, action="reception_hours", **mornings)
    clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=VN))
    body = {"procedure": "HT-XNTTHN", "applicant": {"full_name": "Ngô Thị E"}}
    got = admin.post("/api/v1/dossiers", body).get_json()
    assert got["due_at"] == "2026-12-08T10:00:00+07:00"
    issue(app.test_client(), app, "ho_tich")  # ticket hours are separate: 10:00 still issues
    page = admin.get("/admin/setup").get_data(as_text=True)
    assert 'name="r0_pm_start" value=""' in page and 'name="h0_pm_start" value="13:30"' in page
