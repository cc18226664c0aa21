"""Reads a ``$GITHUB_OUTPUT`` file back, as the runner does (for the tests only)."""

from __future__ import annotations


def parse_output_file(text: str) -> dict[str, str]:
    """Read a ``$GITHUB_OUTPUT`` file the way the runner does (``k=v`` and ``k<<DELIM`` forms)."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, _, delimiter = line.partition("<<")
            value_lines: list[str] = []
            while index < len(lines) and lines[index] != delimiter:
                value_lines.append(lines[index])
                index += 1
            if index >= len(lines):
                raise ValueError(f"output {name!r}: delimiter {delimiter!r} never closes")
            index += 1  # the closing delimiter
            outputs[name] = "\n".join(value_lines)
        else:
            name, sep, value = line.partition("=")
            if not sep:
                raise ValueError(f"bad output line {line!r}")
            outputs[name] = value
    return outputs
