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
import random
import statistics
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
SHORT = (1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4)  # tests per run: a few minutes each
LONG = (6, 7, 8, 9, 10, 11, 12, 13, 14, 14, 15, 16)  # ten to twenty minutes
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
    seen_at: float | None  # arrival of the last status call: the one that saw ``done``
    last_gap: float | None  # real seconds between the last two calls: the pause spanning done

    @property
    def expected_poll_latency(self) -> float | None:
        """Half the pause that spanned ``done``, simulated seconds: the expected wait for the
        poll that sees it, without the luck of where in that pause ``done`` fell."""
        return None if self.last_gap is None else self.last_gap / 2 * SCALE

    @property
    def poll_latency(self) -> float | None:
        """Simulated seconds from ``done`` to the status call that saw it (the last one)."""
        if self.done_at is None or self.seen_at is None:
            return None
        return max(0.0, self.seen_at - self.done_at) * SCALE

    @property
    def exit_after_seen(self) -> float | None:
        """Real seconds from that call to the CLI's exit (answer, files, report, shutdown)."""
        if self.done_at is None or self.seen_at is None:
            return None
        return self.measured.ended - max(self.seen_at, self.done_at)

    @property
    def latency(self) -> float | None:
        """Seconds from ``done`` on the service to the CLI's exit, in simulated time.

        Only the waiting is simulated (compressed): the time from ``done`` to the call that
        saw it is scaled back up, the time from there to the exit is real work and is not.
        """
        if self.poll_latency is None or self.exit_after_seen is None:
            return None
        return self.poll_latency + self.exit_after_seen


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
    out.append(
        RunOutcome(
            mode,
            tests,
            seed,
            len(times),
            finished,
            measured,
            times[-1] if times else None,
            times[-1] - times[-2] if len(times) > 1 else None,
        )
    )


def simulate(quick: bool = False, first_seed: int = 1) -> list[RunOutcome]:
    """One round: every run of the mix, fixed and adaptive, all at the same time."""
    sizes = [*(QUICK_SHORT if quick else SHORT), *(QUICK_LONG if quick else LONG)]
    outcomes: list[RunOutcome] = []
    threads = []
    with tempfile.TemporaryDirectory(prefix="vibetesting-bench-") as tmp:
        work = Path(tmp)
        for seed, tests in enumerate(sizes, start=first_seed):
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


def median_difference_interval(
    a: list[float], b: list[float], confidence: float = 0.90, rounds: int = 2000
) -> tuple[float, float]:
    """Bootstrap interval of median(a) - median(b) (fixed seed, so reruns agree)."""
    rng = random.Random(0)
    diffs = sorted(
        median(rng.choices(a, k=len(a))) - median(rng.choices(b, k=len(b))) for _ in range(rounds)
    )
    tail = (1 - confidence) / 2
    return diffs[int(tail * rounds)], diffs[int((1 - tail) * rounds) - 1]


def run(quick: bool = False) -> list[Row]:
    sizes = len(QUICK_SHORT + QUICK_LONG) if quick else len(SHORT + LONG)
    rounds = 1 if quick else 2
    log(
        f"polling: {rounds} x {sizes} runs x 2 modes, time x{SCALE:g} (poll {POLL:g} s, "
        f"max {MAX_POLL:g} s, test ~{TEST_SECONDS:g} s, simulated)"
    )
    outcomes: list[RunOutcome] = []
    for index in range(rounds):
        outcomes += simulate(quick, first_seed=1 + index * 100)
    by_mode = {m: [o for o in outcomes if o.mode == m] for m in ("fixed", "adaptive")}
    calls = {m: sum(o.calls for o in runs) for m, runs in by_mode.items()}

    def values(mode: str, attribute: str) -> list[float]:
        found = (getattr(o, attribute) for o in by_mode[mode])
        return [v for v in found if v is not None]

    latency = {m: median(values(m, "latency")) for m in by_mode}
    poll_latency = {m: median(values(m, "poll_latency")) for m in by_mode}
    exit_real = {m: median(values(m, "exit_after_seen")) for m in by_mode}
    expected = {m: statistics.fmean(values(m, "expected_poll_latency")) for m in by_mode}
    # A detection more than two poll intervals after ``done``: the failure mode of slow
    # polling (a long pause that spans the end). Not one interval: on a busy machine a tenth of
    # a real second of scheduling delay is already 2.5 simulated seconds.
    late = {m: sum(1 for v in values(m, "poll_latency") if v > 2 * POLL) for m in by_mode}
    low, high = median_difference_interval(
        values("adaptive", "latency"), values("fixed", "latency")
    )
    saving = 1 - calls["adaptive"] / calls["fixed"]
    short_limit = max(QUICK_SHORT if quick else SHORT)

    def calls_of(mode: str, long: bool) -> int:
        return sum(o.calls for o in by_mode[mode] if (o.tests > short_limit) == long)

    runs = len(by_mode["fixed"])
    lat_ratio = latency["adaptive"] / latency["fixed"]
    return [
        Row(
            "adaptive polling",
            f"status calls, {runs} runs",
            f"{calls['adaptive']}",
            baseline=f"{calls['fixed']} (fixed {POLL:g} s)",
            ratio=f"-{saving:.0%}",
            target=f">= {CALL_SAVING_TARGET:.0%} fewer",
            met=saving >= CALL_SAVING_TARGET,
            note=(
                f"short runs (1-{short_limit} tests) {calls_of('adaptive', False)} vs "
                f"{calls_of('fixed', False)} calls, long runs {calls_of('adaptive', True)} vs "
                f"{calls_of('fixed', True)}; time compressed {SCALE:g}x, every figure in "
                "simulated seconds"
            ),
            data={"calls": calls, "saving": saving},
        ),
        Row(
            "adaptive polling",
            "median detection latency (done to exit)",
            f"{latency['adaptive']:.1f} s",
            baseline=f"{latency['fixed']:.1f} s (fixed {POLL:g} s)",
            ratio=f"{lat_ratio:.2f}x",
            target="no worse (within noise); no late detection",
            met=low <= 0 and late["adaptive"] <= late["fixed"],
            note=(
                f"difference of medians {latency['adaptive'] - latency['fixed']:+.1f} s, 90% "
                f"bootstrap interval {low:+.1f} to {high:+.1f} s (both poll every {POLL:g} s "
                f"near the end, so the medians differ only by chance; met = adaptive not "
                f"significantly worse). Done to the poll that saw it: median "
                f"{poll_latency['adaptive']:.1f} vs {poll_latency['fixed']:.1f} s (x{SCALE:g}); "
                f"half the pause spanning done (the expected wait, without the luck of "
                f"where done fell), mean {expected['adaptive']:.1f} vs {expected['fixed']:.1f} "
                f"s; that poll to the exit, real time: {exit_real['adaptive']:.2f} vs "
                f"{exit_real['fixed']:.2f} s. Detections over two intervals late: "
                f"{late['adaptive']} vs {late['fixed']}"
            ),
            data={
                "latency": latency,
                "poll_latency": poll_latency,
                "exit_real": exit_real,
                "late": late,
                "expected_poll_latency": expected,
                "interval": [low, high],
            },
        ),
    ]


if __name__ == "__main__":
    start = time.monotonic()
    quick = "--quick" in sys.argv
    rows = run(quick)
    print(text_table(rows))
    log(f"took {time.monotonic() - start:.0f} s")
