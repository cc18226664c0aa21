"""Fixtures of the channel tests: the actions' runs that need a service use the real emulator."""

from __future__ import annotations

from tests.support.fixtures import emulator as emulator
