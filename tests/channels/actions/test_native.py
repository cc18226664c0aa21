"""The native action (native/action.yml) run step by step in the runner simulation
(scripts/composite_runner.py), with the local Python in place of setup-python and a local
wheelhouse in place of PyPI, against the real emulator on loopback; and the Docker action's
env mapping beside it, so both variants are seen to give the same outputs.

The wheelhouse (``.ci-work/wheelhouse``, or ``VIBETESTING_WHEELHOUSE``) is made by ``make test``
with ``pip download`` of the hash-locked requirements; pip is told ``--no-index`` here, so these
tests send nothing but loopback traffic.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import composite_runner
from composite_runner import ActionRun, Runner
from tests.support.cli import api_bodies, clean_env
from vibetesting_ci.emulator import EmulatorServer

ROOT = Path(__file__).resolve().parents[3]
NATIVE = ROOT / "native" / "action.yml"
DOCKER = ROOT / "action.yml"
TOKEN = "tok-NativeAction-7a1b2c3d4e5f"
PASSWORD = "pw-NativeAction-Hunter2"
WHEELHOUSE = Path(os.environ.get("VIBETESTING_WHEELHOUSE", ROOT / ".ci-work" / "wheelhouse"))


@pytest.fixture(scope="module")
def wheelhouse() -> Path:
    if not any(WHEELHOUSE.glob("*.whl")):
        pytest.fail(
            f"no wheelhouse at {WHEELHOUSE}: run `make test` (it makes one with pip download)"
        )
    return WHEELHOUSE


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What stays between jobs: the actions/cache store and the tool cache's path."""
    return tmp_path_factory.mktemp("machine")


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, seed=5) as server:
        yield server


def runner_for(tmp_path: Path, machine: Path, wheelhouse: Path, **env: str) -> Runner:
    base = clean_env(
        {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse), "PIP_CONFIG_FILE": os.devnull}
    )
    base.update(env)
    runner = Runner(
        tmp_path / "workspace",
        cache=machine / "actions-cache",
        tool_cache=machine / "toolcache",
        env=base,
    )
    runner.fresh_machine()
    return runner


def write_tests(workspace: Path, names: list[str]) -> str:
    tests = [{"name": n, "steps": ["open the home page", f"check {n}"]} for n in names]
    (workspace / "tests.yml").write_text(yaml.safe_dump(tests), encoding="utf-8")
    return "tests.yml"


def inputs(server: EmulatorServer, **more: str) -> dict[str, str]:
    return {"api-token": TOKEN, "api-url": server.url, "poll-interval": "0.1", **more}


def assert_no_secret(run: ActionRun, workspace: Path, secrets: list[str]) -> None:
    lines = run.stdout.splitlines()
    for secret in secrets:
        leaks = [line for line in lines if secret in line and line != f"::add-mask::{secret}"]
        assert not leaks, leaks
        for path in workspace.rglob("*"):
            if path.is_file():
                assert secret not in path.read_text("utf-8", "replace"), path


def test_cold_install_then_warm_cache(
    tmp_path: Path, machine: Path, wheelhouse: Path, emulator: EmulatorServer
) -> None:
    shutil.rmtree(machine / "actions-cache", ignore_errors=True)
    runner = runner_for(tmp_path, machine, wheelhouse)
    tests_file = write_tests(runner.workspace, ["Home page loads", "Sign in works"])

    cold = runner.run(NATIVE, inputs(emulator, **{"tests-file": tests_file}))
    assert cold.returncode == 0, cold.stdout
    assert cold.step("setup-python").outcome == "skipped", "the runner's Python 3.11+ is used"
    assert cold.step("cache").outputs["cache-hit"] == "false"
    assert "installing into" in cold.stdout
    assert (cold.outputs["result"], cold.outputs["tests"], cold.outputs["passed"]) == (
        "passed",
        "2",
        "2",
    )
    assert (runner.workspace / "vibetesting-junit.xml").is_file()
    assert (runner.workspace / "vibetesting-report.pdf").read_bytes().startswith(b"%PDF")
    assert cold.summary.startswith("## VibeTesting: ")
    assert_no_secret(cold, runner.workspace, [TOKEN])
    key = cold.step("prepare").outputs["key"]
    assert (machine / "actions-cache" / key).is_dir(), "the save step stored the venv"

    runner.fresh_machine()  # the next job: a new machine, the same cache
    warm = runner.run(NATIVE, inputs(emulator, **{"tests-file": tests_file}))
    assert warm.returncode == 0, warm.stdout
    assert warm.step("cache").outputs["cache-hit"] == "true"
    assert "using the cached virtual environment" in warm.stdout
    assert "installing into" not in warm.stdout
    assert warm.step("prepare").outputs["key"] == key
    assert warm.outputs["result"] == "passed"


def test_setup_python_when_the_runner_has_none(
    tmp_path: Path, machine: Path, wheelhouse: Path, emulator: EmulatorServer
) -> None:
    """No python3/python on PATH: setup-python's (here: this test's) Python is used."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash",):
        found = shutil.which(tool)
        assert found
        (bin_dir / tool).symlink_to(found)
    runner = runner_for(tmp_path, machine, wheelhouse, PATH=str(bin_dir))
    step = runner.run(NATIVE, inputs(emulator, **{"tests": '[{"name": "One", "steps": "x"}]'}))
    assert step.returncode == 0, step.stdout
    assert step.step("python").outputs["python"] == ""
    assert step.step("setup-python").outcome == "success"
    assert step.step("prepare").outputs["python"] == runner.python
    assert step.outputs["result"] == "passed"


def test_both_variants_give_the_same_outputs(
    tmp_path: Path, machine: Path, wheelhouse: Path, emulator: EmulatorServer
) -> None:
    runner = runner_for(tmp_path, machine, wheelhouse)
    tests_file = write_tests(runner.workspace, ["Checkout works", "Pay with card [fail]"])
    given = inputs(
        emulator,
        **{
            "tests-file": tests_file,
            "login-identifier": "qa@example.com",
            "login-password": PASSWORD,
            "junit-file": "out/junit.xml",
        },
    )
    native = runner.run(NATIVE, given)
    docker = runner.run(DOCKER, given)
    assert native.returncode == docker.returncode == 1, native.stdout + docker.stdout
    assert set(native.outputs) == set(docker.outputs)
    differ = {"execution-ids", "report-url", "report-file"}  # a new execution each time
    assert {k: v for k, v in native.outputs.items() if k not in differ} == {
        k: v for k, v in docker.outputs.items() if k not in differ
    }
    assert native.outputs["result"] == "failed" and native.outputs["failed"] == "1"
    assert re.fullmatch(r"\d+", native.outputs["execution-ids"])
    for run in (native, docker):
        assert f"::add-mask::{TOKEN}" in run.stdout.splitlines()
        assert f"::add-mask::{PASSWORD}" in run.stdout.splitlines()
        assert_no_secret(run, runner.workspace, [TOKEN, PASSWORD])
    logins = [body["login"] for body in api_bodies(emulator, "run-tests")]
    assert (
        logins == [{"login_needed": True, "identifier": "qa@example.com", "password": PASSWORD}] * 2
    )


def test_a_failing_run_still_saves_the_cache(
    tmp_path: Path, machine: Path, wheelhouse: Path, emulator: EmulatorServer
) -> None:
    """actions/cache's own post step saves only after a successful job: the save comes before
    the run, so a job whose tests fail does not install cold again next time."""
    shutil.rmtree(machine / "actions-cache", ignore_errors=True)
    runner = runner_for(tmp_path, machine, wheelhouse)
    tests_file = write_tests(runner.workspace, ["Pay with card [fail]"])
    failing = runner.run(NATIVE, inputs(emulator, **{"tests-file": tests_file}))
    assert failing.returncode == 1, failing.stdout
    key = failing.step("prepare").outputs["key"]
    assert (machine / "actions-cache" / key).is_dir()
    runner.fresh_machine()
    again = runner.run(NATIVE, inputs(emulator, **{"tests-file": tests_file}))
    assert again.step("cache").outputs["cache-hit"] == "true"
    assert again.step("save").outcome == "skipped", "a hit saves nothing"


def test_input_error_exits_2_before_anything_is_sent(
    tmp_path: Path, machine: Path, wheelhouse: Path, emulator: EmulatorServer
) -> None:
    runner = runner_for(tmp_path, machine, wheelhouse)
    step = runner.run(NATIVE, inputs(emulator, **{"execution-type": "guided", "timeout": "-1"}))
    assert step.returncode == 2, step.stdout
    assert step.step("run").outcome == "failure"
    assert "::error" in step.stdout
    assert not [r for r in emulator.journal if r.endpoint.startswith("run-")]


def test_sigterm_to_the_run_step_stops_the_execution(
    tmp_path: Path, machine: Path, wheelhouse: Path, emulator: EmulatorServer
) -> None:
    """A cancelled job: the run step execs the CLI, so the runner's signal reaches it."""
    runner = runner_for(tmp_path, machine, wheelhouse)
    tests_file = write_tests(runner.workspace, ["Never ends [hang]"])
    sent: list[int] = []

    def on_line(step_id: str, proc: subprocess.Popen[str], line: str) -> None:
        if step_id == "run" and line.startswith("::group::") and not sent:
            proc.send_signal(signal.SIGTERM)
            sent.append(proc.pid)

    step = runner.run(
        NATIVE, inputs(emulator, **{"tests-file": tests_file, "timeout": "120"}), on_line=on_line
    )
    assert sent, step.stdout
    assert step.returncode == 143, step.stdout
    assert step.outputs["result"] == "cancelled"
    execution_id = int(step.outputs["execution-ids"])
    assert any(
        r.endpoint == "stop-execution" and r.json.get("execution_id") == execution_id
        for r in emulator.journal
    )


def test_a_broken_cached_venv_is_rebuilt(
    tmp_path: Path, machine: Path, wheelhouse: Path, emulator: EmulatorServer
) -> None:
    runner = runner_for(tmp_path, machine, wheelhouse)
    given = inputs(emulator, **{"dry-run": "true", "tests": '[{"name": "a", "steps": "b"}]'})
    first = runner.run(NATIVE, given)
    assert first.returncode == 0, first.stdout
    key = first.step("prepare").outputs["key"]
    saved = machine / "actions-cache" / key
    assert saved.is_dir()
    (saved / "vibetesting-ci-native.key").write_text("another key\n", encoding="utf-8")
    runner.fresh_machine()  # the cache restores a venv that is not the one it claims to be
    again = runner.run(NATIVE, given)
    assert again.step("cache").outputs["cache-hit"] == "true"
    assert "installing into" in again.stdout, again.stdout
    assert again.returncode == 0, again.stdout
    venv = Path(again.step("prepare").outputs["venv"])
    assert (venv / "vibetesting-ci-native.key").read_text(encoding="utf-8").strip() == key


def test_a_run_line_with_an_expression_is_refused(tmp_path: Path) -> None:
    action = tmp_path / "action.yml"
    action.write_text(
        yaml.safe_dump(
            {
                "name": "x",
                "description": "x",
                "inputs": {"who": {"description": "x", "default": "a"}},
                "runs": {
                    "using": "composite",
                    "steps": [{"shell": "bash", "run": "echo ${{ inputs.who }}"}],
                },
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(composite_runner.ExpressionError, match="pass it through env"):
        Runner(tmp_path / "ws").run(action, {})


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("steps.a.outputs.x == ''", False),
        ("steps.a.outputs.x != ''", True),
        ("steps.a.outputs.missing == ''", True),
        ("inputs.who == 'A'", True),  # comparisons ignore case, as GitHub's do
        ("!inputs.empty && inputs.who", True),
        ("inputs.empty || 'fallback'", True),
        ("always()", True),
    ],
)
def test_expressions(expr: str, expected: bool) -> None:
    contexts = {"steps": {"a": {"outputs": {"x": "1"}}}, "inputs": {"who": "a", "empty": ""}}
    ev = composite_runner.Expressions(contexts, lambda: "success")
    assert ev.condition(expr) is expected
    assert ev.template("${{ inputs.empty || 'fallback' }}") == "fallback"
    with pytest.raises(composite_runner.ExpressionError):
        ev.evaluate("inputs.undeclared")
