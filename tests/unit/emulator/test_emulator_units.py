"""The emulator's pure parts: fault specs and the documented scenario example."""

from __future__ import annotations

from pathlib import Path

import pytest

from vibetesting_ci.emulator import parse_fault
from vibetesting_ci.emulator.faults import spec_of


def test_parse_fault() -> None:
    f = parse_fault("execution-status:html500:times=3")
    assert (f.endpoint, f.kind, f.times) == ("execution-status", "html500", 3)
    f = parse_fault("run-tests:429:retry_after=1")
    assert f.retry_after == 1.0 and f.retry_after_header() == "1"
    f = parse_fault("execution-status:stall:seconds=5")
    assert f.seconds == 5.0
    f = parse_fault("*:drop:after=2:times=0")
    assert (f.endpoint, f.after, f.times) == ("*", 2, 0)
    f = parse_fault("execution-status:odd-state:state=queued,times=2")
    assert f.state == "queued"
    for spec in [
        "execution-status:html500:times=3",
        "run-tests:429:times=1,retry_after=0.5",
        "*:stall:times=0,after=2,seconds=1.5",
    ]:
        again = parse_fault(spec_of(parse_fault(spec)))
        assert spec_of(again) == spec_of(parse_fault(spec))
    for bad in [
        "html500",
        "status:explode",
        "nowhere:html500",
        "execution-status:html500:times=x",
        "execution-status:html500:color=red",
        "execution-status:html500:times",
        "run-tests:odd-state",
        "run-tests:html500:times=-1",
    ]:
        with pytest.raises(ValueError):
            parse_fault(bad)


def test_docs_scenario_example_loads(tmp_path: Path) -> None:
    from vibetesting_ci.emulator.command import load_scenario

    doc = (Path(__file__).parents[3] / "docs" / "emulator.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "flaky.yaml"
    path.write_text(example, encoding="utf-8")
    settings = load_scenario(str(path))
    assert settings["pace"] == "realistic"
    assert [f.kind for f in settings["faults"]] == ["html500", "create-then-500", "stall"]
