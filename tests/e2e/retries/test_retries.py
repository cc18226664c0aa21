"""--retry-failed, --retry-failed-whole and the pass thresholds, end to end: the real CLI as a
subprocess against the real emulator on loopback. Triggers are counted at the emulator (its
journal), never inferred from the CLI's own output."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import (
    TOKEN,
    CliResult,
    api_bodies,
    emulator_env,
    run_cli,
    start_cli,
    wait_until,
)
from vibetesting_ci.emulator import EmulatorServer


def retry_whole(times: int) -> tuple[str, ...]:
    """``--retry-failed TIMES --retry-failed-whole``."""
    return ("--retry-failed", str(times), "--retry-failed-whole")


RETRY_WHOLE = retry_whole(1)
FLAKY_SUITE, CHECKOUT_SUITE = "5", "2"  # emulator suites: one [flaky] test; one test always fails


def triggers(server: EmulatorServer) -> int:
    return len(api_bodies(server, "run-suite")) + len(api_bodies(server, "run-tests"))


def guided_tests(*names: str) -> str:
    return json.dumps([{"name": n, "steps": "do it"} for n in names])


def _one_line_error(result: CliResult, needle: str) -> None:
    assert result.returncode == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and needle in errors[0], result.stderr


# -- input errors: one line, exit 2, nothing sent ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--retry-failed", "-1"], "--retry-failed: expected a whole number"),
        (["--retry-failed", "11"], "--retry-failed: must be at most 10"),
        (["--retry-failed", "two"], "--retry-failed: expected a whole number"),
        (["--max-failures", "1.5"], "--max-failures: expected a whole number"),
        (["--max-failures", "2000000"], "--max-failures: must be at most 1000000, got 2000000"),
        (["--min-pass-rate", "101"], "--min-pass-rate: must be a percentage from 0 to 100"),
        (["--min-pass-rate", "nan"], "--min-pass-rate: must be a percentage"),
        (["--retry-failed", "1", "--no-wait"], "retries need a run that is waited for"),
        (
            ["--retry-failed", "1", "--schedule-at", "2030-01-01T00:00:00Z"],
            "drop it or --schedule-at",
        ),
    ],
)
def test_bad_retry_and_threshold_options(
    cli: Any, emulator: EmulatorServer, args: list[str], needle: str
) -> None:
    result = cli("run", "--suite-id", "1", *args)
    _one_line_error(result, needle)
    assert triggers(emulator) == 0


def test_variables_are_checked_too(cli: Any, emulator: EmulatorServer) -> None:
    result = cli("run", "--suite-id", "1", env={"VIBETESTING_RETRY_FAILED": "x"})
    _one_line_error(result, "VIBETESTING_RETRY_FAILED: expected a whole number")
    result = cli("wait", "1001", env={"VIBETESTING_MIN_PASS_RATE": "-5"})
    _one_line_error(result, "VIBETESTING_MIN_PASS_RATE: must be a percentage")
    assert triggers(emulator) == 0 and emulator.journal == []


# -- whole-run retries ----------------------------------------------------------------------------


def test_flaky_suite_retried_whole_passes_with_a_flaky_count(
    cli: Any, emulator: EmulatorServer
) -> None:
    result = cli("run", "--suite-id", FLAKY_SUITE, *RETRY_WHOLE)
    assert result.returncode == 0, result.output
    assert triggers(emulator) == 2
    assert "retry 1 of 1: rerunning the whole run (each retry is a billed run)" in result.stderr
    data = result.results()
    assert data["result"] == "passed"
    assert "1 flaky" in data["message"] and "after 1 retry" in data["message"]
    assert len(data["executions"]) == 1  # the last attempt's


def test_suite_without_whole_is_not_retried_and_says_why(
    cli: Any, emulator: EmulatorServer
) -> None:
    result = cli("run", "--suite-id", FLAKY_SUITE, "--retry-failed", "2")
    assert result.returncode == 1, result.output
    assert triggers(emulator) == 1
    warning = next(line for line in result.stderr.splitlines() if "--retry-failed 2" in line)
    assert "a suite run (--suite-id) has no named tests to retry on their own" in warning
    assert "--retry-failed-whole" in warning and "billed" in warning


def test_consistent_failure_is_retried_n_times_then_fails(
    cli: Any, emulator: EmulatorServer
) -> None:
    result = cli("run", "--suite-id", CHECKOUT_SUITE, *retry_whole(2))
    assert result.returncode == 1, result.output
    assert triggers(emulator) == 3
    data = result.results()
    assert data["result"] == "failed" and "after 2 retries" in data["message"]


def test_a_passing_run_is_never_retried(cli: Any, emulator: EmulatorServer) -> None:
    result = cli("run", "--suite-id", "1", *retry_whole(3))
    assert result.returncode == 0, result.output
    assert triggers(emulator) == 1
    assert "retry" not in result.results()["message"]


# The service's detailed status names no test: the counts alone cannot say which one failed.
SILENT = 'execution-status:patch:times=0,fields={"detailed_status": "some tests failed"}'


def test_several_tests_in_one_execution_retry_the_one_its_detailed_status_names(
    cli: Any, emulator: EmulatorServer
) -> None:
    """One execution for three tests; the emulator's detailed status names the failed one
    ("2 of 3 tests passed; 1 failed: search [flaky:1]"): only that test is retried, and the
    final view keeps the others' outcomes from the first execution."""
    tests = guided_tests("home", "search [flaky:1]", "cart")
    result = cli("run", "--tests", tests, "--retry-failed", "1")
    assert result.returncode == 0, result.output
    first, again = api_bodies(emulator, "run-tests")
    assert [t["name"] for t in first["tests"]] == ["home", "search [flaky:1]", "cart"]
    assert [t["name"] for t in again["tests"]] == ["search [flaky:1]"]
    data = result.results()
    assert data["flaky_tests"] == ["search [flaky:1]"] and data["failed_tests"] == []
    cases = [(c["name"], c["outcome"]) for e in data["executions"] for c in e["cases"]]
    assert sorted(cases) == [("cart", "passed"), ("home", "passed"), ("search [flaky:1]", "passed")]
    assert data["totals"]["tests"] == 3 and data["totals"]["passed"] == 3


def test_several_tests_in_one_execution_not_named_need_the_whole_run(
    cli: Any, emulator: EmulatorServer
) -> None:
    """The counts cannot say which of the three failed: no retry without --retry-failed-whole
    (a warning says why); with it, the whole run again, which stops existing runs no more."""
    emulator.add_fault(SILENT)
    tests = guided_tests("home", "search [flaky:1]", "cart")
    plain = cli("run", "--tests", tests, "--retry-failed", "1")
    assert plain.returncode == 1, plain.output
    assert triggers(emulator) == 1
    assert "do not say which tests of execution(s) 1001 failed" in plain.stderr
    assert "--allow-parallel runs one per execution" in plain.stderr

    whole = cli("run", "--tests", tests, *RETRY_WHOLE, "--stop-existing")
    # The emulator counts [flaky:1] per name and the run above used it up: this one passes at
    # once and is not retried (the next test retries one).
    assert whole.returncode == 0, whole.output
    bodies = api_bodies(emulator, "run-tests")
    assert len(bodies) == 2 and bodies[1]["should_stop_existing"] is True


def test_whole_rerun_of_a_guided_run_resends_the_tests_without_stop_existing(
    cli: Any, emulator: EmulatorServer
) -> None:
    """A retry says should_stop_existing: false rather than leave it out: the vendor's page
    does not say what the service does without it, and a retry must not stop other runs."""
    emulator.add_fault(SILENT)
    tests = guided_tests("home", "search [flaky]")
    result = cli("run", "--tests", tests, *RETRY_WHOLE, "--stop-existing")
    assert result.returncode == 0, result.output
    first, again = api_bodies(emulator, "run-tests")
    assert first["should_stop_existing"] is True and again["should_stop_existing"] is False
    assert [t["name"] for t in again["tests"]] == ["home", "search [flaky]"]
    assert result.results()["result"] == "passed"


# -- a retry trigger that may have reached the service is never repeated ---------------------------


def test_an_uncertain_retry_trigger_is_not_repeated(cli: Any, emulator: EmulatorServer) -> None:
    emulator.add_fault("run-suite:create-then-drop:after=1")  # the retry's answer is lost
    result = cli("run", "--suite-id", CHECKOUT_SUITE, *retry_whole(3))
    assert result.returncode == 1, result.output
    assert len(api_bodies(emulator, "run-suite")) == 2  # the first, and the one retry
    assert emulator.runs_created == 2  # the dropped retry did create a run
    assert "retry 1: " in result.stderr and "not retried again" in result.stderr
    data = result.results()
    assert data["result"] == "failed"


def test_a_refused_retry_trigger_ends_the_retries(
    cli: Any, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """The refused trigger is an attempt, not a billed run: the summary says which started,
    and the ``attempts`` output and dotenv value count the runs started (1)."""
    from tests.support.github_output import parse_output_file

    emulator.add_fault("run-suite:html500:after=1,times=0,status=400")
    args = (*retry_whole(3), "--dotenv-file", "vt.env")
    result = cli("run", "--suite-id", CHECKOUT_SUITE, *args, env=github_env(tmp_path))
    assert result.returncode == 1, result.output
    assert len(api_bodies(emulator, "run-suite")) == 2
    assert "not retried again, the failures stand" in result.output  # a ::warning on GitHub
    assert emulator.runs_created == 1
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "**Attempts**: 2 (1 run started, each billed; 1 retry trigger that started no " in (
        summary
    )
    assert "each a billed run" not in summary
    outputs = parse_output_file((tmp_path / "output").read_text(encoding="utf-8"))
    assert outputs["attempts"] == "1"
    dotenv = (tmp_path / "vt.env").read_text(encoding="utf-8")
    assert "VIBETESTING_RESULT_ATTEMPTS=1\n" in dotenv


# -- the deadline and cancel cover the retries ----------------------------------------------------


@pytest.fixture
def slow_emulator() -> Any:
    with EmulatorServer(port=0, token=TOKEN, test_seconds=2.0, seed=1) as server:
        yield server


def test_no_retry_when_less_time_is_left_than_the_last_attempt_took(
    slow_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """One test of 1.6-2.4 s plus as long processing (seed 1: the first attempt is done after
    4.1 s): with --timeout 5.6 a retry would start with about 1.5 s left, be billed and then
    stopped (exit 4). It is not triggered; the failures stand (exit 1)."""
    env = emulator_env(slow_emulator, VIBETESTING_TIMEOUT="5.6")
    args = ["run", "--tests", guided_tests("x [flaky]"), "--retry-failed", "2"]
    result = run_cli([*args, "--retry-failed-whole"], cwd=tmp_path, env=env)
    assert result.returncode == 1, result.output
    assert triggers(slow_emulator) == 1
    assert api_bodies(slow_emulator, "stop-execution") == []
    warning = [line for line in result.stderr.splitlines() if "retry 1 not started" in line]
    assert len(warning) == 1, result.stderr
    assert " s left of --timeout, the last attempt took " in warning[0]
    data = result.results()
    assert data["result"] == "failed" and data["attempts"] == []


def test_cancel_during_a_retry_stops_the_retry(
    slow_emulator: EmulatorServer, tmp_path: Path
) -> None:
    proc = start_cli(
        ["run", "--suite-id", FLAKY_SUITE, *RETRY_WHOLE],
        cwd=tmp_path,
        env=emulator_env(slow_emulator, VIBETESTING_TIMEOUT="60"),
    )
    try:
        assert wait_until(lambda: triggers(slow_emulator) == 2, timeout=30)
        retry_id = max(slow_emulator.executions)
        assert wait_until(
            lambda: any(
                r.endpoint == "execution-status" and (r.json or {}).get("execution_id") == retry_id
                for r in slow_emulator.journal
            ),
            timeout=10,
        )
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert api_bodies(slow_emulator, "stop-execution") == [{"execution_id": retry_id}]
    data = json.loads((tmp_path / "vibetesting-results.json").read_text(encoding="utf-8"))
    assert data["result"] == "cancelled"


# -- thresholds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "sentence"),
    [
        (["--max-failures", "1"], 0, "1 failed, within --max-failures 1"),
        (["--max-failures", "0"], 1, "1 failed, above --max-failures 0"),
        (["--min-pass-rate", "75"], 0, "75% passed, at least --min-pass-rate 75"),
        (["--min-pass-rate", "80"], 1, "75% passed, below --min-pass-rate 80"),
        (
            ["--max-failures", "1", "--min-pass-rate", "90"],
            1,
            "1 failed, within --max-failures 1; 75% passed, below --min-pass-rate 90",
        ),
    ],
)
def test_thresholds_decide_from_the_final_counts(
    cli: Any, args: list[str], code: int, sentence: str
) -> None:
    result = cli("run", "--suite-id", CHECKOUT_SUITE, *args)  # 3 of 4 pass
    assert result.returncode == code, result.output
    data = result.results()
    assert data["result"] == ("passed" if code == 0 else "failed")
    assert sentence in data["message"]
    assert sentence in result.stderr


def test_thresholds_apply_to_wait_as_well(cli: Any, emulator: EmulatorServer) -> None:
    started = cli("run", "--suite-id", CHECKOUT_SUITE, "--no-wait")
    assert started.returncode == 0
    result = cli("wait", "1001", "--max-failures", "2")
    assert result.returncode == 0, result.output
    assert "1 failed, within --max-failures 2" in result.results()["message"]


def test_thresholds_never_pass_a_timeout(cli: Any) -> None:
    tests = guided_tests("ok", "stuck [hang]")
    result = cli(
        "run",
        "--tests",
        tests,
        "--timeout",
        "1",
        "--max-failures",
        "5",
        "--min-pass-rate",
        "0",
    )
    assert result.returncode == 4, result.output
    assert result.results()["result"] == "timeout"
    relaxed = cli("run", "--tests", tests, "--timeout", "1", "--no-fail-on-timeout")
    assert relaxed.returncode == 0  # what --no-fail-on-timeout always did


def test_thresholds_never_pass_an_unreadable_answer(cli: Any, emulator: EmulatorServer) -> None:
    emulator.add_fault('execution-status:patch:times=0,fields={"number_of_failed_tests": 1.5}')
    result = cli("run", "--suite-id", "1", "--max-failures", "100")
    assert result.returncode == 3, result.output


# -- per-test retries (one test per execution: the counts tell the failed tests apart) ------------


def github_env(tmp_path: Path) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }


def test_a_flaky_test_is_retried_alone_and_passes(
    cli: Any, emulator: EmulatorServer, tmp_path: Path
) -> None:
    from tests.support.cli import XSD
    from tests.support.github_output import parse_output_file

    tests = guided_tests("home", "search [flaky]", "cart")
    result = cli(
        "run",
        "--tests",
        tests,
        "--allow-parallel",
        "--retry-failed",
        "1",
        "--dotenv-file",
        "vt.env",
        env=github_env(tmp_path),
    )
    assert result.returncode == 0, result.output
    first, retry = api_bodies(emulator, "run-tests")
    assert triggers(emulator) == 2
    assert [t["name"] for t in first["tests"]] == ["home", "search [flaky]", "cart"]
    assert [t["name"] for t in retry["tests"]] == ["search [flaky]"]
    warning = "::warning title=VibeTesting::1 flaky test(s), failed and then passed on a retry"
    assert f"{warning}: search [flaky]\n" in result.stdout + result.stderr

    data = result.results()
    assert data["result"] == "passed" and data["exit_code"] == 0
    assert data["flaky"] == 1 and data["flaky_tests"] == ["search [flaky]"]
    assert [a["attempt"] for a in data["attempts"]] == [1, 2]
    assert [a["scope"] for a in data["attempts"]] == ["first", "failed-tests"]
    assert data["attempts"][0]["failed_tests"] == ["search [flaky]"]
    assert data["attempts"][1]["tests"] == ["search [flaky]"]
    assert [e["id"] for e in data["executions"]] == [1001, 1004, 1003]
    assert data["totals"]["passed"] == 3 and data["totals"]["flaky"] == 1

    import xml.etree.ElementTree as ET

    import xmlschema

    junit = (tmp_path / "vibetesting-junit.xml").read_text(encoding="utf-8")
    xmlschema.XMLSchema(str(XSD)).validate(junit)
    root = ET.fromstring(junit)
    # One case per test (identities: domain/cases.py / render/junit.py); the retried test's case
    # is in the suite of the retry's execution, and records the earlier failure.
    cases = list(root.iter("testcase"))
    assert {(c.get("classname"), c.get("name")) for c in cases} == {
        ("vibetesting.tests", "home"),
        ("vibetesting.tests", "search [flaky]"),
        ("vibetesting.tests", "cart"),
    }  # the same identities as a run that was not retried
    suites = {
        next(p.get("value") for p in suite.iter("property") if p.get("name") == "execution_id"): (
            suite
        )
        for suite in root.iter("testsuite")
    }
    assert set(suites) == {"1001", "1004", "1003"}
    assert root.get("failures") == "0" and root.get("errors") == "0"
    retried = suites["1004"]
    (flaky,) = retried.findall("testcase")
    assert flaky.get("name") == "search [flaky]"
    assert flaky.find("failure") is None and flaky.find("error") is None
    (earlier,) = flaky.findall("flakyFailure")
    # The earlier failure names the test's own execution (one test per execution), not the
    # attempt's three, with that execution's status text.
    message = earlier.get("message") or ""
    assert message.startswith("attempt 1 (execution 1002): failed"), message
    assert "1001" not in message and "1003" not in message
    assert earlier.text == message
    assert "attempt 2 (execution 1004): passed" in (flaky.findtext("system-out") or "")
    props = {p.get("name"): p.get("value") for p in retried.iter("property")}
    assert props["flaky"] == "true" and props["attempts"] == "2"
    assert not suites["1001"].find("testcase").findall("flakyFailure")  # type: ignore[union-attr]

    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "**Attempts**: 2 (each a billed run)" in summary
    assert "| 2 | search \\[flaky\\] | 1004 | passed" in summary
    assert "**Flaky** (1, failed, then passed on a retry): search \\[flaky\\]" in summary
    outputs = parse_output_file((tmp_path / "output").read_text(encoding="utf-8"))
    assert outputs["flaky"] == "1" and outputs["attempts"] == "2"
    dotenv = (tmp_path / "vt.env").read_text(encoding="utf-8")
    assert "VIBETESTING_RESULT_FLAKY=1\n" in dotenv
    assert "VIBETESTING_RESULT_ATTEMPTS=2\n" in dotenv
    assert "VIBETESTING_RESULT_FAILED_TESTS=\n" in dotenv  # none failed in the end
    assert data["failed_tests"] == []


def test_a_consistent_failure_is_retried_n_times_alone(cli: Any, emulator: EmulatorServer) -> None:
    tests = guided_tests("home", "pay [fail]")
    result = cli("run", "--tests", tests, "--allow-parallel", "--retry-failed", "2")
    assert result.returncode == 1, result.output
    bodies = api_bodies(emulator, "run-tests")
    assert len(bodies) == 3
    assert [[t["name"] for t in b["tests"]] for b in bodies[1:]] == [["pay [fail]"]] * 2
    data = result.results()
    assert data["flaky"] == 0 and len(data["attempts"]) == 3
    assert data["totals"]["failed"] == 1 and data["totals"]["tests"] == 2
    assert [e["id"] for e in data["executions"]] == [1001, 1004]

    import xml.etree.ElementTree as ET

    import xmlschema

    from tests.support.cli import XSD

    junit = result.file("vibetesting-junit.xml").read_text(encoding="utf-8")
    xmlschema.XMLSchema(str(XSD)).validate(junit)
    root = ET.fromstring(junit)
    assert root.get("tests") == "2" and root.get("failures") == "1"
    (failing,) = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert failing.get("name") == "pay [fail]" and data["failed_tests"] == ["pay [fail]"]
    reruns = failing.findall("rerunFailure")
    assert [r.get("message", "")[:9] for r in reruns] == ["attempt 1", "attempt 2"]
    assert "attempt 3 (execution 1004): failed again" in (failing.findtext("system-out") or "")


def test_each_retry_reruns_only_what_still_fails(cli: Any, emulator: EmulatorServer) -> None:
    tests = guided_tests("a [flaky]", "b [flaky:2]", "c")
    result = cli("run", "--tests", tests, "--allow-parallel", "--retry-failed", "2")
    assert result.returncode == 0, result.output
    bodies = api_bodies(emulator, "run-tests")
    assert [[t["name"] for t in b["tests"]] for b in bodies] == [
        ["a [flaky]", "b [flaky:2]", "c"],
        ["a [flaky]", "b [flaky:2]"],
        ["b [flaky:2]"],
    ]
    data = result.results()
    assert data["flaky"] == 2 and data["flaky_tests"] == ["a [flaky]", "b [flaky:2]"]


def test_dry_run_says_what_retries_would_cost(cli: Any, emulator: EmulatorServer) -> None:
    result = cli("run", "--suite-id", "2", *retry_whole(2), "--dry-run")
    assert result.returncode == 0, result.output
    assert "retrying failed tests (or the whole run) up to 2 time(s), each a billed run" in (
        result.stderr
    )
    assert emulator.journal == []


def test_dry_run_of_a_suite_warns_it_cannot_retry_tests_alone(cli: Any) -> None:
    result = cli("run", "--suite-id", "2", "--retry-failed", "1", "--dry-run")
    assert result.returncode == 0, result.output
    assert "a suite run (--suite-id) has no named tests to retry on their own" in result.stderr


def test_thresholds_weigh_the_counts_after_the_retries(cli: Any, emulator: EmulatorServer) -> None:
    args = ["run", "--tests", guided_tests("a [flaky]", "b [fail]", "c"), "--allow-parallel"]
    result = cli(*args, "--retry-failed", "1", "--max-failures", "1")
    assert result.returncode == 0, result.output
    data = result.results()
    assert data["flaky"] == 1 and data["threshold"] == "1 failed, within --max-failures 1"
    # The message keeps what the retries did, before the sentence that passed it.
    assert data["message"] == (
        "2 of 3 test(s) passed after 1 retry; 1 flaky (failed, then passed on a retry): "
        "a [flaky]; 1 failed, within --max-failures 1"
    ), data["message"]
    assert data["totals"]["passed"] == 2 and data["totals"]["failed"] == 1
    assert [[t["name"] for t in b["tests"]] for b in api_bodies(emulator, "run-tests")] == [
        ["a [flaky]", "b [fail]", "c"],
        ["a [flaky]", "b [fail]"],
    ]


def test_an_exploration_is_retried_whole(cli: Any, emulator: EmulatorServer) -> None:
    explore = ["run", "--execution-type", "exploration", "--general-instructions", "[flaky]"]
    result = cli(*explore, *RETRY_WHOLE)
    assert result.returncode == 0, result.output
    assert len(api_bodies(emulator, "run-tests")) == 2
    data = result.results()
    assert data["flaky"] == 1 and data["flaky_tests"] == []
    assert [a["scope"] for a in data["attempts"]] == ["first", "whole-run"]
