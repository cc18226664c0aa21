"""config/shards.py: K/N and auto, their errors, and the round-robin split's properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vibetesting_ci.config.shards import MAX_SHARDS, Shard, parse_shard, take
from vibetesting_ci.errors import ExitCode, InputError


@pytest.mark.parametrize(
    ("text", "index", "total"),
    [("1/1", 1, 1), ("2/4", 2, 4), (" 3 / 3 ", 3, 3), ("+1/+2", 1, 2), ("007/10", 7, 10)],
)
def test_k_of_n(text: str, index: int, total: int) -> None:
    shard = parse_shard(text)
    assert (shard.index, shard.total, shard.source, shard.note) == (index, total, "--shard", None)
    assert str(shard) == f"{index}/{total}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "--shard: expected K/N (e.g. 2/4, shard 2 of 4) or auto, got ''"),
        ("2", "--shard: expected K/N (e.g. 2/4, shard 2 of 4) or auto, got '2'"),
        ("2/4/8", "--shard: expected K/N (e.g. 2/4, shard 2 of 4) or auto, got '2/4/8'"),
        ("-1/4", "--shard: expected K/N (e.g. 2/4, shard 2 of 4) or auto, got '-1/4'"),
        ("1.5/4", "--shard: expected K/N (e.g. 2/4, shard 2 of 4) or auto, got '1.5/4'"),
        ("one/two", "--shard: expected K/N (e.g. 2/4, shard 2 of 4) or auto, got 'one/two'"),
        ("1/" + "9" * 20, "--shard: expected K/N"),
        ("0/4", "--shard: the shard must be from 1 to 4 (K counts from 1), got '0/4'"),
        ("5/4", "--shard: the shard must be from 1 to 4 (K counts from 1), got '5/4'"),
        ("0/0", "--shard: the number of shards must be at least 1, got '0/0'"),
        ("1/10001", f"--shard: at most {MAX_SHARDS} shards, got '1/10001'"),
    ],
)
def test_bad_k_of_n(text: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_shard(text)
    assert str(caught.value).startswith(expected)
    assert caught.value.exit_code == ExitCode.USAGE


def test_errors_name_the_variable() -> None:
    with pytest.raises(InputError, match=r"^VIBETESTING_SHARD: expected K/N"):
        parse_shard("x", "VIBETESTING_SHARD")


@pytest.mark.parametrize("word", ["auto", "AUTO", " Auto "])
def test_auto_reads_gitlab_parallel(word: str) -> None:
    shard = parse_shard(word, environ={"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "3"})
    assert (shard.index, shard.total, shard.note) == (2, 3, None)
    assert shard.source == "--shard auto (CI_NODE_INDEX=2, CI_NODE_TOTAL=3)"


def test_auto_outside_a_parallel_job_is_one_shard_with_a_note() -> None:
    for environ in ({}, {"CI_NODE_INDEX": "", "CI_NODE_TOTAL": " "}, None):
        shard = parse_shard("auto", "VIBETESTING_SHARD", environ)
        assert (shard.index, shard.total) == (1, 1)
        assert shard.note == (
            "VIBETESTING_SHARD auto: CI_NODE_INDEX and CI_NODE_TOTAL are not set (not a GitLab "
            "parallel: job), so this job runs every selected test as shard 1/1"
        )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"CI_NODE_INDEX": "1"}, "--shard auto: CI_NODE_INDEX is set but CI_NODE_TOTAL is not"),
        ({"CI_NODE_TOTAL": "4"}, "--shard auto: CI_NODE_TOTAL is set but CI_NODE_INDEX is not"),
        (
            {"CI_NODE_INDEX": "x", "CI_NODE_TOTAL": "4"},
            "--shard auto: CI_NODE_INDEX must be a whole number, got 'x'",
        ),
        (
            {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "-4"},
            "--shard auto: CI_NODE_TOTAL must be a whole number, got '-4'",
        ),
        (
            {"CI_NODE_INDEX": "5", "CI_NODE_TOTAL": "4"},
            "--shard auto (CI_NODE_INDEX/CI_NODE_TOTAL): the shard must be from 1 to 4 (K counts "
            "from 1), got 5/4",
        ),
        (
            {"CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "4"},
            "--shard auto (CI_NODE_INDEX/CI_NODE_TOTAL): the shard must be from 1 to 4",
        ),
    ],
)
def test_bad_auto(environ: dict[str, str], expected: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_shard("auto", environ=environ)
    assert str(caught.value).startswith(expected)


def test_round_robin_and_description() -> None:
    tests = [f"t{i}" for i in range(10)]
    parts = [take(tests, Shard(k, 4)) for k in range(1, 5)]
    assert [p.tests for p in parts] == [
        ("t0", "t4", "t8"),
        ("t1", "t5", "t9"),
        ("t2", "t6"),
        ("t3", "t7"),
    ]
    assert parts[1].description == "shard 2/4: 3 of 10 tests"
    assert take(["only"], Shard(1, 1)).description == "shard 1/1: 1 of 1 test"


def test_an_empty_shard_is_no_error() -> None:
    part = take(["a", "b"], Shard(3, 4))
    assert part.tests == ()
    assert part.empty
    assert part.description == "shard 3/4: 0 of 2 tests"
    assert not take(["a"], Shard(1, 4)).empty


TESTS = st.lists(st.integers(), max_size=60, unique=True)


@given(TESTS, st.integers(min_value=1, max_value=12))
def test_shards_are_disjoint_complete_balanced_and_ordered(tests: list[int], total: int) -> None:
    parts = [take(tests, Shard(k, total)).tests for k in range(1, total + 1)]
    joined = [t for part in parts for t in part]
    assert sorted(joined) == sorted(tests)  # complete, and disjoint (unique tests)
    assert len(joined) == len(tests)
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1
    for part in parts:
        assert list(part) == [t for t in tests if t in part]  # the selected order


@given(TESTS, st.integers(min_value=1, max_value=12), st.data())
def test_the_same_list_gives_the_same_shard(
    tests: list[int], total: int, data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=1, max_value=total))
    assert take(list(tests), Shard(index, total)) == take(tuple(tests), Shard(index, total))
