"""The text at the end of the log: the executions' table, the files written, the verdict line;
and the rows of ``vibetesting status``; the colours (:class:`Style`) and the words progress lines
use (:func:`describe`, :func:`format_duration`). Pure: every function returns lines, the runner
(and ``run/progress.py``) prints.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from vibetesting_ci.domain.cases import Outcome
from vibetesting_ci.domain.models import ExecutionResult, ExecutionStatus, Result
from vibetesting_ci.domain.report import ExecutionReport, Report
from vibetesting_ci.safety.text import log_text, one_line
from vibetesting_ci.vocabulary import State

if TYPE_CHECKING:  # pragma: no cover
    from vibetesting_ci.config.settings import RunSettings, WaitSettings

SUMMARY_ROWS = 20  # more executions than this: the troubled ones first, the rest counted


class Style:
    """SGR colours, or plain text when disabled."""

    CODES: Mapping[str, str] = {
        "bold": "1",
        "dim": "2",
        "red": "31",
        "green": "32",
        "yellow": "33",
        "cyan": "36",
    }

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, style: str | None) -> str:
        if not self.enabled or not style or not text:
            return text
        return f"\x1b[{self.CODES[style]}m{text}\x1b[0m"

    def for_status(self, status: ExecutionStatus | None) -> str | None:
        if status is None:
            return "dim"
        if status.failed or status.ended or status.unreadable:
            return "red"
        if status.finished and status.not_done:
            return "red"
        if status.finished:
            return "green"
        if status.state == State.RUNNING:
            return "yellow"
        if status.state == State.PROCESSING:
            return "cyan"
        return None

    def for_result(self, result: str) -> str | None:
        colours: dict[str, str] = {
            Result.PASSED: "green",
            Result.FAILED: "red",
            Result.ERROR: "red",
            Result.TIMEOUT: "yellow",
            Result.CANCELLED: "yellow",
        }
        return colours.get(result, "cyan")


def describe(status: ExecutionStatus) -> str:
    shown = status.shown
    text = (
        f"execution {status.execution_id}: {one_line(status.state, 40) or 'unknown'}, "
        f"{shown('done')}/{shown('tests')} done, {shown('passed')} passed, "
        f"{shown('failed')} failed"
    )
    if status.finished and status.detailed_status:
        text += f" ({one_line(status.detailed_status, 160)})"
    return text


def format_duration(seconds: float) -> str:
    """``45s``, ``4m05s``, ``1h00m``: to the nearest second (a timeout of 3600 s that has
    had a few milliseconds taken off is still ``1h00m``, 5 s still ``5s``)."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def verdict_line(report: Report, style: Style) -> str:
    """The last line of the log: ``result: failed (exit 1): <message>``."""
    verdict = style(f"result: {report.result}", style.for_result(report.result))
    message = log_text(report.message, 2000) if report.message else ""
    return f"{verdict} (exit {int(report.exit_code)})" + (f": {message}" if message else "")


def summary_lines(report: Report, style: Style) -> list[str]:
    """The end of the log: a short table of the executions, the tests, the attempts, the files
    written, the verdict."""
    lines: list[str] = []
    if report.executions and report.awaited:
        lines += table_lines(report.executions, style)
        lines += test_lines(report, style)
    for attempt in report.attempts:
        ids = ", ".join(map(str, attempt.execution_ids[:20])) or "none started"
        lines.append(
            f"attempt {attempt.number} ({attempt.scope}): execution(s) {ids}: {attempt.result}"
        )
    files: list[tuple[str, str]] = [("target", report.target_url)] if report.target_url else []
    for item in report.files:
        if files and files[-1][0] == item.kind:  # the PDF reports, on one line
            files[-1] = (item.kind, f"{files[-1][1]}, {item.path}")
        else:
            files.append((item.kind, item.path))
    width = max((len(kind) for kind, _ in files), default=0)
    lines += [f"{kind.ljust(width)}  {path}" for kind, path in files]
    lines.append(verdict_line(report, style))
    return lines


TEST_ROWS = 20  # named tests listed in the log; the rest are in the JUnit and results files
_OUTCOME_STYLE = {
    Outcome.PASSED: "green",
    Outcome.FAILED: "red",
    Outcome.ERROR: "red",
    Outcome.SKIPPED: "yellow",
}


def test_lines(report: Report, style: Style) -> list[str]:
    """The run's named tests with their outcomes, as the JUnit names them (domain/cases.py); the
    failed tests the counts leave unnamed are said in one line; nothing when every case is
    numbered by position (the table's counts say it all)."""
    cases = [c for c in report.cases if c.is_test]
    if not any(c.test is not None or c.may_be for c in cases):
        return []
    troubled_first = sorted(cases, key=lambda c: c.outcome == Outcome.PASSED)  # stable
    shown = troubled_first[:TEST_ROWS]
    width = max(len(c.outcome) for c in shown)
    several = len({c.classname for c in cases}) > 1  # a run from several tests files
    lines = [style("tests:" if several else f"tests ({report.label}):", "bold")]
    for case in shown:
        word = style(case.outcome.ljust(width), _OUTCOME_STYLE[case.outcome])
        may_be = f"  (one of: {'; '.join(case.may_be[:5])}{' ...' if len(case.may_be) > 5 else ''})"
        where = f"  ({case.classname})" if several else ""
        lines.append(f"  {word}  {one_line(case.name, 200)}{may_be if case.may_be else ''}{where}")
    if len(cases) > len(shown):
        lines.append(f"  ... and {len(cases) - len(shown)} more in the JUnit file")
    if not report.failed.complete:
        lines.append(
            "  the service's counts do not say which of the other tests did not pass "
            "(--allow-parallel runs one test per execution)"
        )
    lines.append("")
    return lines


def table_lines(executions: Sequence[ExecutionReport], style: Style) -> list[str]:
    """The executions' table, framed by empty lines; beyond :data:`SUMMARY_ROWS` executions
    the troubled ones are shown first and the rest counted."""
    shown = list(executions)
    hidden: list[ExecutionReport] = []
    if len(executions) > SUMMARY_ROWS:
        ordered = sorted(executions, key=lambda e: not e.troubled)  # stable: keeps id order
        shown, hidden = ordered[:SUMMARY_ROWS], ordered[SUMMARY_ROWS:]
    header: tuple[str, ...] = ("execution", "state", "tests", "passed", "failed", "not done")
    rows: list[tuple[tuple[str, ...], str | None]] = []
    for e in shown:
        counts = tuple(e.counts.shown(n) for n in ("tests", "passed", "failed", "not_done"))
        cells = (str(e.execution_id), e.state_word, *counts)
        if not e.status_read:
            colour: str | None = "dim"
        elif e.interrupted:
            colour = "yellow"
        else:
            colour = "red" if e.troubled else "green"
        rows.append((cells, colour))
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
        passed = sum(1 for e in hidden if not e.troubled)
        lines.append(
            f"  ... and {len(hidden)} more execution(s) ({passed} passed); "
            "every one is in the results file"
        )
    lines.append("")
    return lines


def status_lines(status: ExecutionStatus, report_url: str | None) -> list[str]:
    """``vibetesting status``: one ``label value`` line per field (``report_url`` with its query
    values hidden), service text through the log sink (``text.log_text``)."""
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
    from vibetesting_ci.safety.redact import redact_url

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
