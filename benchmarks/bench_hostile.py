"""Peak memory and time of the CLI against hostile answers (issue 17), next to a plain run.

    python benchmarks/bench_hostile.py            # the table on stdout
    python benchmarks/bench_hostile.py --json     # the figures as JSON

Each case starts the emulator (loopback) with one fault, runs the real CLI under a launcher
that reads its peak RSS from ``wait4`` (``_common.run_measured``), and compares it with the
same run without the fault, measured in the same invocation. Before the caps, a 200 MB status
body took about 690 MiB, a gzip bomb ended in a MemoryError, and 1,000 failed tests with a
2 MB detailed status wrote a 2 GB JUnit file with 3.9 GB of memory.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from _common import TOKEN, clean_env, cli_command, run_measured

from vibetesting_ci.emulator import EmulatorServer

TESTS = "[{name: one, steps: open the page}, {name: two, steps: [add, pay]}]"
ALIAS_BOMB = (
    "tests:\n  - name: t\n    steps: [&a '"
    + "x" * (1024 * 1024 - 4096)
    + "', "
    + ", ".join(["*a"] * 300)
    + "]\n"
)


@dataclass
class Case:
    name: str
    what: str
    faults: tuple[str, ...] = ()
    args: tuple[str, ...] = ("run", "--tests", TESTS)
    tests_file: str | None = None  # content written to tests.yml, passed as --tests-file


CASES = (
    Case("baseline", "no fault (the reference)"),
    Case("trigger-200mb", "run-tests answers 200 MB", ("run-tests:big:mib=200",)),
    Case("status-200mb", "execution-status answers 200 MB", ("execution-status:big:mib=200",)),
    Case(
        "status-gzip-bomb",
        "execution-status: 1 MB of gzip inflating to 1 GiB",
        ("execution-status:gzip-bomb:mib=1024",),
    ),
    Case(
        "huge-failure",
        "1,000 failed tests, 2 MB detailed status",
        ("execution-status:huge-failure:times=0",),
    ),
    Case(
        "tests-file-alias-bomb",
        "1 MiB tests file, aliases expanding to ~300 MB",
        args=("run",),
        tests_file=ALIAS_BOMB,
    ),
    Case(
        "tests-file-dev-zero", "--tests-file /dev/zero", args=("run", "--tests-file", "/dev/zero")
    ),
)


def measure(case: Case) -> dict[str, object]:
    with (
        tempfile.TemporaryDirectory(prefix="vibetesting-hostile-") as folder,
        EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, seed=1, faults=case.faults) as srv,
    ):
        args = list(case.args)
        if case.tests_file is not None:
            Path(folder, "tests.yml").write_text(case.tests_file, encoding="utf-8")
            args += ["--tests-file", "tests.yml"]
        env = clean_env(
            {
                "VIBETESTING_API_TOKEN": TOKEN,
                "VIBETESTING_API_URL": srv.url,
                "VIBETESTING_POLL_INTERVAL": "0.1",
                "VIBETESTING_TIMEOUT": "60",
            }
        )
        measured = run_measured([*cli_command(), *args, "-q"], cwd=folder, env=env, timeout=300)
        junit = Path(folder, "vibetesting-junit.xml")
        return {
            "case": case.name,
            "what": case.what,
            "exit": measured.returncode,
            "wall_s": round(measured.wall, 2),
            "peak_rss_mib": round(measured.maxrss_mib, 1),
            "junit_bytes": junit.stat().st_size if junit.exists() else 0,
            "error": measured.stderr.strip().splitlines()[-1][:160] if measured.stderr else "",
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    options = parser.parse_args()
    rows = []
    for case in CASES:
        print(f"{case.name} ...", file=sys.stderr, flush=True)
        rows.append(measure(case))
    base = float(rows[0]["peak_rss_mib"])  # type: ignore[arg-type]
    if options.json:
        print(json.dumps(rows, indent=2))
        return 0
    print("| case | what | exit | wall s | peak RSS MiB | vs baseline | JUnit bytes |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        ratio = float(row["peak_rss_mib"]) / base  # type: ignore[arg-type]
        print(
            f"| {row['case']} | {row['what']} | {row['exit']} | {row['wall_s']} | "
            f"{row['peak_rss_mib']} | {ratio:.2f}x | {row['junit_bytes']} |"
        )
    for row in rows:
        if row["error"]:
            print(f"- {row['case']}: {row['error']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
