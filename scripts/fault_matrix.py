"""The fault matrix: every scenario of ``faultkit.scenarios`` through the real CLI, as Markdown.

Each scenario starts the emulator with its faults (or a TLS certificate, a proxy, GitHub
Actions variables...), runs ``python -m vibetesting_ci ...`` as a subprocess, sends a signal
if the scenario has one, and reports: what happened (the results file's verdict and message),
the exit code (and whether it is the documented one), the executions the emulator created,
the requests per endpoint, how many times the API token or the login password appears in
stdout, stderr and every file the run left (must be 0), and the seconds from the signal to the
exit for the cancel rows.

    python scripts/fault_matrix.py                          # table on stdout
    python scripts/fault_matrix.py --output docs/fault-matrix.md
    python scripts/fault_matrix.py --only sigterm-waiting tls-no-ca

The machinery is the ``faultkit`` package beside this script (``scripts/faultkit/``; the tests
import the same one). Needs the test extras (``pip install -e '.[test]'``: trustme for the TLS
rows). Scenarios run one at a time by default so the seconds are not skewed by each other;
``--parallel 4`` is faster. Exits 1 if any row is not as expected or any secret was found.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from faultkit.run import Outcome, pid1_available, run_scenario
from faultkit.scenarios import SCENARIOS, Scenario

SHORT = {
    "run-tests": "trigger",
    "run-suite": "trigger",
    "execution-status": "status",
    "stop-execution": "stop",
    "report": "report",
}


def problems(outcome: Outcome) -> list[str]:
    sc = outcome.scenario
    found = []
    if outcome.returncode != sc.expect_exit:
        found.append(f"exit {outcome.returncode}, expected {sc.expect_exit}")
    if sc.expect_runs is not None and outcome.runs_created != sc.expect_runs:
        found.append(f"{outcome.runs_created} runs, expected {sc.expect_runs}")
    for text in sc.expect_text:
        if text not in outcome.output:
            found.append(f"no {text!r} in the output")
    for endpoint, count in sc.expect_calls.items():
        if outcome.calls(endpoint) != count:
            found.append(f"{outcome.calls(endpoint)} {endpoint} calls, expected {count}")
    if outcome.secrets_found:
        found.append(f"{outcome.secrets_found} secret(s) found")
    if outcome.injections:
        found.append(f"{outcome.injections} injected command line(s) or raw control characters")
    if "Traceback" in outcome.output:
        found.append("a traceback")
    return found


def requests_seen(outcome: Outcome) -> str:
    counts: dict[str, int] = {}
    for record in outcome.journal:
        name = SHORT.get(record.endpoint)
        if name:
            counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "none"


def cell(text: str, limit: int = 150) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def row(outcome: Outcome) -> str:
    sc = outcome.scenario
    bad = problems(outcome)
    code = f"{outcome.returncode}" + ("" if outcome.returncode == sc.expect_exit else " ✗")
    seconds = "" if outcome.signal_to_exit is None else f"{outcome.signal_to_exit:.2f}"
    verdict = "✓" if not bad else "✗ " + "; ".join(bad)
    return (
        f"| `{sc.name}` | {cell(sc.what, 90)} | {cell(outcome.happened)} | {code} "
        f"| {outcome.runs_created} | {requests_seen(outcome)} | {outcome.secrets_found} "
        f"| {seconds} | {outcome.seconds:.1f} | {cell(verdict, 80)} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", help="write the Markdown here instead of stdout")
    parser.add_argument("--only", nargs="+", metavar="SCENARIO", help="run only these")
    parser.add_argument("--parallel", type=int, default=1, help="scenarios at a time")
    args = parser.parse_args()

    chosen: list[Scenario] = [s for s in SCENARIOS if not args.only or s.name in args.only]
    if not pid1_available():
        chosen = [s for s in chosen if not s.pid1]
        print("note: PID namespaces unavailable here; the PID 1 row is left out", file=sys.stderr)
    root = Path(tempfile.mkdtemp(prefix="fault-matrix-"))
    started = time.monotonic()

    def one(sc: Scenario) -> Outcome:
        outcome = run_scenario(sc, root / sc.name)
        flag = "ok" if not problems(outcome) else "NOT AS EXPECTED"
        print(f"{sc.name}: exit {outcome.returncode}, {flag}", file=sys.stderr, flush=True)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
        outcomes = list(pool.map(one, chosen))
    took = time.monotonic() - started

    bad = [o for o in outcomes if problems(o)]
    secrets = sum(o.secrets_found for o in outcomes)
    injected = sum(o.injections for o in outcomes)
    cancels = [o.signal_to_exit for o in outcomes if o.signal_to_exit is not None]
    lines = [
        "# Fault matrix",
        "",
        "Generated by `python scripts/fault_matrix.py --output docs/fault-matrix.md`: each row"
        " runs the real CLI (`python -m vibetesting_ci`, a subprocess) against the emulator"
        " (`vibetesting_ci.emulator`) with the faults named, on loopback. Scenarios are defined"
        " in `scripts/faultkit/scenarios.py`; the test suite runs the same ones"
        " (`tests/e2e/matrix/test_*.py`, among them `test_signals.py` and `test_tls.py`,"
        " and `tests/e2e/hostile/test_hostile_answers.py`).",
        "",
        "Columns: *exit* is the CLI's exit code (✗ if not the documented one); *runs* the"
        " executions the emulator created (a trigger that may have reached the service is never"
        " repeated, so never more than one run's); *requests* what the emulator received;"
        " *secrets* how many times the API token, the login password, a password in"
        " `--api-url` or the key of a report link (the emulator's `sig`) appears (as given or"
        " URL-encoded) in stdout,"
        " stderr (all runs use `--verbose`) and every file left behind (JUnit, results JSON,"
        " PDF, `$GITHUB_OUTPUT`, step summary): it must be 0; *signal→exit* the seconds from"
        " SIGINT/SIGTERM to the process's exit (promise: within 5 s); *total* seconds from start"
        " to exit. Every row is also checked for lines in stdout/stderr that would be GitHub"
        " workflow commands vibetesting-ci did not write, and for raw ESC or NUL characters"
        " (`faultkit.common.count_injections`): a row with any is not as expected.",
        "",
        f"{len(outcomes)} scenarios, {len(outcomes) - len(bad)} as expected; secrets found in"
        f" all outputs and files: **{secrets}**; injected commands or raw controls:"
        f" **{injected}**; signal→exit: max"
        f" **{max(cancels):.2f} s** over {len(cancels)} cancel rows"
        if cancels
        else f"{len(outcomes)} scenarios, {len(outcomes) - len(bad)} as expected; secrets"
        f" found: **{secrets}**; injected commands or raw controls: **{injected}**",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.system()} {platform.machine()},"
        f" Python {platform.python_version()}, {args.parallel} at a time, {took:.0f} s in all.",
        "",
        "| scenario | fault | what happened | exit | runs | requests | secrets | signal→exit s"
        " | total s | as expected |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(row(o) for o in outcomes),
        "",
    ]
    text = "\n".join(lines)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
