"""Unit tests for the pieces behind the hostile-answer defences (issue 17, issue 10.1):
the scrubber, the wall-clock Watchdog against a real dripping socket on loopback, capped
reads, text budgets and the emulator's new fault specs. End to end: test_hostile_answers.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from faultkit.common import ODD_PASSWORD, secret_forms
from vibetesting_ci.errors import AnswerTooLarge
from vibetesting_ci.safety import scrub
from vibetesting_ci.safety.text import Budget, clip
from vibetesting_ci.service.transport import (
    read_capped,
)

# -- the scrubber --------------------------------------------------------------------------------


def test_scrub_replaces_every_encoded_form():
    secret = "p@ss w€rd&<x>|\"q'"
    scrub.register(secret)
    from urllib.parse import quote, quote_plus

    for form in (
        secret,
        quote(secret, safe=""),
        quote(secret, safe="").lower(),
        quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        secret.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
    ):
        assert scrub.scrub(f"before {form} after") == "before *** after", form


def test_scrub_leaves_short_values_and_ordinary_text():
    scrub.register("abc", "", None, "long-enough-secret")
    assert scrub.scrub("abc 1 2 3") == "abc 1 2 3"
    assert scrub.scrub("x long-enough-secret y") == "x *** y"


def test_the_std_stream_guard_scrubs_what_is_written():
    import io

    from vibetesting_ci.safety.guard import CommandGuard

    scrub.register("tok-0123456789")
    inner = io.StringIO()
    stream = CommandGuard(inner)
    print("key tok-0123456789 here", file=stream)
    assert inner.getvalue() == "key *** here\n"


def test_atomic_text_files_are_scrubbed(tmp_path: Path):
    from vibetesting_ci.publish.atomic import atomic_write_text

    scrub.register("tok-0123456789")
    atomic_write_text(tmp_path / "f.txt", "a tok-0123456789 b")
    assert (tmp_path / "f.txt").read_text() == "a *** b"


# -- a dripping server on loopback ---------------------------------------------------------------


# -- capped reads --------------------------------------------------------------------------------


class _Body:
    """A minimal stand-in for a streamed requests.Response (headers and iter_content)."""

    def __init__(self, data: bytes, headers: dict[str, str]) -> None:
        self.headers = headers
        self._data = data
        self.closed = False

    def iter_content(self, size: int) -> Iterator[bytes]:
        for start in range(0, len(self._data), size):
            yield self._data[start : start + size]

    def close(self) -> None:
        self.closed = True


def test_read_capped_refuses_a_declared_or_streamed_excess():
    small = _Body(b"x" * 100, {"Content-Length": "100"})
    assert read_capped(small, 1000) == b"x" * 100  # type: ignore[arg-type]
    declared = _Body(b"", {"Content-Length": "5000"})
    with pytest.raises(AnswerTooLarge):
        read_capped(declared, 1000)  # type: ignore[arg-type]
    streamed = _Body(b"x" * 5000, {})
    with pytest.raises(AnswerTooLarge):
        read_capped(streamed, 1000)  # type: ignore[arg-type]
    assert streamed.closed


# -- text budgets --------------------------------------------------------------------------------


def test_clip_and_budget():
    assert clip("abc", 10) == "abc"
    assert clip("x" * 20, 10).startswith("x" * 10) and "10 more characters cut" in clip(
        "x" * 20, 10
    )
    budget = Budget(1000, "NOTE")
    assert budget.take("a" * 600) == "a" * 600
    cut = budget.take("b" * 600)
    assert cut.startswith("b" * 400) and "cut" in cut
    assert budget.take("c" * 10) == "NOTE"
    assert budget.take("") == ""


# -- emulator fault specs ------------------------------------------------------------------------


def test_encoded_forms_of_the_odd_password_differ():
    """The echo scenarios use a password that every encoding changes, so a sink that escapes
    text (URL, JSON, XML, Markdown, dotenv) is really checked."""
    assert len(secret_forms(ODD_PASSWORD)) >= 3
