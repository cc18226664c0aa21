"""Shards: one run's selected tests split across parallel CI jobs (``--shard K/N``).

Rules (issue 23, "Shards"):

* ``K/N``: whole numbers (digits only, spaces around ``/`` allowed), ``1 <= K <= N``,
  ``N <= MAX_SHARDS`` (more is a typo). Errors are one line naming the option or variable.
* ``auto`` (any case): GitLab's ``parallel:`` variables, ``CI_NODE_INDEX`` (1-based) and
  ``CI_NODE_TOTAL``. When **both are unset** (a job without ``parallel:``, which GitLab runs as
  a single job) it is the one shard ``1/1``, every selected test, with a :attr:`Shard.note`
  saying so for the log; one set without the other, or bad values, is an input error naming
  the variable.
* Applied after selection. Test ``i`` (0-based, in the selected order) goes to shard
  ``(i mod N) + 1``: the same test list always gives the same shards, the shards are disjoint,
  together hold every test, and differ in size by at most one.
* A shard left with no test is not an error: :func:`take` returns it empty (the caller exits 0
  and sends nothing, saying so).

Pure: ``environ`` is handed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from vibetesting_ci.errors import InputError
from vibetesting_ci.safety.text import one_line

SHARD_FLAG = "--shard"
AUTO = "auto"
INDEX_ENV = "CI_NODE_INDEX"
TOTAL_ENV = "CI_NODE_TOTAL"
MAX_SHARDS = 10_000

_FORM = re.compile(r"\+?([0-9]{1,9})\s*/\s*\+?([0-9]{1,9})")

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``total`` (1-based), where it came from, and a note for the log."""

    index: int = 1
    total: int = 1
    source: str = SHARD_FLAG
    note: str | None = None

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


@dataclass(frozen=True)
class ShardTests(Generic[T]):
    """A shard's tests, in the selected order, and how many were selected in all."""

    shard: Shard
    tests: tuple[T, ...]
    of: int

    @property
    def empty(self) -> bool:
        return not self.tests

    @property
    def description(self) -> str:
        """``shard 2/4: 3 of 10 tests``."""
        return f"shard {self.shard}: {len(self.tests)} of {self.of} test{'s' * (self.of != 1)}"


def _check(index: int, total: int, where: str, shown: str) -> None:
    if total < 1:
        raise InputError(f"{where}: the number of shards must be at least 1, got {shown}")
    if total > MAX_SHARDS:
        raise InputError(f"{where}: at most {MAX_SHARDS} shards, got {shown}")
    if not 1 <= index <= total:
        raise InputError(
            f"{where}: the shard must be from 1 to {total} (K counts from 1), got {shown}"
        )


def parse_shard(
    text: str, where: str = SHARD_FLAG, environ: Mapping[str, str] | None = None
) -> Shard:
    """``K/N`` or ``auto`` (read from ``environ``'s GitLab variables) as a :class:`Shard`."""
    value = text.strip()
    shown = repr(one_line(value, 40))
    if value.lower() == AUTO:
        return _auto(where, environ or {})
    match = _FORM.fullmatch(value)
    if match is None:
        raise InputError(f"{where}: expected K/N (e.g. 2/4, shard 2 of 4) or {AUTO}, got {shown}")
    index, total = int(match.group(1)), int(match.group(2))
    _check(index, total, where, shown)
    return Shard(index, total, where)


def _auto(where: str, environ: Mapping[str, str]) -> Shard:
    index_text = environ.get(INDEX_ENV, "").strip()
    total_text = environ.get(TOTAL_ENV, "").strip()
    if not index_text and not total_text:
        return Shard(
            1,
            1,
            f"{where} {AUTO}",
            note=(
                f"{where} {AUTO}: {INDEX_ENV} and {TOTAL_ENV} are not set (not a GitLab "
                "parallel: job), so this job runs every selected test as shard 1/1"
            ),
        )
    numbers: list[int] = []
    for name, text in ((INDEX_ENV, index_text), (TOTAL_ENV, total_text)):
        if not text:
            other = TOTAL_ENV if name == INDEX_ENV else INDEX_ENV
            raise InputError(f"{where} {AUTO}: {other} is set but {name} is not")
        if not re.fullmatch(r"\+?[0-9]{1,9}", text):
            raise InputError(
                f"{where} {AUTO}: {name} must be a whole number, got {one_line(text, 40)!r}"
            )
        numbers.append(int(text))
    index, total = numbers
    _check(index, total, f"{where} {AUTO} ({INDEX_ENV}/{TOTAL_ENV})", f"{index}/{total}")
    return Shard(index, total, f"{where} {AUTO} ({INDEX_ENV}={index}, {TOTAL_ENV}={total})")


def take(tests: Sequence[T], shard: Shard) -> ShardTests[T]:
    """The shard's share of ``tests`` (round-robin by position); may be empty."""
    mine = tuple(test for i, test in enumerate(tests) if i % shard.total == shard.index - 1)
    return ShardTests(shard, mine, len(tests))
