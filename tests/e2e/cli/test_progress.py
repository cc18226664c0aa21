"""Progress through the real CLI: on a pseudo-terminal (a live block, colours, NO_COLOR and dumb
terminals), in a CI log, quiet and verbose, and the final summary table."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import TOKEN, clean_env, emulator_env, run_cli
from tests.support.terminal import ANY_ESCAPE, CURSOR_UP, SGR, plain
from vibetesting_ci.emulator import EmulatorServer


@pytest.fixture
def slow_emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.4, seed=1) as server:
        yield server


THREE = "[{name: a, steps: x}, {name: 'b [fail]', steps: y}, {name: c, steps: z}]"


def run_on_pty(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal (120x40); stdout stays a pipe."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "vibetesting_ci", *args],
        cwd=cwd,
        env=clean_env(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the other side is closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    stdout, _ = proc.communicate(timeout=60)
    reader.join(timeout=10)
    os.close(master)
    return proc.returncode, stdout.decode(), b"".join(chunks).decode("utf-8", "replace")


def test_terminal_gets_a_live_block_with_colour(tmp_path, slow_emulator):
    env = emulator_env(slow_emulator, TERM="xterm-256color")
    code, _stdout, screen = run_on_pty(
        ["run", "--tests", THREE, "--allow-parallel", "--report-file", ""], tmp_path, env
    )
    assert code == 1, screen
    moves = [int(n) for n in CURSOR_UP.findall(screen)]
    assert moves and set(moves) <= {1, 3}  # redrawn in place over its own lines
    assert "\x1b[J" in screen
    assert "\x1b[32m" in screen and "\x1b[31m" in screen  # green and red
    text = plain(screen)
    assert re.search(r"\d+\s+done\s+1/1\s+done\s+0 passed\s+1 failed", text), text
    # Far fewer redraws than polls would mean, and the summary below the block.
    assert text.count("\r\x1b[") < 200
    assert "result: failed (exit 1)" in text
    assert not re.search(r"execution \d+: running", text)  # no log-mode lines on a terminal


def test_no_color_and_dumb_terminals(tmp_path, slow_emulator):
    env = emulator_env(slow_emulator, TERM="xterm", NO_COLOR="1")
    args = ["run", "--tests", "[{name: a, steps: x}]", "--report-file", ""]
    code, _out, screen = run_on_pty(args, tmp_path, env)
    assert code == 0, screen
    assert SGR.search(screen) is None
    assert CURSOR_UP.search(screen)  # still redrawn in place
    env.pop("NO_COLOR")
    env["TERM"] = "dumb"
    code, _out, screen = run_on_pty(args, tmp_path, env)
    assert code == 0, screen
    assert ANY_ESCAPE.search(screen) is None
    assert re.search(r"execution \d+: done, 1/1 done, 1 passed, 0 failed", screen)  # log mode


def test_ci_log_of_a_long_wait_is_a_handful_of_lines(tmp_path, slow_emulator):
    """A test that never finishes, polled ten times a second until the timeout."""
    env = emulator_env(slow_emulator, VIBETESTING_MAX_POLL_INTERVAL="0.1", CI="true")
    result = run_cli(
        ["run", "--tests", "[{name: 'never [hang]', steps: x}]", "--timeout", "3"],
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 4, result.output
    polls = sum(1 for r in slow_emulator.journal if r.endpoint == "execution-status")
    lines = result.stderr.splitlines()
    progress = [line for line in lines if line.startswith("execution ")]
    assert polls >= 5, polls
    assert len(progress) <= 2, result.stderr  # its first state; nothing changed after it
    assert len(lines) <= 20, result.stderr
    assert ANY_ESCAPE.search(result.output) is None


def test_quiet_prints_only_errors_and_the_result_line(cli):
    result = cli("run", "--tests", THREE, "--allow-parallel", "--quiet")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["result: failed (exit 1): 1 of 3 test(s) failed"]
    passed = cli("run", "--tests", "[{name: a, steps: x}]", "--quiet")
    assert passed.returncode == 0
    assert passed.stderr.strip().splitlines() == ["result: passed (exit 0): all 1 test(s) passed"]
    refused = cli("run", "--tests", "[{name: a, steps: x}]", "--quiet", "--api-token", "wrong")
    assert refused.returncode == 3
    lines = refused.stderr.strip().splitlines()
    assert lines[-1].startswith("result: error (exit 3): ") and len(lines) <= 2, lines


def test_verbose_logs_requests_without_secrets(cli):
    result = cli(
        "run",
        "--tests",
        "[{name: a, steps: x}]",
        "--verbose",
        "--login-identifier",
        "u",
        env={"VIBETESTING_LOGIN_PASSWORD": "pw-Hunter2-very-secret"},
    )
    assert result.returncode == 0, result.output
    debug = [line for line in result.stderr.splitlines() if line.startswith("debug:")]
    assert any("POST " in line and "run-tests/" in line for line in debug), result.stderr
    assert TOKEN not in result.output and "pw-Hunter2-very-secret" not in result.output


def test_summary_table_and_files(cli, tmp_path):
    result = cli("run", "--tests", THREE, "--allow-parallel", "--dotenv-file", "out/v.env")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    header = lines.index("  execution  state  tests  passed  failed  not done")
    rows = [line.split() for line in lines[header + 1 : header + 4]]
    assert sorted(r[1:] for r in rows) == [
        ["done", "1", "0", "1", "0"],
        ["done", "1", "1", "0", "0"],
        ["done", "1", "1", "0", "0"],
    ]
    assert "JUnit    vibetesting-junit.xml" in lines
    assert "results  vibetesting-results.json" in lines
    assert "dotenv   out/v.env" in lines
    report = next(line for line in lines if line.startswith("report "))
    assert report.count("vibetesting-report-") == 3
    assert lines[-1] == "result: failed (exit 1): 1 of 3 test(s) failed"  # said once
