"""Tests as code end to end (issue 23): tests in many files (repeatable ``--tests-file``,
folders, globs). The real CLI against the real emulator; the request bodies say which tests the
service got, the JUnit which classname each test has."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
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


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A folder of tests files, with a hidden folder and a file of another kind."""
    write(tmp_path, "suite/smoke.yml", yaml_of_tests("home", "search"))
    write(tmp_path, "suite/checkout/guest.yaml", yaml_of_tests("guest checkout"))
    write(tmp_path, "suite/checkout/card.json", '[{"name": "card checkout", "steps": "pay"}]')
    write(tmp_path, "suite/.hidden/old.yml", yaml_of_tests("old"))
    write(tmp_path, "suite/README.md", "not a tests file")
    return tmp_path


FOLDER_ORDER = ["card checkout", "guest checkout", "home", "search"]  # sorted by path


def test_a_second_tests_file_adds_its_tests(cli: Any, emulator: Any, tmp_path: Path) -> None:
    """The bug of the issue: the last --tests-file replaced the others, exit 0."""
    write(tmp_path, "a.yml", yaml_of_tests("a1", "a2"))
    write(tmp_path, "b.yml", yaml_of_tests("b1"))
    result = cli("run", "--tests-file", "b.yml", "--tests-file", "a.yml")
    assert result.returncode == 0, result.output
    assert names(only_body(emulator)) == ["b1", "a1", "a2"]  # the files' order, as given


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--tests-file", "suite"], {}),
        (["--tests-file", "suite/"], {}),
        ([], {"VIBETESTING_TESTS_FILE": "suite"}),
        (["--tests-file", "suite/**/*.y*ml", "--tests-file", "suite/**/*.json"], {}),
        ([], {"VIBETESTING_TESTS_FILE": "suite/checkout/*\nsuite/smoke.yml\n"}),
        (["--tests-file", "suite/**"], {}),
    ],
)
def test_folders_globs_and_lines_read_every_tests_file(
    cli: Any, emulator: Any, tree: Path, args: list[str], env: dict[str, str]
) -> None:
    result = cli("run", *args, env=env)
    assert result.returncode == 0, result.output
    got = names(only_body(emulator))
    assert sorted(got) == sorted(FOLDER_ORDER)
    if args[:2] == ["--tests-file", "suite"] or env.get("VIBETESTING_TESTS_FILE") == "suite":
        assert got == FOLDER_ORDER


def test_the_same_file_twice_is_read_once(cli: Any, emulator: Any, tree: Path) -> None:
    result = cli("run", "--tests-file", "suite/smoke.yml", "--tests-file", "suite")
    assert result.returncode == 0, result.output
    assert names(only_body(emulator)) == ["home", "search", "card checkout", "guest checkout"]


def test_each_test_has_its_own_files_classname(cli: Any, emulator: Any, tree: Path) -> None:
    result = cli("run", "--tests-file", "suite", "--allow-parallel")
    assert result.returncode == 0, result.output
    cases = {
        case.get("name"): case.get("classname")
        for case in ET.parse(tree / "vibetesting-junit.xml").getroot().iter("testcase")
    }
    assert cases == {
        "card checkout": "vibetesting.suite/checkout/card",
        "guest checkout": "vibetesting.suite/checkout/guest",
        "home": "vibetesting.suite/smoke",
        "search": "vibetesting.suite/smoke",
    }
    results = result.results()
    assert results["label"] == "vibetesting.suite"


def test_one_file_keeps_its_classname(cli: Any, emulator: Any, tmp_path: Path) -> None:
    write(tmp_path, "ci/tests.yml", yaml_of_tests("a", "b"))
    assert cli("run", "--tests-file", "ci/tests.yml").returncode == 0
    classnames = {
        case.get("classname")
        for case in ET.parse(tmp_path / "vibetesting-junit.xml").getroot().iter("testcase")
    }
    assert classnames == {"vibetesting.ci/tests"}


def test_the_dry_run_names_the_files(cli: Any, emulator: Any, tree: Path) -> None:
    result = cli("run", "--tests-file", "suite", "--dry-run")
    assert names(dry_body(result)) == FOLDER_ORDER
    assert (
        "tests files: suite/checkout/card.json, suite/checkout/guest.yaml, suite/smoke.yml"
        in stderr_lines(result)
    )


def test_agreeing_settings_and_variables_merge(cli: Any, emulator: Any, tmp_path: Path) -> None:
    shared = "target_url: https://shop.example/\nvariables: {WHO: bot}\n"
    write(
        tmp_path, "a.yml", shared + "focus_areas: [cart]\n" + yaml_of_tests("a", steps="as ${WHO}")
    )
    write(tmp_path, "b.yml", shared + "execution_type: guided\n" + yaml_of_tests("b"))
    result = cli("run", "--tests-file", "a.yml", "--tests-file", "b.yml")
    assert result.returncode == 0, result.output
    body = only_body(emulator)
    assert body["general_instructions"] == "Test the application at https://shop.example/."
    assert body["focus_areas"] == ["cart"]
    assert body["tests"][0]["steps"] == "as bot"


@pytest.mark.parametrize(
    ("a", "b", "args", "expected"),
    [
        (
            yaml_of_tests("login"),
            "# b\n" + yaml_of_tests("login"),
            [],
            "test name 'login' is used twice: a.yml:2 and b.yml:3; names must be unique across "
            "tests files",
        ),
        (
            "target_url: https://a.example/\n" + yaml_of_tests("a"),
            "target_url: https://b.example/\n" + yaml_of_tests("b"),
            [],
            "run setting 'target_url' differs between tests files: a.yml:1 has "
            "'https://a.example/', b.yml:1 has 'https://b.example/'; give it in one file, the "
            "same in each, or set it as an option",
        ),
        (
            "variables: {X: one}\n" + yaml_of_tests("a"),
            "variables: {X: two}\n" + yaml_of_tests("b"),
            [],
            "variable X differs between tests files: a.yml:1 has 'one', b.yml:1 has 'two'; give "
            "it in one file, the same in each, or set it with --var",
        ),
    ],
)
def test_clashes_between_files_are_one_line_exit_2_nothing_sent(
    cli: Any, emulator: Any, tmp_path: Path, a: str, b: str, args: list[str], expected: str
) -> None:
    write(tmp_path, "a.yml", a)
    write(tmp_path, "b.yml", b)
    message = input_error(cli("run", "--tests-file", "a.yml", "--tests-file", "b.yml"), emulator)
    assert message == expected


def test_an_option_settles_a_clash(cli: Any, emulator: Any, tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yml",
        "target_url: https://a.example/\nvariables: {X: one}\n" + yaml_of_tests("a"),
    )
    write(
        tmp_path,
        "b.yml",
        "target_url: https://b.example/\nvariables: {X: two}\n" + yaml_of_tests("b"),
    )
    result = cli(
        "run",
        "--tests-file",
        "a.yml",
        "--tests-file",
        "b.yml",
        "--target-url",
        "https://c.example/",
        "--var",
        "X=three",
    )
    assert result.returncode == 0, result.output
    assert only_body(emulator)["general_instructions"] == (
        "Test the application at https://c.example/."
    )


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--tests-file", "nope.yml"], {}, "--tests-file nope.yml: not found"),
        ([], {"VIBETESTING_TESTS_FILE": "nope.yml"}, "VIBETESTING_TESTS_FILE nope.yml: not found"),
        (
            ["--tests-file", "empty"],
            {},
            "--tests-file empty: the folder holds no tests file (*.yml, *.yaml, *.json; hidden "
            "folders are skipped)",
        ),
        (["--tests-file", "suite/**/*.toml"], {}, "--tests-file suite/**/*.toml: the pattern "),
        (
            ["--tests-file", "suite/*.md"],
            {},
            "--tests-file suite/*.md: the pattern matches no tests file (*.yml, *.yaml, *.json)",
        ),
        (
            ["--tests-file", "suite", "--tests", "[{name: x, steps: y}]"],
            {},
            "--tests-file and --tests both given: use one",
        ),
        (["--tests-file", "  "], {}, "--tests-file: is empty"),
        (
            ["--tests-file", "suite", "--tests-file", "broken.yml"],
            {},
            "broken.yml:2: tests[1]: 'name' is missing",
        ),
    ],
)
def test_files_that_cannot_be_read_are_one_line_exit_2_nothing_sent(
    cli: Any, emulator: Any, tree: Path, args: list[str], env: dict[str, str], expected: str
) -> None:
    (tree / "empty").mkdir()
    write(tree, "broken.yml", "tests:\n  - steps: x\n")
    message = input_error(cli("run", *args, env=env), emulator)
    assert message.startswith(expected), message


@pytest.mark.skipif(os.name == "nt", reason="POSIX paths")
def test_an_absolute_folder_gives_relative_classnames(cli: Any, emulator: Any, tree: Path) -> None:
    result = cli("run", "--tests-file", str(tree / "suite"), "--allow-parallel")
    assert result.returncode == 0, result.output
    classnames = {
        case.get("classname")
        for case in ET.parse(tree / "vibetesting-junit.xml").getroot().iter("testcase")
    }
    assert classnames == {
        "vibetesting.suite/checkout/card",
        "vibetesting.suite/checkout/guest",
        "vibetesting.suite/smoke",
    }
