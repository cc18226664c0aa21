"""Polls many executions until each is done; owns the deadline, cancellation and poll pacing.

The main thread never blocks in a request: status calls run on a small pool of daemon threads
(:mod:`vibetesting_ci.run.concurrency`) that shares the API client's connection pool, and the main
thread only waits on an event that completions, due times and signals all set. So a
SIGINT/SIGTERM is acted on at once, even when the CLI is PID 1 in a container.

Pacing: an execution is polled at ``poll_interval`` while its end is near or unknown, and more
slowly (up to ``max_poll_interval``) while its progress (``number_of_done_tests`` of
``number_of_tests``) says the end is far: the next poll comes after half the estimated time
left (the observed time per test times the tests left, less what the running test has already
had). Every interval gets +-10 % jitter so parallel CI jobs drift apart. A finished execution is
never polled again.

An unknown state that looks final (``models.FINAL_LOOKING_STATES``, e.g. ``finished``) with
every test counted is warned about once (the answer's own warning) and, after
``models.FINAL_LOOKING_GRACE`` such answers in a row, taken as final and unreadable
(``ExecutionStatus.assume_final``): the verdict is exit 3 instead of waiting out ``--timeout``.
"""

from __future__ import annotations

import heapq
import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace

from vibetesting_ci.domain.models import (
    FINAL_LOOKING_GRACE,
    KNOWN_STATES,
    ExecutionResult,
    ExecutionStatus,
    Interrupted,
)
from vibetesting_ci.errors import ApiError, DeadlineReached
from vibetesting_ci.run.concurrency import DaemonPool, wait_for
from vibetesting_ci.service.client import DEFAULT_POOL_SIZE, ApiClient, StatusAnswer
from vibetesting_ci.vocabulary import State

MAX_CONCURRENT_CALLS = DEFAULT_POOL_SIZE  # one pooled connection for each call in flight
STOP_BUDGET_SECONDS = 3.0  # cancel: stop calls must leave time to write files before SIGKILL
JITTER = 0.1
TICK_SECONDS = 0.1  # listener ticks (heartbeats, live redraws) at most this often
FIRST_ROUND_RATE = 200.0  # status calls per second the first round is spread to, at most


def first_round_spread(count: int, poll_interval: float, max_concurrent: int) -> float:
    """Seconds the first round of ``count`` status calls is spread over.

    A few executions are all polled at once. Many are spread so that the service sees at most
    about ``FIRST_ROUND_RATE`` calls a second (1,000 executions: 5 s), but never over more than
    0.8 of an interval, so the first round, like every round, fits in one interval. Later rounds
    keep the spread, since each execution is rescheduled from its own answer.
    """
    if count <= max_concurrent:
        return 0.0
    return min(0.8 * poll_interval, max(1.0, count / FIRST_ROUND_RATE))


@dataclass
class _Tracked:
    execution_id: int
    status: ExecutionStatus | None = None
    due: float = 0.0
    first_seen: float | None = None
    first_done: int = 0
    last_answer: float | None = None
    test_started: float | None = None  # earliest start of the running test (progress seen)
    warned: set[str] = field(default_factory=set)
    final_looking: int = 0  # answers in a row whose unknown state looks final (looks_final)


@dataclass(frozen=True)
class WaitOutcome:
    executions: tuple[ExecutionResult, ...]
    interrupted: Interrupted | None = None
    error: ApiError | None = None


class Listener:
    """What the waiter tells the outside world (progress display, CI annotations)."""

    def status(self, previous: ExecutionStatus | None, current: ExecutionStatus) -> None:
        """A status arrived (called for every answer; the listener decides what to show)."""

    def tick(self, statuses: list[ExecutionStatus | None]) -> None:
        """Called once per loop wake-up (for heartbeats and live redraws)."""

    def warning(self, message: str) -> None:
        """A non-fatal oddity."""

    def stopping(self, execution_ids: list[int], why: str) -> None:
        """About to ask the service to stop these executions."""

    def close(self) -> None:
        """The wait is over: finish the display (e.g. leave a live block in its final state)."""


def next_interval(
    tracked: _Tracked, status: ExecutionStatus, now: float, base: float, cap: float
) -> float:
    """Seconds until the next poll of this execution (before jitter). Pure, for tests."""
    if status.state == State.PROCESSING or status.state not in KNOWN_STATES:
        return base
    remaining_tests = status.tests - status.done
    if status.tests <= 0 or remaining_tests <= 0 or tracked.first_seen is None:
        return base
    progressed = status.done - tracked.first_done
    elapsed = now - tracked.first_seen
    if progressed <= 0 or elapsed <= 0:
        # No progress seen yet: the end is not near unless almost everything is done.
        return base if status.done >= status.tests - 1 else min(cap, base * 2)
    rate = progressed / elapsed  # tests per second
    time_left = remaining_tests / rate
    if tracked.test_started is not None:
        # The running test began after the answer before the last progress: part of it is
        # done already. Counting from that earliest start errs towards polling sooner.
        time_left -= now - tracked.test_started
    return max(base, min(cap, time_left / 2))


class Waiter:
    def __init__(
        self,
        client: ApiClient,
        execution_ids: Iterable[int],
        *,
        deadline: float,
        poll_interval: float,
        max_poll_interval: float,
        cancel: threading.Event,
        wake: threading.Event | None = None,
        listener: Listener | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_concurrent: int = MAX_CONCURRENT_CALLS,
        seed: int | None = None,
    ) -> None:
        """The wait ends at ``deadline`` (on ``clock``): the runner's ``--timeout`` after the
        trigger, which a retry's wait shares."""
        self.client = client
        self.deadline = deadline
        self.ids = list(dict.fromkeys(execution_ids))
        self.poll_interval = poll_interval
        self.max_poll_interval = max(max_poll_interval, poll_interval)
        self.cancel = cancel
        self.wake = wake or threading.Event()
        self.listener = listener or Listener()
        self.clock = clock
        self.max_concurrent = max(1, min(max_concurrent, len(self.ids) or 1))
        self._rng = random.Random(seed)
        self.status_calls = 0

    def _jitter(self, seconds: float) -> float:
        return seconds * self._rng.uniform(1 - JITTER, 1 + JITTER)

    def wait(self) -> WaitOutcome:
        start = self.clock()
        deadline = self.deadline
        tracked = {i: _Tracked(i) for i in self.ids}
        spread = first_round_spread(len(self.ids), self.poll_interval, self.max_concurrent)
        for index, item in enumerate(tracked.values()):
            item.due = start + spread * index / max(1, len(self.ids))
        # Unfinished executions, and a heap of (due, id) for those not in flight: a wake-up
        # costs O(log n), not O(n), so 1,000 executions cost little more per call than one.
        unfinished = dict(tracked)
        queue = [(item.due, item.execution_id) for item in tracked.values()]
        heapq.heapify(queue)
        last_tick = float("-inf")
        in_flight: dict[Future[StatusAnswer], int] = {}
        interrupted: Interrupted | None = None
        error: ApiError | None = None
        executor = DaemonPool(self.max_concurrent, "vibetesting-poll")
        try:
            while True:
                # Collect answers.
                for future in [f for f in in_flight if f.done()]:
                    execution_id = in_flight.pop(future)
                    try:
                        answer = future.result()
                    except DeadlineReached:
                        # Retries ran into the deadline: that is a timeout, not an API error.
                        tracked[execution_id].due = deadline
                        heapq.heappush(queue, (deadline, execution_id))
                        continue
                    except ApiError as exc:
                        error = error or exc
                        continue
                    item = tracked[execution_id]
                    self._record(item, answer.status)
                    if item.status is not None and item.status.finished:
                        del unfinished[execution_id]  # never polled again
                    else:
                        heapq.heappush(queue, (item.due, execution_id))
                if error is not None:
                    break
                if not unfinished:
                    break
                if self.cancel.is_set():
                    interrupted = Interrupted.CANCELLED
                    break
                now = self.clock()
                if now >= deadline:
                    interrupted = Interrupted.TIMEOUT
                    break
                while queue and queue[0][0] <= now and len(in_flight) < self.max_concurrent:
                    _due, execution_id = heapq.heappop(queue)
                    item = unfinished[execution_id]
                    self.status_calls += 1
                    future = executor.submit(
                        self.client.execution_status,
                        execution_id,
                        deadline=deadline,
                        cancelled=self.cancel,
                    )
                    future.add_done_callback(lambda _f: self.wake.set())
                    in_flight[future] = execution_id
                    item.due = float("inf")  # rescheduled when the answer arrives
                if now - last_tick >= TICK_SECONDS:  # at most 10 a second, however many answers
                    last_tick = now
                    self.listener.tick([t.status for t in tracked.values()])
                # With every worker busy, the next event is an answer (it sets ``wake``).
                idle = len(in_flight) < self.max_concurrent
                next_due = queue[0][0] if queue and idle else deadline
                pause = max(0.0, min(next_due, deadline) - self.clock())
                if in_flight and any(f.done() for f in in_flight):
                    continue
                self.wake.wait(min(pause, 1.0))
                self.wake.clear()
        finally:
            executor.shutdown()  # a call still out is abandoned
        results = {i: ExecutionResult(execution_id=i, status=t.status) for i, t in tracked.items()}
        if interrupted is not None:
            for i, result in results.items():
                if not result.finished:
                    results[i] = replace(result, interrupted=interrupted)
        return WaitOutcome(
            executions=tuple(results[i] for i in self.ids), interrupted=interrupted, error=error
        )

    def _record(self, item: _Tracked, status: ExecutionStatus) -> None:
        now = self.clock()
        previous = item.status
        # An unknown state that looks final, with every test counted: after the grace, the
        # execution ends as unreadable (exit 3) rather than waiting out --timeout.
        item.final_looking = item.final_looking + 1 if status.looks_final else 0
        if item.final_looking >= FINAL_LOOKING_GRACE:
            status = status.assume_final(item.final_looking)
        for warning in status.warnings:
            if warning not in item.warned:  # each distinct oddity once per execution
                item.warned.add(warning)
                self.listener.warning(f"execution {status.execution_id}: {warning}")
        if item.first_seen is None or (previous is not None and status.done < previous.done):
            item.first_seen, item.first_done = now, status.done
            item.test_started = None
        elif previous is not None and status.done > previous.done:
            item.test_started = item.last_answer
        item.last_answer = now
        item.status = status
        self.listener.status(previous, status)
        if not status.finished:
            interval = next_interval(item, status, now, self.poll_interval, self.max_poll_interval)
            item.due = now + self._jitter(interval)


def stop_unfinished(
    client: ApiClient,
    results: tuple[ExecutionResult, ...],
    *,
    budget: float,
    listener: Listener | None = None,
    why: str,
    cancel: threading.Event | None = None,
    cancel_budget: float = STOP_BUDGET_SECONDS,
) -> tuple[tuple[ExecutionResult, ...], tuple[str, ...]]:
    """Ask the service to stop every unfinished execution, concurrently, within ``budget`` s.

    The calls run on daemon threads (:mod:`vibetesting_ci.run.concurrency`) and this returns by
    the budget whatever they do (a call still out then is reported as not answered and
    abandoned). If ``cancel``
    is set meanwhile (a signal during a stop on timeout), what is left of the budget shrinks to
    ``cancel_budget`` so the process still exits within the CI system's grace period.
    """
    todo = [r for r in results if not r.finished]
    if not todo:
        return results, ()
    if listener is not None:
        listener.stopping([r.execution_id for r in todo], why)
    errors: list[str] = []
    stopped: set[int] = set()
    deadline = time.monotonic() + budget
    pool = DaemonPool(min(MAX_CONCURRENT_CALLS, len(todo)), "vibetesting-stop")
    futures = {
        pool.submit(client.stop_execution, r.execution_id, deadline=deadline): r.execution_id
        for r in todo
    }
    try:
        # A cancel that comes during a stop on timeout shrinks what is left to cancel_budget.
        watch = None if cancel is None or cancel.is_set() else cancel
        wait_for(futures, deadline=deadline, cancel=watch, cancel_grace=cancel_budget)
    finally:
        pool.shutdown()
    for future, execution_id in futures.items():
        if not future.done() or future.cancelled():
            errors.append(f"could not stop execution {execution_id}: no answer in time")
            continue
        try:
            future.result()
            stopped.add(execution_id)
        except ApiError as exc:
            errors.append(f"could not stop execution {execution_id}: {exc}")
    return (
        tuple(replace(r, stopped=r.execution_id in stopped) for r in results),
        tuple(errors),
    )
