"""What the release workflow needs from a version tag (.github/workflows/release.yml).

    python scripts/release_info.py version TAG     # v1.2.3 -> 1.2.3, checked against pyproject
    python scripts/release_info.py notes VERSION   # the CHANGELOG.md section of that version

``version`` refuses a tag that is not ``vX.Y.Z`` (optionally ``-rc.N``) or that differs from the
version in pyproject.toml, and prints ``version=``, ``major=``, ``minor=`` lines for
``$GITHUB_OUTPUT``. ``notes`` prints the section's body (without its heading); exit 1 when
the changelog has no such section.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TAG = re.compile(
    r"^v(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)(-rc\.\d+)?$"
)


def version_info(tag: str, pyproject: str) -> dict[str, str]:
    match = TAG.match(tag)
    if match is None:
        raise ValueError(f"tag {tag!r} is not vX.Y.Z")
    version = tag[1:]
    declared = tomllib.loads(pyproject)["project"]["version"]
    if declared != version:
        raise ValueError(f"tag {tag} but pyproject.toml says version {declared}")
    return {
        "version": version,
        "major": match["major"],
        "minor": f"{match['major']}.{match['minor']}",
    }


def notes(version: str, changelog: str) -> str:
    heading = re.compile(rf"^## \[{re.escape(version)}\][^\n]*$", re.M)
    found = heading.search(changelog)
    if found is None:
        raise ValueError(f"CHANGELOG.md has no section [{version}]")
    rest = changelog[found.end() :]
    end = re.search(r"^## \[", rest, re.M)
    body = rest[: end.start()] if end else rest
    body = re.split(r"^\[[^\]]+\]: ", body, flags=re.M)[0]  # link definitions at the end
    return body.strip() + "\n"


def main(argv: list[str]) -> int:
    try:
        if len(argv) == 2 and argv[0] == "version":
            pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
            for key, value in version_info(argv[1], pyproject).items():
                print(f"{key}={value}")
            return 0
        if len(argv) == 2 and argv[0] == "notes":
            sys.stdout.write(notes(argv[1], (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")))
            return 0
    except ValueError as error:
        print(f"release_info.py: {error}", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
