"""Sequencing: settings -> API client -> waiter -> verdict -> the report -> files and the CI
system -> exit code.

``cli.py`` parses; this module calls the rooms in order and returns the exit code. The work is
done elsewhere: ``service`` (requests and their retry policy), ``run.cancellation`` (signals),
``run.concurrency`` (running and abandoning calls), ``run.waiting`` (polling),
``domain.verdict`` (the result), ``domain.report`` (the one report), ``render`` (its text),
``publish`` (files, the CI system, the comment), ``run.context`` (what every command shares).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

from vibetesting_ci.config.settings import ApiSettings, RunSettings, WaitSettings
from vibetesting_ci.domain.models import Interrupted, Result, RunResult, TriggerResult
from vibetesting_ci.domain.report import Report
from vibetesting_ci.domain.retry_plan import up_front_warning
from vibetesting_ci.domain.verdict import (
    cancelled_after_wait,
    decide,
    not_awaited,
    trigger_failed,
    with_thresholds,
)
from vibetesting_ci.errors import (
    ApiError,
    CommentError,
    ExitCode,
    TriggerUncertain,
)
from vibetesting_ci.publish.writable import check_outputs
from vibetesting_ci.render.console import (
    Style,
    dry_run_lines,
    format_duration,
    status_lines,
    summary_lines,
    unfinished_warnings,
    verdict_line,
)
from vibetesting_ci.run import concurrency, retries
from vibetesting_ci.run.announce import announce, configured
from vibetesting_ci.run.cancellation import CANCEL_BUDGET
from vibetesting_ci.run.context import Context
from vibetesting_ci.run.progress import choose_listener, colour_enabled
from vibetesting_ci.run.reports import reports_for
from vibetesting_ci.run.waiting import STOP_BUDGET_SECONDS, Listener, Waiter, stop_unfinished
from vibetesting_ci.safety.text import json_text, log_text
from vibetesting_ci.service.client import USER_AGENT, ApiClient
from vibetesting_ci.vocabulary import Endpoint

TRIGGER_GRACE_ON_CANCEL = 2.0  # after a signal, seconds the trigger's answer may still take


# -- simple commands --------------------------------------------------------------------------


def status_command(ctx: Context, api: ApiSettings, execution_id: int, as_json: bool) -> int:
    from vibetesting_ci.safety.redact import redact_url

    answer = ApiClient.one_shot(api, log=ctx.log).execution_status(execution_id, report_link=True)
    if as_json:
        raw = dict(answer.raw)
        if isinstance(raw.get("full_report_link"), str):  # the key to the report: query hidden
            raw["full_report_link"] = redact_url(raw["full_report_link"])
        print(json_text(json.dumps(raw, indent=2, ensure_ascii=False)), file=ctx.out)
        return ExitCode.OK
    s = answer.status
    for line in status_lines(s, redact_url(s.report_url) if s.report_url else None):
        print(line, file=ctx.out)
    for warning in s.warnings:
        ctx.warn(f"execution {execution_id}: {warning}")
    if s.unreadable and s.problem is not None:
        ctx.warn(
            f"execution {execution_id}: {s.problem.describe()}; this answer cannot establish "
            "a verdict"
        )
    return ExitCode.OK


def stop_command(ctx: Context, api: ApiSettings, execution_id: int) -> int:
    message = ApiClient.one_shot(api, log=ctx.log).stop_execution(execution_id)
    print(log_text(f"execution {execution_id}: {message}"), file=ctx.out)
    return ExitCode.OK


def cancel_schedule_command(ctx: Context, api: ApiSettings, schedule_id: str) -> int:
    count, message = ApiClient.one_shot(api, log=ctx.log).cancel_schedule(schedule_id)
    counted = f" ({count} execution(s) cancelled)" if count is not None else ""
    print(log_text(f"schedule {schedule_id}{counted}: {message}"), file=ctx.out)
    return ExitCode.OK


# -- run and wait -----------------------------------------------------------------------------


def dry_run(
    ctx: Context, api: ApiSettings, run: RunSettings, wait: WaitSettings | None = None
) -> int:
    """Everything was validated: print the request (stdout) and what would follow (stderr)."""
    request, then = dry_run_lines(api.api_url, run, wait)
    print("\n".join(request), file=ctx.out, flush=True)
    ctx.say(then)
    return ExitCode.OK


def _trigger(
    ctx: Context, client: ApiClient, run: RunSettings, deadline: float | None = None
) -> TriggerResult:
    """Trigger on a worker thread so a signal is acted on while the request is out; after a
    signal the answer gets a moment (with ids in hand we can stop what was started).
    ``deadline`` (monotonic) bounds the waits a 429 asks for."""
    cancellation = ctx.cancellation
    future = concurrency.call(
        lambda: client.trigger(
            run.endpoint, run.body, deadline=deadline, cancelled=cancellation.event
        ),
        name="vibetesting-trigger",
        cancel=cancellation.event,
        cancel_grace=min(TRIGGER_GRACE_ON_CANCEL, cancellation.time_left() / 2),
    )
    if not future.done():
        raise TriggerUncertain(
            f"{run.endpoint}: cancelled while the service was answering; the run may have "
            "started. Check the VibeTesting dashboard, or start the next run with --stop-existing"
        )
    return future.result()


def run_command(ctx: Context, api: ApiSettings, run: RunSettings, wait: WaitSettings) -> int:
    check_outputs(wait, ctx.adapter.output_files(), waits=run.wait and not run.scheduled)
    ctx.configured = configured(run)
    if announce(run, ctx.say, ctx.warn):  # tests as code; True: the shard holds no test
        return ExitCode.OK
    if warning := up_front_warning(run):  # before a dry run too
        ctx.warn(warning)
    if run.dry_run:
        return dry_run(ctx, api, run, wait)
    with ctx.cancellation.handlers():
        client = ApiClient.for_waiting(api, wait.poll_interval, log=ctx.log)
        what = f"suite {run.body['suite_id']}" if run.endpoint == Endpoint.RUN_SUITE else "tests"
        ctx.say(f"starting {what} via {run.endpoint} ({'scheduled' if run.scheduled else 'now'})")
        began = time.monotonic()  # the first attempt's start (retries.Loop)
        try:
            trigger = _trigger(ctx, client, run, deadline=began + wait.timeout)
        except ApiError as exc:
            # Reported through every channel; the JUnit says why (one error case).
            failed = trigger_failed(exc, run.test_names, ctx.cancellation.signal_code)
            return _publish(ctx, wait, failed, write_junit=True)
        ids = ", ".join(str(i) for i in trigger.execution_ids) or "none"
        if trigger.unasked_schedule is not None:
            ctx.warn(
                f"{run.endpoint}: the answer names schedule {trigger.unasked_schedule} although "
                "no schedule was asked for (no --schedule-at); waiting for the execution(s)"
            )
        if trigger.scheduled:
            print(f"schedule_id={trigger.schedule_id}", file=ctx.out)
            print(f"execution_ids={','.join(map(str, trigger.execution_ids))}", file=ctx.out)
            said = f"scheduled: schedule {trigger.schedule_id}, execution(s) {ids}"
            ctx.say(log_text(said + (f" ({trigger.message})" if trigger.message else "")))
            return _publish(ctx, wait, not_awaited(trigger, run.test_names), write_junit=False)
        ctx.say(f"started execution(s) {ids}")
        if not run.wait and not ctx.cancellation.is_set():
            print(f"execution_ids={','.join(map(str, trigger.execution_ids))}", file=ctx.out)
            return _publish(ctx, wait, not_awaited(trigger, run.test_names), write_junit=False)
        deadline = time.monotonic() + wait.timeout  # retries wait within it too
        result = _await(ctx, client, trigger.execution_ids, wait, run.test_names, deadline)
        loop = retries.Loop(
            trigger=lambda again: _trigger(ctx, client, again, deadline=deadline),
            wait=lambda ids, names: _await(ctx, client, ids, wait, names, deadline),
            warn=ctx.warn,
            say=ctx.say,
            time_left=lambda: deadline - time.monotonic(),
            cancelled=ctx.cancellation.is_set,
            clock=time.monotonic,
            began=began,
        )
        return _report(ctx, client, retries.retry_failed(result, run, loop), wait, deadline)


def wait_command(
    ctx: Context, api: ApiSettings, execution_ids: tuple[int, ...], wait: WaitSettings
) -> int:
    check_outputs(wait, ctx.adapter.output_files(), waits=True, execution_ids=execution_ids)
    with ctx.cancellation.handlers():
        client = ApiClient.for_waiting(api, wait.poll_interval, log=ctx.log)
        deadline = time.monotonic() + wait.timeout
        result = _await(ctx, client, execution_ids, wait, (), deadline)
        return _report(ctx, client, result, wait, deadline)


def listener_for(ctx: Context) -> Listener:
    """Live redraws on a terminal, change lines and heartbeats in CI logs (progress.py)."""
    return choose_listener(ctx.adapter.stream, quiet=ctx.quiet, verbose=ctx.verbose, warn=ctx.warn)


def _await(
    ctx: Context,
    client: ApiClient,
    execution_ids: tuple[int, ...],
    wait: WaitSettings,
    test_names: tuple[str, ...],
    deadline: float,
) -> RunResult:
    """Wait until ``deadline`` (monotonic); stop what is unfinished on a cancel or timeout;
    the verdict on what was seen."""
    cancellation = ctx.cancellation
    listener = listener_for(ctx)
    started = time.monotonic()
    with ctx.adapter.group(f"Waiting for {len(execution_ids)} VibeTesting execution(s)"):
        ctx.say(
            f"waiting for execution(s) {', '.join(map(str, execution_ids[:20]))}"
            + (f" and {len(execution_ids) - 20} more" if len(execution_ids) > 20 else "")
            + f" (timeout {format_duration(max(0.0, deadline - started))})"
        )
        waiter = Waiter(
            client,
            execution_ids,
            deadline=deadline,
            poll_interval=wait.poll_interval,
            max_poll_interval=wait.max_poll_interval,
            cancel=cancellation.event,
            wake=cancellation.wake,
            listener=listener,
        )
        outcome = waiter.wait()
        executions = outcome.executions
        stop_errors: tuple[str, ...] = ()
        if outcome.interrupted == Interrupted.CANCELLED and wait.stop_on_cancel:
            executions, stop_errors = stop_unfinished(
                client,
                executions,
                budget=max(0.5, min(STOP_BUDGET_SECONDS, cancellation.time_left())),
                listener=listener,
                why="cancelled",
            )
        elif outcome.interrupted == Interrupted.TIMEOUT and wait.stop_on_timeout:
            executions, stop_errors = stop_unfinished(
                client,
                executions,
                budget=max(STOP_BUDGET_SECONDS, min(30.0, client.request_timeout)),
                listener=listener,
                why=f"timed out after {format_duration(time.monotonic() - started)}",
                cancel=cancellation.event,
                cancel_budget=min(STOP_BUDGET_SECONDS, CANCEL_BUDGET),
            )
        listener.close()
    for message in (*stop_errors, *unfinished_warnings(executions)):
        ctx.warn(message)
    return decide(
        executions,
        interrupted=outcome.interrupted,
        error=outcome.error,
        fail_on_timeout=wait.fail_on_timeout,
        signal_code=cancellation.signal_code,
        test_names=test_names,
        allow_empty=wait.allow_empty,
    )


def _report(
    ctx: Context, client: ApiClient, result: RunResult, wait: WaitSettings, deadline: float
) -> int:
    """Thresholds, the reports (not after a cancel), then every file and the exit code."""
    result = with_thresholds(
        result, max_failures=wait.max_failures, min_pass_rate=wait.min_pass_rate
    )
    if result.threshold and result.exit_code == ExitCode.OK:
        ctx.warn(f"tests failed, but the step passes: {result.threshold}")
    if result.result != Result.CANCELLED:
        until = max(deadline, time.monotonic() + client.request_timeout)
        result = reports_for(
            result,
            wait,
            timeout=client.request_timeout,
            deadline=until,
            user_agent=USER_AGENT,
            cancel=ctx.cancellation.event,
            log=ctx.log,
            warn=ctx.warn,
        )
        if ctx.cancellation.is_set():
            result = cancelled_after_wait(result, ctx.cancellation.signal_code)
    return _publish(ctx, wait, result, write_junit=True)


def _publish(ctx: Context, wait: WaitSettings, result: RunResult, *, write_junit: bool) -> int:
    """Build the one report, write the files, tell the CI system, print the summary; return
    the exit code. A file that cannot be written makes the verdict exit 2
    (``Report.after_write_failures``) for every file written after it; the outputs that carry
    the verdict (dotenv, results: ours come last) are written again if the CI system's files
    fail, so they always say what the exit code says."""
    from vibetesting_ci.domain.report import FileKind, OutputFile, build_report
    from vibetesting_ci.publish.files import VERDICT_CARRIERS, write_files

    result = replace(result, warnings=(*result.warnings, *ctx.warnings), **ctx.configured)
    planned = [
        OutputFile(kind, path)
        for kind, path in (
            (FileKind.JUNIT, wait.junit_file if write_junit else None),
            (FileKind.RESULTS, wait.results_file),
            (FileKind.DOTENV, wait.dotenv_file),
        )
        if path
    ]
    report, failures = write_files(build_report(result, planned))
    for failure in failures:
        ctx.adapter.error(failure)
    late = ctx.adapter.finish(report)
    if late:
        report = report.after_write_failures(late)
        for failure in late:
            ctx.adapter.error(failure)
        report, again = write_files(report, VERDICT_CARRIERS)  # they carry the verdict
        for failure in again:
            ctx.adapter.error(failure)
        failures += again

    style = Style(colour_enabled(ctx.adapter.stream))
    lines = [verdict_line(report, style)] if ctx.quiet else summary_lines(report, style)
    for line in lines:
        print(line, file=ctx.adapter.stream, flush=True)
    said = report.message in (*failures, *late)  # already one error line of its own
    if report.exit_code != ExitCode.OK and report.message and not said and ctx.adapter.annotates:
        # The summary's last line says it in the log; annotate it where people look.
        ctx.adapter.error(report.message)
    if wait.comment:
        _comment(ctx, wait, report)
    return int(report.exit_code)


def _comment(ctx: Context, wait: WaitSettings, report: Report) -> None:
    """The sticky pull/merge request comment: a warning on any problem, never the verdict."""
    import os

    from vibetesting_ci.publish.comment import post_result

    if ctx.cancellation.event.is_set():
        ctx.adapter.warning("no comment: the job was cancelled")
        return
    try:
        ctx.say(post_result(report, os.environ, github_token=wait.github_token or ""))
    except CommentError as exc:
        ctx.adapter.warning(str(exc))
