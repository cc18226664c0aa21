"""GitHubAdapter (publish/ci/github.py): detection, masks, log groups, and what ``finish``
writes: the outputs, the job summary, the annotations."""

from __future__ import annotations

import io
from functools import partial
from pathlib import Path

from tests.support import builders
from tests.support.github_output import parse_output_file
from vibetesting_ci.domain.models import ExecutionResult, Interrupted, RunResult
from vibetesting_ci.domain.report import FileKind, OutputFile, build_report
from vibetesting_ci.publish.ci import detect
from vibetesting_ci.publish.ci.github import GitHubAdapter

status = partial(
    builders.status, tests=3, passed=3, suite="Smoke suite", start=builders.START, end=builders.END
)


def adapter(tmp_path: Path) -> tuple[GitHubAdapter, io.StringIO]:
    out = io.StringIO()
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    return GitHubAdapter(env, stream=out), out


def test_detected_from_the_environment() -> None:
    assert isinstance(detect({"GITHUB_ACTIONS": "true"}), GitHubAdapter)
    assert not isinstance(detect({"GITHUB_ACTIONS": "false"}), GitHubAdapter)


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
    assert outputs["report-url"] == "https://r.example/11.pdf?token=***&x=***"

    annotations = out.getvalue().splitlines()
    assert annotations == [
        "::error title=VibeTesting execution 12::2 of 3 tests failed: 2 failed | see report"
    ]

    summary = (tmp_path / "summary").read_text(encoding="utf-8")
    assert "s3cr3t" not in summary
    assert summary.startswith("## VibeTesting: :x: failed\n")
    # A signed link shown with its key hidden opens nothing: the downloaded file instead.
    assert (
        "| 11 | Smoke suite | done | 3 | 3 | 0 | 0 | 3m 05s | `vibetesting-report-11.pdf` |"
        in summary
    )
    assert "[PDF](" not in summary
    assert "| 12 | Smoke suite | done | 3 | 1 | 2 | 0 | 3m 05s | `vibetesting-report-12.pdf` |" in (
        summary
    )
    assert "| **Total** | | | **6** | **4** | **2** | **0** | | |" in summary
    assert "```mermaid" in summary and '"Passed" : 4' in summary and '"Failed" : 2' in summary
    assert '"Not done"' not in summary  # empty slices are left out
    assert "2 failed \\| see report" in summary  # one table-safe line
    assert "`out/junit.xml`" in summary and "`vibetesting-report-12.pdf`" in summary


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
