"""One report, rendered by every output (issue 21, item 7). In-process and fast.

1. One fixture, a realistic failed run, is rendered by every output (JUnit, results JSON,
   dotenv, console summary, GitHub summary, outputs and annotations, pull request comment) and
   the renders are checked against each other: the same counts per execution and in total, the
   same failed tests and completeness flag, the same state word for each execution, no secret
   anywhere, no live Markdown from service text or test names, no workflow command in the log.
2. The renders of that fixture (``sample_report`` in ``tests/support/builders.py``) are kept
   under ``tests/unit/render/golden/`` and compared; run with ``UPDATE_GOLDEN=1`` to write
   them again (then review the diff).
3. Property tests: random status answers through ``ExecutionStatus.from_api``,
   ``verdict.decide`` (and the thresholds) and ``build_report``: every output agrees with the
   exit code, and a JUnit reader counts what the service counted.

Rendering is pure: the ``render_*`` functions are called directly.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import junitparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import builders
from tests.support.builders import SAMPLE_ANSWERS as ANSWERS
from tests.support.builders import SAMPLE_FILES as FILES
from tests.support.builders import SAMPLE_SECRET as SECRET
from tests.support.builders import SAMPLE_SIGNED as SIGNED
from tests.support.builders import SAMPLE_TARGET_URL as TARGET_URL
from tests.support.builders import sample_report, secrets
from tests.support.builders import sample_result as fixture_result
from tests.support.properties import examples
from vibetesting_ci import __version__
from vibetesting_ci.domain.models import (
    ExecutionResult,
    ExecutionStatus,
    Interrupted,
    Result,
    RunResult,
)
from vibetesting_ci.domain.report import Report, build_report
from vibetesting_ci.domain.verdict import decide, with_thresholds
from vibetesting_ci.errors import ApiError, ExitCode
from vibetesting_ci.render import comment
from vibetesting_ci.render.console import Style, summary_lines
from vibetesting_ci.render.dotenv import render_dotenv
from vibetesting_ci.render.github import VERDICTS, annotations_for, outputs_for, render_summary
from vibetesting_ci.render.junit import render_junit
from vibetesting_ci.render.results import dumps_results, render_results
from vibetesting_ci.safety import scrub
from vibetesting_ci.safety.text import http_url, markdown_cell_code, markdown_code, markdown_link

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")

# ---------------------------------------------------------------- the fixture

# The golden fixture (tests/support/builders.py): a realistic failed run of six executions,
# service text hostile everywhere it can be, a signed report link, a secret it echoes.
COMMENT_KEY = "deploy/e2e"
RUN_URL = "https://github.com/octo/shop/actions/runs/99"
PREVIOUS = {"tests": 9, "passed": 5, "failed": 2, "flaky": 0}
# What the service counted (106: its failed count held 1.5, not a count).
SERVICE = {
    101: {"tests": 1, "passed": 0, "failed": 1},
    102: {"tests": 3, "passed": 2, "failed": 1},
    103: {"tests": 2, "passed": 1, "failed": 1},
    104: {"tests": 1, "passed": 1, "failed": 0},
    105: {"tests": 1, "passed": 0, "failed": 0},
    106: {"tests": 1, "passed": 0, "failed": None},
}
STATE_WORDS = {
    101: "done",
    102: "done",
    103: "done",
    104: "timed out (stopped)",
    105: "stopped",
    106: "unreadable",
}
# JUnit cases per execution: the service's counts, plus only the documented status cases
# (104: an "execution status" error, as it did not end done; 106: its one known test, an error).
JUNIT_CASES = {
    101: {"passed": 0, "failure": 1, "error": 0, "skipped": 0},
    102: {"passed": 2, "failure": 1, "error": 0, "skipped": 0},
    103: {"passed": 1, "failure": 1, "error": 0, "skipped": 0},
    104: {"passed": 1, "failure": 0, "error": 1, "skipped": 0},
    105: {"passed": 0, "failure": 0, "error": 1, "skipped": 0},
    106: {"passed": 0, "failure": 0, "error": 1, "skipped": 0},
}
FAILED_TESTS = ["signup @team", "checkout :tada:", "settings", "admin"]  # in the run's order


@dataclass(frozen=True)
class Renders:
    report: Report
    junit: str
    results: dict[str, Any]
    results_text: str
    dotenv: str
    summary: str
    outputs: dict[str, str]
    annotations: list[tuple[str, str, str]]
    comment: str
    console: list[str]

    def texts(self) -> dict[str, str]:
        """Every rendering as text, by name."""
        return {
            "junit": self.junit,
            "results": self.results_text,
            "dotenv": self.dotenv,
            "summary": self.summary,
            "outputs": json.dumps(self.outputs, indent=2, ensure_ascii=False) + "\n",
            "annotations": json.dumps(self.annotations, indent=2, ensure_ascii=False) + "\n",
            "comment": self.comment,
            "console": "\n".join(self.console) + "\n",
        }


def render_all(report: Report) -> Renders:
    return Renders(
        report=report,
        junit=render_junit(report),
        results=render_results(report),
        results_text=dumps_results(report),
        dotenv=render_dotenv(report),
        summary=render_summary(report),
        outputs=outputs_for(report),
        annotations=annotations_for(report),
        comment=comment.render(report, key=COMMENT_KEY, previous=PREVIOUS, run_url=RUN_URL),
        console=summary_lines(report, Style(False)),
    )


@pytest.fixture
def renders() -> Iterator[Renders]:
    with secrets(SECRET):
        yield render_all(sample_report())


# ---------------------------------------------------------------- reading the renders back

_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&"}


def md_plain(cell: str) -> str:
    """Markdown text (``text.markdown_text``) back to the text it shows."""
    unescaped = re.sub(r"\\(.)", r"\1", cell)
    return re.sub("&(lt|gt|amp);", lambda m: _ENTITIES[m.group()], unescaped)


def md_cells(row: str) -> list[str]:
    """A Markdown table row's cells (split at the pipes no backslash escapes), stripped."""
    cells, current, i = [], "", 0
    while i < len(row):
        if row[i] == "\\" and i + 1 < len(row):
            current += row[i : i + 2]
            i += 2
            continue
        if row[i] == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += row[i]
        i += 1
    cells.append(current.strip())
    return cells[1:-1]  # a row starts and ends with a pipe


def md_table(text: str, header: str) -> list[list[str]]:
    """The rows (cells) of the Markdown table whose header row starts with ``header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(md_cells(line))
    return rows


def md_list(text: str, heading: str) -> list[str]:
    """The items of the ``- item`` list after the line ``heading`` (and one empty line)."""
    lines = text.splitlines()
    start = lines.index(heading) + 2
    items = []
    for line in lines[start:]:
        if not line.startswith("- "):
            break
        items.append(md_plain(line[2:]))
    return items


def console_table(lines: Sequence[str]) -> dict[int, list[str]]:
    """The console table's rows by execution id: ``[state, tests, passed, failed, not done]``."""
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["execution", "state"])
    rows = {}
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        rows[int(cells[0])] = cells[1:]
    return rows


@dataclass
class Suite:
    properties: dict[str, str]
    outcomes: Counter[str]
    cases: list[tuple[str, str]]  # (name, outcome)


def junit_suites(xml: str) -> list[Suite]:
    """Each ``<testsuite>`` as junitparser (the reader behind EnricoMi's action) reads it."""
    suites = []
    for suite in junitparser.JUnitXml.fromstring(xml):
        properties = {p.name: p.value for p in suite.properties()}
        cases = []
        for case in suite:
            kinds = [type(r).__name__.lower() for r in case.result]
            cases.append((case.name, kinds[0] if kinds else "passed"))
        suites.append(Suite(properties, Counter(outcome for _, outcome in cases), cases))
    return suites


def dotenv_values(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def dotenv_names(value: str) -> list[str]:
    """``VIBETESTING_RESULT_FAILED_TESTS``: comma-separated, each item percent-encoded."""
    return [unquote(item) for item in value.split(",")] if value else []


# ---------------------------------------------------------------- no live Markdown

LIVE = r"(?<!\\)(?:\\\\)*"  # an even number of backslashes (none included) before it
LIVE_MARKDOWN = {
    "a mention": re.compile(LIVE + "@"),
    "an emoji code": re.compile(LIVE + r":[A-Za-z0-9_+-]+:"),
    "a bare www. link": re.compile(r"(?i)www\."),
    "a bare http(s) link": re.compile(r"(?i)\bhttps?://"),
    "a javascript: link": re.compile(r"(?i)javascript:"),
    "an HTML tag": re.compile(r"<[A-Za-z/!?]"),
    "a link": re.compile(LIVE + r"\]\("),
    "an image": re.compile(LIVE + r"!\["),
    "a code span": re.compile(LIVE + "`"),
}


def _own_markdown(report: Report, *, run_url: str = "") -> list[str]:
    """The Markdown the summary and the comment write themselves (verdict emoji, report links,
    file names as code, the comment's markers and footer): all that may be live."""
    own = [
        *(f"## VibeTesting: {word}" for word in VERDICTS.values()),
        *(f"### VibeTesting: {word}" for word in VERDICTS.values()),
        *(markdown_link("PDF", url) for url in report.report_urls if http_url(url)),
        # A report link whose key was hidden, as text; a downloaded report's file name.
        *(markdown_cell_code(url) for url in report.report_urls if http_url(url)),
        *(markdown_cell_code(path) for path in report.report_files),
        *(markdown_code(f.path) for f in report.files),
        markdown_code(report.label),
        *([markdown_code(report.target_url)] if report.target_url else []),  # configured
        *(markdown_code(c.name) for c in [c for c in report.cases if c.is_test][:1]),
        "`allow-parallel: true`",
        "`allow-parallel`",
        "`actions/upload-artifact`",
        "<sub>",
        "</sub>",
    ]
    if run_url:
        own.append(markdown_link("this run", run_url))
    return sorted(own, key=len, reverse=True)


def assert_no_live_markdown(text: str, report: Report, *, run_url: str = "", what: str) -> None:
    """Nothing in ``text`` but our own Markdown can mention, link, embed or be HTML."""
    rest = re.sub(r"(?s)```mermaid\n.*?```\n", "", text)  # the pie chart: counts only
    rest = re.sub(r"<!-- vibetesting-ci:(comment key=\S*|counts \{[^<>]*\}) -->", "", rest)
    for own in _own_markdown(report, run_url=run_url):
        rest = rest.replace(own, "")
    for name, pattern in LIVE_MARKDOWN.items():
        found = pattern.search(rest)
        assert found is None, (
            f"{what}: {name} at {rest[max(0, found.start() - 60) : found.end() + 20]!r}"
        )


COMMAND_START = re.compile(r"^\s*(::|##\[|##vso\[)")
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]")


# ---------------------------------------------------------------- 1. the outputs agree


def test_every_output_gives_the_same_counts_per_execution(renders: Renders) -> None:
    report = renders.report
    assert report.execution_ids == tuple(ANSWERS)
    results = {e["id"]: e for e in renders.results["executions"]}
    summary = {
        int(r[0]): r for r in md_table(renders.summary, "| Execution | Suite |") if r[0].isdigit()
    }
    comment_rows = {int(r[0]): r for r in md_table(renders.comment, "| Execution | State |")}
    console = console_table(renders.console)
    suites = dict(zip(report.execution_ids, junit_suites(renders.junit), strict=True))
    for execution in report.executions:
        eid = execution.execution_id
        service = SERVICE[eid]
        counts = {name: getattr(execution.counts, name) for name in ("tests", "passed", "failed")}
        assert counts == service, eid  # the service's counts, None where it held none
        shown = [execution.counts.shown(n) for n in ("tests", "passed", "failed", "not_done")]
        as_json = [results[eid][n] for n in ("tests", "passed", "failed", "not_done")]
        assert [("?" if v is None else str(v)) for v in as_json] == shown, eid
        assert summary[eid][3:7] == shown, eid
        assert comment_rows[eid][2:6] == shown, eid
        assert console[eid][1:] == shown, eid
        props = suites[eid].properties
        from_junit = [
            props.get(n, "?") for n in ("number_of_tests", "passed", "failed", "not_done")
        ]
        assert from_junit == shown, eid
        assert props["execution_id"] == str(eid)


def test_every_output_gives_the_same_totals(renders: Renders) -> None:
    totals = renders.report.totals
    expected = {
        "tests": totals.tests,
        "passed": totals.passed,
        "failed": totals.failed,
        "not_done": totals.not_done,
    }
    # The service's counts summed (the unreadable execution's failed count is no count).
    assert expected["tests"] == sum(c["tests"] for c in SERVICE.values()) == 9
    assert expected["passed"] == sum(c["passed"] for c in SERVICE.values()) == 4
    assert expected["failed"] == sum(c["failed"] or 0 for c in SERVICE.values()) == 3
    results = renders.results["totals"]
    assert {k: results[k] for k in expected} == expected
    dotenv = dotenv_values(renders.dotenv)
    outputs = renders.outputs
    for name in ("tests", "passed", "failed"):
        assert dotenv[f"VIBETESTING_RESULT_{name.upper()}"] == str(expected[name])
        assert outputs[name] == str(expected[name])
    (total,) = [
        r for r in md_table(renders.summary, "| Execution | Suite |") if r[0] == "**Total**"
    ]
    assert total[3:7] == [f"**{expected[n]}**" for n in ("tests", "passed", "failed", "not_done")]
    marker = re.search(r"<!-- vibetesting-ci:counts (\{.*\}) -->", renders.comment)
    assert marker is not None
    assert json.loads(marker.group(1)) == {
        "tests": expected["tests"],
        "passed": expected["passed"],
        "failed": expected["failed"],
        "flaky": 0,
    }
    assert comment.previous_counts(renders.comment) == json.loads(marker.group(1))


def test_a_junit_reader_counts_what_the_service_counted(renders: Renders) -> None:
    suites = junit_suites(renders.junit)
    assert len(suites) == len(ANSWERS)
    for eid, suite in zip(ANSWERS, suites, strict=True):
        outcomes = {k: suite.outcomes[k] for k in ("passed", "failure", "error", "skipped")}
        assert outcomes == JUNIT_CASES[eid], (eid, suite.cases)
        service = SERVICE[eid]
        if service["failed"] is not None:  # readable counts: the cases add up to them
            assert outcomes["passed"] == service["passed"]
            assert outcomes["failure"] == service["failed"]
        status_cases = [n for n, _ in suite.cases if re.fullmatch(r"execution \d+ status", n)]
        assert len(status_cases) == (1 if eid == 104 else 0)
    # Never an all-passed view at a non-zero exit: every execution that did not end done has a
    # case that did not pass (104 timed out with every counted test passed).
    for execution, suite in zip(renders.report.executions, suites, strict=True):
        if not execution.is_done or execution.unreadable or execution.interrupted:
            assert suite.outcomes["error"] + suite.outcomes["failure"] >= 1, execution
    xml = junitparser.JUnitXml.fromstring(renders.junit)
    xml.update_statistics()  # junitparser's own sums over the cases
    assert (xml.tests, xml.failures, xml.errors) == (10, 3, 3)


def test_every_output_names_the_same_failed_tests(renders: Renders) -> None:
    report = renders.report
    assert list(report.failed.names) == FAILED_TESTS
    assert report.failed.complete is False  # 103's failed test is known only by position
    assert renders.results["failed_tests"] == FAILED_TESTS
    assert renders.results["failed_tests_complete"] is False
    assert json.loads(renders.outputs["failed-tests"]) == FAILED_TESTS
    assert renders.outputs["failed-tests-complete"] == "false"
    dotenv = dotenv_values(renders.dotenv)
    assert dotenv_names(dotenv["VIBETESTING_RESULT_FAILED_TESTS"]) == FAILED_TESTS
    assert dotenv["VIBETESTING_RESULT_FAILED_TESTS_COMPLETE"] == "false"
    # The summary: the named tests whose row did not pass, and the "Named:" sentence.
    rows = md_table(renders.summary, "| Test | Outcome |")
    troubled = [md_plain(r[0]) for r in rows if not r[1].startswith("passed")]
    assert [n for n in troubled if n in report.test_names] == FAILED_TESTS
    assert "**Failed tests**: the service's counts do not say which" in renders.summary
    named = re.search(r"^\*\*Failed tests\*\*: .* Named: (.*)\.$", renders.summary, re.M)
    assert named is not None and md_plain(named.group(1)) == ", ".join(FAILED_TESTS)
    # The comment: its list, and the sentence for the tests the counts leave unnamed.
    listed = md_list(renders.comment, "**Failed tests** (as named in the JUnit report):")
    assert listed == FAILED_TESTS
    assert "The service's counts do not say which of the other tests" in renders.comment
    # The console: the named tests that did not pass, and the same sentence.
    tests = [line for line in renders.console if re.match(r"  (failed|error|skipped) ", line)]
    named_here = [re.split(r"\s{2,}", line.strip())[1] for line in tests]
    assert [n for n in named_here if n in report.test_names] == FAILED_TESTS
    assert any("counts do not say which of the other tests" in line for line in renders.console)
    # The JUnit: the same names are the cases that did not pass.
    junit_troubled = [n for s in junit_suites(renders.junit) for n, o in s.cases if o != "passed"]
    assert [n for n in junit_troubled if n in report.test_names] == FAILED_TESTS
    # And the verdict everywhere.
    assert renders.results["result"] == renders.outputs["result"] == report.result == "error"
    assert renders.results["exit_code"] == int(renders.outputs["exit-code"]) == 3
    assert dotenv["VIBETESTING_RESULT"] == "error"
    assert renders.console[-1].startswith("result: error (exit 3): execution 106")


def test_every_output_gives_each_execution_the_same_state_word(renders: Renders) -> None:
    report = renders.report
    words = {e.execution_id: e.state_word for e in report.executions}
    assert words == STATE_WORDS
    results = {e["id"]: e["state_word"] for e in renders.results["executions"]}
    summary = {
        int(r[0]): md_plain(r[2])
        for r in md_table(renders.summary, "| Execution | Suite |")
        if r[0].isdigit()
    }
    comment_words = {
        int(r[0]): md_plain(r[1]) for r in md_table(renders.comment, "| Execution | State |")
    }
    console = {eid: row[0] for eid, row in console_table(renders.console).items()}
    junit = {
        int(s.properties["execution_id"]): s.properties["state"]
        for s in junit_suites(renders.junit)
    }
    assert results == summary == comment_words == console == junit == STATE_WORDS


def test_every_output_shows_the_same_target_url(renders: Renders) -> None:
    """Tests as code (issue 23): the target URL in the results, each JUnit suite's properties,
    the job summary, the comment and the log, as configured (never a live link)."""
    assert renders.results["target_url"] == TARGET_URL
    suites = ET.fromstring(renders.junit).findall("testsuite")
    assert suites
    for suite in suites:
        found = [p.get("value") for p in suite.iter("property") if p.get("name") == "target_url"]
        assert found == [TARGET_URL]
    assert f"Target URL: `{TARGET_URL}`" in renders.summary.splitlines()
    assert f"Target URL: `{TARGET_URL}`" in renders.comment.splitlines()
    assert any(line.split() == ["target", TARGET_URL] for line in renders.console)


def test_no_secret_in_any_rendering(renders: Renders) -> None:
    from urllib.parse import quote

    for name, text in renders.texts().items():
        for secret in (SECRET, quote(SECRET, safe=""), "token=SECRET", "SECRET&"):
            assert secret not in text, f"{name} holds {secret!r}"
        # in any case: the service's execution_state is read case-insensitively (lowercased)
        assert "s3cret" not in text.casefold(), f"{name} holds the secret in another case"
        assert "token=secret" not in text.casefold(), name
    # Every value of the signed link hidden, and shown as text: a link that would 403 is none.
    shown = "https://r.example/1.pdf?token=***&sig=***"
    assert f"| `{shown}` |" in renders.summary and f"| `{shown}` |" in renders.comment
    assert "[PDF](" not in renders.summary and "[PDF](" not in renders.comment
    assert renders.outputs["report-url"].split(",")[0] == shown


def test_a_secret_echoed_in_the_state_is_scrubbed_before_the_state_is_lowercased() -> None:
    """``from_api`` reads ``execution_state`` case-insensitively; the scrubbers match a secret
    in its own case, so the state is scrubbed first (else the lowercased secret went to the
    log, the JUnit, the results and the summary's warnings)."""
    scrub.reset()
    scrub.register(SECRET)
    try:
        status = ExecutionStatus.from_api(7, {"execution_state": f"Weird {SECRET}"})
    finally:
        scrub.reset()
    assert status.state == "weird ***"
    assert all("s3cret" not in w.casefold() for w in status.warnings)


def test_no_live_markdown_in_the_summary_or_the_comment(renders: Renders) -> None:
    report = renders.report
    assert_no_live_markdown(renders.summary, report, what="summary")
    assert_no_live_markdown(renders.comment, report, run_url=RUN_URL, what="comment")
    for text in (renders.summary, renders.comment):
        assert not RAW_CONTROL.search(text)
        # The hostile text is there, shown as text (escaped), not dropped.
        assert "\\@team" in text and "\\:tada\\:" in text
    assert "www\\.evil.example" in renders.summary and "&lt;img src=x" in renders.summary


def test_the_console_starts_no_workflow_command(renders: Renders) -> None:
    for line in renders.console:
        assert not COMMAND_START.match(line), line
        assert not RAW_CONTROL.search(line), line
    annotations = [message for _kind, _title, message in renders.annotations]
    assert all("\n" not in m and "\r" not in m and "\x1b" not in m for m in annotations)


# ---------------------------------------------------------------- 2. golden renders

GOLDEN_FILES = {
    "junit": "report.junit.xml",
    "results": "report.results.json",
    "dotenv": "report.env",
    "summary": "report.summary.md",
    "outputs": "report.outputs.json",
    "annotations": "report.annotations.json",
    "comment": "report.comment.md",
    "console": "report.console.txt",
}
VERSION_LINE = f'"version": "{__version__}",'


def _stable(name: str, text: str) -> str:
    """The render with what changes on its own (the package version) made fixed."""
    if name == "results":
        assert VERSION_LINE in text
        return text.replace(VERSION_LINE, '"version": "<version>",', 1)
    return text


@pytest.mark.parametrize("name", list(GOLDEN_FILES))
def test_golden_render(renders: Renders, name: str) -> None:
    text = _stable(name, renders.texts()[name])
    path = GOLDEN / GOLDEN_FILES[name]
    if UPDATE_GOLDEN:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    assert path.exists(), f"{path} is missing: run UPDATE_GOLDEN=1 pytest {__file__}"
    golden = path.read_bytes().decode("utf-8")  # as written: no newline translation
    assert text == golden, (
        f"{name} differs from {path.name}: if the change is meant, run UPDATE_GOLDEN=1 "
        f"pytest {Path(__file__).name} and review the diff"
    )


def test_renders_are_deterministic() -> None:
    """Rendered twice from two reports built apart, every output is byte for byte the same."""
    scrub.reset()
    scrub.register(SECRET)
    try:
        first = render_all(build_report(fixture_result(), FILES)).texts()
        second = render_all(build_report(fixture_result(), FILES)).texts()
    finally:
        scrub.reset()
    assert first == second


# ---------------------------------------------------------------- 3. property tests

MISSING = object()
ODD_COUNTS = st.sampled_from([MISSING, None, True, False, -1, 1.5, 2.0, "3", " 1 ", "x", "", [1]])
COUNT = st.one_of(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5), ODD_COUNTS)
STATES = st.one_of(
    st.just("done"),  # about half the answers: the run's usual end
    st.sampled_from(
        [
            "Done ",
            "running",
            "processing",
            "failed",
            "stopped",
            "error",
            "cancelled",
            "aborted",
            "finished",
            "completed",
            "passed",
            "unknown",
            "",
        ]
    ),
    st.text(max_size=6),
    st.sampled_from(["running", "failed", "stopped", "finished"]),
)
PIECES = st.sampled_from(
    ["@team", ":x:", "www.e.example", "<b>", "](", "![", "::error::", "\x1b[2K", "\r", "\n", " "]
)
NAME = st.one_of(
    st.sampled_from(["login", "checkout", "search", "check", "a b", "a  b", "", "test 1"]),
    st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=3).map("".join),
)
KEYS = (
    "number_of_tests",
    "number_of_done_tests",
    "number_of_passed_tests",
    "number_of_failed_tests",
)


@st.composite
def answer(draw: st.DrawFn, names: Sequence[str]) -> dict[str, Any]:
    body: dict[str, Any] = {"execution_state": draw(STATES)}
    if draw(st.integers(0, 3)):  # mostly counts that agree, as a well-behaved service sends
        tests = draw(st.sampled_from([len(names), len(names), 1, 0, 2, 3]))
        passed = draw(st.integers(0, tests))
        failed = draw(st.integers(0, tests - passed))
        done = draw(st.sampled_from([passed + failed, tests]))
        body.update(zip(KEYS, (tests, done, passed, failed), strict=True))
    else:
        for key in KEYS:
            value = draw(COUNT)
            if value is not MISSING:
                body[key] = value
    named = draw(st.lists(st.sampled_from(names), max_size=3)) if names else []
    failed = body.get("number_of_failed_tests")
    if names and isinstance(failed, int) and 0 < failed <= len(names) and draw(st.booleans()):
        named = draw(st.permutations(names))[:failed]  # the service names its failed tests
    glue = draw(st.lists(PIECES, max_size=2))
    body["detailed_status"] = " ".join(["Failed:", *named, *glue])
    body["suite_name"] = draw(st.one_of(st.just("Guided run"), NAME))
    body["full_report_link"] = draw(st.sampled_from([SIGNED, "", "javascript:alert(1)"]))
    return body


@dataclass(frozen=True)
class Drawn:
    result: RunResult
    statuses: tuple[ExecutionStatus | None, ...]
    threshold_given: bool


@st.composite
def runs(draw: st.DrawFn) -> Drawn:
    names = tuple(draw(st.lists(NAME, max_size=5)))
    count = draw(st.sampled_from([1, 1, 2, 3, 4, max(1, len(names))]))
    executions = []
    for eid in range(1001, 1001 + count):
        status: ExecutionStatus | None = None
        if draw(st.integers(0, 9)):  # now and then an execution whose status was never read
            status = ExecutionStatus.from_api(eid, draw(answer(names)))
            if status.looks_final and draw(st.booleans()):  # the wait's grace ran out
                status = status.assume_final(3)
        executions.append(ExecutionResult(eid, status))
    unfinished = [e for e in executions if not e.finished]
    how = (
        draw(st.sampled_from([Interrupted.TIMEOUT, Interrupted.CANCELLED, "api"]))
        if unfinished
        else None
    )
    error: ApiError | None = None
    interrupted: str | None = None
    if how == "api":  # the wait stops at an API error, some execution still unfinished
        error = ApiError("the service answered 502 <b>@team</b>")
    elif how is not None:
        interrupted = how
        executions = [
            e if e.finished else replace(e, interrupted=how, stopped=draw(st.booleans()))
            for e in executions
        ]
    result = decide(
        tuple(executions),
        interrupted=interrupted,
        error=error,
        fail_on_timeout=draw(st.booleans()),
        signal_code=draw(st.sampled_from([0, 130, 143])),
        test_names=names,
        allow_empty=draw(st.booleans()),
    )
    given_threshold = draw(st.booleans())
    if given_threshold:
        result = with_thresholds(
            result,
            max_failures=draw(st.one_of(st.none(), st.integers(0, 6))),
            min_pass_rate=draw(st.one_of(st.none(), st.floats(0, 100))),
        )
    result = replace(result, label="vibetesting.tests")
    return Drawn(result, tuple(e.status for e in executions), given_threshold)


def _service_cases(status: ExecutionStatus, *, uncounted: bool) -> dict[str, int]:
    """The JUnit cases an execution with readable counts must have: the service's passed and
    failed; its tests not done as errors (skipped when it ended done); one "execution status"
    error when it did not end done and nothing failed or was left undone; one "tests not
    counted" error on the last execution when the executions count fewer tests than were sent."""
    not_done = status.tests - status.passed - status.failed
    status_case = not status.is_done and status.failed == 0 and not_done == 0
    return {
        "passed": status.passed,
        "failure": status.failed,
        "error": (0 if status.is_done else not_done) + int(status_case) + int(uncounted),
        "skipped": not_done if status.is_done else 0,
    }


@settings(
    max_examples=examples(200),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(runs())
def test_every_output_agrees_with_the_exit_code(drawn: Drawn) -> None:
    result = drawn.result
    report = build_report(result, FILES)
    assert (report.result, report.exit_code) == (result.result, int(result.exit_code))
    suites = junit_suites(render_junit(report))
    cases = [outcome for suite in suites for _, outcome in suite.cases]

    # Never an all-passed JUnit at a non-zero exit; a plain pass has nothing failed in it.
    if report.exit_code != ExitCode.OK:
        assert any(outcome != "passed" for outcome in cases), (report.message, cases)
    elif report.result == Result.PASSED and not result.threshold:
        assert not any(outcome in ("failure", "error") for outcome in cases), cases
    # Every execution that did not end done shows it.
    for status, execution, suite in zip(drawn.statuses, result.executions, suites, strict=True):
        if status is None or not status.is_done or status.unreadable or execution.interrupted:
            assert suite.outcomes["passed"] < len(suite.cases), (status, suite.cases)

    # Per execution, a JUnit reader counts what the service counted.
    statuses = drawn.statuses
    uncounted = all(s is not None and s.finished and not s.unreadable for s in statuses) and (
        0 < sum(s.total for s in statuses if s is not None) < len(result.test_names)
    )
    for number, (status, suite) in enumerate(zip(statuses, suites, strict=True), 1):
        if status is None or status.unreadable or status.total == 0:  # no counts to show
            assert suite.outcomes["passed"] == suite.outcomes["failure"] == 0, suite.cases
            continue
        if status.problem is not None:  # unfinished, its counts odd: progress, not a verdict
            continue
        expected = _service_cases(status, uncounted=uncounted and number == len(statuses))
        got = {k: suite.outcomes[k] for k in expected}
        assert got == expected, (status, suite.cases)

    # The verdict, in every output that carries it.
    outputs = outputs_for(report)
    results = render_results(report)
    dotenv = dotenv_values(render_dotenv(report))
    assert outputs["result"] == results["result"] == dotenv["VIBETESTING_RESULT"] == report.result
    assert outputs["exit-code"] == str(results["exit_code"]) == str(report.exit_code)
    console = summary_lines(report, Style(False))
    assert console[-1].startswith(f"result: {report.result} (exit {report.exit_code})")
    summary = render_summary(report)
    assert summary.startswith(f"## VibeTesting: {VERDICTS[report.result]}\n")
    body = comment.render(report, key="k")
    assert f"### VibeTesting: {VERDICTS[report.result]}\n" in body

    # The failed tests: one list, of named tests, the same in every output.
    failed = list(report.failed.names)
    named_cases = {c.name: c.test_index for c in report.cases if c.test is not None}
    assert set(failed) <= set(named_cases)  # by their JUnit names, each a test of the run
    assert [named_cases[n] for n in failed] == list(report.failed.indexes)
    assert all(0 <= i < len(result.test_names) for i in report.failed.indexes)
    assert json.loads(outputs["failed-tests"]) == results["failed_tests"] == failed
    assert dotenv_names(dotenv["VIBETESTING_RESULT_FAILED_TESTS"]) == failed
    complete = "true" if report.failed.complete else "false"
    assert outputs["failed-tests-complete"] == dotenv["VIBETESTING_RESULT_FAILED_TESTS_COMPLETE"]
    assert outputs["failed-tests-complete"] == complete
    assert results["failed_tests_complete"] is report.failed.complete
    junit_named = {n for s in suites for n, o in s.cases if o != "passed"}
    assert set(failed) <= junit_named

    # The same counts and state words, the Markdown dead.
    totals = report.totals
    for name in ("tests", "passed", "failed"):
        assert outputs[name] == dotenv[f"VIBETESTING_RESULT_{name.upper()}"]
        assert outputs[name] == str(results["totals"][name]) == str(getattr(totals, name))
    words = [e["state_word"] for e in results["executions"]]
    assert [s.properties["state"] for s in suites] == words
    assert [md_plain(r[1]) for r in md_table(body, "| Execution | State |")] == words
    assert_no_live_markdown(summary, report, what="summary")
    assert_no_live_markdown(body, report, what="comment")
    assert not any(COMMAND_START.match(line) or RAW_CONTROL.search(line) for line in console)


def test_a_state_the_junit_cannot_carry_reads_the_same_in_every_output() -> None:
    """Hypothesis found ``\\ufffe``: the JUnit XML showed U+FFFD, the results the raw
    character. The state word is made of characters every output carries when it is built."""
    run = RunResult(
        "error",
        3,
        executions=(builders.execution(1001, "\ufffe\x85run", tests=1, done=0),),
        test_names=("login",),
    )
    report = build_report(run)
    assert report.executions[0].state_word == "\ufffd run"  # NEL: a line break, one_line
    results = render_results(report)
    suites = junit_suites(render_junit(report))
    assert results["executions"][0]["state_word"] == suites[0].properties["state"]
