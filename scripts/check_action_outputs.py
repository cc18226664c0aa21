"""Check one action step's outputs and files in the workflows (.github/workflows/ci.yml).

The outputs come in as variables (RESULT, EXIT_CODE, FAILED: `env:` of the checking step, so no
output is expanded into a shell line); the files are the defaults in the workspace. Prints what
it found; exit 1 when something differs.

Usage: python scripts/check_action_outputs.py --result failed --exit-code 1 --failed 1
"""

from __future__ import annotations

import argparse
import os
import xml.etree.ElementTree as ET
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--result", required=True)
    parser.add_argument("--exit-code", required=True)
    parser.add_argument("--failed", required=True)
    args = parser.parse_args(argv)
    problems = []
    for variable, wanted in (
        ("RESULT", args.result),
        ("EXIT_CODE", args.exit_code),
        ("FAILED", args.failed),
    ):
        found = os.environ.get(variable, "")
        print(f"{variable}={found}")
        if found != wanted:
            problems.append(f"{variable} is {found!r}, not {wanted!r}")
    junit = Path("vibetesting-junit.xml")
    # our own CLI's file, in the job's workspace
    cases = ET.parse(junit).getroot().iter("testcase") if junit.is_file() else iter(())  # noqa: S314
    if next(cases, None) is None:
        problems.append("no JUnit XML with test cases")
    reports = sorted(Path().glob("vibetesting-report*.pdf"))
    if not reports or not all(p.read_bytes().startswith(b"%PDF-") for p in reports):
        problems.append("no PDF report")
    for problem in problems:
        print(f"::error title=action check::{problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
