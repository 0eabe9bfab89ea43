"""The forms of Circular 03/2025 (issue 13, item 6): 01 with the tracking-book entry, 04 with
the extension request, 05 stop notice, 06 control sheet, 07 tracking book (page and Excel)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.integration.helpers import Staff

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

APPLICANT = {
    "full_name": "Nguyễn Văn An",
    "id_number": "079123456789",
    "phone": "0901234567",
    "address": "Ấp 3, xã Thạnh Lợi",
}


def _accept(officer: Staff, name: str = "Nguyễn Văn An") -> str:
    r = officer.post(
        "/api/v1/dossiers",
        {"procedure": "HT-XNTTHN", "applicant": {**APPLICANT, "full_name": name}},
    )
    assert r.status_code == 201, r.get_json()
    return str(r.get_json()["code"])


def test_the_receipt_carries_the_tracking_book_entry(app: Any) -> None:
    officer = Staff(app, "canbo1")
    _accept(officer)
    second = _accept(officer, "Trần Thị Bình")
    receipt = officer.get(f"/admin/dossiers/{second}/receipt").get_data(as_text=True)
    assert "Vào sổ theo dõi hồ sơ, Quyển số: 2026 Số thứ tự: 2" in receipt


def test_the_stop_notice_and_the_apology_with_its_extension_request(app: Any) -> None:
    officer = Staff(app, "canbo1")
    code = _accept(officer)
    assert officer.get(f"/admin/dossiers/{code}/notice/stop").status_code == 404
    apology = {"action": "apologise", "reason": "Chờ xác minh", "new_due_at": "2026-12-09T16:00"}
    assert officer.post(f"/api/v1/dossiers/{code}/events", apology).status_code == 200
    four = officer.get(f"/admin/dossiers/{code}/notice/apology").get_data(as_text=True)
    assert "Đề nghị gia hạn thời gian giải quyết hồ sơ" in four and "THỦ TRƯỞNG" in four
    assert "079123456789" in four
    stop = {"action": "stop", "reason": "Công dân đề nghị dừng"}
    assert officer.post(f"/api/v1/dossiers/{code}/events", stop).status_code == 200
    five = officer.get(f"/admin/dossiers/{code}/notice/stop").get_data(as_text=True)
    assert "VỀ VIỆC DỪNG GIẢI QUYẾT HỒ SƠ" in five and code in five
    assert "chưa có quyết định giải quyết" in five
    detail = officer.get(f"/admin/dossiers/{code}").get_data(as_text=True)
    assert "(Mẫu 06)" in detail and "Mẫu 05" in detail


def test_a_decided_dossier_cannot_be_stopped(app: Any) -> None:
    officer = Staff(app, "canbo1")
    code = _accept(officer)
    officer.post(f"/api/v1/dossiers/{code}/events", {"action": "result_ready"})
    assert officer.post(f"/api/v1/dossiers/{code}/events", {"action": "stop"}).status_code == 409


def test_the_tracking_book_lists_the_period_on_a4_and_in_excel(app: Any) -> None:
    from openpyxl import load_workbook

    officer = Staff(app, "canbo1")
    first, second = _accept(officer), _accept(officer, "Trần Thị Bình")
    page = officer.get("/admin/dossiers/book?from=2026-11-01&to=2026-11-30")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "SỔ THEO DÕI HỒ SƠ" in html and "Quyển số: 2026" in html
    assert html.index(first) < html.index(second) and "Ấp 3, xã Thạnh Lợi, 0901234567" in html
    for column in ("Cơ quan chủ trì giải quyết", "Cách thức nhận kết quả", "Ký nhận"):
        assert column in html
    xlsx = officer.get("/admin/dossiers/book?from=2026-11-01&to=2026-11-30&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    assert [(r[0], r[1], r[3]) for r in rows] == [
        (1, first, "Nguyễn Văn An"),
        (2, second, "Trần Thị Bình"),
    ]
    empty = officer.get("/admin/dossiers/book?from=2026-10-01&to=2026-10-31")
    assert "Không có hồ sơ tiếp nhận" in empty.get_data(as_text=True)
    assert app.test_client().get("/admin/dossiers/book").status_code == 302  # staff only
    too_long = officer.get("/admin/dossiers/book?from=2026-01-01&to=2026-11-30")
    assert too_long.status_code == 422 and "tối đa 92 ngày" in too_long.get_data(as_text=True)
