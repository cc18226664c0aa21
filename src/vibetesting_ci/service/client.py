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
  :class:`TriggerUncertain` ends the command (exit 3) without a second attempt
  (``service/trigger.py``).

The policy (backoff, caps, attempts) is ``service/retry.py``'s; one request (the POST, its
bound, redirects, judging the answer) is ``service/http.py``'s.

Every request has a wall-clock bound (``transport.Watchdog``): the request timeout, or what is
left before the caller's deadline. When it passes, the connection is shut down, so a server
that drips its status line, headers or body a byte at a time cannot hold a call. Answers are
read with a cap on their decoded size (:data:`MAX_ANSWER_BYTES`). Redirects: triggers and stops
follow none (a redirect is an error naming where it pointed); status reads follow at most
:data:`READ_REDIRECTS`, to the same scheme, host and port only.

TLS verification is always on; the CA bundle comes from the environment (``service/transport.py``),
and so do proxies (requests' ``trust_env``).

A status answer's report link is the key to its report: the values of its query (a signature,
a credential) are registered with the scrubber as the answer is read, before anything of it is
shown (``safety/redact.py``); only the download (``service/download.py``) uses the link whole.

Errors carry their exit code (``errors.py``); no message ever contains the token.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vibetesting_ci import __version__
from vibetesting_ci.domain.models import ExecutionStatus, TriggerResult
from vibetesting_ci.errors import (
    AnswerTooLarge,
    DeadlineReached,
    ServiceRefused,
    ServiceUnreachable,
)
from vibetesting_ci.safety.redact import link_keys
from vibetesting_ci.safety.scrub import register
from vibetesting_ci.safety.text import http_url
from vibetesting_ci.service import trigger as trigger_call
from vibetesting_ci.service.http import (
    MAX_ANSWER_BYTES,
    READ_REDIRECTS,
    REDIRECT_CODES,
    ApiKeyAuth,
    Hidden,
    HttpClient,
    Logger,
    _CutOff,
    _Redirected,
    _Unsent,
    plain_http_hint,
    read_timeout,
    short,
    shown_url,
)
from vibetesting_ci.service.retry import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    MAX_ATTEMPTS,
    ONE_SHOT_ATTEMPTS,
    ONE_SHOT_GRACE,
    TRIGGER_RETRIES,
    _RetryableAnswer,
    retry_class,
)
from vibetesting_ci.service.transport import bounded_adapter, ca_bundle, is_certificate_error
from vibetesting_ci.vocabulary import Endpoint

if TYPE_CHECKING:  # pragma: no cover
    import requests

    from vibetesting_ci.config.settings import ApiSettings

USER_AGENT = f"vibetesting-ci/{__version__} (+https://github.com/vibetesting/vibetesting-ci)"

# Connections kept per host: enough for the waiter's concurrent status calls.
DEFAULT_POOL_SIZE = 16


@dataclass(frozen=True)
class StatusAnswer:
    """A parsed status plus the service's answer as it came (for ``status --json``)."""

    status: ExecutionStatus
    raw: dict[str, Any]


class ApiClient(HttpClient):
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
        self._token = Hidden(token)
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
        session.auth = ApiKeyAuth(token)
        # Safe calls: no transport retries here; _safe_call owns them with the deadline.
        # Both adapters obey the thread's Watchdog (a wall-clock bound per request).
        safe = bounded_adapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        retry_cls = retry_class()
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
        for endpoint in (Endpoint.RUN_TESTS, Endpoint.RUN_SUITE):
            session.mount(f"{self.base_url}{endpoint}/", trigger)
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

    # -- calls -------------------------------------------------------------------------------

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
                        self._debug(f"POST {shown_url(url)} {json.dumps(payload)}")
                    unsent: BaseException | None = None
                    try:
                        response = self._post(url, payload, timeout)
                    except _Unsent as exc:  # safe to repeat anyway: judged by what failed
                        unsent = exc.cause
                    if unsent is not None:  # raised outside the handler: its chain unchanged
                        handshake = True
                        raise unsent
                    if response.status_code not in REDIRECT_CODES:
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
                    f"the TLS handshake failed ({short(exc)}){plain_http_hint(exc)}"
                    if handshake
                    else f"TLS error ({short(exc)})"
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
                    if read_timeout(exc)
                    else f"connection failed ({short(exc)})"
                )
            except requests.exceptions.RequestException as exc:
                last_error = f"request failed ({short(exc)})"
            except OSError as exc:  # e.g. REQUESTS_CA_BUNDLE names a file that does not exist
                raise ServiceUnreachable(self._scrub(f"{what}: {short(exc)}")) from None
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

    def trigger(
        self,
        endpoint: str,
        body: dict[str, Any],
        *,
        deadline: float | None = None,
        cancelled: threading.Event | None = None,
    ) -> TriggerResult:
        """POST run-tests/ or run-suite/ (``service/trigger.py``: never repeated once it may have
        reached the service)."""
        return trigger_call.trigger(self, endpoint, body, deadline=deadline, cancelled=cancelled)

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
            Endpoint.EXECUTION_STATUS,
            payload,
            deadline=deadline,
            cancelled=cancelled,
            label=f"{Endpoint.EXECUTION_STATUS} (execution {execution_id})",
            redirects=READ_REDIRECTS,
        )
        link = body.get("full_report_link")
        if isinstance(link, str):
            # The link's keys (its query values: a signature, a credential) are secrets from
            # now on, before any text of this answer is read: a service that echoes its link
            # (in the detailed status, say) is scrubbed in every output too.
            register(*link_keys(link))
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
            Endpoint.STOP_EXECUTION,
            {"execution_id": execution_id},
            deadline=deadline,
            label=f"{Endpoint.STOP_EXECUTION} (execution {execution_id})",
        )
        return str(body.get("message") or "Execution stopped")

    def cancel_schedule(
        self, schedule_id: str, *, deadline: float | None = None
    ) -> tuple[int | None, str]:
        body = self._safe_call(
            Endpoint.STOP_EXECUTION,
            {"schedule_id": schedule_id, "cancel_scheduled": True},
            deadline=deadline,
            label=f"{Endpoint.STOP_EXECUTION} (schedule {schedule_id})",
        )
        count = body.get("canceled_execution_count")
        return (
            count if isinstance(count, int) and not isinstance(count, bool) else None,
            str(body.get("message") or "Schedule cancelled"),
        )
