"""What every part of the fault matrix (and the test suite) shares: the secrets, a clean
environment for the CLI, a poll-until helper, a free loopback port, and the leak count."""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

# Test secrets, distinctive so that leaks are easy to find.
TOKEN = "tok-Secret-0123456789abcdef"  # noqa: S105
PASSWORD = "pw-Hunter2-very-secret"  # noqa: S105
# Secrets of the hostile-answer scenarios: a password in --api-url, and a login password with
# characters that URL, JSON, XML, Markdown and dotenv encodings all change.
URL_PASSWORD = "url-Pass-4242-secret"  # noqa: S105
ODD_PASSWORD = "odd p@ss/w€rd&<x>|\"q'-7781"  # noqa: S105
SECRETS = (TOKEN, PASSWORD, URL_PASSWORD, ODD_PASSWORD)


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


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port where nothing listens, held for the block: bound (without
    SO_REUSEADDR, so no other server, not even one on port 0 of a scenario running beside,
    can take it meanwhile) but not listening, so a connection to it is refused. A port from
    :func:`free_port` is free only until the next bind: under load a parallel scenario's
    emulator got it, and "nothing listens" met a server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def secret_forms(secret: str) -> set[str]:
    """A secret as given and URL-encoded (upper- and lower-case escapes, ``+`` for spaces)."""
    from urllib.parse import quote, quote_plus

    forms = {secret, quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)}
    forms |= {f.lower() for f in forms if "%" in f and f.lower() != secret.lower()}
    # As a GitHub workflow command escapes them (% -> %25), which the runner decodes for display.
    return forms | {f.replace("%", "%25") for f in forms if "%" in f}


def count_secrets(outcome_texts: Sequence[str], secrets: Sequence[str] = SECRETS) -> int:
    """How many times a secret, as given or URL-encoded, appears in the texts."""
    forms = {form for secret in secrets for form in secret_forms(secret)}
    return sum(text.count(form) for text in outcome_texts for form in forms)


# Workflow commands vibetesting-ci writes itself; any other line that starts like a command
# (``::``, ``##[``, ``##vso[``) came from somewhere else: an injection.
_OUR_COMMAND = re.compile(
    r"^::(add-mask::.+|group::.*|endgroup::|(error|warning) title=VibeTesting[^:]*::.*)$"
)
_COMMAND_START = re.compile(r"^\s*(::|##\[|##vso\[)")


def count_injections(*streams: str) -> int:
    """Lines that would be workflow commands we did not write, plus raw ESC and NUL characters
    (no scenario runs on a terminal, asks for colour or runs under GitLab, so none are ours)."""
    lines = [line for text in streams for line in re.split(r"\r\n|\r|\n", text)]
    commands = sum(1 for ln in lines if _COMMAND_START.match(ln) and not _OUR_COMMAND.match(ln))
    return commands + sum(text.count("\x1b") + text.count("\x00") for text in streams)


def visible_stdout(stdout: str) -> str:
    """stdout without GitHub's ``::add-mask::`` lines (they hand the secret to the runner to
    hide; GitHub never shows them)."""
    return "\n".join(line for line in stdout.splitlines() if not line.startswith("::add-mask::"))
