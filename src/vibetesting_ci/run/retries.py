"""The retry loop of ``--retry-failed``: the attempts one after another, each a new trigger and
a wait within the first wait's deadline, planned and merged by ``domain/retry_plan.py`` (what a
retry reruns, what its answer proves, the one result of every attempt). The runner hands it the
trigger and the wait as callables (:class:`Loop`), so it sends and waits for nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vibetesting_ci.config.settings import RunSettings
from vibetesting_ci.domain.cases import assign_tests, test_labels
from vibetesting_ci.domain.models import Attempt, Result, RunResult, Scope, TriggerResult
from vibetesting_ci.domain.retry_plan import (
    COST,
    attempt_record,
    execution_passed,
    failed_positions,
    merge,
    narrowed,
    not_passed,
    placed,
    plan,
    replaced,
    unproven,
)
from vibetesting_ci.errors import ApiError


@dataclass
class Loop:
    """The runner's side of a retry: ``trigger(run)`` sends one request, ``wait(ids, names)``
    waits within the shared deadline and returns that attempt's verdict; ``warn``/``say``
    report; ``time_left()`` is the seconds before the deadline; ``cancelled()`` a signal;
    ``clock()`` the monotonic clock the deadline is on, ``began`` when the first trigger was
    sent (on it)."""

    trigger: Callable[[RunSettings], TriggerResult]
    wait: Callable[[tuple[int, ...], tuple[str, ...]], RunResult]
    warn: Callable[[str], None]
    say: Callable[[str], None]
    time_left: Callable[[], float]
    cancelled: Callable[[], bool]
    clock: Callable[[], float]
    began: float


def retry_failed(first: RunResult, run: RunSettings, loop: Loop) -> RunResult:
    """Retry what failed in ``first`` up to ``run.retry_failed`` times; the merged result."""
    if not run.retry_failed:
        return first
    everything = tuple(range(len(run.tests)))
    shown = test_labels(run.test_names)  # the JUnit's names for the tests
    failed = failed_positions(first)  # the last attempt's failed tests (None: not known)
    attempts = [attempt_record(1, Scope.FIRST, first, run.test_names, shown, failed)]
    verdicts = [first]
    positions = everything  # the last attempt's tests, in the first run's
    final = first.executions
    flaky: list[int] = []
    flaky_count = 0
    took = loop.clock() - loop.began  # the last attempt, from its trigger to its wait's end
    for number in range(2, run.retry_failed + 2):
        step = plan(attempts[-1], verdicts[-1], run, positions, failed)
        if step is None:
            break
        if isinstance(step, str):
            loop.warn(step)
            break
        if loop.cancelled() or loop.time_left() <= 0:
            loop.warn(
                f"retry {number - 1} not started: "
                + ("the job was cancelled" if loop.cancelled() else "no time left before --timeout")
            )
            break
        if (left := loop.time_left()) < took:  # it would be billed, then stopped at the deadline
            loop.warn(
                f"retry {number - 1} not started: {_seconds(left)} left of --timeout, the last "
                f"attempt took {_seconds(took)}; the failures stand"
            )
            break
        what = (
            f"{len(step.positions)} failed test(s)"
            if step.scope == Scope.FAILED_TESTS
            else "the whole run"
        )
        loop.say(f"retry {number - 1} of {run.retry_failed}: rerunning {what} ({COST})")
        began = loop.clock()
        try:
            trigger = loop.trigger(step.run)
        except ApiError as exc:
            loop.warn(f"retry {number - 1}: {exc}; not retried again, the failures stand")
            attempts.append(
                Attempt(number, step.scope, (), step.run.test_names, Result.ERROR, str(exc))
            )
            break
        loop.say(
            f"retry {number - 1}: started execution(s) "
            + ", ".join(map(str, trigger.execution_ids))
        )
        earlier = sorted({i for a in attempts for i in a.execution_ids} & {*trigger.execution_ids})
        if earlier:  # nothing in it tells how the retried tests did: not awaited
            said = (
                f"retry {number - 1}: the service answered execution id(s) "
                f"{', '.join(map(str, earlier))} of an earlier attempt, which cannot show how "
                "the retried tests did; not retried again, the failures stand"
            )
            loop.warn(said)
            attempts.append(
                Attempt(number, step.scope, (), step.run.test_names, Result.ERROR, said)
            )
            break
        outcome = loop.wait(trigger.execution_ids, step.run.test_names)
        took = loop.clock() - began
        named = tuple(shown[p] for p in step.positions)
        failed = failed_positions(outcome)
        attempts.append(
            attempt_record(number, step.scope, outcome, step.run.test_names, named, failed)
        )
        verdicts.append(outcome)
        positions = step.positions
        if outcome.result in (Result.PASSED, Result.FAILED):
            why = unproven(step, final, outcome.executions)
            if why is not None:  # the earlier executions stay in the final view
                loop.warn(
                    f"retry {number - 1}: the service's answer cannot stand in for the earlier "
                    f"attempt ({why}); not retried again, the failures stand"
                )
                break
        final = replaced(narrowed(final, step.narrows), step.replaces, placed(step, outcome))
        if outcome.result not in (Result.PASSED, Result.FAILED):
            break
        if step.scope == Scope.FAILED_TESTS:  # unproven() made sure each ran in one execution
            carried = assign_tests(step.run.test_names, outcome.executions)
            passed = {
                i
                for e, t in zip(outcome.executions, carried, strict=True)
                if execution_passed(e)
                for i in t or ()
            }
            flaky += [p for i, p in enumerate(step.positions) if i in passed]
        elif outcome.result == Result.PASSED:  # a whole run passed: how many were flaky only
            flaky_count += max(not_passed(v.executions) for v in verdicts[:-1])
    names = tuple(shown[i] for i in flaky)
    result = merge(first, attempts, verdicts[-1], final, names, len(flaky) + flaky_count)
    if result.flaky:
        listed = f": {', '.join(result.flaky_tests)}" if result.flaky_tests else ""
        loop.warn(f"{result.flaky} flaky test(s), failed and then passed on a retry{listed}")
    return result


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"
