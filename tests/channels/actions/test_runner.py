"""The GitHub Action run as GitHub's runner runs it, against the real emulator on loopback.

``ActionRunner`` reads ``action.yml`` the way the runner does for a Docker container action:
every input becomes ``INPUT_<NAME>`` (upper case, hyphens kept) with the given value or its
default, ``runs.env`` is evaluated against those inputs (``${{ inputs.x }}``), and
``GITHUB_ACTIONS``, ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` point at files. The entrypoint
(``bash entrypoint.sh`` plus ``runs.args``) then runs in a workspace folder, with the installed
``vibetesting`` console script first on PATH. Only the container is missing: that part is
proven by ``.ci/container-test.sh``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import composite_runner
from tests.support.cli import all_files_text, api_bodies, clean_env
from tests.support.github_output import parse_output_file
from vibetesting_ci.emulator import EmulatorServer

ROOT = Path(__file__).resolve().parents[3]
ACTION = ROOT / "action.yml"
TOKEN = "tok-ActionRunner-5f0c1e2d3b4a"  # distinctive, so a leak is easy to find
PASSWORD = "pw-ActionRunner-Hunter2"
GITHUB_TOKEN = "ghs-ActionRunner-workflow-token"  # what the runner puts in ${{ github.token }}
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
INPUT_REF = re.compile(r"^inputs\.([A-Za-z0-9_-]+)$")


def load_action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return data


def evaluate(template: str, inputs: Mapping[str, str]) -> str:
    """Evaluate the ``${{ inputs.x }}`` expressions the way the runner does (others refused)."""

    def one(match: re.Match[str]) -> str:
        ref = INPUT_REF.match(match.group(1))
        if ref is None:
            raise AssertionError(
                f"action.yml uses an expression the test cannot evaluate: {match.group(0)}"
            )
        name = ref.group(1)
        if name not in inputs:
            raise AssertionError(f"action.yml refers to an undeclared input {name!r}")
        return inputs[name]

    return EXPRESSION.sub(one, str(template))


def console_script_dir() -> Path:
    try:
        return composite_runner.console_script_dir()
    except FileNotFoundError:
        pytest.skip("the vibetesting console script is not installed")


@dataclass
class StepResult:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    workspace: Path
    files_text: str

    @property
    def stdout_lines(self) -> list[str]:
        return self.stdout.splitlines()

    def annotations(self, kind: str) -> list[str]:
        return [
            line
            for line in self.stdout_lines
            if line.startswith(f"::{kind} ") or line.startswith(f"::{kind}::")
        ]


class ActionRunner:
    """Runs ``action.yml`` like GitHub's runner, minus the container."""

    def __init__(self, tmp_path: Path) -> None:
        self.action = load_action()
        self.tmp = tmp_path
        self.workspace = tmp_path / "workspace"
        self.workspace.mkdir()
        self.commands = tmp_path / "file_commands"
        self.commands.mkdir()

    def environment(self, with_: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
        declared = self.action.get("inputs") or {}
        unknown = set(with_) - set(declared)
        assert not unknown, f"inputs not declared in action.yml: {sorted(unknown)}"
        inputs: dict[str, str] = {}
        for name, spec in declared.items():
            default = str((spec or {}).get("default", ""))
            # The runner evaluates expressions in defaults; the github context has the token.
            default = default.replace("${{ github.token }}", GITHUB_TOKEN)
            inputs[name] = str(with_[name]) if name in with_ else default
        env = clean_env()
        for name, value in inputs.items():
            env[f"INPUT_{name.upper()}"] = value  # hyphens kept, as the runner does
        runs = self.action["runs"]
        for key, template in (runs.get("env") or {}).items():
            env[key] = evaluate(template, inputs)
        args = [evaluate(arg, inputs) for arg in runs.get("args") or []]
        env.update(
            {
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": str(self.workspace),
                "GITHUB_OUTPUT": str(self.commands / "set_output"),
                "GITHUB_STEP_SUMMARY": str(self.commands / "step_summary"),
                "PATH": f"{console_script_dir()}{os.pathsep}{os.environ.get('PATH', '')}",
            }
        )
        return env, args

    def run(self, with_: Mapping[str, str], extra_args: tuple[str, ...] = ()) -> StepResult:
        assert self.action["runs"]["using"] == "docker"
        env, args = self.environment(with_)
        proc = subprocess.run(
            ["bash", str(ROOT / "entrypoint.sh"), *args, *extra_args],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        outputs_path = self.commands / "set_output"
        summary_path = self.commands / "step_summary"
        outputs_text = outputs_path.read_text(encoding="utf-8") if outputs_path.exists() else ""
        summary = summary_path.read_text(encoding="utf-8") if summary_path.exists() else ""
        return StepResult(
            proc.returncode,
            proc.stdout,
            proc.stderr,
            parse_output_file(outputs_text),
            summary,
            self.workspace,
            all_files_text(self.tmp),
        )


@pytest.fixture
def action_emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, seed=3) as server:
        yield server


def write_tests(folder: Path, names: list[str]) -> str:
    tests = [{"name": name, "steps": ["open the home page", f"check {name}"]} for name in names]
    (folder / "tests.yml").write_text(yaml.safe_dump(tests), encoding="utf-8")
    return "tests.yml"


def base_inputs(server: EmulatorServer) -> dict[str, str]:
    return {"api-token": TOKEN, "api-url": server.url, "poll-interval": "0.1", "timeout": "60"}


def assert_masked_first(step: StepResult, secrets: list[str]) -> None:
    lines = step.stdout_lines
    secrets = [*secrets, GITHUB_TOKEN]  # the github-token input's default, masked as well
    masks = [line for line in lines if line.startswith("::add-mask::")]
    assert sorted(masks) == sorted(f"::add-mask::{s}" for s in secrets)
    assert lines[: len(masks)] == masks, "::add-mask:: must come before any other output"
    assert step.stderr == "" or all(s not in step.stderr for s in secrets)
    rest = "\n".join(lines[len(masks) :]) + step.stderr
    for secret in secrets:
        assert secret not in rest
        # Only the mask commands themselves may carry it; no file may.
        assert secret not in step.files_text
        assert secret not in step.summary


def test_passing_run_outputs_summary_and_files(
    tmp_path: Path, action_emulator: EmulatorServer
) -> None:
    runner = ActionRunner(tmp_path)
    tests_file = write_tests(runner.workspace, ["Home page loads", "Sign in works"])
    step = runner.run({**base_inputs(action_emulator), "tests-file": tests_file})
    assert step.returncode == 0, step.stdout + step.stderr
    assert_masked_first(step, [TOKEN])

    out = step.outputs
    assert out["result"] == "passed"
    assert out["exit-code"] == "0"
    assert re.fullmatch(r"\d+", out["execution-ids"])
    assert (out["tests"], out["passed"], out["failed"]) == ("2", "2", "0")
    assert out["schedule-id"] == ""
    assert out["junit-file"] == "vibetesting-junit.xml"
    assert out["report-file"] == "vibetesting-report.pdf"
    assert out["report-url"].startswith("http://127.0.0.1:")
    declared = set(load_action()["outputs"])
    assert set(out) == declared, "every declared output is set, and nothing else"

    assert (step.workspace / "vibetesting-junit.xml").is_file()
    assert (step.workspace / "vibetesting-report.pdf").read_bytes().startswith(b"%PDF")
    results = json.loads((step.workspace / "vibetesting-results.json").read_text("utf-8"))
    assert results["result"] == "passed"

    summary = step.summary
    assert summary.startswith("## VibeTesting: ")
    assert "passed" in summary.splitlines()[0]
    assert "| Execution | Suite | State | Tests | Passed | Failed | Not done |" in summary
    assert re.search(rf"\| {out['execution-ids']} \| .* \| done \| 2 \| 2 \| 0 \| 0 \|", summary)
    assert "```mermaid" in summary and "pie" in summary and '"Passed" : 2' in summary
    assert "vibetesting-junit.xml" in summary
    assert not step.annotations("error")
    assert "::group::" in step.stdout and "::endgroup::" in step.stdout


def test_failing_run_annotates_and_fails(tmp_path: Path, action_emulator: EmulatorServer) -> None:
    runner = ActionRunner(tmp_path)
    tests_file = write_tests(runner.workspace, ["Checkout works", "Pay with card [fail]"])
    step = runner.run(
        {
            **base_inputs(action_emulator),
            "tests-file": tests_file,
            "login-identifier": "qa@example.com",
            "login-password": PASSWORD,
            "junit-file": "reports/junit.xml",
        }
    )
    assert step.returncode == 1, step.stdout + step.stderr
    assert_masked_first(step, [TOKEN, PASSWORD])
    assert (step.outputs["result"], step.outputs["failed"]) == ("failed", "1")
    assert step.outputs["junit-file"] == "reports/junit.xml"
    assert (step.workspace / "reports" / "junit.xml").is_file()
    errors = step.annotations("error")
    execution_id = step.outputs["execution-ids"]
    assert any(
        f"title=VibeTesting execution {execution_id}::" in e and "1 of 2 tests failed" in e
        for e in errors
    ), errors
    assert "failed" in step.summary.splitlines()[0]
    assert '"Failed" : 1' in step.summary
    login = api_bodies(action_emulator, "run-tests")[0]["login"]
    assert login == {"login_needed": True, "identifier": "qa@example.com", "password": PASSWORD}


def test_inputs_left_empty_send_only_what_was_set(
    tmp_path: Path, action_emulator: EmulatorServer
) -> None:
    """Every input at its default: the service's own defaults apply (nothing extra is sent)."""
    runner = ActionRunner(tmp_path)
    tests_file = write_tests(runner.workspace, ["Only test"])
    step = runner.run(
        {
            **base_inputs(action_emulator),
            "tests-file": tests_file,
            "report-file": "",
            "results-file": "",
        }
    )
    assert step.returncode == 0, step.stdout + step.stderr
    body = api_bodies(action_emulator, "run-tests")[0]
    assert set(body) == {"execution_type", "tests"}  # the API requires execution_type
    assert step.outputs["report-file"] == ""
    assert not (step.workspace / "vibetesting-report.pdf").exists()
    assert not (step.workspace / "vibetesting-results.json").exists()


def test_entrypoint_with_arguments_runs_that_command(
    tmp_path: Path, action_emulator: EmulatorServer
) -> None:
    runner = ActionRunner(tmp_path)
    tests_file = write_tests(runner.workspace, ["One"])
    first = runner.run({**base_inputs(action_emulator), "tests-file": tests_file})
    execution_id = first.outputs["execution-ids"]
    step = runner.run(base_inputs(action_emulator), ("status", execution_id, "--json"))
    assert step.returncode == 0, step.stdout + step.stderr
    body = json.loads(
        "\n".join(line for line in step.stdout_lines if not line.startswith("::add-mask::"))
    )
    assert body["execution_state"] == "done"


def test_input_error_is_an_annotation_and_exit_2(
    tmp_path: Path, action_emulator: EmulatorServer
) -> None:
    runner = ActionRunner(tmp_path)
    step = runner.run(
        {**base_inputs(action_emulator), "execution-type": "guided", "timezone": "Mars/Olympus"}
    )
    assert step.returncode == 2
    assert step.annotations("error")
    assert step.outputs.get("result", "error") == "error"
    assert not [r for r in action_emulator.journal if r.endpoint.startswith("run-")]


def test_sigterm_to_the_step_stops_the_execution(
    tmp_path: Path, action_emulator: EmulatorServer
) -> None:
    """A cancelled job: SIGTERM reaches the CLI itself (entrypoint.sh execs it)."""
    import signal

    runner = ActionRunner(tmp_path)
    tests_file = write_tests(runner.workspace, ["Never ends [hang]"])
    env, args = runner.environment({**base_inputs(action_emulator), "tests-file": tests_file})
    proc = subprocess.Popen(
        ["bash", str(ROOT / "entrypoint.sh"), *args],
        cwd=runner.workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:  # until the CLI is waiting for the execution
        seen.append(line)
        if line.startswith("::group::"):
            break
    else:
        pytest.fail("the CLI ended before waiting: " + "".join(seen))
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 143, "".join(seen) + rest
    outputs = parse_output_file((runner.commands / "set_output").read_text(encoding="utf-8"))
    assert outputs["result"] == "cancelled"
    execution_id = int(outputs["execution-ids"])
    assert any(
        r.endpoint == "stop-execution" and r.json.get("execution_id") == execution_id
        for r in action_emulator.journal
    )
    assert f"::warning title=VibeTesting execution {execution_id}::cancelled" in rest
