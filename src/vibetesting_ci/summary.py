"""The text at the end of the log: the executions' table, the files written, the verdict line;
and the rows of ``vibetesting status``. Pure: every function returns lines, the runner prints.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from vibetesting_ci.labels import ERROR, FAILED, PASSED, SKIPPED, plan_result, result_label
from vibetesting_ci.models import (
    RESULT_SCHEDULED,
    RESULT_TRIGGERED,
    ExecutionResult,
    ExecutionStatus,
    RunResult,
)
from vibetesting_ci.progress import Style, format_duration
from vibetesting_ci.text import log_text, one_line

if TYPE_CHECKING:  # pragma: no cover
    from vibetesting_ci.settings import RunSettings, WaitSettings

SUMMARY_ROWS = 20  # more executions than this: the troubled ones first, the rest counted


def summary_lines(
    result: RunResult,
    written: Sequence[str],
    style: Style,
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    """The end of the log: a short table of the executions, the files, the verdict.

    ``written`` are the files written, in order; ``labels`` names them (path -> "JUnit", ...).
    """
    lines: list[str] = []
    executions = list(result.executions)
    if executions and result.result not in (RESULT_SCHEDULED, RESULT_TRIGGERED):
        lines += table_lines(executions, style)
        lines += test_lines(result, style)
    names = labels or {}
    for attempt in result.attempts:
        ids = ", ".join(map(str, attempt.execution_ids[:20])) or "none started"
        lines.append(
            f"attempt {attempt.number} ({attempt.scope}): execution(s) {ids}: {attempt.result}"
        )
    files: list[tuple[str, str]] = [(names.get(path, "file"), path) for path in written]
    reports = [e.report_file for e in executions if e.report_file]
    if reports:
        files.insert(1 if files and files[0][0] == "JUnit" else 0, ("report", ", ".join(reports)))
    width = max((len(label) for label, _ in files), default=0)
    lines += [f"{label.ljust(width)}  {path}" for label, path in files]
    verdict = style(f"result: {result.result}", style.for_result(result.result))
    lines.append(
        f"{verdict} (exit {int(result.exit_code)})"
        + (f": {result.message}" if result.message else "")
    )
    return lines


TEST_ROWS = 20  # named tests listed in the log; the rest are in the JUnit and results files
_OUTCOME_STYLE = {PASSED: "green", FAILED: "red", ERROR: "red", SKIPPED: "yellow"}


def test_lines(result: RunResult, style: Style) -> list[str]:
    """The run's named tests with their outcomes, as the JUnit names them (labels.py); nothing
    when the cases are numbered by position (the table's counts say it all)."""
    cases = [c for planned in plan_result(result) for c in planned]
    if not any(c.test is not None for c in cases):
        return []
    troubled_first = sorted(cases, key=lambda c: c.outcome == PASSED)  # stable
    shown = troubled_first[:TEST_ROWS]
    width = max(len(c.outcome) for c in shown)
    lines = [style(f"tests ({result_label(result)}):", "bold")]
    for case in shown:
        word = style(case.outcome.ljust(width), _OUTCOME_STYLE[case.outcome])
        unsure = (
            f"  ({' or '.join(case.candidates)}: the counts do not say which)"
            if case.candidates
            else ""
        )
        lines.append(f"  {word}  {one_line(case.name, 200)}{unsure}")
    if len(cases) > len(shown):
        lines.append(f"  ... and {len(cases) - len(shown)} more in the JUnit file")
    lines.append("")
    return lines


def _troubled(e: ExecutionResult) -> bool:
    s = e.status
    return s is None or not e.finished or s.ended or s.unreadable or bool(s.failed or s.not_done)


def table_lines(executions: Sequence[ExecutionResult], style: Style) -> list[str]:
    """The executions' table, framed by empty lines; beyond :data:`SUMMARY_ROWS` executions
    the troubled ones are shown first and the rest counted."""
    shown = list(executions)
    hidden: list[ExecutionResult] = []
    if len(executions) > SUMMARY_ROWS:
        ordered = sorted(executions, key=lambda e: not _troubled(e))  # stable: keeps id order
        shown, hidden = ordered[:SUMMARY_ROWS], ordered[SUMMARY_ROWS:]
    header: tuple[str, ...] = ("execution", "state", "tests", "passed", "failed", "not done")
    rows: list[tuple[tuple[str, ...], str | None]] = []
    for e in shown:
        s = e.status
        if s is None:
            state = e.interrupted or "unknown"
            rows.append(((str(e.execution_id), state, "-", "-", "-", "-"), "dim"))
            continue
        state = one_line(s.state, 40) or "unknown"
        state += f" ({e.interrupted})" if e.interrupted else ""
        state += ", stopped" if e.stopped else ""
        state += ", unreadable" if s.unreadable else ""
        not_done = str(s.not_done) if (s.finished or e.interrupted) and not s.unreadable else "-"
        counts = (s.shown("tests"), s.shown("passed"), s.shown("failed"))
        cells = (str(e.execution_id), state, *counts, not_done)
        rows.append((cells, style.for_status(s) if not e.interrupted else "yellow"))
    widths = [max(len(r[i]) for r in (header, *(c for c, _ in rows))) for i in range(len(header))]

    def line(cells: tuple[str, ...], state_style: str | None) -> str:
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            text = cell.rjust(width) if i >= 2 else cell.ljust(width)
            out.append(style(text, state_style) if i == 1 else text)
        return "  " + "  ".join(out).rstrip()

    lines = ["", style(line(header, None), "bold")]
    lines += [line(row_cells, state_style) for row_cells, state_style in rows]
    if hidden:
        passed = sum(1 for e in hidden if not _troubled(e))
        lines.append(
            f"  ... and {len(hidden)} more execution(s) ({passed} passed); "
            "every one is in the results file"
        )
    lines.append("")
    return lines


def status_lines(status: ExecutionStatus, report_url: str | None) -> list[str]:
    """``vibetesting status``: one ``label value`` line per field (``report_url`` redacted),
    service text through the log sink (``text.log_text``)."""
    s = status
    rows = [
        ("execution", str(s.execution_id)),
        ("state", log_text(s.state) or "unknown"),
        ("suite", log_text(s.suite_name) or "-"),
        (
            "tests",
            f"{s.shown('done')}/{s.shown('tests')} done, {s.shown('passed')} passed, "
            f"{s.shown('failed')} failed",
        ),
        ("started", log_text(s.start_time) or "-"),
        ("ended", log_text(s.end_time) or "-"),
        ("status", log_text(s.detailed_status) or "-"),
        ("report", report_url or "-"),
    ]
    return [f"{label:<10} {value}" for label, value in rows]


def unfinished_warnings(executions: Sequence[ExecutionResult]) -> list[str]:
    """A warning for each execution that ended with tests not done."""
    return [
        f"execution {e.execution_id} ended with {e.status.not_done} test(s) not done"
        for e in executions
        if e.status is not None and e.finished and not e.status.unreadable and e.status.not_done
    ]


def dry_run_lines(
    api_url: str, run: RunSettings, wait: WaitSettings | None
) -> tuple[list[str], str]:
    """A dry run: the request it would send (token hidden), and one line on what would follow."""
    from vibetesting_ci.reports.redact import redact_url

    request = [
        f"POST {redact_url(api_url)}{run.endpoint}/",  # a password in the URL shown as ***
        "Authorization: api-key ***",
        json.dumps(run.redacted_body(), indent=2, ensure_ascii=False),
    ]
    then = ""
    if run.scheduled:
        then = "; a real run would be scheduled (not awaited)"
    elif not run.wait:
        then = "; a real run would print the execution ids and not wait (--no-wait)"
    elif wait is not None:
        files = [
            f for f in (wait.junit_file, wait.report_file, wait.results_file, wait.dotenv_file) if f
        ]
        then = f"; a real run would wait up to {format_duration(wait.timeout)}" + (
            f" and write {', '.join(files)}" if files else ""
        )
        if run.retry_failed:
            what = "failed tests (or the whole run)" if run.retry_failed_whole else "failed tests"
            then += f", retrying {what} up to {run.retry_failed} time(s), each a billed run"
    return request, f"dry run: nothing was sent{then}"
