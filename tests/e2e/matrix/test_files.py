"""Whole files, end to end: a crash (SIGKILL at any moment) or a failure leaves each output the
old file or a complete new one, never half of one."""

from __future__ import annotations

import json
import signal
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from faultkit.run import run_scenario
from faultkit.scenarios import BY_NAME

OLD = {
    "vibetesting-junit.xml": b"OLD JUNIT\n",
    "vibetesting-results.json": b"OLD RESULTS\n",
    "vibetesting-report.pdf": b"OLD REPORT\n",
}


def _prepare(folder: Path) -> None:
    folder.mkdir(parents=True)
    for name, data in OLD.items():
        (folder / name).write_bytes(data)


def _whole(name: str, data: bytes) -> bool:
    """True if ``data`` is a complete file of its kind."""
    if name.endswith(".xml"):
        return ET.fromstring(data).tag == "testsuites"
    if name.endswith(".json"):
        return isinstance(json.loads(data), dict)
    return data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


# Kill moments: while waiting, then from the first report request on, a little later each
# time, so that runs die before, between and during the writes (seen here: all old, report
# new, report and JUnit new, all new).
MOMENTS = [("execution-status", 0.0)] + [
    ("report", delay) for delay in (0.0, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16)
]


@pytest.mark.parametrize(("on", "delay"), MOMENTS)
def test_sigkill_leaves_old_or_whole_files(tmp_path, on, delay):
    folder = tmp_path / "work"
    _prepare(folder)
    scenario = replace(
        BY_NAME["baseline"],
        name=f"sigkill-{delay}",
        signal=signal.SIGKILL,
        signal_on=on,
        signal_delay=delay,
    )
    outcome = run_scenario(scenario, folder)
    assert outcome.returncode in (-9, 0), outcome.output
    for name, old in OLD.items():
        data = (folder / name).read_bytes()
        assert data == old or _whole(name, data), f"{name} is half written: {data[:80]!r}"


def test_a_failed_report_download_keeps_the_old_report(tmp_path):
    folder = tmp_path / "work"
    _prepare(folder)
    outcome = run_scenario(BY_NAME["report-not-pdf"], folder)
    assert outcome.returncode == 0, outcome.output
    assert (folder / "vibetesting-report.pdf").read_bytes() == OLD["vibetesting-report.pdf"]
    # The other files were replaced by complete new ones; no temporary file is left.
    for name in ("vibetesting-junit.xml", "vibetesting-results.json"):
        assert _whole(name, (folder / name).read_bytes())
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_an_early_error_replaces_the_results_whole(tmp_path):
    folder = tmp_path / "work"
    _prepare(folder)
    outcome = run_scenario(BY_NAME["trigger-create-then-500"], folder)
    assert outcome.returncode == 3
    results = json.loads((folder / "vibetesting-results.json").read_bytes())
    assert results["result"] == "error" and results["exit_code"] == 3
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
