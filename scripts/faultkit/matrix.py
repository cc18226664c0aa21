"""Many scenarios at once: :class:`Matrix` runs each scenario once, a few at a time in
parallel, and keeps the outcomes for every test that looks at them (the test suite holds one
in its session-scoped ``matrix`` fixture)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from faultkit.run import Outcome, run_scenario
from faultkit.scenarios import BY_NAME


class Matrix:
    """Runs scenarios on demand (a few at a time in parallel) and keeps their outcomes."""

    def __init__(self, root: Path, parallel: int = 4) -> None:
        self.root = root
        self.parallel = parallel
        self._cache: dict[str, Outcome] = {}
        self._lock = threading.Lock()

    def prefetch(self, names: Sequence[str]) -> None:
        todo = [n for n in dict.fromkeys(names) if n not in self._cache]
        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            for name, outcome in zip(
                todo, pool.map(lambda n: run_scenario(BY_NAME[n], self.root / n), todo), strict=True
            ):
                with self._lock:
                    self._cache[name] = outcome

    def __getitem__(self, name: str) -> Outcome:
        if name not in self._cache:
            outcome = run_scenario(BY_NAME[name], self.root / name)
            with self._lock:
                self._cache.setdefault(name, outcome)
        return self._cache[name]


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
