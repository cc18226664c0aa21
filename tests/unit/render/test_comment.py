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
