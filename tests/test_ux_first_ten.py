"""Issue 24, "the first ten minutes", end to end: the real CLI against the real loopback
emulator (and, for TLS that breaks after the request went out, a small TLS server of its own).

- ``wait`` takes the ids the way ``run --no-wait`` prints them;
- the wait line shows the timeout as given (``5s``, ``1h00m``);
- a connection that failed before the request was sent (refused, a TLS handshake with a
  plain-http server) says "nothing was started", and one that broke after it says "the run may
  have started" and is not repeated;
- a 404 from a URL that is not the API's suggests checking ``--api-url``;
- ``make demo``'s script finds a free port when its port is taken.
"""

from __future__ import annotations

import pytest

# -- wait: ids as run --no-wait prints them -----------------------------------------------------


def _two_executions(cli) -> tuple[int, int]:
    started = cli(
        "run",
        "--tests",
        "[{name: a, steps: b}, {name: c, steps: d}]",
        "--allow-parallel",
        "--no-wait",
    )
    assert started.returncode == 0, started.output
    (line,) = [x for x in started.stdout.splitlines() if x.startswith("execution_ids=")]
    first, second = (int(i) for i in line.removeprefix("execution_ids=").split(","))
    return first, second


@pytest.mark.parametrize(
    "form",
    [
        lambda a, b: [f"{a},{b}"],  # execution_ids=1007,1008 as printed
        lambda a, b: [str(a), str(b)],
        lambda a, b: [f"{a}, {b}"],  # quoted, with a space
        lambda a, b: [f"{a},", f" {b} ,{a}"],  # mixed, a repeat dropped
    ],
    ids=["commas", "spaces", "comma-space", "mixed"],
)
def test_wait_takes_ids_as_run_no_wait_prints_them(cli, emulator, form):
    first, second = _two_executions(cli)
    result = cli("wait", *form(first, second))
    assert result.returncode == 0, result.output
    assert [e["id"] for e in result.results()["executions"]] == [first, second]
    assert f"waiting for execution(s) {first}, {second}" in result.stderr


def test_a_bad_id_among_good_ones_is_one_line_and_nothing_is_asked(cli, emulator):
    result = cli("wait", "1007,x1008")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: execution id 'x1008': expected a positive whole number, got 'x1008'"
    ]
    assert emulator.journal == []


# -- the timeout as given -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timeout", "shown"),
    [("5", "(timeout 5s)"), ("", "(timeout 1h00m)"), ("90", "(timeout 1m30s)")],
)
def test_the_wait_line_shows_the_timeout_given(cli, emulator, timeout, shown):
    # An empty VIBETESTING_TIMEOUT is unset: the default, an hour.
    result = cli("run", "--suite-id", "1", env={"VIBETESTING_TIMEOUT": timeout})
    assert result.returncode == 0, result.output
    assert shown in result.stderr
