"""Issue 13: JUnit that CI test history can follow, proven by the readers CI systems use.

Two runs of one configuration with different outcomes (the real CLI against the real emulator;
the second emulator's status answers are patched, as a service would answer once the app was
fixed or broke) are read by junitparser (behind the publish-unit-test-result action) and by
Codecov's ``test-results-parser`` (Rust, quick-xml: an independent reader of a second CI
ecosystem). Both must see the same identities in both runs, GitLab's key (testsuite name,
classname, name) included, and each test's own outcome; every file stays valid against the
shared ``junit-10.xsd``. The other reports (results JSON, dotenv, GitHub summary and
annotations) use the same names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import junitparser
import pytest
import test_results_parser
import xmlschema

from tests.support.cli import TOKEN, XSD, CliResult, emulator_env, run_cli
from vibetesting_ci.emulator import EmulatorServer

PACKAGED_XSD = Path(__file__).resolve().parents[3] / "src/vibetesting_ci/render/junit-10.xsd"
TESTS = """\
tests:
  - name: teacher signup
    steps: Sign up as a teacher.
  - name: teacher wrong credentials [fail]
    steps: Sign in with a wrong password; it is refused.
"""
CLASSNAME = "vibetesting.e2e/vibetesting"
NAMES = {"teacher signup", "teacher wrong credentials [fail]"}


def patched(**counts: int) -> str:
    """A fault that makes every status answer carry these counts (from the first answer on)."""
    return f"execution-status:patch:times=0,fields={json.dumps(counts)}"


ALL_PASS_1 = patched(number_of_passed_tests=1, number_of_failed_tests=0)
ALL_FAIL_1 = patched(number_of_passed_tests=0, number_of_failed_tests=1)
ALL_PASS_2 = patched(number_of_passed_tests=2, number_of_failed_tests=0)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "e2e").mkdir()
    (tmp_path / "e2e" / "vibetesting.yml").write_text(TESTS, encoding="utf-8")
    return tmp_path


@pytest.fixture
def servers() -> Iterator[list[EmulatorServer]]:
    started: list[EmulatorServer] = []
    yield started
    for server in started:
        server.stop()


def run_once(
    servers: list[EmulatorServer],
    workspace: Path,
    *args: str,
    faults: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> tuple[CliResult, str]:
    """One run against a fresh emulator; returns the result and the JUnit text."""
    server = EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, seed=1, faults=list(faults))
    servers.append(server.start())
    junit = workspace / "vibetesting-junit.xml"
    junit.unlink(missing_ok=True)
    result = run_cli(
        ("run", *args),
        cwd=workspace,
        env={**emulator_env(server, VIBETESTING_TIMEOUT="60"), **(env or {})},
    )
    assert junit.exists(), result.output
    text = junit.read_text(encoding="utf-8")
    validate(text)
    return result, text


def validate(text: str) -> None:
    """Valid against ../shared/spec/junit-10.xsd (paths.XSD), unmodified: byte for byte
    the copy the package ships."""
    assert XSD.read_bytes() == PACKAGED_XSD.read_bytes()
    xmlschema.XMLSchema(str(XSD)).validate(text)


def by_junitparser(text: str) -> dict[tuple[str, str, str], str]:
    """(testsuite name, classname, name) -> outcome, as junitparser reads the file."""
    xml = junitparser.JUnitXml.fromstring(text)
    cases: dict[tuple[str, str, str], str] = {}
    for suite in xml:
        for case in suite:
            key = (suite.name, case.classname, case.name)
            assert key not in cases, f"duplicate case {key}"  # GitLab would drop it
            kinds = [type(r).__name__.lower() for r in case.result]
            cases[key] = {"failure": "failed"}.get(kinds[0], kinds[0]) if kinds else "passed"
            for result in case.result:  # GitLab shows the element's text, not the message
                if not isinstance(result, junitparser.Skipped):
                    assert result.text and result.text.strip()
    return cases


CODECOV_OUTCOMES = {"pass": "passed", "failure": "failed", "error": "error", "skip": "skipped"}


def by_codecov(text: str) -> dict[tuple[str, str, str], str]:
    """The same, as Codecov's test-results-parser reads the file."""
    parsed = test_results_parser.parse_junit_xml(text.encode("utf-8"))
    cases: dict[tuple[str, str, str], str] = {}
    for run in parsed.testruns:
        key = (run.testsuite, run.classname, run.name)
        assert key not in cases, f"duplicate case {key}"
        cases[key] = CODECOV_OUTCOMES[str(run.outcome).rsplit(".", 1)[-1].lower()]
    return cases


def read_both(text: str) -> dict[tuple[str, str], str]:
    """(classname, name) -> outcome; both readers must agree on every case and its outcome."""
    first, second = by_junitparser(text), by_codecov(text)
    assert first == second
    return {(classname, name): outcome for (_, classname, name), outcome in first.items()}


def identities(text: str) -> set[tuple[str, str, str]]:
    return set(by_junitparser(text)) | set(by_codecov(text))


# ---------------------------------------------------------------- one test per execution


def test_one_test_per_execution_same_identities_whatever_the_outcome(
    servers: list[EmulatorServer], workspace: Path
) -> None:
    args = ("--tests-file", "e2e/vibetesting.yml", "--allow-parallel")
    first, first_xml = run_once(servers, workspace, *args)
    assert first.returncode == 1, first.output
    fixed, fixed_xml = run_once(servers, workspace, *args, faults=(ALL_PASS_1,))
    assert fixed.returncode == 0, fixed.output
    broken, broken_xml = run_once(servers, workspace, *args, faults=(ALL_FAIL_1,))
    assert broken.returncode == 1, broken.output

    assert identities(first_xml) == identities(fixed_xml) == identities(broken_xml)
    assert {name for _, _, name in identities(first_xml)} == NAMES
    assert {(s, c) for s, c, _ in identities(first_xml)} == {(CLASSNAME, CLASSNAME)}
    assert read_both(first_xml) == {
        (CLASSNAME, "teacher signup"): "passed",
        (CLASSNAME, "teacher wrong credentials [fail]"): "failed",
    }
    assert set(read_both(fixed_xml).values()) == {"passed"}
    assert set(read_both(broken_xml).values()) == {"failed"}
    # The execution ids are in the file, but in no identity.
    ids = [e["id"] for e in first.results()["executions"]]
    for eid in ids:
        assert f'value="{eid}"' in first_xml
        assert all(str(eid) not in "".join(key) for key in identities(first_xml))


def test_other_reports_use_the_same_labels(servers: list[EmulatorServer], workspace: Path) -> None:
    summary, output = workspace / "summary.md", workspace / "output.txt"
    result, text = run_once(
        servers,
        workspace,
        "--tests-file",
        "e2e/vibetesting.yml",
        "--allow-parallel",
        "--dotenv-file",
        "vibetesting.env",
        env={
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(output),
        },
    )
    assert result.returncode == 1, result.output
    junit = read_both(text)
    results = result.results()
    assert results["label"] == CLASSNAME
    cases = {
        (c["classname"], c["name"]): c["outcome"]
        for execution in results["executions"]
        for c in execution["cases"]
    }
    assert cases == junit
    assert results["failed_tests"] == ["teacher wrong credentials [fail]"]
    dotenv = dict(
        line.split("=", 1)
        for line in (workspace / "vibetesting.env").read_text(encoding="utf-8").splitlines()
    )
    assert dotenv["VIBETESTING_RESULT_FAILED_TESTS"] == "teacher%20wrong%20credentials%20[fail]"
    markdown = summary.read_text(encoding="utf-8")
    assert "| teacher signup | passed |" in markdown
    assert "| teacher wrong credentials \\[fail\\] | **failed** |" in markdown
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert any("failed: teacher wrong credentials [fail]" in line for line in annotations)
    log = result.stderr + result.stdout
    assert re.search(r"failed\s+teacher wrong credentials \[fail\]", log)


# ---------------------------------------------------------------- tests sharing an execution


def counts_of(text: str) -> dict[str, int]:
    """What a JUnit consumer counts: cases by outcome, as both readers read them."""
    outcomes = list(read_both(text).values())
    return {o: outcomes.count(o) for o in ("passed", "failed", "error", "skipped")}


def test_tests_sharing_an_execution_named_by_the_detailed_status(
    servers: list[EmulatorServer], workspace: Path
) -> None:
    args = ("--tests-file", "e2e/vibetesting.yml")  # one execution for both tests
    mixed, mixed_xml = run_once(servers, workspace, *args)
    assert mixed.returncode == 1, mixed.output
    results = mixed.results()
    passed, passed_xml = run_once(servers, workspace, *args, faults=(ALL_PASS_2,))
    assert passed.returncode == 0, passed.output

    # The emulator's detailed status names the failed test ("...; 1 failed: teacher wrong
    # credentials [fail]"): the failure is attributed, the identities stay the tests' names.
    assert identities(mixed_xml) == identities(passed_xml)
    assert {name for _, _, name in identities(mixed_xml)} == NAMES
    assert read_both(mixed_xml) == {
        (CLASSNAME, "teacher signup"): "passed",
        (CLASSNAME, "teacher wrong credentials [fail]"): "failed",
    }
    assert "from the service's detailed status" in mixed_xml
    assert counts_of(mixed_xml) == {"passed": 1, "failed": 1, "error": 0, "skipped": 0}
    assert results["failed_tests"] == ["teacher wrong credentials [fail]"]
    assert results["failed_tests_complete"] is True


def test_tests_sharing_an_execution_by_position_when_nothing_names_them(
    servers: list[EmulatorServer], workspace: Path
) -> None:
    args = ("--tests-file", "e2e/vibetesting.yml")
    silent = patched(number_of_passed_tests=1, number_of_failed_tests=1)
    silent = silent.replace("fields={", 'fields={"detailed_status": "1 of 2 tests failed", ', 1)
    mixed, mixed_xml = run_once(servers, workspace, *args, faults=(silent,))
    assert mixed.returncode == 1, mixed.output
    # Counts only: what a consumer counts is what the service counted, by position; each case
    # says which tests it may be.
    assert read_both(mixed_xml) == {
        (CLASSNAME, "test 1"): "passed",
        (CLASSNAME, "test 2"): "failed",
    }
    assert counts_of(mixed_xml) == {"passed": 1, "failed": 1, "error": 0, "skipped": 0}
    assert "This case is one of: teacher signup; teacher wrong credentials [fail]." in mixed_xml
    results = mixed.results()
    assert results["failed_tests"] == [] and results["failed_tests_complete"] is False


# ---------------------------------------------------------------- only counts known


def test_suite_rerun_cases_by_position(servers: list[EmulatorServer], workspace: Path) -> None:
    # Suite 2: 4 tests in one execution, 1 fails; the service names none of them.
    one, one_xml = run_once(servers, workspace, "--suite-id", "2")
    assert one.returncode == 1, one.output
    fixed = patched(number_of_passed_tests=4, number_of_failed_tests=0)
    two, two_xml = run_once(servers, workspace, "--suite-id", "2", faults=(fixed,))
    assert two.returncode == 0, two.output
    assert identities(one_xml) == identities(two_xml)
    expected_keys = {("vibetesting.suite_2", f"test {k}") for k in range(1, 5)}
    assert set(read_both(one_xml)) == expected_keys
    assert sorted(read_both(one_xml).values()) == ["failed", "passed", "passed", "passed"]
    assert "The service reports counts" in one_xml and "not which test failed" in one_xml
