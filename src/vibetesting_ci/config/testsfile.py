"""The tests file (YAML or JSON): a list of tests, or a mapping that also carries run settings.

Errors name the file, the line and the field at fault, e.g.
``tests.yml:7: tests[2]: 'steps' is missing``. YAML is composed into nodes (not just loaded) so
every value keeps its line; JSON is a subset of YAML 1.2 for our purposes and goes the same way.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vibetesting_ci.errors import InputError
from vibetesting_ci.safety.text import normalise, one_line, printable
from vibetesting_ci.vocabulary import EXECUTION_TYPES

if TYPE_CHECKING:  # pragma: no cover
    import yaml

TEST_KEYS = ("name", "steps")
# Run settings a tests file may carry (command-line options and variables take precedence).
FILE_SETTINGS = (
    "execution_type",
    "general_instructions",
    "focus_areas",
    "login",
    "flows_count",
    "max_steps_per_flow",
)
TOP_KEYS = ("tests", *FILE_SETTINGS)
LOGIN_KEYS = ("identifier",)
# Size caps: the file as read, and the text it holds once YAML aliases are expanded (a
# "billion laughs" of aliased scalars would otherwise become a request of hundreds of MB).
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_TEXT_CHARS = 4 * 1024 * 1024


@dataclass(frozen=True)
class TestCase:
    name: str
    steps: str | tuple[str, ...]

    def to_api(self) -> dict[str, Any]:
        steps: str | list[str] = self.steps if isinstance(self.steps, str) else list(self.steps)
        return {"name": self.name, "steps": steps}


@dataclass(frozen=True)
class TestsDocument:
    """What a tests file or ``--tests`` text holds."""

    tests: tuple[TestCase, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)  # keys from FILE_SETTINGS
    # A mapping without a ``tests`` key: where it came from (a path, --tests or its variable),
    # so that "no tests" can say what is missing. None for a list, or a mapping with tests.
    without_tests: str | None = None


class _Where:
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

    def fail(self, node: yaml.Node | None, path: str, problem: str) -> InputError:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        where = f"{path}: " if path else ""
        return InputError(f"{self.source}{line}: {where}{problem}")


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


def _suggest(key: str, known: tuple[str, ...]) -> str:
    close = nearest(key, known)
    hint = f"; did you mean {close!r}?" if close else f"; known keys: {', '.join(known)}"
    return f"unknown key {key!r}{hint}"


def _scalar_str(where: _Where, node: yaml.Node, path: str, *, allow_empty: bool = False) -> str:
    import yaml

    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
        kind = _kind(node)
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


def _kind(node: yaml.Node) -> str:
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


def _whole_number_problem(text: str) -> str:
    """Why a YAML 1.1 ``int`` scalar is not a plain decimal number, in words."""
    if re.fullmatch(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+", text):
        return f"{text} is a base-60 number in YAML 1.1; write the number itself, or quote it"
    if re.fullmatch(r"[-+]?0[0-7_]+", text):
        return f"{text} is an octal number in YAML 1.1 (a leading 0); write it without the 0"
    return f"{text} is not a plain decimal number; write it as digits only"


def _positive_int(where: _Where, node: yaml.Node, path: str) -> int:
    """A positive whole number written as plain decimal digits. YAML 1.1 reads ``017`` as
    octal and ``1:30`` as base 60 (JSON and YAML 1.2 do not), so only the digits every reader
    agrees on are taken; anything else is an input error naming the line, never a guess."""
    import yaml

    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:int":
        what = _kind(node)
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
            f"must be a positive whole number: {_whole_number_problem(one_line(text, 40))}",
        )
    if len(text) > 18:
        raise where.fail(
            node, path, f"must be a positive whole number of sensible size, not {text}"
        )
    value = int(text)
    if value < 1:
        raise where.fail(node, path, f"must be a positive whole number, not {value}")
    return value


def _mapping_items(
    where: _Where, node: yaml.MappingNode, path: str, known: tuple[str, ...]
) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    items: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = _scalar_str(where, key_node, path or "key")
        if key not in known:
            raise where.fail(key_node, path, _suggest(key, known))
        if key in items:
            raise where.fail(key_node, path, f"duplicate key {key!r}")
        items[key] = (key_node, value_node)
    return items


def _steps(where: _Where, node: yaml.Node, path: str) -> str | tuple[str, ...]:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        if not node.value:
            raise where.fail(node, path, "must not be an empty list")
        return tuple(
            _scalar_str(where, item, f"{path}[{i}]") for i, item in enumerate(node.value, 1)
        )
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
        return _scalar_str(where, node, path)
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        raise where.fail(node, path, "is empty: give a string, or a list of strings")
    raise where.fail(node, path, f"must be a string or a list of strings, not {_kind(node)}")


def _tests(where: _Where, node: yaml.Node, path: str) -> tuple[TestCase, ...]:
    import yaml

    if not isinstance(node, yaml.SequenceNode):
        raise where.fail(node, path, f"must be a list of tests, not {_kind(node)}")
    if not node.value:
        raise where.fail(node, path, "holds no tests")
    tests: list[TestCase] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(node.value, 1):
        here = f"tests[{index}]"
        if not isinstance(item, yaml.MappingNode):
            hint = (
                " (write '- name: ...' and 'steps: ...' on their own lines)"
                if isinstance(item, yaml.ScalarNode)
                else ""
            )
            raise where.fail(
                item, here, f"must be a mapping with 'name' and 'steps', not {_kind(item)}{hint}"
            )
        items = _mapping_items(where, item, here, TEST_KEYS)
        if "name" not in items:
            raise where.fail(item, here, "'name' is missing (every test needs a unique name)")
        name = _scalar_str(where, items["name"][1], f"{here}.name").strip()
        named = f"{here} ({one_line(name, 40)!r})"
        if "steps" not in items:
            raise where.fail(
                item, named, "'steps' is missing (a string, or a list of strings, one per step)"
            )
        if name in seen:
            first = seen[name]
            raise where.fail(
                items["name"][1],
                f"{here}.name",
                f"duplicate test name {name!r} (tests[{first}] has it too); names must be unique",
            )
        seen[name] = index
        steps = _steps(where, items["steps"][1], f"{named}.steps")
        tests.append(TestCase(name=name, steps=steps))
    return tuple(tests)


def _settings(where: _Where, items: dict[str, tuple[yaml.Node, yaml.Node]]) -> dict[str, Any]:
    import yaml

    settings: dict[str, Any] = {}
    for key, (_key_node, node) in items.items():
        if key == "tests":
            continue
        if key == "execution_type":
            value = _scalar_str(where, node, key)
            if value not in EXECUTION_TYPES:
                close = nearest(value, EXECUTION_TYPES)
                hint = f"; did you mean {close!r}?" if close else ""
                raise where.fail(
                    node,
                    key,
                    f"must be {' or '.join(map(repr, EXECUTION_TYPES))}, not {value!r}{hint}",
                )
            settings[key] = value
        elif key == "general_instructions":
            settings[key] = _scalar_str(where, node, key)
        elif key == "focus_areas":
            if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
                raise where.fail(
                    node, key, "must be a list of strings, not a string (write '- area' lines)"
                )
            if not isinstance(node, yaml.SequenceNode):
                raise where.fail(node, key, f"must be a list of strings, not {_kind(node)}")
            settings[key] = tuple(
                _scalar_str(where, item, f"{key}[{i}]") for i, item in enumerate(node.value, 1)
            )
        elif key in ("flows_count", "max_steps_per_flow"):
            settings[key] = _positive_int(where, node, key)
        elif key == "login":
            if not isinstance(node, yaml.MappingNode):
                raise where.fail(
                    node, key, f"must be a mapping with 'identifier', not {_kind(node)}"
                )
            for sub_key, _ in node.value:
                if isinstance(sub_key, yaml.ScalarNode) and sub_key.value == "password":
                    raise where.fail(
                        sub_key,
                        "login.password",
                        "passwords do not belong in files; use VIBETESTING_LOGIN_PASSWORD "
                        "(a CI secret)",
                    )
            login = _mapping_items(where, node, key, LOGIN_KEYS)
            if "identifier" in login:
                settings["login_identifier"] = _scalar_str(
                    where, login["identifier"][1], "login.identifier"
                )
    return settings


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


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str = "") -> tuple[str, str]:
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


def parse_tests(text: str, source: str) -> TestsDocument:
    """Parse tests from YAML/JSON text. ``source`` names it in errors (a path or an option)."""
    import yaml

    where = _Where(source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line, problem = _syntax_problem(exc, text)
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
    if root is None:
        raise InputError(f"{source}: holds no tests (it is empty)")
    if isinstance(root, yaml.SequenceNode):
        return TestsDocument(tests=_tests(where, root, ""))
    if isinstance(root, yaml.MappingNode):
        items = _mapping_items(where, root, "", TOP_KEYS)
        tests = _tests(where, items["tests"][1], "tests") if "tests" in items else ()
        return TestsDocument(
            tests=tests,
            settings=_settings(where, items),
            without_tests=None if "tests" in items else source,
        )
    raise where.fail(
        root, "", f"must be a list of tests or a mapping with 'tests', not {_kind(root)}"
    )


def load_tests_file(path: str) -> TestsDocument:
    """Read and parse a tests file; a missing or unreadable file is an input error.

    Only a regular file is read (a FIFO would block until a writer came, ``/dev/zero`` never
    ends), and at most :data:`MAX_FILE_BYTES` of it.
    """
    import os
    import stat

    file = Path(path)
    try:
        info = file.stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(info.st_mode):
            raise InputError(
                f"tests file {path}: not a regular file (a pipe, device or socket); "
                "give the path of a YAML or JSON file"
            )
        if info.st_size > MAX_FILE_BYTES:
            raise InputError(
                f"tests file {path}: {info.st_size} bytes, more than the "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MiB a tests file may have"
            )
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:  # it grew since the stat
            raise InputError(
                f"tests file {path}: more than the {MAX_FILE_BYTES // (1024 * 1024)} MiB "
                "a tests file may have"
            )
    except FileNotFoundError:
        raise InputError(f"tests file {path}: not found") from None
    except IsADirectoryError:
        raise InputError(f"tests file {path}: is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"tests file {path}: cannot be read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"tests file {path}: not UTF-8 text (byte {exc.start})") from None
    return parse_tests(text, path)


def read_tests(file: tuple[str, str] | None, text: tuple[str, str] | None) -> TestsDocument:
    """The tests the run options give: ``--tests-file`` or ``--tests`` (each ``(value, where)``
    with the flag or variable it came from, or None when not given); at most one of them."""
    if file is not None and text is not None:
        raise InputError("--tests-file and --tests both given: use one")
    if file is not None:
        path, where = file
        if not str(path).strip():
            raise InputError(f"{where}: is empty")
        return load_tests_file(str(path))
    if text is not None:
        return parse_tests(str(text[0]), text[1])
    return TestsDocument()
