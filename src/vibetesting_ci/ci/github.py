"""GitHub Actions: workflow commands on stdout, step outputs, and a Markdown job summary.

Everything here follows GitHub's own toolkit (``@actions/core``):

- workflow commands (``::add-mask::``, ``::group::``, ``::error::``...) are lines on stdout, their
  message escaped with :func:`escape_data` and their properties with :func:`escape_property`;
- outputs are appended to the file named by ``$GITHUB_OUTPUT`` in the multi-line-safe form
  ``name<<DELIMITER`` / value / ``DELIMITER`` with a random delimiter (:func:`output_block`);
- the job summary is Markdown appended to the file named by ``$GITHUB_STEP_SUMMARY``.

No secret reaches any of them: the CLI masks the token and the login password first, and report
links are passed through :func:`vibetesting_ci.reports.redact.redact_url`.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TextIO

from vibetesting_ci import labels
from vibetesting_ci.ci.base import CIAdapter
from vibetesting_ci.labels import PlannedCase
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
    elapsed_ms,
)
from vibetesting_ci.reports.redact import redact_url
from vibetesting_ci.text import (
    line_text,
    markdown_code,
    markdown_link,
    markdown_text,
    one_line,
    output_text,
    write_command,
)
from vibetesting_ci.verdict import attempts_said, with_write_failures

ANNOTATION_TITLE = "VibeTesting"

# Verdict line of the summary: an emoji people spot at a glance, and words for screen readers.
VERDICTS = {
    RESULT_PASSED: ":white_check_mark: passed",
    RESULT_FAILED: ":x: failed",
    RESULT_ERROR: ":boom: error",
    RESULT_TIMEOUT: ":hourglass: timed out",
    RESULT_CANCELLED: ":no_entry_sign: cancelled",
    RESULT_TRIGGERED: ":rocket: triggered (not awaited)",
    RESULT_SCHEDULED: ":calendar: scheduled",
}

# Pie slice colours (GitHub's own palette): passed green, failed red, not done amber.
PIE_COLOURS = {"Passed": "#2da44e", "Failed": "#cf222e", "Not done": "#bf8700"}


# GitHub refuses a step summary over 1 MiB (1,048,576 bytes); stay clearly below.
SUMMARY_LIMIT = 1_000_000
CELL_LIMIT = 2000  # characters of service text in one summary cell or problem line
OUTPUT_LIMIT = 512 * 1024  # characters per action output


def escape_data(text: str) -> str:
    """Escape a workflow command's message (``%``, CR and LF), as ``@actions/core`` does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command property value (adds ``:`` and ``,`` to :func:`escape_data`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", **properties: str) -> str:
    """One workflow command line, e.g. ``::error title=VibeTesting::message``.

    Registered secrets are scrubbed from the message and properties before the escaping (which
    turns ``%`` into ``%25``, so a URL-encoded secret would pass a later scrub, and the runner
    decodes it back for display); never from ``add-mask``, whose message is the secret."""
    if name != "add-mask":
        from vibetesting_ci.scrub import scrub

        message = scrub(message)
        properties = {key: scrub(value) for key, value in properties.items()}
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    head = f"{name} {props}" if props else name
    return f"::{head}::{escape_data(message)}"


def output_block(name: str, value: str, delimiter: str | None = None) -> str:
    """``name<<DELIM`` / value / ``DELIM``: the ``$GITHUB_OUTPUT`` form that survives newlines."""
    if delimiter is None:
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
    if delimiter in name or delimiter in value:
        raise ValueError("output name or value contains the delimiter")
    if "\n" in name or "\r" in name or "<<" in name:
        raise ValueError(f"bad output name {name!r}")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def _cell(text: str, limit: int = CELL_LIMIT) -> str:
    """Text safe inside one Markdown table cell (no HTML, no Markdown, no pipes, one line, at
    most ``limit`` characters); registered secrets are scrubbed before the escaping (which
    would otherwise hide them from the scrub of the summary file)."""
    from vibetesting_ci.scrub import scrub

    return markdown_text(scrub(text), limit)


def _duration(start: str, end: str) -> str:
    ms = elapsed_ms(start, end)
    if ms is None:
        return "—"
    minutes, secs = divmod(round(ms / 1000), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _state(execution: ExecutionResult) -> str:
    if execution.interrupted == INTERRUPTED_TIMEOUT:
        state = "timed out"
    elif execution.interrupted == INTERRUPTED_CANCELLED:
        state = "cancelled"
    elif execution.status is None:
        state = "unknown"
    else:
        state = execution.status.state or "unknown"
    if execution.stopped:
        state += " (stopped)"
    return state


def execution_problem(execution: ExecutionResult, cases: Sequence[PlannedCase] = ()) -> str | None:
    """Why this execution counts against the run, in one line; None when it does not. The
    tests that did not pass are named by their labels (``cases``, as in the JUnit)."""
    problem = _problem(execution)
    named = labels.describe_tests(cases)
    return f"{problem} ({named})" if problem is not None and named else problem


def _problem(execution: ExecutionResult) -> str | None:
    status = execution.status
    if execution.interrupted == INTERRUPTED_TIMEOUT:
        return "timed out before it finished" + (" and was stopped" if execution.stopped else "")
    if execution.interrupted == INTERRUPTED_CANCELLED:
        return "cancelled before it finished" + (" and was stopped" if execution.stopped else "")
    if status is None:
        return None
    if status.unreadable and status.problem is not None:
        return f"its answer cannot establish the verdict: {status.problem.describe()}"
    if status.failed:
        text = f"{status.failed} of {status.tests} tests failed"
    elif status.finished and status.not_done:
        text = f"{status.not_done} of {status.tests} tests were not done"
    elif status.ended:
        text = f"it ended as {status.state!r}"
    else:
        return None
    if status.detailed_status.strip():
        text += f": {one_line(status.detailed_status)}"
    return text


def _pie(passed: int, failed: int, not_done: int) -> list[str]:
    slices = [
        (label, count)
        for label, count in (("Passed", passed), ("Failed", failed), ("Not done", not_done))
        if count > 0
    ]
    if not slices:
        return []
    theme = ", ".join(
        f'"pie{i}": "{PIE_COLOURS[label]}"' for i, (label, _) in enumerate(slices, start=1)
    )
    lines = [
        "```mermaid",
        f'%%{{init: {{"theme": "base", "themeVariables": {{{theme}}}}}}}%%',
        "pie showData title VibeTesting tests",
    ]
    lines += [f'    "{label}" : {count}' for label, count in slices]
    lines.append("```")
    return lines


OUTCOME_WORDS = {
    labels.PASSED: "passed",
    labels.FAILED: "**failed**",
    labels.ERROR: "**error**",
    labels.SKIPPED: "skipped",
}
TEST_ROWS = 100


def _tests_table(label: str, plan: Sequence[Sequence[PlannedCase]]) -> list[str]:
    """The tests as the JUnit names them (classname ``label``): a table when the run named its
    tests, else one line saying the cases are numbered by position."""
    cases = [c for planned in plan for c in planned]
    if not cases:
        return []
    head = ["", f"**Tests** (JUnit classname {markdown_code(label)})", ""]
    if not any(c.test is not None for c in cases):
        return [
            *head,
            "The service reports counts, not which test passed or failed: the JUnit cases "
            f"are numbered by position ({markdown_code(cases[0].name)}, ...).",
        ]
    rows = ["| Test | Outcome | Execution |", "|---|---|--:|"]
    for case in cases[:TEST_ROWS]:
        outcome = OUTCOME_WORDS[case.outcome]
        if case.shape == labels.SHAPE_MIXED:
            outcome += " (" + " or ".join(case.candidates) + ": the counts do not say which)"
        rows.append(f"| {_cell(case.name)} | {outcome} | {case.execution_id} |")
    if len(cases) > TEST_ROWS:
        rows.append(f"| … {len(cases) - TEST_ROWS} more (in the JUnit file) | | |")
    return [*head, *rows]


def render_summary(result: RunResult, *, junit_file: str | None) -> str:
    """The Markdown job summary for ``result``, below GitHub's 1 MiB limit for a step's
    summary (:data:`SUMMARY_LIMIT`): a longer one is cut at a line, saying so."""
    text = _render_summary(result, junit_file=junit_file)
    data = text.encode("utf-8")
    if len(data) <= SUMMARY_LIMIT:
        return text
    note = (
        "\n\n**The summary was cut here** to stay below GitHub's 1 MiB limit; every "
        "execution is in the results file.\n"
    )
    head = data[: SUMMARY_LIMIT - len(note.encode("utf-8"))].decode("utf-8", "ignore")
    return head[: head.rfind("\n") + 1] + note


def _retry_lines(result: RunResult) -> list[str]:
    """Attempts (--retry-failed), flaky tests and the threshold sentence, for the summary."""
    out: list[str] = []
    if result.attempts:
        out += ["", f"**Attempts**: {attempts_said(result)}", ""]
        out += ["| Attempt | Ran | Executions | Result |", "|--:|---|---|---|"]
        for attempt in result.attempts[:50]:
            ran = ", ".join(attempt.test_names[:10]) or attempt.scope
            more = (
                f" and {len(attempt.test_names) - 10} more" if len(attempt.test_names) > 10 else ""
            )
            ids = ", ".join(map(str, attempt.execution_ids[:20])) or "—"
            outcome = f"{attempt.result}: {attempt.message}" if attempt.message else attempt.result
            out.append(f"| {attempt.number} | {_cell(ran + more)} | {ids} | {_cell(outcome)} |")
    if result.flaky:
        named = ", ".join(result.flaky_tests[:50]) or "which ones the counts do not say"
        out += ["", f"**Flaky** ({result.flaky}, failed, then passed on a retry): {_cell(named)}"]
    if result.threshold:
        out += ["", f"**Threshold**: {_cell(result.threshold)}"]
    return out


def _render_summary(result: RunResult, *, junit_file: str | None) -> str:
    verdict = VERDICTS.get(result.result, result.result)
    out = [f"## VibeTesting: {verdict}", ""]
    if result.message:
        out += [_cell(result.message), ""]
    if result.schedule_id:
        out += [f"Schedule id: {markdown_code(result.schedule_id)}", ""]
    if result.executions:
        totals = result.totals
        not_done = sum(e.status.not_done for e in result.executions if e.status is not None)
        out += [
            "| Execution | Suite | State | Tests | Passed | Failed | Not done | Duration "
            "| Report |",
            "|---|---|---|--:|--:|--:|--:|---|---|",
        ]
        for execution in result.executions:
            status = execution.status
            if status is None:
                counts = ["—"] * 4
                suite, duration, report = "", "—", "—"
            else:
                counts = [status.shown(name) for name in ("tests", "passed", "failed")]
                counts.append("?" if status.unreadable else str(status.not_done))
                suite = status.suite_name
                duration = _duration(status.start_time, status.end_time)
                report = (
                    markdown_link("PDF", redact_url(status.report_url))
                    if status.report_url
                    else "—"
                )
                report = report if report.startswith("[") else "—"
            out.append(
                f"| {execution.execution_id} | {_cell(suite)} | {_cell(_state(execution))} | "
                + " | ".join(counts)
                + f" | {duration} | {report} |"
            )
        if len(result.executions) > 1:
            out.append(
                f"| **Total** | | | **{totals.tests}** | **{totals.passed}** | "
                f"**{totals.failed}** | **{not_done}** | | |"
            )
        out.append("")
        out += _pie(totals.passed, totals.failed, not_done)
        plan = labels.plan_result(result)
        problems = [
            (e.execution_id, execution_problem(e, cases))
            for e, cases in zip(result.executions, plan, strict=True)
        ]
        problems_found = [(i, p) for i, p in problems if p]
        if problems_found:
            out += ["", "**Problems**", ""]
            out += [f"- Execution {i}: {_cell(p)}" for i, p in problems_found]
        out += _tests_table(labels.result_label(result), plan)
    elif result.result not in (RESULT_SCHEDULED, RESULT_TRIGGERED):
        out += ["No execution was started.", ""]
    out += _retry_lines(result)
    files = []
    if junit_file:
        files.append(f"JUnit XML: {markdown_code(junit_file)}")
    files += [f"PDF report: {markdown_code(name)}" for name in result.report_files]
    if files:
        out += [
            "",
            "**Files written** (in the workspace; upload them with `actions/upload-artifact`)",
            "",
        ]
        out += [f"- {item}" for item in files]
    if result.warnings:
        out += ["", "**Warnings**", ""]
        out += [f"- {_cell(w)}" for w in result.warnings]
    out.append("")
    return "\n".join(out) + "\n"


def outputs_for(result: RunResult, *, junit_file: str | None) -> dict[str, str]:
    """The action's outputs (names as in ``action.yml``), each at most :data:`OUTPUT_LIMIT`
    characters (GitHub takes 1 MB per output)."""
    outputs = _outputs(result, junit_file=junit_file)
    return {
        name: value if name == "failed-tests" else _clip_list(value, OUTPUT_LIMIT)
        for name, value in outputs.items()
    }


def failed_tests_output(result: RunResult) -> str:
    """The ``failed-tests`` output: a JSON array of the failed tests' JUnit names (for
    ``fromJSON()``), whole or ``[]``; ``[]`` also when the counts cannot say which test
    failed (compare ``failed``)."""
    import json

    names = list(labels.failed_case_names(labels.plan_result(result)))
    text = json.dumps(names, ensure_ascii=False)
    return text if len(text) <= OUTPUT_LIMIT else "[]"


def _clip_list(value: str, limit: int) -> str:
    """A comma-separated list cut after its last whole item that fits (at most ``limit``
    characters); a first item longer than that is cut to ``limit`` with an ellipsis."""
    if len(value) <= limit:
        return value
    cut = value.rfind(",", 0, limit + 1)  # a comma at ``limit``: the items before it fit
    return value[:cut] if cut > 0 else value[: max(0, limit - 1)] + "…"


def _outputs(result: RunResult, *, junit_file: str | None) -> dict[str, str]:
    totals = result.totals
    outputs = {
        "result": result.result,
        "exit-code": str(result.exit_code),
        "execution-ids": ",".join(str(i) for i in result.execution_ids),
        "schedule-id": result.schedule_id or "",
        "tests": str(totals.tests),
        "passed": str(totals.passed),
        "failed": str(totals.failed),
        "flaky": str(result.flaky),
        "attempts": str(result.runs_started),
        "junit-file": junit_file or "",
        "report-file": ",".join(result.report_files),
        "report-url": ",".join(redact_url(url) for url in result.report_urls),
        "failed-tests": failed_tests_output(result),
    }
    return {name: output_text(value) for name, value in outputs.items()}


class GitHubAdapter(CIAdapter):
    """``GITHUB_ACTIONS=true``: masks, groups, annotations, outputs and a job summary."""

    name = "github"
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

    def finish(self, result: RunResult, *, junit_file: str | None) -> list[str]:
        plan = labels.plan_result(result)
        for execution, cases in zip(result.executions, plan, strict=True):
            problem = execution_problem(execution, cases)
            if problem is None:
                continue
            title = f"{ANNOTATION_TITLE} execution {execution.execution_id}"
            timed_out_ok = (
                execution.interrupted == INTERRUPTED_TIMEOUT and result.result != RESULT_TIMEOUT
            )
            if execution.interrupted == INTERRUPTED_CANCELLED or timed_out_ok:
                self.annotate("warning", problem, title)
            else:
                self.annotate("error", problem, title)
        # The summary first: if it cannot be written, the outputs (which later steps read)
        # already carry the exit code that failure gives the step.
        failures: list[str] = []
        for variable in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
            if variable == "GITHUB_STEP_SUMMARY":
                text = render_summary(result, junit_file=junit_file)
            else:
                text = self._outputs_text(outputs_for(result, junit_file=junit_file))
            failure = self._append(variable, text)
            if failure is not None:
                failures.append(failure)
                result = with_write_failures(result, [failure])
        return failures

    @staticmethod
    def _outputs_text(outputs: Mapping[str, str]) -> str:
        return "".join(output_block(name, value) for name, value in outputs.items())

    def _append(self, variable: str, text: str) -> str | None:
        """Append ``text`` to the file ``$variable`` names; a line saying why not, or None."""
        path = self.environ.get(variable, "")
        if not path:
            return None
        from vibetesting_ci.scrub import scrub

        try:
            # "\n" on every OS: no "\r\n" from Windows' text mode in the runner's files
            with open(path, "a", encoding="utf-8", newline="\n") as file:
                file.write(scrub(text))
        except OSError as error:
            return f"could not write {variable} ({path}): {error.strerror or error}"
        return None
