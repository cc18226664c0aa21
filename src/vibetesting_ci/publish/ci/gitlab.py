"""GitLab CI: collapsible log sections; errors and warnings as plain lines.

GitLab cannot mask a value at run time (only masked CI/CD variables are hidden), so ``mask()``
does nothing here: the CLI never prints secrets anyway. Outputs for later jobs come from the
dotenv report (``--dotenv-file``, written by the reporters) and the JUnit report, both declared
under ``artifacts:reports`` in the job.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

from vibetesting_ci.publish.ci.base import CIAdapter
from vibetesting_ci.safety.text import one_line
from vibetesting_ci.vocabulary import CISystem

ESC = "\x1b"
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")
_counter = itertools.count(1)


def section_start(
    name: str, title: str, *, collapsed: bool = True, now: float | None = None
) -> str:
    """The marker that opens a collapsible section (``section_start:TS:NAME[collapsed=true]``)."""
    stamp = int(time.time() if now is None else now)
    options = "[collapsed=true]" if collapsed else ""
    title = one_line(title)
    return f"{ESC}[0Ksection_start:{stamp}:{name}{options}\r{ESC}[0K{title}"


def section_end(name: str, *, now: float | None = None) -> str:
    stamp = int(time.time() if now is None else now)
    return f"{ESC}[0Ksection_end:{stamp}:{name}\r{ESC}[0K"


def section_name(title: str) -> str:
    """A section name GitLab accepts (letters, digits, ``_ . -``), unique in this process."""
    slug = _NAME_CHARS.sub("_", title.lower()).strip("_")[:40] or "section"
    return f"vibetesting_{slug}_{next(_counter)}"


class GitLabAdapter(CIAdapter):
    """``GITLAB_CI=true``: the polling log in a collapsed section."""

    name = CISystem.GITLAB

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        name = section_name(title)
        print(section_start(name, title), file=self.stream, flush=True)
        try:
            yield
        finally:
            print(section_end(name), file=self.stream, flush=True)
