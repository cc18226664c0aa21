"""The tests file's JSON Schema: shipped, printed by ``vibetesting schema``, agrees with parser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from vibetesting_ci.config import testsfile
from vibetesting_ci.errors import InputError

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_PATH = ROOT / "src" / "vibetesting_ci" / "tests-file.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))

ACCEPTED = [
    "- name: a\n  steps: x\n",
    "- name: a\n  steps: [one, two]\n",
    '[{"name": "a", "steps": "x"}]',
    "tests: [{name: a, steps: x}]\nexecution_type: guided\n",
    "execution_type: exploration\nflows_count: 3\nmax_steps_per_flow: 20\n"
    "general_instructions: be thorough\nfocus_areas: [checkout, search]\n",
    "tests: [{name: a, steps: x}]\nlogin: {identifier: me@example.com}\nfocus_areas: []\n",
    # tests as code (issue 23): tags, variables, a target URL, a literal ${ in a name
    "- {name: a, steps: x, tags: [smoke, checkout]}\n- {name: b, steps: y, tags: []}\n",
    "variables: {ORDER: A-17, COUNT: 3, PRICE: 1.50, FLAG: true, EMPTY: ''}\n"
    "tests: [{name: a, steps: 'find order ${ORDER}'}]\n",
    "target_url: https://pr-17.preview.example/shop?x=1\ntests: [{name: a, steps: x}]\n",
    "target_url: '${PREVIEW_URL}'\ntests: [{name: a, steps: x}]\n",
    "target_url: HTTP://LOCALHOST:8080\nexecution_type: exploration\n",
    "- name: shows $${PRICE} and $$${X}\n  steps: x\n",
]

REJECTED = [
    "[{name: a}]",  # no steps
    "[{steps: x}]",  # no name
    "[{name: a, steps: x, step: y}]",  # unknown key
    "{test: [{name: a, steps: x}]}",  # unknown top-level key
    "{tests: abc}",  # a string where a list belongs
    "{tests: [{name: a, steps: x}], focus_areas: abc}",
    "[{name: 1, steps: x}]",
    "[{name: a, steps: 3}]",
    "[{name: a, steps: []}]",
    "[{name: a, steps: [x, 2]}]",
    "[{name: '  ', steps: x}]",
    "[{name: a, steps: }]",
    "[]",
    "{tests: []}",
    "42",
    "[just text]",
    "{tests: [{name: a, steps: x}], execution_type: guide}",
    "{tests: [{name: a, steps: x}], flows_count: 0}",
    "{tests: [{name: a, steps: x}], flows_count: '3'}",
    "{tests: [{name: a, steps: x}], max_steps_per_flow: 1.5}",
    "{tests: [{name: a, steps: x}], login: me}",
    "{tests: [{name: a, steps: x}], login: {identifier: me, password: pw}}",
    "{tests: [{name: a, steps: x}], general_instructions: ''}",
    # tests as code (issue 23)
    "[{name: a, steps: x, tags: smoke}]",
    "[{name: a, steps: x, tags: ['smoke test']}]",
    "[{name: a, steps: x, tags: ['a,b']}]",
    "[{name: a, steps: x, tags: [1]}]",
    "[{name: a, steps: x, tag: [smoke]}]",
    "[{name: 'order ${ORDER}', steps: x}]",
    "[{name: '${X}', steps: x}]",
    "{variables: [A], tests: [{name: a, steps: x}]}",
    "{variables: {1X: a}, tests: [{name: a, steps: x}]}",
    "{variables: {A: [1]}, tests: [{name: a, steps: x}]}",
    "{variables: {A: {b: c}}, tests: [{name: a, steps: x}]}",
    "{target_url: ftp://files.example/, tests: [{name: a, steps: x}]}",
    "{target_url: preview.example, tests: [{name: a, steps: x}]}",
    "{target_url: 42, tests: [{name: a, steps: x}]}",
]
# The parser also rejects what a schema cannot say: duplicate test names.


def make_validator():
    """A validator for the schema, or a skip when jsonschema (the lint extras) is missing."""
    jsonschema = pytest.importorskip("jsonschema")
    cls = jsonschema.validators.validator_for(SCHEMA)
    cls.check_schema(SCHEMA)
    return cls(SCHEMA)


@pytest.fixture(scope="module")
def validator():
    return make_validator()


def test_schema_accepts_the_example_file(validator):
    example = ROOT / "examples" / "tests.yml"
    first = example.read_text(encoding="utf-8").splitlines()[0]
    # The editor hint in the example points at this very file.
    target = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert target is not None, first
    assert (example.parent / target.group(1)).resolve() == SCHEMA_PATH.resolve()
    validator.validate(yaml.safe_load(example.read_text(encoding="utf-8")))


@pytest.mark.parametrize("text", ACCEPTED)
def test_schema_and_parser_both_accept(text):
    testsfile.parse_tests(text, "t.yml")
    make_validator().validate(yaml.safe_load(text))


@pytest.mark.parametrize("text", REJECTED)
def test_schema_rejects_what_the_parser_rejects(text):
    with pytest.raises(InputError):
        testsfile.parse_tests(text, "t.yml")
    assert not make_validator().is_valid(yaml.safe_load(text))


def test_schema_keys_match_the_parser():
    document = SCHEMA["definitions"]["document"]["properties"]
    assert set(document) == set(testsfile.TOP_KEYS)
    assert set(SCHEMA["definitions"]["test"]["properties"]) == set(testsfile.TEST_KEYS)
    assert {"tags", "variables", "target_url"} <= set(testsfile.TEST_KEYS + testsfile.TOP_KEYS)
    assert set(document["login"]["properties"]) == set(testsfile.LOGIN_KEYS)
    assert document["execution_type"]["enum"] == list(testsfile.EXECUTION_TYPES)


def test_schema_is_package_data():
    from importlib.resources import files

    shipped = files("vibetesting_ci").joinpath("tests-file.schema.json").read_text(encoding="utf-8")
    assert json.loads(shipped) == SCHEMA
