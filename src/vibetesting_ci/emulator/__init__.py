"""A local emulator of the VibeTesting External API (standard library only).

>>> from vibetesting_ci.emulator import EmulatorServer, Fault
>>> with EmulatorServer(test_seconds=0.05) as srv:   # doctest: +SKIP
...     run_pipeline(api_url=srv.url, api_token=srv.token)

See docs/emulator.md for test-name markers, built-in suites, faults and scenario files.
The click command lives in :mod:`vibetesting_ci.emulator.command` (imported only on demand).
"""

from vibetesting_ci.emulator.faults import Fault, parse_fault
from vibetesting_ci.emulator.model import Execution
from vibetesting_ci.emulator.server import DEFAULT_TOKEN, EmulatorServer
from vibetesting_ci.emulator.wire import Recorded

__all__ = ["DEFAULT_TOKEN", "EmulatorServer", "Execution", "Fault", "Recorded", "parse_fault"]
