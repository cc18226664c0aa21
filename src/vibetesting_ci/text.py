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


_HIGH = range(0xD800, 0xDC00)
_LOW = range(0xDC00, 0xE000)


class LoneSurrogate(ValueError):
    """Text holds half of a UTF-16 surrogate pair: no character, and no UTF-8 can carry it."""

    def __init__(self, index: int, code: int) -> None:
        super().__init__(f"U+{code:04X} at character {index + 1}")
        self.index = index  # 0-based, in the text as given
        self.code = code

    def describe(self, *, from_os: bool = False) -> str:
        """The problem in words. ``from_os``: the text came from the command line or the
        environment, where Python shows a byte that is not UTF-8 as U+DC80..U+DCFF."""
        if from_os and 0xDC80 <= self.code <= 0xDCFF:
            return (
                f"character {self.index + 1} is a byte that is not UTF-8 "
                f"(0x{self.code - 0xDC00:02X}); give the text as UTF-8"
            )
        return (
            f"character {self.index + 1} is U+{self.code:04X}, half of a UTF-16 surrogate pair "
            "without its other half (not a character); write the character itself, or both "
            "halves of its escape (e.g. \\ud83d\\ude00)"
        )


def normalise(text: str) -> str:
    """The one normalisation for text from files and options: a UTF-16 surrogate pair (what
    ``json.dumps`` and ``jq -a`` write for a character beyond U+FFFF, e.g. ``\\ud83d\\ude00``,
    which YAML and Python leave as two halves) becomes the character it encodes; a lone half
    raises :class:`LoneSurrogate`. Anything else is returned unchanged."""
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text  # the usual case: nothing to do
    out: list[str] = []
    index = 0
    while index < len(text):
        code = ord(text[index])
        if code in _HIGH and index + 1 < len(text) and ord(text[index + 1]) in _LOW:
            low = ord(text[index + 1])
            out.append(chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)))
            index += 2
            continue
        if code in _HIGH or code in _LOW:
            raise LoneSurrogate(index, code)
        out.append(text[index])
        index += 1
    return "".join(out)


def printable(text: str) -> str:
    """``text`` with any lone surrogate written as a ``\\udXXX`` escape, so it can be printed
    and encoded as UTF-8 anywhere (error messages)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
