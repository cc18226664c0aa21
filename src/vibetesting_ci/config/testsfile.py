"""The tests file (YAML or JSON): a list of tests, or a mapping that also carries run settings.

Errors name the file, the line and the field at fault, e.g.
``tests.yml:7: tests[2]: 'steps' is missing``. YAML is composed into nodes (not just loaded) so
every value keeps its line (``config/yaml_nodes``); JSON is a subset of YAML 1.2 for our
purposes and goes the same way.

One file gives a :class:`~vibetesting_ci.config.merge.ParsedFile`: its tests
(:class:`~vibetesting_ci.config.merge.SourcedTest`, each with its file, its line, the line of
each step and its ``tags``), its run settings with the line of each (and of each
``focus_areas`` item), and its ``variables:`` (defaults for ``${NAME}``). Placeholders are not
expanded here (that needs every source of variables: ``config/variables``), except that a test
name takes none: a ``${`` in a name is an input error naming its line, and ``$${`` is undone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vibetesting_ci.config.merge import ParsedFile, SourcedTest
from vibetesting_ci.config.selection import parse_tag
from vibetesting_ci.config.target import validate_target_url
from vibetesting_ci.config.variables import check_test_name, has_placeholder, parse_file_variables
from vibetesting_ci.config.yaml_nodes import (
    Where,
    compose,
    is_null,
    is_text,
    kind_of,
    line_of,
    mapping_items,
    nearest,
    positive_int,
    scalar_str,
    whole_number_problem,
)
from vibetesting_ci.errors import InputError
from vibetesting_ci.safety.text import one_line
from vibetesting_ci.vocabulary import EXECUTION_TYPES

if TYPE_CHECKING:  # pragma: no cover
    import yaml

TEST_KEYS = ("name", "steps", "tags")
# Run settings a tests file may carry (command-line options and variables take precedence).
FILE_SETTINGS = (
    "execution_type",
    "target_url",
    "general_instructions",
    "focus_areas",
    "login",
    "flows_count",
    "max_steps_per_flow",
)
TOP_KEYS = ("tests", "variables", *FILE_SETTINGS)
LOGIN_KEYS = ("identifier",)
# The settings' keys in ParsedFile.settings, as the file writes them (for "file:line: field").
FIELDS = {"login_identifier": "login.identifier"}
# Size cap of the file as read (the text it holds once YAML aliases are expanded is capped by
# config/yaml_nodes.MAX_TEXT_CHARS).
MAX_FILE_BYTES = 4 * 1024 * 1024


def field_name(key: str) -> str:
    """How the file writes the setting ``key`` (``login_identifier`` -> ``login.identifier``)."""
    return FIELDS.get(key, key)


Steps = str | tuple[str, ...]


def _steps(where: Where, node: yaml.Node, path: str) -> tuple[Steps, tuple[int, ...]]:
    """The steps (a string, or a tuple of strings) and the line of each."""
    import yaml

    if isinstance(node, yaml.SequenceNode):
        if not node.value:
            raise where.fail(node, path, "must not be an empty list")
        steps = tuple(
            scalar_str(where, item, f"{path}[{i}]") for i, item in enumerate(node.value, 1)
        )
        return steps, tuple(line_of(item) for item in node.value)
    if is_text(node):
        return scalar_str(where, node, path), (line_of(node),)
    if is_null(node):
        raise where.fail(node, path, "is empty: give a string, or a list of strings")
    raise where.fail(node, path, f"must be a string or a list of strings, not {kind_of(node)}")


def _tags(where: Where, node: yaml.Node, path: str) -> tuple[str, ...]:
    """A test's ``tags``: a list of words (repeats, in any case, dropped; order kept)."""
    import yaml

    if is_text(node):
        shown = one_line(str(node.value), 40)
        raise where.fail(
            node, path, f"must be a list of tags, not a string (write tags: [{shown}])"
        )
    if is_null(node):
        raise where.fail(node, path, "is empty: give a list of tags (tags: [smoke]) or drop it")
    if not isinstance(node, yaml.SequenceNode):
        raise where.fail(node, path, f"must be a list of tags, not {kind_of(node)}")
    found: dict[str, str] = {}
    for i, item in enumerate(node.value, 1):
        here = f"{path}[{i}]"
        tag = parse_tag(scalar_str(where, item, here, allow_empty=True), where.at(item, here))
        found.setdefault(tag.casefold(), tag)
    return tuple(found.values())


def _tests(where: Where, node: yaml.Node, path: str, file: str | None) -> tuple[SourcedTest, ...]:
    import yaml

    if not isinstance(node, yaml.SequenceNode):
        raise where.fail(node, path, f"must be a list of tests, not {kind_of(node)}")
    if not node.value:
        raise where.fail(node, path, "holds no tests")
    tests: list[SourcedTest] = []
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
                item, here, f"must be a mapping with 'name' and 'steps', not {kind_of(item)}{hint}"
            )
        items = mapping_items(where, item, here, TEST_KEYS)
        if "name" not in items:
            raise where.fail(item, here, "'name' is missing (every test needs a unique name)")
        name_node = items["name"][1]
        written = scalar_str(where, name_node, f"{here}.name").strip()
        name = check_test_name(written, where.at(name_node, f"{here}.name"))
        named = f"{here} ({one_line(name, 40)!r})"
        if "steps" not in items:
            raise where.fail(
                item, named, "'steps' is missing (a string, or a list of strings, one per step)"
            )
        if name in seen:
            first = seen[name]
            raise where.fail(
                name_node,
                f"{here}.name",
                f"duplicate test name {name!r} (tests[{first}] has it too); names must be unique",
            )
        seen[name] = index
        steps, step_lines = _steps(where, items["steps"][1], f"{named}.steps")
        tags = _tags(where, items["tags"][1], f"{named}.tags") if "tags" in items else ()
        tests.append(
            SourcedTest(
                name=name,
                steps=steps,
                tags=tags,
                file=file,
                line=line_of(name_node),
                index=index,
                step_lines=step_lines,
                source=where.source,
            )
        )
    return tuple(tests)


_PLAIN_NUMBER = re.compile(r"[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def _variable_value(where: Where, node: yaml.Node, path: str) -> str:
    """A ``variables:`` value as text, exactly as written: a string, a plain decimal number or
    true/false. What YAML 1.1 would read as something else than it looks (``017`` octal,
    ``1:30`` base 60, ``no`` false, ``.inf``) is refused with the line: quote it."""
    import yaml

    if is_text(node):
        return scalar_str(where, node, path, allow_empty=True)
    if is_null(node):
        raise where.fail(node, path, "is empty; write '' for an empty value")
    if not isinstance(node, yaml.ScalarNode):
        raise where.fail(
            node, path, f"must be a string, a number or true/false, not {kind_of(node)}"
        )
    text = str(node.value).strip()
    shown = one_line(text, 40)
    if node.tag == "tag:yaml.org,2002:bool":
        if text.lower() in ("true", "false"):
            return text
        raise where.fail(node, path, f"YAML 1.1 reads {shown} as a boolean; quote it: '{shown}'")
    if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        if _PLAIN_NUMBER.fullmatch(text):
            where.spend(node, len(text))
            return text
        problem = f"{shown} is not a plain decimal number"
        if node.tag.endswith("int"):
            problem = whole_number_problem(shown).split(";")[0]
        raise where.fail(node, path, f"{problem}; quote it to send it as written: '{shown}'")
    raise where.fail(
        node,
        path,
        f"must be a string, a number or true/false, not {kind_of(node)} (quote it: '{shown}')",
    )


def _variables(where: Where, node: yaml.Node) -> dict[str, Any]:
    """The ``variables:`` mapping (``NAME: value``) as ``config.variables.Variable`` values,
    each remembering its file and line."""
    import yaml

    if is_null(node):
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise where.fail(
            node, "variables", f"must be a mapping of NAME: value, not {kind_of(node)}"
        )
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = scalar_str(where, key_node, "variables")
        if key in values:
            raise where.fail(key_node, "variables", f"duplicate variable {key!r}")
        values[key] = _variable_value(where, value_node, f"variables.{key}")
        lines[key] = line_of(key_node)
    return parse_file_variables(values, where.source, lines)


def _settings(
    where: Where, items: dict[str, tuple[yaml.Node, yaml.Node]]
) -> tuple[dict[str, Any], dict[str, int]]:
    """The run settings a mapping carries, and the line of each (``focus_areas[2]`` too)."""
    import yaml

    settings: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key, (_key_node, node) in items.items():
        if key in ("tests", "variables"):
            continue
        lines[key] = line_of(node)
        if key == "execution_type":
            value = scalar_str(where, node, key)
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
            settings[key] = scalar_str(where, node, key)
        elif key == "target_url":
            value = scalar_str(where, node, key).strip()
            if not has_placeholder(value):  # with one, it is checked once expanded
                validate_target_url(value, where.at(node, key))
            settings[key] = value
        elif key == "focus_areas":
            if is_text(node):
                raise where.fail(
                    node, key, "must be a list of strings, not a string (write '- area' lines)"
                )
            if not isinstance(node, yaml.SequenceNode):
                raise where.fail(node, key, f"must be a list of strings, not {kind_of(node)}")
            settings[key] = tuple(
                scalar_str(where, item, f"{key}[{i}]") for i, item in enumerate(node.value, 1)
            )
            lines.update({f"{key}[{i}]": line_of(item) for i, item in enumerate(node.value, 1)})
        elif key in ("flows_count", "max_steps_per_flow"):
            settings[key] = positive_int(where, node, key)
        elif key == "login":
            del lines[key]
            if not isinstance(node, yaml.MappingNode):
                raise where.fail(
                    node, key, f"must be a mapping with 'identifier', not {kind_of(node)}"
                )
            for sub_key, _ in node.value:
                if isinstance(sub_key, yaml.ScalarNode) and sub_key.value == "password":
                    raise where.fail(
                        sub_key,
                        "login.password",
                        "passwords do not belong in files; use VIBETESTING_LOGIN_PASSWORD "
                        "(a CI secret)",
                    )
            login = mapping_items(where, node, key, LOGIN_KEYS)
            if "identifier" in login:
                identifier = login["identifier"][1]
                settings["login_identifier"] = scalar_str(where, identifier, "login.identifier")
                lines["login_identifier"] = line_of(identifier)
    return settings, lines


def parse_tests(text: str, source: str, *, inline: bool = False) -> ParsedFile:
    """Parse tests from YAML/JSON text. ``source`` names it in errors: the file's path, or for
    ``inline`` text (``--tests`` and its variable) the option, and its tests then have no file
    (their classname is the inline one)."""
    import yaml

    where = Where(source)
    file = None if inline else source
    root = compose(text, source)
    if root is None:
        raise InputError(f"{source}: holds no tests (it is empty)")
    if isinstance(root, yaml.SequenceNode):
        return ParsedFile(path=source, tests=_tests(where, root, "", file))
    if isinstance(root, yaml.MappingNode):
        items = mapping_items(where, root, "", TOP_KEYS)
        tests = _tests(where, items["tests"][1], "tests", file) if "tests" in items else ()
        variables = _variables(where, items["variables"][1]) if "variables" in items else {}
        settings, lines = _settings(where, items)
        return ParsedFile(
            path=source,
            tests=tests,
            settings=settings,
            setting_lines=lines,
            variables=variables,
            without_tests=None if "tests" in items else source,
        )
    raise where.fail(
        root, "", f"must be a list of tests or a mapping with 'tests', not {kind_of(root)}"
    )


def load_tests_file(path: str) -> ParsedFile:
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
