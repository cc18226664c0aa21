"""The polling schedule: fast near the end, slow while it is far, the first round spread."""

from __future__ import annotations

from functools import partial

from tests.support import builders
from vibetesting_ci.run.waiting import (
    FIRST_ROUND_RATE,
    MAX_CONCURRENT_CALLS,
    _Tracked,
    first_round_spread,
    next_interval,
)

status = partial(builders.status, 1)


def tracked(first_seen: float, first_done: int) -> _Tracked:
    return _Tracked(execution_id=1, first_seen=first_seen, first_done=first_done)


def test_next_interval_polls_fast_near_the_end_and_slowly_while_it_is_far() -> None:
    base, cap = 5.0, 60.0
    # 2 of 20 tests done in 120 s: 1,080 s left; half of it, capped.
    assert next_interval(tracked(0, 0), status("running", tests=20, done=2), 120, base, cap) == cap
    # 10 of 20 in 200 s: 200 s left, next poll in 100 s, capped at 60.
    assert next_interval(tracked(0, 0), status("running", tests=20, done=10), 200, base, cap) == cap
    # 18 of 20 in 180 s: 20 s left, poll in 10 s.
    assert (
        next_interval(tracked(0, 0), status("running", tests=20, done=18), 180, base, cap) == 10.0
    )
    # One test left at a fast pace: the poll interval.
    assert (
        next_interval(tracked(0, 0), status("running", tests=20, done=19), 190, base, cap) == base
    )
    # Processing, every test done, an unknown state or no counts: the poll interval.
    assert (
        next_interval(tracked(0, 0), status("processing", tests=20, done=20), 200, base, cap)
        == base
    )
    assert (
        next_interval(tracked(0, 0), status("running", tests=20, done=20), 200, base, cap) == base
    )
    assert next_interval(tracked(0, 0), status("queued", tests=20, done=2), 120, base, cap) == base
    assert next_interval(tracked(0, 0), status("running", tests=0, done=0), 120, base, cap) == base


def test_next_interval_counts_what_the_running_test_has_already_had() -> None:
    base, cap = 5.0, 60.0
    # 3 of 4 tests in 240 s: 80 s per test, one left.
    unknown = tracked(0, 0)
    assert next_interval(unknown, status("running", tests=4, done=3), 240, base, cap) == 40.0
    # The last progress was seen at 240 s, the answer before it came at 180 s: the running
    # test may have started then, so it may be 60 s into its 80: poll in 10 s, not 40.
    started = tracked(0, 0)
    started.test_started = 180.0
    assert next_interval(started, status("running", tests=4, done=3), 240, base, cap) == 10.0
    # Running longer than the average test: the end may come any moment.
    assert next_interval(started, status("running", tests=4, done=3), 300, base, cap) == base


def test_next_interval_without_progress_yet_stays_within_bounds() -> None:
    base, cap = 5.0, 60.0
    for done in range(0, 20):
        for elapsed in (0.0, 1.0, 30.0, 600.0):
            value = next_interval(
                tracked(0, done), status("running", tests=20, done=done), elapsed, base, cap
            )
            assert base <= value <= cap
    # Fixed polling: max == poll interval.
    assert (
        next_interval(tracked(0, 0), status("running", tests=20, done=2), 120, base, base) == base
    )


def test_first_round_is_spread_within_the_interval() -> None:
    assert first_round_spread(10, 5.0, MAX_CONCURRENT_CALLS) == 0.0
    for count in (17, 100, 1000, 10_000):
        for interval in (0.1, 1.0, 5.0, 10.0, 60.0):
            spread = first_round_spread(count, interval, MAX_CONCURRENT_CALLS)
            assert 0 < spread <= 0.8 * interval
            assert spread >= min(0.8 * interval, count / FIRST_ROUND_RATE)
