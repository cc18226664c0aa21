"""In-process tests of the verdict (verdict.decide) and the final text (summary.py)."""

from __future__ import annotations

import pytest

from vibetesting_ci.domain.models import ExecutionResult, ExecutionStatus, Interrupted, RunResult
from vibetesting_ci.domain.report import FileKind, OutputFile, build_report
from vibetesting_ci.domain.verdict import decide
from vibetesting_ci.errors import (
    AuthRefused,
    ExitCode,
    ServiceUnreachable,
    VibetestingError,
)
from vibetesting_ci.render.console import (
    SUMMARY_ROWS,
    Style,
    status_lines,
    summary_lines,
    table_lines,
    unfinished_warnings,
)

PLAIN = Style(False)


def done(execution_id: int, tests: int, passed: int, failed: int) -> ExecutionResult:
    status = ExecutionStatus(
        execution_id, "done", tests=tests, done=tests, passed=passed, failed=failed
    )
    return ExecutionResult(execution_id, status)


def running(execution_id: int, interrupted: str | None = None) -> ExecutionResult:
    status = ExecutionStatus(execution_id, "running", tests=4, done=1, passed=1)
    return ExecutionResult(execution_id, status, interrupted=interrupted)


def verdict(executions: tuple[ExecutionResult, ...], **kw: object) -> RunResult:
    options: dict[str, object] = {
        "interrupted": None,
        "error": None,
        "fail_on_timeout": True,
        "signal_code": 0,
    }
    options.update(kw)
    return decide(executions, **options)  # type: ignore[arg-type]


def test_all_passed() -> None:
    r = verdict((done(1, 3, 3, 0), done(2, 2, 2, 0)))
    assert (r.result, r.exit_code, r.error_code) == ("passed", 0, "none")
    assert r.message == "all 5 test(s) passed"


def test_failed_and_not_done_tests_fail_the_run() -> None:
    r = verdict((done(1, 3, 1, 1),))
    assert (r.result, r.exit_code, r.error_code) == ("failed", 1, "tests_failed")
    assert r.message == "1 of 3 test(s) failed; 1 test(s) not done"
    r = verdict((done(1, 3, 2, 0),))
    assert (r.result, r.exit_code) == ("failed", 1)
    assert r.message == "1 test(s) not done"


def test_timeout_by_the_flag() -> None:
    executions = (done(1, 2, 2, 0), running(2, Interrupted.TIMEOUT))
    r = verdict(executions, interrupted=Interrupted.TIMEOUT)
    assert (r.result, r.exit_code, r.error_code) == ("timeout", 4, "timeout")
    assert r.message == "timed out with 1 of 2 execution(s) unfinished"
    r = verdict(executions, interrupted=Interrupted.TIMEOUT, fail_on_timeout=False)
    assert (r.result, r.exit_code, r.error_code) == ("timeout", 0, "none")
    failing = (done(1, 2, 1, 1), running(2, Interrupted.TIMEOUT))
    r = verdict(failing, interrupted=Interrupted.TIMEOUT, fail_on_timeout=False)
    assert (r.result, r.exit_code, r.error_code) == ("failed", 1, "tests_failed")


@pytest.mark.parametrize(("code", "name"), [(130, "SIGINT"), (143, "SIGTERM"), (0, "SIGINT")])
def test_cancelled_says_by_what(code: int, name: str) -> None:
    r = verdict(
        (running(1, Interrupted.CANCELLED),), interrupted=Interrupted.CANCELLED, signal_code=code
    )
    assert (r.result, r.error_code) == ("cancelled", "cancelled")
    assert r.exit_code == (code or 130) and r.message == f"cancelled by {name}"


@pytest.mark.parametrize(
    ("error", "error_code"),
    [(ServiceUnreachable("gone"), "unreachable"), (AuthRefused("no"), "auth_refused")],
)
def test_an_api_error_is_the_verdict(error: ServiceUnreachable, error_code: str) -> None:
    r = verdict((done(1, 1, 1, 0),), error=error)
    assert (r.result, r.exit_code, r.error_code) == ("error", 3, error_code)
    assert r.message == str(error)


def test_every_exception_has_an_exit_code_and_an_error_code() -> None:
    import vibetesting_ci.errors as errors

    classes = [
        c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, VibetestingError)
    ]
    assert len(classes) >= 9
    for cls in classes:
        assert cls.exit_code in set(ExitCode), cls
        assert cls.error_code and cls.error_code.isidentifier(), cls
    assert errors.ReportError.exit_code == ExitCode.API  # what --require-report exits with


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


def test_runs_not_awaited_exit_0() -> None:
    from vibetesting_ci.domain.models import TriggerResult
    from vibetesting_ci.domain.verdict import not_awaited

    scheduled = not_awaited(TriggerResult((4, 5), schedule_id="s-1"), ("a",))
    assert (scheduled.result, scheduled.exit_code, scheduled.error_code) == ("scheduled", 0, "none")
    assert scheduled.schedule_id == "s-1" and scheduled.execution_ids == (4, 5)
    assert "vibetesting cancel-schedule s-1" in (scheduled.message or "")
    triggered = not_awaited(TriggerResult((4, 5)), ())
    assert triggered.result == "triggered" and "vibetesting wait 4 5" in (triggered.message or "")


def test_a_failed_trigger_and_the_signal_that_left_it_uncertain() -> None:
    from vibetesting_ci.domain.verdict import trigger_failed
    from vibetesting_ci.errors import TriggerUncertain

    r = trigger_failed(ServiceUnreachable("down"), ())
    assert (r.result, r.exit_code, r.error_code) == ("error", 3, "unreachable")
    r = trigger_failed(TriggerUncertain("maybe"), (), signal_code=0)
    assert (r.result, r.exit_code, r.error_code) == ("error", 3, "trigger_uncertain")
    r = trigger_failed(TriggerUncertain("maybe"), (), signal_code=143)
    assert (r.result, r.exit_code, r.error_code) == ("cancelled", 143, "cancelled")
    r = trigger_failed(AuthRefused("no"), (), signal_code=143)  # certain: its own code
    assert (r.result, r.exit_code, r.error_code) == ("error", 3, "auth_refused")


def test_after_the_wait_signals_reports_and_writes_change_the_verdict() -> None:
    from vibetesting_ci.domain.verdict import cancelled_after_wait, with_missing_reports

    passed = verdict((done(1, 1, 1, 0),))
    late = cancelled_after_wait(passed, 143)
    assert (late.result, late.exit_code, late.error_code) == ("cancelled", 143, "cancelled")
    assert late.message == "cancelled by SIGTERM after the wait (passed: all 1 test(s) passed)"
    assert with_missing_reports(passed, ["x"], require_report=False) is passed
    assert with_missing_reports(passed, [], require_report=True) is passed
    required = with_missing_reports(passed, ["execution 1: HTTP 500"], require_report=True)
    assert (required.exit_code, required.error_code) == (3, "report_missing")
    assert required.message == "report required but not downloaded: execution 1: HTTP 500"
    timed_out = verdict((running(1, Interrupted.TIMEOUT),), interrupted=Interrupted.TIMEOUT)
    assert with_missing_reports(timed_out, ["x"], require_report=True) is timed_out
    report = build_report(passed, [OutputFile(FileKind.JUNIT, "j.xml")])
    unwritable = report.after_write_failures(
        ["could not write j.xml: Is a directory"], lost=["j.xml"]
    )
    assert (unwritable.exit_code, unwritable.verdict.error_code) == (2, "output")
    assert unwritable.message == "could not write j.xml: Is a directory"
    assert unwritable.files == () and unwritable.executions == report.executions
    assert report.after_write_failures([]) is report
    both = report.after_write_failures(["could not write a", "could not write b"])
    assert (both.message, both.warnings[-1:]) == ("could not write a", ("could not write b",))
    again = both.after_write_failures(["could not write c"])  # the verdict stays; noted
    assert (again.exit_code, again.message) == (2, "could not write a")
    assert again.warnings[-2:] == ("could not write b", "could not write c")
    kept = build_report(timed_out).after_write_failures(["could not write"])
    assert (kept.exit_code, kept.result, kept.message) == (4, "timeout", timed_out.message)
    assert kept.warnings == (*timed_out.warnings, "could not write")
