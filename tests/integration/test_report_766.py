"""Decision 766/QĐ-TTg's indicators in the leader's report (lobby/stats/indicators.py), each
checked against a small period computed by hand: supplement pauses, a second supplement
request, in-progress dossiers on both sides of their appointment, one carried over from the
month before; the screen and the Excel export show the same."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from sqlalchemy import select

from tests.conftest import VN
from tests.integration.helpers import Staff
from tests.integration.test_dossiers import _accept, _serve

PERIOD = "from=2026-11-02&to=2026-11-06"  # Monday 2/11 00:00 to Saturday 7/11 00:00


def at(d: int, h: int, m: int = 0, s: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, d, h, m, s, tzinfo=VN)


def _seed(app: Any) -> None:
    from lobby.extensions import db
    from lobby.models import Applicant, Dossier, DossierEvent, Procedure, Rating

    with app.app_context():
        p1, p2 = db.session.scalars(select(Procedure).order_by(Procedure.id).limit(2)).all()
        # name: procedure, channel, digitised, received, due, ready, status, supplements
        # (asked, received), rating
        rows = [
            ("A", p1, "truc_tiep", True, at(3, 9), at(5, 17), at(5, 16), 9, [], "hai_long"),
            # Ready one second after its appointment: late by date and time.
            ("B", p1, "truc_tuyen", False, at(3, 10), at(4, 10), at(4, 10, 0, 1), 9, [],
             "khong_hai_long"),
            # The citizen took two days for the supplement: the due moment moved by as much.
            ("C", p2, "truc_tiep", True, at(2, 9), at(6, 9), at(5, 9), 9,
             [(at(2, 15), at(4, 15))], None),
            # Asked twice for a supplement: late, however early the result.
            ("D", p2, "truc_tiep", False, at(2, 8), at(9, 17), at(4, 8), 9,
             [(at(2, 10), at(2, 14)), (at(3, 9), at(3, 11))], None),
            ("E", p1, "truc_tuyen", False, at(4, 9), at(10, 17), None, 4, [], None),  # in time
            ("F", p1, "truc_tiep", False, at(5, 9), at(6, 12), None, 4, [],
             "rat_khong_hai_long"),  # in progress, its appointment past at the period's end
            # Waiting for the citizen's supplement since before its appointment: not late.
            ("G", p1, "truc_tiep", False, at(5, 10), at(6, 10), None, 5, [(at(5, 14), None)],
             None),
            # Received and resolved before the period: not counted, nor its rating.
            ("H", p1, "truc_tiep", False, at(20, 9, month=10), at(26, 9, month=10),
             at(23, 9, month=10), 10, [], "khong_hai_long"),
            # Received the month before, resolved in the period on time.
            ("I", p1, "truc_tiep", False, at(28, 9, month=10), at(3, 17), at(3, 15), 9, [], None),
            ("J", p1, "truc_tiep", False, at(4, 9), at(6, 9), None, 7, [], None),  # withdrawn
            ("K", p1, "truc_tiep", False, at(10, 9), at(12, 9), None, 2, [], None),  # after
        ]  # fmt: skip
        for name, proc, channel, scanned, received, due, ready, status, supplements, level in rows:
            person = Applicant(office_id=1, full_name="Người Mẫu")
            db.session.add(person)
            db.session.flush()
            d = Dossier(
                office_id=1,
                code=f"I766-{name}",
                public_token=f"i766-{name}",
                lookup_pin_hash="-",
                procedure_id=proc.id,
                applicant_id=person.id,
                channel=channel,
                digitised=scanned,
                received_at=received,
                due_at=due,
                original_due_at=due,
                result_ready_at=ready,
                status_code=status,
                supplement_requested_at=supplements[-1][0] if status == 5 else None,
                rules={},
            )
            db.session.add(d)
            db.session.flush()
            for asked, brought in supplements:
                db.session.add(
                    DossierEvent(dossier_id=d.id, at=asked, action="request_supplement",
                                 from_status=4, to_status=5)
                )  # fmt: skip
                if brought is not None:
                    db.session.add(
                        DossierEvent(dossier_id=d.id, at=brought, action="supplement_received",
                                     from_status=5, to_status=4)
                    )  # fmt: skip
            if level:
                db.session.add(
                    Rating(office_id=1, dossier_id=d.id, channel="counter_tablet", level=level,
                           comment="", created_at=ready or received)
                )  # fmt: skip
        db.session.commit()


def test_the_indicators_of_a_small_period_as_computed_by_hand(app: Any) -> None:
    from openpyxl import load_workbook

    _seed(app)
    leader = Staff(app, "lanhdao")
    i = leader.get(f"/api/v1/stats?{PERIOD}").get_json()["indicators_766"]
    # Received or processed in the period: A B C D E F G I (not H, done before; not J,
    # withdrawn; not K, received after). On time: A, C, I finished; E, G in progress.
    assert i["dossiers"] == 8
    assert i["on_time"] == {
        "finished": 3,
        "in_progress": 2,
        "late": 3,  # B (by one second), D (two supplement requests), F (appointment past)
        "rate": 62.5,
        "full_points": 100.0,
        "confirmed": False,
    }
    # 2.2, in days of 24 h without the citizen's supplement time, finished in the period:
    # first procedure A 2 d 7 h, B 1 d 1 s, I 6 d 6 h → 9.5417 / 3; second C 3 d − 2 d,
    # D 2 d − 4 h − 2 h → (1 + 1.75) / 2.
    first, second = sorted(i["handling"], key=lambda h: h["finished"], reverse=True)
    assert (first["finished"], first["avg_days"]) == (3, 3.2)
    assert (second["finished"], second["avg_days"]) == (2, 1.4)
    # Received in the period: A B C D E F G; online B and E; scanned A and C, online B and E.
    assert i["online"] == {
        "received": 7,
        "by_channel": {"truc_tiep": 5, "truc_tuyen": 2},
        "rate": 28.6,
        "full_points": 50.0,
    }
    assert i["digitised"] == {"dossiers": 4, "rate": 57.1, "full_points": 80.0}
    # 5.4: late 3/8 = 37.5 %; rated Không hài lòng or worse: B and F of the 8 (H is not
    # of the period) = 25 %; 100 − 37.5 − 25.
    assert i["satisfaction"] == {
        "late_rate": 37.5,
        "unhappy": 2,
        "unhappy_rate": 25.0,
        "rate": 37.5,
        "full_points": 90.0,
    }

    page = leader.get(f"/admin?{PERIOD}").get_data(as_text=True)
    assert "Quyết định 766/QĐ-TTg" in page and "62.5%" in page and "37.5%" in page
    assert page.count('<svg class="chart"') == 5 and "style=" not in page.split("<main", 1)[1]

    book = load_workbook(io.BytesIO(leader.get(f"/api/v1/stats/export?{PERIOD}").data))
    rows = {r[0] + (r[1] or "")[:4]: r for r in book["Chỉ số 766"].iter_rows(values_only=True)}
    assert rows["2.1Tỷ l"][2] == 62.5 and rows["5.4Mức "][2:] == (37.5, "≥ 90 %")
    assert rows["3.3Tỷ l"][2] == 28.6 and rows["4.2Tỷ l"][2] == 57.1


def test_the_intake_records_whether_the_papers_were_scanned(app: Any) -> None:
    from lobby.extensions import db
    from lobby.models import Dossier

    officer = Staff(app, "canbo1")
    _t, tid = _serve(app, officer)
    assert _accept(officer, ticket_id=tid, digitised=True).status_code == 201
    assert _accept(officer).status_code == 201
    bad = _accept(officer, digitised="maybe")
    assert bad.status_code == 422 and bad.get_json()["error"]
    with app.app_context():
        flags = db.session.scalars(select(Dossier.digitised).order_by(Dossier.id)).all()
    assert flags == [True, False]


def test_a_citizen_s_feedback_about_a_dossier_counts_as_a_complaint_in_5_4(app: Any) -> None:
    """Indicator 5.4 takes "dossiers with a complaint" from the citizens' feedback too (lobby/
    feedback): one about A (rated Hài lòng) counts; one closed as out of scope (about C) and one
    received after the period (about E) do not."""
    from lobby.extensions import db
    from lobby.feedback.models import Feedback
    from lobby.models import Dossier

    _seed(app)
    with app.app_context():
        ids = dict(db.session.execute(select(Dossier.code, Dossier.id)).all())
        for n, (code, status, received) in enumerate(
            [
                ("A", "received", at(5, 9)),
                ("C", "out_of_scope", at(5, 9)),
                ("E", "received", at(9, 9)),
            ]
        ):
            db.session.add(
                Feedback(office_id=1, code=f"PA-766-{n}", public_token=f"pa-766-{n}",
                         topic="procedure", content="Chậm trả kết quả.", channel="phone",
                         dossier_id=ids[f"I766-{code}"], status=status, received_at=received,
                         assign_due_at=received, due_at=received)
            )  # fmt: skip
        db.session.commit()
    i = Staff(app, "lanhdao").get(f"/api/v1/stats?{PERIOD}").get_json()["indicators_766"]
    # B and F rated unhappy, A complained about: 3 of 8 = 37.5 %; 100 − 37.5 (late) − 37.5.
    assert i["satisfaction"]["unhappy"] == 3
    assert i["satisfaction"]["unhappy_rate"] == 37.5 and i["satisfaction"]["rate"] == 25.0
