"""How pages travel (issue 16, part 3): gzip for text with Vary, never on Socket.IO or streams;
versioned static URLs cached for a year; the fonts as WOFF2 with the WOFF fallback."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from tests.integration.helpers import issue

REPO = Path(__file__).resolve().parents[2]
GZIP = {"Accept-Encoding": "gzip, deflate, br"}
YEAR = "max-age=31536000"

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _phone_page(app: Any) -> tuple[dict[str, Any], str]:
    ticket = issue(app.test_client(), app)
    page = app.test_client().get(f"/t/{ticket['token']}").get_data(as_text=True)
    return ticket, page


def test_the_phone_page_is_gzipped_for_a_browser_and_plain_for_a_client_without_gzip(
    app: Any,
) -> None:
    ticket = issue(app.test_client(), app)
    zipped = app.test_client().get(f"/t/{ticket['token']}", headers=GZIP)
    assert zipped.status_code == 200
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    html = gzip.decompress(zipped.data).decode("utf-8")
    assert ticket["number"] in html and "</html>" in html
    assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(html.encode()) / 2

    plain = app.test_client().get(f"/t/{ticket['token']}")
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]  # a shared cache keeps both apart
    assert plain.get_data(as_text=True) == html


def test_json_is_gzipped_and_small_answers_are_not(app: Any) -> None:
    client = app.test_client()
    big = client.get("/api/v1/openapi.json", headers=GZIP)
    assert big.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(big.data).startswith(b"{")
    small = client.get("/healthz", headers=GZIP)
    assert small.status_code == 200 and "Content-Encoding" not in small.headers
    assert small.get_json()


def test_static_files_have_versioned_urls_cached_for_a_year_and_are_gzipped(app: Any) -> None:
    _, page = _phone_page(app)
    # In attributes, and the Socket.IO client's in the page's JSON (phone.js loads it).
    urls = re.findall(r'"(/[^"]+\.(?:css|js|svg)\?v=[0-9a-f]{10})"', page)
    assert any("/phone/static/phone.css?v=" in u for u in urls), urls
    assert any("socket.io.min.js?v=" in u for u in urls), urls
    client = app.test_client()
    for url in urls:
        r = client.get(url, headers=GZIP)
        assert r.status_code == 200, url
        assert YEAR in r.headers["Cache-Control"] and "immutable" in r.headers["Cache-Control"]
        path, version = url.split("?v=")
        if path.endswith((".css", ".js")):
            assert r.headers["Content-Encoding"] == "gzip", url
            body = gzip.decompress(r.data)
        else:
            body = r.data
        assert hashlib.sha256(body).hexdigest()[:10] == version, url
        r.close()
    css = next(u for u in urls if "phone.css" in u).split("?v=")[0]
    for unversioned in (css, css + "?v=0000000000"):  # no version, or an old one
        r = client.get(unversioned, headers=GZIP)
        assert r.status_code == 200
        assert "immutable" not in r.headers.get("Cache-Control", "")
        r.close()


def test_the_css_asks_for_woff2_then_woff_at_their_current_versions(app: Any) -> None:
    client = app.test_client()
    sheets = [REPO / "phone/static/phone.css", REPO / "lobby/static/css/base.css"]
    for sheet in sheets:
        faces = re.findall(r"@font-face \{[^}]+\}", sheet.read_text("utf-8"))
        assert len(faces) == 2, sheet
        for face in faces:
            urls = re.findall(r'url\("(/fonts/[^"]+)"\) format\("(woff2?)"\)', face)
            assert [fmt for _, fmt in urls] == ["woff2", "woff"], face
            for url, fmt in urls:
                name, version = url.removeprefix("/fonts/").split("?v=")
                on_disk = (REPO / "printers/fonts/web" / name).read_bytes()
                assert hashlib.sha256(on_disk).hexdigest()[:10] == version, (sheet, name)
                r = client.get(url, headers=GZIP)
                assert r.status_code == 200 and r.data == on_disk
                assert r.mimetype == f"font/{fmt}"
                assert "immutable" in r.headers["Cache-Control"]
                assert "Content-Encoding" not in r.headers  # already compressed inside
                r.close()
    assert (REPO / "printers/fonts/web/NotoSans-Regular.woff2").read_bytes()[:4] == b"wOF2"


def test_socket_io_is_never_compressed_by_the_app(app: Any) -> None:
    r = app.test_client().get("/socket.io/?EIO=4&transport=polling", headers=GZIP)
    assert r.status_code == 200
    assert "Content-Encoding" not in r.headers
    assert r.data.startswith(b"0{") and b'"sid"' in r.data  # the engine.io handshake, readable


def test_a_streamed_answer_goes_out_as_it_comes(app: Any) -> None:
    from flask import Response

    from lobby.assets import _finish

    def rows() -> Any:
        yield b"[" + b'{"a": 1},' * 200
        yield b"{}]"

    with app.test_request_context("/api/v1/stats/export", headers=GZIP):
        resp = _finish(Response(rows(), mimetype="application/json"))
        assert resp.is_streamed and "Content-Encoding" not in resp.headers
