"""GitHub Actions: the adapter that writes what ``render/github.py`` renders from the report:
workflow commands on stdout (masks, groups, annotations), the step outputs (``$GITHUB_OUTPUT``)
and the job summary (``$GITHUB_STEP_SUMMARY``), each file appended to whole and scrubbed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

from vibetesting_ci.domain.report import Report
from vibetesting_ci.publish.ci.base import CIAdapter
from vibetesting_ci.render.github import (
    ANNOTATION_TITLE,
    annotations_for,
    command,
    output_block,
    outputs_for,
    render_summary,
)
from vibetesting_ci.safety.guard import write_command
from vibetesting_ci.safety.text import line_text
from vibetesting_ci.vocabulary import CISystem


class GitHubAdapter(CIAdapter):
    """``GITHUB_ACTIONS=true``: masks, groups, annotations, outputs and a job summary."""

    name = CISystem.GITHUB
    annotates = True

    def __init__(self, environ: Mapping[str, str], stream: TextIO | None = None) -> None:
        super().__init__(environ, stream)
        self._in_group = False
        self._masked: set[str] = set()

    @property
    def stream(self) -> TextIO:
        # The runner reads workflow commands from stdout.
        return self._stream if self._stream is not None else sys.stdout

    def _emit(self, line: str) -> None:
        write_command(self.stream, line)

    def mask(self, secret: str) -> None:
        if not secret or not secret.strip():
            return
        # The whole value, and each line of a multi-line one (the runner masks line by line).
        for value in (secret, *secret.splitlines()):
            if value.strip() and value not in self._masked:
                self._masked.add(value)
                self._emit(command("add-mask", value))

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        if self._in_group:  # GitHub does not nest groups
            yield
            return
        self._in_group = True
        self._emit(command("group", title))
        try:
            yield
        finally:
            self._emit(command("endgroup"))
            self._in_group = False

    def annotate(self, kind: str, message: str, title: str = ANNOTATION_TITLE) -> None:
        """An ``error`` or ``warning`` annotation. Annotations carry service text: one line,
        controls shown escaped, at most ``text.LINE_LIMIT`` characters (``text.line_text``)."""
        self._emit(command(kind, line_text(message), title=title))

    def error(self, message: str) -> None:
        self.annotate("error", message)

    def warning(self, message: str) -> None:
        self.annotate("warning", message)

    def output_files(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (variable, self.environ[variable])
            for variable in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")
            if self.environ.get(variable)
        )

    def finish(self, report: Report) -> list[str]:
        for kind, title, message in annotations_for(report):
            self.annotate(kind, message, title)
        # The summary first: if it cannot be written, the outputs (which later steps read)
        # already carry the exit code that failure gives the step.
        failures: list[str] = []
        for variable in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
            if variable == "GITHUB_STEP_SUMMARY":
                text = render_summary(report)
            else:
                text = self._outputs_text(outputs_for(report))
            failure = self._append(variable, text)
            if failure is not None:
                failures.append(failure)
                report = report.after_write_failures([failure])
        return failures

    @staticmethod
    def _outputs_text(outputs: Mapping[str, str]) -> str:
        return "".join(output_block(name, value) for name, value in outputs.items())

    def _append(self, variable: str, text: str) -> str | None:
        """Append ``text`` to the file ``$variable`` names; a line saying why not, or None."""
        path = self.environ.get(variable, "")
        if not path:
            return None
        from vibetesting_ci.safety.scrub import scrub

        try:
            # "\n" on every OS: no "\r\n" from Windows' text mode in the runner's files
            with open(path, "a", encoding="utf-8", newline="\n") as file:
                file.write(scrub(text))
        except OSError as error:
            return f"could not write {variable} ({path}): {error.strerror or error}"
        return None
