"""Both actions (action.yml, native/action.yml) agree with the CLI's option table, the GitHub
adapter, each other and the documentation, and are what scripts/gen_actions.py writes."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import gen_actions
from vibetesting_ci.config.options import OPTIONS
from vibetesting_ci.domain.models import RunResult
from vibetesting_ci.domain.report import build_report
from vibetesting_ci.render.github import outputs_for

ROOT = Path(__file__).resolve().parents[3]
ACTION = ROOT / "action.yml"
NATIVE = ROOT / "native" / "action.yml"
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
# The CI guide's inputs/outputs tables (the README's are checked by
# tests/channels/docs/test_readme_sync.py).
DOCS = [ROOT / "docs" / "ci.md"]
INPUT_EXPR = re.compile(r"^\$\{\{ inputs\.([a-z0-9-]+) \}\}$")


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def native() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(NATIVE.read_text(encoding="utf-8"))
    return data


def run_step(native: dict[str, Any]) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in native["runs"]["steps"] if s.get("id") == "run")
    return step


def input_for_env(action: dict[str, Any]) -> dict[str, str]:
    """``VIBETESTING_X`` -> the input it is read from."""
    mapping = {}
    for variable, template in action["runs"]["env"].items():
        match = INPUT_EXPR.match(str(template))
        assert match, f"runs.env.{variable}: {template!r} is not a plain ${{{{ inputs.x }}}}"
        mapping[variable] = match.group(1)
    return mapping


def cli_default(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_docker_action_shape(action: dict[str, Any]) -> None:
    assert action["runs"]["using"] == "docker"
    assert action["runs"]["image"] == "Dockerfile", "on main: the release rewrites it"
    assert not action["runs"].get("args"), "the entrypoint runs `vibetesting run` on its own"
    assert {"icon", "color"} <= set(action["branding"])
    assert action["name"] and action["description"]


def test_every_input_maps_onto_a_cli_variable(action: dict[str, Any]) -> None:
    known = {option.env: option for option in OPTIONS}
    mapping = input_for_env(action)
    inputs = action["inputs"]
    assert sorted(mapping.values()) == sorted(inputs), "each input is mapped exactly once"
    for variable, name in mapping.items():
        assert variable in known, f"{variable} (input {name}) is not a variable the CLI reads"
        option = known[variable]
        plural = {"--focus-area", "--tag", "--exclude-tag", "--var"}  # one value per flag
        named = option.flag.removeprefix("--") + ("s" if option.flag in plural else "")
        assert name == named, f"input {name} should be named after {option.flag}"
        assert name == option.input, f"input {name}: the option table says {option.input}"
    for name, spec in inputs.items():
        assert re.fullmatch(r"[a-z][a-z0-9-]*", name), f"input {name} is not kebab-case"
        assert spec.get("description"), f"input {name} has no description"


def test_every_run_option_is_an_input(action: dict[str, Any]) -> None:
    mapped = set(input_for_env(action))
    missing = [o.env for o in OPTIONS if "run" in o.commands and o.env not in mapped]
    assert not missing, f"options of `vibetesting run` without an action input: {missing}"


def test_input_defaults_are_the_cli_defaults(action: dict[str, Any]) -> None:
    by_env = {option.env: option for option in OPTIONS}
    for variable, name in input_for_env(action).items():
        spec = action["inputs"][name]
        option = by_env[variable]
        if option.name == "api_token":
            assert spec.get("required") is True and "default" not in spec
            continue
        assert spec.get("required", False) is False, f"input {name}"
        assert "default" in spec, f"input {name} has no default (empty string when none)"
        assert isinstance(spec["default"], str), f"input {name}: quote the default"
        assert spec["default"] == option.default_text, f"input {name}"
        if option.input_default is None:  # else the action's own default (github.token)
            assert spec["default"] == cli_default(option.default), f"input {name}"


def test_outputs_declared_are_the_outputs_written(action: dict[str, Any]) -> None:
    written = outputs_for(build_report(RunResult(result="passed", exit_code=0)))
    assert set(written) == set(action["outputs"])
    for name, spec in action["outputs"].items():
        assert spec.get("description"), f"output {name} has no description"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_inputs_and_outputs_are_documented(action: dict[str, Any], doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| `")}
    mapping = {name: variable for variable, name in input_for_env(action).items()}
    for name in action["inputs"]:
        assert f"`{name}`" in rows, f"input {name} missing from the inputs table in {doc.name}"
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` |"))
        assert f"`{mapping[name]}`" in row, f"{doc.name}: input {name} row lacks its variable"
    for name in action["outputs"]:
        assert f"`{name}`" in rows, f"output {name} missing from the outputs table in {doc.name}"


def test_entrypoint_is_executable() -> None:
    entrypoint = ROOT / "entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    assert entrypoint.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")


def test_action_files_are_current_with_the_generator() -> None:
    """`python scripts/gen_actions.py` after a change of the option table or the outputs."""
    assert ACTION.read_text(encoding="utf-8") == gen_actions.render_docker(), (
        "action.yml is stale: run `python scripts/gen_actions.py`"
    )
    assert NATIVE.read_text(encoding="utf-8") == gen_actions.render_native(), (
        "native/action.yml is stale: run `python scripts/gen_actions.py`"
    )
    assert gen_actions.main(["--check"]) == 0


def test_release_rewrites_only_the_image() -> None:
    released = gen_actions.render_docker(
        gen_actions.release_image("ghcr.io/vibetesting/vibetesting-ci:1.2.3")
    )
    data = yaml.safe_load(released)
    assert data["runs"]["image"] == "docker://ghcr.io/vibetesting/vibetesting-ci:1.2.3"
    main = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert {**data, "runs": {**data["runs"], "image": "Dockerfile"}} == main
    for bad in (
        "ghcr.io/vibetesting/vibetesting-ci:1",
        "docker.io/x/y:1.2.3",
        "ghcr.io/a/b:latest",
    ):
        with pytest.raises(SystemExit):
            gen_actions.release_image(bad)


def test_native_has_the_same_inputs_and_outputs(
    action: dict[str, Any], native: dict[str, Any]
) -> None:
    assert native["runs"]["using"] == "composite"
    assert native["inputs"] == action["inputs"]
    assert list(native["outputs"]) == list(action["outputs"])
    for name, spec in native["outputs"].items():
        assert spec["description"] == action["outputs"][name]["description"]
        assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}"


def test_native_run_step_maps_inputs_like_the_docker_action(
    action: dict[str, Any], native: dict[str, Any]
) -> None:
    env = dict(run_step(native)["env"])
    assert env.pop("VIBETESTING_NATIVE_CLI") == "${{ steps.install.outputs.cli }}"
    assert env == action["runs"]["env"]
    assert run_step(native)["run"].startswith("exec "), "the CLI must get the runner's signals"


def test_native_steps_expand_no_expression_in_a_shell(native: dict[str, Any]) -> None:
    for step in native["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], f"step {step.get('id')}: inputs go through env:"
            assert step["shell"] == "bash"
        else:
            assert PINNED.match(step["uses"]), f"{step['uses']} is not pinned by commit"


def test_native_installs_only_hash_locked_packages() -> None:
    setup = (ROOT / "native" / "setup.py").read_text(encoding="utf-8")
    assert '"--require-hashes"' in setup
    assert '"--no-deps", "--no-build-isolation", "--no-index"' in setup
    for lock in ("build.txt", "runtime.txt", "windows.txt"):
        text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
        assert "--hash=sha256:" in text, lock
    windows = (ROOT / "requirements" / "windows.txt").read_text(encoding="utf-8")
    assert re.search(r"^colorama==", windows, re.M), "click needs colorama on Windows"
