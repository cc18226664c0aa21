"""The pure parts of retries and thresholds: planning the next attempt, folding the attempts into
one result, the threshold sentences and the option parsers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.support.builders import attempt, done, execution, guided, verdict
from vibetesting_ci.config.options import option
from vibetesting_ci.config.settings import RunSettings
from vibetesting_ci.domain import retry_plan as retries
from vibetesting_ci.domain.models import (
    ExecutionResult,
    ExecutionStatus,
    Interrupted,
    RunResult,
    Scope,
    TriggerResult,
)
from vibetesting_ci.domain.report import build_report
from vibetesting_ci.domain.verdict import decide, with_flaky, with_thresholds
from vibetesting_ci.errors import InputError, ServiceRefused, TriggerUncertain
from vibetesting_ci.run import retries as retry_loop

# -- planning -------------------------------------------------------------------------------------


def test_nothing_to_plan_after_a_pass_or_an_interrupted_wait() -> None:
    run = guided("a", "b", retry_failed=1, retry_failed_whole=True)
    passed = verdict(done(1), done(2))
    assert retries.plan(attempt(passed), passed, run, (0, 1), None) is None
    stuck = done(1, passed=0, interrupted=Interrupted.TIMEOUT)
    failed = replace(verdict(done(2, passed=0)), executions=(stuck,))
    assert retries.plan(attempt(failed), failed, run, (0, 1), None) is None


def test_failed_tests_only_when_they_are_known() -> None:
    run = guided("a", "b", "c", retry_failed=2, stop_existing=True)
    result = verdict(done(1), done(2, passed=0), done(3), names=run.test_names)
    step = retries.plan(attempt(result), result, run, (0, 1, 2), (1,))
    assert isinstance(step, retries.Plan)
    assert step.scope == Scope.FAILED_TESTS
    assert step.positions == (1,) and step.replaces == (2,)
    assert step.run.test_names == ("b",)
    assert step.run.stop_existing is False and step.run.retry_failed == 2
    # A later attempt's positions map back to the first run's tests.
    again = verdict(done(9, passed=0), names=("b",))
    later = retries.plan(attempt(again), again, run, (1,), (0,))
    assert isinstance(later, retries.Plan) and later.positions == (1,) and later.replaces == (9,)


def test_an_ended_execution_whose_test_passed_is_not_replaced() -> None:
    """Only the executions that ran the retried tests make way for the retry's."""
    run = guided("a", "b", retry_failed=1)
    ended = execution(1, "stopped", passed=1)
    result = verdict(ended, done(2, passed=0), names=run.test_names)
    step = retries.plan(attempt(result), result, run, (0, 1), (1,))
    assert isinstance(step, retries.Plan) and step.replaces == (2,)


def test_unknown_failures_need_the_whole_option() -> None:
    result = verdict(done(1, tests=3, passed=2))
    run = guided("a", "b", "c", retry_failed=1)
    why = retries.plan(attempt(result), result, run, (0, 1, 2), None)
    assert isinstance(why, str)
    assert "execution(s) 1" in why and "--retry-failed-whole" in why and "billed" in why
    whole = replace(run, retry_failed_whole=True)
    step = retries.plan(attempt(result), result, whole, (0, 1, 2), None)
    assert isinstance(step, retries.Plan) and step.scope == Scope.WHOLE_RUN
    assert step.replaces == (1,) and step.run.test_names == ("a", "b", "c")


def test_suite_and_exploration_runs_are_said_up_front() -> None:
    suite = RunSettings(suite_id=2, retry_failed=3)
    warning = retries.up_front_warning(suite)
    assert warning is not None and warning.startswith("--retry-failed 3: a suite run")
    explore = RunSettings(execution_type="exploration", retry_failed=1)
    assert "an exploration run" in (retries.up_front_warning(explore) or "")
    assert retries.up_front_warning(replace(suite, retry_failed_whole=True)) is None
    assert retries.up_front_warning(guided("a", retry_failed=1)) is None
    assert "does nothing" in (retries.up_front_warning(guided("a", retry_failed_whole=True)) or "")
    assert retries.up_front_warning(guided("a")) is None
    result = verdict(done(1, passed=0))
    assert retries.plan(attempt(result), result, suite, (), None) is None  # said already


def test_replaced_keeps_the_order_of_the_tests() -> None:
    final = (done(1), done(2), done(3))
    new = (done(7), done(8))
    assert [e.execution_id for e in retries.replaced(final, (1, 3), new)] == [7, 2, 8]
    one = (done(9),)
    assert [e.execution_id for e in retries.replaced(final, (2, 3), one)] == [1, 9]
    assert [e.execution_id for e in retries.replaced(final, (), one)] == [1, 2, 3, 9]


# -- the loop, with the runner's side played by plain functions -----------------------------------


class Scripted:
    """Answers each trigger with the next scripted verdict (or raises the scripted error)."""

    def __init__(self, *answers: RunResult | Exception, time_left: float = 60.0) -> None:
        self.answers = list(answers)
        self.sent: list[RunSettings] = []
        self.warnings: list[str] = []
        self.said: list[str] = []
        self.left = time_left
        self.current: RunResult | None = None
        self.now = 0.0  # the clock: each wait takes ``took`` seconds of it
        self.took = 0.0

    def trigger(self, run: RunSettings) -> TriggerResult:
        self.sent.append(run)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        self.current = answer
        return TriggerResult(answer.execution_ids)

    def wait(self, ids: tuple[int, ...], names: tuple[str, ...]) -> RunResult:
        assert self.current is not None and self.current.execution_ids == ids
        self.now += self.took
        return replace(self.current, test_names=names)

    def loop(self) -> retry_loop.Loop:
        return retry_loop.Loop(
            trigger=self.trigger,
            wait=self.wait,
            warn=self.warnings.append,
            say=self.said.append,
            time_left=lambda: self.left,
            cancelled=lambda: False,
            clock=lambda: self.now,
            began=0.0,
        )


def test_a_whole_run_that_passes_on_the_retry_is_flaky() -> None:
    run = RunSettings(suite_id=5, retry_failed=2, retry_failed_whole=True)
    first = verdict(done(1, tests=2, passed=1))
    script = Scripted(verdict(done(2, tests=2, passed=2)))
    result = retry_loop.retry_failed(first, run, script.loop())
    assert (result.result, result.exit_code, result.flaky, result.flaky_tests) == (
        "passed",
        0,
        1,
        (),
    )
    assert [a.scope for a in result.attempts] == [Scope.FIRST, Scope.WHOLE_RUN]
    assert result.execution_ids == (2,)
    assert result.message is not None and "after 1 retry; 1 flaky" in result.message
    assert len(script.sent) == 1 and script.warnings == [
        "1 flaky test(s), failed and then passed on a retry"
    ]


def test_a_consistent_failure_is_retried_n_times() -> None:
    run = RunSettings(suite_id=2, retry_failed=2, retry_failed_whole=True)
    first = verdict(done(1, tests=4, passed=3))
    script = Scripted(verdict(done(2, tests=4, passed=3)), verdict(done(3, tests=4, passed=3)))
    result = retry_loop.retry_failed(first, run, script.loop())
    assert (result.result, result.exit_code, result.flaky) == ("failed", 1, 0)
    assert len(result.attempts) == 3 and len(script.sent) == 2
    assert result.message is not None and result.message.endswith("after 2 retries")


@pytest.mark.parametrize(
    "error", [TriggerUncertain("run-suite: no answer"), ServiceRefused("run-suite: refused")]
)
def test_a_failed_retry_trigger_is_not_repeated(error: Exception) -> None:
    run = RunSettings(suite_id=2, retry_failed=3, retry_failed_whole=True)
    first = verdict(done(1, tests=4, passed=3))
    script = Scripted(error, verdict(done(3)))
    result = retry_loop.retry_failed(first, run, script.loop())
    assert len(script.sent) == 1
    assert (result.result, result.exit_code) == ("failed", 1)
    assert result.attempts[-1].result == "error" and result.attempts[-1].executions == ()
    assert result.execution_ids == (1,)
    assert any("not retried again" in w for w in script.warnings)


def test_no_retry_without_time_left() -> None:
    run = RunSettings(suite_id=2, retry_failed=1, retry_failed_whole=True)
    first = verdict(done(1, tests=4, passed=3))
    script = Scripted(verdict(done(2)), time_left=0.0)
    result = retry_loop.retry_failed(first, run, script.loop())
    assert result is first and script.sent == []
    assert script.warnings == ["retry 1 not started: no time left before --timeout"]


def test_no_retry_when_the_time_left_is_shorter_than_the_last_attempt() -> None:
    """Triggered with less time left than the attempt before took, a retry would most likely
    be billed, then stopped at the deadline (exit 4 instead of 1): not triggered."""
    run = RunSettings(suite_id=2, retry_failed=2, retry_failed_whole=True)
    first = verdict(done(1, tests=4, passed=3))
    script = Scripted(verdict(done(2)), time_left=12.0)
    script.now = 40.0  # the first attempt: triggered at 0, its wait ended at 40
    result = retry_loop.retry_failed(first, run, script.loop())
    assert result is first and script.sent == []
    assert (result.result, result.exit_code) == ("failed", 1)
    assert script.warnings == [
        "retry 1 not started: 12 s left of --timeout, the last attempt took 40 s; "
        "the failures stand"
    ]
    # The retry's own time counts for the next one: 3.0 s left, the first retry took 4.5 s.
    script = Scripted(verdict(done(2, tests=4, passed=3)), verdict(done(3)))
    script.left, script.now, script.took = 3.0, 2.0, 4.5
    result = retry_loop.retry_failed(first, run, script.loop())
    assert len(script.sent) == 1 and len(result.attempts) == 2
    assert (result.result, result.exit_code) == ("failed", 1)
    assert script.warnings[-1].startswith("retry 2 not started: 3.0 s left of --timeout, the last ")
    assert "took 4.5 s" in script.warnings[-1]


def test_a_retry_that_times_out_keeps_the_failures_under_no_fail_on_timeout() -> None:
    run = RunSettings(suite_id=2, retry_failed=1, retry_failed_whole=True)
    first = verdict(done(1, tests=4, passed=3))
    unfinished = execution(2, "running", failed=4, interrupted=Interrupted.TIMEOUT)
    timed_out = decide(
        (unfinished,),
        interrupted=Interrupted.TIMEOUT,
        error=None,
        fail_on_timeout=False,
        signal_code=0,
    )
    assert timed_out.exit_code == 0  # alone, --no-fail-on-timeout would pass it
    script = Scripted(timed_out)
    result = retry_loop.retry_failed(first, run, script.loop())
    assert (result.result, result.exit_code) == ("failed", 1)
    assert result.message is not None and result.message.startswith("retry 1: timed out")
    assert result.message.endswith("the failures before it stand")


# -- verdict: thresholds and flaky ----------------------------------------------------------------


def checkout(**extra: Any) -> RunResult:
    return verdict(done(1, tests=4, passed=3), **extra)


@pytest.mark.parametrize(
    ("max_failures", "rate", "code", "sentence"),
    [
        (None, None, 1, ""),
        (1, None, 0, "1 failed, within --max-failures 1"),
        (0, None, 1, "1 failed, above --max-failures 0"),
        (None, 75.0, 0, "75% passed, at least --min-pass-rate 75"),
        (None, 75.5, 1, "75% passed, below --min-pass-rate 75.5"),
        (3, 50.0, 0, "1 failed, within --max-failures 3; 75% passed, at least --min-pass-rate 50"),
    ],
)
def test_thresholds(max_failures: int | None, rate: float | None, code: int, sentence: str) -> None:
    result = with_thresholds(checkout(), max_failures=max_failures, min_pass_rate=rate)
    assert (result.exit_code, result.threshold) == (code, sentence)
    if code == 0:
        assert result.result == "passed" and result.error_code == "none"
        assert result.message == f"3 of 4 test(s) passed; {sentence}"


def test_a_threshold_that_passes_a_retried_run_keeps_the_retries_and_flaky_tests() -> None:
    run = guided("a", "b", "c", retry_failed=2)
    first = verdict(done(1), done(2, passed=0), done(3, passed=0), names=("a", "b", "c"))
    script = Scripted(
        verdict(done(4), done(5, passed=0), names=("b", "c")),
        verdict(done(6, passed=0), names=("c",)),
    )
    merged = retry_loop.retry_failed(first, run, script.loop())
    assert merged.message is not None and merged.message.endswith("after 2 retries")
    result = with_thresholds(merged, max_failures=1, min_pass_rate=None)
    assert result.exit_code == 0
    assert result.message == (
        "2 of 3 test(s) passed after 2 retries; 1 flaky (failed, then passed on a retry): b; "
        "1 failed, within --max-failures 1"
    )


def test_thresholds_count_tests_not_done_as_not_passed() -> None:
    skipped = ExecutionResult(1, ExecutionStatus(1, "done", tests=4, done=3, passed=3))
    result = with_thresholds(verdict(skipped), max_failures=1, min_pass_rate=None)
    assert result.threshold == "1 failed or not done, within --max-failures 1"


def test_thresholds_never_excuse_an_ended_execution_or_a_timeout() -> None:
    ended = verdict(execution(1, "error", passed=3, failed=1))
    result = with_thresholds(ended, max_failures=10, min_pass_rate=0)
    assert result.exit_code == 1 and result.threshold.startswith("thresholds not applied")
    stuck = execution(1, "running", failed=4, interrupted=Interrupted.TIMEOUT)
    timeout = decide(
        (stuck,), interrupted=Interrupted.TIMEOUT, error=None, fail_on_timeout=True, signal_code=0
    )
    assert with_thresholds(timeout, max_failures=10, min_pass_rate=0) is timeout
    passed = verdict(done(1))
    assert with_thresholds(passed, max_failures=0, min_pass_rate=100) is passed


def test_with_flaky_names_them_on_a_pass_only() -> None:
    passed = with_flaky(verdict(done(1)), 2, ["a", "b"])
    assert passed.flaky == 2 and passed.flaky_tests == ("a", "b")
    assert passed.message is not None and passed.message.endswith("on a retry): a, b")
    failed = with_flaky(checkout(), 1, ["a"])
    assert failed.message == checkout().message and failed.flaky == 1
    assert with_flaky(checkout(), 0, []) == checkout()


# -- the option parsers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("retry_failed", "0", 0),
        ("retry_failed", " +3 ", 3),
        ("retry_failed", "10", 10),
        ("max_failures", "0", 0),
        ("max_failures", "250", 250),
        ("min_pass_rate", "0", 0.0),
        ("min_pass_rate", "99.5", 99.5),
        ("min_pass_rate", "80%", 80.0),
        ("min_pass_rate", "100", 100.0),
        ("retry_failed_whole", "yes", True),
    ],
)
def test_parsers(name: str, raw: str, value: object) -> None:
    assert option(name).parse(raw, "X") == value


@pytest.mark.parametrize(
    ("name", "raw", "needle"),
    [
        ("retry_failed", "-1", "expected a whole number"),
        ("retry_failed", "1.0", "expected a whole number"),
        ("retry_failed", "11", "at most 10"),
        ("retry_failed", True, "expected a whole number"),
        ("max_failures", "", "expected a whole number"),
        ("max_failures", "9999999", "at most 1000000"),
        ("min_pass_rate", "-0.1", "from 0 to 100"),
        ("min_pass_rate", "inf", "from 0 to 100"),
        ("min_pass_rate", "half", "expected a percentage"),
    ],
)
def test_parser_errors(name: str, raw: object, needle: str) -> None:
    with pytest.raises(InputError, match=r"^X: ") as caught:
        option(name).parse(raw, "X")
    assert needle in str(caught.value) and "\n" not in str(caught.value)


# -- what the reports say about attempts ----------------------------------------------------------


def retried() -> RunResult:
    run = guided("home", "search", retry_failed=1)
    first = verdict(done(1), done(2, passed=0), names=run.test_names)
    script = Scripted(verdict(done(3), names=("search",)))
    result = retry_loop.retry_failed(first, run, script.loop())
    assert result.flaky_tests == ("search",) and result.execution_ids == (1, 3)
    return result


def test_attempts_count_the_runs_started_not_the_triggers_refused() -> None:
    from vibetesting_ci.domain.report import attempts_said
    from vibetesting_ci.render.comment import render

    run = RunSettings(suite_id=2, retry_failed=3, retry_failed_whole=True)
    first = verdict(done(1, tests=4, passed=3))
    script = Scripted(verdict(done(2, tests=4, passed=3)), TriggerUncertain("run-suite: no answer"))
    result = retry_loop.retry_failed(first, run, script.loop())
    assert len(result.attempts) == 3 and result.runs_started == 2
    said = attempts_said(result)
    assert said.startswith("3 (2 runs started, each billed; 1 retry trigger that started no ")
    assert f"Attempts: {said}, the last of the whole run" in render(build_report(result), key="k")
    assert attempts_said(retried()) == "2 (each a billed run)"
    assert first.runs_started == 1  # not retried: the one run


def test_the_comment_and_the_job_summary_show_attempts_and_flaky_tests() -> None:
    from vibetesting_ci.render.comment import render
    from vibetesting_ci.render.github import render_summary

    result = retried()
    comment = render(build_report(result), key="k")
    assert "Attempts: 2 (each a billed run), the last of the failed tests" in comment
    assert "**Flaky** (failed, then passed on a retry):\n\n- search" in comment
    assert '"flaky": 1' in comment  # the counts marker the next comment compares with
    summary = render_summary(build_report(result))
    assert "| 1 | home, search | 1, 2 | failed\\: 1 of 2 test\\(s\\) failed |" in summary
    assert "| 2 | search | 3 | passed\\: all 1 test\\(s\\) passed |" in summary
    assert "**Flaky** (1, failed, then passed on a retry): search" in summary


def test_junit_marks_the_retried_case_only() -> None:
    report = build_report(retried())
    assert (report.executions[0].attempt, report.executions[0].earlier) == (1, ())
    assert report.executions[1].attempt == 2
    assert [line.split(" ")[1] for line in report.executions[1].earlier] == ["1"]
    plain = build_report(verdict(done(1)))
    assert (plain.executions[0].attempt, plain.executions[0].earlier) == (0, ())


# -- what a retry's answer proves (retries.unproven) ----------------------------------------------


def test_a_whole_retry_may_count_other_flows_only_when_the_service_chooses_them() -> None:
    """An exploration without --flows-count: the service picks how many flows each run has, so
    a whole retry with fewer is no contradiction; with --flows-count, or for a suite, it is."""
    first = (done(1, tests=4, passed=3),)
    fewer = (done(2, tests=2, passed=2),)
    explore = RunSettings(execution_type="exploration")
    step = retries.Plan(Scope.WHOLE_RUN, explore, (), (1,))
    assert retries.unproven(step, first, fewer) is None
    fixed = retries.Plan(Scope.WHOLE_RUN, replace(explore, flows_count=4), (), (1,))
    assert (
        retries.unproven(fixed, first, fewer) == "it ran 2 test(s) where the run it repeats ran 4"
    )
    suite = retries.Plan(Scope.WHOLE_RUN, RunSettings(suite_id=7), (), (1,))
    assert retries.unproven(suite, first, fewer) is not None
    empty = (execution(2),)
    assert retries.unproven(step, first, empty) == "execution(s) 2 ran no test"
