"""One set of builders for the values tests need: statuses, executions, run results, attempts,
settings, service answers, CI environments, and the one report the golden renders are made of.

Pure: they build values of ``vibetesting_ci.domain`` and ``vibetesting_ci.config`` (and dicts)
and touch nothing else, but for ``secrets`` (the scrubber) and ``github_env`` (an event file).
The defaults are the smallest value that reads naturally (a done execution whose counts add up);
a test file whose cases share other defaults keeps a one-line ``partial`` of a builder, never a
copy of it.

    status(1, tests=3, passed=2, failed=1)      an ExecutionStatus (done = passed + failed)
    done(1, 3, 2, 1)                             an ExecutionResult of a done execution
    running(2, Interrupted.TIMEOUT)              one still running (4 tests, 1 done), interrupted
    result(done(1, 2, 2), result=Result.PASSED, exit_code=0)   a RunResult as given
    verdict(done(1, 2, 1), names=("a", "b"))     the RunResult ``verdict.decide`` gives
    guided("a", "b", retry_failed=1)             RunSettings of a guided run of those tests
    answer(number_of_failed_tests=...)           a service's status answer (a dict)
    with secrets(SAMPLE_SECRET): sample_report() the golden report
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from vibetesting_ci.config.merge import SourcedTest
from vibetesting_ci.config.settings import RunSettings
from vibetesting_ci.domain.models import (
    Attempt,
    CountProblem,
    ExecutionResult,
    ExecutionStatus,
    Interrupted,
    Result,
    RunResult,
    Scope,
)
from vibetesting_ci.domain.report import FileKind, OutputFile, Report, build_report
from vibetesting_ci.domain.verdict import decide
from vibetesting_ci.errors import ApiError
from vibetesting_ci.safety import scrub

START = "2026-04-04T02:00:00+00:00"
END = "2026-04-04T02:03:05+00:00"

# -- statuses and executions ---------------------------------------------------------------------


def status(
    eid: int = 1,
    state: str = "done",
    *,
    tests: int | None = None,
    done: int | None = None,
    passed: int = 0,
    failed: int = 0,
    suite: str = "",
    detail: str = "",
    start: str = "",
    end: str = "",
    url: str = "",
    warnings: tuple[str, ...] = (),
    unreadable: bool = False,
) -> ExecutionStatus:
    """One ``execution-status`` answer as the client keeps it. ``tests`` and ``done`` default
    to ``passed + failed``; ``unreadable`` gives it a count problem (``number_of_tests`` held
    null), as an answer whose counts cannot be read."""
    counted = passed + failed
    return ExecutionStatus(
        execution_id=eid,
        state=state,
        suite_name=suite,
        tests=counted if tests is None else tests,
        done=counted if done is None else done,
        passed=passed,
        failed=failed,
        detailed_status=detail,
        start_time=start,
        end_time=end,
        report_url=url,
        warnings=warnings,
        problem=CountProblem("number_of_tests", "null", "not a count") if unreadable else None,
    )


def execution(
    eid: int = 1,
    state: str = "done",
    *,
    interrupted: Interrupted | None = None,
    stopped: bool = False,
    report_file: str | None = None,
    report_error: str | None = None,
    of: tuple[int, ...] | None = None,
    **counts: Any,
) -> ExecutionResult:
    """An execution the wait saw in ``state``; ``counts`` and the other ``status`` fields go to
    its status (:func:`status`); ``of``: the run's tests it stands for (indexes)."""
    return ExecutionResult(
        eid,
        status(eid, state, **counts),
        interrupted=interrupted,
        stopped=stopped,
        report_file=report_file,
        report_error=report_error,
        tests=of,
    )


def unread(
    eid: int = 1, interrupted: Interrupted | None = None, *, stopped: bool = False
) -> ExecutionResult:
    """An execution whose status was never read (the wait ended first)."""
    return ExecutionResult(eid, None, interrupted=interrupted, stopped=stopped)


def done(
    eid: int = 1,
    tests: int = 1,
    passed: int | None = None,
    failed: int | None = None,
    **kw: Any,
) -> ExecutionResult:
    """A done execution with ``tests`` tests. Give ``passed`` or ``failed`` and the other is what
    is left of ``tests``; give neither and all passed; give both for counts that do not add up
    (``done`` then defaults to ``passed + failed``). Other keywords as :func:`execution`."""
    if passed is None:
        passed = tests - (failed or 0)
    if failed is None:
        failed = tests - passed
    return execution(eid, kw.pop("state", "done"), tests=tests, passed=passed, failed=failed, **kw)


def running(
    eid: int = 1,
    interrupted: Interrupted | None = None,
    *,
    tests: int = 4,
    done: int = 1,
    passed: int = 1,
    **kw: Any,
) -> ExecutionResult:
    """An execution still running (4 tests, 1 of them done and passed), maybe interrupted."""
    return execution(
        eid, "running", interrupted=interrupted, tests=tests, done=done, passed=passed, **kw
    )


# -- run results ---------------------------------------------------------------------------------


def result(
    *executions: ExecutionResult,
    result: Result = Result.FAILED,
    exit_code: int = 1,
    names: tuple[str, ...] = (),
    **fields: Any,
) -> RunResult:
    """A run result as given (no verdict computed): ``fields`` are the other ``RunResult``
    fields (``label``, ``message``, ``attempts``...)."""
    return RunResult(result, exit_code, executions=executions, test_names=names, **fields)


def verdict(
    *executions: ExecutionResult,
    names: tuple[str, ...] = (),
    interrupted: Interrupted | None = None,
    error: ApiError | None = None,
    fail_on_timeout: bool = True,
    signal_code: int = 0,
    allow_empty: bool = False,
) -> RunResult:
    """The run result ``verdict.decide`` gives on these executions."""
    return decide(
        executions,
        interrupted=interrupted,
        error=error,
        fail_on_timeout=fail_on_timeout,
        signal_code=signal_code,
        test_names=names,
        allow_empty=allow_empty,
    )


def attempt(
    run: RunResult, number: int = 1, scope: Scope = Scope.FIRST, names: tuple[str, ...] = ()
) -> Attempt:
    """``run`` as attempt ``number`` (scope ``first``: the run as asked for)."""
    return Attempt(number, scope, run.executions, names, run.result)


# -- settings ------------------------------------------------------------------------------------


def guided(*names: str, **settings: Any) -> RunSettings:
    """The settings of a guided run of tests ``names`` (each with the one step "do it")."""
    tests = tuple(SourcedTest(name=n, steps=("do it",)) for n in names)
    return RunSettings(execution_type="guided", tests=tests, **settings)


def guided_json(*names: str) -> str:
    """The same tests as ``--tests`` JSON."""
    return json.dumps([{"name": n, "steps": "do it"} for n in names])


# -- service answers (dicts, for the emulator's patches and the hostile services) --------------


def answer(**fields: Any) -> dict[str, Any]:
    """An ``execution-status`` answer: done, 2 of 2 passed, with ``fields`` over it (a value of
    ``...`` removes that key)."""
    body: dict[str, Any] = {
        "execution_state": "done",
        "number_of_tests": 2,
        "number_of_done_tests": 2,
        "number_of_passed_tests": 2,
        "number_of_failed_tests": 0,
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


def done_answer(tests: int, passed: int, failed: int, **extra: Any) -> dict[str, Any]:
    """A done answer with these counts and a detailed status that says them."""
    return answer(
        number_of_tests=tests,
        number_of_done_tests=passed + failed,
        number_of_passed_tests=passed,
        number_of_failed_tests=failed,
        detailed_status=f"{passed} passed, {failed} failed",
        **extra,
    )


# -- CI environments: a pull request on GitHub, a merge request on GitLab --------------------------

FORGE_TOKEN = "forge-token-s3cr3t"


def github_env(
    tmp_path: Path, url: str, number: int = 12, token: str = FORGE_TOKEN
) -> dict[str, str]:
    """The variables of a GitHub Actions job run for pull request ``number`` of octo/app, its
    API at ``url`` (writes the event file into ``tmp_path``)."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": number}}))
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": url,
        "GITHUB_REPOSITORY": "octo/app",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_WORKFLOW": "ci",
        "GITHUB_JOB": "e2e",
        "GITHUB_TOKEN": token,
    }


def gitlab_env(
    url: str, token_var: str = "GITLAB_TOKEN", token: str = FORGE_TOKEN
) -> dict[str, str]:
    """The variables of a GitLab CI job run for merge request !5 of group/app, its API at
    ``url``, the token in ``token_var``."""
    return {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": f"{url}/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_PROJECT_PATH": "group/app",
        "CI_MERGE_REQUEST_IID": "5",
        "CI_JOB_NAME": "vibetesting",
        token_var: token,
    }


# -- the report and its golden fixture -----------------------------------------------------------


@contextmanager
def secrets(*values: str) -> Iterator[None]:
    """The scrubber knows ``values`` (as the CLI registers its secrets before anything is read),
    and nothing else; it is emptied again after."""
    scrub.reset()
    scrub.register(*values)
    try:
        yield
    finally:
        scrub.reset()


# The golden fixture: a realistic failed run whose service text is hostile everywhere it can be.
SAMPLE_SECRET = "Registered-S3cret-Value"  # registered with the scrubber, echoed by the service
SAMPLE_SIGNED = "https://r.example/1.pdf?token=SECRET&sig=x"  # a signed report link
SAMPLE_HOSTILE = (
    "<img src=x onerror=alert(1)> <b>bold</b> @team :tada: www.evil.example "
    "[x](javascript:alert(1)) ![t](https://tracker.example/p.png) https://evil.example/x "
    f"::error::PWNED\x1b[2K\rX\n##[group]G {SAMPLE_SECRET}"
)
SAMPLE_NAMES = (
    "signup @team",  # 101: one test in its own execution
    "login <b>now</b>",  # 102: three tests, the failed one named by the detailed status
    "checkout :tada:",
    "search www.evil.example",
    "cart [x](javascript:alert(1))",  # 103: two tests, outcomes only by position
    "::error::profile",
    f"logout {SAMPLE_SECRET}",  # 104: timed out and stopped, its counts all passed
    "settings",  # 105: ended 'stopped'
    "admin",  # 106: an answer whose counts cannot be read
)
SAMPLE_LABEL = "vibetesting.e2e/tests"
SAMPLE_FILES = (
    OutputFile(FileKind.JUNIT, "vibetesting-junit.xml"),
    OutputFile(FileKind.RESULTS, "vibetesting-results.json"),
    OutputFile(FileKind.DOTENV, "vibetesting.env"),
)


def _sample_answer(
    state: Any, counts: tuple[Any, ...], detail: str, **extra: Any
) -> dict[str, Any]:
    tests, done_, passed, failed = counts
    return {
        "status": "success",
        "execution_state": state,
        "suite_name": "Guided run",
        "number_of_tests": tests,
        "number_of_done_tests": done_,
        "number_of_passed_tests": passed,
        "number_of_failed_tests": failed,
        "detailed_status": detail,
        "start_time": "2026-12-03T10:00:00Z",
        "end_time": "2026-12-03T10:01:30Z",
        "full_report_link": SAMPLE_SIGNED,
        **extra,
    }


# execution id -> (the service's answer, the run's tests it carries, interrupted, stopped)
SAMPLE_ANSWERS: dict[int, tuple[dict[str, Any], tuple[int, ...], Interrupted | None, bool]] = {
    101: (
        _sample_answer(
            "done",
            (1, 1, 0, 1),
            f"0 of 1 passed; failed: signup @team {SAMPLE_HOSTILE}",
            suite_name=SAMPLE_HOSTILE,
        ),
        (0,),
        None,
        False,
    ),
    102: (
        _sample_answer("done", (3, 3, 2, 1), "2 of 3 passed. Failed: checkout :tada: <b>x</b>"),
        (1, 2, 3),
        None,
        False,
    ),
    103: (
        _sample_answer("done", (2, 2, 1, 1), f"1 of 2 passed {SAMPLE_HOSTILE}"),
        (4, 5),
        None,
        False,
    ),
    104: (
        _sample_answer(
            f"complete <img src=x> @team ::error::X\x1b[2J {SAMPLE_SECRET}",
            (1, 1, 1, 0),
            "so far so good",
            end_time="",
        ),
        (6,),
        Interrupted.TIMEOUT,
        True,
    ),
    105: (
        _sample_answer("stopped", (1, 0, 0, 0), "stopped by an operator @ops"),
        (7,),
        None,
        False,
    ),
    106: (_sample_answer("done", (1, 1, 0, 1.5), SAMPLE_HOSTILE), (8,), None, False),
}


# --target-url as the report holds it (a secret variable in it shown as ***, config/assemble.py).
SAMPLE_TARGET_URL = "https://qa:***@pr-17.preview.example/shop?lang=en&x=[1]"


def sample_result() -> RunResult:
    """The golden fixture's run as the CLI would have it after the wait: the verdict from
    ``verdict.decide``, the warnings the wait gave, the label. Build it (and its report) inside
    ``secrets(SAMPLE_SECRET)``: the CLI registers its secrets before anything is read."""
    executions = tuple(
        ExecutionResult(eid, ExecutionStatus.from_api(eid, body), interrupted, stopped, tests=tests)
        for eid, (body, tests, interrupted, stopped) in SAMPLE_ANSWERS.items()
    )
    run = verdict(*executions, names=SAMPLE_NAMES, interrupted=Interrupted.TIMEOUT)
    warnings = tuple(
        f"execution {e.execution_id}: {w}"
        for e in executions
        if e.status is not None
        for w in e.status.warnings
    )
    warnings = (*warnings, f"the service echoed {SAMPLE_SECRET}")
    return replace(run, label=SAMPLE_LABEL, target_url=SAMPLE_TARGET_URL, warnings=warnings)


def sample_report() -> Report:
    """The golden report: :func:`sample_result` with its three files (JUnit, results, dotenv)."""
    assert scrub.scrub(SAMPLE_SECRET) != SAMPLE_SECRET, "build it inside secrets(SAMPLE_SECRET)"
    return build_report(sample_result(), SAMPLE_FILES)
