"""No output name may equal an input variable (issue 10 item 6).

GitLab exports every dotenv key into the environment of each later job that needs the job, and
GitHub users read the action's outputs back as environment variables: an output named like an
input (``VIBETESTING_TESTS`` as a count) would change the next ``vibetesting`` run. Both sets are
derived here from the code: the inputs from the option table (and every other variable a
command reads), the outputs from the dotenv writer and ``action.yml``.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import yaml

from vibetesting_ci.cli import cli
from vibetesting_ci.config import options
from vibetesting_ci.domain.models import ExecutionResult, ExecutionStatus, RunResult
from vibetesting_ci.domain.report import build_report
from vibetesting_ci.render import dotenv

ROOT = Path(__file__).resolve().parents[2]


def input_variables() -> set[str]:
    """Every variable any command reads: the option table's, plus click's own envvars."""
    names = {option.env for option in options.OPTIONS}
    ctx = click.Context(cli, info_name="vibetesting")
    for name in cli.list_commands(ctx):
        _, command, _ = cli.resolve_command(ctx, [name])
        assert command is not None
        for param in command.params:
            envvar = getattr(param, "envvar", None)
            if isinstance(envvar, str):
                names.add(envvar)
            elif isinstance(envvar, list | tuple):
                names.update(envvar)
    return names


def dotenv_keys() -> list[str]:
    """The keys the dotenv writer really writes, for a result with every field set."""
    status = ExecutionStatus(
        execution_id=7,
        state="done",
        tests=2,
        done=2,
        passed=1,
        failed=1,
        report_url="https://r.example/a.pdf",
    )
    result = RunResult(
        result="failed", exit_code=1, executions=(ExecutionResult(7, status),), schedule_id="3"
    )
    text = dotenv.render_dotenv(build_report(result))
    return [line.split("=", 1)[0] for line in text.splitlines()]


def github_output_variables() -> dict[str, str]:
    """Each action output and the variable name it has when read back as env (documented)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return {
        name: "VIBETESTING_RESULT"
        if name == "result"
        else dotenv.PREFIX + name.upper().replace("-", "_")
        for name in action["outputs"]
    }


def test_option_table_yields_the_inputs() -> None:
    inputs = input_variables()
    assert {"VIBETESTING_TESTS", "VIBETESTING_SUITE_ID", "VIBETESTING_TESTS_FILE"} <= inputs
    assert all(name.startswith("VIBETESTING_") for name in inputs)


def test_dotenv_keys_are_not_inputs() -> None:
    keys = dotenv_keys()
    assert keys == list(dotenv.KEYS)
    assert len(set(keys)) == len(keys)
    assert set(keys).isdisjoint(input_variables()), set(keys) & input_variables()


def test_github_outputs_read_back_as_env_are_not_inputs() -> None:
    variables = github_output_variables()
    assert set(variables.values()).isdisjoint(input_variables())
    # Where an output and a dotenv key carry the same value, they carry the same name.
    for key in dotenv.KEYS:
        assert key in variables.values(), f"{key} has no action output of the same name"


def test_the_result_namespace_is_free() -> None:
    """No input will ever take a result name: none is VIBETESTING_RESULT or starts with
    VIBETESTING_RESULT_ (VIBETESTING_RESULTS_FILE is fine)."""
    for name in input_variables():
        assert name != "VIBETESTING_RESULT" and not name.startswith(dotenv.PREFIX), name


def test_examples_read_outputs_under_free_names() -> None:
    """Env names that the examples give to action outputs or use from the dotenv report."""
    inputs = input_variables()
    workflow = (ROOT / "examples" / "github-workflow.yml").read_text(encoding="utf-8")
    for name in re.findall(r"^\s*([A-Z_][A-Z0-9_]*):\s*\$\{\{\s*steps\.", workflow, re.M):
        assert name not in inputs, f"examples/github-workflow.yml reads an output into {name}"
    keys = set(dotenv.KEYS)
    gitlab_files = [
        ROOT / "examples" / "gitlab-ci.yml",
        *sorted((ROOT / "templates").rglob("*.yml")),
    ]
    for path in gitlab_files:
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"\bVIBETESTING_RESULT(?:_[A-Z_]+)?\b", text):
            assert name in keys, f"{path.name} names {name}, which the dotenv report never writes"


def test_ci_files_name_only_real_variables() -> None:
    """Every VIBETESTING_* name in the examples, templates and the Jenkins step is an input
    variable or a result the dotenv report writes (the 0.1.0 result names are gone)."""
    known = input_variables() | set(dotenv.KEYS) | {"VIBETESTING_IMAGE"}  # the template's own
    files = [
        *sorted(p for p in (ROOT / "examples").rglob("*") if p.is_file()),
        *sorted((ROOT / "templates").rglob("*.yml")),
        ROOT / "vars" / "vibetesting.groovy",
        ROOT / "vars" / "vibetesting.txt",
    ]
    for path in files:
        text = path.read_text(encoding="utf-8")
        for name in set(re.findall(r"\bVIBETESTING_[A-Z0-9_]*[A-Z0-9]\b", text)):
            secret = name.startswith("VIBETESTING_SECRET_")  # a secret variable's, by its name
            assert name in known or secret, f"{path.relative_to(ROOT)} names {name}"


def test_examples_set_no_login() -> None:
    """A login most users do not have is commented out, naming the variable to add."""
    for name in ("gitlab-ci.yml", "github-workflow.yml", "Jenkinsfile"):
        text = (ROOT / "examples" / name).read_text(encoding="utf-8")
        for line in text.splitlines():
            if re.search(r"login[-_]?identifier|loginIdentifier", line, re.I):
                assert line.lstrip().startswith(("#", "//")), f"{name}: {line.strip()}"
        assert "VIBETESTING_LOGIN_PASSWORD" in text or "loginPasswordCredentialsId" in text
