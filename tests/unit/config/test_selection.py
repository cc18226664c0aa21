"""config/selection.py: tags, excluded tags, grep, the reasons, and "nothing selected"."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vibetesting_ci.config.merge import SourcedTest
from vibetesting_ci.config.selection import (
    LeftOut,
    Selection,
    compile_grep,
    parse_tag,
    parse_tags,
    select,
)
from vibetesting_ci.errors import ExitCode, InputError


@dataclass(frozen=True)
class Case:
    name: str
    tags: tuple[str, ...] = ()


TESTS = (
    Case("login", ("smoke",)),
    Case("checkout guest", ("checkout", "slow")),
    Case("checkout member", ("Checkout", "smoke")),
    Case("search"),
)


def names(selection: Selection[Case]) -> list[str]:
    return [t.name for t in selection.kept]


def reasons(selection: Selection[Case]) -> list[str]:
    return [x.line for x in selection.left_out]


def error(**kwargs: object) -> str:
    with pytest.raises(InputError) as caught:
        select(TESTS, **kwargs)  # type: ignore[arg-type]
    assert caught.value.exit_code == ExitCode.USAGE
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_no_filter_keeps_everything_in_order() -> None:
    selection = select(TESTS)
    assert selection.kept == TESTS
    assert selection.left_out == ()
    assert select((), grep="").kept == ()


def test_tags_any_of_case_insensitive() -> None:
    selection = select(TESTS, tags=["SMOKE"])
    assert names(selection) == ["login", "checkout member"]
    assert reasons(selection) == [
        "left out: 'checkout guest' (not tagged SMOKE)",
        "left out: 'search' (not tagged SMOKE)",
    ]
    assert names(select(TESTS, tags=["checkout", "nope"])) == ["checkout guest", "checkout member"]


def test_exclude_tags_win_and_name_the_tag_as_the_test_writes_it() -> None:
    selection = select(TESTS, tags=["smoke"], exclude_tags=["CHECKOUT"])
    assert names(selection) == ["login"]
    assert reasons(selection) == [
        "left out: 'checkout guest' (tag checkout excluded)",
        "left out: 'checkout member' (tag Checkout excluded)",
        "left out: 'search' (not tagged smoke)",
    ]


def test_exclude_alone_keeps_untagged_tests() -> None:
    assert names(select(TESTS, exclude_tags=["slow"])) == [
        "login",
        "checkout member",
        "search",
    ]


def test_grep_is_a_case_insensitive_search_in_the_name() -> None:
    selection = select(TESTS, grep="CHECKOUT (guest|visitor)")
    assert names(selection) == ["checkout guest"]
    assert reasons(selection)[0] == (
        "left out: 'login' (name does not match --grep 'CHECKOUT (guest|visitor)')"
    )
    assert names(select(TESTS, grep="^s")) == ["search"]


def test_all_three_together() -> None:
    selection = select(TESTS, tags=["smoke", "checkout"], exclude_tags=["slow"], grep="member")
    assert names(selection) == ["checkout member"]
    assert reasons(selection) == [
        "left out: 'login' (name does not match --grep 'member')",
        "left out: 'checkout guest' (tag slow excluded)",
        "left out: 'search' (not tagged smoke or checkout)",
    ]


def test_works_on_sourced_tests() -> None:
    tests = (
        SourcedTest("a", "s", ("smoke",), "a.yml", 2),
        SourcedTest("b", "s", (), "b.yml", 2),
    )
    selection = select(tests, tags=["smoke"])
    assert selection.kept == tests[:1]
    assert selection.left_out == (LeftOut(tests[1], "not tagged smoke"),)


def test_a_left_out_name_is_shown_on_one_line() -> None:
    selection = select((Case("a\nb\x1b", ("x",)), Case("c", ("y",))), tags=["y"])
    assert reasons(selection) == ["left out: 'a b\\\\x1b' (not tagged y)"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"tags": ["smok"]},
            "--tag: no test has tag 'smok' (tags in the files: checkout, slow, smoke); "
            "did you mean 'smoke'?",
        ),
        (
            {"tags": ["smok", "nightly"]},
            "--tag: no test has any of the tags 'smok', 'nightly' (tags in the files: "
            "checkout, slow, smoke); did you mean 'smoke'?",
        ),
        (
            {"tags": ["zzz"]},
            "--tag: no test has tag 'zzz' (tags in the files: checkout, slow, smoke)",
        ),
        (
            {"tags": ["checkout"], "exclude_tags": ["slow", "smoke"]},
            "--exclude-tag: every test with tag 'checkout' has an excluded tag ('slow', "
            "'smoke'): nothing left of 4 tests",
        ),
        (
            {"exclude_tags": ["smoke", "checkout"], "grep": "zzz"},
            "--grep: 'zzz' matches no test name (among 1 test left by the tags)",
        ),
        ({"grep": "zzz"}, "--grep: 'zzz' matches no test name (among 4 tests)"),
        (
            {"tags": ["smoke"], "grep": "guest"},
            "--grep: 'guest' matches no test name (among 2 tests left by the tags)",
        ),
    ],
)
def test_nothing_selected_says_what_matched_nothing(
    kwargs: dict[str, object], expected: str
) -> None:
    assert error(**kwargs) == expected


def test_nothing_selected_when_no_test_has_tags() -> None:
    with pytest.raises(InputError) as caught:
        select((Case("a"), Case("b")), tags=["smoke"])
    assert str(caught.value) == "--tag: no test has tag 'smoke' (no test has tags)"


def test_every_test_excluded() -> None:
    with pytest.raises(InputError) as caught:
        select((Case("a", ("x",)),), exclude_tags=["X"])
    assert (
        str(caught.value)
        == "--exclude-tag: every test has an excluded tag ('X'): nothing left of 1 test"
    )


def test_filters_over_no_tests() -> None:
    with pytest.raises(InputError) as caught:
        select((), tags=["smoke"])
    assert str(caught.value) == (
        "--tag, --exclude-tag and --grep select among tests, and this run has none"
    )


def test_many_tags_are_cut_in_the_message() -> None:
    tests = [Case(f"t{i}", (f"tag{i:02}",)) for i in range(30)]
    with pytest.raises(InputError) as caught:
        select(tests, tags=["nothing-like-it"])
    assert str(caught.value).endswith("tag19 and 10 more)")


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("(", "missing ), unterminated subpattern at position 0"),
        ("a{2,1}", "min repeat greater than max repeat at position 2"),
        ("[", "unterminated character set at position 0"),
    ],
)
def test_a_bad_regular_expression(pattern: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        select(TESTS, grep=pattern)
    assert str(caught.value) == (f"--grep: not a valid regular expression ({problem}): {pattern!r}")


def test_grep_names_its_source() -> None:
    with pytest.raises(InputError, match=r"^VIBETESTING_GREP: not a valid regular expression"):
        compile_grep("*", "VIBETESTING_GREP")
    with pytest.raises(InputError, match=r"^INPUT_GREP: 'zzz' matches no test name"):
        select(TESTS, grep="zzz", grep_where="INPUT_GREP")


def test_compile_grep_ignores_case() -> None:
    assert compile_grep("LOGIN").search("Login page")


@pytest.mark.parametrize("tag", ["smoke", "@smoke", "env:prod", "a-b_c.d", " padded "])
def test_parse_tag(tag: str) -> None:
    assert parse_tag(tag, "t.yml:3: tests[1].tags[1]") == tag.strip()


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("", "t.yml:3: tests[1].tags[1]: a tag must not be empty"),
        (
            "smoke, checkout",
            "t.yml:3: tests[1].tags[1]: 'smoke, checkout' is not one tag (a tag has no spaces "
            "or commas); give each tag on its own: a list in the tests file, --tag once per "
            "tag, one a line in the variable",
        ),
        ("two words", "t.yml:3: tests[1].tags[1]: 'two words' is not one tag"),
        ("a,b", "t.yml:3: tests[1].tags[1]: 'a,b' is not one tag"),
    ],
)
def test_bad_tags(tag: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_tag(tag, "t.yml:3: tests[1].tags[1]")
    assert str(caught.value).startswith(expected)


def test_parse_tags_drops_blanks_and_repeats() -> None:
    assert parse_tags(["smoke", " ", "", "Smoke", " checkout "], "--tag") == ("smoke", "checkout")
    with pytest.raises(InputError, match=r"^VIBETESTING_TAGS: 'a,b' is not one tag"):
        parse_tags(["a,b"], "VIBETESTING_TAGS")


TAG = st.sampled_from(["a", "b", "C", "d"])
CASES = st.lists(
    st.builds(Case, st.text(alphabet="abc ", min_size=1, max_size=6), st.tuples(TAG, TAG)),
    max_size=12,
    unique_by=lambda case: case.name,
)


@given(
    CASES, st.lists(TAG, max_size=2), st.lists(TAG, max_size=2), st.sampled_from(["", "a", "b$"])
)
def test_kept_and_left_out_partition_the_tests(
    tests: list[Case], tags: list[str], excluded: list[str], grep: str
) -> None:
    try:
        selection = select(tests, tags, excluded, grep)
    except InputError:
        return
    kept = list(selection.kept)
    left = [x.test for x in selection.left_out]
    assert sorted(kept + left, key=tests.index) == tests  # names are unique here
    assert kept == [t for t in tests if t in kept]  # order kept
    assert not set(map(id, kept)) & set(map(id, left))
    assert kept or not tests
