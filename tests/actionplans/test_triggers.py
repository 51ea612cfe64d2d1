"""When a risk's KPI trigger fires: period arithmetic, the limit and the comparison, no database."""

from datetime import date
from decimal import Decimal

import pytest

from actionplans.triggers import breached, last_complete_period, limit_for


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2025, 3, 12), date(2025, 3, 3), date(2025, 3, 9)),  # Wednesday
        (date(2025, 3, 10), date(2025, 3, 3), date(2025, 3, 9)),  # Monday: last week is whole
        (date(2025, 3, 9), date(2025, 2, 24), date(2025, 3, 2)),  # Sunday: this week is not over
        (date(2025, 1, 1), date(2024, 12, 23), date(2024, 12, 29)),  # across the new year
        (date(2025, 1, 6), date(2024, 12, 30), date(2025, 1, 5)),  # a week spanning two years
    ],
)
def test_last_complete_week(today, start, end):
    assert last_complete_period(today, "week") == (start, end)


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2025, 3, 12), date(2025, 2, 1), date(2025, 2, 28)),
        (date(2025, 3, 1), date(2025, 2, 1), date(2025, 2, 28)),  # first day of the month
        (date(2025, 3, 31), date(2025, 2, 1), date(2025, 2, 28)),
        (date(2024, 3, 15), date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        (date(2025, 5, 20), date(2025, 4, 1), date(2025, 4, 30)),
        (date(2025, 1, 15), date(2024, 12, 1), date(2024, 12, 31)),  # January: last December
        (date(2025, 1, 1), date(2024, 12, 1), date(2024, 12, 31)),
        (date(2025, 2, 1), date(2025, 1, 1), date(2025, 1, 31)),
    ],
)
def test_last_complete_month(today, start, end):
    assert last_complete_period(today, "month") == (start, end)


def test_an_unknown_period_is_refused():
    with pytest.raises(ValueError, match="quarter"):
        last_complete_period(date(2025, 3, 12), "quarter")


# --- the limit --------------------------------------------------------------------------------


@pytest.mark.parametrize("cumulative", [True, False])
@pytest.mark.parametrize("target", [Decimal(120000), None])
def test_a_value_threshold_is_the_limit_itself(cumulative, target):
    limit = limit_for(
        threshold=Decimal("25.5"),
        basis="value",
        target=target,
        cumulative=cumulative,
        periods_in_goal=3,
    )

    assert limit == Decimal("25.5")


@pytest.mark.parametrize(
    ("threshold", "target", "periods", "expected"),
    [
        # 80% of a quarter's 120,000 spread over three months: 80% of 40,000.
        (Decimal(80), Decimal(120000), 3, Decimal("32000.0000")),
        (Decimal(100), Decimal(120000), 3, Decimal("40000.0000")),
        (Decimal(50), Decimal(1300), 13, Decimal("50.0000")),  # 13 weeks
        (Decimal(80), Decimal(100), 3, Decimal("26.6667")),  # rounded to four places
        (Decimal(80), Decimal(1000), 1, Decimal("800.0000")),
        (Decimal(80), Decimal(1000), 0, Decimal("800.0000")),  # never divides by zero
    ],
)
def test_target_pct_of_a_cumulative_kpi_is_of_the_share_for_one_period(
    threshold, target, periods, expected
):
    limit = limit_for(
        threshold=threshold,
        basis="target_pct",
        target=target,
        cumulative=True,
        periods_in_goal=periods,
    )

    assert limit == expected


@pytest.mark.parametrize(
    ("threshold", "target", "expected"),
    [
        (Decimal(80), Decimal(40), Decimal("32.0000")),  # 80% of a 40% win-rate target
        (Decimal(120), Decimal(10), Decimal("12.0000")),  # 120% of 10 days to close
        (Decimal("33.3"), Decimal("0.5"), Decimal("0.1665")),
    ],
)
@pytest.mark.parametrize("periods", [1, 3, 13])
def test_target_pct_of_a_level_kpi_is_of_the_target_as_it_stands(
    threshold, target, expected, periods
):
    limit = limit_for(
        threshold=threshold,
        basis="target_pct",
        target=target,
        cumulative=False,
        periods_in_goal=periods,
    )

    assert limit == expected


@pytest.mark.parametrize("cumulative", [True, False])
def test_target_pct_without_a_target_has_no_limit(cumulative):
    limit = limit_for(
        threshold=Decimal(80),
        basis="target_pct",
        target=None,
        cumulative=cumulative,
        periods_in_goal=3,
    )

    assert limit is None


# --- the comparison ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "comparator", "limit", "expected"),
    [
        (Decimal(9), "below", Decimal(10), True),
        (Decimal("9.9999"), "below", Decimal(10), True),
        (Decimal(10), "below", Decimal(10), False),  # reaching the limit is not below it
        (Decimal(11), "below", Decimal(10), False),
        (Decimal(-1), "below", Decimal(0), True),
        (Decimal(11), "above", Decimal(10), True),
        (Decimal(10), "above", Decimal(10), False),
        (Decimal(9), "above", Decimal(10), False),
        (Decimal(0), "below", Decimal(0), False),
    ],
)
def test_breached(value, comparator, limit, expected):
    assert breached(value=value, comparator=comparator, limit=limit) is expected


@pytest.mark.parametrize("comparator", ["below", "above"])
@pytest.mark.parametrize(
    ("value", "limit"),
    [(None, Decimal(10)), (Decimal(0), None), (None, None)],
)
def test_missing_data_is_never_a_breach(comparator, value, limit):
    assert breached(value=value, comparator=comparator, limit=limit) is False


def test_an_unknown_comparator_is_refused():
    with pytest.raises(ValueError, match="equal"):
        breached(value=Decimal(1), comparator="equal", limit=Decimal(2))
