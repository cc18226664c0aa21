"""The sticky pull/merge request comment (``--comment``).

One comment per pull request (GitHub) or merge request (GitLab) and per *comment key* (the CI
job, so two jobs of one pipeline keep a comment each). It is found again on later runs and
attempts by a hidden marker and edited in place, never posted twice. The previous comment's
counts sit in a second hidden marker, so the new one can say what changed.

Endpoints used (documented in README -> "Pull request comment"):

=========  ===============================================================================
GitHub     ``GET  {GITHUB_API_URL}/repos/{owner}/{repo}/issues/{number}/comments?per_page=100``
           (pages through ``Link: <...>; rel="next"``), ``POST`` the same URL to create,
           ``PATCH {GITHUB_API_URL}/repos/{owner}/{repo}/issues/comments/{id}`` to edit.
           ``Authorization: Bearer <token>``; the token needs ``pull-requests: write``.
GitLab     ``GET  {CI_API_V4_URL}/projects/{id}/merge_requests/{iid}/notes?per_page=100``
           (pages through ``X-Next-Page``), ``POST`` the same URL to create,
           ``PUT  .../notes/{note_id}`` to edit. ``PRIVATE-TOKEN`` (a project or personal token
           with ``api`` scope, from ``GITLAB_TOKEN``) or ``JOB-TOKEN`` (``CI_JOB_TOKEN``, where
           the instance lets job tokens write notes).
=========  ===============================================================================

The Markdown is ``render/comment.py``'s, the calls ``service/forge.py``'s. Nothing here can fail
the step: every problem (no token, no pull request, a refused or odd answer, a slow server)
becomes a :class:`CommentError` whose one-line message the caller shows as a warning. The tokens
never appear in a message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import quote

from vibetesting_ci.domain.report import Report
from vibetesting_ci.errors import CommentError
from vibetesting_ci.render.comment import MARKER_RE, previous_counts, render
from vibetesting_ci.safety.scrub import scrub
from vibetesting_ci.service.forge import Forge, Target, forge_session, next_page
from vibetesting_ci.vocabulary import CISystem

if TYPE_CHECKING:  # pragma: no cover
    import requests

MAX_PAGES = 20  # 2,000 comments: a pull request with more is not looked through further
TOTAL_BUDGET = 40.0  # the whole comment, all pages and the edit: a comment never holds a job


def _github_number(environ: Mapping[str, str]) -> int | None:
    """The pull request this workflow run is for: the event payload, else ``refs/pull/N/...``."""
    path = environ.get("GITHUB_EVENT_PATH", "")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                event = json.load(handle)
        except (OSError, ValueError):
            event = None
        if isinstance(event, dict):
            for key in ("pull_request", "issue"):
                item = event.get(key)
                if isinstance(item, dict) and (key == "pull_request" or "pull_request" in item):
                    number = item.get("number")
                    if isinstance(number, int) and not isinstance(number, bool) and number > 0:
                        return number
    match = re.fullmatch(r"refs/pull/(\d+)/(merge|head)", environ.get("GITHUB_REF", ""))
    return int(match.group(1)) if match else None


def _gitlab_iid(environ: Mapping[str, str]) -> int | None:
    """The merge request: ``CI_MERGE_REQUEST_IID`` (merge request pipelines), else the first of
    ``CI_OPEN_MERGE_REQUESTS`` (branch pipelines, ``group/project!iid,...``) of this project."""
    iid = environ.get("CI_MERGE_REQUEST_IID", "").strip()
    if iid.isdigit() and int(iid) > 0:
        return int(iid)
    project = environ.get("CI_PROJECT_PATH", "")
    for item in environ.get("CI_OPEN_MERGE_REQUESTS", "").split(","):
        path, _, number = item.strip().rpartition("!")
        if number.isdigit() and int(number) > 0 and (not project or path == project):
            return int(number)
    return None


def find_target(environ: Mapping[str, str], *, github_token: str = "") -> Target:
    """The pull/merge request this pipeline runs for, or :class:`CommentError` saying why none.

    GitHub: ``GITHUB_ACTIONS=true``, the token from ``--github-token`` (or ``GITHUB_TOKEN``).
    GitLab: ``GITLAB_CI=true``, ``GITLAB_TOKEN`` or else ``CI_JOB_TOKEN``.
    """
    if environ.get("GITHUB_ACTIONS", "").lower() == "true":
        token = github_token or environ.get("GITHUB_TOKEN", "")
        if not token.strip():
            raise CommentError(
                "no comment: no GitHub token (set the github-token input, or GITHUB_TOKEN, "
                "with pull-requests: write)"
            )
        repo = environ.get("GITHUB_REPOSITORY", "")
        number = _github_number(environ)
        if number is None or not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
            raise CommentError("no comment: this workflow run is not for a pull request")
        api = (environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
        base = f"{api}/repos/{repo}/issues"
        return Target(
            forge=CISystem.GITHUB,
            where=f"pull request #{number} of {repo}",
            list_url=f"{base}/{number}/comments",
            headers={
                "Authorization": f"Bearer {token.strip()}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
            edit_method="PATCH",
            edit_url=lambda comment_id: f"{base}/comments/{quote(comment_id, safe='')}",
            secrets=(token.strip(),),
        )
    if environ.get("GITLAB_CI", "").lower() == "true":
        token, header = environ.get("GITLAB_TOKEN", "").strip(), "PRIVATE-TOKEN"
        if not token:
            token, header = environ.get("CI_JOB_TOKEN", "").strip(), "JOB-TOKEN"
        if not token:
            raise CommentError("no comment: no GitLab token (set GITLAB_TOKEN with api scope)")
        iid = _gitlab_iid(environ)
        project = environ.get("CI_PROJECT_ID", "").strip()
        api = environ.get("CI_API_V4_URL", "").rstrip("/")
        if iid is None or not project.isdigit() or not api:
            raise CommentError("no comment: this pipeline is not for a merge request")
        notes = f"{api}/projects/{project}/merge_requests/{iid}/notes"
        return Target(
            forge=CISystem.GITLAB,
            where=f"merge request !{iid} of {environ.get('CI_PROJECT_PATH') or project}",
            list_url=notes,
            headers={header: token},
            edit_method="PUT",
            edit_url=lambda note_id: f"{notes}/{quote(note_id, safe='')}",
            secrets=(token,),
        )
    raise CommentError("no comment: --comment works on GitHub Actions and GitLab CI only")


def comment_key(environ: Mapping[str, str], label: str = "") -> str:
    """What tells this job's comment from another job's on the same pull request: the workflow
    and job (GitHub) or the job name (GitLab), plus the run's label. No spaces, no ``>``."""
    if environ.get("GITHUB_ACTIONS", "").lower() == "true":
        parts = [environ.get("GITHUB_WORKFLOW", ""), environ.get("GITHUB_JOB", "")]
    else:
        parts = [environ.get("CI_JOB_NAME", "")]
    parts.append(label)
    raw = "/".join(p for p in parts if p) or "default"
    return re.sub(r"[^A-Za-z0-9_.:/-]+", "_", raw)[:200]


def run_url(environ: Mapping[str, str]) -> str:
    """A link to this pipeline's run or job, from the CI system's own variables."""
    if environ.get("GITHUB_ACTIONS", "").lower() == "true":
        server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        repo, run = environ.get("GITHUB_REPOSITORY", ""), environ.get("GITHUB_RUN_ID", "")
        if repo and run.isdigit():
            return f"{server}/{repo}/actions/runs/{run}"
        return ""
    return environ.get("CI_JOB_URL", "")


class CommentAction(StrEnum):
    """What :func:`post` did to the comment."""

    CREATED = "created"
    UPDATED = "updated"


@dataclass(frozen=True)
class Posted:
    """What :func:`post` did: ``created`` or ``updated``, the comment's id and the calls."""

    action: CommentAction
    comment_id: str
    calls: tuple[str, ...]


def find_existing(forge: Forge, key: str) -> tuple[str, str] | None:
    """``(id, body)`` of our comment with ``key``, the newest if several, or None."""
    target = forge.target
    url: str | None = f"{target.list_url}?per_page=100&page=1"
    found: tuple[str, str] | None = None
    page = 1
    while url is not None and page <= MAX_PAGES:
        data, headers = forge.call("GET", url)
        if not isinstance(data, list):
            raise CommentError(
                f"no comment: {target.forge} answered a comment list that is not a list"
            )
        for item in data:
            if not isinstance(item, dict):
                continue
            body, ident = item.get("body"), item.get("id")
            if not isinstance(body, str) or isinstance(ident, bool):
                continue
            if not isinstance(ident, int | str) or not str(ident).strip():
                continue
            match = MARKER_RE.search(body)
            if match and match.group(1) == key:
                found = (str(ident), body)
        url = next_page(target, url, headers, page)
        page += 1
    return found


def post(
    target: Target,
    make_body: Callable[[Mapping[str, int] | None], str],
    *,
    key: str,
    session: requests.Session | None = None,
    budget: float = TOTAL_BUDGET,
) -> Posted:
    """Create or edit the comment with ``key`` on ``target``; ``make_body(previous_counts)``
    builds the text. Raises :class:`CommentError` (a warning for the caller) on any problem."""
    own = session is None
    if session is None:
        session = forge_session()
    try:
        forge = Forge(target, session, budget)
        existing = find_existing(forge, key)
        body = make_body(previous_counts(existing[1]) if existing else None)
        for secret in target.secrets:
            body = body.replace(secret, "***")
        body = scrub(
            body
        )  # and every registered secret, in any encoding (vibetesting_ci.safety.scrub)
        if existing is None:
            data, _ = forge.call("POST", target.list_url, {"body": body})
            ident = data.get("id") if isinstance(data, dict) else None
            return Posted(CommentAction.CREATED, str(ident or ""), tuple(forge.calls))
        forge.call(target.edit_method, target.edit_url(existing[0]), {"body": body})
        return Posted(CommentAction.UPDATED, existing[0], tuple(forge.calls))
    finally:
        if own:
            session.close()


def post_result(report: Report, environ: Mapping[str, str], *, github_token: str = "") -> str:
    """Post or edit the comment for ``report`` on the pull/merge request ``environ`` names;
    return a line for the log. Raises :class:`CommentError` (a warning) on any problem."""
    target = find_target(environ, github_token=github_token)
    key = comment_key(environ)
    link = run_url(environ)
    posted = post(
        target,
        lambda previous: render(report, key=key, previous=previous, run_url=link),
        key=key,
    )
    return f"comment {posted.action} on {target.where}"
