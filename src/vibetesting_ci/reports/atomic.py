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

These functions, and the ``write_*`` reporters built on them, raise ``OSError``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from typing import IO, Literal

StrPath = str | os.PathLike[str]


def _umask() -> int:
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
    # Makes the rename itself durable; not possible everywhere (Windows), so best effort.
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
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, _target_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(folder)


def atomic_write_bytes(path: StrPath, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see the module docstring)."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: StrPath, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically, encoded with ``encoding`` and ``\\n`` line ends.

    The text is encoded before anything is written, so an encoding error leaves no trace.
    """
    atomic_write_bytes(path, text.encode(encoding))
