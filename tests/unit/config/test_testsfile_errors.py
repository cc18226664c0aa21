"""Tests as code: the tests file's mistakes are explained with file, line and field (issue 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vibetesting_ci.config.testsfile import load_tests_file, parse_tests
from vibetesting_ci.errors import InputError

ROOT = Path(__file__).resolve().parents[3]

# (file text, the exact start of the message after "tests.yml:") - one per kind of mistake.
MISTAKES = [
    # a test without steps: the line of the test, its index and its name
    (
        "tests:\n  - name: a\n    steps: x\n  - name: checkout\n    timeout: 3\n",
        "5: tests[2]: unknown key 'timeout'; known keys: name, steps",
    ),
    (
        "tests:\n  - name: a\n    steps: x\n  - name: checkout\n",
        "4: tests[2] ('checkout'): 'steps' is missing",
    ),
    ("- steps: x\n", "1: tests[1]: 'name' is missing"),
    # a string where a list belongs
    ("tests: log in and check out\n", "1: tests: must be a list of tests, not a string"),
    (
        "tests:\n  - name: a\n    steps: x\nfocus_areas: checkout\n",
        "4: focus_areas: must be a list of strings, not a string",
    ),
    # unknown keys, with the nearest known one
    ("test:\n  - name: a\n    steps: x\n", "1: unknown key 'test'; did you mean 'tests'?"),
    (
        "tests:\n  - name: a\n    step: x\n",
        "3: tests[1]: unknown key 'step'; did you mean 'steps'?",
    ),
    (
        "general-instructions: be kind\ntests: [{name: a, steps: x}]\n",
        "1: unknown key 'general-instructions'; did you mean 'general_instructions'?",
    ),
    (
        "tests: [{name: a, steps: x}]\nlogin: {identifer: me}\n",
        "2: login: unknown key 'identifer'; did you mean 'identifier'?",
    ),
    (
        "tests: [{name: a, steps: x}]\nexecution_type: explore\n",
        "2: execution_type: must be 'guided' or 'exploration', not 'explore'; did you mean "
        "'exploration'?",
    ),
    # wrong types, with what to write instead
    (
        "- name: 42\n  steps: x\n",
        "1: tests[1].name: must be a string, not a number (put it in quotes",
    ),
    (
        "- name: a\n  steps:\n    - one\n    - 2\n",
        "4: tests[1] ('a').steps[2]: must be a string, not a number",
    ),
    ("- name: a\n  steps:\n", "2: tests[1] ('a').steps: is empty"),
    ("- name: a\n  steps: []\n", "2: tests[1] ('a').steps: must not be an empty list"),
    ("- name: a\n  steps: '   '\n", "2: tests[1] ('a').steps: must not be empty"),
    (
        "tests: [{name: a, steps: x}]\nflows_count: '3'\n",
        "2: flows_count: must be a positive whole number, not a string (write 3 without quotes)",
    ),
    ("tests: [{name: a, steps: x}]\nmax_steps_per_flow: 0\n", "2: max_steps_per_flow: must be a"),
    ("- just a sentence\n", "1: tests[1]: must be a mapping with 'name' and 'steps', not a string"),
    ("tests: []\n", "1: tests: holds no tests"),
    ("42\n", "1: must be a list of tests or a mapping with 'tests', not a number"),
    (
        "- name: a\n  steps: x\n- name: a\n  steps: y\n",
        "3: tests[2].name: duplicate test name 'a' (tests[1] has it too)",
    ),
    (
        "tests: [{name: a, steps: x}]\nlogin:\n  identifier: me\n  password: hunter2\n",
        "4: login.password: passwords do not belong in files",
    ),
    # syntax errors: the line, and a hint in words
    ("tests:\n  - name: a\n\tsteps: x\n", "3: not valid YAML or JSON: a tab character"),
    (
        "tests:\n  - name: a\n    steps: [x, y\n  - name: b\n    steps: z\n",
        "4: not valid YAML or JSON: expected ',' or ']', but got ':' (in the '[' list opened on "
        "line 3)",
    ),
    (
        "tests:\n  - name: a\n    steps: x\n   - name: b\n",
        "4: not valid YAML or JSON: expected <block end>",
    ),
    ("- name: log in: works\n  steps: x\n", "1: not valid YAML or JSON: mapping values are not"),
    (
        '- name: "a\n  steps: x\n',
        "1: not valid YAML or JSON: found unexpected end of stream (the quoted text opened here "
        "is never closed)",
    ),
]


@pytest.mark.parametrize(("text", "expected"), MISTAKES, ids=[m[1][:40] for m in MISTAKES])
def test_mistake_is_explained_with_file_line_and_field(tmp_path, text, expected):
    path = tmp_path / "tests.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_tests_file(str(path))
    message = str(caught.value)
    assert message.startswith(f"{path}:{expected}"), message
    assert "\n" not in message


def test_json_file_mistakes_name_the_line(tmp_path):
    path = tmp_path / "tests.json"
    path.write_text(
        json.dumps({"tests": [{"name": "a", "steps": "x"}, {"name": "b", "stepz": "y"}]}, indent=2),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"tests\.json:9: tests\[2\]: unknown key 'stepz'; did"):
        load_tests_file(str(path))
    path.write_text('{"tests": [{"name": "a" "steps": "x"}]}', encoding="utf-8")
    with pytest.raises(InputError, match=r"tests\.json:1: not valid YAML or JSON: .*missing ','"):
        load_tests_file(str(path))


def test_inline_tests_are_named_by_their_option():
    with pytest.raises(InputError, match=r"^--tests:1: tests\[1\] \('a'\): 'steps' is missing"):
        parse_tests("[{name: a}]", "--tests")


def test_file_level_problems(tmp_path):
    with pytest.raises(InputError, match=r"nope\.yml: not found"):
        load_tests_file(str(tmp_path / "nope.yml"))
    with pytest.raises(InputError, match="is a folder"):
        load_tests_file(str(tmp_path))
    empty = tmp_path / "empty.yml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.yml: holds no tests"):
        load_tests_file(str(empty))
    latin = tmp_path / "latin.yml"
    latin.write_bytes("- name: caf\xe9\n  steps: x\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin\.yml: not UTF-8 text"):
        load_tests_file(str(latin))


def test_example_file_parses_with_its_settings():
    document = load_tests_file(str(ROOT / "examples" / "tests.yml"))
    assert [t.name for t in document.tests] == [
        "teacher signup",
        "teacher wrong credentials [fail]",
    ]
    assert document.settings["execution_type"] == "guided"
    assert isinstance(document.tests[1].steps, tuple)


def test_the_tests_file_alias_cap_counts_expansions(tmp_path: Path):
    from vibetesting_ci.config.testsfile import load_tests_file, parse_tests
    from vibetesting_ci.errors import InputError

    small = "tests:\n  - name: t\n    steps: [&a 'abc', *a, *a]\n"
    assert parse_tests(small, "x.yml").tests[0].steps == ("abc", "abc", "abc")
    big = tmp_path / "big.yml"
    big.write_text("tests: [{name: t, steps: '" + "x" * (5 * 1024 * 1024) + "'}]\n")
    with pytest.raises(InputError, match="more than the 4 MiB"):
        load_tests_file(str(big))
