"""Writing the report's files: each a pure rendering of the one report, written whole or not
at all (``reports.atomic``). A file that cannot be written changes the report's verdict
(:meth:`~vibetesting_ci.domain.report.Report.after_write_failures`) before the next one is rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from vibetesting_ci.domain.report import FileKind, Report


def _writers() -> dict[FileKind, Callable[[Report, str], None]]:
    from vibetesting_ci.render.dotenv import write_dotenv
    from vibetesting_ci.render.junit import write_junit
    from vibetesting_ci.render.results import write_results

    return {
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
    from vibetesting_ci.render.results import remove_stale_results

    writers = _writers()
    failures: list[str] = []
    for kind in kinds:
        path = report.file(kind)
        if not path:
            continue
        try:
            writers[kind](report, path)
        except OSError as exc:
            failures.append(f"could not write {path}: {exc.strerror or exc}")
            report = report.after_write_failures(failures[-1:], lost=[path])
            if kind == FileKind.RESULTS:
                remove_stale_results(path)
    return report, failures
