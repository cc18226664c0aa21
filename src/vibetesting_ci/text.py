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
