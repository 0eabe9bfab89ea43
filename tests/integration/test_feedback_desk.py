"""Feedback about the desk, the rest of issue 14 part 2: sent from the counter tablet (tied to the
visit at its counter), closed by a leader as out of scope with a reason kept in the history, and
the overdue count on the staff home."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text

from core.clock import FixedClock
from tests.integration.helpers import Staff, device_token, issue

NAME = "Trần Văn Góp Ý"
PHONE = "0987 654 321"


def _tablet(app: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {device_token(app, 'tablet')}"}


def _send(client: Any, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return client.post(
        "/api/v1/feedback",
        json={"topic": "thai_do_can_bo", "content": "Cán bộ giải thích chưa rõ.", **body},
        headers=headers or {},
    )


def _linked_ticket(app: Any, code: str) -> Any:
    with app.app_context():
        from lobby.extensions import db

        return db.session.execute(
            text(
                "SELECT f.channel, t.number FROM feedback f "
                "LEFT JOIN tickets t ON t.id = f.ticket_id WHERE f.code = :c"
            ),
            {"c": code},
        ).one()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _form_post(staff: Staff, path: str, **data: Any) -> Any:
    page = staff.get("/admin/feedback").get_data(as_text=True)
    return staff.client.post(path, data={"csrf_token": _csrf(page), **data})


def test_the_tablet_page_offers_feedback_with_every_topic_in_both_languages(app: Any) -> None:
    client = app.test_client()
    page = client.get("/rate", headers=_tablet(app)).get_data(as_text=True)
    assert 'id="feedback-open"' in page and "Góp ý, phản ánh" in page
    topics = re.findall(r'data-topic="([a-z_]+)"', page)
    assert topics == ["thu_tuc", "thai_do_can_bo", "thoi_gian_cho", "co_so_vat_chat", "khac"]
    assert "Thái độ, tác phong của cán bộ" in page
    english = client.get("/rate?lang=en", headers=_tablet(app)).get_data(as_text=True)
    assert "Feedback" in english and "Send feedback" in english
    assert "Góp ý, phản ánh" not in english


def test_feedback_from_the_tablet_is_tied_to_the_visit_at_its_counter_while_it_is_recent(
    app: Any, clock: FixedClock
) -> None:
    client, officer = app.test_client(), Staff(app, "canbo1")
    issue(client, app)
    officer.open_counter(1)  # the demo tablet stands at counter 1
    tid = officer.call_next(1).get_json()["ticket"]["id"]
    officer.post(f"/api/v1/tickets/{tid}/start")

    during = _send(client, _tablet(app), contact={"name": NAME, "phone": PHONE})
    assert during.status_code == 201, during.get_json()
    assert tuple(_linked_ticket(app, during.get_json()["code"])) == ("counter_tablet", "A001")
    officer.post(f"/api/v1/tickets/{tid}/finish", {"outcome": "guided_only"})
    clock.advance(minutes=5)
    just_after = _send(client, _tablet(app)).get_json()
    assert tuple(_linked_ticket(app, just_after["code"])) == ("counter_tablet", "A001")
    # Long after, whoever stands at the tablet is no longer that citizen: no visit is blamed.
    clock.advance(minutes=30)
    later = _send(client, _tablet(app)).get_json()
    assert tuple(_linked_ticket(app, later["code"])) == ("counter_tablet", None)
    # A phone's feedback is never tied to a counter's visit.
    phone = _send(client).get_json()
    assert tuple(_linked_ticket(app, phone["code"])) == ("phone", None)
    # The tracking link the tablet shows as a QR works, and never shows the contact.
    assert client.get(f"/gop-y/{during.get_json()['token']}/qr.svg").status_code == 200
    tracking = client.get(f"/gop-y/{during.get_json()['token']}").get_data(as_text=True)
    assert during.get_json()["code"] in tracking and NAME not in tracking and PHONE not in tracking


def test_a_leader_closes_feedback_as_out_of_scope_with_a_reason_the_citizen_reads(
    app: Any,
) -> None:
    client = app.test_client()
    got = _send(client, content="Đề nghị sửa đường liên xã.", topic="khac").get_json()
    code = got["code"]
    leader, officer = Staff(app, "lanhdao"), Staff(app, "canbo1")
    with app.app_context():
        from lobby.models import StaffUser

        canbo1_id = StaffUser.query.filter_by(username="canbo1").one().id
    _form_post(leader, f"/admin/feedback/{code}/assign", assignee=canbo1_id)
    # The officer it was given to may answer it, not close it.
    assert 'id="out-of-scope-form"' not in officer.get(f"/admin/feedback/{code}").get_data(
        as_text=True
    )
    _form_post(officer, f"/admin/feedback/{code}/out-of-scope", reason="Không phải việc của tôi")
    assert client.get(f"/api/v1/feedback/{got['token']}").get_json()["status"] == "assigned"
    # A reason is required.
    blank = _form_post(leader, f"/admin/feedback/{code}/out-of-scope", reason="  ")
    assert "Vui lòng nêu lý do" in leader.get(blank.headers["Location"]).get_data(as_text=True)

    reason = "Kiến nghị về hạ tầng giao thông, đã chuyển UBND xã xem xét theo thẩm quyền."
    done = _form_post(leader, f"/admin/feedback/{code}/out-of-scope", reason=reason)
    assert done.status_code == 303
    public = client.get(f"/api/v1/feedback/{got['token']}").get_json()
    assert public["status"] == "out_of_scope" and public["reason"] == reason
    assert public["status_label"] == "Không thuộc phạm vi xử lý"
    assert reason in client.get(f"/gop-y/{got['token']}").get_data(as_text=True)

    detail = leader.get(f"/admin/feedback/{code}").get_data(as_text=True)
    history = detail.split('id="fb-history"', 1)[1]
    steps = ["Tiếp nhận phản ánh", "Giao xử lý", "Đóng: không thuộc phạm vi xử lý"]
    assert [s for s in steps if s in history] == steps and reason in history
    # Closed: nothing more can be done to it, and it is not waiting for an answer.
    assert 'id="answer-form"' not in detail and 'id="assign-form"' not in detail
    _form_post(officer, f"/admin/feedback/{code}/answer", answer="Trả lời muộn.")
    assert client.get(f"/api/v1/feedback/{got['token']}").get_json()["status"] == "out_of_scope"
    again = _form_post(leader, f"/admin/feedback/{code}/out-of-scope", reason="Lần nữa")
    assert "Chỉ đóng được phản ánh chưa trả lời." in leader.get(again.headers["Location"]).get_data(
        as_text=True
    )


def test_the_staff_home_shows_the_overdue_feedback_count_linked_to_the_filtered_list(
    app: Any, clock: FixedClock
) -> None:
    client = app.test_client()
    _send(client, content="Một.")
    closed = _send(client, content="Hai.").get_json()
    _send(client, content="Ba.")
    leader = Staff(app, "lanhdao")
    assert 'id="feedback-overdue"' not in leader.get("/admin").get_data(as_text=True)
    _form_post(leader, f"/admin/feedback/{closed['code']}/out-of-scope", reason="Không thuộc xã.")

    clock.advance(days=22)  # past the 15th working day
    home = Staff(app, "lanhdao").get("/admin").get_data(as_text=True)
    notice = home.split('id="feedback-overdue"', 1)[1].split("</p>", 1)[0]
    assert "Có 2 phản ánh quá hạn trả lời." in notice  # the closed one is not waiting
    assert 'href="/admin/feedback?overdue=1"' in notice
    # An officer's home counts only what was given to them: nothing here.
    officer_home = Staff(app, "canbo1").get("/admin").get_data(as_text=True)
    assert 'id="feedback-overdue"' not in officer_home
