"""The staff intake form and the receipt as officers use them: nothing chosen for them, the
procedure's documents prefilled, the ID number checked by its type, the lookup PIN shown once and
issued again after an ID check."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.integration.helpers import Staff, issue

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _served(app: Any, officer: Staff) -> int:
    issue(app.test_client(), app)
    officer.open_counter(1)
    tid = officer.call_next(1).get_json()["ticket"]["id"]
    officer.post(f"/api/v1/tickets/{tid}/start")
    return int(tid)


def _form(officer: Staff, **fields: str) -> dict[str, str]:
    return {"csrf_token": officer.csrf, "full_name": "Trần Thị Bình", **fields}


def _pin_on(page: str) -> str:
    found = re.search(r'id="lookup-pin">(\d{6})<', page)
    assert found, "no PIN on the receipt"
    return found.group(1)


def _code_on(page: str) -> str:
    found = re.search(r'Mã hồ sơ: <b class="code">([^<]+)</b>', page)
    assert found
    return found.group(1)


def test_no_procedure_is_chosen_for_the_officer(app: Any) -> None:
    officer = Staff(app, "canbo1")
    tid = _served(app, officer)
    page = officer.get(f"/admin/dossiers/new?ticket={tid}").get_data(as_text=True)
    select = page[
        page.index('<select name="procedure"') : page.index(
            "</select>", page.index('<select name="procedure"')
        )
    ]
    assert "selected" not in select and "required" in select
    # The ticket's field comes first, and the search box is there for the script to show.
    assert select.index('label="Hộ tịch"') < select.index("<option")
    assert 'id="procedure-search"' in page and "intake.js" in page
    assert "<script>" not in page and "onclick" not in page  # no inline script (CSP)
    # Sent without a procedure, the form is refused and nothing is accepted.
    r = officer.client.post(f"/admin/dossiers/new?ticket={tid}", data=_form(officer))
    assert r.status_code == 200 and "flash error" in r.get_data(as_text=True)


def test_the_procedures_documents_come_ticked_and_the_officer_keeps_what_was_handed_in(
    app: Any,
) -> None:
    officer = Staff(app, "canbo1")
    # Sent back after an error (here a wrong ID number), the table shows the procedure's list.
    r = officer.client.post(
        "/admin/dossiers/new",
        data=_form(officer, procedure="HT-KS", id_number="12345"),
    )
    page = html.unescape(r.get_data(as_text=True))
    assert "Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số." in page
    assert 'value="Trần Thị Bình"' in page and 'value="12345"' in page  # the form is kept
    names = re.findall(r'name="c-(\d+)-name" value="([^"]+)"', page)
    assert [n for _i, n in names][:2] == [
        "Tờ khai đăng ký khai sinh",
        "Giấy chứng sinh (bản chính)",
    ]
    assert len(re.findall(r'name="c-\d+-on" value="1" checked', page)) == len(names) == 3
    assert "(3/3 giấy tờ đã đánh dấu)" in page
    # The officer unticks the third, gives two copies of the first, adds one more document.
    r = officer.client.post(
        "/admin/dossiers/new",
        data=_form(
            officer,
            procedure="HT-KS",
            id_number="079 123 456 789",
            **{f"c-{i}-name": n for i, n in names},
            **{"c-0-on": "1", "c-0-ban_chinh": "2", "c-0-ban_photo": "1"},
            **{"c-1-on": "1", "c-1-ban_chinh": "1"},
            **{"c-2-ban_chinh": "1"},
            components="Giấy ủy quyền",
        ),
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    code = _code_on(r.get_data(as_text=True))
    view = officer.get(f"/api/v1/dossiers/{code}").get_json()["dossier"]
    assert view["components"] == [
        {"name": "Tờ khai đăng ký khai sinh", "ban_chinh": 2, "ban_chung_thuc": 0, "ban_photo": 1},
        {
            "name": "Giấy chứng sinh (bản chính)",
            "ban_chinh": 1,
            "ban_chung_thuc": 0,
            "ban_photo": 0,
        },
        {"name": "Giấy ủy quyền", "ban_chinh": 1, "ban_chung_thuc": 0, "ban_photo": 0},
    ]
    assert view["applicant"]["id_number"] == "079123456789"


def test_a_passport_number_is_accepted_as_a_passport(app: Any) -> None:
    officer = Staff(app, "canbo1")
    bad = officer.client.post(
        "/admin/dossiers/new",
        data=_form(officer, procedure="HT-XNTTHN", id_type="passport", id_number="12"),
    )
    assert "Số hộ chiếu gồm 6–20 chữ cái hoặc chữ số" in html.unescape(bad.get_data(as_text=True))
    good = officer.client.post(
        "/admin/dossiers/new",
        data=_form(officer, procedure="HT-XNTTHN", id_type="passport", id_number="c1234567"),
    )
    page = good.get_data(as_text=True)
    assert "Hộ chiếu: C1234567" in page


def test_the_pin_is_shown_once_on_the_receipt_and_kept_nowhere(app: Any) -> None:
    officer = Staff(app, "canbo1")
    r = officer.client.post("/admin/dossiers/new", data=_form(officer, procedure="HT-XNTTHN"))
    first = r.get_data(as_text=True)
    pin, code = _pin_on(first), _code_on(first)
    assert r.headers["Cache-Control"] == "no-store"
    assert "/tra-cuu với mã hồ sơ và mã tra cứu" in first
    # It works for the citizen.
    lookup = app.test_client().post("/api/v1/dossiers/lookup", json={"code": code, "pin": pin})
    assert lookup.status_code == 200
    # Not in the officer's session cookie.
    with officer.client.session_transaction() as session:
        assert pin not in repr(dict(session))
    # Opened again later, the receipt has no PIN and does not send the citizen to use one.
    later = officer.get(f"/admin/dossiers/{code}/receipt").get_data(as_text=True)
    assert 'id="lookup-pin"' not in later and "Mã tra cứu: <b" not in later
    assert "với mã hồ sơ và mã tra cứu" not in later
    assert "mang giấy tờ tùy thân đến Bộ phận tiếp nhận và trả kết quả để được cấp lại" in later


def test_an_officer_issues_a_new_pin_from_the_dossier_page_after_checking_the_id(
    app: Any,
) -> None:
    officer = Staff(app, "canbo1")
    r = officer.client.post(
        "/admin/dossiers/new",
        data=_form(officer, procedure="HT-XNTTHN", id_number="079123456789"),
    )
    first = r.get_data(as_text=True)
    old, code = _pin_on(first), _code_on(first)
    detail = officer.get(f"/admin/dossiers/{code}").get_data(as_text=True)
    assert "Cấp lại mã tra cứu" in detail
    once = re.search(r'name="once" value="([^"]+)"', detail)
    assert once
    path = f"/admin/dossiers/{code}/pin"
    # Neither the number typed nor the box ticked: refused, back on the dossier page.
    refused = officer.client.post(path, data={"csrf_token": officer.csrf, "once": "a"})
    assert refused.status_code == 302
    assert "Cần kiểm tra giấy tờ tùy thân" in officer.get(f"/admin/dossiers/{code}").get_data(
        as_text=True
    )
    wrong = officer.client.post(
        path, data={"csrf_token": officer.csrf, "once": "b", "id_number": "079123456788"}
    )
    assert wrong.status_code == 302
    assert "không khớp" in officer.get(f"/admin/dossiers/{code}").get_data(as_text=True)
    ok = officer.client.post(
        path,
        data={"csrf_token": officer.csrf, "once": once.group(1), "id_number": "079123456789"},
    )
    assert ok.status_code == 200 and ok.headers["Cache-Control"] == "no-store"
    page = ok.get_data(as_text=True)
    new = _pin_on(page)
    assert "cấp lại mã tra cứu; mã tra cứu cũ không còn hiệu lực" in page
    client = app.test_client()
    assert (
        client.post("/api/v1/dossiers/lookup", json={"code": code, "pin": new}).status_code == 200
    )
    if new != old:
        dead = client.post("/api/v1/dossiers/lookup", json={"code": code, "pin": old})
        assert dead.status_code == 404
    # The history shows it; a reload of the same form does not issue yet another PIN.
    history = officer.get(f"/admin/dossiers/{code}").get_data(as_text=True)
    assert "Cấp lại mã tra cứu" in history.split("(Mẫu 05)")[1]  # a control sheet row
    again = officer.client.post(
        path,
        data={"csrf_token": officer.csrf, "once": once.group(1), "id_number": "079123456789"},
    )
    assert again.status_code == 302
    assert (
        client.post("/api/v1/dossiers/lookup", json={"code": code, "pin": new}).status_code == 200
    )


def test_a_reload_of_the_receipt_page_does_not_accept_the_dossier_twice(app: Any) -> None:
    officer = Staff(app, "canbo1")
    page = officer.get("/admin/dossiers/new").get_data(as_text=True)
    once = re.search(r'name="once" value="([^"]+)"', page)
    assert once
    data = _form(officer, procedure="HT-XNTTHN", once=once.group(1))
    first = officer.client.post("/admin/dossiers/new", data=data)
    code = _code_on(first.get_data(as_text=True))
    again = officer.client.post("/admin/dossiers/new", data=data)
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/dossiers/{code}")
    with app.app_context():
        from sqlalchemy import func, select

        from lobby.extensions import db
        from lobby.models import Dossier

        assert db.session.scalar(select(func.count()).select_from(Dossier)) == 1
