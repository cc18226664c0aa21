"""The only module that speaks HTTP to the VibeTesting External API.

One ``requests.Session``; explicit (connect, read) timeouts on every request; a retry policy by
what is safe to repeat:

* ``execution-status`` and ``stop-execution`` change nothing that a repeat could double, so they
  are retried on connection errors, timeouts, 429 (``Retry-After`` honoured, capped), 5xx and
  answers that are not the documented JSON, with exponential backoff and full jitter, never past
  the caller's deadline. urllib3's ``Retry`` cannot express the deadline or judge a body, so this
  loop is ours (:meth:`ApiClient._safe_call`).
* ``run-tests`` and ``run-suite`` start billed runs. They are retried only when the service
  certainly did not act: a 429 (our loop, with ``Retry-After`` bounded by the run's deadline), or
  a connection that failed before the request was sent (urllib3's ``Retry(connect=..., read=0)``
  on an adapter mounted for those two URLs). After a read timeout, a dropped connection, a 5xx,
  a redirect or an answer cut off at its wall-clock bound the run may have started, so
  :class:`TriggerUncertain` ends the command (exit 3) without a second attempt.

Every request has a wall-clock bound (``transport.Watchdog``): the request timeout, or what is
left before the caller's deadline. When it passes, the connection is shut down, so a server
that drips its status line, headers or body a byte at a time cannot hold a call. Answers are
read with a cap on their decoded size (:data:`MAX_ANSWER_BYTES`). Redirects: triggers and stops
follow none (a redirect is an error naming where it pointed); status reads follow at most
:data:`READ_REDIRECTS`, to the same scheme, host and port only.

TLS verification is always on; the CA bundle comes from the environment (``service/transport.py``),
and so do proxies (requests' ``trust_env``).

Errors carry their exit code (``errors.py``); no message ever contains the token.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vibetesting_ci import __version__
from vibetesting_ci.config.kinds import plain_number
from vibetesting_ci.domain.models import ExecutionStatus, TriggerResult, held_text
from vibetesting_ci.errors import (
    AnswerTooLarge,
    ApiError,
    AuthRefused,
    DeadlineReached,
    ServiceRefused,
    ServiceUnreachable,
    TriggerUncertain,
)
from vibetesting_ci.safety.scrub import scrub
from vibetesting_ci.safety.text import http_url, one_line
from vibetesting_ci.service.transport import (
    CA_HINT,
    Watchdog,
    bounded_adapter,
    ca_bundle,
    certificate_problem,
    exception_chain,
    is_certificate_error,
    read_capped,
)

if TYPE_CHECKING:  # pragma: no cover
    import requests
    from urllib3.util.retry import Retry

    from vibetesting_ci.config.settings import ApiSettings

USER_AGENT = f"vibetesting-ci/{__version__} (+https://github.com/vibetesting/vibetesting-ci)"
CONNECT_TIMEOUT_CAP = 10.0
RETRY_AFTER_CAP = 30.0
BACKOFF_BASE = 0.5
BACKOFF_MAX = 15.0
MAX_ATTEMPTS = 10  # safe calls while waiting: a failure that persists this many tries ends it
ONE_SHOT_ATTEMPTS = 5  # status / stop / cancel-schedule: about 4 s of retries (0.5 s base)
ONE_SHOT_GRACE = 3.0  # ... and all of them within the request timeout plus this (the stop budget)
TRIGGER_RETRIES = 3
# The largest answer read (decoded): a status answer is a few KiB; 8 MiB leaves room for a long
# detailed status and keeps memory bounded whatever a server sends (a 200 MB body, a gzip bomb).
MAX_ANSWER_BYTES = 8 * 1024 * 1024
READ_REDIRECTS = 3  # status reads: redirects followed, same scheme, host and port only
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# Connections kept per host: enough for the waiter's concurrent status calls.
DEFAULT_POOL_SIZE = 16

Logger = Callable[[str], None]


def _retry_class() -> type[Retry]:
    from urllib3.util.retry import Retry

    class CappedRetry(Retry):
        """urllib3 Retry whose Retry-After wait is capped (a CI job must not sleep for hours)
        and whose parsing forgives odd values (``0.5``, garbage): a 429 says the service did
        not act, so an unreadable hint must not turn it into an error."""

        def parse_retry_after(self, retry_after: str) -> float:
            seconds = _parse_retry_after(retry_after)
            return 0.0 if seconds is None else min(RETRY_AFTER_CAP, seconds)

    return CappedRetry


@dataclass(frozen=True)
class StatusAnswer:
    """A parsed status plus the service's answer as it came (for ``status --json``)."""

    status: ExecutionStatus
    raw: dict[str, Any]


class _RetryableAnswer(Exception):
    """An answer worth another try (5xx, 429, garbage); carries a Retry-After hint."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _Hidden(str):
    """A str whose repr is ``'***'``, so that no repr of an object holding it (``vars()``, a
    debugger, a careless log line) shows the secret. ``str()`` and formatting still give it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


class _ApiKeyAuth:
    """``Authorization: api-key <token>`` on every request (a requests auth callable)."""

    def __init__(self, token: str) -> None:
        self._token = _Hidden(token)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"api-key {self._token}"
        return request

    def __repr__(self) -> str:
        return "_ApiKeyAuth(token='***')"


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


class ApiClient:
    """Typed calls to the four endpoints. Thread-safe for concurrent status calls."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        request_timeout: float = 30.0,
        pool_size: int = DEFAULT_POOL_SIZE,
        log: Logger | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base: float = BACKOFF_BASE,
        backoff_max: float = BACKOFF_MAX,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        import requests

        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._token = _Hidden(token)
        self.request_timeout = request_timeout
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.backoff_max = max(backoff_base, backoff_max)
        self._log = log
        self.max_answer_bytes = max_answer_bytes
        # While waiting, retries cut short by the deadline are a timeout (DeadlineReached); a
        # one-shot command's own bound is the service staying unusable (exit 3).
        self.deadline_is_timeout = True
        # A one-shot client's calls without a deadline get one: this many seconds from the call.
        self.own_deadline: float | None = None
        self._rng = random.Random()
        self._rng_lock = threading.Lock()
        self.calls = 0  # requests sent (for logs and benchmarks)

        session = requests.Session()
        # Always verified: certifi, REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE (read by requests), or
        # SSL_CERT_FILE/SSL_CERT_DIR (which requests ignores on its own).
        session.verify = ca_bundle()
        session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        # The token goes on each request through an auth object, not into session.headers, so
        # no repr of the session or its headers shows it (and ~/.netrc is never consulted).
        session.auth = _ApiKeyAuth(token)
        # Safe calls: no transport retries here; _safe_call owns them with the deadline.
        # Both adapters obey the thread's Watchdog (a wall-clock bound per request).
        safe = bounded_adapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        retry_cls = _retry_class()
        trigger_retry = retry_cls(
            total=TRIGGER_RETRIES,
            connect=TRIGGER_RETRIES,  # failed before the request was sent: nothing happened
            read=0,  # the request may have been acted on
            status=0,  # 429s are retried by trigger() itself, within the deadline
            other=0,
            redirect=0,
            allowed_methods=None,  # POST included, for connect errors only
            backoff_factor=BACKOFF_BASE,
            backoff_jitter=BACKOFF_BASE,
            raise_on_status=False,
            raise_on_redirect=False,
        )
        trigger = bounded_adapter(pool_connections=1, pool_maxsize=1, max_retries=trigger_retry)
        session.mount("http://", safe)
        session.mount("https://", safe)
        for endpoint in ("run-tests/", "run-suite/"):
            session.mount(self.base_url + endpoint, trigger)
        self.session: requests.Session = session

    @classmethod
    def for_waiting(
        cls,
        api: ApiSettings,
        poll_interval: float,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        log: Logger | None = None,
    ) -> ApiClient:
        """The client of ``run`` and ``wait``: retries back off on the scale of the poll
        interval, and a wait can afford :data:`MAX_ATTEMPTS` tries of a status call."""
        return cls(
            api.api_url,
            api.api_token,
            request_timeout=api.request_timeout,
            pool_size=pool_size,
            log=log,
            backoff_base=min(BACKOFF_BASE, poll_interval / 2),
            backoff_max=min(BACKOFF_MAX, max(1.0, poll_interval * 1.5)),
            max_attempts=MAX_ATTEMPTS,
        )

    @classmethod
    def one_shot(cls, api: ApiSettings, *, log: Logger | None = None) -> ApiClient:
        """The client of a one-shot command (status, stop, cancel-schedule): one connection,
        and it gives up after :data:`ONE_SHOT_ATTEMPTS` tries, a few seconds, or at the
        deadline its caller gives (then exit 3, not a timeout)."""
        client = cls(
            api.api_url,
            api.api_token,
            request_timeout=api.request_timeout,
            pool_size=1,
            log=log,
            max_attempts=ONE_SHOT_ATTEMPTS,
        )
        client.deadline_is_timeout = False
        # Every try (each cut at the request timeout) and the pauses between them end within
        # the request timeout plus ONE_SHOT_GRACE.
        client.own_deadline = api.request_timeout + ONE_SHOT_GRACE
        return client

    def __repr__(self) -> str:
        return f"ApiClient(base_url={self.base_url!r}, token='***')"

    def close(self) -> None:
        self.session.close()

    # -- helpers -----------------------------------------------------------------------------

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
        """The service's answer as it came, for --verbose (token, password and report-link
        keys hidden)."""
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
        self._debug(f"  answer: {text}")

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
                if dog.expired and not _before_send(exc):
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
            same = _origin(target) == _origin(url) and _origin(target) != "the API"
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
            reason = one_line(self._scrub(str(body.get("reason") or "no reason given")), 500)
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
            raise _RetryableAnswer("HTTP 429 (rate limited)", _retry_after(response))
        if body is not None and body.get("status") == "fail":
            # The documented refusal, whatever the HTTP status (even 5xx): the service handled
            # the request and said no, with a reason worth showing.
            raise self._refusal(endpoint, response, body)
        if status >= 500:
            raise _RetryableAnswer(f"HTTP {status}{_body_hint(response, body)}")
        if status >= 400:
            raise self._refusal(endpoint, response, body)
        if body is None or body.get("status") != "success":
            raise _RetryableAnswer(
                f"HTTP {status} with an answer that is not the documented JSON"
                f"{_body_hint(response, body)}"
            )
        return body

    def _sleep_for(self, attempt: int, hint: float | None) -> float:
        """Full-jitter exponential backoff; a Retry-After hint (capped) is a lower bound."""
        with self._rng_lock:
            backoff = self._rng.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))
        if hint is not None:
            return min(RETRY_AFTER_CAP, max(hint, backoff))
        return backoff

    def _tls_refused(self, what: str, exc: BaseException, tail: str = "") -> ServiceUnreachable:
        host = _origin(self.base_url)
        return ServiceUnreachable(
            self._scrub(
                f"{what}: could not verify the TLS certificate of {host} "
                f"({certificate_problem(exc)}){tail}; {CA_HINT}"
            )
        )

    def _safe_call(
        self,
        endpoint: str,
        payload: dict[str, Any],
        *,
        deadline: float | None,
        cancelled: threading.Event | None = None,
        label: str | None = None,
        redirects: int = 0,
    ) -> dict[str, Any]:
        """POST an endpoint that is safe to repeat; retry what is worth retrying.

        Gives up with :class:`ServiceUnreachable` naming the last error after ``max_attempts``
        tries, with :class:`DeadlineReached` when the next try could not start before
        ``deadline``, and at once on a refusal (4xx, ``status: fail``) or an unverifiable
        certificate. ``cancelled`` ends the retries early. ``redirects``: how many same-origin
        redirects to follow (0: a redirect is a final error).
        """
        import requests

        if deadline is None and self.own_deadline is not None:
            deadline = time.monotonic() + self.own_deadline
        what = label or endpoint
        started = time.monotonic()
        last_error = "no attempt made"
        attempts = 0
        by_deadline = False
        while attempts < self.max_attempts:
            hint: float | None = None
            timeout = self._timeout(deadline)
            attempts += 1
            handshake = False  # this attempt failed connecting: nothing of it was sent
            try:
                self.calls += 1
                url = self._url(endpoint)
                for hop in range(redirects + 1):
                    if self._log is not None:
                        self._debug(f"POST {_shown_url(url)} {json.dumps(payload)}")
                    unsent: BaseException | None = None
                    try:
                        response = self._post(url, payload, timeout)
                    except _Unsent as exc:  # safe to repeat anyway: judged by what failed
                        unsent = exc.cause
                    if unsent is not None:  # raised outside the handler: its chain unchanged
                        handshake = True
                        raise unsent
                    if response.status_code not in _REDIRECT_CODES:
                        break
                    url = self._redirect(what, response, url, follow=hop < redirects)
                else:
                    raise _Redirected(f"more than {redirects} redirects")
                if self._log is not None:
                    self._debug(
                        f"  -> HTTP {response.status_code} in "
                        f"{response.elapsed.total_seconds():.3f} s ({len(response.content)} bytes)"
                    )
                return self._classify(what, response)
            except _RetryableAnswer as exc:
                last_error, hint = str(exc), exc.retry_after
            except _Redirected as exc:
                raise ServiceRefused(
                    self._scrub(f"{what}: the service answered with a {exc}")
                ) from None
            except _CutOff as exc:
                last_error = f"{exc} (the connection was cut)"
                if exc.aborted:
                    break
            except AnswerTooLarge:
                raise ServiceUnreachable(
                    f"{what}: the answer is larger than {self.max_answer_bytes // 1024**2} MiB "
                    "(decoded); not read"
                ) from None
            except requests.exceptions.SSLError as exc:
                if is_certificate_error(exc):
                    raise self._tls_refused(what, exc) from None
                last_error = (
                    f"the TLS handshake failed ({_short(exc)}){_plain_http_hint(exc)}"
                    if handshake
                    else f"TLS error ({_short(exc)})"
                )
            except requests.exceptions.Timeout as exc:
                last_error = (
                    f"could not connect within {timeout[0]:g} s"
                    if isinstance(exc, requests.exceptions.ConnectTimeout)
                    else f"no answer within {timeout[1]:g} s"
                )
            except requests.exceptions.ConnectionError as exc:
                last_error = (
                    f"no answer within {timeout[1]:g} s"
                    if _read_timeout(exc)
                    else f"connection failed ({_short(exc)})"
                )
            except requests.exceptions.RequestException as exc:
                last_error = f"request failed ({_short(exc)})"
            except OSError as exc:  # e.g. REQUESTS_CA_BUNDLE names a file that does not exist
                raise ServiceUnreachable(self._scrub(f"{what}: {_short(exc)}")) from None
            if attempts >= self.max_attempts:
                break
            pause = self._sleep_for(attempts - 1, hint)
            if deadline is not None and time.monotonic() + pause >= deadline:
                by_deadline = True
                break
            self._debug(f"{what}: {last_error}; retrying in {pause:.1f} s")
            if cancelled is not None:
                if cancelled.wait(pause):
                    break
            else:
                time.sleep(pause)
        elapsed = time.monotonic() - started
        error = DeadlineReached if by_deadline and self.deadline_is_timeout else ServiceUnreachable
        why = " (the deadline comes first)" if by_deadline else ""
        raise error(
            self._scrub(
                f"{what}: no usable answer after {attempts} attempt(s) in {elapsed:.1f} s{why}; "
                f"last error: {last_error}"
            )
        )

    # -- endpoints ---------------------------------------------------------------------------

    def trigger(
        self,
        endpoint: str,
        body: dict[str, Any],
        *,
        deadline: float | None = None,
        cancelled: threading.Event | None = None,
    ) -> TriggerResult:
        """POST run-tests/ or run-suite/. Never repeated once it may have reached the service.

        A 429 (the service declined to act) is tried again up to :data:`TRIGGER_RETRIES`
        times, but never past ``deadline`` (a ``Retry-After`` that would pass it ends the
        command at once, nothing started); ``cancelled`` ends those waits too.
        """
        import requests

        uncertain = (
            f"{endpoint}: {{problem}}; the run may have started. Check the VibeTesting "
            "dashboard before trying again, or re-run with --stop-existing"
        )
        unsent = (
            f"{endpoint}: could not connect to {_origin(self.base_url)} ({{problem}}); "
            "nothing was started"
        )
        timeout = self._timeout(None)
        url = self._url(endpoint)
        for attempt in range(TRIGGER_RETRIES + 1):
            self._debug(f"POST {_shown_url(url)}")
            try:
                self.calls += 1
                response = self._post(url, body, timeout)
            except _Unsent as exc:
                # The connect failed (refused, no such host, TLS handshake) and no byte of the
                # request was written: nothing can have started (urllib3 already retried what
                # its connect retries cover).
                cause = exc.cause
                if is_certificate_error(cause):
                    raise self._tls_refused(endpoint, cause, "; nothing was started") from None
                if isinstance(cause, requests.exceptions.Timeout):  # a stalled TLS handshake
                    problem = f"no connection within {timeout[0]:g} s"  # is a "read" timeout
                elif isinstance(cause, requests.exceptions.SSLError):
                    problem = f"the TLS handshake failed: {_short(cause)}{_plain_http_hint(cause)}"
                else:
                    problem = _short(cause)
                raise ServiceUnreachable(self._scrub(unsent.format(problem=problem))) from None
            except _CutOff as exc:
                if exc.unsent:  # cut while connecting (the clock or a cancel): nothing sent
                    problem = (
                        "cancelled while connecting"
                        if exc.aborted
                        else f"no connection within {exc.seconds:g} s"
                    )
                    raise ServiceUnreachable(unsent.format(problem=problem)) from None
                problem = (
                    "cancelled while the service was answering"
                    if exc.aborted
                    else f"no answer within {exc.seconds:g} s (the connection was cut)"
                )
                raise TriggerUncertain(uncertain.format(problem=problem)) from None
            except AnswerTooLarge:
                raise TriggerUncertain(
                    uncertain.format(
                        problem=f"the answer is larger than "
                        f"{self.max_answer_bytes // 1024**2} MiB (decoded) and was not read"
                    )
                ) from None
            except requests.exceptions.SSLError as exc:
                if is_certificate_error(exc):  # the handshake failed: nothing was sent
                    raise self._tls_refused(endpoint, exc, "; nothing was started") from None
                raise TriggerUncertain(
                    self._scrub(uncertain.format(problem=f"TLS error ({_short(exc)})"))
                ) from None
            except requests.exceptions.ConnectTimeout:
                raise ServiceUnreachable(
                    unsent.format(problem=f"no connection within {timeout[0]:g} s")
                ) from None
            except requests.exceptions.ReadTimeout:
                raise TriggerUncertain(
                    uncertain.format(problem=f"no answer within {timeout[1]:g} s")
                ) from None
            except requests.exceptions.ConnectionError as exc:
                if _read_timeout(exc):
                    raise TriggerUncertain(
                        uncertain.format(problem=f"no answer within {timeout[1]:g} s")
                    ) from None
                if _before_send(exc):
                    raise ServiceUnreachable(
                        self._scrub(unsent.format(problem=_short(exc)))
                    ) from None
                raise TriggerUncertain(
                    self._scrub(uncertain.format(problem=f"the connection broke ({_short(exc)})"))
                ) from None
            except requests.exceptions.RequestException as exc:
                raise TriggerUncertain(
                    self._scrub(uncertain.format(problem=f"request failed ({_short(exc)})"))
                ) from None
            except OSError as exc:  # e.g. REQUESTS_CA_BUNDLE names a missing file: nothing sent
                raise ServiceUnreachable(
                    self._scrub(f"{endpoint}: {_short(exc)}; nothing was started")
                ) from None
            if response.status_code in _REDIRECT_CODES:
                # A redirect is an answer from the server we posted to, and a 302/303 after a
                # POST classically means "done, see over there": the run may have started.
                # Never replayed (the body holds the login password) to wherever it points.
                try:
                    self._redirect(endpoint, response, url, follow=False)
                except _Redirected as exc:
                    problem = f"the service answered with a {exc}"
                    raise TriggerUncertain(self._scrub(uncertain.format(problem=problem))) from None
            if response.status_code != 429:
                break
            hint = _retry_after(response)
            if attempt >= TRIGGER_RETRIES:
                raise ServiceUnreachable(
                    f"{endpoint}: still rate limited (HTTP 429) after {TRIGGER_RETRIES + 1} "
                    "tries; nothing was started"
                )
            pause = self._sleep_for(attempt, hint)  # Retry-After honoured, capped
            if deadline is not None and time.monotonic() + pause > deadline:
                asked = (
                    f"Retry-After {plain_number(hint)} s" if hint is not None else f"{pause:.1f} s"
                )
                raise ServiceUnreachable(
                    f"{endpoint}: rate limited (HTTP 429); waiting ({asked}) would pass the "
                    "--timeout deadline; nothing was started"
                )
            self._debug(f"{endpoint}: HTTP 429 (rate limited); retrying in {pause:.1f} s")
            if cancelled is not None:
                if cancelled.wait(pause):
                    raise ServiceUnreachable(
                        f"{endpoint}: cancelled while rate limited (HTTP 429); nothing was started"
                    )
            else:
                time.sleep(pause)
        try:
            answer = self._classify(endpoint, response)
        except _RetryableAnswer as exc:
            raise TriggerUncertain(self._scrub(uncertain.format(problem=str(exc)))) from None
        try:
            return _trigger_result(endpoint, answer, scheduled="schedule_at" in body)
        except TriggerUncertain:
            self._debug_answer(answer, body)
            raise

    def execution_status(
        self,
        execution_id: int,
        *,
        report_link: bool = True,
        deadline: float | None = None,
        cancelled: threading.Event | None = None,
    ) -> StatusAnswer:
        payload: dict[str, Any] = {"execution_id": execution_id}
        if report_link:
            payload["is_get_full_report_link"] = True
        body = self._safe_call(
            "execution-status",
            payload,
            deadline=deadline,
            cancelled=cancelled,
            label=f"execution-status (execution {execution_id})",
            redirects=READ_REDIRECTS,
        )
        status = ExecutionStatus.from_api(execution_id, body)
        if status.warnings or status.unreadable:
            self._debug_answer(body)
        if status.report_url and "://" not in status.report_url:
            # A link relative to the API (not what the vendor shows, but harmless to accept).
            from dataclasses import replace
            from urllib.parse import urljoin

            status = replace(status, report_url=urljoin(self.base_url, status.report_url))
        if status.report_url and http_url(status.report_url) is None:
            # Outputs, dotenv, the summary and the download only ever see a plain http(s) link.
            from dataclasses import replace

            status = replace(
                status,
                report_url="",
                warnings=(*status.warnings, "full_report_link is not a plain http(s) URL; ignored"),
            )
        return StatusAnswer(status, body)

    def stop_execution(self, execution_id: int, *, deadline: float | None = None) -> str:
        body = self._safe_call(
            "stop-execution",
            {"execution_id": execution_id},
            deadline=deadline,
            label=f"stop-execution (execution {execution_id})",
        )
        return str(body.get("message") or "Execution stopped")

    def cancel_schedule(
        self, schedule_id: str, *, deadline: float | None = None
    ) -> tuple[int | None, str]:
        body = self._safe_call(
            "stop-execution",
            {"schedule_id": schedule_id, "cancel_scheduled": True},
            deadline=deadline,
            label=f"stop-execution (schedule {schedule_id})",
        )
        count = body.get("canceled_execution_count")
        return (
            count if isinstance(count, int) and not isinstance(count, bool) else None,
            str(body.get("message") or "Schedule cancelled"),
        )


def _positive_id(item: Any) -> bool:
    return isinstance(item, int) and not isinstance(item, bool) and item > 0


SCHEDULE_ID_LIMIT = 200


def _plain_id(text: str) -> bool:
    """An id as the service's own (a UUID): no whitespace, nothing :func:`one_line` escapes."""
    return 0 < len(text) <= SCHEDULE_ID_LIMIT and " " not in text and one_line(text) == text


def _trigger_result(endpoint: str, answer: dict[str, Any], *, scheduled: bool) -> TriggerResult:
    """The trigger's answer, checked: every execution id a positive integer, and a schedule id
    exactly when the user asked for a schedule (``scheduled``). An answer that fails a check
    is unusable: :class:`TriggerUncertain` (the run may have started; never retried). A
    ``schedule_id`` nobody asked for is kept as a warning (``TriggerResult.unasked_schedule``)
    and the executions are awaited."""
    raw_ids = answer.get("execution_ids")

    def unusable(problem: str) -> TriggerUncertain:
        return TriggerUncertain(
            one_line(
                f"{endpoint}: the service's answer is unusable ({problem}); the run may have "
                "started. Check the VibeTesting dashboard before trying again, or re-run with "
                "--stop-existing",
                600,
            )
        )

    if "execution_ids" not in answer:
        raise unusable("no execution_ids")
    if not isinstance(raw_ids, list):
        raise unusable(f"execution_ids held {held_text(raw_ids)}, not a list")
    bad = [item for item in raw_ids if not _positive_id(item)]
    if bad:
        listed = ", ".join(held_text(item) for item in bad[:5]) + (" ..." if len(bad) > 5 else "")
        raise unusable(f"execution_ids held {listed}, not positive whole numbers")
    schedule = answer.get("schedule_id")
    has_schedule = schedule not in (None, "")
    if not raw_ids and not scheduled:
        raise unusable("execution_ids is empty")
    if has_schedule and not isinstance(schedule, str | int):
        raise unusable(f"schedule_id held {held_text(schedule)}, not an id")
    if scheduled and has_schedule and not _plain_id(str(schedule)):
        # It is printed, passed to cancel-schedule and written to every output: an id, not text.
        raise unusable(
            f"schedule_id held {held_text(schedule)}, not an id (no spaces or control "
            f"characters, at most {SCHEDULE_ID_LIMIT} characters)"
        )
    if scheduled and not has_schedule:
        raise unusable(
            "a scheduled run was asked for (schedule_at) but the answer has no schedule_id"
        )
    message = answer.get("message")
    return TriggerResult(
        execution_ids=tuple(raw_ids),
        schedule_id=str(schedule) if has_schedule and scheduled else None,
        message=one_line(str(message)) if message else None,
        unasked_schedule=str(schedule) if has_schedule and not scheduled else None,
    )


def _retry_after(response: requests.Response) -> float | None:
    return _parse_retry_after(response.headers.get("Retry-After"))


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` value asks for (a number, fractions allowed, or an HTTP date),
    not capped; None when absent or unreadable. Both retry paths (ours and urllib3's) use it."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


def _body_hint(response: requests.Response, body: dict[str, Any] | None) -> str:
    if body is not None:
        return ""
    kind = response.headers.get("Content-Type", "").split(";")[0].strip()
    return f" ({kind or 'no content type'}, {len(response.content)} bytes)"


def _short(exc: BaseException) -> str:
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


def _shown_url(url: str) -> str:
    """A URL for a log line: any password in it (user:pass@) shown as ***."""
    from vibetesting_ci.safety.redact import redact_url

    return redact_url(url)


def _origin(url: str) -> str:
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


def _plain_http_hint(exc: BaseException) -> str:
    """A hint when a TLS error looks like a server that does not speak TLS at all (OpenSSL's
    "wrong version number" and kin: an https:// --api-url to a plain-http port)."""
    text = " ".join(str(item) for item in exception_chain(exc)).lower()
    if any(
        sign in text
        for sign in ("wrong version number", "record layer failure", "packet length too long")
    ):
        return "; is it a plain http:// server? check --api-url"
    return ""


def _read_timeout(exc: BaseException) -> bool:
    """True if a (urllib3-wrapped) error is a read timeout: the request had been sent."""
    from urllib3.exceptions import ReadTimeoutError

    return any(isinstance(item, ReadTimeoutError) for item in exception_chain(exc))


def _before_send(exc: BaseException) -> bool:
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
