"""The arithmetic of deviation alerts, without a database: periods, subject keys, breaches, and
what an evaluation does with an alert that may already be open."""

from datetime import date
from decimal import Decimal

import pytest

from dashboards import deviation
from dashboards.deviation import Action


@pytest.mark.parametrize(
    ("comparator", "value", "threshold", "expected"),
    [
        ("below", 79.9, 80, True),
        ("below", 80, 80, False),  # on the threshold is within it
        ("below", 84, 80, False),
        ("above", 24.5, 24, True),
        ("above", 24, 24, False),
        ("above", 3, 24, False),
        ("above", -1, -5, True),
        ("below", None, 80, None),  # no value: neither breached nor within
        ("above", None, 3, None),
    ],
)
def test_a_value_breaches_only_strictly_beyond_its_threshold(
    comparator, value, threshold, expected
):
    assert (
        deviation.is_breached(comparator=comparator, value=value, threshold=threshold) is expected
    )


def test_an_unknown_comparator_is_refused():
    with pytest.raises(ValueError):
        deviation.is_breached(comparator="equal", value=1, threshold=1)


@pytest.mark.parametrize(
    ("subject", "kind", "today", "fiscal", "expected"),
    [
        # KPI subjects judge the last complete period: a half-finished week misleads.
        ("kpi", "week", date(2025, 3, 12), 1, date(2025, 3, 3)),  # Wednesday → last week
        ("kpi", "week", date(2025, 3, 10), 1, date(2025, 3, 3)),  # Monday → last week
        ("kpi", "week", date(2025, 3, 9), 1, date(2025, 2, 24)),  # Sunday: week not over
        ("lead_response", "month", date(2025, 3, 31), 1, date(2025, 2, 1)),
        ("cross_dept", "month", date(2025, 1, 15), 1, date(2024, 12, 1)),
        ("kpi", "quarter", date(2025, 5, 20), 1, date(2025, 1, 1)),
        ("kpi", "quarter", date(2025, 5, 20), 4, date(2025, 1, 1)),  # FY from April: Q4 done
        ("kpi", "quarter", date(2025, 7, 2), 4, date(2025, 4, 1)),
        ("kpi", "quarter", date(2025, 2, 1), 11, date(2024, 11, 1)),  # FY from November
        # Goals and milestones are a state as of today: the current period.
        ("goal_gap", "week", date(2025, 3, 12), 1, date(2025, 3, 10)),
        ("milestones_overdue", "month", date(2025, 3, 31), 1, date(2025, 3, 1)),
        ("milestone_completion", "quarter", date(2025, 5, 20), 4, date(2025, 4, 1)),
    ],
)
def test_the_period_a_rule_judges(subject, kind, today, fiscal, expected):
    assert (
        deviation.evaluated_period(
            subject=subject, kind=kind, today=today, fiscal_start_month=fiscal
        )
        == expected
    )


@pytest.mark.parametrize(
    ("last", "kind", "fiscal", "expected"),
    [
        (date(2025, 3, 3), "week", 1, [date(2025, 2, 17), date(2025, 2, 24), date(2025, 3, 3)]),
        (date(2025, 1, 1), "month", 1, [date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1)]),
        (date(2025, 4, 1), "quarter", 4, [date(2024, 10, 1), date(2025, 1, 1), date(2025, 4, 1)]),
    ],
)
def test_recent_periods_end_with_the_judged_one(last, kind, fiscal, expected):
    assert (
        deviation.recent_periods(last=last, kind=kind, count=3, fiscal_start_month=fiscal)
        == expected
    )


@pytest.mark.parametrize(
    ("start", "kind", "label"),
    [
        (date(2025, 2, 3), "week", "2025-W06"),
        (date(2024, 12, 30), "week", "2025-W01"),  # ISO weeks cross the year
        (date(2025, 3, 1), "month", "2025-03"),
        (date(2025, 4, 1), "quarter", "2025-04 – 2025-06"),
    ],
)
def test_period_labels_are_language_neutral(start, kind, label):
    assert deviation.period_label(start, kind) == label


@pytest.mark.parametrize(
    ("kind", "pk", "key"),
    [("org", None, "org"), ("team", 7, "team:7"), ("goal", 12, "goal:12")],
)
def test_subject_keys_round_trip(kind, pk, key):
    assert deviation.subject_key(kind, pk) == key
    assert deviation.parse_subject_key(key) == (kind, pk)


@pytest.mark.parametrize("bad", ["", "team:", "team:x", "person:3", "goal"])
def test_bad_subject_keys_are_refused(bad):
    with pytest.raises(ValueError):
        deviation.parse_subject_key(bad)


def test_a_team_subject_needs_its_id():
    with pytest.raises(ValueError):
        deviation.subject_key("team")


@pytest.mark.parametrize(
    ("breached", "has_open", "action"),
    [
        (True, False, Action.OPEN),
        (True, True, Action.UPDATE),  # one alert stays open while the deviation lasts
        (False, True, Action.RESOLVE),
        (False, False, Action.NOTHING),
        (None, True, Action.NOTHING),  # missing data neither opens nor resolves
        (None, False, Action.NOTHING),
    ],
)
def test_what_an_evaluation_does(breached, has_open, action):
    assert deviation.decide(breached=breached, has_open_alert=has_open) is action


@pytest.mark.parametrize(
    ("progress", "expected", "gap"),
    [
        (0.4, 0.55, 15.0),
        (0.6, 0.5, -10.0),  # ahead of plan
        (None, 0.5, None),
        (0.333333, 0.5, 16.67),
    ],
)
def test_goal_gap_in_percentage_points(progress, expected, gap):
    assert deviation.goal_gap_points(progress=progress, expected=expected) == gap


@pytest.mark.parametrize(
    ("done", "due", "percent"),
    [(8, 10, 80.0), (0, 4, 0.0), (2, 3, 66.67), (0, 0, None)],
)
def test_completion_percent(done, due, percent):
    assert deviation.completion_percent(done=done, due=due) == percent


@pytest.mark.parametrize(
    ("old_value", "new_value", "old_data", "new_data", "changed"),
    [
        (Decimal("84.0000"), 84.0, {"a": 1}, {"a": 1}, False),
        (Decimal("84.0000"), 84.00001, {}, {}, False),  # below the column's precision
        (Decimal("84.0000"), 85.0, {}, {}, True),
        (Decimal("5"), 5.0, {"rows": [1]}, {"rows": [1, 2]}, True),
        (None, 5.0, None, {}, True),
        (Decimal("5"), 5.0, None, {}, False),
    ],
)
def test_change_detection(old_value, new_value, old_data, new_data, changed):
    assert (
        deviation.has_changed(
            old_value=old_value, new_value=new_value, old_data=old_data, new_data=new_data
        )
        is changed
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [(84.0, "84"), (Decimal("80.0000"), "80"), (12.345, "12.35"), (0.5, "0.5"), (None, "—")],
)
def test_values_in_sentences(value, text):
    assert deviation.format_value(value) == text
