"""End to end: the real CLI, under GITHUB_ACTIONS=true, against a loopback service that answers
hostile text in one field at a time. No workflow command we did not write, no raw ESC or NUL,
the summary's table intact with no injected link, image or HTML, outputs single-line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import assert_no_secret, run_cli
from tests.github_output import parse_output_file
from tests.hostile_service import HostileService

TOKEN = "tok-Hostile-9f8e7d6c5b4a"
INJECT = (
    "x\n::error::PWNED\r::add-mask::PWNED\n::stop-commands::pwn\n##[group]PWNED\n"
    "\x1b[2K\x1b]0;t\x07\x00\x9b"
)
MARKDOWN = (
    "| x | ![t](https://tracker.example/pixel.png) [click](javascript:alert(1)) "
    "<img src=x onerror=alert(1)> "
)
TESTS = '[{"name": "one", "steps": "open"}, {"name": "two", "steps": "go"}]'
OUR_COMMAND = re.compile(
    r"^::(add-mask::.+|group::.*|endgroup::|(error|warning) title=VibeTesting[^:\n]*::.*)$"
)
OUTPUT_KEYS = {
    "result",
    "exit-code",
    "execution-ids",
    "schedule-id",
    "tests",
    "passed",
    "failed",
    "flaky",
    "attempts",
    "junit-file",
    "report-file",
    "report-url",
    "failed-tests",
    "failed-tests-complete",
}

CASES: list[tuple[str, dict[str, Any]]] = [
    ("execution_state", {"state_once": f"running{INJECT}"}),
    ("detailed_status", {"status": {"detailed_status": INJECT + MARKDOWN}}),
    ("suite_name", {"status": {"suite_name": INJECT + MARKDOWN}}),
    ("full_report_link", {"status": {"full_report_link": f"https://r.example/a.pdf{INJECT}"}}),
    ("javascript link", {"status": {"full_report_link": "javascript:alert(1)"}}),
    ("refusal reason", {"trigger": {"status": "fail", "reason": INJECT + MARKDOWN}}),
]


def _run(tmp_path: Path, **service: Any) -> tuple[Any, str, dict[str, str]]:
    with HostileService(token=TOKEN, **service) as api:
        env = {
            "VIBETESTING_API_TOKEN": TOKEN,
            "VIBETESTING_API_URL": api.url,
            "VIBETESTING_POLL_INTERVAL": "0.1",
            "VIBETESTING_TIMEOUT": "30",
            "VIBETESTING_TESTS": TESTS,
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        }
        result = run_cli(["run"], cwd=tmp_path, env=env, timeout=60)
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    outputs = parse_output_file((tmp_path / "output.txt").read_text(encoding="utf-8"))
    return result, summary, outputs


@pytest.mark.parametrize("field,service", CASES, ids=[c[0] for c in CASES])
def test_hostile_field_cannot_reach_the_runner(
    tmp_path: Path, field: str, service: dict[str, Any]
) -> None:
    result, summary, outputs = _run(tmp_path, **service)
    streams = result.stdout + result.stderr
    assert result.returncode in (1, 3), streams
    for line in re.split(r"\r\n|\r|\n", streams):
        if re.match(r"^\s*(::|##\[|##vso\[)", line):
            assert OUR_COMMAND.match(line), (
                f"{field}: a workflow command we did not write: {line!r}"
            )
        assert "PWNED" not in line.split("::", 2)[1] if line.startswith("::") else True
    assert "\x1b" not in streams and "\x00" not in streams and "\x9b" not in streams
    # The summary: every table row has the header's cells, nothing clickable or embedded.
    tables = re.findall(r"(?m)(?:^\|.*\n)+", summary)  # the executions', the tests'
    for rows in (table.splitlines() for table in tables):
        cells = len(re.findall(r"(?<!\\)\|", rows[0]))
        assert all(len(re.findall(r"(?<!\\)\|", r)) == cells for r in rows), summary
    assert "<img" not in summary
    assert not re.search(r"(?<!\\)\]\((?!https?://(127\.0\.0\.1|r\.example))", summary), summary
    assert not re.search(r"(?<!\\)!\[", summary) and "https://tracker" not in summary
    assert "\x1b" not in summary and "\x00" not in summary
    # Outputs: exactly the documented keys, every value on one line, links plain http(s).
    assert set(outputs) == OUTPUT_KEYS
    assert all("\n" not in v and "\r" not in v for v in outputs.values())
    for url in filter(None, outputs["report-url"].split(",")):
        assert re.fullmatch(r"https?://\S+", url), url
    unmasked = streams.replace(f"::add-mask::{TOKEN}\n", "")
    assert_no_secret(unmasked, summary, *outputs.values(), secrets=(TOKEN,))


def test_bad_report_link_is_dropped_with_a_warning(tmp_path: Path) -> None:
    result, summary, outputs = _run(
        tmp_path, status={"full_report_link": "https://r.example/a b.pdf"}
    )
    assert result.returncode == 1
    assert outputs["report-url"] == ""
    assert "full_report_link is not a plain http(s) URL; ignored" in result.stdout
    assert "[PDF](" not in summary
