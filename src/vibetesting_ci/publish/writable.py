"""Will an output path take its file? Checked before the trigger, so a bad path costs no run.

:func:`why_unwritable` predicts what the writers will meet, and creates nothing:

- an atomic file (JUnit, results, dotenv, each PDF report; :mod:`.atomic`) needs its folder, or
  the nearest folder that exists (the writers create the missing ones later), to take a new
  file; the path itself must not be a folder, and not a device, FIFO or socket (the rename
  would replace it);
- an appended file (``$GITHUB_OUTPUT``, ``$GITHUB_STEP_SUMMARY``) must be writable if it
  exists, or its folder (which nobody creates) must exist and take a new file.

"Take a new file" is tried, not guessed: an unnamed ``O_TMPFILE`` file is opened in the folder
and closed at once, which asks the kernel itself (permissions, read-only mounts, ``/proc``, no
inodes left) and leaves nothing behind, even if the process is killed meanwhile. Where the file
system cannot do ``O_TMPFILE`` the answer comes from ``access(2)`` and ``statvfs`` instead. A
file system with no free block left is refused too. Missing parent folders are **not** created
by the check: a run refused here leaves the workspace as it was.

What no check can foresee (the disk filling up during the run, a folder replaced by a file
meanwhile) still fails the write later; the runner reports that in the exit code, the results
file and the log alike (``report.Report.after_write_failures``).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vibetesting_ci.config.options import OPTIONS_BY_NAME
from vibetesting_ci.config.settings import WaitSettings
from vibetesting_ci.errors import InputError
from vibetesting_ci.publish.files import report_path_for

__all__ = ["OutputPath", "check_outputs", "first_unwritable", "why_unwritable"]


@dataclass(frozen=True)
class OutputPath:
    """One file a command will write: ``label`` names the option and variable (or the CI
    variable) in messages; ``append``: opened for appending (not replaced atomically)."""

    label: str
    path: str
    append: bool = False


_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _stat(path: str) -> os.stat_result | None:
    """``os.stat``, or None when nothing is there (a missing component or one that is a file:
    the caller looks further up)."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _no_write_reason(folder: str, error: OSError | None) -> str:
    code = error.errno if error is not None else None
    if code == errno.EROFS or _read_only(folder):
        return f"folder {folder} is on a read-only file system"
    if code in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left in folder {folder}"
    if error is not None and code not in (errno.EACCES, errno.EPERM):
        return f"cannot create a file in folder {folder}: {error.strerror or error}"
    return f"no permission to create a file in folder {folder}"


def _statvfs(folder: str) -> os.statvfs_result | None:
    """``os.statvfs`` where there is one (not on Windows), None when it fails."""
    try:
        return os.statvfs(folder) if hasattr(os, "statvfs") else None
    except OSError:
        return None


def _euid() -> int | None:
    return os.geteuid() if hasattr(os, "geteuid") else None


def _read_only(folder: str) -> bool:
    info = _statvfs(folder)
    return info is not None and bool(info.f_flag & getattr(os, "ST_RDONLY", 0))


def _virtual(folder: str) -> bool:
    """proc, sysfs and the like: no blocks at all (and no O_TMPFILE, which the caller saw)."""
    info = _statvfs(folder)
    return info is not None and info.f_blocks == 0


def _full(folder: str) -> bool:
    info = _statvfs(folder)
    if info is None or info.f_blocks == 0:  # proc, sysfs and the like report no blocks at all
        return False
    free = info.f_bfree if _euid() == 0 else info.f_bavail
    return free == 0


def _folder_problem(folder: str) -> str | None:
    """Why ``folder`` (which exists) cannot take a new file, or None."""
    tmpfile = getattr(os, "O_TMPFILE", 0)
    if tmpfile:
        try:
            fd = os.open(folder, tmpfile | os.O_WRONLY, 0o600)
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                return _no_write_reason(folder, error)
            if _virtual(folder):
                return f"folder {folder} is on a virtual file system (proc, sysfs): no files"
        else:
            os.close(fd)
            return f"no space left in folder {folder}" if _full(folder) else None
    if not os.access(folder, os.W_OK | os.X_OK):
        return _no_write_reason(folder, None)
    return f"no space left in folder {folder}" if _full(folder) else None


def _existing_folder(folder: str) -> tuple[str, os.stat_result]:
    """The nearest of ``folder`` and its parents that exists, with its stat."""
    current = folder
    while True:
        found = _stat(current)
        if found is not None:
            return current, found
        parent = os.path.dirname(current)
        if parent == current:  # pragma: no cover - the root always exists
            return current, os.stat(current)
        current = parent


def _rename_forbidden(folder: str, found: os.stat_result, target: os.stat_result) -> bool:
    """A sticky folder (``/tmp``) lets only the owner of a file (or of the folder) replace it."""
    if not found.st_mode & stat.S_ISVTX:
        return False
    uid = _euid()
    return uid is not None and uid != 0 and uid not in (found.st_uid, target.st_uid)


def why_unwritable(path: str, *, append: bool = False) -> str | None:
    """Why ``path`` cannot be written as its writer will write it, or None when it can.

    Creates nothing (see the module docstring)."""
    if path.endswith(("/", os.sep)) or os.path.basename(path) in (".", ".."):
        return "names a folder, not a file"
    full = os.path.abspath(path)
    try:
        target = os.stat(full)
    except (FileNotFoundError, NotADirectoryError):
        target = None
    except OSError as error:  # a symlink loop, a name too long...
        return error.strerror or str(error)
    if target is not None and stat.S_ISDIR(target.st_mode):
        return "is a directory"
    folder = os.path.dirname(full)
    if append and target is not None:
        if not stat.S_ISREG(target.st_mode):
            return None if os.access(full, os.W_OK) else "no permission to write it"
        try:
            fd = os.open(full, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NONBLOCK", 0))
        except OSError as error:
            if error.errno == errno.EROFS:
                return "is on a read-only file system"
            if error.errno in (errno.EACCES, errno.EPERM):
                return "no permission to write it"
            return error.strerror or str(error)
        os.close(fd)
        return None
    if target is not None and not stat.S_ISREG(target.st_mode):
        return f"is {_kind(target.st_mode)}, not a regular file (it would be replaced)"
    existing, found = _existing_folder(folder)
    if not stat.S_ISDIR(found.st_mode):
        what = "a file" if stat.S_ISREG(found.st_mode) else _kind(found.st_mode)
        return f"parent {existing} is {what}, not a folder"
    if append and existing != folder:
        return f"folder {folder} does not exist"
    problem = _folder_problem(existing)
    if problem is None and target is not None and _rename_forbidden(existing, found, target):
        return f"no permission to replace it (sticky folder {existing}, another user's file)"
    return problem


def first_unwritable(outputs: Iterable[OutputPath]) -> str | None:
    """The message for the first output that cannot be written (``LABEL 'PATH': why``), or
    None when every one can."""
    for output in outputs:
        if not output.path:
            continue
        reason = why_unwritable(output.path, append=output.append)
        if reason is not None:
            return f"{output.label} {output.path!r}: {reason}"
    return None


def _distinct(outputs: Sequence[OutputPath]) -> None:
    """Two outputs in one file would overwrite each other (``--junit-file`` equal to
    ``--results-file``, say): an input error."""
    seen: dict[str, OutputPath] = {}
    for output in outputs:
        if not output.path:
            continue
        key = os.path.normcase(os.path.realpath(output.path))
        first = seen.setdefault(key, output)
        if first is not output:
            raise InputError(
                f"{output.label} and {first.label} name the same file ({output.path!r}); "
                "give each output its own; nothing was sent"
            )


def check_outputs(
    wait: WaitSettings,
    ci_files: Sequence[tuple[str, str]],
    *,
    waits: bool,
    execution_ids: tuple[int, ...] = (),
) -> None:
    """Before anything is sent: every file the command will write must be writable, else
    ``InputError`` (exit 2) naming the option and variable, the path and why. ``ci_files``: the
    CI adapter's appended files, as (variable, path). JUnit and reports only when the command
    waits; with several known executions (``wait``), each report's own name (``-<id>``)."""

    def labelled(name: str, path: str) -> OutputPath:
        row = OPTIONS_BY_NAME[name]
        return OutputPath(f"{row.flag} ({row.env})", path)

    outputs = [labelled(n, getattr(wait, n)) for n in ("results_file", "dotenv_file")]
    if waits:
        outputs.insert(0, labelled("junit_file", wait.junit_file))
        reports = [report_path_for(wait.report_file, i, True) for i in execution_ids]
        several = len(execution_ids) > 1 and wait.report_file
        for path in reports if several else [wait.report_file]:
            outputs.append(labelled("report_file", path))
    outputs += [OutputPath(variable, path, append=True) for variable, path in ci_files]
    _distinct(outputs)
    problem = first_unwritable(outputs)
    if problem is not None:
        raise InputError(f"{problem}; nothing was sent")
