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

Nothing here can fail the step: every problem (no token, no pull request, a refused or odd
answer, a slow server) becomes a :class:`CommentError` whose one-line message the caller
shows as a warning. The tokens never appear in a message.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from vibetesting_ci.domain.models import SCOPE_FAILED_TESTS
from vibetesting_ci.domain.report import Report
from vibetesting_ci.errors import CommentError
from vibetesting_ci.safety.scrub import scrub
from vibetesting_ci.safety.text import (
    http_url,
    markdown_code,
    markdown_link,
    markdown_text,
    one_line,
)

if TYPE_CHECKING:  # pragma: no cover
    import requests

MARKER = "<!-- vibetesting-ci:comment key={key} -->"
_MARKER_RE = re.compile(r"<!-- vibetesting-ci:comment key=([^>\s]*) -->")
_COUNTS_RE = re.compile(r"<!-- vibetesting-ci:counts (\{[^<>]*\}) -->")
MAX_PAGES = 20  # 2,000 comments: a pull request with more is not looked through further
MAX_ANSWER_BYTES = 4 * 1024 * 1024  # one page of comments (100 x GitHub's 64 KiB at most)
MAX_BODY_CHARS = 60_000  # GitHub refuses comments over 65,536 characters
REQUEST_TIMEOUT = 15.0
TOTAL_BUDGET = 40.0  # the whole comment, all pages and the edit: a comment never holds a job
RETRY_AFTER_MAX = 5.0  # a short rate-limit pause is waited for once; a longer one is a warning


@dataclass(frozen=True)
class Target:
    """Where the comment goes: a forge, one pull/merge request and the headers to call it."""

    forge: str  # "github" | "gitlab"
    where: str  # for people: "pull request #12 of octo/app"
    list_url: str
    headers: Mapping[str, str] = field(repr=False)
    edit_method: str  # PATCH (GitHub) or PUT (GitLab)
    edit_url: Callable[[str], str] = field(repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)


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
            forge="github",
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
            forge="gitlab",
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


# -- the body ---------------------------------------------------------------------------------


CELL_LIMIT = 300  # characters of service text or a test name in one line of the comment


def _md(text: str) -> str:
    """Text (service text, test names) for the comment: the job summary's Markdown escaping
    (text.markdown_text: no HTML, link, mention, emoji code or table break)."""
    return markdown_text(text, CELL_LIMIT)


def previous_counts(body: str) -> dict[str, int] | None:
    """The counts the previous comment recorded in its hidden marker, if readable."""
    match = _COUNTS_RE.search(body)
    if not match:
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    counts = {
        k: v
        for k, v in data.items()
        if k in ("tests", "passed", "failed", "flaky")
        and isinstance(v, int)
        and not isinstance(v, bool)
    }
    return counts or None


def _change(previous: Mapping[str, int] | None, now: Mapping[str, int]) -> str:
    if previous is None:
        return ""
    parts = []
    for key in ("passed", "failed", "flaky"):
        before, after = previous.get(key), now.get(key, 0)
        if before is None or before == after:
            continue
        parts.append(f"{key} {before} → {after} ({after - before:+d})")
    return "Since the last run: " + (", ".join(parts) if parts else "no change") + "."


VERDICT_WORDS = {
    "passed": ":white_check_mark: passed",
    "failed": ":x: failed",
    "error": ":boom: error",
    "timeout": ":hourglass: timed out",
    "cancelled": ":no_entry_sign: cancelled",
    "triggered": ":rocket: triggered (not awaited)",
    "scheduled": ":calendar: scheduled",
}
LISTED = 50  # failed and flaky tests, and executions, listed in the comment


def render(
    report: Report,
    *,
    key: str,
    previous: Mapping[str, int] | None = None,
    run_url: str = "",
) -> str:
    """The comment's Markdown: marker, verdict, per-execution table, failed and flaky tests,
    report links, the change against ``previous`` counts, and the counts marker for the next
    run. Every text from the service or a test name goes through :func:`_md`; links only
    through ``text.markdown_link`` (the report links are already redacted)."""
    totals = report.totals
    flaky = report.flaky_tests  # the named ones; a whole-run retry counts them only
    counts = {
        "tests": totals.tests or 0,
        "passed": totals.passed or 0,
        "failed": totals.failed or 0,
        "flaky": max(len(flaky), report.flaky),
    }
    out = [MARKER.format(key=key), f"### VibeTesting: {VERDICT_WORDS.get(report.result, '')}"]
    out.append("")
    if report.message:
        out += [_md(report.message), ""]
    if report.target_url:
        out += [f"Target URL: {markdown_code(report.target_url)}", ""]
    if report.executions:
        out += [
            "| Execution | State | Tests | Passed | Failed | Not done | Report |",
            "|---|---|--:|--:|--:|--:|---|",
        ]
        shown = report.executions[:LISTED]
        for execution in shown:
            cells = [
                execution.counts.shown(name) for name in ("tests", "passed", "failed", "not_done")
            ]
            link = markdown_link("PDF", execution.report_url) if execution.report_url else ""
            report_cell = link if link.startswith("[") else "—"
            out.append(
                f"| {execution.execution_id} | {_md(execution.state_word)} | "
                + " | ".join(cells)
                + f" | {report_cell} |"
            )
        if len(report.executions) > len(shown):
            out.append(f"| … {len(report.executions) - len(shown)} more | | | | | | |")
        out.append("")
    failed = report.failed
    if failed.names:
        out += ["**Failed tests** (as named in the JUnit report):", ""]
        out += [f"- {_md(name)}" for name in failed.names[:LISTED]]
        if len(failed.names) > LISTED:
            out.append(f"- … {len(failed.names) - LISTED} more")
        out.append("")
    if not failed.complete and report.awaited and report.test_names:
        out += [
            "The service's counts do not say which of the other tests did not pass (run one "
            "test per execution with `allow-parallel` to have each test named).",
            "",
        ]
    if report.attempts:
        last = report.attempts[-1].scope
        scopes = "failed tests" if last == SCOPE_FAILED_TESTS else "whole run"
        out += [f"Attempts: {report.attempts_said}, the last of the {scopes}", ""]
    if flaky:
        out += ["**Flaky** (failed, then passed on a retry):", ""]
        out += [f"- {_md(name)}" for name in flaky[:LISTED]]
        out.append("")
    elif counts["flaky"]:
        out += [
            f"**Flaky**: {counts['flaky']} test(s) failed, then passed when the whole run "
            "was retried (the counts do not say which).",
            "",
        ]
    change = _change(previous, counts)
    if change:
        out += [change, ""]
    footer = "Posted by vibetesting-ci"
    run_link = http_url(run_url)
    if run_link:
        footer += f" for {markdown_link('this run', run_link)}"
    out.append(f"<sub>{footer}; edited in place on later runs.</sub>")
    out.append(f"<!-- vibetesting-ci:counts {json.dumps(counts, sort_keys=True)} -->")
    text = "\n".join(out) + "\n"
    if len(text) > MAX_BODY_CHARS:  # only reachable through very many flaky names or rows
        text = text[: MAX_BODY_CHARS - 200] + "\n\n… (cut)\n" + "\n".join(out[-1:]) + "\n"
    return text


def run_url(environ: Mapping[str, str]) -> str:
    """A link to this pipeline's run or job, from the CI system's own variables."""
    if environ.get("GITHUB_ACTIONS", "").lower() == "true":
        server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        repo, run = environ.get("GITHUB_REPOSITORY", ""), environ.get("GITHUB_RUN_ID", "")
        if repo and run.isdigit():
            return f"{server}/{repo}/actions/runs/{run}"
        return ""
    return environ.get("CI_JOB_URL", "")


# -- the calls --------------------------------------------------------------------------------


class _Forge:
    """A few bounded calls to one forge's REST API: no redirects, capped answers, one budget."""

    def __init__(self, target: Target, session: requests.Session, budget: float) -> None:
        self.target = target
        self.session = session
        self.deadline = time.monotonic() + budget
        self.calls: list[str] = []

    def _scrub(self, text: str) -> str:
        for secret in self.target.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    def call(self, method: str, url: str, body: Mapping[str, Any] | None = None) -> Any:
        from vibetesting_ci.service.transport import Watchdog

        for attempt in (1, 2):
            left = self.deadline - time.monotonic()
            if left <= 0.5:
                raise CommentError(f"no comment: {self.target.forge} took too long to answer")
            # Wall-clock bound on the whole request and its answer: the connection is cut
            # when it passes (a dripping answer cannot hold the step; transport.Watchdog).
            with Watchdog(min(REQUEST_TIMEOUT, left), "comment"):
                answer = self._once(method, url, body, left, attempt)
            if answer is not None:
                return answer
        raise CommentError(f"no comment: {self.target.forge} rate limit reached")

    def _once(
        self, method: str, url: str, body: Mapping[str, Any] | None, left: float, attempt: int
    ) -> Any:
        """One try of :meth:`call`: its answer, or None to try again (a short rate limit)."""
        import requests

        try:
            response = self.session.request(
                method,
                url,
                json=body,
                headers=dict(self.target.headers),
                timeout=(min(5.0, left), min(REQUEST_TIMEOUT, left)),
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as exc:
            raise CommentError(
                f"no comment: {self.target.forge} could not be reached ({type(exc).__name__})"
            ) from None
        with response:
            self.calls.append(f"{method} {response.status_code}")
            try:
                data = self._read(response)
            except requests.RequestException as exc:  # the answer broke off (or was cut)
                raise CommentError(
                    f"no comment: {self.target.forge} did not finish answering "
                    f"({type(exc).__name__})"
                ) from None
            code = response.status_code
            limited = code == 429 or (
                code == 403 and response.headers.get("X-RateLimit-Remaining") == "0"
            )
            if limited:
                wait = _retry_after(response.headers.get("Retry-After"))
                if attempt == 1 and wait is not None and wait <= RETRY_AFTER_MAX:
                    time.sleep(min(wait, max(0.0, self.deadline - time.monotonic() - 1)))
                    return None
                raise CommentError(
                    f"no comment: {self.target.forge} rate limit reached ({code}); "
                    "the comment is updated on the next run"
                )
            if 300 <= code < 400:
                raise CommentError(
                    f"no comment: {self.target.forge} answered a redirect ({code}) "
                    f"to {method} {_path(url)}; not followed"
                )
            if code >= 400:
                raise CommentError(self._refusal(method, url, code, data))
            return data, response.headers

    def _read(self, response: requests.Response) -> Any:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise CommentError(
                    f"no comment: {self.target.forge} answered more than "
                    f"{MAX_ANSWER_BYTES // (1024 * 1024)} MiB"
                )
            if time.monotonic() > self.deadline:
                raise CommentError(f"no comment: {self.target.forge} took too long to answer")
            chunks.append(chunk)
        raw = b"".join(chunks)
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def _refusal(self, method: str, url: str, code: int, data: Any) -> str:
        why = ""
        if isinstance(data, dict):
            text = data.get("message") or data.get("error") or ""
            why = one_line(self._scrub(str(text)), 160)
        hint = {
            401: "the token was not accepted",
            403: (
                "the token may not write comments (GitHub: permissions: pull-requests: write; "
                "GitLab: a token with api scope in GITLAB_TOKEN)"
            ),
            404: "the pull/merge request or project was not found, or the token cannot see it",
        }.get(code, "")
        detail = "; ".join(p for p in (why, hint) if p)
        return f"no comment: {self.target.forge} refused {method} {_path(url)} ({code})" + (
            f": {detail}" if detail else ""
        )


def _path(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:
        return "?"


def _retry_after(value: str | None) -> float | None:
    try:
        seconds = float((value or "").strip())
    except ValueError:
        return None
    return seconds if 0 <= seconds < 86400 else None


def _next_page(target: Target, url: str, headers: Mapping[str, str], page: int) -> str | None:
    """The next page's URL: GitHub's ``Link rel="next"`` (same origin only), GitLab's
    ``X-Next-Page`` number."""
    if target.forge == "github":
        for part in headers.get("Link", "").split(","):
            match = re.fullmatch(r'\s*<([^>]+)>\s*;\s*rel="next"\s*', part)
            if match:
                nxt = match.group(1)
                here, there = urlsplit(target.list_url), urlsplit(nxt)
                if (here.scheme, here.netloc) != (there.scheme, there.netloc):
                    return None
                return nxt
        return None
    number = headers.get("X-Next-Page", "").strip()
    if not number.isdigit() or int(number) <= page:
        return None
    return f"{target.list_url}?per_page=100&page={int(number)}"


@dataclass(frozen=True)
class Posted:
    """What :func:`post` did: ``created`` or ``updated``, the comment's id and the calls."""

    action: str
    comment_id: str
    calls: tuple[str, ...]


def find_existing(forge: _Forge, key: str) -> tuple[str, str] | None:
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
            match = _MARKER_RE.search(body)
            if match and match.group(1) == key:
                found = (str(ident), body)
        url = _next_page(target, url, headers, page)
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
    import requests

    own = session is None
    if session is None:
        from vibetesting_ci.service.transport import bounded_adapter, ca_bundle

        session = requests.Session()
        for prefix in ("http://", "https://"):
            session.mount(prefix, bounded_adapter())  # obeys the per-request Watchdog
        session.verify = ca_bundle()  # the same trust as the API: a corporate CA applies too
        session.headers["User-Agent"] = "vibetesting-ci (pull request comment)"
    try:
        forge = _Forge(target, session, budget)
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
            return Posted("created", str(ident or ""), tuple(forge.calls))
        forge.call(target.edit_method, target.edit_url(existing[0]), {"body": body})
        return Posted("updated", existing[0], tuple(forge.calls))
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
