"""In-process tests of the verdict (verdict.decide) and the final text (summary.py)."""

from __future__ import annotations

import pytest

from tests.support.builders import done, running, verdict
from vibetesting_ci.domain.models import Interrupted
from vibetesting_ci.domain.report import FileKind, OutputFile, build_report
from vibetesting_ci.errors import (
    AuthRefused,
    ExitCode,
    ServiceUnreachable,
    VibetestingError,
)
from vibetesting_ci.render.console import (
    Style,
)

PLAIN = Style(False)


def test_all_passed() -> None:
    r = verdict(done(1, 3, 3, 0), done(2, 2, 2, 0))
    assert (r.result, r.exit_code, r.error_code) == ("passed", 0, "none")
    assert r.message == "all 5 test(s) passed"


def test_failed_and_not_done_tests_fail_the_run() -> None:
    r = verdict(done(1, 3, 1, 1, done=3))
    assert (r.result, r.exit_code, r.error_code) == ("failed", 1, "tests_failed")
    assert r.message == "1 of 3 test(s) failed; 1 test(s) not done"
    r = verdict(done(1, 3, 2, 0, done=3))
    assert (r.result, r.exit_code) == ("failed", 1)
    assert r.message == "1 test(s) not done"


def test_timeout_by_the_flag() -> None:
    executions = (done(1, 2, 2, 0), running(2, Interrupted.TIMEOUT))
    r = verdict(*executions, interrupted=Interrupted.TIMEOUT)
    assert (r.result, r.exit_code, r.error_code) == ("timeout", 4, "timeout")
    assert r.message == "timed out with 1 of 2 execution(s) unfinished"
    r = verdict(*executions, interrupted=Interrupted.TIMEOUT, fail_on_timeout=False)
    assert (r.result, r.exit_code, r.error_code) == ("timeout", 0, "none")
    failing = (done(1, 2, 1, 1), running(2, Interrupted.TIMEOUT))
    r = verdict(*failing, interrupted=Interrupted.TIMEOUT, fail_on_timeout=False)
    assert (r.result, r.exit_code, r.error_code) == ("failed", 1, "tests_failed")


@pytest.mark.parametrize(("code", "name"), [(130, "SIGINT"), (143, "SIGTERM"), (0, "SIGINT")])
def test_cancelled_says_by_what(code: int, name: str) -> None:
    r = verdict(
        running(1, Interrupted.CANCELLED), interrupted=Interrupted.CANCELLED, signal_code=code
    )
    assert (r.result, r.error_code) == ("cancelled", "cancelled")
    assert r.exit_code == (code or 130) and r.message == f"cancelled by {name}"


@pytest.mark.parametrize(
    ("error", "error_code"),
    [(ServiceUnreachable("gone"), "unreachable"), (AuthRefused("no"), "auth_refused")],
)
def test_an_api_error_is_the_verdict(error: ServiceUnreachable, error_code: str) -> None:
    r = verdict(done(1, 1, 1, 0), error=error)
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

    passed = verdict(done(1, 1, 1, 0))
    late = cancelled_after_wait(passed, 143)
    assert (late.result, late.exit_code, late.error_code) == ("cancelled", 143, "cancelled")
    assert late.message == "cancelled by SIGTERM after the wait (passed: all 1 test(s) passed)"
    assert with_missing_reports(passed, ["x"], require_report=False) is passed
    assert with_missing_reports(passed, [], require_report=True) is passed
    required = with_missing_reports(passed, ["execution 1: HTTP 500"], require_report=True)
    assert (required.exit_code, required.error_code) == (3, "report_missing")
    assert required.message == "report required but not downloaded: execution 1: HTTP 500"
    timed_out = verdict(running(1, Interrupted.TIMEOUT), interrupted=Interrupted.TIMEOUT)
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
