"""Where things are: the repository's root and the JUnit schema the reports are checked against."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
XSD = ROOT.parent / "shared" / "spec" / "junit-10.xsd"
if not XSD.exists():  # the package keeps a copy, byte for byte
    XSD = ROOT / "src" / "vibetesting_ci" / "render" / "junit-10.xsd"
