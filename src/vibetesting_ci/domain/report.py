"""The one report of a ``run`` or ``wait``: built once, rendered by every output.

After the verdict (and the retries, the thresholds and the report downloads), the runner calls
:func:`build_report` once. Everything an output says is worked out here and nowhere else:

- the verdict (``result``, exit code, ``error_code``, message): :class:`Verdict`;
- per execution (:class:`ExecutionReport`): its one state word (``done``, ``failed``,
  ``timed out (stopped)``... the same in the log, the summary, the comment and the results),
  the service's counts, the problem line (why it counts against the run, naming the tests that
  did not pass), the report link with every query value hidden, the service's texts with our
  secrets scrubbed, its planned cases (``labels.plan_cases``) and, for a retried run, what the
  earlier attempts said about it;
- the totals, the failed tests (``labels.failed_tests``: with whether the list is complete),
  the flaky tests, the attempts, the warnings and the files the run writes.

Every output (``reports.junit``, ``reports.results``, ``reports.dotenv``, ``summary``,
``ci.github``, ``ci.comment``) is a pure function of a :class:`Report`: it escapes for its own
format and works nothing out again. Writing and posting are separate steps (``runner``). A
late write failure changes only the verdict (:meth:`Report.after_write_failures`); the outputs
that carry it are rendered again. The scrubbers at each egress stay, as a net.

Pure: nothing here reads the network, files or the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from vibetesting_ci.domain import cases as labels
from vibetesting_ci.domain.cases import FailedTests, PlannedCase
from vibetesting_ci.domain.models import (
    Attempt,
    CountProblem,
    ExecutionResult,
    ExecutionStatus,
    Interrupted,
    Result,
    RunResult,
    Scope,
    elapsed_ms,
)
from vibetesting_ci.errors import ErrorCode, ExitCode
from vibetesting_ci.safety.redact import redact_url
from vibetesting_ci.safety.scrub import scrub
from vibetesting_ci.safety.text import one_line, xml_chars

# Service text in one problem line (annotations and log lines take it; the whole text stays
# in the JUnit and results files).
PROBLEM_TEXT_LIMIT = 1000


class FileKind(StrEnum):
    """The files a run writes, as every list of them names them."""

    JUNIT = "JUnit"
    REPORT = "report"
    RESULTS = "results"
    DOTENV = "dotenv"


@dataclass(frozen=True, slots=True)
class OutputFile:
    kind: FileKind
    path: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The part of the report a late write failure can change."""

    result: Result
    exit_code: int
    error_code: ErrorCode
    message: str


@dataclass(frozen=True, slots=True)
class Counts:
    """The service's counts for one execution (or in total); None where the answer held none."""

    tests: int | None = 0
    done: int | None = 0
    passed: int | None = 0
    failed: int | None = 0
    not_done: int | None = 0

    def shown(self, name: str) -> str:
        """A count as text for people: ``?`` where it is not known."""
        value: int | None = getattr(self, name)
        return "?" if value is None else str(value)


NO_COUNTS = Counts(None, None, None, None, None)


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """One execution as every output shows it."""

    execution_id: int
    state_word: str  # the one word for its state, in every output
    state: str  # the service's execution_state as it came ("" when none was read)
    counts: Counts
    problem: str | None  # why it counts against the run, one line; None when it does not
    troubled: bool  # it counts against the run (listed first where rows are few)
    suite_name: str = ""
    detailed_status: str = ""  # the service's whole text (scrubbed; at most 64 KiB)
    start_time: str = ""
    end_time: str = ""
    duration_ms: int | None = None
    report_url: str = ""  # every query and fragment value shown as *** (safety/redact.py)
    # The link shown is the service's own, nothing hidden: it opens the report. A link whose
    # key was hidden does not (the summary and the comment show the file instead).
    report_url_works: bool = False
    report_file: str | None = None
    report_error: str | None = None
    interrupted: Interrupted | None = None
    stopped: bool = False
    is_done: bool = False  # the service said ``done``
    ended: bool = False  # an ended state (failed, stopped...)
    finished: bool = False  # done or ended
    status_read: bool = False  # a status answer was read
    unreadable: CountProblem | None = None  # a final answer whose counts cannot be read
    total: int = 0  # tests its answer accounts for (labels' rule)
    warnings: tuple[str, ...] = ()
    cases: tuple[PlannedCase, ...] = ()
    attempt: int = 0  # the attempt it belongs to (0: the run was not retried)
    earlier: tuple[str, ...] = ()  # what the earlier attempts said of its tests, a line each


@dataclass(frozen=True, slots=True)
class AttemptReport:
    """One attempt of a retried run (``--retry-failed``)."""

    number: int
    scope: Scope
    test_names: tuple[str, ...]
    result: str
    message: str
    failed_tests: tuple[str, ...] | None
    executions: tuple[ExecutionReport, ...]

    @property
    def execution_ids(self) -> tuple[int, ...]:
        return tuple(e.execution_id for e in self.executions)


@dataclass(frozen=True, slots=True)
class Report:
    """Everything every output says about one ``run`` or ``wait`` (see the module docstring)."""

    verdict: Verdict
    label: str  # the tests' JUnit classname (a run from several files: of the unnamed cases)
    executions: tuple[ExecutionReport, ...] = ()
    totals: Counts = Counts()
    failed: FailedTests = field(default_factory=FailedTests)
    schedule_id: str | None = None
    test_names: tuple[str, ...] = ()  # the run's tests as their cases name them
    flaky: int = 0
    flaky_tests: tuple[str, ...] = ()
    attempts: tuple[AttemptReport, ...] = ()
    runs_started: int = 1
    attempts_said: str = ""  # "3 (each a billed run)", for people
    threshold: str = ""
    warnings: tuple[str, ...] = ()
    files: tuple[OutputFile, ...] = ()  # the files the run writes (or wrote), in order
    target_url: str | None = None  # where the run tested (--target-url), secrets as ***

    @property
    def result(self) -> Result:
        return self.verdict.result

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    @property
    def message(self) -> str:
        return self.verdict.message

    @property
    def execution_ids(self) -> tuple[int, ...]:
        return tuple(e.execution_id for e in self.executions)

    @property
    def awaited(self) -> bool:
        """The run was waited for (not scheduled, not ``--no-wait``)."""
        return self.result not in (Result.SCHEDULED, Result.TRIGGERED)

    @property
    def report_urls(self) -> tuple[str, ...]:
        return tuple(e.report_url for e in self.executions if e.report_url)

    @property
    def report_files(self) -> tuple[str, ...]:
        return tuple(e.report_file for e in self.executions if e.report_file)

    @property
    def cases(self) -> tuple[PlannedCase, ...]:
        return tuple(c for e in self.executions for c in e.cases)

    def file(self, kind: FileKind) -> str | None:
        """The path of the file of ``kind`` the run writes, if any (the first)."""
        return next((f.path for f in self.files if f.kind == kind), None)

    def after_write_failures(self, failures: Sequence[str], *, lost: Sequence[str] = ()) -> Report:
        """This report after files could not be written (``failures``: a line each; ``lost``:
        their paths, no longer listed as written). A pass or a fail becomes exit 2 with the
        first failure as its message; every other failure, and any on a verdict that stays (a
        timeout, an API error, a cancel), goes to the warnings, so the results file names them
        all. Everything else is unchanged."""
        if not failures and not lost:
            return self
        files = tuple(f for f in self.files if f.path not in set(lost))
        verdict, warnings = self.verdict, self.warnings
        rest = list(failures)
        if failures and verdict.exit_code in (ExitCode.OK, ExitCode.FAILED):
            verdict = Verdict(Result.ERROR, ExitCode.USAGE, ErrorCode.OUTPUT, scrub(failures[0]))
            rest = rest[1:]
        return replace(
            self,
            verdict=verdict,
            warnings=(*warnings, *(scrub(f) for f in rest)),
            files=files,
        )


# ---------------------------------------------------------------- building


def state_word(execution: ExecutionResult) -> str:
    """The one word every output gives an execution's state: how its wait ended (``timed
    out``, ``cancelled``), else the service's state (``done``, ``failed``...), ``unreadable``
    for a final answer whose counts cannot be read, ``unknown`` when none was read; with
    `` (stopped)`` when vibetesting-ci asked the service to stop it."""
    status = execution.status
    if execution.interrupted == Interrupted.TIMEOUT:
        word = "timed out"
    elif execution.interrupted == Interrupted.CANCELLED:
        word = "cancelled"
    elif status is None:
        word = "unknown"
    elif status.unreadable:
        word = "unreadable"
    else:
        # xml_chars: a state the JUnit XML could not carry reads the same in every output.
        word = xml_chars(one_line(scrub(status.state), 40)) or "unknown"
    return f"{word} (stopped)" if execution.stopped else word


def _counts(status: ExecutionStatus | None, interrupted: Interrupted | None) -> Counts:
    if status is None:
        return NO_COUNTS
    not_done: int | None = status.not_done
    if status.unreadable or not (status.finished or interrupted):
        not_done = None  # not a count yet (or not one to trust)
    return Counts(
        status.count("tests"),
        status.count("done"),
        status.count("passed"),
        status.count("failed"),
        not_done,
    )


def _problem(execution: ExecutionResult, cases: Sequence[PlannedCase]) -> str | None:
    """Why ``execution`` counts against the run, in one line (the tests that did not pass
    named by their case names); None when it does not."""
    status = execution.status
    if execution.interrupted == Interrupted.TIMEOUT:
        text = "timed out before it finished" + (" and was stopped" if execution.stopped else "")
    elif execution.interrupted == Interrupted.CANCELLED:
        text = "cancelled before it finished" + (" and was stopped" if execution.stopped else "")
    elif status is None:
        return None
    elif status.unreadable and status.problem is not None:
        return f"its answer cannot establish the verdict: {status.problem.describe()}"
    elif status.failed:
        text = f"{status.failed} of {status.tests} tests failed"
    elif status.finished and status.not_done:
        text = f"{status.not_done} of {status.tests} tests were not done"
    elif status.ended:
        text = f"it ended as {one_line(status.state, 40)!r}"
    elif status.is_done and status.tests == 0:
        text = "the service ran no test in it"
    else:
        return None
    named = labels.describe_tests(cases)
    if named:
        text += f" ({named})"
    if status is not None and status.detailed_status.strip():
        text += f": {one_line(status.detailed_status, PROBLEM_TEXT_LIMIT)}"
    return scrub(text)


def _troubled(execution: ExecutionResult) -> bool:
    s = execution.status
    return (
        s is None
        or not execution.finished
        or s.ended
        or s.unreadable
        or bool(s.failed or s.not_done)
    )


def _execution(
    execution: ExecutionResult,
    cases: tuple[PlannedCase, ...],
    *,
    allow_empty: bool,
    attempt: int = 0,
    earlier: tuple[str, ...] = (),
) -> ExecutionReport:
    status = execution.status
    problem = _problem(execution, cases)
    if problem is not None and status is not None and status.is_done and status.tests == 0:
        problem = None if allow_empty else problem
    if status is None:
        return ExecutionReport(
            execution.execution_id,
            state_word(execution),
            "",
            _counts(None, execution.interrupted),
            problem,
            _troubled(execution),
            report_file=execution.report_file,
            report_error=_scrubbed(execution.report_error),
            interrupted=execution.interrupted,
            stopped=execution.stopped,
            cases=cases,
            attempt=attempt,
            earlier=earlier,
        )
    shown_link = scrub(redact_url(status.report_url))
    return ExecutionReport(
        execution.execution_id,
        state_word(execution),
        scrub(status.state),
        _counts(status, execution.interrupted),
        problem,
        _troubled(execution),
        suite_name=scrub(status.suite_name),
        detailed_status=scrub(status.detailed_status),
        start_time=scrub(status.start_time),
        end_time=scrub(status.end_time),
        duration_ms=elapsed_ms(status.start_time, status.end_time),
        report_url=shown_link,
        report_url_works=bool(shown_link) and shown_link == status.report_url,
        report_file=execution.report_file,
        report_error=_scrubbed(execution.report_error),
        interrupted=execution.interrupted,
        stopped=execution.stopped,
        is_done=status.is_done,
        ended=status.ended,
        finished=status.finished,
        status_read=True,
        unreadable=status.problem if status.unreadable else None,
        total=status.total,
        warnings=tuple(scrub(w) for w in status.warnings),
        cases=cases,
        attempt=attempt,
        earlier=earlier,
    )


def _scrubbed(text: str | None) -> str | None:
    return None if text is None else scrub(text)


# ---------------------------------------------------------------- retried runs


def _own_tests(attempt: Attempt) -> dict[int, str]:
    """Execution id -> the one test of ``attempt`` it ran, where labels.assign_tests knows."""
    assigned = labels.assign_tests(attempt.test_names, attempt.executions)
    return {
        e.execution_id: attempt.test_names[tests[0]]
        for e, tests in zip(attempt.executions, assigned, strict=True)
        if tests is not None and len(tests) == 1
    }


def _attempt_line(attempt: Attempt, test: str | None) -> str:
    """What an earlier attempt said about one case: the test's own execution, its counts and
    report where each execution ran one test (``test`` among them), else the attempt's
    verdict."""
    if test is not None:
        tests = _own_tests(attempt)
        own = [e for e in attempt.executions if tests.get(e.execution_id) == test]
        if len(own) == 1 and own[0].status is not None:
            status = own[0].status
            what = "failed" if status.failed else f"not passed ({status.state})"
            url = redact_url(status.report_url)
            report = f"report {url}" if url else ""
            extra = "; ".join(d for d in (status.detailed_status, report) if d)
            head = f"attempt {attempt.number} (execution {own[0].execution_id}): {what}"
            return scrub(one_line(f"{head}: {extra}" if extra else head))
    ids = ", ".join(map(str, attempt.execution_ids))
    what = f"{attempt.result}: {attempt.message}" if attempt.message else attempt.result
    return scrub(one_line(f"attempt {attempt.number} (execution(s) {ids}): {what}"))


def _earlier(
    result: RunResult, execution: ExecutionResult, cases: Sequence[PlannedCase]
) -> tuple[int, tuple[str, ...]]:
    """For an execution of a retried run: the attempt it belongs to, and a line for each
    earlier attempt that ran its tests (each failed them: only what fails is retried).
    ``(0, ())`` when the run was not retried or the execution is in no attempt."""
    number = next(
        (a.number for a in result.attempts if execution.execution_id in a.execution_ids), 0
    )
    if number <= 1:
        return number, ()
    attempt = result.attempts[number - 1]
    names = set(attempt.test_names)
    own = _own_tests(attempt).get(execution.execution_id)
    if own is not None:
        names = {own}
    earlier = [
        a
        for a in result.attempts[: number - 1]
        if a.executions and (not names or not a.test_names or names & set(a.test_names))
    ]
    # The test as configured (attempts record the names sent), not its case name: two names
    # can show as one ('a  b' and 'a b' are both 'a b'; the second case is 'a b (2)').
    test = cases[0].test if len(cases) == 1 else None
    return number, tuple(_attempt_line(a, test) for a in earlier)


def _attempt(attempt: Attempt, allow_empty: bool) -> AttemptReport:
    return AttemptReport(
        attempt.number,
        attempt.scope,
        tuple(scrub(n) for n in attempt.test_names),
        attempt.result,
        scrub(attempt.message),
        None if attempt.failed_tests is None else tuple(scrub(n) for n in attempt.failed_tests),
        tuple(_execution(e, (), allow_empty=allow_empty) for e in attempt.executions),
    )


# ---------------------------------------------------------------- the report


def attempts_said(result: RunResult) -> str:
    """``3 (each a billed run)``, or, when a retry's trigger started no run known to the CLI
    (refused, its answer lost, or answered with an earlier attempt's executions), how many
    runs did start: ``3 (2 runs started, each billed; 1 retry trigger ...)``."""
    count, started = len(result.attempts), result.runs_started
    if started >= count:
        return f"{count} (each a billed run)"
    other = count - started
    return (
        f"{count} ({started} run{'s' if started != 1 else ''} started, each billed; {other} "
        f"retry trigger{'s' if other != 1 else ''} that started no known run: refused, "
        "unanswered or answered with earlier executions)"
    )


def build_report(result: RunResult, files: Sequence[OutputFile] = ()) -> Report:
    """The one report of ``result`` (see the module docstring). ``files``: the files the run
    is to write (JUnit, results, dotenv; the PDF reports come from the executions)."""
    plan = labels.plan_result(result)
    executions = []
    for execution, cases in zip(result.executions, plan, strict=True):
        attempt, earlier = _earlier(result, execution, cases) if result.attempts else (0, ())
        executions.append(
            _execution(
                execution,
                cases,
                allow_empty=result.allow_empty,
                attempt=attempt,
                earlier=earlier,
            )
        )
    # The totals add up the counts the rows show: a count an answer did not hold (``?``) adds
    # nothing, so the total row agrees with the rows above it.
    totals = Counts(
        **{
            name: sum(getattr(e.counts, name) or 0 for e in executions)
            for name in ("tests", "done", "passed", "failed", "not_done")
        }
    )
    reports = tuple(
        OutputFile(FileKind.REPORT, e.report_file) for e in result.executions if e.report_file
    )
    ordered = [*files]
    at = 1 if ordered and ordered[0].kind == FileKind.JUNIT else 0
    ordered[at:at] = reports
    return Report(
        verdict=Verdict(
            result.result, int(result.exit_code), result.error_code, scrub(result.message or "")
        ),
        label=labels.result_label(result),
        executions=tuple(executions),
        totals=totals,
        failed=labels.failed_tests(plan),
        schedule_id=_scrubbed(result.schedule_id),
        test_names=labels.test_labels(result.test_names),
        flaky=result.flaky,
        flaky_tests=tuple(scrub(n) for n in result.flaky_tests),
        attempts=tuple(_attempt(a, result.allow_empty) for a in result.attempts),
        runs_started=result.runs_started,
        attempts_said=attempts_said(result) if result.attempts else "",
        threshold=scrub(result.threshold),
        warnings=tuple(scrub(w) for w in result.warnings),
        files=tuple(ordered),
        target_url=_scrubbed(result.target_url),
    )
