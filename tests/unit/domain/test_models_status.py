"""Status classification, in-process: how one ``execution-status`` answer becomes an
``ExecutionStatus`` (state, counts, warnings) and what the result models derive from it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.builders import answer
from vibetesting_ci.domain.models import (
    FINAL_LOOKING_GRACE,
    FINAL_LOOKING_STATES,
    ExecutionResult,
    ExecutionStatus,
    RunResult,
    TriggerResult,
    elapsed_ms,
    parse_time,
)

# -- state ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "finished"),
    [("done", True), ("DONE", True), (" Done ", True), ("running", False), ("processing", False)],
)
def test_known_states_are_normalised_without_a_warning(state, finished):
    status = ExecutionStatus.from_api(7, answer(execution_state=state))
    assert status.state == state.strip().lower()
    assert status.finished is finished
    assert status.warnings == ()


@pytest.mark.parametrize("state", ["queued", "paused", "waiting", "new"])
def test_an_unknown_state_is_not_finished_and_says_so(state):
    status = ExecutionStatus.from_api(7, answer(execution_state=state))
    assert status.finished is False  # "done" or an ended state ends the wait
    assert status.looks_final is False
    assert status.warnings == (f"unknown execution_state {state!r}; still waiting",)


@pytest.mark.parametrize("state", sorted(FINAL_LOOKING_STATES))
def test_an_unknown_final_looking_state_with_every_test_counted_says_what_the_wait_does(state):
    status = ExecutionStatus.from_api(7, answer(execution_state=state.upper()))
    assert status.finished is False and status.unreadable is False  # the waiter decides
    assert status.looks_final is True
    assert status.warnings == (
        f"unknown execution_state {state!r} with every test counted; only 'done' is a pass: "
        f"the wait ends it as unreadable (exit 3) after {FINAL_LOOKING_GRACE} such answers "
        "in a row",
    )


@pytest.mark.parametrize(
    ("fields", "looks"),
    [
        ({}, True),  # 2 tests, 2 done, 2 passed
        ({"number_of_passed_tests": 1, "number_of_failed_tests": 1}, True),
        ({"number_of_done_tests": 2, "number_of_passed_tests": 0}, True),  # all done
        ({"number_of_done_tests": 1, "number_of_passed_tests": 1}, False),  # one still to do
        ({"number_of_tests": 0, "number_of_done_tests": 0, "number_of_passed_tests": 0}, False),
        ({"number_of_failed_tests": None}, False),  # a count that cannot be read
        ({"number_of_tests": "two"}, False),
        ({"number_of_done_tests": 3}, False),  # counts that contradict each other
        ({"number_of_done_tests": 1, "number_of_failed_tests": 1}, False),
    ],
)
def test_looks_final_needs_readable_counts_that_count_every_test(fields, looks):
    status = ExecutionStatus.from_api(7, answer(execution_state="finished", **fields))
    assert status.looks_final is looks
    if not looks:
        assert any("still waiting" in w for w in status.warnings)


@pytest.mark.parametrize("state", ["done", "running", "processing", "failed", "stopped"])
def test_known_and_ended_states_never_look_final(state):
    assert ExecutionStatus.from_api(7, answer(execution_state=state)).looks_final is False


def test_assume_final_makes_the_status_finished_and_unreadable_naming_the_state():
    status = ExecutionStatus.from_api(7, answer(execution_state="finished")).assume_final(3)
    assert status.assumed_final and status.finished and status.unreadable
    assert not status.is_done and not status.ended and not status.looks_final
    assert status.problem is not None and status.problem.field == "execution_state"
    assert status.problem.describe() == (
        'execution_state held "finished" with every test counted in 3 answers in a row, a '
        "state the vendor does not document (only 'done' is a pass)"
    )
    # The counts stay the service's, shown as counts.
    assert [status.count(n) for n in ("tests", "done", "passed", "failed")] == [2, 2, 2, 0]


@pytest.mark.parametrize(
    "state", ["failed", "error", "stopped", "cancelled", "canceled", "aborted", " Failed "]
)
def test_an_ended_state_is_finished_and_never_done(state):
    status = ExecutionStatus.from_api(7, answer(execution_state=state))
    assert status.finished is True and status.ended is True and status.is_done is False
    assert status.warnings == ()


@pytest.mark.parametrize("state", [..., None, "", "   "])
def test_a_missing_state_is_not_finished(state):
    status = ExecutionStatus.from_api(7, answer(execution_state=state))
    assert status.finished is False
    assert "execution_state missing" in status.warnings


def test_a_state_that_is_not_text_is_read_as_text():
    status = ExecutionStatus.from_api(7, answer(execution_state=123))
    assert status.state == "123" and status.finished is False


# -- counts (service answers the vendor page does not rule out) ----------------------------------


@pytest.mark.parametrize(
    ("value", "count"), [(3, 3), ("3", 3), (" 4 ", 4), (5.0, 5), (0, 0), ("0", 0)]
)
def test_counts_as_numbers_or_numeric_text(value, count):
    status = ExecutionStatus.from_api(7, answer(number_of_tests=value, number_of_passed_tests=0))
    assert status.tests == count
    assert status.warnings == ()


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (..., "is missing"),
        (None, "held null, not a count"),
        (True, "held true, not a count"),
        (-1, "held -1, a negative count"),
        ("many", 'held "many", not a whole number'),
        (1.5, "held 1.5, not a whole number"),
        ("-2", 'held "-2", not a whole number'),
        ([2], "held [2], not a whole number"),
    ],
)
def test_an_unreadable_count_in_a_final_answer_is_the_problem(value, said):
    status = ExecutionStatus.from_api(7, answer(number_of_failed_tests=value))
    assert status.unreadable and status.problem is not None
    assert status.problem.describe() == f"number_of_failed_tests {said}"
    assert status.count("failed") is None and status.shown("failed") == "?"
    assert status.warnings == ()  # a final answer: the problem is the verdict, not a warning


def test_an_unreadable_count_while_running_is_a_warning():
    status = ExecutionStatus.from_api(
        7, answer(execution_state="running", number_of_failed_tests=1.5)
    )
    assert not status.finished and not status.unreadable
    assert status.warnings == (
        "number_of_failed_tests held 1.5, not a whole number; waiting for the final answer",
    )


def test_passed_and_failed_above_the_total_contradict_it():
    status = ExecutionStatus.from_api(
        7, answer(number_of_tests=1, number_of_passed_tests=2, number_of_failed_tests=1)
    )
    assert status.unreadable and status.problem is not None
    assert status.problem.field == "number_of_tests" and status.problem.contradiction
    assert "fewer than number_of_passed_tests (2) + number_of_failed_tests (1)" in (
        status.problem.describe()
    )
    assert status.count("tests") == 1  # a contradiction keeps the values as given


@pytest.mark.parametrize(
    ("tests", "passed", "failed", "not_done"), [(5, 3, 1, 1), (5, 5, 0, 0), (4, 0, 0, 4)]
)
def test_not_done_is_what_neither_passed_nor_failed(tests, passed, failed, not_done):
    status = ExecutionStatus.from_api(
        7,
        answer(number_of_tests=tests, number_of_passed_tests=passed, number_of_failed_tests=failed),
    )
    assert status.not_done == not_done


def test_not_done_is_never_negative():
    assert ExecutionStatus(7, "done", tests=1, passed=3, failed=2).not_done == 0


def test_text_fields_are_kept_and_missing_ones_are_empty():
    status = ExecutionStatus.from_api(
        7,
        answer(
            suite_name="Checkout",
            detailed_status=None,
            start_time="2026-01-01T10:00:00Z",
            full_report_link="https://r.example/1.pdf",
        ),
    )
    assert status.execution_id == 7
    assert status.suite_name == "Checkout"
    assert status.detailed_status == ""
    assert status.start_time == "2026-01-01T10:00:00Z" and status.end_time == ""
    assert status.report_url == "https://r.example/1.pdf"


# -- what the result models derive --------------------------------------------------------------


def test_an_execution_is_finished_only_with_a_done_status():
    assert ExecutionResult(1).finished is False
    assert ExecutionResult(1, ExecutionStatus(1, "running")).finished is False
    assert ExecutionResult(1, ExecutionStatus(1, "done")).finished is True


def test_a_trigger_is_scheduled_only_with_a_schedule_id():
    assert TriggerResult((1001,)).scheduled is False
    assert TriggerResult((), schedule_id="").scheduled is False
    assert TriggerResult((), schedule_id="s-1").scheduled is True


def test_run_result_totals_ids_and_reports():
    done = ExecutionStatus(1, "done", tests=3, done=3, passed=2, failed=1, report_url="https://r/1")
    running = ExecutionStatus(2, "running", tests=2, done=1, passed=1)
    result = RunResult(
        "failed",
        1,
        executions=(
            ExecutionResult(1, done, report_file="r-1.pdf"),
            ExecutionResult(2, running),
            ExecutionResult(3),
        ),
    )
    assert result.execution_ids == (1, 2, 3)
    assert (result.totals.tests, result.totals.done) == (5, 4)
    assert (result.totals.passed, result.totals.failed) == (3, 1)
    assert result.report_urls == ("https://r/1",)
    assert result.report_files == ("r-1.pdf",)


# -- times -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-01T10:00:00Z", datetime(2026, 1, 1, 10, tzinfo=UTC)),
        ("2026-01-01T10:00:00z", datetime(2026, 1, 1, 10, tzinfo=UTC)),
        ("1767261600", datetime(2026, 1, 1, 10, tzinfo=UTC)),
        ("1767261600000", datetime(2026, 1, 1, 10, tzinfo=UTC)),  # milliseconds
        ("", None),
        ("yesterday", None),
        ("9" * 30, None),
    ],
)
def test_parse_time(text, expected):
    assert parse_time(text) == expected


def test_elapsed_ms():
    assert elapsed_ms("2026-01-01T10:00:00Z", "2026-01-01T10:00:01.5Z") == 1500
    assert elapsed_ms("2026-01-01T10:00:01Z", "2026-01-01T10:00:00Z") is None  # backwards
    assert elapsed_ms("2026-01-01T10:00:00", "2026-01-01T10:00:01Z") is None  # naive vs zoned
    assert elapsed_ms("", "2026-01-01T10:00:01Z") is None
