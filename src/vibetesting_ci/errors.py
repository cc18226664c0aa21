"""The one exception family. Every expected failure is a ``VibetestingError`` carrying the exit
code it ends the command with and a machine-readable ``error_code`` (the results JSON's
``error_code``; README, "Results file").

The CLI prints ``str(error)`` as one line and exits with ``error.exit_code``; anything else is a
bug and gets a traceback. Every exception class of the package is defined here.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ExitCode(IntEnum):
    """The documented exit codes (README, "Exit codes")."""

    OK = 0
    FAILED = 1
    USAGE = 2
    API = 3
    TIMEOUT = 4
    SIGINT = 130
    SIGTERM = 143


class ErrorCode(StrEnum):
    """The results JSON's ``error_code``: what ended a command, for machines. Each exception
    class carries one; the outcomes that are not exceptions have theirs too."""

    NONE = "none"  # passed, triggered, scheduled, timed out with --no-fail-on-timeout
    TESTS_FAILED = "tests_failed"  # exit 1: the service reported failed or unfinished tests
    TIMEOUT = "timeout"  # exit 4
    CANCELLED = "cancelled"  # exit 130 / 143
    OUTPUT = "output"  # exit 2: an output file could not be written
    UNREADABLE = "unreadable_answer"  # exit 3: a final status cannot establish the verdict
    NO_TESTS = "no_tests"  # exit 1: done with no test (without --allow-empty)
    ENDED = "execution_ended"  # exit 1: an ended state (failed, stopped...), tests all passed
    FAILED = "failed"
    INPUT = "input"
    API_ERROR = "api_error"
    API_REFUSED = "api_refused"
    AUTH_REFUSED = "auth_refused"
    UNREACHABLE = "unreachable"
    TRIGGER_UNCERTAIN = "trigger_uncertain"
    REPORT_MISSING = "report_missing"


def signal_name(exit_code: int) -> str:
    """``SIGINT`` / ``SIGTERM`` for their exit codes, else ``a signal``."""
    signals = (ExitCode.SIGINT, ExitCode.SIGTERM)
    return ExitCode(exit_code).name if exit_code in signals else "a signal"


class VibetestingError(Exception):
    """Base class: an expected failure with a one-line message and an exit code."""

    exit_code: int = ExitCode.FAILED
    error_code: ErrorCode = ErrorCode.FAILED

    def __init__(self, message: str) -> None:
        # A message may quote the user's text: any lone surrogate in it is escaped, so the
        # message prints and encodes anywhere (stdout under GitHub, UTF-8 files).
        message = message.encode("utf-8", "backslashreplace").decode("utf-8")
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(VibetestingError):
    """Bad options, variables or tests file. Raised before any request is sent."""

    exit_code = ExitCode.USAGE
    error_code = ErrorCode.INPUT


class ApiError(VibetestingError):
    """The service refused, or could not be reached after retries."""

    exit_code = ExitCode.API
    error_code = ErrorCode.API_ERROR


class ServiceRefused(ApiError):
    """The service answered ``{"status": "fail", "reason": ...}`` or a 4xx (the message says
    which, with the service's reason)."""

    error_code = ErrorCode.API_REFUSED


class AuthRefused(ServiceRefused):
    """401/403: the token was refused. The message never contains the token."""

    error_code = ErrorCode.AUTH_REFUSED


class ServiceUnreachable(ApiError):
    """Transport errors, timeouts, 5xx or garbage answers that persisted after retries."""

    error_code = ErrorCode.UNREACHABLE


class DeadlineReached(ServiceUnreachable):
    """A safe call stopped retrying because the caller's deadline came first (not persistence).

    The waiter turns it into a timeout (exit 4, or 0 with ``--no-fail-on-timeout``); a stop
    call reports it as a warning; a one-shot command's client (``ApiClient.one_shot``) raises
    :class:`ServiceUnreachable` at its bound instead (exit 3)."""

    exit_code = ExitCode.TIMEOUT
    error_code = ErrorCode.TIMEOUT


class TriggerUncertain(ApiError):
    """A trigger request may have reached the service, so it was not repeated."""

    error_code = ErrorCode.TRIGGER_UNCERTAIN


class ReportError(VibetestingError):
    """A PDF report could not be downloaded (HTTP error, not a PDF, too big, timeout...).

    A warning, unless ``--require-report`` makes it the verdict: exit 3 (``report_missing``).
    The message names the file or the (redacted) URL and never carries a token.
    """

    exit_code = ExitCode.API
    error_code = ErrorCode.REPORT_MISSING


class CommentError(VibetestingError):
    """The pull/merge request comment was not posted or edited (no token, no pull request, a
    refused, odd or slow answer). Always a warning, never the step's verdict; one line, no
    token (``publish/comment.py``)."""

    exit_code = ExitCode.OK
    error_code = ErrorCode.NONE


class AnswerTooLarge(Exception):
    """An answer's decoded body passed its cap (``transport.read_capped``); the API client
    turns it into an :class:`ApiError` (or :class:`TriggerUncertain`) that says so."""
