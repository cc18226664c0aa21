"""The retry policy's pure parts: Retry-After is capped."""

from __future__ import annotations

from vibetesting_ci.service.client import ApiClient
from vibetesting_ci.service.retry import RETRY_AFTER_CAP, retry_class


def test_retry_after_is_capped():
    retry = retry_class()(total=1)
    assert retry.parse_retry_after("3600") == RETRY_AFTER_CAP
    assert retry.parse_retry_after("0.25") == 0.25
    assert retry.parse_retry_after("Wed, 21 Oct 2099 07:28:00 GMT") == RETRY_AFTER_CAP
    assert retry.parse_retry_after("soon") == 0.0
    client = ApiClient("http://127.0.0.1:9/api/external/", "t" * 20)
    assert client._sleep_for(0, 3600.0) == RETRY_AFTER_CAP
    assert 2.0 <= client._sleep_for(0, 2.0) <= RETRY_AFTER_CAP
    # Backoff grows with the attempt but never past its cap (full jitter: 0..cap).
    assert all(0 <= client._sleep_for(n, None) <= client.backoff_max for n in range(20))
