"""The whole fault matrix through the real CLI: exit codes, runs created, and no secret anywhere.

Every scenario in ``scripts/faultkit/scenarios.py`` (trigger, status, timeout, cancel, report,
odd answers, TLS, proxies, GitHub Actions) runs once per session (the session-scoped ``matrix``
fixture, ``tests/e2e/conftest.py``); this module checks what they all promise:

- the documented exit code, the number of executions the emulator created (a trigger is never
  doubled), the expected requests per endpoint and the key words of the message;
- no traceback;
- the API token and the login password appear in none of stdout, stderr (at ``--verbose``) and
  every file left behind: JUnit, results JSON, report, ``$GITHUB_OUTPUT``, the step summary;
- the report host never gets the API's ``Authorization`` header.

The specific behaviours are checked in ``test_reliability_retry.py``, ``test_signals.py``,
``test_reliability_reports.py`` and ``test_tls.py`` against the same outcomes.
"""

from __future__ import annotations

import pytest

from faultkit.scenarios import BY_NAME, SCENARIOS

NAMES = [s.name for s in SCENARIOS]


@pytest.fixture
def skip_unavailable(pid1_namespaces):
    """``skip_unavailable(name)`` skips a scenario this machine cannot run (PID 1 rows)."""

    def skip(name: str) -> None:
        if BY_NAME[name].pid1 and not pid1_namespaces:
            pytest.skip("no PID namespaces here (needs root and unshare)")

    return skip


@pytest.mark.parametrize("scenario", NAMES)
def test_scenario_outcome(matrix, skip_unavailable, scenario):
    skip_unavailable(scenario)
    outcome = matrix[scenario]
    sc = outcome.scenario
    where = f"\n--- {scenario}: {outcome.happened}\n{outcome.output[-3000:]}"
    assert outcome.returncode == sc.expect_exit, where
    if sc.expect_runs is not None:
        assert outcome.runs_created == sc.expect_runs, where
    for text in sc.expect_text:
        assert text in outcome.output, f"{text!r} not in the output" + where
    for endpoint, count in sc.expect_calls.items():
        assert outcome.calls(endpoint) == count, f"{endpoint}: {outcome.calls(endpoint)}" + where
    assert "Traceback" not in outcome.output, where


@pytest.mark.parametrize("scenario", NAMES)
def test_no_secret_anywhere(matrix, skip_unavailable, scenario):
    """Token, login password, a password in --api-url and the keys of the report links the
    emulator signed (``sig``): never in stdout, stderr (--verbose) or any file written."""
    skip_unavailable(scenario)
    outcome = matrix[scenario]
    assert outcome.secrets_found == 0, outcome.output
    assert outcome.injections == 0, outcome.output
    # run and wait write the results file whatever happened.
    # (An input error and a dry run write nothing.)
    sc = outcome.scenario
    if sc.args[0] in ("run", "wait") and sc.expect_exit != 2 and "--dry-run" not in sc.args:
        assert "vibetesting-results.json" in outcome.files
        assert "vibetesting.env" in outcome.files
    # The report host never sees the API's Authorization header (nor cookies).
    for record in outcome.journal:
        if record.endpoint == "report":
            assert "authorization" not in record.headers
            assert "cookie" not in record.headers


@pytest.mark.parametrize("scenario", NAMES)
def test_a_trigger_is_never_sent_twice_unless_refused_with_429(matrix, skip_unavailable, scenario):
    skip_unavailable(scenario)
    outcome = matrix[scenario]
    triggers = [r for r in outcome.journal if r.endpoint in ("run-tests", "run-suite")]
    answered_429 = [r for r in triggers if r.status == 429]
    # Every repeat follows a 429 (the service declined to act); nothing else is repeated.
    assert len(triggers) <= 1 + len(answered_429)
    # And never more executions than one run makes (one here: the tests run in one execution).
    assert outcome.runs_created <= 1
