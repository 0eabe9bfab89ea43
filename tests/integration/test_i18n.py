"""English as the second language: pages choose it with ?lang=en, the API with Accept-Language."""

from __future__ import annotations

import ast
import gettext
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tests.integration.helpers import Staff, device_token, issue, kiosk_headers
from tools import i18n_extract

# The language rules do not depend on the database: the app tests run on SQLite only.
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

REPO = Path(__file__).resolve().parents[2]
PO = REPO / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\([A-Za-z_]+\)[sd]|\{[^{}]*\}")
VIETNAMESE_LETTERS = re.compile(r"[ăâđêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]", re.IGNORECASE)
EN = {"Accept-Language": "en"}


def _catalog() -> Any:
    with PO.open("rb") as f:
        return read_po(f, locale="en")


def _messages() -> list[Any]:
    return [m for m in _catalog() if m.id]


def _english(text: str) -> bool:
    return not VIETNAMESE_LETTERS.search(text)


# --- the API follows Accept-Language ---------------------------------------------------------


@SQLITE
def test_the_api_says_not_found_in_english_with_accept_language_en(app: Any) -> None:
    r = app.test_client().get("/api/v1/tickets/nope", headers=EN)
    body = r.get_json()
    assert r.status_code == 404 and body["error"] == "not_found"
    assert "not found" in body["message"].lower() and _english(body["message"])


@SQLITE
@pytest.mark.parametrize("header", [None, "vi", "vi-VN,vi;q=0.9,en;q=0.5", "fr"])
def test_the_api_speaks_vietnamese_unless_english_is_preferred(
    app: Any, header: str | None
) -> None:
    headers = {"Accept-Language": header} if header else {}
    body = app.test_client().get("/api/v1/tickets/nope", headers=headers).get_json()
    assert body["message"] == "Không tìm thấy phiếu. Phiếu có thể đã hết hạn."


@SQLITE
def test_domain_errors_raised_deep_in_the_services_are_english_too(app: Any) -> None:
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    r = officer.post("/api/v1/counters/1/call-next", **EN)
    body = r.get_json()
    assert r.status_code == 409 and body["error"] == "queue_empty"
    assert body["message"] == "No numbers are waiting for this counter."
    bad = app.test_client().post(
        "/api/v1/tickets", json={"service": "nope"}, headers={**kiosk_headers(app), **EN}
    )
    assert bad.status_code == 422 and bad.get_json()["message"] == "No such service."


# --- pages are Vietnamese unless ?lang=en, remembered in a cookie -------------------------------


@SQLITE
def test_the_phone_page_turns_english_with_lang_en_and_remembers_it(app: Any) -> None:
    client = app.test_client()
    token = issue(client, app)["token"]
    r = client.get(f"/t/{token}?lang=en")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Your number" in page and "Số của Quý khách" not in page
    assert '<html lang="en">' in page
    assert "Personal information is protected" in page
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "HttpOnly" in cookie
    # Without ?lang the cookie keeps English; ?lang=vi switches back and is remembered.
    assert "Your number" in client.get(f"/t/{token}").get_data(as_text=True)
    back = client.get(f"/t/{token}?lang=vi")
    assert "Số của Quý khách" in back.get_data(as_text=True)
    assert back.headers["Set-Cookie"].startswith("lang=vi;")
    assert "Số của Quý khách" in client.get(f"/t/{token}").get_data(as_text=True)


@SQLITE
def test_the_phone_page_is_vietnamese_without_lang_even_for_an_english_browser(app: Any) -> None:
    client = app.test_client()
    token = issue(client, app)["token"]
    r = client.get(f"/t/{token}", headers=EN)
    page = r.get_data(as_text=True)
    assert "Số của Quý khách:" in page and "Your number" not in page
    assert '<html lang="vi">' in page
    assert "Set-Cookie" not in r.headers


@SQLITE
def test_the_phone_footer_links_to_both_languages(app: Any) -> None:
    client = app.test_client()
    token = issue(client, app)["token"]
    for lang in ("vi", "en"):
        page = client.get(f"/t/{token}?lang={lang}").get_data(as_text=True)
        footer = page[page.index('<footer class="foot">') :]
        assert re.search(r'<a href="\?lang=en"[^>]*>English</a>', footer)
        assert re.search(r'<a href="\?lang=vi"[^>]*>Tiếng Việt</a>', footer)
        current = re.search(r'<a href="\?lang=(\w+)"[^>]*aria-current="true"', footer)
        assert current and current.group(1) == lang


@SQLITE
def test_the_phone_not_found_and_lookup_pages_are_english_with_lang_en(app: Any) -> None:
    client = app.test_client()
    missing = client.get("/t/nope?lang=en")
    assert missing.status_code == 404 and "Number not found" in missing.get_data(as_text=True)
    wrong = client.post("/tra-cuu?lang=en", data={"code": "NOPE", "pin": "123456"})
    assert wrong.status_code == 404
    assert "application code or lookup code is not correct" in wrong.get_data(as_text=True)


def _kiosk_page(app: Any, query: str = "") -> str:
    headers = {"Authorization": f"Bearer {device_token(app, 'kiosk')}"}
    r = app.test_client().get(f"/kiosk{query}", headers=headers)
    assert r.status_code == 200
    return str(r.get_data(as_text=True))


@SQLITE
def test_the_kiosk_renders_in_english_with_lang_en(app: Any) -> None:
    page = _kiosk_page(app, "?lang=en")
    for text in (
        "Do you qualify for priority service?",
        "Elderly (60 or over)",
        "Scan the QR code to follow your turn on your phone",
        "Printing your ticket, please wait…",
    ):
        assert text in page
    assert "Quý khách thuộc diện ưu tiên?" not in page
    assert "Quý khách thuộc diện ưu tiên?" in _kiosk_page(app)


@SQLITE
def test_the_board_renders_in_english_with_lang_en(app: Any) -> None:
    headers = {"Authorization": f"Bearer {device_token(app, 'board')}"}
    page = app.test_client().get("/display?lang=en", headers=headers).get_data(as_text=True)
    for text in ("NOW SERVING", "Recently called", "Office hours:", '"paused": "On break"'):
        assert text in page
    assert "ĐANG PHỤC VỤ" not in page


@SQLITE
def test_the_counter_console_renders_in_english_with_lang_en(app: Any) -> None:
    officer = Staff(app, "canbo1")
    page = officer.get("/counter?counter=1&lang=en").get_data(as_text=True)
    for text in ("Call next", "Start service", "No-show", '"label": "Guidance only"'):
        assert text in page
    assert "Gọi số tiếp theo" not in page
    assert "Gọi số tiếp theo" in officer.get("/counter?counter=1&lang=vi").get_data(as_text=True)


@SQLITE
def test_the_staff_pages_render_in_english_with_lang_en(app: Any) -> None:
    assert "Staff sign-in" in app.test_client().get("/login?lang=en").get_data(as_text=True)
    leader = Staff(app, "lanhdao")
    report = leader.get("/admin?lang=en").get_data(as_text=True)
    for text in ("Average service time", "Overdue applications", "Sign out", "Export to Excel"):
        assert text in report
    assert "Thời gian phục vụ trung bình" not in report
    calendar = leader.get("/admin/calendar?year=2026&lang=en").get_data(as_text=True)
    assert "Working calendar for 2026" in calendar and "Public holiday" in calendar
    assert "Ngày lễ, Tết" not in calendar
    officer = Staff(app, "canbo1")
    form = officer.get("/admin/dossiers/new?lang=en").get_data(as_text=True)
    assert "Applicant's full name" in form and "Họ và tên người nộp" not in form


@SQLITE
def test_the_rating_tablet_renders_in_english_with_lang_en(app: Any) -> None:
    headers = {"Authorization": f"Bearer {device_token(app, 'tablet')}"}
    page = app.test_client().get("/rate?lang=en", headers=headers).get_data(as_text=True)
    assert "Please rate your satisfaction" in page and "Very satisfied" in page


# --- the catalog --------------------------------------------------------------------------------


def test_every_msgid_has_an_english_msgstr_with_the_same_placeholders() -> None:
    messages = _messages()
    assert len(messages) > 300
    for m in messages:
        assert isinstance(m.string, str) and m.string.strip(), f"untranslated: {m.id!r}"
        assert not m.fuzzy, f"fuzzy: {m.id!r}"
        assert unicodedata.is_normalized("NFC", m.id), m.id
        assert sorted(PLACEHOLDER.findall(m.id)) == sorted(PLACEHOLDER.findall(m.string)), m.id
        assert _english(m.string), f"not English: {m.id!r} -> {m.string!r}"


def test_the_compiled_mo_holds_exactly_the_po_and_is_not_older() -> None:
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    expected = {m.id: m.string for m in _messages()}
    assert {k: compiled.gettext(k) for k in expected} == expected
    # Two seconds of slack: a git checkout writes messages.mo just before messages.po.
    assert MO.stat().st_mtime >= PO.stat().st_mtime - 2, "run tools/i18n.sh compile"


def test_the_catalog_holds_every_message_of_the_source() -> None:
    """A new `_()` or domain error message needs tools/i18n.sh and an English msgstr."""
    with (REPO / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "gettext_noop": None}
    found = {
        message
        for _name, _lineno, message, _comments, _context in extract_from_dir(
            str(REPO), method_map, options_map, keywords=keywords
        )
        if isinstance(message, str) and message
    }
    missing = found - {m.id for m in _messages()}
    assert not missing, f"run tools/i18n.sh and translate: {sorted(missing)}"


def test_the_extractor_takes_literal_error_messages_and_label_tables_only() -> None:
    source = """
class Gone(NotFound):
    default_message = "Đã mất."
LABELS_VI = {"a": "Nhãn A", "b": Label("Nhãn B", "Nhãn C")}
OTHER = {"x": "Không lấy"}
def f(n):
    raise Gone("Không có gì.", field="x")
    raise InvalidRequest(message="Sai rồi.")
    raise NotFound(f"Không có {n}.")
    raise ValueError("not for people")
"""
    tree = ast.parse(source)
    errors = {"DomainError", "NotFound", "InvalidRequest", "Gone"}
    texts = {text for _line, text in i18n_extract.runtime_messages(tree, errors)}
    assert texts == {"Đã mất.", "Nhãn A", "Nhãn B", "Nhãn C", "Không có gì.", "Sai rồi."}
    assert i18n_extract.untranslatable_messages(tree, errors) == [9]


def test_domain_error_classes_are_found_across_the_project() -> None:
    names = i18n_extract.domain_error_names()
    assert {"DomainError", "NotFound", "QueueEmpty", "Unauthorized", "NoPrinter"} <= names
    assert "ValueError" not in names
