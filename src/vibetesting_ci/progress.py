"""Progress for people: a line when something changes, a heartbeat at most once a minute.

Logs go to stderr (stdout carries ids and ``--json`` answers). Never one line per poll.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from vibetesting_ci.models import ExecutionStatus
from vibetesting_ci.waiting import Listener

HEARTBEAT_SECONDS = 60.0


def describe(status: ExecutionStatus) -> str:
    text = (
        f"execution {status.execution_id}: {status.state or 'unknown'}, "
        f"{status.done}/{status.tests} done, {status.passed} passed, {status.failed} failed"
    )
    if status.finished and status.detailed_status:
        text += f" ({_one_line(status.detailed_status, 160)})"
    return text


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def format_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class LogProgress(Listener):
    """Line-oriented progress for CI logs (no TTY)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        quiet: bool = False,
        warn: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        heartbeat: float = HEARTBEAT_SECONDS,
    ) -> None:
        self._stream = stream
        self.quiet = quiet
        self._warn = warn
        self.clock = clock
        self.heartbeat = heartbeat
        self.started = clock()
        self.last_line = self.started

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def line(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)
        self.last_line = self.clock()

    def status(self, previous: ExecutionStatus | None, current: ExecutionStatus) -> None:
        if previous is None or _key(previous) != _key(current):
            self.line(describe(current))

    def tick(self, statuses: list[ExecutionStatus | None]) -> None:
        now = self.clock()
        if now - self.last_line < self.heartbeat:
            return
        known = [s for s in statuses if s is not None]
        finished = sum(1 for s in known if s.finished)
        done = sum(s.done for s in known)
        tests = sum(s.tests for s in known)
        self.line(
            f"still waiting ({format_duration(now - self.started)}): {finished} of "
            f"{len(statuses)} executions done, {done}/{tests} tests done"
        )

    def warning(self, message: str) -> None:
        if self._warn is not None:
            self._warn(message)
        else:
            print(f"warning: {message}", file=self.stream, flush=True)

    def stopping(self, execution_ids: list[int], why: str) -> None:
        ids = ", ".join(str(i) for i in execution_ids[:10])
        more = f" and {len(execution_ids) - 10} more" if len(execution_ids) > 10 else ""
        self.line(f"{why}: stopping execution(s) {ids}{more}")


def _key(status: ExecutionStatus) -> tuple[object, ...]:
    return (status.state, status.tests, status.done, status.passed, status.failed)
