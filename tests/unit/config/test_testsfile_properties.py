"""Property tests for the tests-file parser: whatever the text, ``parse_tests`` gives a
ParsedFile or an InputError whose message is one line naming the source, never another
exception (a traceback in a CI log is a bug)."""

from __future__ import annotations

import json

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vibetesting_ci.config import testsfile
from vibetesting_ci.config.merge import ParsedFile
from vibetesting_ci.errors import InputError

SOURCE = "tests.yml"

# Pieces that steer random text into the parser's deeper branches.
FRAGMENTS = st.sampled_from(
    [
        "tests:",
        "- name: ",
        "  steps: ",
        "- ",
        "name",
        "steps",
        "execution_type: ",
        "guided",
        "exploration",
        "login:",
        "  identifier: ",
        "focus_areas:",
        "tags: ",
        "variables:",
        "target_url: ",
        "https://a.example",
        "${",
        "$${",
        "}",
        "X",
        "flows_count: ",
        "3",
        "-1",
        "0",
        "1.5",
        "true",
        "null",
        "~",
        "[",
        "]",
        "{",
        ",",
        ":",
        "'",
        '"',
        "\n",
        "\t",
        "  ",
        "&a ",
        "*a",
        "!!binary ",
        "!!python/object ",
        "<<: *a",
        "---",
        "...",
        "#",
        "%YAML 1.1",
        "\\u0000",
        "\x00",
        "\x85",
        "\u2028",
        "\ufeff",
        "\ud800",
        "é",
        "🙂",
    ]
)
YAMLISH = st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=40).map("".join)
JSONABLE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
KEYS = st.sampled_from(
    [
        "tests",
        "name",
        "steps",
        "execution_type",
        "login",
        "focus_areas",
        "x",
        "tags",
        "variables",
        "target_url",
    ]
)
SHAPED = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=16,
)


def check(text: str) -> None:
    try:
        document = testsfile.parse_tests(text, SOURCE)
    except InputError as exc:
        message = str(exc)
        assert message.startswith(SOURCE), message
        assert "\n" not in message and "\r" not in message, repr(message)
    else:
        assert isinstance(document, ParsedFile)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
@example("[" * 3000)
@example("- " * 3000)
@example("{a: " * 3000)
@example("&a [*a, *a]")
@example('tests: [{name: "a\\nb", steps: x}, {name: "a\\nb", steps: x}]')
@example('{"a\\nb": 1}')
def test_any_text(text):
    check(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_yamlish_text(text):
    check(text)


@settings(max_examples=200, deadline=None)
@given(st.one_of(JSONABLE, SHAPED), st.booleans())
def test_any_document(value, as_json):
    text = json.dumps(value) if as_json else yaml.safe_dump(value, allow_unicode=True)
    check(text)
