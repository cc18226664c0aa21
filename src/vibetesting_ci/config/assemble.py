"""Tests as code, put together: which tests a run sends and the text they carry (issue 23).

From the run's options (:class:`Sources`: the command line, then the ``VIBETESTING_*``
variables), in this order, every step an input error (exit 2) before anything is sent:

1. the tests files (``--tests-file``, repeatable; files, folders, globs: ``discovery``) or the
   inline ``--tests``, each parsed (``testsfile``) and merged (``merge``: tests in order, names
   unique, settings and ``variables:`` agreed);
2. the variables (``variables``: ``--var`` > ``VIBETESTING_VARS`` > the files' ``variables:``,
   and the secret ones from the environment);
3. the selection (``--tag``, ``--exclude-tag``, ``--grep``: ``selection``), then the shard
   (``--shard``: ``shards``);
4. ``${NAME}`` filled in (``Variables.expand``) in the steps of the tests that are sent, the
   general instructions, the focus areas, the login identifier and the target URL, each with
   its form for people (secrets as ``***``: ``Variables.expand_shown``); the target URL
   checked once filled in (``target``). The tests left out or in another shard are not filled
   in (a secret only the nightly pipeline has is not needed by the smoke one), but a malformed
   placeholder is an error wherever it is.

An option or variable that sets a run setting wins over every file (and the files need not
agree on it). Nothing here prints or sends; ``notes`` and ``left_out`` are the lines the run
says (the dry run says ``left_out`` too).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from vibetesting_ci.config import discovery, shards
from vibetesting_ci.config.merge import MergedFiles, ParsedFile, SourcedTest, merge_files
from vibetesting_ci.config.selection import parse_tags, select
from vibetesting_ci.config.target import validate_target_url
from vibetesting_ci.config.variables import (
    VARS_ENV,
    Variables,
    check_syntax,
    combine,
    parse_var_lines,
    parse_var_options,
    secret_variables,
)
from vibetesting_ci.errors import InputError
from vibetesting_ci.safety.redact import redact_credentials
from vibetesting_ci.safety.scrub import MIN_LENGTH

# The run settings a tests file may give, by their RunSettings names (``testsfile``'s keys).
FILE_SETTINGS = (
    "execution_type",
    "target_url",
    "general_instructions",
    "focus_areas",
    "login_identifier",
    "flows_count",
    "max_steps_per_flow",
)
# The texts ${NAME} is filled in, besides the steps.
TEXTS = ("target_url", "general_instructions", "login_identifier")
FIELDS = {"login_identifier": "login.identifier"}
MAX_FILES_SHOWN = 10


class Sources(Protocol):
    """The run's options as ``config`` reads them (command line > variable), with origins."""

    cli: Mapping[str, Any]
    environ: Mapping[str, str]

    def get(self, name: str) -> tuple[Any, str] | None: ...

    def value(self, name: str) -> Any: ...

    def where(self, name: str) -> str: ...


@dataclass(frozen=True)
class Assembled:
    """What the tests as code decided for one run.

    ``settings``: the run settings the files give (those an option sets left out), with
    ``${NAME}`` filled in; ``shown``: the texts among them (and the options' own texts) as
    people may see them; ``tests``: the tests to send (steps filled in, ``shown_steps`` for
    people); ``empty_shard``: set (the line to say) when the shard holds no test."""

    tests: tuple[SourcedTest, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    texts: Mapping[str, Any] = field(default_factory=dict)  # the options' texts, filled in
    shown: Mapping[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    inline: bool = False
    without_tests: str | None = None
    variables: Variables = field(default_factory=Variables)
    files_note: str | None = None  # "tests files: a.yml, b.yml"
    selected: tuple[int, int] | None = None  # (kept, of) when a filter was given
    left_out: tuple[str, ...] = ()  # "left out: 'x' (tag slow excluded)"
    shard_lines: tuple[str, ...] = ()  # "shard 2/4: 3 of 10 tests", after its note if any
    warnings: tuple[str, ...] = ()
    empty_shard: str | None = None

    def lines(self, *, dry_run: bool = False) -> tuple[str, ...]:
        """What the run says about its tests before it starts (the dry run lists each test
        left out; a real run counts them)."""
        found: list[str] = [self.files_note] if self.files_note else []
        if self.selected is not None:
            kept, of = self.selected
            said = f"selected {kept} of {of} tests"
            if dry_run:
                found += [said, *self.left_out]
            else:
                found.append(said + (f"; {of - kept} left out" if of > kept else ""))
        found += self.shard_lines
        if "target_url" in self.shown:
            found.append(f"target URL: {self.shown['target_url']}")
        return tuple(found)


def _values(found: tuple[Any, str] | None) -> tuple[list[str], str] | None:
    """A repeatable option's values, or its variable's lines, and where they came from."""
    if found is None:
        return None
    value, where = found
    items = list(value) if isinstance(value, tuple | list) else str(value).splitlines()
    return [str(item) for item in items], where


def read_files(raw: Sources) -> tuple[list[ParsedFile], bool]:
    """Every tests file (or the inline tests), parsed; and whether the tests were inline."""
    from vibetesting_ci.config.testsfile import load_tests_file, parse_tests

    files = _values(raw.get("tests_file"))
    text = raw.get("tests")
    if files is not None and text is not None:
        raise InputError(f"{files[1]} and {text[1]} both given: use one")
    if text is not None:
        return [parse_tests(str(text[0]), text[1], inline=True)], True
    if files is None:
        return [], False
    values, where = files
    paths = discovery.discover(values, where)
    if not paths:
        raise InputError(f"{where}: is empty")
    return [load_tests_file(path) for path in paths], False


def _set_by_option(raw: Sources) -> set[str]:
    return {name for name in FILE_SETTINGS if raw.get(name) is not None}


def variables_of(raw: Sources, merged: MergedFiles | None = None) -> Variables:
    """The run's variables: ``--var`` (every value given), ``VIBETESTING_VARS``, the files'
    ``variables:`` and the secret ones."""
    from vibetesting_ci.config.variables import VAR_FLAG

    given = raw.cli.get("vars") or ()
    options = parse_var_options([str(v) for v in given], VAR_FLAG)
    lines = parse_var_lines(raw.environ.get(VARS_ENV, ""), VARS_ENV)
    secrets, empty = secret_variables(raw.environ)
    return combine(
        options=options,
        env_lines=lines,
        file=merged.variables if merged is not None else None,
        secrets=secrets,
        empty_secrets=empty,
    )


def _short_secrets(variables: Variables) -> tuple[str, ...]:
    return tuple(
        f"{v.source}: a secret of fewer than {MIN_LENGTH} characters is shown as *** in the dry "
        "run, but cannot be scrubbed from what the service echoes back; use a longer one"
        for v in variables.secret.values()
        if len(v.value) < MIN_LENGTH
    )


def _where(merged: MergedFiles, key: str) -> str:
    """``a.yml:4: focus_areas[2]``: where a file's setting (or one of its items) is written."""
    base = key.split("[", 1)[0]
    place = merged.setting_places.get(key) or merged.setting_places.get(base)
    field_name = FIELDS.get(base, base) + key[len(base) :]
    return f"{place}: {field_name}" if place else field_name


def _fill_texts(
    raw: Sources, merged: MergedFiles, variables: Variables
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """``(file settings, option texts, shown)``: the file settings an option does not set and
    the options' own texts, ``${NAME}`` filled in; and every such text as people may see it."""
    set_by_option = _set_by_option(raw)
    settings = {k: v for k, v in merged.settings.items() if k not in set_by_option}
    texts: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    for name in (*TEXTS, "focus_areas"):
        if name in set_by_option:
            value, target = raw.value(name), texts
            places = [raw.where(name)] * (len(value) if name == "focus_areas" and value else 1)
        elif name in settings:
            value, target = settings[name], settings
            if name == "focus_areas":
                places = [_where(merged, f"{name}[{i}]") for i in range(1, len(value) + 1)]
            else:
                places = [_where(merged, name)]
        else:
            continue
        if value is None:
            continue
        if name == "focus_areas":
            pairs = list(zip(value, places, strict=True))
            target[name] = tuple(variables.expand(v, p) for v, p in pairs)
            shown[name] = tuple(variables.expand_shown(v, p) for v, p in pairs)
            continue
        filled = variables.expand(str(value), places[0])
        seen = variables.expand_shown(str(value), places[0])
        if name == "target_url":
            filled = validate_target_url(filled, places[0], shown=seen)
            seen = redact_credentials(seen.strip())
        target[name], shown[name] = filled, seen
    return settings, texts, shown


def _fill_tests(tests: Sequence[SourcedTest], variables: Variables) -> tuple[SourcedTest, ...]:
    filled: list[SourcedTest] = []
    for test in tests:
        steps = (test.steps,) if isinstance(test.steps, str) else test.steps
        places = test.step_places()
        done = tuple(variables.expand(s, p) for s, p in zip(steps, places, strict=True))
        seen = tuple(variables.expand_shown(s, p) for s, p in zip(steps, places, strict=True))
        one = isinstance(test.steps, str)
        filled.append(
            replace(test, steps=done[0] if one else done, shown_steps=seen[0] if one else seen)
        )
    return tuple(filled)


def _files_note(files: Sequence[str]) -> str:
    shown = ", ".join(files[:MAX_FILES_SHOWN])
    more = len(files) - MAX_FILES_SHOWN
    return f"tests file{'s' if len(files) != 1 else ''}: {shown}" + (
        f" and {more} more" if more > 0 else ""
    )


def assemble(raw: Sources) -> Assembled:
    """The run's tests and texts (see the module's rules), or an input error."""
    parsed, inline = read_files(raw)
    given = raw.cli.get("vars") or ()
    overridden_vars = set(parse_var_options([str(v) for v in given]))
    overridden_vars |= set(parse_var_lines(raw.environ.get(VARS_ENV, "")))
    merged = merge_files(parsed, _set_by_option(raw), overridden_vars)
    variables = variables_of(raw, merged)
    for test in merged.tests:  # names are checked when sent; the syntax everywhere
        steps = (test.steps,) if isinstance(test.steps, str) else test.steps
        for step, place in zip(steps, test.step_places(), strict=True):
            check_syntax(step, place)

    # The files read, when they are not simply the one path given (a folder, a glob, several).
    given = _values(raw.get("tests_file"))
    plain = given is not None and [v.strip() for v in given[0] if v.strip()] == [*merged.files]
    notes = [_files_note(merged.files)] if merged.files and not inline and not plain else []
    tests: tuple[SourcedTest, ...] = merged.tests
    left_out: tuple[str, ...] = ()
    selected: tuple[int, int] | None = None
    tags = _values(raw.get("tags"))
    exclude = _values(raw.get("exclude_tags"))
    grep = raw.get("grep")
    if tags is not None or exclude is not None or grep is not None:
        selection = select(
            tests,
            parse_tags(tags[0], tags[1]) if tags else (),
            parse_tags(exclude[0], exclude[1]) if exclude else (),
            str(grep[0]) if grep else None,
            grep_where=grep[1] if grep else "--grep",
            tag_where=tags[1] if tags else "--tag",
            exclude_where=exclude[1] if exclude else "--exclude-tag",
        )
        selected = (len(selection.kept), len(tests))
        left_out = tuple(item.line for item in selection.left_out)
        tests = selection.kept
    empty_shard = None
    shard_lines: tuple[str, ...] = ()
    found = raw.get("shard")
    if found is not None:
        shard = shards.parse_shard(str(found[0]), found[1], raw.environ)
        if not tests:
            raise InputError(f"{found[1]} splits tests among jobs, and this run has none")
        share = shards.take(tests, shard)
        shard_lines = (*((shard.note,) if shard.note else ()), share.description)
        tests = share.tests
        if share.empty:
            empty_shard = (
                f"{share.description}: no test falls in this shard (more shards than tests); "
                "nothing was sent"
            )
    settings, texts, shown = _fill_texts(raw, merged, variables)
    return Assembled(
        tests=_fill_tests(tests, variables),
        settings=settings,
        texts=texts,
        shown=shown,
        files=merged.files if not inline else (),
        inline=inline,
        without_tests=next((p.without_tests for p in parsed if p.without_tests), None)
        if not merged.tests
        else None,
        variables=variables,
        files_note=notes[0] if notes else None,
        selected=selected,
        left_out=left_out,
        shard_lines=shard_lines,
        warnings=_short_secrets(variables),
        empty_shard=empty_shard,
    )


def common_folder(files: Sequence[str]) -> str | None:
    """The folder the files share (relative as given), for the classname of the cases that name
    no test when a run reads several files; None when they share none."""
    if not files:
        return None
    try:
        common = os.path.commonpath([os.path.dirname(f) or "." for f in files])
    except ValueError:  # absolute and relative mixed, or different drives
        return None
    return None if common in ("", ".") else common
