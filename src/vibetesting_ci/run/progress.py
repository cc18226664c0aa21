"""Progress for people, in two modes chosen by :func:`choose_listener`.

- **Live** (stderr is a terminal, ``TERM`` is not ``dumb``, not in CI): a block of lines, one
  per execution (state, done/total, passed, failed, elapsed), redrawn in place with ANSI cursor
  moves at most a few times a second. With many executions: one aggregate line plus the busiest
  few.
- **Log** (CI logs, pipes, files, ``TERM=dumb``, ``--verbose``): a line only when an
  execution's state or counts change, plus a heartbeat at most once a minute. Never one line
  per poll.

Colour only on a terminal, never with ``NO_COLOR`` (any non-empty value) or ``TERM=dumb``;
``FORCE_COLOR`` (non-empty, not ``0``) turns it on where there is no terminal, e.g. in GitLab
logs, which render it. Logs go to the adapter's stream (stderr; stdout under GitHub Actions,
whose runner reads workflow commands there); stdout otherwise carries ids and ``--json``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from vibetesting_ci.domain.models import ExecutionStatus
from vibetesting_ci.render.console import Style, describe, format_duration
from vibetesting_ci.run.waiting import Listener
from vibetesting_ci.safety.text import log_text, one_line
from vibetesting_ci.vocabulary import FALSE_WORDS, TRUE_WORDS, State

HEARTBEAT_SECONDS = 60.0
REDRAW_SECONDS = 0.25  # live mode: at most four redraws a second
LIVE_ROWS = 6  # up to this many executions, one line each; above, an aggregate + the busiest
BUSIEST = 5
LOG_DETAIL_LIMIT = 10  # log mode: above this many executions, aggregate lines instead
AGGREGATE_SECONDS = 30.0


# -- terminal capabilities ---------------------------------------------------------------------


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def in_ci(environ: Mapping[str, str]) -> bool:
    """A CI system runs us (its log is no terminal, even when it allocates a pseudo-terminal)."""
    return environ.get("CI", "").strip().lower() in TRUE_WORDS or bool(environ.get("JENKINS_URL"))


def colour_enabled(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Colour on a terminal; never with NO_COLOR or TERM=dumb; FORCE_COLOR forces it."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR", ""):
        return False
    force = env.get("FORCE_COLOR", "").strip().lower()
    if force and force not in FALSE_WORDS:
        return True
    if env.get("TERM", "") == "dumb":
        return False
    return _isatty(stream)


def live_enabled(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Redraw in place only on a real terminal that understands cursor moves, outside CI."""
    env = os.environ if environ is None else environ
    return _isatty(stream) and env.get("TERM", "") != "dumb" and not in_ci(env)


# -- log mode ----------------------------------------------------------------------------------


class LogProgress(Listener):
    """Line-oriented progress for CI logs (no TTY): changes and a once-a-minute heartbeat.

    Up to :data:`LOG_DETAIL_LIMIT` executions, every change of an execution's state or counts is
    a line. Above that (a big parallel run), a line per execution would flood the log, so only
    executions that end with failed or unfinished tests get their own line; the rest is one
    aggregate line at most every :data:`AGGREGATE_SECONDS`, when the totals changed.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        quiet: bool = False,
        warn: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        heartbeat: float = HEARTBEAT_SECONDS,
        detail_limit: int = LOG_DETAIL_LIMIT,
        aggregate_every: float = AGGREGATE_SECONDS,
    ) -> None:
        self._stream = stream
        self.quiet = quiet
        self._warn = warn
        self.clock = clock
        self.heartbeat = heartbeat
        self.detail_limit = detail_limit
        self.aggregate_every = aggregate_every
        self.started = clock()
        self.last_line = self.started
        self.last_aggregate = self.started
        self.total = 0
        self.latest: dict[int, ExecutionStatus] = {}
        self.changed = False  # totals changed since the last aggregate line

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    @property
    def many(self) -> bool:
        return max(self.total, len(self.latest)) > self.detail_limit

    def line(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)
        self.last_line = self.clock()

    def status(self, previous: ExecutionStatus | None, current: ExecutionStatus) -> None:
        self.latest[current.execution_id] = current
        if previous is not None and _key(previous) == _key(current):
            return
        if not self.many:
            self.line(describe(current))
            return
        self.changed = True
        ended = current.finished and (previous is None or not previous.finished)
        if ended and (current.failed or current.not_done):
            self.line(describe(current))

    def tick(self, statuses: list[ExecutionStatus | None]) -> None:
        self.total = max(self.total, len(statuses))
        now = self.clock()
        if self.many and self.changed and now - self.last_aggregate >= self.aggregate_every:
            self._aggregate(now, "progress")
            return
        if now - self.last_line >= self.heartbeat:
            self._aggregate(now, "still waiting")

    def _aggregate(self, now: float, label: str) -> None:
        known = list(self.latest.values())
        finished = [s for s in known if s.finished]
        troubled = sum(1 for s in finished if s.failed or s.not_done)
        done = sum(s.done for s in known)
        tests = sum(s.tests for s in known)
        text = (
            f"{label} ({format_duration(now - self.started)}): {len(finished)} of "
            f"{max(self.total, len(known))} executions done"
        )
        if troubled:
            text += f" ({troubled} with failed or unfinished tests)"
        text += f", {done}/{tests} tests done"
        if self.many:
            passed = sum(s.passed for s in known)
            failed = sum(s.failed for s in known)
            text += f", {passed} passed, {failed} failed"
        self.line(text)
        self.last_aggregate = now
        self.changed = False

    def warning(self, message: str) -> None:
        if self._warn is not None:
            self._warn(message)
        else:
            print(f"warning: {log_text(message)}", file=self.stream, flush=True)

    def stopping(self, execution_ids: list[int], why: str) -> None:
        self.line(f"{why}: stopping execution(s) {_ids(execution_ids)}")

    def close(self) -> None:
        """With many executions, the final totals (the summary table follows)."""
        if self.many and self.changed:
            self._aggregate(self.clock(), "progress")


def _ids(execution_ids: Sequence[int], limit: int = 10) -> str:
    ids = ", ".join(str(i) for i in execution_ids[:limit])
    more = len(execution_ids) - limit
    return ids + (f" and {more} more" if more > 0 else "")


def _key(status: ExecutionStatus) -> tuple[object, ...]:
    return (status.state, status.tests, status.done, status.passed, status.failed)


# -- live mode ---------------------------------------------------------------------------------

Segment = tuple[str, str | None]  # (text, style)


def fit(segments: Sequence[Segment], width: int, style: Style) -> str:
    """Join segments, cut to ``width`` visible characters (so a line never wraps), colour."""
    out: list[str] = []
    left = max(1, width)
    for text, name in segments:
        if left <= 0:
            break
        if len(text) > left:
            text = text[: max(0, left - 1)] + "…"
        out.append(style(text, name))
        left -= len(text)
    return "".join(out)


class LiveProgress(Listener):
    """A block of lines redrawn in place on a terminal (ANSI cursor moves)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        colour: bool = True,
        warn: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        min_redraw: float = REDRAW_SECONDS,
        width: Callable[[], int] | None = None,
    ) -> None:
        self.stream = stream
        self.style = Style(colour)
        self._warn = warn
        self.clock = clock
        self.min_redraw = min_redraw
        self._width = width
        self.started = clock()
        self.statuses: dict[int, ExecutionStatus] = {}
        self.order: list[int] = []
        self.finished_at: dict[int, float] = {}
        self.pending = 0  # executions not polled yet
        self.total = 0
        self.drawn = 0  # lines of the block currently on screen
        self.last_draw = float("-inf")
        self.last_second = -1
        self.dirty = False
        self.redraws = 0
        self.closed = False

    # Listener interface

    def status(self, previous: ExecutionStatus | None, current: ExecutionStatus) -> None:
        execution_id = current.execution_id
        if execution_id not in self.statuses:
            self.order.append(execution_id)
        self.statuses[execution_id] = current
        if current.finished and execution_id not in self.finished_at:
            self.finished_at[execution_id] = self.clock()
        if previous is None or _key(previous) != _key(current):
            self.dirty = True
            if self.total and len(self.finished_at) == self.total:
                self.draw()  # the final state is never lost to rate limiting

    def tick(self, statuses: list[ExecutionStatus | None]) -> None:
        self.total = max(self.total, len(statuses))
        self.pending = sum(1 for s in statuses if s is None)
        now = self.clock()
        second = int(now - self.started)
        if (self.dirty or second != self.last_second) and now - self.last_draw >= self.min_redraw:
            self.draw()

    def warning(self, message: str) -> None:
        self._above(lambda: self._print_warning(message))

    def stopping(self, execution_ids: list[int], why: str) -> None:
        text = f"{why}: stopping execution(s) {_ids(execution_ids)}"
        self._above(lambda: print(text, file=self.stream, flush=True))

    def close(self) -> None:
        """Draw the final state and leave it on screen; later output goes below it."""
        if self.closed:
            return
        if self.dirty or self.last_draw == float("-inf") or len(self.finished_at) < self.total:
            self.draw()
        self.drawn = 0
        self.closed = True

    # Drawing

    def _print_warning(self, message: str) -> None:
        if self._warn is not None:
            self._warn(message)
        else:
            print(f"warning: {log_text(message)}", file=self.stream, flush=True)

    def _above(self, emit: Callable[[], None]) -> None:
        """Print a permanent line above the live block, then redraw the block below it."""
        self._erase()
        emit()
        if not self.closed:
            self.draw()

    def _columns(self) -> int:
        if self._width is not None:
            return self._width()
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = 0
        return columns if columns > 0 else 80

    def _erase(self) -> None:
        if self.drawn:
            # To the start of the first line of the block, then clear to the end of the screen.
            self.stream.write(f"\r\x1b[{self.drawn}A\x1b[J")
            self.stream.flush()
            self.drawn = 0

    def draw(self) -> None:
        if self.closed:
            return
        now = self.clock()
        lines = self.render(now, self._columns() - 1)
        erase = f"\r\x1b[{self.drawn}A\x1b[J" if self.drawn else ""
        self.stream.write(erase + "".join(line + "\n" for line in lines))
        self.stream.flush()
        self.drawn = len(lines)
        self.last_draw = now
        self.last_second = int(now - self.started)
        self.dirty = False
        self.redraws += 1

    def _elapsed(self, execution_id: int, now: float) -> str:
        return format_duration(self.finished_at.get(execution_id, now) - self.started)

    def _row(self, status: ExecutionStatus, now: float, id_width: int, n: int) -> list[Segment]:
        """One execution: id, state, done/total, passed, failed, elapsed (``n``: count width)."""
        state = one_line(status.state, 40) or "unknown"
        style = self.style.for_status(status)
        segments: list[Segment] = [
            ("  " + str(status.execution_id).rjust(id_width) + "  ", "bold"),
            (state.ljust(10), style),
            (f"{status.done:>{n}}/{status.tests:<{n}} done  ", None),
            (f"{status.passed:>{n}} passed", "green" if status.passed else None),
            ("  ", None),
            (f"{status.failed:>{n}} failed", "red" if status.failed else None),
            (f"  {self._elapsed(status.execution_id, now):>6}", "dim"),
        ]
        if status.finished and status.detailed_status:
            segments.append(("  " + one_line(status.detailed_status, 200), "dim"))
        return segments

    def render(self, now: float, width: int) -> list[str]:
        """The block's lines (no trailing newlines), each at most ``width`` characters wide."""
        known = [self.statuses[i] for i in self.order]
        total = max(self.total, len(known))
        if not known and not total:
            return []
        if total <= LIVE_ROWS:
            shown = known
            lines: list[str] = []
        else:
            lines = [fit(self._aggregate(known, total, now), width, self.style)]
            shown = self._busiest(known)
        id_width = max((len(str(s.execution_id)) for s in shown), default=1)
        n = max((len(str(s.tests)) for s in shown), default=1)
        lines.extend(fit(self._row(s, now, id_width, n), width, self.style) for s in shown)
        if total <= LIVE_ROWS and self.pending:
            lines.append(
                fit(
                    [(f"  {self.pending} execution(s) waiting for their first status", "dim")],
                    width,
                    self.style,
                )
            )
        return lines

    def _aggregate(self, known: list[ExecutionStatus], total: int, now: float) -> list[Segment]:
        finished = sum(1 for s in known if s.finished)
        running = sum(1 for s in known if not s.finished and s.state == State.RUNNING)
        other = total - finished - running
        tests = sum(s.tests for s in known)
        done = sum(s.done for s in known)
        passed = sum(s.passed for s in known)
        failed = sum(s.failed for s in known)
        return [
            (f"{total} executions: ", "bold"),
            (f"{finished} {State.DONE}", "green" if finished else None),
            (f", {running} running", "yellow" if running else None),
            (f", {other} waiting", "dim"),
            (f" | tests {done}/{tests} done, ", None),
            (f"{passed} passed", "green" if passed else None),
            (", ", None),
            (f"{failed} failed", "red" if failed else None),
            (f" | {format_duration(now - self.started)}", "dim"),
        ]

    @staticmethod
    def _busiest(known: list[ExecutionStatus]) -> list[ExecutionStatus]:
        """The unfinished executions with the most tests left (running first); failures next."""
        unfinished = [s for s in known if not s.finished]
        unfinished.sort(
            key=lambda s: (s.state != State.RUNNING, -(s.tests - s.done), s.execution_id)
        )
        chosen = unfinished[:BUSIEST]
        if len(chosen) < BUSIEST:
            failed = [s for s in known if s.finished and (s.failed or s.not_done)]
            chosen += failed[: BUSIEST - len(chosen)]
        return chosen


# -- choosing ----------------------------------------------------------------------------------


def choose_listener(
    stream: TextIO,
    *,
    quiet: bool = False,
    verbose: bool = False,
    warn: Callable[[str], None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Listener:
    """Live redraws on a terminal; change lines and heartbeats everywhere else.

    ``--verbose`` keeps the log mode (request lines would tear a live block apart), and
    ``--quiet`` prints no progress at all (warnings still go through ``warn``).
    """
    env = os.environ if environ is None else environ
    if not quiet and not verbose and live_enabled(stream, env):
        return LiveProgress(stream, colour=colour_enabled(stream, env), warn=warn)
    return LogProgress(stream, quiet=quiet, warn=warn)
