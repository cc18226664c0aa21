"""A gate never turns green on an answer it cannot read (issue 16), in-process: whatever a status
answer holds, the verdict is green only when the answer proves it."""

from __future__ import annotations

from typing import Any

import xmlschema
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from junitparser import JUnitXml

from tests.support.paths import XSD
from tests.support.properties import examples
from vibetesting_ci.domain.models import (
    COUNT_FIELDS,
    ENDED_STATES,
    ExecutionResult,
    ExecutionStatus,
)
from vibetesting_ci.domain.report import build_report
from vibetesting_ci.domain.verdict import decide
from vibetesting_ci.errors import ExitCode

_SCHEMA = xmlschema.XMLSchema(str(XSD))

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-3, max_value=6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0.0, 1.0, 2.0, 1.5, -1.0])
    | st.sampled_from(["", "2", " 3 ", "one", "-1", "1.5", "٣", "0x2"]),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=2), inner),
    max_leaves=3,
)


STATES = st.sampled_from(["done", "DONE", "running", "processing", "queued", "", *ENDED_STATES])


@st.composite
def answers(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "success", "execution_state": draw(STATES)}
    for _name, key in COUNT_FIELDS:
        if draw(st.integers(0, 9)):  # mostly present
            body[key] = draw(JSON_VALUES)
    return body


def _proves_a_pass(body: dict[str, Any]) -> bool:
    """What an answer must hold to pass: done, four whole counts >= 0 that agree, at least one
    test, every one passed."""
    if str(body.get("execution_state", "")).strip().lower() != "done":
        return False
    values = []
    for _name, key in COUNT_FIELDS:
        value = body.get(key)
        if isinstance(value, bool) or value is None:
            return False
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or value < 0:
            return False
        values.append(value)
    tests, done, passed, failed = values
    return tests > 0 and failed == 0 and passed == tests and done == tests


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers(), st.booleans())
@example({"status": "success", "execution_state": "done", "number_of_tests": 0}, False)
@example({"status": "success", "execution_state": "done"}, False)
def test_the_verdict_is_green_only_when_the_answer_proves_it(body, allow_empty):
    status = ExecutionStatus.from_api(1001, body)
    result = decide(
        (ExecutionResult(1001, status),),
        interrupted=None,
        error=None,
        fail_on_timeout=True,
        signal_code=0,
        allow_empty=allow_empty,
    )
    empty_done = (
        allow_empty
        and status.is_done
        and status.problem is None
        and status.tests == status.done == status.passed == status.failed == 0
    )
    if result.exit_code == ExitCode.OK:
        assert status.finished, body  # never green while it is not over
        assert _proves_a_pass(body) or empty_done, body
    if status.finished and status.problem is not None:
        assert result.exit_code == ExitCode.API and status.problem.field in str(result.message)
    if status.ended:
        assert result.exit_code != ExitCode.OK
    assert "\n" not in (result.message or "")


def test_decide_order_of_precedence():
    unreadable = ExecutionStatus.from_api(
        1,
        {
            "execution_state": "done",
            "number_of_tests": 2,
            "number_of_done_tests": 2,
            "number_of_passed_tests": 2,
            "number_of_failed_tests": "two",
        },
    )
    ended = ExecutionStatus(2, "aborted", tests=1, done=1, passed=1)
    running = ExecutionStatus(3, "running", tests=1)
    executions = (ExecutionResult(1, unreadable), ExecutionResult(2, ended))
    base: dict[str, Any] = {"error": None, "fail_on_timeout": True, "signal_code": 0}
    # Unreadable beats an ended state and a timeout.
    assert decide(executions, interrupted=None, **base).exit_code == ExitCode.API
    with_timeout = (*executions, ExecutionResult(3, running, interrupted="timeout"))
    assert decide(with_timeout, interrupted="timeout", **base).exit_code == ExitCode.API
    # An ended state with every count passed still fails, also under --no-fail-on-timeout.
    only_ended = (ExecutionResult(2, ended),)
    assert decide(only_ended, interrupted=None, **base).exit_code == ExitCode.FAILED
    timed = (*only_ended, ExecutionResult(3, running, interrupted="timeout"))
    lenient = {**base, "fail_on_timeout": False}
    assert decide(timed, interrupted="timeout", **lenient).exit_code == ExitCode.FAILED
    # Cancel beats everything.
    assert (
        decide(executions, interrupted="cancelled", **{**base, "signal_code": 143}).exit_code == 143
    )


def test_unreadable_counts_while_running_are_warnings_and_keep_waiting():
    status = ExecutionStatus.from_api(1, {"execution_state": "running", "number_of_tests": None})
    assert not status.finished and not status.unreadable
    assert any("number_of_tests held null" in w for w in status.warnings)
    assert status.shown("tests") == "?"


def test_an_ended_execution_whose_counts_all_passed_is_never_green_in_the_junit():
    from vibetesting_ci.domain.models import RunResult
    from vibetesting_ci.render.junit import render_junit

    status = ExecutionStatus(9, "stopped", tests=2, done=2, passed=2)
    text = render_junit(
        build_report(RunResult("failed", 1, executions=(ExecutionResult(9, status),)))
    )
    _SCHEMA.validate(text)
    [suite] = list(JUnitXml.fromstring(text))
    assert suite.errors == 1 and suite.failures == 0
    assert any(
        c.name == "execution status" and "ended as 'stopped'" in c.result[0].message
        for c in suite
        if c.result
    )
