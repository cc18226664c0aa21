"""Helpers of the tests-as-code end-to-end tests (issue 23): files in a workspace, the bodies the
emulator received, input errors that send nothing, dry runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.cli import CliResult, api_bodies
from vibetesting_ci.emulator import EmulatorServer

SENTENCE = "Test the application at {url}."


def write(folder: Path, name: str, text: str) -> Path:
    """``text`` into ``folder/name`` (parents made)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def yaml_of_tests(
    *names: str, tags: dict[str, list[str]] | None = None, steps: str = "do it"
) -> str:
    """A tests file listing ``names``, each with ``steps`` and its ``tags`` if any."""
    lines = ["tests:"]
    for name in names:
        lines += [f"  - name: {json.dumps(name)}", f"    steps: {json.dumps(steps)}"]
        if tags and name in tags:
            lines.append(f"    tags: {json.dumps(tags[name])}")
    return "\n".join(lines) + "\n"


def sent(emulator: EmulatorServer) -> list[dict[str, Any]]:
    """The ``run-tests`` bodies the emulator received, in order."""
    return api_bodies(emulator, "run-tests")


def only_body(emulator: EmulatorServer) -> dict[str, Any]:
    """The one ``run-tests`` body of a run."""
    bodies = sent(emulator)
    assert len(bodies) == 1, bodies
    body: dict[str, Any] = bodies[0]
    return body


def names(body: dict[str, Any]) -> list[str]:
    return [test["name"] for test in body.get("tests", [])]


def input_error(result: CliResult, emulator: EmulatorServer | None = None) -> str:
    """The one error line of an input error (exit 2), after checking that nothing was sent and
    nothing written; the message without its ``error: `` prefix."""
    assert result.returncode == 2, result.output
    assert result.stdout == "", result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines
    if emulator is not None:
        assert emulator.journal == [], [r.path for r in emulator.journal]
    written = [p.name for p in result.cwd.iterdir() if p.name.startswith("vibetesting-")]
    assert written == [], written
    return lines[0].removeprefix("error: ")


def dry_body(result: CliResult) -> dict[str, Any]:
    """The request body a ``--dry-run`` printed (after the POST and Authorization lines)."""
    assert result.returncode == 0, result.output
    request_line, auth, body = result.stdout.split("\n", 2)
    assert request_line.startswith("POST ") and auth == "Authorization: api-key ***"
    parsed: dict[str, Any] = json.loads(body)
    return parsed


def stderr_lines(result: CliResult) -> list[str]:
    return result.stderr.strip().splitlines()
