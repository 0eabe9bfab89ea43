"""What citizens and the leader read: the rating scale and its counts, the public home page,
the phone's words and office details, dates and units (issue 10, items 7 and 11)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from tests.integration.helpers import Staff, device_token, issue

LEVELS_5 = ["rat_hai_long", "hai_long", "binh_thuong", "khong_hai_long", "rat_khong_hai_long"]


def _set_rating_levels(app: Any, n: int) -> None:
    with app.app_context():
        from lobby.context import office
        from lobby.extensions import db

        o = office()
        o.settings = {**(o.settings or {}), "rating_levels": n}
        db.session.commit()
        db.session.remove()


def _served_and_finished(app: Any, officer: Staff, counter: int = 1) -> dict[str, Any]:
    ticket = issue(app.test_client(), app)
    officer.open_counter(counter)
    tid = officer.call_next(counter).get_json()["ticket"]["id"]
    officer.post(f"/api/v1/tickets/{tid}/start")
    officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": "guided_only"})
    return ticket


def test_a_three_level_office_refuses_binh_thuong_on_the_phone_and_on_the_tablet(
    app: Any,
) -> None:
    officer = Staff(app, "canbo1")
    ticket = _served_and_finished(app, officer)
    client = app.test_client()
    for level in ("binh_thuong", "rat_khong_hai_long", "5", None):
        r = client.post(f"/api/v1/tickets/{ticket['token']}/rating", json={"level": level})
        assert r.status_code == 422, (level, r.get_json())
        assert r.get_json()["error"] == "invalid_request"
    tablet = {"Authorization": f"Bearer {device_token(app, 'tablet')}"}
    r = client.post(
        "/api/v1/tablet/rating", json={"level": "binh_thuong", "number": "A001"}, headers=tablet
    )
    assert r.status_code == 422
    # Nothing was stored: the ticket can still be rated on the office's own scale.
    assert client.get("/api/v1/tablet/state", headers=tablet).get_json()["scale"] == [
        "rat_hai_long",
        "hai_long",
        "khong_hai_long",
    ]
    ok = client.post(
        "/api/v1/tablet/rating", json={"level": "hai_long", "number": "A001"}, headers=tablet
    )
    assert ok.status_code == 201


def test_the_tablet_and_phone_pages_draw_exactly_the_offices_scale_with_bundled_faces(
    app: Any,
) -> None:
    officer = Staff(app, "canbo1")
    ticket = _served_and_finished(app, officer)
    client = app.test_client()
    tablet = {"Authorization": f"Bearer {device_token(app, 'tablet')}"}

    def shown(page: str) -> list[str]:
        return re.findall(r'<button type="button" data-level="(\w+)"[^>]*?(?<!hidden)>', page)

    phone = client.get(f"/t/{ticket['token']}").get_data(as_text=True)
    assert re.findall(r'data-level="(\w+)"', phone) == [
        "rat_hai_long",
        "hai_long",
        "khong_hai_long",
    ]
    rate = client.get("/rate", headers=tablet).get_data(as_text=True)
    assert shown(rate) == ["rat_hai_long", "hai_long", "khong_hai_long"]
    faces = re.findall(r'src="(/static/faces/\w+\.svg(?:\?v=\w+)?)"', rate)
    assert len(faces) == 5
    for face in faces:
        r = client.get(face)
        assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert not re.search("[\U0001f600-\U0001f64f]", rate + phone), "no emoji: PCs lack the font"

    _set_rating_levels(app, 5)
    phone = client.get(f"/t/{ticket['token']}").get_data(as_text=True)
    assert re.findall(r'data-level="(\w+)"', phone) == LEVELS_5
    assert shown(client.get("/rate", headers=tablet).get_data(as_text=True)) == LEVELS_5


def test_a_five_level_office_counts_each_level_as_chosen_and_the_leader_reads_the_comments(
    app: Any,
) -> None:
    _set_rating_levels(app, 5)
    officer = Staff(app, "canbo1")
    client = app.test_client()
    chosen = ["binh_thuong", "binh_thuong", "hai_long", "rat_khong_hai_long", "rat_hai_long"]
    for n, level in enumerate(chosen):
        ticket = _served_and_finished(app, officer)
        r = client.post(
            f"/api/v1/tickets/{ticket['token']}/rating",
            json={"level": level, "comment": f"Góp ý số {n} <b>"},
        )
        assert r.status_code == 201, r.get_json()
    leader = Staff(app, "lanhdao")
    report = leader.get("/api/v1/stats").get_json()["satisfaction"]
    assert {k: report[k] for k in LEVELS_5} == {k: chosen.count(k) for k in LEVELS_5}
    assert report["ratings"] == len(chosen)
    assert [c["comment"] for c in report["comments"]] == [
        f"Góp ý số {n} <b>" for n in reversed(range(len(chosen)))
    ]

    page = leader.get("/admin").get_data(as_text=True)
    for label, level in (
        ("Bình thường", "binh_thuong"),
        ("Rất không hài lòng", "rat_khong_hai_long"),
    ):
        assert re.search(rf"{label}</th>\s*<td>{chosen.count(level)}</td>", page), label
    assert "Góp ý số 3 &lt;b&gt;" in page and "<b>" not in page.split("Góp ý số 3")[1][:20]

    table = list(
        csv.reader(
            io.StringIO(
                leader.get("/api/v1/stats/export?format=csv")
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )
    rows = {r[0]: r[1] for r in table if len(r) >= 2}
    assert rows["Bình thường"] == "2" and rows["Hài lòng"] == "1"
    assert any(r and r[-1] == "Góp ý số 0 <b>" for r in table)


def test_the_report_speaks_in_minutes_and_dd_mm_yyyy_like_the_screen(app: Any, clock: Any) -> None:
    from openpyxl import load_workbook

    officer = Staff(app, "canbo1")
    issue(app.test_client(), app)
    officer.open_counter(1)
    clock.advance(minutes=6)
    tid = officer.call_next(1).get_json()["ticket"]["id"]
    officer.post(f"/api/v1/tickets/{tid}/start")
    clock.advance(minutes=3)
    officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": "guided_only"})
    leader = Staff(app, "lanhdao")
    page = leader.get("/admin?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert "01/11/2026" in page and "30/11/2026" in page
    assert "2026-11-01" not in re.sub(r'(value|href)="[^"]*"', "", page)
    assert "6.0 phút" in page

    book = load_workbook(
        io.BytesIO(
            leader.get("/api/v1/stats/export?format=xlsx&from=2026-11-01&to=2026-11-30").data
        )
    )
    summary = {r[0]: r[1] for r in book["Tổng hợp"].iter_rows(values_only=True)}
    assert summary["Thời gian chờ trung bình (phút)"] == 6.0
    assert summary["Thời gian phục vụ trung bình (phút)"] == 3.0
    assert summary["Báo cáo"] == "01/11/2026 – 30/11/2026"
    by_field = list(book["Theo lĩnh vực"].iter_rows(values_only=True))
    assert by_field[0][-2:] == ("Chờ TB (phút)", "Phục vụ TB (phút)")
    assert by_field[1][-2:] == (6.0, 3.0)


def test_the_home_page_is_for_citizens_with_a_discreet_staff_sign_in(app: Any) -> None:
    client = app.test_client()
    r = client.get("/")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '<html lang="vi">' in page
    for text in (
        "Trung tâm Phục vụ hành chính công xã Thạnh Lợi",
        "0276 3800 000",
        "Ấp 1, xã Thạnh Lợi",
        "Sáng 07:00–11:30, Chiều 13:30–17:00",
        "Thứ Hai – Thứ Sáu",
        'href="/tra-cuu"',
        "Hộ tịch",
        "Đăng ký khai sinh",
        'href="/login"',
    ):
        assert text in page, text
    for device_page in ('href="/kiosk"', 'href="/display"', 'href="/counter"'):
        assert device_page not in page
    english = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Civil status" in english


def test_every_page_says_its_language_and_there_is_a_favicon(app: Any) -> None:
    for path in ("/login", "/tra-cuu", "/"):
        page = app.test_client().get(path).get_data(as_text=True)
        assert '<html lang="vi">' in page, path
        page = app.test_client().get(path + "?lang=en").get_data(as_text=True)
        assert '<html lang="en">' in page, path
    client = app.test_client()
    tablet = {"Authorization": f"Bearer {device_token(app, 'tablet')}"}
    assert '<html lang="en">' in client.get("/rate?lang=en", headers=tablet).get_data(as_text=True)
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.data[:4] == b"\x00\x00\x01\x00"
    assert client.get("/static/favicon.svg").status_code == 200


def test_the_phone_calls_the_citizen_quy_khach_and_shows_the_offices_details(app: Any) -> None:
    ticket = issue(app.test_client(), app)
    issue(app.test_client(), app)
    later = issue(app.test_client(), app)
    client = app.test_client()
    page = client.get(f"/t/{later['token']}").get_data(as_text=True)
    assert "Quý khách" in page
    assert not re.search(r"\b[Bb]ạn\b", page), re.findall(r".{30}\b[Bb]ạn\b.{10}", page)
    for text in ("Ấp 1, xã Thạnh Lợi", "0276 3800 000", "Sáng 07:00–11:30"):
        assert text in page, text
    assert 'href="/"' in page
    first = client.get(f"/t/{ticket['token']}").get_data(as_text=True)
    assert "Quý khách là người tiếp theo" in first or "Còn 0" not in first


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_pages_ask_only_for_font_files_that_exist(app: Any) -> None:
    from pathlib import Path

    client = app.test_client()
    repo = Path(__file__).resolve().parents[2]
    sheets = [*repo.glob("*/static/**/*.css"), *repo.glob("lobby/static/**/*.css")]
    assert sheets
    for sheet in sheets:
        for url in re.findall(r'url\("?(/fonts/[^")]+)"?\)', sheet.read_text("utf-8")):
            assert client.get(url).status_code == 200, (sheet.name, url)


def test_the_calendar_writes_dates_day_first_and_says_unconfirmed_in_words(app: Any) -> None:
    page = Staff(app, "lanhdao").get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "UNCONFIRMED" not in page
    assert "chưa được xác nhận chính thức" in page
    assert "01/01/2026" in page and "2026-01-01" not in page
    english = Staff(app, "lanhdao").get("/admin/calendar?year=2026&lang=en").get_data(as_text=True)
    assert "UNCONFIRMED" not in english and "not yet officially confirmed" in english


def test_a_template_drawn_outside_a_request_still_renders_in_vietnamese(app: Any) -> None:
    from flask import render_template_string

    with app.app_context():
        assert render_template_string("<html lang={{ lang }}>") == "<html lang=vi>"
