"""The GitLab CI/CD component's spec and jobs, checked against the option table.

check-jsonschema's ``vendor.gitlab-ci`` schema validates one document, so ``.ci/lint.sh``
validates the jobs as GitLab builds them (interpolated with the defaults); the ``spec:`` header
is checked here: every input typed and described, defaults equal to the CLI's, ``options``
and ``regex`` where the CLI has choices, every input used and every option reachable, artifact
paths following the path inputs, and the job's ``timeout:`` above the wait.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from vibetesting_ci.config import kinds, options

ROOT = Path(__file__).resolve().parents[3]


def load_generator() -> Any:
    import gen_component  # scripts/ is on pytest's pythonpath

    return gen_component


GEN = load_generator()
HEADER, JOBS = GEN.load()
INPUTS: dict[str, dict[str, Any]] = HEADER["spec"]["inputs"]
JOB_TEXT = GEN.COMPONENT.read_text(encoding="utf-8").split("\n---\n", 1)[1]


def test_component_file_is_current() -> None:
    assert GEN.render() == GEN.COMPONENT.read_text(encoding="utf-8"), (
        "run: python scripts/gen_component.py"
    )


def test_catalog_layout() -> None:
    assert GEN.COMPONENT == ROOT / "templates" / "vibetesting" / "template.yml"
    assert (ROOT / "templates" / "vibetesting" / "README.md").exists()
    text = GEN.COMPONENT.read_text(encoding="utf-8")
    assert text.count("\n---\n") == 1  # the spec header, then the jobs
    assert set(HEADER) == {"spec"} and set(HEADER["spec"]) == {"description", "inputs"}
    assert len(HEADER["spec"]["description"]) <= 256


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_every_input_is_typed_described_and_valid(name: str) -> None:
    spec = INPUTS[name]
    assert set(spec) <= {"type", "default", "options", "regex", "description"}
    assert spec.get("description", "").strip(), f"{name} has no description"
    kind = spec.get("type", "string")
    assert kind in ("string", "number", "boolean")
    assert "default" in spec, f"{name}: every input has a default (two inputs are enough)"
    default = spec["default"]
    python_type = {"string": str, "number": (int, float), "boolean": bool}[kind]
    assert isinstance(default, python_type) and not (kind == "number" and default is True)
    if "options" in spec:
        assert kind == "string" and default in spec["options"]
    if "regex" in spec:
        assert kind == "string" and re.search(spec["regex"], default), name
    assert re.match(r"^[a-z][a-z0-9-]*$", name)


def option_inputs() -> dict[str, kinds.Option]:
    return {GEN.input_name(o): o for o in GEN.option_rows()}


def test_every_run_option_but_the_secrets_is_an_input_with_the_clis_default() -> None:
    rows = option_inputs()
    overridden = {GEN.PATH_OVERRIDES[n][0]: n for n in GEN.PATH_OVERRIDES}
    for option in options.OPTIONS:
        if "run" not in option.commands:
            continue
        name = GEN.input_name(option)
        if option.secret:
            assert name not in INPUTS, f"{option.env} is a secret: a CI/CD variable, not an input"
            continue
        name = next((k for k, v in overridden.items() if v == option.name), name)
        assert name in INPUTS, f"{option.env} has no input"
        spec = INPUTS[name]
        if name in overridden:
            continue  # report-name and dotenv-file: documented below
        default = option.default
        if option.kind == "bool":
            if default is None:
                assert spec["default"] == "" and spec["options"] == ["", "true", "false"]
            else:
                assert spec["type"] == "boolean" and spec["default"] is default
        elif option.kind in ("int", "float", "count") and default is not None:
            assert spec["type"] == "number" and spec["default"] == default
        elif option.kind == "choice":
            assert spec["options"] == ["", *option.choices] and spec["default"] == ""
        elif option.kind == "int":
            assert spec["default"] == "" and not re.search(spec["regex"], "0")
            assert re.search(spec["regex"], "12") and not re.search(spec["regex"], "x")
        elif option.kind in ("count", "percent"):
            assert spec["default"] == "" and re.search(spec["regex"], "0")
            assert re.search(spec["regex"], "") and not re.search(spec["regex"], "-1")
            assert re.search(spec["regex"], "100") and not re.search(spec["regex"], "x")
        else:
            assert spec["default"] == ("" if default is None else str(default)), name
    assert set(rows) - set(INPUTS) <= set(overridden.values()) | {"report-file"}


def test_the_two_paths_that_differ_from_the_cli() -> None:
    """The dotenv report is on (GitLab needs the file); the report is a name without .pdf, so
    one input gives both the CLI's path and the artifacts' pattern."""
    assert INPUTS["dotenv-file"]["default"] == "vibetesting.env"
    assert (
        INPUTS["report-name"]["default"] + ".pdf" == options.OPTIONS_BY_NAME["report_file"].default
    )
    job = GEN.interpolate()["vibetesting"]
    assert job["variables"]["VIBETESTING_REPORT_FILE"] == "vibetesting-report.pdf"
    assert "vibetesting-report*.pdf" in job["artifacts"]["paths"]


def test_every_input_is_used_and_every_reference_is_declared() -> None:
    used = set(re.findall(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]", JOB_TEXT))
    assert used == set(INPUTS)


def test_each_input_sets_its_options_variable() -> None:
    variables = JOBS["$[[ inputs.job-name ]]"]["variables"]
    for name, option in option_inputs().items():
        input_name = next(
            (GEN.PATH_OVERRIDES[o][0] for o in GEN.PATH_OVERRIDES if o == option.name), name
        )
        assert option.env in variables
        assert f"inputs.{input_name} " in variables[option.env]


def test_artifacts_and_reports_follow_the_path_inputs() -> None:
    jobs = GEN.interpolate(
        {
            "job-name": "e2e",
            "junit-file": "out/j.xml",
            "report-name": "out/pdf/r",
            "results-file": "out/r.json",
            "dotenv-file": "out/v.env",
        }
    )
    job = jobs["e2e"]
    assert job["variables"]["VIBETESTING_JUNIT_FILE"] == "out/j.xml"
    assert job["variables"]["VIBETESTING_REPORT_FILE"] == "out/pdf/r.pdf"
    assert job["artifacts"]["reports"] == {"junit": "out/j.xml", "dotenv": "out/v.env"}
    assert job["artifacts"]["paths"] == ["out/j.xml", "out/pdf/r*.pdf", "out/r.json"]
    assert job["artifacts"]["when"] == "always"


def test_allow_failed_tests_allows_exit_1_only() -> None:
    off = GEN.interpolate()
    on = GEN.interpolate({"allow-failed-tests": True})
    assert off[off["vibetesting"]["extends"]]["allow_failure"] is False
    assert on[on["vibetesting"]["extends"]]["allow_failure"] == {"exit_codes": [1]}


def seconds(duration: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+)\s*([smh])", duration)
    assert parts and "".join(f"{n}{u}" for n, u in parts) == duration.replace(" ", "")
    return float(sum(int(n) * units[u] for n, u in parts))


def test_job_timeout_is_above_the_wait() -> None:
    """Room above the wait for stopping the executions and downloading the reports."""
    job_timeout = seconds(INPUTS["job-timeout"]["default"])
    assert job_timeout >= INPUTS["timeout"]["default"] + 10 * 60
    assert INPUTS["timeout"]["default"] == options.OPTIONS_BY_NAME["timeout"].default
    assert GEN.interpolate()["vibetesting"]["timeout"] == INPUTS["job-timeout"]["default"]


def test_bad_inputs_are_refused_like_gitlab_does() -> None:
    for bad in (
        {"suite-id": "x"},
        {"execution-type": "guide"},
        {"repeat": "hourly"},
        {"junit-file": ""},
        {"no-such-input": 1},
    ):
        with pytest.raises(ValueError):
            GEN.interpolate(bad)


def test_catalog_release_job_for_tags() -> None:
    pipeline = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    releases = [job for job in pipeline.values() if isinstance(job, dict) and "release" in job]
    assert len(releases) == 1
    job = releases[0]
    assert job["release"]["tag_name"] == "$CI_COMMIT_TAG"
    assert any("$CI_COMMIT_TAG" in rule["if"] for rule in job["rules"])
