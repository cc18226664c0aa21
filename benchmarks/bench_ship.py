"""Ship: how soon each way of running the action reaches the service, and the image's size.

The figure is the time from the step's start to the first API request (the trigger), read off
the emulator's own journal (monotonic clock, the same on both sides), for:

* **build** (the baseline, what ``action.yml`` with ``image: Dockerfile`` costs every job):
  ``buildah bud`` of the Dockerfile on the stand-in base, then the container run as the
  runner runs it;
* **prebuilt image**: a locally stored image started (``buildah from`` + ``run``), on an
  overlay store (as Docker stores images on a runner) and on vfs (a full copy of the file
  system per container; for reference);
* **native, warm cache**: ``native/action.yml`` in the runner simulation
  (``scripts/composite_runner.py``), the venv restored by the actions/cache stand-in;
* **native, cold cache**: the same with an empty cache: venv made and everything installed
  with ``pip --require-hashes`` from a local wheelhouse (``make wheelhouse``, the stand-in for
  PyPI; a real index adds its download time);
* the CLI started directly from an installed venv (reference: the floor of every variant).

Each is repeated and the median kept, all against one emulator in one run. Then the image size,
uncompressed and gzip-compressed (as a registry stores it), of the Dockerfile's image and of the
slimming tried (``SLIM_TRIAL``), against the base image. (buildah commits a build's new files
as one layer; ``docker build`` makes one per instruction, the same files in all.)

Needs root, buildah and the stand-in base (``.ci/container-test.sh`` or
``../shared/tools/standin-base-image.sh`` makes it); without buildah the image rows say so.

    python benchmarks/bench_ship.py [--quick]
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import ROOT, TOKEN, Row, clean_env, cli_command, fmt_s, log, median, text_table

sys.path.insert(0, str(ROOT / "scripts"))
from composite_runner import Runner
from vibetesting_ci.emulator import EmulatorServer

BASE = "docker.io/library/python:3.12-slim"
VFS = ["--storage-driver", "vfs"]
OVERLAY_ROOT = "/var/lib/containers/bench-overlay"
OVERLAY = [
    "--storage-driver",
    "overlay",
    "--root",
    OVERLAY_ROOT,
    "--runroot",
    "/run/containers/bench-overlay",
]
IMAGE = "localhost/vibetesting-ci:bench"
TESTS = '[{"name": "Home page loads", "steps": "open the home page"}]'
TARGET_SECONDS = 3.0
TARGET_RATIO = 5.0
MiB = 1024 * 1024


class Emulator:
    def __init__(self) -> None:
        self.server = EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, seed=11)

    def __enter__(self) -> Emulator:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(None, None, None)

    @property
    def url(self) -> str:
        return str(self.server.url)

    def first_trigger_after(self, started: float) -> float:
        times = [
            r.time
            for r in self.server.journal
            if r.endpoint.startswith("run-") and r.time >= started
        ]
        if not times:
            raise RuntimeError("the run sent no trigger")
        return min(times) - started


def cli_env(emulator: Emulator, workspace: Path) -> dict[str, str]:
    return clean_env(
        {
            "VIBETESTING_API_TOKEN": TOKEN,
            "VIBETESTING_API_URL": emulator.url,
            "VIBETESTING_TESTS": TESTS,
            "VIBETESTING_POLL_INTERVAL": "0.1",
            "GITHUB_WORKSPACE": str(workspace),
        }
    )


def buildah(store: list[str], *args: str, log_to: Path | None = None) -> str:
    out = subprocess.run(
        ["buildah", *store, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if log_to is not None:
        log_to.write_text(out.stdout + out.stderr, encoding="utf-8")
    if out.returncode != 0:
        raise RuntimeError(f"buildah {' '.join(args[:3])} failed: {out.stderr[-600:]}")
    return out.stdout.strip()


def container_step(store: list[str], image: str, emulator: Emulator, tmp: Path) -> None:
    """Start the image like the runner: a container, the workspace mounted, the entrypoint."""
    workspace = tmp / "ws"
    workspace.mkdir(exist_ok=True)
    container = buildah(store, "from", "--pull=never", image)
    try:
        env_args: list[str] = []
        for key, value in cli_env(emulator, Path("/github/workspace")).items():
            if key.startswith(("VIBETESTING_", "GITHUB_")):
                env_args += ["--env", f"{key}={value}"]
        subprocess.run(
            [
                *("buildah", *store, "run", "--isolation", "chroot"),
                *("-v", f"{workspace}:/github/workspace", "--workingdir", "/github/workspace"),
                *(*env_args, container, "--", "/entrypoint.sh"),
            ],
            capture_output=True,
            check=True,
            timeout=300,
        )
    finally:
        buildah(store, "rm", container)


def timed(emulator: Emulator, action: Callable[[Path], object]) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-ship-") as tmp:
        started = time.monotonic()
        action(Path(tmp))
        return emulator.first_trigger_after(started)


# -- the variants --------------------------------------------------------------------------


def direct(emulator: Emulator) -> float:
    def go(tmp: Path) -> None:
        subprocess.run(
            [*cli_command(), "run"],
            cwd=tmp,
            env=cli_env(emulator, tmp),
            capture_output=True,
            check=True,
        )

    return timed(emulator, go)


def build_and_run(emulator: Emulator) -> float:
    # The last build's image goes first, or each build would leave an untagged 200 MB copy.
    subprocess.run(["buildah", *VFS, "rmi", IMAGE], capture_output=True, check=False)

    def go(tmp: Path) -> None:
        buildah(VFS, "bud", "--isolation", "chroot", "--pull=never", "-t", IMAGE, ".")
        container_step(VFS, IMAGE, emulator, tmp)

    return timed(emulator, go)


def prebuilt(store: list[str]) -> Callable[[Emulator], float]:
    def measure(emulator: Emulator) -> float:
        return timed(emulator, lambda tmp: container_step(store, IMAGE, emulator, tmp))

    return measure


class Native:
    """The native action in the runner simulation; one actions/cache store per instance."""

    def __init__(self, machine: Path, wheelhouse: Path) -> None:
        self.machine = machine
        self.wheelhouse = wheelhouse

    def run(self, emulator: Emulator, *, warm: bool) -> float:
        if not warm:
            shutil.rmtree(self.machine / "actions-cache", ignore_errors=True)
        env = clean_env(
            {
                "PIP_NO_INDEX": "1",
                "PIP_FIND_LINKS": str(self.wheelhouse),
                "PIP_CONFIG_FILE": os.devnull,
            }
        )
        with tempfile.TemporaryDirectory(prefix="bench-native-") as tmp:
            runner = Runner(
                Path(tmp) / "ws",
                cache=self.machine / "actions-cache",
                tool_cache=self.machine / "toolcache",
                env=env,
            )
            runner.fresh_machine()
            with_ = {
                "api-token": TOKEN,
                "api-url": emulator.url,
                "tests": TESTS,
                "poll-interval": "0.1",
            }
            result = runner.run(ROOT / "native" / "action.yml", with_)
            if result.returncode != 0:
                raise RuntimeError(f"native action failed: {result.stdout[-800:]}")
            hit = result.step("cache").outputs.get("cache-hit")
            if hit != ("true" if warm else "false"):
                raise RuntimeError(f"cache-hit {hit} on a {'warm' if warm else 'cold'} run")
            return emulator.first_trigger_after(result.started)


# -- image size ----------------------------------------------------------------------------


def layer_sizes(store: list[str], image: str) -> list[tuple[int, int]]:
    """(compressed, uncompressed) bytes per layer, from a gzip OCI copy of the image."""
    with tempfile.TemporaryDirectory(prefix="bench-oci-") as tmp:
        buildah(store, "push", "-q", image, f"oci:{tmp}/oci:x")
        index = json.loads(Path(f"{tmp}/oci/index.json").read_text())
        digest = index["manifests"][0]["digest"].split(":", 1)[1]
        manifest = json.loads(Path(f"{tmp}/oci/blobs/sha256/{digest}").read_text())
        sizes = []
        for layer in manifest["layers"]:
            blob = Path(f"{tmp}/oci/blobs/sha256/{layer['digest'].split(':', 1)[1]}")
            uncompressed = 0
            with gzip.open(blob, "rb") as stream:
                while chunk := stream.read(1 << 20):
                    uncompressed += len(chunk)
            sizes.append((layer["size"], uncompressed))
        return sizes


# The slimming tried: the dependencies and the wheel installed into a pip-less venv in the
# build stage, and only that venv copied into the final image (no requirements file, no wheel,
# no pip metadata in a layer). Measured beside the Dockerfile in every run; it saved nothing
# worth a second layout (docs/performance.md), so the Dockerfile stays as it is.
SLIM_TRIAL = """\
FROM python:3.12-slim AS build
ENV PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements/build.txt requirements/runtime.txt /tmp/
RUN pip install --require-hashes -r /tmp/build.txt
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-deps --no-build-isolation --wheel-dir /dist . \\
    && python -m venv --without-pip /opt/vibetesting \\
    && pip --python /opt/vibetesting/bin/python install --require-hashes -r /tmp/runtime.txt \\
    && pip --python /opt/vibetesting/bin/python install --no-deps /dist/vibetesting_ci-*.whl

FROM python:3.12-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PATH=/opt/vibetesting/bin:$PATH
COPY --from=build /opt/vibetesting /opt/vibetesting
COPY entrypoint.sh /entrypoint.sh
WORKDIR /github/workspace
ENTRYPOINT ["/entrypoint.sh"]
"""


def size_row(label: str, sizes: list[tuple[int, int]], base: list[tuple[int, int]]) -> Row:
    added = sizes[len(base) :]
    added_c, added_u = sum(c for c, _ in added), sum(u for _, u in added)
    total_c, total_u = sum(c for c, _ in sizes), sum(u for _, u in sizes)
    return Row(
        "ship",
        f"image, {label}: added to the base, uncompressed / gzip",
        f"{added_u / MiB:.1f} / {added_c / MiB:.1f} MiB",
        note=f"whole image {total_u / MiB:.1f} MiB / {total_c / MiB:.1f} MiB gzip",
        data={
            "added_uncompressed": added_u,
            "added_gzip": added_c,
            "total_uncompressed": total_u,
            "total_gzip": total_c,
        },
    )


def image_rows(current: list[tuple[int, int]]) -> list[Row]:
    """Sizes of the Dockerfile's image (``current``), the slimming tried, and the base."""
    base = layer_sizes(VFS, BASE)
    with tempfile.TemporaryDirectory(prefix="bench-dockerfile-") as tmp:
        trial = Path(tmp) / "Dockerfile.slim-trial"
        trial.write_text(SLIM_TRIAL, encoding="utf-8")
        tag = "localhost/vibetesting-ci:slim-trial"
        buildah(
            VFS, "bud", "--isolation", "chroot", "--pull=never", "-f", str(trial), "-t", tag, "."
        )
        slim = layer_sizes(VFS, tag)
        buildah(VFS, "rmi", tag)
    base_c, base_u = sum(c for c, _ in base), sum(u for _, u in base)
    return [
        size_row("the Dockerfile", current, base),
        size_row("slimming tried (venv copied from the build stage)", slim, base),
        Row(
            "ship",
            "image: the base (stand-in python:3.12-slim), uncompressed / gzip",
            f"{base_u / MiB:.1f} / {base_c / MiB:.1f} MiB",
        ),
    ]


# -- the scenario --------------------------------------------------------------------------


def wheelhouse() -> Path:
    path = Path(os.environ.get("VIBETESTING_WHEELHOUSE", ROOT / ".ci-work" / "wheelhouse"))
    if not any(path.glob("*.whl")):
        raise RuntimeError(f"no wheelhouse at {path}: run `make wheelhouse`")
    return path


def run(quick: bool) -> list[Row]:
    have_buildah = shutil.which("buildah") is not None and os.geteuid() == 0
    repeats = 1 if quick else 3
    builds = 1 if quick else 2
    samples: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ship-machine-") as machine, Emulator() as emu:
        native = Native(Path(machine), wheelhouse())
        variants: list[tuple[str, Callable[[Emulator], float], int]] = [
            ("direct", direct, repeats),
            ("native cold", lambda e: native.run(e, warm=False), builds),
            ("native warm", lambda e: native.run(e, warm=True), repeats),
        ]
        if have_buildah:
            buildah(VFS, "inspect", "--type", "image", BASE)  # the stand-in must exist
            variants.insert(0, ("build", build_and_run, builds))
            variants += [("prebuilt vfs", prebuilt(VFS), repeats)]
        for name, measure, count in variants:
            for attempt in range(count):
                seconds = measure(emu)
                samples.setdefault(name, []).append(seconds)
                log(f"ship {name} #{attempt + 1}: {seconds:.2f} s to the first request")
            if name == "build":  # the image now exists: give the overlay store a copy
                try:
                    buildah(
                        VFS,
                        "push",
                        "-q",
                        IMAGE,
                        f"containers-storage:[overlay@{OVERLAY_ROOT}"
                        f"+/run/containers/bench-overlay]{IMAGE}",
                    )
                    variants.append(("prebuilt overlay", prebuilt(OVERLAY), repeats))
                except RuntimeError as error:
                    log(f"no overlay store here: {error}")
        if have_buildah:  # the loop above also ran the overlay variant it appended
            current = layer_sizes(VFS, IMAGE)
            buildah(VFS, "rmi", IMAGE)
            if "prebuilt overlay" in samples:
                buildah(OVERLAY, "rmi", IMAGE)
    med = {name: median(values) for name, values in samples.items()}
    rows = []
    build = med.get("build")
    labels = {
        "build": "Dockerfile built, then run (today's action)",
        "prebuilt overlay": "prebuilt image started (overlay store)",
        "prebuilt vfs": "prebuilt image started (vfs store)",
        "native warm": "native, warm cache",
        "native cold": "native, cold cache (local wheelhouse)",
        "direct": "CLI started directly (reference)",
    }
    for name in (
        "build",
        "prebuilt overlay",
        "prebuilt vfs",
        "native warm",
        "native cold",
        "direct",
    ):
        if name not in med:
            continue
        seconds = med[name]
        figure = f"step start to first request: {labels[name]}"
        n = len(samples[name])
        if name == "build":
            rows.append(
                Row(
                    "ship",
                    figure,
                    fmt_s(seconds),
                    target="baseline",
                    note=f"median of {n}",
                    data={"samples": samples[name]},
                )
            )
            continue
        ratio = f"{build / seconds:.1f}x sooner" if build else "-"
        target, met = "-", None
        if name in ("prebuilt overlay", "native warm") and build:
            target = f"< {TARGET_SECONDS:g} s and >= {TARGET_RATIO:g}x sooner"
            met = seconds < TARGET_SECONDS and build / seconds >= TARGET_RATIO
        rows.append(
            Row(
                "ship",
                figure,
                fmt_s(seconds),
                fmt_s(build) if build else "-",
                ratio,
                target,
                met,
                note=f"median of {n}",
                data={"samples": samples[name]},
            )
        )
    if have_buildah:
        rows += image_rows(current)
    else:
        rows.append(Row("ship", "image rows", "not measured", note="needs root and buildah"))
    return rows


if __name__ == "__main__":
    print(text_table(run("--quick" in sys.argv)))
