"""The dossier lookup resists guessing, and a lost lookup PIN is issued again after an ID check.

Over SQLite and PostgreSQL: the wrong-PIN count lives in the database, so two server processes
(two apps on one database here) count together.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import FixedClock
from tests.conftest import build_app
from tests.integration.helpers import Staff

APPLICANT = {"full_name": "Nguyễn Văn An", "id_number": "079123456789"}


def _accept(officer: Staff, **applicant: str) -> dict[str, Any]:
    r = officer.post(
        "/api/v1/dossiers", {"procedure": "HT-XNTTHN", "applicant": {**APPLICANT, **applicant}}
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()  # type: ignore[no-any-return]


def _wrong(pin: str) -> str:
    return "000000" if pin != "000000" else "111111"


def _lookup(client: Any, code: str, pin: str) -> Any:
    return client.post("/api/v1/dossiers/lookup", json={"code": code, "pin": pin})


def test_five_wrong_pins_lock_that_dossiers_lookup_for_15_minutes_across_processes(
    app: Any, db_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    officer = Staff(app, "canbo1")
    got = _accept(officer)
    other = _accept(officer)
    first = app.test_client()
    # A second server process on the same database: the count is shared through the database.
    second_app = build_app(db_url, tmp_path / "second", clock)
    second = second_app.test_client()
    try:
        answers = [
            _lookup(client, got["code"], _wrong(got["lookup_pin"]))
            for client in (first, second, first, second)
        ]
        assert [a.status_code for a in answers] == [404] * 4
        fifth = _lookup(second, got["code"], _wrong(got["lookup_pin"]))
    finally:
        with second_app.app_context():
            from lobby.extensions import db

            db.session.remove()
            db.engine.dispose()
    assert fifth.status_code == 429 and fifth.get_json()["error"] == "rate_limited"
    assert fifth.headers["Retry-After"] == str(15 * 60)
    assert "Quý khách" in fifth.get_json()["message"] and "15 phút" in fifth.get_json()["message"]
    # Locked means locked: even the right PIN waits (else guessing would simply go on).
    assert _lookup(first, got["code"], got["lookup_pin"]).status_code == 429
    # The lookup page says it kindly, keeps the code typed and says when to try again.
    page = first.post("/tra-cuu", data={"code": got["code"], "pin": got["lookup_pin"]})
    html = page.get_data(as_text=True)
    assert page.status_code == 429 and page.headers["Retry-After"] == str(15 * 60)
    assert "Để bảo vệ hồ sơ của Quý khách" in html and "thử lại sau khoảng 15 phút" in html
    assert f'value="{got["code"]}"' in html
    assert re.search(r'<input name="pin"[^>]*value=', html) is None  # the PIN is not sent back
    # Another dossier is not affected.
    assert _lookup(first, other["code"], other["lookup_pin"]).status_code == 200
    # The staff page says the lookup is locked and until when.
    detail = officer.get(f"/admin/dossiers/{got['code']}").get_data(as_text=True)
    assert "đang tạm khóa đến 08:15 30/11/2026" in detail
    clock.advance(minutes=14, seconds=59)
    assert _lookup(first, got["code"], got["lookup_pin"]).status_code == 429
    clock.advance(seconds=1)
    assert _lookup(first, got["code"], got["lookup_pin"]).status_code == 200


def test_a_right_pin_starts_the_count_again(app: Any) -> None:
    got = _accept(Staff(app, "canbo1"))
    client = app.test_client()
    for _ in range(4):
        assert _lookup(client, got["code"], _wrong(got["lookup_pin"])).status_code == 404
    assert _lookup(client, got["code"], got["lookup_pin"]).status_code == 200
    for _ in range(4):
        assert _lookup(client, got["code"], _wrong(got["lookup_pin"])).status_code == 404
    assert _lookup(client, got["code"], got["lookup_pin"]).status_code == 200


def test_the_lookup_page_gives_one_answer_for_an_unknown_code_and_a_wrong_pin(app: Any) -> None:
    got = _accept(Staff(app, "canbo1"))
    client = app.test_client()
    wrong = client.post("/tra-cuu", data={"code": got["code"], "pin": _wrong(got["lookup_pin"])})
    unknown_code = got["code"][:-4] + "9999"
    unknown = client.post("/tra-cuu", data={"code": unknown_code, "pin": "123456"})
    assert wrong.status_code == unknown.status_code == 404

    def message(page: Any) -> str:
        found = re.search(r'<p class="error" role="alert">([^<]*)</p>', page.get_data(as_text=True))
        assert found
        return found.group(1)

    assert message(wrong) == message(unknown)
    assert "mã tra cứu không đúng" in message(wrong)


def test_the_lookup_takes_the_code_in_any_case_and_with_spaces(app: Any) -> None:
    got = _accept(Staff(app, "canbo1"))
    typed = " " + got["code"].lower().replace("-", " - ", 1) + " "  # 000.00.00.h00 - 261130-0001
    client = app.test_client()
    page = client.post("/tra-cuu", data={"code": typed, "pin": " " + got["lookup_pin"] + " "})
    assert page.status_code == 303 and page.headers["Location"] == f"/d/{got['token']}"
    api = _lookup(client, typed, got["lookup_pin"])
    assert api.status_code == 200 and api.get_json()["code"] == got["code"]


def test_the_page_and_the_api_share_one_limit_and_the_page_says_when_to_try_again(
    db_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    limited = build_app(db_url, tmp_path, clock, RATELIMIT_ENABLED=True)
    with limited.app_context():
        from lobby.setup.demo import load_demo

        limited.demo = load_demo()
    client = limited.test_client()
    try:
        pages = [
            client.post("/tra-cuu", data={"code": "H00-1", "pin": "123456"}).status_code
            for _ in range(6)
        ]
        apis = [_lookup(client, "H00-1", "123456").status_code for _ in range(4)]
        assert pages == [404] * 6 and apis == [404] * 4  # 10 in one minute from one address
        assert _lookup(client, "H00-1", "123456").status_code == 429
        page = client.post("/tra-cuu", data={"code": "000.00.00.H00-261130-0001", "pin": "1"})
    finally:
        with limited.app_context():
            from lobby.extensions import db

            db.session.remove()
            db.engine.dispose()
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0
    html = page.get_data(as_text=True)
    # The form again, the code kept, and when to try again.
    assert '<form method="post" class="lookup">' in html
    assert 'value="000.00.00.H00-261130-0001"' in html
    assert re.search(r"thử lại sau khoảng \d+ giây", html)


def test_a_new_pin_after_the_id_check_replaces_the_old_one_and_unlocks(
    app: Any, clock: FixedClock
) -> None:
    from lobby.extensions import db
    from lobby.models import Dossier

    officer = Staff(app, "canbo1")
    got = _accept(officer)
    code, old = got["code"], got["lookup_pin"]
    client = app.test_client()
    for _ in range(5):
        _lookup(client, code, _wrong(old))
    assert _lookup(client, code, old).status_code == 429
    path = f"/api/v1/dossiers/{code}/pin"
    # Not without an ID check, not with another person's number, not for a citizen.
    assert officer.post(path, {}).status_code == 422
    mismatch = officer.post(path, {"id_number": "079123456780"})
    assert mismatch.status_code == 422 and "không khớp" in mismatch.get_json()["message"]
    assert client.post(path, json={"identity_checked": True}).status_code == 401
    # The number as read from the card, with spaces, matches the stored one.
    r = officer.post(path, {"id_number": "079 123 456 789"})
    assert r.status_code == 201, r.get_json()
    new = r.get_json()["pin"]
    assert re.fullmatch(r"\d{6}", new)
    # The new PIN works at once (the lock is lifted), the old one is dead.
    assert _lookup(client, code, new).status_code == 200
    if new != old:
        assert _lookup(client, code, old).status_code == 404
    again = officer.post(path, {"identity_checked": True})
    assert again.status_code == 201
    assert _lookup(client, code, new).status_code in (200, 404)
    assert _lookup(client, code, again.get_json()["pin"]).status_code == 200
    # The history shows who issued a new PIN and how the identity was checked; no PIN anywhere.
    view = officer.get(f"/api/v1/dossiers/{code}").get_json()["dossier"]
    rows = [e for e in view["events"] if e["action"] == "reissue_pin"]
    assert [e["note"] for e in rows] == [
        "Đối chiếu số giấy tờ",
        "Cán bộ xác nhận đã kiểm tra giấy tờ tùy thân",
    ]
    assert all(e["staff"] == "Nguyễn Văn Một" for e in rows)
    with app.app_context():
        stored = db.session.scalar(select(Dossier).where(Dossier.code == code))
        assert again.get_json()["pin"] not in str(
            [getattr(stored, c.key) for c in Dossier.__table__.columns]
        )
        from lobby.models import IdempotencyRecord

        kept = " ".join(r.body or "" for r in db.session.scalars(select(IdempotencyRecord)))
        assert new not in kept and again.get_json()["pin"] not in kept


def test_an_idempotent_accept_keeps_no_pin_in_its_stored_answer(app: Any) -> None:
    from lobby.extensions import db
    from lobby.models import IdempotencyRecord

    officer = Staff(app, "canbo1")
    body = {"procedure": "HT-XNTTHN", "applicant": APPLICANT}
    first = officer.post("/api/v1/dossiers", body, **{"Idempotency-Key": "k-1"})
    replay = officer.post("/api/v1/dossiers", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == replay.status_code == 201
    assert "lookup_pin" in first.get_json() and "lookup_pin" not in replay.get_json()
    assert replay.get_json()["code"] == first.get_json()["code"]
    with app.app_context():
        kept = " ".join(r.body or "" for r in db.session.scalars(select(IdempotencyRecord)))
    assert first.get_json()["lookup_pin"] not in kept


@pytest.mark.parametrize(
    ("applicant", "field_message"),
    [
        ({"id_number": "12345"}, "12 chữ số"),
        ({"id_number": "07912345678a"}, "12 chữ số"),
        ({"id_type": "passport", "id_number": "C12"}, "hộ chiếu"),
        ({"id_type": "other", "id_number": "x"}, "3–40"),
        ({"id_type": "cmnd", "id_number": "079123456789"}, "id_type"),
    ],
)
def test_the_api_checks_the_id_number_by_its_type(
    app: Any, applicant: dict[str, str], field_message: str
) -> None:
    officer = Staff(app, "canbo1")
    r = officer.post(
        "/api/v1/dossiers",
        {"procedure": "HT-XNTTHN", "applicant": {"full_name": "Lê Văn Cường", **applicant}},
    )
    assert r.status_code == 422 and r.get_json()["error"] == "invalid_request"
    assert field_message in r.get_json()["message"]


def test_good_id_numbers_are_kept_in_their_usual_form(app: Any) -> None:
    officer = Staff(app, "canbo1")
    cases = [
        ({"id_number": "079 123.456 789"}, "079123456789", "cccd"),
        ({"id_type": "passport", "id_number": "c 1234567"}, "C1234567", "passport"),
        (
            {"id_type": "other", "id_number": " Giấy khai sinh  số 12 "},
            "Giấy khai sinh số 12",
            "other",
        ),
    ]
    for applicant, stored, kind in cases:
        got = _accept(officer, **applicant)
        view = officer.get(f"/api/v1/dossiers/{got['code']}").get_json()["dossier"]
        assert view["applicant"]["id_number"] == stored
        assert view["applicant"]["id_type"] == kind


def test_the_other_phone_pages_keep_the_apps_429_answer(
    db_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    limited = build_app(
        db_url, tmp_path, clock, RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC="2 per minute"
    )
    with limited.app_context():
        from lobby.setup.demo import load_demo

        load_demo()
    client = limited.test_client()
    try:
        codes = [client.get("/t/not-a-token").status_code for _ in range(3)]
        page = client.get("/t/not-a-token")
    finally:
        with limited.app_context():
            from lobby.extensions import db

            db.session.remove()
            db.engine.dispose()
    assert codes == [404, 404, 429] and page.status_code == 429
    assert "<html" in page.get_data(as_text=True)


def test_the_lookup_bucket_lives_in_the_limiters_shared_storage(
    db_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    """With Redis configured every server process counts in the same bucket."""
    import random

    from tests.conftest import REDIS_URL

    if not REDIS_URL:
        pytest.skip("needs LOBBY_TEST_REDIS_URL")
    import redis

    # A made-up client address of its own: the keys of this test and no other.
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    limited = build_app(
        db_url, tmp_path, clock, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL
    )
    with limited.app_context():
        from lobby.setup.demo import load_demo

        load_demo()
    client = limited.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    store = redis.Redis.from_url(REDIS_URL)
    try:
        client.post("/tra-cuu", data={"code": "H00-1", "pin": "123456"})
        _lookup(client, "H00-1", "123456")
        keys = [k.decode() for k in store.scan_iter(f"*{address}*")]
        assert len(keys) == 1 and "dossier-lookup" in keys[0], keys
        assert int(store.get(keys[0]) or 0) == 2  # the page and the API, one count
    finally:
        for key in store.scan_iter(f"*{address}*"):
            store.delete(key)
        store.close()
        with limited.app_context():
            from lobby.extensions import db

            db.session.remove()
            db.engine.dispose()
