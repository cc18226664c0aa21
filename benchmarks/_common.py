"""Shared helpers for the benchmarks: measured subprocesses, medians, the result table.

Standard library plus the project only. Every figure is compared with a baseline measured in
the same run on the same machine, so the ratios mean something on any machine.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0123456789"
MiB = 1024 * 1024


def python() -> str:
    """The interpreter the benchmarks run the CLI with (``make bench``: the project's .venv)."""
    return sys.executable


def cli_command() -> list[str]:
    """How to start the CLI: the ``vibetesting`` console script next to the interpreter if it
    is installed there (what users run), else ``python -m vibetesting_ci``."""
    script = Path(sys.executable).parent / "vibetesting"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "vibetesting_ci"]


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without VIBETESTING_* or CI-detection variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIBETESTING_", "GITHUB_", "GITLAB_", "INPUT_"))
        and k not in ("CI", "PYTHONPROFILEIMPORTTIME", "PYTHONDEVMODE", "PYTHONDONTWRITEBYTECODE")
    }
    env.update(extra or {})
    return env


@dataclass
class Measured:
    """One finished subprocess: exit code, wall and CPU seconds, peak RSS, output."""

    returncode: int
    wall: float
    cpu: float
    maxrss_mib: float
    started: float  # time.monotonic() when it was started
    ended: float  # time.monotonic() when it had exited
    stdout: str = ""
    stderr: str = ""


# A small launcher starts the measured command and reports what ``wait4`` says about it. Not
# measured directly from here because on Linux a child's peak RSS (``ru_maxrss``) starts at its
# parent's at the moment it was spawned (the pre-exec image counts): a benchmark process that
# holds an emulator would inflate every figure. The launcher is a bare ``python -S`` (about
# the size of ``python -c pass``), which is then the floor of any figure.
LAUNCHER = """\
import os, sys, time
result, cmd = sys.argv[1], sys.argv[2:]
started = time.monotonic()
pid = os.posix_spawnp(cmd[0], cmd, os.environ)
_, status, usage = os.wait4(pid, 0)
ended = time.monotonic()
with open(result, "w") as out:
    out.write(f"{os.waitstatus_to_exitcode(status)} {started!r} {ended!r} "
              f"{usage.ru_utime + usage.ru_stime!r} {usage.ru_maxrss}")
"""


def run_measured(
    cmd: Sequence[str],
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
) -> Measured:
    """Run ``cmd`` to its end; wall time, CPU and peak RSS are the command's alone."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory(prefix="vibetesting-bench-") as tmp,
    ):
        result = os.path.join(tmp, "result")
        proc = subprocess.Popen(
            [sys.executable, "-S", "-c", LAUNCHER, result, *cmd],
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=out,
            stderr=err,
            start_new_session=True,  # so a timeout can end the command with its launcher
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            raise RuntimeError(f"timed out after {timeout:g} s: {' '.join(cmd)[:200]}") from None
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
        try:
            with open(result, encoding="ascii") as handle:
                code, started, ended, cpu, maxrss = handle.read().split()
        except (OSError, ValueError):
            raise RuntimeError(f"the launcher failed: {stderr[-500:]}") from None
    return Measured(
        returncode=int(code),
        wall=float(ended) - float(started),
        cpu=float(cpu),
        maxrss_mib=int(maxrss) / 1024,  # KiB on Linux
        started=float(started),
        ended=float(ended),
        stdout=stdout,
        stderr=stderr,
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def post_json(url: str, body: Mapping[str, Any], token: str = TOKEN) -> dict[str, Any]:
    """One API call to the emulator with the standard library (setting up scenarios)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"api-key {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


# -- the table -------------------------------------------------------------------------------


@dataclass
class Row:
    """One figure: what was measured, against which baseline, and whether it meets its target."""

    scenario: str
    figure: str
    measured: str
    baseline: str = "-"
    ratio: str = "-"
    target: str = "-"
    met: bool | None = None
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return {True: "yes", False: "NO", None: "-"}[self.met]


COLUMNS = ("scenario", "figure", "measured", "baseline", "ratio", "target", "met?")


def _cells(row: Row) -> tuple[str, ...]:
    return (
        row.scenario,
        row.figure,
        row.measured,
        row.baseline,
        row.ratio,
        row.target,
        row.verdict,
    )


def text_table(rows: Sequence[Row]) -> str:
    cells = [COLUMNS, *(_cells(r) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    lines = []
    for index, line in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"  {r.scenario} / {r.figure}: {r.note}" for r in rows if r.note]
    if notes:
        lines += ["", "notes:", *notes]
    return "\n".join(lines)


def markdown_table(rows: Sequence[Row]) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(esc(c) for c in _cells(row)) + " |")
    notes = [f"- **{esc(r.scenario)} / {esc(r.figure)}**: {esc(r.note)}" for r in rows if r.note]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}x"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)
