"""Generate the GitLab CI/CD component (templates/vibetesting/template.yml) from the option table.

Every run/wait option of ``options.OPTIONS`` that is not a secret becomes a typed input named
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
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "templates" / "vibetesting" / "template.yml"
sys.path.insert(0, str(ROOT / "src"))

from vibetesting_ci.config import kinds, options  # noqa: E402

SPEC_DESCRIPTION = "Run VibeTesting AI tests; JUnit in merge requests, PDF report, dotenv results."
IMAGE = "ghcr.io/vibetesting/vibetesting-ci:1"
POSITIVE_INT_OR_EMPTY = r"^([1-9][0-9]*)?$"
WHOLE_OR_EMPTY = r"^([0-9]+)?$"
PERCENT_OR_EMPTY = r"^(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)?$"
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


def input_name(option: kinds.Option) -> str:
    """The option table's input name, as the action has it (``focus-areas``)."""
    return option.input


def option_input(option: kinds.Option) -> tuple[str, dict[str, Any]]:
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
    elif option.kind in ("float", "int", "count") and default is not None:
        spec = {"type": "number", "default": default}
    elif option.kind == "int":
        spec = {"default": "", "regex": POSITIVE_INT_OR_EMPTY}
    elif option.kind == "count":
        spec = {"default": "", "regex": WHOLE_OR_EMPTY}
    elif option.kind == "percent":
        spec = {"default": "", "regex": PERCENT_OR_EMPTY}
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


def option_rows() -> list[kinds.Option]:
    return [o for o in options.OPTIONS if "run" in o.commands and not o.secret]


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


_REF = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")


def load(text: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The component's two documents: the ``spec:`` header and the jobs (not interpolated)."""
    header, jobs = yaml.safe_load_all(
        COMPONENT.read_text(encoding="utf-8") if text is None else text
    )
    return header, jobs


def interpolate(given: dict[str, Any] | None = None, text: str | None = None) -> dict[str, Any]:
    """The jobs document as GitLab builds it for these inputs (the rest at their defaults).

    GitLab's rules: a value that is one ``$[[ inputs.NAME ]]`` takes the input's type; inside a
    longer string the input is inserted as text (booleans as true/false). Unknown inputs, and
    values outside an input's options or regex, are refused, as GitLab refuses them.
    """
    header, jobs = load(text)
    spec = header["spec"]["inputs"]
    given = dict(given or {})
    unknown = set(given) - set(spec)
    if unknown:
        raise ValueError(f"unknown inputs: {sorted(unknown)}")
    values = {name: given.get(name, (s or {}).get("default")) for name, s in spec.items()}
    for name, value in values.items():
        s = spec[name] or {}
        if "options" in s and value not in s["options"]:
            raise ValueError(f"{name}: {value!r} not in {s['options']}")
        if "regex" in s and not re.search(s["regex"], str(value)):
            raise ValueError(f"{name}: {value!r} does not match {s['regex']}")

    def text_of(value: Any) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else f"{value}"

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {walk(k): walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str):
            whole = _REF.fullmatch(node.strip())
            if whole:
                return values[whole.group(1)]
            return _REF.sub(lambda m: text_of(values[m.group(1)]), node)
        return node

    result: dict[str, Any] = walk(jobs)
    return result


# -- the Jenkins step's option block -----------------------------------------------------------

JENKINS_STEP = ROOT / "vars" / "vibetesting.groovy"
_JENKINS_BLOCK = re.compile(r"(// generated:options[^\n]*\n)(.*?)(// /generated:options)", re.S)


def jenkins_name(option: kinds.Option) -> str:
    """The step's argument: the option's name in camel case (tests_file -> testsFile)."""
    first, *rest = option.name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def jenkins_block() -> str:
    rows = option_rows()
    lines = ["@Field static final Map<String, String> OPTION_VARIABLES = ["]
    lines += [f"    {jenkins_name(o)}: '{o.env}'," for o in rows]
    lines += ["]", "@Field static final Map<String, Object> OPTION_DEFAULTS = ["]
    lines += [
        f"    {jenkins_name(o)}: '{o.default}'," for o in rows if o.kind == "path" and o.default
    ]
    lines += ["]"]
    return "\n".join(lines) + "\n"


def refresh_jenkins(text: str) -> str:
    """The step's text with its generated option block current."""
    if not _JENKINS_BLOCK.search(text):
        raise SystemExit(f"{JENKINS_STEP}: no generated:options block")
    return _JENKINS_BLOCK.sub(lambda m: m.group(1) + jenkins_block() + m.group(3), text, count=1)


JENKINS_REFERENCE = ROOT / "vars" / "vibetesting.txt"
_REFERENCE_BLOCK = re.compile(
    r"(<!-- generated:options -->\n)(.*?)(<!-- /generated:options -->)", re.S
)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def reference_block() -> str:
    lines = []
    for option in option_rows():
        default = option.default
        if isinstance(default, bool):
            shown = f" Default: <code>{'true' if default else 'false'}</code>."
        elif default in (None, ""):
            shown = ""
        else:
            shown = f" Default: <code>{_html(scalar(default).strip(chr(34)))}</code>."
        lines.append(
            f"  <dt><code>{jenkins_name(option)}</code> (<code>{option.env}</code>)</dt>"
            f"<dd>{_html(option.help)}{shown}</dd>"
        )
    return "\n".join(lines) + "\n"


def refresh_reference(text: str) -> str:
    if not _REFERENCE_BLOCK.search(text):
        raise SystemExit(f"{JENKINS_REFERENCE}: no generated:options block")
    return _REFERENCE_BLOCK.sub(
        lambda m: m.group(1) + reference_block() + m.group(3), text, count=1
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when stale")
    parser.add_argument(
        "--render",
        metavar="FILE",
        help="write the jobs as GitLab builds them with the defaults (and the spec header "
        "beside it, as component-spec.yml)",
    )
    args = parser.parse_args()
    if args.render:  # the jobs, then the spec header alone, for check-jsonschema
        Path(args.render).write_text(yaml.safe_dump(interpolate(), sort_keys=False), "utf-8")
        header = Path(args.render).with_name("component-spec.yml")
        header.write_text(yaml.safe_dump(load()[0], sort_keys=False), "utf-8")
        return 0
    step_text = JENKINS_STEP.read_text(encoding="utf-8")
    reference_text = JENKINS_REFERENCE.read_text(encoding="utf-8")
    targets = [
        (COMPONENT, render(), COMPONENT.read_text(encoding="utf-8") if COMPONENT.exists() else ""),
        (JENKINS_STEP, refresh_jenkins(step_text), step_text),
        (JENKINS_REFERENCE, refresh_reference(reference_text), reference_text),
    ]
    stale = [path for path, new, old in targets if new != old]
    if args.check:
        for path in stale:
            print(
                f"{path.relative_to(ROOT)} is out of date: run python scripts/gen_component.py",
                file=sys.stderr,
            )
        return 1 if stale else 0
    for path, new, old in targets:
        if new != old:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(new, encoding="utf-8")
            tmp.replace(path)
            print(f"{path.relative_to(ROOT)}: updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
