"""In-process tests of concurrency.py (run, abandon at a deadline or on cancel) and
cancellation.py (signal state). No timing assertions: deadlines are far apart from what the
work takes, and "does not block" is checked by a process that ends at all."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from vibetesting_ci.errors import signal_name
from vibetesting_ci.run.cancellation import Cancellation
from vibetesting_ci.run.concurrency import DaemonPool, call, wait_for

NEVER = threading.Event()  # never set: a call that blocks on it is stuck for good


def test_pool_runs_calls_and_returns_their_results() -> None:
    pool = DaemonPool(3, "t")
    futures = [pool.submit(lambda n=n: n * n) for n in range(10)]
    assert wait_for(futures) == set()
    assert [f.result() for f in futures] == [n * n for n in range(10)]
    pool.shutdown(wait=True)


def test_pool_threads_are_daemons_and_at_most_max_workers() -> None:
    pool = DaemonPool(2, "daemon-check")
    release = threading.Event()
    futures = [pool.submit(release.wait, 30) for _ in range(5)]
    try:
        workers = [t for t in threading.enumerate() if t.name.startswith("daemon-check-")]
        assert 1 <= len(workers) <= 2
        assert all(t.daemon for t in workers)
    finally:
        release.set()
    assert wait_for(futures, deadline=time.monotonic() + 30) == set()
    pool.shutdown(wait=True)


def test_exceptions_propagate_through_the_future() -> None:
    def boom() -> None:
        raise KeyError("inside")

    future = call(boom, name="t")
    assert future.done()
    with pytest.raises(KeyError, match="inside"):
        future.result()


def test_a_call_past_its_deadline_is_abandoned() -> None:
    future = call(lambda: NEVER.wait(), name="t", deadline=time.monotonic() + 0.05)
    assert not future.done()


def test_cancel_abandons_after_the_grace_only() -> None:
    cancel = threading.Event()
    cancel.set()
    assert not call(lambda: NEVER.wait(), name="t", cancel=cancel).done()
    answered = call(lambda: 42, name="t", cancel=cancel, cancel_grace=30)
    assert answered.done() and answered.result() == 42


def test_wait_for_returns_the_pending_ones_and_shutdown_cancels_queued_work() -> None:
    pool = DaemonPool(1, "t")
    stuck = pool.submit(NEVER.wait)
    queued = pool.submit(lambda: 1)
    pending = wait_for([stuck, queued], deadline=time.monotonic() + 0.05)
    assert pending == {stuck, queued}
    pool.shutdown()
    assert queued.cancelled() and not stuck.done()
    with pytest.raises(RuntimeError):
        pool.submit(lambda: 2)


def test_cancellation_keeps_the_first_signal() -> None:
    c = Cancellation(budget=4.0)
    assert not c.is_set() and c.time_left() == 4.0 and c.exit_code == 130
    c.cancel(signal.SIGTERM)
    c.cancel(signal.SIGINT)
    assert c.is_set() and c.wake.is_set()
    assert c.signal_code == 143 and c.exit_code == 143
    assert 0.0 <= c.time_left() <= 4.0
    assert signal_name(143) == "SIGTERM" and signal_name(130) == "SIGINT"
    assert signal_name(137) == "a signal"


def test_cancel_without_a_signal_uses_sigints_code() -> None:
    c = Cancellation()
    c.cancel()
    assert c.is_set() and c.signal_code == 0 and c.exit_code == 130


def test_time_left_runs_out() -> None:
    c = Cancellation(budget=0.0)
    c.cancel(signal.SIGINT)
    assert c.time_left() == 0.0


def test_handlers_catch_a_real_signal_and_are_restored() -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    c = Cancellation()
    with c.handlers():
        os.kill(os.getpid(), signal.SIGTERM)
        assert c.event.wait(10)
    assert c.signal_code == 143
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_handlers_off_the_main_thread_do_nothing() -> None:
    c = Cancellation()
    seen: list[object] = []

    def work() -> None:
        with c.handlers():
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert seen == [before]


def test_leaving_a_with_block_does_not_wait_for_a_stuck_call() -> None:
    with DaemonPool(1, "t") as pool:
        stuck = pool.submit(NEVER.wait)
        queued = pool.submit(lambda: 1)
    assert not stuck.done() and queued.cancelled()
