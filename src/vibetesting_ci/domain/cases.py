"""Test labels: the one identity every report gives a test (JUnit, GitHub summary and
annotations, results JSON, dotenv, pull request comment).

CI test history (GitLab's merge request comparison, Jenkins' per-test history, test-report
actions) follows a test by ``(classname, name)``. Both come only from what the user configured,
never from execution ids, times or outcomes, so two runs of the same configuration give the same
set of identities whatever their outcomes:

- ``classname`` is the run's label (``config/labels.py``), or for a case that names a test from
  a tests file when the run reads several, that file's (``plan_cases(classnames=...)``, issue
  23): ``vibetesting.suite_<id>`` for a
  suite re-run, ``vibetesting.<tests file path>`` (relative, suffix dropped, dots as ``_``) for
  a guided run from a file, ``vibetesting.tests`` for inline ``--tests``,
  ``vibetesting.exploration`` for an exploration run, plain ``vibetesting`` for ``wait`` (which
  knows only execution ids).
- ``name`` follows the shape of the run (:func:`plan_cases`). **A case carries a test's name
  only where that test's outcome is certain**, and the cases of an execution always add up to
  the service's counts for it (passed, failed, not done), so a JUnit consumer that counts cases
  counts what the service counted:

  1. **One test per execution.** The run named N tests and got N executions, none reporting
     more than one test (the vendor's parallel shape, ``--allow-parallel``): test *i* is
     execution *i* (trigger order), and its case carries the test's name and that execution's
     own outcome.
  2. **Tests known, outcome uniform.** An execution that carries all the run's named tests
     (its ``number_of_tests`` equals their number, or it is the run's only execution) and whose
     tests all had one outcome: one case per test, named after it, with that outcome.
  3. **Failures attributed by the service's own words.** The same, with passed and failed
     tests (none left undone), and the execution's ``detailed_status`` names exactly as many of
     its tests as the service counted failed (:func:`attribute_failures`: whole names, none
     inside another matched name): those tests fail, the others pass.
  4. **Only counts.** Anything less certain (a suite re-run, an exploration, ``wait``, mixed
     outcomes the detailed status does not attribute, counts that do not match the named
     tests): cases by position, ``test 1`` .. ``test N`` (``execution 2 test 1`` when there are
     several executions), outcomes assigned in count order (passed, failed, unfinished, not
     run). Where the execution is known to carry named tests, each case lists the tests it may
     be (``may_be``).

  An execution with no per-test counts to show (no status read, an unreadable final answer,
  ``done`` or ended with no test, unfinished with none reported yet) has one ``<error>`` case
  per known test (shapes 1-2), else one case ``execution status`` (``execution 2 status``).
  An execution that did not end ``done`` (an ended state such as ``failed`` or ``stopped``, a
  timeout, a cancel) and whose counts show no failed or unfinished test gets that status case
  as well, so the test view is never green where the exit code is not; and when every
  execution finished and they count fewer tests than the run named (but some), the last
  execution gets one ``tests not counted`` error case (the tests left out have no outcome).
  Names are unique in the run (a repeat gets `` (2)``, `` (3)``...): GitLab keeps one case per
  ``(classname, name)``.

Pure logic: nothing here reads the network, files or the clock.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, TypeGuard

from vibetesting_ci.config.labels import ROOT
from vibetesting_ci.domain.models import ExecutionResult, ExecutionStatus, RunResult
from vibetesting_ci.safety.scrub import scrub
from vibetesting_ci.safety.text import one_line


class Outcome(StrEnum):
    """A case's outcome, as JUnit shows it."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # not done in an execution that did not finish, or no outcome at all
    SKIPPED = "skipped"  # not run by an execution that ended done


# Count order: the order position cases take their outcomes in.
COUNT_ORDER = (Outcome.PASSED, Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED)


class Shape(StrEnum):
    """How a case's name and outcome were found (PlannedCase.shape)."""

    PER_TEST = "per-test"  # rule 1: one test per execution
    NAMED = "named"  # rule 2: the execution's tests are known, one outcome
    ATTRIBUTED = "attributed"  # rule 3: the detailed status names the failed tests
    COUNTS = "counts"  # rule 4: only counts are known: names by position
    STATUS = "status"  # an execution-wide error case (see ``reason``)


class Reason(StrEnum):
    """Why a status case (or a named case standing in for a test without counts) is an error."""

    NONE = ""
    NO_STATUS = "no-status"  # no status answer was ever read
    UNREADABLE = "unreadable"  # a final answer whose counts cannot be read
    EMPTY = "empty"  # done, number_of_tests 0
    ENDED = "ended"  # an ended state with no failed or unfinished test counted
    UNFINISHED = "unfinished"  # timed out or cancelled with no failed or unfinished test counted
    NO_TESTS_YET = "no-tests-yet"  # unfinished, no tests reported yet
    UNCOUNTED = "uncounted"  # the executions count fewer tests than the run sent


UNCOUNTED_CASE = "tests not counted"

# Above this many tests in one execution (a service answer gone wrong) the position cases of
# one outcome become one case for their range (``tests 3-10000``).
MAX_CASES_PER_EXECUTION = 10_000


@dataclass(frozen=True, slots=True)
class PlannedCase:
    """One test case as every report shows it."""

    classname: str
    name: str  # unique in the run
    outcome: Outcome
    execution_id: int
    position: int  # 1-based, within its execution
    shape: Shape
    test: str | None = None  # the run's test (its name as configured) this case is
    test_index: int | None = None  # that test's 0-based place in the run's tests
    may_be: tuple[str, ...] = ()  # Shape.COUNTS: the named tests this position may be
    reason: Reason = Reason.NONE  # for the error cases that carry no counted outcome
    count: int = 1  # > 1 only for a range case above MAX_CASES_PER_EXECUTION

    @property
    def is_test(self) -> bool:
        """The case stands for tests the service counted (not an execution-wide status case)."""
        return self.shape != Shape.STATUS

    @property
    def attributed(self) -> bool:
        """The outcome is this named test's own (not a position among the counts)."""
        return self.test is not None


# ---------------------------------------------------------------- which tests ran where


def _readable(status: ExecutionStatus | None) -> TypeGuard[ExecutionStatus]:
    return status is not None and not status.unreadable


def assign_tests(
    test_names: Sequence[str], executions: Sequence[ExecutionResult]
) -> tuple[tuple[int, ...] | None, ...]:
    """Per execution, the indexes of the run's tests it carries, or None when unknown.

    Where the CLI knows (``ExecutionResult.tests``, set by retries), that; otherwise from the
    counts: one test per execution when there are as many executions as tests and none reports
    more than one; all tests for the run's only execution unless its counts name another
    number, and for any execution whose ``number_of_tests`` equals the number of tests."""
    n = len(test_names)
    if n == 0:
        return tuple(None for _ in executions)
    everything = tuple(range(n))
    if len(executions) == 1:
        status = executions[0].status
        fits = not _readable(status) or status.total in (0, n)
        found: tuple[tuple[int, ...] | None, ...] = (everything if fits else None,)
    elif len(executions) == n and all(
        not _readable(e.status) or e.status.total <= 1 for e in executions
    ):
        found = tuple((i,) for i in range(n))
    else:
        found = tuple(
            everything if _readable(e.status) and e.status.total == n else None for e in executions
        )
    return tuple(
        e.tests if e.tests is not None else tests
        for e, tests in zip(executions, found, strict=True)
    )


# ---------------------------------------------------------------- cases


def _counts(status: ExecutionStatus) -> dict[Outcome, int]:
    not_done = status.not_done
    # Tests a done execution left out were skipped; those of an ended or unfinished one, errors.
    return {
        Outcome.PASSED: status.passed,
        Outcome.FAILED: status.failed,
        Outcome.ERROR: 0 if status.is_done else not_done,
        Outcome.SKIPPED: not_done if status.is_done else 0,
    }


def _status_reason(status: ExecutionStatus | None) -> Reason | None:
    """Why an execution has no per-test counts to show, or None when it has."""
    if status is None:
        return Reason.NO_STATUS
    if status.unreadable:
        return Reason.UNREADABLE
    if status.total == 0:
        if status.is_done:
            return Reason.EMPTY
        if status.ended:
            return Reason.ENDED
        return Reason.NO_TESTS_YET
    return None


def case_name(name: str, index: int) -> str:
    """A configured test's name as a case name: one line, controls shown escaped, secrets
    masked, the two characters no XML can hold (U+FFFE, U+FFFF) as U+FFFD, so every report can
    show it as it is; ``test <n>`` (its position) if it is blank."""
    shown = one_line(scrub(name)).replace("\ufffe", "\ufffd").replace("\uffff", "\ufffd")
    return shown or f"test {index + 1}"


# ---------------------------------------------------------------- attribution

_WORD = re.compile(r"\w")


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _whole_name_in(text: str, name: str) -> bool:
    """``name`` occurs in ``text`` as a whole name: not glued to a letter or digit on a side
    where the name itself starts or ends with one (``checkout`` is not in ``checkouts``)."""
    start = 0
    while (at := text.find(name, start)) >= 0:
        end = at + len(name)
        glued_before = at > 0 and _WORD.match(text[at - 1]) and _WORD.match(name[0])
        glued_after = end < len(text) and _WORD.match(text[end]) and _WORD.match(name[-1])
        if not glued_before and not glued_after:
            return True
        start = at + 1
    return False


def attribute_failures(
    detailed_status: str, names: Sequence[str], failed: int
) -> tuple[int, ...] | None:
    """Which of ``names`` (an execution's tests) failed, by the service's own words: the
    positions of the names that ``detailed_status`` contains as whole names (case and spacing
    aside), when they are exactly ``failed`` of them, no two tests share a name and no matched
    name lies inside another matched name. Anything less certain is None (not attributed)."""
    if failed <= 0 or not detailed_status.strip():
        return None
    text = _folded(detailed_status)
    folded = [_folded(name) for name in names]
    found = [i for i, name in enumerate(folded) if name and _whole_name_in(text, name)]
    if len(found) != failed:
        return None
    matched = [folded[i] for i in found]
    if len(set(matched)) != len(matched) or any(folded.count(name) > 1 for name in matched):
        return None
    if any(a != b and a in b for a in matched for b in matched):
        return None
    return tuple(found)


# ---------------------------------------------------------------- the plan


def plan_cases(
    label: str,
    test_names: Sequence[str],
    executions: Sequence[ExecutionResult],
    *,
    allow_empty: bool = False,
    classnames: Mapping[str, str] | None = None,
) -> tuple[tuple[PlannedCase, ...], ...]:
    """Per execution (in the given order), its cases: see the module docstring for the rules.
    ``label`` is the classname (``config.labels.run_label``); ``classnames`` gives a test its
    own (test name -> classname: a run from several tests files), for the cases that name
    it."""
    own = classnames or {}
    several = len(executions) > 1
    assigned = assign_tests(test_names, executions)
    draft: list[list[PlannedCase]] = []
    for number, (execution, tests) in enumerate(zip(executions, assigned, strict=True), 1):
        prefix = f"execution {number} " if several else ""
        status_name = f"{prefix}status" if several else "execution status"
        eid = execution.execution_id
        cases: list[PlannedCase] = []

        def add(
            name: str,
            outcome: Outcome,
            shape: Shape,
            *,
            into: list[PlannedCase] = cases,
            eid: int = eid,
            classname: str = label,
            **extra: Any,
        ) -> None:
            into.append(PlannedCase(classname, name, outcome, eid, len(into) + 1, shape, **extra))

        def add_named(outcome: Outcome, shape: Shape, i: int, **extra: Any) -> None:
            add(
                case_name(test_names[i], i),
                outcome,
                shape,
                test=test_names[i],
                test_index=i,
                classname=own.get(test_names[i], label),
                **extra,
            )

        status = execution.status
        reason = _status_reason(status)
        named_shape = (
            Shape.PER_TEST if several and tests is not None and len(tests) == 1 else Shape.NAMED
        )
        if reason is not None:
            outcome = Outcome.SKIPPED if reason == Reason.EMPTY and allow_empty else Outcome.ERROR
            if tests is not None:
                for i in tests:
                    add_named(outcome, named_shape, i, reason=reason)
            elif outcome == Outcome.ERROR:
                add(status_name, Outcome.ERROR, Shape.STATUS, reason=reason)
            draft.append(cases)
            continue

        assert status is not None
        counts = _counts(status)
        total = status.total
        present = tuple(o for o in COUNT_ORDER if counts[o])
        known = tests is not None and len(tests) == total
        failing = (
            attribute_failures(
                status.detailed_status, [test_names[i] for i in tests], status.failed
            )
            if tests is not None and known and status.passed + status.failed == total
            else None
        )
        if tests is not None and known and len(present) == 1:
            for i in tests:
                add_named(present[0], named_shape, i)
        elif tests is not None and failing is not None:
            failed_here = {tests[k] for k in failing}
            for i in tests:
                add_named(
                    Outcome.FAILED if i in failed_here else Outcome.PASSED, Shape.ATTRIBUTED, i
                )
        else:
            may_be = tuple(case_name(test_names[i], i) for i in tests) if tests is not None else ()
            position = 0
            for outcome in COUNT_ORDER:
                n = counts[outcome]
                if n == 0:
                    continue
                if total > MAX_CASES_PER_EXECUTION and n > 1:
                    add(
                        f"{prefix}tests {position + 1}-{position + n}",
                        outcome,
                        Shape.COUNTS,
                        count=n,
                        may_be=may_be,
                    )
                else:  # the common bulk: built directly (a run can hold 100,000 of them)
                    start = len(cases) - position
                    cases.extend(
                        PlannedCase(
                            label,
                            f"{prefix}test {k}",
                            outcome,
                            eid,
                            k + start,
                            Shape.COUNTS,
                            may_be=may_be,
                        )
                        for k in range(position + 1, position + n + 1)
                    )
                position += n
        if not status.is_done and not (counts[Outcome.FAILED] or counts[Outcome.ERROR]):
            # Ended (failed, stopped...), timed out or cancelled, with nothing failed or left
            # undone in its counts: one case says so, so the test view is never all green.
            why = Reason.ENDED if status.ended else Reason.UNFINISHED
            add(status_name, Outcome.ERROR, Shape.STATUS, reason=why)
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
                Outcome.ERROR,
                eid,
                len(last) + 1,
                Shape.STATUS,
                reason=Reason.UNCOUNTED,
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
    """:func:`plan_cases` for a finished ``run``/``wait`` (the report is built from it once:
    ``report.build_report``)."""
    return plan_cases(
        result_label(result),
        result.test_names,
        result.executions,
        allow_empty=result.allow_empty,
        classnames=result.classnames,
    )


# ---------------------------------------------------------------- the failed tests


@dataclass(frozen=True, slots=True)
class FailedTests:
    """The one list of the run's failed tests: the named tests whose case did not pass (failed,
    not done or not run), in the run's order, by their case names (``names``) and their places
    in the run's tests (``indexes``); ``complete`` when no test that did not pass is left
    unnamed (no position case and no status case standing for tests without a name)."""

    names: tuple[str, ...] = ()
    indexes: tuple[int, ...] = ()
    complete: bool = True


def failed_tests(plan: Sequence[Sequence[PlannedCase]]) -> FailedTests:
    """:class:`FailedTests` from a plan: what every report lists and what ``--retry-failed``
    reruns. A status case for an execution that ended or did not finish with every counted
    test passed does not make the list incomplete (no test failed; the execution did)."""
    names: list[str] = []
    indexes: list[int] = []
    seen: set[int] = set()
    complete = True
    for cases in plan:
        for case in cases:
            if case.outcome == Outcome.PASSED:
                continue
            if case.test_index is None:
                if case.reason not in (Reason.ENDED, Reason.UNFINISHED) or case.is_test:
                    complete = False
                continue
            if case.test_index not in seen:
                seen.add(case.test_index)
                names.append(case.name)
                indexes.append(case.test_index)
    order = sorted(range(len(indexes)), key=lambda k: indexes[k])
    return FailedTests(tuple(names[k] for k in order), tuple(indexes[k] for k in order), complete)


def outcomes_by_test(
    test_names: Sequence[str], executions: Sequence[ExecutionResult]
) -> tuple[Outcome | None, ...] | None:
    """Each named test's outcome, in the run's order; None for a test no case names (its
    execution's counts are by position, or no execution is known to carry it). None overall
    when the run named no tests. A test carried by several executions gets the worst."""
    if not test_names:
        return None
    found: list[list[Outcome]] = [[] for _ in test_names]
    for cases in plan_cases(ROOT, test_names, executions):
        for case in cases:
            if case.test_index is not None:
                found[case.test_index].append(case.outcome)
    worst = (Outcome.ERROR, Outcome.FAILED, Outcome.SKIPPED, Outcome.PASSED)
    return tuple(next(o for o in worst if o in slot) if slot else None for slot in found)


# ---------------------------------------------------------------- for the other reports


DESCRIBED = 10  # tests named in one annotation or problem line


def describe_tests(cases: Sequence[PlannedCase]) -> str:
    """One line naming an execution's tests that did not pass, for an annotation or a
    problem line: ``failed: a; error: b``; empty when the cases are numbered by position or
    all passed."""
    troubled = [c for c in cases if c.outcome != Outcome.PASSED and c.test is not None]
    if not troubled:
        return ""
    more = f" and {len(troubled) - DESCRIBED} more" if len(troubled) > DESCRIBED else ""
    parts: dict[str, list[str]] = {}
    for case in troubled[:DESCRIBED]:
        parts.setdefault(case.outcome, []).append(case.name)
    return "; ".join(f"{outcome}: {', '.join(names)}" for outcome, names in parts.items()) + more
