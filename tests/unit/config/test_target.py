"""config/target.py: the fixed sentence, where it goes, and which URLs are taken."""

from __future__ import annotations

import pytest

from vibetesting_ci.config.target import (
    MAX_URL_CHARS,
    TARGET_SENTENCE,
    target_sentence,
    validate_target_url,
    with_target,
)
from vibetesting_ci.errors import ExitCode, InputError

WHERE = "--target-url"


def test_the_sentence_word_for_word() -> None:
    # What every run sends: a change here is a documented change of behaviour.
    assert TARGET_SENTENCE == "Test the application at {url}."
    assert target_sentence("https://pr-12.preview.example.com/") == (
        "Test the application at https://pr-12.preview.example.com/."
    )


@pytest.mark.parametrize(
    ("url", "instructions", "expected"),
    [
        (None, None, None),
        (None, "Be gentle.", "Be gentle."),
        ("https://a.example", None, "Test the application at https://a.example."),
        ("https://a.example", "  ", "Test the application at https://a.example."),
        (
            "https://a.example",
            "Be gentle.\nSkip the blog.",
            "Test the application at https://a.example.\n\nBe gentle.\nSkip the blog.",
        ),
    ],
)
def test_with_target_goes_before_the_instructions(
    url: str | None, instructions: str | None, expected: str | None
) -> None:
    assert with_target(url, instructions) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://pr-12.preview.example.com",
        "http://localhost:3000/app",
        "HTTPS://Example.COM/",
        "https://[::1]:8443/x",
        "https://example.com/path?branch=feat&x=1#top",
        "https://user:pass@example.com/",
        "  https://example.com/  ",
    ],
)
def test_valid_urls(url: str) -> None:
    assert validate_target_url(url, WHERE) == url.strip()


SCHEME = "expected an http:// or https:// URL"
NO_HOST = "the URL names no host"
BAD = "not a valid URL (check the host and port)"
SPACES = "must not contain spaces or control characters"


@pytest.mark.parametrize(
    ("url", "problem", "shown"),
    [
        ("ftp://example.com", SCHEME, "'ftp://example.com'"),
        ("example.com", SCHEME, "'example.com'"),
        ("javascript:alert(1)", SCHEME, "'javascript:alert(1)'"),
        ("file:///etc/passwd", SCHEME, "'file:///etc/passwd'"),
        ("https://", NO_HOST, "'https://'"),
        ("https:///path", NO_HOST, "'https:///path'"),
        ("https://example.com:99999/", BAD, "'https://example.com:99999/'"),
        ("https://example.com:port/", BAD, "'https://example.com:port/'"),
        ("https://exa mple.com/", SPACES, "'https://exa mple.com/'"),
        ("https://example.com/\x1b[31m", SPACES, "'https://example.com/\\\\x1b[31m'"),
        ("https://example.com/a\nb", SPACES, "'https://example.com/a b'"),
    ],
)
def test_invalid_urls(url: str, problem: str, shown: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_target_url(url, WHERE)
    assert str(caught.value) == f"--target-url: {problem}: {shown}"
    assert caught.value.exit_code == ExitCode.USAGE


@pytest.mark.parametrize("url", ["", "   "])
def test_empty(url: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_target_url(url, WHERE)
    assert str(caught.value) == "--target-url: is empty (expected an http(s) URL)"


def test_too_long() -> None:
    with pytest.raises(InputError, match=f"longer than {MAX_URL_CHARS} characters$"):
        validate_target_url("https://example.com/" + "a" * MAX_URL_CHARS, "tests.yml:2: target_url")


def test_errors_quote_the_shown_form_and_mask_a_password() -> None:
    with pytest.raises(InputError) as caught:
        validate_target_url("ftp://ci:hunter22@example.com", WHERE, shown="ftp://ci:${PW}@x")
    assert (
        str(caught.value) == "--target-url: expected an http:// or https:// URL: 'ftp://ci:***@x'"
    )
    with pytest.raises(InputError) as caught:
        validate_target_url("ftp://ci:hunter22@example.com", WHERE)
    assert "hunter22" not in str(caught.value)
