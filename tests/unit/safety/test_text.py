"""Text normalisation: surrogate pairs joined, halves refused."""

from __future__ import annotations

import re

import pytest

from vibetesting_ci.safety.text import normalise


def test_normalise_joins_pairs_and_rejects_halves():
    assert normalise("a\ud83d\ude00b") == "a\U0001f600b"
    assert normalise("plain ünïcode \U0001f600") == "plain ünïcode \U0001f600"
    for text, index, code in (
        ("\ud83d", 1, "U+D83D"),
        ("x\ude00", 2, "U+DE00"),
        ("\ude00\ud83d", 1, "U+DE00"),
        ("ab\udcff", 3, "U+DCFF"),
    ):
        with pytest.raises(ValueError, match=re.escape(f"character {index} is {code}, half of")):
            normalise(text)
    with pytest.raises(ValueError, match=r"character 4 is a byte that is not UTF-8 \(0xE9\)"):
        normalise("caf\udce9", from_os=True)
