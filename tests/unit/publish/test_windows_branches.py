"""The Windows branches of the CLI and of the native action, run here by switching the
platform flags (Windows itself runs the CLI's tests in .github/workflows/ci.yml, not here):
atomic replace retried while the destination is held open, no folder fsync, CTRL_BREAK counted
as SIGTERM, ``\\n`` in the files the runner reads, the venv layout of native/setup.py."""

from __future__ import annotations

import ast
import importlib.util
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from vibetesting_ci import __main__ as entry
from vibetesting_ci import errors
from vibetesting_ci.publish import atomic
from vibetesting_ci.run import cancellation

ROOT = Path(__file__).resolve().parents[3]
FAKE_SIGBREAK = 21  # Windows' number; on Linux a signal a test may install a handler for


def load_setup() -> Any:
    spec = importlib.util.spec_from_file_location("native_setup", ROOT / "native" / "setup.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_replace_is_retried_while_the_destination_is_held_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(atomic, "WINDOWS", True)
    real = os.replace
    refusals = [PermissionError(13, "used by another process")] * 3

    def replace(src: str, dst: str) -> None:
        if refusals:
            raise refusals.pop()
        real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    target = tmp_path / "junit.xml"
    atomic.atomic_write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert not refusals
    assert [p.name for p in tmp_path.iterdir()] == ["junit.xml"]


def test_replace_gives_up_and_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(atomic, "WINDOWS", True)
    monkeypatch.setattr(atomic, "REPLACE_RETRY_SECONDS", 0.05)

    def replace(src: str, dst: str) -> None:
        raise PermissionError(13, "used by another process")

    target = tmp_path / "report.pdf"
    target.write_bytes(b"old")
    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(PermissionError):
        atomic.atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"], "no temporary file is left"


def test_no_folder_fsync_and_no_proc_on_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(atomic, "WINDOWS", True)

    def forbidden(*args: object, **kwargs: object) -> int:
        raise AssertionError(f"a folder was opened on Windows: {args}")

    monkeypatch.setattr(atomic.os, "open", forbidden)
    atomic._fsync_dir(str(tmp_path))  # returns without opening the folder
    assert atomic._umask() == 0o022  # without /proc/self/status


def test_ctrl_break_counts_as_sigterm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signal, "SIGBREAK", FAKE_SIGBREAK, raising=False)
    assert cancellation.exit_code_for(FAKE_SIGBREAK) == 143
    assert cancellation.exit_code_for(signal.SIGINT) == 130
    assert FAKE_SIGBREAK in cancellation.cancel_signals()
    cancel = cancellation.Cancellation()
    cancel.cancel(FAKE_SIGBREAK)
    assert cancel.exit_code == 143
    assert errors.signal_name(cancel.exit_code) == "SIGTERM"
    with pytest.raises(SystemExit) as raised:
        entry._exit_on_signal(FAKE_SIGBREAK, None)
    assert raised.value.code == 143


def test_ctrl_break_handler_is_installed_and_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signal, "SIGBREAK", FAKE_SIGBREAK, raising=False)
    before = signal.getsignal(FAKE_SIGBREAK)
    cancel = cancellation.Cancellation()
    with cancel.handlers():
        assert signal.getsignal(FAKE_SIGBREAK) not in (before, signal.SIG_DFL)
        os.kill(os.getpid(), FAKE_SIGBREAK)
        assert cancel.wake.wait(5)
    assert signal.getsignal(FAKE_SIGBREAK) == before
    assert cancel.is_set() and cancel.exit_code == 143


def _text_writes(tree: ast.AST) -> list[ast.Call]:
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "open":
            mode = node.args[1] if len(node.args) > 1 else None
            mode = mode or next((k.value for k in node.keywords if k.arg == "mode"), None)
            text = mode.value if isinstance(mode, ast.Constant) else None
            if isinstance(text, str) and set(text) & set("wax") and "b" not in text:
                calls.append(node)
    return calls


def test_text_files_are_written_with_newline_given() -> None:
    """Windows' text mode would write ``\\r\\n`` into the files GitHub's runner parses."""
    missing = []
    for path in [*sorted((ROOT / "src").rglob("*.py")), ROOT / "native" / "setup.py"]:
        if "emulator" in path.parts:
            continue  # the emulator is a local tool, not on the Windows path
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in _text_writes(tree):
            if not any(k.arg == "newline" for k in call.keywords):
                missing.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert not missing, f"open() for writing text without newline=: {missing}"


def test_native_venv_layout_on_windows(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    setup = load_setup()
    monkeypatch.setattr(setup, "WINDOWS", True)
    assert setup.venv_python(tmp_path) == tmp_path / "Scripts" / "python.exe"
    assert setup.venv_cli(tmp_path) == tmp_path / "Scripts" / "vibetesting.exe"
    monkeypatch.setattr(setup, "WINDOWS", False)
    assert setup.venv_cli(tmp_path) == tmp_path / "bin" / "vibetesting"


def test_native_cache_key_follows_what_is_installed(tmp_path: Path) -> None:
    setup = load_setup()
    for name in ("pyproject.toml", *setup.LOCKS, "src/pkg/mod.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n", encoding="utf-8")
    first = setup.source_digest(tmp_path)
    (tmp_path / "src/pkg/mod.py").write_text("x\r\n", encoding="utf-8")  # a CRLF checkout
    assert setup.source_digest(tmp_path) == first, "line ends from git's autocrlf do not count"
    (tmp_path / "src/pkg/__pycache__").mkdir()
    (tmp_path / "src/pkg/__pycache__/mod.cpython-311.pyc").write_bytes(b"\0")
    assert setup.source_digest(tmp_path) == first
    (tmp_path / "requirements/runtime.txt").write_text("y\n", encoding="utf-8")
    assert setup.source_digest(tmp_path) != first
    key = setup.cache_key("/usr/bin/python3", first)
    assert key.startswith("vibetesting-ci-venv-") and first[:20] in key
    assert setup.cache_key("/opt/other/python3", first) != key, "a venv is tied to its Python"


def test_native_outputs_use_lf(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    setup = load_setup()
    out = tmp_path / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    setup.write_outputs(cli="C:\\venv\\Scripts\\vibetesting.exe", key="k")
    assert out.read_bytes() == b"cli=C:\\venv\\Scripts\\vibetesting.exe\nkey=k\n"
