"""The results JSON: everything a later pipeline step needs about the run, for machines.

Shape (``version`` is the vibetesting-ci version that wrote it)::

    {"version": "0.1.0", "result": "failed", "exit_code": 1, "error_code": "tests_failed",
     "message": "...",
     "schedule_id": null,
     "executions": [{"id": 123, "state": "done", "suite_name": "...", "tests": 3, "done": 3,
                     "passed": 2, "failed": 1, "not_done": 0, "detailed_status": "...",
                     "start_time": "...", "end_time": "...", "report_url": "https://...",
                     "report_file": "vibetesting-report.pdf", "interrupted": null,
                     "stopped": false, "report_error": null, "warnings": [],
                     "unreadable": null,
                     "cases": [{"classname": "vibetesting.e2e/tests", "name": "login",
                                "outcome": "failed", "test": "login", "attributed": true,
                                "possible_outcomes": ["failed"]}, ...]}],
     "label": "vibetesting.e2e/tests", "failed_tests": ["login"], "cases_left_out": 0,
     "totals": {"tests": 3, "done": 3, "passed": 2, "failed": 1, "flaky": 0},
     "flaky": 0, "flaky_tests": [], "threshold": null,
     "attempts": [],
     "warnings": []}

``label`` and each execution's ``cases`` are the test identities of the JUnit file
(``labels.py``: ``classname``/``name``, the same in every report): ``test`` is the run's test
the case stands for (null when the cases are numbered by position), ``attributed`` whether the
outcome is that test's own, ``possible_outcomes`` what the counts allow when several tests
shared an execution with mixed outcomes. ``failed_tests`` lists the cases that failed as named
tests (empty when the counts cannot say which test failed). Past 10,000 cases in the file an
execution's ``cases`` is null and ``cases_left_out`` counts them.

With ``--retry-failed``, ``executions`` and ``totals`` are each test's last attempt, and
``attempts`` lists every attempt, the first included: ``{"attempt": 1, "scope": "first" |
"failed-tests" | "whole-run", "tests": [names sent], "result", "message", "failed_tests":
[names] or null (not attributable), "executions": [...]}`` (their ``cases`` null: the cases
are the last attempt's; ``attempts`` is empty when nothing was retried).
``flaky`` counts the tests that failed and then passed, ``flaky_tests`` names them where the
run named its tests; ``threshold`` is the sentence of ``--max-failures`` / ``--min-pass-rate``.

``error_code`` says for machines why the exit code is not 0 (``none`` when it is): the
``error_code`` of the exception that ended the run (``errors.py``) or one of its ``ERROR_*``
values; the README's "Results file" section lists them all.
An execution whose status was never read has ``state`` and the counts ``null``. ``unreadable``
names the field of a final answer that could not establish the verdict, e.g. ``{"field":
"number_of_failed_tests", "held": "1.5", "why": "number_of_failed_tests held 1.5, not a whole
number"}``; a count the answer did not hold is ``null`` (the others are then not to be trusted
either). Report URLs
have secret query parameters redacted (:func:`vibetesting_ci.reports.redact.redact_url`).
Lone surrogates (which no UTF-8 file can hold) become U+FFFD; everything else is kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
from typing import Any

from vibetesting_ci import __version__
from vibetesting_ci.labels import PlannedCase, failed_case_names, plan_result, result_label
from vibetesting_ci.models import Attempt, ExecutionResult, ExecutionStatus, RunResult
from vibetesting_ci.reports.atomic import atomic_write_text
from vibetesting_ci.reports.redact import redact_url
from vibetesting_ci.scrub import scrub
from vibetesting_ci.text import Budget

_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(value: str | None) -> str | None:
    return None if value is None else _SURROGATE.sub("\ufffd", scrub(value))


# Service text the whole file carries (each execution's is already capped at 64 KiB when it
# arrives): past this, detailed statuses are cut to a line (1,000 executions x 64 KiB = 64 MB).
DETAIL_BUDGET = 8 * 1024 * 1024


# Test cases the whole file lists (each execution's are already at most one per test, or one
# per outcome range above labels.MAX_CASES_PER_EXECUTION); past this, an execution's ``cases``
# is null and ``cases_left_out`` says how many cases are missing.
MAX_CASES = 10_000


def _case(case: PlannedCase) -> dict[str, Any]:
    return {
        "classname": _clean(case.classname),
        "name": _clean(case.name),
        "outcome": case.outcome,
        "test": _clean(case.test),
        "attributed": case.attributed,
        "possible_outcomes": list(case.candidates) or [case.outcome],
    }


def _execution(
    execution: ExecutionResult, budget: Budget, cases: list[dict[str, Any]] | None
) -> dict[str, Any]:
    status = execution.status
    return {
        "id": execution.execution_id,
        "state": _clean(status.state) if status else None,
        "suite_name": _clean(status.suite_name) if status else None,
        "tests": status.count("tests") if status else None,
        "done": status.count("done") if status else None,
        "passed": status.count("passed") if status else None,
        "failed": status.count("failed") if status else None,
        "not_done": status.not_done if status else None,
        "detailed_status": _clean(budget.take(status.detailed_status)) if status else None,
        "start_time": _clean(status.start_time) if status else None,
        "end_time": _clean(status.end_time) if status else None,
        "report_url": _clean(redact_url(status.report_url)) if status else None,
        "report_file": _clean(execution.report_file),
        "interrupted": execution.interrupted,
        "stopped": execution.stopped,
        "report_error": _clean(execution.report_error),
        "warnings": [_clean(w) for w in status.warnings] if status else [],
        "unreadable": _unreadable(status),
        "cases": cases,
    }


def _unreadable(status: ExecutionStatus | None) -> dict[str, str] | None:
    """Which field of a final answer could not be read, what it held and why (else null)."""
    if status is None or not status.unreadable or status.problem is None:
        return None
    problem = status.problem
    return {"field": problem.field, "held": problem.held, "why": problem.describe()}


def render_results(result: RunResult) -> dict[str, Any]:
    """The results document for ``result`` as a JSON-ready dict (see the module docstring)."""
    totals = result.totals
    budget = Budget(DETAIL_BUDGET, "(left out: the results file's size cap)")
    room = MAX_CASES
    executions = []
    left_out = 0
    plan = plan_result(result)
    for execution, planned in zip(result.executions, plan, strict=True):
        cases: list[dict[str, Any]] | None = None
        if len(planned) <= room:
            cases = [_case(c) for c in planned]
            room -= len(planned)
        else:
            left_out += len(planned)
            room = 0
        executions.append(_execution(execution, budget, cases))
    return {
        "version": __version__,
        "result": result.result,
        "exit_code": int(result.exit_code),
        "error_code": result.error_code,
        "message": _clean(result.message),
        "schedule_id": _clean(result.schedule_id),
        "label": _clean(result_label(result)),
        "failed_tests": [_clean(n) for n in failed_case_names(plan)],
        "cases_left_out": left_out,
        "executions": executions,
        "totals": {
            "tests": totals.tests,
            "done": totals.done,
            "passed": totals.passed,
            "failed": totals.failed,
            "flaky": result.flaky,
        },
        "flaky": result.flaky,
        "flaky_tests": [_clean(n) for n in result.flaky_tests],
        "threshold": _clean(result.threshold) or None,
        "attempts": [_attempt(a, budget) for a in result.attempts],
        "warnings": [_clean(w) for w in result.warnings],
    }


def _attempt(attempt: Attempt, budget: Budget) -> dict[str, Any]:
    """One attempt of a retried run (``--retry-failed``), with its own executions."""
    failed = attempt.failed_tests
    return {
        "attempt": attempt.number,
        "scope": attempt.scope,
        "tests": [_clean(n) for n in attempt.test_names],
        "result": attempt.result,
        "message": _clean(attempt.message),
        "failed_tests": None if failed is None else [_clean(n) for n in failed],
        "executions": [_execution(e, budget, None) for e in attempt.executions],
    }


def dumps_results(result: RunResult) -> str:
    """:func:`render_results` as indented JSON text ending in a newline."""
    return json.dumps(render_results(result), indent=2, ensure_ascii=False) + "\n"


def write_results(result: RunResult, path: str) -> None:
    """Write the results JSON (UTF-8) to ``path`` atomically (parents created).

    Raises ``OSError`` if the file cannot be written; the old file, if any, is then kept (the
    runner then removes it: :func:`remove_stale_results`).
    """
    atomic_write_text(path, dumps_results(result))


def remove_stale_results(path: str) -> None:
    """After a failed write: remove an older results file at ``path`` (best effort), so no
    earlier run's verdict is left to contradict this run's exit code."""
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)
