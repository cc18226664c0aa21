"""Which tests a run sends: ``tags`` per test, ``--tag``, ``--exclude-tag``, ``--grep``.

Rules (issue 23, "Selection"):

* A tag is a word: not empty, no whitespace, no comma (so ``tags: smoke, checkout`` written as
  one string, or ``--tag smoke,checkout``, is an input error that says how to write it).
  :func:`parse_tag` checks one (the tests file's entries), :func:`parse_tags` the option's
  values (blank ones dropped, repeats dropped).
* Tags compare **case-insensitively** (``Smoke`` selects ``smoke``); they are shown as written.
* A test is kept when (no ``--tag`` is given, or it has any of them) and it has none of the
  ``--exclude-tag`` tags and (no ``--grep``, or the case-insensitive regular expression is
  found in its name, ``re.search``). Tests keep their order.
* A test left out has one reason, the first that applies in this order: an excluded tag, no
  wanted tag, the name not matching; :attr:`LeftOut.line` reads
  ``left out: 'checkout guest' (tag checkout excluded)``.
* A bad regular expression is an input error naming ``--grep`` (or its variable) and the error.
* Nothing selected is an input error naming the filter that matched nothing (its option or
  variable first), with the tags the files have and a "did you mean" (``--tag: no test has tag
  'smok' (tags in the files: checkout, smoke); did you mean 'smoke'?``). Filters over a run
  with no tests at all are an input error too. With no filter, every test is kept (none is no
  error: not selection's business).

Pure. Works on anything with ``name`` and ``tags`` (:class:`Selectable`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from vibetesting_ci.config.suggest import nearest
from vibetesting_ci.errors import InputError
from vibetesting_ci.safety.text import one_line

GREP_FLAG = "--grep"
TAG_FLAG = "--tag"
EXCLUDE_TAG_FLAG = "--exclude-tag"
MAX_TAGS_SHOWN = 20


class Selectable(Protocol):
    """A test as selection sees it."""

    @property
    def name(self) -> str: ...

    @property
    def tags(self) -> Sequence[str]: ...


T = TypeVar("T", bound=Selectable)


@dataclass(frozen=True)
class LeftOut(Generic[T]):
    """A test the selection did not keep, and why (``tag checkout excluded``)."""

    test: T
    reason: str

    @property
    def line(self) -> str:
        """The dry run's line: ``left out: 'checkout guest' (tag checkout excluded)``."""
        return f"left out: {one_line(self.test.name, 80)!r} ({self.reason})"


@dataclass(frozen=True)
class Selection(Generic[T]):
    """The tests kept, in order, and those left out, each with its reason."""

    kept: tuple[T, ...]
    left_out: tuple[LeftOut[T], ...] = ()


def parse_tag(text: str, where: str) -> str:
    """One tag, stripped; an input error when it is empty or holds whitespace or a comma."""
    tag = text.strip()
    if not tag:
        raise InputError(f"{where}: a tag must not be empty")
    if "," in tag or any(c.isspace() for c in tag):
        raise InputError(
            f"{where}: {one_line(tag, 60)!r} is not one tag (a tag has no spaces or commas); "
            "give each tag on its own: a list in the tests file, --tag once per tag, one a "
            "line in the variable"
        )
    return tag


def parse_tags(values: Iterable[str], where: str) -> tuple[str, ...]:
    """The tags of ``--tag`` / ``--exclude-tag`` (or a variable's lines): blank values
    dropped, each checked by :func:`parse_tag`, repeats (any case) dropped, order kept."""
    found: dict[str, str] = {}
    for value in values:
        if value.strip():
            tag = parse_tag(value, where)
            found.setdefault(tag.casefold(), tag)
    return tuple(found.values())


def compile_grep(pattern: str, where: str = GREP_FLAG) -> re.Pattern[str]:
    """The case-insensitive regular expression, or an input error naming ``where``."""
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        at = f" at position {exc.pos}" if exc.pos is not None else ""
        raise InputError(
            f"{where}: not a valid regular expression ({exc.msg}{at}): {one_line(pattern, 80)!r}"
        ) from None
    except (OverflowError, RecursionError):  # absurd repeat counts or nesting
        raise InputError(
            f"{where}: not a usable regular expression: {one_line(pattern, 80)!r}"
        ) from None


def _folded(tags: Iterable[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag in tags:
        found.setdefault(tag.casefold(), tag)
    return found


def _listed(tags: Iterable[str]) -> str:
    names = sorted(tags, key=lambda t: (t.casefold(), t))
    shown = ", ".join(one_line(t, 40) for t in names[:MAX_TAGS_SHOWN])
    more = len(names) - MAX_TAGS_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _quoted(tags: Iterable[str]) -> str:
    return ", ".join(repr(one_line(t, 40)) for t in tags)


def select(
    tests: Sequence[T],
    tags: Sequence[str] = (),
    exclude_tags: Sequence[str] = (),
    grep: str | None = None,
    *,
    grep_where: str = GREP_FLAG,
    tag_where: str = TAG_FLAG,
    exclude_where: str = EXCLUDE_TAG_FLAG,
) -> Selection[T]:
    """The tests to send and those left out (see the module's rules). ``grep`` None or ``""``
    is no filter; ``grep_where``, ``tag_where`` and ``exclude_where`` name the sources (an
    option or a variable) in errors."""
    pattern = compile_grep(grep, grep_where) if grep else None
    if not tags and not exclude_tags and pattern is None:
        return Selection(tuple(tests))
    if not tests:
        raise InputError(
            f"{TAG_FLAG}, {EXCLUDE_TAG_FLAG} and {GREP_FLAG} select among tests, and this run "
            "has none"
        )
    wanted, excluded = _folded(tags), _folded(exclude_tags)
    kept: list[T] = []
    left_out: list[LeftOut[T]] = []
    for test in tests:
        own = _folded(test.tags)
        hit = next((own[t] for t in own if t in excluded), None)
        if hit is not None:
            left_out.append(LeftOut(test, f"tag {one_line(hit, 40)} excluded"))
        elif wanted and not own.keys() & wanted.keys():
            wanted_words = " or ".join(one_line(t, 40) for t in wanted.values())
            left_out.append(LeftOut(test, f"not tagged {wanted_words}"))
        elif pattern is not None and not pattern.search(test.name):
            shown = one_line(pattern.pattern, 60)
            left_out.append(LeftOut(test, f"name does not match {grep_where} {shown!r}"))
        else:
            kept.append(test)
    if not kept:
        wheres = (tag_where, exclude_where, grep_where)
        raise InputError(_nothing_selected(tests, wanted, excluded, pattern, wheres))
    return Selection(tuple(kept), tuple(left_out))


def _nothing_selected(
    tests: Sequence[Selectable],
    wanted: dict[str, str],
    excluded: dict[str, str],
    pattern: re.Pattern[str] | None,
    wheres: tuple[str, str, str],
) -> str:
    """Why no test was kept: the first filter that left nothing, in words, after its source."""
    tag_where, exclude_where, grep_where = wheres
    every = _folded(t for test in tests for t in test.tags)
    in_files = f"tags in the files: {_listed(every.values())}" if every else "no test has tags"
    if wanted and not wanted.keys() & every.keys():
        hints = [
            f"did you mean {close!r}?"
            for close in (nearest(t, every.values()) for t in wanted.values())
            if close is not None
        ]
        which = "tag" if len(wanted) == 1 else "any of the tags"
        hint = f"; {' '.join(hints)}" if hints else ""
        return f"{tag_where}: no test has {which} {_quoted(wanted.values())} ({in_files}){hint}"
    candidates = [t for t in tests if not wanted or _folded(t.tags).keys() & wanted.keys()]
    survivors = [t for t in candidates if not _folded(t.tags).keys() & excluded.keys()]
    if not survivors:
        among = f"with tag {_quoted(wanted.values())} " if wanted else ""
        return (
            f"{exclude_where}: every test {among}has an excluded tag "
            f"({_quoted(excluded.values())}): nothing left of {_tests(len(tests))}"
        )
    shown = one_line(pattern.pattern if pattern is not None else "", 80)
    among = _tests(len(survivors)) + (" left by the tags" if wanted or excluded else "")
    return f"{grep_where}: {shown!r} matches no test name (among {among})"


def _tests(count: int) -> str:
    return f"{count} test{'s' if count != 1 else ''}"
