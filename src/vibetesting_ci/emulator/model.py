"""Executions, their clock-driven lifecycle, and the built-in suites.

Nothing runs in the background: an execution's state is computed from the monotonic clock
whenever somebody asks, so thousands of executions cost only their memory.
"""

from __future__ import annotations

import bisect
import math
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from vibetesting_ci.vocabulary import Endpoint, State

PASS = "pass"  # noqa: S105 - an outcome, not a password
FAIL = "fail"
HANG = "hang"
SKIP = "skip"

PACE_STEADY = "steady"
PACE_REALISTIC = "realistic"
PACES = (PACE_STEADY, PACE_REALISTIC)

STOPPED_BY_USER = "Stopped by user"
CANCELLED = "Cancelled"


# The markers in test names that steer outcomes, with what they do: ``emulator --help`` and
# docs/emulator.md list every one (tests/channels/docs/test_docs_lists.py checks both).
MARKERS: dict[str, str] = {
    "[fail]": "the test fails",
    "[slow]": "it takes 5x as long",
    "[hang]": "it never finishes (the execution stays running)",
    "[skip]": "it is never done (the execution ends done without it)",
    "[flaky]": "it fails the first run that holds it, passes later ones",
    "[flaky:N]": "it fails the first N runs, then passes (try --retry-failed)",
}


def outcome_from_name(name: str) -> tuple[str, float]:
    """(outcome, duration factor) steered by markers in a test name (case-insensitive);
    ``[flaky]`` is :func:`flaky_from_name`'s."""
    lowered = name.lower()
    factor = 5.0 if "[slow]" in lowered else 1.0
    if "[hang]" in lowered:
        return HANG, factor
    if "[skip]" in lowered:
        return SKIP, factor
    if "[fail]" in lowered:
        return FAIL, factor
    return PASS, factor


_FLAKY = re.compile(r"\[flaky(?::(\d{1,4}))?\]", re.IGNORECASE)


def flaky_from_name(name: str) -> int:
    """How many times a test fails before it passes: ``[flaky]`` 1, ``[flaky:N]`` N, else 0."""
    found = _FLAKY.search(name)
    if found is None:
        return 0
    return int(found.group(1)) if found.group(1) is not None else 1


@dataclass(frozen=True, slots=True)
class PlannedTest:
    name: str
    outcome: str = PASS
    factor: float = 1.0
    flaky: int = 0  # [flaky:N]: the first N runs of this test fail, later ones pass
    flaky_key: str = ""  # what the emulator counts runs by (default: the name)


@dataclass(frozen=True, slots=True)
class Suite:
    suite_id: int
    name: str
    executions: tuple[tuple[PlannedTest, ...], ...]


def _suite(suite_id: int, name: str, *groups: Sequence[tuple[str, str]]) -> Suite:
    return Suite(
        suite_id,
        name,
        tuple(
            tuple(PlannedTest(n, o, 1.0, flaky_from_name(n)) for n, o in group) for group in groups
        ),
    )


BUILTIN_SUITES: dict[int, Suite] = {
    1: _suite(
        1,
        "Smoke suite",
        [("Home page loads", PASS), ("Sign in with valid user", PASS), ("Search products", PASS)],
    ),
    2: _suite(
        2,
        "Checkout suite",
        [
            ("Add item to cart", PASS),
            ("Apply discount code", PASS),
            ("Pay with saved card", FAIL),
            ("Order confirmation email", PASS),
        ],
    ),
    3: _suite(
        3,
        "Parallel suite",
        [("Desktop sign up", PASS), ("Desktop sign in", PASS)],
        [("Mobile sign up", PASS), ("Mobile sign in", PASS)],
    ),
    5: _suite(
        5,
        "Flaky suite",
        [("Open the home page", PASS), ("Search results load [flaky]", PASS)],
    ),
}
MISSING_SUITE_ID = 404


def suite_for(suite_id: int, seed: int, pace: str) -> Suite | None:
    """The suite behind an id: the built-ins (:data:`BUILTIN_SUITES`), 404 missing, any other
    id two passing tests (1-8 at the realistic pace)."""
    if suite_id == MISSING_SUITE_ID:
        return None
    if suite_id in BUILTIN_SUITES:
        return BUILTIN_SUITES[suite_id]
    count = 2
    if pace == PACE_REALISTIC:
        count = random.Random(f"suite:{seed}:{suite_id}").randint(1, 8)
    tests = [(f"Suite {suite_id} test {i}", PASS) for i in range(1, count + 1)]
    return _suite(suite_id, f"Suite {suite_id}", tests)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


@dataclass(slots=True)
class TestState:
    """A planned test plus when it finishes (monotonic seconds since the execution started)."""

    name: str
    outcome: str
    finishes_at: float  # offset from the start; math.inf for a hanging test


@dataclass(eq=False)
class Execution:
    """One execution. Read-only for callers; the server mutates it under its lock."""

    execution_id: int
    suite_name: str
    tests: list[TestState]
    created: float  # time.monotonic() at creation
    created_wall: datetime
    processing_seconds: float
    token: str = ""
    origin: str = Endpoint.RUN_TESTS.value  # run-tests / run-suite
    schedule_id: str | None = None
    scheduled_for: str | None = None  # ISO text of the schedule occurrence
    stopped_at: float | None = None
    stop_reason: str | None = None
    report_sig: str = ""
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    _finish_offsets: list[float] = field(default_factory=list, repr=False)
    _passed_prefix: list[int] = field(default_factory=list, repr=False)
    _failed_prefix: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        # Tests run one after another, so finish offsets never decrease (inf after a hang):
        # counts at any moment are a bisect plus two prefix sums.
        self._finish_offsets = [t.finishes_at for t in self.tests]
        passed = failed = 0
        self._passed_prefix = [0]
        self._failed_prefix = [0]
        for test in self.tests:
            passed += test.outcome == PASS
            failed += test.outcome == FAIL
            self._passed_prefix.append(passed)
            self._failed_prefix.append(failed)

    # -- timeline -----------------------------------------------------------------------------
    @property
    def id(self) -> int:
        return self.execution_id

    @property
    def scheduled(self) -> bool:
        """Waiting for a schedule that never comes (the emulator does not start them)."""
        return self.schedule_id is not None and self.stopped_at is None

    @property
    def running_ends(self) -> float:
        """Monotonic time the last test finishes (inf if a test hangs)."""
        return self.created + (self._finish_offsets[-1] if self.tests else 0.0)

    @property
    def natural_done_at(self) -> float:
        return self.running_ends + self.processing_seconds

    def done_time(self) -> float | None:
        """Monotonic time it became (or will become) done; None if never (hang / schedule)."""
        if self.schedule_id is not None:
            return self.stopped_at
        if self.stopped_at is not None:
            return min(self.stopped_at, self.natural_done_at)
        end = self.natural_done_at
        return None if math.isinf(end) else end

    @property
    def stopped_early(self) -> bool:
        """Ended by stop-execution / cancel rather than by finishing its tests."""
        if self.stopped_at is None:
            return False
        return self.schedule_id is not None or self.stopped_at < self.natural_done_at

    def state_at(self, now: float) -> State:
        done = self.done_time()
        if done is not None and now >= done:
            return State.DONE
        if self.schedule_id is not None:
            return State.PROCESSING
        return State.RUNNING if now < self.running_ends else State.PROCESSING

    @property
    def state(self) -> State:
        return self.state_at(self.clock())

    def _finished_count(self, now: float) -> int:
        """How many tests have finished by ``now`` (none while scheduled)."""
        if self.schedule_id is not None:
            return 0
        horizon = now if self.stopped_at is None else min(now, self.stopped_at)
        return bisect.bisect_right(self._finish_offsets, horizon - self.created)

    def _counts(self, finished: int) -> tuple[int, int, int]:
        """(done, passed, failed) once ``finished`` tests are; [skip] tests are never done."""
        passed, failed = self._passed_prefix[finished], self._failed_prefix[finished]
        return passed + failed, passed, failed

    def outcomes_at(self, now: float) -> list[tuple[str, str]]:
        """Each test's (name, "passed" / "failed" / "running" / "not done")."""
        return self._outcomes(self.state_at(now), self._finished_count(now))

    def _outcomes(self, state: str, finished: int) -> list[tuple[str, str]]:
        result = []
        for index, test in enumerate(self.tests):
            if index < finished and test.outcome in (PASS, FAIL):
                result.append((test.name, "passed" if test.outcome == PASS else "failed"))
            elif index == finished and state == State.RUNNING:
                result.append((test.name, "running"))
            else:
                result.append((test.name, "not done"))
        return result

    def _detailed_status(self, state: str, finished: int) -> str:
        if state == State.DONE:
            if self.stopped_early:
                return self.stop_reason or STOPPED_BY_USER
            return _summary(self._outcomes(state, finished))
        if self.schedule_id is not None:
            return f"Scheduled for {self.scheduled_for}" if self.scheduled_for else "Scheduled"
        if state == State.PROCESSING:
            return "Processing results"
        name = self.tests[finished].name if finished < len(self.tests) else ""
        return f"Running test {finished + 1} of {len(self.tests)}: {name}"

    def wall(self, moment: float) -> datetime:
        return self.created_wall + timedelta(seconds=moment - self.created)

    def status_body(self, now: float) -> dict[str, Any]:
        """The ``execution-status`` answer fields (without the report link)."""
        state = self.state_at(now)
        tests_done = self._finished_count(now)  # worked out once, for the counts and the text
        done, passed, failed = self._counts(tests_done)
        scheduled = self.schedule_id is not None
        end = ""
        if state == State.DONE:
            finished = self.done_time()
            end = iso(self.wall(finished if finished is not None else now))
        return {
            "status": "success",
            "execution_state": state,
            "start_time": "" if scheduled else iso(self.created_wall),
            "end_time": end,
            "suite_name": self.suite_name,
            "number_of_tests": 0 if scheduled else len(self.tests),
            "number_of_done_tests": done,
            "number_of_passed_tests": passed,
            "number_of_failed_tests": failed,
            "detailed_status": self._detailed_status(state, tests_done),
            "full_report_link": "",
        }


def _summary(outcomes: Sequence[tuple[str, str]]) -> str:
    """A finished execution's one-line result, e.g. ``1 of 2 tests passed; 1 failed: b``."""
    total = len(outcomes)
    passed = [n for n, o in outcomes if o == "passed"]
    failed = [n for n, o in outcomes if o == "failed"]
    not_done = [n for n, o in outcomes if o not in ("passed", "failed")]
    noun = "test" if total == 1 else "tests"
    text = f"{len(passed)} of {total} {noun} passed"
    if failed:
        text += f"; {len(failed)} failed: {', '.join(failed)}"
    if not_done:
        text += f"; {len(not_done)} not done: {', '.join(not_done)}"
    return text


class Planner:
    """Turns planned tests into timed executions, deterministically from the seed."""

    def __init__(
        self,
        test_seconds: float,
        seed: int,
        pace: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if pace not in PACES:
            raise ValueError(f"pace must be one of {', '.join(PACES)}")
        if test_seconds < 0:
            raise ValueError("test_seconds must be 0 or more")
        self.test_seconds = test_seconds
        self.seed = seed
        self.pace = pace
        self.clock = clock

    def _rng(self, execution_id: int) -> random.Random:
        return random.Random(self.seed * 1_000_003 + execution_id)

    def _jitter(self, rng: random.Random) -> float:
        if self.pace == PACE_REALISTIC:
            return math.exp(rng.uniform(math.log(0.5), math.log(2.0)))
        return rng.uniform(0.8, 1.2)

    def default_flows(self, execution_id: int) -> int:
        if self.pace == PACE_REALISTIC:
            return random.Random(f"flows:{self.seed}:{execution_id}").randint(1, 6)
        return 3

    def build(
        self,
        execution_id: int,
        suite_name: str,
        planned: Sequence[PlannedTest],
        token: str,
        origin: str,
        now: float,
        wall: datetime | None = None,
        schedule_id: str | None = None,
        scheduled_for: str | None = None,
    ) -> Execution:
        rng = self._rng(execution_id)
        offset = 0.0
        tests = []
        for test in planned:
            duration = self.test_seconds * test.factor * self._jitter(rng)
            if test.outcome == HANG:
                offset = math.inf
            else:
                offset += duration
            tests.append(TestState(test.name, test.outcome, offset))
        processing = self.test_seconds * self._jitter(rng)
        return Execution(
            execution_id=execution_id,
            suite_name=suite_name,
            tests=tests,
            created=now,
            created_wall=wall or datetime.now(UTC),
            processing_seconds=processing,
            token=token,
            origin=origin,
            schedule_id=schedule_id,
            scheduled_for=scheduled_for,
            clock=self.clock,
        )
