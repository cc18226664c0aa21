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
      <testsuite name="<label>" tests failures errors skipped time timestamp url>
        <properties> execution_id, suite_name, state, report_url, ... </properties>
        <testcase classname="<label>" name="<test name or position>" time> [failure|error|skipped]
        <system-out> suite name, detailed status, report link </system-out>

- **Identity** (``domain/cases.py``): every case's ``classname`` and every ``<testsuite>``'s name
  are the run's label (``vibetesting.e2e/tests`` for ``--tests-file e2e/tests.yml``,
  ``vibetesting.suite_42`` for ``--suite-id 42``...), and names come from the test names or
  positions, never from execution ids, times or outcomes: GitLab keys a test by (testsuite
  name, classname, name), Jenkins and the test-report actions by (classname, name), so two runs
  of one configuration give the same identities. The execution id, the service's suite name,
  the state and the report link are in the properties, ``system-out`` and the failure text.
- One ``<testsuite>`` per execution; its cases are the report's (``labels.plan_cases``): they
  add up to the service's counts for it (a consumer that counts cases counts what the service
  counted), and carry a test's name only where its outcome is certain: each execution carries
  one test, the execution's outcome is uniform, or the service's detailed status names the
  failed tests (the text says the outcome came from it). Otherwise ``test 1``.. by position,
  the text listing the tests each may be. Names are unique in the file.
- Passed tests are plain cases, failed ones carry ``<failure>`` (``message`` attribute and text
  both hold ``detailed_status`` and the report link, since GitLab shows only the text), tests
  not done carry ``<error>`` when the execution did not finish (timeout, cancel) or ended in a
  state such as ``failed`` (``models.ENDED_STATES``), and ``<skipped>`` (always with text: an
  empty one reads as a pass to some readers) when the service reported it done without them.
- An execution whose final answer cannot establish the verdict, one done with no test (unless
  ``--allow-empty``), one with no status at all and one unfinished with no tests reported get an
  ``<error>`` per known test (or one ``execution status`` case); one that did not end ``done``
  (an ended state, a timeout, a cancel) with no failed or unfinished test gets an extra
  ``execution status`` error, so the test view is never green where the exit code is not.
- ``timestamp`` is the execution's ``start_time`` in the usual JUnit form
  ``YYYY-MM-DDTHH:MM:SS`` (converted to UTC when the service gives a zone), ``time`` is
  ``end_time - start_time`` with three fixed decimals (``0.000`` when unknown); every case has
  a ``time`` (the execution's when it is the only case, else ``0.000``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from datetime import UTC

from vibetesting_ci.domain.cases import Outcome, PlannedCase, Reason, Shape
from vibetesting_ci.domain.models import Interrupted, elapsed_ms, parse_time
from vibetesting_ci.domain.report import ExecutionReport, Report
from vibetesting_ci.safety.scrub import scrub
from vibetesting_ci.safety.text import Budget, one_line

ROOT_NAME = "VibeTesting"
START_CASE = "start the run"  # the one case of a run that never started
MESSAGE_LIMIT = 1000
# Service text per case and per file: a 2 MB detailed status on 1,000 failed tests must not
# write a 2 GB file. Each case carries at most CASE_DETAIL_LIMIT characters of it, the whole
# file at most DETAIL_BUDGET (then the cases point at the results file and the report).
CASE_DETAIL_LIMIT = 4000
DETAIL_BUDGET = 4 * 1024 * 1024
DETAIL_SYSTEM_OUT_LIMIT = 64 * 1024
BUDGET_NOTE = "(detailed status left out: the JUnit file's size cap; see the results file)"

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
    outcome: Outcome
    message: str = ""
    text: str = ""
    type: str = ""


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def _report_line(url: str) -> str:
    return f"Report: {url}" if url else ""


def _unfinished_reason(execution: ExecutionReport) -> str:
    state = execution.state or "unknown"
    eid = execution.execution_id
    if execution.ended:
        return f"Execution {eid} ended as {state!r} before this test was done."
    if execution.interrupted == Interrupted.TIMEOUT:
        why = "timed out waiting for it"
    elif execution.interrupted == Interrupted.CANCELLED:
        why = "the wait was cancelled"
    else:
        why = "it had not finished"
    stopped = "; vibetesting-ci asked the service to stop it" if execution.stopped else ""
    return f"Execution {eid} did not finish ({why}; state: {state}){stopped}."


def _error_type(execution: ExecutionReport) -> str:
    if execution.ended:
        return "ended"
    return execution.interrupted or "unfinished"


def _no_status_text(execution: ExecutionReport) -> str:
    if execution.interrupted == Interrupted.CANCELLED:
        why = "the wait was cancelled before its status was read"
    elif execution.interrupted == Interrupted.TIMEOUT:
        why = "the wait timed out before its status was read"
    else:
        why = "its status was never read"
    stopped = "; vibetesting-ci asked the service to stop it" if execution.stopped else ""
    return f"No status for execution {execution.execution_id}: {why}{stopped}."


def _message(detail: str, url: str, fallback: str) -> str:
    """One line for a ``message`` attribute: the detailed status (shortened) and the link."""
    line = " ".join((detail or fallback).split())
    if len(line) > MESSAGE_LIMIT:
        line = line[: MESSAGE_LIMIT - 3].rstrip() + "..."
    return f"{line} | {_report_line(url)}" if url else line


def _verdict_head(execution: ExecutionReport, reason: str) -> str:
    """Why an execution's answer gives no per-test outcome to show: counts that cannot be read,
    ``done`` with no test, an ended state with no test (or none failed), no tests yet, a wait
    that ended before it did with nothing failed in its counts."""
    eid = execution.execution_id
    if reason == Reason.UNREADABLE:
        assert execution.unreadable is not None
        return (
            f"The service's answer for execution {eid} cannot establish the verdict: "
            f"{execution.unreadable.describe()}."
        )
    if reason == Reason.EMPTY:
        return f"The service ran no test in execution {eid} (done, number_of_tests 0)."
    if reason == Reason.NO_TESTS_YET:
        return _unfinished_reason(execution) + " No tests were reported yet."
    if reason == Reason.UNCOUNTED:
        return (
            "The service's counts cover fewer tests than the run sent: the tests left out "
            "have no outcome."
        )
    if reason == Reason.UNFINISHED:
        return (
            _unfinished_reason(execution)
            + " Its counts so far show no failed test, but an execution that did not finish "
            "never passes."
        )
    if reason == Reason.ENDED and execution.total:
        return (
            f"Execution {eid} ended as {execution.state!r}; its counts show no failed test, but "
            "an ended execution never passes."
        )
    return f"Execution {eid} ended as {execution.state!r} without reporting any test."


_SAID = {
    Outcome.PASSED: "passed",
    Outcome.FAILED: "failed",
    Outcome.ERROR: "did not finish",
    Outcome.SKIPPED: "was not run",
}


def _counts_line(execution: ExecutionReport) -> str:
    counts = execution.counts
    parts = [f"{counts.passed} passed", f"{counts.failed} failed"]
    if counts.not_done:
        parts.append(f"{counts.not_done} {'not run' if execution.is_done else 'unfinished'}")
    return f"{execution.total} tests: " + ", ".join(parts)


def _how_known(execution: ExecutionReport, planned: PlannedCase) -> str:
    """How the case's outcome is known, when it is not simply its own test's."""
    if planned.shape == Shape.ATTRIBUTED:
        return (
            "The outcome comes from the service's detailed status, which names the failed "
            f"test(s) ({_counts_line(execution)})."
        )
    if planned.shape != Shape.COUNTS:
        return ""
    said = (
        f"The service reports counts ({_counts_line(execution)}), not which test "
        f"{_SAID[planned.outcome]}: cases are numbered by position."
    )
    if planned.may_be:
        shown = planned.may_be[:20]
        more = f" and {len(planned.may_be) - 20} more" if len(planned.may_be) > 20 else ""
        said += " This case is one of: " + "; ".join(shown) + more + "."
    return said + " See the report."


def _planned_case(execution: ExecutionReport, planned: PlannedCase, budget: Budget) -> _Case:
    """The JUnit case for one planned case: its failure/error/skipped text says what is known
    (the outcome is this test's own, the detailed status named it, or only the execution's
    counts are known)."""
    if not execution.status_read:
        text = _no_status_text(execution)
        return _Case(planned.name, Outcome.ERROR, text, text, _error_type(execution))
    url = execution.report_url
    detail = execution.detailed_status.strip()
    if planned.reason:
        head = _verdict_head(execution, planned.reason)
        if (
            planned.outcome == Outcome.SKIPPED
        ):  # --allow-empty: tests known, none run, not a failure
            return _Case(planned.name, Outcome.SKIPPED, head, _join(head, _report_line(url)))
        kind = (
            _error_type(execution)
            if planned.reason in (Reason.NO_TESTS_YET, Reason.UNFINISHED)
            else planned.reason
        )
        text = _join(head, budget.take(detail, CASE_DETAIL_LIMIT), _report_line(url))
        return _Case(planned.name, Outcome.ERROR, _message(head, url, head), text, kind)
    how = _how_known(execution, planned)
    if planned.outcome == Outcome.PASSED:
        return _Case(planned.name, Outcome.PASSED, text=how)
    eid = execution.execution_id
    count = f" ({planned.count} tests)" if planned.count > 1 else ""
    if planned.outcome == Outcome.FAILED:
        head = (
            f"Test failed in VibeTesting execution {eid}.{count}"
            if planned.shape != Shape.COUNTS
            else f"{execution.counts.failed} of {execution.total} "
            f"tests failed in VibeTesting execution {eid}.{count}"
        )
        message = _message(detail, url, "Failed (no detailed status).")
        kind = "failed"
    elif planned.outcome == Outcome.ERROR:
        head = _unfinished_reason(execution) + count
        message = _message(detail, url, head)
        kind = _error_type(execution)
    else:
        head = (
            f"Execution {eid} ended (done) without running this test "
            f"({execution.counts.not_done} of {execution.total} tests not run).{count}"
        )
        message = _message(detail, url, head)
        kind = ""
    text = _join(head, how, budget.take(detail, CASE_DETAIL_LIMIT), _report_line(url))
    return _Case(planned.name, planned.outcome, message, text, kind)


# ---------------------------------------------------------------- XML


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text:
        element.text = xml_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    return element


def build_junit(report: Report) -> ET.Element:
    """The ``<testsuites>`` element for ``report`` (see the module docstring)."""
    root = ET.Element("testsuites", {"name": ROOT_NAME})
    budget = Budget(DETAIL_BUDGET, BUDGET_NOTE)
    totals = Counter[str]()
    total_ms = 0
    label = report.label
    for execution in report.executions:
        planned = execution.cases
        cases = [_planned_case(execution, p, budget) for p in planned]
        ms = execution.duration_ms or 0
        stamp = junit_timestamp(execution.start_time) if execution.start_time else None
        url = execution.report_url
        outcomes = Counter(c.outcome for c in cases)
        attrs = {
            # The label, not the service's suite name or an execution id: GitLab keys a test
            # by (testsuite name, classname, name), so all three must stay the same per run.
            "name": label,
            "tests": str(len(cases)),
            "failures": str(outcomes[Outcome.FAILED]),
            "errors": str(outcomes[Outcome.ERROR]),
            "skipped": str(outcomes[Outcome.SKIPPED]),
            "time": format_seconds(ms),
        }
        if stamp:
            attrs["timestamp"] = stamp
        if url:
            attrs["url"] = url
        suite = _sub(root, "testsuite", **attrs)

        properties = _sub(suite, "properties")
        counts = execution.counts
        props = {
            "execution_id": str(execution.execution_id),
            "suite_name": _one_line(execution.suite_name),
            "state": execution.state_word,
            "service_state": execution.state,
            "number_of_tests": "" if counts.tests is None else str(counts.tests),
            "passed": "" if counts.passed is None else str(counts.passed),
            "failed": "" if counts.failed is None else str(counts.failed),
            "not_done": "" if counts.not_done is None else str(counts.not_done),
            "start_time": execution.start_time,
            "end_time": execution.end_time,
            "report_url": url,
            "report_file": execution.report_file or "",
            "report_error": execution.report_error or "",
            "interrupted": execution.interrupted or "",
            "stopped": "true" if execution.stopped else "",
            "schedule_id": report.schedule_id or "",
            "target_url": report.target_url or "",
        }
        for name, value in props.items():
            if value:
                _sub(properties, "property", name=name, value=value)

        # Every case carries a time (Codecov's reader refuses a case without one): the
        # execution's when the case is all it ran, else 0.
        case_time = format_seconds(ms) if len(cases) == 1 else format_seconds(0)
        for case, plan in zip(cases, planned, strict=True):
            element = _sub(
                suite, "testcase", classname=plan.classname, name=case.name, time=case_time
            )
            if case.outcome == Outcome.PASSED:
                if case.text:  # a position case: the tests it may be
                    _sub(element, "system-out", case.text)
                continue
            detail = {"message": case.message}
            if case.type:
                detail["type"] = case.type
            tag = {Outcome.FAILED: "failure", Outcome.ERROR: "error", Outcome.SKIPPED: "skipped"}[
                case.outcome
            ]
            _sub(element, tag, case.text, **detail)

        out = []
        if execution.status_read:
            if execution.suite_name.strip():
                out.append(f"VibeTesting suite: {_one_line(execution.suite_name)}")
            out.append(budget.take(execution.detailed_status.strip(), DETAIL_SYSTEM_OUT_LIMIT))
            if url:
                out.append(f"Report: {url}")
            if execution.report_file:
                out.append(f"Report file: {execution.report_file}")
            listed = [n for n in report.test_names if n.strip()]
            if listed and not any(p.test is not None for p in planned):
                out.append("Tests in this run: " + "; ".join(listed))
        if execution.report_error:
            out.append(f"Report download failed: {execution.report_error}")
        if any(out):
            _sub(suite, "system-out", _join(*out))
        _mark_attempts(suite, properties, execution)

        totals.update(outcomes)
        totals["tests"] += len(cases)
        total_ms += ms

    if not report.executions and report.message and report.awaited:
        # The run never started (a refused or uncertain trigger, a cancel before any id was
        # known): one <error> case says why, so the CI's test view shows it, and a JUnit file
        # left by an earlier run in the same workspace is replaced rather than reported again.
        suite = _sub(
            root,
            "testsuite",
            name=label,
            tests="1",
            failures="0",
            errors="1",
            skipped="0",
            time=format_seconds(0),
        )
        element = _sub(suite, "testcase", classname=label, name=START_CASE, time=format_seconds(0))
        text = xml_text(_one_line(report.message))
        _sub(element, "error", text, message=text, type=report.result)
        totals[Outcome.ERROR] += 1
        totals["tests"] += 1

    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals[Outcome.FAILED]))
    root.set("errors", str(totals[Outcome.ERROR]))
    root.set("time", format_seconds(total_ms))
    return root


# ---------------------------------------------------------------- retries


def _mark_attempts(suite: ET.Element, properties: ET.Element, execution: ExecutionReport) -> None:
    """A retried test's cases keep their identity; their earlier attempts are recorded: a case
    that passed now (flaky) gets a ``<flakyFailure>`` per earlier attempt, one that still fails
    a ``<rerunFailure>`` (Surefire's elements, in junit-10.xsd), and each says so in its
    ``<system-out>``; the suite has the properties ``attempts`` and ``flaky``."""
    if not execution.earlier:
        return
    cases = suite.findall("testcase")
    lines = [_one_line(line) for line in execution.earlier]
    passed = all(c.find("failure") is None and c.find("error") is None for c in cases)
    _sub(properties, "property", name="attempts", value=str(execution.attempt))
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
            _join(
                *lines,
                f"attempt {execution.attempt} (execution {execution.execution_id}): {now}",
            ),
        )


def render_junit(report: Report) -> str:
    """The JUnit XML document for ``report``, as text (with an XML declaration)."""
    root = build_junit(report)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
