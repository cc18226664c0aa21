"""domain/cases.py: stable test identities (classname from the configuration, names by the rules of
issue 13), and which named tests failed (for retries)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.builders import done
from vibetesting_ci.config.labels import file_label, run_label
from vibetesting_ci.domain.cases import (
    FailedTests,
    Outcome,
    PlannedCase,
    Reason,
    Shape,
    attribute_failures,
    failed_tests,
    outcomes_by_test,
    plan_cases,
    unique_names,
)
from vibetesting_ci.domain.models import ExecutionResult, ExecutionStatus, RunResult
from vibetesting_ci.domain.report import FileKind, OutputFile, build_report

LABEL = "vibetesting.demo"


def names(plan: tuple[tuple[PlannedCase, ...], ...]) -> list[tuple[str, str]]:
    return [(c.name, c.outcome) for cases in plan for c in cases]


def identities(plan: tuple[tuple[PlannedCase, ...], ...]) -> set[tuple[str, str]]:
    return {(c.classname, c.name) for cases in plan for c in cases}


# ---------------------------------------------------------------- classname


def test_run_label_from_the_configuration_only() -> None:
    assert run_label(suite_id=42) == "vibetesting.suite_42"
    assert run_label(tests_file="e2e/vibetesting.yml") == "vibetesting.e2e/vibetesting"
    assert run_label(tests_file="./tests.v2.json") == "vibetesting.tests_v2"
    assert run_label(guided=True) == "vibetesting.tests"
    assert run_label(exploration=True) == "vibetesting.exploration"
    assert run_label() == "vibetesting"


def test_absolute_tests_file_does_not_carry_the_build_folder() -> None:
    # GitLab's build folder differs per runner: the label must not.
    assert (
        file_label("/builds/abc123/0/group/app/e2e/t.yml", "/builds/abc123/0/group/app") == "e2e/t"
    )
    assert file_label("/builds/xyz/1/group/app/e2e/t.yml", "/elsewhere") == "t"
    assert file_label(r"C:\work\app\e2e\t.yml", r"C:\work\app") == "e2e/t"
    assert file_label("../shared/t.yaml") == "shared/t"


# ---------------------------------------------------------------- rule 1: one test each


def test_one_test_per_execution_names_each_case_after_its_test() -> None:
    tests = ("teacher signup", "teacher wrong credentials [fail]")
    plan = plan_cases(LABEL, tests, [done(11, 1, 1, 0), done(12, 1, 0, 1)])
    assert names(plan) == [
        ("teacher signup", Outcome.PASSED),
        ("teacher wrong credentials [fail]", Outcome.FAILED),
    ]
    assert all(c.shape == Shape.PER_TEST and c.attributed for cases in plan for c in cases)
    assert [c.execution_id for cases in plan for c in cases] == [11, 12]
    assert {c.classname for cases in plan for c in cases} == {LABEL}


def test_identities_do_not_depend_on_ids_or_outcomes() -> None:
    tests = ("a", "b", "c")
    first = plan_cases(LABEL, tests, [done(1, 1, 1, 0), done(2, 1, 1, 0), done(3, 1, 1, 0)])
    second = plan_cases(LABEL, tests, [done(97, 1, 0, 1), done(98, 1, 1, 0), done(99, 1, 0, 1)])
    assert identities(first) == identities(second)
    assert names(second) == [("a", Outcome.FAILED), ("b", Outcome.PASSED), ("c", Outcome.FAILED)]


def test_an_execution_without_status_keeps_its_tests_name() -> None:
    plan = plan_cases(LABEL, ("a", "b"), [done(1, 1, 1, 0), ExecutionResult(2)])
    assert names(plan) == [("a", Outcome.PASSED), ("b", Outcome.ERROR)]
    assert plan[1][0].reason == Reason.NO_STATUS


# ---------------------------------------------------------------- rule 2 and 3: tests known


def test_uniform_execution_names_its_tests() -> None:
    plan = plan_cases(LABEL, ("a", "b"), [done(5, 2, 0, 2)])
    assert names(plan) == [("a", Outcome.FAILED), ("b", Outcome.FAILED)]
    assert plan[0][0].shape == Shape.NAMED and plan[0][0].attributed


def done_saying(eid: int, tests: int, passed: int, failed: int, said: str) -> ExecutionResult:
    execution = done(eid, tests, passed, failed)
    assert execution.status is not None
    return ExecutionResult(eid, replace(execution.status, detailed_status=said))


def test_mixed_execution_is_numbered_by_position_and_counts_as_the_service_did() -> None:
    tests = ("a", "b", "c")
    mixed = plan_cases(LABEL, tests, [done(6, 3, 2, 1)])
    assert names(mixed) == [
        ("test 1", Outcome.PASSED),
        ("test 2", Outcome.PASSED),
        ("test 3", Outcome.FAILED),
    ]
    assert all(c.shape == Shape.COUNTS and not c.attributed for c in mixed[0])
    assert mixed[0][0].may_be == tests


def test_the_detailed_status_attributes_the_failures() -> None:
    tests = ("login", "checkout", "search")
    said = "2 of 3 passed. Failed: checkout (the pay button never appeared)"
    plan = plan_cases(LABEL, tests, [done_saying(6, 3, 2, 1, said)])
    assert names(plan) == [
        ("login", Outcome.PASSED),
        ("checkout", Outcome.FAILED),
        ("search", Outcome.PASSED),
    ]
    assert all(c.shape == Shape.ATTRIBUTED and c.attributed for c in plan[0])
    assert failed_tests(plan) == FailedTests(("checkout",), (1,), True)


def test_attribution_needs_exactly_the_failed_count_of_whole_names() -> None:
    names_ = ("checkout", "checkout guest", "search")
    assert attribute_failures("Failed: checkout guest", names_, 1) is None  # one inside another
    assert attribute_failures("Failed: Checkout  Guest.", names_[1:], 1) == (0,)
    assert attribute_failures("Failed: checkouts", ("checkout",), 1) is None  # not whole
    assert attribute_failures("Passed: search. Failed: checkout", names_[::2], 1) is None
    assert attribute_failures("Failed: a", ("a", "a"), 1) is None  # two tests, one name
    assert attribute_failures("", ("a",), 1) is None
    assert attribute_failures("Failed: [fail] x", ("[fail] x", "y"), 1) == (0,)
    # Not attributed when some tests were not done: the others cannot be called passed.
    status = ExecutionStatus(6, "done", tests=3, done=2, passed=1, failed=1, detailed_status="a")
    plan = plan_cases(LABEL, ("a", "b", "c"), [ExecutionResult(6, status)])
    assert [c.shape for c in plan[0]] == [Shape.COUNTS] * 3


def test_mixed_with_unfinished_tests_is_by_position() -> None:
    status = ExecutionStatus(execution_id=6, state="running", tests=2, done=1, passed=1)
    plan = plan_cases(LABEL, ("a", "b"), [ExecutionResult(6, status, interrupted="timeout")])
    assert names(plan) == [("test 1", Outcome.PASSED), ("test 2", Outcome.ERROR)]
    assert plan[0][1].may_be == ("a", "b")


def test_an_unfinished_execution_with_everything_passed_is_never_all_green() -> None:
    status = ExecutionStatus(execution_id=6, state="running", tests=2, done=2, passed=2)
    plan = plan_cases(LABEL, ("a", "b"), [ExecutionResult(6, status, interrupted="timeout")])
    assert names(plan) == [
        ("a", Outcome.PASSED),
        ("b", Outcome.PASSED),
        ("execution status", Outcome.ERROR),
    ]
    assert plan[0][2].reason == Reason.UNFINISHED
    assert failed_tests(plan) == FailedTests((), (), True)


def test_skipped_tests_of_a_done_execution() -> None:
    plan = plan_cases(LABEL, ("a", "b"), [done(6, 2, 0, 0)])
    assert names(plan) == [("a", Outcome.SKIPPED), ("b", Outcome.SKIPPED)]


def test_counts_that_contradict_the_named_tests_fall_back_to_positions() -> None:
    plan = plan_cases(LABEL, ("a", "b"), [done(6, 3, 2, 1)])
    assert names(plan) == [
        ("test 1", Outcome.PASSED),
        ("test 2", Outcome.PASSED),
        ("test 3", Outcome.FAILED),
    ]
    assert all(c.shape == Shape.COUNTS for c in plan[0])


def test_unreadable_answer_keeps_the_names() -> None:
    plan = plan_cases(LABEL, ("a", "b"), [done(6, 0, 0, 0, unreadable=True)])
    assert names(plan) == [("a", Outcome.ERROR), ("b", Outcome.ERROR)]
    assert plan[0][0].reason == Reason.UNREADABLE


# ---------------------------------------------------------------- rule 4: counts only


def test_counts_only_names_by_position_not_outcome() -> None:
    first = plan_cases(LABEL, (), [done(1, 3, 3, 0)])
    second = plan_cases(LABEL, (), [done(2, 3, 1, 2)])
    assert identities(first) == identities(second) == {(LABEL, f"test {k}") for k in (1, 2, 3)}
    assert names(second) == [
        ("test 1", Outcome.PASSED),
        ("test 2", Outcome.FAILED),
        ("test 3", Outcome.FAILED),
    ]
    assert [c.position for c in second[0]] == [1, 2, 3]
    ended = plan_cases(LABEL, (), [done(2, 3, 1, 0, state="stopped")])
    assert [(c.name, c.position) for c in ended[0]] == [
        ("test 1", 1),
        ("test 2", 2),
        ("test 3", 3),
    ]


def test_several_executions_with_counts_only_are_told_apart_by_position() -> None:
    plan = plan_cases(LABEL, (), [done(1, 2, 2, 0), done(2, 1, 0, 1)])
    assert names(plan) == [
        ("execution 1 test 1", Outcome.PASSED),
        ("execution 1 test 2", Outcome.PASSED),
        ("execution 2 test 1", Outcome.FAILED),
    ]


def test_status_cases() -> None:
    assert names(plan_cases(LABEL, (), [ExecutionResult(1)])) == [
        ("execution status", Outcome.ERROR)
    ]
    empty = plan_cases(LABEL, (), [done(1, 0, 0, 0)])
    assert (
        names(empty) == [("execution status", Outcome.ERROR)] and empty[0][0].reason == Reason.EMPTY
    )
    assert plan_cases(LABEL, (), [done(1, 0, 0, 0)], allow_empty=True) == ((),)
    named_empty = plan_cases(LABEL, ("a",), [done(1, 0, 0, 0)], allow_empty=True)
    assert names(named_empty) == [("a", Outcome.SKIPPED)]
    ended = plan_cases(LABEL, (), [done(1, 2, 2, 0, state="stopped"), done(2, 1, 1, 0)])
    assert names(ended) == [
        ("execution 1 test 1", Outcome.PASSED),
        ("execution 1 test 2", Outcome.PASSED),
        ("execution 1 status", Outcome.ERROR),
        ("execution 2 test 1", Outcome.PASSED),
    ]
    assert ended[0][2].shape == Shape.STATUS and ended[0][2].reason == Reason.ENDED


def test_huge_counts_become_position_ranges() -> None:
    plan = plan_cases(LABEL, (), [done(1, 20_000, 19_990, 10)])
    assert names(plan) == [("tests 1-19990", Outcome.PASSED), ("tests 19991-20000", Outcome.FAILED)]
    assert [c.count for c in plan[0]] == [19_990, 10]
    one = plan_cases(LABEL, (), [done(1, 20_000, 19_999, 1)])
    assert names(one) == [("tests 1-19999", Outcome.PASSED), ("test 20000", Outcome.FAILED)]


# ---------------------------------------------------------------- uniqueness


def test_repeated_test_names_are_made_unique_deterministically() -> None:
    plan = plan_cases(LABEL, ("login", "login", "login (2)"), [done(1, 3, 3, 0)])
    assert [c.name for c in plan[0]] == ["login", "login (3)", "login (2)"]
    blank = plan_cases(LABEL, ("", "  \n"), [done(1, 2, 2, 0)])
    assert [c.name for c in blank[0]] == ["test 1", "test 2"]


@given(st.lists(st.sampled_from(["a", "a (2)", "b", "test 1", ""]), max_size=12))
def test_unique_names_are_unique_and_stable(raw: list[str]) -> None:
    result = unique_names(raw)
    assert len(set(result)) == len(result) == len(raw)
    assert result == unique_names(raw)


@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)), max_size=5),
    st.integers(0, 5),
)
def test_names_unique_in_every_plan(shapes: list[tuple[int, int, int]], n: int) -> None:
    executions = [
        done(i + 1, tests, min(p, tests), min(f, tests - min(p, tests)))
        for i, (tests, p, f) in enumerate(shapes)
    ]
    plan = plan_cases(LABEL, tuple(f"t{i % 3}" for i in range(n)), executions)
    flat = [c.name for cases in plan for c in cases]
    assert len(flat) == len(set(flat))
    # a pass is claimed only for tests whose counts prove it
    for execution, cases in zip(executions, plan, strict=True):
        assert execution.status is not None
        assert sum(c.outcome == Outcome.PASSED for c in cases) <= execution.status.passed


# ---------------------------------------------------------------- for retries


def failed(tests: tuple[str, ...], executions: list[ExecutionResult]) -> FailedTests:
    return failed_tests(plan_cases(LABEL, tests, executions))


def test_failed_tests_one_per_execution() -> None:
    tests = ("a", "b", "c")
    executions = [done(1, 1, 1, 0), done(2, 1, 0, 1), done(3, 1, 0, 1)]
    assert failed(tests, executions) == FailedTests(("b", "c"), (1, 2), True)
    assert outcomes_by_test(tests, executions) == (Outcome.PASSED, Outcome.FAILED, Outcome.FAILED)


def test_failed_tests_when_the_outcome_is_uniform() -> None:
    assert failed(("a", "b"), [done(1, 2, 0, 2)]).names == ("a", "b")
    assert failed(("a", "b"), [done(1, 2, 2, 0)]) == FailedTests()


def test_failed_tests_that_cannot_be_attributed() -> None:
    assert failed(("a", "b"), [done(1, 2, 1, 1)]) == FailedTests((), (), False)
    assert outcomes_by_test(("a", "b"), [done(1, 2, 1, 1)]) == (None, None)
    assert not failed(("a", "b"), [done(1, 3, 2, 1)]).complete
    assert not failed((), [done(1, 1, 0, 1)]).complete
    assert outcomes_by_test((), [done(1, 1, 0, 1)]) is None


def test_tests_not_done_are_failed_tests_too() -> None:
    executions = [done(1, 1, 0, 1), ExecutionResult(2)]
    assert failed(("a", "b"), executions) == FailedTests(("a", "b"), (0, 1), True)
    assert outcomes_by_test(("a", "b"), executions) == (Outcome.FAILED, Outcome.ERROR)


# ---------------------------------------------------------------- the run's label, from settings


def test_run_settings_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vibetesting_ci.config import settings, sources

    (tmp_path / "e2e").mkdir()
    (tmp_path / "e2e" / "t.yml").write_text("[{name: a, steps: go}]", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for path in ("e2e/t.yml", str(tmp_path / "e2e" / "t.yml")):
        run = settings.run_settings(sources.Raw({"tests_file": path}, {}))
        assert run.label == "vibetesting.e2e/t"
    inline = settings.run_settings(sources.Raw({"tests": "[{name: a, steps: go}]"}, {}))
    assert inline.label == "vibetesting.tests"
    suite = settings.run_settings(sources.Raw({"suite_id": "42"}, {}))
    assert suite.label == "vibetesting.suite_42"
    explore = settings.run_settings(sources.Raw({"execution_type": "exploration"}, {}))
    assert explore.label == "vibetesting.exploration"


# ---------------------------------------------------------------- the same labels everywhere


def _demo_result() -> RunResult:
    return RunResult(
        "failed",
        1,
        executions=(done(11, 1, 1, 0), done(12, 1, 0, 1)),
        test_names=("teacher signup", "teacher wrong credentials [fail]"),
        label="vibetesting.examples/tests",
    )


def test_every_report_names_the_tests_as_the_junit_does() -> None:
    from vibetesting_ci.render.comment import render
    from vibetesting_ci.render.console import Style, summary_lines
    from vibetesting_ci.render.dotenv import render_dotenv
    from vibetesting_ci.render.github import render_summary
    from vibetesting_ci.render.junit import render_junit
    from vibetesting_ci.render.results import render_results

    result = _demo_result()
    junit = render_junit(build_report(result))
    assert 'classname="vibetesting.examples/tests" name="teacher signup"' in junit
    results = render_results(build_report(result))
    assert results["label"] == "vibetesting.examples/tests"
    assert [c["name"] for e in results["executions"] for c in e["cases"]] == list(result.test_names)
    assert results["failed_tests"] == ["teacher wrong credentials [fail]"]
    assert results["cases_left_out"] == 0
    assert "FAILED_TESTS=teacher%20wrong%20credentials%20[fail]\n" in render_dotenv(
        build_report(result)
    )
    summary = render_summary(build_report(result, [OutputFile(FileKind.JUNIT, "j.xml")]))
    assert "**Tests** (JUnit classname `vibetesting.examples/tests`)" in summary
    assert "| teacher wrong credentials \\[fail\\] | **failed** | 12 |" in summary
    report = build_report(result)
    assert report.executions[1].problem == (
        "1 of 1 tests failed (failed: teacher wrong credentials [fail])"
    )
    assert report.executions[0].problem is None
    comment = render(build_report(result), key="k")
    assert "**Failed tests**" in comment and "teacher wrong credentials \\[fail\\]" in comment
    lines = summary_lines(build_report(result), Style(False))
    assert "tests (vibetesting.examples/tests):" in lines
    assert "  failed  teacher wrong credentials [fail]" in lines
    assert "  passed  teacher signup" in lines


def test_reports_when_only_counts_are_known() -> None:
    from vibetesting_ci.render.console import Style, summary_lines
    from vibetesting_ci.render.dotenv import render_dotenv
    from vibetesting_ci.render.github import render_summary
    from vibetesting_ci.render.results import render_results

    result = RunResult("failed", 1, executions=(done(5, 3, 2, 1),), label="vibetesting.suite_2")
    report = build_report(result)
    assert "numbered by position (`test 1`, ...)" in render_summary(build_report(result))
    assert render_results(build_report(result))["failed_tests"] == []
    assert "VIBETESTING_RESULT_FAILED_TESTS=\n" in render_dotenv(build_report(result))
    assert not any(line.startswith("tests (") for line in summary_lines(report, Style(False)))
    mixed = RunResult("failed", 1, executions=(done(5, 2, 1, 1),), test_names=("a", "b"), label="x")
    case = render_results(build_report(mixed))["executions"][0]["cases"][1]
    assert case == {
        "classname": "x",
        "name": "test 2",
        "outcome": "failed",
        "test": None,
        "attributed": False,
        "how": "counts",
        "may_be": ["a", "b"],
    }
    lines = summary_lines(build_report(mixed), Style(False))
    assert "  failed  test 2  (one of: a; b)" in lines


def test_results_cap_the_cases() -> None:
    from vibetesting_ci.render.results import MAX_CASES, render_results

    executions = tuple(done(i, 4000, 4000, 0) for i in range(1, 5))
    results = render_results(build_report(RunResult("passed", 0, executions=executions)))
    listed = [e["cases"] for e in results["executions"]]
    assert [len(c) if c is not None else None for c in listed] == [4000, 4000, None, None]
    assert results["cases_left_out"] == 8000 and MAX_CASES >= 8000


def test_describe_tests_names_at_most_ten() -> None:
    from vibetesting_ci.domain.cases import describe_tests

    tests = tuple(f"t{i}" for i in range(12))
    [cases] = plan_cases(LABEL, tests, [done(1, 12, 0, 12)])
    assert describe_tests(cases) == "failed: " + ", ".join(tests[:10]) + " and 2 more"
    [mixed] = plan_cases(LABEL, ("a", "b"), [done(1, 2, 1, 1)])
    assert describe_tests(mixed) == ""
    [counts] = plan_cases(LABEL, (), [done(1, 2, 1, 1)])
    assert describe_tests(counts) == ""
