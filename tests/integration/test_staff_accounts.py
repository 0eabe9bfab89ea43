"""Staff accounts and devices on /admin/staff: made, changed, withdrawn by the administrator;
the secrets shown once; the rules that keep the office from locking itself out."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.integration.helpers import Staff


def _post(staff: Staff, follow: bool = True, **form: Any) -> Any:
    return staff.client.post(
        "/admin/staff", data={"csrf_token": staff.csrf, **form}, follow_redirects=follow
    )


def _page(staff: Staff, **form: Any) -> str:
    r = _post(staff, **form)
    assert r.status_code == 200, r.status_code
    return str(r.get_data(as_text=True))


def _user_id(app: Any, username: str) -> int:
    from lobby.extensions import db
    from lobby.models import StaffUser

    with app.app_context():
        return int(db.session.scalar(db.select(StaffUser.id).where(StaffUser.username == username)))


def _shown_password(page: str) -> str:
    found = re.search(r'<p class="big"><code>([^<]+)</code>', page)
    assert found, "the page shows the new password"
    return found.group(1)


def _sign_in(app: Any, username: str, password: str) -> int:
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert token
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
    )
    return int(r.status_code)


def test_a_new_officer_gets_a_password_shown_once_that_signs_in(app: Any) -> None:
    admin = Staff(app, "admin")
    r = _post(
        admin,
        action="user_add",
        username="CanBo6",  # stored in lower case
        full_name="Hồ Thị Sáu",
        title="Công chức Tư pháp",
        role="officer",
        counter="2",
    )
    page = r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "no-store"
    assert "Mật khẩu của canbo6" in page
    password = _shown_password(page)
    assert len(password) >= 12
    assert password not in admin.get("/admin/staff").get_data(as_text=True)
    assert _sign_in(app, "canbo6", password) == 302
    app.demo["users"].append({"username": "canbo6", "password": password})
    officer = Staff(app, "canbo6")
    assert officer.post("/api/v1/counters/2/open").status_code == 200
    assert officer.post("/api/v1/counters/3/open").status_code == 403


def test_bad_or_taken_usernames_roles_and_counters_are_refused_with_a_message(app: Any) -> None:
    admin = Staff(app, "admin")
    cases = [
        ({"username": "canbo1"}, "Tên đăng nhập canbo1 đã có."),
        ({"username": "cán bộ"}, "Tên đăng nhập gồm 2 đến 80 chữ thường không dấu"),
        ({"role": "superuser"}, "Vai trò không hợp lệ."),
        ({"counter": "42"}, "Không có quầy số 42."),
        ({"counter": "hai"}, "Số quầy phải là một số nguyên."),
        ({"counter": "99999999999999999999"}, "Không có quầy số 99999999999999999999."),
    ]
    for change, message in cases:
        form = {"action": "user_add", "username": "canbo7", "role": "officer", **change}
        assert message in _page(admin, **form), change
    assert "canbo7" not in admin.get("/admin/staff").get_data(as_text=True)


def test_an_officer_taken_out_of_use_is_refused_on_the_next_request(app: Any) -> None:
    admin, officer = Staff(app, "admin"), Staff(app, "canbo3")
    assert officer.post("/api/v1/counters/3/open").status_code == 200
    form = {
        "action": "user_save",
        "id": str(_user_id(app, "canbo3")),
        "full_name": "Phạm Văn Ba",
        "title": "",
        "role": "officer",
        "counter": "3",
    }  # "active" unticked
    assert "Đã lưu tài khoản canbo3." in _page(admin, **form)
    assert officer.post("/api/v1/counters/3/pause", json={"reason": "x"}).status_code == 401
    password = next(u["password"] for u in app.demo["users"] if u["username"] == "canbo3")
    assert _sign_in(app, "canbo3", password) != 302


def test_the_administrator_cannot_lock_themselves_out_and_one_administrator_stays(
    app: Any,
) -> None:
    admin = Staff(app, "admin")
    me = {"action": "user_save", "id": str(_user_id(app, "admin")), "full_name": "Quản trị"}
    assert "Không thể tự khóa hoặc tự đổi vai trò" in _page(admin, **me, role="admin")
    assert "Không thể tự khóa hoặc tự đổi vai trò" in _page(admin, **me, role="officer", active="1")
    second = _page(admin, action="user_add", username="admin2", role="admin")
    password = _shown_password(second)
    app.demo["users"].append({"username": "admin2", "password": password})
    other = Staff(app, "admin2")
    demote = {"action": "user_save", "id": str(_user_id(app, "admin2")), "role": "leader"}
    assert "Đã lưu tài khoản admin2." in _page(admin, **demote, active="1")
    # admin2 is a leader now: only "admin" administers, and it cannot step down by itself.
    assert other.get("/admin/staff").status_code == 403
    again = {"action": "user_save", "id": str(_user_id(app, "admin")), "role": "leader"}
    assert "Không thể tự khóa" in _page(admin, **again, active="1")


def test_a_reset_password_replaces_the_old_one(app: Any) -> None:
    admin = Staff(app, "admin")
    old = next(u["password"] for u in app.demo["users"] if u["username"] == "canbo2")
    page = _page(admin, action="user_reset", id=str(_user_id(app, "canbo2")))
    new = _shown_password(page)
    assert new != old
    assert _sign_in(app, "canbo2", old) != 302
    assert _sign_in(app, "canbo2", new) == 302


def _pairing_token(page: str) -> str:
    found = re.search(r"/pair/(dv_[A-Za-z0-9_-]+)", page)
    assert found, "the page shows the pairing link"
    return found.group(1)


def _issue_with(app: Any, token: str) -> int:
    r = app.test_client().post(
        "/api/v1/tickets",
        json={"service": "ho_tich"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
    )
    return int(r.status_code)


def test_a_new_kiosk_is_paired_withdrawn_and_comes_back_only_paired_again(app: Any) -> None:
    from lobby.extensions import db
    from lobby.models import Device

    admin = Staff(app, "admin")
    r = _post(admin, action="device_add", kind="kiosk", name="Kiosk cửa phụ", printer="")
    page = r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "no-store" and "<svg" in page
    token = _pairing_token(page)
    assert _issue_with(app, token) == 201
    with app.app_context():
        device_id = db.session.scalar(db.select(Device.id).where(Device.name == "Kiosk cửa phụ"))
    assert "Đã thu hồi Kiosk cửa phụ." in _page(admin, action="device_off", id=str(device_id))
    assert _issue_with(app, token) == 401
    # A lost kiosk's token must stay useless: there is no "use again", only a new pairing.
    assert "Thao tác không hợp lệ." in _page(admin, action="device_on", id=str(device_id))
    assert _issue_with(app, token) == 401
    fresh = _pairing_token(_page(admin, action="device_pair", id=str(device_id)))
    assert fresh != token
    assert _issue_with(app, token) == 401 and _issue_with(app, fresh) == 201


def test_a_reset_password_ends_the_old_sessions_and_api_tokens(app: Any) -> None:
    admin, officer = Staff(app, "admin"), Staff(app, "canbo1")
    token = app.test_cli_runner().invoke(args=["users", "token", "canbo1"]).output.strip()
    api = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/counters/1/queue", headers=api).status_code == 200
    assert officer.post("/api/v1/counters/1/open").status_code == 200
    _page(admin, action="user_reset", id=str(_user_id(app, "canbo1")))
    assert officer.post("/api/v1/counters/1/pause", json={"reason": "x"}).status_code == 401
    assert app.test_client().get("/api/v1/counters/1/queue", headers=api).status_code == 401


def test_a_reloaded_reset_does_not_replace_the_password_just_shown(app: Any) -> None:
    admin = Staff(app, "admin")
    page = admin.get("/admin/staff").get_data(as_text=True)
    once = re.search(r'name="once" value="([^"]+)"', page)
    assert once
    form = {"action": "user_reset", "id": str(_user_id(app, "canbo2")), "once": once.group(1)}
    shown = _shown_password(_page(admin, **form))
    again = _page(admin, **form)  # the browser sends the same form again
    assert "Việc này đã làm rồi" in again and shown not in again
    assert _sign_in(app, "canbo2", shown) == 302


def test_usernames_sign_in_whatever_their_case(app: Any) -> None:
    admin = Staff(app, "admin")
    password = _shown_password(_page(admin, action="user_add", username="CanBo8", role="officer"))
    assert _sign_in(app, "CanBo8", password) == 302 and _sign_in(app, "canbo8", password) == 302


def test_bad_devices_are_refused_with_a_message(app: Any) -> None:
    admin = Staff(app, "admin")
    cases = [
        ({"kind": "toaster"}, "Loại thiết bị không hợp lệ."),
        ({"name": "  "}, "Cần nhập tên thiết bị."),
        ({"counter": "77"}, "Không có quầy số 77."),
    ]
    for change, message in cases:
        form = {"action": "device_add", "kind": "tablet", "name": "Máy đánh giá 9", **change}
        assert message in _page(admin, **form), change
    bad_printer = _page(admin, action="device_add", kind="kiosk", name="K", printer="lpt1")
    assert 'class="flash error"' in bad_printer and "/pair/" not in bad_printer
    assert "Không có thiết bị này." in _page(admin, action="device_off", id="9999")
    assert "Không có tài khoản này." in _page(admin, action="user_reset", id="x")


def test_only_an_administrator_manages_accounts_and_devices(app: Any) -> None:
    for username in ("lanhdao", "canbo1"):
        staff = Staff(app, username)
        assert staff.get("/admin/staff").status_code == 403
        r = _post(staff, follow=False, action="user_add", username="x9", role="admin")
        assert r.status_code == 403
    assert app.test_client().get("/admin/staff").status_code == 302
    page = Staff(app, "admin").get("/admin/staff").get_data(as_text=True)
    assert "canbo5" in page and "Kiosk sảnh chính" in page
    from lobby.extensions import db
    from lobby.models import StaffUser

    with app.app_context():  # not by searching the page: "x9" may occur in a random token
        assert db.session.scalar(db.select(StaffUser).where(StaffUser.username == "x9")) is None


def test_an_officer_cannot_be_put_at_a_counter_out_of_use_and_leaves_theirs_closed(
    app: Any,
) -> None:
    from lobby.extensions import db
    from lobby.models import Counter

    admin, officer = Staff(app, "admin"), Staff(app, "canbo3")
    with app.app_context():
        c4 = db.session.scalar(db.select(Counter).where(Counter.number == 4))
        c4.active = False
        db.session.commit()
    page = _page(admin, action="user_add", username="canbo9", role="officer", counter="4")
    assert "Quầy số 4 đang thôi dùng." in page
    assert officer.post("/api/v1/counters/3/open").status_code == 200
    form = {"action": "user_save", "id": str(_user_id(app, "canbo3")), "role": "officer"}
    _page(admin, **form, counter="3")  # out of use: "active" unticked
    counters = app.test_client().get("/api/v1/counters").get_json()["counters"]
    assert next(c for c in counters if c["number"] == 3)["state"] == "closed"
