"""The one way work runs concurrently here: "run this, abandon it at a deadline or on cancel".

Network calls (the trigger, status polls, stop calls, report downloads) run on the worker
threads of a :class:`DaemonPool`, and the main thread only waits for their futures, with
:func:`wait_for`, until they are done, a deadline passes, or a cancel event is set (then for a
short grace at most). A call still out at that point is *abandoned*: nobody waits for it, its
result is never read, and it cannot delay the exit.

Why not ``concurrent.futures.ThreadPoolExecutor``: its workers are non-daemon threads, and the
module joins every one of them when the interpreter exits (``threading._register_atexit``),
even after ``shutdown(wait=False)``. A status call stuck on a socket would then hold the process
for up to its request timeout after a SIGTERM, past the CI system's SIGKILL. The workers of
:class:`DaemonPool` are daemon threads that are never joined, so ``SystemExit`` ends the process
at once (no ``os._exit``); what they were doing is worth nothing by then (every file is
written whole or not at all). The futures are ordinary ``concurrent.futures.Future`` objects.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Executor, Future
from concurrent.futures import wait as wait_futures
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

POLL_SECONDS = 0.05  # how often wait_for looks at the cancel event

_Item = tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class DaemonPool(Executor):
    """A small thread pool whose workers are daemon threads (see the module docstring).

    Up to ``max_workers`` threads are started as work arrives; :meth:`shutdown` never joins
    them (``wait=True`` only waits for the futures already running, never for ever)."""

    def __init__(self, max_workers: int, name: str = "vibetesting") -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.name = name
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._closed = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit to a pool that was shut down")
            self._queue.put((future, fn, args, kwargs))
            if self._idle == 0 and len(self._threads) < self.max_workers:
                thread = threading.Thread(
                    target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            else:
                self._idle = max(0, self._idle - 1)  # one idle worker takes this item
        return future

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn, args, kwargs = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args, **kwargs))
                except BaseException as exc:  # handed to whoever reads the future
                    future.set_exception(exc)
                del future, fn, args, kwargs, item  # no reference kept while idle
            with self._lock:
                self._idle += 1

    def __exit__(self, *_exc: object) -> None:
        """``with DaemonPool(...)``: shut down without waiting (unlike ``Executor``)."""
        self.shutdown()

    def shutdown(self, wait: bool = False, *, cancel_futures: bool = True) -> None:
        """No more work; what has not started is cancelled (unless ``cancel_futures=False``).

        Running calls are left to finish on their own (abandoned). ``wait=True`` waits for
        them, which a caller does only when it knows they are bounded."""
        with self._lock:
            self._closed = True
            waiting: list[_Item] = []
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    waiting.append(item)
            for item in waiting:
                if cancel_futures:
                    item[0].cancel()
                else:
                    self._queue.put(item)
            for _ in self._threads:
                self._queue.put(None)
            threads = list(self._threads)
        if wait:
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join()


def wait_for(
    futures: Iterable[Future[Any]],
    *,
    deadline: float | None = None,
    cancel: threading.Event | None = None,
    cancel_grace: float = 0.0,
) -> set[Future[Any]]:
    """Wait until every future is done, ``deadline`` (``time.monotonic()``) passes, or
    ``cancel`` is set; after ``cancel``, wait ``cancel_grace`` seconds more at most (never past
    the deadline). Return the futures that are not done: the caller abandons them."""
    pending = {f for f in futures if not f.done()}
    cancelled = False
    while pending:
        now = time.monotonic()
        if cancel is not None and not cancelled and cancel.is_set():
            cancelled = True
            until = now + max(0.0, cancel_grace)
            deadline = until if deadline is None else min(deadline, until)
        if deadline is not None and now >= deadline:
            break
        step = POLL_SECONDS if cancel is not None and not cancelled else None
        if deadline is not None:
            step = deadline - now if step is None else min(step, deadline - now)
        _done, pending = wait_futures(pending, timeout=step, return_when=FIRST_COMPLETED)
    return pending


def call(
    fn: Callable[[], T],
    *,
    name: str,
    deadline: float | None = None,
    cancel: threading.Event | None = None,
    cancel_grace: float = 0.0,
) -> Future[T]:
    """Run ``fn`` on a daemon thread of its own and wait as :func:`wait_for` does. The future
    returned is done (``result()`` gives the value or raises what ``fn`` raised) unless the
    call was abandoned: then ``done()`` is false and the caller must not wait for it."""
    pool = DaemonPool(1, name)
    try:
        future = pool.submit(fn)
        wait_for([future], deadline=deadline, cancel=cancel, cancel_grace=cancel_grace)
    finally:
        pool.shutdown()
    return future
