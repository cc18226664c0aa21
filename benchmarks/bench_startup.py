"""Start-up: ``--help``, ``--version``, ``run --help``, input errors and a whole ``run`` against
a bare Python.

Each command runs ``repeats`` times, interleaved with ``python -c pass`` from the same
interpreter (so machine noise hits both alike); the figures are medians. A second check runs
each start-up command under ``python -X importtime`` and lists the heavy modules it loaded
(requests, urllib3, YAML, the emulator): there must be none.

The whole ``run`` goes against ``vibetesting emulator`` (started as its own process on a free
port, executions that take no time): start-up, trigger, polling, the JUnit/results files and
the PDF download, so the figure shows what start-up weighs in a real, if instant, run.

    python benchmarks/bench_startup.py [--quick] [--compare OLD_SRC]

``--compare OLD_SRC`` also runs every command with another copy of the package first on the
path (e.g. ``git archive COMMIT src | tar -x -C /tmp/old``, then ``--compare /tmp/old/src``),
interleaved in the same rounds, so a change is measured against its predecessor under the
same load. The console script starts ``vibetesting_ci.__main__:main`` in both.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    ROOT,
    TOKEN,
    Row,
    clean_env,
    cli_command,
    fmt_ms,
    fmt_ratio,
    log,
    median,
    python,
    run_measured,
    text_table,
)

HEAVY = (
    "requests",
    "urllib3",
    "yaml",
    "junit_xml",
    "charset_normalizer",
    "idna",
    "certifi",
    "vibetesting_ci.emulator",
    "http.client",
    "ssl",
)
TARGET_RATIO = 4.0


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    code: int = 0
    env: dict[str, str] = field(default_factory=lambda: {"VIBETESTING_API_TOKEN": "t"})
    timed: bool = False  # held to TARGET_RATIO
    light: bool = True  # must import nothing heavy
    note: str = ""


CASES: dict[str, Case] = {
    "--help": Case(("--help",), timed=True),
    "--version": Case(("--version",), timed=True),
    "run --help": Case(("run", "--help")),
    "input error (wait not-a-number)": Case(
        ("wait", "not-a-number"),
        code=2,
        note="goes through click (an input error needs the option parser); the ratio is "
        "click's import plus settings validation, see `import click` below",
    ),
    "input error (run, no token)": Case(("run",), code=2, env={}),
}
RUN_ARGS = (
    "run",
    "--tests",
    "[{name: smoke, steps: open the home page}]",
    "--poll-interval",
    "0.1",
    "--max-poll-interval",
    "0.1",
    "--quiet",
)


def heavy_imports(args: tuple[str, ...], extra: dict[str, str]) -> list[str]:
    """Heavy top-level packages a command imports (``-X importtime`` of ``-m vibetesting_ci``)."""
    env = clean_env(extra)
    measured = run_measured(
        [python(), "-X", "importtime", "-m", "vibetesting_ci", *args], env=env, timeout=60
    )
    found = []
    for line in measured.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        name = line.rsplit("|", 1)[1].strip()
        if name.startswith(HEAVY) and name.split(".")[0] not in found:
            keep_whole = name.startswith(("vibetesting_ci", "http"))
            found.append(name if keep_whole else name.split(".")[0])
    return found


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    """``vibetesting emulator`` on a free port (0); its URL from the first line it prints."""
    proc = subprocess.Popen(
        [*cli_command(), "emulator", "--port", "0", "--token", TOKEN, "--test-seconds", "0", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean_env(),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if " on " not in line:
        proc.kill()
        raise RuntimeError(f"the emulator did not start: {line!r}")
    return proc, line.split(" on ", 1)[1].split()[0]


def run(quick: bool = False, compare: Path | None = None) -> list[Row]:
    repeats = 9 if quick else 21
    emulator, url = start_emulator()
    try:
        return _measure(repeats, url, compare)
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)


BEFORE = " [before]"


def _measure(repeats: int, url: str, compare: Path | None = None) -> list[Row]:
    cli = cli_command()
    cases = dict(CASES)
    cases["whole run (emulator)"] = Case(
        RUN_ARGS,
        env={"VIBETESTING_API_TOKEN": TOKEN, "VIBETESTING_API_URL": url},
        light=False,
        note="trigger, polls, JUnit, results and PDF against `vibetesting emulator` "
        "(executions take no time)",
    )
    # No COLUMNS and no terminal: the width click uses in CI logs and pipes.
    envs = {name: clean_env(case.env) for name, case in cases.items()}
    if compare is not None:
        for name in list(cases):
            cases[name + BEFORE] = cases[name]
            envs[name + BEFORE] = {**envs[name], "PYTHONPATH": str(compare)}
            envs[name]["PYTHONPATH"] = str(ROOT / "src")
    for env in envs.values():
        env.pop("COLUMNS", None)
    bare_env = clean_env()
    commands = {"bare python": [python(), "-c", "pass"]}
    commands.update({name: [*cli, *case.args] for name, case in cases.items()})
    commands["import click (reference)"] = [python(), "-c", "import click"]
    walls: dict[str, list[float]] = {name: [] for name in commands}
    rss: dict[str, list[float]] = {name: [] for name in commands}
    codes: dict[str, set[int]] = {name: set() for name in commands}
    log(f"start-up: {repeats} rounds of {len(commands)} commands")
    with tempfile.TemporaryDirectory(prefix="vibetesting-bench-") as work:
        for round_ in range(repeats + 2):  # two rounds to warm the page cache and .pyc files
            for name, cmd in commands.items():
                measured = run_measured(cmd, cwd=work, env=envs.get(name, bare_env), timeout=120)
                if round_ < 2:
                    continue
                walls[name].append(measured.wall)
                rss[name].append(measured.maxrss_mib)
                codes[name].add(measured.returncode)
    base = median(walls["bare python"])
    rows = [
        Row(
            "start-up",
            "bare python -c pass",
            fmt_ms(base),
            target="baseline",
            data={"median_s": base, "runs": walls["bare python"]},
        )
    ]
    for name in [*cases, "import click (reference)"]:
        value = median(walls[name])
        ratio = value / base
        case = cases.get(name)
        light = case is not None and case.light and not name.endswith(BEFORE)
        heavy = heavy_imports(case.args, case.env) if case is not None and light else []
        target = "-"
        if case is not None:
            target = "no heavy imports" if case.light else "exit 0"
            if case.timed:
                target = f"<= {TARGET_RATIO:g}x; " + target
        met = None
        if case is not None:
            met = (ratio <= TARGET_RATIO or not case.timed) and not heavy
        row = Row(
            "start-up",
            name if name.startswith("import") else f"vibetesting {name}",
            f"{fmt_ms(value)}, {median(rss[name]):.0f} MiB",
            baseline=fmt_ms(base),
            ratio=fmt_ratio(ratio),
            target=target,
            met=met,
            data={"median_s": value, "ratio": ratio, "heavy": heavy, "codes": sorted(codes[name])},
        )
        notes = []
        if heavy:
            notes.append("imported " + ", ".join(heavy))
        if case is not None and case.timed and ratio > TARGET_RATIO:
            notes.append(f"missed by {ratio / TARGET_RATIO - 1:.0%}")
        if case is not None and case.note:
            notes.append(case.note)
        if case is not None and codes[name] != {case.code}:
            notes.append(f"exit codes {sorted(codes[name])}, expected {case.code}")
            row.met = False
        row.note = "; ".join(notes)
        rows.append(row)
    return rows


if __name__ == "__main__":
    old = sys.argv[sys.argv.index("--compare") + 1] if "--compare" in sys.argv else None
    print(text_table(run(quick="--quick" in sys.argv, compare=Path(old) if old else None)))
