"""Write files whole or not at all.

The data goes to a temporary file in the destination's own folder (so the final rename never
crosses file systems), is flushed and fsynced, and is then moved over the destination with
``os.replace``, which is atomic on POSIX and Windows. Missing parent folders are created. If
anything fails, the temporary file is removed and the old file (or no file) stays. The new file
gets the old file's permission bits, or the usual ``0666 & ~umask`` for a new file (not the
``0600`` of a bare temporary file), so CI artifact uploaders can read it.

``durable=False`` skips the fsync (the rename still makes the file whole or absent for anyone
who reads it, and after a crash of the process). Report PDFs use it: a CI job's report is not
read after a power loss of its machine, and syncing 300 MiB to disk doubles the download time
(docs/performance.md).

On Windows (the native action) the same code runs with two differences: a folder cannot be
opened to fsync it, so the rename's own durability is left to NTFS; and ``os.replace`` fails
with ``PermissionError`` while another process (a virus scanner, the search indexer, an artifact
uploader) holds the destination open, so it is retried for up to :data:`REPLACE_RETRY_SECONDS`.
Nothing here calls a POSIX-only function on that path (``/proc`` is read only where it exists;
the permission bits are what ``os.chmod`` can set there: read-only or not).

These functions, and the ``write_*`` reporters built on them, raise ``OSError``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from typing import IO, Literal

StrPath = str | os.PathLike[str]
WINDOWS = os.name == "nt"
# Windows: how long a destination that another process holds open is retried.
REPLACE_RETRY_SECONDS = 2.0

# Temporary files being written right now, so an exit that cannot wait for their writers
# (a cancel abandoning a download) still removes them: see remove_leftovers().
_LIVE_TEMPS: set[str] = set()


def _at_exit() -> None:
    remove_leftovers()


atexit.register(_at_exit)  # an exit that leaves worker threads behind still cleans up


def remove_leftovers() -> int:
    """Delete every temporary file still being written; returns how many there were."""
    removed = 0
    for tmp in list(_LIVE_TEMPS):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
            removed += 1
        _LIVE_TEMPS.discard(tmp)
    return removed


def _umask() -> int:
    if WINDOWS:  # no umask there to speak of; os.chmod only sets or clears read-only
        return 0o022
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _target_mode(path: str) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _fsync_dir(folder: str) -> None:
    # Makes the rename itself durable; not possible on Windows (a folder cannot be opened).
    if WINDOWS:
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _replace(tmp: str, path: str) -> None:
    """``os.replace``; on Windows retried while another process holds ``path`` open."""
    if not WINDOWS:
        os.replace(tmp, path)
        return
    deadline = time.monotonic() + REPLACE_RETRY_SECONDS
    pause = 0.01
    while True:
        try:
            os.replace(tmp, path)
            return
        except PermissionError:
            if time.monotonic() + pause > deadline or os.path.isdir(path):
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


def atomic_open(
    path: StrPath, mode: Literal["wb"] = "wb", *, durable: bool = True
) -> contextlib.AbstractContextManager[IO[bytes]]:
    """Context manager giving a binary file to write; ``path`` is replaced only if the block
    succeeds. If the block raises, the temporary file is removed, ``path`` is left as it was
    and the exception propagates. (Text goes through :func:`atomic_write_text`, which encodes
    first.)
    """
    if mode != "wb":
        raise ValueError(f"atomic_open mode must be 'wb', not {mode!r}")
    return _atomic_open(os.fspath(path), durable)


@contextlib.contextmanager
def _atomic_open(path: str, durable: bool) -> Iterator[IO[bytes]]:
    if not path:
        raise ValueError("empty path")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    _LIVE_TEMPS.add(tmp)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, _target_mode(path))
        _replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        _LIVE_TEMPS.discard(tmp)
    if durable:
        _fsync_dir(folder)


def atomic_write_bytes(path: StrPath, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see the module docstring)."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: StrPath, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically, encoded with ``encoding`` and ``\\n`` line ends.

    The text is encoded before anything is written, so an encoding error leaves no trace.
    Registered secrets are scrubbed from it first (:mod:`vibetesting_ci.safety.scrub`): every text
    file the CLI writes goes through here.
    """
    from vibetesting_ci.safety.scrub import scrub

    atomic_write_bytes(path, scrub(text).encode(encoding))
