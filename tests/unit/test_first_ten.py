"""Issue 24, "the first ten minutes", in-process: input written the way the tool prints it or the
way people write it, and one-line errors that say what is wrong (exit 2, nothing sent).

The API URL is a dead loopback port (``conftest.invoke``): a request sent by mistake fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vibetesting_ci import settings

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


# -- schedule_at in the past ---------------------------------------------------------------------


def _iso(moment: datetime, *, offset: bool = True) -> str:
    text = moment.astimezone(UTC).isoformat(timespec="seconds")
    return text if offset else text.removesuffix("+00:00")


@pytest.mark.parametrize(
    ("given", "extra", "needle"),
    [
        ("2020-01-01T02:00:00+03:00", (), "is in the past (it is now "),
        (_iso(datetime.now(UTC) - timedelta(minutes=5)), (), "is in the past"),
        # Without an offset, in --timezone...
        (
            _iso(datetime.now(UTC) - timedelta(hours=2), offset=False),
            ("--timezone", "UTC"),
            "is in the past in UTC",
        ),
        # ... or in the service's own zone: past only when past in every zone.
        (
            _iso(datetime.now(UTC) - timedelta(hours=13), offset=False),
            (),
            "is in the past in every time zone",
        ),
    ],
)
def test_a_schedule_in_the_past_is_an_input_error(invoke, given, extra, needle):
    error = invoke(*SUITE, "--schedule-at", given, *extra).error
    assert error.startswith(f"error: --schedule-at: {given} ")
    assert needle in error and "give a future date and time" in error


@pytest.mark.parametrize(
    ("given", "extra"),
    [
        (_iso(datetime.now(UTC) - timedelta(seconds=30)), ()),  # within the minute allowed
        (_iso(datetime.now(UTC) + timedelta(days=1)), ()),
        # Two hours ago in UTC is still ahead in America/Los_Angeles's or UTC-12's clock.
        (_iso(datetime.now(UTC) - timedelta(hours=2), offset=False), ()),
        (_iso(datetime.now(UTC) + timedelta(hours=3), offset=False), ("--timezone", "UTC")),
    ],
)
def test_a_schedule_now_or_later_is_sent(invoke, given, extra):
    assert invoke(*SUITE, "--schedule-at", given, *extra).body["schedule_at"] == given


def test_the_variable_is_named_too(invoke):
    error = invoke(*SUITE, env={"VIBETESTING_SCHEDULE_AT": "2020-01-01T00:00:00Z"}).error
    assert error.startswith("error: VIBETESTING_SCHEDULE_AT: 2020-01-01T00:00:00Z is in the past")
