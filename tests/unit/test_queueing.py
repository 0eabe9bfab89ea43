from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import IllegalTransition
from core.queueing import (
    DEFAULT_INTERLEAVE_N,
    FRESH_COUNTER_NORMALS,
    LINE_STEP,
    Candidate,
    CounterPolicy,
    call_order,
    check_may_delay,
    choose_next,
    delayed_line_at,
    normals_after_call,
    order_key,
    share_next,
)

T0 = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)  # 07:30 in Vietnam


def ticket(id_, priority=False, minute=None, seq=0):
    issued = T0 + timedelta(minutes=id_ if minute is None else minute)
    return Candidate(id=id_, priority=priority, issued_at=issued, seq=seq)


def drain(tickets, policy, normals=FRESH_COUNTER_NORMALS):
    """Call until the counter gets nothing; return the ids in call order."""
    waiting = list(tickets)
    order = []
    while (chosen := choose_next(waiting, policy, normals)) is not None:
        order.append(chosen.id)
        waiting.remove(chosen)
        normals = normals_after_call(chosen, normals)
    return order


# --- examples -------------------------------------------------------------------------------


def test_default_interleave_is_one_priority_per_two_normal():
    assert DEFAULT_INTERLEAVE_N == 2
    assert CounterPolicy().interleave_n == 2
    assert CounterPolicy().priority_counter_serves_normal is True


def test_nothing_waiting_gives_none():
    assert choose_next([], CounterPolicy(), 0) is None
    assert choose_next([], CounterPolicy(is_priority_counter=True), 0) is None


def test_a_fresh_counter_calls_a_waiting_priority_ticket_first():
    normals = [ticket(i) for i in range(1, 6)]
    late_priority = ticket(99, priority=True)
    chosen = choose_next([*normals, late_priority], CounterPolicy(), FRESH_COUNTER_NORMALS)
    assert chosen == late_priority
    assert FRESH_COUNTER_NORMALS >= 10**6


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, [101, 102, 103, 1, 2, 3, 4, 5, 6]),
        (1, [101, 1, 102, 2, 103, 3, 4, 5, 6]),
        (2, [101, 1, 2, 102, 3, 4, 103, 5, 6]),
        (3, [101, 1, 2, 3, 102, 4, 5, 6, 103]),
    ],
)
def test_interleave_pattern_with_everyone_waiting(n, expected):
    # Normal tickets were issued first; the priority ones arrived later.
    normals = [ticket(i) for i in range(1, 7)]
    priorities = [ticket(100 + i, priority=True) for i in range(1, 4)]
    assert drain([*normals, *priorities], CounterPolicy(interleave_n=n)) == expected


def test_a_priority_ticket_is_called_when_no_normal_ticket_waits_even_if_not_yet_eligible():
    only_priority = [ticket(1, priority=True)]
    assert choose_next(only_priority, CounterPolicy(interleave_n=5), 0) == only_priority[0]


def test_a_normal_ticket_is_called_when_the_counter_is_not_yet_eligible():
    queue = [ticket(1, priority=True, minute=0), ticket(2, minute=5)]
    assert choose_next(queue, CounterPolicy(interleave_n=2), 1).id == 2
    assert choose_next(queue, CounterPolicy(interleave_n=2), 2).id == 1


def test_ties_break_by_issue_time_then_sequence_then_id():
    same_minute = [
        ticket(5, minute=3, seq=2),
        ticket(4, minute=3, seq=1),
        ticket(3, minute=3, seq=1),
        ticket(9, minute=4, seq=0),
    ]
    assert drain(same_minute, CounterPolicy()) == [3, 4, 5, 9]
    assert order_key(same_minute[0]) == (same_minute[0].issued_at, 2, 5)


def test_a_transferred_ticket_keeps_its_place_by_original_issue_time():
    # Ticket 50 was issued at 07:31 for another field and transferred here later.
    transferred = ticket(50, minute=1)
    local = [ticket(2, minute=2), ticket(3, minute=3)]
    assert drain([*local, transferred], CounterPolicy()) == [50, 2, 3]


def test_priority_counter_calls_the_oldest_priority_ticket_regardless_of_count():
    policy = CounterPolicy(is_priority_counter=True, interleave_n=2)
    queue = [ticket(1), ticket(2), ticket(3, priority=True), ticket(4, priority=True)]
    for normals in (0, 1, FRESH_COUNTER_NORMALS):
        assert choose_next(queue, policy, normals).id == 3
    assert drain(queue, policy, 0) == [3, 4, 1, 2]


def test_priority_counter_serves_normal_tickets_when_no_priority_waits_by_default():
    policy = CounterPolicy(is_priority_counter=True)
    assert choose_next([ticket(2), ticket(1)], policy, 0).id == 1


def test_priority_counter_can_be_reserved_for_priority_tickets_only():
    policy = CounterPolicy(is_priority_counter=True, priority_counter_serves_normal=False)
    assert choose_next([ticket(1), ticket(2)], policy, FRESH_COUNTER_NORMALS) is None
    assert choose_next([ticket(1), ticket(2, priority=True)], policy, 0).id == 2


def test_normals_after_call_resets_on_priority_and_counts_normals():
    assert normals_after_call(ticket(1, priority=True), 7) == 0
    assert normals_after_call(ticket(1), 0) == 1
    assert normals_after_call(ticket(1), 1) == 2
    assert normals_after_call(ticket(1), FRESH_COUNTER_NORMALS) == FRESH_COUNTER_NORMALS
    assert normals_after_call(ticket(1, priority=True), FRESH_COUNTER_NORMALS) == 0


def test_the_fresh_value_fits_a_32_bit_integer_column():
    assert FRESH_COUNTER_NORMALS < 2**31


def test_negative_interleave_is_refused():
    with pytest.raises(ValueError):
        CounterPolicy(interleave_n=-1)


def test_candidates_may_be_a_one_shot_iterator():
    queue = [ticket(1), ticket(2, priority=True)]
    assert choose_next(iter(queue), CounterPolicy(), FRESH_COUNTER_NORMALS).id == 2


# --- simulation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    chosen: Candidate | None
    waiting: tuple[Candidate, ...]  # what waited just before the call


@dataclass
class Run:
    calls: list[Call] = field(default_factory=list)


ARRIVE = st.tuples(
    st.just("arrive"),
    st.booleans(),  # priority?
    st.integers(min_value=0, max_value=3),  # seconds since the previous arrival
    st.integers(min_value=1, max_value=40),  # sequence number (several fields interleave)
)
CALL = st.just(("call",))
EVENTS = st.lists(st.one_of(ARRIVE, CALL, CALL), max_size=400)


def simulate(events, policy, *, strictly_later=False):
    """Replay arrivals and "call next" presses on one counter, as the app would."""
    waiting: dict[int, Candidate] = {}
    normals = FRESH_COUNTER_NORMALS
    now = T0
    next_id = 1
    run = Run()
    for event in events:
        if event[0] == "arrive":
            _, priority, gap, seq = event
            now += timedelta(seconds=gap + (1 if strictly_later else 0))
            waiting[next_id] = Candidate(next_id, priority, now, seq)
            next_id += 1
        else:
            chosen = choose_next(waiting.values(), policy, normals)
            run.calls.append(Call(chosen, tuple(waiting.values())))
            if chosen is not None:
                del waiting[chosen.id]
                normals = normals_after_call(chosen, normals)
    return run


def head(waiting, priority):
    """The first in line of one class, computed independently of core.queueing."""
    line = sorted(
        (c for c in waiting if c.priority == priority),
        key=lambda c: (c.issued_at, c.seq, c.id),
    )
    return line[0] if line else None


def assert_fifo_within_each_class(run):
    for call in run.calls:
        if call.chosen is not None:
            assert call.chosen == head(call.waiting, call.chosen.priority)


def assert_work_conserving(run):
    for call in run.calls:
        assert (call.chosen is None) == (not call.waiting)


interleaves = st.sampled_from([0, 1, 2])


@settings(max_examples=300, deadline=None)
@given(EVENTS, interleaves)
def test_normal_counter_calls_the_head_of_a_class_and_never_idles(events, n):
    run = simulate(events, CounterPolicy(interleave_n=n))
    assert_fifo_within_each_class(run)
    assert_work_conserving(run)


@settings(max_examples=300, deadline=None)
@given(EVENTS, interleaves)
def test_a_priority_ticket_first_in_its_line_waits_behind_at_most_n_normal_calls(events, n):
    run = simulate(events, CounterPolicy(interleave_n=n))
    normal_calls_while_head: dict[int, int] = {}
    for call in run.calls:
        first = head(call.waiting, priority=True)
        if first is None or call.chosen is None:
            continue
        if call.chosen.priority:
            assert normal_calls_while_head.get(call.chosen.id, 0) <= n
            # A priority call resets the counter's interleave. A transferred ticket keeps its
            # earlier issue time and may take the head of the line; the one it displaced then
            # counts its wait afresh (hypothesis found this case).
            normal_calls_while_head.clear()
        else:
            normal_calls_while_head[first.id] = normal_calls_while_head.get(first.id, 0) + 1
            assert normal_calls_while_head[first.id] <= n


@settings(max_examples=300, deadline=None)
@given(EVENTS, interleaves)
def test_consecutive_normal_calls_past_a_waiting_priority_ticket_never_exceed_n(events, n):
    run = simulate(events, CounterPolicy(interleave_n=n))
    streak = 0
    for call in run.calls:
        if call.chosen is None:
            continue
        if call.chosen.priority:
            streak = 0
        elif head(call.waiting, priority=True) is not None:
            streak += 1
            assert streak <= n


@settings(max_examples=300, deadline=None)
@given(EVENTS, st.sampled_from([1, 2]))
def test_with_n_at_least_one_normal_tickets_never_starve(events, n):
    run = simulate(events, CounterPolicy(interleave_n=n))
    # While a normal ticket waits, at most one priority call passes before a normal call.
    priority_streak = 0
    for call in run.calls:
        if call.chosen is None:
            continue
        if not call.chosen.priority:
            priority_streak = 0
        elif head(call.waiting, priority=False) is not None:
            priority_streak += 1
            assert priority_streak <= 1
    # Hence a normal ticket sees at most (normal calls during its wait + 1) priority calls.
    seen: dict[int, list[int]] = {}  # normal id -> [normal calls, priority calls] while waiting
    for call in run.calls:
        if call.chosen is None:
            continue
        for c in call.waiting:
            if not c.priority and c.id != call.chosen.id:
                counts = seen.setdefault(c.id, [0, 0])
                counts[1 if call.chosen.priority else 0] += 1
        if not call.chosen.priority:
            normal_calls, priority_calls = seen.get(call.chosen.id, [0, 0])
            assert priority_calls <= normal_calls + 1


@settings(max_examples=300, deadline=None)
@given(EVENTS)
def test_with_n_zero_a_waiting_priority_ticket_always_goes_first(events):
    run = simulate(events, CounterPolicy(interleave_n=0))
    for call in run.calls:
        if head(call.waiting, priority=True) is not None:
            assert call.chosen is not None and call.chosen.priority


@settings(max_examples=300, deadline=None)
@given(EVENTS, interleaves)
def test_the_counter_calls_exactly_as_the_interleave_rule_says(events, n):
    # An independent reading of DOMAIN §7 step 3, counting normal calls since the last
    # priority call from the log itself (a fresh counter counts as eligible).
    run = simulate(events, CounterPolicy(interleave_n=n))
    since_priority = None  # None: no priority call yet today
    for call in run.calls:
        p, q = head(call.waiting, True), head(call.waiting, False)
        eligible = since_priority is None or since_priority >= n
        if p is not None and (eligible or q is None):
            assert call.chosen == p
        else:
            assert call.chosen == q
        if call.chosen is not None:
            if call.chosen.priority:
                since_priority = 0
            elif since_priority is not None:
                since_priority += 1


@settings(max_examples=200, deadline=None)
@given(EVENTS, interleaves)
def test_with_distinct_issue_times_each_class_is_called_in_arrival_order(events, n):
    run = simulate(events, CounterPolicy(interleave_n=n), strictly_later=True)
    called = [c.chosen for c in run.calls if c.chosen is not None]
    for priority in (True, False):
        ids = [c.id for c in called if c.priority == priority]
        assert ids == sorted(ids)


@settings(max_examples=200, deadline=None)
@given(EVENTS, st.booleans())
def test_priority_counter_prefers_any_waiting_priority_ticket(events, serves_normal):
    policy = CounterPolicy(is_priority_counter=True, priority_counter_serves_normal=serves_normal)
    run = simulate(events, policy)
    assert_fifo_within_each_class(run)
    for call in run.calls:
        p, q = head(call.waiting, True), head(call.waiting, False)
        if p is not None:
            assert call.chosen == p
        elif serves_normal:
            assert call.chosen == q
        else:
            assert call.chosen is None


# --- call_order: the list a counter shows is the order call-next takes -----------------------


@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("is_priority_counter", [False, True])
@pytest.mark.parametrize("serves_normal", [False, True])
def test_call_order_is_the_order_repeated_calls_take(n, is_priority_counter, serves_normal):
    policy = CounterPolicy(
        is_priority_counter=is_priority_counter,
        interleave_n=n,
        priority_counter_serves_normal=serves_normal,
    )
    # A requeued normal ticket keeps its early issue time; priority tickets come later.
    tickets = [ticket(1), *[ticket(i, priority=i % 3 == 0) for i in range(5, 17)]]
    for normals in (0, 1, FRESH_COUNTER_NORMALS):
        expected = drain(tickets, policy, normals)
        assert [c.id for c in call_order(tickets, policy, normals)] == expected
        assert [c.id for c in call_order(tickets, policy, normals, limit=4)] == expected[:4]


def test_a_requeued_normal_ticket_is_not_listed_before_a_priority_one_called_first():
    requeued = ticket(1, minute=0)
    later_priority = ticket(2, priority=True, minute=30)
    order = call_order([requeued, later_priority], CounterPolicy(), FRESH_COUNTER_NORMALS)
    assert [c.id for c in order] == [2, 1]


# --- "Để người sau lên trước": delays move a ticket's line time ------------------------------


def line_time(c):
    return c.issued_at if c.line_at is None else c.line_at


def delay(waiting: dict[int, Candidate], ticket_id: int, places: int) -> bool:
    """Let the next `places` people of the ticket's class go first, as lobby.queue.leaving."""
    me = waiting[ticket_id]
    behind = sorted(
        (c for c in waiting.values() if c.priority == me.priority and order_key(c) > order_key(me)),
        key=order_key,
    )
    new = delayed_line_at([line_time(c) for c in behind], places)
    if new is None:
        return False
    waiting[ticket_id] = Candidate(me.id, me.priority, me.issued_at, me.seq, new)
    return True


def place(waiting, c):
    """What the ticket's phone shows: people of its class before it in the line."""
    return sum(1 for o in waiting if o.priority == c.priority and order_key(o) < order_key(c))


def test_a_delay_goes_just_past_the_nth_person_behind():
    times = [T0 + timedelta(minutes=m) for m in (1, 2, 3, 4)]
    assert delayed_line_at(times, 3) == times[2] + LINE_STEP
    assert delayed_line_at(times[:2], 3) == times[1] + LINE_STEP  # fewer behind: the last
    assert delayed_line_at([], 3) is None
    with pytest.raises(ValueError):
        delayed_line_at(times, 0)


def test_a_ticket_may_be_delayed_up_to_the_limit():
    check_may_delay(0, 2)
    check_may_delay(1, 2)
    with pytest.raises(IllegalTransition) as info:
        check_may_delay(2, 2)
    assert "không thể nhường thêm" in info.value.message


def test_an_undelayed_candidate_is_ordered_by_issue_time():
    c = ticket(1, seq=4)
    assert order_key(c) == (c.issued_at, 4, 1)
    later = Candidate(1, False, c.issued_at, 4, c.issued_at + timedelta(minutes=5))
    assert order_key(later) == (c.issued_at + timedelta(minutes=5), 4, 1)


DELAY = st.tuples(st.just("delay"), st.integers(min_value=0, max_value=10**6))
EVENTS_WITH_DELAYS = st.lists(st.one_of(ARRIVE, CALL, DELAY), max_size=300)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=30), st.data(), st.integers(1, 5))
def test_with_distinct_times_a_delay_moves_back_exactly_n_places_in_its_class(kinds, data, n):
    waiting = {
        i: Candidate(i, p, T0 + timedelta(seconds=i), i) for i, p in enumerate(kinds, start=1)
    }
    chosen = data.draw(st.sampled_from(sorted(waiting)))
    me = waiting[chosen]
    before = place(waiting.values(), me)
    same_class = [c for c in waiting.values() if c.priority == me.priority]
    behind = len(same_class) - 1 - before
    others = sorted(
        (c.id for c in waiting.values() if c.id != chosen), key=lambda i: order_key(waiting[i])
    )
    moved = delay(waiting, chosen, n)
    assert moved == (behind > 0)
    assert place(waiting.values(), waiting[chosen]) == before + min(n, behind)
    # Nobody else changes order.
    assert sorted(others, key=lambda i: order_key(waiting[i])) == others


@settings(max_examples=300, deadline=None)
@given(EVENTS_WITH_DELAYS, interleaves, st.integers(1, 4))
def test_with_delays_each_call_takes_the_ticket_whose_phone_shows_it_first(events, n, places):
    """Arrivals, calls and delays on one counter: every call takes, in its class, the ticket
    whose phone shows no one ahead; the call order announced (call_order) is what the presses
    take; the counter never idles while someone waits."""
    policy = CounterPolicy(interleave_n=n)
    waiting: dict[int, Candidate] = {}
    normals = FRESH_COUNTER_NORMALS
    now, next_id = T0, 1
    for event in events:
        if event[0] == "arrive":
            _, priority, gap, seq = event
            now += timedelta(seconds=gap)
            waiting[next_id] = Candidate(next_id, priority, now, seq)
            next_id += 1
        elif event[0] == "delay":
            if waiting:
                delay(waiting, sorted(waiting)[event[1] % len(waiting)], places)
        else:
            predicted = call_order(waiting.values(), policy, normals, limit=1)
            chosen = choose_next(waiting.values(), policy, normals)
            assert (chosen is None) == (not waiting)
            if chosen is None:
                continue
            assert predicted == [chosen]
            assert place(waiting.values(), chosen) == 0
            del waiting[chosen.id]
            normals = normals_after_call(chosen, normals)
    # The rest, drained: the full call order, and within each class the phones' places in turn.
    order = call_order(waiting.values(), policy, normals)
    for priority in (True, False):
        in_class = [c for c in order if c.priority == priority]
        assert [place(waiting.values(), c) for c in in_class] == list(range(len(in_class)))


def test_share_next_shows_each_ticket_under_the_counter_that_calls_it_first():
    both = ["A1", "A2", "A3", "A4", "A5"]
    shared = share_next([(2, both), (1, ["B1", *both]), (3, ["A9"])], 2)
    assert shared == {2: ["A1", "A2"], 1: ["B1", "A3"], 3: ["A9"]}
    assert share_next([(1, both), (2, both)], 3) == {1: ["A1", "A3", "A5"], 2: ["A2", "A4"]}
    assert share_next([], 3) == {}
