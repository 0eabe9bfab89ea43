"""The dossier journey through the API: accept, follow, rate, import, webhook, report."""

from __future__ import annotations

import http.server
import io
import json
import threading
from datetime import datetime
from typing import Any, ClassVar

import pytest

from core.clock import FixedClock
from lobby.extensions import socketio
from tests.conftest import VN
from tests.integration.helpers import Staff, device_token, issue

APPLICANT = {
    "full_name": "Nguyễn Văn An",
    "id_number": "079123456789",
    "phone": "0901234567",
    "email": "an.nguyen@example.com",
    "address": "Ấp 3, xã Thạnh Lợi",
}
PRIVATE = ["079123456789", "0901234567", "an.nguyen@example.com", "Ấp 3", "Nguyễn Văn An", "Nguyễn"]


def assert_public(data: Any) -> None:
    text = json.dumps(data, ensure_ascii=False)
    for secret in PRIVATE:
        assert secret not in text, f"{secret!r} leaked into a public view"


def _serve(app: Any, officer: Staff) -> tuple[dict[str, Any], int]:
    t = issue(app.test_client(), app)
    officer.open_counter(1)
    tid = officer.call_next(1).get_json()["ticket"]["id"]
    assert officer.post(f"/api/v1/tickets/{tid}/start").status_code == 200
    return t, tid


def _accept(officer: Staff, procedure: str = "HT-XNTTHN", **extra: Any) -> Any:
    return officer.post(
        "/api/v1/dossiers", {"procedure": procedure, "applicant": APPLICANT, **extra}
    )


def test_the_whole_journey_from_ticket_to_rating_never_shows_personal_data(
    app: Any, clock: FixedClock
) -> None:
    officer = Staff(app, "canbo1")
    ticket, tid = _serve(app, officer)
    phone = socketio.test_client(app, auth={"ticket": ticket["token"]})
    phone.get_received()
    r = _accept(officer, ticket_id=tid, components=[{"name": "Tờ khai", "ban_chinh": 1}])
    assert r.status_code == 201, r.get_json()
    accepted = r.get_json()
    assert accepted["code"] == "000.00.00.H00-261130-0001"
    # Monday 08:00 + 3 working days (24 working hours over 07:00–11:30, 13:30–17:00).
    assert accepted["due_at"] == "2026-12-03T08:00:00+07:00"
    assert len(accepted["lookup_pin"]) == 6 and accepted["url"].startswith("http://lobby.test/d/")
    client = app.test_client()

    def public() -> dict[str, Any]:
        view = client.get(f"/api/v1/tickets/{ticket['token']}").get_json()["dossier"]
        same = client.get(f"/api/v1/dossiers/public/{accepted['token']}").get_json()
        assert view == same
        assert_public(view)
        return view

    view = public()
    assert view["applicant"] == "N*** V*** A" and view["status_label"] == "Đã tiếp nhận"
    assert view["procedure"] == "Cấp Giấy xác nhận tình trạng hôn nhân"
    pushed = [e["args"][0] for e in phone.get_received() if e["name"] == "dossier_updated"]
    assert pushed and pushed[-1]["code"] == accepted["code"]
    assert_public(pushed)

    code = accepted["code"]

    def event(body: dict[str, Any]) -> dict[str, Any]:
        res = officer.post(f"/api/v1/dossiers/{code}/events", body)
        assert res.status_code == 200, res.get_json()
        return res.get_json()["dossier"]

    event({"action": "handover", "to_unit": "Công chức Tư pháp – Hộ tịch"})
    assert public()["status_label"] == "Đang xử lý"
    event(
        {
            "action": "request_supplement",
            "reason": "Thiếu bản sao giấy khai sinh",
            "items": [{"name": "Bản sao giấy khai sinh", "ban_chung_thuc": 1}],
        }
    )
    assert public()["status_label"] == "Cần bổ sung giấy tờ"
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=VN))
    after = event({"action": "supplement_received"})
    # Restart (default): the clock runs again from the complete dossier, Tuesday 08:00.
    assert after["due_at"] == "2026-12-04T08:00:00+07:00"
    clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=VN))
    ready = event({"action": "result_ready"})
    assert ready["timeliness"] == "truoc_han"
    view = public()
    assert (
        view["status_label"] == "Đã có kết quả – mời đến nhận"
        and view["timeliness_label"] == "Trước hạn"
    )
    assert view["collect_at"] == "2026-12-02T10:00:00+07:00"
    event({"action": "return"})
    assert public()["status_label"] == "Đã trả kết quả"
    staff = officer.get(f"/api/v1/dossiers/{code}").get_json()["dossier"]
    assert staff["applicant"]["id_number"] == "079123456789"
    assert [e["action"] for e in staff["events"]] == [
        "accept",
        "handover",
        "request_supplement",
        "supplement_received",
        "result_ready",
        "return",
    ]
    assert staff["events"][1]["to_unit"] == "Công chức Tư pháp – Hộ tịch"
    assert staff["events"][1]["from_unit"] == "Bộ phận tiếp nhận và trả kết quả"
    assert (
        officer.post(
            f"/api/v1/dossiers/{code}/events", {"action": "handover", "to_unit": "x"}
        ).status_code
        == 409
    )

    officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": "dossier_accepted"})
    rated = client.post(
        f"/api/v1/tickets/{ticket['token']}/rating",
        json={"level": "rat_hai_long", "comment": "Nhanh"},
    )
    assert rated.status_code == 201
    twice = client.post(f"/api/v1/tickets/{ticket['token']}/rating", json={"level": "hai_long"})
    assert twice.status_code == 409
    report = Staff(app, "lanhdao").get("/api/v1/stats?from=2026-11-01&to=2026-12-31").get_json()
    assert report["dossiers"]["received"] == 1 and report["dossiers"]["early"] == 1
    assert report["dossiers"]["on_time_rate"] == 100.0
    assert report["satisfaction"]["rat_hai_long"] == 1 and report["satisfaction"]["rate"] == 100.0


def test_personal_data_is_encrypted_at_rest(app: Any) -> None:
    officer = Staff(app, "canbo1")
    assert _accept(officer).status_code == 201
    from sqlalchemy import text

    from lobby.extensions import db

    with app.app_context():
        raw = db.session.execute(text("SELECT full_name, id_number, phone FROM applicants")).one()
    assert all(
        v and "079123456789" not in v and "Nguyễn" not in v and "0901234567" not in v for v in raw
    )


def test_a_dossier_received_friday_at_16_for_three_working_days_is_due_wednesday(
    app: Any, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 12, 4, 16, 0, tzinfo=VN))
    got = _accept(Staff(app, "canbo1")).get_json()
    # 1 h left on Friday, then 8 h Monday, 8 h Tuesday, 7 h Wednesday → 16:00.
    assert got["due_at"] == "2026-12-09T16:00:00+07:00"


@pytest.mark.parametrize(
    ("hour", "due"), [(14, "2026-12-01T17:00:00+07:00"), (15, "2026-12-02T17:00:00+07:00")]
)
def test_same_day_procedures_respect_the_15h_cutoff(
    app: Any, clock: FixedClock, hour: int, due: str
) -> None:
    clock.set(datetime(2026, 12, 1, hour, 30, tzinfo=VN))
    assert _accept(Staff(app, "canbo1"), "CT-BS").get_json()["due_at"] == due


def test_a_five_day_procedure_across_tet_2026_skips_the_nine_days_off(
    app: Any, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 2, 12, 9, 0, tzinfo=VN))
    got = _accept(Staff(app, "canbo1"), "HT-DLKS").get_json()  # 5 working days = 40 working hours
    # Thu 12 Feb: 6 h, Fri 13 Feb: 8 h, Sat 14 – Sun 22 Feb off (Tết), Mon 23, Tue 24, Wed 25:
    # 24 h, then 2 h on Thu 26 Feb from 07:00.
    assert got["due_at"] == "2026-02-26T09:00:00+07:00"


def test_an_apology_sets_a_new_date_but_timeliness_counts_the_original(
    app: Any, clock: FixedClock
) -> None:
    officer = Staff(app, "canbo1")
    code = _accept(officer).get_json()["code"]
    r = officer.post(
        f"/api/v1/dossiers/{code}/events",
        {
            "action": "apologise",
            "reason": "Chờ xác minh",
            "new_due_at": "2026-12-10T16:00:00+07:00",
        },
    )
    assert r.status_code == 200
    view = (
        app.test_client()
        .get(f"/api/v1/dossiers/public/{r.get_json()['dossier']['url'].rsplit('/', 1)[1]}")
        .get_json()
    )
    assert view["new_due_at"] == "2026-12-10T16:00:00+07:00" and "xin lỗi" in view["apology"]
    clock.set(datetime(2026, 12, 8, 9, 0, tzinfo=VN))
    ready = officer.post(f"/api/v1/dossiers/{code}/events", {"action": "result_ready"}).get_json()[
        "dossier"
    ]
    assert ready["timeliness"] == "qua_han"
    missing = officer.post(f"/api/v1/dossiers/{code}/events", {"action": "apologise"})
    assert missing.status_code in (409, 422)


def test_lookup_by_code_needs_the_pin(app: Any) -> None:
    got = _accept(Staff(app, "canbo1")).get_json()
    client = app.test_client()
    ok = client.post(
        "/api/v1/dossiers/lookup", json={"code": got["code"], "pin": got["lookup_pin"]}
    )
    assert ok.status_code == 200 and ok.get_json()["code"] == got["code"]
    assert_public(ok.get_json())
    wrong = client.post(
        "/api/v1/dossiers/lookup",
        json={"code": got["code"], "pin": "000000" if got["lookup_pin"] != "000000" else "111111"},
    )
    none = client.post(
        "/api/v1/dossiers/lookup", json={"code": "000.00.00.H00-261130-9999", "pin": "123456"}
    )
    # One answer for a wrong PIN and an unknown code: the lookup does not tell which codes exist.
    assert wrong.status_code == none.status_code == 404
    assert wrong.get_json() == none.get_json()
    assert "mã tra cứu không đúng" in wrong.get_json()["message"]


def test_accepting_needs_a_name_and_a_known_procedure(app: Any) -> None:
    officer = Staff(app, "canbo1")
    assert (
        officer.post("/api/v1/dossiers", {"procedure": "HT-KS", "applicant": {}}).status_code == 422
    )
    assert (
        officer.post("/api/v1/dossiers", {"procedure": "NOPE", "applicant": APPLICANT}).status_code
        == 404
    )
    assert officer.post("/api/v1/dossiers", {"applicant": APPLICANT}).status_code == 422
    assert (
        app.test_client()
        .post("/api/v1/dossiers", json={"procedure": "HT-KS", "applicant": APPLICANT})
        .status_code
        == 401
    )


def test_import_applies_good_rows_and_explains_bad_ones(app: Any) -> None:
    officer = Staff(app, "canbo1")
    a = _accept(officer).get_json()["code"]
    b = _accept(officer).get_json()["code"]
    lines = "\n".join(
        [
            json.dumps({"code": a, "action": "handover", "to_unit": "Phòng Tư pháp"}),
            json.dumps({"code": a, "action": "result_ready"}),
            json.dumps({"code": "KHONG-CO", "action": "result_ready"}),
            json.dumps({"code": b, "action": "return"}),
            "{not json",
            json.dumps({"code": b, "action": "fly"}),
        ]
    )
    r = officer.client.post(
        "/api/v1/dossiers/import",
        data=lines,
        content_type="application/x-ndjson",
        headers={"X-CSRF-Token": officer.csrf},
    )
    body = r.get_json()
    assert r.status_code == 200 and body["received"] == 6 and body["applied"] == 2
    assert [(f["row"], f["error"]) for f in body["failed"]] == [
        (3, "not_found"),
        (4, "conflict"),
        (5, "invalid_request"),
        (6, "invalid_request"),
    ]
    csv_body = f"code,action,reason\n{b},request_supplement,Thiếu ảnh\n{b},bogus,\n"
    r = officer.client.post(
        "/api/v1/dossiers/import",
        data=csv_body.encode(),
        content_type="text/csv",
        headers={"X-CSRF-Token": officer.csrf},
    )
    assert r.get_json()["applied"] == 1 and r.get_json()["failed"][0]["row"] == 2
    assert (
        officer.get(f"/api/v1/dossiers/{b}").get_json()["dossier"]["status"]
        == "supplement_requested"
    )


def test_import_answers_in_the_callers_language_and_refuses_what_it_cannot_read(
    app: Any,
) -> None:
    officer = Staff(app, "canbo1")
    code = _accept(officer).get_json()["code"]

    def post(body: str, kind: str, **headers: str) -> Any:
        return officer.client.post(
            "/api/v1/dossiers/import",
            data=body.encode(),
            content_type=kind,
            headers={"X-CSRF-Token": officer.csrf, **headers},
        )

    lines = "\n".join([json.dumps({"code": code, "action": "fly"}), "{not json"])
    english = post(lines, "application/x-ndjson", **{"Accept-Language": "en"}).get_json()
    assert [f["message"] for f in english["failed"]] == [
        "Invalid application action (action).",
        "line 2 is not JSON",
    ]
    vietnamese = post(lines, "application/x-ndjson").get_json()
    assert vietnamese["failed"][0]["message"] == "Thao tác hồ sơ (action) không hợp lệ."

    # XML is not JSON lines read line by line: one 415 that names what is read.
    xml = f"<rows><row code='{code}' action='result_ready'/></rows>"
    r = post(xml, "application/xml")
    assert r.status_code == 415
    assert r.get_json()["error"] == "unsupported_media_type"
    assert "text/csv" in r.get_json()["message"]
    r = post(xml, "application/xml", **{"Accept-Language": "en"})
    assert r.status_code == 415 and "not accepted" in r.get_json()["message"]

    # A CSV whose header is wrong: one error about the header, not one per row.
    wrong = f"ma_ho_so;thao_tac\n{code};result_ready\n{code};return\n"
    r = post(wrong, "text/csv")
    body = r.get_json()
    assert r.status_code == 422 and body["error"] == "invalid_request"
    assert body["details"]["field"] == "header"
    assert body["details"]["missing"] == ["code", "action"]
    assert "tiêu đề" in body["message"]
    r = post(f"code,action,to-unit\n{code},handover,Phòng Tư pháp\n", "text/csv")
    assert r.status_code == 422 and r.get_json()["details"]["unknown"] == ["to-unit"]
    # Nothing was applied by the refused bodies.
    status = officer.get(f"/api/v1/dossiers/{code}").get_json()["dossier"]["status"]
    assert status == "accepted"
    # A header with spaces and a BOM is still the right header.
    r = post(f"\ufeffcode, action ,to_unit\n{code},handover,Phòng Tư pháp\n", "text/csv")
    assert r.status_code == 200 and r.get_json()["applied"] == 1

    # A kiosk's token is known but not a staff member's: 403, not 401.
    kiosk = app.test_client().post(
        "/api/v1/dossiers/import",
        data=lines.encode(),
        content_type="application/x-ndjson",
        headers={"Authorization": f"Bearer {device_token(app, 'kiosk')}"},
    )
    assert kiosk.status_code == 403 and kiosk.get_json()["error"] == "forbidden"
    nobody = app.test_client().post(
        "/api/v1/dossiers/import", data=lines.encode(), content_type="application/x-ndjson"
    )
    assert nobody.status_code == 401


class _Receiver(http.server.BaseHTTPRequestHandler):
    got: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.got.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_webhook_is_signed_and_retried_until_the_receiver_is_up(
    db_url: str, tmp_path: Any, clock: FixedClock
) -> None:
    import socket

    from lobby.webhooks import verify
    from tests.conftest import build_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    application = build_app(
        db_url,
        tmp_path,
        clock,
        LOBBY_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        LOBBY_WEBHOOK_SECRET="s3cret",
    )
    with application.app_context():
        from lobby.setup.demo import load_demo

        application.demo = load_demo()
    officer = Staff(application, "canbo1")
    code = _accept(officer).get_json()["code"]
    sender = application.extensions["lobby_webhooks"]
    sender.run_pending()  # nobody listens yet: the delivery waits
    from lobby.extensions import db
    from lobby.models import WebhookDelivery

    with application.app_context():
        pending = db.session.scalars(db.select(WebhookDelivery)).all()
        assert [(p.status, p.attempts) for p in pending] == [("pending", 1)]
    _Receiver.got = []
    server = http.server.HTTPServer(("127.0.0.1", port), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        officer.post(f"/api/v1/dossiers/{code}/events", {"action": "result_ready"})
        clock.advance(seconds=5)  # past the back-off
        sender.run_pending()
    finally:
        server.shutdown()
    events = [(h["X-Lobby-Event"], json.loads(b)) for h, b in _Receiver.got]
    assert [e for e, _ in events] == ["dossier.accepted", "dossier.result_ready"]
    assert all(verify("s3cret", b, h["X-Lobby-Signature"]) for h, b in _Receiver.got)
    assert not verify("wrong", _Receiver.got[0][1], _Receiver.got[0][0]["X-Lobby-Signature"])
    assert_public([b for _, b in events])


def test_the_report_names_its_units_counts_waits_over_called_tickets_and_exports_every_rate(
    app: Any, clock: FixedClock
) -> None:
    import csv

    from openpyxl import load_workbook

    officer = Staff(app, "canbo1")
    kiosk = app.test_client()
    for _ in range(3):
        issue(kiosk, app)  # three tickets; only the first is ever called
    officer.open_counter(1)
    clock.advance(minutes=6)
    tid = officer.call_next(1).get_json()["ticket"]["id"]
    officer.post(f"/api/v1/tickets/{tid}/start")
    clock.advance(minutes=3)
    _accept(officer, ticket_id=tid)
    officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": "dossier_accepted"})
    leader = Staff(app, "lanhdao")
    period = "from=2026-11-01&to=2026-11-30"

    data = leader.get(f"/api/v1/stats?{period}").get_json()
    # The JSON grows: the old keys stay, with "called" (and "handled" per counter) beside them.
    assert (data["tickets"]["issued"], data["tickets"]["called"]) == (3, 1)
    assert data["tickets"]["avg_wait_seconds"] == 360.0
    [counter] = data["by_counter"]
    assert counter["handled"] == counter["issued"] == 1 and counter["called"] == 1
    [field] = data["by_service"]
    assert (field["issued"], field["called"]) == (3, 1)
    assert data["satisfaction"]["dossier_rate"] == 100.0

    page = leader.get(f"/admin?{period}").get_data(as_text=True)
    assert "Thời gian chờ trung bình (1 phiếu đã gọi)" in page and "6.0 phút" in page
    assert "Phiếu đã xử lý" in page and "Chờ TB (phút)" in page and "′" not in page
    english = leader.client.get(f"/admin?{period}&lang=en").get_data(as_text=True)
    assert "Average waiting time (1 tickets called)" in english and "Tickets handled" in english

    r = leader.get(f"/api/v1/stats/export?format=csv&{period}")
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    table = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    rows = {row[0]: row[1:] for row in table if row}
    assert rows["Tỷ lệ hồ sơ hài lòng (%)"] == ["100.0"]
    assert rows["Phiếu đã gọi"] == ["1"] and rows["Thời gian chờ trung bình (phút)"] == ["6.0"]
    assert rows["Quầy"][1:3] == ["Phiếu đã xử lý", "Đã gọi"]
    assert rows["Lĩnh vực"][1:3] == ["Phiếu đã cấp", "Đã gọi"]

    book = load_workbook(io.BytesIO(leader.get(f"/api/v1/stats/export?{period}").data))
    summary = {row[0]: row[1] for row in book["Tổng hợp"].iter_rows(values_only=True)}
    assert summary["Tỷ lệ hồ sơ hài lòng (%)"] == 100.0 and summary["Phiếu đã gọi"] == 1
    header = next(book["Theo quầy"].iter_rows(values_only=True))
    assert header[2] == "Phiếu đã xử lý"
    assert header[-2:] == ("Chờ TB (phút)", "Phục vụ TB (phút)")


def test_the_report_exports_to_excel_and_csv(app: Any, clock: FixedClock) -> None:
    from openpyxl import load_workbook

    officer = Staff(app, "canbo1")
    _serve(app, officer)
    code = _accept(officer).get_json()["code"]
    clock.set(datetime(2026, 12, 3, 16, 0, tzinfo=VN))
    officer.post(f"/api/v1/dossiers/{code}/events", {"action": "result_ready"})
    leader = Staff(app, "lanhdao")
    xlsx = leader.get("/api/v1/stats/export?from=2026-11-01&to=2026-12-31&format=xlsx")
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.data))
    summary = {row[0]: row[1] for row in wb["Tổng hợp"].iter_rows(values_only=True)}
    assert summary["Hồ sơ đã giải quyết"] == 1 and summary["Đúng hạn"] == 1
    assert summary["Tỷ lệ đúng hạn (%)"] == 100.0
    assert wb["Theo lĩnh vực"]["A2"].value == "ho_tich"
    csv_text = leader.get("/api/v1/stats/export?format=csv&from=2026-11-01&to=2026-12-31").get_data(
        as_text=True
    )
    assert "Tỷ lệ đúng hạn (%),100.0" in csv_text
    assert officer.get("/api/v1/stats").status_code == 403
    assert leader.get("/api/v1/stats?from=2026-13-01").status_code == 422
