"""JUnit XML for a run: one ``<testsuite>`` per execution, one ``<testcase>`` per test.

**Written by hand with the standard library's ``xml.etree.ElementTree``; the ``junit-xml``
package is not used.** junit-xml 1.9 is unmaintained and its output breaks the schema this file
must satisfy (``junit-10.xsd``, the one Jenkins' xUnit plugin validates against): it always adds
a ``disabled`` attribute the schema rejects, it writes summed times as raw floats
(``0.30000000000000004``) where the schema allows at most three decimals, an empty
``add_failure_info()`` writes no ``<failure>`` at all (the failed test shows as passed), and a
control character in a test name makes it crash. Adapting its output would have meant
re-parsing and rewriting most of it, so ElementTree builds the tree directly: it escapes ``&``,
``<``, ``>``, quotes and line breaks in attributes, and :func:`xml_text` first replaces every
character XML 1.0 forbids (C0/C1 controls other than tab and line breaks, lone surrogates,
U+FFFE, U+FFFF) with U+FFFD, so any text from the service gives well-formed, valid XML.

Shape (valid against ``junit-10.xsd`` unmodified)::

    <testsuites name="VibeTesting" tests=".." failures=".." errors=".." time="12.345">
      <testsuite name="<suite_name or 'VibeTesting execution <id>'>" tests failures errors
                 skipped time timestamp url>
        <properties> execution_id, state, report_url, ... </properties>
        <testcase classname="vibetesting.execution_<id>" name="..."> [failure|error|skipped]
        <system-out> detailed status, report link </system-out>

- ``tests`` is the execution's ``number_of_tests``; passed tests are plain cases, failed ones
  carry ``<failure>`` (``message`` attribute and text both hold ``detailed_status`` and the
  report link, since GitLab shows only the text), tests not done carry ``<error>`` when the
  execution did not finish (timeout, cancel) or ended in a state such as ``failed``
  (``models.ENDED_STATES``), and ``<skipped>`` when the service reported it done without them.
- An execution whose final answer cannot establish the verdict (``ExecutionStatus.unreadable``),
  one done with no test (unless ``RunResult.allow_empty``) and one in an ended state with no
  failed or unfinished test each get one ``<error>`` case saying why, so the test view is never
  green where the exit code is not.
- The service gives counts, not per-test results. When every test of an execution has the
  same outcome and the run named its tests (``RunResult.test_names``, as many as
  ``number_of_tests``), the cases carry those names (a repeated name gets `` (2)``, `` (3)``...).
  Otherwise they are named by outcome: ``passed test 1 of 10``, ``failed test 1 of 2``,
  ``unfinished test 1 of 3``, ``test not run 1 of 3``; the numbering is per outcome, so it does
  not claim to know *which* test failed. Names are unique per (suite, classname, name).
- An execution with no status at all (cancelled before the first poll) gets one ``<error>``
  case saying so; so does an unfinished execution that reported no tests yet.
- ``timestamp`` is the execution's ``start_time`` in the usual JUnit form
  ``YYYY-MM-DDTHH:MM:SS`` (converted to UTC when the service gives a zone), ``time`` is
  ``end_time - start_time`` with three fixed decimals (``0.000`` when unknown).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from datetime import UTC

from vibetesting_ci.models import (
    INTERRUPTED_CANCELLED,
    INTERRUPTED_TIMEOUT,
    Attempt,
    ExecutionResult,
    ExecutionStatus,
    RunResult,
    elapsed_ms,
    parse_time,
)
from vibetesting_ci.reports.atomic import atomic_write_text
from vibetesting_ci.reports.redact import redact_url
from vibetesting_ci.scrub import scrub
from vibetesting_ci.text import Budget, one_line

ROOT_NAME = "VibeTesting"
CLASSNAME = "vibetesting.execution_{id}"
# Above this many tests in one execution (a service answer gone wrong), each outcome becomes a
# single case carrying its count instead of one case per test.
MAX_CASES_PER_EXECUTION = 10_000
MESSAGE_LIMIT = 1000
# Service text per case and per file: a 2 MB detailed status on 1,000 failed tests must not
# write a 2 GB file. Each case carries at most CASE_DETAIL_LIMIT characters of it, the whole
# file at most DETAIL_BUDGET (then the cases point at the results file and the report).
CASE_DETAIL_LIMIT = 4000
DETAIL_BUDGET = 4 * 1024 * 1024
DETAIL_SYSTEM_OUT_LIMIT = 64 * 1024
BUDGET_NOTE = "(detailed status left out: the JUnit file's size cap; see the results file)"

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"

# Characters outside XML 1.0's Char production, plus DEL and the C1 controls (legal but
# "discouraged", and unreadable in every viewer).
_NOT_XML = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot carry replaced by U+FFFD (and any
    registered secret by ``***``)."""
    return _NOT_XML.sub("\ufffd", scrub(text))


def _one_line(text: str) -> str:
    return one_line(xml_text(text))


# ---------------------------------------------------------------- times


def junit_timestamp(value: str) -> str | None:
    """``start_time`` as ``YYYY-MM-DDTHH:MM:SS`` (UTC if the service gave a zone), or None."""
    moment = parse_time(value)
    if moment is None:
        return None
    try:
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (OverflowError, ValueError):
        return None
    return moment.isoformat(timespec="seconds")


def duration_ms(start: str, end: str) -> int:
    """Whole milliseconds from ``start`` to ``end``; 0 if either is unknown or they are odd."""
    return elapsed_ms(start, end) or 0


def format_seconds(ms: int) -> str:
    """Milliseconds as seconds with exactly three decimals: ``12345`` -> ``"12.345"``."""
    return f"{ms // 1000}.{ms % 1000:03d}"


# ---------------------------------------------------------------- cases


@dataclass(frozen=True, slots=True)
class _Case:
    name: str
    outcome: str  # PASSED / FAILED / ERROR / SKIPPED
    message: str = ""
    text: str = ""
    type: str = ""


def _unique(names: list[str]) -> list[str]:
    """Make names unique by adding `` (2)``, `` (3)``... to repeats (never clashing again)."""
    taken = set(names)
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


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def _report_line(url: str) -> str:
    return f"Report: {url}" if url else ""


def _unfinished_reason(execution: ExecutionResult, status: ExecutionStatus | None) -> str:
    state = (status.state if status else "") or "unknown"
    if status is not None and status.ended:
        return f"Execution {execution.execution_id} ended as {state!r} before this test was done."
    if execution.interrupted == INTERRUPTED_TIMEOUT:
        why = "timed out waiting for it"
    elif execution.interrupted == INTERRUPTED_CANCELLED:
        why = "the wait was cancelled"
    else:
        why = "it had not finished"
    stopped = "; vibetesting-ci asked the service to stop it" if execution.stopped else ""
    return f"Execution {execution.execution_id} did not finish ({why}; state: {state}){stopped}."


def _error_type(execution: ExecutionResult) -> str:
    if execution.status is not None and execution.status.ended:
        return "ended"
    return execution.interrupted or "unfinished"


def _no_status_case(execution: ExecutionResult) -> _Case:
    if execution.interrupted == INTERRUPTED_CANCELLED:
        why = "the wait was cancelled before its status was read"
    elif execution.interrupted == INTERRUPTED_TIMEOUT:
        why = "the wait timed out before its status was read"
    else:
        why = "its status was never read"
    stopped = "; vibetesting-ci asked the service to stop it" if execution.stopped else ""
    text = f"No status for execution {execution.execution_id}: {why}{stopped}."
    return _Case("execution status", ERROR, text, text, _error_type(execution))


def _message(detail: str, url: str, fallback: str) -> str:
    """One line for a ``message`` attribute: the detailed status (shortened) and the link."""
    line = " ".join((detail or fallback).split())
    if len(line) > MESSAGE_LIMIT:
        line = line[: MESSAGE_LIMIT - 3].rstrip() + "..."
    return f"{line} | {_report_line(url)}" if url else line


def _verdict_case(execution: ExecutionResult, status: ExecutionStatus, url: str, why: str) -> _Case:
    """One ``<error>`` case for an execution whose answer gives no per-test outcome to show:
    counts that cannot be read, ``done`` with no test, or an ended state with no test."""
    eid = execution.execution_id
    if why == "unreadable":
        assert status.problem is not None
        head = (
            f"The service's answer for execution {eid} cannot establish the verdict: "
            f"{status.problem.describe()}."
        )
    elif why == "empty":
        head = f"The service ran no test in execution {eid} (done, number_of_tests 0)."
    else:
        head = f"Execution {eid} ended as {status.state!r} without reporting any test."
    detail = status.detailed_status.strip()
    text = _join(head, detail, _report_line(url))
    return _Case("execution status", ERROR, _message(head, url, head), text, why)


def _cases(
    execution: ExecutionResult,
    status: ExecutionStatus,
    test_names: tuple[str, ...],
    allow_empty: bool = False,
    budget: Budget | None = None,
) -> tuple[list[_Case], bool]:
    """The cases of one execution, and whether they carry the run's test names. ``budget``
    caps the detailed status all cases of the file carry together."""
    eid = execution.execution_id
    url = redact_url(status.report_url)
    detail = status.detailed_status.strip()
    if status.unreadable:
        return [_verdict_case(execution, status, url, "unreadable")], False
    if budget is None:
        budget = Budget(DETAIL_BUDGET, BUDGET_NOTE)
    total = max(status.tests, status.passed + status.failed)
    not_done = total - status.passed - status.failed
    counts = {PASSED: status.passed, FAILED: status.failed, ERROR: 0, SKIPPED: 0}
    # Tests a done execution left out were skipped; those of an ended one (failed, stopped...)
    # or an unfinished one are errors.
    counts[SKIPPED if status.is_done else ERROR] = not_done
    unfinished = _unfinished_reason(execution, status)

    if total == 0:
        if status.is_done:
            return ([] if allow_empty else [_verdict_case(execution, status, url, "empty")]), False
        if status.ended:
            return [_verdict_case(execution, status, url, "ended")], False
        text = _join(unfinished + " No tests were reported yet.", detail, _report_line(url))
        return [
            _Case(
                "execution status",
                ERROR,
                _message(detail, url, unfinished),
                text,
                _error_type(execution),
            )
        ], False

    certain = next((o for o, n in counts.items() if n == total), None)
    names: list[str] | None = None
    if certain is not None and len(test_names) == total:
        names = _unique([_one_line(n) or f"test {i}" for i, n in enumerate(test_names, 1)])

    if names is not None:
        failure_head = f"Test failed in VibeTesting execution {eid}."
    else:
        failure_head = (
            f"{status.failed} of {total} tests failed in VibeTesting execution {eid}. The "
            "service reports counts, not which test failed: see the report."
        )
    skipped_head = (
        f"Execution {eid} ended (done) without running this test "
        f"({not_done} of {total} tests not run)."
    )
    kinds = {
        FAILED: (
            _message(detail, url, "Failed (no detailed status)."),
            failure_head,
            "failed",
        ),
        ERROR: (
            _message(detail, url, unfinished),
            unfinished,
            _error_type(execution),
        ),
        SKIPPED: (
            _message(detail, url, skipped_head),
            skipped_head,
            "",
        ),
    }

    def case(name: str, outcome: str) -> _Case:
        if outcome == PASSED:
            return _Case(name, PASSED)
        message, head, kind = kinds[outcome]
        text = _join(head, budget.take(detail, CASE_DETAIL_LIMIT), _report_line(url))
        return _Case(name, outcome, message, text, kind)

    # An ended execution never passes: when its counts show nothing wrong, one case says so.
    ended_case = (
        [_verdict_case(execution, status, url, "ended")]
        if status.ended and not (counts[FAILED] or counts[ERROR])
        else []
    )
    if names is not None and certain is not None:
        return [case(name, certain) for name in names] + ended_case, True
    labels = {
        PASSED: "passed test",
        FAILED: "failed test",
        ERROR: "unfinished test",
        SKIPPED: "test not run",
    }
    cases: list[_Case] = []
    for outcome in (PASSED, FAILED, ERROR, SKIPPED):
        n = counts[outcome]
        if n == 0:
            continue
        if total > MAX_CASES_PER_EXECUTION:
            cases.append(case(f"{labels[outcome]}s ({n} of {total})", outcome))
        else:
            cases.extend(case(f"{labels[outcome]} {i} of {n}", outcome) for i in range(1, n + 1))
    return cases + ended_case, False


# ---------------------------------------------------------------- XML


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text:
        element.text = xml_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    return element


def _suite_names(result: RunResult) -> list[str]:
    names = [
        _one_line(e.status.suite_name if e.status else "")
        or f"VibeTesting execution {e.execution_id}"
        for e in result.executions
    ]
    repeated = {n for n, k in Counter(names).items() if k > 1}
    return [
        f"{name} (execution {e.execution_id})" if name in repeated else name
        for name, e in zip(names, result.executions, strict=True)
    ]


def _count_text(status: ExecutionStatus | None, name: str) -> str:
    """A count for a property: empty (no property) when unknown or not held by the answer."""
    value = status.count(name) if status is not None else None
    return "" if value is None else str(value)


def build_junit(result: RunResult) -> ET.Element:
    """The ``<testsuites>`` element for ``result`` (see the module docstring)."""
    root = ET.Element("testsuites", {"name": ROOT_NAME})
    budget = Budget(DETAIL_BUDGET, BUDGET_NOTE)
    totals = Counter[str]()
    total_ms = 0
    for execution, suite_name in zip(result.executions, _suite_names(result), strict=True):
        status = execution.status
        named = False
        if status is None:
            cases = [_no_status_case(execution)]
            ms, stamp, url = 0, None, ""
        else:
            cases, named = _cases(execution, status, result.test_names, result.allow_empty, budget)
            ms = duration_ms(status.start_time, status.end_time)
            stamp = junit_timestamp(status.start_time)
            url = redact_url(status.report_url)
        outcomes = Counter(c.outcome for c in cases)
        attrs = {
            "name": suite_name,
            "tests": str(len(cases)),
            "failures": str(outcomes[FAILED]),
            "errors": str(outcomes[ERROR]),
            "skipped": str(outcomes[SKIPPED]),
            "time": format_seconds(ms),
        }
        if stamp:
            attrs["timestamp"] = stamp
        if url:
            attrs["url"] = url
        suite = _sub(root, "testsuite", **attrs)

        properties = _sub(suite, "properties")
        props = {
            "execution_id": str(execution.execution_id),
            "state": (status.state if status else "") or "unknown",
            "number_of_tests": _count_text(status, "tests"),
            "passed": _count_text(status, "passed"),
            "failed": _count_text(status, "failed"),
            "start_time": status.start_time if status else "",
            "end_time": status.end_time if status else "",
            "report_url": url,
            "report_file": execution.report_file or "",
            "report_error": execution.report_error or "",
            "interrupted": execution.interrupted or "",
            "stopped": "true" if execution.stopped else "",
            "schedule_id": result.schedule_id or "",
        }
        for name, value in props.items():
            if value:
                _sub(properties, "property", name=name, value=value)

        classname = CLASSNAME.format(id=execution.execution_id)
        case_time = format_seconds(ms) if len(cases) == 1 else None
        for case in cases:
            attrs = {"classname": classname, "name": case.name}
            if case_time is not None:
                attrs["time"] = case_time
            element = _sub(suite, "testcase", **attrs)
            if case.outcome == PASSED:
                continue
            detail = {"message": case.message}
            if case.type:
                detail["type"] = case.type
            tag = {FAILED: "failure", ERROR: "error", SKIPPED: "skipped"}[case.outcome]
            _sub(element, tag, case.text, **detail)

        out = []
        if status is not None:
            out.append(budget.take(status.detailed_status.strip(), DETAIL_SYSTEM_OUT_LIMIT))
            if url:
                out.append(f"Report: {url}")
            if execution.report_file:
                out.append(f"Report file: {execution.report_file}")
            listed = [_one_line(n) for n in result.test_names if n.strip()]
            if listed and not named:
                out.append("Tests in this run: " + "; ".join(listed))
        if execution.report_error:
            out.append(f"Report download failed: {execution.report_error}")
        if any(out):
            _sub(suite, "system-out", _join(*out))
        _mark_attempts(suite, properties, execution, result)

        totals.update(outcomes)
        totals["tests"] += len(cases)
        total_ms += ms

    if not result.executions and result.message:
        # The run never started (a refused or uncertain trigger, a cancel before any id was
        # known): one <error> case says why, so the CI's test view shows it, and a JUnit file
        # left by an earlier run in the same workspace is replaced rather than reported again.
        suite = _sub(
            root,
            "testsuite",
            name=ROOT_NAME,
            tests="1",
            failures="0",
            errors="1",
            skipped="0",
            time=format_seconds(0),
        )
        element = _sub(suite, "testcase", classname="vibetesting.run", name="start the run")
        text = xml_text(_one_line(result.message))
        _sub(element, "error", text, message=text, type=result.result)
        totals[ERROR] += 1
        totals["tests"] += 1

    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals[FAILED]))
    root.set("errors", str(totals[ERROR]))
    root.set("time", format_seconds(total_ms))
    return root


# ---------------------------------------------------------------- retries


def earlier_attempts(result: RunResult, execution: ExecutionResult) -> tuple[int, list[Attempt]]:
    """For an execution of a retried run (``--retry-failed``): the attempt it belongs to, and
    the earlier attempts that ran its tests (each of them failed them: only what fails is
    retried). ``(0, [])`` when the run was not retried or the execution is not in an attempt."""
    number = next(
        (a.number for a in result.attempts if execution.execution_id in a.execution_ids), 0
    )
    if number <= 1:
        return number, []
    attempt = result.attempts[number - 1]
    names = set(attempt.test_names)
    if attempt.test_names and len(attempt.executions) == len(attempt.test_names):
        names = {attempt.test_names[attempt.execution_ids.index(execution.execution_id)]}
    earlier = [
        a
        for a in result.attempts[: number - 1]
        if a.executions and (not names or not a.test_names or names & set(a.test_names))
    ]
    return number, earlier


def _attempt_line(attempt: Attempt) -> str:
    ids = ", ".join(map(str, attempt.execution_ids))
    what = f"{attempt.result}: {attempt.message}" if attempt.message else attempt.result
    return _one_line(f"attempt {attempt.number} (execution(s) {ids}): {what}")


def _mark_attempts(
    suite: ET.Element, properties: ET.Element, execution: ExecutionResult, result: RunResult
) -> None:
    """A retried test's cases keep their identity; their earlier attempts are recorded: a case
    that passed now (flaky) gets a ``<flakyFailure>`` per earlier attempt, one that still fails
    a ``<rerunFailure>`` (Surefire's elements, in junit-10.xsd), and each says so in its
    ``<system-out>``; the suite has the properties ``attempts`` and ``flaky``."""
    number, earlier = earlier_attempts(result, execution)
    if not earlier:
        return
    lines = [_attempt_line(a) for a in earlier]
    cases = suite.findall("testcase")
    passed = all(c.find("failure") is None and c.find("error") is None for c in cases)
    _sub(properties, "property", name="attempts", value=str(number))
    _sub(properties, "property", name="flaky", value="true" if passed else "false")
    for case in cases:
        ok = case.find("failure") is None and case.find("error") is None
        tag, kind = ("flakyFailure", "flaky") if ok else ("rerunFailure", "rerun")
        for line in lines:
            _sub(case, tag, line, message=line, type=kind)
        now = "passed" if ok else "failed again"
        _sub(
            case,
            "system-out",
            _join(*lines, f"attempt {number} (execution {execution.execution_id}): {now}"),
        )


def render_junit(result: RunResult) -> str:
    """The JUnit XML document for ``result``, as text (with an XML declaration)."""
    root = build_junit(result)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(result: RunResult, path: str) -> None:
    """Write the JUnit XML (UTF-8) to ``path`` atomically (parents created).

    Raises ``OSError`` if the file cannot be written; the old file, if any, is then kept.
    """
    atomic_write_text(path, render_junit(result))
