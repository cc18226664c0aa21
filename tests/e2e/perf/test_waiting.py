"""Polling scales: 1,000 executions in one process, counted by the emulator (no timing asserted).

The properties checked hold on any machine, fast or slow: a poll is never sent before its due
time (the previous answer plus at least 0.9 interval), so two polls of one execution are never
closer than that; exactly one poll sees ``done`` and none follows it. How long rounds take and
how much memory is used is measured by ``benchmarks/bench_many.py``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TOKEN, run_cli
from vibetesting_ci.domain.models import ExecutionStatus
from vibetesting_ci.emulator import EmulatorServer
from vibetesting_ci.run.waiting import (
    FIRST_ROUND_RATE,
    JITTER,
    MAX_CONCURRENT_CALLS,
    _Tracked,
    first_round_spread,
    next_interval,
)

COUNT = 1000
INTERVAL = 1.0
RACE_MARGIN = 0.5  # seconds between a call's arrival stamp and its answer, at most


@pytest.fixture
def slow_emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.4, seed=3, pace="realistic") as server:
        yield server


def test_one_process_awaits_1000_executions_polling_each_once_per_interval(
    slow_emulator: EmulatorServer, tmp_path: Path
) -> None:
    srv = slow_emulator
    tests = [{"name": f"Page {i}", "steps": "open it"} for i in range(COUNT)]
    trigger = run_cli(
        ["run", "--no-wait", "--allow-parallel", "--tests", json.dumps(tests), "--quiet"],
        cwd=tmp_path,
        env={"VIBETESTING_API_TOKEN": TOKEN, "VIBETESTING_API_URL": srv.url},
    )
    assert trigger.returncode == 0, trigger.stderr
    ids = sorted(srv.executions)
    assert len(ids) == COUNT

    waited = run_cli(
        ["wait", *map(str, ids), "--poll-interval", str(INTERVAL), "--report-file", "", "-q"],
        cwd=tmp_path,
        env={
            "VIBETESTING_API_TOKEN": TOKEN,
            "VIBETESTING_API_URL": srv.url,
            "VIBETESTING_MAX_POLL_INTERVAL": str(INTERVAL),
            "VIBETESTING_TIMEOUT": "300",
        },
        timeout=300,
    )
    assert waited.returncode == 0, waited.stderr[-2000:]
    results = waited.results()
    assert len(results["executions"]) == COUNT
    assert all(e["state"] == "done" for e in results["executions"])

    calls = srv.status_calls
    done_at = srv.done_at
    assert sorted(calls) == ids  # every execution polled
    shortest = (1 - JITTER) * INTERVAL - 0.001
    for execution_id in ids:
        times = sorted(calls[execution_id])
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps, default=INTERVAL) >= shortest, (execution_id, gaps)
        # The last call saw ``done`` and no call came after it. (The emulator stamps a call when
        # it arrives and computes the answer a moment later, hence the margin.)
        done = done_at[execution_id]
        assert all(t < done for t in times[:-1]), (execution_id, times, done)
        assert times[-1] >= done - RACE_MARGIN, (execution_id, times, done)


def status(state: str, tests: int, done: int) -> ExecutionStatus:
    return ExecutionStatus(execution_id=1, state=state, tests=tests, done=done)


def tracked(first_seen: float, first_done: int) -> _Tracked:
    return _Tracked(execution_id=1, first_seen=first_seen, first_done=first_done)


def test_next_interval_polls_fast_near_the_end_and_slowly_while_it_is_far() -> None:
    base, cap = 5.0, 60.0
    # 2 of 20 tests done in 120 s: 1,080 s left; half of it, capped.
    assert next_interval(tracked(0, 0), status("running", 20, 2), 120, base, cap) == cap
    # 10 of 20 in 200 s: 200 s left, next poll in 100 s, capped at 60.
    assert next_interval(tracked(0, 0), status("running", 20, 10), 200, base, cap) == cap
    # 18 of 20 in 180 s: 20 s left, poll in 10 s.
    assert next_interval(tracked(0, 0), status("running", 20, 18), 180, base, cap) == 10.0
    # One test left at a fast pace: the poll interval.
    assert next_interval(tracked(0, 0), status("running", 20, 19), 190, base, cap) == base
    # Processing, every test done, an unknown state or no counts: the poll interval.
    assert next_interval(tracked(0, 0), status("processing", 20, 20), 200, base, cap) == base
    assert next_interval(tracked(0, 0), status("running", 20, 20), 200, base, cap) == base
    assert next_interval(tracked(0, 0), status("queued", 20, 2), 120, base, cap) == base
    assert next_interval(tracked(0, 0), status("running", 0, 0), 120, base, cap) == base


def test_next_interval_counts_what_the_running_test_has_already_had() -> None:
    base, cap = 5.0, 60.0
    # 3 of 4 tests in 240 s: 80 s per test, one left.
    unknown = tracked(0, 0)
    assert next_interval(unknown, status("running", 4, 3), 240, base, cap) == 40.0
    # The last progress was seen at 240 s, the answer before it came at 180 s: the running
    # test may have started then, so it may be 60 s into its 80: poll in 10 s, not 40.
    started = tracked(0, 0)
    started.test_started = 180.0
    assert next_interval(started, status("running", 4, 3), 240, base, cap) == 10.0
    # Running longer than the average test: the end may come any moment.
    assert next_interval(started, status("running", 4, 3), 300, base, cap) == base


def test_next_interval_without_progress_yet_stays_within_bounds() -> None:
    base, cap = 5.0, 60.0
    for done in range(0, 20):
        for elapsed in (0.0, 1.0, 30.0, 600.0):
            value = next_interval(tracked(0, done), status("running", 20, done), elapsed, base, cap)
            assert base <= value <= cap
    # Fixed polling: max == poll interval.
    assert next_interval(tracked(0, 0), status("running", 20, 2), 120, base, base) == base


def test_first_round_is_spread_within_the_interval() -> None:
    assert first_round_spread(10, 5.0, MAX_CONCURRENT_CALLS) == 0.0
    for count in (17, 100, 1000, 10_000):
        for interval in (0.1, 1.0, 5.0, 10.0, 60.0):
            spread = first_round_spread(count, interval, MAX_CONCURRENT_CALLS)
            assert 0 < spread <= 0.8 * interval
            assert spread >= min(0.8 * interval, count / FIRST_ROUND_RATE)
