"""The procedures posted publicly (/thu-tuc): every active procedure by field with its time,
fees, documents and copies, legal basis and national code; searchable with or without
diacritics; public data only; the administrator's page edits the legal basis."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.integration.helpers import Staff, issue

APPLICANT = {
    "full_name": "Trần Thị Bích Ngọc",
    "id_number": "079199001122",
    "phone": "0912345678",
    "address": "Tổ 7, khu phố Tân Lập",
}
PRIVATE = ["079199001122", "0912345678", "Tổ 7", "Bích Ngọc", "Trần Thị"]


class _Page(HTMLParser):
    """The sections (field code → the procedure anchors in it) and every asset address."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self.assets: list[str] = []
        self._field: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        ident = a.get("id") or ""
        if tag == "section" and ident.startswith("linh-vuc-"):
            self._field = ident.removeprefix("linh-vuc-")
            self.fields[self._field] = []
        if tag == "article" and "proc" in (a.get("class") or "").split() and self._field:
            self.fields[self._field].append(ident)
        if tag in ("img", "script") and a.get("src"):
            self.assets.append(str(a["src"]))
        if tag == "link" and a.get("href"):
            self.assets.append(str(a["href"]))


def _page(client: Any, query: str = "") -> tuple[str, _Page]:
    r = client.get("/thu-tuc" + query)
    assert r.status_code == 200, r.status_code
    html = r.get_data(as_text=True)
    parsed = _Page()
    parsed.feed(html)
    return html, parsed


def _catalogue(app: Any) -> dict[str, list[str]]:
    """Active field code → its active procedure codes, read from the database."""
    from lobby.extensions import db
    from lobby.models import Field, Procedure

    with app.app_context():
        rows = db.session.execute(
            db.select(Field.code, Procedure.code)
            .join(Procedure, Procedure.field_id == Field.id)
            .where(Field.active, Procedure.active)
            .order_by(Field.sort_order, Procedure.code)
        ).all()
    out: dict[str, list[str]] = {}
    for field, code in rows:
        out.setdefault(field, []).append(code)
    return out


def _admin_post(admin: Staff, path: str, **form: Any) -> str:
    r = admin.client.post(path, data={"csrf_token": admin.csrf, **form}, follow_redirects=True)
    assert r.status_code == 200, r.status_code
    return str(r.get_data(as_text=True))


def _procedure_form(app: Any, code: str, **changes: Any) -> dict[str, Any]:
    """The admin page's row form of a procedure as it stands, with `changes`."""
    from lobby.extensions import db
    from lobby.models import Procedure

    with app.app_context():
        p = db.session.scalar(db.select(Procedure).where(Procedure.code == code))
        form = {
            "action": "procedure_save",
            "id": str(p.id),
            "field": str(p.field_id),
            "name_vi": p.name_vi,
            "national_code": p.national_code,
            "deadline_value": str(p.deadline_value or ""),
            "deadline_unit": p.deadline_unit,
            "fee_text": p.fee_text,
            "components": "\n".join(c["name"] for c in p.components),
            "legal_basis": p.legal_basis,
            "active": "1" if p.active else "",
        }
    return {**form, **changes}


def test_every_active_procedure_is_listed_under_its_field_in_order(app: Any) -> None:
    _html, page = _page(app.test_client())
    assert page.fields == _catalogue(app)
    assert list(page.fields)[:2] == ["ho_tich", "chung_thuc"]
    assert "HT-KS" in page.fields["ho_tich"]


def test_a_procedure_shows_its_time_fee_documents_copies_legal_basis_and_national_code(
    app: Any,
) -> None:
    from lobby.extensions import db
    from lobby.models import Procedure

    admin = Staff(app, "admin")
    form = _procedure_form(
        app,
        "HT-XNTTHN",
        national_code="1.004873",
        legal_basis="Luật Hộ tịch số 60/2014/QH13\n\n  Thông tư số 04/2020/TT-BTP  ",
    )
    assert "Đã lưu thủ tục" in _admin_post(admin, "/admin/procedures", **form)
    with app.app_context():
        p = db.session.scalar(db.select(Procedure).where(Procedure.code == "HT-XNTTHN"))
        assert p.legal_basis == "Luật Hộ tịch số 60/2014/QH13\nThông tư số 04/2020/TT-BTP"
        first = {**p.components[0], "ban_chinh": 1, "ban_chung_thuc": 2, "ban_photo": 0}
        p.components = [first, *p.components[1:]]
        db.session.commit()
        first_name = first["name"]
    html, _ = _page(app.test_client())
    block = html.split('id="HT-XNTTHN"', 1)[1].split("</article>", 1)[0]
    assert "Cấp Giấy xác nhận tình trạng hôn nhân" in block
    assert "3 ngày làm việc" in block and "Theo quy định của tỉnh" in block
    assert "1.004873" in block
    assert f'{first_name} <span class="copies">(1 bản chính, 2 bản sao chứng thực)</span>' in block
    assert "<li>Luật Hộ tịch số 60/2014/QH13</li>" in block
    assert "<li>Thông tư số 04/2020/TT-BTP</li>" in block
    same_day = html.split('id="HT-KS"', 1)[1].split("</article>", 1)[0]
    assert "Trong ngày" in same_day and "Miễn lệ phí" in same_day
    # The administrator's page shows the line it keeps.
    assert "Thông tư số 04/2020/TT-BTP" in admin.get("/admin/procedures").get_data(as_text=True)


def test_inactive_procedures_and_fields_are_not_posted(app: Any) -> None:
    admin = Staff(app, "admin")
    _admin_post(admin, "/admin/procedures", **_procedure_form(app, "HT-KH", active=""))
    _html, page = _page(app.test_client())
    assert "HT-KH" not in page.fields["ho_tich"] and "HT-KS" in page.fields["ho_tich"]
    from lobby.extensions import db
    from lobby.models import Field

    with app.app_context():
        db.session.execute(db.update(Field).where(Field.code == "kinh_te").values(active=False))
        db.session.commit()
    html, page = _page(app.test_client())
    assert "kinh_te" not in page.fields and "KT-HKD" not in html
    assert page.fields == _catalogue(app)


@pytest.mark.parametrize(
    "query",
    ["khai sinh", "Khai Sinh", "KHAI  SINH", "đăng ký khai sinh", "dang ky khai sinh", "DANG KY"],
)
def test_search_matches_with_or_without_diacritics_in_any_case(app: Any, query: str) -> None:
    _html, page = _page(app.test_client(), "?q=" + query.replace(" ", "+"))
    found = [code for codes in page.fields.values() for code in codes]
    assert "HT-KS" in found and "HT-DLKS" in found  # Đăng ký (lại) khai sinh
    assert "CT-BS" not in found  # Chứng thực bản sao: no "khai sinh" in it
    if "dang" not in query.lower() and "đăng" not in query.lower():
        assert found == ["HT-DLKS", "HT-KS"]


def test_search_by_field_name_code_and_nothing_found(app: Any) -> None:
    client = app.test_client()
    _html, page = _page(client, "?q=chung+thuc")
    assert list(page.fields) == ["chung_thuc"] and len(page.fields["chung_thuc"]) == 3
    _html, page = _page(client, "?q=kt-hkd")
    assert page.fields == {"kinh_te": ["KT-HKD"]}
    html, page = _page(client, "?q=khong+co+thu+tuc+nay")
    assert page.fields == {} and "Không có thủ tục nào phù hợp" in html
    # Hostile or odd input is a search like any other: a page, never an error.
    for odd in ("?q=" + "a" * 5000, "?q=%3Cscript%3E", "?q=%F0%9F%98%80", "?q="):
        r = client.get("/thu-tuc" + odd)
        assert r.status_code == 200, odd
        assert "<script>" not in r.get_data(as_text=True)
    assert client.get("/thu-tuc?q=%00").status_code == 400  # the hostile-input guard's answer


def test_the_page_has_no_personal_data_and_all_its_assets_load(app: Any) -> None:
    officer = Staff(app, "canbo1")
    issue(app.test_client(), app)
    officer.open_counter(1)
    tid = officer.call_next(1).get_json()["ticket"]["id"]
    assert officer.post(f"/api/v1/tickets/{tid}/start").status_code == 200
    made = officer.post("/api/v1/dossiers", {"procedure": "HT-KS", "applicant": APPLICANT})
    assert made.status_code == 201, made.get_json()
    client = app.test_client()
    for lang in ("vi", "en"):
        html, page = _page(client, f"?lang={lang}")
        for secret in PRIVATE:
            assert secret not in html, secret
        assert "canbo1" not in html and made.get_json()["code"] not in html
        assert page.assets
        for url in page.assets:
            r = client.get(url)
            assert r.status_code == 200, url
            css = r.get_data(as_text=True) if url.endswith(".css") else ""
            for inner in re.findall(r'url\("?(/[^")]+)"?\)', css):
                assert client.get(inner).status_code == 200, inner


def test_english_shows_english_field_names_and_words(app: Any) -> None:
    html, page = _page(app.test_client(), "?lang=en")
    assert page.fields == _catalogue(app)
    assert "Civil status" in html and "Administrative procedures" in html
    assert "3 working days" in html and "Same day" in html
    assert '<html lang="en">' in html


def test_the_qr_leads_to_the_list_and_the_home_page_links_to_it(app: Any) -> None:
    client = app.test_client()
    r = client.get("/thu-tuc/qr.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert b"<svg" in r.data
    assert 'href="/thu-tuc"' in client.get("/").get_data(as_text=True)
    # The page names the address the QR holds: the office's public one.
    html, _ = _page(client)
    assert '<span class="nowrap">http://lobby.test/thu-tuc</span>' in html


def _legal_basis(app: Any, code: str) -> str:
    from lobby.extensions import db
    from lobby.models import Procedure

    with app.app_context():
        return str(
            db.session.scalar(db.select(Procedure.legal_basis).where(Procedure.code == code))
        )


def test_the_procedures_file_sets_the_legal_basis_and_a_file_without_it_keeps_it(
    app: Any,
) -> None:
    import io

    admin = Staff(app, "admin")

    def upload(content: str) -> str:
        r = admin.client.post(
            "/admin/procedures",
            data={
                "csrf_token": admin.csrf,
                "action": "procedure_import",
                "file": (io.BytesIO(content.encode()), "thu-tuc.csv"),
            },
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        return str(r.get_data(as_text=True))

    with_law = (
        "ma,linh_vuc,ten,thoi_han,don_vi,phi,ma_quoc_gia,thanh_phan,dang_dung,can_cu\n"
        "KT-HKD,kinh_te,Đăng ký thành lập hộ kinh doanh,3,working_day,100.000 đồng,2.000575,"
        "Giấy đề nghị,1,Nghị định số 01/2021/NĐ-CP | Thông tư số 02/2023/TT-BKHĐT\n"
    )
    assert "Đã nhập: 0 thủ tục mới, 1 thủ tục cập nhật." in upload(with_law)
    law = "Nghị định số 01/2021/NĐ-CP\nThông tư số 02/2023/TT-BKHĐT"
    assert _legal_basis(app, "KT-HKD") == law
    without = (
        "ma,linh_vuc,ten,thoi_han,don_vi,phi\n"
        "KT-HKD,kinh_te,Đăng ký thành lập hộ kinh doanh,5,working_day,100.000 đồng\n"
    )
    assert "Đã nhập: 0 thủ tục mới, 1 thủ tục cập nhật." in upload(without)
    assert _legal_basis(app, "KT-HKD") == law
    html, _ = _page(app.test_client(), "?q=ho+kinh+doanh")
    block = html.split('id="KT-HKD"', 1)[1].split("</article>", 1)[0]
    assert "5 ngày làm việc" in block
    assert "<li>Thông tư số 02/2023/TT-BKHĐT</li>" in block
