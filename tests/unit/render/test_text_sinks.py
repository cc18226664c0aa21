"""Property tests: service text cannot become a command, a control sequence, Markdown or HTML.
The job summary and the pull request comment (the two Markdown renderers) face the same tests."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.support.builders import execution, result
from tests.support.github_output import parse_output_file
from tests.support.properties import examples
from vibetesting_ci.domain.models import ExecutionResult, ExecutionStatus, Interrupted, RunResult
from vibetesting_ci.domain.report import FileKind, OutputFile, Report, build_report
from vibetesting_ci.render import comment, github
from vibetesting_ci.render.dotenv import KEYS as dotenv_keys_written
from vibetesting_ci.render.dotenv import render_dotenv
from vibetesting_ci.render.github import output_block, outputs_for, render_summary
from vibetesting_ci.safety.guard import CommandGuard
from vibetesting_ci.safety.text import (
    LINE_LIMIT,
    http_url,
    json_text,
    line_text,
    log_text,
    markdown_link,
    markdown_text,
    one_line,
    output_text,
)

# Text a hostile service could send: anything, weighted towards what does harm.
HOSTILE = st.one_of(
    st.text(),
    st.lists(
        st.sampled_from(
            [
                "\n",
                "\r",
                "\r\n",
                "\x1b[2K",
                "\x1b]8;;http://x\x07",
                "\x00",
                "\x85",
                "\u2028",
                "\u202e",
                "\x9b31m",
                "::error::",
                "::add-mask::",
                "::stop-commands::t",
                "##[group]",
                "##vso[task]",
                "  ",
                "|",
                "<img src=x onerror=alert(1)>",
                "![t](https://tracker/pixel.png)",
                "[click](javascript:alert(1))",
                "https://evil.example/",
                "www.evil.example",
                ":x:",
                "`",
                "a",
                "é",
                "\ud83d",
            ]
        ),
        max_size=12,
    ).map("".join),
)
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
COMMAND_LINE = re.compile(r"^\s*(::|##\[|##vso\[)", re.MULTILINE)


@settings(max_examples=examples(400))
@given(HOSTILE, st.one_of(st.none(), st.integers(min_value=1, max_value=80)))
def test_log_text_is_one_harmless_line(text: str, limit: int | None) -> None:
    out = log_text(text, limit)
    assert not CONTROL.search(out)
    assert not COMMAND_LINE.search(out)
    assert limit is None or len(out) <= limit + 1
    for flat in (one_line(text), output_text(text)):
        assert not CONTROL.search(flat)


# Each Markdown renderer's escaper for service text and test names (the same one: the summary's
# and the comment's differ only in how much of a text they show).
CELL_ESCAPERS: dict[str, Callable[[str], str]] = {
    "markdown_text": markdown_text,
    "summary": github._cell,
    "comment": comment._md,
}


@pytest.mark.parametrize("escape", CELL_ESCAPERS.values(), ids=list(CELL_ESCAPERS))
@settings(max_examples=examples(400))
@given(cells=st.lists(HOSTILE, min_size=1, max_size=5))
def test_markdown_cells_keep_the_table_intact(
    escape: Callable[[str], str], cells: list[str]
) -> None:
    row = "| " + " | ".join(escape(c) for c in cells) + " |"
    assert "\n" not in row and not CONTROL.search(row)
    # Unescaped pipes are exactly the row's own separators.
    assert len(re.findall(r"(?<!\\)\|", row)) == len(cells) + 1
    for forbidden in ("<", "https://", "www."):
        assert forbidden not in row
    assert not re.search(r"(?<!\\)[\[\]]", row)  # no bracket left to open a link or image


@given(HOSTILE, HOSTILE)
def test_links_only_to_plain_http_urls(label: str, url: str) -> None:
    link = markdown_link(label, url)
    if http_url(url) is None:
        assert not re.search(r"(?<!\\)\]\(", link)
    else:
        assert link.endswith(")") and "\n" not in link


@settings(max_examples=examples(300))
@given(st.lists(st.tuples(st.booleans(), HOSTILE), max_size=8))
def test_guarded_stream_starts_no_line_with_a_command(writes: list[tuple[bool, str]]) -> None:
    raw = io.StringIO()
    guard = CommandGuard(raw)
    ours = []
    for is_command, text in writes:
        if is_command:
            line = f"::warning title=VibeTesting::{len(ours)}"
            ours.append(line)
            guard.command(line)
        else:
            guard.write(text)
    guard.flush()
    out = raw.getvalue()
    lines = re.split(r"\r\n|\r|\n", out)
    commands = [line for line in lines if COMMAND_LINE.match(line)]
    assert commands == ours
    assert "\x00" not in out and not re.search("[\x80-\x9f]", out)


def test_guard_passes_our_own_escapes_and_holds_split_commands() -> None:
    raw = io.StringIO()
    guard = CommandGuard(raw)
    guard.write("\x1b[32mgreen\x1b[0m\n")
    guard.write(":")
    guard.write(":error::x\n")
    guard.write("  ")
    guard.write("##[group]y\n")
    guard.flush()
    assert raw.getvalue() == "\x1b[32mgreen\x1b[0m\n\\::error::x\n\\##[group]y\n"


def test_http_url_examples() -> None:
    assert http_url("https://r.example/a.pdf?x=1") == "https://r.example/a.pdf?x=1"
    for bad in (
        "javascript:alert(1)",
        "https://r.example/a b",
        "https://r.example/\nx",
        "ftp://r.example/a",
        "https:///nohost",
        "https://r.example:99999/",
        " https://r.example/",
        'https://r.example/"onmouseover',
        "",
    ):
        assert http_url(bad) is None, bad
    assert (
        markdown_link("PDF", "https://r.example/(1).pdf") == "[PDF](https://r.example/%281%29.pdf)"
    )
    # A pipe would split the table cell the link sits in (Hypothesis found HTTP://|).
    assert markdown_link("PDF", "HTTP://|") == "[PDF](HTTP://%7C)"


def _hostile_result(text: str, url: str) -> RunResult:
    hostile = execution(
        5, text, suite=text, tests=2, done=2, passed=1, failed=1, detail=text, url=url
    )
    return result(hostile, message=text)


@settings(max_examples=examples(200))
@given(HOSTILE, st.one_of(HOSTILE, st.just("https://r.example/a.pdf?token=t")))
def test_outputs_and_dotenv_parse_with_exactly_the_documented_keys(text: str, url: str) -> None:
    result = _hostile_result(text, url)
    outputs = outputs_for(
        build_report(result, [OutputFile(FileKind.JUNIT, "vibetesting-junit.xml")])
    )
    block = "".join(output_block(k, v) for k, v in outputs.items())
    assert parse_output_file(block) == outputs
    assert all("\n" not in v and "\r" not in v and not CONTROL.search(v) for v in outputs.values())
    lines = render_dotenv(build_report(result)).splitlines()
    keys = [line.partition("=")[0] for line in lines]
    assert len(keys) == len(set(keys)) == len(dotenv_keys_written)
    assert all(re.fullmatch(r"[A-Z_]+=[\x21-\x7e]*", line) for line in lines)


# -- the summary and the comment: a whole report of hostile text ------------------------------

RUN_URL = "https://github.com/octo/shop/actions/runs/99"
MARKDOWN_RENDERERS: dict[str, Callable[[Report], str]] = {
    "summary": render_summary,
    "comment": lambda report: comment.render(report, key="deploy/e2e", run_url=RUN_URL),
}
LIVE = r"(?<!\\)(?:\\\\)*"  # after an even number of backslashes (none included): not escaped
LIVE_MARKDOWN = {
    "a link": re.compile(LIVE + r"\]\("),
    "an image": re.compile(LIVE + r"!\["),
    "an HTML tag": re.compile(r"<[A-Za-z/!?]"),
    "a mention": re.compile(LIVE + "@"),
    "an emoji code": re.compile(LIVE + r":[A-Za-z0-9_+-]+:"),
    "a bare www. link": re.compile(r"(?i)www\."),
    "a bare link": re.compile(r"(?i)\b(https?|javascript):"),
}
OWN_MARKDOWN = re.compile(
    r"^#+ VibeTesting: .*$"  # the verdict line, with its emoji code
    r"|\[PDF\]\((?i:https?)://[^\s()|]+\)|\[this run\]\(" + re.escape(RUN_URL) + r"\)"
    r"|</?sub>|<!-- vibetesting-ci:[^\n]*-->|`vibetesting[^`]*`"
    r"|`(?i:https?)://[^`\s]+`",  # a report link with its key hidden: text, not a link
    re.MULTILINE,
)


def _hostile_report(text: str, url: str, names: list[str]) -> Report:
    """Hostile ``text`` in every field a reader sees (message, state, suite name, detailed
    status, warnings, flaky tests), hostile test names: one execution whose tests all failed
    (so the failed tests are named), one timed out in a hostile state."""
    failed = ExecutionStatus(
        5,
        "done",
        suite_name=text,
        tests=len(names),
        done=len(names),
        failed=len(names),
        detailed_status=text,
        report_url=url,
    )
    running = ExecutionStatus(6, text, suite_name=text, tests=1, passed=1, detailed_status=text)
    executions = (
        ExecutionResult(5, failed, tests=tuple(range(len(names)))),
        ExecutionResult(6, running, interrupted=Interrupted.TIMEOUT, stopped=True),
    )
    result = RunResult(
        "failed",
        1,
        executions=executions,
        test_names=tuple(names),
        label="vibetesting.tests",
        message=text,
        warnings=(text,),
        flaky=1,
        flaky_tests=(text,),
        threshold=text,
    )
    return build_report(result)


@pytest.mark.parametrize("render", MARKDOWN_RENDERERS.values(), ids=list(MARKDOWN_RENDERERS))
@settings(max_examples=examples(150), deadline=None)
@given(
    text=HOSTILE,
    url=st.one_of(HOSTILE, st.just("https://r.example/a.pdf?token=t&sig=x")),
    names=st.lists(HOSTILE, min_size=1, max_size=3),
)
@example(text="", url="HTTP://|", names=[""])  # a pipe in the link split the cell
@example(text="", url="HTTP://0", names=[""])  # an upper-case scheme is still our own link
def test_hostile_text_in_a_report_stays_text_in_the_summary_and_the_comment(
    render: Callable[[Report], str], text: str, url: str, names: list[str]
) -> None:
    out = render(_hostile_report(text, url, names))
    assert not CONTROL.search(out.replace("\n", ""))
    # Every table row has its header's cells: no pipe or line break from the text splits one.
    for table in re.findall(r"(?m)(?:^\|.*\n)+", out):
        rows = table.splitlines()
        cells = len(re.findall(LIVE + r"\|", rows[0]))
        assert all(len(re.findall(LIVE + r"\|", row)) == cells for row in rows), table
    rest = OWN_MARKDOWN.sub("", out)
    for what, pattern in LIVE_MARKDOWN.items():
        found = pattern.search(rest)
        assert found is None, f"{what}: {rest[max(0, found.start() - 40) : found.end() + 20]!r}"
    assert "token=t" not in out and "sig=x" not in out  # the signed link's values are hidden


# -- the cap on service text in a log line or an annotation (text.LINE_LIMIT) -----------------

NOTE = re.compile(r"… \[(\d+) more characters cut\]$")


@settings(max_examples=examples(200))
@given(HOSTILE, st.integers(min_value=0, max_value=3 * LINE_LIMIT))
def test_a_log_line_carries_at_most_line_limit_characters_saying_what_was_cut(
    text: str, padding: int
) -> None:
    long = text + "é" * padding + text
    flat, out = one_line(long), line_text(long)
    assert log_text(long) in (out, "\\" + out)  # the same text, never a command's start
    note = NOTE.search(out)
    if len(flat) <= LINE_LIMIT:
        assert note is None and out == flat
        return
    assert note is not None, out[-80:]
    kept = out[: note.start()]
    assert len(kept) <= LINE_LIMIT and flat.startswith(kept)
    assert len(kept) + int(note.group(1)) == len(flat)  # the count is exact
    assert not CONTROL.search(out) and not COMMAND_LINE.search(log_text(long))


def test_the_cut_never_splits_an_escape() -> None:
    for shift in range(6):
        text = "a" * (LINE_LIMIT - shift) + "\x1b" * 10
        out = line_text(text)
        kept = out[: NOTE.search(out).start()]  # type: ignore[union-attr]
        assert re.fullmatch(r"a*(\\x1b)*", kept), kept[-12:]
    assert line_text("\u202e" * 400).startswith("\\u202e" * 166 + "…")


def test_annotations_are_cut_at_the_same_place() -> None:
    from vibetesting_ci.publish.ci.github import GitHubAdapter

    raw = io.StringIO()
    adapter = GitHubAdapter({}, raw)
    adapter.error("x" * 100_000)
    adapter.warning("::add-mask::y\n" * 10_000)
    adapter.annotate("error", "z" * 5000, "VibeTesting execution 5")
    lines = raw.getvalue().splitlines()
    assert len(lines) == 3
    for line in lines:
        assert len(line) < LINE_LIMIT + 100 and "more characters cut]" in line, line[-80:]
        assert line.startswith(("::error title=VibeTesting", "::warning title=VibeTesting"))


@settings(max_examples=examples(300))
@given(st.dictionaries(st.text(max_size=5), HOSTILE, max_size=4))
def test_json_text_is_the_same_json_with_nothing_raw(answer: dict[str, str]) -> None:
    import json

    dumped = json_text(json.dumps(answer, indent=2, ensure_ascii=False))
    assert json.loads(dumped) == answer
    assert not CONTROL.search(dumped.replace("\n", ""))
