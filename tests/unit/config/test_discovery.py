"""config/discovery.py: files, folders and globs as the user names them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vibetesting_ci.config import discovery
from vibetesting_ci.config.discovery import discover, expand_one
from vibetesting_ci.errors import ExitCode, InputError


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository-like tree, with tmp_path as the working folder."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "tests/smoke.yml",
        "tests/checkout/guest.yaml",
        "tests/checkout/member.JSON",
        "tests/checkout/notes.md",
        "tests/a.yml",
        "tests/a/z.yml",
        "tests/.hidden.yml",
        "tests/.git/config.yml",
        "tests/.cache/deep/x.json",
        "other/one.yml",
        "other/readme.txt",
        "empty/readme.md",
        "top.yml",
        "[odd].yml",
    ):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("- name: x\n  steps: y\n")
    return tmp_path


def error(values: list[str], where: str = "--tests-file") -> str:
    with pytest.raises(InputError) as caught:
        discover(values, where)
    assert caught.value.exit_code == ExitCode.USAGE
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_a_file_as_given(tree: Path) -> None:
    assert discover(["top.yml"]) == ("top.yml",)
    assert discover(["other/readme.txt"]) == ("other/readme.txt",)  # named: taken as is
    assert discover(["  top.yml  "]) == ("top.yml",)


def test_an_absolute_file_stays_absolute(tree: Path) -> None:
    path = str(tree / "top.yml")
    assert discover([path]) == (path,)


def test_a_folder_recursively_sorted_hidden_skipped(tree: Path) -> None:
    assert discover(["tests"]) == (
        "tests/a/z.yml",
        "tests/a.yml",
        "tests/checkout/guest.yaml",
        "tests/checkout/member.JSON",
        "tests/smoke.yml",
    )
    assert discover(["tests/"])[0] == "tests/a/z.yml"
    assert discover(["."])[:2] == ("./[odd].yml", "./other/one.yml")


def test_a_hidden_folder_named_explicitly_is_read(tree: Path) -> None:
    assert discover(["tests/.cache"]) == ("tests/.cache/deep/x.json",)


def test_a_glob(tree: Path) -> None:
    assert discover(["tests/*.yml"]) == ("tests/a.yml", "tests/smoke.yml")
    assert discover(["tests/**/*.y*ml"]) == (
        "tests/a/z.yml",
        "tests/a.yml",
        "tests/checkout/guest.yaml",
        "tests/smoke.yml",
    )
    # matched folders are not entered, other suffixes are dropped
    assert discover(["tests/check*/*"]) == (
        "tests/checkout/guest.yaml",
        "tests/checkout/member.JSON",
    )


def test_an_existing_name_with_glob_characters_is_a_file(tree: Path) -> None:
    assert discover(["[odd].yml"]) == ("[odd].yml",)


def test_values_keep_their_order_and_a_file_comes_once(tree: Path) -> None:
    assert discover(["top.yml", "tests/checkout", "./top.yml", "tests/**/guest.yaml"]) == (
        "top.yml",
        "tests/checkout/guest.yaml",
        "tests/checkout/member.JSON",
    )


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_a_link_to_a_file_already_named_comes_once(tree: Path) -> None:
    (tree / "link.yml").symlink_to(tree / "top.yml")
    assert discover(["top.yml", "link.yml"]) == ("top.yml",)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_a_link_loop_in_a_folder_is_not_followed(tree: Path) -> None:
    (tree / "tests" / "loop").symlink_to(tree / "tests", target_is_directory=True)
    assert len(discover(["tests"])) == 5


def test_blank_values_are_skipped(tree: Path) -> None:
    assert discover(["", "  ", "top.yml"]) == ("top.yml",)
    assert discover([]) == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("tests/smok.yml", "--tests-file tests/smok.yml: not found"),
        ("nowhere/", "--tests-file nowhere/: not found"),
        ("tests/*.txt", "--tests-file tests/*.txt: the pattern matches no file"),
        ("other/*.txt", "--tests-file other/*.txt: the pattern matches no tests file"),
        ("tests/**/*.md", "--tests-file tests/**/*.md: the pattern matches no tests file"),
        (
            "empty",
            "--tests-file empty: the folder holds no tests file (*.yml, *.yaml, *.json; hidden "
            "folders are skipped)",
        ),
        ("tests/.git/../../empty", "--tests-file tests/.git/../../empty: the folder holds no"),
    ],
)
def test_errors(tree: Path, value: str, expected: str) -> None:
    assert error(["top.yml", value]).startswith(expected)


def test_errors_name_the_variable(tree: Path) -> None:
    assert error(["missing.yml"], "VIBETESTING_TESTS_FILE") == (
        "VIBETESTING_TESTS_FILE missing.yml: not found"
    )


def test_a_value_on_one_line_in_errors(tree: Path) -> None:
    assert error(["a\x1bb.yml"]) == "--tests-file a\\x1bb.yml: not found"


def test_too_many_files(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "MAX_FILES", 3)
    assert error(["tests"]) == (
        "--tests-file: more than 3 tests files; name the folders or patterns that hold your tests"
    )
    assert len(discover(["tests/checkout", "top.yml"])) == 3


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads all")
def test_an_unreadable_folder(tree: Path) -> None:
    locked = tree / "tests" / "checkout"
    locked.chmod(0)
    try:
        message = error(["tests"])
    finally:
        locked.chmod(0o755)
    assert message.startswith("--tests-file tests: cannot read the folder tests/checkout (")


def test_expand_one_keeps_the_folder_as_given(tree: Path) -> None:
    assert expand_one("other") == ["other/one.yml"]


def test_a_folder_that_cannot_be_listed(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def walk(
        top: str, onerror: object = None, **_: object
    ) -> list[tuple[str, list[str], list[str]]]:
        assert callable(onerror)
        onerror(PermissionError(13, "Permission denied", "tests/checkout"))
        return []

    monkeypatch.setattr(os, "walk", walk)
    assert error(["tests"]) == (
        "--tests-file tests: cannot read the folder tests/checkout (Permission denied)"
    )
