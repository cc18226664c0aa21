"""Cancellation: what a SIGINT/SIGTERM sets, and how much time is left to act on it.

We are PID 1 in containers, so the signals must not kill us: :meth:`Cancellation.handlers`
installs handlers that set :attr:`Cancellation.event` (everything that waits checks it) and
:attr:`Cancellation.wake` (the one event the main thread sleeps on), and note the signal's exit
code and time. After the signal, the network work that is left (the trigger's answer, stop
calls, report downloads) must be over within :data:`CANCEL_BUDGET` seconds, leaving time to
write the files before the CI system's SIGKILL (GitHub: 10 s after SIGTERM; the promise is an
exit within 5 s).

On Windows the runner cancels a step with CTRL_C (SIGINT in Python), then CTRL_BREAK
(``signal.SIGBREAK``, Windows only) 7.5 s later: :func:`cancel_signals` takes SIGBREAK where it
exists, and it counts as SIGTERM (exit 143), the documented code for a terminated job.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from vibetesting_ci.errors import ExitCode

CANCEL_BUDGET = 4.0


def cancel_signals() -> tuple[int, ...]:
    """The signals that cancel a command: SIGINT, SIGTERM, and SIGBREAK where it exists."""
    names = ("SIGINT", "SIGTERM", "SIGBREAK")
    return tuple(getattr(signal, name) for name in names if hasattr(signal, name))


def exit_code_for(signum: int) -> int:
    """128 + the signal's number; CTRL_BREAK (Windows' SIGBREAK) counts as SIGTERM."""
    if signum == getattr(signal, "SIGBREAK", None):
        signum = signal.SIGTERM
    return 128 + int(signum)


class Cancellation:
    """The cancel state of one command. Thread-safe; :meth:`cancel` is what a signal does."""

    def __init__(self, budget: float = CANCEL_BUDGET) -> None:
        self.budget = budget
        self.event = threading.Event()
        self.wake = threading.Event()
        self.signal_code = 0  # 128 + the first signal's number; 0 without a signal
        self.signal_at: float | None = None  # time.monotonic() of the first signal
        self._lock = threading.Lock()

    def is_set(self) -> bool:
        return self.event.is_set()

    def cancel(self, signum: int | None = None) -> None:
        """Cancel (the first signal's code and time are kept) and wake the main thread."""
        with self._lock:
            if not self.event.is_set() and signum is not None:
                self.signal_code = exit_code_for(signum)
                self.signal_at = time.monotonic()
            self.event.set()
        self.wake.set()

    def time_left(self) -> float:
        """Seconds of the cancel budget left since the signal (the whole budget if none)."""
        if self.signal_at is None:
            return self.budget
        return max(0.0, self.budget - (time.monotonic() - self.signal_at))

    @property
    def exit_code(self) -> int:
        """The exit code a cancelled command ends with: 128 + signal, SIGINT's if unknown."""
        return self.signal_code or int(ExitCode.SIGINT)

    def nap(self, seconds: float) -> None:
        """Sleep until ``wake`` is set (an answer, a signal) or ``seconds`` pass."""
        self.wake.wait(seconds)
        self.wake.clear()

    @contextmanager
    def handlers(self) -> Iterator[None]:
        """SIGINT/SIGTERM (and SIGBREAK) call :meth:`cancel` instead of killing us, for the
        block's duration.

        Off the main thread (where Python cannot install handlers) this does nothing."""

        def handler(signum: int, _frame: object) -> None:
            self.cancel(signum)

        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, handler) for sig in cancel_signals()}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)
