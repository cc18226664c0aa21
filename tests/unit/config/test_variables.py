"""config/variables.py: the sources, their precedence, expansion and its errors, secrets."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vibetesting_ci.config.variables import (
    Variable,
    Variables,
    check_test_name,
    combine,
    escape,
    from_sources,
    has_placeholder,
    parse_file_variables,
    parse_var_lines,
    parse_var_options,
    placeholders,
    secret_variables,
)
from vibetesting_ci.errors import ExitCode, InputError

WHERE = "tests.yml:7: tests[2].steps[1]"


def plain(**values: str) -> Variables:
    return Variables(plain={k: Variable(k, v, "--var") for k, v in values.items()})


def error(call: object, *args: object, **kwargs: object) -> str:
    """The one-line message of the InputError ``call`` raises."""
    assert callable(call)
    with pytest.raises(InputError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert caught.value.exit_code == ExitCode.USAGE
    assert "\n" not in message
    return message


# -- --var ---------------------------------------------------------------------------------------


def test_var_options_split_at_the_first_equals_and_keep_the_value_exactly() -> None:
    found = parse_var_options(["A=1", " B =x=y", "C=", "D= spaced \nlines "])
    assert {k: v.value for k, v in found.items()} == {
        "A": "1",
        "B": "x=y",
        "C": "",
        "D": " spaced \nlines ",
    }
    assert {v.source for v in found.values()} == {"--var"}
    assert not any(v.secret for v in found.values())


def test_var_options_later_wins() -> None:
    assert parse_var_options(["A=1", "A=2"])["A"].value == "2"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("X", "--var 'X': expected NAME=VALUE"),
        ("", "--var '': expected NAME=VALUE"),
        ("=1", "--var '=1': '' is not a variable name"),
        ("1X=1", "--var '1X=1': '1X' is not a variable name"),
        ("my-var=1", "--var 'my-var=1': 'my-var' is not a variable name"),
        ("A B=1", "--var 'A B=1': 'A B' is not a variable name"),
        ("${A}=1", "--var '${A}=1': '${A}' is not a variable name"),
    ],
)
def test_var_option_errors(value: str, expected: str) -> None:
    assert error(parse_var_options, [value]).startswith(expected)


def test_var_option_with_a_byte_that_is_not_utf8() -> None:
    message = error(parse_var_options, ["A=x\udcff"])
    assert message.startswith("--var A: character 2 is a byte that is not UTF-8")


def test_var_option_joins_surrogate_pairs() -> None:
    assert parse_var_options(["A=\ud83d\ude00"])["A"].value == "\U0001f600"


# -- VIBETESTING_VARS ----------------------------------------------------------------------------


def test_var_lines_skip_blanks_and_comments_and_strip() -> None:
    text = (
        "\n# a comment\n  A = 1  \r\n\t\nB=two words\n  # indented comment\nC=\nD=#not a comment\n"
    )
    found = parse_var_lines(text)
    assert {k: v.value for k, v in found.items()} == {
        "A": "1",
        "B": "two words",
        "C": "",
        "D": "#not a comment",
    }
    assert found["A"].source == "VIBETESTING_VARS line 3"
    assert found["D"].source == "VIBETESTING_VARS line 8"


def test_var_lines_keep_quotes_and_later_lines_win() -> None:
    found = parse_var_lines("A=\"quoted\"\nA='again'")
    assert found["A"].value == "'again'"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=1\nB\n", "VIBETESTING_VARS line 2: expected NAME=VALUE, got 'B'"),
        ("export A=1", "VIBETESTING_VARS line 1: 'export A' is not a variable name"),
        ("\n\n9=1", "VIBETESTING_VARS line 3: '9' is not a variable name"),
    ],
)
def test_var_line_errors(text: str, expected: str) -> None:
    assert error(parse_var_lines, text).startswith(expected)


def test_var_lines_name_their_source() -> None:
    message = error(parse_var_lines, "oops", "INPUT_VARS")
    assert message.startswith("INPUT_VARS line 1:")


# -- the tests file's variables ------------------------------------------------------------------


def test_file_variables_turn_scalars_into_text() -> None:
    found = parse_file_variables(
        {"S": "text", "I": 3, "F": 1.5, "T": True, "N": False, "E": ""},
        "tests.yml",
        {"S": 4, "I": 5},
    )
    assert {k: v.value for k, v in found.items()} == {
        "S": "text",
        "I": "3",
        "F": "1.5",
        "T": "true",
        "N": "false",
        "E": "",
    }
    assert found["S"].source == "tests.yml:4"
    assert found["F"].source == "tests.yml"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([1], "tests.yml:9: variables.X: must be a string, a number or true/false, not a list"),
        ({"a": 1}, "tests.yml:9: variables.X: must be a string, a number or true/false, not a "),
        (None, "tests.yml:9: variables.X: must be a string, a number or true/false, not empty"),
        (float("inf"), "tests.yml:9: variables.X: inf is not a number to send; put it in quotes"),
        ("a\ud800", "tests.yml:9: variables.X: character 2 is U+D800"),
    ],
)
def test_file_variable_value_errors(value: object, expected: str) -> None:
    assert error(parse_file_variables, {"X": value}, "tests.yml", {"X": 9}).startswith(expected)


def test_file_variable_date_is_refused_with_its_text() -> None:
    import datetime

    message = error(parse_file_variables, {"D": datetime.date(2026, 1, 2)}, "t.yml")
    assert message == (
        "t.yml: variables.D: must be a string, a number or true/false, not date ('2026-01-02')"
    )


@pytest.mark.parametrize("key", ["1X", "a-b", "", 3, "x y"])
def test_file_variable_names(key: object) -> None:
    message = error(parse_file_variables, {key: "v"}, "t.yml")
    assert message.startswith("t.yml: variables: ")
    assert "is not a variable name (letters, digits and _, not starting with a digit)" in message


# -- secrets -------------------------------------------------------------------------------------


def test_secrets_from_both_forms_the_single_variable_wins() -> None:
    secrets, empty = secret_variables(
        {
            "VIBETESTING_SECRET_VARS": "# c\nA = from list \nB=list-b\n",
            "VIBETESTING_SECRET_B": "  single-b\n",
            "VIBETESTING_SECRET_C": "c-value",
            "VIBETESTING_VARS": "P=1",
            "OTHER": "x",
        }
    )
    assert {k: v.value for k, v in secrets.items()} == {
        "A": "from list",
        "B": "single-b",
        "C": "c-value",
    }
    assert all(v.secret for v in secrets.values())
    assert secrets["A"].source == "VIBETESTING_SECRET_VARS line 2"
    assert secrets["B"].source == "VIBETESTING_SECRET_B"
    assert empty == {}


def test_empty_secrets_count_as_unset_and_are_remembered() -> None:
    secrets, empty = secret_variables(
        {
            "VIBETESTING_SECRET_VARS": "A=\nB=b-list",
            "VIBETESTING_SECRET_B": " ",
            "VIBETESTING_SECRET_C": "",
        }
    )
    assert {k: v.value for k, v in secrets.items()} == {"B": "b-list"}
    assert empty == {"A": "VIBETESTING_SECRET_VARS line 1", "C": "VIBETESTING_SECRET_C"}


def test_an_empty_secret_gets_its_own_unknown_message() -> None:
    secrets, empty = secret_variables({"VIBETESTING_SECRET_PASSWORD": ""})
    variables = combine(secrets=secrets, empty_secrets=empty)
    assert error(variables.expand, "${PASSWORD}", WHERE) == (
        f"{WHERE}: unknown variable ${{PASSWORD}} (VIBETESTING_SECRET_PASSWORD is set but "
        "empty: is the secret available?)"
    )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"VIBETESTING_SECRET_VARS": "hunter2-no-equals"},
            "VIBETESTING_SECRET_VARS line 1: expected NAME=VALUE (the line is not shown: it "
            "may hold a secret)",
        ),
        (
            {"VIBETESTING_SECRET_VARS": "\nmy pass=hunter2"},
            "VIBETESTING_SECRET_VARS line 2: the text before '=' is not a variable name "
            "(letters, digits and _, not starting with a digit)",
        ),
        (
            {"VIBETESTING_SECRET_": "x"},
            "VIBETESTING_SECRET_: the part after VIBETESTING_SECRET_ must be a variable name "
            "(letters, digits and _, not starting with a digit)",
        ),
        (
            {"VIBETESTING_SECRET_1A": "x"},
            "VIBETESTING_SECRET_1A: the part after VIBETESTING_SECRET_ must be a variable name "
            "(letters, digits and _, not starting with a digit)",
        ),
        (
            {"VIBETESTING_SECRET_KEY": "line one\nline two"},
            "VIBETESTING_SECRET_KEY: a secret variable must be one line",
        ),
    ],
)
def test_secret_errors_never_show_the_value(environ: dict[str, str], expected: str) -> None:
    message = error(secret_variables, environ)
    assert message == expected
    for value in environ.values():
        for part in re.split(r"[=\n]", value):
            if len(part) > 3 and part not in expected:
                assert part not in message


def test_a_name_both_secret_and_plain_is_an_error_naming_both() -> None:
    environ = {"VIBETESTING_SECRET_PASSWORD": "s3cret-value", "VIBETESTING_VARS": "PASSWORD=x"}
    message = error(from_sources, [], environ)
    assert message == (
        "variable PASSWORD is defined as a secret (VIBETESTING_SECRET_PASSWORD) and as a plain "
        "variable (VIBETESTING_VARS line 1); a name is one or the other: rename one"
    )
    assert "s3cret-value" not in message


def test_a_file_default_for_a_secret_is_an_error_even_when_the_secret_is_empty() -> None:
    file = parse_file_variables({"PASSWORD": "dummy"}, "tests.yml", {"PASSWORD": 3})
    message = error(from_sources, [], {"VIBETESTING_SECRET_PASSWORD": ""}, file)
    assert message == (
        "variable PASSWORD is defined as a secret (VIBETESTING_SECRET_PASSWORD, set but empty) "
        "and as a plain variable (tests.yml:3); a name is one or the other: rename one"
    )


def test_secret_repr_hides_the_value() -> None:
    secrets, _ = secret_variables({"VIBETESTING_SECRET_TOKEN": "tok-123456"})
    variables = combine(secrets=secrets)
    assert "tok-123456" not in repr(variables)
    assert "tok-123456" not in repr(secrets["TOKEN"])
    assert "TOKEN=***" in repr(variables)


def test_secrets_lists_unique_values_longest_first() -> None:
    secrets, _ = secret_variables({"VIBETESTING_SECRET_VARS": "A=short\nB=a-longer-one\nC=short"})
    assert combine(secrets=secrets).secrets() == ("a-longer-one", "short")


# -- precedence ----------------------------------------------------------------------------------


def test_precedence_var_over_lines_over_file() -> None:
    file = parse_file_variables({"A": "file", "B": "file", "C": "file"}, "t.yml")
    variables = from_sources(["A=option"], {"VIBETESTING_VARS": "A=lines\nB=lines"}, file)
    assert variables.expand("${A} ${B} ${C}", WHERE) == "option lines file"
    assert variables.get("A") == Variable("A", "option", "--var")
    assert variables.get("B") == Variable("B", "lines", "VIBETESTING_VARS line 2")
    assert variables.names() == ("A", "B", "C")


def test_from_sources_with_nothing() -> None:
    variables = from_sources([], {})
    assert variables.names() == ()
    assert variables.secrets() == ()
    assert variables.expand("no placeholders $ {x} $x", WHERE) == "no placeholders $ {x} $x"


# -- expansion -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${A}", "1"),
        ("x${A}y${B}z", "x1ytwoz"),
        ("$${A}", "${A}"),
        ("$$${A}", "$${A}"),
        ("$$$${A}", "$$${A}"),
        ("$${", "${"),
        ("$${A} and ${A}", "${A} and 1"),
        ("$A ${A}$", "$A 1$"),
        ("{A} $ {A} }", "{A} $ {A} }"),
        ("${V}", "${A} stays"),  # no expansion inside values
        ("$$${V}", "$${V}"),
        ("", ""),
        ("${_x9}", "underscore"),
    ],
)
def test_expand(text: str, expected: str) -> None:
    variables = plain(A="1", B="two", V="${A} stays", _x9="underscore")
    assert variables.expand(text, WHERE) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("${}", "'${}' names no variable"),
        ("a ${1X} b", "'${1X}' is not a variable name (letters, digits and _, not starting with"),
        ("${a b}", "'${a b}' is not a variable name"),
        ("${X:-y}", "'${X:-y}' is not a variable name"),
        ("${A${B}}", "'${A${B}' is not a variable name"),
        ("end ${A", "'${A' is not closed with '}'"),
        ("${", "'${' is not closed with '}'"),
    ],
)
def test_malformed_placeholders_are_input_errors(text: str, problem: str) -> None:
    message = error(plain(A="1", B="2").expand, text, WHERE)
    assert message.startswith(f"{WHERE}: {problem}")
    assert message.endswith("; write $${ for a literal ${")


def test_a_long_malformed_placeholder_is_cut() -> None:
    message = error(plain().expand, "${" + "x" * 500, WHERE)
    assert len(message) < 200
    assert "…" in message


def test_unknown_variable_with_did_you_mean() -> None:
    variables = plain(ORDER="42", ACCOUNT="a")
    assert error(variables.expand, "Order ${ORDR}", WHERE) == (
        f"{WHERE}: unknown variable ${{ORDR}}; did you mean 'ORDER'?"
    )
    assert error(variables.expand, "${order}", "--general-instructions") == (
        "--general-instructions: unknown variable ${order}; did you mean 'ORDER'?"
    )


def test_unknown_variable_without_a_close_name_says_how_to_define_it() -> None:
    assert error(plain(ORDER="1").expand, "${ZZZ}", "VIBETESTING_TARGET_URL") == (
        "VIBETESTING_TARGET_URL: unknown variable ${ZZZ} (define it with --var ZZZ=VALUE, a "
        "VIBETESTING_VARS line or the tests file's variables; a secret with "
        "VIBETESTING_SECRET_ZZZ)"
    )


def test_the_first_problem_is_reported() -> None:
    message = error(plain().expand, "${ONE} ${}", WHERE)
    assert "${ONE}" in message


def test_did_you_mean_may_name_a_secret_but_never_shows_its_value() -> None:
    secrets, _ = secret_variables({"VIBETESTING_SECRET_PASSWORD": "hunter22"})
    message = error(combine(secrets=secrets).expand, "${PASWORD}", WHERE)
    assert message.endswith("did you mean 'PASSWORD'?")
    assert "hunter22" not in message


# -- secrets in expansion ------------------------------------------------------------------------


@pytest.fixture
def mixed() -> Variables:
    secrets, _ = secret_variables(
        {"VIBETESTING_SECRET_PASSWORD": "hunter22", "VIBETESTING_SECRET_PIN": "12"}
    )
    return combine(options=parse_var_options(["USER=ann", "ECHO=my hunter22"]), secrets=secrets)


def test_expand_puts_the_secret_in_the_request(mixed: Variables) -> None:
    assert mixed.expand("log in as ${USER} with ${PASSWORD}", WHERE) == (
        "log in as ann with hunter22"
    )


def test_expand_shown_masks_secrets(mixed: Variables) -> None:
    assert mixed.expand_shown("log in as ${USER} with ${PASSWORD}, pin ${PIN}", WHERE) == (
        "log in as ann with ***, pin ***"
    )


def test_expand_shown_masks_a_secret_value_wherever_it_appears(mixed: Variables) -> None:
    # literally in the text, or inside a plain value: the dry run shows neither
    assert mixed.expand_shown("hunter22 / ${ECHO}", WHERE) == "*** / my ***"
    # a secret shorter than the scrubber's minimum is masked only where it is a placeholder
    assert mixed.expand_shown("room 12 ${PIN}", WHERE) == "room 12 ***"


def test_expand_shown_raises_the_same_errors(mixed: Variables) -> None:
    assert error(mixed.expand_shown, "${PASSWRD}", WHERE) == error(
        mixed.expand, "${PASSWRD}", WHERE
    )


def test_secrets_in_names_the_secrets_a_text_uses(mixed: Variables) -> None:
    assert mixed.secrets_in("${USER} ${PIN} ${PASSWORD} ${PIN} $${PASSWORD}") == (
        "PIN",
        "PASSWORD",
    )
    assert mixed.secrets_in("${USER} hunter22") == ()
    assert mixed.secrets_in("${UNKNOWN} ${") == ()


# -- placeholders and test names -----------------------------------------------------------------


def test_placeholders_lists_names_in_order_once() -> None:
    assert placeholders("${B} ${A} $${C} ${B} ${} ${1x} ${D") == ("B", "A")
    assert placeholders("plain text") == ()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("${A}", True),
        ("${}", True),
        ("a ${", True),
        ("$${A}", False),
        ("$A {A}", False),
        ("", False),
    ],
)
def test_has_placeholder(text: str, found: bool) -> None:
    assert has_placeholder(text) is found


@pytest.mark.parametrize(
    ("name", "shown"),
    [("Order ${ORDER}", "'${ORDER}'"), ("price ${", "'${'"), ("x ${1}", "'${1}'")],
)
def test_test_names_take_no_placeholders(name: str, shown: str) -> None:
    where = "tests.yml:3: tests[1].name"
    assert error(check_test_name, name, where) == (
        f"{where}: test names take no variables (they are the test's identity in CI history), "
        f"found {shown}; write $${{ for a literal ${{"
    )


def test_test_names_undo_the_escape() -> None:
    assert check_test_name("costs $${PRICE} $5", "n") == "costs ${PRICE} $5"
    assert check_test_name("plain", "n") == "plain"


# -- properties ----------------------------------------------------------------------------------

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
ANY_TEXT = st.text(alphabet=st.sampled_from("ab${}$ _\n1é"), max_size=40)


@given(ANY_TEXT)
def test_escape_round_trips(text: str) -> None:
    assert plain().expand(escape(text), WHERE) == text
    assert not has_placeholder(escape(text))


@given(NAMES)
def test_a_doubled_dollar_is_always_literal(name: str) -> None:
    assert plain(**{name: "value"}).expand(f"$${{{name}}}", WHERE) == f"${{{name}}}"


@given(ANY_TEXT)
def test_expansion_either_succeeds_or_raises_an_input_error(text: str) -> None:
    variables = plain(a="A", b="B")
    try:
        result = variables.expand(text, WHERE)
    except InputError as exc:
        assert str(exc).startswith(f"{WHERE}: ")
        assert "\n" not in str(exc)
    else:
        assert variables.expand_shown(text, WHERE) == result  # no secrets: the same


SECRET = st.text(alphabet=st.sampled_from("abcxyz0189"), min_size=4, max_size=12)
PIECE = st.one_of(
    st.text(alphabet=st.sampled_from("abcxyz0189 $}{-"), max_size=10),
    st.sampled_from(["${S1}", "${S2}", "${P}", "$${S1}", "$"]),
)


@given(SECRET, SECRET, st.lists(PIECE, max_size=8), st.text(max_size=10))
def test_expand_shown_never_leaks_a_secret(
    first: str, second: str, pieces: list[str], plain_value: str
) -> None:
    secrets = {
        "S1": Variable("S1", first, "VIBETESTING_SECRET_S1", secret=True),
        "S2": Variable("S2", second, "VIBETESTING_SECRET_S2", secret=True),
    }
    variables = combine(options={"P": Variable("P", plain_value + first, "--var")}, secrets=secrets)
    text = "".join(pieces)
    try:
        shown = variables.expand_shown(text, WHERE)
    except InputError as exc:
        shown = str(exc)
    assert first not in shown
    assert second not in shown


def test_the_request_carries_the_secret_only_where_it_is_used() -> None:
    secrets, _ = secret_variables({"VIBETESTING_SECRET_S": "hunter22"})
    variables = combine(secrets=secrets)
    assert variables.expand("a ${S} b", WHERE) == "a hunter22 b"
    assert variables.expand("a $${S} b", WHERE) == "a ${S} b"


@given(st.lists(st.tuples(NAMES, st.text(max_size=5)), max_size=6))
def test_later_var_options_win(pairs: list[tuple[str, str]]) -> None:
    found = parse_var_options(f"{name}={value}" for name, value in pairs)
    assert {k: v.value for k, v in found.items()} == dict(pairs)


def test_errors_mask_a_secret_written_out_in_the_text(mixed: Variables) -> None:
    message = error(mixed.expand, "${hunter22", WHERE)
    assert "hunter22" not in message
    assert message == f"{WHERE}: '${{***' is not closed with '}}'; write $${{ for a literal ${{"
