"""Progress people can read: live redraws on a terminal, a handful of lines in CI (issue 6).

The terminal mode is tested for real: the CLI runs with its stderr on a pseudo-terminal.
"""

from __future__ import annotations

import io
import re
from functools import partial

import pytest

from tests.support import builders
from tests.support.terminal import CURSOR_UP, SGR, plain
from vibetesting_ci.domain.models import ExecutionStatus
from vibetesting_ci.run.progress import (
    LIVE_ROWS,
    LiveProgress,
    LogProgress,
    choose_listener,
    colour_enabled,
    live_enabled,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


status = partial(builders.status, state="running", tests=4, done=0)


# -- choosing the mode and colour ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tty", "env", "colour", "live"),
    [
        (True, {"TERM": "xterm"}, True, True),
        (False, {"TERM": "xterm"}, False, False),
        (True, {"TERM": "xterm", "NO_COLOR": "1"}, False, True),
        (True, {"TERM": "xterm", "NO_COLOR": ""}, True, True),  # empty NO_COLOR: not set
        (True, {"TERM": "dumb"}, False, False),
        (False, {"FORCE_COLOR": "1"}, True, False),
        (True, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, True),  # NO_COLOR wins
        (True, {"TERM": "xterm", "FORCE_COLOR": "0"}, True, True),
        (True, {"TERM": "xterm", "CI": "true"}, True, False),  # a CI log is no terminal
        (True, {"TERM": "xterm", "JENKINS_URL": "http://ci/"}, True, False),
    ],
)
def test_colour_and_live_mode_rules(tty, env, colour, live):
    stream = Tty() if tty else io.StringIO()
    assert colour_enabled(stream, env) is colour
    assert live_enabled(stream, env) is live


def test_quiet_and_verbose_keep_the_log_mode():
    env = {"TERM": "xterm"}
    assert isinstance(choose_listener(Tty(), environ=env), LiveProgress)
    assert isinstance(choose_listener(Tty(), verbose=True, environ=env), LogProgress)
    quiet = choose_listener(Tty(), quiet=True, environ=env)
    assert isinstance(quiet, LogProgress) and quiet.quiet
    assert isinstance(choose_listener(io.StringIO(), environ=env), LogProgress)


# -- log mode ------------------------------------------------------------------------------------


def test_log_mode_prints_changes_and_a_heartbeat_a_minute_not_a_line_per_poll():
    out, clock = io.StringIO(), Clock()
    progress = LogProgress(out, clock=clock)
    previous = None
    # Ten minutes of polling every two seconds; the counts change three times.
    for poll in range(300):
        clock.now += 2
        done = min(3, poll // 60)
        current = status(7, done=done, passed=done)
        progress.status(previous, current)
        progress.tick([current])
        previous = current
    lines = out.getvalue().splitlines()
    changes = [line for line in lines if line.startswith("execution 7:")]
    heartbeats = [line for line in lines if line.startswith("still waiting")]
    assert len(changes) == 4  # first answer + three changes
    assert 6 <= len(heartbeats) <= 10  # at most one a minute, and only when nothing else printed
    assert len(lines) <= 14
    assert heartbeats[0].startswith("still waiting (1m")
    assert "0 of 1 executions done, 0/4 tests done" in heartbeats[0]


def test_log_mode_with_many_executions_aggregates_instead_of_a_line_each():
    out, clock = io.StringIO(), Clock()
    progress = LogProgress(out, clock=clock)
    ids = list(range(1, 201))
    latest: dict[int, ExecutionStatus | None] = dict.fromkeys(ids)
    # Ten minutes; every 2 s each execution moves one test on, until 4 of 4 are done.
    for step in range(300):
        clock.now += 2
        progress.tick(list(latest.values()))
        for i in ids:
            done = min(4, (step + i) // 40)
            failed = int(i % 50 == 0 and done == 4)
            state = "done" if done == 4 else "running"
            current = status(
                i, state=state, tests=4, done=done, passed=done - failed, failed=failed
            )
            progress.status(latest[i], current)
            latest[i] = current
    progress.close()
    lines = out.getvalue().splitlines()
    failures = [line for line in lines if line.startswith("execution ")]
    aggregates = [line for line in lines if line.startswith("progress (")]
    assert len(failures) == 4  # executions 50, 100, 150, 200: each ended with a failed test
    assert all(" failed (" in line or "1 failed" in line for line in failures)
    assert 5 <= len(aggregates) <= 21  # at most one each 30 s, only when totals changed
    assert len(lines) <= 30  # not 200 executions x 5 changes
    assert "): 200 of 200 executions done (4 with failed or unfinished tests)" in aggregates[-1]
    assert aggregates[-1].endswith("800/800 tests done, 796 passed, 4 failed")


def test_log_mode_quiet_prints_nothing_but_warnings_still_go_out():
    out, warned = io.StringIO(), []
    progress = LogProgress(out, quiet=True, warn=warned.append)
    progress.status(None, status(1))
    progress.warning("execution 1: odd state")
    progress.stopping([1], "timed out")
    assert out.getvalue() == ""
    assert warned == ["execution 1: odd state"]


# -- live mode -----------------------------------------------------------------------------------


def make_live(width: int = 100, colour: bool = True) -> tuple[LiveProgress, Tty, Clock]:
    out, clock = Tty(), Clock()
    return LiveProgress(out, colour=colour, clock=clock, width=lambda: width), out, clock


def test_live_block_is_redrawn_in_place():
    live, out, clock = make_live()
    first = [status(11), status(12, tests=10)]
    for s in first:
        live.status(None, s)
    live.tick(first)
    drawn = out.getvalue()
    assert CURSOR_UP.search(drawn) is None  # nothing to move over yet
    assert [plain(line).split()[:3] for line in drawn.splitlines()] == [
        ["11", "running", "0/4"],
        ["12", "running", "0/10"],
    ]
    clock.now += 1
    later = status(12, tests=10, done=3, passed=2, failed=1)
    live.status(first[1], later)
    live.tick([first[0], later])
    redraw = out.getvalue()[len(drawn) :]
    assert redraw.startswith("\r\x1b[2A\x1b[J")  # back over the two lines, clear, draw again
    row = plain(redraw).split("\n")[1]
    assert re.search(r"12\s+running\s+3/10\s+done\s+2 passed\s+1 failed\s+1s", row), row
    assert "\x1b[31m" in redraw  # failures in red


def test_live_redraws_are_rate_limited():
    live, _out, clock = make_live()
    live.tick([status(1)])
    base = live.redraws
    for i in range(100):  # a burst of answers within 0.1 s
        clock.now += 0.001
        current = status(1, done=i % 4)
        live.status(None, current)
        live.tick([current])
    assert live.redraws == base
    clock.now += 0.3
    live.tick([status(1, done=3)])
    assert live.redraws == base + 1


def test_live_final_state_is_drawn_even_within_the_rate_limit():
    live, out, clock = make_live()
    statuses = [status(1), status(2)]
    for s in statuses:
        live.status(None, s)
    live.tick(statuses)
    clock.now += 0.01
    done = [
        status(1, state="done", tests=4, done=4, passed=4),
        status(2, state="done", tests=4, done=4, passed=3, failed=1),
    ]
    for old, new in zip(statuses, done, strict=True):
        live.status(old, new)
    live.close()
    last_block = plain(out.getvalue().rsplit("\x1b[J", 1)[-1]).splitlines()
    assert [line.split()[1] for line in last_block] == ["done", "done"]
    size = len(out.getvalue())
    live.tick(done)  # closed: nothing more is drawn
    assert len(out.getvalue()) == size


def test_many_executions_show_an_aggregate_and_the_busiest_few():
    live, out, clock = make_live(width=120)
    statuses: list[ExecutionStatus | None] = []
    for i in range(40):
        if i < 25:
            statuses.append(
                status(
                    100 + i, state="done", tests=4, done=4, passed=4 - (i == 3), failed=int(i == 3)
                )
            )
        elif i < 35:
            statuses.append(status(100 + i, state="running", tests=4 + i, done=1, passed=1))
        else:
            statuses.append(None)  # not polled yet
    for s in statuses:
        if s is not None:
            live.status(None, s)
    clock.now += 65
    live.tick(statuses)
    lines = [plain(line) for line in out.getvalue().splitlines()]
    assert len(lines) <= LIVE_ROWS
    assert lines[0].startswith("40 executions: 25 done, 10 running, 5 waiting")
    assert "tests 110/435 done, 109 passed, 1 failed" in lines[0]
    assert lines[0].endswith("1m05s")
    # The busiest: running executions with the most tests left.
    assert [line.split()[0] for line in lines[1:]] == ["134", "133", "132", "131", "130"]
    assert all(len(line) <= 119 for line in lines)


def test_live_lines_never_wrap_and_warnings_go_above_the_block():
    live, out, _clock = make_live(width=40)
    long = status(
        5, state="done", tests=4, done=4, passed=4, detail="a very long detailed status " * 10
    )
    live.status(None, long)
    live.tick([long])
    assert all(len(plain(line)) <= 39 for line in out.getvalue().splitlines())
    live.warning("execution 5: odd")
    tail = out.getvalue().rsplit("warning: execution 5: odd\n", 1)
    assert tail[0].endswith("\r\x1b[1A\x1b[J")  # the block was cleared first
    assert plain(tail[1]).split()[:2] == ["5", "done"]  # and drawn again below


def test_live_without_colour_has_cursor_moves_but_no_colours():
    live, out, clock = make_live(colour=False)
    live.status(None, status(1))
    live.tick([status(1)])
    clock.now += 1
    live.tick([status(1)])
    assert SGR.search(out.getvalue()) is None
    assert CURSOR_UP.search(out.getvalue())


# -- the real CLI on a pseudo-terminal -----------------------------------------------------------
