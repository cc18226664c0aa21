"""The console script's entry point installs the SIGTERM handler before anything else."""

from __future__ import annotations

from pathlib import Path


def test_console_script_installs_the_handler_first() -> None:
    pyproject = (Path(__file__).resolve().parents[3] / "pyproject.toml").read_text("utf-8")
    assert 'vibetesting = "vibetesting_ci.__main__:main"' in pyproject
