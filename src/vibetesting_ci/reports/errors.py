"""The one error the reporters raise."""

from __future__ import annotations

from vibetesting_ci.errors import ExitCode, VibetestingError


class ReportError(VibetestingError):
    """A PDF report could not be downloaded (HTTP error, not a PDF, too big, timeout...).

    The message names the file or the (redacted) URL and never carries a token.
    """

    exit_code = ExitCode.FAILED
