"""The sticky comment module against a loopback stand-in for GitHub's and GitLab's REST APIs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.builders import FORGE_TOKEN as TOKEN
from tests.support.builders import done, github_env, gitlab_env, result
from tests.support.forge_standin import Forge, ForgeServer
from vibetesting_ci.domain.models import RunResult
from vibetesting_ci.domain.report import build_report
from vibetesting_ci.publish import comment
from vibetesting_ci.render import comment as comment_text

LINK = "https://r.example/1.pdf"


def _result(passed: int, failed: int) -> RunResult:
    """One execution (7) with these counts; the run failed if a test did."""
    verdict = (
        {"result": "failed", "exit_code": 1} if failed else {"result": "passed", "exit_code": 0}
    )
    return result(done(7, passed + failed, passed, failed, url=LINK), **verdict)


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
        env = github_env(tmp_path, url)
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
        env = github_env(tmp_path, url)
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
        env = github_env(tmp_path, url)
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
        env = gitlab_env(url, token_var)
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
        _post(github_env(tmp_path, url), _result(1, 0))
    message = str(caught.value)
    assert expect in message and "\n" not in message and TOKEN not in message


def test_short_rate_limit_waited_once_long_one_is_a_warning(tmp_path: Path) -> None:
    with ForgeServer(Forge(rate_limit_once=0.2)) as (forge, url):
        assert _post(github_env(tmp_path, url), _result(1, 0)).action == "created"
    assert [r.method for r in forge.requests] == ["GET", "GET", "POST"]
    with (
        ForgeServer(Forge(rate_limit_once=3600)) as (forge, url),
        pytest.raises(comment.CommentError, match="rate limit"),
    ):
        _post(github_env(tmp_path, url), _result(1, 0))
    assert len(forge.requests) == 1


def test_redirect_and_huge_answers_are_refused(tmp_path: Path) -> None:
    with (
        ForgeServer(Forge(redirect=True)) as (forge, url),
        pytest.raises(comment.CommentError, match="redirect"),
    ):
        _post(github_env(tmp_path, url), _result(1, 0))
    assert len(forge.requests) == 1
    with (
        ForgeServer(Forge(huge=True)) as (_forge, url),
        pytest.raises(comment.CommentError, match="more than 4 MiB"),
    ):
        _post(github_env(tmp_path, url), _result(1, 0))


def test_bad_credentials(tmp_path: Path) -> None:
    with (
        ForgeServer(Forge(token="other")) as (_forge, url),
        pytest.raises(comment.CommentError, match="401"),
    ):
        _post(github_env(tmp_path, url), _result(1, 0))
