"""What every part of the fault matrix (and the test suite) shares: the secrets, a clean
environment for the CLI, a poll-until helper, a free loopback port, and the leak count."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence

# Test secrets, distinctive so that leaks are easy to find.
TOKEN = "tok-Secret-0123456789abcdef"  # noqa: S105
PASSWORD = "pw-Hunter2-very-secret"  # noqa: S105
SECRETS = (TOKEN, PASSWORD)


def clean_env(
    extra: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``base`` (default: this process's environment) without any VIBETESTING_* or CI
    variables, plus ``extra``."""
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if not k.startswith(("VIBETESTING_", "GITHUB_", "GITLAB_", "INPUT_"))
        and k not in ("CI", "NO_COLOR", "FORCE_COLOR")
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    """Check ``predicate`` every 10 ms until it holds (True) or ``timeout`` seconds pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def count_secrets(outcome_texts: Sequence[str], secrets: Sequence[str] = SECRETS) -> int:
    return sum(text.count(secret) for text in outcome_texts for secret in secrets)


def visible_stdout(stdout: str) -> str:
    """stdout without GitHub's ``::add-mask::`` lines (they hand the secret to the runner to
    hide; GitHub never shows them)."""
    return "\n".join(line for line in stdout.splitlines() if not line.startswith("::add-mask::"))
