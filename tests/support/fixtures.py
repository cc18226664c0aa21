"""Fixtures shared by the end-to-end and the channel tests (their conftests import them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.cli import TOKEN
from vibetesting_ci.emulator import EmulatorServer


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """A real emulator on a free loopback port (fast tests, a fixed seed)."""
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, seed=1) as server:
        yield server
