"""The emulator as its own process on loopback (a random free port), for the real-runner tests.

gitlab-ci-local and the Jenkins harness start the CLI as their own child processes, so the
emulator runs as one too: ``python -m vibetesting_ci emulator --port 0``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def emulator_process(folder: Path, token: str, test_seconds: float = 0.3) -> Iterator[str]:
    """Start the emulator, yield its API URL, stop it."""
    out, log = folder / "emulator.out", folder / "emulator.log"
    with out.open("w") as out_file, log.open("w") as log_file:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "vibetesting_ci",
                "emulator",
                "--port",
                "0",
                "--token",
                token,
                "--test-seconds",
                str(test_seconds),
            ],
            stdout=out_file,
            stderr=log_file,
        )
        try:
            url = ""
            for _ in range(400):
                found = re.search(r"listening on (\S+)", out.read_text())
                if found:
                    url = found.group(1)
                    break
                if proc.poll() is not None:
                    break
                time.sleep(0.05)
            assert url, f"the emulator did not start: {log.read_text()}"
            yield url
        finally:
            proc.terminate()
            proc.wait(10)
