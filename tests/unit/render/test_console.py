"""The console's final text (render/console.py): the summary table, the status lines, colour."""

from __future__ import annotations

from tests.support.builders import done, running
from vibetesting_ci.domain.models import ExecutionResult, ExecutionStatus, Interrupted, RunResult
from vibetesting_ci.domain.report import FileKind, OutputFile, build_report
from vibetesting_ci.render.console import (
    SUMMARY_ROWS,
    Style,
    status_lines,
    summary_lines,
    table_lines,
    unfinished_warnings,
)

PLAIN = Style(False)


def test_summary_table_files_and_verdict() -> None:
    executions = (
        ExecutionResult(1, done(1, 3, 2, 1).status, report_file="r-1.pdf"),
        running(2, Interrupted.TIMEOUT),
        ExecutionResult(3, interrupted=Interrupted.TIMEOUT),
    )
    result = RunResult("timeout", 4, executions=executions, message="timed out")
    files = [OutputFile(FileKind.JUNIT, "j.xml"), OutputFile(FileKind.RESULTS, "res.json")]
    lines = summary_lines(build_report(result, files), PLAIN)
    assert lines[0] == "" and lines[1].split() == [
        "execution",
        "state",
        "tests",
        "passed",
        "failed",
        "not",
        "done",
    ]
    assert lines[2].split() == ["1", "done", "3", "2", "1", "0"]
    assert lines[3].split() == ["2", "timed", "out", "4", "1", "0", "3"]
    assert lines[4].split() == ["3", "timed", "out", "?", "?", "?", "?"]
    assert lines[5] == ""
    assert lines[6:] == [
        "JUnit    j.xml",
        "report   r-1.pdf",
        "results  res.json",
        "result: timeout (exit 4): timed out",
    ]


def test_summary_of_a_scheduled_run_has_no_table() -> None:
    result = RunResult("scheduled", 0, executions=(ExecutionResult(5),), message="later")
    assert summary_lines(build_report(result), PLAIN) == ["result: scheduled (exit 0): later"]


def test_many_executions_show_the_troubled_first_and_count_the_rest() -> None:
    executions = [done(i, 1, 1, 0) for i in range(1, 40)] + [done(99, 2, 1, 1)]
    lines = table_lines(
        build_report(RunResult("failed", 1, executions=tuple(executions))).executions, PLAIN
    )
    rows = lines[2:-2]
    assert len(rows) == SUMMARY_ROWS and rows[0].split()[0] == "99"
    assert lines[-2] == (
        f"  ... and {40 - SUMMARY_ROWS} more execution(s) ({40 - SUMMARY_ROWS} passed); "
        "every one is in the results file"
    )


def test_colour_only_when_enabled() -> None:
    one = build_report(RunResult("failed", 1, executions=(done(1, 1, 0, 1),))).executions
    coloured = table_lines(one, Style(True))
    assert "\x1b[31m" in coloured[2] and "\x1b[1m" in coloured[1]
    assert "\x1b[" not in "".join(table_lines(one, PLAIN))


def test_status_lines_and_unfinished_warnings() -> None:
    status = ExecutionStatus(
        7,
        "done",
        suite_name="Smoke",
        tests=2,
        done=2,
        passed=1,
        detailed_status="line one\nline two",
    )
    lines = status_lines(status, "https://r/x?sig=***")
    assert lines[0] == "execution  7" and lines[2] == "suite      Smoke"
    assert lines[3] == "tests      2/2 done, 1 passed, 0 failed"
    assert lines[6].startswith("status     line one") and "\n" not in lines[6]
    assert lines[7] == "report     https://r/x?sig=***"
    assert unfinished_warnings((ExecutionResult(7, status), running(8))) == [
        "execution 7 ended with 1 test(s) not done"
    ]
