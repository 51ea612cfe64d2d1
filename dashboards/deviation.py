"""The arithmetic of deviation alerts, without the database: which period a rule looks at, how
subjects are keyed, whether a value breaches its threshold, and what an evaluation should do
with an alert that may already be open.

KPI-based subjects (a KPI, lead response time, cross-department completion) look at the last
*complete* period, because a half-finished week would read as a collapse every Monday. Goals and
milestones are a state as of today, so they look at the current period.
"""

import enum
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from goals.periods import add_months, fiscal_quarter_start, month_start, week_start

KPI_SUBJECTS = frozenset({"kpi", "lead_response", "cross_dept"})
STATE_SUBJECTS = frozenset({"goal_gap", "milestone_completion", "milestones_overdue"})
PERCENT_SUBJECTS = frozenset({"milestone_completion", "cross_dept"})

# Built-in KPIs that some subjects always watch.
BUILTIN_KPI_OF_SUBJECT = {
    "lead_response": "lead_response_hours",
    "cross_dept": "cross_dept_completion_rate",
}

ORG_SUBJECT = "org"


def period_start(day: date, kind: str, fiscal_start_month: int = 1) -> date:
    """The first day of the week (Monday), month or fiscal quarter that contains `day`."""
    if kind == "week":
        return week_start(day)
    if kind == "month":
        return month_start(day)
    if kind == "quarter":
        return fiscal_quarter_start(day, fiscal_start_month)
    raise ValueError(f"unknown period kind {kind!r}")


def previous_period_start(start: date, kind: str, fiscal_start_month: int = 1) -> date:
    """The start of the period just before the one beginning on `start`."""
    return period_start(start - timedelta(days=1), kind, fiscal_start_month)


def period_last_day(start: date, kind: str) -> date:
    if kind == "week":
        return start + timedelta(days=6)
    months = 1 if kind == "month" else 3
    return add_months(start, months) - timedelta(days=1)


def evaluated_period(*, subject: str, kind: str, today: date, fiscal_start_month: int = 1) -> date:
    """The period a rule judges today: the last complete one for KPI subjects, else the current.

    Pulse rules judge the latest closed survey round instead; the caller supplies its date.
    """
    current = period_start(today, kind, fiscal_start_month)
    if subject in KPI_SUBJECTS:
        return previous_period_start(current, kind, fiscal_start_month)
    return current


def recent_periods(*, last: date, kind: str, count: int, fiscal_start_month: int = 1) -> list[date]:
    """`count` period starts ending with `last`, oldest first (for an alert's chart)."""
    starts = [last]
    while len(starts) < count:
        starts.append(previous_period_start(starts[-1], kind, fiscal_start_month))
    return starts[::-1]


def subject_key(kind: str, pk: int | None = None) -> str:
    """ "org", "team:<id>" or "goal:<id>": what one alert of a rule is about."""
    if kind == ORG_SUBJECT:
        return ORG_SUBJECT
    if kind not in ("team", "goal") or pk is None:
        raise ValueError(f"bad subject {kind!r} {pk!r}")
    return f"{kind}:{pk}"


def parse_subject_key(key: str) -> tuple[str, int | None]:
    if key == ORG_SUBJECT:
        return ORG_SUBJECT, None
    kind, _sep, pk = key.partition(":")
    if kind not in ("team", "goal") or not pk.isdigit():
        raise ValueError(f"bad subject key {key!r}")
    return kind, int(pk)


def is_breached(*, comparator: str, value: float | None, threshold: float) -> bool | None:
    """True when the value is strictly beyond the threshold; None when there is no value."""
    if value is None:
        return None
    if comparator == "below":
        return value < threshold
    if comparator == "above":
        return value > threshold
    raise ValueError(f"unknown comparator {comparator!r}")


def goal_gap_points(*, progress: float | None, expected: float) -> float | None:
    """How far a goal is behind its expected progress, in percentage points (negative: ahead).
    Both inputs are fractions (0.5 = 50%)."""
    if progress is None:
        return None
    return round((expected - progress) * 100, 2)


def completion_percent(*, done: int, due: int) -> float | None:
    """Done ÷ due × 100; None when nothing is due yet."""
    if due <= 0:
        return None
    return round(done / due * 100, 2)


class Action(enum.Enum):
    NOTHING = "nothing"
    OPEN = "open"  # breached, nothing open: open a new alert (if the period's row is free)
    UPDATE = "update"  # still breached: keep the open alert, refresh its figures
    RESOLVE = "resolve"  # back within the threshold: close the open alert(s)


def decide(*, breached: bool | None, has_open_alert: bool) -> Action:
    """One alert stays open while a deviation lasts; a missing value changes nothing."""
    if breached is None:
        return Action.NOTHING
    if breached:
        return Action.UPDATE if has_open_alert else Action.OPEN
    return Action.RESOLVE if has_open_alert else Action.NOTHING


def as_number(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


def has_changed(
    *,
    old_value: Any,
    new_value: float | None,
    old_data: Mapping[str, Any] | None,
    new_data: Mapping[str, Any],
) -> bool:
    """Whether an open alert's latest figures differ from what it already holds (compared as
    numbers rounded to the column's four decimals, so Decimal vs float is no change)."""
    if as_number(old_value) != as_number(new_value):
        return True
    return dict(old_data or {}) != dict(new_data)


def period_label(start: date, kind: str) -> str:
    """A language-neutral name for a period: "2025-W05", "2025-03", "2025-01 – 2025-03"."""
    if kind == "week":
        year, week, _weekday = start.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "month":
        return f"{start:%Y-%m}"
    return f"{start:%Y-%m} – {period_last_day(start, kind):%Y-%m}"


def format_value(value: Any) -> str:
    """A value for a sentence: at most two decimals, no trailing zeros ("84", "12.35")."""
    if value is None:
        return "—"
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
