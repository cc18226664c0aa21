"""Wait until a TCP port on this machine accepts connections (the workflows' emulator start).

Usage: python scripts/wait_port.py HOST PORT [SECONDS]   exit 0 when it does, 1 on time out
"""

from __future__ import annotations

import socket
import sys
import time


def main(argv: list[str]) -> int:
    host, port = argv[0], int(argv[1])
    deadline = time.monotonic() + (float(argv[2]) if len(argv) > 2 else 30.0)
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return 0
        except OSError:
            time.sleep(0.1)
    print(f"nothing listens on {host}:{port}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
