"""SIGINT / SIGTERM, end to end: stop the remote executions, write what is known, exit 130/143,
within 5 seconds of the signal (GitHub sends SIGKILL 10 s after SIGTERM).

Signals arrive while waiting, while a status call is stalled, while the stop call itself stalls,
while the trigger request is out, during the report download, and with the CLI as PID 1 of a
new PID namespace (as in a container, where an init without a handler ignores SIGTERM). The
seconds from signal to exit are printed (``pytest -s``); the assertion on them is only a hang
guard (< 9 s, under GitHub's SIGKILL), not a benchmark.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

WAITING = [
    ("sigint-waiting", 130, "SIGINT", True),
    ("sigterm-waiting", 143, "SIGTERM", True),
    ("sigterm-no-stop", 143, "SIGTERM", False),
    ("sigterm-status-stalled", 143, "SIGTERM", True),
    ("sigterm-stop-stalled", 143, "SIGTERM", False),  # asked, but no answer in time
    ("sigterm-pid1", 143, "SIGTERM", True),
    ("github-sigterm", 143, "SIGTERM", True),
]
HANG_GUARD = 9.0


def _seconds(outcome) -> float:
    seconds = outcome.signal_to_exit
    assert seconds is not None
    print(f"\n{outcome.scenario.name}: exit {outcome.returncode} {seconds:.2f} s after the signal")
    assert seconds < HANG_GUARD, f"hang: {seconds:.1f} s from signal to exit"
    return seconds


@pytest.mark.parametrize(("scenario", "code", "name", "stopped"), WAITING)
def test_signal_while_waiting(matrix, pid1_namespaces, scenario, code, name, stopped):
    if scenario == "sigterm-pid1" and not pid1_namespaces:
        pytest.skip("no PID namespaces here (needs root and unshare)")
    outcome = matrix[scenario]
    _seconds(outcome)
    assert outcome.returncode == code, outcome.output
    stops = [r.json for r in outcome.journal if r.endpoint == "stop-execution"]
    if outcome.scenario.name == "sigterm-no-stop":
        assert stops == []
    else:
        assert stops == [{"execution_id": 1001}]
    results = outcome.results()
    assert results["result"] == "cancelled" and results["exit_code"] == code
    assert results["message"] == f"cancelled by {name}"
    (execution,) = results["executions"]
    assert execution["interrupted"] == "cancelled"
    assert execution["stopped"] is stopped
    # JUnit: both tests of the unfinished execution are <error type="cancelled">.
    root = ET.fromstring(outcome.files["vibetesting-junit.xml"])
    cases = list(root.iter("testcase"))
    assert len(cases) == 2
    assert [c.find("error").get("type") for c in cases] == ["cancelled", "cancelled"]


def test_stalled_stop_call_is_abandoned_within_the_budget(matrix):
    outcome = matrix["sigterm-stop-stalled"]
    seconds = _seconds(outcome)
    # Either the budget ran out first ("no answer in time") or the call's own wall-clock bound
    # cut its connection at the same moment ("the connection was cut"): both say so.
    assert "could not stop execution 1001: " in outcome.stderr
    assert "no answer in time" in outcome.stderr or "was cut" in outcome.stderr
    assert seconds < 6.0, "the stop budget (3 s) was not kept"


def test_signal_during_a_stalled_trigger(matrix):
    """Nothing came back yet: exit 143, no status calls, and the user is told the run may have
    started (the service may act on the request later)."""
    outcome = matrix["sigterm-trigger-stalled"]
    _seconds(outcome)
    assert outcome.returncode == 143
    assert outcome.calls("run-tests") == 1 and outcome.calls("execution-status") == 0
    results = outcome.results()
    assert results["result"] == "cancelled" and results["exit_code"] == 143
    assert "may have started" in results["message"]


def test_signal_during_the_trigger_then_its_answer_arrives(matrix):
    """The answer comes within the grace period: the new execution is stopped at once."""
    outcome = matrix["sigterm-trigger-answers-late"]
    _seconds(outcome)
    assert outcome.returncode == 143
    assert outcome.runs_created == 1
    assert [r.json for r in outcome.journal if r.endpoint == "stop-execution"] == [
        {"execution_id": 1001}
    ]
    assert outcome.calls("execution-status") == 0
    (execution,) = outcome.results()["executions"]
    assert execution["stopped"] is True and execution["interrupted"] == "cancelled"
    root = ET.fromstring(outcome.files["vibetesting-junit.xml"])
    errors = [c.find("error") for c in root.iter("testcase")]
    assert errors and all(e is not None for e in errors)


def test_signal_during_the_report_download(matrix):
    """The executions are done; the stalled download is abandoned, JUnit and results carry the
    real outcome, and the exit code says the job was cancelled."""
    outcome = matrix["sigterm-report-stalled"]
    _seconds(outcome)
    assert outcome.returncode == 143
    results = outcome.results()
    assert results["result"] == "cancelled"
    assert "after the wait" in results["message"]
    (execution,) = results["executions"]
    assert execution["state"] == "done" and execution["passed"] == 2
    assert execution["report_file"] is None
    assert "vibetesting-report.pdf" not in outcome.files
    assert not [name for name in outcome.files if ".tmp" in name or name.startswith(".")]
    root = ET.fromstring(outcome.files["vibetesting-junit.xml"])
    assert root.get("failures") == "0" and root.get("errors") == "0"


def test_signal_during_the_stop_after_a_timeout(matrix):
    """The stop on timeout may take up to --request-timeout (20 s here); a SIGTERM meanwhile
    cuts what is left of it to the cancel budget."""
    outcome = matrix["sigterm-during-timeout-stop"]
    seconds = _seconds(outcome)
    assert seconds < 6.0, "the stop was not cut short by the signal"
    assert outcome.returncode == 143
    results = outcome.results()
    assert results["result"] == "cancelled" and results["exit_code"] == 143
    assert "timed out" in results["message"]
    (execution,) = results["executions"]
    assert execution["interrupted"] == "timeout" and execution["stopped"] is False


def test_sigterm_ends_a_one_shot_command_with_143(emulator, api_env, tmp_path):
    """status/stop install no cancel handler: SIGTERM still ends them (also as PID 1)."""
    import signal as _signal
    import subprocess as _subprocess
    import sys as _sys

    from tests.support.cli import clean_env, wait_until

    emulator.add_fault("execution-status:stall:seconds=20")
    proc = _subprocess.Popen(
        [_sys.executable, "-m", "vibetesting_ci", "status", "1001"],
        cwd=tmp_path,
        env=clean_env(api_env),
        stdout=_subprocess.PIPE,
        stderr=_subprocess.PIPE,
    )
    assert wait_until(
        lambda: any(r.endpoint == "execution-status" for r in emulator.journal), 10
    ), "the status call never arrived"
    proc.send_signal(_signal.SIGTERM)
    assert proc.wait(timeout=10) == 143
