"""config/assemble.py: the tests as code put together (issue 23): files, variables, selection,
shards and the filled-in texts, from a stand-in for the run's option sources."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from vibetesting_ci.config.assemble import Assembled, assemble, common_folder
from vibetesting_ci.errors import InputError

LINES = {"tests_file", "vars", "tags", "exclude_tags", "focus_areas"}
FLAGS = {
    "tests_file": "--tests-file",
    "tests": "--tests",
    "vars": "--var",
    "tags": "--tag",
    "exclude_tags": "--exclude-tag",
    "focus_areas": "--focus-area",
}


class FakeRaw:
    """Command line > variable, as config's Raw resolves them (blank variables unset)."""

    def __init__(self, cli: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self.cli = cli
        self.environ = environ

    def get(self, name: str) -> tuple[Any, str] | None:
        value = self.cli.get(name)
        if value is not None and value != ():
            return value, FLAGS.get(name, "--" + name.replace("_", "-"))
        env = "VIBETESTING_" + name.upper()
        text = self.environ.get(env, "")
        return (text, env) if text.strip() else None

    def value(self, name: str) -> Any:
        found = self.get(name)
        if found is None:
            return None
        value = found[0]
        if name in LINES:
            items = value if isinstance(value, tuple) else str(value).splitlines()
            return tuple(i.strip() for i in items if i.strip()) or None
        return value

    def where(self, name: str) -> str:
        found = self.get(name)
        return found[1] if found else FLAGS.get(name, "--" + name.replace("_", "-"))


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(cli: Mapping[str, Any] | None = None, **environ: str) -> Assembled:
    return assemble(FakeRaw(cli or {}, environ))


def test_tests_from_files_in_order_with_their_steps_filled_in(folder: Path) -> None:
    (folder / "a.yml").write_text(
        "variables: {WHO: file}\ntests:\n  - name: a\n    steps: ['as ${WHO}', 'then ${SECRET}']\n"
    )
    (folder / "b.yml").write_text("tests: [{name: b, steps: 'b by ${WHO}'}]\n")
    got = run(
        {"tests_file": ("a.yml", "b.yml"), "vars": ("WHO=option",)},
        VIBETESTING_SECRET_SECRET="s3cret-value",
    )
    assert [t.name for t in got.tests] == ["a", "b"]
    assert got.tests[0].steps == ("as option", "then s3cret-value")
    assert got.tests[0].shown_steps == ("as option", "then ***")
    assert got.tests[0].to_api(shown=True) == {"name": "a", "steps": ["as option", "then ***"]}
    assert got.tests[1].steps == "b by option"
    assert got.files == ("a.yml", "b.yml")
    assert got.lines() == ()  # the files given, as given
    (folder / "suite").mkdir()
    (folder / "suite" / "one.yml").write_text("tests: [{name: x, steps: y}]\n")
    assert run({"tests_file": ("suite",)}).lines() == ("tests file: suite/one.yml",)


def test_left_out_tests_are_not_filled_in_but_their_syntax_is_checked(folder: Path) -> None:
    (folder / "t.yml").write_text(
        "tests:\n"
        "  - {name: smoke, steps: open, tags: [smoke]}\n"
        "  - {name: admin, steps: 'use ${ADMIN_PASSWORD}', tags: [nightly]}\n"
    )
    got = run({"tests_file": ("t.yml",), "tags": ("smoke",)})  # no ADMIN_PASSWORD: not needed
    assert [t.name for t in got.tests] == ["smoke"]
    assert got.selected == (1, 2)
    assert got.left_out == ("left out: 'admin' (not tagged smoke)",)
    assert got.lines(dry_run=True) == (
        "selected 1 of 2 tests",
        "left out: 'admin' (not tagged smoke)",
    )
    assert got.lines() == ("selected 1 of 2 tests; 1 left out",)  # the one file given: unsaid
    (folder / "t.yml").write_text(
        "tests:\n  - {name: smoke, steps: open, tags: [smoke]}\n  - {name: x, steps: 'a ${1X}'}\n"
    )
    with pytest.raises(InputError, match=r"^t\.yml:3: tests\[2\] \('x'\)\.steps: '\$\{1X\}' is"):
        run({"tests_file": ("t.yml",), "tags": ("smoke",)})
    with pytest.raises(InputError, match=r"^t\.yml:2: .* unknown variable \$\{ADMIN_PASSWORD\}"):
        (folder / "t.yml").write_text("tests:\n  - {name: admin, steps: '${ADMIN_PASSWORD}'}\n")
        run({"tests_file": ("t.yml",)})


def test_a_shard_then_an_empty_one(folder: Path) -> None:
    (folder / "t.yml").write_text("tests: [{name: a, steps: x}, {name: b, steps: y}]\n")
    got = run({"tests_file": ("t.yml",)}, VIBETESTING_SHARD="2/2")
    assert [t.name for t in got.tests] == ["b"]
    assert got.shard_lines == ("shard 2/2: 1 of 2 tests",)
    assert got.empty_shard is None
    empty = run({"tests_file": ("t.yml",)}, VIBETESTING_SHARD="3/3")
    assert empty.tests == ()
    assert empty.empty_shard == (
        "shard 3/3: 0 of 2 tests: no test falls in this shard (more shards than tests); "
        "nothing was sent"
    )
    auto = run({"tests_file": ("t.yml",)}, VIBETESTING_SHARD="auto")
    assert auto.shard_lines[0].startswith("VIBETESTING_SHARD auto: CI_NODE_INDEX and")
    with pytest.raises(InputError, match="splits tests among jobs, and this run has none"):
        run({}, VIBETESTING_SHARD="1/2")


def test_texts_come_from_the_options_or_the_files_each_filled_in(folder: Path) -> None:
    (folder / "t.yml").write_text(
        "target_url: https://${HOST}/\n"
        "general_instructions: Hello ${WHO}.\n"
        "focus_areas:\n  - cart of ${WHO}\n  - search\n"
        "login: {identifier: '${WHO}@x.example'}\n"
        "variables: {HOST: shop.example}\n"
        "tests: [{name: a, steps: x}]\n"
    )
    got = run({"tests_file": ("t.yml",)}, VIBETESTING_SECRET_WHO="Secret-Bot")
    assert got.settings["target_url"] == "https://shop.example/"
    assert got.settings["general_instructions"] == "Hello Secret-Bot."
    assert got.settings["focus_areas"] == ("cart of Secret-Bot", "search")
    assert got.settings["login_identifier"] == "Secret-Bot@x.example"
    assert got.shown == {
        "target_url": "https://shop.example/",
        "general_instructions": "Hello ***.",
        "focus_areas": ("cart of ***", "search"),
        "login_identifier": "***@x.example",
    }
    assert got.texts == {}
    overridden = run(
        {"tests_file": ("t.yml",), "focus_areas": ("mine ${WHO}",)},
        VIBETESTING_GENERAL_INSTRUCTIONS="From ${WHO}",
        VIBETESTING_SECRET_WHO="Secret-Bot",
    )
    assert overridden.texts == {
        "general_instructions": "From Secret-Bot",
        "focus_areas": ("mine Secret-Bot",),
    }
    assert "general_instructions" not in overridden.settings
    assert overridden.shown["focus_areas"] == ("mine ***",)


def test_errors_in_file_texts_name_the_file_line_and_field(folder: Path) -> None:
    (folder / "t.yml").write_text(
        "focus_areas:\n  - fine\n  - ${NOPE}\ntests: [{name: a, steps: x}]\n"
    )
    with pytest.raises(InputError, match=r"^t\.yml:3: focus_areas\[2\]: unknown variable"):
        run({"tests_file": ("t.yml",)})
    (folder / "t.yml").write_text("login: {identifier: '${NOPE}'}\ntests: [{name: a, steps: x}]\n")
    with pytest.raises(InputError, match=r"^t\.yml:1: login\.identifier: unknown variable"):
        run({"tests_file": ("t.yml",)})
    with pytest.raises(InputError, match=r"^VIBETESTING_TARGET_URL: expected an http"):
        run({"tests_file": ("t.yml",)}, VIBETESTING_TARGET_URL="ftp://x.example/")


def test_a_secret_in_a_bad_url_is_never_quoted(folder: Path) -> None:
    (folder / "t.yml").write_text("tests: [{name: a, steps: x}]\n")
    with pytest.raises(InputError) as caught:
        run(
            {"tests_file": ("t.yml",)},
            VIBETESTING_TARGET_URL="ftp://${PASS}.example/",
            VIBETESTING_SECRET_PASS="Very-Secret-1",
        )
    assert "Very-Secret-1" not in str(caught.value)
    assert "ftp://***.example/" in str(caught.value)


def test_the_target_url_shown_hides_a_password(folder: Path) -> None:
    (folder / "t.yml").write_text("tests: [{name: a, steps: x}]\n")
    got = run({"tests_file": ("t.yml",)}, VIBETESTING_TARGET_URL="https://u:plain-pw@x.example/")
    assert got.texts["target_url"] == "https://u:plain-pw@x.example/"
    assert got.shown["target_url"] == "https://u:***@x.example/"
    assert got.lines()[-1] == "target URL: https://u:***@x.example/"


def test_short_secrets_get_a_warning_without_their_value(folder: Path) -> None:
    (folder / "t.yml").write_text("tests: [{name: a, steps: x}]\n")
    got = run({"tests_file": ("t.yml",)}, VIBETESTING_SECRET_VARS="PIN=12")
    (warning,) = got.warnings
    assert warning.startswith("VIBETESTING_SECRET_VARS line 1: a secret of fewer than 4")
    assert "12" not in warning.replace("line 1", "")


def test_inline_tests_and_files_are_one_or_the_other(folder: Path) -> None:
    got = run({"tests": "[{name: a, steps: x}]"})
    assert got.inline and got.files == () and got.lines() == ()
    assert got.tests[0].file is None
    with pytest.raises(InputError, match=r"^--tests-file and --tests both given: use one$"):
        run({"tests": "[{name: a, steps: x}]", "tests_file": ("t.yml",)})
    with pytest.raises(InputError, match=r"^--tests-file: is empty$"):
        run({"tests_file": ("  ",)})


def test_a_mapping_without_tests_is_reported_when_no_file_has_tests(folder: Path) -> None:
    (folder / "settings.yml").write_text("target_url: https://x.example/\n")
    (folder / "t.yml").write_text("tests: [{name: a, steps: x}]\n")
    assert run({"tests_file": ("settings.yml", "t.yml")}).without_tests is None
    assert run({"tests_file": ("settings.yml",)}).without_tests == "settings.yml"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([], None),
        (["a.yml"], None),
        (["a.yml", "b.yml"], None),
        (["suite/a.yml", "suite/b/c.yml"], "suite"),
        ([".vibetesting/a.yml", ".vibetesting/b.yml"], ".vibetesting"),
        (["x/a.yml", "y/b.yml"], None),
    ],
)
def test_common_folder(files: list[str], expected: str | None) -> None:
    assert common_folder(files) == expected
