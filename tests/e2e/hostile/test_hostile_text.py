"""End to end: the real CLI, under GITHUB_ACTIONS=true, against a loopback service that answers
hostile text in one field at a time. No workflow command we did not write, no raw ESC or NUL,
the job summary's and the pull request comment's tables intact with no injected link, image,
HTML, mention or emoji code (the comment is posted through a loopback forge stand-in: both
Markdown renderers face the same text, in the same run), outputs single-line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import assert_no_secret, run_cli
from tests.support.forge_standin import Forge, ForgeServer
from tests.support.github_output import parse_output_file
from tests.support.hostile_service import HostileService

TOKEN = "tok-Hostile-9f8e7d6c5b4a"
FORGE_TOKEN = "ghs-Hostile-0a1b2c3d4e5f"
INJECT = (
    "x\n::error::PWNED\r::add-mask::PWNED\n::stop-commands::pwn\n##[group]PWNED\n"
    "\x1b[2K\x1b]0;t\x07\x00\x9b"
)
MARKDOWN = (
    "| x | ![t](https://tracker.example/pixel.png) [click](javascript:alert(1)) "
    "<img src=x onerror=alert(1)> @team :tada: www.evil.example "
)
# A test name is shown in the summary's tests table and the comment's failed tests.
NAME = (
    "two @team :tada: <b>x</b> [x](javascript:alert(1)) www.evil.example ![i](https://t.example/i)"
)
TESTS = json.dumps([{"name": "one", "steps": "open"}, {"name": NAME, "steps": "go"}])
OUR_COMMAND = re.compile(
    r"^::(add-mask::.+|group::.*|endgroup::|(error|warning) title=VibeTesting[^:\n]*::.*)$"
)
# Links the summary and the comment may carry: the service's report, this run.
OUR_LINK = re.compile(r"(?<!\\)\]\((?!https?://(127\.0\.0\.1|r\.example|github\.com/octo/))")
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
    # The detailed status names the failed test: its case, the failed-tests list and the
    # comment carry the name.
    ("test name", {"status": {"detailed_status": f"1 passed; failed: {NAME} {MARKDOWN}"}}),
]


def _run(tmp_path: Path, **service: Any) -> tuple[Any, str, dict[str, str], str]:
    """One run: its streams, the job summary, the outputs and the pull request comment."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
    forge = Forge(token=FORGE_TOKEN)
    with HostileService(token=TOKEN, **service) as api, ForgeServer(forge) as (_, forge_url):
        env = {
            "VIBETESTING_API_TOKEN": TOKEN,
            "VIBETESTING_API_URL": api.url,
            "VIBETESTING_POLL_INTERVAL": "0.1",
            "VIBETESTING_TIMEOUT": "30",
            "VIBETESTING_TESTS": TESTS,
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            # --comment, through the forge stand-in: the same text reaches the comment.
            "VIBETESTING_COMMENT": "true",
            "VIBETESTING_GITHUB_TOKEN": FORGE_TOKEN,
            "GITHUB_API_URL": forge_url,
            "GITHUB_REPOSITORY": "octo/shop",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_RUN_ID": "99",
        }
        result = run_cli(["run"], cwd=tmp_path, env=env, timeout=60)
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    outputs = parse_output_file((tmp_path / "output.txt").read_text(encoding="utf-8"))
    (posted,) = forge.threads.get("octo/shop#7", [])  # one comment, whatever the answer said
    return result, summary, outputs, posted["body"]


def _assert_markdown_is_text(what: str, text: str) -> None:
    """The summary's and the comment's checks, the same for both: every table row has the
    header's cells, nothing clickable, embedded, mentioned or HTML but our own."""
    tables = re.findall(r"(?m)(?:^\|.*\n)+", text)  # the executions', the tests'
    for rows in (table.splitlines() for table in tables):
        cells = len(re.findall(r"(?<!\\)\|", rows[0]))
        assert all(len(re.findall(r"(?<!\\)\|", r)) == cells for r in rows), f"{what}: {text}"
    assert "<img" not in text, what
    assert not OUR_LINK.search(text), f"{what}: {text}"
    assert not re.search(r"(?<!\\)!\[", text) and "https://tracker" not in text, what
    assert not re.search(r"(?<!\\)@", text), f"{what}: a live mention"
    assert ":tada:" not in text and "www.evil" not in text, f"{what}: a live emoji or link"
    assert "\x1b" not in text and "\x00" not in text and "\r" not in text, what


@pytest.mark.parametrize("field,service", CASES, ids=[c[0] for c in CASES])
def test_hostile_field_cannot_reach_the_runner(
    tmp_path: Path, field: str, service: dict[str, Any]
) -> None:
    result, summary, outputs, comment = _run(tmp_path, **service)
    streams = result.stdout + result.stderr
    assert result.returncode in (1, 3), streams
    for line in re.split(r"\r\n|\r|\n", streams):
        if re.match(r"^\s*(::|##\[|##vso\[)", line):
            assert OUR_COMMAND.match(line), (
                f"{field}: a workflow command we did not write: {line!r}"
            )
        assert "PWNED" not in line.split("::", 2)[1] if line.startswith("::") else True
    assert "\x1b" not in streams and "\x00" not in streams and "\x9b" not in streams
    # The summary and the comment (both Markdown renderers), through the same checks.
    _assert_markdown_is_text("summary", summary)
    _assert_markdown_is_text("comment", comment)
    assert "comment created on pull request #7 of octo/shop" in streams
    if field == "test name":  # named by the service: listed as the failed test in both
        assert "\\@team" in comment and "\\@team" in summary
        assert json.loads(outputs["failed-tests"]) == [NAME]
    # Outputs: exactly the documented keys, every value on one line, links plain http(s).
    assert set(outputs) == OUTPUT_KEYS
    assert all("\n" not in v and "\r" not in v for v in outputs.values())
    for url in filter(None, outputs["report-url"].split(",")):
        assert re.fullmatch(r"https?://\S+", url), url
    unmasked = streams.replace(f"::add-mask::{TOKEN}\n", "")
    unmasked = unmasked.replace(f"::add-mask::{FORGE_TOKEN}\n", "")
    assert_no_secret(unmasked, summary, comment, *outputs.values(), secrets=(TOKEN, FORGE_TOKEN))


def test_bad_report_link_is_dropped_with_a_warning(tmp_path: Path) -> None:
    result, summary, outputs, comment = _run(
        tmp_path, status={"full_report_link": "https://r.example/a b.pdf"}
    )
    assert result.returncode == 1
    assert outputs["report-url"] == ""
    assert "full_report_link is not a plain http(s) URL; ignored" in result.stdout
    assert "[PDF](" not in summary and "[PDF](" not in comment
