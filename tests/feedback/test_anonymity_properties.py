"""The anonymity rules hold for random team trees: nothing shown lets anyone subtract their way
down to fewer than threshold people."""

from collections.abc import Iterator
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.anonymity import Group, Reason, Verdict, suppress

ROOT = "all"


@dataclass(frozen=True)
class Audience:
    groups: list[Group]
    threshold: int

    @property
    def parent(self) -> dict[str, str | None]:
        return {group.key: group.parent for group in self.groups}

    @property
    def count(self) -> dict[str, int]:
        return {group.key: group.count for group in self.groups}

    def children(self, key: str) -> list[str]:
        return [group.key for group in self.groups if group.parent == key]

    def ancestors(self, key: str) -> Iterator[str]:
        parent = self.parent[key]
        while parent is not None:
            yield parent
            parent = self.parent[parent]


@st.composite
def audiences(draw: st.DrawFn) -> Audience:
    """A root "all" over 1–25 teams; each team's parent is the root or an earlier team (a forest
    under the root). 0–15 respondents sit directly in every team and in the root itself."""
    size = draw(st.integers(min_value=1, max_value=25))
    keys = [ROOT] + [f"team:{number}" for number in range(1, size + 1)]
    parents: dict[str, str | None] = {ROOT: None}
    for index, key in enumerate(keys[1:], start=1):
        parents[key] = keys[draw(st.integers(min_value=0, max_value=index - 1))]
    direct = {key: draw(st.integers(min_value=0, max_value=15)) for key in keys}

    counts = dict(direct)
    for key in reversed(keys):  # every team comes after its parent: add subtrees bottom-up
        parent = parents[key]
        if parent is not None:
            counts[parent] += counts[key]

    groups = [Group(key=key, parent=parents[key], count=counts[key]) for key in keys]
    groups = draw(st.permutations(groups))
    return Audience(groups=list(groups), threshold=draw(st.integers(min_value=3, max_value=10)))


def shown_keys(verdicts: dict[str, Verdict]) -> set[str]:
    return {key for key, verdict in verdicts.items() if verdict.shown}


def disjoint_sums_below(audience: Audience, shown: set[str], key: str) -> set[int]:
    """Every total of a set of non-overlapping shown groups strictly inside ``key``'s subtree
    (the empty set included), by combining the children's options."""
    totals = {0}
    for child in audience.children(key):
        options = disjoint_sums_below(audience, shown, child)
        if child in shown:
            options = options | {audience.count[child]}
        totals = {total + option for total in totals for option in options}
    return totals


def safe(remainder: int, threshold: int) -> bool:
    return remainder == 0 or remainder >= threshold


PROPERTY = settings(max_examples=300, deadline=None)


@PROPERTY
@given(audiences())
def test_every_group_gets_a_consistent_verdict(audience: Audience) -> None:
    verdicts = suppress(audience.groups, audience.threshold)
    assert list(verdicts) == [group.key for group in audience.groups]
    for group in audience.groups:
        verdict = verdicts[group.key]
        assert verdict.count == group.count
        assert verdict.shown == (verdict.reason is Reason.SHOWN)
        if group.count < audience.threshold:
            assert verdict.reason is Reason.TOO_FEW
        else:
            assert verdict.reason is not Reason.TOO_FEW


@PROPERTY
@given(audiences())
def test_no_shown_group_is_below_the_threshold(audience: Audience) -> None:
    verdicts = suppress(audience.groups, audience.threshold)
    assert all(verdicts[key].count >= audience.threshold for key in shown_keys(verdicts))


@PROPERTY
@given(audiences())
def test_no_shown_group_minus_a_shown_subgroup_is_small(audience: Audience) -> None:
    verdicts = suppress(audience.groups, audience.threshold)
    shown = shown_keys(verdicts)
    for inner in shown:
        for outer in audience.ancestors(inner):
            if outer in shown:
                remainder = audience.count[outer] - audience.count[inner]
                assert safe(remainder, audience.threshold), (outer, inner, remainder)


@PROPERTY
@given(audiences())
def test_no_shown_group_minus_any_disjoint_shown_groups_inside_it_is_small(
    audience: Audience,
) -> None:
    verdicts = suppress(audience.groups, audience.threshold)
    shown = shown_keys(verdicts)
    for outer in shown:
        for total in disjoint_sums_below(audience, shown, outer):
            remainder = audience.count[outer] - total
            assert safe(remainder, audience.threshold), (outer, total, remainder)


@PROPERTY
@given(audiences(), st.randoms(use_true_random=False))
def test_suppress_is_deterministic_whatever_the_order(audience: Audience, random) -> None:
    first = suppress(audience.groups, audience.threshold)
    assert suppress(audience.groups, audience.threshold) == first
    shuffled = list(audience.groups)
    random.shuffle(shuffled)
    assert dict(sorted(suppress(shuffled, audience.threshold).items())) == dict(
        sorted(first.items())
    )


@PROPERTY
@given(audiences())
def test_the_root_is_shown_when_big_enough(audience: Audience) -> None:
    verdicts = suppress(audience.groups, audience.threshold)
    assert verdicts[ROOT].shown == (audience.count[ROOT] >= audience.threshold)


@PROPERTY
@given(audiences())
def test_a_group_hidden_by_the_remainder_rule_lies_under_a_shown_group(audience: Audience) -> None:
    verdicts = suppress(audience.groups, audience.threshold)
    shown = shown_keys(verdicts)
    for key, verdict in verdicts.items():
        if verdict.reason is Reason.REMAINDER:
            assert any(ancestor in shown for ancestor in audience.ancestors(key)), key
