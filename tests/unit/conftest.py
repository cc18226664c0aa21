"""The in-process unit layer (``tests/unit/<layer>/``): every test here runs in this process.
Starting a subprocess or connecting a socket fails the test ("unit tests run in-process: move
this test to tests/e2e"); binding a port is allowed (``dead_api_url`` binds one to find a port
where nothing listens).

``invoke`` runs the click group through click's ``CliRunner`` (no subprocess, no server), for
option parsing, precedence and conversion: through the public CLI (arguments, variables, the
``--dry-run`` request and the one error line), not through the settings' internals, so those
tests hold while the option table is reshaped. The API URL points at a loopback port where
nothing listens: a request sent by mistake fails, never reaches a real service.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
from click.testing import CliRunner

from faultkit.common import TOKEN, free_port
from vibetesting_ci.cli import cli
from vibetesting_ci.safety import scrub
from vibetesting_ci.service.transport import reset_aborts

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


IN_PROCESS = "unit tests run in-process: move this test to tests/e2e"


def _refuse(*args: object, **kwargs: object) -> NoReturn:
    raise AssertionError(IN_PROCESS)


@pytest.fixture(autouse=True)
def _in_process_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No subprocess and no connection from a unit test (nor from the code it calls)."""
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse)
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse)


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


@pytest.fixture(autouse=True)
def _clean_process_state() -> Iterator[None]:
    """Every unit test starts and ends with no registered secret and no aborted transport:
    the scrubber's secrets and the transport's abort flag live as long as the process (as in
    the CLI), and one test's must not reach the next."""
    scrub.reset()
    reset_aborts()
    yield
    scrub.reset()
    reset_aborts()
