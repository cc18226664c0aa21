"""Typed results that flow from the API client through the waiter to the reporters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from vibetesting_ci.errors import ErrorCode
from vibetesting_ci.safety.scrub import scrub
from vibetesting_ci.safety.text import clip
from vibetesting_ci.vocabulary import State

# Service text kept per execution (characters): enough for any real detailed status, bounded
# whatever a server sends (2 MB on each of 1,000 executions would be 2 GB).
DETAIL_LIMIT = 64 * 1024
SUITE_NAME_LIMIT = 1000
# States the vendor page does not list but that can only mean "over, and not passed": the
# execution ends at once as not passed (README, "Exit codes"). Any other state keeps waiting.
ENDED_STATES = frozenset({"failed", "error", "stopped", "cancelled", "canceled", "aborted"})
KNOWN_STATES = frozenset({State.DONE, State.RUNNING, State.PROCESSING}) | ENDED_STATES
# Unknown states that look final (README, "Exit codes"). With every test counted, the wait
# warns once and, after FINAL_LOOKING_GRACE such answers in a row, ends the execution as
# unreadable (exit 3, never a pass: only ``done`` is); without, it keeps waiting as for any
# other unknown state.
FINAL_LOOKING_STATES = frozenset(
    {
        "finished",
        "complete",
        "completed",
        "ended",
        "passed",
        "success",
        "succeeded",
        "successful",
    }
)
FINAL_LOOKING_GRACE = 3

COUNT_FIELDS = (
    ("tests", "number_of_tests"),
    ("done", "number_of_done_tests"),
    ("passed", "number_of_passed_tests"),
    ("failed", "number_of_failed_tests"),
)
_HELD_LIMIT = 60


@dataclass(frozen=True, slots=True)
class CountProblem:
    """Why an answer cannot establish a verdict: the field at fault, what it held (as JSON
    text; empty when missing) and why it cannot be right, e.g. ``number_of_failed_tests``,
    ``1.5``, ``"held 1.5, not a whole number"``; or ``execution_state`` for an unknown state
    that looked final (:meth:`ExecutionStatus.assume_final`)."""

    field: str
    held: str
    why: str
    contradiction: bool = False  # the value is a count, but the others contradict it

    @property
    def name(self) -> str:
        """The field's short name (``failed`` for ``number_of_failed_tests``)."""
        return next((name for name, key in COUNT_FIELDS if key == self.field), self.field)

    def describe(self) -> str:
        return f"{self.field} {self.why}"


def held_text(value: Any) -> str:
    """A value from an answer as one short line of JSON text (for messages)."""
    import json

    try:
        text = json.dumps(value, ensure_ascii=True, allow_nan=True)
    except (TypeError, ValueError):  # pragma: no cover - json.loads gives JSON types only
        text = repr(value)
    return text if len(text) <= _HELD_LIMIT else text[: _HELD_LIMIT - 3] + "..."


def read_count(body: Mapping[str, Any], key: str) -> tuple[int, CountProblem | None]:
    """A count from an answer: a whole number >= 0 (``12``, ``12.0`` or ``"12"``). Anything
    else (missing, null, a fraction, a word, a boolean, a negative number) is a problem; its
    value is then 0, which nothing may take for a verdict."""
    if key not in body:
        return 0, CountProblem(key, "", "is missing")
    value = body[key]
    held = held_text(value)
    if isinstance(value, bool) or value is None:
        return 0, CountProblem(key, held, f"held {held}, not a count")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        return 0, CountProblem(key, held, f"held {held}, not a whole number")
    if value < 0:
        return 0, CountProblem(key, held, f"held {held}, a negative count")
    return value, None


def _disagreement(counts: Mapping[str, int]) -> CountProblem | None:
    """The first way the four counts contradict each other, if any."""
    tests, done, passed, failed = (counts[name] for name, _ in COUNT_FIELDS)
    if passed + failed > tests:
        return CountProblem(
            "number_of_tests",
            str(tests),
            f"held {tests}, fewer than number_of_passed_tests ({passed}) + "
            f"number_of_failed_tests ({failed})",
            contradiction=True,
        )
    if done > tests:
        return CountProblem(
            "number_of_tests",
            str(tests),
            f"held {tests}, fewer than number_of_done_tests ({done})",
            contradiction=True,
        )
    if passed + failed > done:
        return CountProblem(
            "number_of_done_tests",
            str(done),
            f"held {done}, fewer than number_of_passed_tests ({passed}) + "
            f"number_of_failed_tests ({failed})",
            contradiction=True,
        )
    return None


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def parse_time(value: str) -> datetime | None:
    """An API time string as a datetime: ISO 8601 (``Z`` accepted) or Unix seconds/ms."""
    text = value.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        seconds = float(text)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None


def elapsed_ms(start: str, end: str) -> int | None:
    """Whole milliseconds from ``start`` to ``end`` (API time strings); None when either is
    unknown, they cannot be compared (one has a zone, the other not) or ``end`` is earlier."""
    first, last = parse_time(start), parse_time(end)
    if first is None or last is None or (first.tzinfo is None) != (last.tzinfo is None):
        return None
    try:
        delta: timedelta = last - first
    except OverflowError:
        return None
    ms = (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    return ms if ms >= 0 else None


def _looks_final(state: str, tests: int, done: int, counted: int) -> bool:
    return state in FINAL_LOOKING_STATES and tests > 0 and tests in (done, counted)


@dataclass(frozen=True, slots=True)
class ExecutionStatus:
    """One ``execution-status`` answer, normalised. ``warnings`` lists what was odd about it;
    ``problem`` says why its counts cannot be read (on a final answer: no verdict from it)."""

    execution_id: int
    state: str
    suite_name: str = ""
    tests: int = 0
    done: int = 0
    passed: int = 0
    failed: int = 0
    detailed_status: str = ""
    start_time: str = ""
    end_time: str = ""
    report_url: str = ""
    warnings: tuple[str, ...] = ()
    problem: CountProblem | None = None
    # The wait took an unknown, final-looking state as final (:meth:`assume_final`): finished,
    # and unreadable through its ``problem``.
    assumed_final: bool = False

    @property
    def is_done(self) -> bool:
        """The service says ``done``."""
        return self.state == State.DONE

    @property
    def ended(self) -> bool:
        """A state that means "over, not passed" (:data:`ENDED_STATES`)."""
        return self.state in ENDED_STATES

    @property
    def finished(self) -> bool:
        """Over: ``done``, an ended state, or a state :meth:`assume_final` took as final. A
        finished execution is never polled again."""
        return self.is_done or self.ended or self.assumed_final

    @property
    def looks_final(self) -> bool:
        """An unknown state of :data:`FINAL_LOOKING_STATES` with readable counts that count
        every test: ``number_of_tests`` > 0 and all of them done, or passed + failed."""
        return _looks_final(self.state, self.tests, self.done, self.passed + self.failed) and (
            self.problem is None
        )

    def assume_final(self, answers: int) -> ExecutionStatus:
        """This status taken as final after ``answers`` final-looking answers in a row
        (:attr:`looks_final`): finished and unreadable, the problem naming the state."""
        why = (
            f"held {held_text(self.state)} with every test counted in {answers} answers in a "
            f"row, a state the vendor does not document (only {State.DONE.value!r} is a pass)"
        )
        problem = CountProblem("execution_state", held_text(self.state), why)
        return replace(self, assumed_final=True, problem=problem)

    @property
    def unreadable(self) -> bool:
        """A final answer whose counts cannot establish the verdict."""
        return self.finished and self.problem is not None

    @property
    def not_done(self) -> int:
        """Tests that neither passed nor failed (never negative, whatever the service says)."""
        return max(0, self.tests - self.passed - self.failed)

    @property
    def total(self) -> int:
        """Tests the answer accounts for: ``tests``, or more when passed + failed exceed it."""
        return max(self.tests, self.passed + self.failed)

    def count(self, name: str) -> int | None:
        """``tests``/``done``/``passed``/``failed``, or None when the answer held no count
        there (its value here is a stand-in 0 that must not be shown as a count)."""
        problem = self.problem
        if problem is not None and not problem.contradiction and problem.name == name:
            return None
        value: int = getattr(self, name)
        return value

    def shown(self, name: str) -> str:
        """A count as text for people: ``?`` where the answer held no count."""
        value = self.count(name)
        return "?" if value is None else str(value)

    @classmethod
    def from_api(cls, execution_id: int, body: Mapping[str, Any]) -> ExecutionStatus:
        warnings: list[str] = []
        # Scrubbed before it is lowercased: a secret the service echoes here would otherwise
        # pass every scrubber (they match the secret's own case).
        state = scrub(_text(body, "execution_state")).strip().lower()
        counts: dict[str, int] = {}
        problem: CountProblem | None = None
        for name, key in COUNT_FIELDS:
            counts[name], found = read_count(body, key)
            problem = problem or found
        problem = problem or _disagreement(counts)
        if not state:
            warnings.append("execution_state missing")
        elif state not in KNOWN_STATES:
            tests, done, passed, failed = (counts[name] for name, _ in COUNT_FIELDS)
            looks = problem is None and _looks_final(state, tests, done, passed + failed)
            warnings.append(
                f"unknown execution_state {state!r} with every test counted; only 'done' is "
                f"a pass: the wait ends it as unreadable (exit 3) after {FINAL_LOOKING_GRACE} "
                "such answers in a row"
                if looks
                else f"unknown execution_state {state!r}; still waiting"
            )
        if problem is not None and state not in (State.DONE, *ENDED_STATES):
            # While it runs the counts are only progress: a warning, and wait for the end.
            warnings.append(f"{problem.describe()}; waiting for the final answer")
        return cls(
            execution_id=execution_id,
            tests=counts["tests"],
            done=counts["done"],
            passed=counts["passed"],
            failed=counts["failed"],
            state=state,
            # Service text is scrubbed of our secrets (it may echo them) and capped on arrival.
            suite_name=clip(scrub(_text(body, "suite_name")), SUITE_NAME_LIMIT),
            detailed_status=clip(scrub(_text(body, "detailed_status")), DETAIL_LIMIT),
            start_time=_text(body, "start_time"),
            end_time=_text(body, "end_time"),
            report_url=_text(body, "full_report_link"),
            warnings=tuple(warnings),
            problem=problem,
        )


@dataclass(frozen=True, slots=True)
class TriggerResult:
    """What ``run-tests`` / ``run-suite`` answered."""

    execution_ids: tuple[int, ...]
    schedule_id: str | None = None  # set only when the user asked for a schedule
    message: str | None = None
    unasked_schedule: str | None = None  # a schedule_id the answer gave an immediate run

    @property
    def scheduled(self) -> bool:
        return bool(self.schedule_id)


class Interrupted(StrEnum):
    """How an execution's wait ended, when it did not end with the service saying ``done``."""

    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    """The last known status of one awaited execution and what was written for it."""

    execution_id: int
    status: ExecutionStatus | None = None
    interrupted: Interrupted | None = None
    stopped: bool = False  # we asked the service to stop it
    report_file: str | None = None
    report_error: str | None = None
    # The run's tests it stands for (indexes into RunResult.test_names), where the CLI knows
    # them better than the counts tell: set by retries (labels.assign_tests honours it).
    tests: tuple[int, ...] | None = None

    @property
    def finished(self) -> bool:
        """The service says it is over (``done`` or an ended state)."""
        return self.status is not None and self.status.finished


class Result(StrEnum):
    """A run's ``result`` (interface, "Exit codes")."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    TRIGGERED = "triggered"
    SCHEDULED = "scheduled"


class Scope(StrEnum):
    """``Attempt.scope``: what an attempt ran."""

    FIRST = "first"  # the run as asked for
    FAILED_TESTS = "failed-tests"  # a retry of the failed tests only (--retry-failed)
    WHOLE_RUN = "whole-run"  # a retry of the whole run (--retry-failed-whole)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One trigger of a retried run and what its wait saw (``domain/retry_plan.py``)."""

    number: int  # 1 is the run as asked for, 2 the first retry...
    scope: Scope
    executions: tuple[ExecutionResult, ...] = ()
    test_names: tuple[str, ...] = ()  # the tests it ran (guided), in order
    result: str = ""  # its own verdict: a Result (Result.ERROR: the trigger failed)
    message: str = ""
    failed_tests: tuple[str, ...] | None = None  # which tests failed; None: not known

    @property
    def execution_ids(self) -> tuple[int, ...]:
        return tuple(e.execution_id for e in self.executions)


@dataclass(frozen=True, slots=True)
class Totals:
    tests: int = 0
    done: int = 0
    passed: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class RunResult:
    """Everything the reporters and CI adapters need about one ``run`` or ``wait``."""

    result: Result
    exit_code: int
    executions: tuple[ExecutionResult, ...] = ()
    schedule_id: str | None = None
    test_names: tuple[str, ...] = ()  # names the run gave its tests (guided), in order
    label: str = ""  # the tests' classname (config.labels.run_label); empty: plain "vibetesting"
    # A test whose classname is not ``label`` (a run from several tests files): name -> its own.
    classnames: Mapping[str, str] = field(default_factory=dict)
    target_url: str | None = None  # where the run tested, as shown (secrets as ***)
    allow_empty: bool = False  # --allow-empty: an execution done with no test does not fail
    message: str | None = None  # one line for people: why this result
    warnings: tuple[str, ...] = field(default=())  # every warning the log showed, in order
    error_code: ErrorCode = ErrorCode.NONE  # for machines (an exception's, or the verdict's)
    # Retries (--retry-failed): every attempt, the first included (empty: none was retried);
    # ``executions`` then hold each test's last attempt.
    attempts: tuple[Attempt, ...] = ()
    flaky: int = 0  # tests that failed, then passed on a retry
    flaky_tests: tuple[str, ...] = ()  # their names, where the run named them (else empty)
    threshold: str = ""  # --max-failures / --min-pass-rate: the sentence that decided

    @property
    def execution_ids(self) -> tuple[int, ...]:
        return tuple(e.execution_id for e in self.executions)

    @property
    def runs_started(self) -> int:
        """Billed runs known to have started: the first, and each retry whose trigger the
        service answered with new executions (a trigger refused, lost or answered with an
        earlier attempt's executions started none that is known)."""
        return 1 + sum(1 for a in self.attempts[1:] if a.executions)

    @property
    def totals(self) -> Totals:
        statuses = [e.status for e in self.executions if e.status is not None]
        return Totals(
            tests=sum(s.tests for s in statuses),
            done=sum(s.done for s in statuses),
            passed=sum(s.passed for s in statuses),
            failed=sum(s.failed for s in statuses),
        )

    @property
    def report_urls(self) -> tuple[str, ...]:
        return tuple(
            e.status.report_url for e in self.executions if e.status and e.status.report_url
        )

    @property
    def report_files(self) -> tuple[str, ...]:
        return tuple(e.report_file for e in self.executions if e.report_file)
