"""Issue 10 item 2: every output path is checked before the trigger (exit 2, nothing sent, no
file left), and a write that fails later anyway is the same verdict in the exit code, the
results file and the log.

End to end: the real CLI against the real emulator on loopback. The tests run as root, where
``chmod`` stops nothing, so the hard cases use what really binds root: a private mount
namespace (``unshare --mount``) with a read-only or a tiny, filled tmpfs; ``setpriv`` without
CAP_DAC_OVERRIDE for "no permission"; a folder replaced by a file between the check and the
write.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import TOKEN, clean_env, emulator_env, wait_until
from tests.support.github_output import parse_output_file
from vibetesting_ci.emulator import EmulatorServer

TESTS = "[{name: login works, steps: log in}]"
RUN = ("run", "--tests", TESTS)


def _can(command: Sequence[str]) -> bool:
    try:
        return subprocess.run(list(command), capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


NAMESPACES = shutil.which("unshare") is not None and _can(
    ["unshare", "--mount", "sh", "-c", "mount -t tmpfs -o size=4k none /mnt"]
)
SETPRIV = shutil.which("setpriv") is not None and os.geteuid() == 0
needs_namespaces = pytest.mark.skipif(not NAMESPACES, reason="unshare --mount not permitted")


def cli(
    server: EmulatorServer,
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    shell: str | None = None,
    prefix: Sequence[str] = (),
    on_status: Any = None,
) -> subprocess.CompletedProcess[str]:
    """The CLI in ``cwd``; ``shell``: a sh script run first in a private mount namespace
    (``$CLI`` runs the CLI); ``on_status``: called once the first status poll was seen."""
    command = [sys.executable, "-m", "vibetesting_ci", *args]
    if shell is not None:
        script = f"CLI={shlex.quote(shlex.join(command))}\n{shell}"
        command = ["unshare", "--mount", "sh", "-ec", script]
    proc = subprocess.Popen(
        [*prefix, *command],
        cwd=cwd,
        env=clean_env({**emulator_env(server, VIBETESTING_TIMEOUT="60"), **(env or {})}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if on_status is not None:
        watcher = threading.Thread(
            target=lambda: (
                wait_until(
                    lambda: any(r.endpoint == "execution-status" for r in server.journal), 30
                )
                and on_status()
            ),
            daemon=True,
        )
        watcher.start()
    stdout, stderr = proc.communicate(timeout=90)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def refused(done: subprocess.CompletedProcess[str], server: EmulatorServer) -> str:
    """Exit 2, one line, nothing sent: returns the line."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert server.journal == [], [r.endpoint for r in server.journal]
    assert lines[0].endswith("; nothing was sent")
    return lines[0]


@pytest.fixture
def server() -> Any:
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, seed=1) as emulator:
        yield emulator


@pytest.fixture
def slow_server() -> Any:
    """About three seconds per run: time to change the disk between the check and the write."""
    with EmulatorServer(port=0, token=TOKEN, test_seconds=3, seed=1) as emulator:
        yield emulator


# -- refused before the trigger ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "make", "expected"),
    [
        (("--junit-file", "out"), "dir:out", "--junit-file (VIBETESTING_JUNIT_FILE) 'out': is a "),
        (("--junit-file", "out/"), "", "'out/': names a folder, not a file"),
        (("--results-file", "notes.txt/r.json"), "file:notes.txt", "notes.txt is a file, not a"),
        (("--dotenv-file", "notes.txt/a/b/v.env"), "file:notes.txt", "--dotenv-file (VIBETES"),
        (("--report-file", "reports"), "dir:reports", "--report-file (VIBETESTING_REPORT_FILE)"),
        (("--report-file", "f/r.pdf"), "file:f", "parent "),
        (("--dotenv-file", "/dev/null"), "", "is a character device, not a regular file"),
        (("--junit-file", "/dev/null/j.xml"), "", "parent /dev/null is a character device"),
        (("--results-file", "/proc/r.json"), "", "virtual file system"),
    ],
)
def test_bad_output_path_is_refused_before_the_trigger(
    server: EmulatorServer, tmp_path: Path, args: tuple[str, ...], make: str, expected: str
) -> None:
    kind, _, name = make.partition(":")
    if kind == "dir":
        (tmp_path / name).mkdir()
    elif kind == "file":
        (tmp_path / name).write_text("x")
    before = listing(tmp_path)
    line = refused(cli(server, tmp_path, *RUN, *args), server)
    assert expected in line
    assert line.startswith("error: ")
    assert listing(tmp_path) == before  # nothing created: no file, no folder


def test_the_variable_is_named_and_dry_run_checks_too(server: EmulatorServer, tmp_path: Path):
    (tmp_path / "out").mkdir()
    env = {"VIBETESTING_JUNIT_FILE": "out"}
    for extra in ((), ("--dry-run",)):
        line = refused(cli(server, tmp_path, *RUN, *extra, env=env), server)
        assert "VIBETESTING_JUNIT_FILE" in line and "is a directory" in line


def test_missing_folders_are_fine_and_created_only_by_the_writers(
    server: EmulatorServer, tmp_path: Path
) -> None:
    done = cli(
        server,
        tmp_path,
        *RUN,
        "--junit-file",
        "a/b/junit.xml",
        "--results-file",
        "c/results.json",
        "--report-file",
        "d/e/report.pdf",
        "--dotenv-file",
        "f/v.env",
    )
    assert done.returncode == 0, done.stderr
    for name in ("a/b/junit.xml", "c/results.json", "d/e/report.pdf", "f/v.env"):
        assert (tmp_path / name).is_file(), name
    assert not list(tmp_path.rglob("*.tmp"))


def test_no_wait_does_not_check_what_it_does_not_write(
    server: EmulatorServer, tmp_path: Path
) -> None:
    (tmp_path / "out").mkdir()
    done = cli(server, tmp_path, *RUN, "--no-wait", "--junit-file", "out", "--report-file", "out")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "vibetesting-results.json").read_text())["result"] == "triggered"


def test_wait_checks_each_report_name_before_polling(
    server: EmulatorServer, tmp_path: Path
) -> None:
    (tmp_path / "out" / "r-12.pdf").mkdir(parents=True)
    done = cli(server, tmp_path, "wait", "11", "12", "--report-file", "out/r.pdf")
    line = refused(done, server)  # not one status call
    assert "'out/r-12.pdf': is a directory" in line


def test_github_files_are_checked(server: EmulatorServer, tmp_path: Path) -> None:
    (tmp_path / "summary").mkdir()
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "missing" / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    done = cli(server, tmp_path, *RUN, env=github)
    assert done.returncode == 2
    assert server.journal == []
    assert f"GITHUB_OUTPUT '{tmp_path}/missing/output.txt': folder" in done.stdout
    assert "does not exist" in done.stdout
    github["GITHUB_OUTPUT"] = str(tmp_path / "output.txt")
    done = cli(server, tmp_path, *RUN, env=github)
    assert done.returncode == 2 and server.journal == []
    assert f"GITHUB_STEP_SUMMARY '{tmp_path}/summary': is a directory" in done.stdout
    assert not (tmp_path / "output.txt").exists()
    # Outside GitHub Actions the variables mean nothing to us.
    github.pop("GITHUB_ACTIONS")
    assert cli(server, tmp_path, *RUN, env=github).returncode == 0


@needs_namespaces
def test_read_only_file_system_is_refused(server: EmulatorServer, tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    shell = f'mount -t tmpfs -o ro,size=64k none {ro}\neval "$CLI"'
    done = cli(server, tmp_path, *RUN, "--junit-file", f"{ro}/deep/junit.xml", shell=shell)
    line = refused(done, server)
    assert f"folder {ro} is on a read-only file system" in line


@needs_namespaces
def test_a_full_file_system_is_refused(server: EmulatorServer, tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    shell = (
        f"mount -t tmpfs -o size=64k none {full}\n"
        f'dd if=/dev/zero of={full}/fill bs=4k 2>/dev/null || true\neval "$CLI"'
    )
    done = cli(server, tmp_path, *RUN, "--results-file", f"{full}/r.json", shell=shell)
    assert f"no space left in folder {full}" in refused(done, server)


@pytest.mark.skipif(not SETPRIV, reason="needs setpriv and root")
def test_no_permission_is_refused(server: EmulatorServer, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    drop = "-dac_override,-dac_read_search"
    prefix = ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", "--"]
    done = cli(server, tmp_path, *RUN, "--junit-file", "locked/j.xml", prefix=prefix)
    assert f"no permission to create a file in folder {locked}" in refused(done, server)
    locked.chmod(0o755)


# -- a write that fails after the check ---------------------------------------------------------


def test_folder_replaced_by_a_file_during_the_wait(
    slow_server: EmulatorServer, tmp_path: Path
) -> None:
    (tmp_path / "out" / "j").mkdir(parents=True)
    (tmp_path / "vibetesting-results.json").write_text('{"result": "passed"}')

    def replace_folder() -> None:
        (tmp_path / "out" / "j").rmdir()
        (tmp_path / "out" / "j").write_text("not a folder")

    done = cli(
        slow_server, tmp_path, *RUN, "--junit-file", "out/j/junit.xml", on_status=replace_folder
    )
    assert done.returncode == 2, done.stderr
    results = json.loads((tmp_path / "vibetesting-results.json").read_text())
    assert (results["result"], results["exit_code"], results["error_code"]) == (
        "error",
        2,
        "output",
    )
    assert results["message"].startswith("could not write out/j/junit.xml: ")
    assert results["totals"]["passed"] == 1  # what the run gave is kept
    assert "error: could not write out/j/junit.xml" in done.stderr
    assert not list(tmp_path.rglob("*.tmp"))


def test_github_output_failing_late_rewrites_the_results(
    slow_server: EmulatorServer, tmp_path: Path
) -> None:
    (tmp_path / "gh").mkdir()
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "gh" / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }

    def replace_folder() -> None:
        (tmp_path / "gh").rmdir()
        (tmp_path / "gh").write_text("not a folder")

    done = cli(slow_server, tmp_path, *RUN, env=github, on_status=replace_folder)
    assert done.returncode == 2, done.stdout
    results = json.loads((tmp_path / "vibetesting-results.json").read_text())
    assert (results["exit_code"], results["error_code"]) == (2, "output")
    assert results["message"].startswith("could not write GITHUB_OUTPUT (")
    assert done.stdout.count("::error title=VibeTesting::could not write GITHUB_OUTPUT") == 1
    # The summary was written before the outputs failed; the outputs are lost, the rest agree.
    assert "passed" in (tmp_path / "summary.md").read_text()


def test_github_summary_failing_late_is_in_the_outputs(
    slow_server: EmulatorServer, tmp_path: Path
) -> None:
    (tmp_path / "gh").mkdir()
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "gh" / "summary.md"),
    }

    def replace_folder() -> None:
        (tmp_path / "gh").rmdir()
        (tmp_path / "gh").write_text("not a folder")

    done = cli(slow_server, tmp_path, *RUN, env=github, on_status=replace_folder)
    assert done.returncode == 2, done.stdout
    results = json.loads((tmp_path / "vibetesting-results.json").read_text())
    assert (results["exit_code"], results["error_code"]) == (2, "output")
    assert results["message"].startswith("could not write GITHUB_STEP_SUMMARY (")
    outputs = parse_output_file((tmp_path / "output.txt").read_text())
    assert (outputs["result"], outputs["exit-code"]) == ("error", "2")


@needs_namespaces
def test_disk_full_during_the_wait(slow_server: EmulatorServer, tmp_path: Path) -> None:
    """A tiny tmpfs that fills up after the check: the JUnit there fails with ENOSPC; the results
    file (elsewhere) and the exit code say the same; an old results file on the full disk is
    not left behind to say otherwise."""
    disk = tmp_path / "disk"
    disk.mkdir()
    go, filled = tmp_path / "go", tmp_path / "filled"
    shell = (
        f"mount -t tmpfs -o size=64k none {disk}\n"
        f'echo \'{{"result": "passed"}}\' > {disk}/old.json\n'
        f"(i=0; while [ ! -e {go} ] && [ $i -lt 1000 ]; do sleep 0.02; i=$((i + 1)); done; "
        f"dd if=/dev/zero of={disk}/fill bs=4k 2>/dev/null || true; touch {filled}) &\n"
        f'rc=0; eval "$CLI" || rc=$?\nwait\nls -A {disk} > {tmp_path}/listing\nexit $rc'
    )
    results = tmp_path / "results.json"
    for target, results_arg in ((f"{disk}/j.xml", str(results)), ("j.xml", f"{disk}/old.json")):
        go.unlink(missing_ok=True)
        filled.unlink(missing_ok=True)
        slow_server.clear_journal()
        done = cli(
            slow_server,
            tmp_path,
            *RUN,
            "--junit-file",
            target,
            "--results-file",
            results_arg,
            "--report-file",
            "",
            shell=shell,
            on_status=go.touch,
        )
        assert filled.exists()
        assert done.returncode == 2, done.stderr
        assert "No space left on device" in done.stderr
        left = (tmp_path / "listing").read_text().split()
        assert not [name for name in left if name.endswith(".tmp")], left
        if results_arg == str(results):
            data = json.loads(results.read_text())
            assert (data["result"], data["exit_code"], data["error_code"]) == ("error", 2, "output")
            assert data["message"] == f"could not write {disk}/j.xml: No space left on device"
        else:
            assert "old.json" not in left  # no stale "passed" beside exit 2
            assert f"error: could not write {disk}/old.json" in done.stderr
