"""Finding the pull or merge request the comment belongs to, from the CI variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.builders import github_env, gitlab_env
from vibetesting_ci.publish import comment


@pytest.mark.parametrize(
    "change,why",
    [
        ({"GITHUB_TOKEN": ""}, "no GitHub token"),
        ({"GITHUB_EVENT_PATH": "", "GITHUB_REF": "refs/heads/main"}, "not for a pull request"),
        ({"GITHUB_ACTIONS": "", "GITLAB_CI": ""}, "GitHub Actions and GitLab CI only"),
    ],
)
def test_no_target_says_why(tmp_path: Path, change: dict[str, str], why: str) -> None:
    env = {**github_env(tmp_path, "http://127.0.0.1:9"), **change}
    with pytest.raises(comment.CommentError, match=why):
        comment.find_target(env)


def test_targets_from_refs_and_open_merge_requests(tmp_path: Path) -> None:
    env = {
        **github_env(tmp_path, "http://x"),
        "GITHUB_EVENT_PATH": "",
        "GITHUB_REF": "refs/pull/9/merge",
    }
    assert comment.find_target(env).where == "pull request #9 of octo/app"
    gl = {**gitlab_env("http://x"), "CI_MERGE_REQUEST_IID": ""}
    gl["CI_OPEN_MERGE_REQUESTS"] = "other/app!3,group/app!8"
    assert comment.find_target(gl).where == "merge request !8 of group/app"
    del gl["CI_OPEN_MERGE_REQUESTS"]
    with pytest.raises(comment.CommentError, match="not for a merge request"):
        comment.find_target(gl)
