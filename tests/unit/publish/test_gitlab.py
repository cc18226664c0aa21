"""GitLabAdapter: collapsible sections in GitLab's marker format."""

from __future__ import annotations

import io
import re

from vibetesting_ci.publish.ci import detect
from vibetesting_ci.publish.ci.gitlab import GitLabAdapter, section_end, section_name, section_start

MARKER = re.compile(
    r"^\x1b\[0Ksection_(start|end):(\d+):([A-Za-z0-9_.-]+)(\[collapsed=true\])?\r\x1b\[0K(.*)$"
)


def test_detected_from_the_environment() -> None:
    assert isinstance(detect({"GITLAB_CI": "true"}), GitLabAdapter)


def test_marker_format() -> None:
    assert (
        section_start("vt_1", "Waiting  for\n2", now=1700000000.9)
        == "\x1b[0Ksection_start:1700000000:vt_1[collapsed=true]\r\x1b[0KWaiting for 2"
    )
    assert section_end("vt_1", now=1700000001) == "\x1b[0Ksection_end:1700000001:vt_1\r\x1b[0K"


def test_section_names_are_valid_and_unique() -> None:
    names = {section_name("Waiting for 3 VibeTesting execution(s)!") for _ in range(3)}
    assert len(names) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+", n) for n in names)


def test_group_wraps_the_log_and_errors_stay_plain() -> None:
    out = io.StringIO()
    gl = GitLabAdapter({"GITLAB_CI": "true"}, stream=out)
    gl.mask("secret")  # GitLab cannot mask at run time: nothing printed
    with gl.group("Waiting for 1 execution"):
        print("execution 1: running", file=out)
        gl.error("boom")
    lines = out.getvalue().rstrip("\n").split("\n")  # not splitlines(): the markers hold \r
    start, end = MARKER.match(lines[0]), MARKER.match(lines[-1])
    assert start and end
    assert (start.group(1), start.group(4), start.group(5)) == (
        "start",
        "[collapsed=true]",
        "Waiting for 1 execution",
    )
    assert (end.group(1), end.group(3)) == ("end", start.group(3))
    assert lines[1:-1] == ["execution 1: running", "error: boom"]
    assert "secret" not in out.getvalue()
