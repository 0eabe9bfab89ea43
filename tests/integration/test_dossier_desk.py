"""The desk's dossier rules (Decree 118), codes from other systems, and the staff's dossier list
with its blind-index search (issue 13, items 7–9)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import text

from core.clock import FixedClock
from tests.conftest import VN
from tests.integration.helpers import Staff

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
# The list's queries (filters, the blind index) run on both databases.
BOTH = pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

PEOPLE = [
    {"full_name": "Nguyễn Văn An", "id_number": "079123456789", "phone": "0901234567"},
    {"full_name": "Trần Thị Bình", "id_number": "079987654321", "phone": "0912345678"},
    {"full_name": "Lê Văn Cường", "id_type": "passport", "id_number": "C1234567"},
]


def _accept(officer: Staff, person: dict[str, Any], procedure: str = "HT-XNTTHN", **extra: Any):
    r = officer.post("/api/v1/dossiers", {"procedure": procedure, "applicant": person, **extra})
    return r


def _event(officer: Staff, code: str, body: dict[str, Any]) -> Any:
    return officer.post(f"/api/v1/dossiers/{code}/events", body)


# --- Decree 118 -----------------------------------------------------------------------------


@SQLITE
def test_a_second_supplement_request_is_refused_with_the_reason(app: Any) -> None:
    officer = Staff(app, "canbo1")
    code = _accept(officer, PEOPLE[0]).get_json()["code"]
    ask = {"action": "request_supplement", "reason": "Thiếu tờ khai"}
    assert _event(officer, code, ask).status_code == 200
    assert _event(officer, code, {"action": "supplement_received"}).status_code == 200
    again = _event(officer, code, ask)
    assert again.status_code == 409
    assert "chỉ được yêu cầu bổ sung một lần" in again.get_json()["message"]
    english = officer.post(
        f"/api/v1/dossiers/{code}/events", ask, **{"Accept-Language": "en"}
    ).get_json()["message"]
    assert "once" in english
    # the staff page says it too, and the dossier did not move
    page = officer.client.post(
        f"/admin/dossiers/{code}/events",
        data={"csrf_token": officer.csrf, "action": "request_supplement", "reason": "x"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "chỉ được yêu cầu bổ sung một lần" in page
    status = officer.get(f"/api/v1/dossiers/{code}").get_json()["dossier"]["status"]
    assert status == "processing"


@SQLITE
def test_an_apology_goes_out_a_working_day_ahead_and_once(app: Any, clock: FixedClock) -> None:
    officer = Staff(app, "canbo1")
    early = _accept(officer, PEOPLE[0]).get_json()  # Mon 08:00, due Thu 08:00
    late = _accept(officer, PEOPLE[1]).get_json()
    assert early["due_at"] == "2026-12-03T08:00:00+07:00"
    apology = {"action": "apologise", "reason": "Chờ xác minh", "new_due_at": "2026-12-09T16:00"}
    assert _event(officer, early["code"], apology).status_code == 200
    second = _event(officer, early["code"], apology)
    assert second.status_code == 409 and "hẹn lại" in second.get_json()["message"]
    # Wednesday 09:00: less than a working day before Thursday 08:00 — too late
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=VN))
    too_late = _event(officer, late["code"], apology)
    assert too_late.status_code == 409
    assert "chậm nhất 01 ngày làm việc" in too_late.get_json()["message"]


@SQLITE
def test_the_due_soon_list_warns_while_an_apology_can_still_go_out(
    app: Any, clock: FixedClock
) -> None:
    officer = Staff(app, "canbo1")
    code = _accept(officer, PEOPLE[0]).get_json()["code"]  # due Thu 08:00
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=VN))  # Tue: 2 working days left
    soon = officer.get("/api/v1/dossiers/due").get_json()["due_soon"]
    assert [(r["code"], r["apology_open"]) for r in soon] == [(code, True)]
    other = _accept(officer, PEOPLE[1]).get_json()["code"]  # Tue 08:00, due Fri 08:00
    apology = {"action": "apologise", "reason": "Chờ xác minh", "new_due_at": "2026-12-02T16:00"}
    assert _event(officer, other, apology).status_code == 200  # re-appointed: no second time
    soon = officer.get("/api/v1/dossiers/due").get_json()["due_soon"]
    assert {r["code"]: r["apology_open"] for r in soon} == {code: True, other: False}
    clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=VN))  # Wed 10:00: too late for the apology
    soon = officer.get("/api/v1/dossiers/due").get_json()["due_soon"]
    assert {r["code"]: r["apology_open"] for r in soon}[code] is False
    assert "Hết hạn gửi phiếu xin lỗi" in officer.get("/admin/dossiers").get_data(as_text=True)


@SQLITE
def test_the_office_may_set_the_decree_118_limits(app: Any) -> None:
    admin = Staff(app, "admin")
    form = {
        "csrf_token": admin.csrf,
        "action": "rules",
        "agency_code": "000.00.00.H00",
        "rating_levels": "3",
        "due_mode": "working_hours",
        "timeliness_boundary": "due_day",
        "supplement_clock": "restart",
        "due_soon_working_hours": "8",
        "supplement_requests_max": "0",
        "reappointments_max": "2",
        "apology_lead_working_hours": "0",
    }
    page = admin.client.post("/admin/setup", data=form, follow_redirects=True)
    assert "Đã lưu quy tắc hồ sơ." in page.get_data(as_text=True)
    code = _accept(admin, PEOPLE[0]).get_json()["code"]
    ask = {"action": "request_supplement", "reason": "Thiếu tờ khai"}
    for _ in range(2):
        assert _event(admin, code, ask).status_code == 200
        assert _event(admin, code, {"action": "supplement_received"}).status_code == 200
    apology = {"action": "apologise", "reason": "Chờ xác minh", "new_due_at": "2026-12-09T16:00"}
    assert [_event(admin, code, apology).status_code for _ in range(3)] == [200, 200, 409]
    bad = admin.client.post(
        "/admin/setup", data={**form, "reappointments_max": "9"}, follow_redirects=True
    )
    assert "phải từ 0 đến 5" in bad.get_data(as_text=True)


# --- codes ----------------------------------------------------------------------------------


@SQLITE
def test_the_10000th_code_of_a_day_has_five_digits(app: Any) -> None:
    officer = Staff(app, "canbo1")
    with app.app_context():
        from lobby.extensions import db

        db.session.execute(
            text("INSERT INTO dossier_sequences (office_id, day, last_seq) VALUES (1, :d, 9998)"),
            {"d": date(2026, 11, 30)},
        )
        db.session.commit()
    codes = [_accept(officer, PEOPLE[0]).get_json()["code"] for _ in range(2)]
    assert codes == ["000.00.00.H00-261130-9999", "000.00.00.H00-261130-10000"]
    assert officer.get(f"/api/v1/dossiers/{codes[1]}").status_code == 200


@SQLITE
def test_a_dossier_from_another_system_keeps_its_code(app: Any) -> None:
    officer = Staff(app, "canbo1")
    r = _accept(officer, PEOPLE[1], external_code=" 000.00.00.g12-261128-tp012345 ")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["code"] == "000.00.00.G12-261128-TP012345"
    national = _accept(officer, PEOPLE[0], external_code="H15.50.05.13-261130-0042").get_json()
    assert national["code"] == "H15.50.05.13-261130-0042"
    # the office's own numbering is untouched by them
    assert _accept(officer, PEOPLE[0]).get_json()["code"] == "000.00.00.H00-261130-0001"
    twice = _accept(officer, PEOPLE[0], external_code="H15.50.05.13-261130-0042")
    assert twice.status_code == 409
    for bad in ("H15-261130-42", "H15-261399-0001", "khong-phai-ma"):
        wrong = _accept(officer, PEOPLE[0], external_code=bad)
        assert wrong.status_code == 422 and wrong.get_json()["details"]["field"] == "external_code"
    listed = officer.get("/api/v1/dossiers?q=TP012345").get_json()["items"]
    assert [(x["code"], x["external_code"]) for x in listed] == [(r.get_json()["code"], True)]


@SQLITE
def test_the_intake_form_takes_the_code_another_system_gave(app: Any) -> None:
    officer = Staff(app, "canbo1")
    form = {"csrf_token": officer.csrf, "procedure": "HT-KS", "full_name": "Trần Thị Bình"}
    bad = officer.client.post("/admin/dossiers/new", data={**form, "external_code": "H15-1"})
    assert bad.status_code == 200 and "không đúng cấu trúc" in bad.get_data(as_text=True)
    r = officer.client.post(
        "/admin/dossiers/new", data={**form, "external_code": "H15.50.05.13-261130-0042"}
    )
    assert r.status_code == 200 and "H15.50.05.13-261130-0042" in r.get_data(as_text=True)


# --- the list -------------------------------------------------------------------------------


def _codes(officer: Staff, query: str) -> list[str]:
    r = officer.get(f"/api/v1/dossiers?{query}")
    assert r.status_code == 200, r.get_json()
    return [x["code"] for x in r.get_json()["items"]]


@BOTH
def test_the_list_filters_by_status_procedure_field_period_channel_and_lateness(
    app: Any, clock: FixedClock
) -> None:
    officer = Staff(app, "canbo1")
    a = _accept(officer, PEOPLE[0]).get_json()["code"]  # HT-XNTTHN, due Thu
    b = _accept(officer, PEOPLE[1], "CT-BS", channel="truc_tuyen").get_json()["code"]
    assert _event(officer, b, {"action": "result_ready"}).status_code == 200  # on time
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=VN))
    c = _accept(officer, PEOPLE[2]).get_json()["code"]
    assert _codes(officer, "") == [c, b, a]  # newest first
    assert _codes(officer, "status=result_ready") == [b]
    assert _codes(officer, "status=open") == [c, a]
    assert _codes(officer, "procedure=HT-XNTTHN") == [c, a]
    assert _codes(officer, "field=chung_thuc") == [b]
    assert _codes(officer, "channel=truc_tuyen") == [b]
    assert _codes(officer, "from=2026-12-01&to=2026-12-01") == [c]
    assert _codes(officer, "to=2026-11-30") == [b, a]
    clock.set(datetime(2026, 12, 3, 9, 0, tzinfo=VN))  # a is past due, c not yet
    assert _codes(officer, "timeliness=late") == [a]
    assert set(_codes(officer, "timeliness=on_time")) == {b, c}
    bad = officer.get("/api/v1/dossiers?status=bogus")
    assert bad.status_code == 422 and bad.get_json()["details"]["field"] == "status"
    assert officer.get("/api/v1/dossiers?from=1-2-3").status_code == 422
    assert app.test_client().get("/api/v1/dossiers").status_code == 401


@SQLITE
def test_the_list_pages_fifty_at_a_time(app: Any) -> None:
    officer = Staff(app, "canbo1")
    codes = [_accept(officer, PEOPLE[0]).get_json()["code"] for _ in range(52)]
    first = officer.get("/api/v1/dossiers").get_json()
    assert (first["total"], first["pages"], len(first["items"])) == (52, 2, 50)
    second = officer.get("/api/v1/dossiers?page=2").get_json()
    assert [x["code"] for x in second["items"]] == codes[1::-1]
    page = officer.get("/admin/dossiers?page=2").get_data(as_text=True)
    assert "Trang 2 / 2" in page and 'rel="prev"' in page


@BOTH
def test_search_finds_applicants_by_name_phone_or_id_without_storing_them(app: Any) -> None:
    officer = Staff(app, "canbo1")
    a = _accept(officer, PEOPLE[0]).get_json()["code"]
    b = _accept(officer, PEOPLE[1]).get_json()["code"]
    c = _accept(officer, PEOPLE[2]).get_json()["code"]
    assert _codes(officer, "q=nguyen van an") == [a]
    assert _codes(officer, "q=TRẦN  THỊ  BÌNH") == [b]
    assert _codes(officer, "q=%2B84 912 345 678") == [b]
    assert _codes(officer, "q=079.123.456.789") == [a]
    assert _codes(officer, "q=c1234567") == [c]
    assert _codes(officer, "q=Nguyễn") == []  # the whole name, not a part of it
    assert _codes(officer, f"q={a[-8:]}") == [a]  # part of a code
    page = officer.get("/admin/dossiers?q=0901234567").get_data(as_text=True)
    assert a in page and b not in page and "Nguyễn Văn An" in page
    with app.app_context():
        from lobby.extensions import db

        stored = " ".join(
            str(v)
            for table in ("applicant_index", "applicants")
            for row in db.session.execute(text(f"SELECT * FROM {table}"))
            for v in row
        )
    for plain in ("0901234567", "079123456789", "nguyen van an", "Nguyễn", "C1234567"):
        assert plain.lower() not in stored.lower()


@SQLITE
def test_older_applicants_are_indexed_by_the_backfill(app: Any) -> None:
    officer = Staff(app, "canbo1")
    a = _accept(officer, PEOPLE[0]).get_json()["code"]
    with app.app_context():
        from lobby.extensions import db

        db.session.execute(text("DELETE FROM applicant_index"))
        db.session.commit()
    assert _codes(officer, "q=0901234567") == []
    result = app.test_cli_runner().invoke(args=["dossiers-reindex", "--json"])
    assert result.exit_code == 0 and '"indexed": 1' in result.output
    assert _codes(officer, "q=0901234567") == [a]
    again = app.test_cli_runner().invoke(args=["dossiers-reindex", "--json"])
    assert '"indexed": 0' in again.output
