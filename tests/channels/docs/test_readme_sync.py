"""The README documents every command, option, variable, action input and output, and exit code.

The tables are generated (``scripts/gen_docs.py``); these tests check that they are current and,
independently of the generator, that everything the CLI and ``action.yml`` offer appears in a
README table.
"""

from __future__ import annotations

import importlib.util
import json
import re
import tomllib
from pathlib import Path

import click
import pytest
import yaml

from vibetesting_ci.cli import cli
from vibetesting_ci.config import options
from vibetesting_ci.config.testsfile import parse_tests
from vibetesting_ci.errors import ExitCode

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
TABLE_TEXT = "\n".join(line for line in README.splitlines() if line.startswith("|"))


def in_tables(code: str) -> bool:
    """``code`` appears as inline code in some README table cell (alone or with a metavar)."""
    return re.search(r"`" + re.escape(code) + r"(?:[ `]|\\\|)", TABLE_TEXT) is not None


def commands() -> dict[str, click.Command]:
    ctx = click.Context(cli, info_name="vibetesting")
    found = {}
    for name in cli.list_commands(ctx):
        _, command, _ = cli.resolve_command(ctx, [name])
        assert command is not None
        found[name] = command
    return found


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_tables_are_current():
    generator = load_generator()
    _, stale = generator.render(README)
    assert stale == [], f"run: python scripts/gen_docs.py (stale: {', '.join(stale)})"


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_option_and_variable_is_in_a_table(name):
    command = commands()[name]
    assert in_tables(f"vibetesting {name}"), f"command {name} missing from the commands table"
    for param in command.params:
        if not isinstance(param, click.Option) or param.name == "help":
            continue
        for flag in [*param.opts, *param.secondary_opts]:
            assert in_tables(flag), f"{name}: option {flag} missing from the README tables"
        envvar = param.envvar if isinstance(param.envvar, str) else None
        if envvar:
            assert in_tables(envvar), f"{name}: variable {envvar} missing"


def test_every_option_variable_and_api_field_is_in_a_table():
    for option in options.OPTIONS:
        assert in_tables(option.flag) or not option.cli, option.flag
        assert in_tables(option.env), option.env
        if option.api_field:
            assert in_tables(option.api_field), option.api_field
        if option.kind == "bool":
            assert in_tables("--no-" + option.flag[2:]), option.flag


def test_every_action_input_and_output_is_in_a_table():
    for name, spec in ACTION["inputs"].items():
        assert in_tables(name), f"action input {name} missing"
        row = next(line for line in TABLE_TEXT.splitlines() if line.startswith(f"| `{name}` |"))
        default = str(spec.get("default", ""))
        if default:
            assert f"`{default}`" in row, f"input {name}: default {default!r} not in {row}"
    for name in ACTION["outputs"]:
        assert in_tables(name), f"action output {name} missing"
    # Each input documents the variable it sets, and that variable is the CLI's.
    env_names = {o.env for o in options.OPTIONS}
    for variable in ACTION["runs"]["env"]:
        assert variable in env_names
        assert in_tables(variable)


def test_every_exit_code_is_in_the_table():
    section = README.split("### Exit codes", 1)[1].split("\n### ", 1)[0]
    codes = set()
    for first, second in re.findall(r"^\| `(\d+)`(?: / `(\d+)`)?", section, re.M):
        codes |= {int(c) for c in (first, second) if c}
    assert codes == {int(code) for code in ExitCode}


def test_relative_links_resolve():
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README):
        if re.match(r"[a-z]+:", target):
            continue
        assert (ROOT / target).exists(), f"README links to missing {target}"


def test_docs_from_other_parts_are_linked():
    for doc in sorted((ROOT / "docs").glob("*.md")):
        assert f"docs/{doc.name}" in README, f"README does not link docs/{doc.name}"


def test_readme_tests_file_example_is_valid():
    section = README.split("## Tests as code", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example
    document = parse_tests(example.group(1), "README example")
    assert [t.name for t in document.tests] == ["teacher signup", "wrong password"]
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "src" / "vibetesting_ci" / "tests-file.schema.json").read_text())
    jsonschema.validate(yaml.safe_load(example.group(1)), schema)


def test_report_screenshot_is_a_small_png():
    image = ROOT / "docs" / "images" / "report-page.png"
    data = image.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) < 100_000


def test_changelog_has_the_current_version():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[?{re.escape(version)}\]?", changelog, re.M)


def test_every_component_input_and_jenkins_argument_is_in_a_table():
    """The GitLab component's inputs and the Jenkins step's option arguments (both generated
    from the option table by scripts/gen_component.py) each have a README row."""
    header = next(
        yaml.safe_load_all(
            (ROOT / "templates" / "vibetesting" / "template.yml").read_text(encoding="utf-8")
        )
    )
    section = README.split("#### Component inputs", 1)[1].split("\n### ", 1)[0]
    for name in header["spec"]["inputs"]:
        assert f"| `{name}` |" in section, f"component input {name} missing"
    step = (ROOT / "vars" / "vibetesting.groovy").read_text(encoding="utf-8")
    block = step.split("OPTION_VARIABLES = [", 1)[1].split("]", 1)[0]
    arguments = re.findall(r"^\s+(\w+): '(VIBETESTING_\w+)',", block, re.M)
    assert arguments
    section = README.split("#### Jenkins step arguments", 1)[1].split("\n### ", 1)[0]
    for name, variable in arguments:
        assert f"| `{name}` | `{variable}` |" in section, f"Jenkins argument {name} missing"
