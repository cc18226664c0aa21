"""The repository's own workflows (.github/workflows) keep the rules the issue sets, beyond what
actionlint and zizmor check in `make lint`; and scripts/release_info.py, which the release runs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import release_info

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
UNTRUSTED = re.compile(r"\$\{\{")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (job_id, step) for job_id, job in workflow["jobs"].items() for step in job.get("steps", [])
    ]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_by_commit(path: Path) -> None:
    for job_id, step in steps(load(path)):
        uses = step.get("uses")
        if uses and not uses.startswith("./"):
            assert PINNED.match(uses), f"{path.name} {job_id}: {uses} is not pinned by commit"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_in_a_shell_line(path: Path) -> None:
    for job_id, step in steps(load(path)):
        assert not UNTRUSTED.search(step.get("run", "")), (
            f"{path.name} {job_id}: pass values to run: through env:"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_minimal(path: Path) -> None:
    workflow = load(path)
    top = workflow.get("permissions")
    assert top in ({}, {"contents": "read"}), f"{path.name}: top-level permissions {top}"
    for job_id, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        writes = {scope for scope, level in granted.items() if level == "write"}
        assert writes <= {"contents", "packages", "id-token", "attestations"}, (path.name, job_id)
        if path.name == "ci.yml":
            assert not writes, f"ci.yml {job_id} must not write"


def test_release_covers_what_the_readme_names() -> None:
    release = load(ROOT / ".github" / "workflows" / "release.yml")
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    assert release[True]["push"]["tags"] == ["v*.*.*"]  # YAML reads the key `on` as True
    jobs = release["jobs"]
    assert jobs["pypi"]["permissions"] == {"id-token": "write"}, "trusted publishing, no token"
    assert "linux/amd64,linux/arm64" in text
    for pattern in ("{{version}}", "{{major}}.{{minor}}", "{{major}}", "type=sha"):
        assert pattern in text
    assert "sbom: true" in text and "provenance: mode=max" in text
    assert "scripts/gen_actions.py --release-image" in text
    assert "release_info.py notes" in text
    assert text.count("smoke-image.sh") == 2, "each platform smoke-tested before the push"


def test_ci_runs_both_variants_against_the_emulator() -> None:
    ci = load(ROOT / ".github" / "workflows" / "ci.yml")
    uses = {step.get("uses") for _, step in steps(ci)}
    assert {"./", "./native"} <= uses
    native_os = ci["jobs"]["native"]["strategy"]["matrix"]["os"]
    assert {"ubuntu-latest", "macos-latest", "windows-latest"} <= set(native_os)
    assert {"macos-latest", "windows-latest"} <= set(
        ci["jobs"]["test-cli"]["strategy"]["matrix"]["os"]
    )


def test_release_version_must_match_the_project() -> None:
    pyproject = '[project]\nname = "x"\nversion = "1.2.3"\n'
    assert release_info.version_info("v1.2.3", pyproject) == {
        "version": "1.2.3",
        "major": "1",
        "minor": "1.2",
    }
    for tag in ("1.2.3", "v1.2", "v1.2.3.4", "v01.2.3", "v1.2.3; rm -rf /", "v1.2.4"):
        with pytest.raises(ValueError):
            release_info.version_info(tag, pyproject)


def test_release_notes_are_the_changelog_section() -> None:
    changelog = (
        "# Changelog\n\n## [Unreleased]\n\n- next\n\n## [1.2.3] - 2026-12-01\n\n### Added\n\n"
        "- a thing\n\n## [1.2.2]\n\n- old\n\n[1.2.3]: https://example.invalid/1.2.3\n"
    )
    assert release_info.notes("1.2.3", changelog) == "### Added\n\n- a thing\n"
    assert release_info.notes("1.2.2", changelog) == "- old\n"
    with pytest.raises(ValueError):
        release_info.notes("9.9.9", changelog)
    real = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "vibetesting run" in release_info.notes("0.1.0", real)
