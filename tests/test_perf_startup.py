"""Start-up stays light: what ``--help``, ``--version`` and input errors import (no timing here).

``vibetesting --help`` and ``--version`` are answered before click is imported
(:mod:`vibetesting_ci.fastpath`); these tests check that the answers are exactly click's, that
the stored help is current, and that no heavy module is loaded on these paths. How fast that is
is measured by ``benchmarks/bench_startup.py``, not asserted here.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from tests.conftest import clean_env
from vibetesting_ci import __version__, _help, fastpath

HEAVY = (
    "requests",
    "urllib3",
    "yaml",
    "charset_normalizer",
    "idna",
    "certifi",
    "ssl",
    "http.client",
    "vibetesting_ci.emulator",
    "vibetesting_ci.reports.junit",
)


def _importtime(args: list[str]) -> tuple[int, str, set[str]]:
    environ = clean_env({"VIBETESTING_API_TOKEN": "tok"})
    environ.pop("COLUMNS", None)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return proc.returncode, proc.stdout, modules


@functools.cache
def at_interpreter_start() -> frozenset[str]:
    """What this interpreter imports for ``-c pass`` (site hooks may load certifi and more)."""
    return frozenset(_importtime(["-c", "pass"])[2])


def imported(args: list[str]) -> tuple[int, str, set[str]]:
    """Run ``python -X importtime -m vibetesting_ci ARGS``: exit code, stdout, and the modules
    it imported beyond what a bare start of the same interpreter imports."""
    code, out, modules = _importtime(["-m", "vibetesting_ci", *args])
    return code, out, modules - at_interpreter_start()


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.startswith(HEAVY))


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["--version"], ["-V"]])
def test_help_and_version_import_neither_click_nor_anything_heavy(args: list[str]) -> None:
    code, out, modules = imported(args)
    assert code == 0
    assert out.startswith("Usage: vibetesting" if "h" in args[0] else "vibetesting, version")
    assert heavy(modules) == []
    assert "click" not in modules
    assert "vibetesting_ci.cli" not in modules


@pytest.mark.parametrize(
    "args",
    [
        ["wait", "not-a-number"],
        ["status", "abc"],
        ["run", "--timeout", "soon"],
        ["run", "--tests-file", "no-such-file.yml"],
        ["run", "--help"],
    ],
)
def test_input_errors_and_command_help_import_nothing_heavy(args: list[str]) -> None:
    code, _out, modules = imported(args)
    assert code == (0 if "--help" in args else 2)
    assert heavy(modules) == []


def test_fast_answers_are_exactly_what_click_prints() -> None:
    env = clean_env()
    env.pop("COLUMNS", None)
    for args in (["--help"], ["-h"], ["--version"], ["-V"]):
        fast = subprocess.run(
            [sys.executable, "-m", "vibetesting_ci", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        slow = subprocess.run(
            [sys.executable, "-c", "from vibetesting_ci.cli import main; main()", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert (fast.returncode, fast.stdout, fast.stderr) == (0, slow.stdout, slow.stderr)


def test_stored_help_is_current() -> None:
    hint = "the stored top-level help is stale: run `python -m vibetesting_ci.fastpath --write`"
    assert fastpath.render_with_click(_help.WIDTH) == _help.TOP_HELP, hint
    assert fastpath.cli_crc() == _help.CLI_CRC, hint
    assert fastpath.help_width({}, None) == _help.WIDTH


def test_stored_help_is_used_only_where_it_is_exact() -> None:
    assert fastpath.answer(["--help"], {}, None) == _help.TOP_HELP
    assert fastpath.answer(["--version"], {}, None) == f"vibetesting, version {__version__}\n"
    # Another width (a terminal, COLUMNS), more arguments, a command, or shell completion:
    # click answers.
    assert fastpath.answer(["--help"], {"COLUMNS": "120"}, None) is None
    assert fastpath.answer(["--help"], {"COLUMNS": "80"}, None) == _help.TOP_HELP
    assert fastpath.answer(["--help", "--version"], {}, None) is None
    assert fastpath.answer(["run", "--help"], {}, None) is None
    assert fastpath.answer([], {}, None) is None
    assert fastpath.answer(["--help"], {"_VIBETESTING_COMPLETE": "bash_source"}, None) is None


@pytest.mark.parametrize("columns", ["", "0", "40", "52", "80", "99", "100", "101", "250", "x"])
def test_help_width_follows_click(columns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    environ = {"COLUMNS": columns} if columns else {}
    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    else:
        monkeypatch.delenv("COLUMNS", raising=False)
    # No terminal on fd -1: both fall back to 80 columns when COLUMNS says nothing usable.
    monkeypatch.setattr(sys, "__stdout__", open(os.devnull, "w"))  # noqa: SIM115
    try:
        expected = click.formatting.HelpFormatter(max_width=fastpath.MAX_CONTENT_WIDTH).width
    finally:
        sys.__stdout__.close()
    assert fastpath.help_width(environ, None) == expected


def test_console_script_goes_through_the_fast_path() -> None:
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text("utf-8")
    assert 'vibetesting = "vibetesting_ci.fastpath:main"' in pyproject
