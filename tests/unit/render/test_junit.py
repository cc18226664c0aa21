"""JUnit XML: valid against junit-10.xsd (unmodified), read back by junitparser, exact counts."""

from __future__ import annotations

import stat
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from junitparser import Error, Failure, JUnitXml, Skipped

import vibetesting_ci.render
from tests.support.builders import result as run
from tests.support.builders import status
from tests.support.properties import examples
from vibetesting_ci.domain.models import ExecutionResult, RunResult
from vibetesting_ci.domain.report import build_report
from vibetesting_ci.publish.files import write_junit
from vibetesting_ci.render.junit import (
    duration_ms,
    format_seconds,
    junit_timestamp,
    render_junit,
    xml_text,
)

XSD = Path(vibetesting_ci.render.__file__).with_name("junit-10.xsd")
SHARED_XSD = Path("/work/shared/spec/junit-10.xsd")


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


_SCHEMA = xmlschema.XMLSchema(str(XSD))


def check(result: RunResult) -> tuple[str, JUnitXml]:
    """Render, validate against the XSD, read back; assert names unique and totals right."""
    text = render_junit(build_report(result))
    _SCHEMA.validate(text)
    xml = JUnitXml.fromstring(text)
    keys = Counter()
    total = Counter()
    for suite in xml:
        outcomes = Counter()
        for case in suite:
            keys[(case.classname, case.name)] += 1  # unique in the file, not just the suite
            kinds = [type(r) for r in case.result]
            assert len(kinds) <= 1
            outcomes[kinds[0].__name__ if kinds else "passed"] += 1
        assert suite.tests == sum(outcomes.values())
        assert suite.failures == outcomes["Failure"]
        assert suite.errors == outcomes["Error"]
        assert suite.skipped == outcomes["Skipped"]
        total.update(outcomes)
    assert all(n == 1 for n in keys.values()), keys
    root = ET.fromstring(text.encode())
    assert root.tag == "testsuites"
    assert int(root.get("tests", "-1")) == sum(total.values())
    assert int(root.get("failures", "-1")) == total["Failure"]
    assert int(root.get("errors", "-1")) == total["Error"]
    return text, xml


def suites(xml: JUnitXml) -> list:
    return list(xml)


def outcome(case) -> str:
    return type(case.result[0]).__name__ if case.result else "passed"


def test_bundled_xsd_is_the_spec_copy() -> None:
    if not SHARED_XSD.exists():
        pytest.skip("shared spec folder not present")
    assert XSD.read_bytes() == SHARED_XSD.read_bytes()


def test_mixed_outcomes_generic_names() -> None:
    s = status(
        7,
        tests=5,
        passed=2,
        failed=2,
        suite="Checkout",
        detail="2 failed: cart empty",
        url="https://r.example/x.pdf?api-key=SECRET&v=1",
    )
    text, xml = check(replace(run(ExecutionResult(7, s)), label="vibetesting.suite_3"))
    [suite] = suites(xml)
    # Identity: the label, never the execution id or the service's suite name.
    assert suite.name == "vibetesting.suite_3"
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (5, 2, 0, 1)
    names = [c.name for c in suite]
    assert names == ["test 1", "test 2", "test 3", "test 4", "test 5"]  # by position
    assert [outcome(c) for c in suite] == ["passed", "passed", "Failure", "Failure", "Skipped"]
    assert {c.classname for c in suite} == {"vibetesting.suite_3"}
    failure = next(c for c in suite if c.result and isinstance(c.result[0], Failure)).result[0]
    for part in ("2 failed: cart empty", "https://r.example/x.pdf?api-key=***&v=***"):
        assert part in failure.message
        assert part in failure.text
    assert "not which test failed" in failure.text
    root = ET.fromstring(text.encode())
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["suite_name"] == "Checkout" and props["execution_id"] == "7"
    assert "SECRET" not in text


def test_all_passed_with_named_tests_and_duplicates() -> None:
    s = status(tests=3, passed=3, start="2026-03-01T10:00:00Z", end="2026-03-01T10:00:00.3Z")
    _, xml = check(run(ExecutionResult(1, s), names=("Login", "Login", "Search")))
    [suite] = suites(xml)
    assert [c.name for c in suite] == ["Login", "Login (2)", "Search"]
    assert all(outcome(c) == "passed" for c in suite)
    assert suite.name == "vibetesting"


def test_duplicate_suffix_never_collides_with_a_real_name() -> None:
    s = status(tests=3, passed=3)
    _, xml = check(run(ExecutionResult(1, s), names=("a", "a", "a (2)")))
    assert [c.name for c in suites(xml)[0]] == ["a", "a (3)", "a (2)"]


def test_all_failed_with_named_tests() -> None:
    s = status(tests=2, failed=2, detail="", url="https://r/1.pdf")
    _, xml = check(run(ExecutionResult(1, s), names=("one", "two")))
    [suite] = suites(xml)
    assert [c.name for c in suite] == ["one", "two"]
    for case in suite:
        [failure] = case.result
        assert isinstance(failure, Failure)
        assert failure.text and "https://r/1.pdf" in failure.text  # never an empty failure
        assert "https://r/1.pdf" in failure.message


def test_mixed_outcome_is_by_position_and_counts_as_the_service_did() -> None:
    mixed = status(1, tests=2, passed=1, failed=1)
    other_count = status(2, tests=3, passed=3)
    text, xml = check(
        run(ExecutionResult(1, mixed), ExecutionResult(2, other_count), names=("a", "b"))
    )
    first, second = suites(xml)
    assert [(c.name, outcome(c)) for c in first] == [
        ("execution 1 test 1", "passed"),
        ("execution 1 test 2", "Failure"),
    ]
    assert (first.tests, first.failures, first.errors) == (2, 1, 0)
    failure = list(first)[1].result[0]
    assert "not which test failed: cases are numbered by position" in failure.text
    assert "This case is one of: a; b." in failure.text
    # counts that do not match the named tests: by position
    assert [c.name for c in second] == [f"execution 2 test {k}" for k in (1, 2, 3)]
    assert "Tests in this run: a; b" in text


def test_failures_named_by_the_detailed_status_are_attributed() -> None:
    said = status(1, tests=3, passed=2, failed=1, detail="2 of 3 passed. Failed: checkout")
    _, xml = check(run(ExecutionResult(1, said), names=("login", "checkout", "search")))
    [suite] = suites(xml)
    assert [(c.name, outcome(c)) for c in suite] == [
        ("login", "passed"),
        ("checkout", "Failure"),
        ("search", "passed"),
    ]
    failure = list(suite)[1].result[0]
    assert "from the service's detailed status, which names the failed test" in failure.text


def test_one_test_per_execution_gets_its_own_name_and_outcome() -> None:
    a = status(1, tests=1, passed=1)
    b = status(2, tests=1, failed=1, detail="wrong password accepted")
    _, xml = check(run(ExecutionResult(1, a), ExecutionResult(2, b), names=("signup", "login")))
    cases = [(c.classname, c.name, outcome(c)) for s in suites(xml) for c in s]
    assert cases == [("vibetesting", "signup", "passed"), ("vibetesting", "login", "Failure")]
    failure = next(iter(suites(xml)[1])).result[0]
    assert failure.text.startswith("Test failed in VibeTesting execution 2.")
    assert "wrong password accepted" in failure.text


def test_timeout_gives_errors_named_when_all_unfinished() -> None:
    s = status(tests=2, state="running")
    result = run(ExecutionResult(1, s, interrupted="timeout", stopped=True), names=("x", "y"))
    _, xml = check(result)
    [suite] = suites(xml)
    assert [c.name for c in suite] == ["x", "y"]
    for case in suite:
        [error] = case.result
        assert isinstance(error, Error)
        assert error.type == "timeout"
        assert "timed out" in error.text and "stop" in error.text


def test_cancelled_partial_progress() -> None:
    s = status(tests=4, passed=1, failed=1, state="running")
    _, xml = check(run(ExecutionResult(1, s, interrupted="cancelled")))
    [suite] = suites(xml)
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (4, 1, 2, 0)
    assert [c.name for c in suite][-2:] == ["test 3", "test 4"]
    assert all(c.result[0].type == "cancelled" for c in suite if outcome(c) == "Error")


def test_done_with_missing_tests_are_skipped() -> None:
    s = status(tests=3, passed=1)
    _, xml = check(run(ExecutionResult(1, s)))
    [suite] = suites(xml)
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (3, 0, 0, 2)
    skipped = [c for c in suite if outcome(c) == "Skipped"]
    assert len(skipped) == 2 and all(isinstance(c.result[0], Skipped) for c in skipped)


def test_execution_without_status_gets_one_error() -> None:
    _text, xml = check(run(ExecutionResult(42, None, interrupted="cancelled")))
    [suite] = suites(xml)
    assert suite.name == "vibetesting"
    [case] = list(suite)
    assert case.name == "execution status"
    assert isinstance(case.result[0], Error)
    assert "42" in case.result[0].text


def test_unfinished_without_tests_still_reports_an_error() -> None:
    _, xml = check(run(ExecutionResult(5, status(5, "processing"), interrupted="timeout")))
    [suite] = suites(xml)
    assert (suite.tests, suite.errors) == (1, 1)


def test_done_without_tests_is_one_error_unless_allowed() -> None:
    _, xml = check(run(ExecutionResult(5, status(5, "done"))))
    [suite] = suites(xml)
    [case] = list(suite)
    assert case.name == "execution status" and "ran no test" in case.result[0].message
    allowed = RunResult("passed", 0, executions=(ExecutionResult(5, status(5, "done")),))
    _, xml = check(replace(allowed, allow_empty=True))
    [suite] = suites(xml)
    assert suite.tests == 0 and list(suite) == []


def test_no_executions_is_an_empty_valid_document() -> None:
    _text, xml = check(RunResult(result="triggered", exit_code=0))
    assert suites(xml) == []


def test_several_executions_share_the_label_and_stay_distinct() -> None:
    a = status(1, tests=1, passed=1, suite="Smoke")
    b = status(2, tests=1, failed=1, suite="Smoke")
    _, xml = check(run(ExecutionResult(1, a), ExecutionResult(2, b)))
    assert [s.name for s in suites(xml)] == ["vibetesting", "vibetesting"]
    assert [c.name for s in suites(xml) for c in s] == ["execution 1 test 1", "execution 2 test 1"]


def test_huge_counts_are_aggregated() -> None:
    s = status(tests=1_000_000, passed=999_999, failed=1)
    _, xml = check(run(ExecutionResult(1, s)))
    [suite] = suites(xml)
    assert [c.name for c in suite] == ["tests 1-999999", "test 1000000"]


def test_properties_and_timestamp() -> None:
    s = status(
        3,
        tests=1,
        passed=1,
        start="2026-03-01T12:00:00+02:00",
        end="2026-03-01T12:01:00.1+02:00",
        url="https://h/r.pdf?token=abc",
    )
    text, _ = check(run(ExecutionResult(3, s, report_file="out/r.pdf")))
    suite = ET.fromstring(text.encode()).find("testsuite")
    assert suite is not None
    assert suite.get("timestamp") == "2026-03-01T10:00:00"
    assert suite.get("time") == "60.100"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["execution_id"] == "3"
    assert props["state"] == "done"
    assert props["report_url"] == "https://h/r.pdf?token=***"
    assert props["report_file"] == "out/r.pdf"
    assert "abc" not in text


def test_times_have_no_float_noise() -> None:
    statuses = [
        status(i, tests=1, passed=1, start="2026-01-01T00:00:00", end=f"2026-01-01T00:00:00.{d}")
        for i, d in ((1, "1"), (2, "2"))
    ]
    text, _ = check(run(*(ExecutionResult(s.execution_id, s) for s in statuses)))
    root = ET.fromstring(text.encode())
    assert root.get("time") == "0.300"
    assert [s.get("time") for s in root.iter("testsuite")] == ["0.100", "0.200"]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("", "", 0),
        ("2026-01-01T00:00:00Z", "", 0),
        ("garbage", "2026-01-01T00:00:00Z", 0),
        ("2026-01-01T00:00:10Z", "2026-01-01T00:00:00Z", 0),  # end before start
        ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00", 0),  # aware vs naive
        ("2026-01-01 00:00:00", "2026-01-01 01:00:00.5", 3_600_500),
        ("1767225600", "1767225601.25", 1_250),  # Unix seconds
        ("1767225600000", "1767225602000", 2_000),  # Unix milliseconds
    ],
)
def test_duration(start: str, end: str, expected: int) -> None:
    assert duration_ms(start, end) == expected


def test_format_seconds_and_timestamp() -> None:
    assert format_seconds(0) == "0.000"
    assert format_seconds(3_600_005) == "3600.005"
    assert junit_timestamp("") is None
    assert junit_timestamp("nonsense") is None
    assert junit_timestamp("0001-01-01T00:00:00") == "0001-01-01T00:00:00"
    assert junit_timestamp("2026-05-01T08:30:00.123456Z") == "2026-05-01T08:30:00"


def test_xml_text_replaces_forbidden_characters() -> None:
    assert (
        xml_text("a\x00b\x1b\ufffe\uffff\ud800\x7f\x85c\t\n\r")
        == "a\ufffdb" + "\ufffd" * 6 + "c\t\n\r"
    )
    assert xml_text("é 日本 \U0001f600") == "é 日本 \U0001f600"


def test_write_junit_atomic_and_parents(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "junit.xml"
    write_junit(build_report(run(ExecutionResult(1, status(tests=1, passed=1)))), str(target))
    _SCHEMA.validate(str(target))
    assert [p.name for p in target.parent.iterdir()] == ["junit.xml"]
    plain = tmp_path / "plain"
    plain.write_text("x")  # what an ordinary open() gives under the current umask
    assert stat.S_IMODE(target.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


def test_write_junit_error_is_an_os_error(tmp_path: Path) -> None:
    (tmp_path / "junit.xml").mkdir()
    with pytest.raises(OSError):
        write_junit(build_report(run()), str(tmp_path / "junit.xml"))
    assert [p.name for p in tmp_path.iterdir()] == ["junit.xml"]  # no temp file left


# ---------------------------------------------------------------- any text at all

NASTY = st.sampled_from(
    ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\ufffe", "\uffff", "\ud800",
     "\udfff", "\ud83d", "\r", "\r\n", "\n", "\t", "]]>", "&", "<", ">", '"', "'", "&amp;",
     "\U0010ffff", "\ufdd0", " ", ""]
)  # fmt: skip
ANY_CHAR = st.characters(exclude_categories=())  # includes surrogates
ANY_TEXT = st.lists(st.one_of(NASTY, st.text(ANY_CHAR, max_size=8)), max_size=6).map("".join)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(ANY_TEXT, min_size=0, max_size=4),
    suite=ANY_TEXT,
    detail=ANY_TEXT,
    url=ANY_TEXT,
    start=ANY_TEXT,
    report_error=st.none() | ANY_TEXT,
    counts=st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)),
    state=st.sampled_from(["done", "running", "processing", "", "w\x00eird"]),
    interrupted=st.sampled_from([None, "timeout", "cancelled"]),
)
def test_any_unicode_gives_valid_xml(
    names: list[str],
    suite: str,
    detail: str,
    url: str,
    start: str,
    report_error: str | None,
    counts: tuple[int, int, int],
    state: str,
    interrupted: str | None,
) -> None:
    passed, failed, missing = counts
    s = status(
        9,
        state,
        tests=passed + failed + missing,
        passed=passed,
        failed=failed,
        suite=suite,
        detail=detail,
        start=start,
        end=start,
        url=url,
    )
    result = RunResult(
        result="failed",
        exit_code=1,
        executions=(
            ExecutionResult(9, s, interrupted=interrupted, report_error=report_error),
            ExecutionResult(10, None),
            ExecutionResult(11, s),  # same suite name and test names again
        ),
        test_names=tuple(names),
        message=detail,
    )
    text, xml = check(result)
    text.encode("utf-8")  # no lone surrogate survived
    assert len(suites(xml)) == 3
