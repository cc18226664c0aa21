"""GitHub Actions' text, rendered from the one report (pure; ``publish/ci/github.py`` writes it):
workflow commands, step outputs and the Markdown job summary.

Everything here follows GitHub's own toolkit (``@actions/core``):

- workflow commands (``::add-mask::``, ``::group::``, ``::error::``...) are lines on stdout, their
  message escaped with :func:`escape_data` and their properties with :func:`escape_property`;
- outputs are appended to the file named by ``$GITHUB_OUTPUT`` in the multi-line-safe form
  ``name<<DELIMITER`` / value / ``DELIMITER`` with a random delimiter (:func:`output_block`);
- the job summary is Markdown appended to the file named by ``$GITHUB_STEP_SUMMARY``.

No secret reaches any of them: the CLI masks the token and the login password first, and report
links come from the report with every query value hidden
(:func:`vibetesting_ci.safety.redact.redact_url`). Such a link no longer opens the report, so
the summary's (and the comment's) Report cell shows the downloaded file instead
(:func:`report_cell`).
"""

from __future__ import annotations

import uuid

from vibetesting_ci.domain import cases as labels
from vibetesting_ci.domain.models import Interrupted, Result
from vibetesting_ci.domain.report import ExecutionReport, FileKind, Report
from vibetesting_ci.safety.text import (
    http_url,
    markdown_cell_code,
    markdown_code,
    markdown_link,
    markdown_text,
    output_text,
)

ANNOTATION_TITLE = "VibeTesting"

# Verdict line of the summary and the comment: an emoji people spot at a glance, and words for
# screen readers.
VERDICTS = {
    Result.PASSED: ":white_check_mark: passed",
    Result.FAILED: ":x: failed",
    Result.ERROR: ":boom: error",
    Result.TIMEOUT: ":hourglass: timed out",
    Result.CANCELLED: ":no_entry_sign: cancelled",
    Result.TRIGGERED: ":rocket: triggered (not awaited)",
    Result.SCHEDULED: ":calendar: scheduled",
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
        from vibetesting_ci.safety.scrub import scrub

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
    from vibetesting_ci.safety.scrub import scrub

    return markdown_text(scrub(text), limit)


def _duration(ms: int | None) -> str:
    if ms is None:
        return "—"
    minutes, secs = divmod(round(ms / 1000), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


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
    labels.Outcome.PASSED: "passed",
    labels.Outcome.FAILED: "**failed**",
    labels.Outcome.ERROR: "**error**",
    labels.Outcome.SKIPPED: "skipped",
}
TEST_ROWS = 100


def _tests_table(report: Report) -> list[str]:
    """The tests as the JUnit names them (classname the report's label): a table when the run
    named its tests, else one line saying the cases are numbered by position."""
    cases = [c for c in report.cases if c.is_test]
    if not cases:
        return []
    classnames = sorted({c.classname for c in cases})
    head = ["", f"**Tests** (JUnit classname {markdown_code(report.label)})", ""]
    if len(classnames) > 1:  # a run from several tests files: each test's from its own
        named = ", ".join(markdown_code(c) for c in classnames[:10])
        head[1] = f"**Tests** (JUnit classnames {named}{', …' if len(classnames) > 10 else ''})"
    if not any(c.test is not None for c in cases):
        return [
            *head,
            "The service reports counts, not which test passed or failed: the JUnit cases "
            f"are numbered by position ({markdown_code(cases[0].name)}, ...). Run one test per "
            "execution (`allow-parallel: true`) to have each test named.",
        ]
    rows = ["| Test | Outcome | Execution |", "|---|---|--:|"]
    for case in cases[:TEST_ROWS]:
        outcome = OUTCOME_WORDS[case.outcome]
        if case.shape == labels.Shape.ATTRIBUTED and case.outcome == labels.Outcome.FAILED:
            outcome += " (named by the service's detailed status)"
        name = _cell(case.name)
        if case.may_be:
            name += (
                " (one of: "
                + _cell("; ".join(case.may_be[:5]))
                + ("…" if len(case.may_be) > 5 else "")
                + ")"
            )
        rows.append(f"| {name} | {outcome} | {case.execution_id} |")
    if len(cases) > TEST_ROWS:
        rows.append(f"| … {len(cases) - TEST_ROWS} more (in the JUnit file) | | |")
    return [*head, *rows]


def render_summary(report: Report) -> str:
    """The Markdown job summary for ``report``, below GitHub's 1 MiB limit for a step's
    summary (:data:`SUMMARY_LIMIT`): a longer one is cut at a line, saying so."""
    text = _render_summary(report)
    data = text.encode("utf-8")
    if len(data) <= SUMMARY_LIMIT:
        return text
    note = (
        "\n\n**The summary was cut here** to stay below GitHub's 1 MiB limit; every "
        "execution is in the results file.\n"
    )
    head = data[: SUMMARY_LIMIT - len(note.encode("utf-8"))].decode("utf-8", "ignore")
    return head[: head.rfind("\n") + 1] + note


def _retry_lines(report: Report) -> list[str]:
    """Attempts (--retry-failed), flaky tests and the threshold sentence, for the summary."""
    out: list[str] = []
    if report.attempts:
        out += ["", f"**Attempts**: {report.attempts_said}", ""]
        out += ["| Attempt | Ran | Executions | Result |", "|--:|---|---|---|"]
        for attempt in report.attempts[:50]:
            ran = ", ".join(attempt.test_names[:10]) or attempt.scope
            more = (
                f" and {len(attempt.test_names) - 10} more" if len(attempt.test_names) > 10 else ""
            )
            ids = ", ".join(map(str, attempt.execution_ids[:20])) or "—"
            outcome = f"{attempt.result}: {attempt.message}" if attempt.message else attempt.result
            out.append(f"| {attempt.number} | {_cell(ran + more)} | {ids} | {_cell(outcome)} |")
    if report.flaky:
        named = ", ".join(report.flaky_tests[:50]) or "which ones the counts do not say"
        out += ["", f"**Flaky** ({report.flaky}, failed, then passed on a retry): {_cell(named)}"]
    if report.threshold:
        out += ["", f"**Threshold**: {_cell(report.threshold)}"]
    return out


REPORT_CELL_LIMIT = 300  # characters of a file name or a link shown as text in a Report cell


def report_cell(execution: ExecutionReport) -> str:
    """The Report cell of the summary's and the comment's tables. A link to the PDF only when
    the service's link works as shown (nothing in it was hidden); else the downloaded file's
    name; else the link as text, its key hidden (a link that answers 403 when clicked is worse
    than none); ``—`` when there is neither, or the link is not a plain http(s) URL."""
    url = execution.report_url
    if url and execution.report_url_works:
        link = markdown_link("PDF", url)
        if link.startswith("["):
            return link
    if execution.report_file:
        return markdown_cell_code(execution.report_file, REPORT_CELL_LIMIT)
    if url and http_url(url) is not None:
        return markdown_cell_code(url, REPORT_CELL_LIMIT)
    return "—"


FILE_WORDS = {
    FileKind.JUNIT: "JUnit XML",
    FileKind.REPORT: "PDF report",
    FileKind.RESULTS: "Results JSON",
    FileKind.DOTENV: "Dotenv",
}


def _render_summary(report: Report) -> str:
    verdict = VERDICTS.get(report.result, report.result)
    out = [f"## VibeTesting: {verdict}", ""]
    if report.message:
        out += [_cell(report.message), ""]
    if report.schedule_id:
        out += [f"Schedule id: {markdown_code(report.schedule_id)}", ""]
    if report.target_url:
        out += [f"Target URL: {markdown_code(report.target_url)}", ""]
    if report.executions:
        totals = report.totals
        out += [
            "| Execution | Suite | State | Tests | Passed | Failed | Not done | Duration "
            "| Report |",
            "|---|---|---|--:|--:|--:|--:|---|---|",
        ]
        for execution in report.executions:
            counts = [
                execution.counts.shown(name) for name in ("tests", "passed", "failed", "not_done")
            ]
            out.append(
                f"| {execution.execution_id} | {_cell(execution.suite_name)} | "
                f"{_cell(execution.state_word)} | "
                + " | ".join(counts)
                + f" | {_duration(execution.duration_ms)} | {report_cell(execution)} |"
            )
        if len(report.executions) > 1:
            out.append(
                f"| **Total** | | | **{totals.tests}** | **{totals.passed}** | "
                f"**{totals.failed}** | **{totals.not_done}** | | |"
            )
        out.append("")
        out += _pie(totals.passed or 0, totals.failed or 0, totals.not_done or 0)
        problems = [(e.execution_id, e.problem) for e in report.executions if e.problem]
        if problems:
            out += ["", "**Problems**", ""]
            out += [f"- Execution {i}: {_cell(p)}" for i, p in problems]
        out += _tests_table(report)
        out += _failed_lines(report)
    elif report.awaited:
        out += ["No execution was started.", ""]
    out += _retry_lines(report)
    if report.files:
        out += [
            "",
            "**Files written** (in the workspace; upload them with `actions/upload-artifact`)",
            "",
        ]
        out += [f"- {FILE_WORDS[f.kind]}: {markdown_code(f.path)}" for f in report.files]
    if report.warnings:
        out += ["", "**Warnings**", ""]
        out += [f"- {_cell(w)}" for w in report.warnings]
    out.append("")
    return "\n".join(out) + "\n"


def _failed_lines(report: Report) -> list[str]:
    """The failed tests, when some are named and the tests table may not show them all, or
    when some are left unnamed (said in words)."""
    failed = report.failed
    if failed.complete or not report.awaited or not report.test_names:
        return []
    named = f" Named: {_cell(', '.join(failed.names[:50]))}." if failed.names else ""
    return [
        "",
        "**Failed tests**: the service's counts do not say which of the tests numbered by "
        f"position did not pass.{named}",
    ]


def outputs_for(report: Report) -> dict[str, str]:
    """The action's outputs (names as in ``action.yml``), each at most :data:`OUTPUT_LIMIT`
    characters (GitHub takes 1 MB per output): a list is cut after its last whole item, the
    JSON list of failed tests is whole or ``[]`` (then ``failed-tests-complete`` is false)."""
    import json

    totals = report.totals
    names = json.dumps(list(report.failed.names), ensure_ascii=False)
    complete = report.failed.complete
    if len(names) > OUTPUT_LIMIT:
        names, complete = "[]", False
    outputs = {
        "result": report.result,
        "exit-code": str(report.exit_code),
        "execution-ids": _clip_list(",".join(map(str, report.execution_ids)), OUTPUT_LIMIT),
        "schedule-id": report.schedule_id or "",
        "tests": str(totals.tests),
        "passed": str(totals.passed),
        "failed": str(totals.failed),
        "flaky": str(report.flaky),
        "attempts": str(report.runs_started),
        "junit-file": report.file(FileKind.JUNIT) or "",
        "report-file": _clip_list(",".join(report.report_files), OUTPUT_LIMIT),
        "report-url": _clip_list(",".join(report.report_urls), OUTPUT_LIMIT),
        "failed-tests": names,
        "failed-tests-complete": "true" if complete else "false",
    }
    return {name: output_text(value) for name, value in outputs.items()}


def _clip_list(value: str, limit: int) -> str:
    """A comma-separated list cut after its last whole item that fits (at most ``limit``
    characters); a first item longer than that is cut to ``limit`` with an ellipsis."""
    if len(value) <= limit:
        return value
    cut = value.rfind(",", 0, limit + 1)  # a comma at ``limit``: the items before it fit
    return value[:cut] if cut > 0 else value[: max(0, limit - 1)] + "…"


def annotations_for(report: Report) -> list[tuple[str, str, str]]:
    """``(kind, title, message)`` for each execution with a problem: an error, or a warning
    where it does not decide the step (a cancel; a timeout that is not the verdict)."""
    found = []
    for execution in report.executions:
        if execution.problem is None:
            continue
        title = f"{ANNOTATION_TITLE} execution {execution.execution_id}"
        timed_out_ok = (
            execution.interrupted == Interrupted.TIMEOUT and report.result != Result.TIMEOUT
        )
        quiet = execution.interrupted == Interrupted.CANCELLED or timed_out_ok
        found.append(("warning" if quiet else "error", title, execution.problem))
    return found
