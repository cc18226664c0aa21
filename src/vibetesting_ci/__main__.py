"""The console entry point (``vibetesting``) and ``python -m vibetesting_ci``.

Its first act is a SIGTERM handler: as PID 1 in a container the kernel drops a SIGTERM that has
no handler, and importing click and the commands takes a while. Until ``run``/``wait`` install
their own (which stop the remote executions first), a SIGTERM simply ends the process with 143:
nothing has been sent yet, or the command is a one-shot call. Nothing heavy is imported here;
the commands import what they need (``cli.py``), so ``--help`` and input errors stay fast.
On Windows, CTRL_BREAK (``SIGBREAK``) gets the same handler and exit code (143).
"""

import signal


def _exit_on_signal(signum: int, _frame: object) -> None:
    if signum == getattr(signal, "SIGBREAK", None):
        signum = signal.SIGTERM
    raise SystemExit(128 + signum)


def main() -> None:
    """Install the start-up SIGTERM (and SIGBREAK) handler, then hand over to click."""
    signal.signal(signal.SIGTERM, _exit_on_signal)
    if hasattr(signal, "SIGBREAK"):  # Windows: the runner's second cancel signal
        signal.signal(signal.SIGBREAK, _exit_on_signal)
    from vibetesting_ci.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
