"""Test labels: the one identity every report gives a test (JUnit, GitHub summary and
annotations, results JSON, dotenv, pull request comment).

CI test history (GitLab's merge request comparison, Jenkins' per-test history, test-report
actions) follows a test by ``(classname, name)``. Both come only from what the user configured,
never from execution ids, times or outcomes, so two runs of the same configuration give the same
set of identities whatever their outcomes:

- ``classname`` is :func:`run_label`: ``vibetesting.suite_<id>`` for a suite re-run,
  ``vibetesting.<tests file path>`` (relative, suffix dropped, dots as ``_``) for a guided run
  from a file, ``vibetesting.tests`` for inline ``--tests``, ``vibetesting.exploration`` for an
  exploration run, plain ``vibetesting`` for ``wait`` (which knows only execution ids).
- ``name`` follows the shape of the run (:func:`plan_cases`), in this order:

  1. **One test per execution.** The run named N tests and got N executions, none reporting
     more than one test (the vendor's parallel shape): test *i* is execution *i* (trigger
     order), and its case carries the test's name and that execution's own outcome.
  2. **Tests known, outcome uniform.** An execution that carries all the run's named tests
     (its ``number_of_tests`` equals their number, or it is the run's only execution) and whose
     tests all had one outcome: one case per test, named after it, with that outcome.
  3. **Tests known, outcome mixed.** The same, but the counts mix outcomes (say 1 passed,
     1 failed): the names are still known, *which* test failed is not. Each test keeps its
     named case (so identities do not change with the outcome); its outcome is the worst the
     counts allow (error > failed > skipped > passed), so a pass the counts do not prove is
     never claimed, and the case's text lists the possible outcomes (``candidates``).
  4. **Only counts.** A suite re-run, an exploration, ``wait``, or counts that do not match
     the named tests: cases by position, ``test 1`` .. ``test N`` (``execution 2 test 1`` when
     there are several executions), outcomes assigned in count order (passed, failed,
     unfinished, not run); the failure text says the service reports counts, not which test
     failed.

  An execution with no per-test counts to show (no status read, an unreadable final answer,
  ``done`` or ended with no test, unfinished with none reported yet) has one ``<error>`` case
  per known test (shapes 1-3), else one case ``execution status`` (``execution 2 status``).
  An execution that ended (``failed``, ``stopped``...) with no failed or unfinished count gets
  that status case as well, so the test view is never green where the exit code is not; and
  when every execution finished and they count fewer tests than the run named (but some), the
  last execution gets one ``tests not counted`` error case (the tests left out have no outcome).
  Names are unique in the run (a repeat gets `` (2)``, `` (3)``...): GitLab keeps one case per
  ``(classname, name)``.

Pure logic: nothing here reads the network, files or the clock.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from typing import Any, TypeGuard

from vibetesting_ci.models import ExecutionResult, ExecutionStatus, RunResult
from vibetesting_ci.scrub import scrub
from vibetesting_ci.text import one_line

ROOT = "vibetesting"

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"
# Worst first: the outcome a case gets when the counts allow several.
SEVERITY = (ERROR, FAILED, SKIPPED, PASSED)

# How a case's name and outcome were found (PlannedCase.shape).
SHAPE_PER_TEST = "per-test"  # rule 1: one test per execution
SHAPE_NAMED = "named"  # rule 2: the execution's tests are known, one outcome
SHAPE_MIXED = "mixed"  # rule 3: tests known, outcomes mixed: which one is not
SHAPE_COUNTS = "counts"  # rule 4: only counts are known: names by position
SHAPE_STATUS = "status"  # an execution-wide error case (see ``reason``)

# Why a status case (or a named case standing in for a test without counts) is an error.
REASON_NO_STATUS = "no-status"  # no status answer was ever read
REASON_UNREADABLE = "unreadable"  # a final answer whose counts cannot be read
REASON_EMPTY = "empty"  # done, number_of_tests 0
REASON_ENDED = "ended"  # an ended state with no failed or unfinished test counted
REASON_NO_TESTS_YET = "no-tests-yet"  # unfinished, no tests reported yet
REASON_UNCOUNTED = "uncounted"  # the executions count fewer tests than the run sent
UNCOUNTED_CASE = "tests not counted"

# Above this many tests in one execution (a service answer gone wrong) the position cases of
# one outcome become one case for their range (``tests 3-10000``).
MAX_CASES_PER_EXECUTION = 10_000


@dataclass(frozen=True, slots=True)
class PlannedCase:
    """One test case as every report shows it."""

    classname: str
    name: str  # unique in the run
    outcome: str  # PASSED / FAILED / ERROR / SKIPPED
    execution_id: int
    position: int  # 1-based, within its execution
    shape: str  # SHAPE_*
    test: str | None = None  # the run's test (its name as configured) this case is
    test_index: int | None = None  # that test's 0-based place in the run's tests
    candidates: tuple[str, ...] = ()  # SHAPE_MIXED: the outcomes the counts allow
    reason: str = ""  # REASON_* for the error cases that carry no counted outcome
    count: int = 1  # > 1 only for a range case above MAX_CASES_PER_EXECUTION

    @property
    def attributed(self) -> bool:
        """The outcome is this named test's own (not a guess from an execution's counts)."""
        return self.test is not None and self.shape != SHAPE_MIXED


# ---------------------------------------------------------------- classname


def file_label(path: str, cwd: str | None = None) -> str:
    """The part of the classname a tests file gives: its path relative to ``cwd`` (or as
    given when relative), forward slashes, suffix dropped, dots as ``_``. An absolute path
    outside ``cwd`` (a CI's per-runner build folder) gives just the file's stem, so the label
    does not change with the machine."""
    text = path.strip()
    windows = "\\" in text or (len(text) > 1 and text[1] == ":")
    pure: PurePath = PureWindowsPath(text) if windows else PurePosixPath(text)
    if pure.is_absolute():
        relative = None
        if cwd:
            base: PurePath = PureWindowsPath(cwd) if windows else PurePosixPath(cwd)
            try:
                relative = pure.relative_to(base)
            except ValueError:
                relative = None
        pure = relative if relative is not None else PurePosixPath(pure.name)
    parts = [p for p in pure.parts if p not in ("", ".", "..") and p != pure.anchor]
    joined = posixpath.join(*parts) if parts else "tests"
    stem = posixpath.splitext(joined)[0] or joined
    label = one_line(stem).replace(".", "_").strip("/ ")
    return label or "tests"


def run_label(
    *,
    suite_id: int | None = None,
    tests_file: str | None = None,
    guided: bool = False,
    exploration: bool = False,
    cwd: str | None = None,
) -> str:
    """The classname every case of a run carries, from what the user configured (see the
    module docstring): never an execution id, a time or an outcome."""
    if suite_id is not None:
        return f"{ROOT}.suite_{suite_id}"
    if tests_file:
        return f"{ROOT}.{file_label(tests_file, cwd)}"
    if guided:
        return f"{ROOT}.tests"
    if exploration:
        return f"{ROOT}.exploration"
    return ROOT


# ---------------------------------------------------------------- which tests ran where


def _readable(status: ExecutionStatus | None) -> TypeGuard[ExecutionStatus]:
    return status is not None and not status.unreadable


def assign_tests(
    test_names: Sequence[str], executions: Sequence[ExecutionResult]
) -> tuple[tuple[int, ...] | None, ...]:
    """Per execution, the indexes of the run's tests it carries, or None when unknown.

    One test per execution when there are as many executions as tests and none reports more
    than one; all tests for the run's only execution unless its counts name another number,
    and for any execution whose ``number_of_tests`` equals the number of tests."""
    n = len(test_names)
    if n == 0:
        return tuple(None for _ in executions)
    everything = tuple(range(n))
    if len(executions) == 1:
        status = executions[0].status
        fits = not _readable(status) or status.total in (0, n)
        return (everything if fits else None,)
    if len(executions) == n and all(
        not _readable(e.status) or e.status.total <= 1 for e in executions
    ):
        return tuple((i,) for i in range(n))
    return tuple(
        everything if _readable(e.status) and e.status.total == n else None for e in executions
    )


# ---------------------------------------------------------------- cases


def _counts(status: ExecutionStatus) -> dict[str, int]:
    not_done = status.not_done
    # Tests a done execution left out were skipped; those of an ended or unfinished one, errors.
    return {
        PASSED: status.passed,
        FAILED: status.failed,
        ERROR: 0 if status.is_done else not_done,
        SKIPPED: not_done if status.is_done else 0,
    }


def _status_reason(status: ExecutionStatus | None) -> str | None:
    """Why an execution has no per-test counts to show, or None when it has."""
    if status is None:
        return REASON_NO_STATUS
    if status.unreadable:
        return REASON_UNREADABLE
    if status.total == 0:
        if status.is_done:
            return REASON_EMPTY
        if status.ended:
            return REASON_ENDED
        return REASON_NO_TESTS_YET
    return None


def case_name(name: str, index: int) -> str:
    """A configured test's name as a case name: one line, controls shown escaped, secrets
    masked, the two characters no XML can hold (U+FFFE, U+FFFF) as U+FFFD, so every report can
    show it as it is; ``test <n>`` (its position) if it is blank."""
    shown = one_line(scrub(name)).replace("\ufffe", "\ufffd").replace("\uffff", "\ufffd")
    return shown or f"test {index + 1}"


def plan_cases(
    label: str,
    test_names: Sequence[str],
    executions: Sequence[ExecutionResult],
    *,
    allow_empty: bool = False,
) -> tuple[tuple[PlannedCase, ...], ...]:
    """Per execution (in the given order), its cases: see the module docstring for the rules.
    ``label`` is the classname (:func:`run_label`)."""
    several = len(executions) > 1
    per_test = len(executions) > 1 and len(executions) == len(test_names)
    assigned = assign_tests(test_names, executions)
    draft: list[list[PlannedCase]] = []
    for number, (execution, tests) in enumerate(zip(executions, assigned, strict=True), 1):
        prefix = f"execution {number} " if several else ""
        status_name = f"{prefix}status" if several else "execution status"
        eid = execution.execution_id
        cases: list[PlannedCase] = []

        def add(
            name: str,
            outcome: str,
            shape: str,
            *,
            into: list[PlannedCase] = cases,
            eid: int = eid,
            **extra: Any,
        ) -> None:
            into.append(PlannedCase(label, name, outcome, eid, len(into) + 1, shape, **extra))

        def add_named(outcome: str, shape: str, tests: tuple[int, ...], **extra: Any) -> None:
            for i in tests:
                add(
                    case_name(test_names[i], i),
                    outcome,
                    shape,
                    test=test_names[i],
                    test_index=i,
                    **extra,
                )

        status = execution.status
        reason = _status_reason(status)
        named_shape = SHAPE_PER_TEST if per_test and tests is not None else SHAPE_NAMED
        if reason is not None:
            outcome = SKIPPED if reason == REASON_EMPTY and allow_empty else ERROR
            if tests is not None:
                add_named(outcome, named_shape, tests, reason=reason)
            elif outcome == ERROR:
                add(status_name, ERROR, SHAPE_STATUS, reason=reason)
            draft.append(cases)
            continue

        assert status is not None
        counts = _counts(status)
        total = status.total
        present = tuple(o for o in SEVERITY if counts[o])
        if tests is not None and len(tests) == total:
            candidates: tuple[str, ...] = ()
            if len(present) == 1:
                shape, outcome = named_shape, present[0]
            else:
                shape, outcome, candidates = SHAPE_MIXED, present[0], present[::-1]
            add_named(outcome, shape, tests, candidates=candidates)
        else:
            position = 0
            for outcome in (PASSED, FAILED, ERROR, SKIPPED):
                n = counts[outcome]
                if n == 0:
                    continue
                if total > MAX_CASES_PER_EXECUTION and n > 1:
                    add(
                        f"{prefix}tests {position + 1}-{position + n}",
                        outcome,
                        SHAPE_COUNTS,
                        count=n,
                    )
                else:  # the common bulk: built directly (a run can hold 100,000 of them)
                    start = len(cases) - position
                    cases.extend(
                        PlannedCase(
                            label, f"{prefix}test {k}", outcome, eid, k + start, SHAPE_COUNTS
                        )
                        for k in range(position + 1, position + n + 1)
                    )
                position += n
        if status.ended and not (counts[FAILED] or counts[ERROR]):
            add(status_name, ERROR, SHAPE_STATUS, reason=REASON_ENDED)
        draft.append(cases)

    counted = sum(e.status.total for e in executions if e.status is not None)
    if (
        draft
        and all(e.finished and _readable(e.status) for e in executions)
        and 0 < counted < len(test_names)
    ):  # the tests left out have no outcome (verdict.uncounted): the view is not green
        eid, last = executions[-1].execution_id, draft[-1]
        last.append(
            PlannedCase(
                label,
                UNCOUNTED_CASE,
                ERROR,
                eid,
                len(last) + 1,
                SHAPE_STATUS,
                reason=REASON_UNCOUNTED,
            )
        )

    unique = iter(unique_names([c.name for cases in draft for c in cases]))
    return tuple(tuple(_renamed(case, next(unique)) for case in cases) for cases in draft)


def _renamed(case: PlannedCase, name: str) -> PlannedCase:
    return case if name == case.name else replace(case, name=name)


def unique_names(names: Sequence[str]) -> list[str]:
    """``names`` with repeats made unique by `` (2)``, `` (3)``... (never clashing again),
    deterministically: the first keeps its name."""
    taken = set(names)
    if len(taken) == len(names):
        return list(names)
    seen: Counter[str] = Counter()
    result = []
    for name in names:
        seen[name] += 1
        if seen[name] == 1:
            result.append(name)
            continue
        n = seen[name]
        candidate = f"{name} ({n})"
        while candidate in taken:
            n += 1
            candidate = f"{name} ({n})"
        seen[name] = n
        taken.add(candidate)
        result.append(candidate)
    return result


def test_labels(test_names: Sequence[str]) -> tuple[str, ...]:
    """Each of the run's tests as its named cases call it (rules 1-3), in the run's order:
    :func:`case_name`, repeats made unique. For lists of tests apart from the cases (the flaky
    tests, each attempt's failed tests), so they point at the same case as the JUnit."""
    return tuple(unique_names([case_name(name, i) for i, name in enumerate(test_names)]))


def result_label(result: RunResult) -> str:
    """The classname of a finished ``run``/``wait``: ``RunResult.label``, :data:`ROOT` when
    it has none (``wait``)."""
    return result.label or ROOT


def plan_result(result: RunResult) -> tuple[tuple[PlannedCase, ...], ...]:
    """:func:`plan_cases` for a finished ``run``/``wait``. Every report asks for the same plan
    (JUnit, results, dotenv, summaries, comment): it is made once per run."""
    return _plan_once(
        result_label(result), result.test_names, result.executions, result.allow_empty
    )


@lru_cache(maxsize=4)
def _plan_once(
    label: str,
    test_names: tuple[str, ...],
    executions: tuple[ExecutionResult, ...],
    allow_empty: bool,
) -> tuple[tuple[PlannedCase, ...], ...]:
    return plan_cases(label, test_names, executions, allow_empty=allow_empty)


# ---------------------------------------------------------------- per test, for retries


def outcomes_by_test(
    test_names: Sequence[str], executions: Sequence[ExecutionResult]
) -> tuple[str | None, ...] | None:
    """Each named test's outcome (PASSED / FAILED / ERROR / SKIPPED), in the run's order;
    None for a test whose outcome the counts cannot attribute (rule 3, or no execution known to
    carry it). None overall when the run named no tests. A test carried by several executions
    gets the worst of its outcomes."""
    if not test_names:
        return None
    return _outcomes(len(test_names), plan_cases(ROOT, test_names, executions))


def _outcomes(count: int, plan: Sequence[Sequence[PlannedCase]]) -> tuple[str | None, ...]:
    found: list[list[str] | None] = [[] for _ in range(count)]
    for cases in plan:
        for case in cases:
            if case.test_index is None:
                continue
            slot = found[case.test_index]
            if slot is None:
                continue
            if case.shape == SHAPE_MIXED:
                found[case.test_index] = None
            else:
                slot.append(case.outcome)
    return tuple(None if not slot else next(o for o in SEVERITY if o in slot) for slot in found)


def failed_tests(
    test_names: Sequence[str], executions: Sequence[ExecutionResult]
) -> tuple[str, ...] | None:
    """The names (as configured, in the run's order) of the tests that failed, or None when the
    failures counted cannot all be attributed to named tests (rule 3 or 4 with a failure).
    Tests with an error outcome (no status, unfinished, ended) are not in it: ask
    :func:`outcomes_by_test` for those."""
    if not test_names:
        return None
    plan = plan_cases(ROOT, test_names, executions)
    counted = sum(e.status.failed for e in executions if _readable(e.status))
    if counted > len(failed_case_names(plan)):
        return None
    outcomes = _outcomes(len(test_names), plan)
    return tuple(name for name, o in zip(test_names, outcomes, strict=True) if o == FAILED)


# ---------------------------------------------------------------- for the other reports


def failed_case_names(plan: Sequence[Sequence[PlannedCase]]) -> tuple[str, ...]:
    """The names of the cases that failed and are a named test's own outcome (rules 1-2), in
    order: what the dotenv file and the comment list. Empty when nothing failed, or when the
    counts cannot say which test failed (compare the failed count)."""
    return tuple(c.name for cases in plan for c in cases if c.outcome == FAILED and c.attributed)


DESCRIBED = 10  # tests named in one annotation or problem line


def describe_tests(cases: Sequence[PlannedCase]) -> str:
    """One line naming an execution's tests that did not pass, for an annotation or a
    problem line: ``failed: a; error: b``; for rule 3 ``one or more of: a; b``; empty when the
    cases are numbered by position or all passed."""
    troubled = [c for c in cases if c.outcome != PASSED and c.test is not None]
    if not troubled:
        return ""
    more = f" and {len(troubled) - DESCRIBED} more" if len(troubled) > DESCRIBED else ""
    if any(c.shape == SHAPE_MIXED for c in troubled):
        return "one or more of: " + "; ".join(c.name for c in troubled[:DESCRIBED]) + more
    parts: dict[str, list[str]] = {}
    for case in troubled[:DESCRIBED]:
        parts.setdefault(case.outcome, []).append(case.name)
    return "; ".join(f"{outcome}: {', '.join(names)}" for outcome, names in parts.items()) + more
