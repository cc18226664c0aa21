"""Tests as code end to end (issue 23): one run split across parallel jobs with ``--shard``. The
real CLI against the real emulator; the request bodies say which tests each shard sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli.tac_support import (
    dry_body,
    input_error,
    names,
    sent,
    stderr_lines,
    write,
    yaml_of_tests,
)

TESTS = [f"test {i:02d}" for i in range(1, 12)]
SMOKE = {name: ["smoke"] for name in TESTS[::2]}


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return write(tmp_path, "t.yml", yaml_of_tests(*TESTS, tags=SMOKE))


@pytest.mark.parametrize("total", [1, 2, 3, 4])
def test_shards_are_disjoint_complete_and_stable(
    cli: Any, emulator: Any, suite: Path, total: int
) -> None:
    shards: list[list[str]] = []
    for index in range(1, total + 1):
        result = cli("run", "--tests-file", suite.name, "--shard", f"{index}/{total}")
        assert result.returncode == 0, result.output
        shards.append(names(sent(emulator)[-1]))
    sent_names = [name for shard in shards for name in shard]
    assert sorted(sent_names) == sorted(TESTS)  # complete and disjoint
    assert max(map(len, shards)) - min(map(len, shards)) <= 1
    for shard in shards:  # each keeps the run's order
        assert shard == [name for name in TESTS if name in shard]
    again = cli("run", "--tests-file", suite.name, "--shard", f"1/{total}")
    assert again.returncode == 0
    assert names(sent(emulator)[-1]) == shards[0]  # stable


def test_shards_split_the_selection(cli: Any, emulator: Any, suite: Path) -> None:
    selected = list(SMOKE)
    for index in (1, 2):
        result = cli("run", "--tests-file", suite.name, "--tag", "smoke", "--shard", f"{index}/2")
        assert result.returncode == 0, result.output
        assert f"shard {index}/2: 3 of 6 tests" in stderr_lines(result)
    assert names(sent(emulator)[0]) == selected[0::2]
    assert names(sent(emulator)[1]) == selected[1::2]


def test_auto_reads_gitlabs_parallel_variables(cli: Any, emulator: Any, suite: Path) -> None:
    for index in (1, 2, 3):
        env = {"CI_NODE_INDEX": str(index), "CI_NODE_TOTAL": "3", "VIBETESTING_SHARD": "auto"}
        result = cli("run", "--tests-file", suite.name, env=env)
        assert result.returncode == 0, result.output
    assert [names(body) for body in sent(emulator)] == [TESTS[0::3], TESTS[1::3], TESTS[2::3]]


def test_auto_outside_a_parallel_job_runs_everything_and_says_so(
    cli: Any, emulator: Any, suite: Path
) -> None:
    result = cli("run", "--tests-file", suite.name, "--shard", "auto")
    assert result.returncode == 0, result.output
    assert names(sent(emulator)[0]) == TESTS
    assert any(
        "CI_NODE_INDEX and CI_NODE_TOTAL are not set" in line for line in stderr_lines(result)
    )


def test_an_empty_shard_exits_0_and_sends_nothing(cli: Any, emulator: Any, tmp_path: Path) -> None:
    write(tmp_path, "t.yml", yaml_of_tests("a", "b"))
    result = cli("run", "--tests-file", "t.yml", "--shard", "3/4")
    assert result.returncode == 0, result.output
    assert emulator.journal == []
    assert stderr_lines(result)[-1] == (
        "shard 3/4: 0 of 2 tests: no test falls in this shard (more shards than tests); "
        "nothing was sent"
    )
    assert not (tmp_path / "vibetesting-results.json").exists()
    dry = cli("run", "--tests-file", "t.yml", "--shard", "4/4", "--dry-run")
    assert dry.returncode == 0 and dry.stdout == ""
    assert emulator.journal == []


def test_the_dry_run_shows_the_shard(cli: Any, emulator: Any, suite: Path) -> None:
    result = cli("run", "--tests-file", suite.name, "--shard", "2/5", "--dry-run")
    assert names(dry_body(result)) == TESTS[1::5]
    assert "shard 2/5: 2 of 11 tests" in stderr_lines(result)


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--shard", "0/4"], {}, "--shard: the shard must be from 1 to 4 (K counts from 1), got"),
        (["--shard", "5/4"], {}, "--shard: the shard must be from 1 to 4"),
        (["--shard", "2"], {}, "--shard: expected K/N (e.g. 2/4, shard 2 of 4) or auto, got '2'"),
        ([], {"VIBETESTING_SHARD": "1 of 2"}, "VIBETESTING_SHARD: expected K/N"),
        (["--shard", "1/0"], {}, "--shard: the number of shards must be at least 1"),
        (
            ["--shard", "auto"],
            {"CI_NODE_TOTAL": "3"},
            "--shard auto: CI_NODE_TOTAL is set but CI_NODE_INDEX is not",
        ),
        (
            ["--shard", "auto"],
            {"CI_NODE_INDEX": "4", "CI_NODE_TOTAL": "3"},
            "--shard auto (CI_NODE_INDEX/CI_NODE_TOTAL): the shard must be from 1 to 3",
        ),
    ],
)
def test_a_bad_shard_is_one_line_exit_2_nothing_sent(
    cli: Any,
    emulator: Any,
    suite: Path,
    args: list[str],
    env: dict[str, str],
    expected: str,
) -> None:
    message = input_error(cli("run", "--tests-file", suite.name, *args, env=env), emulator)
    assert message.startswith(expected), message


def test_a_shard_of_a_suite_rerun_is_an_input_error(cli: Any, emulator: Any) -> None:
    message = input_error(cli("run", "--suite-id", "1", "--shard", "1/2"), emulator)
    assert message.startswith("--suite-id re-runs a saved suite and cannot be combined with")
    assert "--shard" in message
