"""Report links refused before any request (not http(s), no scheme): no file is left."""

from __future__ import annotations

from pathlib import Path

import pytest

from vibetesting_ci.errors import ReportError
from vibetesting_ci.run.reports import download_report

UA = "vibetesting-ci/test"


def get(url: str, dest: Path, **kw: object) -> int:
    options: dict[str, object] = {"timeout": 5.0, "max_bytes": 10 * 1024 * 1024, "user_agent": UA}
    options.update(kw)
    return download_report(url, str(dest), **options)  # type: ignore[arg-type]


def only(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir())


@pytest.mark.parametrize("url", ["", "ftp://127.0.0.1/r.pdf", "file:///etc/passwd", "no-scheme"])
def test_bad_links(tmp_path: Path, url: str) -> None:
    with pytest.raises(ReportError):
        get(url, tmp_path / "r.pdf")
    assert only(tmp_path) == []
