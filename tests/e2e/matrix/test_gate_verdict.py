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
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from junitparser import Error, JUnitXml

from faultkit.scenarios import BY_NAME, GATE_VERDICT_SCENARIOS
from tests.conftest import TOKEN, XSD, api_bodies, emulator_env, run_cli
from vibetesting_ci.config.testsfile import parse_tests
from vibetesting_ci.domain.models import (
    COUNT_FIELDS,
    ENDED_STATES,
    ExecutionResult,
    ExecutionStatus,
)
from vibetesting_ci.domain.report import build_report
from vibetesting_ci.domain.verdict import decide
from vibetesting_ci.emulator import EmulatorServer
from vibetesting_ci.errors import ExitCode, InputError, TriggerUncertain
from vibetesting_ci.safety.text import normalise
from vibetesting_ci.service.trigger import trigger_result

_SCHEMA = xmlschema.XMLSchema(str(XSD))
NAMES = [s.name for s in GATE_VERDICT_SCENARIOS]


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


def test_trigger_answers_unit():
    def check(answer: dict[str, Any], scheduled: bool = False) -> Any:
        return trigger_result("run-tests", {"status": "success", **answer}, scheduled=scheduled)

    assert check({"execution_ids": [7, 8]}).execution_ids == (7, 8)
    for ids in ([True], ["1"], [1.0], [0], [-3], [7, None], [], "7", None, {"a": 1}):
        with pytest.raises(TriggerUncertain, match="may have started"):
            check({"execution_ids": ids})
    with pytest.raises(TriggerUncertain, match="no execution_ids"):
        check({})
    with pytest.raises(TriggerUncertain, match="no schedule_id"):
        check({"execution_ids": [7]}, scheduled=True)
    with pytest.raises(TriggerUncertain, match="schedule_id held"):
        check({"execution_ids": [7], "schedule_id": {"x": 1}}, scheduled=True)
    unasked = check({"execution_ids": [7], "schedule_id": "s-1"})
    assert not unasked.scheduled and unasked.unasked_schedule == "s-1"
    asked = check({"execution_ids": [], "schedule_id": 42}, scheduled=True)
    assert asked.scheduled and asked.schedule_id == "42"


# -- the verdict, whatever the status answer holds (property) ---------------------------------

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


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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


# -- text normalisation --------------------------------------------------------------------------


def test_normalise_joins_pairs_and_rejects_halves():
    assert normalise("a\ud83d\ude00b") == "a\U0001f600b"
    assert normalise("plain ünïcode \U0001f600") == "plain ünïcode \U0001f600"
    for text, index, code in (
        ("\ud83d", 1, "U+D83D"),
        ("x\ude00", 2, "U+DE00"),
        ("\ude00\ud83d", 1, "U+DE00"),
        ("ab\udcff", 3, "U+DCFF"),
    ):
        with pytest.raises(ValueError, match=re.escape(f"character {index} is {code}, half of")):
            normalise(text)
    with pytest.raises(ValueError, match=r"character 4 is a byte that is not UTF-8 \(0xE9\)"):
        normalise("caf\udce9", from_os=True)


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

INTS = st.one_of(
    st.from_regex(r"\A[-+]?(0|[1-9][0-9_]{0,6})\Z"),
    st.from_regex(r"\A[-+]?0[0-7_]{1,5}\Z"),  # YAML 1.1 octal
    st.from_regex(r"\A[-+]?0x[0-9a-fA-F_]{1,5}\Z"),
    st.from_regex(r"\A[-+]?0b[01_]{1,6}\Z"),
    st.from_regex(r"\A[-+]?[1-9][0-9_]{0,2}(:[0-5]?[0-9]){1,3}\Z"),  # base 60
    st.just("99999999999999999999999999"),
)
FLOATS = st.one_of(
    st.from_regex(r"\A[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?\Z"),
    st.from_regex(r"\A[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*\Z"),  # base-60 float
    st.sampled_from([".inf", "-.Inf", "+.INF", ".nan", ".NaN", "1e5", "1E+2", "-0.0"]),
)
BOOLS = st.sampled_from(
    ["yes", "Yes", "YES", "no", "No", "true", "True", "FALSE", "on", "On", "off", "OFF", "y", "n"]
)
NULLS = st.sampled_from(["~", "null", "Null", "NULL", ""])
TIMESTAMPS = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2002-1-1"]),
)
OTHERS = st.sampled_from(
    [
        "!!binary aGVsbG8=",
        "!!binary",
        "<<",
        "=",
        "!!int x",
        "!!float y",
        "!!bool maybe",
        "!!timestamp 2001-99-99",
        "!!null x",
        "!!str 017",
        "!!set {a}",
        "!!omap [a: 1]",
        "!custom thing",
        "!!python/object:os.system x",
        "[1, 2]",
        "{a: 1}",
        "'017'",
        '"\\ud83d\\ude00"',
        '"\\ud83d"',
        '"\\udc00 x"',
        '"\\x00"',
        '"\\u0007 bell"',
        "- a",
    ]
)
STRINGS = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",), blacklist_characters="\r\n\x85\u2028\u2029"
    ),
    max_size=12,
).map(json.dumps)  # JSON strings: YAML reads them too
SCALARS = st.one_of(INTS, FLOATS, BOOLS, NULLS, TIMESTAMPS, OTHERS, STRINGS)

# Where a scalar can go, with the field path the error must name.
PLACES = {
    "flows_count": ("tests: [{name: a, steps: b}]\nflows_count: {v}\n", 2, "flows_count"),
    "max_steps_per_flow": (
        "tests: [{name: a, steps: b}]\nmax_steps_per_flow: {v}\n",
        2,
        "max_steps_per_flow",
    ),
    "execution_type": ("execution_type: {v}\ntests: [{name: a, steps: b}]\n", 1, "execution_type"),
    "general_instructions": (
        "tests: [{name: a, steps: b}]\ngeneral_instructions: {v}\n",
        2,
        "general_instructions",
    ),
    "focus_areas": ("tests: [{name: a, steps: b}]\nfocus_areas:\n  - {v}\n", 3, "focus_areas"),
    "login.identifier": (
        "tests: [{name: a, steps: b}]\nlogin:\n  identifier: {v}\n",
        3,
        "login",
    ),
    "name": ("- name: {v}\n  steps: x\n", 1, "tests[1]"),
    "steps": ("- name: a\n  steps: {v}\n", 2, "tests[1]"),
    "steps item": ("- name: a\n  steps:\n    - {v}\n", 3, "tests[1]"),
    "key": ("- name: a\n  steps: x\n  {v}: 3\n", 3, "tests[1]"),
}


def _yaml_line_ok(message: str, source: str, line: int, field: str) -> bool:
    match = re.match(rf"{re.escape(source)}:(\d+): (.*)$", message)
    if match is None:
        return False
    # Syntax errors name the line (maybe the next one) but no field; value errors both.
    row, rest = int(match.group(1)), match.group(2)
    if rest.startswith("not valid YAML or JSON"):
        return line <= row <= line + 2
    return row == line and (rest.startswith(field) or rest.startswith("unknown key"))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(PLACES)), SCALARS)
@example("flows_count", "017")
@example("flows_count", "1:30")
@example("max_steps_per_flow", "1:30.5")
@example("flows_count", "2001-12-14")
@example("flows_count", "!!binary aGVsbG8=")
@example("flows_count", "1.0")
@example("name", '"\\ud83d"')
def test_any_scalar_in_any_place_is_a_document_or_one_line_naming_file_line_field(place, value):
    template, line, field = PLACES[place]
    text = template.replace("{v}", value)
    for source, doc in (("tests.yml", text), ("tests.json", None)):
        if doc is None:  # the same value in a JSON document, where JSON can hold it
            try:
                loaded = json.loads(value) if value else None
            except ValueError:
                continue
            doc = _as_json(place, loaded)
            line = 1
        try:
            document = parse_tests(doc, source)
        except InputError as exc:
            message = str(exc)
            assert "\n" not in message
            assert _yaml_line_ok(message, source, line, field), (place, value, message)
            continue
        # Accepted: every string kept is real text (no surrogate halves), every count positive.
        for test in document.tests:
            normalise(test.name)
            for step in (test.steps,) if isinstance(test.steps, str) else test.steps:
                normalise(step)
        for key in ("flows_count", "max_steps_per_flow"):
            if key in document.settings:
                assert isinstance(document.settings[key], int) and document.settings[key] >= 1


def _as_json(place: str, value: Any) -> str:
    test: dict[str, Any] = {"name": "a", "steps": "b"}
    doc: dict[str, Any] = {"tests": [test]}
    if place in ("flows_count", "max_steps_per_flow", "execution_type", "general_instructions"):
        doc[place] = value
    elif place == "focus_areas":
        doc[place] = [value]
    elif place == "login.identifier":
        doc["login"] = {"identifier": value}
    elif place == "name":
        test["name"] = value
    elif place == "steps":
        test["steps"] = value
    elif place == "steps item":
        test["steps"] = [value]
    else:
        test[str(value)] = 3
    return json.dumps(doc)


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


def test_every_scenario_of_the_block_is_in_the_matrix():
    assert all(name in BY_NAME for name in NAMES)
    assert all(
        BY_NAME[name].expect_exit != 0 or "allow" in name or "dry-run" in name for name in NAMES
    )


def test_yaml_loader_agrees_octal_and_base60_are_ints():
    """Why the tests file refuses them: YAML 1.1 (PyYAML) reads 017 as 15 and 1:30 as 90."""
    assert yaml.safe_load("a: 017")["a"] == 15
    assert yaml.safe_load("a: 1:30")["a"] == 90


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
