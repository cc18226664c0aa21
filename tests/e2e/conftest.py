"""End-to-end fixtures: a real emulator on loopback, the real CLI run as a subprocess against it,
and the session's fault matrix (``scripts/faultkit``, importable through pytest's
``pythonpath``). The helpers they use are in ``tests/support/cli.py``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from faultkit.matrix import Matrix, wanted_scenarios
from faultkit.run import pid1_available
from tests.support.cli import CliResult, emulator_env, run_cli
from tests.support.fixtures import emulator as emulator
from vibetesting_ci.emulator import EmulatorServer


@pytest.fixture
def api_env(emulator: EmulatorServer) -> dict[str, str]:
    """Variables that point the CLI at the emulator, with fast polling."""
    return emulator_env(emulator, VIBETESTING_TIMEOUT="60")


@pytest.fixture
def cli(tmp_path: Path, api_env: dict[str, str]) -> Any:
    """``cli(*args, env={...})`` runs the CLI in a fresh workspace against the emulator."""

    def call(*args: str, env: Mapping[str, str] | None = None, **kwargs: Any) -> CliResult:
        merged = dict(api_env)
        merged.update(env or {})
        return run_cli(args, cwd=tmp_path, env=merged, **kwargs)

    return call


# -- session-scoped: each runs once per session, however many tests use it ----------------------


@pytest.fixture(scope="session")
def pid1_namespaces() -> bool:
    """True if this machine can run the CLI as PID 1 of a new PID namespace (root, unshare)."""
    return pid1_available()


@pytest.fixture(scope="session")
def matrix(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    """The fault matrix (``faultkit.matrix.Matrix``): ``matrix[name]`` is that scenario's
    outcome. On first use it runs every scenario the session's collected tests ask for (their
    ``scenario`` parameter), four at a time, and waits for them (nothing else runs meanwhile,
    so their timings are not skewed by the rest of the suite); any other scenario runs when
    first looked up. Each scenario runs once per session."""
    runner = Matrix(tmp_path_factory.mktemp("fault-matrix"))
    runner.prefetch(wanted_scenarios(request.session.items))
    yield runner
    runner.close()
