"""The fault matrix's own table and cache, in-process: every scenario is well-formed before any
of them runs (a bad row fails here in milliseconds, not after the matrix's minute)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from faultkit.matrix import wanted_scenarios
from faultkit.scenarios import BY_NAME, GATE_VERDICT_SCENARIOS, SCENARIOS
from vibetesting_ci.emulator.faults import parse_fault

GROUPS = {
    "output",
    "trigger",
    "status",
    "odd",
    "timeout",
    "cancel",
    "report",
    "transport",
    "command",
    "github",
    "hostile",  # issues 17 and 10.1: drips, redirects, echoed secrets, huge answers
    "input",  # exit 2 before anything is sent
    "verdict",
    "hostile",
}
COMMANDS = {"run", "wait", "status", "stop", "cancel-schedule"}
ENDPOINTS = {"run-tests", "run-suite", "execution-status", "stop-execution", "report"}


def test_scenario_names_are_unique_and_indexed():
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names))
    assert list(BY_NAME) == names


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_every_scenario_is_well_formed(scenario):
    assert scenario.group in GROUPS
    assert scenario.what and scenario.args[0] in COMMANDS
    for spec in scenario.faults:
        parse_fault(spec)  # the emulator's own parser: raises on a bad spec
    assert set(scenario.expect_calls) <= ENDPOINTS
    if scenario.signal is not None:
        assert scenario.signal_on in ENDPOINTS and scenario.signal_count >= 1
    assert scenario.tls in (None, "no-ca", "requests-ca-bundle", "ssl-cert-file", "missing-ca-file")
    assert scenario.proxy in (None, "through", "bypass")
    assert scenario.api_url in (None, "refused", "userinfo") or "://" in scenario.api_url


def test_wanted_scenarios_reads_the_scenario_parameter_of_matrix_tests():
    def item(fixtures, **params):
        return SimpleNamespace(fixturenames=fixtures, callspec=SimpleNamespace(params=params))

    items = [
        item(["matrix"], scenario="baseline"),
        item(["matrix"], scenario="no-such-scenario"),
        item(["tmp_path"], scenario="timeout"),  # not a matrix test
        item(["matrix"], other="x"),
        SimpleNamespace(fixturenames=["matrix"]),  # not parametrized
        item(["matrix"], scenario="tls-no-ca"),
    ]
    assert wanted_scenarios(items) == ["baseline", "tls-no-ca"]


NAMES = [s.name for s in GATE_VERDICT_SCENARIOS]


def test_every_scenario_of_the_block_is_in_the_matrix():
    assert all(name in BY_NAME for name in NAMES)
    assert all(
        BY_NAME[name].expect_exit != 0 or "allow" in name or "dry-run" in name for name in NAMES
    )
