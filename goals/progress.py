"""Progress arithmetic for goals: how far along, how far along it should be, where it is heading."""

from collections.abc import Sequence
from datetime import date
from enum import StrEnum

# Gaps are compared in whole points; rounding keeps float noise such as 9.999999999999998
# from moving a goal across a threshold that the numbers sit exactly on.
_GAP_DIGITS = 6


class GoalHealth(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    UNKNOWN = "unknown"


def progress(*, baseline: float, target: float, actual: float | None) -> float | None:
    """Share of the way from baseline to target; also right for lower-is-better KPIs."""
    if actual is None or target == baseline:
        return None
    return (actual - baseline) / (target - baseline)


def expected_progress(*, start: date, due: date, today: date) -> float:
    """Share of the goal's time that has elapsed, between 0 and 1."""
    if today >= due:
        return 1.0
    if today <= start:
        return 0.0
    return (today - start).days / (due - start).days


def forecast(*, points: Sequence[tuple[date, float]], due: date) -> float | None:
    """Least-squares straight line through the points, read off at the due date."""
    if len(points) < 2:
        return None
    origin = min(day for day, _ in points)
    xs = [float((day - origin).days) for day, _ in points]
    ys = [float(value) for _, value in points]
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return mean_y + slope * ((due - origin).days - mean_x)


def health(
    *, progress: float | None, expected: float, at_risk_gap: int, off_track_gap: int
) -> GoalHealth:
    """Classify by how many percentage points progress lags behind the elapsed time."""
    if progress is None:
        return GoalHealth.UNKNOWN
    gap = round((expected - progress) * 100, _GAP_DIGITS)
    if gap <= at_risk_gap:
        return GoalHealth.ON_TRACK
    if gap <= off_track_gap:
        return GoalHealth.AT_RISK
    return GoalHealth.OFF_TRACK


def weighted_rollup(children: Sequence[tuple[float | None, float]]) -> float | None:
    """Weighted average progress of the children that report progress and carry weight."""
    counted = [(value, weight) for value, weight in children if value is not None and weight > 0]
    if not counted:
        return None
    total_weight = sum(weight for _, weight in counted)
    return sum(value * weight for value, weight in counted) / total_weight
