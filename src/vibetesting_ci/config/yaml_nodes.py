"""Reading YAML (and JSON) as nodes, so every value keeps its line: the tests file's parser
(``testsfile``) builds on these.

Errors are :class:`InputError` lines ``SOURCE:LINE: FIELD: problem`` (:class:`Where`). Scalars are
checked by their YAML tag, never guessed: a number where text belongs says to quote it, YAML 1.1's
octal and base-60 numbers are refused with the reason. :func:`compose` turns PyYAML's syntax
errors into words a CI user can act on (an unclosed bracket points at where it was opened, a tab,
a key indented more than its neighbour).
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from vibetesting_ci.errors import InputError
from vibetesting_ci.safety.text import normalise, one_line, printable

if TYPE_CHECKING:  # pragma: no cover
    import yaml

# The text a file holds once YAML aliases are expanded (a "billion laughs" of aliased scalars
# would otherwise become a request of hundreds of MB).
MAX_TEXT_CHARS = 4 * 1024 * 1024
STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"


def line_of(node: yaml.Node) -> int:
    """The 1-based line ``node`` starts on."""
    return int(node.start_mark.line) + 1


def is_text(node: yaml.Node) -> bool:
    """True for a scalar YAML reads as a string."""
    import yaml

    return isinstance(node, yaml.ScalarNode) and node.tag == STR_TAG


def is_null(node: yaml.Node) -> bool:
    """True for an empty value (``key:`` with nothing after it, ``null``, ``~``)."""
    import yaml

    return isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG


class Where:
    def __init__(self, source: str) -> None:
        self.source = source
        self.spent = 0  # characters of scalar text walked, aliases counted each time

    def spend(self, node: yaml.Node, chars: int) -> None:
        self.spent += chars + 1
        if self.spent > MAX_TEXT_CHARS:
            raise self.fail(
                node,
                "",
                f"holds more than {MAX_TEXT_CHARS // (1024 * 1024)} MiB of text once YAML "
                "aliases are expanded; a tests file is sent in one request, so keep it small",
            )

    def at(self, node: yaml.Node | None, path: str = "") -> str:
        """``SOURCE:LINE: PATH`` (or less, when the node or path is unknown): the start of an
        error message about ``node``."""
        line = f":{line_of(node)}" if node is not None else ""
        return f"{self.source}{line}" + (f": {path}" if path else "")

    def fail(self, node: yaml.Node | None, path: str, problem: str) -> InputError:
        return InputError(f"{self.at(node, path)}: {problem}")


def _folded(word: str) -> str:
    return word.strip().lower().replace("-", "_").replace(" ", "_")


def nearest(word: str, known: tuple[str, ...] | list[str]) -> str | None:
    """The known word closest to ``word`` (spelling, dashes for underscores, case), as it is
    spelled in ``known``, if any: the "did you mean" of tests-file keys and time zones."""
    by_fold: dict[str, str] = {}
    for item in known:
        by_fold.setdefault(_folded(item), item)
    normal = _folded(word)
    if normal in by_fold:
        return by_fold[normal]
    close = difflib.get_close_matches(normal, list(by_fold), n=1, cutoff=0.6)
    return by_fold[close[0]] if close else None


def unknown_key(key: str, known: tuple[str, ...]) -> str:
    """``unknown key 'x'; did you mean 'y'?`` (or the known keys when none is close)."""
    close = nearest(key, known)
    hint = f"; did you mean {close!r}?" if close else f"; known keys: {', '.join(known)}"
    return f"unknown key {key!r}{hint}"


def scalar_str(where: Where, node: yaml.Node, path: str, *, allow_empty: bool = False) -> str:
    """The text of a string scalar (normalised, counted against :data:`MAX_TEXT_CHARS`); any
    other node is an input error saying what it is (and to quote a number or a date)."""
    import yaml

    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
        kind = kind_of(node)
        hint = ""
        if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null":
            hint = f" (put it in quotes: '{one_line(str(node.value), 60)}')"
        raise where.fail(node, path, f"must be a string, not {kind}{hint}")
    try:
        value = normalise(str(node.value))
    except ValueError as exc:  # half a surrogate pair
        raise where.fail(node, path, str(exc)) from None
    where.spend(node, len(value))
    if not allow_empty and not value.strip():
        raise where.fail(node, path, "must not be empty")
    return value


def kind_of(node: yaml.Node) -> str:
    """What a node is, in words: ``a list``, ``a number``, ``empty (null)``..."""
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    prefix = "tag:yaml.org,2002:"
    tag = node.tag[len(prefix) :] if node.tag.startswith(prefix) else node.tag
    kinds = {
        "str": "a string",
        "int": "a number",
        "float": "a number",
        "bool": "a boolean",
        "null": "empty (null)",
        "timestamp": "a date",
        "binary": "binary data",
        "merge": "a merge key (<<)",
        "value": "a value key (=)",
    }
    return kinds.get(tag, f"a value tagged {one_line(tag, 40)!r}")


_PLAIN_WHOLE = re.compile(r"\+?[0-9]+")


def whole_number_problem(text: str) -> str:
    """Why a YAML 1.1 ``int`` scalar is not a plain decimal number, in words."""
    if re.fullmatch(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+", text):
        return f"{text} is a base-60 number in YAML 1.1; write the number itself, or quote it"
    if re.fullmatch(r"[-+]?0[0-7_]+", text):
        return f"{text} is an octal number in YAML 1.1 (a leading 0); write it without the 0"
    return f"{text} is not a plain decimal number; write it as digits only"


def positive_int(where: Where, node: yaml.Node, path: str) -> int:
    """A positive whole number written as plain decimal digits. YAML 1.1 reads ``017`` as
    octal and ``1:30`` as base 60 (JSON and YAML 1.2 do not), so only the digits every reader
    agrees on are taken; anything else is an input error naming the line, never a guess."""
    import yaml

    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:int":
        what = kind_of(node)
        if isinstance(node, yaml.ScalarNode):
            text = str(node.value).strip()
            shown = printable(one_line(text, 40))
            if text.isascii() and text.isdigit():
                what += f" (write {text} without quotes)"
            elif node.tag == "tag:yaml.org,2002:float":
                what = shown
            elif node.tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:str") and text:
                what += f" ({shown!r})"
        raise where.fail(node, path, f"must be a positive whole number, not {what}")
    text = str(node.value).strip()
    if not _PLAIN_WHOLE.fullmatch(text) or (
        len(text.lstrip("+")) > 1 and text.lstrip("+")[0] == "0"
    ):
        if re.fullmatch(r"-[0-9]+", text):
            raise where.fail(node, path, f"must be a positive whole number, not {text}")
        raise where.fail(
            node,
            path,
            f"must be a positive whole number: {whole_number_problem(one_line(text, 40))}",
        )
    if len(text) > 18:
        raise where.fail(
            node, path, f"must be a positive whole number of sensible size, not {text}"
        )
    value = int(text)
    if value < 1:
        raise where.fail(node, path, f"must be a positive whole number, not {value}")
    return value


def mapping_items(
    where: Where, node: yaml.MappingNode, path: str, known: tuple[str, ...]
) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    items: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = scalar_str(where, key_node, path or "key")
        if key not in known:
            raise where.fail(key_node, path, unknown_key(key, known))
        if key in items:
            raise where.fail(key_node, path, f"duplicate key {key!r}")
        items[key] = (key_node, value_node)
    return items


_OPENED = {
    "while parsing a flow sequence": "the '[' list",
    "while parsing a flow mapping": "the '{' mapping",
    "while scanning a quoted scalar": "the quoted text",
}


_KEY_ALONE = re.compile(r"(?:- )?[A-Za-z_][\w-]*")
_KEY_AT = re.compile(r"^(\s*(?:- +)*)([^\s#:][^:]*?)?(?::|$)")


def _over_indented(text: str, line: int, column: int) -> str | None:
    """A hint if the ':' at (``line``, ``column``) follows a lone key (``    steps:``) that is
    indented more than the key on the line above it: the two were meant to line up."""
    lines = text.splitlines()
    if not 0 < line < len(lines):
        return None
    before = lines[line][:column]
    if not _KEY_ALONE.fullmatch(before.strip()):
        return None  # "steps: open: the page": a ':' inside a value
    here = _KEY_AT.match(lines[line])
    for number in range(line - 1, -1, -1):
        above = lines[number]
        if not above.strip() or above.lstrip().startswith("#"):
            continue
        there = _KEY_AT.match(above)
        if here is None or there is None or len(here.group(1)) <= len(there.group(1)):
            return None
        key = before.strip().removeprefix("- ").strip()
        other = f"'{there.group(2).strip()}:'" if there.group(2) else "the line"
        return (
            f"'{key}:' is indented more than {other} on line {number + 1}; keys of one "
            "mapping, such as a test's name and steps, start in the same column"
        )
    return None


def syntax_problem(exc: yaml.MarkedYAMLError, text: str = "") -> tuple[str, str]:
    """``(":line", problem)`` for a YAML syntax error, in words a CI user can act on."""
    problem = exc.problem or exc.context or "not valid YAML or JSON"
    mark = exc.problem_mark or exc.context_mark
    opened = _OPENED.get(exc.context or "")
    if exc.context_mark is not None and ("stream end" in problem or "end of stream" in problem):
        # Unclosed bracket or quote: point at where it was opened, not at the file's end.
        mark = exc.context_mark
        problem += f" ({opened or exc.context} opened here is never closed)"
    elif "'\\t'" in problem or "\t" in problem:
        problem = "a tab character: YAML indents with spaces only"
    elif problem.startswith("expected <block end>") or "<block mapping start>" in problem:
        problem += " (check the indentation of this line)"
    elif problem == "mapping values are not allowed here":
        hint = _over_indented(text, mark.line, mark.column) if mark is not None else None
        if hint is not None:
            problem += f" ({hint})"
        else:
            problem += " (a ':' followed by a space inside a value? put the value in quotes)"
    elif opened and exc.context_mark is not None and mark is not None:
        if exc.context_mark.line != mark.line:
            problem += f" (in {opened} opened on line {exc.context_mark.line + 1})"
        else:
            problem += f" (in {opened}; a missing ',' or a ':' that needs quotes?)"
    return (f":{mark.line + 1}" if mark is not None else ""), problem


def compose(text: str, source: str) -> yaml.Node | None:
    """The root node of ``text`` (None when it is empty), or an input error naming ``source``,
    the line and the problem in words."""
    import yaml

    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line, problem = syntax_problem(exc, text)
        raise InputError(f"{source}{line}: not valid YAML or JSON: {problem}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (controls...)
        row = text[: exc.position].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        raise InputError(
            f"{source}:{row}: not valid YAML or JSON: character U+{code:04X} is not allowed"
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - anything else PyYAML may raise
        problem = one_line(str(exc))
        raise InputError(f"{source}: not valid YAML or JSON: {problem}") from None
    except RecursionError:  # PyYAML recurses per level: "[[[[..." a few thousand deep
        raise InputError(f"{source}: nested too deeply to be a tests file") from None
