"""The per-process cache of the office's settings, fields, windows and calendar (lobby.refcache):
a change made here shows on the very next ticket; one made by another process within the TTL."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import update

from lobby.refcache import RefCache
from tests.integration.helpers import Staff, issue, kiosk_headers


def test_renaming_a_field_shows_on_the_next_ticket_although_the_field_was_cached(
    app: Any,
) -> None:
    from lobby.extensions import db
    from lobby.models import Field

    client = app.test_client()
    assert issue(client, app, "chung_thuc")["service_name"] != "Chứng thực bản sao"  # cache warm
    with app.app_context():
        f = db.session.scalar(db.select(Field).where(Field.code == "chung_thuc"))
        f.name_vi = "Chứng thực bản sao"
        f.ticket_prefix = "Z"
        db.session.commit()
    t = issue(client, app, "chung_thuc")
    assert t["service_name"] == "Chứng thực bản sao" and t["number"].startswith("Z")


def test_closing_a_field_or_declaring_a_day_off_takes_effect_at_once(app: Any) -> None:
    from lobby.extensions import db
    from lobby.models import CalendarDay, Field, Office

    client = app.test_client()
    issue(client, app, "dat_dai")
    with app.app_context():
        f = db.session.scalar(db.select(Field).where(Field.code == "dat_dai"))
        f.active = False
        db.session.commit()
    r = client.post("/api/v1/tickets", json={"service": "dat_dai"}, headers=kiosk_headers(app))
    assert r.status_code == 422  # a field out of use is no field the kiosk may name (API.md)
    issue(client, app, "ho_tich")
    with app.app_context():
        o = db.session.scalar(db.select(Office))
        # The fixture clock's Monday 30 Nov 2026 becomes a local closure (e.g. a storm).
        db.session.add(CalendarDay(office_id=o.id, day=date(2026, 11, 30), kind="local_closure"))
        db.session.commit()
    r = client.post("/api/v1/tickets", json={"service": "ho_tich"}, headers=kiosk_headers(app))
    assert r.status_code == 409 and r.get_json()["error"] == "outside_hours"


def test_a_change_by_another_process_shows_once_the_ttl_has_passed(
    app: Any, monkeypatch: Any
) -> None:
    """A Core UPDATE stands for another process: no ORM flush here to clear the cache."""
    from lobby.extensions import db
    from lobby.models import Field

    now = [1000.0]
    monkeypatch.setattr("lobby.refcache.time.monotonic", lambda: now[0])
    ttl = app.extensions["lobby"].reference.ttl
    client = app.test_client()
    issue(client, app, "ho_tich")  # cached
    with app.app_context():
        db.session.execute(
            update(Field).where(Field.code == "ho_tich").values(name_vi="Hộ tịch (mới)")
        )
        db.session.commit()
    assert issue(client, app, "ho_tich")["service_name"] != "Hộ tịch (mới)"  # within the TTL
    now[0] += ttl + 0.1
    assert issue(client, app, "ho_tich")["service_name"] == "Hộ tịch (mới)"


def test_entries_live_for_the_ttl_and_a_zero_ttl_reads_every_time(monkeypatch: Any) -> None:
    now = [100.0]
    monkeypatch.setattr("lobby.refcache.time.monotonic", lambda: now[0])
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        return len(loads)

    cache = RefCache(5.0)
    assert [cache.get("k", load), cache.get("k", load)] == [1, 1]
    now[0] += 4.9
    assert cache.get("k", load) == 1
    now[0] += 0.2
    assert cache.get("k", load) == 2
    off = RefCache(0)
    assert [off.get("k", load), off.get("k", load)] == [3, 4]


def test_a_revoked_kiosk_and_a_deactivated_officer_are_refused_on_their_next_request(
    app: Any,
) -> None:
    from lobby.extensions import db
    from lobby.models import Device, StaffUser
    from tests.integration.helpers import Staff

    client = app.test_client()
    issue(client, app, "ho_tich")  # the kiosk's row is cached now
    officer = Staff(app, "canbo1")
    officer.open_counter(1)  # and the officer's
    with app.app_context():
        db.session.scalar(db.select(Device).where(Device.kind == "kiosk")).active = False
        db.session.scalar(db.select(StaffUser).where(StaffUser.username == "canbo1")).active = False
        db.session.commit()
    r = client.post("/api/v1/tickets", json={"service": "ho_tich"}, headers=kiosk_headers(app))
    assert r.status_code == 401
    r = officer.post("/api/v1/counters/1/call-next")
    assert r.status_code == 401


def test_a_role_change_applies_to_the_next_request(app: Any) -> None:
    from lobby.extensions import db
    from lobby.models import StaffUser
    from tests.integration.helpers import Staff

    leader = Staff(app, "lanhdao")
    assert leader.get("/api/v1/stats").status_code == 200
    with app.app_context():
        db.session.scalar(
            db.select(StaffUser).where(StaffUser.username == "lanhdao")
        ).role = "officer"
        db.session.commit()
    assert leader.get("/api/v1/stats").status_code == 403


def test_keys_from_requests_cannot_grow_the_cache_without_bound(monkeypatch: Any) -> None:
    """Unknown tokens and field codes are cached as misses: a flood of them stays bounded."""
    now = [0.0]
    monkeypatch.setattr("lobby.refcache.time.monotonic", lambda: now[0])
    cache = RefCache(5.0, max_entries=100)
    for i in range(1000):
        cache.get(("device", f"random-{i}"), lambda: None)
        assert len(cache._data) <= 100
    cache._data.clear()
    for i in range(99):
        cache.get(("field", f"nope-{i}"), lambda: None)
    now[0] += 6.0  # those misses have expired
    cache.get("office", lambda: "row")  # the 100th entry
    cache.get(("device", "one-more"), lambda: None)  # full: the expired ones go first
    assert len(cache._data) == 2
    assert cache.get("office", lambda: "reloaded") == "row"


def test_a_counter_given_a_new_field_calls_its_tickets_at_once(app: Any) -> None:
    """The fields a counter serves are cached too; changing them through the ORM clears it."""
    from lobby.extensions import db
    from lobby.models import Counter, Field

    client = app.test_client()
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    issue(client, app, "dat_dai")  # not one of counter 1's fields
    r = officer.call_next(1)
    assert r.status_code == 409 and r.get_json()["error"] == "queue_empty"
    with app.app_context():
        c = db.session.scalar(db.select(Counter).where(Counter.number == 1))
        c.fields.append(db.session.scalar(db.select(Field).where(Field.code == "dat_dai")))
        db.session.commit()
    r = officer.call_next(1)
    assert r.status_code == 200 and r.get_json()["ticket"]["service"] == "dat_dai"
    counters = client.get("/api/v1/counters").get_json()["counters"]
    assert "dat_dai" in next(c["services"] for c in counters if c["number"] == 1)


def test_the_interleave_count_written_on_every_call_keeps_the_counters_fields_cached(
    app: Any,
) -> None:
    from lobby.extensions import db
    from lobby.models import Counter

    client = app.test_client()
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    issue(client, app, "ho_tich", priority="elderly")
    assert officer.call_next(1).status_code == 200  # a priority call resets the count
    with app.app_context():
        c = db.session.scalar(db.select(Counter).where(Counter.number == 1))
        key = ("counter_fields", c.id)
    cache = app.extensions["lobby"].reference
    assert key in cache._data
