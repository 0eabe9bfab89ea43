import unicodedata
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import DailyLimitReached, InvalidRequest, OutsideHours
from core.numbering import (
    DASHED_NUMBER_FORMAT,
    DEFAULT_NUMBER_FORMAT,
    DEFAULT_WINDOWS,
    WorkingWindow,
    check_daily_limit,
    daily_limit_left,
    display_number,
    ensure_open,
    hours_text,
    is_open,
    parse_number,
    validate_number_format,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_default_number_is_prefix_and_three_digits():
    assert DEFAULT_NUMBER_FORMAT == "{prefix}{seq:03d}"
    assert display_number("A", 25) == "A025"
    assert display_number("B", 1) == "B001"
    assert display_number("K", 999) == "K999"
    assert display_number("A", 1000) == "A1000"


def test_dashed_number_format_gives_a_dash():
    assert display_number("A", 25, DASHED_NUMBER_FORMAT) == "A-025"


def test_sequence_numbers_start_at_one():
    with pytest.raises(ValueError):
        display_number("A", 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A025", ("A", 25)),
        ("A-025", ("A", 25)),
        ("a25", ("A", 25)),
        (" b 7 ", ("B", 7)),
        ("Đ012", ("Đ", 12)),
        ("K1000", ("K", 1000)),
    ],
)
def test_parse_number_accepts_the_usual_spellings(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "text", ["", "025", "A", "A-", "A000", "A-0", "12A", "A 2 5", "A--1", "A1B"]
)
def test_parse_number_refuses_what_is_not_a_ticket_number(text):
    with pytest.raises(InvalidRequest) as info:
        parse_number(text)
    assert info.value.code == "invalid_request"
    assert info.value.status == 422


prefixes = st.text(alphabet="ABCDEGHKLMNOPQRSTUVXYĐ", min_size=1, max_size=3)
seqs = st.integers(min_value=1, max_value=99_999)


@given(prefixes, seqs, st.sampled_from([DEFAULT_NUMBER_FORMAT, DASHED_NUMBER_FORMAT]))
def test_display_then_parse_gives_back_prefix_and_sequence(prefix, seq, fmt):
    assert parse_number(display_number(prefix, seq, fmt)) == (prefix, seq)


@given(prefixes, seqs)
def test_parse_is_case_insensitive_and_ignores_leading_zeros(prefix, seq):
    assert parse_number(f"{prefix.lower()}{seq}") == parse_number(display_number(prefix, seq))


def test_validate_number_format_accepts_round_tripping_formats_only():
    assert validate_number_format("{prefix}-{seq:04d}") == "{prefix}-{seq:04d}"
    for bad in ["{seq:03d}", "{prefix}", "{prefix}{seq:03d}{other}", "#{prefix}{seq}", "{"]:
        with pytest.raises(InvalidRequest):
            validate_number_format(bad)


def test_daily_limit_refuses_once_the_limit_is_issued():
    check_daily_limit(0, 3)
    check_daily_limit(2, 3)
    with pytest.raises(DailyLimitReached) as info:
        check_daily_limit(3, 3)
    assert info.value.code == "daily_limit_reached"
    assert info.value.status == 409
    assert info.value.message == "Lĩnh vực này đã hết số trong ngày."
    with pytest.raises(DailyLimitReached):
        check_daily_limit(4, 3)


def test_no_daily_limit_means_unlimited():
    check_daily_limit(10**6, None)
    assert daily_limit_left(10**6, None) is None


def test_daily_limit_left_counts_down_to_zero():
    assert daily_limit_left(0, 3) == 3
    assert daily_limit_left(2, 3) == 1
    assert daily_limit_left(5, 3) == 0


def test_default_windows_are_weekday_commune_hours_for_both_purposes():
    for purpose in ("reception", "ticketing"):
        spans = {(w.weekday, w.start, w.end) for w in DEFAULT_WINDOWS if w.purpose == purpose}
        assert spans == {
            (d, s, e)
            for d in range(5)
            for s, e in ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0)))
        }


def local(y, m, d, hh, mm, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=VN)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(2026, 11, 30, 6, 59, 59), False),
        (local(2026, 11, 30, 7, 0), True),
        (local(2026, 11, 30, 11, 29, 59), True),
        (local(2026, 11, 30, 11, 30), False),
        (local(2026, 11, 30, 12, 0), False),
        (local(2026, 11, 30, 13, 30), True),
        (local(2026, 11, 30, 16, 59, 59), True),
        (local(2026, 11, 30, 17, 0), False),
        (local(2026, 12, 4, 9, 0), True),  # Friday
        (local(2026, 12, 5, 9, 0), False),  # Saturday
        (local(2026, 12, 6, 9, 0), False),  # Sunday
    ],
)
def test_windows_are_half_open_and_weekdays_only(moment, expected):
    assert is_open(DEFAULT_WINDOWS, moment) is expected


def test_a_day_off_is_closed_even_inside_the_hours():
    assert is_open(DEFAULT_WINDOWS, local(2026, 9, 2, 9, 0)) is True  # a Wednesday
    assert is_open(DEFAULT_WINDOWS, local(2026, 9, 2, 9, 0), day_off=True) is False


def test_ticketing_and_reception_windows_are_separate():
    windows = [
        WorkingWindow(0, time(7, 0), time(11, 30), "reception"),
        WorkingWindow(0, time(7, 0), time(11, 0), "ticketing"),
    ]
    moment = local(2026, 11, 30, 11, 10)
    assert is_open(windows, moment, purpose="reception") is True
    assert is_open(windows, moment, purpose="ticketing") is False
    assert is_open(windows, moment) is False


def test_a_saturday_morning_window_opens_saturday():
    windows = [*DEFAULT_WINDOWS, WorkingWindow(5, time(7, 30), time(11, 30))]
    assert is_open(windows, local(2026, 12, 5, 8, 0)) is True
    assert is_open(windows, local(2026, 12, 5, 14, 0)) is False


def test_working_window_refuses_nonsense():
    with pytest.raises(ValueError):
        WorkingWindow(7, time(7), time(8))
    with pytest.raises(ValueError):
        WorkingWindow(0, time(8), time(8))
    with pytest.raises(ValueError):
        WorkingWindow(0, time(9), time(8))
    with pytest.raises(ValueError):
        WorkingWindow(0, time(7), time(8), "lunch")


def test_hours_text_lists_morning_then_afternoon():
    assert hours_text(DEFAULT_WINDOWS) == "Sáng 07:00–11:30, Chiều 13:30–17:00"
    afternoon_first = [
        WorkingWindow(1, time(13, 30), time(16, 30)),
        WorkingWindow(1, time(7, 30), time(11, 0)),
    ]
    assert hours_text(afternoon_first) == "Sáng 07:30–11:00, Chiều 13:30–16:30"


def test_hours_text_can_pick_one_purpose():
    windows = [
        WorkingWindow(0, time(7, 0), time(11, 30), "reception"),
        WorkingWindow(0, time(7, 0), time(11, 0), "ticketing"),
    ]
    assert hours_text(windows, purpose="ticketing") == "Sáng 07:00–11:00"
    assert hours_text(windows, purpose="reception") == "Sáng 07:00–11:30"
    assert hours_text([]) == ""


def test_ensure_open_passes_inside_the_hours():
    ensure_open(DEFAULT_WINDOWS, local(2026, 11, 30, 7, 0))


def test_ensure_open_outside_the_hours_names_the_hours():
    with pytest.raises(OutsideHours) as info:
        ensure_open(DEFAULT_WINDOWS, local(2026, 11, 30, 11, 30))
    error = info.value
    assert error.code == "outside_hours"
    assert error.status == 409
    assert error.message == (
        "Ngoài giờ lấy số. Vui lòng quay lại trong giờ làm việc: "
        "Sáng 07:00–11:30, Chiều 13:30–17:00"
    )
    assert unicodedata.is_normalized("NFC", error.message)


def test_ensure_open_refuses_weekends_and_days_off():
    with pytest.raises(OutsideHours):
        ensure_open(DEFAULT_WINDOWS, local(2026, 12, 5, 9, 0))
    with pytest.raises(OutsideHours):
        ensure_open(DEFAULT_WINDOWS, local(2026, 11, 30, 9, 0), day_off=True)


def test_open_always_issues_at_any_hour_and_on_days_off():
    ensure_open(DEFAULT_WINDOWS, local(2026, 12, 6, 3, 0), open_always=True)
    ensure_open([], local(2026, 11, 30, 9, 0), day_off=True, open_always=True)


def test_ensure_open_without_any_ticketing_window_still_refuses():
    with pytest.raises(OutsideHours) as info:
        ensure_open([], local(2026, 11, 30, 9, 0))
    assert info.value.message.startswith("Ngoài giờ lấy số.")


def test_ensure_open_accepts_a_one_shot_iterable_of_windows():
    ensure_open(iter(DEFAULT_WINDOWS), local(2026, 11, 30, 9, 0))
    with pytest.raises(OutsideHours) as info:
        ensure_open(iter(DEFAULT_WINDOWS), local(2026, 11, 30, 12, 0))
    assert "Sáng 07:00–11:30" in info.value.message
