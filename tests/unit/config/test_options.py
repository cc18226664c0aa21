"""The option table's public surface (``options.OPTIONS`` rows), which the CLI, the README
generator, the action and the CI templates are built from: names follow one rule, kinds are an
enum with one parser each, and the run's request body is built from the typed RunSettings."""

from __future__ import annotations

import pytest

from vibetesting_ci.config import kinds, options, settings, sources
from vibetesting_ci.config.kinds import Kind, Option
from vibetesting_ci.config.options import OPTIONS
from vibetesting_ci.errors import InputError

# The only rows whose flag does not follow from the name: one area, tag or variable per flag.
EXPLICIT_FLAGS = {
    "focus_areas": "--focus-area",
    "tags": "--tag",
    "exclude_tags": "--exclude-tag",
    "vars": "--var",
}


@pytest.mark.parametrize("row", OPTIONS, ids=lambda row: row.name)
def test_names_follow_the_rule(row: Option) -> None:
    dashed = row.name.replace("_", "-")
    assert row.flag == EXPLICIT_FLAGS.get(row.name, f"--{dashed}")
    assert row.env == f"VIBETESTING_{row.name.upper()}"
    assert row.input == dashed
    assert isinstance(row.kind, Kind)
    assert row.kind in kinds._PARSERS
    assert set(row.commands) <= set(options.API_COMMANDS)
    assert options.option(row.name) is row


def test_names_are_unique() -> None:
    for attr in ("name", "flag", "env", "input"):
        values = [getattr(row, attr) for row in OPTIONS]
        assert len(values) == len(set(values)), attr


def test_only_the_token_is_required() -> None:
    assert [row.name for row in OPTIONS if row.required] == ["api_token"]


def test_kinds_compare_as_their_old_names() -> None:
    assert Kind.BOOL == "bool" and Kind("choice") is Kind.CHOICE


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("timeout", "3600"),
        ("request_timeout", "30"),
        ("wait", "true"),
        ("dry_run", "false"),
        ("send_report", ""),
        ("dotenv_file", ""),
        ("junit_file", "vibetesting-junit.xml"),
        ("max_report_size", "512"),
        ("api_url", options.DEFAULT_API_URL),
    ],
)
def test_default_text_is_what_an_input_writes(name: str, text: str) -> None:
    assert options.option(name).default_text == text


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("wait", "YES", True),
        ("wait", " 0 ", False),
        ("flows_count", "3", 3),
        ("poll_interval", "0.1", 0.1),
        ("execution_type", " guided ", "guided"),
        ("focus_areas", "a\n\n b \n", ("a", "b")),
        ("focus_areas", ("a", " "), ("a",)),
        ("api_url", "http://127.0.0.1:9/api", "http://127.0.0.1:9/api/"),
        ("junit_file", " out.xml ", "out.xml"),
        ("api_token", " tok \n", "tok"),
    ],
)
def test_each_kind_parses(name: str, raw: object, value: object) -> None:
    assert options.option(name).parse(raw, "X") == value


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("wait", "maybe", "X: expected true/false/1/0/yes/no, got 'maybe'"),
        ("flows_count", "0", "X: must be a positive whole number, got 0"),
        ("poll_interval", "0.05", "X: must be at least 0.1 seconds, got '0.05'"),
        ("timeout", "0.05", None),  # no minimum beyond positive
        ("repeat", "hourly", "X: must be one of once, daily, weekly, got 'hourly'"),
        ("api_token", "a\nb", "X: must be one line"),
    ],
)
def test_each_kind_validates(name: str, raw: str, message: str | None) -> None:
    row = options.option(name)
    if message is None:
        assert row.parse(raw, "X") == float(raw)
        return
    with pytest.raises(InputError) as caught:
        row.parse(raw, "X")
    assert str(caught.value) == message


def test_the_body_follows_the_table_order_and_leaves_unset_fields_out() -> None:
    raw = sources.Raw(
        {
            "timezone": "UTC",
            "focus_areas": ("checkout",),
            "login_identifier": "qa",
            "login_password": "pw",
        },
        {
            "VIBETESTING_TESTS": "[{name: a, steps: [one, two]}]",
            "VIBETESTING_SCHEDULE_AT": "2030-04-04T02:00:00+03:00",
            "VIBETESTING_SEND_REPORT": "no",
        },
    )
    run = settings.run_settings(raw)
    assert run.endpoint == "run-tests" and run.scheduled and run.test_names == ("a",)
    assert list(run.body) == [
        "execution_type",
        "tests",
        "login",
        "focus_areas",
        "should_send_report",
        "schedule_at",
        "timezone",
    ]
    assert run.body["tests"] == [{"name": "a", "steps": ["one", "two"]}]
    assert run.body["login"] == {"login_needed": True, "identifier": "qa", "password": "pw"}
    assert run.redacted_body()["login"]["password"] == "***"
    assert run.body["login"]["password"] == "pw"  # the redacted copy is a copy


def test_a_suite_body() -> None:
    run = settings.run_settings(sources.Raw({"suite_id": "42", "send_report": True}, {}))
    assert (run.endpoint, run.body, run.test_names) == (
        "run-suite",
        {"suite_id": 42, "should_send_report": True},
        (),
    )
