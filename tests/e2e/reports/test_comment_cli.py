"""End to end: `vibetesting run --comment` (the real CLI against the emulator) posts one comment
on the pull/merge request through a loopback GitHub/GitLab stand-in and edits it in place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.cli import all_files_text, assert_no_secret
from tests.support.forge_standin import Forge, ForgeServer

FORGE_TOKEN = "ghs-Forge-0a1b2c3d4e5f"
TESTS = json.dumps([{"name": "signup", "steps": "open"}, {"name": "login [fail]", "steps": "go"}])
PASSING = json.dumps([{"name": "signup", "steps": "open"}])


def github_env(tmp_path: Path, url: str, **extra: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": url,
        "GITHUB_REPOSITORY": "octo/shop",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_WORKFLOW": "deploy",
        "GITHUB_JOB": "e2e",
        "GITHUB_RUN_ID": "99",
        "GITHUB_OUTPUT": str(tmp_path / "out.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "VIBETESTING_COMMENT": "true",
        "VIBETESTING_GITHUB_TOKEN": FORGE_TOKEN,
        **extra,
    }


def comments(forge: Forge, thread: str) -> list[dict[str, Any]]:
    return forge.threads.get(thread, [])


def test_github_comment_created_once_then_edited_in_place(cli: Any, tmp_path: Path) -> None:
    with ForgeServer(Forge(token=FORGE_TOKEN)) as (forge, url):
        env = github_env(tmp_path, url)
        first = cli("run", "--tests", TESTS, env=env)
        assert first.returncode == 1, first.output
        second = cli("run", "--tests", PASSING, env=env)
        assert second.returncode == 0, second.output
    (only,) = comments(forge, "octo/shop#7")
    assert [w.method for w in forge.writes()] == ["POST", "PATCH"]
    body = only["body"]
    assert "<!-- vibetesting-ci:comment key=deploy/e2e -->" in body
    assert ":white_check_mark: passed" in body
    assert "Since the last run: passed 1 → 1" not in body  # unchanged counts are not listed
    assert "failed 1 → 0 (-1)" in body
    assert "[this run](https://github.com/octo/shop/actions/runs/99)" in body
    assert "comment created on pull request #7 of octo/shop" in first.output
    assert "comment updated on pull request #7 of octo/shop" in second.output
    assert f"::add-mask::{FORGE_TOKEN}" in first.stdout.splitlines()[:3]
    rest = first.output.replace(f"::add-mask::{FORGE_TOKEN}", "")
    assert_no_secret(rest, all_files_text(tmp_path), body, secrets=(FORGE_TOKEN,))


def test_gitlab_note_created_then_edited(cli: Any, tmp_path: Path) -> None:
    with ForgeServer(Forge(token=FORGE_TOKEN, page_size=1)) as (forge, url):
        forge.seed("3/11", "a human note", "another")
        env = {
            "GITLAB_CI": "true",
            "CI_API_V4_URL": f"{url}/api/v4",
            "CI_PROJECT_ID": "3",
            "CI_PROJECT_PATH": "team/shop",
            "CI_MERGE_REQUEST_IID": "11",
            "CI_JOB_NAME": "vibetesting",
            "GITLAB_TOKEN": FORGE_TOKEN,
            "VIBETESTING_COMMENT": "true",
        }
        assert cli("run", "--tests", TESTS, env=env).returncode == 1
        assert cli("run", "--tests", TESTS, env=env).returncode == 1
    notes = comments(forge, "3/11")
    assert len(notes) == 3 and "vibetesting-ci:comment" in notes[2]["body"]
    assert [w.method for w in forge.writes()] == ["POST", "PUT"]
    assert "Since the last run: no change." in notes[2]["body"]


def test_no_pull_request_or_refusal_is_a_warning_never_the_verdict(
    cli: Any, tmp_path: Path
) -> None:
    with ForgeServer(Forge(token=FORGE_TOKEN, fail={("GET", "list"): 403})) as (forge, url):
        refused = cli("run", "--tests", PASSING, env=github_env(tmp_path, url))
        no_pr = cli(
            "run",
            "--tests",
            PASSING,
            env=github_env(tmp_path, url, GITHUB_EVENT_PATH="", GITHUB_REF="refs/heads/main"),
        )
        no_token = cli(
            "run", "--tests", PASSING, env=github_env(tmp_path, url, VIBETESTING_GITHUB_TOKEN="")
        )
    assert refused.returncode == no_pr.returncode == no_token.returncode == 0
    assert "::warning title=VibeTesting::no comment: github refused GET" in refused.stdout
    assert "(403)" in refused.stdout and "pull-requests: write" in refused.stdout
    assert "no comment: this workflow run is not for a pull request" in no_pr.stdout
    assert "no comment: no GitHub token" in no_token.stdout
    assert not forge.writes()
    for step in (refused, no_pr, no_token):
        assert_no_secret(
            step.output.replace(f"::add-mask::{FORGE_TOKEN}", ""), secrets=(FORGE_TOKEN,)
        )


def test_without_comment_nothing_is_called(cli: Any, tmp_path: Path) -> None:
    with ForgeServer(Forge(token=FORGE_TOKEN)) as (forge, url):
        env = github_env(tmp_path, url, VIBETESTING_COMMENT="false")
        assert cli("run", "--tests", PASSING, env=env).returncode == 0
    assert forge.requests == []
