"""config/merge.py: several parsed tests files as one run."""

from __future__ import annotations

import pytest

from vibetesting_ci.config.merge import MergedFiles, ParsedFile, SourcedTest, merge_files
from vibetesting_ci.config.variables import parse_file_variables
from vibetesting_ci.errors import ExitCode, InputError


def sourced(name: str, file: str | None = "a.yml", line: int | None = 2) -> SourcedTest:
    return SourcedTest(name=name, steps=("open", "check"), tags=("smoke",), file=file, line=line)


def error(files: list[ParsedFile], **kwargs: object) -> str:
    with pytest.raises(InputError) as caught:
        merge_files(files, **kwargs)  # type: ignore[arg-type]
    assert caught.value.exit_code == ExitCode.USAGE
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_sourced_test_to_api_and_place() -> None:
    case = SourcedTest("login", ("a", "b"), ("smoke",), "tests/a.yml", 4)
    assert case.to_api() == {"name": "login", "steps": ["a", "b"]}
    assert SourcedTest("x", "one step").to_api() == {"name": "x", "steps": "one step"}
    assert case.place == "tests/a.yml:4"
    assert SourcedTest("x", "s", file="b.yml").place == "b.yml"
    assert SourcedTest("x", "s").place == "--tests"


def test_nothing() -> None:
    assert merge_files([]) == MergedFiles()


def test_tests_keep_the_files_order_and_their_file() -> None:
    a = ParsedFile("a.yml", (sourced("one", "a.yml", 2), sourced("two", "a.yml", 5)))
    b = ParsedFile("b.yml", (sourced("three", "b.yml", 2),))
    merged = merge_files([a, b])
    assert [t.name for t in merged.tests] == ["one", "two", "three"]
    assert [t.file for t in merged.tests] == ["a.yml", "a.yml", "b.yml"]
    assert merged.files == ("a.yml", "b.yml")


def test_a_name_in_two_files_names_both_places() -> None:
    a = ParsedFile("tests/a.yml", (sourced("login", "tests/a.yml", 4),))
    b = ParsedFile(
        "tests/b.yml", (sourced("other", "tests/b.yml", 2), sourced("login", "tests/b.yml", 9))
    )
    assert error([a, b]) == (
        "test name 'login' is used twice: tests/a.yml:4 and tests/b.yml:9; names must be unique "
        "across tests files"
    )


def test_names_compare_exactly() -> None:
    a = ParsedFile("a.yml", (sourced("Login"),))
    b = ParsedFile("b.yml", (sourced("login", "b.yml"),))
    assert len(merge_files([a, b]).tests) == 2


def test_settings_from_one_file_or_agreeing() -> None:
    a = ParsedFile("a.yml", settings={"execution_type": "guided", "focus_areas": ("cart",)})
    b = ParsedFile(
        "b.yml",
        settings={"execution_type": "guided", "general_instructions": "Be gentle."},
        setting_lines={"general_instructions": 3},
    )
    merged = merge_files([a, b])
    assert merged.settings == {
        "execution_type": "guided",
        "focus_areas": ("cart",),
        "general_instructions": "Be gentle.",
    }
    assert merged.setting_places == {
        "execution_type": "a.yml",
        "focus_areas": "a.yml",
        "general_instructions": "b.yml:3",
    }


def test_settings_that_differ_name_the_key_and_both_places() -> None:
    a = ParsedFile(
        "a.yml", settings={"focus_areas": ("cart", "search")}, setting_lines={"focus_areas": 2}
    )
    b = ParsedFile("b.yml", settings={"focus_areas": ("cart",)}, setting_lines={"focus_areas": 5})
    assert error([a, b]) == (
        "run setting 'focus_areas' differs between tests files: a.yml:2 has 'cart, search', "
        "b.yml:5 has 'cart'; give it in one file, the same in each, or set it as an option"
    )


def test_a_long_setting_is_cut_in_the_message() -> None:
    a = ParsedFile("a.yml", settings={"general_instructions": "x" * 500})
    b = ParsedFile("b.yml", settings={"general_instructions": "y\n" * 5})
    message = error([a, b])
    assert len(message) < 300
    assert "b.yml has 'y y y y y'" in message


def test_an_overridden_setting_is_not_compared() -> None:
    a = ParsedFile("a.yml", settings={"flows_count": 2, "target_url": "https://a.example"})
    b = ParsedFile("b.yml", settings={"flows_count": 3, "target_url": "https://a.example"})
    merged = merge_files([a, b], overridden={"flows_count"})
    assert merged.settings == {"target_url": "https://a.example"}


def test_variables_merge_by_name() -> None:
    a = ParsedFile("a.yml", variables=parse_file_variables({"A": "1", "B": 2}, "a.yml", {"A": 3}))
    b = ParsedFile("b.yml", variables=parse_file_variables({"B": "2", "C": True}, "b.yml"))
    merged = merge_files([a, b])
    assert {k: v.value for k, v in merged.variables.items()} == {"A": "1", "B": "2", "C": "true"}
    assert merged.variables["A"].source == "a.yml:3"
    assert merged.variables["B"].source == "a.yml"  # the first file that gave it


def test_variables_that_differ_name_both_places() -> None:
    a = ParsedFile("a.yml", variables=parse_file_variables({"HOST": "a"}, "a.yml", {"HOST": 3}))
    b = ParsedFile("b.yml", variables=parse_file_variables({"HOST": "b"}, "b.yml", {"HOST": 7}))
    assert error([a, b]) == (
        "variable HOST differs between tests files: a.yml:3 has 'a', b.yml:7 has 'b'; give it "
        "in one file, the same in each, or set it with --var"
    )
    merged = merge_files([a, b], overridden_variables={"HOST"})
    assert merged.variables["HOST"].value == "a"  # the option's value replaces it later
