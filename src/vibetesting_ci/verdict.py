"""The verdict of a wait: ``result``, exit code, ``error_code`` and a one-line message. Pure."""

from __future__ import annotations

from typing import Any

from vibetesting_ci.cancellation import signal_name
from vibetesting_ci.errors import (
    ERROR_CANCELLED,
    ERROR_NONE,
    ERROR_TESTS_FAILED,
    ERROR_TIMEOUT,
    ApiError,
    ExitCode,
)
from vibetesting_ci.models import (
    INTERRUPTED_CANCELLED,
    INTERRUPTED_TIMEOUT,
    RESULT_CANCELLED,
    RESULT_ERROR,
    RESULT_FAILED,
    RESULT_PASSED,
    RESULT_TIMEOUT,
    ExecutionResult,
    RunResult,
)


def decide(
    executions: tuple[ExecutionResult, ...],
    *,
    interrupted: str | None,
    error: ApiError | None,
    fail_on_timeout: bool,
    signal_code: int,
    test_names: tuple[str, ...] = (),
) -> RunResult:
    """The verdict on what the wait saw. ``signal_code`` is 128 + the signal (0: none)."""
    finished = [e for e in executions if e.finished and e.status is not None]
    failed = sum(e.status.failed for e in finished if e.status is not None)
    not_done = sum(e.status.not_done for e in finished if e.status is not None)
    common: dict[str, Any] = {"executions": executions, "test_names": test_names}
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
        if failed:
            return RunResult(
                RESULT_FAILED,
                ExitCode.FAILED,
                message=f"{message}; {failed} test(s) failed",
                error_code=ERROR_TESTS_FAILED,
                **common,
            )
        return RunResult(
            RESULT_TIMEOUT, ExitCode.OK, message=f"{message} (--no-fail-on-timeout)", **common
        )
    total = sum(e.status.tests for e in finished if e.status is not None)
    if failed or not_done:
        parts = [f"{failed} of {total} test(s) failed"] if failed else []
        if not_done:
            parts.append(f"{not_done} test(s) not done")
        return RunResult(
            RESULT_FAILED,
            ExitCode.FAILED,
            message="; ".join(parts),
            error_code=ERROR_TESTS_FAILED,
            **common,
        )
    return RunResult(
        RESULT_PASSED,
        ExitCode.OK,
        message=f"all {total} test(s) passed",
        error_code=ERROR_NONE,
        **common,
    )
