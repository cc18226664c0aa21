"""Typed results that flow from the API client through the waiter to the reporters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

DONE = "done"
RUNNING = "running"
PROCESSING = "processing"
KNOWN_STATES = frozenset({DONE, RUNNING, PROCESSING})

COUNT_FIELDS = (
    ("tests", "number_of_tests"),
    ("done", "number_of_done_tests"),
    ("passed", "number_of_passed_tests"),
    ("failed", "number_of_failed_tests"),
)


def _count(body: Mapping[str, Any], key: str, warnings: list[str]) -> int:
    value = body.get(key)
    if isinstance(value, bool) or value is None:
        warnings.append(f"{key} missing or null; counted as 0")
        return 0
    if isinstance(value, int):
        if value < 0:
            warnings.append(f"{key} is negative ({value}); counted as 0")
            return 0
        return value
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    warnings.append(f"{key} is not a count ({value!r:.40}); counted as 0")
    return 0


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


@dataclass(frozen=True, slots=True)
class ExecutionStatus:
    """One ``execution-status`` answer, normalised. ``warnings`` lists what was odd about it."""

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

    @property
    def finished(self) -> bool:
        return self.state == DONE

    @property
    def not_done(self) -> int:
        """Tests that neither passed nor failed (never negative, whatever the service says)."""
        return max(0, self.tests - self.passed - self.failed)

    @classmethod
    def from_api(cls, execution_id: int, body: Mapping[str, Any]) -> ExecutionStatus:
        warnings: list[str] = []
        state = _text(body, "execution_state").strip().lower()
        if not state:
            warnings.append("execution_state missing")
        elif state not in KNOWN_STATES:
            warnings.append(f"unknown execution_state {state!r}; still waiting")
        counts = {name: _count(body, key, warnings) for name, key in COUNT_FIELDS}
        if counts["passed"] + counts["failed"] > counts["tests"]:
            warnings.append(
                f"passed ({counts['passed']}) + failed ({counts['failed']}) exceed "
                f"number_of_tests ({counts['tests']}); using the larger total"
            )
            counts["tests"] = counts["passed"] + counts["failed"]
        return cls(
            execution_id=execution_id,
            state=state,
            suite_name=_text(body, "suite_name"),
            detailed_status=_text(body, "detailed_status"),
            start_time=_text(body, "start_time"),
            end_time=_text(body, "end_time"),
            report_url=_text(body, "full_report_link"),
            warnings=tuple(warnings),
            **counts,
        )


@dataclass(frozen=True, slots=True)
class TriggerResult:
    """What ``run-tests`` / ``run-suite`` answered."""

    execution_ids: tuple[int, ...]
    schedule_id: str | None = None
    message: str | None = None

    @property
    def scheduled(self) -> bool:
        return bool(self.schedule_id)


# How an execution's wait ended, when it did not end with the service saying ``done``.
INTERRUPTED_TIMEOUT = "timeout"
INTERRUPTED_CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    """The last known status of one awaited execution and what was written for it."""

    execution_id: int
    status: ExecutionStatus | None = None
    interrupted: str | None = None  # INTERRUPTED_TIMEOUT / INTERRUPTED_CANCELLED / None
    stopped: bool = False  # we asked the service to stop it
    report_file: str | None = None
    report_error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status is not None and self.status.finished


# ``result`` values (interface, "Exit codes").
RESULT_PASSED = "passed"
RESULT_FAILED = "failed"
RESULT_ERROR = "error"
RESULT_TIMEOUT = "timeout"
RESULT_CANCELLED = "cancelled"
RESULT_TRIGGERED = "triggered"
RESULT_SCHEDULED = "scheduled"


@dataclass(frozen=True, slots=True)
class Totals:
    tests: int = 0
    done: int = 0
    passed: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class RunResult:
    """Everything the reporters and CI adapters need about one ``run`` or ``wait``."""

    result: str
    exit_code: int
    executions: tuple[ExecutionResult, ...] = ()
    schedule_id: str | None = None
    test_names: tuple[str, ...] = ()  # names the run gave its tests (guided), in order
    message: str | None = None  # one line for people: why this result
    warnings: tuple[str, ...] = field(default=())  # every warning the log showed, in order
    error_code: str = "none"  # for machines: errors.ERROR_* or an exception's error_code

    @property
    def execution_ids(self) -> tuple[int, ...]:
        return tuple(e.execution_id for e in self.executions)

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
