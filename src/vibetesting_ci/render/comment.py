"""The pull/merge request comment's Markdown, a pure function of the one report
(``publish/comment.py`` finds the pull request and posts it; ``service/forge.py`` makes the calls).

A hidden marker names the comment's key, so a later run finds the comment again and edits it;
a second hidden marker records the counts, so the next comment can say what changed. Every
text from the service or a test name goes through the job summary's Markdown escaping
(``safety.text.markdown_text``: no HTML, link, mention, emoji code or table break); links only
through ``safety.text.markdown_link``. The Report cell is the job summary's
(``render.github.report_cell``): a report link whose key was hidden is no link.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from vibetesting_ci.domain.models import Scope
from vibetesting_ci.domain.report import Report
from vibetesting_ci.render.github import VERDICTS, report_cell
from vibetesting_ci.safety.text import http_url, markdown_code, markdown_link, markdown_text

MARKER = "<!-- vibetesting-ci:comment key={key} -->"
MARKER_RE = re.compile(r"<!-- vibetesting-ci:comment key=([^>\s]*) -->")
_COUNTS_RE = re.compile(r"<!-- vibetesting-ci:counts (\{[^<>]*\}) -->")
MAX_BODY_CHARS = 60_000  # GitHub refuses comments over 65,536 characters


CELL_LIMIT = 300  # characters of service text or a test name in one line of the comment


def _md(text: str) -> str:
    """Text (service text, test names) for the comment: the job summary's Markdown escaping
    (text.markdown_text: no HTML, link, mention, emoji code or table break)."""
    return markdown_text(text, CELL_LIMIT)


def previous_counts(body: str) -> dict[str, int] | None:
    """The counts the previous comment recorded in its hidden marker, if readable."""
    match = _COUNTS_RE.search(body)
    if not match:
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    counts = {
        k: v
        for k, v in data.items()
        if k in ("tests", "passed", "failed", "flaky")
        and isinstance(v, int)
        and not isinstance(v, bool)
    }
    return counts or None


def _change(previous: Mapping[str, int] | None, now: Mapping[str, int]) -> str:
    if previous is None:
        return ""
    parts = []
    for key in ("passed", "failed", "flaky"):
        before, after = previous.get(key), now.get(key, 0)
        if before is None or before == after:
            continue
        parts.append(f"{key} {before} → {after} ({after - before:+d})")
    return "Since the last run: " + (", ".join(parts) if parts else "no change") + "."


LISTED = 50  # failed and flaky tests, and executions, listed in the comment


def render(
    report: Report,
    *,
    key: str,
    previous: Mapping[str, int] | None = None,
    run_url: str = "",
) -> str:
    """The comment's Markdown: marker, verdict, per-execution table, failed and flaky tests,
    report links, the change against ``previous`` counts, and the counts marker for the next
    run. Every text from the service or a test name goes through :func:`_md`; links only
    through ``text.markdown_link``; the Report cell is ``github.report_cell``'s."""
    totals = report.totals
    flaky = report.flaky_tests  # the named ones; a whole-run retry counts them only
    counts = {
        "tests": totals.tests or 0,
        "passed": totals.passed or 0,
        "failed": totals.failed or 0,
        "flaky": max(len(flaky), report.flaky),
    }
    out = [MARKER.format(key=key), f"### VibeTesting: {VERDICTS.get(report.result, '')}"]
    out.append("")
    if report.message:
        out += [_md(report.message), ""]
    if report.target_url:
        out += [f"Target URL: {markdown_code(report.target_url)}", ""]
    if report.executions:
        out += [
            "| Execution | State | Tests | Passed | Failed | Not done | Report |",
            "|---|---|--:|--:|--:|--:|---|",
        ]
        shown = report.executions[:LISTED]
        for execution in shown:
            cells = [
                execution.counts.shown(name) for name in ("tests", "passed", "failed", "not_done")
            ]
            out.append(
                f"| {execution.execution_id} | {_md(execution.state_word)} | "
                + " | ".join(cells)
                + f" | {report_cell(execution)} |"
            )
        if len(report.executions) > len(shown):
            out.append(f"| … {len(report.executions) - len(shown)} more | | | | | | |")
        out.append("")
    failed = report.failed
    if failed.names:
        out += ["**Failed tests** (as named in the JUnit report):", ""]
        out += [f"- {_md(name)}" for name in failed.names[:LISTED]]
        if len(failed.names) > LISTED:
            out.append(f"- … {len(failed.names) - LISTED} more")
        out.append("")
    if not failed.complete and report.awaited and report.test_names:
        out += [
            "The service's counts do not say which of the other tests did not pass (run one "
            "test per execution with `allow-parallel` to have each test named).",
            "",
        ]
    if report.attempts:
        last = report.attempts[-1].scope
        scopes = "failed tests" if last == Scope.FAILED_TESTS else "whole run"
        out += [f"Attempts: {report.attempts_said}, the last of the {scopes}", ""]
    if flaky:
        out += ["**Flaky** (failed, then passed on a retry):", ""]
        out += [f"- {_md(name)}" for name in flaky[:LISTED]]
        out.append("")
    elif counts["flaky"]:
        out += [
            f"**Flaky**: {counts['flaky']} test(s) failed, then passed when the whole run "
            "was retried (the counts do not say which).",
            "",
        ]
    change = _change(previous, counts)
    if change:
        out += [change, ""]
    footer = "Posted by vibetesting-ci"
    run_link = http_url(run_url)
    if run_link:
        footer += f" for {markdown_link('this run', run_link)}"
    out.append(f"<sub>{footer}; edited in place on later runs.</sub>")
    out.append(f"<!-- vibetesting-ci:counts {json.dumps(counts, sort_keys=True)} -->")
    text = "\n".join(out) + "\n"
    if len(text) > MAX_BODY_CHARS:  # only reachable through very many flaky names or rows
        text = text[: MAX_BODY_CHARS - 200] + "\n\n… (cut)\n" + "\n".join(out[-1:]) + "\n"
    return text
