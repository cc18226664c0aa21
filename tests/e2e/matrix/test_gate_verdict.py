"""A gate never turns green on an answer it cannot read (issue 16; issue 10 items 4 and 5).

End to end (the real CLI against the emulator answering the odd bodies through its ``patch``
fault, the scenarios of the fault matrix's gate-verdict block): unreadable, missing, negative
or contradictory counts are exit 3 naming the field; ended states end at once as not passed;
``done`` with no test fails unless ``--allow-empty``; trigger answers with ids that are not
positive integers, or a schedule the user did not ask for (or asked for and did not get), are
handled as the README says; text with surrogate pairs keeps its character; YAML scalars and a
half login are input errors before anything is sent. Beside them, property tests for the pure
parts: whatever a status answer holds, the verdict is green only when the answer proves it,
and any scalar YAML 1.1 or JSON can hold gives a document or a one-line input error.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest
import xmlschema
from junitparser import Error, JUnitXml

from tests.support.cli import TOKEN, XSD, api_bodies, emulator_env, run_cli
from vibetesting_ci.domain.models import (
    ENDED_STATES,
)
from vibetesting_ci.emulator import EmulatorServer
from vibetesting_ci.errors import ExitCode

_SCHEMA = xmlschema.XMLSchema(str(XSD))


def junit(outcome: Any) -> JUnitXml:
    path = outcome.workdir / "vibetesting-junit.xml"
    _SCHEMA.validate(str(path))
    return JUnitXml.fromfile(str(path))


# -- end to end: status answers that cannot prove a verdict -----------------------------------

UNREADABLE = {
    "verdict-failed-count-fraction": ("number_of_failed_tests", "1.5"),
    "verdict-failed-count-word": ("number_of_failed_tests", '"one"'),
    "verdict-failed-count-bool": ("number_of_failed_tests", "true"),
    "verdict-failed-count-null": ("number_of_failed_tests", "null"),
    "verdict-failed-count-negative": ("number_of_failed_tests", "-1"),
    "verdict-done-counts-missing": ("number_of_tests", ""),
    "verdict-counts-disagree": ("number_of_tests", "2"),
    "verdict-counts-done-above-total": ("number_of_tests", "2"),
    "verdict-counts-done-below-outcomes": ("number_of_done_tests", "0"),
}


@pytest.mark.parametrize("scenario", sorted(UNREADABLE))
def test_a_final_answer_with_unreadable_counts_is_exit_3_naming_the_field(matrix, scenario):
    outcome = matrix[scenario]
    field, held = UNREADABLE[scenario]
    assert outcome.returncode == ExitCode.API, outcome.output
    results = outcome.results()
    assert results["result"] == "error" and results["exit_code"] == 3
    (execution,) = results["executions"]
    assert execution["unreadable"]["field"] == field
    assert execution["unreadable"]["held"] == held
    assert field in results["message"] and "cannot establish the verdict" in results["message"]
    # One line for people, naming the field and what it held.
    last = outcome.stderr.strip().splitlines()[-1]
    assert last.startswith("result: error (exit 3): execution 1001: " + field), last
    # At --verbose the raw answer is in the log (the scenarios run with -v).
    assert re.search(r"debug:   answer: \{.*" + re.escape(f'"{field}"'), outcome.stderr) or (
        held == "" and "debug:   answer: {" in outcome.stderr
    )
    # The JUnit says why, in an error case per test (keeping the tests' names); never a passing
    # case built from the garbage.
    [suite] = list(junit(outcome))
    assert [case.name for case in suite] == ["login works", "checkout works"]
    for case in suite:
        assert isinstance(case.result[0], Error) and field in case.result[0].message


def test_a_count_the_answer_did_not_hold_is_null_not_zero(matrix):
    (execution,) = matrix["verdict-failed-count-fraction"].results()["executions"]
    assert execution["failed"] is None
    assert execution["passed"] == 2  # the readable counts stay


@pytest.mark.parametrize("state", sorted(ENDED_STATES))
def test_an_ended_state_ends_at_once_as_not_passed(matrix, state):
    outcome = matrix[f"verdict-ended-{state}"]
    assert outcome.returncode == ExitCode.FAILED, outcome.output
    assert outcome.calls("execution-status") == 1  # no wait for the timeout, no second poll
    assert outcome.calls("stop-execution") == 0  # it is over: nothing to stop
    results = outcome.results()
    assert results["result"] == "failed"
    assert f"ended as '{state}'" in results["message"]
    (execution,) = results["executions"]
    assert execution["state"] == state and execution["interrupted"] is None
    # Its tests not done are errors (not skipped) in the JUnit.
    [suite] = list(junit(outcome))
    assert suite.errors == 2 and suite.skipped == 0
    assert all(isinstance(c.result[0], Error) for c in suite)
    assert all(f"ended as '{state}'" in c.result[0].text for c in suite)


def test_done_with_no_test_fails_by_default(matrix):
    outcome = matrix["verdict-done-zero-tests"]
    assert outcome.returncode == ExitCode.FAILED
    assert "the service ran no test" in outcome.results()["message"]
    [suite] = list(junit(outcome))
    assert [case.name for case in suite] == ["login works", "checkout works"]
    assert all("ran no test" in case.result[0].message for case in suite)


def test_allow_empty_passes_done_with_no_test(matrix):
    outcome = matrix["verdict-done-zero-tests-allowed"]
    assert outcome.returncode == ExitCode.OK, outcome.output
    assert outcome.results()["result"] == "passed"
    [suite] = list(junit(outcome))
    # The named tests stay in the test view, skipped (not run, not failed).
    assert suite.tests == suite.skipped == 2 and suite.failures == suite.errors == 0


def test_allow_empty_from_the_variable(cli):
    with EmulatorServer(
        port=0,
        token=TOKEN,
        test_seconds=30,
        faults=[
            'execution-status:patch:times=0,fields={"execution_state": "done", '
            '"number_of_tests": 0, "number_of_passed_tests": 0, '
            '"number_of_failed_tests": 0, "number_of_done_tests": 0}'
        ],
    ) as server:
        env = emulator_env(server, VIBETESTING_TIMEOUT="60")
        env["VIBETESTING_ALLOW_EMPTY"] = "yes"
        result = cli("run", "--tests", "[{name: a, steps: b}]", env=env)
        assert result.returncode == 0, result.output
        env["VIBETESTING_ALLOW_EMPTY"] = "perhaps"
        result = cli("run", "--tests", "[{name: a, steps: b}]", env=env)
        assert result.returncode == 2 and "VIBETESTING_ALLOW_EMPTY" in result.stderr
        assert len(api_bodies(server, "run-tests")) == 1  # the bad value sent nothing


# -- end to end: trigger answers -------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["trigger-ids-not-integers", "trigger-ids-not-positive"])
def test_ids_that_are_not_positive_integers_make_the_answer_unusable(matrix, scenario):
    outcome = matrix[scenario]
    assert outcome.returncode == ExitCode.API
    assert outcome.calls("run-tests") == 1  # may have started: never retried
    assert outcome.calls("execution-status") == 0  # and no id of it awaited
    results = outcome.results()
    assert results["result"] == "error" and results["executions"] == []
    assert "may have started" in results["message"]


def test_an_unasked_schedule_is_a_warning_and_the_executions_are_awaited(matrix):
    outcome = matrix["trigger-unasked-schedule"]
    assert "warning: run-tests: the answer names schedule sched-not-asked" in outcome.stderr
    assert outcome.calls("execution-status") >= 1
    results = outcome.results()
    assert results["schedule_id"] is None
    assert results["result"] == "failed"  # its one test failed: the verdict came from waiting


def test_an_asked_schedule_without_schedule_id_is_exit_3_never_a_wait(matrix):
    outcome = matrix["trigger-schedule-id-missing"]
    assert outcome.returncode == ExitCode.API
    assert outcome.calls("execution-status") == 0
    assert "no schedule_id" in outcome.results()["message"]


def test_a_scheduled_run_with_its_schedule_id_is_still_scheduled(tmp_path, api_env):
    result = run_cli(
        ["run", "--tests", "[{name: a, steps: b}]", "--schedule-at", "2030-01-01T02:00:00Z"],
        cwd=tmp_path,
        env=api_env,
    )
    assert result.returncode == 0, result.output
    assert result.results()["result"] == "scheduled"


# -- the verdict, whatever the status answer holds (property) ---------------------------------

# -- text normalisation --------------------------------------------------------------------------


def test_surrogate_pair_in_tests_json_keeps_the_character_in_the_run(tmp_path, emulator):
    tests = json.dumps([{"name": "smile \U0001f600", "steps": "look \U0001f600"}])  # ASCII only
    assert "\\ud83d\\ude00" in tests
    result = run_cli(["run", "--tests", tests], cwd=tmp_path, env=emulator_env(emulator))
    assert result.returncode == 0, result.output
    (body,) = api_bodies(emulator, "run-tests")
    assert body["tests"] == [{"name": "smile \U0001f600", "steps": "look \U0001f600"}]
    xml = (tmp_path / "vibetesting-junit.xml").read_text(encoding="utf-8")
    assert 'name="smile \U0001f600"' in xml and "\ufffd" not in xml
    _SCHEMA.validate(str(tmp_path / "vibetesting-junit.xml"))


def test_surrogate_pair_dry_run_prints_the_character(matrix):
    outcome = matrix["text-surrogate-pair-dry-run"]
    assert outcome.returncode == 0, outcome.output
    body = json.loads(outcome.stdout.split("\n", 2)[2])
    assert body["tests"][0]["name"] == "smile \U0001f600"


def test_lone_surrogate_in_tests_file_is_one_line_naming_the_line(tmp_path, emulator):
    (tmp_path / "tests.json").write_text(
        '[\n  {"name": "ok", "steps": "x"},\n  {"name": "half \\udc00", "steps": "x"}\n]\n',
        encoding="utf-8",
    )
    result = run_cli(
        ["run", "--tests-file", "tests.json"], cwd=tmp_path, env=emulator_env(emulator)
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: tests.json:3: tests[2].name: character 6 is U+DC00")
    assert len(result.stderr.strip().splitlines()) == 1
    assert api_bodies(emulator, "run-tests") == []


def test_a_variable_that_is_not_utf8_is_an_input_error(tmp_path, emulator):
    env = {k.encode(): v.encode() for k, v in emulator_env(emulator).items()}
    env[b"VIBETESTING_GENERAL_INSTRUCTIONS"] = b"caf\xe9"
    env[b"VIBETESTING_LOGIN_PASSWORD"] = b"p\xffw"
    env[b"VIBETESTING_LOGIN_IDENTIFIER"] = b"qa"
    base = {k.encode(): v.encode() for k, v in os.environ.items() if not k.startswith("VIBE")}
    proc = subprocess.run(
        [sys.executable, "-m", "vibetesting_ci", "run", "--tests", "[{name: a, steps: b}]"],
        cwd=tmp_path,
        env={**base, **env},
        capture_output=True,
        check=False,
        timeout=60,
    )
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2, stderr
    assert "not UTF-8" in stderr and "Traceback" not in stderr
    assert b"p\xffw" not in proc.stdout + proc.stderr
    assert api_bodies(emulator, "run-tests") == []


# -- YAML 1.1 / JSON scalars in a tests file (issue 10 item 4) ----------------------------------


def test_yaml_scalar_in_a_tests_file_end_to_end(tmp_path, emulator):
    (tmp_path / "tests.yml").write_text(
        "tests:\n  - name: a\n    steps: b\nflows_count: 017\n", encoding="utf-8"
    )
    result = run_cli(["run", "--tests-file", "tests.yml"], cwd=tmp_path, env=emulator_env(emulator))
    assert result.returncode == 2
    assert result.stderr.startswith("error: tests.yml:4: flows_count: must be a positive whole")
    assert "octal" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert emulator.journal == []


@pytest.mark.parametrize("scenario", ["tests-yaml-octal-count", "tests-yaml-sexagesimal-count"])
def test_yaml_scalar_inline_sends_nothing(matrix, scenario):
    outcome = matrix[scenario]
    assert outcome.returncode == 2 and outcome.journal == []
    assert len(outcome.stderr.strip().splitlines()) == 1


# -- a half login (issue 10 item 5) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "scenario", ["login-identifier-without-password", "login-password-without-identifier"]
)
def test_half_a_login_is_an_input_error_before_anything_is_sent(matrix, scenario):
    outcome = matrix[scenario]
    assert outcome.returncode == 2
    assert outcome.journal == []
    assert len(outcome.stderr.strip().splitlines()) == 1


def test_a_tests_file_identifier_without_password(tmp_path, emulator):
    (tmp_path / "tests.yml").write_text(
        "login: {identifier: qa@example.com}\ntests: [{name: a, steps: b}]\n", encoding="utf-8"
    )
    result = run_cli(["run", "--tests-file", "tests.yml"], cwd=tmp_path, env=emulator_env(emulator))
    assert result.returncode == 2
    assert "login.identifier" in result.stderr and "VIBETESTING_LOGIN_PASSWORD" in result.stderr
    assert emulator.journal == []
    # An empty password variable (a GitLab variable that is not set) is no password either.
    env = emulator_env(emulator, VIBETESTING_LOGIN_PASSWORD="")
    result = run_cli(["run", "--tests-file", "tests.yml"], cwd=tmp_path, env=env)
    assert result.returncode == 2 and emulator.journal == []


def test_status_command_shows_an_unreadable_count_as_unknown(tmp_path):
    fault = 'execution-status:patch:times=0,fields={"number_of_failed_tests": "one"}'
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.01, faults=[fault]) as server:
        env = emulator_env(server)
        started = run_cli(
            ["run", "--tests", "[{name: a, steps: b}]", "--no-wait"], cwd=tmp_path, env=env
        )
        assert started.returncode == 0, started.output
        result = run_cli(["status", "1001"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.output
    assert "?" in next(line for line in result.stdout.splitlines() if line.startswith("tests"))
    assert 'number_of_failed_tests held "one", not a whole number' in result.stderr


def test_wait_command_ends_at_once_on_an_ended_state(tmp_path):
    fault = 'execution-status:patch:times=0,fields={"execution_state": "aborted"}'
    with EmulatorServer(port=0, token=TOKEN, test_seconds=30, faults=[fault]) as server:
        env = emulator_env(server)
        started = run_cli(
            ["run", "--tests", "[{name: a, steps: b}]", "--no-wait"], cwd=tmp_path, env=env
        )
        assert started.returncode == 0, started.output
        result = run_cli(["wait", "1001", "--timeout", "600"], cwd=tmp_path, env=env)
        calls = len(api_bodies(server, "execution-status"))
    assert result.returncode == 1, result.output
    assert "ended as 'aborted'" in result.results()["message"]
    assert calls == 1 and result.results()["error_code"] == "tests_failed"
