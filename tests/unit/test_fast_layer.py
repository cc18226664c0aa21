"""``make test-fast`` runs the unit layer: the paths the Makefile lists exist (a renamed or moved
file would otherwise drop out of it silently) and run no emulator and no subprocess of the CLI."""

from __future__ import annotations

import re
from pathlib import Path

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
    files = [
        f
        for p in unit_paths()
        for f in ((ROOT / p).rglob("*.py") if (ROOT / p).is_dir() else [ROOT / p])
    ]
    for file in files:
        if file == Path(__file__).resolve():
            continue
        text = file.read_text(encoding="utf-8")
        for sign in ("run_cli(", "start_cli(", "EmulatorServer(", "matrix["):
            assert sign not in text, f"{file.relative_to(ROOT)} uses {sign}: not the unit layer"
