"""The staff's dossier list in Chromium: filter, search by phone through the blind index, page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, api_login
from tests.e2e.test_dossier_browser import _staff_context

pytestmark = pytest.mark.browser

PEOPLE = [
    ("Nguyễn Văn An", "0901234567", "HT-XNTTHN", "truc_tiep"),
    ("Trần Thị Bình", "0912345678", "HT-KS", "truc_tuyen"),
    ("Lê Văn Cường", "0987654321", "CT-BS", "truc_tiep"),
    ("Phạm Thị Dung", "0977111222", "HT-KH", "buu_chinh"),
    ("Võ Minh Em", "0966333444", "HT-DLKS", "truc_tuyen"),
]


def test_an_officer_finds_a_dossier_by_phone_and_filters_the_list(
    live_server: LiveServer, browser: Any, screenshots_dir: Path
) -> None:
    staff = api_login(live_server, "canbo1")
    codes = {}
    for name, phone, procedure, channel in PEOPLE:
        r = staff.post(
            f"{live_server.url}/api/v1/dossiers",
            json={
                "procedure": procedure,
                "channel": channel,
                "applicant": {"full_name": name, "phone": phone},
            },
        )
        assert r.status_code == 201, r.text
        codes[name] = r.json()["code"]
    foreign = staff.post(
        f"{live_server.url}/api/v1/dossiers",
        json={
            "procedure": "HT-KS",
            "channel": "truc_tuyen",
            "external_code": "000.00.00.G12-261207-TP012345",
            "applicant": {"full_name": "Đặng Thu Giang", "phone": "0933555666"},
        },
    )
    assert foreign.status_code == 201, foreign.text

    page = _staff_context(browser, live_server, staff).new_page()
    page.goto(f"{live_server.url}/admin/dossiers")
    page.wait_for_selector("#dossier-list")
    assert page.locator("#dossier-total").inner_text() == "6"
    page.screenshot(path=str(screenshots_dir / "admin-dossier-list.png"), full_page=True)

    page.fill("input[name=q]", "+84 912 345 678")
    page.click("#dossier-filters button")
    page.wait_for_url("**q=*")
    rows = page.locator("#dossier-list tbody tr")
    assert rows.count() == 1
    assert codes["Trần Thị Bình"] in rows.first.inner_text()

    page.click("text=Bỏ lọc")
    page.select_option("select[name=channel]", "truc_tuyen")
    page.click("#dossier-filters button")
    page.wait_for_url("**channel=truc_tuyen*")
    assert page.locator("#dossier-total").inner_text() == "3"
    assert "Mã của hệ thống khác" in page.locator("#dossier-list").inner_text()

    # Mẫu 07: the tracking book of this month, on A4 landscape, in the circular's columns.
    with page.expect_popup() as popup:
        page.click("text=Sổ theo dõi hồ sơ (Mẫu 07)")
    book = popup.value
    book.wait_for_selector("#book-rows")
    assert book.locator("#book-rows tbody tr").count() == 6
    book.screenshot(path=str(screenshots_dir / "admin-tracking-book.png"), full_page=True)
