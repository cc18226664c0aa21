"""config/suggest.py: the "did you mean" for variable names and tags."""

from __future__ import annotations

import pytest

from vibetesting_ci.config.suggest import did_you_mean, nearest


@pytest.mark.parametrize(
    ("word", "known", "expected"),
    [
        ("ORDR", ["ORDER", "ACCOUNT"], "ORDER"),
        ("order", ["ORDER", "ACCOUNT"], "ORDER"),
        ("smok", ["smoke", "checkout"], "smoke"),
        ("zzz", ["smoke", "checkout"], None),
        ("ORDER", ["ORDER"], None),  # never suggests the word itself
        ("x", [], None),
    ],
)
def test_nearest(word: str, known: list[str], expected: str | None) -> None:
    assert nearest(word, known) == expected


def test_did_you_mean() -> None:
    assert did_you_mean("smok", ["smoke"]) == "; did you mean 'smoke'?"
    assert did_you_mean("zzz", ["smoke"]) == ""
