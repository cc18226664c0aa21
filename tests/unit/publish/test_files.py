"""Where the report files go: one PDF, or one per execution."""

from __future__ import annotations

import pytest

from vibetesting_ci.publish.files import report_path_for


@pytest.mark.parametrize(
    ("base", "several", "expected"),
    [
        ("vibetesting-report.pdf", False, "vibetesting-report.pdf"),
        ("vibetesting-report.pdf", True, "vibetesting-report-123.pdf"),
        ("out.d/report", True, "out.d/report-123"),
        ("out/r.v1.pdf", True, "out/r.v1-123.pdf"),
        ("report", True, "report-123"),
    ],
)
def test_report_path_for(base: str, several: bool, expected: str) -> None:
    assert report_path_for(base, 123, several) == expected
