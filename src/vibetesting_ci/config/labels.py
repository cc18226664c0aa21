"""The run's label: the classname every case of a run carries in every report (JUnit, GitHub
summary and annotations, results JSON, dotenv, pull request comment), from what the user
configured only, never from execution ids, times or outcomes (``domain/cases.py`` says why):

- ``vibetesting.suite_<id>`` for a suite re-run;
- ``vibetesting.<tests file path>`` (relative, suffix dropped, dots as ``_``) for a guided run
  from a file;
- ``vibetesting.tests`` for inline ``--tests``, ``vibetesting.exploration`` for an exploration
  run, plain ``vibetesting`` for ``wait`` (which knows only execution ids).

``config.settings.run_settings`` computes it once, into ``RunSettings.label``.
"""

from __future__ import annotations

import posixpath
from pathlib import PurePath, PurePosixPath, PureWindowsPath

from vibetesting_ci.safety.text import one_line

ROOT = "vibetesting"


def file_label(path: str, cwd: str | None = None) -> str:
    """The part of the classname a tests file gives: its path relative to ``cwd`` (or as
    given when relative), forward slashes, suffix dropped, dots as ``_``. An absolute path
    outside ``cwd`` (a CI's per-runner build folder) gives just the file's stem, so the label
    does not change with the machine."""
    text = path.strip()
    windows = "\\" in text or (len(text) > 1 and text[1] == ":")
    pure: PurePath = PureWindowsPath(text) if windows else PurePosixPath(text)
    if pure.is_absolute():
        relative = None
        if cwd:
            base: PurePath = PureWindowsPath(cwd) if windows else PurePosixPath(cwd)
            try:
                relative = pure.relative_to(base)
            except ValueError:
                relative = None
        pure = relative if relative is not None else PurePosixPath(pure.name)
    parts = [p for p in pure.parts if p not in ("", ".", "..") and p != pure.anchor]
    joined = posixpath.join(*parts) if parts else "tests"
    stem = posixpath.splitext(joined)[0] or joined
    label = one_line(stem).replace(".", "_").strip("/ ")
    return label or "tests"


def run_label(
    *,
    suite_id: int | None = None,
    tests_file: str | None = None,
    guided: bool = False,
    exploration: bool = False,
    cwd: str | None = None,
) -> str:
    """The classname every case of a run carries, from what the user configured (see the
    module docstring): never an execution id, a time or an outcome."""
    if suite_id is not None:
        return f"{ROOT}.suite_{suite_id}"
    if tests_file:
        return f"{ROOT}.{file_label(tests_file, cwd)}"
    if guided:
        return f"{ROOT}.tests"
    if exploration:
        return f"{ROOT}.exploration"
    return ROOT
