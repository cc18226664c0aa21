"""Property tests for the tests-file parser: whatever the text, ``parse_tests`` gives a
ParsedFile or an InputError whose message is one line naming the source, never another
exception (a traceback in a CI log is a bug)."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.support.properties import examples
from vibetesting_ci.config import testsfile
from vibetesting_ci.config.merge import ParsedFile
from vibetesting_ci.config.testsfile import parse_tests
from vibetesting_ci.errors import InputError
from vibetesting_ci.safety.text import normalise

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


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
@example("[" * 3000)
@example("- " * 3000)
@example("{a: " * 3000)
@example("&a [*a, *a]")
@example('tests: [{name: "a\\nb", steps: x}, {name: "a\\nb", steps: x}]')
@example('{"a\\nb": 1}')
def test_any_text(text):
    check(text)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_yamlish_text(text):
    check(text)


@settings(max_examples=examples(200), deadline=None)
@given(st.one_of(JSONABLE, SHAPED), st.booleans())
def test_any_document(value, as_json):
    text = json.dumps(value) if as_json else yaml.safe_dump(value, allow_unicode=True)
    check(text)


INTS = st.one_of(
    st.from_regex(r"\A[-+]?(0|[1-9][0-9_]{0,6})\Z"),
    st.from_regex(r"\A[-+]?0[0-7_]{1,5}\Z"),  # YAML 1.1 octal
    st.from_regex(r"\A[-+]?0x[0-9a-fA-F_]{1,5}\Z"),
    st.from_regex(r"\A[-+]?0b[01_]{1,6}\Z"),
    st.from_regex(r"\A[-+]?[1-9][0-9_]{0,2}(:[0-5]?[0-9]){1,3}\Z"),  # base 60
    st.just("99999999999999999999999999"),
)


FLOATS = st.one_of(
    st.from_regex(r"\A[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?\Z"),
    st.from_regex(r"\A[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*\Z"),  # base-60 float
    st.sampled_from([".inf", "-.Inf", "+.INF", ".nan", ".NaN", "1e5", "1E+2", "-0.0"]),
)


BOOLS = st.sampled_from(
    ["yes", "Yes", "YES", "no", "No", "true", "True", "FALSE", "on", "On", "off", "OFF", "y", "n"]
)


NULLS = st.sampled_from(["~", "null", "Null", "NULL", ""])


TIMESTAMPS = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2002-1-1"]),
)


OTHERS = st.sampled_from(
    [
        "!!binary aGVsbG8=",
        "!!binary",
        "<<",
        "=",
        "!!int x",
        "!!float y",
        "!!bool maybe",
        "!!timestamp 2001-99-99",
        "!!null x",
        "!!str 017",
        "!!set {a}",
        "!!omap [a: 1]",
        "!custom thing",
        "!!python/object:os.system x",
        "[1, 2]",
        "{a: 1}",
        "'017'",
        '"\\ud83d\\ude00"',
        '"\\ud83d"',
        '"\\udc00 x"',
        '"\\x00"',
        '"\\u0007 bell"',
        "- a",
    ]
)


STRINGS = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",), blacklist_characters="\r\n\x85\u2028\u2029"
    ),
    max_size=12,
).map(json.dumps)  # JSON strings: YAML reads them too


SCALARS = st.one_of(INTS, FLOATS, BOOLS, NULLS, TIMESTAMPS, OTHERS, STRINGS)


# Where a scalar can go, with the field path the error must name.
PLACES = {
    "flows_count": ("tests: [{name: a, steps: b}]\nflows_count: {v}\n", 2, "flows_count"),
    "max_steps_per_flow": (
        "tests: [{name: a, steps: b}]\nmax_steps_per_flow: {v}\n",
        2,
        "max_steps_per_flow",
    ),
    "execution_type": ("execution_type: {v}\ntests: [{name: a, steps: b}]\n", 1, "execution_type"),
    "general_instructions": (
        "tests: [{name: a, steps: b}]\ngeneral_instructions: {v}\n",
        2,
        "general_instructions",
    ),
    "focus_areas": ("tests: [{name: a, steps: b}]\nfocus_areas:\n  - {v}\n", 3, "focus_areas"),
    "login.identifier": (
        "tests: [{name: a, steps: b}]\nlogin:\n  identifier: {v}\n",
        3,
        "login",
    ),
    "name": ("- name: {v}\n  steps: x\n", 1, "tests[1]"),
    "steps": ("- name: a\n  steps: {v}\n", 2, "tests[1]"),
    "steps item": ("- name: a\n  steps:\n    - {v}\n", 3, "tests[1]"),
    "key": ("- name: a\n  steps: x\n  {v}: 3\n", 3, "tests[1]"),
}


def _yaml_line_ok(message: str, source: str, line: int, field: str) -> bool:
    match = re.match(rf"{re.escape(source)}:(\d+): (.*)$", message)
    if match is None:
        return False
    # Syntax errors name the line (maybe the next one) but no field; value errors both.
    row, rest = int(match.group(1)), match.group(2)
    if rest.startswith("not valid YAML or JSON"):
        return line <= row <= line + 2
    return row == line and (rest.startswith(field) or rest.startswith("unknown key"))


@settings(max_examples=examples(600), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(PLACES)), SCALARS)
@example("flows_count", "017")
@example("flows_count", "1:30")
@example("max_steps_per_flow", "1:30.5")
@example("flows_count", "2001-12-14")
@example("flows_count", "!!binary aGVsbG8=")
@example("flows_count", "1.0")
@example("name", '"\\ud83d"')
def test_any_scalar_in_any_place_is_a_document_or_one_line_naming_file_line_field(place, value):
    template, line, field = PLACES[place]
    text = template.replace("{v}", value)
    for source, doc in (("tests.yml", text), ("tests.json", None)):
        if doc is None:  # the same value in a JSON document, where JSON can hold it
            try:
                loaded = json.loads(value) if value else None
            except ValueError:
                continue
            doc = _as_json(place, loaded)
            line = 1
        try:
            document = parse_tests(doc, source)
        except InputError as exc:
            message = str(exc)
            assert "\n" not in message
            assert _yaml_line_ok(message, source, line, field), (place, value, message)
            continue
        # Accepted: every string kept is real text (no surrogate halves), every count positive.
        for test in document.tests:
            normalise(test.name)
            for step in (test.steps,) if isinstance(test.steps, str) else test.steps:
                normalise(step)
        for key in ("flows_count", "max_steps_per_flow"):
            if key in document.settings:
                assert isinstance(document.settings[key], int) and document.settings[key] >= 1


def _as_json(place: str, value: Any) -> str:
    test: dict[str, Any] = {"name": "a", "steps": "b"}
    doc: dict[str, Any] = {"tests": [test]}
    if place in ("flows_count", "max_steps_per_flow", "execution_type", "general_instructions"):
        doc[place] = value
    elif place == "focus_areas":
        doc[place] = [value]
    elif place == "login.identifier":
        doc["login"] = {"identifier": value}
    elif place == "name":
        test["name"] = value
    elif place == "steps":
        test["steps"] = value
    elif place == "steps item":
        test["steps"] = [value]
    else:
        test[str(value)] = 3
    return json.dumps(doc)


def test_yaml_loader_agrees_octal_and_base60_are_ints():
    """Why the tests file refuses them: YAML 1.1 (PyYAML) reads 017 as 15 and 1:30 as 90."""
    assert yaml.safe_load("a: 017")["a"] == 15
    assert yaml.safe_load("a: 1:30")["a"] == 90
