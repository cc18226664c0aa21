"""Small text helpers shared by logs, reports and CI adapters (standard library only)."""

from __future__ import annotations


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` with every run of whitespace (line breaks included) folded to one space, cut to
    ``limit`` characters with an ellipsis. Service text shown to people goes through this, so
    no line of it can pose as a log line or a CI workflow command of its own."""
    flat = " ".join(text.split())
    if limit is not None and len(flat) > limit:
        return flat[: limit - 1] + "…"
    return flat


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most about ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"… [{len(text) - limit} more characters cut]"


class Budget:
    """A cap on the service text one sink (a JUnit file, a results file) takes in all.

    :meth:`take` hands out text while the budget lasts, then only a short note, so a huge
    detailed status repeated over many failed tests cannot grow a file without bound.
    """

    def __init__(self, chars: int, note: str) -> None:
        self.left = chars
        self.note = note

    def take(self, text: str, limit: int | None = None) -> str:
        if limit is not None:
            text = clip(text, limit)
        if len(text) <= self.left:
            self.left -= len(text)
            return text
        if self.left > 200:
            cut = clip(text, self.left)
            self.left = 0
            return cut
        return self.note if text else text
