"""Orchestration: settings -> API client -> waiter -> reporters -> CI adapter -> exit code.

``cli.py`` parses; this module does. Every function returns the exit code.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TextIO

from vibetesting_ci.api import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    DEFAULT_POOL_SIZE,
    MAX_ATTEMPTS,
    USER_AGENT,
    ApiClient,
    StatusAnswer,
)
from vibetesting_ci.ci.base import CIAdapter
from vibetesting_ci.errors import ApiError, ExitCode, TriggerUncertain, VibetestingError
from vibetesting_ci.models import (
    INTERRUPTED_CANCELLED,
    INTERRUPTED_TIMEOUT,
    RESULT_CANCELLED,
    RESULT_ERROR,
    RESULT_FAILED,
    RESULT_PASSED,
    RESULT_SCHEDULED,
    RESULT_TIMEOUT,
    RESULT_TRIGGERED,
    ExecutionResult,
    RunResult,
    TriggerResult,
)
from vibetesting_ci.progress import (
    Style,
    choose_listener,
    colour_enabled,
    format_duration,
)
from vibetesting_ci.settings import ApiSettings, RunSettings, WaitSettings
from vibetesting_ci.text import one_line
from vibetesting_ci.waiting import STOP_BUDGET_SECONDS, Listener, Waiter, stop_unfinished

if TYPE_CHECKING:  # pragma: no cover
    import requests

MiB = 1024 * 1024
REPORT_DOWNLOADS_AT_ONCE = 4  # reports are fetched a few at a time (1,000 executions: 1,000 PDFs)
# After SIGINT/SIGTERM the network work (the trigger's answer, stop calls, report downloads)
# must be over within this many seconds, leaving time to write the files before the CI
# system's SIGKILL (GitHub: 10 s after SIGTERM; the promise is an exit within 5 s).
CANCEL_BUDGET = 4.0
TRIGGER_GRACE_ON_CANCEL = 2.0
ONE_SHOT_ATTEMPTS = 5  # status / stop / cancel-schedule: about 4 s of retries (0.5 s base)


@dataclass
class Context:
    """What every command shares: the CI adapter, streams, verbosity and cancellation."""

    adapter: CIAdapter
    quiet: bool = False
    verbose: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    cancel: threading.Event = field(default_factory=threading.Event)
    wake: threading.Event = field(default_factory=threading.Event)
    signal_code: int = 0
    signal_at: float | None = None  # time.monotonic() of the first SIGINT/SIGTERM
    progress_factory: Callable[[Context], Listener] | None = None

    def say(self, text: str) -> None:
        """A line for people (stderr), unless --quiet."""
        if not self.quiet:
            print(text, file=self.adapter.stream, flush=True)

    def debug(self, text: str) -> None:
        if self.verbose:
            print(f"debug: {text}", file=self.adapter.stream, flush=True)

    def client(
        self,
        api: ApiSettings,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        poll_interval: float | None = None,
    ) -> ApiClient:
        """The API client. While waiting, retries back off on the scale of the poll interval
        (a wait can afford MAX_ATTEMPTS tries); a one-shot command (status, stop,
        cancel-schedule) gives up after ONE_SHOT_ATTEMPTS, a few seconds."""
        base, most, attempts = BACKOFF_BASE, BACKOFF_MAX, ONE_SHOT_ATTEMPTS
        if poll_interval is not None:
            base = min(BACKOFF_BASE, poll_interval / 2)
            most = min(BACKOFF_MAX, max(1.0, poll_interval * 1.5))
            attempts = MAX_ATTEMPTS
        return ApiClient(
            api.api_url,
            api.api_token,
            request_timeout=api.request_timeout,
            pool_size=pool_size,
            log=self.debug if self.verbose else None,
            backoff_base=base,
            backoff_max=most,
            max_attempts=attempts,
        )

    def cancel_time_left(self) -> float:
        """Seconds of the cancel budget left since the signal (the whole budget if none)."""
        if self.signal_at is None:
            return CANCEL_BUDGET
        return max(0.0, CANCEL_BUDGET - (time.monotonic() - self.signal_at))

    def listener(self) -> Listener:
        """Live redraws on a terminal, change lines and heartbeats in CI logs (progress.py)."""
        if self.progress_factory is not None:
            return self.progress_factory(self)
        return choose_listener(
            self.adapter.stream, quiet=self.quiet, verbose=self.verbose, warn=self.adapter.warning
        )

    @contextmanager
    def signals(self) -> Iterator[None]:
        """SIGINT/SIGTERM set ``cancel`` instead of killing us (we are PID 1 in containers)."""

        def handler(signum: int, _frame: object) -> None:
            if not self.cancel.is_set():
                self.signal_code = 128 + signum
                self.signal_at = time.monotonic()
            self.cancel.set()
            self.wake.set()

        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)


# -- simple commands --------------------------------------------------------------------------


def one_shot_deadline(api: ApiSettings) -> float:
    """status, stop, cancel-schedule: every try (each cut at the request timeout) and the
    pauses between them end within the request timeout plus the stop budget."""
    return time.monotonic() + api.request_timeout + STOP_BUDGET_SECONDS


def status_command(ctx: Context, api: ApiSettings, execution_id: int, as_json: bool) -> int:
    client = ctx.client(api, pool_size=1)
    answer: StatusAnswer = client.execution_status(
        execution_id, report_link=True, deadline=one_shot_deadline(api)
    )
    from vibetesting_ci.reports.redact import redact_url

    if as_json:
        raw = dict(answer.raw)
        if isinstance(raw.get("full_report_link"), str):  # the one field that can hold a key
            raw["full_report_link"] = redact_url(raw["full_report_link"])
        print(json.dumps(raw, indent=2, ensure_ascii=False), file=ctx.out)
        return ExitCode.OK
    s = answer.status

    rows = [
        ("execution", str(s.execution_id)),
        ("state", s.state or "unknown"),
        ("suite", s.suite_name or "-"),
        ("tests", f"{s.done}/{s.tests} done, {s.passed} passed, {s.failed} failed"),
        ("started", s.start_time or "-"),
        ("ended", s.end_time or "-"),
        ("status", one_line(s.detailed_status, 2000) or "-"),
        ("report", redact_url(s.report_url) if s.report_url else "-"),
    ]
    for label, value in rows:
        print(f"{label:<10} {value}", file=ctx.out)
    for warning in s.warnings:
        ctx.adapter.warning(f"execution {execution_id}: {warning}")
    return ExitCode.OK


def stop_command(ctx: Context, api: ApiSettings, execution_id: int) -> int:
    message = ctx.client(api, pool_size=1).stop_execution(
        execution_id, deadline=one_shot_deadline(api)
    )
    print(f"execution {execution_id}: {message}", file=ctx.out)
    return ExitCode.OK


def cancel_schedule_command(ctx: Context, api: ApiSettings, schedule_id: str) -> int:
    count, message = ctx.client(api, pool_size=1).cancel_schedule(
        schedule_id, deadline=one_shot_deadline(api)
    )
    counted = f" ({count} execution(s) cancelled)" if count is not None else ""
    print(f"schedule {schedule_id}: {message}{counted}", file=ctx.out)
    return ExitCode.OK


# -- run and wait -----------------------------------------------------------------------------


def dry_run(
    ctx: Context, api: ApiSettings, run: RunSettings, wait: WaitSettings | None = None
) -> int:
    """Everything was validated: print the request (stdout) and what would follow (stderr)."""
    from vibetesting_ci.reports.redact import redact_url

    print(f"POST {redact_url(api.api_url)}{run.endpoint}/", file=ctx.out)
    print("Authorization: api-key ***", file=ctx.out)
    print(json.dumps(run.redacted_body(), indent=2, ensure_ascii=False), file=ctx.out, flush=True)
    then = ""
    if run.scheduled:
        then = "; a real run would be scheduled (not awaited)"
    elif not run.wait:
        then = "; a real run would print the execution ids and not wait (--no-wait)"
    elif wait is not None:
        files = [
            f for f in (wait.junit_file, wait.report_file, wait.results_file, wait.dotenv_file) if f
        ]
        then = f"; a real run would wait up to {format_duration(wait.timeout)}" + (
            f" and write {', '.join(files)}" if files else ""
        )
    ctx.say(f"dry run: nothing was sent{then}")
    return ExitCode.OK


def _trigger(
    ctx: Context, client: ApiClient, run: RunSettings, deadline: float | None = None
) -> TriggerResult:
    """Trigger in a worker thread so a signal is acted on while the request is out.
    ``deadline`` (monotonic) bounds the waits a 429 asks for."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["result"] = client.trigger(
                run.endpoint, run.body, deadline=deadline, cancelled=ctx.cancel
            )
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()
            ctx.wake.set()

    threading.Thread(target=work, name="vibetesting-trigger", daemon=True).start()
    while not done.is_set():
        if ctx.cancel.is_set():
            # Give the answer a moment: with ids in hand we can stop what was started.
            done.wait(min(TRIGGER_GRACE_ON_CANCEL, ctx.cancel_time_left() / 2))
            break
        ctx.wake.wait(1.0)
        ctx.wake.clear()
    if "error" in box:
        raise box["error"]
    if "result" not in box:
        raise TriggerUncertain(
            f"{run.endpoint}: cancelled while the service was answering; the run may have "
            "started. Check the VibeTesting dashboard, or start the next run with --stop-existing"
        )
    result: TriggerResult = box["result"]
    return result


def run_command(ctx: Context, api: ApiSettings, run: RunSettings, wait: WaitSettings) -> int:
    if run.dry_run:
        return dry_run(ctx, api, run, wait)
    with ctx.signals():
        client = ctx.client(api, poll_interval=wait.poll_interval)
        what = f"suite {run.body['suite_id']}" if run.endpoint == "run-suite" else "tests"
        ctx.say(f"starting {what} via {run.endpoint} ({'scheduled' if run.scheduled else 'now'})")
        try:
            trigger = _trigger(ctx, client, run, deadline=time.monotonic() + wait.timeout)
        except ApiError as exc:
            return _early_error(ctx, wait, exc, run.test_names)
        ids = ", ".join(str(i) for i in trigger.execution_ids) or "none"
        if trigger.scheduled:
            print(f"schedule_id={trigger.schedule_id}", file=ctx.out)
            print(f"execution_ids={','.join(map(str, trigger.execution_ids))}", file=ctx.out)
            ctx.say(
                f"scheduled: schedule {trigger.schedule_id}, execution(s) {ids}"
                + (f" ({trigger.message})" if trigger.message else "")
            )
            result = RunResult(
                result=RESULT_SCHEDULED,
                exit_code=ExitCode.OK,
                executions=tuple(ExecutionResult(i) for i in trigger.execution_ids),
                schedule_id=trigger.schedule_id,
                test_names=run.test_names,
                message=f"scheduled as {trigger.schedule_id}; cancel with "
                f"'vibetesting cancel-schedule {trigger.schedule_id}'",
            )
            return _publish(ctx, wait, result, write_junit=False)
        if not trigger.execution_ids:
            return _early_error(
                ctx,
                wait,
                ApiError(f"{run.endpoint}: the service answered success but started no execution"),
                run.test_names,
            )
        ctx.say(f"started execution(s) {ids}")
        if not run.wait and not ctx.cancel.is_set():
            print(f"execution_ids={','.join(map(str, trigger.execution_ids))}", file=ctx.out)
            result = RunResult(
                result=RESULT_TRIGGERED,
                exit_code=ExitCode.OK,
                executions=tuple(ExecutionResult(i) for i in trigger.execution_ids),
                test_names=run.test_names,
                message="not waiting (--no-wait); follow with 'vibetesting wait "
                + " ".join(map(str, trigger.execution_ids))
                + "'",
            )
            return _publish(ctx, wait, result, write_junit=False)
        return _wait_and_report(ctx, client, trigger.execution_ids, wait, run.test_names)


def wait_command(
    ctx: Context, api: ApiSettings, execution_ids: tuple[int, ...], wait: WaitSettings
) -> int:
    with ctx.signals():
        client = ctx.client(api, poll_interval=wait.poll_interval)
        return _wait_and_report(ctx, client, execution_ids, wait, ())


def _wait_and_report(
    ctx: Context,
    client: ApiClient,
    execution_ids: tuple[int, ...],
    wait: WaitSettings,
    test_names: tuple[str, ...],
) -> int:
    listener = ctx.listener()
    started = time.monotonic()
    with ctx.adapter.group(f"Waiting for {len(execution_ids)} VibeTesting execution(s)"):
        ctx.say(
            f"waiting for execution(s) {', '.join(map(str, execution_ids[:20]))}"
            + (f" and {len(execution_ids) - 20} more" if len(execution_ids) > 20 else "")
            + f" (timeout {format_duration(wait.timeout)})"
        )
        waiter = Waiter(
            client,
            execution_ids,
            timeout=wait.timeout,
            poll_interval=wait.poll_interval,
            max_poll_interval=wait.max_poll_interval,
            cancel=ctx.cancel,
            wake=ctx.wake,
            listener=listener,
        )
        outcome = waiter.wait()
        executions = outcome.executions
        stop_errors: tuple[str, ...] = ()
        if outcome.interrupted == INTERRUPTED_CANCELLED and wait.stop_on_cancel:
            executions, stop_errors = stop_unfinished(
                client,
                executions,
                budget=max(0.5, min(STOP_BUDGET_SECONDS, ctx.cancel_time_left())),
                listener=listener,
                why="cancelled",
            )
        elif outcome.interrupted == INTERRUPTED_TIMEOUT and wait.stop_on_timeout:
            executions, stop_errors = stop_unfinished(
                client,
                executions,
                budget=max(STOP_BUDGET_SECONDS, min(30.0, client.request_timeout)),
                listener=listener,
                why=f"timed out after {format_duration(time.monotonic() - started)}",
                cancel=ctx.cancel,
                cancel_budget=min(STOP_BUDGET_SECONDS, CANCEL_BUDGET),
            )
        listener.close()
    for message in stop_errors:
        ctx.adapter.warning(message)
    for message in outcome_warnings(executions):
        ctx.adapter.warning(message)

    result = decide(
        executions,
        interrupted=outcome.interrupted,
        error=outcome.error,
        fail_on_timeout=wait.fail_on_timeout,
        signal_code=ctx.signal_code,
        test_names=test_names,
    )
    if outcome.interrupted != INTERRUPTED_CANCELLED:
        deadline = max(started + wait.timeout, time.monotonic() + client.request_timeout)
        result = _download_reports(ctx, result, wait, client.request_timeout, deadline)
        if ctx.cancel.is_set() and result.result != RESULT_CANCELLED:
            # A signal after the wait (during the downloads or stop calls): what is known is
            # written, and the exit code still says the job was cancelled.
            code = ctx.signal_code or ExitCode.SIGINT
            result = replace(
                result,
                result=RESULT_CANCELLED,
                exit_code=code,
                message=f"cancelled by {_signal_name(code)} after the wait "
                f"({result.result}: {result.message})",
            )
    return _publish(ctx, wait, result, write_junit=True)


def _signal_name(exit_code: int) -> str:
    signals = (ExitCode.SIGINT, ExitCode.SIGTERM)
    return ExitCode(exit_code).name if exit_code in signals else "a signal"


def outcome_warnings(executions: tuple[ExecutionResult, ...]) -> list[str]:
    return [
        f"execution {e.execution_id} ended with {e.status.not_done} test(s) not done"
        for e in executions
        if e.status is not None and e.finished and e.status.not_done
    ]


def decide(
    executions: tuple[ExecutionResult, ...],
    *,
    interrupted: str | None,
    error: ApiError | None,
    fail_on_timeout: bool,
    signal_code: int,
    test_names: tuple[str, ...] = (),
) -> RunResult:
    """The verdict: ``result``, exit code and a one-line message. Pure."""
    finished = [e for e in executions if e.finished and e.status is not None]
    failed = sum(e.status.failed for e in finished if e.status is not None)
    not_done = sum(e.status.not_done for e in finished if e.status is not None)
    common: dict[str, Any] = {"executions": executions, "test_names": test_names}
    if interrupted == INTERRUPTED_CANCELLED:
        code = signal_code or ExitCode.SIGINT
        return RunResult(
            RESULT_CANCELLED, code, message=f"cancelled by {_signal_name(code)}", **common
        )
    if error is not None:
        return RunResult(RESULT_ERROR, error.exit_code, message=str(error), **common)
    if interrupted == INTERRUPTED_TIMEOUT:
        waiting = len(executions) - len(finished)
        message = f"timed out with {waiting} of {len(executions)} execution(s) unfinished"
        if fail_on_timeout:
            return RunResult(RESULT_TIMEOUT, ExitCode.TIMEOUT, message=message, **common)
        if failed:
            return RunResult(
                RESULT_FAILED,
                ExitCode.FAILED,
                message=f"{message}; {failed} test(s) failed",
                **common,
            )
        return RunResult(
            RESULT_TIMEOUT, ExitCode.OK, message=f"{message} (--no-fail-on-timeout)", **common
        )
    total = sum(e.status.tests for e in finished if e.status is not None)
    if failed or not_done:
        parts = [f"{failed} of {total} test(s) failed"] if failed else []
        if not_done:
            parts.append(f"{not_done} test(s) not done")
        return RunResult(RESULT_FAILED, ExitCode.FAILED, message="; ".join(parts), **common)
    return RunResult(RESULT_PASSED, ExitCode.OK, message=f"all {total} test(s) passed", **common)


def _early_error(
    ctx: Context, wait: WaitSettings, error: VibetestingError, test_names: tuple[str, ...]
) -> int:
    """The trigger failed: report it through every channel; the JUnit says why (one error)."""
    code = error.exit_code
    if ctx.cancel.is_set() and isinstance(error, TriggerUncertain):
        code = ctx.signal_code or code
    result = RunResult(
        RESULT_ERROR if code < 128 else RESULT_CANCELLED,
        code,
        test_names=test_names,
        message=str(error),
    )
    return _publish(ctx, wait, result, write_junit=True)


def _download_reports(
    ctx: Context, result: RunResult, wait: WaitSettings, timeout: float, deadline: float
) -> RunResult:
    """Fetch each finished execution's PDF (reports/download.py: no credentials, PDF only,
    size cap, atomic). ``timeout`` bounds each connect and read, ``deadline`` (monotonic) the
    whole lot. Runs on a worker thread so that a signal is acted on at once: then the
    downloads still out are abandoned (their temporary files never replace anything).
    A report that cannot be had is a warning, or exit 3 with ``--require-report``.
    """
    if not wait.report_file:
        return result
    from vibetesting_ci.reports.download import (
        ReportError,
        download_report,
        report_path_for,
        report_session,
    )
    from vibetesting_ci.reports.redact import redact_url

    candidates = [
        e for e in result.executions if e.finished and e.status is not None and e.status.report_url
    ]
    several = len(result.executions) > 1
    updated = {e.execution_id: e for e in result.executions}
    missing: list[str] = []
    for e in result.executions:
        if e.finished and e.status is not None and not e.status.report_url:
            missing.append(f"execution {e.execution_id}: the service gave no report link")
    lock = threading.Lock()
    queue = iter(candidates)
    workers = min(REPORT_DOWNLOADS_AT_ONCE, len(candidates))
    running = [workers]
    finished = threading.Event()

    def work(session: requests.Session) -> None:
        try:
            while not ctx.cancel.is_set():
                with lock:
                    e = next(queue, None)
                if e is None or e.status is None:
                    return
                path = report_path_for(wait.report_file, e.execution_id, several)
                try:
                    size = download_report(
                        e.status.report_url,
                        path,
                        timeout=timeout,
                        deadline=deadline,
                        max_bytes=wait.max_report_size * MiB,
                        session=session,
                        user_agent=USER_AGENT,
                    )
                except ReportError as exc:
                    with lock:
                        updated[e.execution_id] = replace(e, report_error=str(exc))
                        missing.append(f"execution {e.execution_id}: {exc}")
                    continue
                ctx.debug(f"report {redact_url(e.status.report_url)} -> {path} ({size} bytes)")
                with lock:
                    updated[e.execution_id] = replace(e, report_file=path)
        finally:
            session.close()
            with lock:
                running[0] -= 1
                if running[0] == 0:
                    finished.set()
            ctx.wake.set()

    if candidates:
        for index in range(workers):
            # A session per worker: reports on one storage host reuse its kept-alive connection.
            threading.Thread(
                target=work,
                args=(report_session(),),
                name=f"vibetesting-report-{index}",
                daemon=True,
            ).start()
        while not finished.is_set() and not ctx.cancel.is_set():
            ctx.wake.wait(0.5)
            ctx.wake.clear()
        if not finished.is_set():
            # Cancelled: cut the downloads' connections, so each worker fails at once and
            # removes its temporary file, then give them a moment to do so.
            from vibetesting_ci.reports.download import REPORT_TAG
            from vibetesting_ci.transport import abort_all

            abort_all(REPORT_TAG)
            finished.wait(min(1.0, max(0.2, ctx.cancel_time_left() / 4)))
    with lock:
        if not finished.is_set():
            for e in candidates:
                if updated[e.execution_id] is e:
                    updated[e.execution_id] = replace(e, report_error="cancelled")
        result = replace(result, executions=tuple(updated[i] for i in result.execution_ids))
        missing = list(missing)
    if missing:
        if wait.require_report and result.exit_code in (ExitCode.OK, ExitCode.FAILED):
            return replace(
                result,
                result=RESULT_ERROR,
                exit_code=ExitCode.API,
                message=f"report required but not downloaded: {missing[0]}",
            )
        for message in missing:
            ctx.adapter.warning(f"report not downloaded: {message}")
    return result


def _publish(ctx: Context, wait: WaitSettings, result: RunResult, *, write_junit: bool) -> int:
    """Write files, tell the CI system, print the summary; return the exit code."""
    from vibetesting_ci.reports.dotenv import write_dotenv
    from vibetesting_ci.reports.junit import write_junit as junit_writer
    from vibetesting_ci.reports.results import write_results

    written: list[str] = []
    junit_file: str | None = None
    failures: list[str] = []
    jobs: list[tuple[str, Callable[[], None]]] = []
    if write_junit and wait.junit_file:
        junit_file = wait.junit_file
        jobs.append((wait.junit_file, lambda: junit_writer(result, wait.junit_file)))
    if wait.results_file:
        jobs.append((wait.results_file, lambda: write_results(result, wait.results_file)))
    if wait.dotenv_file:
        jobs.append((wait.dotenv_file, lambda: write_dotenv(result, wait.dotenv_file)))
    for path, job in jobs:
        try:
            job()
            written.append(path)
        except OSError as exc:
            failures.append(f"could not write {path}: {exc.strerror or exc}")
    if failures and result.exit_code in (ExitCode.OK, ExitCode.FAILED):
        result = replace(result, result=RESULT_ERROR, exit_code=ExitCode.USAGE, message=failures[0])
    for failure in failures:
        ctx.adapter.error(failure)

    _print_summary(ctx, result, written, wait)
    if result.exit_code != ExitCode.OK and result.message and (ctx.adapter.annotates or ctx.quiet):
        # The summary's last line already says it in plain logs; annotate (or, with --quiet,
        # say it once) where it would otherwise be lost.
        ctx.adapter.error(result.message)
    ctx.adapter.finish(result, junit_file=junit_file if junit_file in written else None)
    return int(result.exit_code)


SUMMARY_ROWS = 20  # more executions than this: the troubled ones first, the rest counted


def _print_summary(
    ctx: Context, result: RunResult, written: list[str], wait: WaitSettings | None = None
) -> None:
    """The end of the log: a short table of the executions, the files, the verdict."""
    if ctx.quiet:
        return
    style = Style(colour_enabled(ctx.adapter.stream))
    executions = list(result.executions)
    if executions and result.result not in (RESULT_SCHEDULED, RESULT_TRIGGERED):
        _print_table(ctx, style, executions)
    labels: dict[str, str] = {}
    if wait is not None:
        labels = {
            wait.junit_file: "JUnit",
            wait.results_file: "results",
            wait.dotenv_file: "dotenv",
        }
    files: list[tuple[str, str]] = [(labels.get(path, "file"), path) for path in written]
    reports = [e.report_file for e in executions if e.report_file]
    if reports:
        files.insert(1 if files and files[0][0] == "JUnit" else 0, ("report", ", ".join(reports)))
    width = max((len(label) for label, _ in files), default=0)
    for label, path in files:
        ctx.say(f"{label.ljust(width)}  {path}")
    verdict = style(f"result: {result.result}", style.for_result(result.result))
    ctx.say(
        f"{verdict} (exit {int(result.exit_code)})"
        + (f": {result.message}" if result.message else "")
    )


def _print_table(ctx: Context, style: Style, executions: list[ExecutionResult]) -> None:
    def troubled(e: ExecutionResult) -> bool:
        s = e.status
        return s is None or not e.finished or bool(s.failed or s.not_done)

    shown = executions
    hidden: list[ExecutionResult] = []
    if len(executions) > SUMMARY_ROWS:
        ordered = sorted(executions, key=lambda e: not troubled(e))  # stable: keeps id order
        shown, hidden = ordered[:SUMMARY_ROWS], ordered[SUMMARY_ROWS:]
    header: tuple[str, ...] = ("execution", "state", "tests", "passed", "failed", "not done")
    rows: list[tuple[tuple[str, ...], str | None]] = []
    for e in shown:
        s = e.status
        if s is None:
            state = e.interrupted or "unknown"
            rows.append(((str(e.execution_id), state, "-", "-", "-", "-"), "dim"))
            continue
        state = s.state or "unknown"
        state += f" ({e.interrupted})" if e.interrupted else ""
        state += ", stopped" if e.stopped else ""
        not_done = str(s.not_done) if s.finished or e.interrupted else "-"
        cells = (str(e.execution_id), state, str(s.tests), str(s.passed), str(s.failed), not_done)
        rows.append((cells, style.for_status(s) if not e.interrupted else "yellow"))
    widths = [max(len(r[i]) for r in (header, *(c for c, _ in rows))) for i in range(len(header))]

    def line(cells: tuple[str, ...], state_style: str | None) -> str:
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            text = cell.rjust(width) if i >= 2 else cell.ljust(width)
            out.append(style(text, state_style) if i == 1 else text)
        return "  " + "  ".join(out).rstrip()

    ctx.say("")
    ctx.say(style(line(header, None), "bold"))
    for row_cells, state_style in rows:
        ctx.say(line(row_cells, state_style))
    if hidden:
        passed = sum(1 for e in hidden if not troubled(e))
        ctx.say(
            f"  ... and {len(hidden)} more execution(s) ({passed} passed); "
            "every one is in the results file"
        )
    ctx.say("")
