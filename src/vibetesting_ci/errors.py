"""Exception hierarchy. Every expected failure is a ``VibetestingError`` carrying its exit code.

The CLI prints ``str(error)`` as one line and exits with ``error.exit_code``; anything else is a
bug and gets a traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The documented exit codes (README, "Exit codes")."""

    OK = 0
    FAILED = 1
    USAGE = 2
    API = 3
    TIMEOUT = 4
    SIGINT = 130
    SIGTERM = 143


class VibetestingError(Exception):
    """Base class: an expected failure with a one-line message and an exit code."""

    exit_code: int = ExitCode.FAILED

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


class ApiError(VibetestingError):
    """The service refused, or could not be reached after retries."""

    exit_code = ExitCode.API


class ServiceRefused(ApiError):
    """The service answered ``{"status": "fail", "reason": ...}`` or a 4xx (the message says
    which, with the service's reason)."""


class AuthRefused(ServiceRefused):
    """401/403: the token was refused. The message never contains the token."""


class ServiceUnreachable(ApiError):
    """Transport errors, timeouts, 5xx or garbage answers that persisted after retries."""


class TriggerUncertain(ApiError):
    """A trigger request may have reached the service, so it was not repeated."""
