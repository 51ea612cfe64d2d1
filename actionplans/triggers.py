"""When does a risk's KPI trigger fire? Period arithmetic and the comparison, without the database."""

from datetime import date, timedelta
from decimal import Decimal

from goals.periods import add_months, month_start, week_start


def last_complete_period(today: date, kind: str) -> tuple[date, date]:
    """The most recent whole week (Monday–Sunday) or calendar month that has ended before today."""
    if kind == "week":
        start = week_start(today) - timedelta(days=7)
        return start, start + timedelta(days=6)
    if kind == "month":
        start = add_months(month_start(today), -1)
        return start, month_start(today) - timedelta(days=1)
    raise ValueError(f"unknown trigger period {kind!r}")


def limit_for(
    *,
    threshold: Decimal,
    basis: str,
    target: Decimal | None,
    cumulative: bool,
    periods_in_goal: int,
) -> Decimal | None:
    """The value the KPI is compared with.

    `value`: the threshold itself. `target_pct`: that percentage of the goal's target —
    for a KPI that adds up over time (revenue, deals), of the target's share for one
    period; for a rate or an average, of the target as it stands.
    """
    if basis == "value":
        return threshold
    if target is None:
        return None
    share = target / max(periods_in_goal, 1) if cumulative else target
    return (threshold / Decimal(100) * share).quantize(Decimal("0.0001"))


def breached(*, value: Decimal | None, comparator: str, limit: Decimal | None) -> bool:
    """No data is never a breach: a missing import must not look like a collapse."""
    if value is None or limit is None:
        return False
    if comparator == "below":
        return value < limit
    if comparator == "above":
        return value > limit
    raise ValueError(f"unknown comparator {comparator!r}")
