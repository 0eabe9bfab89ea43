"""The server's log (its standard output and error, the systemd journal in an office) never
holds an applicant's personal data, even with the access log on (LOBBY_ACCESS_LOG=1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import LiveServer, api_login, issue_ticket, make_server

APPLICANT = {
    "full_name": "Lê Thị Hồng Nhung",
    "id_number": "079188812345",
    "phone": "0912345678",
    "email": "hong.nhung@example.com",
    "address": "Tổ 7, ấp Bàu Sen",
}
PRIVATE = [
    "Hồng Nhung",
    "H\\u1ed3ng Nhung",  # as JSON would escape it
    "079188812345",
    "0912345678",
    "hong.nhung@example.com",
    "Bàu Sen",
]


@pytest.fixture
def logged_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = make_server(tmp_path / "instance", LOBBY_ACCESS_LOG="1").start()
    try:
        yield server
    finally:
        server.stop()


def test_personal_data_sent_to_the_server_never_reaches_its_log(
    logged_server: LiveServer,
) -> None:
    server = logged_server
    officer = api_login(server, "canbo1")
    url = server.url + "/api/v1/dossiers"

    accepted = officer.post(url, json={"procedure": "HT-KS", "applicant": APPLICANT}, timeout=10)
    assert accepted.status_code == 201, accepted.text
    code = accepted.json()["code"]
    pin = accepted.json()["lookup_pin"]
    # The staff view answers with the applicant's data (in the body, never in the log).
    shown = officer.get(f"{url}/{code}", timeout=10)
    assert shown.json()["dossier"]["applicant"]["id_number"] == APPLICANT["id_number"]
    # Refused requests carrying the same data: unknown procedure, a field too long, broken JSON.
    refused = officer.post(url, json={"procedure": "NOPE", "applicant": APPLICANT}, timeout=10)
    assert refused.status_code in (404, 422)
    too_long = {**APPLICANT, "address": APPLICANT["address"] * 200}
    long_one = officer.post(url, json={"procedure": "HT-KS", "applicant": too_long}, timeout=10)
    assert long_one.status_code in (201, 422)
    broken = officer.post(
        url,
        data=('{"applicant": {"full_name": "' + APPLICANT["full_name"] + '"').encode(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert broken.status_code == 400
    # The citizen's lookup with the code and PIN from the receipt.
    looked = requests.post(
        server.url + "/tra-cuu", data={"code": code, "pin": pin}, allow_redirects=False, timeout=10
    )
    assert looked.status_code == 303
    issue_ticket(server)

    server.stop()  # everything it wrote is in the file now
    log = server.log_text()
    assert "POST /api/v1/dossiers" in log, "the access log is on"
    for secret in PRIVATE:
        assert secret not in log, f"{secret!r} is in the server's log"
    assert pin not in log.replace(code, "")
