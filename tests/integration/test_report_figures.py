"""The leader's report counted by the database (lobby/stats/): every figure of a small period
computed by hand, on SQLite and PostgreSQL; and the demo's sample history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, text

from core.clock import FixedClock
from tests.conftest import VN
from tests.integration.helpers import Staff

DAY = date(2026, 11, 3)


def at(d: int, h: int, m: int, s: int = 0, us: int = 0) -> datetime:
    return datetime(2026, 11, d, h, m, s, us, tzinfo=VN)


def _seed(app: Any) -> None:
    """Seven tickets of the period (and one after it), five dossiers, six ratings."""
    from lobby.extensions import db
    from lobby.models import Applicant, Counter, Dossier, Field, Procedure, Rating, Ticket

    with app.app_context():
        fid = {f.code: f.id for f in db.session.scalars(select(Field))}
        cid = {c.number: c.id for c in db.session.scalars(select(Counter))}
        proc = db.session.scalar(select(Procedure).where(Procedure.code == "HT-XNTTHN"))
        assert proc is not None
        a, b = fid["ho_tich"], fid["chung_thuc"]
        tickets = [
            # field, counter, status, issued, called, started, finished
            (a, 1, "done", at(3, 8, 0, 0, 250000), at(3, 8, 5, 0, 750000), at(3, 8, 5, 30),
             at(3, 8, 10, 30, 1)),
            (a, 1, "no_show", at(3, 8, 1), at(3, 8, 11, 0, 100000), None, at(3, 8, 14)),
            (b, 2, "done", at(3, 8, 2), at(3, 8, 2, 10), at(3, 8, 2, 20), at(3, 8, 4, 20, 500000)),
            (b, None, "expired", at(3, 8, 3), None, None, None),
            (a, 2, "done", at(3, 8, 10), at(3, 8, 20), at(3, 8, 20), at(3, 8, 21)),
            # Issued 23:59:59.9 UTC, called 00:00:00.1 UTC the next day: 0.2 s across midnight.
            (b, 2, "done", at(3, 6, 59, 59, 900000), at(3, 7, 0, 0, 100000), at(3, 7, 0, 1),
             at(3, 7, 1, 1)),
            (a, 1, "done", at(9, 8, 0), at(9, 8, 1), at(9, 8, 1), at(9, 8, 2)),  # after the period
        ]  # fmt: skip
        for i, (field, counter, status, issued, called, started, finished) in enumerate(tickets):
            db.session.add(
                Ticket(
                    office_id=1,
                    service_day=issued.date(),
                    issue_field_id=field,
                    field_id=field,
                    seq=i + 1,
                    number=f"X{i + 1:03d}",
                    session="sang",
                    status=status,
                    public_token=f"report-test-{i}",
                    issued_at=issued,
                    called_at=called,
                    serving_started_at=started,
                    finished_at=finished,
                    counter_id=cid[counter] if counter else None,
                )
            )
        dossiers = [
            # received, ready, timeliness
            (at(3, 9, 0), at(4, 9, 0), "truoc_han"),
            (at(3, 9, 30), at(6, 16, 0), "qua_han"),
            (at(4, 10, 0), None, None),
            (datetime(2026, 10, 30, 9, 0, tzinfo=VN), at(3, 15, 0), "dung_han"),
            (at(5, 10, 0), at(10, 10, 0), "truoc_han"),  # resolved after the period
        ]
        ids = []
        for i, (received, ready, timely) in enumerate(dossiers):
            person = Applicant(office_id=1, full_name="Người Mẫu")
            db.session.add(person)
            db.session.flush()
            d = Dossier(
                office_id=1,
                code=f"TEST-{i}",
                public_token=f"report-dossier-{i}",
                lookup_pin_hash="-",
                procedure_id=proc.id,
                applicant_id=person.id,
                received_at=received,
                due_at=received,
                original_due_at=received,
                result_ready_at=ready,
                timeliness=timely,
                rules={},
            )
            db.session.add(d)
            db.session.flush()
            ids.append(d.id)
        ratings = [
            # level, dossier, counter, comment, when
            ("rat_hai_long", ids[0], 1, "Tốt", at(3, 9, 0)),
            ("khong_hai_long", ids[1], 1, "Chậm", at(4, 10, 0)),
            ("khong_hai_long", ids[1], 1, "", at(5, 9, 0)),  # the same dossier again
            ("hai_long", None, 2, "Ổn", at(5, 11, 0)),
            ("khong_hai_long", ids[3], 2, "", at(5, 12, 0)),  # its dossier came before
            ("rat_hai_long", None, 1, "Sau kỳ", at(10, 9, 0)),  # after the period
        ]
        for level, dossier, counter, comment, when in ratings:
            db.session.add(
                Rating(
                    office_id=1,
                    dossier_id=dossier,
                    counter_id=cid[counter],
                    channel="counter_tablet",
                    level=level,
                    comment=comment,
                    created_at=when,
                )
            )
        db.session.commit()


def test_every_figure_of_a_small_period_as_computed_by_hand(app: Any, clock: FixedClock) -> None:
    _seed(app)
    leader = Staff(app, "lanhdao")
    period = "/api/v1/stats?from=2026-11-02&to=2026-11-06"
    data = leader.get(period).get_json()  # closed days: counted once, then kept
    assert leader.get(period).get_json() == data  # from the kept figures
    clock.set(at(3, 17, 30))  # the same days, 3/11 being today: counted from the tickets

    def queue_only(report: dict[str, Any]) -> dict[str, Any]:
        # Decision 766's in-progress dossiers are judged "now": the rest must not move.
        return {k: v for k, v in report.items() if k != "indicators_766"}

    assert queue_only(leader.get(period).get_json()) == queue_only(data)
    # Waits 300.5, 600.1, 10, 600, 0.2 s; service 300.000001, 120.5, 60, 60 s. Percentiles by
    # nearest rank over the half-minutes: waits 0, 0, 300, 600, 600 → p50 the 3rd, p90 the
    # 5th; service 60, 60, 120, 300 → p50 the 2nd, p90 the 4th.
    assert data["tickets"] == {
        "wait_p50_seconds": 300.0,
        "wait_p90_seconds": 600.0,
        "service_p50_seconds": 60.0,
        "service_p90_seconds": 300.0,
        "issued": 6,
        "served": 4,
        "no_show": 1,
        "called": 5,
        "avg_wait_seconds": 302.2,  # 1510.8 / 5 = 302.16
        "avg_service_seconds": 135.1,  # 540.500001 / 4
    }
    assert data["by_service"] == [
        {
            "service": "chung_thuc",
            "name": "Chứng thực",
            "issued": 3,
            "called": 2,
            "served": 2,
            "no_show": 0,
            "avg_wait_seconds": 5.1,  # (10 + 0.2) / 2
            "avg_service_seconds": 90.2,  # 180.5 / 2 = 90.25, rounded half to even as ever
            "wait_p50_seconds": 0.0,  # 10 s and 0.2 s: both the nearest half-minute 0
            "wait_p90_seconds": 0.0,
            "service_p50_seconds": 60.0,  # 60, 120
            "service_p90_seconds": 120.0,
        },
        {
            "service": "ho_tich",
            "name": "Hộ tịch",
            "issued": 3,
            "called": 3,
            "served": 2,
            "no_show": 1,
            "avg_wait_seconds": 500.2,  # (300.5 + 600.1 + 600) / 3
            "avg_service_seconds": 180.0,  # (300.000001 + 60) / 2
            "wait_p50_seconds": 600.0,  # 300, 600, 600
            "wait_p90_seconds": 600.0,
            "service_p50_seconds": 60.0,  # 60, 300
            "service_p90_seconds": 300.0,
        },
    ]
    one, two = data["by_counter"]
    assert (one["counter"], one["handled"], one["issued"], one["called"]) == (1, 2, 2, 2)
    assert (one["served"], one["no_show"]) == (1, 1)
    assert (one["avg_wait_seconds"], one["avg_service_seconds"]) == (450.3, 300.0)
    assert (two["counter"], two["handled"], two["called"], two["served"]) == (2, 3, 3, 3)
    assert (two["avg_wait_seconds"], two["avg_service_seconds"]) == (203.4, 80.2)
    assert data["dossiers"] == {
        "received": 4,
        "resolved": 3,
        "early": 1,
        "on_time": 1,
        "late": 1,
        "on_time_rate": 66.7,
    }
    s = data["satisfaction"]
    assert (s["ratings"], s["rat_hai_long"], s["hai_long"], s["khong_hai_long"]) == (5, 1, 1, 3)
    assert (s["binh_thuong"], s["rat_khong_hai_long"]) == (0, 0)
    assert s["rate"] == 40.0  # (5 − 3) / 5
    assert s["dossier_rate"] == 75.0  # 4 received, one of them rated Không hài lòng
    assert [(c["comment"], c["counter"], c["level"]) for c in s["comments"]] == [
        ("Ổn", 2, "hai_long"),
        ("Chậm", 1, "khong_hai_long"),
        ("Tốt", 1, "rat_hai_long"),
    ]
    assert s["comments"][0]["at"] == "2026-11-05T11:00:00+07:00"

    # November closed: its spread merged once into month rows, read back the same as its days.
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=VN))
    month = leader.get("/api/v1/stats?from=2026-11-01&to=2026-11-30").get_json()
    by_days = leader.get("/api/v1/stats?from=2026-11-02&to=2026-11-30").get_json()
    assert leader.get("/api/v1/stats?from=2026-11-01&to=2026-11-30").get_json() == month
    for key in ("tickets", "by_service", "by_counter", "by_officer", "heat_map"):
        assert month[key] == by_days[key], key
    assert month["tickets"]["issued"] == 7 and sum(map(sum, month["heat_map"]["counts"])) == 7
    from lobby.extensions import db
    from lobby.stats.models import TicketDaySpread

    with app.app_context():
        kept = db.session.scalars(
            select(TicketDaySpread.service_day).where(TicketDaySpread.dim == "ALL")
        )
        assert kept.all() == [date(2026, 11, 1)]


def test_a_closed_day_counted_again_when_its_tickets_change(app: Any) -> None:
    from lobby.extensions import db
    from lobby.models import Ticket, TicketDayFigures

    _seed(app)
    leader = Staff(app, "lanhdao")
    period = "/api/v1/stats?from=2026-11-02&to=2026-11-06"
    assert leader.get(period).get_json()["tickets"]["no_show"] == 1
    with app.app_context():
        assert db.session.scalar(select(func.sum(TicketDayFigures.tickets))) == 6
        gone = db.session.scalars(select(Ticket).where(Ticket.status == "no_show")).one()
        db.session.delete(gone)  # as retention removes old tickets
        waiting = db.session.scalars(select(Ticket).where(Ticket.status == "expired")).one()
        waiting.status = "cancelled"
        db.session.commit()
    tickets = leader.get(period).get_json()["tickets"]
    assert (tickets["issued"], tickets["no_show"], tickets["called"]) == (5, 0, 4)
    assert tickets["avg_wait_seconds"] == 227.7  # (300.5 + 10 + 600 + 0.2) / 4 = 227.675
    # The kept spread is counted again too: waits 0, 0, 300, 600 (half-minutes).
    assert (tickets["wait_p50_seconds"], tickets["wait_p90_seconds"]) == (0.0, 600.0)


def test_an_empty_period_has_no_averages(app: Any) -> None:
    data = Staff(app, "lanhdao").get("/api/v1/stats?from=2026-01-01&to=2026-01-31").get_json()
    assert data["tickets"]["avg_wait_seconds"] is None and data["by_service"] == []
    assert data["dossiers"]["on_time_rate"] is None
    assert data["satisfaction"]["rate"] is None and data["satisfaction"]["dossier_rate"] is None


def test_the_sample_history_is_a_plausible_past(app: Any) -> None:
    from lobby.extensions import db
    from lobby.models import Applicant, Dossier, DossierEvent, Office, Rating, Ticket
    from lobby.setup.history import add_history
    from lobby.workcal import working_calendar

    with app.app_context():
        added = add_history(14, per_day=60, seed=7)
        # Monday 30/11 minus 14 days: 16/11–29/11, its working days only (by the calendar).
        assert (added["from"], added["to"]) == ("2026-11-16", "2026-11-29")
        cal = working_calendar(db.session.scalars(select(Office)).one())
        working = [
            date(2026, 11, d) for d in range(16, 30) if cal.is_working_day(date(2026, 11, d))
        ]
        assert 8 <= len(working) == added["days"]
        days = db.session.execute(
            select(Ticket.service_day, func.count()).group_by(Ticket.service_day)
        ).all()
        assert sorted(d for d, _n in days) == working and all(n >= 30 for _d, n in days)
        assert sum(n for _d, n in days) == added["tickets"]
        statuses = dict(
            db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
        )
        assert statuses["done"] > statuses["no_show"] > 0
        late_or_not = dict(
            db.session.execute(
                select(Dossier.timeliness, func.count()).group_by(Dossier.timeliness)
            ).all()
        )
        assert late_or_not.get("truoc_han", 0) > 0 and late_or_not.get("dung_han", 0) > 0
        assert added["dossiers"] == db.session.scalar(select(func.count(Dossier.id)))
        assert added["ratings"] == db.session.scalar(select(func.count(Rating.id))) > 0
        # Every dossier's control sheet starts with its acceptance; resolved ones say when.
        first = db.session.scalars(
            select(DossierEvent.action).where(DossierEvent.from_status.is_(None))
        ).all()
        assert len(first) == added["dossiers"] and set(first) == {"accept"}
        ready = db.session.scalar(select(func.count()).where(DossierEvent.action == "result_ready"))
        assert ready == db.session.scalar(
            select(func.count()).where(Dossier.timeliness.is_not(None))
        )
        # Personal data as a real intake writes it: encrypted at rest, readable through the model.
        person = db.session.scalars(select(Applicant)).first()
        assert person is not None and " " in person.full_name
        raw = db.session.execute(
            text("SELECT full_name FROM applicants WHERE id = :id"), {"id": person.id}
        ).scalar_one()
        assert person.full_name not in str(raw)
        office = db.session.scalars(select(Office)).one()
        assert office.settings["sample_data"] and office.settings["sample_history"]["days"] == 14
        # The same days again: refused, nothing doubled.
        import pytest

        from core.errors import InvalidRequest

        with pytest.raises(InvalidRequest):
            add_history(3, per_day=60, seed=7)
    report = Staff(app, "lanhdao").get("/api/v1/stats?from=2026-11-16&to=2026-11-29").get_json()
    assert report["tickets"]["issued"] == added["tickets"]
    assert report["dossiers"]["received"] == added["dossiers"]
    assert 0 < report["dossiers"]["on_time_rate"] <= 100
