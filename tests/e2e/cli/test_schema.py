"""`vibetesting schema` through the real CLI: it prints the schema the package ships."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.paths import ROOT

SCHEMA_PATH = ROOT / "src" / "vibetesting_ci" / "tests-file.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_schema_command_prints_the_shipped_schema(tmp_path):
    result = run_cli(["schema"], cwd=tmp_path)
    assert result.returncode == 0, result.output
    assert json.loads(result.stdout) == SCHEMA
    located = run_cli(["schema", "--path"], cwd=tmp_path)
    assert Path(located.stdout.strip()).read_text(encoding="utf-8") == result.stdout
