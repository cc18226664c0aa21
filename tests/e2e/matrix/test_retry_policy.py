"""Retry policy, end to end: what is repeated, how often, how long, and what the user is told.

Status and stop calls change nothing a repeat could double, so they are retried (connection
errors, read timeouts, 429 with Retry-After, 5xx HTML pages, garbage bodies) with backoff and
jitter, never past ``--timeout``. Triggers start billed runs: only a 429 or a connection that
never opened is retried; anything else ends with exit 3 and what to do. Scenarios and their
common checks (exit code, runs created, requests per endpoint, no secrets) are in
``scripts/faultkit/scenarios.py`` and ``test_reliability_matrix.py``.
"""

from __future__ import annotations

import itertools

import pytest
import xmlschema

from tests.support.cli import XSD

UNCERTAIN = [
    "trigger-html500",
    "trigger-create-then-500",
    "trigger-create-then-drop",
    "trigger-drop",
    "trigger-read-timeout",
    "trigger-garbage",
]


def _gaps_after(outcome, endpoint, status):
    """Seconds from each answer with ``status`` to the next request on the same endpoint."""
    records = [r for r in outcome.journal if r.endpoint == endpoint]
    return [
        later.time - earlier.time
        for earlier, later in itertools.pairwise(records)
        if earlier.status == status
    ]


@pytest.mark.parametrize("scenario", UNCERTAIN)
def test_trigger_that_may_have_acted_is_not_repeated(matrix, scenario):
    outcome = matrix[scenario]
    assert outcome.returncode == 3
    assert outcome.calls("run-tests") == 1
    assert outcome.calls("execution-status") == 0
    results = outcome.results()
    assert results["result"] == "error" and results["exit_code"] == 3
    message = results["message"]
    assert "the run may have started" in message
    assert "dashboard" in message and "--stop-existing" in message
    # Told in words, not with a traceback.
    assert message in outcome.stderr and "Traceback" not in outcome.output


def test_trigger_read_timeout_run_did_start(matrix):
    """The service acted after the client gave up: exactly why a read timeout is not retried."""
    outcome = matrix["trigger-read-timeout"]
    assert outcome.runs_created == 1 and outcome.calls("run-tests") == 1
    assert "no answer within 1 s" in outcome.results()["message"]


def test_trigger_429_is_retried_after_retry_after(matrix):
    outcome = matrix["trigger-429"]
    assert outcome.returncode == 0
    assert [r.status for r in outcome.journal if r.endpoint == "run-tests"] == [429, 429, 200]
    gaps = _gaps_after(outcome, "run-tests", 429)
    assert len(gaps) == 2 and min(gaps) >= 0.9, gaps  # Retry-After: 1 honoured
    assert outcome.runs_created == 1


def test_trigger_429_with_a_fractional_retry_after_is_still_a_429(matrix):
    outcome = matrix["trigger-429-odd-retry-after"]
    assert outcome.returncode == 0
    assert [r.status for r in outcome.journal if r.endpoint == "run-tests"] == [429, 200]


def test_trigger_429_forever_gives_up_saying_nothing_started(matrix):
    outcome = matrix["trigger-429-forever"]
    assert outcome.returncode == 3 and outcome.runs_created == 0
    assert "nothing was started" in outcome.results()["message"]


def test_connection_refused_is_retried_then_nothing_was_started(matrix):
    outcome = matrix["trigger-refused"]
    assert outcome.returncode == 3 and outcome.runs_created == 0
    message = outcome.results()["message"]
    assert "could not connect" in message and "nothing was started" in message
    assert "may have started" not in message


@pytest.mark.parametrize(
    ("scenario", "fault", "said"),
    [
        ("status-html500", "html500", "HTTP 500 (text/html"),
        ("status-drop", "drop", "connection failed"),
        ("status-garbage", "garbage", "not the documented JSON"),
        ("status-429", "429", "HTTP 429"),
        ("status-read-timeout", "stall", "no answer within 1 s"),
    ],
)
def test_status_faults_are_retried_and_the_run_ends_normally(matrix, scenario, fault, said):
    outcome = matrix[scenario]
    assert outcome.returncode == 0, outcome.output
    statuses = [r for r in outcome.journal if r.endpoint == "execution-status"]
    faulted = [r for r in statuses if r.fault == fault]
    assert faulted, "the fault never fired"
    # Each faulty answer is followed by another try, and the last answer is a good one.
    assert statuses[-1].fault is None and statuses[-1].status == 200
    assert said in outcome.stderr and "retrying in" in outcome.stderr  # --verbose log
    assert outcome.results()["result"] == "passed"
    assert outcome.calls("stop-execution") == 0


def test_status_429_waits_for_retry_after(matrix):
    gaps = _gaps_after(matrix["status-429"], "execution-status", 429)
    assert len(gaps) == 2 and min(gaps) >= 0.9, gaps


def test_persistent_status_failure_exits_3_naming_the_last_error(matrix):
    outcome = matrix["status-500-forever"]
    assert outcome.returncode == 3
    results = outcome.results()
    assert results["result"] == "error" and results["exit_code"] == 3
    message = results["message"]
    assert message.startswith("execution-status (execution 1001): no usable answer after 10")
    assert "last error: HTTP 500" in message
    # Exactly max_attempts tries, then stop (no endless loop); executions are not stopped.
    assert outcome.calls("execution-status") == 10
    assert outcome.calls("stop-execution") == 0


def test_retry_after_beyond_the_deadline_is_not_slept(matrix):
    """Retry-After: 3600 with --timeout 3: the wait ends at the deadline, as a timeout."""
    outcome = matrix["status-429-past-deadline"]
    assert outcome.returncode == 4
    assert outcome.results()["result"] == "timeout"
    assert outcome.calls("stop-execution") == 1
    assert outcome.seconds_since("run-tests") < 20, "hang guard: the deadline was not honoured"


def test_status_fail_while_waiting_exits_3_with_the_reason(matrix):
    outcome = matrix["status-not-found"]
    assert outcome.returncode == 3
    message = outcome.results()["message"]
    assert "execution 1001" in message and "Execution not found" in message
    assert outcome.calls("execution-status") == 2  # a refusal is final: not retried


def test_unknown_state_keeps_waiting_with_one_warning(matrix):
    outcome = matrix["odd-state"]
    assert outcome.returncode == 0
    odd = [r for r in outcome.journal if r.fault == "odd-state"]
    assert len(odd) == 3
    warnings = [line for line in outcome.stderr.splitlines() if "unknown execution_state" in line]
    assert len(warnings) == 1, warnings


def test_null_counts_while_running_are_a_warning_and_the_final_answer_decides(matrix):
    outcome = matrix["null-counts"]
    assert outcome.returncode == 0
    assert "number_of_tests held null, not a count; waiting for the final answer" in outcome.stderr
    totals = outcome.results()["totals"]
    assert totals == {"tests": 2, "done": 2, "passed": 2, "failed": 0, "not_done": 0, "flaky": 0}


# -- the pieces urllib3/our loop cannot be driven to from outside in reasonable time -----------


def test_inconsistent_counts_are_no_verdict_and_extra_fields_never_crash(matrix):
    outcome = matrix["odd-counts"]
    # passed + failed exceed number_of_tests: no verdict can be read from that (exit 3).
    assert outcome.returncode == 3, outcome.output
    assert "Traceback" not in outcome.output
    results = outcome.results()
    assert results["result"] == "error"
    (execution,) = results["executions"]
    assert execution["unreadable"]["field"] == "number_of_tests"
    assert execution["not_done"] is None  # not a count: the counts cannot be trusted
    lines = [line for line in outcome.stderr.splitlines() if "fewer than" in line]
    assert lines and all("number_of_tests held 2" in line for line in lines), lines
    xmlschema.XMLSchema(str(XSD)).validate(str(outcome.workdir / "vibetesting-junit.xml"))
