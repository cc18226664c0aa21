"""The verdict: every ``RunResult`` is built here (``result``, exit code, ``error_code`` and a
one-line message), from what the trigger, the wait, the downloads and the writes gave. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from vibetesting_ci.domain.models import (
    ExecutionResult,
    Interrupted,
    Result,
    RunResult,
    TriggerResult,
)
from vibetesting_ci.errors import (
    ApiError,
    ErrorCode,
    ExitCode,
    ReportError,
    TriggerUncertain,
    VibetestingError,
    signal_name,
)


def _ids(executions: Sequence[ExecutionResult], limit: int = 5) -> str:
    shown = ", ".join(str(e.execution_id) for e in executions[:limit])
    more = len(executions) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def _unreadable_message(unreadable: Sequence[ExecutionResult]) -> str:
    first = unreadable[0]
    assert first.status is not None and first.status.problem is not None
    more = f" (and {len(unreadable) - 1} more execution(s))" if len(unreadable) > 1 else ""
    return (
        f"execution {first.execution_id}: {first.status.problem.describe()}; "
        f"the service's answer cannot establish the verdict{more}"
    )


def counted(executions: Sequence[ExecutionResult]) -> int:
    """The tests the service counted in ``executions`` (those with a status)."""
    return sum(e.status.tests for e in executions if e.status is not None)


def uncounted(executions: Sequence[ExecutionResult], sent: int) -> str | None:
    """A guided run of ``sent`` tests whose executions count fewer (but some): the rest have
    no outcome, so they cannot pass (one id answered twice, counts of another run...)."""
    number = counted(executions)
    if 0 < number < sent:
        return f"the service counted {number} of the {sent} tests sent"
    return None


def _troubles(
    finished: Sequence[ExecutionResult], allow_empty: bool, sent: int = 0
) -> tuple[list[str], ErrorCode]:
    """Why the finished (readable) executions do not pass, as message parts, and the
    ``error_code`` for them; no parts: they pass. ``sent``: the tests a guided run sent."""
    statuses = [e.status for e in finished if e.status is not None]
    failed = sum(s.failed for s in statuses)
    total = sum(s.tests for s in statuses)
    not_done = sum(s.not_done for s in statuses)
    ended = [e for e in finished if e.status is not None and e.status.ended]
    empty = [
        e for e in finished if e.status is not None and e.status.is_done and e.status.tests == 0
    ]
    parts = [f"{failed} of {total} test(s) failed"] if failed else []
    if not_done:
        parts.append(f"{not_done} test(s) not done")
    code = ErrorCode.TESTS_FAILED
    if ended:
        states = sorted({e.status.state for e in ended if e.status is not None})
        parts.append(f"execution(s) {_ids(ended)} ended as {'/'.join(map(repr, states))}")
        code = code if parts[:-1] else ErrorCode.ENDED
    if empty and not allow_empty:
        parts.append(
            f"the service ran no test in execution(s) {_ids(empty)} (--allow-empty accepts that)"
        )
        code = code if parts[:-1] else ErrorCode.NO_TESTS
    if sent and (missing := uncounted(finished, sent)):
        parts.append(missing)
        code = code if parts[:-1] else ErrorCode.NO_TESTS
    return parts, code


def decide(
    executions: tuple[ExecutionResult, ...],
    *,
    interrupted: Interrupted | None,
    error: ApiError | None,
    fail_on_timeout: bool,
    signal_code: int,
    test_names: tuple[str, ...] = (),
    allow_empty: bool = False,
) -> RunResult:
    """The verdict on what the wait saw. ``signal_code`` is 128 + the signal (0: none).

    In order: cancelled; an API error; a final answer whose counts cannot be read (exit 3,
    never a pass); a timeout; failed tests, tests not done, an ended state or (unless
    ``allow_empty``) an execution done with no test (exit 1); otherwise passed."""
    finished = [e for e in executions if e.finished and e.status is not None]
    unreadable = [e for e in finished if e.status is not None and e.status.unreadable]
    readable = [e for e in finished if e not in unreadable]
    common: dict[str, Any] = {
        "executions": executions,
        "test_names": test_names,
        "allow_empty": allow_empty,
    }
    if interrupted == Interrupted.CANCELLED:
        code = signal_code or ExitCode.SIGINT
        return RunResult(
            Result.CANCELLED,
            code,
            message=f"cancelled by {signal_name(code)}",
            error_code=ErrorCode.CANCELLED,
            **common,
        )
    if error is not None:
        return RunResult(
            Result.ERROR,
            error.exit_code,
            message=str(error),
            error_code=error.error_code,
            **common,
        )
    if unreadable:
        return RunResult(
            Result.ERROR,
            ExitCode.API,
            message=_unreadable_message(unreadable),
            error_code=ErrorCode.UNREADABLE,
            **common,
        )
    if interrupted is None and len(finished) < len(executions):  # pragma: no cover - defensive
        unfinished = [e for e in executions if e not in finished]
        return RunResult(
            Result.ERROR,
            ExitCode.API,
            message=f"execution(s) {_ids(unfinished)}: no final answer was read",
            error_code=ErrorCode.UNREADABLE,
            **common,
        )
    whole = interrupted is None and len(readable) == len(executions)
    troubles, trouble_code = _troubles(readable, allow_empty, len(test_names) if whole else 0)
    if interrupted == Interrupted.TIMEOUT:
        waiting = len(executions) - len(finished)
        message = f"timed out with {waiting} of {len(executions)} execution(s) unfinished"
        if fail_on_timeout:
            return RunResult(
                Result.TIMEOUT,
                ExitCode.TIMEOUT,
                message=message,
                error_code=ErrorCode.TIMEOUT,
                **common,
            )
        if troubles:  # what fails a finished run fails a timed-out one too
            return RunResult(
                Result.FAILED,
                ExitCode.FAILED,
                message=f"{message}; " + "; ".join(troubles),
                error_code=trouble_code,
                **common,
            )
        return RunResult(
            Result.TIMEOUT, ExitCode.OK, message=f"{message} (--no-fail-on-timeout)", **common
        )
    if troubles:
        return RunResult(
            Result.FAILED,
            ExitCode.FAILED,
            message="; ".join(troubles),
            error_code=trouble_code,
            **common,
        )
    total = counted(readable)
    return RunResult(
        Result.PASSED,
        ExitCode.OK,
        message=(
            f"all {total} test(s) passed"
            if total
            else "the service ran no test (accepted with --allow-empty)"
        ),
        error_code=ErrorCode.NONE,
        **common,
    )


def not_awaited(trigger: TriggerResult, test_names: tuple[str, ...]) -> RunResult:
    """A run that is not waited for: scheduled, or triggered with ``--no-wait`` (exit 0)."""
    executions = tuple(ExecutionResult(i) for i in trigger.execution_ids)
    if trigger.scheduled:
        return RunResult(
            Result.SCHEDULED,
            ExitCode.OK,
            executions=executions,
            schedule_id=trigger.schedule_id,
            test_names=test_names,
            message=f"scheduled as {trigger.schedule_id}; cancel with "
            f"'vibetesting cancel-schedule {trigger.schedule_id}'",
        )
    return RunResult(
        Result.TRIGGERED,
        ExitCode.OK,
        executions=executions,
        test_names=test_names,
        message="not waiting (--no-wait); follow with 'vibetesting wait "
        + " ".join(map(str, trigger.execution_ids))
        + "'",
    )


def trigger_failed(
    error: VibetestingError, test_names: tuple[str, ...], signal_code: int = 0
) -> RunResult:
    """The trigger failed (nothing to wait for). A trigger left uncertain by a signal ends with
    the signal's exit code."""
    code, error_code = error.exit_code, error.error_code
    if signal_code and isinstance(error, TriggerUncertain):
        code = signal_code
    cancelled = code >= 128
    return RunResult(
        Result.CANCELLED if cancelled else Result.ERROR,
        code,
        test_names=test_names,
        message=str(error),
        error_code=ErrorCode.CANCELLED if cancelled else error_code,
    )


def cancelled_after_wait(result: RunResult, signal_code: int) -> RunResult:
    """A signal after the wait (during the downloads or stop calls): what is known stays, and
    the exit code says the job was cancelled."""
    if result.result == Result.CANCELLED:
        return result
    code = signal_code or ExitCode.SIGINT
    return replace(
        result,
        result=Result.CANCELLED,
        exit_code=code,
        error_code=ErrorCode.CANCELLED,
        message=f"cancelled by {signal_name(code)} after the wait "
        f"({result.result}: {result.message})",
    )


def with_missing_reports(
    result: RunResult, missing: Sequence[str], *, require_report: bool
) -> RunResult:
    """``--require-report`` and a report that could not be had: exit 3 (else a warning)."""
    if missing and require_report and result.exit_code in (ExitCode.OK, ExitCode.FAILED):
        return replace(
            result,
            result=Result.ERROR,
            exit_code=ReportError.exit_code,
            error_code=ReportError.error_code,
            message=f"report required but not downloaded: {missing[0]}",
        )
    return result


def _percent(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _why_no_threshold(result: RunResult) -> str | None:
    """Why the thresholds cannot decide a failed result (None: they can). They weigh tests
    that failed or were not done in finished executions; an execution that ended (failed,
    stopped...), one done with no test, or one not finished (a timeout) says nothing a count
    could excuse."""
    for execution in result.executions:
        status = execution.status
        if not execution.finished or status is None:
            return f"execution {execution.execution_id} did not finish"
        if status.ended:
            return f"execution {execution.execution_id} ended as {status.state!r}"
        if status.tests == 0 and not result.allow_empty:
            return f"the service ran no test in execution {execution.execution_id}"
    missing = uncounted(result.executions, len(result.test_names))
    if missing:
        return missing
    return None if result.totals.tests else "no test ran"


def with_thresholds(
    result: RunResult, *, max_failures: int | None, min_pass_rate: float | None
) -> RunResult:
    """``--max-failures`` / ``--min-pass-rate``: a ``failed`` result whose final counts are
    within them passes (exit 0), with the sentence that decided in ``threshold`` (``2 failed,
    within --max-failures 3``). Only ``failed`` is ever turned into a pass: a timeout, a
    cancel, an API error or counts that cannot be read keep their exit code. With both given,
    both must hold."""
    if (max_failures is None and min_pass_rate is None) or result.result != Result.FAILED:
        return result
    why = _why_no_threshold(result)
    if why is not None:
        sentence = f"thresholds not applied: {why}"
        return replace(result, threshold=sentence, message=f"{result.message}; {sentence}")
    totals = result.totals
    missing = totals.tests - totals.passed
    noun = "failed" if missing == totals.failed else "failed or not done"
    parts: list[tuple[bool, str]] = []
    if max_failures is not None:
        ok = missing <= max_failures
        word = "within" if ok else "above"
        parts.append((ok, f"{missing} {noun}, {word} --max-failures {max_failures}"))
    if min_pass_rate is not None:
        ok = totals.passed * 100 >= min_pass_rate * totals.tests
        rate = _percent(100 * totals.passed / totals.tests)
        word = "at least" if ok else "below"
        parts.append((ok, f"{rate}% passed, {word} --min-pass-rate {_percent(min_pass_rate)}"))
    sentence = "; ".join(text for _ok, text in parts)
    if all(ok for ok, _text in parts):
        return replace(
            result,
            result=Result.PASSED,
            exit_code=ExitCode.OK,
            error_code=ErrorCode.NONE,
            threshold=sentence,
            message=f"{totals.passed} of {totals.tests} test(s) passed"
            f"{after_retries(result.runs_started - 1)}"
            f"{_flaky_clause(result.flaky, result.flaky_tests)}; {sentence}",
        )
    return replace(result, threshold=sentence, message=f"{result.message}; {sentence}")


def after_retries(retries: int) -> str:
    """`` after N retries`` (the retries that started a run), or nothing."""
    return f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""


def _flaky_clause(flaky: int, names: Sequence[str]) -> str:
    if not flaky:
        return ""
    shown = f": {', '.join(names[:5])}" + (" ..." if len(names) > 5 else "") if names else ""
    return f"; {flaky} flaky (failed, then passed on a retry){shown}"


def with_flaky(result: RunResult, flaky: int, names: Sequence[str]) -> RunResult:
    """Record the tests that failed, then passed on a retry; a pass says how many there were
    (a threshold that passes a failed run says it too: ``with_thresholds``)."""
    if not flaky:
        return result
    message = result.message
    if result.result == Result.PASSED:
        message = f"{message}{_flaky_clause(flaky, names)}"
    return replace(result, flaky=flaky, flaky_tests=tuple(names), message=message)
