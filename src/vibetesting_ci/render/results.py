"""The results JSON: everything a later pipeline step needs about the run, for machines.

Shape (``version`` is the vibetesting-ci version that wrote it)::

    {"version": "0.1.0", "result": "failed", "exit_code": 1, "error_code": "tests_failed",
     "message": "...",
     "schedule_id": null,
     "executions": [{"id": 123, "state": "done", "state_word": "done", "suite_name": "...",
                     "tests": 3, "done": 3,
                     "passed": 2, "failed": 1, "not_done": 0, "detailed_status": "...",
                     "start_time": "...", "end_time": "...", "report_url": "https://...",
                     "report_file": "vibetesting-report.pdf", "interrupted": null,
                     "stopped": false, "report_error": null, "warnings": [],
                     "unreadable": null, "problem": "1 of 3 tests failed (failed: login): ...",
                     "cases": [{"classname": "vibetesting.e2e/tests", "name": "login",
                                "outcome": "failed", "test": "login", "attributed": true,
                                "how": "named", "may_be": []}, ...]}],
     "label": "vibetesting.e2e/tests", "target_url": null, "failed_tests": ["login"],
     "failed_tests_complete": true, "cases_left_out": 0,
     "totals": {"tests": 3, "done": 3, "passed": 2, "failed": 1, "not_done": 0, "flaky": 0},
     "flaky": 0, "flaky_tests": [], "threshold": null,
     "attempts": [],
     "warnings": []}

``label`` and each execution's ``cases`` are the test identities of the JUnit file
(``domain/cases.py``: ``classname``/``name``, the same in every report): ``test`` is the run's test
the case stands for (null when the cases are numbered by position), ``attributed`` whether the
outcome is that test's own, ``how`` how it is known (``per-test``, ``named``: the execution's
outcome is uniform, ``attributed``: the service's detailed status names the failed tests,
``counts``: by position, ``status``: an execution-wide error), ``may_be`` the tests a
position case may be. ``state`` is the service's ``execution_state`` as it came, ``state_word``
the state every output shows (``timed out (stopped)``...); ``problem`` why the execution counts
against the run (null when it does not). ``failed_tests`` lists the named tests that did not
pass (failed, not done or not run), the list every output and ``--retry-failed`` use;
``failed_tests_complete`` is false when some test that did not pass has no name (its
execution's counts are by position). Past 10,000 cases in the file an execution's ``cases`` is
null and ``cases_left_out`` counts them.

With ``--retry-failed``, ``executions`` and ``totals`` are each test's last attempt, and
``attempts`` lists every attempt, the first included: ``{"attempt": 1, "scope": "first" |
"failed-tests" | "whole-run", "tests": [names sent], "result", "message", "failed_tests":
[names] or null (not attributable), "executions": [...]}`` (their ``cases`` null: the cases
are the last attempt's; ``attempts`` is empty when nothing was retried).
``flaky`` counts the tests that failed and then passed, ``flaky_tests`` names them where the
run named its tests; ``threshold`` is the sentence of ``--max-failures`` / ``--min-pass-rate``.

``error_code`` says for machines why the exit code is not 0 (``none`` when it is): the
``error_code`` of the exception that ended the run (``errors.py``) or one of its ``ErrorCode``
values; the README's "Results file" section lists them all.
An execution whose status was never read has ``state`` and the counts ``null``. ``unreadable``
names the field of a final answer that could not establish the verdict, e.g. ``{"field":
"number_of_failed_tests", "held": "1.5", "why": "number_of_failed_tests held 1.5, not a whole
number"}``; a count the answer did not hold is ``null`` (the others are then not to be trusted
either). Report URLs
have every query value shown as ``***`` (:func:`vibetesting_ci.safety.redact.redact_url`): the
signature is the key to the report, which ``report_file`` holds.
Lone surrogates (which no UTF-8 file can hold) become U+FFFD; everything else is kept.
"""

from __future__ import annotations

import json
import re
from typing import Any

from vibetesting_ci import __version__
from vibetesting_ci.domain.cases import PlannedCase
from vibetesting_ci.domain.report import AttemptReport, ExecutionReport, Report
from vibetesting_ci.safety.scrub import scrub
from vibetesting_ci.safety.text import Budget

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
        "outcome": str(case.outcome),
        "test": _clean(case.test),
        "attributed": case.attributed,
        "how": str(case.shape),
        "may_be": [_clean(n) for n in case.may_be],
    }


def _execution(
    execution: ExecutionReport, budget: Budget, cases: list[dict[str, Any]] | None
) -> dict[str, Any]:
    read = execution.status_read
    counts = execution.counts
    return {
        "id": execution.execution_id,
        "state": _clean(execution.state) if read else None,
        "state_word": _clean(execution.state_word),
        "suite_name": _clean(execution.suite_name) if read else None,
        "tests": counts.tests,
        "done": counts.done,
        "passed": counts.passed,
        "failed": counts.failed,
        "not_done": counts.not_done,
        "detailed_status": _clean(budget.take(execution.detailed_status)) if read else None,
        "start_time": _clean(execution.start_time) if read else None,
        "end_time": _clean(execution.end_time) if read else None,
        "report_url": _clean(execution.report_url) if read else None,
        "report_file": _clean(execution.report_file),
        "interrupted": execution.interrupted,
        "stopped": execution.stopped,
        "report_error": _clean(execution.report_error),
        "warnings": [_clean(w) for w in execution.warnings],
        "unreadable": _unreadable(execution),
        "problem": _clean(execution.problem),
        "cases": cases,
    }


def _unreadable(execution: ExecutionReport) -> dict[str, str] | None:
    """Which field of a final answer could not be read, what it held and why (else null)."""
    problem = execution.unreadable
    if problem is None:
        return None
    return {"field": problem.field, "held": problem.held, "why": problem.describe()}


def render_results(report: Report) -> dict[str, Any]:
    """The results document for ``report`` as a JSON-ready dict (see the module docstring)."""
    totals = report.totals
    budget = Budget(DETAIL_BUDGET, "(left out: the results file's size cap)")
    room = MAX_CASES
    executions = []
    left_out = 0
    for execution in report.executions:
        cases: list[dict[str, Any]] | None = None
        if len(execution.cases) <= room:
            cases = [_case(c) for c in execution.cases]
            room -= len(execution.cases)
        else:
            left_out += len(execution.cases)
            room = 0
        executions.append(_execution(execution, budget, cases))
    return {
        "version": __version__,
        "result": report.result,
        "exit_code": int(report.exit_code),
        "error_code": report.verdict.error_code,
        "message": _clean(report.message) or None,
        "schedule_id": _clean(report.schedule_id),
        "label": _clean(report.label),
        "target_url": _clean(report.target_url),
        "failed_tests": [_clean(n) for n in report.failed.names],
        "failed_tests_complete": report.failed.complete,
        "cases_left_out": left_out,
        "executions": executions,
        "totals": {
            "tests": totals.tests,
            "done": totals.done,
            "passed": totals.passed,
            "failed": totals.failed,
            "not_done": totals.not_done,
            "flaky": report.flaky,
        },
        "flaky": report.flaky,
        "flaky_tests": [_clean(n) for n in report.flaky_tests],
        "threshold": _clean(report.threshold) or None,
        "attempts": [_attempt(a, budget) for a in report.attempts],
        "warnings": [_clean(w) for w in report.warnings],
    }


def _attempt(attempt: AttemptReport, budget: Budget) -> dict[str, Any]:
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


def dumps_results(report: Report) -> str:
    """:func:`render_results` as indented JSON text ending in a newline."""
    return json.dumps(render_results(report), indent=2, ensure_ascii=False) + "\n"
