"""Generate the GitLab CI/CD component (templates/vibetesting/template.yml) from the option table.

Every run/wait option of ``settings.OPTIONS`` that is not a secret becomes a typed input named
like the action's input (``--tests-file`` -> ``tests-file``), with the option's help as its
description, the CLI's default, ``options`` where the CLI has choices and a ``regex`` where it
takes a whole number; the job maps each input onto the option's variable. Secrets (the API
token, the login password) are never inputs: inputs are visible in the pipeline's configuration,
so they stay masked CI/CD variables. A few inputs belong to the job itself (name, stage, image,
job timeout, allowing failed tests, artifact expiry), and two paths differ from the CLI because
GitLab needs a file to pick up: the dotenv report is on by default, and the report is given as a
name without ``.pdf`` so that the artifacts keep ``NAME*.pdf`` (several executions write
``NAME-<id>.pdf``).

Usage::

    python scripts/gen_component.py           # rewrite the component file
    python scripts/gen_component.py --check   # exit 1 when it is not current
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "templates" / "vibetesting" / "template.yml"
sys.path.insert(0, str(ROOT / "src"))

from vibetesting_ci import settings  # noqa: E402

SPEC_DESCRIPTION = "Run VibeTesting AI tests; JUnit in merge requests, PDF report, dotenv results."
IMAGE = "ghcr.io/vibetesting/vibetesting-ci:1"
POSITIVE_INT_OR_EMPTY = r"^([1-9][0-9]*)?$"
NON_EMPTY_PATH = r"^\S(.*\S)?$"

# Inputs of the job itself, before the option inputs.
JOB_INPUTS: list[tuple[str, dict[str, Any]]] = [
    (
        "job-name",
        {
            "default": "vibetesting",
            "description": "Name of the job.",
            "regex": r"^[A-Za-z0-9_.:/ -]+$",
        },
    ),
    ("stage", {"default": "test", "description": "Stage of the job."}),
    (
        "image",
        {
            "default": IMAGE,
            "description": "Image with the vibetesting CLI (built from this repository's "
            "Dockerfile); any image where `vibetesting` is on the PATH works.",
        },
    ),
    (
        "job-timeout",
        {
            "default": "75m",
            "description": "The job's `timeout:`. Keep it above `timeout` (the wait), so "
            "the CLI times out first, stops the executions and writes "
            "the reports.",
        },
    ),
    (
        "allow-failed-tests",
        {
            "type": "boolean",
            "default": False,
            "description": "true: failed tests (exit 1) make the job a warning "
            "(`allow_failure: exit_codes: [1]`); input errors, "
            "API errors and timeouts still fail it.",
        },
    ),
    (
        "artifacts-expire-in",
        {
            "default": "30 days",
            "description": "How long GitLab keeps the JUnit XML, the PDF "
            "reports and the results JSON.",
        },
    ),
]

# Where the component's path inputs differ from the CLI (see the module docstring).
PATH_OVERRIDES: dict[str, tuple[str, dict[str, Any]]] = {
    "report_file": (
        "report-name",
        {
            "default": "vibetesting-report",
            "description": "Path of the PDF report without `.pdf`: one execution writes NAME.pdf, "
            "several NAME-<id>.pdf; the artifacts keep NAME*.pdf.",
            "regex": NON_EMPTY_PATH,
        },
    ),
    "dotenv_file": (
        "dotenv-file",
        {
            "default": "vibetesting.env",
            "description": "GitLab dotenv report (artifacts:reports:dotenv) for later jobs: "
            "VIBETESTING_RESULT and VIBETESTING_RESULT_* variables.",
            "regex": NON_EMPTY_PATH,
        },
    ),
}


def input_name(option: settings.Option) -> str:
    """The variable's name in kebab case: the action's input name (``focus-areas``)."""
    return option.env.removeprefix("VIBETESTING_").lower().replace("_", "-")


def option_input(option: settings.Option) -> tuple[str, dict[str, Any]]:
    """The typed input for one option, with the CLI's default."""
    if option.name in PATH_OVERRIDES:
        name, spec = PATH_OVERRIDES[option.name]
        return name, dict(spec)
    spec: dict[str, Any] = {}
    default = option.default
    if option.kind == "bool":
        if default is None:  # the service's default: a tri-state string
            spec = {"default": "", "options": ["", "true", "false"]}
        else:
            spec = {"type": "boolean", "default": bool(default)}
    elif option.kind in ("float", "int") and default is not None:
        spec = {"type": "number", "default": default}
    elif option.kind == "int":
        spec = {"default": "", "regex": POSITIVE_INT_OR_EMPTY}
    elif option.kind == "choice":
        spec = {"default": "", "options": ["", *option.choices]}
    elif option.kind == "path":
        spec = {"default": default or "", "regex": NON_EMPTY_PATH}
    elif option.kind == "url":
        spec = {"default": default, "regex": r"^https?://\S+$"}
    else:
        spec = {"default": "" if default is None else str(default)}
    description = option.help
    if option.kind == "path":  # GitLab needs a file to pick up: no "empty: none" here
        description = description.split(";")[0] + "."
    if option.kind == "lines" and "one per line" not in description:
        description += " One per line."
    if default is None and option.kind != "bool":
        description += " Empty: not set."
    elif option.kind == "bool" and default is None:
        description += " Empty: the service's default."
    return input_name(option), {"description": description, **spec}


def option_rows() -> list[settings.Option]:
    return [o for o in settings.OPTIONS if "run" in o.commands and not o.secret]


def inputs() -> list[tuple[str, dict[str, Any]]]:
    return [*JOB_INPUTS, *(option_input(o) for o in option_rows())]


def scalar(value: Any) -> str:
    """A YAML scalar in flow style (JSON is YAML; plain where that is unambiguous)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def render() -> str:
    lines = [
        "# GitLab CI/CD component: run VibeTesting tests or a saved suite, wait for the results,",
        "# and keep the JUnit XML (merge request widget), the PDF reports and the results JSON",
        "# as artifacts, with a dotenv report for later jobs. Generated by",
        "# scripts/gen_component.py from the CLI's option table: edit that, not this file.",
        "# Usage and every input: templates/vibetesting/README.md",
        "#",
        "#   include:",
        "#     - component: $CI_SERVER_FQDN/vibetesting/vibetesting-ci/vibetesting@1.0.0",
        "#       inputs:",
        "#         tests-file: .vibetesting/tests.yml",
        "#",
        "# Secrets are CI/CD variables, never inputs: VIBETESTING_API_TOKEN (masked, protected)",
        "# and, when the agents log in, VIBETESTING_LOGIN_PASSWORD.",
        "spec:",
        f"  description: {SPEC_DESCRIPTION}",
        "  inputs:",
    ]
    for name, spec in inputs():
        lines.append(f"    {name}:")
        for key in ("type", "default", "options", "regex", "description"):
            if key in spec:
                lines.append(f"      {key}: {scalar(spec[key])}")
    job = "$[[ inputs.job-name ]]"
    lines += [
        "---",
        f'".{job}-allow-failed-tests-true":',
        "  allow_failure:",
        "    exit_codes: [1]",
        "",
        f'".{job}-allow-failed-tests-false":',
        "  allow_failure: false",
        "",
        f'"{job}":',
        f'  extends: ".{job}-allow-failed-tests-$[[ inputs.allow-failed-tests ]]"',
        "  stage: $[[ inputs.stage ]]",
        "  image:",
        "    name: $[[ inputs.image ]]",
        '    entrypoint: [""]',
        "  timeout: $[[ inputs.job-timeout ]]",
        "  variables:",
    ]
    for option in option_rows():
        name, _ = option_input(option)
        value = f"$[[ inputs.{name} ]]"
        if option.name == "report_file":
            value += ".pdf"
        lines.append(f'    {option.env}: "{value}"')
    lines += [
        "  script:",
        "    - vibetesting run",
        "  artifacts:",
        "    when: always",
        "    expire_in: $[[ inputs.artifacts-expire-in ]]",
        "    reports:",
        "      junit: $[[ inputs.junit-file ]]",
        "      dotenv: $[[ inputs.dotenv-file ]]",
        "    paths:",
        "      - $[[ inputs.junit-file ]]",
        '      - "$[[ inputs.report-name ]]*.pdf"',
        "      - $[[ inputs.results-file ]]",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when stale")
    args = parser.parse_args()
    text = render()
    current = COMPONENT.read_text(encoding="utf-8") if COMPONENT.exists() else ""
    if args.check:
        if text != current:
            print(
                f"{COMPONENT.relative_to(ROOT)} is out of date: run python "
                "scripts/gen_component.py",
                file=sys.stderr,
            )
            return 1
        print(f"{COMPONENT.relative_to(ROOT)} is current")
        return 0
    if text != current:
        COMPONENT.parent.mkdir(parents=True, exist_ok=True)
        tmp = COMPONENT.with_suffix(".yml.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(COMPONENT)
        print(f"{COMPONENT.relative_to(ROOT)}: updated")
    else:
        print(f"{COMPONENT.relative_to(ROOT)}: already current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
