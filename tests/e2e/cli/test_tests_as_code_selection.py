"""Tests as code end to end (issue 23): selecting tests by tag and name. The real CLI against the
real emulator; the request bodies say which tests the service got."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli.tac_support import (
    dry_body,
    input_error,
    names,
    only_body,
    stderr_lines,
    write,
    yaml_of_tests,
)

ALL = ["home page", "search", "guest checkout", "saved card checkout", "admin report"]
TAGS = {
    "home page": ["smoke"],
    "search": ["Smoke", "search"],
    "guest checkout": ["checkout"],
    "saved card checkout": ["checkout", "slow"],
}


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return write(tmp_path, "t.yml", yaml_of_tests(*ALL, tags=TAGS))


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ([], {}, ALL),
        (["--tag", "smoke"], {}, ["home page", "search"]),
        (["--tag", "SMOKE", "--tag", "checkout"], {}, ALL[:4]),
        ([], {"VIBETESTING_TAGS": "smoke\ncheckout\n"}, ALL[:4]),
        (["--exclude-tag", "slow"], {}, ["home page", "search", "guest checkout", "admin report"]),
        ([], {"VIBETESTING_EXCLUDE_TAGS": "slow\nsmoke"}, ["guest checkout", "admin report"]),
        (["--tag", "checkout", "--exclude-tag", "slow"], {}, ["guest checkout"]),
        (["--grep", "CHECKOUT$"], {}, ["guest checkout", "saved card checkout"]),
        ([], {"VIBETESTING_GREP": "^(home|admin)"}, ["home page", "admin report"]),
        (["--tag", "checkout", "--grep", "card"], {}, ["saved card checkout"]),
        # the option wins over its variable
        (["--tag", "search"], {"VIBETESTING_TAGS": "checkout"}, ["search"]),
    ],
)
def test_the_service_gets_exactly_the_selected_tests_in_order(
    cli: Any,
    emulator: Any,
    suite: Path,
    args: list[str],
    env: dict[str, str],
    expected: list[str],
) -> None:
    result = cli("run", "--tests-file", suite.name, *args, env=env)
    assert result.returncode == 0, result.output
    assert names(only_body(emulator)) == expected


def test_the_dry_run_lists_what_was_left_out(cli: Any, emulator: Any, suite: Path) -> None:
    result = cli(
        "run", "--tests-file", suite.name, "--tag", "checkout", "--exclude-tag", "slow", "--dry-run"
    )
    assert names(dry_body(result)) == ["guest checkout"]
    lines = stderr_lines(result)
    assert "selected 1 of 5 tests" in lines
    assert [line for line in lines if line.startswith("left out: ")] == [
        "left out: 'home page' (not tagged checkout)",
        "left out: 'search' (not tagged checkout)",
        "left out: 'saved card checkout' (tag slow excluded)",
        "left out: 'admin report' (not tagged checkout)",
    ]
    assert emulator.journal == []


def test_a_real_run_says_how_many_were_selected(cli: Any, emulator: Any, suite: Path) -> None:
    result = cli("run", "--tests-file", suite.name, "--grep", "checkout")
    assert result.returncode == 0, result.output
    assert "selected 2 of 5 tests; 3 left out" in stderr_lines(result)
    results = result.results()
    assert results["totals"]["tests"] == 2


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (
            ["--tag", "smok"],
            {},
            "--tag: no test has tag 'smok' (tags in the files: checkout, search, slow, smoke); "
            "did you mean 'smoke'?",
        ),
        (
            ["--tag", "checkout", "--exclude-tag", "checkout"],
            {},
            "--exclude-tag: every test with tag 'checkout' has an excluded tag ('checkout'): "
            "nothing left of 5 tests",
        ),
        (["--grep", "nothing like it"], {}, "--grep: 'nothing like it' matches no test name"),
        ([], {"VIBETESTING_GREP": "zzz"}, "VIBETESTING_GREP: 'zzz' matches no test name"),
        (["--grep", "(unclosed"], {}, "--grep: not a valid regular expression"),
        (["--tag", "smoke,checkout"], {}, "--tag: 'smoke,checkout' is not one tag"),
        ([], {"VIBETESTING_TAGS": "smoke checkout"}, "VIBETESTING_TAGS: 'smoke checkout' is not"),
    ],
)
def test_nothing_selected_or_a_bad_filter_is_one_line_exit_2_nothing_sent(
    cli: Any,
    emulator: Any,
    suite: Path,
    args: list[str],
    env: dict[str, str],
    expected: str,
) -> None:
    message = input_error(cli("run", "--tests-file", suite.name, *args, env=env), emulator)
    assert message.startswith(expected), message


def test_filters_without_tests_are_an_input_error(cli: Any, emulator: Any) -> None:
    result = cli("run", "--execution-type", "exploration", "--tag", "smoke")
    assert "select among tests, and this run has none" in input_error(result, emulator)


def test_tags_from_several_files_and_inline_tests(cli: Any, emulator: Any, tmp_path: Path) -> None:
    write(tmp_path, "a.yml", yaml_of_tests("a1", "a2", tags={"a2": ["smoke"]}))
    write(tmp_path, "b.yml", yaml_of_tests("b1", tags={"b1": ["smoke"]}))
    result = cli("run", "--tests-file", "a.yml", "--tests-file", "b.yml", "--tag", "smoke")
    assert result.returncode == 0, result.output
    assert names(only_body(emulator)) == ["a2", "b1"]
    emulator.clear_journal()
    inline = cli(
        "run",
        "--tests",
        "[{name: x, steps: s, tags: [smoke]}, {name: y, steps: s}]",
        "--tag",
        "smoke",
    )
    assert inline.returncode == 0, inline.output
    assert names(only_body(emulator)) == ["x"]
