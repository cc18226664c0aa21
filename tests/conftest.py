"""Shared fixtures: a real emulator on loopback and the real CLI run as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vibetesting_ci.emulator import EmulatorServer

ROOT = Path(__file__).resolve().parent.parent
XSD = ROOT.parent / "shared" / "spec" / "junit-10.xsd"
if not XSD.exists():  # the package keeps a copy, byte for byte
    XSD = ROOT / "src" / "vibetesting_ci" / "reports" / "junit-10.xsd"
TOKEN = "tok-Secret-0123456789abcdef"  # distinctive, so leaks are easy to find
PASSWORD = "pw-Hunter2-very-secret"


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


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without any VIBETESTING_* or CI variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIBETESTING_", "GITHUB_", "GITLAB_", "INPUT_"))
        and k not in ("CI", "NO_COLOR", "FORCE_COLOR")
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


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


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    """Check ``predicate`` every 10 ms until it holds (True) or ``timeout`` seconds pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


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
