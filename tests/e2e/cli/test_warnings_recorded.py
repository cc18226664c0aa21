"""Every warning the log prints is recorded: the results JSON's ``warnings`` and the GitHub job
summary's warnings section show them (issue 10 item 3). Real CLI, real emulator, loopback."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import TOKEN, emulator_env, run_cli
from vibetesting_ci.emulator import EmulatorServer


def test_warnings_reach_the_results_file_and_the_github_summary(tmp_path: Path) -> None:
    faults = ("report:html500:times=0", "execution-status:odd-counts:times=1")
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, seed=1, faults=faults) as srv:
        summary = tmp_path / "summary.md"
        env = emulator_env(
            srv,
            VIBETESTING_TIMEOUT="60",
            GITHUB_ACTIONS="true",
            GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_OUTPUT=str(tmp_path / "output"),
        )
        done = run_cli(
            ["run", "--tests", "[{name: one, steps: open the home page}]"], cwd=tmp_path, env=env
        )
    assert done.returncode == 0, done.output
    results = done.results()
    warnings = results["warnings"]
    assert results["error_code"] == "none"
    report = [w for w in warnings if w.startswith("report not downloaded: ")]
    assert len(report) == 1 and "HTTP 500" in report[0]
    odd = [w for w in warnings if not w.startswith("report not downloaded")]
    assert odd, warnings  # the odd answer the waiter warned about
    for warning in warnings:  # each one was in the log as a GitHub warning annotation too
        assert warning.split(":")[0] in done.stdout
    text = summary.read_text(encoding="utf-8")
    assert "report not downloaded" in text
    assert TOKEN not in text


def test_error_code_says_why_for_machines(tmp_path: Path) -> None:
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, seed=1) as srv:
        env = emulator_env(srv, VIBETESTING_TIMEOUT="60")
        failed = run_cli(
            ["run", "--tests", "[{name: 'pay [fail]', steps: pay}]"], cwd=tmp_path, env=env
        )
        assert failed.returncode == 1, failed.output
        assert failed.results()["error_code"] == "tests_failed"
        env["VIBETESTING_API_TOKEN"] = "wrong"
        refused = run_cli(["run", "--tests", "[{name: one, steps: open}]"], cwd=tmp_path, env=env)
        assert refused.returncode == 3, refused.output
        assert refused.results()["error_code"] == "auth_refused"
