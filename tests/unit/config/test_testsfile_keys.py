"""The tests file's keys for tests as code (issue 23): per-test ``tags``, ``variables:``,
``target_url``, names without placeholders, and the line of every test, step and setting."""

from __future__ import annotations

import pytest

from vibetesting_ci.config.merge import merge_files
from vibetesting_ci.config.testsfile import parse_tests
from vibetesting_ci.errors import ExitCode, InputError

SOURCE = "tests.yml"


def fails(text: str, source: str = SOURCE) -> str:
    with pytest.raises(InputError) as caught:
        parse_tests(text, source)
    assert caught.value.exit_code == ExitCode.USAGE
    message = str(caught.value)
    assert "\n" not in message
    return message


# -- tags ----------------------------------------------------------------------------------------


def test_tags_are_read_per_test_and_repeats_dropped() -> None:
    parsed = parse_tests(
        "- name: a\n  steps: x\n  tags: [smoke, Checkout, SMOKE]\n- name: b\n  steps: y\n",
        SOURCE,
    )
    assert [t.tags for t in parsed.tests] == [("smoke", "Checkout"), ()]


def test_tags_in_block_style_and_empty_list() -> None:
    parsed = parse_tests("- name: a\n  steps: x\n  tags:\n    - smoke\n    - nightly\n", SOURCE)
    assert parsed.tests[0].tags == ("smoke", "nightly")
    assert parse_tests("- {name: a, steps: x, tags: []}\n", SOURCE).tests[0].tags == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "- name: a\n  steps: x\n  tags: smoke, checkout\n",
            "tests.yml:3: tests[1] ('a').tags: must be a list of tags, not a string "
            "(write tags: [smoke, checkout])",
        ),
        (
            "- name: a\n  steps: x\n  tags:\n",
            "tests.yml:3: tests[1] ('a').tags: is empty: give a list of tags (tags: [smoke]) "
            "or drop it",
        ),
        (
            "- name: a\n  steps: x\n  tags: [smoke, 'smoke test']\n",
            "tests.yml:3: tests[1] ('a').tags[2]: 'smoke test' is not one tag",
        ),
        (
            "- name: a\n  steps: x\n  tags:\n    - smoke\n    - 'a,b'\n",
            "tests.yml:5: tests[1] ('a').tags[2]: 'a,b' is not one tag",
        ),
        (
            "- name: a\n  steps: x\n  tags: [2024]\n",
            "tests.yml:3: tests[1] ('a').tags[1]: must be a string, not a number (put it in "
            "quotes: '2024')",
        ),
        ("- name: a\n  steps: x\n  tags: ['']\n", "tests.yml:3: tests[1] ('a').tags[1]: a tag "),
        (
            "- name: a\n  steps: x\n  tags: {smoke: true}\n",
            "tests.yml:3: tests[1] ('a').tags: must be a list of tags, not a mapping",
        ),
        ("- name: a\n  steps: x\n  tag: [smoke]\n", "tests.yml:3: tests[1]: unknown key 'tag'; "),
    ],
)
def test_tag_mistakes_name_the_line_and_field(text: str, expected: str) -> None:
    assert fails(text).startswith(expected)


def test_unknown_test_key_suggests_tags() -> None:
    assert "did you mean 'tags'?" in fails("- name: a\n  steps: x\n  tag: [smoke]\n")


# -- names take no placeholders ---------------------------------------------------------------


def test_a_placeholder_in_a_name_is_an_input_error_naming_its_line() -> None:
    message = fails("tests:\n  - name: a\n    steps: x\n  - name: order ${ORDER}\n    steps: y\n")
    assert message.startswith(
        "tests.yml:4: tests[2].name: test names take no variables (they are the test's "
        "identity in CI history), found '${ORDER}'; write $${ for a literal ${"
    )


def test_a_malformed_placeholder_in_a_name_is_an_input_error_too() -> None:
    assert "found '${'" in fails("- name: cost ${\n  steps: x\n")


def test_a_doubled_dollar_in_a_name_is_a_literal() -> None:
    parsed = parse_tests("- name: shows $${PRICE}\n  steps: x\n", SOURCE)
    assert parsed.tests[0].name == "shows ${PRICE}"
    assert parsed.tests[0].to_api() == {"name": "shows ${PRICE}", "steps": "x"}


def test_names_compare_after_the_literal_is_undone() -> None:
    message = fails("- name: a $${X}\n  steps: x\n- name: a ${X}\n  steps: y\n")
    assert message.startswith("tests.yml:3: tests[2].name: test names take no variables")
    message = fails("- name: '${X}'\n  steps: x\n")
    assert message.startswith("tests.yml:1: tests[1].name:")


def test_placeholders_in_steps_are_kept_for_expansion() -> None:
    parsed = parse_tests("- name: a\n  steps: ['open ${URL}', 'pay $${5}']\n", SOURCE)
    assert parsed.tests[0].steps == ("open ${URL}", "pay $${5}")


# -- variables -----------------------------------------------------------------------------------


def test_variables_are_defaults_with_their_file_and_line() -> None:
    parsed = parse_tests(
        "variables:\n"
        "  ORDER: A-17\n"
        "  COUNT: 3\n"
        "  PRICE: 1.50\n"
        "  NEGATIVE: -4\n"
        "  FLAG: true\n"
        "  EMPTY: ''\n"
        "  KEPT: 'no'\n"
        "tests: [{name: a, steps: '${ORDER}'}]\n",
        SOURCE,
    )
    values = {name: v.value for name, v in parsed.variables.items()}
    assert values == {
        "ORDER": "A-17",
        "COUNT": "3",
        "PRICE": "1.50",
        "NEGATIVE": "-4",
        "FLAG": "true",
        "EMPTY": "",
        "KEPT": "no",
    }
    assert parsed.variables["ORDER"].source == "tests.yml:2"
    assert parsed.variables["KEPT"].source == "tests.yml:8"
    assert not any(v.secret for v in parsed.variables.values())


def test_values_are_not_expanded() -> None:
    parsed = parse_tests("variables: {A: '${B}', B: x}\ntests: [{name: a, steps: x}]\n", SOURCE)
    assert parsed.variables["A"].value == "${B}"


def test_an_empty_variables_mapping_is_no_variable() -> None:
    assert parse_tests("variables:\ntests: [{name: a, steps: x}]\n", SOURCE).variables == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "tests.yml:2: variables.X: is empty; write '' for an empty value"),
        ("[a, b]", "tests.yml:2: variables.X: must be a string, a number or true/false, not a "),
        ("{a: b}", "tests.yml:2: variables.X: must be a string, a number or true/false, not a "),
        (
            "017",
            "tests.yml:2: variables.X: 017 is an octal number in YAML 1.1 (a leading 0); quote "
            "it to send it as written: '017'",
        ),
        ("1:30", "tests.yml:2: variables.X: 1:30 is a base-60 number in YAML 1.1; quote it"),
        ("0x1F", "tests.yml:2: variables.X: 0x1F is not a plain decimal number; quote it"),
        (".inf", "tests.yml:2: variables.X: .inf is not a plain decimal number; quote it"),
        ("yes", "tests.yml:2: variables.X: YAML 1.1 reads yes as a boolean; quote it: 'yes'"),
        ("2024-01-02", "tests.yml:2: variables.X: must be a string, a number or true/false"),
    ],
)
def test_variable_value_mistakes(value: str, expected: str) -> None:
    text = f"variables:\n  X: {value}\ntests: [{{name: a, steps: x}}]\n"
    assert fails(text).startswith(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("variables: [A]\n", "tests.yml:1: variables: must be a mapping of NAME: value, not a "),
        ("variables: {1X: a}\n", "tests.yml:1: variables: '1X' is not a variable name"),
        ("variables:\n  a b: c\n", "tests.yml:2: variables: 'a b' is not a variable name"),
        ("variables:\n  A: x\n  A: y\n", "tests.yml:3: variables: duplicate variable 'A'"),
        ("variables: {3: x}\n", "tests.yml:1: variables: must be a string, not a number"),
        ("variables:\n  ON: x\n", "tests.yml:2: variables: must be a string, not a boolean (put "),
        ("variable: {A: x}\n", "tests.yml:1: unknown key 'variable'; did you mean 'variables'?"),
    ],
)
def test_variable_mapping_mistakes(text: str, expected: str) -> None:
    assert fails(text + "tests: [{name: a, steps: x}]\n").startswith(expected)


# -- target_url ----------------------------------------------------------------------------------


def test_target_url_is_a_run_setting_with_its_line() -> None:
    parsed = parse_tests(
        "tests: [{name: a, steps: x}]\ntarget_url: ' https://pr-17.preview.example/ '\n", SOURCE
    )
    assert parsed.settings["target_url"] == "https://pr-17.preview.example/"
    assert parsed.setting_lines["target_url"] == 2


def test_a_target_url_with_a_placeholder_is_checked_once_expanded() -> None:
    parsed = parse_tests("tests: [{name: a, steps: x}]\ntarget_url: ${PREVIEW_URL}\n", SOURCE)
    assert parsed.settings["target_url"] == "${PREVIEW_URL}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ftp://files.example/", "expected an http:// or https:// URL: 'ftp://files.example/'"),
        ("preview.example", "expected an http:// or https:// URL: 'preview.example'"),
        ("'https://'", "the URL names no host"),
        ("'https://a.example:99999/'", "not a valid URL (check the host and port)"),
        ("''", "must not be empty"),
        ("[https://a.example]", "must be a string, not a list"),
    ],
)
def test_target_url_mistakes(value: str, expected: str) -> None:
    message = fails(f"tests: [{{name: a, steps: x}}]\ntarget_url: {value}\n")
    assert message.startswith("tests.yml:2: target_url: "), message
    assert expected in message


def test_a_target_url_password_is_not_quoted_in_the_error() -> None:
    message = fails("target_url: 'ftp://ci:hunter22@files.example/'\n")
    assert "hunter22" not in message


# -- lines ---------------------------------------------------------------------------------------


def test_every_test_and_step_knows_its_line() -> None:
    parsed = parse_tests(
        "tests:\n"
        "  - name: one\n"
        "    steps: open the page\n"
        "  - name: two\n"
        "    steps:\n"
        "      - sign in\n"
        "      - sign out\n",
        "suite/a.yml",
    )
    one, two = parsed.tests
    assert (one.file, one.line, one.index, one.step_lines) == ("suite/a.yml", 2, 1, (3,))
    assert (two.line, two.index, two.step_lines) == (4, 2, (6, 7))
    assert two.place == "suite/a.yml:4"
    assert one.step_places() == ("suite/a.yml:3: tests[1] ('one').steps",)
    assert two.step_places() == (
        "suite/a.yml:6: tests[2] ('two').steps[1]",
        "suite/a.yml:7: tests[2] ('two').steps[2]",
    )


def test_every_setting_knows_its_line() -> None:
    parsed = parse_tests(
        "execution_type: guided\n"
        "general_instructions: be kind\n"
        "focus_areas:\n"
        "  - cart\n"
        "  - search\n"
        "login:\n"
        "  identifier: qa@example.com\n"
        "flows_count: 2\n"
        "tests: [{name: a, steps: x}]\n",
        SOURCE,
    )
    assert parsed.settings["login_identifier"] == "qa@example.com"
    assert parsed.setting_lines == {
        "execution_type": 1,
        "general_instructions": 2,
        "focus_areas": 4,
        "focus_areas[1]": 4,
        "focus_areas[2]": 5,
        "login_identifier": 7,
        "flows_count": 8,
    }


def test_merged_files_keep_the_place_of_each_focus_area() -> None:
    a = parse_tests("focus_areas:\n  - cart\n  - search\ntests: [{name: a, steps: x}]\n", "a.yml")
    b = parse_tests("tests: [{name: b, steps: y}]\n", "b.yml")
    merged = merge_files([a, b])
    assert merged.setting_places["focus_areas"] == "a.yml:2"
    assert merged.setting_places["focus_areas[2]"] == "a.yml:3"
    assert [t.file for t in merged.tests] == ["a.yml", "b.yml"]


def test_json_lines_are_kept_too() -> None:
    parsed = parse_tests(
        '{\n  "tests": [\n    {"name": "a",\n     "steps": ["x", "y"], "tags": ["smoke"]}\n  ]\n}',
        "tests.json",
    )
    assert parsed.tests[0].line == 3
    assert parsed.tests[0].step_lines == (4, 4)
    assert parsed.tests[0].tags == ("smoke",)


def test_inline_tests_have_no_file_but_name_their_option() -> None:
    parsed = parse_tests("[{name: a, steps: x}]", "--tests", inline=True)
    test = parsed.tests[0]
    assert test.file is None
    assert test.place == "--tests:1"
    assert test.step_places() == ("--tests:1: tests[1] ('a').steps",)
    assert parse_tests("[{name: a, steps: x}]", "t.yml").tests[0].file == "t.yml"


def test_a_mapping_without_tests_says_so() -> None:
    assert parse_tests("target_url: https://a.example\n", SOURCE).without_tests == SOURCE
    assert parse_tests("tests: [{name: a, steps: x}]\n", SOURCE).without_tests is None
