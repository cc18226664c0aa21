"""``make test-fast`` runs the unit layer: the paths the Makefile lists exist (a renamed or moved
file would otherwise drop out of it silently), the unit layer's guard is on, and the channel
checks it adds start no emulator and no subprocess of the CLI."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def unit_paths() -> list[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    found = re.search(r"^UNIT_TESTS := ((?:.*\\\n)*.*)$", makefile, re.MULTILINE)
    assert found, "Makefile: UNIT_TESTS"
    return found.group(1).replace("\\\n", " ").split()


def test_every_unit_path_exists():
    paths = unit_paths()
    assert "tests/unit" in paths
    assert [p for p in paths if not (ROOT / p).exists()] == []


def test_the_unit_layer_starts_no_emulator_and_no_cli_process():
    # tests/unit/: the guard of tests/unit/conftest.py fails any test that tries.
    with pytest.raises(AssertionError, match="move this test to tests/e2e"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)
    with (
        socket.socket() as sock,
        pytest.raises(AssertionError, match="move this test to tests/e2e"),
    ):
        sock.connect(("127.0.0.1", 9))
    # The channel checks make test-fast adds only read files.
    files = [
        f
        for p in unit_paths()
        if not p.startswith("tests/unit")
        for f in ((ROOT / p).rglob("*.py") if (ROOT / p).is_dir() else [ROOT / p])
    ]
    for file in files:
        text = file.read_text(encoding="utf-8")
        for sign in ("run_cli(", "start_cli(", "EmulatorServer(", "matrix[", "subprocess"):
            assert sign not in text, f"{file.relative_to(ROOT)} uses {sign}: not the unit layer"
