"""Which tests files a run reads: ``--tests-file`` values as files, folders or globs.

Rules (issue 23, "Many files"):

* Each value (``--tests-file`` is repeatable; ``VIBETESTING_TESTS_FILE`` and the action input
  take one a line) is stripped; a blank one is skipped. Then, in this order:

  - an existing **folder**: every ``*.yml``, ``*.yaml``, ``*.json`` below it (any depth; the
    suffix in any case), sorted by path; hidden folders and files (``.git``, ``.github``,
    ``.x.yml``) are skipped, and symbolic links to folders are not followed (no loops);
  - an existing path that is not a folder: that **file**, whatever its suffix (a FIFO or device
    is the parser's to refuse);
  - a value with ``*``, ``?`` or ``[``: a **glob** (``**`` spans folders, Python's
    ``glob(recursive=True)``; like a shell it skips hidden names): the files it matches that
    have a tests-file suffix, sorted by path (matched folders are not entered: write
    ``dir/**/*.yml``, or name the folder);
  - anything else: an input error, ``--tests-file tests/smok.yml: not found``.

* A folder with no tests file, or a glob matching none, is an input error too (one line,
  naming the value). So is more than :data:`MAX_FILES` files in all (a glob over a whole
  repository with its ``node_modules`` is a mistake).
* The list keeps the values' order; the same file named twice (also through another spelling
  or a link) is kept once, at its first place.
* Paths are kept as the user would see them: relative when the value is relative, joined with
  the folder as given (``tests/`` + ``a.yml`` -> ``tests/a.yml``), since each test's JUnit
  classname comes from its file's path (``labels.file_label``).

Reads the file system (listing only, never a file's content); no printing.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable

from vibetesting_ci.errors import InputError
from vibetesting_ci.safety.text import one_line

TESTS_FILE_FLAG = "--tests-file"
SUFFIXES = (".yml", ".yaml", ".json")
MAX_FILES = 1000

_MAGIC = re.compile(r"[*?[]")
_KINDS = "*.yml, *.yaml, *.json"


def _is_tests_file(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


def _sort_key(path: str) -> tuple[str, ...]:
    """Sort by path components, so a folder's files stay together (``a/z.yml`` < ``a.yml``)."""
    return tuple(re.split(r"[\\/]+", path))


def _folder(folder: str, where: str) -> list[str]:
    found: list[str] = []

    def fail(error: OSError) -> None:
        raise InputError(
            f"{where} {one_line(folder)}: cannot read the folder "
            f"{one_line(str(error.filename or folder))} ({error.strerror})"
        )

    for parent, dirs, files in os.walk(folder, onerror=fail):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(
            os.path.join(parent, name)
            for name in files
            if not name.startswith(".") and _is_tests_file(name)
        )
        if len(found) > MAX_FILES:
            break
    if not found:
        raise InputError(
            f"{where} {one_line(folder)}: the folder holds no tests file ({_KINDS}; hidden "
            "folders are skipped)"
        )
    return sorted(found, key=_sort_key)


def _glob(pattern: str, where: str) -> list[str]:
    matches = glob.glob(pattern, recursive=True)
    if not matches:
        raise InputError(f"{where} {one_line(pattern)}: the pattern matches no file")
    files = [m for m in matches if _is_tests_file(m) and os.path.isfile(m)]
    if not files:
        raise InputError(
            f"{where} {one_line(pattern)}: the pattern matches no tests file ({_KINDS})"
        )
    return sorted(files, key=_sort_key)


def expand_one(value: str, where: str = TESTS_FILE_FLAG) -> list[str]:
    """The files one value names (a file, a folder or a glob), or an input error."""
    path = value.strip()
    if os.path.isdir(path):
        return _folder(path, where)
    if os.path.lexists(path):
        return [path]
    if _MAGIC.search(path):
        return _glob(path, where)
    raise InputError(f"{where} {one_line(path)}: not found")


def discover(values: Iterable[str], where: str = TESTS_FILE_FLAG) -> tuple[str, ...]:
    """Every tests file the values name, in order, each once (see the module's rules).

    ``where`` names the option or variable in errors. An empty result means no value was
    given (only blank ones)."""
    files: list[str] = []
    seen: set[str] = set()
    for value in values:
        if not value.strip():
            continue
        for path in expand_one(value, where):
            key = os.path.normcase(os.path.realpath(path))
            if key not in seen:
                seen.add(key)
                files.append(path)
        if len(files) > MAX_FILES:
            raise InputError(
                f"{where}: more than {MAX_FILES} tests files; name the folders or patterns "
                "that hold your tests"
            )
    return tuple(files)
