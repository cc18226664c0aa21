"""The in-process unit layer: the click group run by click's ``CliRunner`` (no subprocess, no
server), for option parsing, precedence and conversion, plus pure model logic.

Everything here goes through the public CLI (arguments, variables, the ``--dry-run`` request
and the one error line), not through ``settings`` internals, so it holds while the option
table is reshaped. The API URL points at a loopback port where nothing listens: a test that
sent a request by mistake would fail, never reach a real service.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from faultkit.common import TOKEN, free_port
from vibetesting_ci.cli import cli

DEFAULT_API_URL = "https://app.vibetesting.me/api/external/"  # interface.md, Configuration
DEFAULT_FILES = ("vibetesting-junit.xml", "vibetesting-report.pdf", "vibetesting-results.json")


@dataclass
class Invoked:
    """One in-process CLI call: exit code and both streams."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def lines(self) -> list[str]:
        """stderr's non-blank lines."""
        return [line for line in self.stderr.splitlines() if line.strip()]

    @property
    def error(self) -> str:
        """The one error line of an input error (asserts there is exactly one)."""
        assert self.exit_code == 2, self.output
        assert len(self.lines) == 1, self.stderr
        assert "Traceback" not in self.output
        return self.lines[0]

    def request(self) -> tuple[str, dict[str, Any]]:
        """What ``--dry-run`` printed: the request line ("POST URL") and the JSON body."""
        assert self.exit_code == 0, self.output
        first, auth, body = self.stdout.split("\n", 2)
        assert auth == "Authorization: api-key ***"
        parsed: dict[str, Any] = json.loads(body)
        return first, parsed

    @property
    def body(self) -> dict[str, Any]:
        return self.request()[1]

    @property
    def then(self) -> str:
        """The dry run's last line on stderr: what a real run would do."""
        assert self.exit_code == 0, self.output
        (line,) = [x for x in self.lines if x.startswith("dry run:")]
        return line


CI_PREFIXES = ("VIBETESTING_", "GITHUB_", "GITLAB_", "INPUT_")
CI_NAMES = ("CI", "NO_COLOR", "FORCE_COLOR", "GITLAB_CI", "JENKINS_URL")


@pytest.fixture(scope="session")
def dead_api_url() -> str:
    return f"http://127.0.0.1:{free_port()}/api/external/"


@pytest.fixture
def invoke(dead_api_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``invoke(*args, env={...})`` runs ``vibetesting ARGS`` in-process, in ``tmp_path`` (so
    a file written by mistake lands there). The environment is the test process's without any
    VIBETESTING_*/CI variables, plus a token and a dead API URL, plus ``env`` (a value of None
    removes that variable)."""
    monkeypatch.chdir(tmp_path)

    def call(*args: str, env: Mapping[str, str | None] | None = None) -> Invoked:
        merged: dict[str, str | None] = {
            k: None for k in os.environ if k.startswith(CI_PREFIXES) or k in CI_NAMES
        }
        merged.update({"VIBETESTING_API_TOKEN": TOKEN, "VIBETESTING_API_URL": dead_api_url})
        merged.update(env or {})
        result = CliRunner().invoke(cli, list(args), env=merged, catch_exceptions=False)
        return Invoked(result.exit_code, result.stdout, result.stderr)

    return call
