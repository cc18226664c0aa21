"""GitHub's renders (render/github.py): workflow-command escaping, GITHUB_OUTPUT heredocs, the
job summary; against hostile text and huge runs: commands scrubbed before escaping, the
summary (and the comment) below their limits."""

from __future__ import annotations

from functools import cache, partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import builders
from tests.support.github_output import parse_output_file
from vibetesting_ci.domain.models import ExecutionResult, Interrupted, RunResult
from vibetesting_ci.domain.report import FileKind, OutputFile, build_report
from vibetesting_ci.render.github import (
    command,
    escape_data,
    escape_property,
    output_block,
    outputs_for,
    render_summary,
)
from vibetesting_ci.safety import scrub


def test_github_commands_are_scrubbed_before_escaping_but_masks_are_not():
    from vibetesting_ci.render.github import command

    scrub.register("p@ss-word-1")
    line = command("error", "the service said p%40ss-word-1", title="x p@ss-word-1")
    assert "p%2540ss" not in line and "p@ss" not in line and "***" in line
    assert command("add-mask", "p@ss-word-1") == "::add-mask::p@ss-word-1"


@cache  # the report is immutable: built once for both renders
def _huge_report():
    """3,000 failed executions, each one test named in Markdown specials (each shows escaped at
    twice its length), a long suite name and detailed status, every test flaky too."""
    from vibetesting_ci.domain.models import ExecutionResult, ExecutionStatus, RunResult

    executions = tuple(
        ExecutionResult(
            i,
            ExecutionStatus(
                i,
                "done",
                suite_name="suite " + "n" * 900,
                tests=1,
                done=1,
                failed=1,
                detailed_status="step failed " * 300,
                report_url=f"https://reports.example/{i}.pdf?sig=abc",
            ),
        )
        for i in range(1, 3001)
    )
    names = tuple(f"{i} " + "@<[" * 400 for i in range(1, 3001))
    result = RunResult(
        "failed",
        1,
        executions=executions,
        test_names=names,
        message="3000 of 3000 failed",
        flaky=3000,
        flaky_tests=names,
    )
    return build_report(result, [OutputFile(FileKind.JUNIT, "j.xml")])


def _summary(report):
    from vibetesting_ci.render.github import SUMMARY_LIMIT, render_summary

    text = render_summary(report)
    # GitHub's limit is in bytes (1 MiB); the cut says so.
    return text, len(text.encode("utf-8")) <= SUMMARY_LIMIT, "The summary was cut here"


def _comment(report):
    from vibetesting_ci.render.comment import MAX_BODY_CHARS, render

    text = render(report, key="deploy/e2e", run_url="https://github.com/octo/shop/actions/runs/9")
    assert text.startswith("<!-- vibetesting-ci:comment key=deploy/e2e -->\n")  # found again
    assert text.rstrip().endswith("-->") and "<!-- vibetesting-ci:counts {" in text  # compared
    # GitHub's limit is in characters (65,536); the cut says so.
    return text, len(text) <= MAX_BODY_CHARS, "… (cut)"


@pytest.mark.parametrize("render", [_summary, _comment], ids=["summary", "comment"])
def test_the_github_summary_and_the_comment_stay_below_their_limits(render):
    from vibetesting_ci.render.github import outputs_for

    report = _huge_report()
    text, within, cut = render(report)
    assert within
    assert cut in text
    assert all(len(v) <= 512 * 1024 for v in outputs_for(report).values())


def unescape(text: str) -> str:
    """What the runner does to a command's message or property value."""
    return (
        text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


status = partial(
    builders.status, tests=3, passed=3, suite="Smoke suite", start=builders.START, end=builders.END
)


def test_clip_list_cuts_on_item_boundaries_or_clips_one_long_item() -> None:
    from vibetesting_ci.render.github import _clip_list

    assert _clip_list("abc,def", 7) == "abc,def"
    assert _clip_list("abc,def,ghi", 10) == "abc,def"
    assert _clip_list("abc,def,ghi", 7) == "abc,def"  # the comma right at the limit
    assert _clip_list("abc,def,ghi", 6) == "abc"
    assert _clip_list("abcdefghij", 5) == "abcd…"  # one item, longer than the limit
    assert _clip_list("abcdefghij,k", 5) == "abcd…"
    assert _clip_list("x" * 20, 1) == "…"


@given(st.lists(st.text(alphabet="ab", min_size=1, max_size=8), min_size=1), st.integers(1, 30))
def test_clip_list_stays_within_the_limit(items: list[str], limit: int) -> None:
    from vibetesting_ci.render.github import _clip_list

    value = ",".join(items)
    clipped = _clip_list(value, limit)
    assert len(clipped) <= limit
    if clipped.endswith("…"):
        assert len(items[0]) > limit and value.startswith(clipped[:-1])
    else:
        assert clipped.split(",") == items[: len(clipped.split(","))]


def test_escaping_matches_the_toolkit() -> None:
    assert escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert (
        command("error", "two\nlines", title="Vibe: a,b")
        == "::error title=Vibe%3A a%2Cb::two%0Alines"
    )
    assert command("endgroup") == "::endgroup::"


@given(st.text())
def test_escaping_round_trips_and_stays_on_one_line(text: str) -> None:
    for escaped in (escape_data(text), escape_property(text)):
        assert "\n" not in escaped and "\r" not in escaped
        assert unescape(escaped) == text
    assert "::" not in escape_property(text)


def test_output_block_is_the_heredoc_form() -> None:
    block = output_block("report-url", "a\nb", delimiter="ghadelimiter_x")
    assert block == "report-url<<ghadelimiter_x\na\nb\nghadelimiter_x\n"
    assert output_block("x", "").startswith("x<<ghadelimiter_")
    with pytest.raises(ValueError):
        output_block("x", "evil\nghadelimiter_x\ninjected=1", delimiter="ghadelimiter_x")


@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True),
        st.text().filter(lambda v: "\r" not in v),
    )
)
def test_output_file_round_trips(values: dict[str, str]) -> None:
    text = "".join(output_block(name, value) for name, value in values.items())
    assert parse_output_file(text) == values


def test_delimiters_are_random() -> None:
    first = output_block("a", "1").split("\n")[0]
    second = output_block("a", "1").split("\n")[0]
    assert first != second


def test_summary_of_a_timeout_and_of_a_scheduled_run() -> None:
    timed_out = RunResult(
        result="timeout",
        exit_code=4,
        executions=(
            ExecutionResult(
                7,
                status(7, state="running", passed=1, tests=4),
                interrupted=Interrupted.TIMEOUT,
                stopped=True,
            ),
        ),
        message="timed out with 1 of 1 execution(s) unfinished",
    )
    text = render_summary(build_report(timed_out))
    assert "timed out" in text.splitlines()[0]
    assert "| 7 | Smoke suite | timed out \\(stopped\\) | 4 | 1 | 0 | 3 |" in text
    assert '"Not done" : 3' in text

    scheduled = RunResult(result="scheduled", exit_code=0, schedule_id="sch-42")
    text = render_summary(build_report(scheduled))
    assert "scheduled" in text.splitlines()[0]
    assert "`sch-42`" in text and "mermaid" not in text and "| Execution" not in text
    assert outputs_for(build_report(scheduled))["schedule-id"] == "sch-42"
