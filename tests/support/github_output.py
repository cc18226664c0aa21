"""Reads a ``$GITHUB_OUTPUT`` file back, as the runner does (for the tests only).

The parser is the runner simulation's (``scripts/composite_runner.py``, on pytest's path): one
reading of the file format for the simulated runner and the tests' checks.
"""

from __future__ import annotations

from composite_runner import parse_output_file

__all__ = ["parse_output_file"]
