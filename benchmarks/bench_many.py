"""Many executions: one ``vibetesting wait`` process awaits 1,000 executions on the emulator.

The executions come from one ``run-tests`` call with ``allow_parallel`` and 1,000 tests (one
execution per test, realistic jittered durations). The CLI polls them with ``--poll-interval P``;
the emulator records when each status call arrived and when each execution became done.

Figures:
* the first round: every execution polled once within one interval of the first call;
* the shortest gap between two polls of one execution (at most one call per interval: the
  waiter's jitter allows 0.9 P) and the longest (a round that falls behind shows up as a gap
  over 1.1 P);
* polls of executions already known to be done (must be none: exactly one call sees ``done``);
* the CLI process's peak RSS (``wait4``), against 100 MiB.
"""

from __future__ import annotations

import itertools
import math
import sys
import tempfile
import time

from _common import (
    TOKEN,
    Row,
    clean_env,
    cli_command,
    fmt_s,
    log,
    post_json,
    run_measured,
    text_table,
)

from vibetesting_ci.emulator import EmulatorServer
from vibetesting_ci.run.waiting import JITTER

RSS_TARGET_MIB = 100.0
SLACK = 0.05  # of an interval: scheduling noise on a busy machine


def run(quick: bool = False, count: int = 1000) -> list[Row]:
    interval = 5.0
    test_seconds = 4.0 if quick else 8.0  # one test: 0.5x-2x, plus processing 0.5x-2x
    srv = EmulatorServer(port=0, token=TOKEN, test_seconds=test_seconds, seed=5, pace="realistic")
    srv.start()
    try:
        tests = [{"name": f"Check page {i}", "steps": ["open it", "look"]} for i in range(count)]
        answer = post_json(
            srv.url + "run-tests/",
            {"execution_type": "guided", "allow_parallel": True, "tests": tests},
        )
        ids = [int(i) for i in answer["execution_ids"]]
        assert len(ids) == count, answer
        log(f"many: {count} executions created; vibetesting wait --poll-interval {interval:g}")
        env = clean_env(
            {
                "VIBETESTING_API_TOKEN": TOKEN,
                "VIBETESTING_API_URL": srv.url,
                "VIBETESTING_TIMEOUT": "600",
                "PYTHONUNBUFFERED": "1",
            }
        )
        with tempfile.TemporaryDirectory(prefix="vibetesting-bench-") as work:
            cmd = [
                *cli_command(),
                "wait",
                *map(str, ids),
                "--poll-interval",
                str(interval),
                "--max-poll-interval",
                str(interval),
                "--quiet",
            ]
            measured = run_measured(cmd, cwd=work, env=env, timeout=900)
        calls = srv.status_calls
        done_at = srv.done_at
    finally:
        srv.stop()
    if measured.returncode not in (0, 1):
        raise RuntimeError(
            f"vibetesting wait exited {measured.returncode}: {measured.stderr[-2000:]}"
        )

    first_calls = sorted(times[0] for times in calls.values() if times)
    first_round = first_calls[-1] - first_calls[0] if first_calls else float("nan")
    min_gap = float("inf")
    max_gap = 0.0
    after_done = 0  # calls after the one that saw ``done``
    never_polled = [i for i in ids if not calls.get(i)]
    total_calls = 0
    for execution_id in ids:
        times = sorted(calls.get(execution_id, []))
        total_calls += len(times)
        for a, b in itertools.pairwise(times):
            min_gap = min(min_gap, b - a)
            max_gap = max(max_gap, b - a)
        finished = done_at.get(execution_id)
        if finished is not None:
            after_done += max(0, sum(1 for t in times if t >= finished) - 1)
    last_done = max(done_at.values()) if done_at else measured.ended
    # One call per interval while unfinished, plus the one that sees ``done``.
    ideal = sum(
        math.ceil((done_at[i] - calls[i][0]) / interval) + 1
        for i in ids
        if i in done_at and calls.get(i)
    )

    low, high = (1 - JITTER) * interval, (1 + JITTER + SLACK) * interval
    rows = [
        Row(
            "many executions",
            f"first round ({count} executions)",
            fmt_s(first_round),
            baseline=f"interval {interval:g} s",
            ratio=f"{first_round / interval:.2f}",
            target="<= 1 interval",
            met=first_round <= interval and not never_polled,
            data={"first_round_s": first_round, "never_polled": len(never_polled)},
        ),
        Row(
            "many executions",
            "shortest gap between polls of one execution",
            fmt_s(min_gap),
            baseline=f"interval {interval:g} s",
            ratio=f"{min_gap / interval:.2f}",
            target=f">= {1 - JITTER:.1f} interval (jitter)",
            met=min_gap >= low * 0.999,
            note="at most one status call per unfinished execution per (jittered) interval",
            data={"min_gap_s": min_gap},
        ),
        Row(
            "many executions",
            "longest gap between polls of one execution",
            fmt_s(max_gap),
            baseline=f"interval {interval:g} s",
            ratio=f"{max_gap / interval:.2f}",
            target=f"<= {(1 + JITTER + SLACK):.2f} interval",
            met=max_gap <= high,
            note="every round kept its interval (a late round would stretch a gap)",
            data={"max_gap_s": max_gap},
        ),
        Row(
            "many executions",
            "status calls (polls after done)",
            f"{total_calls} ({after_done})",
            baseline=f"{ideal} at one per interval",
            ratio=f"{total_calls / ideal:.2f}" if ideal else "-",
            target="<= 1.05x; 0 after done",
            met=after_done == 0 and total_calls <= 1.05 * ideal,
            note="baseline: for each execution, one call per interval from its first call until "
            "done, plus the call that sees done (the +-10 % jitter moves the count a little "
            "either way)",
            data={"calls": total_calls, "after_done": after_done, "ideal": ideal},
        ),
        Row(
            "many executions",
            "peak RSS of the CLI",
            f"{measured.maxrss_mib:.0f} MiB",
            baseline="-",
            target=f"<= {RSS_TARGET_MIB:.0f} MiB",
            met=measured.maxrss_mib <= RSS_TARGET_MIB,
            note=(
                f"CLI CPU {measured.cpu:.1f} s for {total_calls} calls "
                f"({measured.cpu / max(1, total_calls) * 1000:.2f} ms per call, incl. start-up, "
                f"JUnit and {count} report downloads); exit {measured.ended - last_done:.1f} s "
                f"after the last execution was done, nearly all of it downloading the {count} "
                "PDF reports (four at a time)"
            ),
            data={
                "maxrss_mib": measured.maxrss_mib,
                "cpu_s": measured.cpu,
                "wall_s": measured.wall,
                "exit_after_last_done_s": measured.ended - last_done,
            },
        ),
    ]
    return rows


if __name__ == "__main__":
    start = time.monotonic()
    print(text_table(run(quick="--quick" in sys.argv)))
    log(f"took {time.monotonic() - start:.0f} s")
