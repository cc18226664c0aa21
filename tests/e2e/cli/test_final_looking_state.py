"""End to end: the real CLI against the loopback emulator answering a state the vendor does
not document. A final-looking one (``finished``) with every test counted ends the wait as
unreadable (exit 3, naming the state) after a few polls; without every test counted, or a
state such as ``queued``, the wait goes on until ``--timeout`` (exit 4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.cli import TOKEN, emulator_env, run_cli
from vibetesting_ci.domain.models import FINAL_LOOKING_GRACE
from vibetesting_ci.emulator import EmulatorServer

TESTS = '[{"name": "sign in", "steps": "sign in"}, {"name": "search", "steps": "search"}]'


def patch(state: str, done: int, passed: int = 0, failed: int = 0) -> str:
    fields = {
        "execution_state": state,
        "number_of_tests": 2,
        "number_of_done_tests": done,
        "number_of_passed_tests": passed,
        "number_of_failed_tests": failed,
    }
    return f"execution-status:patch:times=0,fields={json.dumps(fields)}"


def run(tmp_path: Path, fault: str, timeout: str = "30") -> tuple[Any, EmulatorServer]:
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, faults=[fault]) as srv:
        result = run_cli(
            ["run", "--tests", TESTS, "--timeout", timeout, "--poll-interval", "0.1"],
            cwd=tmp_path,
            env=emulator_env(srv),
            timeout=60,
        )
    return result, srv


def test_finished_with_every_test_counted_ends_as_unreadable_in_a_few_polls(
    tmp_path: Path,
) -> None:
    result, srv = run(tmp_path, patch("finished", 2, passed=2))
    assert result.returncode == 3, result.output
    (calls,) = srv.status_calls.values()
    assert len(calls) == FINAL_LOOKING_GRACE  # not the whole --timeout
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: execution 1001: unknown execution_state 'finished' with every test counted; "
        f"only 'done' is a pass: the wait ends it as unreadable (exit 3) after "
        f"{FINAL_LOOKING_GRACE} such answers in a row"
    ]
    verdict = result.stderr.splitlines()[-1]
    assert verdict.startswith("result: error (exit 3): execution 1001: execution_state held ")
    assert '"finished"' in verdict and "cannot establish the verdict" in verdict
    results = result.results()
    assert (results["result"], results["exit_code"]) == ("error", 3)
    assert results["error_code"] == "unreadable_answer"
    (execution,) = results["executions"]
    assert execution["state"] == "finished" and execution["passed"] == 2
    assert execution["unreadable"]["field"] == "execution_state"
    assert execution["unreadable"]["held"] == '"finished"'
    junit = result.file("vibetesting-junit.xml").read_text(encoding="utf-8")
    assert "<error" in junit and "finished" in junit  # never an all-passed view


def test_finished_with_tests_not_all_counted_waits_until_the_timeout(tmp_path: Path) -> None:
    result, srv = run(tmp_path, patch("finished", 1, passed=1), timeout="2")
    assert result.returncode == 4, result.output
    (calls,) = srv.status_calls.values()
    assert len(calls) > 2 * FINAL_LOOKING_GRACE
    assert "unknown execution_state 'finished'; still waiting" in result.stderr
    assert result.results()["result"] == "timeout"


def test_a_state_that_does_not_look_final_waits_until_the_timeout(tmp_path: Path) -> None:
    result, _ = run(tmp_path, patch("queued", 2, passed=2), timeout="2")
    assert result.returncode == 4, result.output
    assert "unknown execution_state 'queued'; still waiting" in result.stderr
    assert result.results()["result"] == "timeout"


def test_odd_state_fault_with_the_run_finishing_underneath(tmp_path: Path) -> None:
    """The emulator's ``odd-state`` fault: the counts are the real run's, so the grace only
    starts once every test is counted."""
    result, srv = run(tmp_path, "execution-status:odd-state:times=0,state=completed")
    assert result.returncode == 3, result.output
    assert 'execution_state held "completed"' in result.stderr
    (calls,) = srv.status_calls.values()
    assert len(calls) >= FINAL_LOOKING_GRACE
