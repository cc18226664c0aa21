"""Several parsed tests files as one run: tests in order, settings and variables agreed.

Rules (issue 23, "Many files"):

* Tests keep their files' order (the order :mod:`discovery` gives), each carrying the file and
  line it came from (:class:`SourcedTest`): its JUnit classname comes from its own file.
* A test name used in two files is an input error naming both places (``a.yml:4`` and
  ``b.yml:9``); names compare exactly, as within one file (``testsfile``).
* A run setting (whatever a file's ``settings`` holds: ``execution_type``,
  ``general_instructions``, ``focus_areas``, ``login_identifier``, ``flows_count``,
  ``max_steps_per_flow``, ``target_url``...) given by more than one file must be equal in each,
  else an input error naming the key and both places. A setting the command line or the
  environment sets (``overridden``) is not compared: the option wins over every file anyway.
  Values are compared as written, before ``${NAME}`` expansion.
* The files' ``variables:`` merge by name; the same name with different values in two files is
  an input error naming both places (the same value twice is fine), unless ``--var`` or
  ``VIBETESTING_VARS`` defines it (it wins over every file anyway).

Pure: the files are parsed already (by ``testsfile``), this only combines them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vibetesting_ci.config.variables import Variable
from vibetesting_ci.errors import InputError
from vibetesting_ci.safety.text import one_line


@dataclass(frozen=True)
class SourcedTest:
    """One test and where it came from. ``file`` is None for tests given inline (``--tests``);
    ``source`` then names the option or variable that gave them (for error messages)."""

    name: str
    steps: str | tuple[str, ...]
    tags: tuple[str, ...] = ()
    file: str | None = None
    line: int | None = None  # the line of the test's entry (or of its name) in ``file``
    index: int = 0  # its place among its file's tests, from 1 (``tests[2]``); 0: unknown
    step_lines: tuple[int, ...] = ()  # the line of each step (of the one string), when known
    source: str | None = None  # the file, option or variable it was read from
    # The steps as the dry run and logs may show them (secret variables as ***), once the
    # variables are filled in; None: the same as ``steps``.
    shown_steps: str | tuple[str, ...] | None = None
    classname: str = ""  # its JUnit classname (from its own file), set by the run settings

    @property
    def place(self) -> str:
        """``tests/a.yml:4`` (or just the file, or ``--tests``)."""
        return _place(self.file or self.source or "--tests", self.line)

    @property
    def field(self) -> str:
        """``tests[2] ('checkout')``: the test as error messages name it."""
        at = f"tests[{self.index}]" if self.index else "test"
        return f"{at} ({one_line(self.name, 40)!r})"

    def step_places(self) -> tuple[str, ...]:
        """Where each step is written, as errors about it start: ``a.yml:9: tests[2]
        ('checkout').steps[1]`` (``.steps`` for steps given as one string)."""
        origin = self.file or self.source or "--tests"
        count = 1 if isinstance(self.steps, str) else len(self.steps)
        places = []
        for i in range(count):
            line = self.step_lines[i] if i < len(self.step_lines) else self.line
            path = ".steps" if isinstance(self.steps, str) else f".steps[{i + 1}]"
            places.append(f"{_place(origin, line)}: {self.field}{path}")
        return tuple(places)

    def to_api(self, *, shown: bool = False) -> dict[str, Any]:
        """The test as the request body carries it (tags and origin are ours, not sent);
        ``shown``: with the secrets as ``***`` (:attr:`shown_steps`)."""
        chosen = self.shown_steps if shown and self.shown_steps is not None else self.steps
        steps: str | list[str] = chosen if isinstance(chosen, str) else list(chosen)
        return {"name": self.name, "steps": steps}


@dataclass(frozen=True)
class ParsedFile:
    """What one tests file gave: its path as discovered, its tests, its run settings (keyed as
    ``testsfile.parse_tests``: RunSettings' names), the line of each setting when known, and its
    ``variables:`` (``variables.parse_file_variables``)."""

    path: str
    tests: tuple[SourcedTest, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    setting_lines: Mapping[str, int] = field(default_factory=dict)  # also "focus_areas[2]"
    variables: Mapping[str, Variable] = field(default_factory=dict)
    # A mapping without a ``tests`` key: where it came from, so that "no tests" can say what
    # is missing. None for a list, or a mapping with tests.
    without_tests: str | None = None

    def setting_place(self, key: str) -> str:
        return _place(self.path, self.setting_lines.get(key))


@dataclass(frozen=True)
class MergedFiles:
    """The run the files describe together: every test in order, the settings and variables
    they agree on, and which file gave each setting."""

    tests: tuple[SourcedTest, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    setting_places: Mapping[str, str] = field(default_factory=dict)  # also "focus_areas[2]"
    variables: Mapping[str, Variable] = field(default_factory=dict)
    files: tuple[str, ...] = ()


def _place(file: str, line: int | None) -> str:
    return f"{file}:{line}" if line else file


def _shown(value: Any) -> str:
    if isinstance(value, tuple | list):
        value = ", ".join(map(str, value))
    return repr(one_line(str(value), 60))


def merge_files(
    files: Sequence[ParsedFile],
    overridden: Collection[str] = (),
    overridden_variables: Collection[str] = (),
) -> MergedFiles:
    """The files as one run (see the module's rules), or an input error naming the places.

    ``overridden``: the settings an option or variable sets; ``overridden_variables``: the
    names ``--var`` or ``VIBETESTING_VARS`` define. Those are not compared between files."""
    tests: list[SourcedTest] = []
    names: dict[str, SourcedTest] = {}
    settings: dict[str, Any] = {}
    places: dict[str, str] = {}
    variables: dict[str, Variable] = {}
    for parsed in files:
        for test in parsed.tests:
            first = names.get(test.name)
            if first is not None:
                raise InputError(
                    f"test name {one_line(test.name, 80)!r} is used twice: {first.place} and "
                    f"{test.place}; names must be unique across tests files"
                )
            names[test.name] = test
            tests.append(test)
        for key, value in parsed.settings.items():
            if key in overridden:
                continue
            here = parsed.setting_place(key)
            if key in settings and settings[key] != value:
                raise InputError(
                    f"run setting {key!r} differs between tests files: {places[key]} has "
                    f"{_shown(settings[key])}, {here} has {_shown(value)}; give it in one file, "
                    "the same in each, or set it as an option"
                )
            if key not in settings:
                settings[key], places[key] = value, here
                for item, line in parsed.setting_lines.items():  # focus_areas[2]: its own line
                    if item.startswith(f"{key}["):
                        places[item] = _place(parsed.path, line)
        for name, variable in parsed.variables.items():
            known = variables.get(name)
            if known is not None and name in overridden_variables:
                continue
            if known is not None and known.value != variable.value:
                raise InputError(
                    f"variable {name} differs between tests files: {known.source} has "
                    f"{_shown(known.value)}, {variable.source} has {_shown(variable.value)}; "
                    "give it in one file, the same in each, or set it with --var"
                )
            variables.setdefault(name, variable)
    return MergedFiles(
        tests=tuple(tests),
        settings=settings,
        setting_places=places,
        variables=variables,
        files=tuple(parsed.path for parsed in files),
    )
