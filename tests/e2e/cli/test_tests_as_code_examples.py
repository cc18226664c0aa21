"""Tests as code (issue 23): the examples and the README's snippets use real inputs, and the
example folder of tests runs against the emulator as the README and docs/emulator.md say."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.cli.tac_support import SENTENCE, names, only_body, stderr_lines

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Tests as code", 1)[1].split("\n## ", 1)[0]
ACTION_INPUTS = set(yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["inputs"])
COMPONENT_INPUTS = set(
    next(yaml.safe_load_all((ROOT / "templates/vibetesting/template.yml").read_text()))["spec"][
        "inputs"
    ]
)
GROOVY = (ROOT / "vars" / "vibetesting.groovy").read_text(encoding="utf-8")
JENKINS_ARGUMENTS = set(re.findall(r"^\s+(\w+): ", GROOVY.split("Map call(", 1)[0], re.M))


def snippets(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", SECTION, re.S)


def vibetesting_steps(document: Any) -> list[dict[str, Any]]:
    """Every step of a workflow (or a bare list of steps) that uses the action."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("uses", "")).startswith("vibetesting/vibetesting-ci"):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return found


def component_inputs(document: Any) -> list[dict[str, Any]]:
    includes = document.get("include", []) if isinstance(document, dict) else []
    return [i.get("inputs", {}) for i in includes if "vibetesting" in str(i.get("component"))]


NEW_INPUTS = {"target-url", "vars", "secret-vars", "tags", "exclude-tags", "grep", "shard"}


def test_the_action_and_the_component_have_the_new_inputs() -> None:
    assert NEW_INPUTS <= ACTION_INPUTS
    assert NEW_INPUTS - {"secret-vars"} <= COMPONENT_INPUTS  # secrets: masked variables
    assert "secret-vars" not in COMPONENT_INPUTS
    for argument in ("targetUrl", "vars", "tags", "excludeTags", "grep", "shard"):
        assert argument in JENKINS_ARGUMENTS, argument
    assert "secretVarsCredentialsIds" in JENKINS_ARGUMENTS
    assert "secretVars" not in JENKINS_ARGUMENTS


@pytest.mark.parametrize(
    "path", sorted(p.name for p in (ROOT / "examples").glob("*github-workflow.yml"))
)
def test_example_workflows_use_real_inputs(path: str) -> None:
    steps = vibetesting_steps(yaml.safe_load((ROOT / "examples" / path).read_text()))
    assert steps
    for step in steps:
        assert set(step.get("with", {})) <= ACTION_INPUTS, step["with"]


@pytest.mark.parametrize("path", sorted(p.name for p in (ROOT / "examples").glob("*gitlab-ci.yml")))
def test_example_pipelines_use_real_inputs(path: str) -> None:
    found = component_inputs(yaml.safe_load((ROOT / "examples" / path).read_text()))
    assert found
    for inputs in found:
        assert set(inputs) <= COMPONENT_INPUTS, inputs


def test_readme_snippets_use_real_inputs_and_arguments() -> None:
    used_action = used_component = 0
    for text in snippets("yaml"):
        document = yaml.safe_load(text)
        for step in vibetesting_steps(document):
            assert set(step.get("with", {})) <= ACTION_INPUTS, step
            used_action += 1
        for inputs in component_inputs(document):
            assert set(inputs) <= COMPONENT_INPUTS, inputs
            used_component += 1
    assert used_action >= 4 and used_component >= 4
    calls = [
        m for text in snippets("groovy") for m in re.findall(r"vibetesting\((.*?)\)", text, re.S)
    ]
    assert len(calls) >= 4
    for call in calls:
        for argument in re.findall(r"(?:^|[(,\s])(\w+):", call):
            assert argument in JENKINS_ARGUMENTS, argument
    example = (ROOT / "examples" / "Jenkinsfile.preview").read_text(encoding="utf-8")
    call = example.split("vibetesting(", 1)[1].split(")\n", 1)[0]
    for argument in re.findall(r"^\s+(?://\s*)?(\w+):", call, re.M):
        assert argument in JENKINS_ARGUMENTS, argument


def test_every_job_of_the_issue_has_an_example_per_ci_system() -> None:
    for key in ("target-url", "vars", "tags", "shard"):
        assert re.search(rf"^\s+{key}:", SECTION, re.M), key
    for argument in ("targetUrl", "vars", "tags", "shard"):
        assert f"{argument}:" in SECTION, argument


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples" / "suite", tmp_path / "examples" / "suite")
    return tmp_path


def test_the_example_folder_runs_as_the_readme_says(
    cli: Any, emulator: Any, examples: Path
) -> None:
    result = cli("run", "--tests-file", "examples/suite/", "--tag", "smoke")
    assert result.returncode == 0, result.output
    body = only_body(emulator)
    assert names(body) == ["home page loads", "search finds a product"]
    assert body["general_instructions"] == SENTENCE.format(url="https://shop.example.com")
    assert "tests files: examples/suite/checkout.yml, examples/suite/smoke.yml" in stderr_lines(
        result
    )


def test_the_whole_example_folder_with_its_secret(cli: Any, emulator: Any, examples: Path) -> None:
    secret = "Example-Shop-Passw0rd"
    result = cli(
        "run",
        "--tests-file",
        "examples/suite/",
        "--target-url",
        "https://pr-17.preview.example.com/",
        "--var",
        "ORDER_NOTE=ring twice",
        "--allow-parallel",
        env={"VIBETESTING_SECRET_SHOP_PASSWORD": secret},
    )
    assert result.returncode == 1, result.output  # "saved card checkout [fail]" fails
    body = only_body(emulator)
    assert names(body) == [
        "guest checkout",
        "saved card checkout [fail]",
        "home page loads",
        "search finds a product",
    ]
    assert body["tests"][0]["steps"][1] == 'Write "ring twice" as the delivery note.'
    assert body["tests"][1]["steps"][0] == f"Sign in with the password {secret}."
    assert body["general_instructions"] == SENTENCE.format(url="https://pr-17.preview.example.com/")
    assert secret not in result.output
    for path in examples.iterdir():
        if path.is_file():
            assert secret not in path.read_text(encoding="utf-8", errors="replace")
