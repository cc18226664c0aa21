"""The comment's text: service text escaped, only http(s) links kept, and only our own marker
read back."""

from __future__ import annotations

from tests.support.builders import done, result
from vibetesting_ci.domain.models import ExecutionResult, ExecutionStatus, RunResult
from vibetesting_ci.domain.report import build_report
from vibetesting_ci.render import comment as comment_text


def test_render_escapes_service_text_and_keeps_only_http_links() -> None:
    hostile = RunResult(
        "failed",
        1,
        executions=(
            ExecutionResult(
                1,
                ExecutionStatus(
                    1,
                    "done|<img src=x onerror=alert(1)>",
                    tests=1,
                    failed=1,
                    report_url="javascript:alert(1)",
                ),
            ),
        ),
        message="![t](https://tracker/pixel.png) [click](javascript:x)\n::error::x",
    )
    body = comment_text.render(build_report(hostile), key="k")
    assert "<img" not in body and "](javascript" not in body and "![t](" not in body
    assert "\n::error" not in body
    rows = [line for line in body.splitlines() if line.startswith("| 1 |")]
    assert len(rows) == 1 and rows[0].count(" | ") == 6
    assert "[PDF](" not in body


def test_previous_counts_reads_only_our_marker() -> None:
    body = comment_text.render(
        build_report(result(done(7, 4, 3, 1, url="https://r.example/1.pdf"))), key="k"
    )
    assert comment_text.previous_counts(body) == {"tests": 4, "passed": 3, "failed": 1, "flaky": 0}
    assert comment_text.previous_counts("<!-- vibetesting-ci:counts {oops} -->") is None
    assert comment_text.previous_counts("nothing") is None


# A signed link shown with its key hidden opens nothing (the emulator answers 403): the summary
# and the comment show the downloaded file, else the link as text; a link that hides nothing
# stays a link.
SIGNED = "https://r.example/reports/1.pdf?sig=pyaTHKGMeGu4KuiV&X-Amz-Expires=3600"
SHOWN = "https://r.example/reports/1.pdf?sig=***&X-Amz-Expires=***"


def _row(body: str, eid: int) -> str:
    (row,) = [line for line in body.splitlines() if line.startswith(f"| {eid} |")]
    return row


def test_the_report_cell_never_links_to_a_link_whose_key_was_hidden() -> None:
    from vibetesting_ci.render.github import render_summary

    run = RunResult(
        "passed",
        0,
        executions=(
            ExecutionResult(
                1,
                ExecutionStatus(1, "done", tests=1, passed=1, report_url=SIGNED),
                report_file="out/vibetesting-report-1.pdf",
            ),
            ExecutionResult(2, ExecutionStatus(2, "done", tests=1, passed=1, report_url=SIGNED)),
            ExecutionResult(
                3,
                ExecutionStatus(3, "done", tests=1, passed=1, report_url="https://r.example/3.pdf"),
                report_file="vibetesting-report-3.pdf",
            ),
            ExecutionResult(
                4,
                ExecutionStatus(4, "done", tests=1, passed=1, report_url=SIGNED),
                report_file="odd|name`.pdf",
            ),
            ExecutionResult(5, ExecutionStatus(5, "done", tests=1, passed=1)),
        ),
    )
    report = build_report(run)
    assert [e.report_url_works for e in report.executions] == [False, False, True, False, False]
    for body in (render_summary(report), comment_text.render(report, key="k")):
        assert "pyaTHKGMeGu4KuiV" not in body
        assert _row(body, 1).endswith("| `out/vibetesting-report-1.pdf` |")
        assert _row(body, 2).endswith(f"| `{SHOWN}` |")
        assert _row(body, 3).endswith("| [PDF](https://r.example/3.pdf) |")
        assert _row(body, 4).endswith("| ``odd\\|name`.pdf`` |")  # '|' cannot split the cell
        assert _row(body, 5).endswith("| — |")
        assert body.count("[PDF](") == 1
