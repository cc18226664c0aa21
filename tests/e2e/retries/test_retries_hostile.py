"""--retry-failed against answers the vendor's page does not rule out: the real CLI as a
subprocess against a loopback service (``tests/support/hostile_service.py``) whose retry answers are
odd: ids of an earlier attempt, more or fewer executions than tests retried, counts that do
not fit one test, an empty run. None of them may turn a failed test green."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from tests.support.builders import done_answer, guided_json
from tests.support.cli import TOKEN, XSD, CliResult, api_bodies, emulator_env, run_cli
from tests.support.hostile_service import HostileService
from vibetesting_ci.emulator import EmulatorServer

PASS, FAIL = done_answer(1, 1, 0), done_answer(1, 0, 1)


def run(
    tmp_path: Path,
    args: list[str],
    *,
    triggers: list[list[int]],
    statuses: dict[int, dict[str, Any]],
) -> tuple[CliResult, HostileService]:
    service = HostileService(
        token=TOKEN,
        triggers=[{"execution_ids": ids} for ids in triggers],
        statuses=statuses,
    )
    with service:
        env = {
            "VIBETESTING_API_TOKEN": TOKEN,
            "VIBETESTING_API_URL": service.url,
            "VIBETESTING_POLL_INTERVAL": "0.1",
            "VIBETESTING_TIMEOUT": "30",
        }
        result = run_cli(["run", *args], cwd=tmp_path, env=env, timeout=60)
    return result, service


def trigger_count(service: HostileService) -> int:
    return sum(1 for endpoint, _ in service.requests if endpoint in ("run-tests", "run-suite"))


def assert_failures_stand(result: CliResult, warning: str) -> dict[str, Any]:
    assert result.returncode == 1, result.output
    data = result.results()
    assert data["result"] == "failed" and data["exit_code"] == 1, data["message"]
    assert data["flaky"] == 0 and data["flaky_tests"] == []
    assert "flaky" not in data["message"]
    assert warning in result.stderr, result.stderr
    assert "the failures stand" in result.stderr
    junit = result.file("vibetesting-junit.xml").read_text(encoding="utf-8")
    xmlschema.XMLSchema(str(XSD)).validate(junit)
    cases = [(c.get("classname"), c.get("name")) for c in ET.fromstring(junit).iter("testcase")]
    assert len(cases) == len(set(cases))
    failing = [c for c in ET.fromstring(junit).iter("testcase") if c.find("failure") is not None]
    assert failing and all(c.find("flakyFailure") is None for c in failing)
    return data


PARALLEL = ["--allow-parallel", "--retry-failed", "2"]


def test_a_retry_answered_with_an_earlier_attempts_execution_id(tmp_path: Path) -> None:
    """The retry's answer names execution 101, which passed in the first attempt: its status
    says nothing about the retried test, which must not pass (or be flaky) on it."""
    result, service = run(
        tmp_path,
        ["--tests", guided_json("home", "pay"), *PARALLEL],
        triggers=[[101, 102], [101]],
        statuses={101: PASS, 102: FAIL},
    )
    data = assert_failures_stand(result, "execution id(s) 101 of an earlier attempt")
    assert trigger_count(service) == 2  # not retried again: the answer is unusable
    assert [e["id"] for e in data["executions"]] == [101, 102]
    assert data["failed_tests"] == ["pay"]


def test_the_same_with_the_emulator(tmp_path: Path) -> None:
    """The emulator creates the retry's run, then answers the first run's passed id."""
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, seed=1) as emulator:
        emulator.add_fault('run-tests:patch:after=1,times=0,fields={"execution_ids": [1001]}')
        env = emulator_env(emulator)
        args = ["run", "--tests", guided_json("home", "pay [fail]"), *PARALLEL]
        result = run_cli(args, cwd=tmp_path, env=env)
        assert len(api_bodies(emulator, "run-tests")) == 2
    data = assert_failures_stand(result, "execution id(s) 1001 of an earlier attempt")
    assert len({e["id"] for e in data["executions"]}) == len(data["executions"])


@pytest.mark.parametrize(
    ("retry_ids", "statuses", "why"),
    [
        # two tests retried, one execution answered, one test passed in it
        ([104], {104: PASS}, "1 execution(s) for 2 test(s) retried"),
        # two tests retried, one execution counting 3 tests, all passed
        ([104], {104: done_answer(3, 3, 0)}, "1 execution(s) for 2 test(s) retried"),
        # the same execution id twice (one execution for two tests)
        ([104, 104], {104: PASS}, "1 execution(s) for 2 test(s) retried"),
        # three executions for two tests, all passed
        ([104, 105, 106], {104: PASS, 105: PASS, 106: PASS}, "3 execution(s) for 2 test(s)"),
        # as many executions as tests, but one counts two tests
        (
            [104, 105],
            {104: done_answer(2, 2, 0), 105: PASS},
            "2 execution(s) for 2 test(s) retried",
        ),
    ],
    ids=["fewer", "counts-3", "repeated-id", "more", "two-in-one"],
)
def test_a_retry_whose_answer_does_not_map_to_the_retried_tests(
    tmp_path: Path, retry_ids: list[int], statuses: dict[int, dict[str, Any]], why: str
) -> None:
    result, service = run(
        tmp_path,
        ["--tests", guided_json("home", "pay", "cart"), *PARALLEL],
        triggers=[[101, 102, 103], retry_ids],
        statuses={101: PASS, 102: FAIL, 103: FAIL, **statuses},
    )
    data = assert_failures_stand(result, why)
    assert trigger_count(service) == 2
    assert data["totals"]["tests"] == 3 and data["totals"]["failed"] == 2
    assert data["failed_tests"] == ["pay", "cart"]


def test_a_retry_that_ran_no_test_under_allow_empty(tmp_path: Path) -> None:
    """--allow-empty accepts a run that ran no test; it cannot make a retried failure pass."""
    result, _service = run(
        tmp_path,
        ["--tests", guided_json("home", "pay"), *PARALLEL, "--allow-empty"],
        triggers=[[101, 102], [103]],
        statuses={101: PASS, 102: FAIL, 103: done_answer(0, 0, 0)},
    )
    assert_failures_stand(result, "execution(s) 103 ran no test")


def test_a_retry_that_passed_its_test_but_ended_stopped(tmp_path: Path) -> None:
    """An execution that ended 'stopped' is not a pass, whatever its counts: not flaky."""
    result, _service = run(
        tmp_path,
        ["--tests", guided_json("home", "pay"), "--allow-parallel", "--retry-failed", "1"],
        triggers=[[101, 102], [103]],
        statuses={101: PASS, 102: FAIL, 103: done_answer(1, 1, 0, execution_state="stopped")},
    )
    assert result.returncode == 1, result.output
    data = result.results()
    assert data["flaky"] == 0 and "flaky" not in result.stderr


@pytest.mark.parametrize(
    ("retry", "extra", "why"),
    [
        (done_answer(2, 2, 0), [], "it ran 2 test(s) where the run it repeats ran 4"),
        (done_answer(0, 0, 0), ["--allow-empty"], "execution(s) 102 ran no test"),
    ],
    ids=["fewer-tests", "empty"],
)
def test_a_whole_retry_that_ran_less_than_the_run(
    tmp_path: Path, retry: dict[str, Any], extra: list[str], why: str
) -> None:
    result, _service = run(
        tmp_path,
        ["--suite-id", "7", "--retry-failed", "1", "--retry-failed-whole", *extra],
        triggers=[[101], [102]],
        statuses={101: done_answer(4, 3, 1), 102: retry},
    )
    data = assert_failures_stand(result, why)
    assert [e["id"] for e in data["executions"]] == [101]


def test_a_whole_retry_that_ran_every_test_still_passes(tmp_path: Path) -> None:
    result, _service = run(
        tmp_path,
        ["--suite-id", "7", "--retry-failed", "1", "--retry-failed-whole"],
        triggers=[[101], [102]],
        statuses={101: done_answer(4, 3, 1), 102: done_answer(4, 4, 0)},
    )
    assert result.returncode == 0, result.output
    assert result.results()["flaky"] == 1


def test_a_test_whose_execution_ended_is_retried_again(tmp_path: Path) -> None:
    """The first retry's execution ends 'stopped' (its counts say 1 passed): the test did not
    pass, so the second retry reruns it alone; it passes there and is flaky."""
    result, service = run(
        tmp_path,
        ["--tests", guided_json("home", "pay"), *PARALLEL],
        triggers=[[101, 102], [103], [104]],
        statuses={
            101: PASS,
            102: FAIL,
            103: done_answer(1, 1, 0, execution_state="stopped"),
            104: PASS,
        },
    )
    assert result.returncode == 0, result.output
    assert trigger_count(service) == 3
    retried = [body["tests"] for endpoint, body in service.requests if endpoint == "run-tests"]
    assert [[t["name"] for t in tests] for tests in retried] == [["home", "pay"], ["pay"], ["pay"]]
    data = result.results()
    assert data["flaky"] == 1 and data["flaky_tests"] == ["pay"]
    assert [e["id"] for e in data["executions"]] == [101, 104]


def test_flaky_tests_are_named_as_in_the_junit(tmp_path: Path) -> None:
    """Two names that clean to one case name ('a  b' and 'a b'): the JUnit has 'a b' and
    'a b (2)', and the flaky list, the attempts' failed tests, the summary and the warning name
    them the same way (not by the configured text, which would point both at one case)."""
    from tests.support.github_output import parse_output_file

    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, seed=1) as emulator:
        env = emulator_env(
            emulator,
            GITHUB_ACTIONS="true",
            GITHUB_OUTPUT=str(tmp_path / "output"),
            GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
        )
        tests = guided_json("a  b [flaky]", "a b [flaky]", "c\tfails [fail]")
        args = ["run", "--tests", tests, "--allow-parallel", "--retry-failed", "1"]
        result = run_cli(args, cwd=tmp_path, env=env)
    assert result.returncode == 1, result.output
    junit = result.file("vibetesting-junit.xml").read_text(encoding="utf-8")
    names = [c.get("name") for c in ET.fromstring(junit).iter("testcase")]
    assert names == ["a b [flaky]", "a b [flaky] (2)", "c fails [fail]"]
    earlier = {
        c.get("name"): [f.get("message", "")[:30] for f in c if f.tag.endswith("Failure")]
        for c in ET.fromstring(junit).iter("testcase")
    }  # each case's earlier attempt is its own test's execution
    assert earlier == {
        "a b [flaky]": ["attempt 1 (execution 1001): fa"],
        "a b [flaky] (2)": ["attempt 1 (execution 1002): fa"],
        "c fails [fail]": ["attempt 1 (execution 1003): fa"],
    }
    data = result.results()
    assert data["flaky_tests"] == ["a b [flaky]", "a b [flaky] (2)"]
    first, retry = data["attempts"]
    assert first["failed_tests"] == ["a b [flaky]", "a b [flaky] (2)", "c fails [fail]"]
    assert retry["failed_tests"] == ["c fails [fail]"]
    assert data["failed_tests"] == ["c fails [fail]"]
    outputs = parse_output_file((tmp_path / "output").read_text(encoding="utf-8"))
    assert json.loads(outputs["failed-tests"]) == ["c fails [fail]"]
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "failed, then passed on a retry): a b \\[flaky\\], a b \\[flaky\\] \\(2\\)" in summary
    assert "2 flaky test(s), failed and then passed on a retry: a b [flaky], a b [flaky] (2)" in (
        result.stdout
    )


# -- a run whose executions count fewer tests than it sent ----------------------------------------

ONE_OF_ONE = (
    'execution-status:patch:times=0,fields={"number_of_tests": 1, "number_of_done_tests": 1, '
    '"number_of_passed_tests": 1, "number_of_failed_tests": 0}'
)


@pytest.mark.parametrize(
    ("fault", "extra"),
    [
        (ONE_OF_ONE, []),  # three tests sent, one counted (and passed)
        (ONE_OF_ONE, ["--max-failures", "5", "--min-pass-rate", "0"]),
        ('run-tests:patch:fields={"execution_ids": [1001, 1001]}', ["--allow-parallel"]),
    ],
    ids=["fewer-counted", "thresholds", "one-id-twice"],
)
def test_tests_the_service_never_counted_are_not_a_pass(
    tmp_path: Path, fault: str, extra: list[str]
) -> None:
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, seed=1) as emulator:
        emulator.add_fault(fault)
        env = emulator_env(emulator)
        args = ["run", "--tests", guided_json("home", "pay", "cart"), *extra]
        result = run_cli(args, cwd=tmp_path, env=env)
    assert result.returncode == 1, result.output
    data = result.results()
    assert data["result"] == "failed" and data["error_code"] == "no_tests"
    assert "the service counted 1 of the 3 tests sent" in data["message"], data["message"]
    if "--max-failures" in extra:
        assert "thresholds not applied: the service counted 1 of the 3" in data["message"]
    # The test view is not green where the exit code is not: one error case says why.
    junit = result.file("vibetesting-junit.xml").read_text(encoding="utf-8")
    xmlschema.XMLSchema(str(XSD)).validate(junit)
    root = ET.fromstring(junit)
    assert root.get("errors") == "1", junit
    (error,) = [c for c in root.iter("testcase") if c.find("error") is not None]
    assert error.get("name") == "tests not counted"
    text = error.findtext("error") or ""
    assert "fewer tests than the run sent" in text, text


# -- a cancel while the retry's trigger is out ----------------------------------------------------


def test_cancel_while_the_retry_trigger_is_answering_stops_what_it_started(
    tmp_path: Path,
) -> None:
    """SIGTERM while the retry's run-tests is out (the service takes 0.5 s to answer): the answer
    still comes within the grace, and the retry's execution is stopped, not left billed."""
    import signal

    from tests.support.cli import start_cli, wait_until

    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, seed=1) as emulator:
        emulator.add_fault("run-tests:stall:after=1,seconds=0.5")
        env = emulator_env(emulator)
        args = ["run", "--tests", guided_json("home", "pay [fail]"), *PARALLEL]
        proc = start_cli(args, cwd=tmp_path, env=env)
        try:
            assert wait_until(lambda: len(api_bodies(emulator, "run-tests")) == 2, timeout=30)
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
        retry_id = max(emulator.executions)
        stops = api_bodies(emulator, "stop-execution")
    assert proc.returncode == 143, err
    assert stops == [{"execution_id": retry_id}], err
    data = json.loads((tmp_path / "vibetesting-results.json").read_text(encoding="utf-8"))
    assert data["result"] == "cancelled" and data["flaky"] == 0
    assert [a["attempt"] for a in data["attempts"]] == [1, 2]
    junit = (tmp_path / "vibetesting-junit.xml").read_text(encoding="utf-8")
    xmlschema.XMLSchema(str(XSD)).validate(junit)
