"""The anonymity rules for survey results, case by case: no database."""

import pytest

from feedback import anonymity
from feedback.anonymity import Group, Reason, Verdict, distribution, enps, mean, suppress

SHOWN = Verdict(shown=True, reason=Reason.SHOWN, count=0)


def tree(*rows: tuple[str, str | None, int]) -> list[Group]:
    return [Group(key=key, parent=parent, count=count) for key, parent, count in rows]


def reasons(groups: list[Group], threshold: int = 5) -> dict[str, Reason]:
    return {key: verdict.reason for key, verdict in suppress(groups, threshold).items()}


# --- threshold -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "threshold", "reason"),
    [
        (0, 5, Reason.TOO_FEW),
        (4, 5, Reason.TOO_FEW),
        (5, 5, Reason.SHOWN),
        (6, 5, Reason.SHOWN),
        (2, 3, Reason.TOO_FEW),
        (3, 3, Reason.SHOWN),
        (9, 10, Reason.TOO_FEW),
        (10, 10, Reason.SHOWN),
    ],
)
def test_a_group_is_shown_from_the_threshold_on(count: int, threshold: int, reason: Reason) -> None:
    verdict = suppress(tree(("all", None, count)), threshold)["all"]
    assert verdict == Verdict(shown=reason is Reason.SHOWN, reason=reason, count=count)


def test_verdicts_carry_the_count_and_keep_the_input_order() -> None:
    groups = tree(("all", None, 20), ("team:2", "all", 3), ("team:1", "all", 8))
    verdicts = suppress(groups, 5)
    assert list(verdicts) == ["all", "team:2", "team:1"]
    assert verdicts["team:2"] == Verdict(shown=False, reason=Reason.TOO_FEW, count=3)
    assert verdicts["team:1"] == Verdict(shown=True, reason=Reason.SHOWN, count=8)


def test_reason_codes_are_plain_strings_for_the_page() -> None:
    assert [str(reason) for reason in Reason] == ["shown", "too_few", "remainder"]


def test_a_small_team_is_hidden_and_its_parent_still_shown() -> None:
    # 12 − 3 = 9 people are exposed by the subtraction, but the team itself is not shown.
    assert reasons(tree(("all", None, 12), ("team:A", "all", 3))) == {
        "all": Reason.SHOWN,
        "team:A": Reason.TOO_FEW,
    }


# --- remainder rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("org", "team", "team_reason"),
    [
        (12, 9, Reason.REMAINDER),  # 12 − 9 = 3 people would be exposed
        (13, 9, Reason.REMAINDER),  # 4
        (14, 9, Reason.SHOWN),  # 5: exactly the threshold
        (9, 9, Reason.SHOWN),  # 0: the team is the whole organisation, nobody exposed
    ],
)
def test_the_classic_subtraction_attack(org: int, team: int, team_reason: Reason) -> None:
    assert reasons(tree(("all", None, org), ("team:A", "all", team))) == {
        "all": Reason.SHOWN,
        "team:A": team_reason,
    }


def test_two_sibling_teams_leaving_a_small_rest_lose_the_smaller() -> None:
    # 20 − 8 − 9 = 3: hiding the 8 leaves 20 − 9 = 11.
    groups = tree(("all", None, 20), ("team:A", "all", 8), ("team:B", "all", 9))
    assert reasons(groups) == {
        "all": Reason.SHOWN,
        "team:A": Reason.REMAINDER,
        "team:B": Reason.SHOWN,
    }


def test_equal_siblings_are_hidden_by_key_order() -> None:
    groups = tree(("all", None, 19), ("team:B", "all", 8), ("team:A", "all", 8))
    assert reasons(groups) == {
        "all": Reason.SHOWN,
        "team:B": Reason.SHOWN,
        "team:A": Reason.REMAINDER,
    }


def test_several_siblings_are_hidden_until_the_rest_is_large_enough() -> None:
    # 23 − (5 + 6 + 10) = 2; hide the 5: rest 7, fine.
    groups = tree(
        ("all", None, 23), ("team:A", "all", 5), ("team:B", "all", 6), ("team:C", "all", 10)
    )
    assert reasons(groups) == {
        "all": Reason.SHOWN,
        "team:A": Reason.REMAINDER,
        "team:B": Reason.SHOWN,
        "team:C": Reason.SHOWN,
    }


def test_siblings_covering_the_whole_parent_are_all_shown() -> None:
    groups = tree(("all", None, 11), ("team:A", "all", 5), ("team:B", "all", 6))
    assert set(reasons(groups).values()) == {Reason.SHOWN}


def test_a_too_small_sibling_counts_towards_the_rest() -> None:
    # The 2 of team B are not shown, so they belong to the rest: 12 − 9 = 3 < 5.
    groups = tree(("all", None, 12), ("team:A", "all", 9), ("team:B", "all", 2))
    assert reasons(groups) == {
        "all": Reason.SHOWN,
        "team:A": Reason.REMAINDER,
        "team:B": Reason.TOO_FEW,
    }


def test_a_chain_where_the_department_is_just_its_team() -> None:
    # org ⊃ dept ⊃ team; dept − team = 0 is fine, org − dept = 6 is fine.
    groups = tree(("all", None, 13), ("dept", "all", 7), ("team", "dept", 7))
    assert set(reasons(groups).values()) == {Reason.SHOWN}


def test_a_chain_of_identical_groups_is_shown() -> None:
    groups = tree(("all", None, 6), ("dept", "all", 6), ("team", "dept", 6))
    assert set(reasons(groups).values()) == {Reason.SHOWN}


def test_hiding_a_department_brings_up_its_team_which_can_stay() -> None:
    # org − dept = 3 hides the dept; then org − team = 10 is fine, and dept − team is unknowable.
    groups = tree(("all", None, 20), ("dept", "all", 17), ("team", "dept", 10))
    assert reasons(groups) == {
        "all": Reason.SHOWN,
        "dept": Reason.REMAINDER,
        "team": Reason.SHOWN,
    }


def test_hiding_a_department_brings_up_its_team_which_must_go_too() -> None:
    # org − dept = 3 hides the dept; then org − team = 4 hides the team as well.
    groups = tree(("all", None, 18), ("dept", "all", 15), ("team", "dept", 14))
    assert reasons(groups) == {
        "all": Reason.SHOWN,
        "dept": Reason.REMAINDER,
        "team": Reason.REMAINDER,
    }


def test_smallest_first_is_safe_but_not_always_minimal() -> None:
    # The design's rule withholds the smallest shown group first. Here that is the dept (6), whose
    # only team holds the same 6 people, so hiding it frees nobody: the team comes up, the rest is
    # still 3, and the team goes too. Withholding team:B alone would also have been safe
    # (17 − 6 = 11, dept − team = 0) and would have shown two groups instead of one.
    groups = tree(
        ("all", None, 17), ("dept", "all", 6), ("team:A", "dept", 6), ("team:B", "all", 8)
    )
    assert reasons(groups) == {
        "all": Reason.SHOWN,
        "dept": Reason.REMAINDER,
        "team:A": Reason.REMAINDER,
        "team:B": Reason.SHOWN,
    }


def test_a_department_checks_its_own_teams() -> None:
    # org − dept = 10 is fine, but dept − team = 2 hides the team.
    groups = tree(("all", None, 25), ("dept", "all", 15), ("team", "dept", 13))
    assert reasons(groups) == {
        "all": Reason.SHOWN,
        "dept": Reason.SHOWN,
        "team": Reason.REMAINDER,
    }


def test_a_team_below_a_hidden_department_is_checked_against_the_organisation() -> None:
    # dept (4) is too small; its team (3) too. Team X beside it: 12 − 9 = 3 → hidden.
    groups = tree(
        ("all", None, 12),
        ("dept", "all", 4),
        ("team:1", "dept", 3),
        ("team:X", "all", 8),
    )
    assert reasons(groups) == {
        "all": Reason.SHOWN,
        "dept": Reason.TOO_FEW,
        "team:1": Reason.TOO_FEW,
        "team:X": Reason.REMAINDER,
    }


def test_several_roots_are_checked_separately() -> None:
    groups = tree(("a", None, 12), ("a:1", "a", 9), ("b", None, 14), ("b:1", "b", 9))
    assert reasons(groups) == {
        "a": Reason.SHOWN,
        "a:1": Reason.REMAINDER,
        "b": Reason.SHOWN,
        "b:1": Reason.SHOWN,
    }


def test_the_input_order_does_not_matter() -> None:
    groups = tree(
        ("all", None, 40),
        ("dept:1", "all", 20),
        ("team:1", "dept:1", 9),
        ("team:2", "dept:1", 8),
        ("dept:2", "all", 17),
        ("team:3", "dept:2", 14),
    )
    expected = suppress(groups, 5)
    assert suppress(list(reversed(groups)), 5) == expected
    assert suppress(groups[3:] + groups[:3], 5) == expected


def test_no_groups_no_verdicts() -> None:
    assert suppress([], 5) == {}


def test_a_few_hundred_groups_are_fine() -> None:
    # A chain of 300 nested groups, each one person bigger than the next.
    groups = [
        Group(key=f"g{i:03}", parent=f"g{i - 1:03}" if i else None, count=400 - i)
        for i in range(300)
    ]
    verdicts = suppress(groups, 5)
    # g000 (400) keeps the rest ≥ 5 only by hiding g001..g004, then g005 (395) is fine, and so on.
    shown = [key for key, verdict in verdicts.items() if verdict.shown]
    assert shown == [f"g{i:03}" for i in range(0, 300, 5)]


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("threshold", [0, -1])
def test_the_threshold_must_be_positive(threshold: int) -> None:
    with pytest.raises(ValueError, match="threshold"):
        suppress(tree(("all", None, 10)), threshold)


def test_threshold_one_shows_every_non_empty_group() -> None:
    groups = tree(("all", None, 3), ("team:A", "all", 2), ("team:B", "all", 1))
    assert reasons(groups, threshold=1) == dict.fromkeys(("all", "team:A", "team:B"), Reason.SHOWN)


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (tree(("all", None, 10), ("team:A", "nope", 5)), "unknown parent"),
        (tree(("all", None, 10), ("all", None, 10)), "duplicate"),
        (tree(("all", None, -1)), "negative"),
        (tree(("all", None, 10), ("team:A", "all", 11)), "more than its parent"),
        (
            tree(("all", None, 10), ("team:A", "all", 6), ("team:B", "all", 6)),
            "must not overlap",
        ),
        (tree(("a", "b", 5), ("b", "a", 5)), "cycle"),
        (tree(("all", None, 10), ("a", "b", 5), ("b", "a", 5)), "cycle"),
        (tree(("all", None, 10), ("a", "a", 5)), "cycle"),
    ],
)
def test_inconsistent_groups_are_refused(groups: list[Group], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        suppress(groups, 5)


# --- figures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], None),
        ([10, 9, 8, 7, 0], 20.0),  # 2 promoters, 1 detractor of 5
        ([10, 9, 10], 100.0),
        ([0, 6, 3], -100.0),
        ([7, 8], 0.0),
        ([10, 0, 0], -33.3),
        ([10, 10, 8], 66.7),
        ([9] + [7] * 15, 6.3),  # 6.25: halves away from zero
        ([6] + [7] * 15, -6.3),
    ],
)
def test_enps(scores: list[int], expected: float | None) -> None:
    assert enps(scores) == expected


def test_enps_takes_any_iterable() -> None:
    assert enps(score for score in (9, 10, 5, 8)) == 25.0


@pytest.mark.parametrize("score", [-1, 11])
def test_enps_refuses_scores_off_the_scale(score: int) -> None:
    with pytest.raises(ValueError, match="0 to 10"):
        enps([5, score])


@pytest.mark.parametrize(
    ("total", "count", "expected"),
    [(10, 4, 2.5), (0, 3, 0.0), (7.5, 3, 2.5), (0, 0, None), (5, 0, None)],
)
def test_mean(total: float, count: int, expected: float | None) -> None:
    assert mean(total, count) == expected


def test_mean_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="negative"):
        mean(3, -1)


def test_distribution_lists_every_scale_value_in_order() -> None:
    assert distribution({3: 3, 1: 1}, [1, 2, 3, 4, 5]) == [
        (1, 1, 25.0),
        (2, 0, 0.0),
        (3, 3, 75.0),
        (4, 0, 0.0),
        (5, 0, 0.0),
    ]


def test_distribution_rounds_to_one_decimal() -> None:
    assert distribution({1: 1, 2: 1, 3: 1}, [1, 2, 3]) == [(1, 1, 33.3), (2, 1, 33.3), (3, 1, 33.3)]
    assert distribution({1: 1, 2: 15}, [1, 2]) == [(1, 1, 6.3), (2, 15, 93.8)]


def test_distribution_without_answers_is_all_zero() -> None:
    assert distribution({}, [0, 1]) == [(0, 0, 0.0), (1, 0, 0.0)]
    assert distribution({1: 0}, [0, 1]) == [(0, 0, 0.0), (1, 0, 0.0)]


@pytest.mark.parametrize(
    ("counts", "values", "message"),
    [
        ({6: 1}, [1, 2, 3, 4, 5], "not on the scale"),
        ({1: -1}, [1, 2], "negative"),
        ({1: 1}, [1, 1, 2], "repeat"),
    ],
)
def test_distribution_refuses_bad_input(
    counts: dict[int, int], values: list[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        distribution(counts, values)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({10: 3, 8: 1, 2: 1}, 40.0),
        ({}, None),
        ({9: 1, 0: 1}, 0.0),
        ({6: 4}, -100.0),
    ],
)
def test_enps_from_counts_matches_enps_from_scores(counts, expected):
    assert anonymity.enps_of_counts(counts) == expected
    scores = [score for score, n in counts.items() for _ in range(n)]
    assert anonymity.enps(scores) == expected
