"""The results JSON: everything a later pipeline step needs about the run, for machines.

Shape (``version`` is the vibetesting-ci version that wrote it)::

    {"version": "0.1.0", "result": "failed", "exit_code": 1, "error_code": "tests_failed",
     "message": "...",
     "schedule_id": null,
     "executions": [{"id": 123, "state": "done", "suite_name": "...", "tests": 3, "done": 3,
                     "passed": 2, "failed": 1, "not_done": 0, "detailed_status": "...",
                     "start_time": "...", "end_time": "...", "report_url": "https://...",
                     "report_file": "vibetesting-report.pdf", "interrupted": null,
                     "stopped": false, "report_error": null, "warnings": []}],
     "totals": {"tests": 3, "done": 3, "passed": 2, "failed": 1},
     "warnings": []}

``error_code`` says for machines why the exit code is not 0 (``none`` when it is): the
``error_code`` of the exception that ended the run (``errors.py``) or one of its ``ERROR_*``
values; the README's "Results file" section lists them all.
An execution whose status was never read has ``state`` and the counts ``null``. Report URLs
have secret query parameters redacted (:func:`vibetesting_ci.reports.redact.redact_url`).
Lone surrogates (which no UTF-8 file can hold) become U+FFFD; everything else is kept.
"""

from __future__ import annotations

import json
import re
from typing import Any

from vibetesting_ci import __version__
from vibetesting_ci.models import ExecutionResult, RunResult
from vibetesting_ci.reports.atomic import atomic_write_text
from vibetesting_ci.reports.redact import redact_url

_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(value: str | None) -> str | None:
    return None if value is None else _SURROGATE.sub("\ufffd", value)


def _execution(execution: ExecutionResult) -> dict[str, Any]:
    status = execution.status
    return {
        "id": execution.execution_id,
        "state": _clean(status.state) if status else None,
        "suite_name": _clean(status.suite_name) if status else None,
        "tests": status.tests if status else None,
        "done": status.done if status else None,
        "passed": status.passed if status else None,
        "failed": status.failed if status else None,
        "not_done": status.not_done if status else None,
        "detailed_status": _clean(status.detailed_status) if status else None,
        "start_time": _clean(status.start_time) if status else None,
        "end_time": _clean(status.end_time) if status else None,
        "report_url": _clean(redact_url(status.report_url)) if status else None,
        "report_file": _clean(execution.report_file),
        "interrupted": execution.interrupted,
        "stopped": execution.stopped,
        "report_error": _clean(execution.report_error),
        "warnings": [_clean(w) for w in status.warnings] if status else [],
    }


def render_results(result: RunResult) -> dict[str, Any]:
    """The results document for ``result`` as a JSON-ready dict (see the module docstring)."""
    totals = result.totals
    return {
        "version": __version__,
        "result": result.result,
        "exit_code": int(result.exit_code),
        "error_code": result.error_code,
        "message": _clean(result.message),
        "schedule_id": _clean(result.schedule_id),
        "executions": [_execution(e) for e in result.executions],
        "totals": {
            "tests": totals.tests,
            "done": totals.done,
            "passed": totals.passed,
            "failed": totals.failed,
        },
        "warnings": [_clean(w) for w in result.warnings],
    }


def dumps_results(result: RunResult) -> str:
    """:func:`render_results` as indented JSON text ending in a newline."""
    return json.dumps(render_results(result), indent=2, ensure_ascii=False) + "\n"


def write_results(result: RunResult, path: str) -> None:
    """Write the results JSON (UTF-8) to ``path`` atomically (parents created).

    Raises ``OSError`` if the file cannot be written; the old file, if any, is then kept.
    """
    atomic_write_text(path, dumps_results(result))
