"""Run every benchmark scenario and print one table (``make bench``).

    python benchmarks/run_all.py                     # all scenarios, the table on stdout
    python benchmarks/run_all.py --quick             # fewer repeats and smaller runs
    python benchmarks/run_all.py --only startup,report
    python benchmarks/run_all.py --markdown docs/performance.md --markdown README.md

Scenarios run one after another (never at once, so they do not disturb each other), each
against baselines measured in the same run: a bare ``python -c pass``, ``curl``, fixed-interval
polling. Progress goes to stderr, the table to stdout. The exit code is 0 when every scenario
ran (met or missed targets are in the table), 1 when one could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_many
import bench_polling
import bench_report
import bench_ship
import bench_startup
from _common import ROOT, Row, log, markdown_table, text_table

SCENARIOS: dict[str, Callable[[bool], list[Row]]] = {
    "startup": bench_startup.run,
    "many": bench_many.run,
    "polling": bench_polling.run,
    "report": bench_report.run,
    "ship": bench_ship.run,
}
START = "<!-- bench-table:start -->"
END = "<!-- bench-table:end -->"


def machine() -> str:
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average {os.getloadavg()[0]:.1f}"
    executable = Path(sys.executable)
    if executable.is_relative_to(ROOT):
        executable = executable.relative_to(ROOT)
    return (
        f"Python {platform.python_version()} ({executable}), {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs{load}"
    )


def update_markdown(path: Path, table: str, header: str) -> None:
    """Put the table between the markers in ``path`` (appended with markers if missing)."""
    block = f"{START}\n{header}\n\n{table}\n{END}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in text and END in text:
        before, rest = text.split(START, 1)
        _old, after = rest.split(END, 1)
        text = before + block + after
    else:
        text = (text.rstrip() + "\n\n" if text else "") + block + "\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller runs")
    parser.add_argument(
        "--only", default="", help=f"comma-separated scenarios ({', '.join(SCENARIOS)})"
    )
    parser.add_argument(
        "--markdown",
        metavar="PATH",
        action="append",
        default=[],
        help="also write the table between the bench-table markers of PATH (repeatable)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()] or list(SCENARIOS)
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")

    started = time.monotonic()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    log(machine())
    rows: list[Row] = []
    failed: list[str] = []
    for name in chosen:
        log(f"--- {name}")
        begun = time.monotonic()
        try:
            rows += SCENARIOS[name](args.quick)
        except Exception as exc:  # report and go on with the other scenarios
            traceback.print_exc()
            failed.append(name)
            rows.append(Row(name, "could not run", type(exc).__name__, note=str(exc)[:300]))
        log(f"{name}: {time.monotonic() - begun:.0f} s")
    took = time.monotonic() - started
    header = (
        f"Measured {when} with `benchmarks/run_all.py{' --quick' if args.quick else ''}` in "
        f"{took:.0f} s; {machine()}."
    )
    print(text_table(rows))
    print(f"\n{header}")
    for name in args.markdown:
        path = Path(name)
        if not path.is_absolute():
            path = Path.cwd() / path
        update_markdown(path, markdown_table(rows), header)
        log(f"table written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    if args.json:
        data = [{**{k: v for k, v in vars(r).items() if k != "data"}, "data": r.data} for r in rows]
        Path(args.json).write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
