"""Timeout, end to end: stop what is unfinished, write JUnit and results, exit 4 (or 0)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest


def junit_cases(outcome):
    root = ET.fromstring(outcome.files["vibetesting-junit.xml"])
    return list(root.iter("testcase"))


@pytest.mark.parametrize(
    ("scenario", "code", "stops"),
    [("timeout", 4, 1), ("timeout-no-fail", 0, 1), ("timeout-no-stop", 4, 0)],
)
def test_timeout_stops_writes_and_exits(matrix, scenario, code, stops):
    outcome = matrix[scenario]
    assert outcome.returncode == code, outcome.output
    assert outcome.calls("stop-execution") == stops
    if stops:
        assert [r.json for r in outcome.journal if r.endpoint == "stop-execution"] == [
            {"execution_id": 1001}
        ]
    results = outcome.results()
    assert results["result"] == "timeout" and results["exit_code"] == code
    (execution,) = results["executions"]
    assert execution["interrupted"] == "timeout" and execution["stopped"] is bool(stops)
    # Unfinished tests are errors in the JUnit file.
    cases = junit_cases(outcome)
    assert len(cases) == 2
    assert all(c.find("error") is not None for c in cases)
    assert {c.find("error").get("type") for c in cases} == {"timeout"}


def test_a_stalled_status_call_does_not_hold_the_deadline(matrix):
    """--timeout 2 while every status call stalls 30 s (--request-timeout 5): the waiter does
    not wait for the stalled request; it stops the run and exits 4 at the deadline."""
    outcome = matrix["timeout-status-stalled"]
    assert outcome.returncode == 4
    assert any(r.fault == "stall" for r in outcome.journal if r.endpoint == "execution-status")
    assert outcome.calls("stop-execution") == 1
    # Hang guard: deadline + one request timeout + the stop budget, with room for a slow box
    # (counted from the trigger's arrival, so a slow start-up does not count).
    seconds = outcome.seconds_since("run-tests")
    print(f"\ntimeout-status-stalled: exit {seconds:.1f} s after the trigger (--timeout 2)")
    assert seconds < 2 + 5 + 5 + 3, seconds
