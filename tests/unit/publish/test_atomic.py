"""Atomic files: written whole or not at all, old content kept on failure, the mode kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from vibetesting_ci.publish.atomic import atomic_open, atomic_write_bytes, atomic_write_text


def test_atomic_creates_parents_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "f.txt"
    atomic_write_text(target, "one\n")
    atomic_write_text(str(target), "two\n")
    assert target.read_text() == "two\n"
    atomic_write_bytes(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in target.parent.iterdir()) == ["f.txt"]


def test_atomic_failure_midway_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), atomic_open(target, "wb") as handle:
        handle.write(b"new " * 10_000)
        handle.flush()
        raise Boom
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_atomic_failure_leaves_no_file_when_none_existed(tmp_path: Path) -> None:
    target = tmp_path / "new.bin"
    with pytest.raises(RuntimeError), atomic_open(target, "wb") as handle:
        handle.write(b"partial")
        raise RuntimeError("midway")
    assert list(tmp_path.iterdir()) == []


def test_atomic_encoding_error_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    target.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "lone \ud800")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_atomic_onto_a_directory_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(OSError):
        atomic_write_text(tmp_path / "d", "x")
    assert [p.name for p in tmp_path.iterdir()] == ["d"]


def test_atomic_keeps_existing_mode(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write_text(target, "new")
    assert target.stat().st_mode & 0o777 == 0o640


def test_atomic_open_rejects_other_modes(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        atomic_open(tmp_path / "x", "a")  # type: ignore[arg-type]
