"""Atomic writes, results JSON, GitLab dotenv, URL redaction, report paths."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.builders import execution, result, status, unread
from tests.support.properties import examples
from vibetesting_ci import __version__
from vibetesting_ci.domain.models import ExecutionResult, ExecutionStatus, Interrupted, RunResult
from vibetesting_ci.domain.report import build_report
from vibetesting_ci.publish.files import write_dotenv, write_results
from vibetesting_ci.render.dotenv import KEYS, MAX_BYTES, dotenv_value, render_dotenv
from vibetesting_ci.render.results import render_results


def sample() -> RunResult:
    return result(
        execution(
            11,
            suite="Checkout ✓",
            tests=3,
            done=3,
            passed=2,
            failed=1,
            detail="1 failed\nsee report",
            start="2026-01-01T00:00:00Z",
            end="2026-01-01T00:01:00Z",
            url="https://r.example/a.pdf?api-key=SECRET1&sig=x%2By",
            report_file="out/vibetesting-report-11.pdf",
        ),
        unread(12, Interrupted.CANCELLED, stopped=True),
        schedule_id=None,
        message="1 test failed",
    )


# ---------------------------------------------------------------- results


def test_results_shape_and_redaction() -> None:
    doc = render_results(build_report(sample()))
    assert doc["version"] == __version__
    assert (doc["result"], doc["exit_code"], doc["schedule_id"]) == ("failed", 1, None)
    assert doc["message"] == "1 test failed"
    assert doc["totals"] == {
        "tests": 3,
        "done": 3,
        "passed": 2,
        "failed": 1,
        "not_done": 0,
        "flaky": 0,
    }
    assert (doc["flaky"], doc["flaky_tests"], doc["attempts"], doc["threshold"]) == (
        0,
        [],
        [],
        None,
    )
    first, second = doc["executions"]
    assert first["id"] == 11 and first["state"] == "done"
    assert first["report_url"] == "https://r.example/a.pdf?api-key=***&sig=***"
    assert first["report_file"] == "out/vibetesting-report-11.pdf"
    assert first["not_done"] == 0
    for key in ("suite_name", "tests", "done", "passed", "failed", "detailed_status",
                "start_time", "end_time", "report_url", "report_file", "interrupted",
                "stopped", "report_error"):  # fmt: skip
        assert key in first and key in second
    assert second == second | {"id": 12, "state": None, "tests": None, "interrupted": "cancelled"}
    assert second["stopped"] is True
    assert "SECRET1" not in json.dumps(doc)


def test_results_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "out" / "results.json"
    write_results(build_report(sample()), str(target))
    text = target.read_text(encoding="utf-8")
    assert json.loads(text) == render_results(build_report(sample()))
    assert "Checkout ✓" in text  # UTF-8, not \\u escapes
    assert text.endswith("}\n")


def test_results_lone_surrogates_become_replacement(tmp_path: Path) -> None:
    result = RunResult(
        result="passed",
        exit_code=0,
        executions=(ExecutionResult(1, status(1, suite="a\ud800b")),),
    )
    target = tmp_path / "r.json"
    write_results(build_report(result), str(target))
    assert json.loads(target.read_text("utf-8"))["executions"][0]["suite_name"] == "a\ufffdb"


def test_results_write_error(tmp_path: Path) -> None:
    (tmp_path / "r.json").mkdir()
    with pytest.raises(OSError):
        write_results(build_report(sample()), str(tmp_path / "r.json"))


# ---------------------------------------------------------------- dotenv

DOTENV_LINE = re.compile(r"^[A-Z_][A-Z0-9_]*=[\x21-\x7e]*$")


def parse_gitlab_dotenv(text: str) -> dict[str, str]:
    """GitLab's parser: every line must match ``^(.*?)=(.*)$``; key and value are stripped."""
    assert len(text.encode()) < 5120
    variables = {}
    for line in text.splitlines():
        match = re.match(r"^(.*?)=(.*)$", line)
        assert match, line
        variables[match.group(1).strip()] = match.group(2).strip()
    return variables


def test_dotenv_content() -> None:
    text = render_dotenv(build_report(sample()))
    assert text.endswith("\n") and "\n\n" not in text
    for line in text.splitlines():
        assert DOTENV_LINE.match(line), line
    env = parse_gitlab_dotenv(text)
    assert env == {
        "VIBETESTING_RESULT": "failed",
        "VIBETESTING_RESULT_EXECUTION_IDS": "11,12",
        "VIBETESTING_RESULT_SCHEDULE_ID": "",
        "VIBETESTING_RESULT_TESTS": "3",
        "VIBETESTING_RESULT_PASSED": "2",
        "VIBETESTING_RESULT_FAILED": "1",
        "VIBETESTING_RESULT_FLAKY": "0",
        "VIBETESTING_RESULT_ATTEMPTS": "1",
        "VIBETESTING_RESULT_FAILED_TESTS": "",  # counts only: which test failed is not known
        "VIBETESTING_RESULT_FAILED_TESTS_COMPLETE": "false",
        "VIBETESTING_RESULT_REPORT_URL": "https://r.example/a.pdf?api-key=***&sig=***",
    }


def test_dotenv_failed_tests_by_their_junit_names() -> None:
    def one(eid: int, failed: int) -> ExecutionResult:
        s = ExecutionStatus(eid, "done", tests=1, done=1, passed=1 - failed, failed=failed)
        return ExecutionResult(eid, s)

    names = ("signup", "wrong, credentials [fail]", "log in $HOME")
    result = RunResult("failed", 1, executions=(one(1, 0), one(2, 1), one(3, 1)), test_names=names)
    env = parse_gitlab_dotenv(render_dotenv(build_report(result)))
    assert env["VIBETESTING_RESULT_FAILED_TESTS"] == (
        "wrong%2C%20credentials%20[fail],log%20in%20%24HOME"
    )
    # '%' is encoded too, so the list decodes back to the names: 'a%2Cb' is not 'a,b'
    names = ("a,b", "a%2Cb", "100% done")
    result = RunResult("failed", 1, executions=(one(1, 1), one(2, 1), one(3, 1)), test_names=names)
    listed = parse_gitlab_dotenv(render_dotenv(build_report(result)))[
        "VIBETESTING_RESULT_FAILED_TESTS"
    ]
    assert listed == "a%2Cb,a%252Cb,100%25%20done"
    assert [unquote(n) for n in listed.split(",")] == list(names)
    # whole or not at all: a list cut short would pass for the complete one
    many = tuple(f"test number {i} " + "x" * 60 for i in range(100))
    executions = tuple(one(i, 1) for i in range(100))
    env = parse_gitlab_dotenv(
        render_dotenv(build_report(RunResult("failed", 1, executions=executions, test_names=many)))
    )
    assert env["VIBETESTING_RESULT_FAILED_TESTS"] == ""
    assert env["VIBETESTING_RESULT_FAILED_TESTS_COMPLETE"] == "false"


def test_dotenv_several_urls_and_size_budget() -> None:
    long = "https://bucket.example/" + "a" * 1500 + "/r"  # long in its path (a query is hidden)
    executions = tuple(
        ExecutionResult(i, status(i, url=f"{long}{i},x.pdf?X-Sig=s{i}")) for i in range(1, 6)
    )
    text = render_dotenv(
        build_report(RunResult(result="passed", exit_code=0, executions=executions))
    )
    assert len(text.encode()) <= MAX_BYTES
    urls = parse_gitlab_dotenv(text)["VIBETESTING_RESULT_REPORT_URL"].split(",")
    assert len(urls) == 3  # whole links only; the rest did not fit
    assert urls == [f"{long}{i}%2Cx.pdf?X-Sig=***" for i in (1, 2, 3)]


def test_dotenv_value_encoding() -> None:
    assert dotenv_value("a b\nc\r\td") == "a%20b%0Ac%0D%09d"
    assert dotenv_value("\"q\" 'q' $HOME `x` \\") == "%22q%22%20%27q%27%20%24HOME%20%60x%60%20%5C"
    assert dotenv_value("é") == "%C3%A9"
    assert dotenv_value("50%") == "50%"
    assert dotenv_value("lone\ud800") == "lone%3F"


@settings(max_examples=examples(200), deadline=None)
@given(
    result=st.text(),
    schedule=st.none() | st.text(st.characters(exclude_categories=())),
    url=st.text(st.characters(exclude_categories=())),
)
def test_dotenv_values_never_break_lines(result: str, schedule: str | None, url: str) -> None:
    run = RunResult(
        result=result,
        exit_code=1,
        executions=(ExecutionResult(1, status(1, url=url)),),
        schedule_id=schedule,
    )
    text = render_dotenv(build_report(run))
    lines = text.splitlines()
    assert len(lines) == len(KEYS)
    for line in lines:
        assert DOTENV_LINE.match(line), line
    assert len(text.encode()) <= MAX_BYTES


def test_dotenv_write(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "vibetesting.env"
    write_dotenv(build_report(sample()), str(target))
    assert target.read_text() == render_dotenv(build_report(sample()))
    (tmp_path / "dir.env").mkdir()
    with pytest.raises(OSError):
        write_dotenv(build_report(sample()), str(tmp_path / "dir.env"))


# ---------------------------------------------------------------- redaction and paths
