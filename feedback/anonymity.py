"""Which anonymous survey results may be shown, and the few figures computed from them.

Pure functions: no database, no Django. The page passes in the groups of one round (the whole
audience, each team counted together with its sub-teams) and gets back a verdict per group.

Two rules decide the verdicts:

* A group is shown only when at least ``threshold`` people answered in it (``TOO_FEW``
  otherwise). Comments use their own, never lower, threshold: call :func:`suppress` again with it.
* Remainder rule: for every shown group P, take the shown groups directly beneath it (its shown
  descendants with no shown group in between). The people of P outside all of them can be
  recovered by subtracting their results from P's, so that rest must be nobody or at least
  ``threshold`` people. Otherwise the smallest of those groups (ties broken by key) is withheld
  (``REMAINDER``) and P is checked again, now with the shown groups beneath the withheld one.

Every shown group then splits into "its own rest" (0 or at least ``threshold`` people) plus the
shown groups directly beneath it, so the difference between any shown group and any set of
non-overlapping shown groups inside it is a sum of such rests: again nobody or at least
``threshold`` people.

The page turns :class:`Reason` codes into words ("fewer than N responses", "would reveal a small
group by subtraction"). ``Verdict.count`` is what the caller passed in; it is there for the page's
own bookkeeping, and whether a withheld group's count is displayed is the page's decision.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Group", "Reason", "Verdict", "distribution", "enps", "mean", "suppress"]

ENPS_MIN, ENPS_MAX = 0, 10
PROMOTER_MIN = 9  # 9 and 10 are promoters
DETRACTOR_MAX = 6  # 0 to 6 are detractors


@dataclass(frozen=True)
class Group:
    """One group of respondents. ``count`` includes every descendant group."""

    key: str  # e.g. "all", "team:12"
    parent: str | None  # key of the enclosing group; None for the root(s)
    count: int  # respondents in this group, INCLUDING every descendant group


class Reason(StrEnum):
    SHOWN = "shown"
    TOO_FEW = "too_few"  # count below the threshold
    # Shown alone it is big enough, but subtracting it from its parent would expose fewer than
    # threshold people.
    REMAINDER = "remainder"


@dataclass(frozen=True)
class Verdict:
    shown: bool
    reason: Reason
    count: int


# --- suppression ----------------------------------------------------------------------------


def suppress(groups: Sequence[Group], threshold: int) -> dict[str, Verdict]:
    """Decide for every group whether its results may be shown; keyed by group key, input order.

    Raises ValueError for a threshold below 1 and for groups that do not form a forest of
    consistent counts: a duplicate key, an unknown parent, a cycle, a negative count, a child
    counting more people than its parent, or children together counting more than their parent
    (sub-teams must not overlap, or subtraction could not be reasoned about).

    The checks run top-down: withholding a group only ever changes the check of its nearest shown
    ancestor, so once a group's check is settled it stays settled and the result is a fixed point
    that does not depend on the order of the input. Cost: about the sum of all subtree sizes times
    a log factor, at most O(n² log n) for a chain and far less for real team trees.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        raise ValueError(f"threshold must be an integer, got {threshold!r}")
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, got {threshold}")

    counts, children = _index(groups)
    order = _top_down(counts, children)

    reasons: dict[str, Reason] = {
        key: Reason.SHOWN if count >= threshold else Reason.TOO_FEW for key, count in counts.items()
    }
    for key in order:
        if reasons[key] is Reason.SHOWN:
            _enforce_remainder(key, threshold, counts, children, reasons)

    return {
        key: Verdict(shown=reasons[key] is Reason.SHOWN, reason=reasons[key], count=count)
        for key, count in counts.items()
    }


def _index(groups: Sequence[Group]) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Counts by key and children by key, after checking keys, parents and counts."""
    counts: dict[str, int] = {}
    for group in groups:
        if group.key in counts:
            raise ValueError(f"duplicate group key {group.key!r}")
        if isinstance(group.count, bool) or not isinstance(group.count, int):
            raise ValueError(f"group {group.key!r}: count must be an integer, got {group.count!r}")
        if group.count < 0:
            raise ValueError(f"group {group.key!r}: negative count {group.count}")
        counts[group.key] = group.count

    children: dict[str, list[str]] = {key: [] for key in counts}
    for group in groups:
        if group.parent is None:
            continue
        if group.parent not in counts:
            raise ValueError(f"group {group.key!r}: unknown parent {group.parent!r}")
        if group.count > counts[group.parent]:
            raise ValueError(
                f"group {group.key!r} counts {group.count}, more than its parent "
                f"{group.parent!r} ({counts[group.parent]})"
            )
        children[group.parent].append(group.key)

    for key, kids in children.items():
        kids.sort()  # deterministic traversal whatever the input order
        total = sum(counts[kid] for kid in kids)
        if total > counts[key]:
            raise ValueError(
                f"the sub-groups of {key!r} count {total} together, more than {key!r} itself "
                f"({counts[key]}); sub-groups must not overlap"
            )
    return counts, children


def _top_down(counts: Mapping[str, int], children: Mapping[str, list[str]]) -> list[str]:
    """Every key, ancestors before descendants (breadth-first from the roots)."""
    has_parent = {kid for kids in children.values() for kid in kids}
    order = sorted(key for key in counts if key not in has_parent)
    position = 0
    while position < len(order):
        order.extend(children[order[position]])
        position += 1
    if len(order) < len(counts):
        # Whatever a walk down from the roots cannot reach lies on, or hangs below, a cycle.
        reached = set(order)
        stuck = sorted(key for key in counts if key not in reached)
        raise ValueError(f"cycle in group parents involving {stuck}")
    return order


def _enforce_remainder(
    parent: str,
    threshold: int,
    counts: Mapping[str, int],
    children: Mapping[str, list[str]],
    reasons: dict[str, Reason],
) -> None:
    """Withhold shown groups beneath ``parent`` until the rest of ``parent`` is 0 or ≥ threshold.

    ``frontier`` holds the maximal shown proper descendants of ``parent`` as (count, key), so the
    heap's smallest is the one to withhold next; withholding it brings up the shown groups
    directly beneath it.
    """
    frontier: list[tuple[int, str]] = []
    covered = 0  # people of ``parent`` inside the frontier groups

    def bring_up(below: str) -> int:
        added = 0
        stack = list(children[below])
        while stack:
            key = stack.pop()
            if reasons[key] is Reason.SHOWN:
                heapq.heappush(frontier, (counts[key], key))
                added += counts[key]
            elif counts[key] >= threshold:
                # Withheld for a remainder: shown groups may still lie beneath it. A TOO_FEW
                # group's whole subtree is TOO_FEW, so there is no need to descend into it.
                stack.extend(children[key])
        return added

    covered += bring_up(parent)
    while frontier:
        rest = counts[parent] - covered
        if rest == 0 or rest >= threshold:
            return
        count, key = heapq.heappop(frontier)
        reasons[key] = Reason.REMAINDER
        covered += bring_up(key) - count
    # Empty frontier: the rest is the whole parent, which is shown, so at least threshold.


# --- figures ----------------------------------------------------------------------------------


def _percent_one_decimal(part: int, whole: int) -> float:
    """100 * part / whole to one decimal, halves rounded away from zero, in exact arithmetic."""
    negative = part < 0
    tenths, rest = divmod(abs(part) * 1000, whole)
    if 2 * rest >= whole:
        tenths += 1
    return (-tenths if negative else tenths) / 10


def enps(scores: Iterable[int]) -> float | None:
    """Employee Net Promoter Score: % promoters (9–10) minus % detractors (0–6), one decimal.

    None when there are no scores; ValueError for a score outside 0–10.
    """
    promoters = detractors = total = 0
    for score in scores:
        if isinstance(score, bool) or not isinstance(score, int):
            raise ValueError(f"eNPS scores are integers from 0 to 10, got {score!r}")
        if not ENPS_MIN <= score <= ENPS_MAX:
            raise ValueError(f"eNPS scores are integers from 0 to 10, got {score}")
        total += 1
        if score >= PROMOTER_MIN:
            promoters += 1
        elif score <= DETRACTOR_MAX:
            detractors += 1
    if total == 0:
        return None
    return _percent_one_decimal(promoters - detractors, total)


def enps_of_counts(counts: Mapping[int, int]) -> float | None:
    """eNPS from how many people gave each score (what the results query returns)."""
    for score, n in counts.items():
        if not ENPS_MIN <= score <= ENPS_MAX or n < 0:
            raise ValueError(f"eNPS counts are for scores 0 to 10, got {score}: {n}")
    total = sum(counts.values())
    if total == 0:
        return None
    promoters = sum(n for score, n in counts.items() if score >= PROMOTER_MIN)
    detractors = sum(n for score, n in counts.items() if score <= DETRACTOR_MAX)
    return _percent_one_decimal(promoters - detractors, total)


def mean(total: float, count: int) -> float | None:
    """``total / count`` unrounded (the page formats it); None when nobody answered."""
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    if count == 0:
        return None
    return total / count


def distribution(counts: Mapping[int, int], values: Sequence[int]) -> list[tuple[int, int, float]]:
    """(value, count, percent) for every value of the scale, in the scale's order.

    Values nobody chose get count 0; percents are of all answers, one decimal, halves away from
    zero (so they need not add up to exactly 100); all 0.0 when there are no answers. ValueError
    for a repeated scale value, a count for a value not on the scale, or a negative count.
    """
    if len(set(values)) != len(values):
        raise ValueError(f"scale values repeat: {list(values)}")
    off_scale = sorted(set(counts) - set(values))
    if off_scale:
        raise ValueError(f"counts for values not on the scale: {off_scale}")
    for value, count in counts.items():
        if count < 0:
            raise ValueError(f"negative count {count} for value {value}")
    total = sum(counts.values())
    rows: list[tuple[int, int, float]] = []
    for value in values:
        count = counts.get(value, 0)
        rows.append((value, count, _percent_one_decimal(count, total) if total else 0.0))
    return rows
