"""What a run says about its tests before it starts (tests as code, issue 23): the warnings
about its input, the tests files read, the selection (the dry run lists each test left out),
the shard and the target URL; and, when its shard holds no test, that nothing is sent.

Called by the runner with its ``say`` and ``warn`` (no import of the runner: no cycle).
"""

from __future__ import annotations

from collections.abc import Callable

from vibetesting_ci.config.settings import RunSettings


def announce(run: RunSettings, say: Callable[[str], None], warn: Callable[[str], None]) -> bool:
    """Say what tests as code decided; True when the shard holds no test (the run ends there,
    exit 0, nothing sent and nothing written)."""
    for warning in run.input_warnings:
        warn(warning)
    if run.empty_shard is not None:  # it names the shard and its share: all there is to say
        say(run.empty_shard)
        return True
    for line in run.dry_run_notes if run.dry_run else run.notes:
        say(line)
    return False


def configured(run: RunSettings) -> dict[str, object]:
    """What the run's report takes from its configuration: the label, each test's own
    classname (several files) and the target URL as shown."""
    return {"label": run.label, "classnames": run.classnames, "target_url": run.target_url_shown}
