"""URL redaction: every query and fragment value, and a password, out of every link we show;
the values that may be keys handed to the scrubber (``link_keys``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.properties import examples
from vibetesting_ci.safety import scrub
from vibetesting_ci.safety.redact import (
    link_keys,
    redact_credentials,
    redact_url,
)

# Signed links as services hand them out: no list of names could tell which value is the key.
SIGNED = {
    "emulator": (
        "http://127.0.0.1:40445/reports/1001.pdf?sig=pyaTHKGMeGu4KuiV",
        "http://127.0.0.1:40445/reports/1001.pdf?sig=***",
    ),
    "S3 SigV4": (
        "https://bucket.s3.eu-west-1.amazonaws.com/reports/1002.pdf"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261203%2Feu-west-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20261203T100000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
        "&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLETOKEN%2B%2F%3D"
        "&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
        "https://bucket.s3.eu-west-1.amazonaws.com/reports/1002.pdf"
        "?X-Amz-Algorithm=***&X-Amz-Credential=***&X-Amz-Date=***&X-Amz-Expires=***"
        "&X-Amz-SignedHeaders=***&X-Amz-Security-Token=***&X-Amz-Signature=***",
    ),
    "GCS V4": (
        "https://storage.googleapis.com/b/r.pdf?X-Goog-Algorithm=GOOG4-RSA-SHA256"
        "&X-Goog-Credential=svc%40p.iam.gserviceaccount.com%2F20261203%2Fauto%2Fstorage"
        "&X-Goog-Signature=2d2a6f5055eb004b8690b9479883292ae7450cdc15f17d7f99bc49b916f9e7429",
        "https://storage.googleapis.com/b/r.pdf?X-Goog-Algorithm=***&X-Goog-Credential=***"
        "&X-Goog-Signature=***",
    ),
    "Azure SAS": (
        "https://acct.blob.core.windows.net/c/r.pdf?sv=2022-11-02&ss=b&srt=o&sp=r"
        "&se=2026-12-04T10:00:00Z&spr=https&sig=Qm9ndXNTaWduYXR1cmUrQmFzZTY0JTNE%3D",
        "https://acct.blob.core.windows.net/c/r.pdf?sv=***&ss=***&srt=***&sp=***&se=***"
        "&spr=***&sig=***",
    ),
    "CloudFront": (
        "https://d111111abcdef8.cloudfront.net/r.pdf?Expires=1796292000"
        "&Signature=nitfHRCrtziwO2HwPfWw~yYDhUF5EwRunQA-j19DzZrvDh6hQ73lDx~-ar3UocvvRQVw6EkC~GdpG"
        "&Key-Pair-Id=K2JCJMDEHXQW5F",
        "https://d111111abcdef8.cloudfront.net/r.pdf?Expires=***&Signature=***&Key-Pair-Id=***",
    ),
    "plain token": ("https://r.example/r.pdf?token=abc123", "https://r.example/r.pdf?token=***"),
    "key": ("https://r.example/r.pdf?key=k-9f8e7d", "https://r.example/r.pdf?key=***"),
    "code": ("https://r.example/dl?code=Zx81&id=1002", "https://r.example/dl?code=***&id=***"),
}


@pytest.mark.parametrize(("url", "expected"), SIGNED.values(), ids=list(SIGNED))
def test_every_signing_scheme_loses_every_value(url: str, expected: str) -> None:
    assert redact_url(url) == expected
    assert redact_url(url) != url  # the link no longer works as shown


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # Nothing to hide: the link comes back as it is (and still works when clicked).
        ("https://h/r.pdf", "https://h/r.pdf"),
        ("https://h/a%20b/r.pdf", "https://h/a%20b/r.pdf"),
        # Names in any case, encoded or not, are kept byte for byte; their values are not.
        ("https://h/r.pdf?API_KEY=abc", "https://h/r.pdf?API_KEY=***"),
        ("https://h/r.pdf?api%2Dkey=abc", "https://h/r.pdf?api%2Dkey=***"),
        ("https://h/r.pdf?X%2DAmz%2DSignature=f00d", "https://h/r.pdf?X%2DAmz%2DSignature=***"),
        ("https://h/r.pdf?a=1&API_KEY=abc&b=2", "https://h/r.pdf?a=***&API_KEY=***&b=***"),
        ("https://h/r.pdf?tokens=abc&x=%20y", "https://h/r.pdf?tokens=***&x=***"),
        # Repeated parameters, a value holding '=', empty values and empty items.
        ("https://h/r.pdf?token=abc&token=def", "https://h/r.pdf?token=***&token=***"),
        ("https://h/r.pdf?p=a=b==", "https://h/r.pdf?p=***"),
        ("https://h/r.pdf?a=&b=2", "https://h/r.pdf?a=&b=***"),
        ("https://h/r.pdf?a=1&&b=2&", "https://h/r.pdf?a=***&&b=***&"),
        ("https://h/r.pdf?", "https://h/r.pdf?"),
        # An item without '=' is all value (a bare key); ';' does not separate items here.
        ("https://h/r.pdf?c2lnbmF0dXJl", "https://h/r.pdf?***"),
        ("https://h/r.pdf?a=1;sig=abc", "https://h/r.pdf?a=***"),
        # Fragments: the same for their values; a '?' in a fragment is the fragment's.
        ("https://h/cb#access_token=abc&x=1", "https://h/cb#access_token=***&x=***"),
        ("https://h/r.pdf#s3cr3t-key", "https://h/r.pdf#***"),
        ("https://h/r.pdf?sig=a#page=2", "https://h/r.pdf?sig=***#page=***"),
        ("https://h/r.pdf#k=v?sig=x", "https://h/r.pdf#k=***"),
        ("https://h/r.pdf#", "https://h/r.pdf#"),
        # User info: the password hidden, the user kept (as before).
        ("https://user:pw@h/r.pdf", "https://user:***@h/r.pdf"),
        ("https://user:p%40ss@h/r.pdf?s=1", "https://user:***@h/r.pdf?s=***"),
        ("https://user@h/r.pdf", "https://user@h/r.pdf"),
        ("https://h/a@b/r.pdf", "https://h/a@b/r.pdf"),  # an @ in the path is no user info
        # Text that urlsplit refuses, or that is no URL at all: values hidden all the same.
        ("http://[::1/broken?token=x", "http://[::1/broken?token=***"),
        ("http://h:99999/r.pdf?sig=abc", "http://h:99999/r.pdf?sig=***"),
        ("not a url", "not a url"),
        ("", ""),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_the_api_url_keeps_its_path_and_loses_its_query() -> None:
    """The same policy for the API's base URL in error and --verbose lines."""
    url = "https://qa:pw-1@app.vibetesting.me/api/external/?tenant=acme"
    assert redact_url(url) == "https://qa:***@app.vibetesting.me/api/external/?tenant=***"


NO_QUERY_END = st.characters(blacklist_characters="?#", codec="utf-8")


@settings(max_examples=examples(200))
@given(
    path=st.text(NO_QUERY_END, max_size=30),
    values=st.lists(st.text(st.characters(blacklist_characters="&#", codec="utf-8")), max_size=5),
    fragment=st.none() | st.text(st.characters(codec="utf-8"), max_size=20),
)
def test_no_value_survives_and_the_path_is_kept(
    path: str, values: list[str], fragment: str | None
) -> None:
    query = "&".join(f"n{i}={v}" for i, v in enumerate(values))
    url = f"https://h/{path}?{query}" + ("" if fragment is None else f"#{fragment}")
    shown = redact_url(url)
    assert shown.startswith(f"https://h/{path}?")  # the path byte for byte
    shown_query, hash_mark, shown_fragment = shown.partition("?")[2].partition("#")
    if values:
        expected = [f"n{i}=***" if v else f"n{i}=" for i, v in enumerate(values)]
        assert shown_query.split("&") == expected
    assert hash_mark == ("" if fragment is None else "#")
    for item in shown_fragment.split("&"):
        _name, sep, value = item.partition("=")
        assert value in ("", "***") if sep else item in ("", "***")
    assert redact_url(shown) == shown  # redacting twice changes nothing


# ---------------------------------------------------------------- the target URL


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # A URL the user wrote (the target URL) keeps what people read; credentials go.
        ("https://shop.example/shop?lang=en#top", "https://shop.example/shop?lang=en#top"),
        ("https://h/r?api-key=abc", "https://h/r?api-key=***"),
        ("https://h/r?a=1&API_KEY=abc&b=2", "https://h/r?a=1&API_KEY=***&b=2"),
        ("https://h/r?token=abc&token=def", "https://h/r?token=***&token=***"),
        ("https://h/r?api%2Dkey=abc", "https://h/r?api%2Dkey=***"),
        ("https://h/r?tokens=abc&x=%20y", "https://h/r?tokens=abc&x=%20y"),
        ("https://ci:pw@h/r", "https://ci:***@h/r"),
        ("https://h/cb#access_token=abc&x=1", "https://h/cb#access_token=***&x=1"),
        ("http://[::1/broken?token=x", "http://[::1/broken?token=***"),
        ("http://ci:pw@[::1/broken", "http://ci:***@[::1/broken"),
        ("", ""),
        ("not a url", "not a url"),
    ],
)
def test_redact_credentials(url: str, expected: str) -> None:
    assert redact_credentials(url) == expected


# ---------------------------------------------------------------- the keys for the scrubber


def test_link_keys_are_the_values_that_may_be_keys() -> None:
    url, _ = SIGNED["S3 SigV4"]
    keys = link_keys(url)
    assert "AKIAIOSFODNN7EXAMPLE%2F20261203%2Feu-west-1%2Fs3%2Faws4_request" in keys
    assert "AKIAIOSFODNN7EXAMPLE/20261203/eu-west-1/s3/aws4_request" in keys  # decoded too
    assert "IQoJb3JpZ2luX2VjEXAMPLETOKEN+/=" in keys
    assert any(k.startswith("fe5f80f77d5fa3be") for k in keys)
    # Short and numeric values are words and numbers every output holds, not keys.
    for plain in ("host", "3600"):
        assert plain not in keys
    emulator, _ = SIGNED["emulator"]
    assert link_keys(emulator) == ("pyaTHKGMeGu4KuiV",)
    assert link_keys("https://h/r.pdf?id=10020304&page=2") == ()  # digits: an id, a time
    assert link_keys("https://u:pw-9@h/r.pdf#frag-key-123") == ("pw-9", "frag-key-123")
    assert link_keys("") == () and link_keys("https://h/r.pdf") == ()


def test_registered_link_keys_are_scrubbed_in_their_encoded_forms() -> None:
    url = "https://acct.blob.core.windows.net/c/r.pdf?sp=r&sig=Qm9n%2BU2ln%2F%3D"
    scrub.register(*link_keys(url))
    echoed = f"see {url} or Qm9n+U2ln/= or {'Qm9n%2bU2ln%2f%3d'}"
    out = scrub.scrub(echoed)
    assert "Qm9n" not in out, out
    assert "sp=r" in out  # a one-letter value is not a key
