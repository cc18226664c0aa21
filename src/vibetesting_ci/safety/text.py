"""Text from the service (and from the tests file) on its way to an output: one function per sink.

The service's fields are untrusted: a newline in ``execution_state`` could start a log line
that GitHub's runner executes as a workflow command (``::add-mask::``, ``::stop-commands::``),
an ESC sequence could rewrite a terminal line, and Markdown or HTML in the job summary could
carry a link or a tracking image. So every sink gets its own, single, tested treatment:

=====================  ==========================================================================
sink                   treatment
=====================  ==========================================================================
log lines,             :func:`log_text` (annotations: :func:`line_text`): one line, controls shown
annotations            escaped (``\\x1b``), at most :data:`LINE_LIMIT` characters (cut, saying
                       so); a log line can never start with ``::`` or ``##[`` (:func:`log_text`;
                       the ``CommandGuard`` of ``safety/guard.py`` makes sure)
GitHub outputs,        :func:`output_text`: one line, no controls; links only through
dotenv                 :func:`http_url`, which drops anything but a plain http(s) URL
job summary, comment   :func:`markdown_text`: HTML and Markdown specials escaped, ``|`` and line
                       breaks cannot break a table row; links only to :func:`http_url` URLs
JUnit, results JSON    the full text, escaped by their own formats (``render/``)
=====================  ==========================================================================

Text coming in (tests files, options, variables) goes through :func:`normalise` once, before
anything uses it: surrogate pairs joined into their character, a lone half refused.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Characters that are never shown raw: C0 controls (tab, LF and CR are folded as whitespace
# before this runs), DEL, C1 controls, zero-width and bidirectional formatting characters (they
# hide or reorder text: "Trojan Source"), the BOM, and lone surrogates.
_CONTROLS = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
    "\ud800-\udfff]"
)
# Lines starting like these are workflow commands for GitHub's runner (``::name::``) or
# Azure-style log commands that some runners also honour (``##[group]``, ``##vso[``).
COMMAND_START = re.compile(r"^\s*(::|##\[|##vso\[)")
# Every ASCII punctuation that Markdown (GitHub-flavoured) gives a meaning to, ``:`` and ``@``
# included (bare URLs, e-mail addresses and ``:emoji:`` codes become links or images otherwise),
# and parentheses (so no ``](`` of a link is ever left, escaped bracket or not).
_MARKDOWN_SPECIALS = "\\`*_[]()#!|~<>&:@"  # each one escaped in Markdown text
_WWW = re.compile(r"(?i)www\.")
# Characters of text one log line or annotation carries at most (README, "Security"): service
# text can be 64 KiB (models.DETAIL_LIMIT); a log line or a GitHub annotation is cut here,
# saying so, and the JUnit and results files keep the whole text.
LINE_LIMIT = 1000
_ESCAPE = re.compile(r"\\(x[0-9a-f]{2}|u[0-9a-f]{4})")


def _escape_control(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` with every run of whitespace (line breaks of every kind included) folded to one
    space, every other control character shown escaped (``\\x1b``), cut to ``limit`` characters
    with an ellipsis. Service text shown to people goes through this."""
    flat = _CONTROLS.sub(_escape_control, " ".join(text.split()))
    if limit is not None and len(flat) > limit:
        return flat[: limit - 1] + "…"
    return flat


def line_text(text: str, limit: int | None = None, *, most: int = LINE_LIMIT) -> str:
    """:func:`one_line`, cut to ``most`` characters (:data:`LINE_LIMIT`) saying how many were
    cut (an escape sequence is never split): the text of one log line or one annotation, or
    (a smaller ``most``) the service's part of one."""
    flat = one_line(text, limit)
    if len(flat) <= most:
        return flat
    cut = most
    start = flat.rfind("\\", cut - 5, cut)  # an escape (\\xNN, \\uNNNN) is kept whole or dropped
    escape = _ESCAPE.match(flat, start) if start >= 0 else None
    if escape is not None and escape.end() > cut:
        cut = start
    return flat[:cut] + f"… [{len(flat) - cut} more characters cut]"


def log_text(text: str, limit: int | None = None) -> str:
    """:func:`line_text`, and never the start of a workflow command even at a line's start.
    The one sink for service text on a log line (stdout and stderr alike)."""
    flat = line_text(text, limit)
    return "\\" + flat if COMMAND_START.match(flat) else flat


# What JSON leaves raw but a log must not show: DEL, C1 controls (NEL included), the Unicode
# line and paragraph separators, and what _CONTROLS adds (bidi and zero-width marks, BOM, lone
# surrogates).
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f\u2028\u2029{_CONTROLS.pattern[1:-1]}]")


# Characters outside XML 1.0's Char production, plus DEL and the C1 controls (legal but
# "discouraged", and unreadable in every viewer).
_NOT_XML = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_chars(text: str) -> str:
    """``text`` with every character XML 1.0 cannot carry (and DEL, the C1 controls) replaced
    by U+FFFD: for words every output must show alike, the JUnit XML included."""
    return _NOT_XML.sub("\ufffd", text)


def json_text(text: str) -> str:
    """JSON text (``json.dumps`` output) with every character a log must not show raw (see
    ``_JSON_UNSAFE``) written as a JSON ``\\uXXXX`` escape instead: it parses to the same value
    and prints nothing raw. (JSON has those characters only inside strings, where the escape
    means the same.)"""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def output_text(text: str, limit: int | None = None) -> str:
    """A single-line value for ``$GITHUB_OUTPUT`` (or any ``KEY=VALUE`` file)."""
    return one_line(text, limit)


def markdown_text(text: str, limit: int | None = None) -> str:
    """Text for Markdown (job summary, pull request comment), table cells included: one line,
    HTML and every Markdown special escaped, so no link, image, HTML or extra cell can appear."""
    flat = one_line(text, limit).translate(_MD_TABLE)
    return _WWW.sub(lambda m: m.group()[:3] + "\\.", flat)


_MD_ESCAPES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
# Every Markdown special to its escape, for ``str.translate`` (one pass in C: a summary of
# thousands of cells is escaped in milliseconds, not seconds).
_MD_TABLE = str.maketrans({c: _MD_ESCAPES.get(c, "\\" + c) for c in _MARKDOWN_SPECIALS})


def markdown_code(text: str, limit: int | None = None) -> str:
    """Text as an inline code span (file names): one line, fenced by more backticks than it
    holds, so nothing inside is Markdown or HTML. Not for table cells (``|`` splits them)."""
    flat = one_line(text, limit)
    fence = "`" * (max((len(r) for r in re.findall("`+", flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def markdown_cell_code(text: str, limit: int | None = None) -> str:
    """:func:`markdown_code` for a table cell: a ``|`` in it escaped as ``\\|`` (GitHub's
    tables split cells before they read code spans; the escape shows as ``|`` in the span)."""
    return markdown_code(text, limit).replace("|", "\\|")


def http_url(url: str, limit: int = 2048) -> str | None:
    """``url`` if it is a plain ``http(s)`` URL with a host, no whitespace or controls and at
    most ``limit`` characters; otherwise None (the caller drops it, with a warning)."""
    if not url or len(url) > limit or url != url.strip():
        return None
    if any(c.isspace() or _CONTROLS.match(c) for c in url) or any(c in url for c in "<>\"'`"):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def markdown_link(label: str, url: str) -> str:
    """``[label](url)`` for a URL that :func:`http_url` accepts, else the label alone.
    Parentheses in the URL are encoded so the link cannot end early, and ``|`` so it cannot
    split a table cell."""
    safe = http_url(url)
    if safe is None:
        return markdown_text(label)
    encoded = safe.replace("(", "%28").replace(")", "%29").replace("|", "%7C")
    return f"[{markdown_text(label)}]({encoded})"


_HIGH = range(0xD800, 0xDC00)
_LOW = range(0xDC00, 0xE000)


def lone_surrogate(index: int, code: int, *, from_os: bool = False) -> str:
    """What is wrong with text holding a lone surrogate half ``code`` at ``index`` (0-based), in
    words. ``from_os``: the text came from the command line or the environment, where Python
    shows a byte that is not UTF-8 as U+DC80..U+DCFF."""
    if from_os and 0xDC80 <= code <= 0xDCFF:
        return (
            f"character {index + 1} is a byte that is not UTF-8 (0x{code - 0xDC00:02X}); "
            "give the text as UTF-8"
        )
    return (
        f"character {index + 1} is U+{code:04X}, half of a UTF-16 surrogate pair without its "
        "other half (not a character); write the character itself, or both halves of its "
        "escape (e.g. \\ud83d\\ude00)"
    )


def normalise(text: str, *, from_os: bool = False) -> str:
    """The one normalisation for text from files and options: a UTF-16 surrogate pair (what
    ``json.dumps`` and ``jq -a`` write for a character beyond U+FFFF, e.g. ``\\ud83d\\ude00``,
    which YAML and Python leave as two halves) becomes the character it encodes; a lone half
    raises ``ValueError`` saying where it is (:func:`lone_surrogate`), which the caller turns
    into an input error naming the file, line or option. Anything else is returned unchanged."""
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
            raise ValueError(lone_surrogate(index, code, from_os=from_os))
        out.append(text[index])
        index += 1
    return "".join(out)


def printable(text: str) -> str:
    """``text`` with any lone surrogate written as a ``\\udXXX`` escape, so it can be printed
    and encoded as UTF-8 anywhere (error messages)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


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
