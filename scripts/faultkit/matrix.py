"""Many scenarios at once: :class:`Matrix` runs each scenario once, a few at a time in
background threads, and keeps the outcomes for every test that looks at them (the test suite
holds one in its session-scoped ``matrix`` fixture)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from faultkit.run import Outcome, run_scenario
from faultkit.scenarios import BY_NAME


class Matrix:
    """Runs scenarios (each once, ``parallel`` at a time) and keeps their outcomes.

    :meth:`start` queues scenarios to run in the background; ``matrix[name]`` waits for that
    scenario's outcome (running it there and then if it was never queued); :meth:`close`
    drops what was queued but not started and waits for the rest.
    """

    def __init__(
        self, root: Path, parallel: int = 4, environ: Mapping[str, str] | None = None
    ) -> None:
        self.root = root
        self.parallel = parallel
        # The environment every scenario starts from, copied now: tests running meanwhile
        # (monkeypatch, CliRunner) change os.environ, and background runs must not see that.
        self.environ = dict(os.environ if environ is None else environ)
        self._cache: dict[str, Outcome] = {}
        self._queued: dict[str, Future[Outcome]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _run(self, name: str) -> Outcome:
        return run_scenario(BY_NAME[name], self.root / name, self.environ)

    def start(self, names: Iterable[str]) -> None:
        """Queue ``names`` (in this order) to run in the background; returns at once."""
        with self._lock:
            known = self._cache.keys() | self._queued.keys()
            todo = [n for n in dict.fromkeys(names) if n not in known]
            if not todo:
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.parallel, thread_name_prefix="fault-matrix")
            for name in todo:
                self._queued[name] = self._pool.submit(self._run, name)

    def prefetch(self, names: Sequence[str]) -> None:
        """Run ``names`` and wait until every one of them is done."""
        self.start(names)
        for name in names:
            self[name]

    def __getitem__(self, name: str) -> Outcome:
        with self._lock:
            if name in self._cache:
                return self._cache[name]
            queued = self._queued.get(name)
        outcome = queued.result() if queued is not None else self._run(name)
        with self._lock:
            return self._cache.setdefault(name, outcome)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def wanted_scenarios(items: Iterable[Any], fixture: str = "matrix") -> list[str]:
    """Scenario names that collected pytest items ask for: the ``scenario`` parameter of each
    test that uses ``fixture``."""
    names: list[str] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and fixture in getattr(item, "fixturenames", ()):
            name = callspec.params.get("scenario")
            if isinstance(name, str) and name in BY_NAME:
                names.append(name)
    return names
