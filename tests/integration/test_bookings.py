"""Remote tickets (lấy số từ xa, issue 15) end to end: booking a slot through the API and the
phone page, the limits per person, per field and per slot, cancelling, checking in at the kiosk
(code or scanned QR address) with the slot's start as the ticket's place in line, automatic
check-in, and expiry. The demo office: Monday 30 Nov 2026, windows 07:00–11:30, 13:30–17:00."""

from __future__ import annotations

from typing import Any

from core.clock import FixedClock
from tests.conftest import MONDAY_8AM
from tests.integration.helpers import Staff, issue, kiosk_headers

MONDAY = "2026-11-30"
TUESDAY = "2026-12-01"


def _at(clock: FixedClock, hour: int, minute: int) -> None:
    clock.set(MONDAY_8AM.replace(hour=hour, minute=minute))


def _settings(app: Any, **values: Any) -> None:
    with app.app_context():
        from lobby.context import ctx, office
        from lobby.extensions import db

        o = office()
        o.settings = {**(o.settings or {}), **values}
        db.session.commit()
        ctx().reference.clear()


def _book(client: Any, slot: str, day: str = MONDAY, service: str = "ho_tich", **more: Any) -> Any:
    return client.post(
        "/api/v1/bookings", json={"service": service, "day": day, "slot": slot, **more}
    )


def _check_in(client: Any, app: Any, code: str) -> Any:
    return client.post("/api/v1/bookings/check-in", json={"code": code}, headers=kiosk_headers(app))


def test_a_booking_is_made_seen_and_keeps_the_phone_number_secret(app: Any) -> None:
    client = app.test_client()
    r = _book(client, "09:00", phone="+84 912 345 678")
    assert r.status_code == 201, r.get_json()
    made = r.get_json()
    assert set(made) >= {"code", "token", "url", "slot"} and made["slot"] == "09:00"
    assert made["url"].endswith(f"/lay-so/{made['token']}")
    seen = client.get(f"/api/v1/bookings/{made['token']}").get_json()
    assert seen["status"] == "booked" and seen["service"] == "ho_tich" and seen["ticket"] is None
    assert "0912345678" not in str(seen) and "phone" not in seen
    with app.app_context():
        from sqlalchemy import text

        from lobby.extensions import db

        raw = db.session.execute(text("SELECT phone, person_key FROM bookings")).one()
    assert "0912345678" not in raw.phone and "0912345678" not in raw.person_key
    page = client.get(f"/lay-so/{made['token']}").get_data(as_text=True)
    assert made["code"] in page and "0912345678" not in page and "912 345" not in page
    assert client.get("/api/v1/bookings/nope-not-a-token").status_code == 404


def test_limits_per_person_per_field_and_bad_input(app: Any) -> None:
    client = app.test_client()
    phone = {"phone": "0912345678"}
    assert _book(client, "09:00", **phone).status_code == 201
    again = _book(client, "10:00", **phone)
    assert again.status_code == 409 and again.get_json()["error"] == "booking_limit"
    assert _book(client, "10:00", service="chung_thuc", phone="091 234 5678").status_code == 201
    third = _book(client, "10:00", service="dat_dai", **phone)
    assert third.status_code == 409 and third.get_json()["error"] == "booking_limit"
    # Another number from the same address may still book (up to the address's limit).
    assert _book(client, "10:00", service="dat_dai", phone="0987654321").status_code == 201
    for body, field in (
        ({"service": "ho_tich", "day": MONDAY, "slot": "9h"}, "slot"),
        ({"service": "ho_tich", "day": "30/11", "slot": "09:00"}, "day"),
        ({"service": "khong_co", "day": MONDAY, "slot": "09:00"}, "service"),
        ({"service": "ho_tich", "day": "2026-12-05", "slot": "09:00"}, "day"),  # Saturday
        ({"service": "ho_tich", "day": MONDAY, "slot": "12:00"}, "slot"),  # lunch
        ({"service": "ho_tich", "day": MONDAY, "slot": "09:00", "phone": "12345"}, "phone"),
    ):
        r = client.post("/api/v1/bookings", json=body)
        assert r.status_code == 422 and r.get_json()["details"]["field"] == field, (body, r.json)


def test_a_full_slot_is_refused_with_the_next_free_one_and_cancelling_frees_it(app: Any) -> None:
    _settings(app, booking_capacity={"ho_tich": 1})
    client = app.test_client()
    first = _book(client, "09:00", phone="0912345678").get_json()
    full = _book(client, "09:00", phone="0987654321")
    assert full.status_code == 409
    assert full.get_json()["error"] == "slot_full"
    assert full.get_json()["details"]["next_slot"] == {"day": MONDAY, "slot": "09:30"}
    gone = client.delete(f"/api/v1/bookings/{first['token']}")
    assert gone.status_code == 200 and gone.get_json()["status"] == "cancelled"
    assert client.delete(f"/api/v1/bookings/{first['token']}").status_code == 200  # twice
    assert _book(client, "09:00", phone="0987654321").status_code == 201


def test_a_checked_in_booking_enters_the_line_at_its_slot_time(app: Any, clock: FixedClock) -> None:
    """Walk-in A at 08:10, the booking for 09:00, walk-in B at 09:05, the booking checked in at
    09:10: the counter calls A, then the booked ticket, then B; the phone sees its number."""
    client = app.test_client()
    booked = _book(client, "09:00").get_json()
    _at(clock, 8, 10)
    a = issue(client, app)
    _at(clock, 9, 5)
    b = issue(client, app)
    _at(clock, 9, 10)
    r = _check_in(client, app, booked["code"].lower())
    assert r.status_code == 201, r.get_json()
    ticket = r.get_json()
    assert ticket["ahead"] == 1 and ticket["booking"]["status"] == "checked_in"
    assert client.get(f"/api/v1/tickets/{b['token']}").get_json()["ahead"] == 2
    seen = client.get(f"/api/v1/bookings/{booked['token']}").get_json()
    assert seen["ticket"]["number"] == ticket["number"]
    assert ticket["token"] in seen["ticket"]["url"]
    again = _check_in(client, app, booked["code"])
    assert again.status_code == 409 and again.get_json()["error"] == "booking_closed"
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    listed = [w["number"] for w in officer.get("/api/v1/counters/1/queue").get_json()["waiting"]]
    assert listed == [a["number"], ticket["number"], b["number"]]
    assert officer.call_next(1).get_json()["ticket"]["number"] == a["number"]


def test_a_scanned_qr_address_checks_in_and_other_days_do_not(app: Any) -> None:
    client = app.test_client()
    today = _book(client, "08:30").get_json()
    scanned = f"http://lobby.local/lay-so/{today['token']}"
    assert _check_in(client, app, scanned).status_code == 201
    tomorrow = _book(client, "08:30", day=TUESDAY, service="chung_thuc").get_json()
    r = _check_in(client, app, tomorrow["code"])
    assert r.status_code == 409 and r.get_json()["error"] == "booking_not_today"
    assert _check_in(client, app, "ZZZZZZ").status_code == 404
    assert _check_in(client, app, "").status_code == 422
    # Only a kiosk checks in.
    assert client.post("/api/v1/bookings/check-in", json={"code": "x"}).status_code == 401


def test_bookings_not_checked_in_expire_and_auto_check_in(app: Any, clock: FixedClock) -> None:
    client = app.test_client()
    early = _book(client, "08:00", phone="0912345678").get_json()
    late = _book(client, "08:00", service="chung_thuc", phone="0987654321").get_json()
    _at(clock, 8, 45)  # 08:30 + 15 min grace
    r = _check_in(client, app, early["code"])
    assert r.status_code == 409 and r.get_json()["error"] == "booking_closed"
    assert client.get(f"/api/v1/bookings/{early['token']}").get_json()["status"] == "expired"
    # A booking left to expire used its turn: the same number cannot book the field again today.
    again = _book(client, "10:00", phone="0912345678")
    assert again.status_code == 409 and again.get_json()["error"] == "booking_limit"
    with app.app_context():
        from lobby.bookings.checkin import auto_check_in, expire_bookings

        assert expire_bookings() == 1
    assert client.get(f"/api/v1/bookings/{late['token']}").get_json()["status"] == "expired"
    _settings(app, booking_auto_checkin=True)
    auto = _book(client, "09:00", service="dat_dai").get_json()
    with app.app_context():
        assert auto_check_in() == 0  # its slot has not opened
    _at(clock, 9, 0)
    with app.app_context():
        assert auto_check_in() == 1
    seen = client.get(f"/api/v1/bookings/{auto['token']}").get_json()
    assert seen["status"] == "checked_in" and seen["ticket"]["number"].startswith("C")


def test_the_phone_page_books_without_javascript(app: Any) -> None:
    client = app.test_client()
    home = client.get("/lay-so").get_data(as_text=True)
    assert "Lấy số từ xa" in home and "Hộ tịch" in home
    day = client.get("/lay-so?service=ho_tich").get_data(as_text=True)
    assert "2. Chọn ngày" in day and 'value="09:00"' in day and "còn" in day
    r = client.post(
        "/lay-so", data={"service": "ho_tich", "day": MONDAY, "slot": "09:00", "phone": ""}
    )
    assert r.status_code == 303 and "/lay-so/" in r.headers["Location"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Mã đặt lịch" in page and "09:00–09:30" in page
    token = r.headers["Location"].rsplit("/", 1)[1]
    assert client.get(f"/lay-so/{token}/qr.svg").mimetype == "image/svg+xml"
    refused = client.post("/lay-so", data={"service": "ho_tich", "day": MONDAY, "slot": "10:00"})
    assert refused.status_code == 409 and "lĩnh vực này" in refused.get_data(as_text=True)
    assert client.post(f"/lay-so/{token}/huy").status_code == 303
    assert "Đã hủy" in client.get(f"/lay-so/{token}").get_data(as_text=True)
    assert client.get("/lay-so/khong-co-lich-nay").status_code == 404


def test_with_an_sms_gateway_the_number_is_confirmed_by_a_one_time_code(
    app: Any, clock: FixedClock
) -> None:
    from lobby.bookings import sms

    sent: list[tuple[str, str]] = []
    sms.use_sender(app, lambda phone, text: sent.append((phone, text)) is None)
    client = app.test_client()
    made = _book(client, "09:00", phone="+84 912 345 678").get_json()
    assert made["status"] == "pending" and len(sent) == 1 and sent[0][0] == "0912345678"
    otp = sent[0][1].rsplit(" ", 1)[1]
    refused = _check_in(client, app, made["code"])
    assert refused.status_code == 409 and refused.get_json()["error"] == "booking_unconfirmed"
    wrong = client.post(f"/api/v1/bookings/{made['token']}/confirm", json={"otp": "000000"})
    if otp != "000000":
        assert wrong.status_code == 422 and wrong.get_json()["details"]["tries_left"] == 4
    page = client.post(f"/lay-so/{made['token']}/xac-nhan", data={"otp": otp})
    assert page.status_code == 303
    assert client.get(f"/api/v1/bookings/{made['token']}").get_json()["status"] == "booked"
    assert _check_in(client, app, made["code"]).status_code == 201
    # Five wrong codes close a booking; a gateway that fails leaves the number taken on trust.
    other = _book(client, "09:00", service="chung_thuc", phone="0987654321").get_json()
    for _ in range(5):
        last = client.post(f"/api/v1/bookings/{other['token']}/confirm", json={"otp": "x"})
    assert last.status_code == 409 and last.get_json()["details"]["status"] == "cancelled"
    # A code never entered: the periodic job gives the place back after 10 minutes.
    waiting = _book(client, "10:00", service="kinh_te", phone="0987654323").get_json()
    _at(clock, 8, 10)
    with app.app_context():
        from lobby.bookings.checkin import expire_bookings

        assert expire_bookings() == 1
    assert client.get(f"/api/v1/bookings/{waiting['token']}").get_json()["status"] == "expired"
    sms.use_sender(app, lambda phone, text: False)
    trusted = _book(client, "09:30", service="dat_dai", phone="0987654322").get_json()
    assert trusted["status"] == "booked"
    with app.app_context():
        from sqlalchemy import text

        from lobby.extensions import db

        phones = db.session.execute(text("SELECT status, phone FROM bookings")).all()
    # Once used or closed, the number is forgotten.
    forgotten = {status for status, phone in phones if phone is None}
    assert forgotten == {"checked_in", "cancelled", "expired"}


def test_the_administrator_sets_the_days_slots_and_capacity_of_each_field(app: Any) -> None:
    admin = Staff(app, "admin")
    page = admin.get("/admin/setup").get_data(as_text=True)
    assert 'name="capacity_ho_tich"' in page and "tự động: 6" in page
    r = admin.client.post(
        "/admin/setup",
        data={
            "csrf_token": admin.csrf,
            "action": "bookings",
            "booking_days": "2",
            "booking_slot_minutes": "60",
            "booking_grace_minutes": "10",
            "capacity_ho_tich": "1",
            "capacity_chung_thuc": "",
        },
    )
    assert r.status_code == 302
    client = app.test_client()
    form = client.get("/lay-so?service=ho_tich").get_data(as_text=True)
    assert "09:00–10:00" in form and "còn 1 chỗ" in form and "Thứ Tư 02/12" in form
    assert "Thứ Năm 03/12" not in form  # today and the next 2 working days
    assert _book(client, "09:00").status_code == 201
    assert _book(client, "09:00", phone="0912345678").status_code == 409
    bad = admin.client.post(
        "/admin/setup",
        data={"csrf_token": admin.csrf, "action": "bookings", "booking_days": "x"},
    )
    assert bad.status_code == 302
    assert "phải là một số nguyên" in admin.get("/admin/setup?s=bookings").get_data(as_text=True)
