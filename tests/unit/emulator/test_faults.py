"""The emulator's hostile fault specs: they round-trip and are checked."""

from __future__ import annotations

import pytest

from vibetesting_ci.emulator.faults import parse_fault, spec_of


@pytest.mark.parametrize(
    "spec",
    [
        "run-tests:drip:times=0,seconds=0.5",
        "report:drip-body:times=0",
        "run-tests:redirect:times=0,status=308,target=other-host",
        "execution-status:big:times=1,mib=200",
        "execution-status:gzip-bomb:times=0,mib=1024",
        "run-tests:echo-refusal:times=1",
        "execution-status:echo-status:times=0",
        "execution-status:huge-failure:times=0,mib=2,count=1000",
    ],
)
def test_hostile_fault_specs_round_trip(spec):
    fault = parse_fault(spec)
    assert parse_fault(spec_of(fault)) == fault


def test_hostile_fault_specs_are_checked():
    with pytest.raises(ValueError, match="target"):
        parse_fault("run-tests:redirect:target=elsewhere")
    with pytest.raises(ValueError, match="does not apply"):
        parse_fault("run-tests:huge-failure")
