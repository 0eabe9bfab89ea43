from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.clock import (
    OFFICE_TZ,
    SESSION_LABELS,
    FileClock,
    FixedClock,
    SystemClock,
    day_bounds,
    service_day,
    session_of,
    write_clock_file,
)

VN = ZoneInfo(OFFICE_TZ)


def test_office_zone_is_ho_chi_minh_city():
    assert OFFICE_TZ == "Asia/Ho_Chi_Minh"
    assert SystemClock().tz == VN


def test_system_clock_now_is_aware_utc():
    now = SystemClock().now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_system_clock_today_is_the_office_date_of_now():
    clock = SystemClock()
    # Compare with the date of an instant read around the call; midnight may pass in between.
    before = clock.now()
    today = clock.today()
    after = clock.now()
    assert today in {service_day(before, VN), service_day(after, VN)}


def test_fixed_clock_stores_its_instant_as_utc():
    clock = FixedClock(datetime(2026, 11, 30, 8, 15, 2, tzinfo=VN))
    assert clock.now() == datetime(2026, 11, 30, 1, 15, 2, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_fixed_clock_refuses_a_naive_datetime():
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 11, 30, 8, 0))
    clock = FixedClock(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 11, 30, 9, 0))


def test_fixed_clock_today_is_the_office_date_not_the_utc_date():
    # 17:30 UTC on 30 Nov is 00:30 on 1 Dec in Vietnam (UTC+7).
    clock = FixedClock(datetime(2026, 11, 30, 17, 30, tzinfo=UTC))
    assert clock.today() == date(2026, 12, 1)
    assert clock.local(clock.now()) == datetime(2026, 12, 1, 0, 30, tzinfo=VN)
    assert clock.local(clock.now()).utcoffset() == timedelta(hours=7)


def test_fixed_clock_set_and_advance_move_now():
    clock = FixedClock(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    returned = clock.advance(minutes=90, seconds=5)
    assert clock.now() == datetime(2026, 11, 30, 2, 30, 5, tzinfo=UTC)
    assert returned == clock.now()
    clock.set(datetime(2026, 12, 24, 9, 0, tzinfo=VN))
    assert clock.now() == datetime(2026, 12, 24, 2, 0, tzinfo=UTC)
    assert clock.today() == date(2026, 12, 24)


def test_fixed_clock_accepts_another_office_zone():
    clock = FixedClock(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), tz="Europe/Paris")
    assert clock.today() == date(2026, 12, 1)
    assert clock.tz == ZoneInfo("Europe/Paris")


def test_local_refuses_a_naive_datetime():
    with pytest.raises(ValueError):
        SystemClock().local(datetime(2026, 11, 30, 8, 0))


def test_service_day_uses_the_office_zone():
    assert service_day(datetime(2026, 11, 30, 16, 59, tzinfo=UTC), VN) == date(2026, 11, 30)
    assert service_day(datetime(2026, 11, 30, 17, 0, tzinfo=UTC), VN) == date(2026, 12, 1)
    with pytest.raises(ValueError):
        service_day(datetime(2026, 11, 30, 17, 0), VN)


def test_session_is_morning_before_noon_and_afternoon_from_noon():
    assert session_of(time(0, 0)) == "sang"
    assert session_of(time(11, 59, 59, 999999)) == "sang"
    assert session_of(time(12, 0)) == "chieu"
    assert session_of(datetime(2026, 11, 30, 13, 30, tzinfo=VN)) == "chieu"
    assert session_of(datetime(2026, 11, 30, 7, 0, tzinfo=VN)) == "sang"
    assert SESSION_LABELS == {"sang": "Sáng", "chieu": "Chiều"}


def test_day_bounds_of_a_vietnamese_day_run_from_17_00_utc_to_17_00_utc():
    start, end = day_bounds(date(2026, 12, 1), VN)
    assert start == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    assert start.tzinfo is UTC and end.tzinfo is UTC


def test_day_bounds_follow_daylight_saving_in_zones_that_have_it():
    # 29 March 2026 is 23 hours long in Paris.
    start, end = day_bounds(date(2026, 3, 29), ZoneInfo("Europe/Paris"))
    assert end - start == timedelta(hours=23)


instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(instants)
def test_every_instant_lies_within_the_bounds_of_its_service_day(instant):
    day = service_day(instant, VN)
    start, end = day_bounds(day, VN)
    assert start <= instant < end


@given(instants, st.integers(min_value=-12, max_value=14))
def test_service_day_does_not_depend_on_the_offset_the_instant_is_written_in(instant, hours):
    shifted = instant.astimezone(timezone(timedelta(hours=hours)))
    assert service_day(shifted, VN) == service_day(instant, VN)


def test_a_file_clock_reads_each_instant_written_to_its_file(tmp_path: Path) -> None:
    path = str(tmp_path / "clock")
    clock = FileClock(path, "Asia/Ho_Chi_Minh")
    write_clock_file(path, datetime(2026, 11, 30, 23, 59, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))
    assert clock.now() == datetime(2026, 11, 30, 16, 59, tzinfo=UTC)
    assert clock.today() == date(2026, 11, 30)
    write_clock_file(path, datetime(2026, 12, 1, 0, 1, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))
    assert clock.today() == date(2026, 12, 1)
    with pytest.raises(ValueError):
        write_clock_file(path, datetime(2026, 12, 1, 0, 1))  # naive: refused


def test_a_clock_file_is_refused_in_production(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lobby.config import from_environment

    monkeypatch.setenv("LOBBY_CLOCK_FILE", str(tmp_path / "clock"))
    monkeypatch.setenv("LOBBY_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    with pytest.raises(RuntimeError, match="LOBBY_CLOCK_FILE"):
        from_environment(str(tmp_path))
