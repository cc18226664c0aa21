"""Start-up: ``vibetesting --help``, ``--version`` and an input error against a bare Python.

Each command runs ``repeats`` times, interleaved with ``python -c pass`` from the same
interpreter (so machine noise hits both alike); the figures are medians. A second check runs
each command under ``python -X importtime`` and lists the heavy modules it loaded (requests,
urllib3, YAML, junit-xml, the emulator): there must be none.
"""

from __future__ import annotations

import sys

from _common import (
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

TIMED = ("--help", "--version")  # the 4x target is for --help; --version is as cheap
CASES: dict[str, list[str]] = {
    "--help": ["--help"],
    "--version": ["--version"],
    "input error": ["wait", "not-a-number"],  # exit 2 before any request
}


def heavy_imports(args: list[str]) -> list[str]:
    """Heavy top-level packages a command imports (``-X importtime`` of ``-m vibetesting_ci``)."""
    env = clean_env({"VIBETESTING_API_TOKEN": "t"})
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


def run(quick: bool = False) -> list[Row]:
    repeats = 9 if quick else 21
    # No COLUMNS and no terminal: the width click uses in CI logs and pipes.
    env = clean_env({"VIBETESTING_API_TOKEN": "t"})
    env.pop("COLUMNS", None)
    cli = cli_command()
    commands = {"bare python": [python(), "-c", "pass"]}
    commands.update({name: [*cli, *args] for name, args in CASES.items()})
    commands["run --help (reference)"] = [*cli, "run", "--help"]
    commands["import click (reference)"] = [python(), "-c", "import click"]
    walls: dict[str, list[float]] = {name: [] for name in commands}
    rss: dict[str, list[float]] = {name: [] for name in commands}
    codes: dict[str, set[int]] = {name: set() for name in commands}
    log(f"start-up: {repeats} rounds of {len(commands)} commands")
    for _ in range(2):  # warm the page cache and .pyc files
        for cmd in commands.values():
            run_measured(cmd, env=env, timeout=60)
    for _ in range(repeats):
        for name, cmd in commands.items():
            measured = run_measured(cmd, env=env, timeout=60)
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
    for name in [*CASES, "run --help (reference)", "import click (reference)"]:
        value = median(walls[name])
        ratio = value / base
        reference = name.endswith("(reference)")
        heavy = [] if reference else heavy_imports(CASES[name])
        timed = name in TIMED
        target = "-"
        if not reference:
            target = f"<= {TARGET_RATIO:g}x; no heavy imports" if timed else "no heavy imports"
        row = Row(
            "start-up",
            name if name.startswith("import") else f"vibetesting {name}",
            f"{fmt_ms(value)}, {median(rss[name]):.0f} MiB",
            baseline=fmt_ms(base),
            ratio=fmt_ratio(ratio),
            target=target,
            met=None if reference else ((ratio <= TARGET_RATIO or not timed) and not heavy),
            data={"median_s": value, "ratio": ratio, "heavy": heavy, "codes": sorted(codes[name])},
        )
        notes = []
        if heavy:
            notes.append("imported " + ", ".join(heavy))
        if timed and ratio > TARGET_RATIO:
            notes.append(f"missed by {ratio / TARGET_RATIO - 1:.0%}")
        if name == "input error":
            notes.append(
                "goes through click (an input error needs the option parser); the ratio is "
                "click's import plus settings validation, see `import click` below"
            )
        expected = {"input error": {2}}.get(name, {0})
        if not reference and codes[name] != expected:
            notes.append(f"exit codes {sorted(codes[name])}, expected {sorted(expected)}")
            row.met = False
        row.note = "; ".join(notes)
        rows.append(row)
    return rows


if __name__ == "__main__":
    print(text_table(run(quick="--quick" in sys.argv)))
