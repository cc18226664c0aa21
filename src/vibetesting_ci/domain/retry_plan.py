"""Retries of failed tests (``--retry-failed N``, ``--retry-failed-whole``).

After a run ends ``failed``, :func:`retry_failed` triggers a new run of what failed, up to N
times, and :func:`merge` folds the attempts into one result: each test's last attempt is what
counts, and a test that failed and then passed is *flaky* (it passes, and is counted).

What a retry reruns:

* **the failed tests only** (``failed-tests``), when the run named its tests and the service's
  counts tell which of them failed (``labels.outcomes_by_test``: one test per execution, or an
  execution whose tests all had one outcome): a new ``run-tests`` with just those tests and
  the run's other settings;
* **the whole run** (``whole-run``), only with ``--retry-failed-whole``, when they cannot be
  told apart (a suite, an exploration, several tests in one execution with some failed): the
  same request again, a full billed run. Without the option, a warning says why not.

Every retry is one new trigger, never sent twice: a trigger that may have reached the service
(:class:`~vibetesting_ci.errors.TriggerUncertain`) or that failed ends the retries with a
warning, and the failures stand. Retries wait within the first wait's ``--timeout`` (the
deadline is shared), and never start after a cancel, nor when the time left is shorter than
the attempt before took (from its trigger to the end of its wait: it would most likely be
stopped at the deadline, billed, and turn the failures into a timeout); a retry sends
``should_stop_existing: false`` (a retry must not stop other runs, and the vendor's page does
not say what the service does when it is left out).

A retry's answer replaces the earlier attempt's executions only when it can: one naming an
execution of an earlier attempt is not awaited, and one whose executions ran no test, do not
carry each retried test exactly once (per-test retries), or ran fewer tests than the run it
repeats (whole runs) is recorded but leaves the earlier failures standing (:func:`unproven`).
A retried test is flaky only when its own execution passed (``done``, every test passed).
Planning and merging are pure (here); the loop (``run/retries.py``) gets the trigger and the
wait as callables from the runner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from vibetesting_ci.config.labels import ROOT
from vibetesting_ci.config.settings import RunSettings
from vibetesting_ci.domain.cases import assign_tests, failed_tests, plan_cases
from vibetesting_ci.domain.models import Attempt, ExecutionResult, Result, RunResult, Scope
from vibetesting_ci.domain.verdict import after_retries, counted, decide, with_flaky
from vibetesting_ci.errors import ExitCode
from vibetesting_ci.vocabulary import ExecutionType

COST = "each retry is a billed run"


def failed_positions(result: RunResult) -> tuple[int, ...] | None:
    """Positions (in ``result.test_names``) of the tests to rerun: the run's failed tests, the
    one list every report shows (``labels.failed_tests``: named tests that failed, were not
    done or not run), and the tests of an execution that ended without ``done`` (``stopped``,
    ``failed``...: whatever its counts say, it proved none of its tests); None when the run
    named no tests or that list is not complete (some test that did not pass has no name:
    several tests in one execution with outcomes its detailed status does not attribute)."""
    if not result.test_names:
        return None
    plan = plan_cases(ROOT, result.test_names, result.executions, allow_empty=result.allow_empty)
    failed = failed_tests(plan)
    if not failed.complete:
        return None
    carried = assign_tests(result.test_names, result.executions)
    ended = {
        i
        for e, tests in zip(result.executions, carried, strict=True)
        if e.status is not None and e.status.ended
        for i in tests or ()
    }
    return tuple(sorted(set(failed.indexes) | ended))


def execution_passed(execution: ExecutionResult) -> bool:
    status = execution.status
    return (
        status is not None
        and status.is_done
        and not status.unreadable
        and status.tests > 0
        and status.passed == status.tests
    )


def not_passed(executions: Sequence[ExecutionResult]) -> int:
    return sum(
        max(1, e.status.tests - e.status.passed) if e.status is not None else 1
        for e in executions
        if not execution_passed(e)
    )


@dataclass(frozen=True, slots=True)
class Plan:
    """The next attempt: what it sends, which tests (positions in the first run's tests) and
    which executions of the final view it replaces."""

    scope: Scope
    run: RunSettings
    positions: tuple[int, ...]  # into the first run's tests (empty: a suite / exploration)
    replaces: tuple[int, ...]  # execution ids
    # Executions that also ran tests that passed (their failures named by the detailed
    # status): they stay, narrowed to those tests (execution id -> positions kept).
    narrows: tuple[tuple[int, tuple[int, ...]], ...] = ()


def up_front_warning(run: RunSettings) -> str | None:
    """A configuration that can never retry (said once, before the run starts)."""
    if not run.retry_failed:
        whole = run.retry_failed_whole
        return "--retry-failed-whole does nothing without --retry-failed N" if whole else None
    if run.retry_failed_whole or run.tests:
        return None
    what = "a suite run (--suite-id)" if run.suite_id is not None else "an exploration run"
    return (
        f"--retry-failed {run.retry_failed}: {what} has no named tests to retry on their own; "
        f"add --retry-failed-whole to rerun the whole run instead ({COST})"
    )


def plan(
    attempt: Attempt,
    verdict: RunResult,
    run: RunSettings,
    positions: tuple[int, ...],
    failed: tuple[int, ...] | None,
) -> Plan | str | None:
    """What to retry after ``attempt`` (its ``verdict``; ``positions``: its tests in the first
    run's; ``failed``: which of them failed, None when unknown). None: nothing to retry (it
    did not fail, or it was interrupted); a string: why it cannot be retried."""
    if verdict.result != Result.FAILED or any(e.interrupted for e in verdict.executions):
        return None
    base = replace(run, stop_existing=False)  # said, not left to the service's default
    if failed and run.tests:
        chosen = tuple(positions[i] for i in failed)
        carried = assign_tests(verdict.test_names, verdict.executions)
        ran = [  # the executions that ran those tests, and what else each ran
            (e.execution_id, tests)
            for e, tests in zip(verdict.executions, carried, strict=True)
            if tests is not None and set(tests) & set(failed)
        ]
        return Plan(
            Scope.FAILED_TESTS,
            replace(base, tests=tuple(run.tests[i] for i in chosen)),
            chosen,
            tuple(eid for eid, tests in ran if set(tests) <= set(failed)),
            tuple(
                (eid, tuple(positions[i] for i in tests if i not in failed))
                for eid, tests in ran
                if not set(tests) <= set(failed)
            ),
        )
    if run.retry_failed_whole:
        tests = tuple(run.tests[i] for i in positions) if run.tests else ()
        return Plan(Scope.WHOLE_RUN, replace(base, tests=tests), positions, attempt.execution_ids)
    if not run.tests:
        return None  # said up front (up_front_warning)
    ids = ", ".join(str(e.execution_id) for e in verdict.executions if not execution_passed(e))
    if failed == ():
        return (
            f"--retry-failed: no named test failed, but execution(s) {ids} did not pass; "
            f"add --retry-failed-whole to rerun the whole run ({COST})"
        )
    return (
        f"--retry-failed: the service's counts do not say which tests of execution(s) {ids} "
        "failed (several tests in one execution, and its detailed status does not name them; "
        "--allow-parallel runs one per execution); "
        f"add --retry-failed-whole to rerun them all ({COST})"
    )


def unproven(
    step: Plan, final: Sequence[ExecutionResult], new: Sequence[ExecutionResult]
) -> str | None:
    """Why a retry's executions ``new`` (passed or failed) cannot stand in for the executions
    they replace in ``final`` (None: they can). A retry proves something only when it ran what
    it was asked to: an execution that ran no test (``--allow-empty`` accepts that of a run,
    not of a retry), per-test retries whose executions do not carry each retried test exactly
    once (more or fewer executions, or counts of another number of tests), a whole run that
    ran fewer tests than the one it repeats (unless the service chose how many: an exploration
    without ``flows_count``)."""
    empty = [e.execution_id for e in new if e.status is not None and e.status.tests == 0]
    if empty:
        return f"execution(s) {', '.join(map(str, empty))} ran no test"
    if step.scope == Scope.FAILED_TESTS:
        carried = assign_tests(step.run.test_names, new)
        ran = sorted(i for tests in carried for i in tests or ())
        if None in carried or ran != list(range(len(step.positions))):
            return (
                f"{len(new)} execution(s) for {len(step.positions)} test(s) retried, and "
                "their counts do not say which test ran where"
            )
        return None
    if step.run.execution_type == ExecutionType.EXPLORATION and step.run.flows_count is None:
        return None  # the service picks how many flows a run has
    replaces = set(step.replaces)
    before = counted([e for e in final if e.execution_id in replaces])
    after = counted(new)
    if after < before:
        return f"it ran {after} test(s) where the run it repeats ran {before}"
    return None


def replaced(
    final: Sequence[ExecutionResult], old: Sequence[int], new: Sequence[ExecutionResult]
) -> tuple[ExecutionResult, ...]:
    """The final view with the executions ``old`` (ids) replaced by ``new``: one for one in
    place when they are as many (the tests keep their order), else ``new`` where the first
    of ``old`` was."""
    gone = set(old)
    olds = [i for i, e in enumerate(final) if e.execution_id in gone]  # ascending
    if not olds:
        return (*final, *new)
    if len(olds) == len(new):
        view = list(final)
        for index, execution in zip(olds, new, strict=True):
            view[index] = execution
        return tuple(view)
    view = [e for e in final if e.execution_id not in gone]
    at = olds[0]  # nothing before the first of ``old`` was removed
    return (*view[:at], *new, *view[at:])


def placed(step: Plan, outcome: RunResult) -> tuple[ExecutionResult, ...]:
    """A retry's executions, each with the tests of the first run it ran where the counts
    tell (``ExecutionResult.tests``): their place in the final view does not rest on counts."""
    if step.scope != Scope.FAILED_TESTS:
        return outcome.executions
    carried = assign_tests(step.run.test_names, outcome.executions)
    return tuple(
        e if tests is None else replace(e, tests=tuple(step.positions[i] for i in tests))
        for e, tests in zip(outcome.executions, carried, strict=True)
    )


def narrowed(
    final: Sequence[ExecutionResult], narrows: Sequence[tuple[int, tuple[int, ...]]]
) -> tuple[ExecutionResult, ...]:
    """The final view with each execution of ``narrows`` standing only for the tests it keeps:
    the others were its failed tests (named by its detailed status: ``labels.attribute_
    failures``), retried now, so its counts lose them (each was counted failed)."""
    keep = dict(narrows)
    view = []
    for execution in final:
        kept = keep.get(execution.execution_id)
        status = execution.status
        if kept is None or status is None:
            view.append(execution)
            continue
        gone = status.total - len(kept)
        status = replace(
            status,
            tests=status.tests - gone,
            done=max(0, status.done - gone),
            failed=max(0, status.failed - gone),
        )
        view.append(replace(execution, status=status, tests=kept))
    return tuple(view)


def attempt_record(
    number: int,
    scope: Scope,
    verdict: RunResult,
    names: tuple[str, ...],
    shown: tuple[str, ...],
    failed: tuple[int, ...] | None,
) -> Attempt:
    """One attempt's record: ``names`` the tests it sent, ``shown`` their JUnit names (its
    ``failed`` tests, positions in ``names`` by :func:`failed_positions`, are listed by
    those)."""
    return Attempt(
        number,
        scope,
        verdict.executions,
        names,
        verdict.result,
        verdict.message or "",
        None if failed is None else tuple(shown[i] for i in failed),
    )


def merge(
    first: RunResult,
    attempts: Sequence[Attempt],
    last: RunResult,
    final: tuple[ExecutionResult, ...],
    flaky_names: tuple[str, ...],
    flaky: int,
) -> RunResult:
    """One result from every attempt: the verdict on each test's last attempt (``final``);
    ``flaky`` tests failed, then passed (``flaky_names``: those the run named). A last
    attempt that timed out, was cancelled or could not be read decides as it is (the
    failures before it stand: under --no-fail-on-timeout that is exit 1, not 0)."""
    if len(attempts) == 1:
        return first
    every = tuple(attempts)
    retries = replace(first, attempts=every).runs_started - 1
    if last.result in (Result.CANCELLED, Result.ERROR, Result.TIMEOUT):
        result = replace(
            last,
            attempts=every,
            executions=final,
            test_names=first.test_names,
            message=f"retry {retries}: {last.message}",
        )
        if last.result == Result.TIMEOUT and last.exit_code == ExitCode.OK:
            result = replace(
                result,
                result=Result.FAILED,
                exit_code=ExitCode.FAILED,
                error_code=first.error_code,
                message=f"{result.message}; the failures before it stand",
            )
    else:  # passed or failed (a retry whose trigger failed: the failures before it stand)
        result = decide(
            final,
            interrupted=None,
            error=None,
            fail_on_timeout=True,
            signal_code=0,
            test_names=first.test_names,
            allow_empty=first.allow_empty,
        )
        result = replace(
            result,
            attempts=every,
            warnings=first.warnings,
            message=f"{result.message}{after_retries(retries)}",
        )
    return with_flaky(result, flaky, flaky_names)
