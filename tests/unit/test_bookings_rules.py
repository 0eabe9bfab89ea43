"""Remote tickets' rules (core.bookings) and the queue rule with booked tickets: a checked-in
booking's line time is its slot's start, so call-next (core.queueing) takes it after every
walk-in issued before that time and before every walk-in issued after it, whenever it was
checked in, with priority tickets still served by the interleave."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import bookings as rules
from core.errors import InvalidRequest
from core.queueing import Candidate, CounterPolicy, call_order

DAY = date(2026, 11, 30)
OPEN = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # 07:00 in Hà Nội


def test_slots_cut_each_window_and_leave_out_a_short_remainder() -> None:
    slots = rules.day_slots(DAY, [(time(13, 30), time(17, 0)), (time(7, 0), time(11, 30))], 60)
    assert [s.label for s in slots] == [
        "07:00", "08:00", "09:00", "10:00", "13:30", "14:30", "15:30",
    ]  # fmt: skip
    assert slots[-1].end == time(16, 30)


def test_default_capacity_is_a_share_of_the_slot_and_at_least_one() -> None:
    assert rules.default_capacity(30, 300, 2) == 6  # 30 min x 2 counters / 5 min, half of it
    assert rules.default_capacity(30, 3600, 1) == 1
    assert rules.default_capacity(30, 0, 1) == 1


@pytest.mark.parametrize(
    ("given_", "normal"),
    [
        ("0912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
    ],
)
def test_phone_numbers_are_normalised(given_: str, normal: str) -> None:
    assert rules.normalise_phone(given_) == normal


@pytest.mark.parametrize("bad", ["", "12345", "0212345678", None, 912345678])
def test_a_wrong_phone_number_names_the_field(bad: object) -> None:
    with pytest.raises(InvalidRequest) as refused:
        rules.normalise_phone(bad)
    assert refused.value.details["field"] == "phone"


def test_limits_per_field_person_and_address() -> None:
    rules.check_limits(person_day=1, person_field=0, address_day=5)
    for counts, reason in (
        ({"person_day": 1, "person_field": 1, "address_day": 0}, "field"),
        ({"person_day": 2, "person_field": 0, "address_day": 0}, "person"),
        ({"person_day": 0, "person_field": 0, "address_day": 6}, "address"),
    ):
        with pytest.raises(rules.BookingLimit) as refused:
            rules.check_limits(**counts)
        assert refused.value.details["reason"] == reason


def test_expiry_is_at_slot_end_plus_grace() -> None:
    end = OPEN + timedelta(minutes=30)
    assert not rules.expired(end, 15, end + timedelta(minutes=14, seconds=59))
    assert rules.expired(end, 15, end + timedelta(minutes=15))


# --- the queue rule with booked tickets ---------------------------------------------------


@st.composite
def lobby_day(draw: st.DrawFn) -> tuple[list[Candidate], dict[int, datetime], int]:
    """Walk-ins issued at random minutes, and bookings for random 30-minute slots checked in at
    any time from an hour before their slot to its end + 15 min; some tickets are priority."""
    walk_ins = draw(st.lists(st.integers(0, 240), max_size=25))
    booked = draw(
        st.lists(st.tuples(st.integers(0, 7), st.integers(-60, 45)), max_size=10)
    )  # (slot index, check-in minutes after the slot's start)
    priority = draw(st.sets(st.integers(0, 40)))
    n = draw(st.integers(0, 3))
    tickets: list[Candidate] = []
    slot_of: dict[int, datetime] = {}
    events = [(OPEN + timedelta(minutes=m), None) for m in walk_ins]
    for slot, late in booked:
        start = OPEN + timedelta(minutes=30 * slot)
        events.append((max(OPEN, start + timedelta(minutes=late)), start))
    for seq, (issued, slot_start) in enumerate(sorted(events, key=lambda e: e[0]), start=1):
        tickets.append(Candidate(seq, seq in priority, issued, seq, slot_start or issued))
        if slot_start is not None:
            slot_of[seq] = slot_start
    return tickets, slot_of, n


@settings(max_examples=300, deadline=None)
@given(lobby_day())
def test_a_booked_ticket_is_called_between_walk_ins_by_its_slot_time(
    day: tuple[list[Candidate], dict[int, datetime], int],
) -> None:
    tickets, slot_of, n = day
    order = call_order(tickets, CounterPolicy(interleave_n=n), 10**9)
    assert sorted(c.id for c in order) == sorted(c.id for c in tickets)  # nobody is lost
    place = {c.id: i for i, c in enumerate(order)}
    for booked_id, slot_start in slot_of.items():
        booked = next(c for c in tickets if c.id == booked_id)
        for other in tickets:
            if other.id in slot_of or other.priority != booked.priority:
                continue  # the rule is within one line (priority tickets have their own)
            if other.issued_at > slot_start:
                assert place[booked_id] < place[other.id], "a later walk-in went first"
            elif other.issued_at < slot_start:
                assert place[other.id] < place[booked_id], "the booking jumped an earlier one"


@settings(max_examples=200, deadline=None)
@given(lobby_day())
def test_bookings_of_one_line_are_called_by_slot_then_check_in(
    day: tuple[list[Candidate], dict[int, datetime], int],
) -> None:
    tickets, slot_of, n = day
    order = call_order(tickets, CounterPolicy(interleave_n=n), 10**9)
    for line in (True, False):
        booked = [c for c in order if c.id in slot_of and c.priority is line]
        keys = [(slot_of[c.id], c.seq) for c in booked]
        assert keys == sorted(keys)
