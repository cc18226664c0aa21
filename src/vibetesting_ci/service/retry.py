"""The one retry policy of the service's calls: which answers are worth another try, how long to
wait between tries (full-jitter exponential backoff, a ``Retry-After`` honoured but capped), and
how many tries each kind of call gets.

* Safe calls (``execution-status``, ``stop-execution``) are retried by
  :meth:`~vibetesting_ci.service.client.ApiClient._safe_call` within the caller's deadline.
* The trigger (``run-tests``, ``run-suite``) is retried only where the service certainly did not
  act: a 429 (``service/trigger.py``), or a connection that failed before the request was sent
  (urllib3's ``Retry(connect=..., read=0)``, :func:`retry_class`).
* The pull request comment's forge client reads ``Retry-After`` with :func:`parse_retry_after`
  too (``service/forge.py``).
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import requests
    from urllib3.util.retry import Retry

RETRY_AFTER_CAP = 30.0
BACKOFF_BASE = 0.5
BACKOFF_MAX = 15.0
MAX_ATTEMPTS = 10  # safe calls while waiting: a failure that persists this many tries ends it
ONE_SHOT_ATTEMPTS = 5  # status / stop / cancel-schedule: about 4 s of retries (0.5 s base)
ONE_SHOT_GRACE = 3.0  # ... and all of them within the request timeout plus this (the stop budget)
TRIGGER_RETRIES = 3


def retry_class() -> type[Retry]:
    from urllib3.util.retry import Retry

    class CappedRetry(Retry):
        """urllib3 Retry whose Retry-After wait is capped (a CI job must not sleep for hours)
        and whose parsing forgives odd values (``0.5``, garbage): a 429 says the service did
        not act, so an unreadable hint must not turn it into an error."""

        def parse_retry_after(self, retry_after: str) -> float:
            seconds = parse_retry_after(retry_after)
            return 0.0 if seconds is None else min(RETRY_AFTER_CAP, seconds)

    return CappedRetry


class _RetryableAnswer(Exception):
    """An answer worth another try (5xx, 429, garbage); carries a Retry-After hint."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after(response: requests.Response) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"))


def parse_retry_after(value: str | None) -> float | None:
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


def backoff(rng: random.Random, attempt: int, base: float, cap: float, hint: float | None) -> float:
    """Seconds before try ``attempt + 1``: full-jitter exponential backoff (a random pause up
    to ``base * 2**attempt``, at most ``cap``); a Retry-After ``hint`` (capped at
    :data:`RETRY_AFTER_CAP`) is a lower bound."""
    pause = rng.uniform(0, min(cap, base * 2**attempt))
    if hint is not None:
        return min(RETRY_AFTER_CAP, max(hint, pause))
    return pause
