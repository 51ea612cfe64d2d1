from datetime import date

import pytest

from goals.progress import (
    GoalHealth,
    expected_progress,
    forecast,
    health,
    progress,
    weighted_rollup,
)


@pytest.mark.parametrize(
    ("baseline", "target", "actual", "expected"),
    [
        pytest.param(20, 25, 22.5, 0.5, id="conversion-halfway"),
        pytest.param(90, 60, 75, 0.5, id="sales-cycle-lower-is-better-halfway"),
        pytest.param(20, 25, 20, 0.0, id="at-baseline"),
        pytest.param(20, 25, 25, 1.0, id="at-target"),
        pytest.param(20, 25, 26.5, 1.3, id="beyond-target"),
        pytest.param(90, 60, 51, 1.3, id="lower-is-better-beyond-target"),
        pytest.param(20, 25, 19, -0.2, id="worse-than-baseline"),
        pytest.param(90, 60, 96, -0.2, id="lower-is-better-worse-than-baseline"),
        pytest.param(0, 100, 40, 0.4, id="zero-baseline"),
    ],
)
def test_progress(baseline: float, target: float, actual: float, expected: float) -> None:
    assert progress(baseline=baseline, target=target, actual=actual) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("baseline", "target", "actual"),
    [
        pytest.param(20, 25, None, id="no-actual"),
        pytest.param(20, 20, 22, id="target-equals-baseline"),
    ],
)
def test_progress_unknown(baseline: float, target: float, actual: float | None) -> None:
    assert progress(baseline=baseline, target=target, actual=actual) is None


START = date(2025, 1, 1)
DUE = date(2025, 4, 11)  # 100 days later


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        pytest.param(date(2024, 12, 1), 0.0, id="before-start"),
        pytest.param(START, 0.0, id="on-start"),
        pytest.param(date(2025, 1, 26), 0.25, id="quarter-way"),
        pytest.param(date(2025, 2, 20), 0.5, id="halfway"),
        pytest.param(DUE, 1.0, id="on-due"),
        pytest.param(date(2025, 6, 1), 1.0, id="after-due"),
    ],
)
def test_expected_progress(today: date, expected: float) -> None:
    assert expected_progress(start=START, due=DUE, today=today) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("points", "due", "expected"),
    [
        pytest.param(
            [(date(2025, 1, 1), 10.0), (date(2025, 1, 11), 20.0), (date(2025, 1, 21), 30.0)],
            date(2025, 1, 31),
            40.0,
            id="perfect-line",
        ),
        pytest.param(
            [(date(2025, 1, 1), 90.0), (date(2025, 1, 31), 80.0)],
            date(2025, 3, 2),
            70.0,
            id="falling-two-points",
        ),
        pytest.param(
            [(date(2025, 1, 1), 7.0), (date(2025, 1, 8), 7.0), (date(2025, 1, 15), 7.0)],
            date(2025, 6, 1),
            7.0,
            id="flat-series",
        ),
        pytest.param(
            [(date(2025, 1, 21), 30.0), (date(2025, 1, 1), 10.0), (date(2025, 1, 11), 20.0)],
            date(2025, 1, 31),
            40.0,
            id="unsorted-points",
        ),
        pytest.param(
            [(date(2025, 1, 1), 0.0), (date(2025, 1, 2), 2.0), (date(2025, 1, 3), 1.0)],
            date(2025, 1, 5),
            2.5,
            id="noisy-least-squares",
        ),
        pytest.param(
            [(date(2025, 1, 1), 10.0), (date(2025, 1, 11), 20.0)],
            date(2024, 12, 22),
            0.0,
            id="due-before-first-point",
        ),
    ],
)
def test_forecast(points: list[tuple[date, float]], due: date, expected: float) -> None:
    assert forecast(points=points, due=due) == pytest.approx(expected)


@pytest.mark.parametrize(
    "points",
    [
        pytest.param([], id="no-points"),
        pytest.param([(date(2025, 1, 1), 10.0)], id="one-point"),
        pytest.param([(date(2025, 1, 1), 10.0), (date(2025, 1, 1), 12.0)], id="one-date"),
    ],
)
def test_forecast_unknown(points: list[tuple[date, float]]) -> None:
    assert forecast(points=points, due=date(2025, 3, 1)) is None


@pytest.mark.parametrize(
    ("progress_value", "expected_value", "result"),
    [
        pytest.param(None, 0.5, GoalHealth.UNKNOWN, id="no-progress"),
        pytest.param(0.8, 0.5, GoalHealth.ON_TRACK, id="ahead"),
        pytest.param(0.5, 0.5, GoalHealth.ON_TRACK, id="exactly-on-time"),
        pytest.param(0.4, 0.5, GoalHealth.ON_TRACK, id="gap-at-at-risk-boundary"),
        pytest.param(0.39, 0.5, GoalHealth.AT_RISK, id="gap-just-past-at-risk"),
        pytest.param(0.25, 0.5, GoalHealth.AT_RISK, id="gap-at-off-track-boundary"),
        pytest.param(0.24, 0.5, GoalHealth.OFF_TRACK, id="gap-just-past-off-track"),
        pytest.param(-0.2, 0.7, GoalHealth.OFF_TRACK, id="going-backwards"),
        pytest.param(0.3, 1.0, GoalHealth.OFF_TRACK, id="overdue"),
    ],
)
def test_health(progress_value: float | None, expected_value: float, result: str) -> None:
    assert (
        health(progress=progress_value, expected=expected_value, at_risk_gap=10, off_track_gap=25)
        == result
    )


def test_health_values_are_plain_strings() -> None:
    assert [h.value for h in GoalHealth] == ["on_track", "at_risk", "off_track", "unknown"]
    assert health(progress=0.5, expected=0.5, at_risk_gap=10, off_track_gap=25) == "on_track"


@pytest.mark.parametrize(
    ("children", "expected"),
    [
        pytest.param([(0.5, 1.0), (1.0, 1.0)], 0.75, id="equal-weights"),
        pytest.param([(0.2, 3.0), (1.0, 1.0)], 0.4, id="unequal-weights"),
        pytest.param([(0.6, 1.0), (None, 5.0)], 0.6, id="none-is-skipped"),
        pytest.param([(0.6, 1.0), (0.0, 0.0)], 0.6, id="zero-weight-is-skipped"),
        pytest.param([(1.3, 1.0), (-0.1, 1.0)], 0.6, id="uncapped-values"),
    ],
)
def test_weighted_rollup(children: list[tuple[float | None, float]], expected: float) -> None:
    assert weighted_rollup(children) == pytest.approx(expected)


@pytest.mark.parametrize(
    "children",
    [
        pytest.param([], id="no-children"),
        pytest.param([(None, 1.0), (None, 2.0)], id="all-unknown"),
        pytest.param([(0.5, 0.0), (0.9, -1.0)], id="no-weight"),
    ],
)
def test_weighted_rollup_unknown(children: list[tuple[float | None, float]]) -> None:
    assert weighted_rollup(children) is None
