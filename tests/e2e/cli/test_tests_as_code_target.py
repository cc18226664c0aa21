"""Tests as code end to end (issue 23): the target URL. The real CLI against the real emulator;
the request bodies say what the service got."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli.tac_support import (
    SENTENCE,
    dry_body,
    input_error,
    only_body,
    stderr_lines,
    write,
    yaml_of_tests,
)

URL = "https://pr-17.preview.example.com/shop?lang=en"


def test_the_url_is_one_sentence_before_the_files_own_instructions(
    cli: Any, emulator: Any, tmp_path: Path
) -> None:
    write(
        tmp_path, "t.yml", "general_instructions: Accept the cookie banner.\n" + yaml_of_tests("a")
    )
    result = cli("run", "--tests-file", "t.yml", "--target-url", URL)
    assert result.returncode == 0, result.output
    body = only_body(emulator)
    assert body["general_instructions"] == (
        f"{SENTENCE.format(url=URL)}\n\nAccept the cookie banner."
    )
    assert names(body) == ["a"]


def names(body: dict[str, Any]) -> list[str]:
    return [t["name"] for t in body["tests"]]


def test_the_url_alone_is_the_whole_instruction(cli: Any, emulator: Any, tmp_path: Path) -> None:
    write(tmp_path, "t.yml", yaml_of_tests("a"))
    result = cli("run", "--tests-file", "t.yml", env={"VIBETESTING_TARGET_URL": URL})
    assert result.returncode == 0, result.output
    assert only_body(emulator)["general_instructions"] == SENTENCE.format(url=URL)


def test_without_a_url_the_instructions_are_sent_unchanged(
    cli: Any, emulator: Any, tmp_path: Path
) -> None:
    write(tmp_path, "t.yml", "general_instructions: Be quick.\n" + yaml_of_tests("a"))
    assert cli("run", "--tests-file", "t.yml").returncode == 0
    assert only_body(emulator)["general_instructions"] == "Be quick."


@pytest.mark.parametrize(
    ("option", "variable", "expected"),
    [
        (None, None, "https://file.example/"),
        (None, "https://variable.example/", "https://variable.example/"),
        ("https://option.example/", "https://variable.example/", "https://option.example/"),
    ],
)
def test_option_over_variable_over_file(
    cli: Any,
    emulator: Any,
    tmp_path: Path,
    option: str | None,
    variable: str | None,
    expected: str,
) -> None:
    write(tmp_path, "t.yml", "target_url: https://file.example/\n" + yaml_of_tests("a"))
    args = ["run", "--tests-file", "t.yml"] + (["--target-url", option] if option else [])
    env = {"VIBETESTING_TARGET_URL": variable} if variable else {}
    assert cli(*args, env=env).returncode == 0
    assert only_body(emulator)["general_instructions"] == SENTENCE.format(url=expected)


def test_the_instructions_option_keeps_the_files_url(
    cli: Any, emulator: Any, tmp_path: Path
) -> None:
    """--general-instructions replaces the file's instructions, never its target URL."""
    write(tmp_path, "t.yml", "target_url: https://file.example/\n" + yaml_of_tests("a"))
    assert cli("run", "--tests-file", "t.yml", "--general-instructions", "Mine.").returncode == 0
    assert only_body(emulator)["general_instructions"] == (
        "Test the application at https://file.example/.\n\nMine."
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ftp://files.example/", "expected an http:// or https:// URL: 'ftp://files.example/'"),
        ("preview.example.com", "expected an http:// or https:// URL: 'preview.example.com'"),
        ("https://", "the URL names no host: 'https://'"),
        ("https://a.example:99999/", "not a valid URL (check the host and port)"),
        ("https://a.example/ b", "must not contain spaces or control characters"),
    ],
)
def test_a_bad_url_is_one_line_exit_2_nothing_sent(
    cli: Any, emulator: Any, tmp_path: Path, value: str, problem: str
) -> None:
    write(tmp_path, "t.yml", yaml_of_tests("a"))
    message = input_error(cli("run", "--tests-file", "t.yml", "--target-url", value), emulator)
    assert message.startswith("--target-url: "), message
    assert problem in message
    message = input_error(
        cli("run", "--tests-file", "t.yml", env={"VIBETESTING_TARGET_URL": value}), emulator
    )
    assert message.startswith("VIBETESTING_TARGET_URL: "), message


def test_a_bad_url_in_the_file_names_the_file_and_line(
    cli: Any, emulator: Any, tmp_path: Path
) -> None:
    write(tmp_path, "t.yml", yaml_of_tests("a") + "target_url: ftp://files.example/\n")
    message = input_error(cli("run", "--tests-file", "t.yml"), emulator)
    assert message == (
        "t.yml:4: target_url: expected an http:// or https:// URL: 'ftp://files.example/'"
    )


def test_a_url_made_by_variables_is_checked_once_filled_in(
    cli: Any, emulator: Any, tmp_path: Path
) -> None:
    write(tmp_path, "t.yml", "target_url: ${HOST}/shop\n" + yaml_of_tests("a"))
    message = input_error(
        cli("run", "--tests-file", "t.yml", "--var", "HOST=shop.example"), emulator
    )
    assert (
        message == "t.yml:1: target_url: expected an http:// or https:// URL: 'shop.example/shop'"
    )
    result = cli("run", "--tests-file", "t.yml", "--var", "HOST=https://shop.example")
    assert result.returncode == 0, result.output
    assert only_body(emulator)["general_instructions"] == (
        "Test the application at https://shop.example/shop."
    )


def test_the_url_is_shown_in_the_dry_run(cli: Any, emulator: Any, tmp_path: Path) -> None:
    write(tmp_path, "t.yml", yaml_of_tests("a"))
    result = cli("run", "--tests-file", "t.yml", "--target-url", URL, "--dry-run")
    body = dry_body(result)
    assert body["general_instructions"] == SENTENCE.format(url=URL)
    assert f"target URL: {URL}" in stderr_lines(result)
    assert emulator.journal == []


def test_the_url_is_in_the_results_the_junit_the_summary_and_the_log(
    cli: Any, emulator: Any, tmp_path: Path
) -> None:
    write(tmp_path, "t.yml", yaml_of_tests("a", "b [fail]"))
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "out.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    result = cli("run", "--tests-file", "t.yml", "--target-url", URL, env=env)
    assert result.returncode == 1, result.output
    assert json.loads((tmp_path / "vibetesting-results.json").read_text())["target_url"] == URL
    junit = ET.parse(tmp_path / "vibetesting-junit.xml").getroot()
    for suite in junit.iter("testsuite"):
        values = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert values["target_url"] == URL
    assert URL in (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert f"target URL: {URL}" in result.output.splitlines()  # GitHub's log is stdout


def test_a_password_in_the_url_is_sent_but_shown_as_stars(
    cli: Any, emulator: Any, tmp_path: Path
) -> None:
    write(tmp_path, "t.yml", yaml_of_tests("a"))
    url = "https://ci:${PREVIEW_PASSWORD}@pr-17.preview.example.com/"
    secret = "Pr3view-Passw0rd"
    result = cli(
        "run",
        "--tests-file",
        "t.yml",
        "--target-url",
        url,
        env={"VIBETESTING_SECRET_PREVIEW_PASSWORD": secret},
    )
    assert result.returncode == 0, result.output
    assert only_body(emulator)["general_instructions"] == (
        f"Test the application at https://ci:{secret}@pr-17.preview.example.com/."
    )
    shown = "https://ci:***@pr-17.preview.example.com/"
    assert f"target URL: {shown}" in stderr_lines(result)
    results = json.loads((tmp_path / "vibetesting-results.json").read_text())
    assert results["target_url"] == shown
    for path in tmp_path.iterdir():
        if path.is_file():
            assert secret not in path.read_text(encoding="utf-8", errors="replace"), path
    assert secret not in result.output
