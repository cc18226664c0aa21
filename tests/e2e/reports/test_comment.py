"""The sticky comment module against a loopback stand-in for GitHub's and GitLab's REST APIs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.forge_standin import Forge, ForgeServer
from vibetesting_ci.domain.models import ExecutionResult, ExecutionStatus, RunResult
from vibetesting_ci.domain.report import build_report
from vibetesting_ci.publish import comment
from vibetesting_ci.render import comment as comment_text

TOKEN = "forge-token-s3cr3t"


def _result(passed: int, failed: int, *, link: str = "https://r.example/1.pdf") -> RunResult:
    status = ExecutionStatus(
        execution_id=7,
        state="done",
        tests=passed + failed,
        done=passed + failed,
        passed=passed,
        failed=failed,
        report_url=link,
    )
    verdict = "failed" if failed else "passed"
    return RunResult(verdict, 1 if failed else 0, executions=(ExecutionResult(7, status),))


def _github_env(tmp_path: Path, url: str, number: int = 12) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": number}}))
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": url,
        "GITHUB_REPOSITORY": "octo/app",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_WORKFLOW": "ci",
        "GITHUB_JOB": "e2e",
        "GITHUB_TOKEN": TOKEN,
    }


def _gitlab_env(url: str, token_var: str = "GITLAB_TOKEN") -> dict[str, str]:
    return {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": f"{url}/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_PROJECT_PATH": "group/app",
        "CI_MERGE_REQUEST_IID": "5",
        "CI_JOB_NAME": "vibetesting",
        token_var: TOKEN,
    }


def _post(env: dict[str, str], result: RunResult) -> comment.Posted:
    target = comment.find_target(env)
    key = comment.comment_key(env)
    return comment.post(
        target,
        lambda prev: comment_text.render(build_report(result), key=key, previous=prev),
        key=key,
    )


def test_github_created_once_then_edited_in_place(tmp_path: Path) -> None:
    with ForgeServer() as (forge, url):
        env = _github_env(tmp_path, url)
        first = _post(env, _result(1, 1))
        second = _post(env, _result(2, 0))
    assert first.action == "created" and second.action == "updated"
    assert first.comment_id == second.comment_id
    writes = forge.writes()
    assert [w.method for w in writes] == ["POST", "PATCH"]
    assert writes[1].path == f"/repos/octo/app/issues/comments/{first.comment_id}"
    (only,) = forge.threads["octo/app#12"]
    assert "passed 1 → 2 (+1), failed 1 → 0 (-1)" in only["body"]
    assert ":white_check_mark: passed" in only["body"]
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in forge.requests)
    assert all(r.headers["X-GitHub-Api-Version"] == "2022-11-28" for r in forge.requests)


def test_github_finds_its_comment_on_a_later_page(tmp_path: Path) -> None:
    with ForgeServer(Forge(page_size=2)) as (forge, url):
        env = _github_env(tmp_path, url)
        forge.seed("octo/app#12", "hello", "lgtm", "nit")
        first = _post(env, _result(1, 0))
        forge.seed("octo/app#12", "a", "b", "c", "d")
        second = _post(env, _result(1, 0))
    assert (first.action, second.action) == ("created", "updated")
    pages = [r.query.get("page") for r in forge.requests if r.method == "GET"]
    assert pages[-4:] == [["1"], ["2"], ["3"], ["4"]]
    assert len(forge.threads["octo/app#12"]) == 8
    assert "Since the last run: no change." in forge.threads["octo/app#12"][3]["body"]


def test_two_jobs_keep_one_comment_each(tmp_path: Path) -> None:
    with ForgeServer() as (forge, url):
        env = _github_env(tmp_path, url)
        _post(env, _result(1, 0))
        _post({**env, "GITHUB_JOB": "smoke"}, _result(1, 0))
        _post(env, _result(0, 1))
    bodies = [c["body"] for c in forge.threads["octo/app#12"]]
    assert len(bodies) == 2
    assert "key=ci/e2e " in bodies[0] and ":x: failed" in bodies[0]
    assert "key=ci/smoke " in bodies[1]


@pytest.mark.parametrize(
    "token_var,header", [("GITLAB_TOKEN", "PRIVATE-TOKEN"), ("CI_JOB_TOKEN", "JOB-TOKEN")]
)
def test_gitlab_note_created_then_edited(token_var: str, header: str) -> None:
    with ForgeServer(Forge(page_size=1)) as (forge, url):
        env = _gitlab_env(url, token_var)
        first = _post(env, _result(0, 2))
        forge.seed("42/5", "other")
        second = _post(env, _result(2, 0))
    assert (first.action, second.action) == ("created", "updated")
    assert [w.method for w in forge.writes()] == ["POST", "PUT"]
    assert (
        forge.writes()[1].path == f"/api/v4/projects/42/merge_requests/5/notes/{first.comment_id}"
    )
    assert all(r.headers[header] == TOKEN for r in forge.requests)
    assert comment.find_target(env).where == "merge request !5 of group/app"


@pytest.mark.parametrize(
    "fault,expect",
    [
        ({("GET", "list"): 403}, "refused GET /repos/octo/app/issues/12/comments (403)"),
        ({("POST", "create"): 404}, "(404)"),
        ({("GET", "list"): 500}, "(500)"),
    ],
)
def test_refusals_are_one_line_without_the_token(
    tmp_path: Path, fault: dict[tuple[str, str], int], expect: str
) -> None:
    with (
        ForgeServer(Forge(fail=fault)) as (_forge, url),
        pytest.raises(comment.CommentError) as caught,
    ):
        _post(_github_env(tmp_path, url), _result(1, 0))
    message = str(caught.value)
    assert expect in message and "\n" not in message and TOKEN not in message


def test_short_rate_limit_waited_once_long_one_is_a_warning(tmp_path: Path) -> None:
    with ForgeServer(Forge(rate_limit_once=0.2)) as (forge, url):
        assert _post(_github_env(tmp_path, url), _result(1, 0)).action == "created"
    assert [r.method for r in forge.requests] == ["GET", "GET", "POST"]
    with (
        ForgeServer(Forge(rate_limit_once=3600)) as (forge, url),
        pytest.raises(comment.CommentError, match="rate limit"),
    ):
        _post(_github_env(tmp_path, url), _result(1, 0))
    assert len(forge.requests) == 1


def test_redirect_and_huge_answers_are_refused(tmp_path: Path) -> None:
    with (
        ForgeServer(Forge(redirect=True)) as (forge, url),
        pytest.raises(comment.CommentError, match="redirect"),
    ):
        _post(_github_env(tmp_path, url), _result(1, 0))
    assert len(forge.requests) == 1
    with (
        ForgeServer(Forge(huge=True)) as (_forge, url),
        pytest.raises(comment.CommentError, match="more than 4 MiB"),
    ):
        _post(_github_env(tmp_path, url), _result(1, 0))


def test_bad_credentials(tmp_path: Path) -> None:
    with (
        ForgeServer(Forge(token="other")) as (_forge, url),
        pytest.raises(comment.CommentError, match="401"),
    ):
        _post(_github_env(tmp_path, url), _result(1, 0))


@pytest.mark.parametrize(
    "change,why",
    [
        ({"GITHUB_TOKEN": ""}, "no GitHub token"),
        ({"GITHUB_EVENT_PATH": "", "GITHUB_REF": "refs/heads/main"}, "not for a pull request"),
        ({"GITHUB_ACTIONS": "", "GITLAB_CI": ""}, "GitHub Actions and GitLab CI only"),
    ],
)
def test_no_target_says_why(tmp_path: Path, change: dict[str, str], why: str) -> None:
    env = {**_github_env(tmp_path, "http://127.0.0.1:9"), **change}
    with pytest.raises(comment.CommentError, match=why):
        comment.find_target(env)


def test_targets_from_refs_and_open_merge_requests(tmp_path: Path) -> None:
    env = {
        **_github_env(tmp_path, "http://x"),
        "GITHUB_EVENT_PATH": "",
        "GITHUB_REF": "refs/pull/9/merge",
    }
    assert comment.find_target(env).where == "pull request #9 of octo/app"
    gl = {**_gitlab_env("http://x"), "CI_MERGE_REQUEST_IID": ""}
    gl["CI_OPEN_MERGE_REQUESTS"] = "other/app!3,group/app!8"
    assert comment.find_target(gl).where == "merge request !8 of group/app"
    del gl["CI_OPEN_MERGE_REQUESTS"]
    with pytest.raises(comment.CommentError, match="not for a merge request"):
        comment.find_target(gl)


def test_render_escapes_service_text_and_keeps_only_http_links() -> None:
    hostile = RunResult(
        "failed",
        1,
        executions=(
            ExecutionResult(
                1,
                ExecutionStatus(
                    1,
                    "done|<img src=x onerror=alert(1)>",
                    tests=1,
                    failed=1,
                    report_url="javascript:alert(1)",
                ),
            ),
        ),
        message="![t](https://tracker/pixel.png) [click](javascript:x)\n::error::x",
    )
    body = comment_text.render(build_report(hostile), key="k")
    assert "<img" not in body and "](javascript" not in body and "![t](" not in body
    assert "\n::error" not in body
    rows = [line for line in body.splitlines() if line.startswith("| 1 |")]
    assert len(rows) == 1 and rows[0].count(" | ") == 6
    assert "[PDF](" not in body


def test_previous_counts_reads_only_our_marker() -> None:
    body = comment_text.render(build_report(_result(3, 1)), key="k")
    assert comment_text.previous_counts(body) == {"tests": 4, "passed": 3, "failed": 1, "flaky": 0}
    assert comment_text.previous_counts("<!-- vibetesting-ci:counts {oops} -->") is None
    assert comment_text.previous_counts("nothing") is None
