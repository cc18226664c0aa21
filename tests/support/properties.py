"""Hypothesis at two strengths: ``unit`` (the default: ``pytest tests/unit`` and ``make
test-fast`` stay within seconds) and ``thorough`` (``make test`` and ``.ci/run`` set
``HYPOTHESIS_PROFILE=thorough``: every property test at full strength).

A property test that asks for an explicit number of random examples says
``@settings(max_examples=examples(400))``: 400 under ``thorough``, an eighth (at least 15)
otherwise. Explicit ``@example`` cases always run.
"""

from __future__ import annotations

import os

from hypothesis import settings

UNIT, THOROUGH = "unit", "thorough"
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", UNIT)
if PROFILE not in (UNIT, THOROUGH):
    raise RuntimeError(f"HYPOTHESIS_PROFILE={PROFILE!r}: use {UNIT!r} or {THOROUGH!r}")

settings.register_profile(THOROUGH)  # hypothesis's defaults (100 examples unless a test says)
settings.register_profile(UNIT, max_examples=15)


def load() -> None:
    """Load the profile ``HYPOTHESIS_PROFILE`` names (``unit`` when unset)."""
    settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """The random example count for a test that asks for ``n``: ``n`` under ``thorough``,
    an eighth of it (at least 15) otherwise."""
    return n if PROFILE == THOROUGH else max(15, n // 8)
