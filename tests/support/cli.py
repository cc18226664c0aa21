"""The real CLI as a subprocess, for the end-to-end and channel tests: run it (``run_cli``) or
start it (``start_cli``) in a clean environment, point it at an emulator (``emulator_env``),
read what the emulator received (``api_bodies``) and check that no secret got out.

TOKEN and PASSWORD (distinctive, so leaks are easy to find), ``clean_env`` and ``wait_until``
come from ``faultkit.common``: the fault matrix and these tests must use the same ones.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faultkit.common import PASSWORD as PASSWORD
from faultkit.common import TOKEN as TOKEN
from faultkit.common import clean_env as clean_env
from faultkit.common import wait_until as wait_until
from tests.support.paths import ROOT as ROOT
from tests.support.paths import XSD as XSD

if TYPE_CHECKING:
    from vibetesting_ci.emulator import EmulatorServer


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


def emulator_env(server: EmulatorServer, **extra: str) -> dict[str, str]:
    """Variables that point the CLI at ``server`` with fast polling, plus ``extra``."""
    return {
        "VIBETESTING_API_TOKEN": TOKEN,
        "VIBETESTING_API_URL": server.url,
        "VIBETESTING_POLL_INTERVAL": "0.1",
        **extra,
    }


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
