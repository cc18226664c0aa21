"""Writing the report's files: each a pure rendering of the one report (``render/``), written
whole or not at all (``publish/atomic.py``). A file that cannot be written changes the report's
verdict (:meth:`~vibetesting_ci.domain.report.Report.after_write_failures`) before the next one is
rendered.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Sequence

from vibetesting_ci.domain.report import FileKind, Report
from vibetesting_ci.publish.atomic import atomic_write_text


def report_path_for(base: str, execution_id: int, several: bool) -> str:
    """Where one execution's report goes.

    With one execution, ``base`` itself. With several, ``-<id>`` goes before the suffix of the
    file name: ``out/vibetesting-report.pdf`` -> ``out/vibetesting-report-123.pdf``; a name
    without a suffix gets ``-123`` appended.
    """
    if not several:
        return base
    stem, suffix = os.path.splitext(base)
    return f"{stem}-{execution_id}{suffix}"


def write_junit(report: Report, path: str) -> None:
    """Write the JUnit XML (UTF-8) to ``path`` atomically (parents created).

    Raises ``OSError`` if the file cannot be written; the old file, if any, is then kept.
    """
    from vibetesting_ci.render.junit import render_junit

    atomic_write_text(path, render_junit(report))


def write_results(report: Report, path: str) -> None:
    """Write the results JSON (UTF-8) to ``path`` atomically (parents created).

    Raises ``OSError`` if the file cannot be written; the old file, if any, is then kept (the
    runner then removes it: :func:`remove_stale_results`).
    """
    from vibetesting_ci.render.results import dumps_results

    atomic_write_text(path, dumps_results(report))


def remove_stale_results(path: str) -> None:
    """After a failed write: remove an older results file at ``path`` (best effort), so no
    earlier run's verdict is left to contradict this run's exit code."""
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)


def write_dotenv(report: Report, path: str) -> None:
    """Write the dotenv lines to ``path`` atomically (parents created).

    Raises ``OSError`` if the file cannot be written; the old file, if any, is then kept.
    """
    from vibetesting_ci.render.dotenv import render_dotenv

    atomic_write_text(path, render_dotenv(report))


_WRITERS: dict[FileKind, Callable[[Report, str], None]] = {
    FileKind.JUNIT: write_junit,
    FileKind.DOTENV: write_dotenv,
    FileKind.RESULTS: write_results,
}

# The order files are written in: the results file last, so it says the verdict the other
# writes left. After a late failure (the CI system's files) the ones that carry the verdict are
# written again.
WRITE_ORDER = (FileKind.JUNIT, FileKind.DOTENV, FileKind.RESULTS)
VERDICT_CARRIERS = (FileKind.DOTENV, FileKind.RESULTS)


def write_files(
    report: Report, kinds: Sequence[FileKind] = WRITE_ORDER
) -> tuple[Report, list[str]]:
    """Write the report's files of ``kinds`` (in that order); the report after any failure, and
    a line for each file that could not be written (it is then no longer listed as written; a
    results file that could not be written is removed, so no earlier verdict stays behind)."""
    failures: list[str] = []
    for kind in kinds:
        path = report.file(kind)
        if not path:
            continue
        try:
            _WRITERS[kind](report, path)
        except OSError as exc:
            failures.append(f"could not write {path}: {exc.strerror or exc}")
            report = report.after_write_failures(failures[-1:], lost=[path])
            if kind == FileKind.RESULTS:
                remove_stale_results(path)
    return report, failures
