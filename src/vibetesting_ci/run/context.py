"""What every command shares (:class:`Context`): the CI adapter, the streams and verbosity, the
cancel state and the warnings shown so far. Its own module, light to import: the CLI builds it
before it validates anything, and an input error never loads the runner's world.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from vibetesting_ci.publish.ci.base import CIAdapter
from vibetesting_ci.run.cancellation import Cancellation


@dataclass
class Context:
    """What every command shares: the CI adapter, the streams and verbosity, the cancel state
    and the warnings shown so far (they go into the results file and the summary too)."""

    adapter: CIAdapter
    quiet: bool = False
    verbose: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    cancellation: Cancellation = field(default_factory=Cancellation)
    warnings: list[str] = field(default_factory=list)
    # From the run's configuration for its report (run.announce.configured): the label, the
    # tests' own classnames, the target URL; empty for wait.
    configured: dict[str, Any] = field(default_factory=dict)

    def say(self, text: str) -> None:
        """A line for people (stderr), unless --quiet."""
        if not self.quiet:
            print(text, file=self.adapter.stream, flush=True)

    def debug(self, text: str) -> None:
        if self.verbose:
            print(f"debug: {text}", file=self.adapter.stream, flush=True)

    def warn(self, text: str) -> None:
        """A warning: recorded for the result, and shown by the CI adapter (with --quiet only
        where it is an annotation apart from the log)."""
        self.warnings.append(text)
        if not self.quiet or self.adapter.annotates:
            self.adapter.warning(text)

    @property
    def log(self) -> Callable[[str], None] | None:
        return self.debug if self.verbose else None
