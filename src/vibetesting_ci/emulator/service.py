"""The emulated service: request validation and the four endpoints, with no HTTP in sight."""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vibetesting_ci.emulator.model import (
    CANCELLED,
    FAIL,
    HANG,
    PASS,
    STOPPED_BY_USER,
    Execution,
    PlannedTest,
    Planner,
    flaky_from_name,
    outcome_from_name,
    suite_for,
)
from vibetesting_ci.vocabulary import (
    EXECUTION_TYPES,
    REPEATS,
    Endpoint,
    ExecutionType,
    Repeat,
    State,
)

REPEAT_STEPS = dict(zip(REPEATS, (timedelta(0), timedelta(days=1), timedelta(days=7)), strict=True))


class ApiFail(Exception):
    """An answer ``{"status": "fail", "reason": ...}`` with an HTTP status."""

    def __init__(self, http_status: int, reason: str) -> None:
        super().__init__(reason)
        self.http_status = http_status
        self.reason = reason


def _bad(reason: str) -> ApiFail:
    return ApiFail(400, reason)


# -- field validation -----------------------------------------------------------------------------
def _field(body: Mapping[str, Any], key: str, kind: type, reason: str) -> Any:
    """A field's value if it is a ``kind`` (true/false is no integer here); None if not given
    (JSON null counts as not given); otherwise a 400 answer saying ``reason``."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _bad(reason)
    return value


def _bool(body: Mapping[str, Any], key: str, where: str = "") -> bool | None:
    value: bool | None = _field(body, key, bool, f"{where}{key} must be true or false")
    return value


def _int(body: Mapping[str, Any], key: str, minimum: int = 1) -> int | None:
    value: int | None = _field(body, key, int, f"{key} must be an integer")
    if value is not None and value < minimum:
        raise _bad(f"{key} must be at least {minimum}")
    return value


def _str(body: Mapping[str, Any], key: str, where: str = "") -> str | None:
    value: str | None = _field(body, key, str, f"{where}{key} must be a string")
    return value


def _tests(value: Any) -> list[PlannedTest]:
    if not isinstance(value, list) or not value:
        raise _bad("tests must be a non-empty list of {name, steps} objects for guided runs")
    planned = []
    for index, item in enumerate(value):
        where = f"tests[{index}]"
        if not isinstance(item, dict):
            raise _bad(f"{where} must be an object with name and steps")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _bad(f"{where}.name is required and must be a non-empty string")
        steps = item.get("steps")
        if isinstance(steps, str):
            if not steps.strip():
                raise _bad(f"{where}.steps must not be empty")
        elif isinstance(steps, list):
            if not steps or not all(isinstance(s, str) and s.strip() for s in steps):
                raise _bad(f"{where}.steps must be a string or a non-empty list of strings")
        elif steps is None:
            raise _bad(f"{where}.steps is required (a string or a list of strings)")
        else:
            raise _bad(f"{where}.steps must be a string or a list of strings")
        outcome, factor = outcome_from_name(name)
        planned.append(PlannedTest(name, outcome, factor, flaky_from_name(name)))
    return planned


def _login(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise _bad("login must be an object with login_needed, identifier and password")
    needed = _bool(value, "login_needed", "login.")
    identifier = _str(value, "identifier", "login.")
    password = _str(value, "password", "login.")
    if needed and (not identifier or not password):
        raise _bad("login.identifier and login.password are required when login_needed is true")


def _focus_areas(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad("focus_areas must be a list of strings")


@dataclass(frozen=True, slots=True)
class Schedule:
    first: datetime
    repeat: str
    count: int
    timezone: str | None

    def occurrences(self) -> list[datetime]:
        step = REPEAT_STEPS[self.repeat]
        return [self.first + step * i for i in range(self.count)]

    def describe(self) -> str:
        text = f"from {self.first.isoformat()}"
        if self.count > 1:
            text += f", {self.repeat} x{self.count}"
        if self.timezone:
            text += f" ({self.timezone})"
        return text


def _schedule(body: Mapping[str, Any]) -> Schedule | None:
    """Validate the schedule fields; a Schedule if ``schedule_at`` is given."""
    repeat = _str(body, "repeat")
    if repeat is not None and repeat not in REPEATS:
        raise _bad(f"repeat must be one of {', '.join(REPEATS)}")
    count = _int(body, "repeat_count", 1)
    tz_name = _str(body, "timezone")
    zone = None
    if tz_name is not None:
        try:
            zone = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise _bad(
                f"unknown timezone {tz_name!r:.60} (use an IANA name like Asia/Jerusalem)"
            ) from None
    at = _str(body, "schedule_at")
    if at is None:
        return None
    try:
        first = datetime.fromisoformat(at.strip())
    except ValueError:
        raise _bad(
            "schedule_at must be an ISO 8601 datetime (e.g. 2030-04-04T02:00:00+03:00)"
        ) from None
    if first.tzinfo is None:
        first = first.replace(tzinfo=zone or UTC)
    return Schedule(first, repeat or Repeat.ONCE.value, count or 1, tz_name)


@dataclass(frozen=True, slots=True)
class Answer:
    http_status: int
    body: dict[str, Any]


class Service:
    """All executions, schedules and counters for one emulator; thread-safe."""

    def __init__(
        self,
        token: str,
        test_seconds: float,
        seed: int,
        pace: str,
        first_id: int = 1001,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.clock = clock
        self.planner = Planner(test_seconds, seed, pace, clock)
        self.lock = threading.RLock()
        self.executions: dict[int, Execution] = {}
        self.schedules: dict[str, list[int]] = {}
        self.runs_created = 0
        self.status_calls: dict[int, list[float]] = {}
        self.flaky_runs: dict[str, int] = {}  # [flaky] tests: runs created so far, by name
        self._next_id = first_id

    # -- creation -----------------------------------------------------------------------------
    def _create(
        self,
        groups: Sequence[Sequence[PlannedTest]],
        suite_name: str,
        origin: str,
        token: str,
        schedule: Schedule | None,
    ) -> dict[str, Any]:
        now = self.clock()
        wall = datetime.now(UTC)
        with self.lock:
            groups = [[self._flaky_outcome(test) for test in group] for group in groups]
            schedule_id = str(uuid.uuid4()) if schedule else None
            occurrences: list[str | None] = (
                [o.isoformat() for o in schedule.occurrences()] if schedule else [None]
            )
            ids = []
            for occurrence in occurrences:
                for group in groups:
                    execution_id = self._next_id
                    self._next_id += 1
                    execution = self.planner.build(
                        execution_id,
                        suite_name,
                        group,
                        token,
                        origin,
                        now,
                        wall,
                        schedule_id=schedule_id,
                        scheduled_for=occurrence,
                    )
                    execution.report_sig = secrets.token_urlsafe(12)
                    self.executions[execution_id] = execution
                    ids.append(execution_id)
            self.runs_created += len(ids)
            if schedule_id is None:
                return {"status": "success", "execution_ids": ids}
            assert schedule is not None
            self.schedules[schedule_id] = ids
            noun = "execution" if len(ids) == 1 else "executions"
            return {
                "status": "success",
                "schedule_id": schedule_id,
                "execution_ids": ids,
                "message": f"Scheduled {len(ids)} {noun} {schedule.describe()}",
            }

    def _flaky_outcome(self, test: PlannedTest) -> PlannedTest:
        """A ``[flaky:N]`` test fails the first N times a run holding it is created (counted
        per emulator by name), then passes; ``[fail]``, ``[hang]`` and ``[skip]`` win."""
        if not test.flaky or test.outcome != PASS:
            return test
        key = test.flaky_key or test.name
        seen = self.flaky_runs.get(key, 0)
        self.flaky_runs[key] = seen + 1
        return replace(test, outcome=FAIL if seen < test.flaky else PASS)

    def run_tests(self, body: Mapping[str, Any], token: str) -> Answer:
        kind = body.get("execution_type")
        if kind is None:
            raise _bad(f"execution_type is required ({' or '.join(EXECUTION_TYPES)})")
        if kind not in EXECUTION_TYPES:
            allowed = " or ".join(repr(word) for word in EXECUTION_TYPES)
            raise _bad(f"execution_type must be {allowed}, not {kind!r:.40}")
        for key in ("should_send_report", "should_stop_existing", "allow_parallel"):
            _bool(body, key)
        _int(body, "max_steps_per_flow")
        flows = _int(body, "flows_count")
        instructions = _str(body, "general_instructions") or ""
        _focus_areas(body.get("focus_areas"))
        _login(body.get("login"))
        schedule = _schedule(body)
        if kind == ExecutionType.GUIDED:
            planned = _tests(body.get("tests"))
            suite_name = "Guided run"
        else:
            outcome, factor = outcome_from_name(instructions)
            count = flows or self.planner.default_flows(self._next_id)
            planned = [PlannedTest(f"Exploration flow {i}", PASS, factor) for i in range(1, count)]
            last = outcome if outcome in (FAIL, HANG) else PASS
            flaky = flaky_from_name(instructions)
            planned.append(
                PlannedTest(f"Exploration flow {count}", last, factor, flaky, instructions)
            )
            suite_name = "Exploration run"
        groups = [[t] for t in planned] if body.get("allow_parallel") else [planned]
        if body.get("should_stop_existing") and schedule is None:
            self._stop_running(token)
        return Answer(
            200, self._create(groups, suite_name, Endpoint.RUN_TESTS.value, token, schedule)
        )

    def run_suite(self, body: Mapping[str, Any], token: str) -> Answer:
        if body.get("suite_id") is None:
            raise _bad("suite_id is required")
        suite_id = _int(body, "suite_id")
        assert suite_id is not None
        _bool(body, "should_send_report")
        schedule = _schedule(body)
        suite = suite_for(suite_id, self.planner.seed, self.planner.pace)
        if suite is None:
            raise ApiFail(404, "Suite not found")
        return Answer(
            200,
            self._create(suite.executions, suite.name, Endpoint.RUN_SUITE.value, token, schedule),
        )

    def _stop_running(self, token: str) -> None:
        now = self.clock()
        with self.lock:
            for execution in self.executions.values():
                if (
                    execution.token == token
                    and execution.schedule_id is None
                    and execution.state_at(now) != State.DONE
                ):
                    execution.stopped_at = now
                    execution.stop_reason = STOPPED_BY_USER

    # -- status / stop ------------------------------------------------------------------------
    def lookup(self, body: Mapping[str, Any]) -> Execution:
        if body.get("execution_id") is None:
            raise _bad("execution_id is required")
        value = _field(body, "execution_id", int, "execution_id must be an integer")
        execution = self.executions.get(value)
        if execution is None:
            raise ApiFail(404, "Execution not found")
        return execution

    def status(self, body: Mapping[str, Any]) -> tuple[Execution, dict[str, Any], bool]:
        """(execution, answer body, whether the caller asked for the report link)."""
        want_link = bool(_bool(body, "is_get_full_report_link"))
        execution = self.lookup(body)
        return execution, execution.status_body(self.clock()), want_link

    def stop(self, body: Mapping[str, Any]) -> Answer:
        if body.get("execution_id") is not None:
            execution = self.lookup(body)
            now = self.clock()
            with self.lock:
                if execution.state_at(now) == State.DONE:
                    return Answer(
                        200, {"status": "success", "message": "Execution already finished"}
                    )
                execution.stopped_at = now
                execution.stop_reason = STOPPED_BY_USER
            return Answer(200, {"status": "success", "message": "Execution stopped"})
        schedule_id = body.get("schedule_id")
        if schedule_id is None:
            raise _bad("execution_id or schedule_id (with cancel_scheduled: true) is required")
        if not isinstance(schedule_id, str):
            raise _bad("schedule_id must be a string")
        cancel = _bool(body, "cancel_scheduled")
        if not cancel:
            raise _bad("cancel_scheduled must be true to cancel a schedule")
        with self.lock:
            ids = self.schedules.get(schedule_id)
            if ids is None:
                raise ApiFail(404, "Schedule not found")
            now = self.clock()
            count = 0
            for execution_id in ids:
                execution = self.executions[execution_id]
                if execution.stopped_at is None:
                    execution.stopped_at = now
                    execution.stop_reason = CANCELLED
                    count += 1
        noun = "execution" if count == 1 else "executions"
        return Answer(
            200,
            {
                "status": "success",
                "schedule_id": schedule_id,
                "canceled_execution_count": count,
                "message": f"Cancelled {count} scheduled {noun}",
            },
        )

    def record_status_call(self, execution_id: int, when: float) -> None:
        with self.lock:
            self.status_calls.setdefault(execution_id, []).append(when)

    def done_at(self) -> dict[int, float]:
        now = self.clock()
        with self.lock:
            executions = list(self.executions.values())
        result = {}
        for execution in executions:
            finished = execution.done_time()
            if finished is not None and finished <= now:
                result[execution.execution_id] = finished
        return result
