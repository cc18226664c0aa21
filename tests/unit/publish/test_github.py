"""GitHubAdapter: workflow-command escaping, GITHUB_OUTPUT heredocs, summary, annotations."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.github_output import parse_output_file
from vibetesting_ci.domain.models import ExecutionResult, ExecutionStatus, Interrupted, RunResult
from vibetesting_ci.domain.report import FileKind, OutputFile, build_report
from vibetesting_ci.publish.ci import detect
from vibetesting_ci.publish.ci.github import GitHubAdapter
from vibetesting_ci.render.github import (
    command,
    escape_data,
    escape_property,
    output_block,
    outputs_for,
    render_summary,
)


def unescape(text: str) -> str:
    """What the runner does to a command's message or property value."""
    return (
        text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def status(
    execution_id: int,
    *,
    tests: int = 3,
    passed: int = 3,
    failed: int = 0,
    state: str = "done",
    url: str = "",
    detail: str = "",
) -> ExecutionStatus:
    return ExecutionStatus(
        execution_id=execution_id,
        state=state,
        suite_name="Smoke suite",
        tests=tests,
        done=passed + failed,
        passed=passed,
        failed=failed,
        detailed_status=detail,
        start_time="2026-04-04T02:00:00+00:00",
        end_time="2026-04-04T02:03:05+00:00",
        report_url=url,
    )


def adapter(tmp_path: Path) -> tuple[GitHubAdapter, io.StringIO]:
    out = io.StringIO()
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    return GitHubAdapter(env, stream=out), out


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


def test_detected_from_the_environment() -> None:
    assert isinstance(detect({"GITHUB_ACTIONS": "true"}), GitHubAdapter)
    assert not isinstance(detect({"GITHUB_ACTIONS": "false"}), GitHubAdapter)


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


def test_mask_comes_first_and_masks_each_line(tmp_path: Path) -> None:
    gh, out = adapter(tmp_path)
    gh.mask("tok-1")
    gh.mask("line1\nline2")
    gh.mask("")
    gh.mask("tok-1")  # once is enough
    assert out.getvalue().splitlines() == [
        "::add-mask::tok-1",
        "::add-mask::line1%0Aline2",
        "::add-mask::line1",
        "::add-mask::line2",
    ]


def test_groups_do_not_nest(tmp_path: Path) -> None:
    gh, out = adapter(tmp_path)
    with gh.group("Waiting: 2 executions"), gh.group("inner"):
        gh.warning("slow, 50%")
    assert out.getvalue().splitlines() == [
        "::group::Waiting: 2 executions",
        "::warning title=VibeTesting::slow, 50%25",
        "::endgroup::",
    ]


def test_finish_writes_outputs_summary_and_annotations(tmp_path: Path) -> None:
    gh, out = adapter(tmp_path)
    (tmp_path / "output").write_text("earlier=1\n", encoding="utf-8")  # appended to, not replaced
    result = RunResult(
        result="failed",
        exit_code=1,
        executions=(
            ExecutionResult(
                11,
                status(11, url="https://r.example/11.pdf?token=s3cr3t&x=1"),
                report_file="vibetesting-report-11.pdf",
            ),
            ExecutionResult(
                12,
                status(12, passed=1, failed=2, detail="2 failed | see\nreport"),
                report_file="vibetesting-report-12.pdf",
            ),
        ),
        message="2 of 6 test(s) failed",
    )
    gh.finish(build_report(result, [OutputFile(FileKind.JUNIT, "out/junit.xml")]))
    outputs = parse_output_file((tmp_path / "output").read_text(encoding="utf-8"))
    assert outputs["earlier"] == "1"
    assert outputs["result"] == "failed"
    assert outputs["execution-ids"] == "11,12"
    assert (outputs["tests"], outputs["passed"], outputs["failed"]) == ("6", "4", "2")
    assert outputs["junit-file"] == "out/junit.xml"
    assert outputs["report-file"] == "vibetesting-report-11.pdf,vibetesting-report-12.pdf"
    assert outputs["report-url"] == "https://r.example/11.pdf?token=***&x=1"

    annotations = out.getvalue().splitlines()
    assert annotations == [
        "::error title=VibeTesting execution 12::2 of 3 tests failed: 2 failed | see report"
    ]

    summary = (tmp_path / "summary").read_text(encoding="utf-8")
    assert "s3cr3t" not in summary
    assert summary.startswith("## VibeTesting: :x: failed\n")
    assert (
        "| 11 | Smoke suite | done | 3 | 3 | 0 | 0 | 3m 05s "
        "| [PDF](https://r.example/11.pdf?token=***&x=1) |" in summary
    )
    assert "| 12 | Smoke suite | done | 3 | 1 | 2 | 0 | 3m 05s | — |" in summary
    assert "| **Total** | | | **6** | **4** | **2** | **0** | | |" in summary
    assert "```mermaid" in summary and '"Passed" : 4' in summary and '"Failed" : 2' in summary
    assert '"Not done"' not in summary  # empty slices are left out
    assert "2 failed \\| see report" in summary  # one table-safe line
    assert "`out/junit.xml`" in summary and "`vibetesting-report-12.pdf`" in summary


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


def test_timeout_annotation_is_an_error_only_when_it_fails_the_step(tmp_path: Path) -> None:
    execution = ExecutionResult(
        7, status(7, state="running", passed=1, tests=4), interrupted=Interrupted.TIMEOUT
    )
    gh, out = adapter(tmp_path)
    gh.finish(build_report(RunResult(result="timeout", exit_code=4, executions=(execution,))))
    assert out.getvalue().startswith("::error title=VibeTesting execution 7::timed out")
    gh, out = adapter(tmp_path)
    gh.finish(build_report(RunResult(result="passed", exit_code=0, executions=(execution,))))
    assert out.getvalue().startswith("::warning title=VibeTesting execution 7::timed out")


def test_finish_without_runner_files_writes_nothing(tmp_path: Path) -> None:
    out = io.StringIO()
    GitHubAdapter({"GITHUB_ACTIONS": "true"}, stream=out).finish(
        build_report(RunResult(result="passed", exit_code=0))
    )
    assert out.getvalue() == ""


def test_unwritable_output_file_is_returned_to_the_runner(tmp_path: Path) -> None:
    out = io.StringIO()
    env = {"GITHUB_OUTPUT": str(tmp_path / "missing" / "output")}
    adapter = GitHubAdapter(env, stream=out)
    failures = adapter.finish(build_report(RunResult(result="passed", exit_code=0)))
    assert len(failures) == 1
    assert failures[0].startswith("could not write GITHUB_OUTPUT (")
    assert out.getvalue() == ""  # the runner reports it (and makes it the verdict)
    assert adapter.output_files() == (("GITHUB_OUTPUT", env["GITHUB_OUTPUT"]),)
