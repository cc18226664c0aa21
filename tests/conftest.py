"""Shared fixtures: a real emulator on loopback, the real CLI run as a subprocess, and the
session's fault matrix (``scripts/faultkit``, importable through pytest's ``pythonpath``)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from faultkit.common import PASSWORD as PASSWORD
from faultkit.common import TOKEN as TOKEN
from faultkit.common import clean_env as clean_env
from faultkit.common import wait_until as wait_until
from faultkit.matrix import Matrix, wanted_scenarios
from faultkit.run import pid1_available
from vibetesting_ci.emulator import EmulatorServer

ROOT = Path(__file__).resolve().parent.parent
XSD = ROOT.parent / "shared" / "spec" / "junit-10.xsd"
if not XSD.exists():  # the package keeps a copy, byte for byte
    XSD = ROOT / "src" / "vibetesting_ci" / "render" / "junit-10.xsd"
# TOKEN and PASSWORD (distinctive, so leaks are easy to find), clean_env and wait_until come
# from faultkit.common: the fault matrix and these tests must use the same ones.


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str
    cwd: Path

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def file(self, name: str) -> Path:
        return self.cwd / name

    def results(self, name: str = "vibetesting-results.json") -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.file(name).read_text(encoding="utf-8"))
        return data


def run_cli(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    input: str | None = None,
) -> CliResult:
    """Run ``python -m vibetesting_ci ARGS`` for real and capture everything."""
    proc = subprocess.run(
        [sys.executable, "-m", "vibetesting_ci", *args],
        cwd=cwd,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr, cwd)


def start_cli(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start ``python -m vibetesting_ci ARGS`` for real (stdout and stderr piped, as text), for
    a test that signals or watches it while it runs; the caller waits for it (and kills it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "vibetesting_ci", *args],
        cwd=cwd,
        env=clean_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, seed=1) as server:
        yield server


def emulator_env(server: EmulatorServer, **extra: str) -> dict[str, str]:
    """Variables that point the CLI at ``server`` with fast polling, plus ``extra``."""
    return {
        "VIBETESTING_API_TOKEN": TOKEN,
        "VIBETESTING_API_URL": server.url,
        "VIBETESTING_POLL_INTERVAL": "0.1",
        **extra,
    }


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


def api_bodies(server: EmulatorServer, endpoint: str) -> list[Any]:
    """JSON bodies the emulator received on one endpoint."""
    return [r.json for r in server.journal if r.endpoint == endpoint]


def assert_no_secret(*texts: str, secrets: Sequence[str] = (TOKEN, PASSWORD)) -> None:
    for text in texts:
        for secret in secrets:
            at = text.find(secret)
            assert at < 0, f"secret leaked: ...{text[max(0, at - 80) :][:200]}"


def all_files_text(folder: Path) -> str:
    """Every file under ``folder`` as text (bytes decoded leniently), for leak checks."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


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


# -- markers by folder (issue 22): pytest -m unit | e2e | channels | matrix ----------------------

_MARKED_FOLDERS = {"unit": "unit", "e2e": "e2e", "channels": "channels", "matrix": "matrix"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        try:
            parts = item.path.resolve().relative_to(here).parts[:-1]
        except ValueError:
            continue
        for part in parts:
            if part in _MARKED_FOLDERS:
                item.add_marker(_MARKED_FOLDERS[part])
