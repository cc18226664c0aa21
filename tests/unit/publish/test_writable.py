"""publish/writable.py in-process: what each kind of path gives, and that the check creates
nothing (the end-to-end cases through the CLI are in test_output_paths.py)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from vibetesting_ci.publish.writable import OutputPath, first_unwritable, why_unwritable


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("x")
    os.mkfifo(tmp_path / "fifo")
    return tmp_path


@pytest.mark.parametrize(
    ("path", "atomic", "appended"),
    [
        ("new.xml", None, None),
        ("file", None, None),
        ("missing/deeper/new.xml", None, "does not exist"),
        ("dir", "is a directory", "is a directory"),
        ("dir/", "names a folder", "names a folder"),
        (".", "names a folder", "names a folder"),
        ("file/x.xml", "is a file, not a folder", "is a file, not a folder"),
        ("file/a/b/x.xml", "is a file, not a folder", "is a file, not a folder"),
        ("fifo", "is a FIFO, not a regular file", None),
        ("/dev/null", "is a character device", None),
        ("/dev/null/x", "is a character device, not a folder", "character device, not a folder"),
        ("/proc/x.json", "virtual file system", "virtual file system"),
    ],
)
def test_kinds_of_path(place: Path, path: str, atomic: str | None, appended: str | None) -> None:
    before = listing(place)
    for append, expected in ((False, atomic), (True, appended)):
        got = why_unwritable(path, append=append)
        if expected is None:
            assert got is None, (path, append, got)
        else:
            assert got is not None and expected in got, (path, append, got)
    assert listing(place) == before  # nothing created, not even the missing folders


def test_a_socket_and_a_symlink_loop(place: Path) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(place / "sock"))
        assert why_unwritable("sock") == "is a socket, not a regular file (it would be replaced)"
    os.symlink("loop", place / "loop")
    assert why_unwritable("loop") == "Too many levels of symbolic links"
    os.symlink("nowhere", place / "dangling")  # the rename replaces the link: fine
    assert why_unwritable("dangling") is None


def test_first_unwritable_names_label_and_path(place: Path) -> None:
    outputs = [
        OutputPath("--results-file (VIBETESTING_RESULTS_FILE)", "ok.json"),
        OutputPath("--dotenv-file (VIBETESTING_DOTENV_FILE)", ""),  # empty: no such file
        OutputPath("GITHUB_OUTPUT", "dir", append=True),
        OutputPath("--junit-file (VIBETESTING_JUNIT_FILE)", "file/j.xml"),
    ]
    assert first_unwritable(outputs) == "GITHUB_OUTPUT 'dir': is a directory"
    assert first_unwritable(outputs[:2]) is None


def test_a_sticky_folder_refuses_another_users_file(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vibetesting_ci.publish import writable

    sticky = place / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)
    (sticky / "theirs.xml").write_text("x")  # owned by this (root) user
    assert why_unwritable("sticky/theirs.xml") is None  # root may replace anything
    monkeypatch.setattr(writable, "_euid", lambda: 4242)  # as another, unprivileged user
    assert "sticky folder" in (why_unwritable("sticky/theirs.xml") or "")
    assert why_unwritable("sticky/new.xml") is None  # a new file is fine


def test_without_o_tmpfile_access_and_statvfs_answer(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    assert why_unwritable("dir/new.xml") is None
    assert why_unwritable("missing/new.xml") is None
    assert "is a directory" in (why_unwritable("dir") or "")
