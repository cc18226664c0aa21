"""The forge client of the pull/merge request comment: a few bounded calls to GitHub's or
GitLab's REST API (``publish/comment.py`` decides what to call). No redirects are followed, every
answer is capped (:data:`MAX_ANSWER_BYTES`), every request has a wall-clock bound
(``transport.Watchdog``) and all of them share one budget, so a slow or dripping forge never holds
the job. A short rate limit (``Retry-After`` at most :data:`RETRY_AFTER_MAX`, read by
``service.retry.parse_retry_after``) is waited for once; anything else is a
:class:`CommentError` whose one-line message the caller shows as a warning. The tokens never
appear in a message.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from vibetesting_ci.errors import CommentError
from vibetesting_ci.safety.text import one_line
from vibetesting_ci.service.retry import parse_retry_after
from vibetesting_ci.vocabulary import CISystem

if TYPE_CHECKING:  # pragma: no cover
    import requests

MAX_ANSWER_BYTES = 4 * 1024 * 1024  # one page of comments (100 x GitHub's 64 KiB at most)
REQUEST_TIMEOUT = 15.0
RETRY_AFTER_MAX = 5.0  # a short rate-limit pause is waited for once; a longer one is a warning


@dataclass(frozen=True)
class Target:
    """Where the comment goes: a forge, one pull/merge request and the headers to call it."""

    forge: CISystem
    where: str  # for people: "pull request #12 of octo/app"
    list_url: str
    headers: Mapping[str, str] = field(repr=False)
    edit_method: str  # PATCH (GitHub) or PUT (GitLab)
    edit_url: Callable[[str], str] = field(repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)


def forge_session() -> requests.Session:
    """A session for :class:`Forge`: its connections obey the per-request Watchdog, with the
    same trust as the API (a corporate CA applies too). The caller closes it."""
    import requests

    from vibetesting_ci.service.transport import bounded_adapter, ca_bundle

    session = requests.Session()
    for prefix in ("http://", "https://"):
        session.mount(prefix, bounded_adapter())  # obeys the per-request Watchdog
    session.verify = ca_bundle()  # the same trust as the API: a corporate CA applies too
    session.headers["User-Agent"] = "vibetesting-ci (pull request comment)"
    return session


class Forge:
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
    """Seconds a forge's ``Retry-After`` asks for (``service.retry.parse_retry_after``), or None
    when absent, unreadable, or a day or more (not a pause to wait for)."""
    seconds = parse_retry_after((value or "").strip())
    return seconds if seconds is not None and seconds < 86400 else None


def next_page(target: Target, url: str, headers: Mapping[str, str], page: int) -> str | None:
    """The next page's URL: GitHub's ``Link rel="next"`` (same origin only), GitLab's
    ``X-Next-Page`` number."""
    if target.forge == CISystem.GITHUB:
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
