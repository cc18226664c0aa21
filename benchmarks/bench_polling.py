"""Adaptive polling against fixed 5 s polling, over a mix of short and long runs.

Each run is one ``vibetesting run`` (one CI job) against its own emulator, whose tests finish
at a realistic, jittered pace (``pace="realistic"``: each test takes 0.5x-2x the nominal test
time, then the service spends 0.5x-2x of it processing). Time is compressed by ``SCALE`` (one
real second stands for ``SCALE`` simulated seconds) so "minutes" take seconds; every interval
and test time is divided by the same factor, so the ratios hold.

The same runs (same seed, same plan) are run twice, at the same time on the same machine:

* fixed:    ``--poll-interval 5 --max-poll-interval 5`` (what peers do);
* adaptive: ``--poll-interval 5 --max-poll-interval 60`` (the defaults' shape: poll slowly
  while progress says the end is far, every 5 s near it).

Figures: status calls (emulator's count) and the median detection latency, from the moment the
service says ``done`` (``srv.done_at``) to the CLI's exit, in simulated seconds.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from _common import (
    TOKEN,
    Measured,
    Row,
    clean_env,
    cli_command,
    log,
    median,
    run_measured,
    text_table,
)

from vibetesting_ci.emulator import EmulatorServer

SCALE = 25.0  # simulated seconds per real second
POLL = 5.0  # simulated seconds
MAX_POLL = 60.0
TEST_SECONDS = 45.0  # nominal simulated time of one test
SHORT = (1, 1, 2, 2, 3, 3, 4, 4)  # tests per run: a few minutes each
LONG = (6, 8, 9, 10, 12, 13, 14, 16)  # ten to twenty minutes
QUICK_SHORT = (1, 2, 3, 4)
QUICK_LONG = (6, 9, 12, 14)
CALL_SAVING_TARGET = 0.40


@dataclass
class RunOutcome:
    mode: str
    tests: int
    seed: int
    calls: int
    done_at: float | None
    measured: Measured
    first_after_done: float | None

    @property
    def latency(self) -> float | None:
        """Simulated seconds from ``done`` on the service to the CLI's exit."""
        if self.done_at is None:
            return None
        return (self.measured.ended - self.done_at) * SCALE

    @property
    def poll_latency(self) -> float | None:
        """Simulated seconds from ``done`` to the status call that saw it."""
        if self.done_at is None or self.first_after_done is None:
            return None
        return (self.first_after_done - self.done_at) * SCALE


def _one(mode: str, tests: int, seed: int, work: Path, out: list[RunOutcome]) -> None:
    srv = EmulatorServer(
        port=0, token=TOKEN, test_seconds=TEST_SECONDS / SCALE, seed=seed, pace="realistic"
    )
    srv.start()
    try:
        folder = work / f"{mode}-{seed}"
        folder.mkdir()
        plan = [{"name": f"Journey {i}", "steps": ["do it", "check it"]} for i in range(tests)]
        (folder / "tests.json").write_text(json.dumps(plan), encoding="utf-8")
        max_poll = POLL if mode == "fixed" else MAX_POLL
        env = clean_env(
            {
                "VIBETESTING_API_TOKEN": TOKEN,
                "VIBETESTING_API_URL": srv.url,
                "VIBETESTING_TIMEOUT": "600",
            }
        )
        cmd = [
            *cli_command(),
            "run",
            "--tests-file",
            "tests.json",
            "--poll-interval",
            f"{POLL / SCALE:g}",
            "--max-poll-interval",
            f"{max_poll / SCALE:g}",
            "--quiet",
        ]
        measured = run_measured(cmd, cwd=folder, env=env, timeout=600)
        if measured.returncode not in (0, 1):
            raise RuntimeError(f"{mode} run exited {measured.returncode}: {measured.stderr[-800:]}")
        calls = srv.status_calls
        done_at = srv.done_at
        (execution_id,) = srv.executions
    finally:
        srv.stop()
    times = sorted(calls.get(execution_id, []))
    finished = done_at.get(execution_id)
    first_after = next((t for t in times if finished is not None and t >= finished), None)
    out.append(RunOutcome(mode, tests, seed, len(times), finished, measured, first_after))


def simulate(quick: bool = False) -> list[RunOutcome]:
    sizes = [*(QUICK_SHORT if quick else SHORT), *(QUICK_LONG if quick else LONG)]
    outcomes: list[RunOutcome] = []
    threads = []
    with tempfile.TemporaryDirectory(prefix="vibetesting-bench-") as tmp:
        work = Path(tmp)
        for seed, tests in enumerate(sizes, start=1):
            for mode in ("fixed", "adaptive"):
                thread = threading.Thread(target=_one, args=(mode, tests, seed, work, outcomes))
                thread.start()
                threads.append(thread)
                time.sleep(0.05)  # do not start every interpreter in the same instant
        for thread in threads:
            thread.join()
    if len(outcomes) != len(threads):
        raise RuntimeError("some runs failed; see the messages above")
    return outcomes


def run(quick: bool = False) -> list[Row]:
    log(
        f"polling: {'8' if quick else '16'} runs x 2 modes, time x{SCALE:g} "
        f"(poll {POLL:g} s, max {MAX_POLL:g} s, test ~{TEST_SECONDS:g} s, simulated)"
    )
    outcomes = simulate(quick)
    by_mode = {m: [o for o in outcomes if o.mode == m] for m in ("fixed", "adaptive")}
    calls = {m: sum(o.calls for o in runs) for m, runs in by_mode.items()}
    latency = {
        m: median([o.latency for o in runs if o.latency is not None]) for m, runs in by_mode.items()
    }
    poll_latency = {
        m: median([o.poll_latency for o in runs if o.poll_latency is not None])
        for m, runs in by_mode.items()
    }
    saving = 1 - calls["adaptive"] / calls["fixed"]
    short_limit = max(QUICK_SHORT if quick else SHORT)

    def calls_of(mode: str, long: bool) -> int:
        return sum(o.calls for o in by_mode[mode] if (o.tests > short_limit) == long)

    breakdown = (
        f"short runs {calls_of('adaptive', False)} vs {calls_of('fixed', False)} calls, "
        f"long runs {calls_of('adaptive', True)} vs {calls_of('fixed', True)}; "
        f"median poll latency (done to the call that saw it) {poll_latency['adaptive']:.1f} s "
        f"vs {poll_latency['fixed']:.1f} s; time compressed {SCALE:g}x, figures in simulated s"
    )
    lat_ratio = latency["adaptive"] / latency["fixed"]
    return [
        Row(
            "adaptive polling",
            f"status calls, {len(by_mode['fixed'])} runs",
            f"{calls['adaptive']}",
            baseline=f"{calls['fixed']} (fixed {POLL:g} s)",
            ratio=f"-{saving:.0%}",
            target=f">= {CALL_SAVING_TARGET:.0%} fewer",
            met=saving >= CALL_SAVING_TARGET,
            note=breakdown,
            data={"calls": calls, "saving": saving},
        ),
        Row(
            "adaptive polling",
            "median detection latency (done to exit)",
            f"{latency['adaptive']:.1f} s",
            baseline=f"{latency['fixed']:.1f} s (fixed {POLL:g} s)",
            ratio=f"{lat_ratio:.2f}x",
            target="no worse (<= 1.00x)",
            met=lat_ratio <= 1.0,
            data={"latency": latency, "poll_latency": poll_latency},
        ),
    ]


if __name__ == "__main__":
    start = time.monotonic()
    quick = "--quick" in sys.argv
    rows = run(quick)
    print(text_table(rows))
    log(f"took {time.monotonic() - start:.0f} s")
