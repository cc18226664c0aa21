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

from tests.support.cli import TOKEN, run_cli
from vibetesting_ci.emulator import EmulatorServer
from vibetesting_ci.run.waiting import (
    JITTER,
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
