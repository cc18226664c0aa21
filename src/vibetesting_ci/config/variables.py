"""``${NAME}`` variables in the text a run sends, plain and secret.

Rules (issue 23, "Variables"):

* A name is ``[A-Za-z_][A-Za-z0-9_]*``, case-sensitive (``${order}`` is not ``${ORDER}``; the
  "did you mean" says so).
* **Plain variables**, highest precedence first: ``--var NAME=VALUE`` (repeatable), the lines
  of ``VIBETESTING_VARS``, the tests file's ``variables:`` mapping (defaults). Within one source
  the later definition wins (as in a shell or a dotenv file).

  - ``--var``: split at the first ``=``; the name is stripped, the value kept exactly as given
    (the shell's quoting already shows where it ends; it may be empty or span lines).
  - ``VIBETESTING_VARS`` (and ``VIBETESTING_SECRET_VARS``): one ``NAME=VALUE`` a line; blank
    lines, lines starting with ``#`` (comments) and whitespace around the name and the value
    are ignored; no quoting: ``X="a b"`` keeps its quotes; no ``export``.
  - ``variables:``: values are strings, numbers or booleans, turned into text (``true`` /
    ``false``, ``3``, ``1.5``; quote a number to keep it exactly as written); a list, a
    mapping, an empty value or a date is an input error naming the file and line.

* **Secret variables** come only from the environment: ``VIBETESTING_SECRET_<NAME>`` and the
  lines of ``VIBETESTING_SECRET_VARS``; the former wins for the same name (it is the more
  specific). ``VIBETESTING_SECRET_VARS`` is the list, so a secret called ``VARS`` can only be
  given as a line of it. A secret value is stripped and must be one line (like the API token);
  an empty one counts as unset (a CI secret missing on a fork expands to ""), and the error for
  its ``${NAME}`` says the variable is empty. Windows upper-cases environment names, so give
  secrets upper-case names there. A name may not be both secret and plain (from any plain
  source): that is an input error naming both sources, so a missing CI secret can never fall
  back silently to a committed default. An error never shows a secret value, nor a line of
  ``VIBETESTING_SECRET_VARS`` (only its number, and a valid name).
* **Expansion**: ``${NAME}`` is replaced by the value; ``$${`` is a literal ``${`` (so
  ``$${NAME}`` gives ``${NAME}``, and :func:`escape` undoes :meth:`Variables.expand` exactly);
  a ``$`` not followed by ``{`` is text. Values are inserted as they are: no expansion inside
  values, no shell, no default syntax (``${X:-y}`` is malformed). An unknown name is an input
  error naming ``where`` (the caller's "file:line: field" or option) and the name, with a
  "did you mean". A malformed placeholder (``${}``, ``${1X}``, ``${a b}``, a ``${`` never
  closed by ``}``) is an input error too, not literal text: sending it unexpanded without a word
  is the silent failure the issue reports; the message says to write ``$${`` for a literal.
* :meth:`Variables.expand_shown` is the dry run's form: each secret placeholder shows ``***``,
  and so does any literal occurrence of a secret value of :data:`scrub.MIN_LENGTH` or more
  characters (the scrubber's rule), wherever it came from; so do the errors of both forms.
* Test names take no placeholders (they are the tests' identity in CI history):
  :func:`check_test_name` raises for one, and undoes ``$${`` like everywhere else.

Pure: no printing, no environment read except the mapping handed in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from vibetesting_ci.config.suggest import did_you_mean
from vibetesting_ci.errors import InputError
from vibetesting_ci.safety.scrub import MIN_LENGTH
from vibetesting_ci.safety.text import normalise, one_line

NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*"
VAR_FLAG = "--var"
VARS_ENV = "VIBETESTING_VARS"
SECRET_PREFIX = "VIBETESTING_SECRET_"  # noqa: S105 - a variable name, not a secret
SECRET_VARS_ENV = "VIBETESTING_SECRET_VARS"  # noqa: S105 - a variable name
MASK = "***"
NAME_RULE = "letters, digits and _, not starting with a digit"
LITERAL_HINT = "write $${ for a literal ${"

_NAME = re.compile(NAME_PATTERN)
_OPENING = re.compile(r"\$\$\{|\$\{")  # leftmost first: "$$${" is "$" then "$${"


@dataclass(frozen=True)
class Variable:
    """One defined variable: its value and where it was defined (for error messages)."""

    name: str
    value: str
    source: str  # "--var", "VIBETESTING_VARS line 3", "tests.yml:4", "VIBETESTING_SECRET_X"
    secret: bool = False

    def __repr__(self) -> str:
        value = MASK if self.secret else repr(self.value)
        return f"Variable({self.name}={value}, source={self.source!r}, secret={self.secret})"


# -- scanning ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    text: str


@dataclass(frozen=True)
class _Placeholder:
    name: str


@dataclass(frozen=True)
class _Malformed:
    raw: str
    problem: str


_Token = _Text | _Placeholder | _Malformed


def _tokens(text: str) -> Iterator[_Token]:
    """``text`` as literal pieces (escapes undone), placeholders and malformed placeholders."""
    pos = 0
    while True:
        match = _OPENING.search(text, pos)
        if match is None:
            if pos < len(text):
                yield _Text(text[pos:])
            return
        if match.start() > pos:
            yield _Text(text[pos : match.start()])
        if match.group() == "$${":
            yield _Text("${")
            pos = match.end()
            continue
        close = text.find("}", match.end())
        if close < 0:
            raw = text[match.start() :]
            yield _Malformed(raw, f"{_shown(raw)} is not closed with '}}'")
            return
        raw, inner = text[match.start() : close + 1], text[match.end() : close]
        if _NAME.fullmatch(inner):
            yield _Placeholder(inner)
        elif not inner:
            yield _Malformed(raw, "'${}' names no variable")
        else:
            yield _Malformed(raw, f"{_shown(raw)} is not a variable name ({NAME_RULE})")
        pos = close + 1


def _shown(raw: str) -> str:
    return repr(one_line(raw, 40))


def placeholders(text: str) -> tuple[str, ...]:
    """The names ``text``'s well-formed placeholders use, in order of first use (``$${X}``
    is no placeholder; malformed ones are left out: :meth:`Variables.expand` reports them)."""
    names: dict[str, None] = {}
    for token in _tokens(text):
        if isinstance(token, _Placeholder):
            names.setdefault(token.name)
    return tuple(names)


def has_placeholder(text: str) -> bool:
    """True when ``text`` holds a placeholder, well-formed or not (``$${`` does not count)."""
    return any(isinstance(t, _Placeholder | _Malformed) for t in _tokens(text))


def check_syntax(text: str, where: str) -> None:
    """An input error for a malformed placeholder in ``text`` (``${}``, ``${1X}``, a ``${``
    never closed), whatever the variables: what :meth:`Variables.expand` would refuse even
    with every name defined. For the text of tests that are not sent (left out by a tag or
    in another shard): their names need no value, their syntax is checked all the same."""
    for token in _tokens(text):
        if isinstance(token, _Malformed):
            raise InputError(f"{where}: {token.problem}; {LITERAL_HINT}")


def escape(text: str) -> str:
    """The text to write so that expansion gives ``text`` back (``${`` becomes ``$${``)."""
    return text.replace("${", "$${")


def check_test_name(name: str, where: str) -> str:
    """The test name as sent (``$${`` undone), or an input error when it holds a placeholder:
    test names are the tests' identity in CI history, so they take no variables."""
    for token in _tokens(name):
        if isinstance(token, _Placeholder | _Malformed):
            raw = "${" + token.name + "}" if isinstance(token, _Placeholder) else token.raw
            raise InputError(
                f"{where}: test names take no variables (they are the test's identity in CI "
                f"history), found {_shown(raw)}; {LITERAL_HINT}"
            )
    return "".join(t.text for t in _tokens(name) if isinstance(t, _Text))


# -- the value -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variables:
    """The plain and secret variables of a run; expands ``${NAME}`` in the text it sends.

    Build it with :func:`combine` (or :func:`from_sources`): a name is never both plain and
    secret. ``empty`` names the secrets given empty (for the unknown-variable message)."""

    plain: Mapping[str, Variable] = field(default_factory=dict)
    secret: Mapping[str, Variable] = field(default_factory=dict)
    empty: Mapping[str, str] = field(default_factory=dict)  # name -> the variable set to ""

    def __post_init__(self) -> None:
        both = (self.plain.keys() & self.secret.keys()) | (self.plain.keys() & self.empty.keys())
        for name in sorted(both):
            found = self.secret.get(name)
            secret = found.source if found is not None else f"{self.empty[name]}, set but empty"
            raise InputError(
                f"variable {name} is defined as a secret ({secret}) and as a plain "
                f"variable ({self.plain[name].source}); a name is one or the other: rename one"
            )

    def names(self) -> tuple[str, ...]:
        """Every defined name, sorted."""
        return tuple(sorted({*self.plain, *self.secret}))

    def get(self, name: str) -> Variable | None:
        return self.secret.get(name) or self.plain.get(name)

    def secrets(self) -> tuple[str, ...]:
        """The secret values (unique, longest first): to mask (``::add-mask::``) and scrub
        before anything is printed."""
        values = {v.value for v in self.secret.values()}
        return tuple(sorted(values, key=lambda v: (-len(v), v)))

    def secrets_in(self, text: str) -> tuple[str, ...]:
        """The names of the secret variables ``text``'s placeholders use, in order."""
        return tuple(name for name in placeholders(text) if name in self.secret)

    def expand(self, text: str, where: str) -> str:
        """``text`` with every placeholder replaced by its value: what the service gets."""
        return "".join(self._pieces(text, where, shown=False))

    def expand_shown(self, text: str, where: str) -> str:
        """:meth:`expand` with every secret shown as ``***`` (the dry run, logs)."""
        return self._mask("".join(self._pieces(text, where, shown=True)))

    def _pieces(self, text: str, where: str, *, shown: bool) -> Iterator[str]:
        for token in _tokens(text):
            if isinstance(token, _Text):
                yield token.text
            elif isinstance(token, _Malformed):  # the text may hold a secret written out
                raise InputError(self._mask(f"{where}: {token.problem}; {LITERAL_HINT}"))
            else:
                variable = self.get(token.name)
                if variable is None:
                    raise InputError(self._mask(f"{where}: {self._unknown(token.name)}"))
                yield MASK if shown and variable.secret else variable.value

    def _unknown(self, name: str) -> str:
        message = f"unknown variable ${{{name}}}"
        if name in self.empty:
            return f"{message} ({self.empty[name]} is set but empty: is the secret available?)"
        hint = did_you_mean(name, self.names())
        if hint:
            return message + hint
        return (
            f"{message} (define it with --var {name}=VALUE, a {VARS_ENV} line or the tests "
            f"file's variables; a secret with {SECRET_PREFIX}{name})"
        )

    def _mask(self, text: str) -> str:
        long_enough = [re.escape(s) for s in self.secrets() if len(s) >= MIN_LENGTH]
        if not long_enough or not text:
            return text
        return re.sub("|".join(long_enough), MASK, text)


# -- the sources ---------------------------------------------------------------------------------


def _check_name(name: str, where: str) -> None:
    if not _NAME.fullmatch(name):
        raise InputError(f"{where}: {one_line(name, 40)!r} is not a variable name ({NAME_RULE})")


def _from_os(text: str, where: str) -> str:
    try:
        return normalise(text, from_os=True)
    except ValueError as exc:  # half a surrogate pair, or a byte that is not UTF-8
        raise InputError(f"{where}: {exc}") from None


def parse_var_options(values: Iterable[str], where: str = VAR_FLAG) -> dict[str, Variable]:
    """``--var NAME=VALUE`` values (later ones win). Errors: ``--var 'X': expected NAME=VALUE``."""
    found: dict[str, Variable] = {}
    for value in values:
        shown = f"{where} {one_line(value, 60)!r}"
        name, equals, text = value.partition("=")
        if not equals:
            raise InputError(f"{shown}: expected NAME=VALUE")
        name = name.strip()
        _check_name(name, shown)
        found[name] = Variable(name, _from_os(text, f"{where} {name}"), where)
    return found


def _lines(text: str, where: str, *, secret: bool) -> Iterator[tuple[str, str, str]]:
    """``(name, value, "WHERE line N")`` for each ``NAME=VALUE`` line of ``text``."""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        here = f"{where} line {number}"
        name, equals, value = stripped.partition("=")
        name = name.strip()
        if not equals:
            got = " (the line is not shown: it may hold a secret)" if secret else ""
            got = got or f", got {one_line(stripped, 60)!r}"
            raise InputError(f"{here}: expected NAME=VALUE{got}")
        if secret and not _NAME.fullmatch(name):
            raise InputError(f"{here}: the text before '=' is not a variable name ({NAME_RULE})")
        _check_name(name, here)
        yield name, _from_os(value.strip(), here), here


def parse_var_lines(text: str, where: str = VARS_ENV) -> dict[str, Variable]:
    """The ``NAME=VALUE`` lines of ``VIBETESTING_VARS`` (later lines win)."""
    return {
        name: Variable(name, value, here) for name, value, here in _lines(text, where, secret=False)
    }


def _file_value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"{where}: {value} is not a number to send; put it in quotes")
        return repr(value)
    if isinstance(value, str):
        try:
            return normalise(value)
        except ValueError as exc:
            raise InputError(f"{where}: {exc}") from None
    kind = {list: "a list", tuple: "a list", dict: "a mapping", type(None): "empty (null)"}
    what = kind.get(type(value), f"{type(value).__name__} ({one_line(str(value), 40)!r})")
    raise InputError(f"{where}: must be a string, a number or true/false, not {what}")


def parse_file_variables(
    mapping: Mapping[Any, Any], source: str, lines: Mapping[str, int] | None = None
) -> dict[str, Variable]:
    """A tests file's ``variables:`` mapping (already loaded). ``source`` is the file's path,
    ``lines`` the line of each key when known; errors read ``tests.yml:4: variables.X: ...``."""
    found: dict[str, Variable] = {}
    for key, value in mapping.items():
        line = (lines or {}).get(key) if isinstance(key, str) else None
        at = f"{source}:{line}" if line else source
        if not isinstance(key, str) or not _NAME.fullmatch(key):
            shown = one_line(str(key), 40)
            raise InputError(f"{at}: variables: {shown!r} is not a variable name ({NAME_RULE})")
        found[key] = Variable(key, _file_value(value, f"{at}: variables.{key}"), at)
    return found


def _secret_value(value: str, where: str) -> str | None:
    text = _from_os(value, where).strip()
    if "\n" in text or "\r" in text:
        raise InputError(f"{where}: a secret variable must be one line")
    return text or None


def secret_values(environ: Mapping[str, str]) -> tuple[str, ...]:
    """Every value that may be a secret variable's, read leniently (no errors: a malformed line
    is the run's error to report later): each ``VIBETESTING_SECRET_<NAME>`` value and the text
    after the first ``=`` of each line of ``VIBETESTING_SECRET_VARS`` (and the whole line when
    it has none), stripped. To mask and scrub before anything is printed."""
    found: list[str] = []
    for key, value in environ.items():
        if not key.startswith(SECRET_PREFIX):
            continue
        if key != SECRET_VARS_ENV:
            found.append(value.strip())
            continue
        for line in value.splitlines():
            name, equals, rest = line.partition("=")
            found.append((rest if equals else name).strip())
    return tuple(sorted({v for v in found if v}, key=lambda v: (-len(v), v)))


def secret_variables(environ: Mapping[str, str]) -> tuple[dict[str, Variable], dict[str, str]]:
    """The secret variables in ``environ``, and the names given empty (name -> variable).

    ``VIBETESTING_SECRET_<NAME>`` wins over a ``VIBETESTING_SECRET_VARS`` line of that name."""
    found: dict[str, Variable] = {}
    empty: dict[str, str] = {}
    for name, raw, here in _lines(environ.get(SECRET_VARS_ENV, ""), SECRET_VARS_ENV, secret=True):
        value = _secret_value(raw, here)
        if value is None:
            found.pop(name, None)
            empty[name] = here
        else:
            found[name] = Variable(name, value, here, secret=True)
            empty.pop(name, None)
    for key in sorted(environ):
        if not key.startswith(SECRET_PREFIX) or key == SECRET_VARS_ENV:
            continue
        name = key[len(SECRET_PREFIX) :]
        if not _NAME.fullmatch(name):
            raise InputError(
                f"{key}: the part after {SECRET_PREFIX} must be a variable name ({NAME_RULE})"
            )
        value = _secret_value(environ[key], key)
        if value is None:
            if name not in found:
                empty[name] = key
        else:
            found[name] = Variable(name, value, key, secret=True)
            empty.pop(name, None)
    return found, empty


def combine(
    *,
    options: Mapping[str, Variable] | None = None,
    env_lines: Mapping[str, Variable] | None = None,
    file: Mapping[str, Variable] | None = None,
    secrets: Mapping[str, Variable] | None = None,
    empty_secrets: Mapping[str, str] | None = None,
) -> Variables:
    """The run's variables: plain ones by precedence (``--var`` > ``VIBETESTING_VARS`` > the
    file), and the secrets. A name both plain and secret is an input error naming both."""
    plain: dict[str, Variable] = {**(file or {}), **(env_lines or {}), **(options or {})}
    return Variables(plain=plain, secret=dict(secrets or {}), empty=dict(empty_secrets or {}))


def from_sources(
    var_options: Iterable[str],
    environ: Mapping[str, str],
    file: Mapping[str, Variable] | None = None,
) -> Variables:
    """Every source at once: the ``--var`` values, ``VIBETESTING_VARS`` and the secrets from
    ``environ``, and the tests files' variables (:func:`parse_file_variables`, merged)."""
    secrets, empty = secret_variables(environ)
    return combine(
        options=parse_var_options(var_options),
        env_lines=parse_var_lines(environ.get(VARS_ENV, "")),
        file=file,
        secrets=secrets,
        empty_secrets=empty,
    )
