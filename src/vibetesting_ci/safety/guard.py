"""The guard on stdout and stderr: no line written through them can start as a CI workflow command
(``::add-mask::``, ``::stop-commands::``, ``##[group]``, ``##vso[``) unless it is one of our own
(:func:`write_command`), NUL and C1 control bytes are dropped, and every registered secret is
scrubbed (``safety/scrub.py``). Service text is made safe for a log line by ``safety/text.py``'s
:func:`~vibetesting_ci.safety.text.log_text` before it gets here; this is the net under every
line, whoever built it.
"""

from __future__ import annotations

import io
import re
import threading
from typing import TextIO

from vibetesting_ci.safety.text import COMMAND_START

# The start of a line that may still become a command once the rest of it is written.
_COMMAND_PREFIX = re.compile(r"\s*(:|#|##|##v|##vs|##vso)?")
_DROPPED = re.compile("[\x00\x80-\x9f]")


class CommandGuard(io.TextIOBase):
    """A text stream wrapper for stdout and stderr: no line written through it can start as a
    workflow command unless it came through :meth:`command`, and NUL and C1 control bytes
    (which vibetesting-ci never writes itself) are dropped. Everything else passes unchanged,
    our own colours and GitLab's section markers included."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream
        self._at_line_start = True
        self._held = ""  # the start of a line that could still become a command
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        # Registered secrets (vibetesting_ci.safety.scrub) are cut out here too: this is where every
        # line for stdout and stderr is written, whoever built it.
        from vibetesting_ci.safety.scrub import scrub

        with self._lock:
            self._stream.write(self._guard(scrub(text)))
        return len(text)

    def command(self, line: str) -> None:
        """Write one workflow command line of our own (GitHubAdapter only)."""
        with self._lock:
            pending = self._guard("", final=True)
            if pending or not self._at_line_start:
                self._stream.write(pending + "\n")
            self._stream.write(line + "\n")
            self._at_line_start = True
            self._stream.flush()

    def _guard(self, text: str, *, final: bool = False) -> str:
        text = self._held + _DROPPED.sub("", text)
        self._held = ""
        out: list[str] = []
        for piece in text.splitlines(keepends=True):
            ends = piece.endswith(("\n", "\r"))
            if self._at_line_start:
                if COMMAND_START.match(piece):
                    piece = "\\" + piece.lstrip()
                elif not ends and not final and _COMMAND_PREFIX.fullmatch(piece):
                    self._held = piece  # wait for the rest of the line
                    continue
            out.append(piece)
            self._at_line_start = ends
        return "".join(out)

    def flush(self) -> None:
        with self._lock:
            self._stream.write(self._guard("", final=True))
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", None) or "utf-8"

    @property
    def wrapped(self) -> TextIO:
        return self._stream


def guard_std_streams() -> None:
    """Put a :class:`CommandGuard` on ``sys.stdout`` and ``sys.stderr`` (once)."""
    import sys

    if not isinstance(sys.stdout, CommandGuard):
        sys.stdout = CommandGuard(sys.stdout)
    if not isinstance(sys.stderr, CommandGuard):
        sys.stderr = CommandGuard(sys.stderr)


def write_command(stream: TextIO, line: str) -> None:
    """Write our own workflow command ``line`` to ``stream``, through its guard if it has one."""
    if isinstance(stream, CommandGuard):
        stream.command(line)
    else:
        print(line, file=stream, flush=True)
