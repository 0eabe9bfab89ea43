"""The audit view (/admin/audit): one small day worked by hand (calls, serving, a transfer,
two pauses, a takeover) gives exact figures per officer; the filters; the files; who may see it;
sign-ins and setting changes on the trail."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from core.clock import FixedClock
from tests.integration.helpers import Staff, issue

MONDAY = date(2026, 11, 30)  # the clock fixture's day


def _ok(r: Any) -> dict[str, Any]:
    assert r.status_code == 200, r.get_json()
    return r.get_json()  # type: ignore[no-any-return]


def _work_a_day(app: Any, clock: FixedClock) -> dict[str, Any]:
    """08:00 Monday. Counter 1 (Một) and 2 (Hai). Serving: Một 5 min (then transfers the ticket
    to counter 2) + 7 min 30 s; Hai 10 min. Pauses: Một 15 min, then 2 min until the leader
    takes the counter over."""
    client = app.test_client()
    mot, hai = Staff(app, "canbo1"), Staff(app, "canbo2")
    mot.open_counter(1)
    hai.open_counter(2)
    first = issue(client, app)
    second = issue(client, app)
    a = _ok(mot.call_next(1))["ticket"]
    assert a["number"] == first["number"]
    clock.advance(seconds=60)
    _ok(mot.post(f"/api/v1/tickets/{a['id']}/start"))
    clock.advance(seconds=300)  # 08:06
    _ok(mot.post(f"/api/v1/tickets/{a['id']}/transfer", {"counter": 2, "note": "Đất ở"}))
    assert _ok(hai.call_next(2))["ticket"]["id"] == a["id"]
    clock.advance(seconds=60)
    _ok(hai.post(f"/api/v1/tickets/{a['id']}/start"))
    clock.advance(seconds=600)  # 08:17
    _ok(hai.post(f"/api/v1/tickets/{a['id']}/finish", {"outcome": "guided_only"}))
    b = _ok(mot.call_next(1))["ticket"]
    assert b["number"] == second["number"]
    clock.advance(seconds=30)
    _ok(mot.post(f"/api/v1/tickets/{b['id']}/start"))
    clock.advance(seconds=450)  # 08:25
    _ok(mot.post(f"/api/v1/tickets/{b['id']}/finish", {"outcome": "guided_only"}))
    _ok(mot.post("/api/v1/counters/1/pause", {"reason": "Họp giao ban"}))
    clock.advance(seconds=900)  # 08:40
    _ok(mot.post("/api/v1/counters/1/resume"))
    _ok(mot.post("/api/v1/counters/1/pause", {"reason": "Nghỉ giải lao"}))
    clock.advance(seconds=120)
    leader = Staff(app, "lanhdao")
    _ok(leader.post("/api/v1/counters/1/open", {"force": True}))
    return {"leader": leader, "mot": mot, "hai": hai, "a": a, "b": b}


def _ids(app: Any) -> dict[str, int]:
    from lobby.extensions import db
    from lobby.models import StaffUser

    with app.app_context():
        return {u.username: u.id for u in db.session.scalars(db.select(StaffUser))}


def _page(staff: Staff, query: str = "") -> str:
    r = staff.get("/admin/audit?from=2026-11-30&to=2026-11-30" + query)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return str(r.get_data(as_text=True))


def test_a_day_worked_by_hand_gives_each_officers_exact_times(app: Any, clock: FixedClock) -> None:
    day = _work_a_day(app, clock)
    ids = _ids(app)
    with app.test_request_context("/admin/audit"):
        from lobby.audit.views import Filters, officer_days

        days = officer_days(Filters(MONDAY, MONDAY))
    by = {d["staff_id"]: d for d in days}
    assert by[ids["canbo1"]] == {
        "day": "2026-11-30",
        "staff_id": ids["canbo1"],
        "officer": "Nguyễn Văn Một",
        "calls": 2,
        "finished": 1,
        "serving_seconds": 300 + 450,
        "pauses": 2,
        "pause_seconds": 900 + 120,
    }
    assert (by[ids["canbo2"]]["calls"], by[ids["canbo2"]]["finished"]) == (1, 1)
    assert by[ids["canbo2"]]["serving_seconds"] == 600
    assert (by[ids["canbo2"]]["pauses"], by[ids["canbo2"]]["pause_seconds"]) == (0, 0)
    assert set(by) == {ids["canbo1"], ids["canbo2"]}  # the leader served nobody

    page = _page(day["leader"])
    assert "0:12:30" in page and "0:17:00" in page and "0:10:00" in page  # the day's table
    assert "Họp giao ban" in page and "0:15:00" in page  # a pause, its reason and length
    assert "Nghỉ giải lao" in page and "0:02:00" in page
    assert "Nhận quầy thay" in page and "Chuyển số" in page and "→ quầy 2; Đất ở" in page
    assert "Đăng nhập" in page and "Chỉ hướng dẫn" in page  # how the visit ended


def test_the_filters_keep_one_officer_one_counter_one_kind(app: Any, clock: FixedClock) -> None:
    day = _work_a_day(app, clock)
    ids = _ids(app)
    leader = day["leader"]
    pauses = _page(leader, "&kind=pause")
    assert pauses.count('data-kind="pause"') == 2 and 'data-kind="call"' not in pauses
    hai = _page(leader, f"&officer={ids['canbo2']}")
    assert 'data-kind="call"' in hai and "Họp giao ban" not in hai
    assert "Lê Thị Hai" in hai and "<td>Nguyễn Văn Một</td>" not in hai
    at_two = _page(leader, "&counter=2&kind=call")
    assert at_two.count('data-kind="call"') == 1
    takeovers = _page(leader, "&counter=1&kind=takeover")
    assert takeovers.count('data-kind="takeover"') == 1
    assert "Trần Thị Mẫu" in takeovers and "Nguyễn Văn Một" in takeovers  # who took, from whom
    assert 'data-kind="sign_in"' in _page(leader)
    empty = leader.get("/admin/audit?from=2026-12-01&to=2026-12-01").get_data(as_text=True)
    assert "Không có thao tác nào." in empty
    bad = leader.get("/admin/audit?kind=everything")
    assert bad.status_code == 422 and "Loại thao tác không hợp lệ." in bad.get_data(as_text=True)


def test_the_files_hold_the_trail_and_the_officers_days(app: Any, clock: FixedClock) -> None:
    leader = _work_a_day(app, clock)["leader"]
    r = leader.get("/admin/audit.csv?from=2026-11-30&to=2026-11-30&kind=pause")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert "nhat-ky-2026-11-30-2026-11-30.csv" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert rows[0][:3] == ["Thời điểm", "Cán bộ", "Thao tác"]
    trail = rows[1 : rows.index([])]
    assert [(x[1], x[2], x[3], x[5], x[6]) for x in trail] == [
        ("Nguyễn Văn Một", "Tạm nghỉ", "1", "Nghỉ giải lao", "120"),
        ("Nguyễn Văn Một", "Tạm nghỉ", "1", "Họp giao ban", "900"),
    ]
    days = rows[rows.index([]) + 2 :]
    assert ["2026-11-30", "Nguyễn Văn Một", "2", "1", "750", "2", "1020"] in days

    from openpyxl import load_workbook

    x = leader.get("/admin/audit.xlsx?from=2026-11-30&to=2026-11-30")
    assert x.status_code == 200
    book = load_workbook(io.BytesIO(x.get_data()))
    assert book.sheetnames == ["Nhật ký", "Theo cán bộ"]
    sheet = [list(r) for r in book["Theo cán bộ"].iter_rows(values_only=True)]
    assert ["2026-11-30", "Lê Thị Hai", 1, 1, 600, 0, 0] in sheet
    actions = [r[2] for r in book["Nhật ký"].iter_rows(min_row=2, values_only=True)]
    assert "Nhận quầy thay" in actions and actions.count("Gọi số tiếp theo") == 3


def test_an_officer_cannot_see_the_audit(app: Any) -> None:
    officer = Staff(app, "canbo1")
    for path in ("/admin/audit", "/admin/audit.csv", "/admin/audit.xlsx"):
        assert officer.get(path).status_code == 403
    assert "/admin/audit" not in officer.get("/admin/dossiers").get_data(as_text=True)
    assert app.test_client().get("/admin/audit").status_code == 302  # to the sign-in page
    assert Staff(app, "admin").get("/admin/audit").status_code == 200


def test_sign_outs_and_setting_changes_are_on_the_trail(app: Any) -> None:
    admin = Staff(app, "admin")
    r = admin.client.post(
        "/admin/setup",
        data={"csrf_token": admin.csrf, "action": "announcement", "announcement": "Nghỉ Tết"},
    )
    assert r.status_code == 302
    officer = Staff(app, "canbo3")
    officer.client.post("/logout", data={"csrf_token": officer.csrf})
    page = _page(admin, "&kind=settings")
    assert page.count('data-kind="settings"') == 1 and "announcement" in page
    signs = _page(admin, "&kind=sign_in")
    assert "Đăng xuất" in signs and "Phạm Văn Ba" in signs
