"""Issue 24, "the first ten minutes", in-process: input written the way the tool prints it or the
way people write it, and one-line errors that say what is wrong (exit 2, nothing sent).

The API URL is a dead loopback port (``conftest.invoke``): a request sent by mistake fails."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from vibetesting_ci.config import kinds, settings
from vibetesting_ci.config.kinds import Kind
from vibetesting_ci.config.options import OPTIONS

SUITE = ("run", "--suite-id", "1", "--dry-run")
SCHEDULED = (*SUITE, "--schedule-at", "2030-01-01T10:00:00Z")


# -- execution ids as run --no-wait prints them ---------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("wait", "1007,x"), "execution id 'x': expected a positive whole number"),
        (("wait", "1007, 0"), "execution id '0': must be a positive whole number"),
        (("wait", ","), "execution id ',': expected a positive whole number"),
        (("wait", " "), "execution id ' '"),
        (("status", "1007,1008"), "this command takes one execution id"),
        (("stop", "1007 1008"), "this command takes one execution id"),
    ],
)
def test_bad_ids_are_one_line_and_exit_2(invoke, args, needle):
    assert needle in invoke(*args).error


def test_ids_in_every_form_give_the_same_ids():
    forms = [("1007,1008",), ("1007", "1008"), ("1007, 1008",), (" 1007 ,", "1008,1007")]
    assert {settings.execution_ids(form) for form in forms} == {(1007, 1008)}
    assert settings.execution_id(" 1007, ") == 1007  # status and stop: one id, as printed


# -- schedule_at in the past ---------------------------------------------------------------------


def _at(offset: timedelta, *, zone: bool = True) -> str:
    """Now plus ``offset`` in UTC, ISO 8601; ``zone=False``: without the offset. Computed when
    the test runs, not when it is collected (a long session would move "now")."""
    text = (datetime.now(UTC) + offset).isoformat(timespec="seconds")
    return text if zone else text.removesuffix("+00:00")


@pytest.mark.parametrize(
    ("given", "extra", "needle"),
    [
        (lambda: "2020-01-01T02:00:00+03:00", (), "is in the past (it is now "),
        (lambda: _at(-timedelta(minutes=5)), (), "is in the past"),
        # Without an offset, in --timezone...
        (
            lambda: _at(-timedelta(hours=2), zone=False),
            ("--timezone", "UTC"),
            "is in the past in UTC",
        ),
        # ... or in the service's own zone: past only when past in every zone.
        (lambda: _at(-timedelta(hours=13), zone=False), (), "is in the past in every time zone"),
    ],
)
def test_a_schedule_in_the_past_is_an_input_error(invoke, given, extra, needle):
    moment = given()
    error = invoke(*SUITE, "--schedule-at", moment, *extra).error
    assert error.startswith(f"error: --schedule-at: {moment} ")
    assert needle in error and "give a future date and time" in error


@pytest.mark.parametrize(
    ("given", "extra"),
    [
        (lambda: _at(-timedelta(seconds=30)), ()),  # within the minute allowed
        (lambda: _at(timedelta(days=1)), ()),
        # Two hours ago in UTC is still ahead on UTC-12's clock (the service's zone is unknown).
        (lambda: _at(-timedelta(hours=2), zone=False), ()),
        (lambda: _at(timedelta(hours=3), zone=False), ("--timezone", "UTC")),
    ],
)
def test_a_schedule_now_or_later_is_sent(invoke, given, extra):
    moment = given()
    assert invoke(*SUITE, "--schedule-at", moment, *extra).body["schedule_at"] == moment


def test_the_variable_is_named_too(invoke):
    error = invoke(*SUITE, env={"VIBETESTING_SCHEDULE_AT": "2020-01-01T00:00:00Z"}).error
    assert error.startswith("error: VIBETESTING_SCHEDULE_AT: 2020-01-01T00:00:00Z is in the past")


# -- numbers and durations as people write them -------------------------------------------------

_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?e[+-]?\d", re.IGNORECASE)
NUMERIC = [o for o in OPTIONS if o.kind in (Kind.FLOAT, Kind.INT, Kind.COUNT, Kind.PERCENT)]
ABSURD = ["99999999999", "99999999999999999999999", "1e300", "0.0000001", "1e-300", "-1", "0"]


@pytest.mark.parametrize("option", NUMERIC, ids=lambda o: o.flag)
@pytest.mark.parametrize("value", ABSURD)
def test_no_limit_message_is_in_scientific_notation(invoke, option, value):
    result = invoke(*SUITE, env={option.env: value})
    if result.exit_code == 0:
        return
    error = result.error
    # What is left once the value given is taken out (it is echoed as written).
    said = error.replace(value, "").replace(value[:20], "")
    assert not _SCIENTIFIC.search(said), error


def test_the_longest_timeout_is_said_in_days(invoke):
    error = invoke(*SUITE, "--timeout", "99999999999").error
    assert error == (
        "error: --timeout: must be at most 30 days (2592000 seconds), got '99999999999'"
    )


@pytest.mark.parametrize("command", ["run", "wait"])
def test_help_shows_defaults_as_written(invoke, command):
    text = invoke(command, "--help").stdout
    assert not _SCIENTIFIC.search(text)
    assert "default: 3600]" in " ".join(text.split())


def test_human_units():
    assert kinds.human_seconds(30 * 86_400) == "30 days"
    assert kinds.human_seconds(86_400) == "1 day"
    assert kinds.human_seconds(7_200) == "2 hours"
    assert kinds.human_seconds(0.1) == "0.1 seconds"
    assert kinds.plain_number(2_592_000.0) == "2592000"
    assert kinds.plain_number(1_234_567.5) == "1234567.5"


# -- time zones: did you mean ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("Europe/Berln", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("America/New-York", "America/New_York"),
        ("UTC+3", "Etc/GMT-3"),
    ],
)
def test_a_misspelt_time_zone_gets_a_did_you_mean(invoke, given, meant):
    error = invoke(*SCHEDULED, "--timezone", given).error
    assert error.startswith("error: --timezone: ")
    assert f"did you mean '{meant}'" in error


def test_a_zone_like_nothing_gets_an_example(invoke):
    error = invoke(*SCHEDULED, "--timezone", "Mars/Olympus").error
    assert "did you mean" not in error and "(example: America/New_York)" in error


# -- the tests mapping without tests, and YAML indentation ---------------------------------------


@pytest.mark.parametrize(
    "text", ["{}", "{general_instructions: be gentle}", "{execution_type: guided}"]
)
def test_a_mapping_without_tests_says_so(invoke, text):
    error = invoke("run", "--tests", text, "--dry-run").error
    assert error.startswith("error: --tests: the mapping has no 'tests' key")
    assert "give --tests-file or --tests" not in error


def test_a_mapping_without_tests_in_a_variable_or_file_names_it(invoke, tmp_path):
    error = invoke("run", "--dry-run", env={"VIBETESTING_TESTS": "{}"}).error
    assert error.startswith("error: VIBETESTING_TESTS: the mapping has no 'tests' key")
    (tmp_path / "t.yml").write_text("execution_type: guided\n", encoding="utf-8")
    error = invoke("run", "--dry-run", "--tests-file", "t.yml").error
    assert error.startswith("error: t.yml: the mapping has no 'tests' key")


def test_an_exploration_mapping_needs_no_tests(invoke):
    body = invoke("run", "--tests", "{execution_type: exploration}", "--dry-run").body
    assert body["execution_type"] == "exploration" and "tests" not in body


@pytest.mark.parametrize(
    ("text", "line", "hint"),
    [
        ("- name: a\n    steps: b\n", 2, "'steps:' is indented more than 'name:' on line 1"),
        (
            "tests:\n  - name: a\n      steps:\n        - x\n",
            3,
            "'steps:' is indented more than 'name:' on line 2",
        ),
        ("- name: a\n  steps: b\n   more: c\n", 3, "'more:' is indented more than 'steps:'"),
        ("- name: a\n  steps: open: the page\n", 2, "a ':' followed by a space inside a value"),
        (
            "- name: a\n  steps: open the page\n    and click: here\n",
            3,
            "a ':' followed by a space inside a value",
        ),
    ],
)
def test_yaml_indentation_and_colon_hints(invoke, text, line, hint):
    error = invoke("run", "--tests", text, "--dry-run").error
    assert error.startswith(f"error: --tests:{line}: not valid YAML or JSON: ")
    assert hint in error
    other = "indented more" if "inside a value" in hint else "inside a value"
    assert other not in error
