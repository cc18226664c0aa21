"""Reading what a terminal was sent: colours (SGR), cursor moves, any escape at all."""

from __future__ import annotations

import re

SGR = re.compile(r"\x1b\[[0-9;]*m")
CURSOR_UP = re.compile(r"\x1b\[(\d+)A")
ANY_ESCAPE = re.compile(r"\x1b")


def plain(text: str) -> str:
    """``text`` without its colours."""
    return SGR.sub("", text)
