"""Issue 24, "the first ten minutes", in-process: input written the way the tool prints it or the
way people write it, and one-line errors that say what is wrong (exit 2, nothing sent).

The API URL is a dead loopback port (``conftest.invoke``): a request sent by mistake fails."""

from __future__ import annotations

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
