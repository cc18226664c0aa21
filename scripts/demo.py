"""``make demo``: a guided run against the local emulator, as a pipeline would run it.

Starts ``vibetesting emulator`` on loopback, runs ``vibetesting run --tests-file
examples/tests.yml`` against it (one test fails on purpose), leaves the JUnit XML, the PDF report
and the results JSON in the output folder, stops the emulator and exits 0 when everything behaved
as documented.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "demo-token"  # noqa: S105 - the emulator's demo token, not a secret


# The demo's JUnit: both tests by name, each with its own outcome, under a classname that only
# the tests file's path decides (the same on every run).
EXPECTED_CASES = {
    ("vibetesting.examples/tests", "teacher signup"): "passed",
    ("vibetesting.examples/tests", "teacher wrong credentials [fail]"): "failed",
}


def junit_cases(path: Path) -> dict[tuple[str, str], str]:
    """(classname, name) -> passed / failed / error / skipped, read from the JUnit file."""
    cases: dict[tuple[str, str], str] = {}
    root = ET.parse(path).getroot()  # noqa: S314 - the file this demo just wrote
    for case in root.iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcome = {"failure": "failed"}.get(kinds[0], kinds[0]) if kinds else "passed"
        cases[(case.get("classname", ""), case.get("name", ""))] = outcome
    return cases


def start_emulator(port: int, env: dict[str, str]) -> tuple[subprocess.Popen[str] | None, str, str]:
    """Start ``vibetesting emulator`` on ``port`` (0: any free one): ``(process, url, "")``,
    or ``(None, "", why)`` when it did not start (its error line, never empty)."""
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vibetesting_ci",
            "emulator",
            "--port",
            str(port),
            "--token",
            TOKEN,
            "--test-seconds",
            "1",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert emulator.stdout is not None
    first = emulator.stdout.readline()
    url = next((word for word in first.split() if word.startswith("http")), "")
    if url:
        return emulator, url, ""
    try:
        _, err = emulator.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        emulator.kill()
        _, err = emulator.communicate()
    lines = [line.strip() for line in (first + (err or "")).splitlines() if line.strip()]
    why = lines[-1].removeprefix("error: ") if lines else f"exit code {emulator.returncode}"
    return None, "", why


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", default="demo-output", help="folder for the files")
    parser.add_argument("--port", type=int, default=0, help="emulator port (0: any free)")
    args = parser.parse_args()
    out = (ROOT / args.output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("vibetesting-*"):
        old.unlink()

    env = {k: v for k, v in os.environ.items() if not k.startswith("VIBETESTING_")}
    env["PYTHONUNBUFFERED"] = "1"
    emulator, url, why = start_emulator(args.port, env)
    if emulator is None and args.port and "cannot listen" in why:
        # The port is taken (another emulator, another demo) or refused: any free one will do.
        print(
            f"demo: port {args.port} is taken ({why.rsplit(': ', 1)[-1]}); using a free port "
            "instead (choose one with: make demo DEMO_PORT=NUMBER)"
        )
        emulator, url, why = start_emulator(0, env)
    if emulator is None:
        print(f"demo: the emulator did not start: {why}", file=sys.stderr)
        return 1
    try:
        print(f"demo: emulator at {url}\n")
        env.update(
            VIBETESTING_API_TOKEN=TOKEN,
            VIBETESTING_API_URL=url,
            VIBETESTING_POLL_INTERVAL="1",
            VIBETESTING_TIMEOUT="120",
        )
        command = [
            sys.executable,
            "-m",
            "vibetesting_ci",
            "run",
            "--tests-file",
            "examples/tests.yml",  # relative: the JUnit classname is vibetesting.examples/tests
            "--allow-parallel",  # one execution per test: every output names each test
            "--junit-file",
            str(out / "vibetesting-junit.xml"),
            "--report-file",
            str(out / "vibetesting-report.pdf"),
            "--results-file",
            str(out / "vibetesting-results.json"),
        ]
        print(
            "demo: $ vibetesting run --tests-file examples/tests.yml --allow-parallel ...\n"
            "demo: (--allow-parallel: one execution per test, so every output names each "
            "test's own outcome)\n"
        )
        code = subprocess.run(command, env=env, cwd=ROOT, check=False).returncode
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)

    results = json.loads((out / "vibetesting-results.json").read_text(encoding="utf-8"))
    reports = sorted(p.name for p in out.glob("vibetesting-report*.pdf"))
    print(
        f"\ndemo: the run exited {code} ({results['result']}): one of the two tests is named "
        "'[fail]', so the emulator fails it, as a real failing test would fail your pipeline."
    )
    print(f"demo: files in {out}/:")
    for name in ("vibetesting-junit.xml", "vibetesting-results.json", *reports):
        print(f"  {name}")
    cases = junit_cases(out / "vibetesting-junit.xml")
    print("demo: the JUnit's test cases (classname, name: outcome):")
    for (classname, name), outcome in cases.items():
        print(f"  {classname}, {name}: {outcome}")
    expected = (
        code == 1
        and results["result"] == "failed"
        and len(reports) == 2
        and cases == EXPECTED_CASES
    )
    if not expected:
        print("demo: unexpected outcome; see the log above", file=sys.stderr)
        return 1
    print("demo: done (exit 0). Next: `make test`, or point VIBETESTING_API_URL at the service.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
