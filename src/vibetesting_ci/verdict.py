"""The verdict: every ``RunResult`` is built here (``result``, exit code, ``error_code`` and a
one-line message), from what the trigger, the wait, the downloads and the writes gave. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from vibetesting_ci.cancellation import signal_name
from vibetesting_ci.errors import (
    ERROR_CANCELLED,
    ERROR_ENDED,
    ERROR_NO_TESTS,
    ERROR_NONE,
    ERROR_OUTPUT,
    ERROR_TESTS_FAILED,
    ERROR_TIMEOUT,
    ERROR_UNREADABLE,
    ApiError,
    ExitCode,
    ReportError,
    TriggerUncertain,
    VibetestingError,
)
from vibetesting_ci.models import (
    INTERRUPTED_CANCELLED,
    INTERRUPTED_TIMEOUT,
    RESULT_CANCELLED,
    RESULT_ERROR,
    RESULT_FAILED,
    RESULT_PASSED,
    RESULT_SCHEDULED,
    RESULT_TIMEOUT,
    RESULT_TRIGGERED,
    ExecutionResult,
    RunResult,
    TriggerResult,
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


def _troubles(finished: Sequence[ExecutionResult], allow_empty: bool) -> tuple[list[str], str]:
    """Why the finished (readable) executions do not pass, as message parts, and the
    ``error_code`` for them; no parts: they pass."""
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
    code = ERROR_TESTS_FAILED
    if ended:
        states = sorted({e.status.state for e in ended if e.status is not None})
        parts.append(f"execution(s) {_ids(ended)} ended as {'/'.join(map(repr, states))}")
        code = code if parts[:-1] else ERROR_ENDED
    if empty and not allow_empty:
        parts.append(
            f"the service ran no test in execution(s) {_ids(empty)} (--allow-empty accepts that)"
        )
        code = code if parts[:-1] else ERROR_NO_TESTS
    return parts, code


def decide(
    executions: tuple[ExecutionResult, ...],
    *,
    interrupted: str | None,
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
    if interrupted == INTERRUPTED_CANCELLED:
        code = signal_code or ExitCode.SIGINT
        return RunResult(
            RESULT_CANCELLED,
            code,
            message=f"cancelled by {signal_name(code)}",
            error_code=ERROR_CANCELLED,
            **common,
        )
    if error is not None:
        return RunResult(
            RESULT_ERROR,
            error.exit_code,
            message=str(error),
            error_code=error.error_code,
            **common,
        )
    if unreadable:
        return RunResult(
            RESULT_ERROR,
            ExitCode.API,
            message=_unreadable_message(unreadable),
            error_code=ERROR_UNREADABLE,
            **common,
        )
    if interrupted is None and len(finished) < len(executions):  # pragma: no cover - defensive
        unfinished = [e for e in executions if e not in finished]
        return RunResult(
            RESULT_ERROR,
            ExitCode.API,
            message=f"execution(s) {_ids(unfinished)}: no final answer was read",
            error_code=ERROR_UNREADABLE,
            **common,
        )
    troubles, trouble_code = _troubles(readable, allow_empty)
    if interrupted == INTERRUPTED_TIMEOUT:
        waiting = len(executions) - len(finished)
        message = f"timed out with {waiting} of {len(executions)} execution(s) unfinished"
        if fail_on_timeout:
            return RunResult(
                RESULT_TIMEOUT,
                ExitCode.TIMEOUT,
                message=message,
                error_code=ERROR_TIMEOUT,
                **common,
            )
        if troubles:  # what fails a finished run fails a timed-out one too
            return RunResult(
                RESULT_FAILED,
                ExitCode.FAILED,
                message=f"{message}; " + "; ".join(troubles),
                error_code=trouble_code,
                **common,
            )
        return RunResult(
            RESULT_TIMEOUT, ExitCode.OK, message=f"{message} (--no-fail-on-timeout)", **common
        )
    if troubles:
        return RunResult(
            RESULT_FAILED,
            ExitCode.FAILED,
            message="; ".join(troubles),
            error_code=trouble_code,
            **common,
        )
    total = sum(e.status.tests for e in readable if e.status is not None)
    return RunResult(
        RESULT_PASSED,
        ExitCode.OK,
        message=(
            f"all {total} test(s) passed"
            if total
            else "the service ran no test (accepted with --allow-empty)"
        ),
        error_code=ERROR_NONE,
        **common,
    )


def not_awaited(trigger: TriggerResult, test_names: tuple[str, ...]) -> RunResult:
    """A run that is not waited for: scheduled, or triggered with ``--no-wait`` (exit 0)."""
    executions = tuple(ExecutionResult(i) for i in trigger.execution_ids)
    if trigger.scheduled:
        return RunResult(
            RESULT_SCHEDULED,
            ExitCode.OK,
            executions=executions,
            schedule_id=trigger.schedule_id,
            test_names=test_names,
            message=f"scheduled as {trigger.schedule_id}; cancel with "
            f"'vibetesting cancel-schedule {trigger.schedule_id}'",
        )
    return RunResult(
        RESULT_TRIGGERED,
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
        RESULT_CANCELLED if cancelled else RESULT_ERROR,
        code,
        test_names=test_names,
        message=str(error),
        error_code=ERROR_CANCELLED if cancelled else error_code,
    )


def cancelled_after_wait(result: RunResult, signal_code: int) -> RunResult:
    """A signal after the wait (during the downloads or stop calls): what is known stays, and
    the exit code says the job was cancelled."""
    if result.result == RESULT_CANCELLED:
        return result
    code = signal_code or ExitCode.SIGINT
    return replace(
        result,
        result=RESULT_CANCELLED,
        exit_code=code,
        error_code=ERROR_CANCELLED,
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
            result=RESULT_ERROR,
            exit_code=ReportError.exit_code,
            error_code=ReportError.error_code,
            message=f"report required but not downloaded: {missing[0]}",
        )
    return result


def with_write_failures(result: RunResult, failures: Sequence[str]) -> RunResult:
    """An output file that could not be written turns a pass or fail into exit 2 (the first
    failure is the message). Every other failure, and any on a verdict that stays (a timeout,
    an API error, a cancel), is kept in the warnings, so the results file names them all."""
    if not failures:
        return result
    if result.exit_code in (ExitCode.OK, ExitCode.FAILED):
        return replace(
            result,
            result=RESULT_ERROR,
            exit_code=ExitCode.USAGE,
            error_code=ERROR_OUTPUT,
            message=failures[0],
            warnings=(*result.warnings, *failures[1:]),
        )
    return replace(result, warnings=(*result.warnings, *failures))
