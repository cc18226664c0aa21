"""The trigger (``run-tests``, ``run-suite``): the one call that starts a billed run, and the
translation of everything that can go wrong with it. **Never repeated once it may have reached
the service**: after a read timeout, a dropped connection, a 5xx, a redirect or an answer cut off
at its wall-clock bound the run may have started, so :class:`TriggerUncertain` ends the command
(exit 3) without a second attempt. It is retried only where the service certainly did not act: a
429 (here, with ``Retry-After`` bounded by the run's deadline), or a connection that failed
before the request was sent (urllib3's connect retries, ``service/retry.py``). Its answer is
checked (:func:`trigger_result`) before any execution is awaited.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from vibetesting_ci.config.kinds import plain_number
from vibetesting_ci.domain.models import TriggerResult, held_text
from vibetesting_ci.errors import AnswerTooLarge, ServiceUnreachable, TriggerUncertain
from vibetesting_ci.safety.text import one_line
from vibetesting_ci.service.http import (
    REDIRECT_CODES,
    HttpClient,
    _CutOff,
    _Redirected,
    _Unsent,
    before_send,
    origin,
    plain_http_hint,
    read_timeout,
    short,
    shown_url,
)
from vibetesting_ci.service.retry import TRIGGER_RETRIES, _RetryableAnswer, retry_after
from vibetesting_ci.service.transport import is_certificate_error


def trigger(
    client: HttpClient,
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
        f"{endpoint}: could not connect to {origin(client.base_url)} ({{problem}}); "
        "nothing was started"
    )
    timeout = client._timeout(None)
    url = client._url(endpoint)
    for attempt in range(TRIGGER_RETRIES + 1):
        client._debug(f"POST {shown_url(url)}")
        try:
            client.calls += 1
            response = client._post(url, body, timeout)
        except _Unsent as exc:
            # The connect failed (refused, no such host, TLS handshake) and no byte of the
            # request was written: nothing can have started (urllib3 already retried what
            # its connect retries cover).
            cause = exc.cause
            if is_certificate_error(cause):
                raise client._tls_refused(endpoint, cause, "; nothing was started") from None
            if isinstance(cause, requests.exceptions.Timeout):  # a stalled TLS handshake
                problem = f"no connection within {timeout[0]:g} s"  # is a "read" timeout
            elif isinstance(cause, requests.exceptions.SSLError):
                problem = f"the TLS handshake failed: {short(cause)}{plain_http_hint(cause)}"
            else:
                problem = short(cause)
            raise ServiceUnreachable(client._scrub(unsent.format(problem=problem))) from None
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
                    f"{client.max_answer_bytes // 1024**2} MiB (decoded) and was not read"
                )
            ) from None
        except requests.exceptions.SSLError as exc:
            if is_certificate_error(exc):  # the handshake failed: nothing was sent
                raise client._tls_refused(endpoint, exc, "; nothing was started") from None
            raise TriggerUncertain(
                client._scrub(uncertain.format(problem=f"TLS error ({short(exc)})"))
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
            if read_timeout(exc):
                raise TriggerUncertain(
                    uncertain.format(problem=f"no answer within {timeout[1]:g} s")
                ) from None
            if before_send(exc):
                raise ServiceUnreachable(client._scrub(unsent.format(problem=short(exc)))) from None
            raise TriggerUncertain(
                client._scrub(uncertain.format(problem=f"the connection broke ({short(exc)})"))
            ) from None
        except requests.exceptions.RequestException as exc:
            raise TriggerUncertain(
                client._scrub(uncertain.format(problem=f"request failed ({short(exc)})"))
            ) from None
        except OSError as exc:  # e.g. REQUESTS_CA_BUNDLE names a missing file: nothing sent
            raise ServiceUnreachable(
                client._scrub(f"{endpoint}: {short(exc)}; nothing was started")
            ) from None
        if response.status_code in REDIRECT_CODES:
            # A redirect is an answer from the server we posted to, and a 302/303 after a
            # POST classically means "done, see over there": the run may have started.
            # Never replayed (the body holds the login password) to wherever it points.
            try:
                client._redirect(endpoint, response, url, follow=False)
            except _Redirected as exc:
                problem = f"the service answered with a {exc}"
                raise TriggerUncertain(client._scrub(uncertain.format(problem=problem))) from None
        if response.status_code != 429:
            break
        hint = retry_after(response)
        if attempt >= TRIGGER_RETRIES:
            raise ServiceUnreachable(
                f"{endpoint}: still rate limited (HTTP 429) after {TRIGGER_RETRIES + 1} "
                "tries; nothing was started"
            )
        pause = client._sleep_for(attempt, hint)  # Retry-After honoured, capped
        if deadline is not None and time.monotonic() + pause > deadline:
            asked = f"Retry-After {plain_number(hint)} s" if hint is not None else f"{pause:.1f} s"
            raise ServiceUnreachable(
                f"{endpoint}: rate limited (HTTP 429); waiting ({asked}) would pass the "
                "--timeout deadline; nothing was started"
            )
        client._debug(f"{endpoint}: HTTP 429 (rate limited); retrying in {pause:.1f} s")
        if cancelled is not None:
            if cancelled.wait(pause):
                raise ServiceUnreachable(
                    f"{endpoint}: cancelled while rate limited (HTTP 429); nothing was started"
                )
        else:
            time.sleep(pause)
    try:
        answer = client._classify(endpoint, response)
    except _RetryableAnswer as exc:
        raise TriggerUncertain(client._scrub(uncertain.format(problem=str(exc)))) from None
    try:
        return trigger_result(endpoint, answer, scheduled="schedule_at" in body)
    except TriggerUncertain:
        client._debug_answer(answer, body)
        raise


def _positive_id(item: Any) -> bool:
    return isinstance(item, int) and not isinstance(item, bool) and item > 0


SCHEDULE_ID_LIMIT = 200


def _plain_id(text: str) -> bool:
    """An id as the service's own (a UUID): no whitespace, nothing :func:`one_line` escapes."""
    return 0 < len(text) <= SCHEDULE_ID_LIMIT and " " not in text and one_line(text) == text


def trigger_result(endpoint: str, answer: dict[str, Any], *, scheduled: bool) -> TriggerResult:
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
