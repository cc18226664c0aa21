"""One request to the VibeTesting API, as the API client and the trigger both make it.

:class:`HttpClient` holds what every call shares: the POST with its wall-clock bound
(``transport.Watchdog``: past it, or on a cancel, the connection is shut down, so a server that
drips its answer cannot hold a call) and its answer read with a cap on the decoded size
(:data:`MAX_ANSWER_BYTES`); redirects (followed only where the caller allows, to the same scheme,
host and port); the answer judged (a success, the service's refusal, or one worth another try);
the token and every registered secret scrubbed from what reaches a person. The calls themselves
are :class:`~vibetesting_ci.service.client.ApiClient`'s (``service/client.py``) and the
trigger's (``service/trigger.py``).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vibetesting_ci.errors import (
    AnswerTooLarge,
    ApiError,
    AuthRefused,
    ServiceRefused,
    ServiceUnreachable,
)
from vibetesting_ci.safety.scrub import scrub
from vibetesting_ci.safety.text import line_text, one_line
from vibetesting_ci.service.retry import _RetryableAnswer, backoff, retry_after
from vibetesting_ci.service.transport import (
    CA_HINT,
    Watchdog,
    certificate_problem,
    exception_chain,
    read_capped,
)

if TYPE_CHECKING:  # pragma: no cover
    import requests

CONNECT_TIMEOUT_CAP = 10.0
# The largest answer read (decoded): a status answer is a few KiB; 8 MiB leaves room for a long
# detailed status and keeps memory bounded whatever a server sends (a 200 MB body, a gzip bomb).
MAX_ANSWER_BYTES = 8 * 1024 * 1024
READ_REDIRECTS = 3  # status reads: redirects followed, same scheme, host and port only
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})

Logger = Callable[[str], None]


class Hidden(str):
    """A str whose repr is ``'***'``, so that no repr of an object holding it (``vars()``, a
    debugger, a careless log line) shows the secret. ``str()`` and formatting still give it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


class ApiKeyAuth:
    """``Authorization: api-key <token>`` on every request (a requests auth callable)."""

    def __init__(self, token: str) -> None:
        self._token = Hidden(token)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"api-key {self._token}"
        return request

    def __repr__(self) -> str:
        return "ApiKeyAuth(token='***')"


class _CutOff(Exception):
    """The request's wall-clock bound passed (or a cancel cut it); the connection was shut."""

    def __init__(self, seconds: float, aborted: bool, unsent: bool = False) -> None:
        super().__init__(f"no answer within {seconds:g} s")
        self.seconds = seconds
        self.aborted = aborted
        self.unsent = unsent  # cut while connecting: nothing of the request was sent


class _Unsent(Exception):
    """A request failed in its connect (TCP, proxy tunnel or TLS handshake) before any byte of
    it was written (``transport.Watchdog.nothing_sent``): the service cannot have acted on it.
    ``cause`` is the requests error."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _Redirected(Exception):
    """A 3xx answer that is not followed; the message says where it pointed."""


class HttpClient:
    """What every call to the API shares (the session, timeouts, scrubbing, the POST, redirects,
    judging answers); :class:`~vibetesting_ci.service.client.ApiClient` sets it up."""

    base_url: str
    _token: str
    request_timeout: float
    backoff_base: float
    backoff_max: float
    max_answer_bytes: int
    calls: int
    session: requests.Session
    _log: Logger | None
    _rng: random.Random
    _rng_lock: threading.Lock

    def _timeout(self, deadline: float | None) -> tuple[float, float]:
        read = self.request_timeout
        if deadline is not None:
            # A request never outlives the deadline by more than its own timeout; near the
            # deadline it gets what is left (but a second at least, to be answered at all).
            read = min(read, max(1.0, deadline - time.monotonic()))
        return (min(CONNECT_TIMEOUT_CAP, read), read)

    def _scrub(self, text: str) -> str:
        """Remove the token (and every registered secret) from text that might reach a person."""
        text = text.replace(self._token, "***") if self._token else text
        return scrub(text)

    def _debug(self, message: str) -> None:
        if self._log is not None:
            self._log(self._scrub(message))

    def _debug_answer(self, answer: dict[str, Any], sent: dict[str, Any] | None = None) -> None:
        """The service's answer as it came, for --verbose (token, password and the report
        link's query values hidden)."""
        if self._log is None:
            return
        from vibetesting_ci.safety.redact import redact_url

        shown = dict(answer)
        if isinstance(shown.get("full_report_link"), str):
            shown["full_report_link"] = redact_url(shown["full_report_link"])
        text = json.dumps(shown, ensure_ascii=True)
        login = (sent or {}).get("login")
        password = login.get("password") if isinstance(login, dict) else None
        if isinstance(password, str) and password:
            for form in (password, json.dumps(password, ensure_ascii=True)[1:-1]):
                text = text.replace(form, "***")
        # One log line: a 64 KiB answer is cut (saying how much), as every line of service
        # text is; `status --json` prints an answer whole.
        self._debug(f"  answer: {line_text(text)}")

    def _url(self, endpoint: str) -> str:
        return self.base_url + endpoint + "/"

    def _post(
        self, url: str, payload: dict[str, Any], timeout: tuple[float, float]
    ) -> requests.Response:
        """One POST, its body read whole (capped), within ``timeout[1]`` s of wall-clock time:
        past that the connection is shut down and :class:`_CutOff` raised. No redirect is
        followed here. Raises requests' errors, :class:`AnswerTooLarge`, :class:`_CutOff`, or
        :class:`_Unsent` (wrapping requests' error) when nothing of the request was sent."""
        import requests

        with Watchdog(timeout[1], "api") as dog:
            try:
                response = self.session.post(
                    url, json=payload, timeout=timeout, stream=True, allow_redirects=False
                )
                read_capped(response, self.max_answer_bytes)
            except AnswerTooLarge:
                raise
            except (requests.exceptions.RequestException, OSError) as exc:
                if dog.expired and not before_send(exc):
                    raise _CutOff(timeout[1], dog.aborted, dog.nothing_sent) from None
                if dog.nothing_sent:
                    raise _Unsent(exc) from exc
                raise
        return response

    def _redirect(self, what: str, response: requests.Response, url: str, follow: bool) -> str:
        """Where a 3xx answer points, if it may be followed (``follow``, same origin), else
        :class:`_Redirected` naming the target (redacted)."""
        from urllib.parse import urljoin

        from vibetesting_ci.safety.redact import redact_url

        location = response.headers.get("Location", "")
        status = response.status_code
        if not location:
            raise _Redirected(f"HTTP {status} (a redirect) without a Location")
        try:
            target = urljoin(url, location)
            same = origin(target) == origin(url) and origin(target) != "the API"
        except ValueError:
            target, same = location, False
        shown = self._scrub(one_line(redact_url(target), 300))
        if not follow:
            raise _Redirected(f"HTTP {status} redirect to {shown} (not followed)")
        if not same:
            raise _Redirected(
                f"HTTP {status} redirect to {shown}: another host, not followed (check --api-url)"
            )
        return target

    @staticmethod
    def _decode(response: requests.Response) -> dict[str, Any] | None:
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            return None
        return body if isinstance(body, dict) else None

    def _refusal(
        self, endpoint: str, response: requests.Response, body: dict[str, Any] | None
    ) -> ApiError:
        status = response.status_code
        reason = None
        if body is not None and body.get("status") == "fail":
            # One line, whatever the service sent: errors are one line, and a line of its own
            # must not be read as a CI workflow command (e.g. "::add-mask::" on GitHub).
            # At most 500 characters of it, saying how many more were cut: the error line
            # around it stays within one log line's 1,000.
            reason = line_text(self._scrub(str(body.get("reason") or "no reason given")), most=500)
        if status in (401, 403):
            why = f": {reason}" if reason else ""
            return AuthRefused(
                f"{endpoint}: the API token was refused (HTTP {status}{why}); check "
                "VIBETESTING_API_TOKEN against the dashboard's API section"
            )
        hint = self._url_hint() if status == 404 else ""
        if reason is not None:
            return ServiceRefused(
                f"{endpoint}: the service refused (HTTP {status}): {reason}{hint}"
            )
        return ServiceRefused(
            f"{endpoint}: the service refused the request (HTTP {status})"
            f"{self._url_hint(always=True) if status == 404 else ''}"
        )

    def _url_hint(self, *, always: bool = False) -> str:
        """For a 404: check --api-url, when its path is not the documented ``/api/external/``
        (``always``: whatever the path, for a 404 that is not the service's own refusal)."""
        from urllib.parse import urlsplit

        from vibetesting_ci.safety.redact import redact_url

        if not always and urlsplit(self.base_url).path.endswith("/api/external/"):
            return ""  # a refusal with a reason from the API itself (an unknown execution)
        shown = self._scrub(one_line(redact_url(self.base_url), 200))
        return (
            f"; check --api-url (VIBETESTING_API_URL): it is {shown}, and should be the "
            "API's base URL, ending in /api/external/"
        )

    def _classify(self, endpoint: str, response: requests.Response) -> dict[str, Any]:
        """A success body, or raise: refusal (final) or _RetryableAnswer (worth a retry)."""
        status = response.status_code
        body = self._decode(response)
        if status == 429:
            raise _RetryableAnswer("HTTP 429 (rate limited)", retry_after(response))
        if body is not None and body.get("status") == "fail":
            # The documented refusal, whatever the HTTP status (even 5xx): the service handled
            # the request and said no, with a reason worth showing.
            raise self._refusal(endpoint, response, body)
        if status >= 500:
            raise _RetryableAnswer(f"HTTP {status}{body_hint(response, body)}")
        if status >= 400:
            raise self._refusal(endpoint, response, body)
        if body is None or body.get("status") != "success":
            raise _RetryableAnswer(
                f"HTTP {status} with an answer that is not the documented JSON"
                f"{body_hint(response, body)}"
            )
        return body

    def _sleep_for(self, attempt: int, hint: float | None) -> float:
        """Full-jitter exponential backoff; a Retry-After hint (capped) is a lower bound."""
        with self._rng_lock:
            return backoff(self._rng, attempt, self.backoff_base, self.backoff_max, hint)

    def _tls_refused(self, what: str, exc: BaseException, tail: str = "") -> ServiceUnreachable:
        host = origin(self.base_url)
        return ServiceUnreachable(
            self._scrub(
                f"{what}: could not verify the TLS certificate of {host} "
                f"({certificate_problem(exc)}){tail}; {CA_HINT}"
            )
        )


def body_hint(response: requests.Response, body: dict[str, Any] | None) -> str:
    if body is not None:
        return ""
    kind = response.headers.get("Content-Type", "").split(";")[0].strip()
    return f" ({kind or 'no content type'}, {len(response.content)} bytes)"


def short(exc: BaseException) -> str:
    """The innermost cause of a requests error, in one short line."""
    inner: BaseException = exc
    seen = 0
    while seen < 5:
        nxt = inner.__context__ or inner.__cause__
        if nxt is None and inner.args and isinstance(inner.args[0], BaseException):
            nxt = inner.args[0]
        if nxt is None:
            break
        inner, seen = nxt, seen + 1
    reason = getattr(inner, "reason", None)
    text = str(reason if isinstance(reason, BaseException) else inner) or type(inner).__name__
    return text.splitlines()[0][:200]


def shown_url(url: str) -> str:
    """A URL for a log line: any password in it (user:pass@) and every query value shown as
    ***."""
    from vibetesting_ci.safety.redact import redact_url

    return redact_url(url)


def origin(url: str) -> str:
    """``scheme://host:port/`` of a URL, for messages (no path, query or user info)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "the API"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}/"


def plain_http_hint(exc: BaseException) -> str:
    """A hint when a TLS error looks like a server that does not speak TLS at all (OpenSSL's
    "wrong version number" and kin: an https:// --api-url to a plain-http port)."""
    text = " ".join(str(item) for item in exception_chain(exc)).lower()
    if any(
        sign in text
        for sign in ("wrong version number", "record layer failure", "packet length too long")
    ):
        return "; is it a plain http:// server? check --api-url"
    return ""


def read_timeout(exc: BaseException) -> bool:
    """True if a (urllib3-wrapped) error is a read timeout: the request had been sent."""
    from urllib3.exceptions import ReadTimeoutError

    return any(isinstance(item, ReadTimeoutError) for item in exception_chain(exc))


def before_send(exc: BaseException) -> bool:
    """True when a connection error happened before any byte of the request was sent."""
    from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

    inner: BaseException | None = exc
    for _ in range(6):
        if inner is None:
            return False
        if isinstance(inner, NewConnectionError | NameResolutionError):
            return True
        if isinstance(inner, MaxRetryError):
            return isinstance(inner.reason, NewConnectionError | NameResolutionError)
        nxt = inner.args[0] if inner.args and isinstance(inner.args[0], BaseException) else None
        inner = nxt or inner.__cause__ or inner.__context__
    return False
