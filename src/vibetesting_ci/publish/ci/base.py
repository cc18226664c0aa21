"""The interface every CI adapter offers, and the generic adapter (plain logs, no extras)."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from vibetesting_ci.safety.text import log_text
from vibetesting_ci.vocabulary import CISystem

if TYPE_CHECKING:  # pragma: no cover
    from vibetesting_ci.domain.report import Report


class CIAdapter:
    """Base adapter: plain text on stderr. Subclasses add what their CI system understands.

    Call order from the CLI: ``mask()`` for each secret before anything else is printed;
    ``group()`` around the polling log; ``error()`` / ``warning()`` as they happen;
    ``finish()`` once with the final result (outputs, summaries).
    """

    name: CISystem = CISystem.GENERIC
    # True where error()/warning() become annotations that people see apart from the log (so
    # the verdict is worth repeating as one); False where they would only repeat a log line.
    annotates = False

    def __init__(self, environ: Mapping[str, str], stream: TextIO | None = None) -> None:
        self.environ = environ
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def mask(self, secret: str) -> None:
        """Ask the CI system to hide ``secret`` in its logs (no-op by default)."""

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A collapsible section of the log (plain by default)."""
        yield

    def error(self, message: str) -> None:
        print(f"error: {log_text(message)}", file=self.stream, flush=True)

    def warning(self, message: str) -> None:
        print(f"warning: {log_text(message)}", file=self.stream, flush=True)

    def output_files(self) -> tuple[tuple[str, str], ...]:
        """The files ``finish()`` appends to, as (variable, path): checked before the trigger."""
        return ()

    def finish(self, report: Report) -> list[str]:
        """Publish outputs and summaries for the final report (nothing by default). Returns a
        line for each file that could not be written (the runner makes them the verdict)."""
        return []


class GenericAdapter(CIAdapter):
    """Jenkins, GitLab without extras, a terminal: plain lines only."""
