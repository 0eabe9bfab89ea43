"""Feedback about the desk (phản ánh, kiến nghị): a citizen sends it and follows it by its link;
staff assign, answer and publish it within the working-day deadlines; the public parts never
show the contact."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from core.clock import FixedClock
from tests.conftest import build_app
from tests.integration.helpers import Staff, issue, kiosk_headers

NAME = "Hoàng Thị Phản Ánh"
PHONE = "0912 345 678"


def _send(client: Any, **body: Any) -> Any:
    return client.post("/api/v1/feedback", json={"topic": "thoi_gian_cho", **body})


def _public_texts(client: Any, got: dict[str, Any], ticket: dict[str, Any]) -> list[str]:
    """Every public answer about this feedback and its visit."""
    token = got["token"]
    return [
        client.get(f"/api/v1/feedback/{token}").get_data(as_text=True),
        client.get(f"/gop-y/{token}").get_data(as_text=True),
        client.get(f"/t/{ticket['token']}").get_data(as_text=True),
        client.get(f"/api/v1/tickets/{ticket['token']}").get_data(as_text=True),
    ]


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _form_post(staff: Staff, path: str, **data: Any) -> Any:
    page = staff.get("/admin/feedback").get_data(as_text=True)
    return staff.client.post(path, data={"csrf_token": _csrf(page), **data})


def test_a_citizen_gets_a_code_and_a_tracking_link_that_never_shows_the_contact(
    app: Any, db_url: str
) -> None:
    client = app.test_client()
    ticket = issue(client, app)
    r = _send(
        client,
        content="Chờ quá lâu ở quầy hộ tịch.",
        ticket_token=ticket["token"],
        contact={"name": NAME, "phone": PHONE},
    )
    assert r.status_code == 201, r.get_json()
    got = r.get_json()
    assert got["code"] == "PA-261130-0001"
    assert got["url"] == f"http://lobby.test/gop-y/{got['token']}"
    assert _send(client, content="Thêm ghế chờ.").get_json()["code"] == "PA-261130-0002"

    view = client.get(f"/api/v1/feedback/{got['token']}").get_json()
    assert view["status"] == "received" and view["status_label"] == "Đã tiếp nhận"
    # 15 working days after Monday 30 Nov 2026: Monday 21 Dec, at the close of the day.
    assert view["due_at"].startswith("2026-12-21T")
    assert "answer" not in view

    for answer in _public_texts(client, got, ticket):
        assert NAME not in answer and PHONE not in answer and "0912345678" not in answer
    # At rest the contact is encrypted, like an applicant's.
    with app.app_context():
        from lobby.extensions import db

        stored = db.session.execute(text("SELECT contact_name, contact_phone FROM feedback")).all()
    assert all(NAME not in (row[0] or "") and PHONE not in (row[1] or "") for row in stored)
    assert client.get("/api/v1/feedback/not-a-token").status_code == 404


def test_mistakes_are_refused_in_the_apis_style_and_the_form_keeps_what_was_typed(
    app: Any,
) -> None:
    client = app.test_client()
    bad_topic = _send(client, topic="tien_an", content="x")
    assert bad_topic.status_code == 422
    assert bad_topic.get_json()["error"] == "invalid_request"
    assert bad_topic.get_json()["details"]["field"] == "topic"
    blank = _send(client, content="   ")
    assert blank.status_code == 422 and blank.get_json()["details"]["field"] == "content"
    assert _send(client, content="ok", contact="0912").status_code == 422
    assert client.post("/api/v1/feedback", data="{nope").status_code == 400

    page = client.post("/gop-y", data={"topic": "khac", "content": " ", "name": NAME})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Vui lòng nhập nội dung phản ánh, kiến nghị." in html and NAME in html

    sent = client.post("/gop-y", data={"topic": "co_so_vat_chat", "content": "Thiếu quạt."})
    assert sent.status_code == 303
    tracking = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Đã tiếp nhận phản ánh, mã số: PA-261130-0001" in tracking


def test_staff_assign_answer_and_publish_with_every_step_in_the_history(
    app: Any, clock: FixedClock
) -> None:
    client = app.test_client()
    got = _send(client, content="Cán bộ quầy 2 trả lời cộc lộc.", topic="thai_do_can_bo").get_json()
    code = got["code"]
    leader, officer, other = Staff(app, "lanhdao"), Staff(app, "canbo1"), Staff(app, "canbo2")
    listed = leader.get("/admin/feedback").get_data(as_text=True)
    assert code in listed and "Thái độ, tác phong của cán bộ" in listed
    assert code not in officer.get("/admin/feedback").get_data(as_text=True)

    early = _form_post(leader, f"/admin/feedback/{code}/publish")
    assert early.status_code == 303
    assert "Chỉ công khai được" in leader.get(early.headers["Location"]).get_data(as_text=True)

    with app.app_context():
        from lobby.models import StaffUser

        canbo1_id = StaffUser.query.filter_by(username="canbo1").one().id
    _form_post(officer, f"/admin/feedback/{code}/assign", assignee=canbo1_id)  # not theirs
    assert "Chưa giao" in leader.get(f"/admin/feedback/{code}").get_data(as_text=True)
    _form_post(leader, f"/admin/feedback/{code}/assign", assignee=canbo1_id, note="Xác minh")
    mine = officer.get(f"/admin/feedback/{code}").get_data(as_text=True)
    assert 'id="answer-form"' in mine and 'id="assign-form"' not in mine
    assert other.get(f"/admin/feedback/{code}").status_code == 403
    clock.advance(days=1)
    _form_post(officer, f"/admin/feedback/{code}/answer", answer="Đã nhắc nhở cán bộ.")
    public = client.get(f"/api/v1/feedback/{got['token']}").get_json()
    assert public["status"] == "answered" and "answer" not in public

    _form_post(leader, f"/admin/feedback/{code}/publish")
    public = client.get(f"/api/v1/feedback/{got['token']}").get_json()
    assert public["status"] == "published" and public["answer"] == "Đã nhắc nhở cán bộ."
    assert "Đã nhắc nhở cán bộ." in client.get(f"/gop-y/{got['token']}").get_data(as_text=True)

    detail = leader.get(f"/admin/feedback/{code}").get_data(as_text=True)
    history = detail.split('id="fb-history"', 1)[1]
    steps = ["Tiếp nhận phản ánh", "Giao xử lý", "Trả lời", "Công khai kết quả"]
    assert [s for s in steps if s in history] == steps
    assert "Nguyễn Văn Một" in history and "Xác minh" in history


def test_overdue_feedback_is_flagged_and_counted_for_the_figures(
    app: Any, clock: FixedClock
) -> None:
    client = app.test_client()
    officer = Staff(app, "canbo1")
    dossier = officer.post(
        "/api/v1/dossiers",
        {"procedure": "HT-XNTTHN", "applicant": {"full_name": "Nguyễn Văn An"}},
    ).get_json()
    first = _send(client, content="Hẹn trả trễ.", dossier_token=dossier["token"]).get_json()
    _send(client, content="Lại trễ.", dossier_token=dossier["token"])
    _send(client, content="Nhà vệ sinh hỏng.", topic="co_so_vat_chat")
    leader = Staff(app, "lanhdao")
    assert "quá hạn trả lời" not in leader.get("/admin/feedback").get_data(as_text=True)

    clock.advance(days=22)  # past the 15th working day
    page = leader.get("/admin/feedback?overdue=1").get_data(as_text=True)
    assert "Có 3 phản ánh quá hạn trả lời." in page and first["code"] in page
    assert first["code"] not in leader.get("/admin/feedback?status=answered").get_data(as_text=True)

    with app.test_request_context():
        from lobby.feedback.views import feedback_counts

        counts = feedback_counts(date(2026, 11, 30), date(2026, 11, 30))
        nothing = feedback_counts(date(2026, 12, 1), date(2026, 12, 1) + timedelta(days=5))
    assert counts["received"] == 3
    assert counts["with_complaint"] == 1  # one dossier, complained about twice
    assert counts["by_topic"]["co_so_vat_chat"] == 1 and counts["overdue"] == 3
    assert nothing["received"] == 0


def test_sending_is_rate_limited_per_address_across_the_api_and_the_form(
    db_url: str, tmp_path: Any, clock: FixedClock
) -> None:
    app = build_app(
        db_url, tmp_path, clock, RATELIMIT_ENABLED=True, RATELIMIT_FEEDBACK="2 per hour"
    )
    with app.app_context():
        from lobby.extensions import db
        from lobby.setup.demo import load_demo

        load_demo()
        db.session.remove()
    client = app.test_client()
    assert _send(client, content="một").status_code == 201
    assert client.post("/gop-y", data={"topic": "khac", "content": "hai"}).status_code == 303
    limited = _send(client, content="ba")
    assert limited.status_code == 429 and limited.get_json()["error"] == "rate_limited"
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_kiosk_home_screen_shows_a_qr_to_the_feedback_form(app: Any) -> None:
    client = app.test_client()
    home = client.get("/kiosk", headers=kiosk_headers(app)).get_data(as_text=True)
    assert 'src="/gop-y/qr.svg"' in home and "Quét mã gửi góp ý" in home
    qr = client.get("/gop-y/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    form = client.get("/gop-y").get_data(as_text=True)
    assert "Gửi phản ánh, kiến nghị" in form


def test_the_administrator_sets_the_deadlines_in_working_days(app: Any) -> None:
    admin, leader = Staff(app, "admin"), Staff(app, "lanhdao")
    days = {"feedback_assign_days": 1, "feedback_answer_days": 5, "feedback_publish_days": 2}
    assert _form_post(leader, "/admin/feedback/deadlines", **days).status_code == 403
    refused = _form_post(admin, "/admin/feedback/deadlines", **{**days, "feedback_answer_days": 0})
    assert "phải từ 1 đến 60" in admin.get(refused.headers["Location"]).get_data(as_text=True)
    _form_post(admin, "/admin/feedback/deadlines", **days)
    got = _send(app.test_client(), content="Hỏi về thời hạn.").get_json()
    # 5 working days after Monday 30 Nov 2026: Monday 7 Dec.
    assert got["due_at"].startswith("2026-12-07T")
