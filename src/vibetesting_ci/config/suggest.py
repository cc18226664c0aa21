""" "Did you mean" for names the user typed: variable names, tags.

Rules: the closest known word by spelling (``difflib``, ratio at least 0.6); an exact match
after folding case counts first, so ``${order}`` suggests ``ORDER``. Nothing is suggested
when nothing is close. Pure; standard library only.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def nearest(word: str, known: Iterable[str]) -> str | None:
    """The known word closest to ``word`` (case folded for the comparison), or None."""
    by_folded: dict[str, str] = {}
    for candidate in known:
        by_folded.setdefault(candidate.casefold(), candidate)
    folded = word.casefold()
    if folded in by_folded and by_folded[folded] != word:
        return by_folded[folded]
    others = [f for f, c in by_folded.items() if c != word]
    close = difflib.get_close_matches(folded, others, n=1, cutoff=0.6)
    return by_folded[close[0]] if close else None


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``"; did you mean 'X'?"`` for the :func:`nearest` known word, else ``""``."""
    close = nearest(word, known)
    return f"; did you mean {close!r}?" if close is not None else ""
