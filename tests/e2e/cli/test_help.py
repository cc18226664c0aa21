"""Help that teaches: a purpose and working examples in every ``--help``; completion; version."""

from __future__ import annotations

import contextlib
import re
import shlex
import shutil
import tomllib
from pathlib import Path

import click
import pytest

from tests.support.cli import TOKEN, emulator_env, run_cli
from vibetesting_ci.cli import cli

ROOT = Path(__file__).resolve().parents[3]
COMMANDS = ["run", "wait", "status", "stop", "cancel-schedule", "emulator", "schema"]


def help_text(*args: str) -> str:
    result = run_cli([*args, "--help"], cwd=ROOT)
    assert result.returncode == 0, result.output
    assert result.stderr == ""
    return result.stdout


def examples(text: str) -> list[list[str]]:
    """Command lines shown under "Example(s):" in a help text (pipes and redirects cut off)."""
    found = []
    block = re.search(r"Examples?:\n((?:[ \t]+\S.*\n?)+)", text)
    assert block, text
    for line in block.group(1).splitlines():
        line = line.strip()
        if not line.startswith("vibetesting "):
            continue
        line = re.split(r"\s[|>]\s", line)[0]
        found.append(shlex.split(line)[1:])
    return found


def test_every_command_is_listed_in_the_top_level_help():
    text = help_text()
    listed = re.findall(r"^  ([a-z-]+)\s{2,}\S", text.split("Commands:")[1], re.M)
    assert sorted(listed) == sorted(COMMANDS)
    assert "_VIBETESTING_COMPLETE=bash_source vibetesting" in text
    assert "Exit codes:" in text


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_a_purpose_line_and_examples(command):
    text = help_text(command)
    lines = text.splitlines()
    assert lines[0].startswith(f"Usage: vibetesting {command}")
    purpose = lines[2].strip()
    assert purpose and purpose[0].isupper() and purpose.endswith("."), purpose
    assert len(purpose) <= 80
    assert examples(text), f"no example in 'vibetesting {command} --help'"


@pytest.mark.parametrize("command", COMMANDS)
def test_examples_parse(command):
    """Every example is accepted by the command's own parser (options, arguments, counts)."""
    for args in examples(help_text(command)):
        group_ctx = cli.make_context("vibetesting", list(args), resilient_parsing=False)
        name, sub, rest = cli.resolve_command(group_ctx, list(args))
        assert name == command and sub is not None
        with contextlib.suppress(click.exceptions.Exit):
            sub.make_context(name, rest, parent=group_ctx)


def test_run_examples_pass_validation_as_dry_runs(tmp_path):
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "tests.yml", tmp_path / "examples" / "tests.yml")
    shutil.copy(ROOT / "examples" / "tests.yml", tmp_path / "tests.yml")
    for args in examples(help_text("run")):
        if "--dry-run" not in args:
            args = [*args, "--dry-run"]
        result = run_cli(args, cwd=tmp_path, env={"VIBETESTING_API_TOKEN": TOKEN})
        assert result.returncode == 0, (args, result.output)


def test_top_level_quick_start_works_against_the_emulator(tmp_path, emulator):
    text = help_text()
    line = next(ln for ln in text.splitlines() if "vibetesting run --tests " in ln)
    args = shlex.split(line.strip())[1:]
    result = run_cli(args, cwd=tmp_path, env=emulator_env(emulator))
    assert result.returncode == 0, result.output
    assert "result: passed" in result.stderr


def test_version_matches_the_package():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for flag in ("--version", "-V"):
        result = run_cli([flag], cwd=ROOT)
        assert result.returncode == 0
        assert result.stdout.strip() == f"vibetesting, version {version}"


def complete(words: str) -> list[str]:
    parts = words.split(" ")
    env = {
        "_VIBETESTING_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
    }
    result = run_cli([], cwd=ROOT, env=env)
    assert result.returncode == 0, result.output
    return result.stdout.splitlines()


def test_shell_completion():
    script = run_cli([], cwd=ROOT, env={"_VIBETESTING_COMPLETE": "bash_source"})
    assert "_vibetesting_completion()" in script.stdout
    assert "plain,run" in complete("vibetesting ru")
    assert "plain,schema" in complete("vibetesting sc")
    assert "plain,--tests-file" in complete("vibetesting run --tests-f")
    assert complete("vibetesting run --execution-type ") == ["plain,guided", "plain,exploration"]
    assert complete("vibetesting run --repeat w") == ["plain,weekly"]
    assert complete("vibetesting run --junit-file ") == ["file,"]
    assert "plain,--test-seconds" in complete("vibetesting emulator --test-s")
