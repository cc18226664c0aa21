"""An abandoned call on a daemon thread never holds the process at exit (a real child process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_an_abandoned_call_does_not_hold_the_process_at_exit() -> None:
    code = textwrap.dedent(
        """
        import threading, time
        from vibetesting_ci.run.concurrency import DaemonPool, call
        never = threading.Event()
        pool = DaemonPool(4, "stuck")
        for _ in range(4):
            pool.submit(never.wait)
        pool.shutdown()
        call(never.wait, name="stuck-call", deadline=time.monotonic() + 0.01)
        raise SystemExit(7)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 7, done.stderr
