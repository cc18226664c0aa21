"""URL redaction: credentials and signing parameters out of every link we show."""

from __future__ import annotations

import pytest

from vibetesting_ci.safety.redact import redact_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/r.pdf", "https://h/r.pdf"),
        ("https://h/r.pdf?api-key=abc", "https://h/r.pdf?api-key=***"),
        ("https://h/r.pdf?a=1&API_KEY=abc&b=2", "https://h/r.pdf?a=1&API_KEY=***&b=2"),
        ("https://h/r.pdf?token=abc&token=def", "https://h/r.pdf?token=***&token=***"),
        ("https://h/r.pdf?api%2Dkey=abc", "https://h/r.pdf?api%2Dkey=***"),
        ("https://h/r.pdf?tokens=abc&x=%20y", "https://h/r.pdf?tokens=abc&x=%20y"),
        ("https://user:pw@h/r.pdf", "https://user:***@h/r.pdf"),
        ("https://h/cb#access_token=abc&x=1", "https://h/cb#access_token=***&x=1"),
        ("", ""),
        ("not a url", "not a url"),
        ("http://[::1/broken?token=x", "http://[::1/broken?token=x"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected
