from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils.translation import override

from goals.smart import (
    Criterion,
    GoalDraft,
    History,
    KpiInfo,
    SmartReport,
    add_months,
    check,
    format_value,
    signed_percent,
)

CONVERSION = KpiInfo(name="Conversion rate", unit="percent", lower_is_better=False)
SALES_CYCLE = KpiInfo(name="Sales cycle", unit="days", lower_is_better=True)
REVENUE = KpiInfo(name="Revenue", unit="currency", lower_is_better=False)

TODAY = date(2025, 1, 1)
QUARTER_CHANGES = (0.05, -0.03, 0.28, 0.02, 0.04, -0.01, 0.06, 0.03)
TEAM_HISTORY = History(changes=QUARTER_CHANGES, period_label="quarter", source="team")
NO_HISTORY = History(changes=(), period_label="quarter", source="none")

GOOD = GoalDraft(
    title="Web conversion from 20% to 25% in Q1",
    statement="Conversion of inbound web leads for the SMB segment.",
    scope_channel="Web",
    scope_product="",
    scope_segment="SMB",
    kpi=CONVERSION,
    baseline=Decimal("20"),
    target=Decimal("25"),
    start=date(2025, 1, 1),
    due=date(2025, 4, 2),  # 91 days
    level="team",
    parent_kpi_name="Conversion rate",
    contribution="",
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with override("en"):
        yield


def run(
    *,
    history: History = TEAM_HISTORY,
    today: date = TODAY,
    horizon_months: int = 12,
    **changes: Any,
) -> SmartReport:
    return check(
        draft=replace(GOOD, **changes), history=history, today=today, horizon_months=horizon_months
    )


def assert_criterion(criterion: Criterion, level: str, fragments: tuple[str, ...]) -> None:
    assert criterion.level == level, criterion.message
    for fragment in fragments:
        assert fragment in criterion.message, criterion.message


# --- helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fraction", "text"),
    [
        pytest.param(1.5, "+150%", id="big-gain"),
        pytest.param(-1 / 3, "-33%", id="third-down"),
        pytest.param(0.12, "+12%", id="small-gain"),
        pytest.param(0.28, "+28%", id="float-noise"),
        pytest.param(0.125, "+13%", id="half-rounds-away-from-zero"),
        pytest.param(-0.005, "-1%", id="negative-half-rounds-away-from-zero"),
        pytest.param(0.004, "0%", id="rounds-to-zero"),
        pytest.param(0.0, "0%", id="zero"),
    ],
)
def test_signed_percent(fraction: float, text: str) -> None:
    assert signed_percent(fraction) == text


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        pytest.param(Decimal("25"), "percent", "25%", id="percent"),
        pytest.param(Decimal("25.0000"), "percent", "25%", id="percent-trailing-zeros"),
        pytest.param(Decimal("60"), "days", "60 days", id="days"),
        pytest.param(Decimal("1"), "days", "1 day", id="one-day"),
        pytest.param(Decimal("1.5"), "hours", "1.5 hours", id="fractional-hours"),
        pytest.param(Decimal("1"), "hours", "1 hour", id="one-hour"),
        pytest.param(Decimal("1200000.0000"), "currency", "1,200,000", id="currency"),
        pytest.param(Decimal("100"), "count", "100", id="count-no-exponent"),
        pytest.param(Decimal("0.75"), "ratio", "0.75", id="ratio"),
    ],
)
def test_format_value(value: Decimal, unit: str, text: str) -> None:
    assert format_value(value=value, unit=unit) == text


@pytest.mark.parametrize(
    ("day", "months", "result"),
    [
        pytest.param(date(2025, 1, 15), 0, date(2025, 1, 15), id="zero"),
        pytest.param(date(2025, 1, 31), 1, date(2025, 2, 28), id="clamps-to-month-end"),
        pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), id="leap-year"),
        pytest.param(date(2025, 11, 15), 3, date(2026, 2, 15), id="crosses-year"),
        pytest.param(date(2025, 1, 1), 12, date(2026, 1, 1), id="a-year"),
        pytest.param(date(2025, 3, 31), -1, date(2025, 2, 28), id="backwards"),
    ],
)
def test_add_months(day: date, months: int, result: date) -> None:
    assert add_months(day=day, months=months) == result


# --- specific ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "level", "fragments"),
    [
        pytest.param({}, "pass", ("Conversion rate", "Web / SMB"), id="kpi-scope-and-number"),
        pytest.param({"kpi": None}, "fail", ("KPI",), id="no-kpi"),
        pytest.param(
            {"scope_channel": "", "scope_product": " ", "scope_segment": ""},
            "fail",
            ("channel, product or customer segment",),
            id="no-scope",
        ),
        pytest.param(
            {"scope_channel": "", "scope_segment": "", "scope_product": "Analytics"},
            "pass",
            ("Analytics",),
            id="product-alone-is-a-scope",
        ),
        pytest.param(
            {"title": "Increase conversion", "statement": ""},
            "warn",
            ("add a number", "what changes"),
            id="vague-increase",
        ),
        pytest.param(
            {"title": "Web conversion", "statement": "We want better results."},
            "warn",
            ("add a number",),
            id="vague-word-in-statement",
        ),
        pytest.param(
            {"title": "Grow the SMB pipeline", "statement": ""},
            "warn",
            ("add a number",),
            id="vague-grow",
        ),
        pytest.param(
            {"title": "Optimise lead routing", "statement": ""},
            "warn",
            ("add a number",),
            id="vague-british-spelling",
        ),
        pytest.param(
            {"title": "IMPROVEMENT of follow-up", "statement": ""},
            "warn",
            ("add a number",),
            id="vague-any-case",
        ),
        pytest.param(
            {"title": "提升销售额", "statement": ""}, "warn", ("add a number",), id="vague-chinese"
        ),
        pytest.param(
            {"title": "优化线索分配流程", "statement": ""},
            "warn",
            ("add a number",),
            id="vague-chinese-optimise",
        ),
        pytest.param(
            {"title": "提升销售额到500万", "statement": ""},
            "pass",
            (),
            id="chinese-with-number",
        ),
        pytest.param(
            {"title": "Increase conversion to 25%", "statement": ""},
            "pass",
            (),
            id="vague-word-with-number",
        ),
        pytest.param(
            {"title": "Conversion of web leads", "statement": "Measured weekly by the SDR team."},
            "pass",
            (),
            id="no-number-but-not-vague",
        ),
        pytest.param(
            {"title": "Morecambe office conversion", "statement": "Moreover, weekly reviews."},
            "pass",
            (),
            id="vague-word-only-inside-other-words",
        ),
    ],
)
def test_specific(changes: dict[str, Any], level: str, fragments: tuple[str, ...]) -> None:
    assert_criterion(run(**changes).get("specific"), level, fragments)


# --- measurable ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "level", "fragments"),
    [
        pytest.param({}, "pass", ("Conversion rate", "20%", "25%"), id="percent"),
        pytest.param(
            {"kpi": SALES_CYCLE, "baseline": Decimal("90"), "target": Decimal("60")},
            "pass",
            ("90 days", "60 days"),
            id="days",
        ),
        pytest.param(
            {"kpi": REVENUE, "baseline": Decimal("1000000"), "target": Decimal("1200000")},
            "pass",
            ("1,200,000",),
            id="currency",
        ),
        pytest.param({"target": Decimal("100")}, "pass", ("100%",), id="percent-upper-bound"),
        pytest.param({"target": Decimal("0")}, "pass", ("0%",), id="percent-lower-bound"),
        pytest.param(
            {
                "kpi": KpiInfo(name="Win/loss ratio", unit="ratio", lower_is_better=False),
                "baseline": Decimal("-1"),
                "target": Decimal("-0.5"),
            },
            "pass",
            ("-0.5",),
            id="ratio-may-be-negative",
        ),
        pytest.param({"kpi": None}, "fail", ("KPI",), id="no-kpi"),
        pytest.param({"target": None}, "fail", ("target",), id="no-target"),
        pytest.param(
            {"target": Decimal("120")}, "fail", ("between 0% and 100%", "120%"), id="percent-high"
        ),
        pytest.param(
            {"target": Decimal("-5")}, "fail", ("between 0% and 100%", "-5%"), id="percent-low"
        ),
        pytest.param(
            {
                "kpi": KpiInfo(name="Meetings", unit="count", lower_is_better=False),
                "target": Decimal("-1"),
            },
            "fail",
            ("negative", "-1"),
            id="negative-count",
        ),
        pytest.param(
            {"kpi": REVENUE, "target": Decimal("-100")},
            "fail",
            ("negative",),
            id="negative-currency",
        ),
        pytest.param(
            {"kpi": SALES_CYCLE, "target": Decimal("-3")},
            "fail",
            ("negative", "-3 days"),
            id="negative-days",
        ),
        pytest.param(
            {
                "kpi": KpiInfo(name="Response time", unit="hours", lower_is_better=True),
                "target": Decimal("-1"),
            },
            "fail",
            ("negative", "-1 hour"),
            id="negative-hours",
        ),
        pytest.param(
            {"baseline": None}, "warn", ("baseline", "unknown", "record"), id="no-baseline"
        ),
    ],
)
def test_measurable(changes: dict[str, Any], level: str, fragments: tuple[str, ...]) -> None:
    assert_criterion(run(**changes).get("measurable"), level, fragments)


# --- achievable ----------------------------------------------------------------------------


def cycle(baseline: str, target: str) -> dict[str, Any]:
    return {"kpi": SALES_CYCLE, "baseline": Decimal(baseline), "target": Decimal(target)}


@pytest.mark.parametrize(
    ("changes", "history", "level", "fragments"),
    [
        pytest.param(
            {},
            TEAM_HISTORY,
            "pass",
            ("Needs +25%", "the team has done +28% in a quarter"),
            id="conversion-20-to-25-passes",
        ),
        pytest.param(
            {"target": Decimal("50")},
            TEAM_HISTORY,
            "fail",
            ("Needs +150%", "the best quarter in the last 8 was +28%"),
            id="conversion-20-to-50-fails",
        ),
        pytest.param(
            {"target": Decimal("27")},
            TEAM_HISTORY,
            "warn",
            ("Needs +35%", "the best quarter in the last 8 was +28%", "stretch"),
            id="stretch",
        ),
        pytest.param(
            {},
            History(changes=(0.25, 0.1), period_label="quarter", source="team"),
            "pass",
            ("+25%",),
            id="exactly-the-best-passes",
        ),
        pytest.param(
            {"target": Decimal("26")},
            History(changes=(0.2, 0.1), period_label="quarter", source="team"),
            "warn",
            ("Needs +30%", "+20%"),
            id="exactly-one-and-a-half-times-the-best-warns",
        ),
        pytest.param(
            {"target": Decimal("26.2")},
            History(changes=(0.2, 0.1), period_label="quarter", source="team"),
            "fail",
            ("Needs +31%", "+20%"),
            id="just-past-one-and-a-half-times-the-best-fails",
        ),
        pytest.param(
            cycle("90", "60"),
            History(changes=(-0.05, 0.02, -0.35, -0.1), period_label="quarter", source="team"),
            "pass",
            ("Needs -33%", "-35%"),
            id="sales-cycle-90-to-60-passes",
        ),
        pytest.param(
            cycle("90", "60"),
            History(changes=(-0.05, 0.02, -0.1, 0.04), period_label="quarter", source="team"),
            "fail",
            ("Needs -33%", "the best quarter in the last 4 was -10%"),
            id="sales-cycle-90-to-60-fails",
        ),
        pytest.param(
            cycle("90", "60"),
            History(changes=(-0.25, 0.1), period_label="quarter", source="team"),
            "warn",
            ("Needs -33%", "-25%"),
            id="sales-cycle-stretch",
        ),
        pytest.param(
            {},
            History(changes=(-0.02, -0.05, 0.0), period_label="quarter", source="team"),
            "fail",
            ("Needs +25%", "never improved", "the best quarter in the last 3 was 0%"),
            id="never-improved",
        ),
        pytest.param(
            cycle("90", "80"),
            History(changes=(0.05, 0.1), period_label="month", source="team"),
            "fail",
            ("Needs -11%", "never improved", "the best month in the last 2 was +5%"),
            id="lower-is-better-never-improved",
        ),
        pytest.param(
            {},
            replace(TEAM_HISTORY, source="comparable"),
            "pass",
            ("Needs +25%", "comparable teams have done +28%"),
            id="comparable-pass",
        ),
        pytest.param(
            {"target": Decimal("27")},
            replace(TEAM_HISTORY, source="comparable"),
            "warn",
            ("Needs +35%", "comparable teams", "+28%"),
            id="comparable-stretch",
        ),
        pytest.param(
            {"target": Decimal("50")},
            replace(TEAM_HISTORY, source="comparable"),
            "fail",
            ("Needs +150%", "comparable teams", "last 8", "+28%"),
            id="comparable-fail",
        ),
        pytest.param(
            {},
            History(changes=(-0.02, -0.05), period_label="quarter", source="comparable"),
            "fail",
            ("comparable teams never improved", "-2%"),
            id="comparable-never-improved",
        ),
        pytest.param(
            {"target": Decimal("50")},
            replace(TEAM_HISTORY, period_label="季度"),
            "fail",
            ("+150%", "季度"),
            id="translated-period-label",
        ),
        pytest.param({}, NO_HISTORY, "warn", ("no history", "+25%"), id="no-history"),
        pytest.param(
            {},
            History(changes=(0.3,), period_label="quarter", source="team"),
            "warn",
            ("no history",),
            id="one-change-is-not-history",
        ),
        pytest.param(
            {},
            History(changes=QUARTER_CHANGES, period_label="quarter", source="none"),
            "warn",
            ("no history",),
            id="source-none-ignores-changes",
        ),
        pytest.param({"baseline": None}, TEAM_HISTORY, "warn", ("baseline",), id="no-baseline"),
        pytest.param({"target": None}, TEAM_HISTORY, "warn", ("target",), id="no-target"),
        pytest.param({"kpi": None}, TEAM_HISTORY, "warn", ("KPI",), id="no-kpi"),
        pytest.param(
            {"baseline": Decimal("0")},
            TEAM_HISTORY,
            "warn",
            ("baseline is 0", "no relative change"),
            id="zero-baseline",
        ),
        pytest.param(
            {"target": Decimal("20")},
            TEAM_HISTORY,
            "warn",
            ("not better than the baseline",),
            id="target-equals-baseline",
        ),
        pytest.param(
            {"target": Decimal("18")},
            TEAM_HISTORY,
            "warn",
            ("not better than the baseline", "18%", "20%"),
            id="target-worse",
        ),
        pytest.param(
            cycle("90", "100"),
            TEAM_HISTORY,
            "warn",
            ("not better than the baseline", "100 days", "90 days"),
            id="lower-is-better-target-worse",
        ),
        pytest.param(
            {
                "kpi": KpiInfo(name="Margin", unit="ratio", lower_is_better=False),
                "baseline": Decimal("-2"),
                "target": Decimal("-1"),
            },
            History(changes=(0.3, 0.6), period_label="quarter", source="team"),
            "pass",
            ("Needs +50%", "+60%"),
            id="negative-baseline-uses-its-magnitude",
        ),
    ],
)
def test_achievable(
    changes: dict[str, Any], history: History, level: str, fragments: tuple[str, ...]
) -> None:
    assert_criterion(run(history=history, **changes).get("achievable"), level, fragments)


# --- relevant ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "level", "fragments"),
    [
        pytest.param(
            {"level": "company", "parent_kpi_name": None}, "pass", ("company",), id="company"
        ),
        pytest.param({"parent_kpi_name": None}, "fail", ("parent goal",), id="team-no-parent"),
        pytest.param(
            {"level": "individual", "parent_kpi_name": None},
            "fail",
            ("link it to a parent goal or mark it as a company goal",),
            id="individual-no-parent",
        ),
        pytest.param({}, "pass", ("same KPI", "Conversion rate"), id="same-kpi"),
        pytest.param(
            {"parent_kpi_name": " conversion RATE "}, "pass", ("same KPI",), id="same-kpi-any-case"
        ),
        pytest.param(
            {"parent_kpi_name": "Revenue", "contribution": "More won deals at the same traffic."},
            "pass",
            (
                "Contributes to the parent's Revenue through Conversion rate: "
                "More won deals at the same traffic.",
            ),
            id="different-kpi-with-contribution",
        ),
        pytest.param(
            {"parent_kpi_name": "Revenue", "contribution": "  "},
            "warn",
            ("say how Conversion rate contributes to the parent's Revenue",),
            id="different-kpi-without-contribution",
        ),
        pytest.param(
            {"kpi": None, "parent_kpi_name": "Revenue", "contribution": "More deals."},
            "pass",
            ("Revenue", "More deals."),
            id="no-kpi-with-contribution",
        ),
        pytest.param(
            {"kpi": None, "parent_kpi_name": "Revenue"},
            "warn",
            ("contributes to the parent's Revenue",),
            id="no-kpi-without-contribution",
        ),
    ],
)
def test_relevant(changes: dict[str, Any], level: str, fragments: tuple[str, ...]) -> None:
    assert_criterion(run(**changes).get("relevant"), level, fragments)


# --- time-bound ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "today", "horizon", "level", "fragments"),
    [
        pytest.param({}, TODAY, 12, "pass", ("13 weeks", "2025-04-02"), id="quarter-in-weeks"),
        pytest.param(
            {"due": date(2025, 4, 1)}, TODAY, 12, "pass", ("90 days",), id="quarter-in-days"
        ),
        pytest.param({"due": date(2025, 1, 8)}, TODAY, 12, "pass", ("7 days",), id="one-week"),
        pytest.param({"start": None}, TODAY, 12, "fail", ("start date",), id="no-start"),
        pytest.param({"due": None}, TODAY, 12, "fail", ("due date",), id="no-due"),
        pytest.param(
            {"due": date(2025, 1, 1)}, TODAY, 12, "fail", ("not after",), id="due-equals-start"
        ),
        pytest.param(
            {"due": date(2024, 12, 1)}, TODAY, 12, "fail", ("not after",), id="due-before-start"
        ),
        pytest.param(
            {"due": date(2026, 1, 1)}, TODAY, 12, "pass", (), id="due-on-horizon-boundary"
        ),
        pytest.param(
            {"due": date(2026, 1, 2)},
            TODAY,
            12,
            "fail",
            ("planning horizon of 12 months",),
            id="beyond-horizon",
        ),
        pytest.param(
            {"start": date(2025, 1, 31), "due": date(2025, 2, 28)},
            date(2025, 1, 31),
            1,
            "pass",
            (),
            id="horizon-clamps-to-month-end",
        ),
        pytest.param(
            {"start": date(2025, 1, 31), "due": date(2025, 3, 1)},
            date(2025, 1, 31),
            1,
            "fail",
            ("planning horizon of 1 month;",),
            id="beyond-one-month-horizon",
        ),
        pytest.param(
            {},
            date(2025, 5, 1),
            12,
            "warn",
            ("2025-04-02", "has passed"),
            id="due-date-passed",
        ),
        pytest.param({}, date(2025, 4, 2), 12, "pass", (), id="due-today-has-not-passed"),
    ],
)
def test_time_bound(
    changes: dict[str, Any], today: date, horizon: int, level: str, fragments: tuple[str, ...]
) -> None:
    report = run(today=today, horizon_months=horizon, **changes)
    assert_criterion(report.get("time_bound"), level, fragments)


# --- the report ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "history", "overall", "blocking", "needs_reason"),
    [
        pytest.param({}, TEAM_HISTORY, "pass", False, False, id="all-pass"),
        pytest.param({}, NO_HISTORY, "warn", False, False, id="warnings-only"),
        pytest.param({"target": None}, TEAM_HISTORY, "fail", True, False, id="measurable-fails"),
        pytest.param({"due": None}, TEAM_HISTORY, "fail", True, False, id="time-bound-fails"),
        pytest.param(
            {"scope_channel": "", "scope_segment": ""},
            TEAM_HISTORY,
            "fail",
            False,
            True,
            id="specific-fails",
        ),
        pytest.param(
            {"target": Decimal("50")}, TEAM_HISTORY, "fail", False, True, id="achievable-fails"
        ),
        pytest.param(
            {"parent_kpi_name": None}, TEAM_HISTORY, "fail", False, True, id="relevant-fails"
        ),
        pytest.param(
            {"kpi": None, "parent_kpi_name": None},
            TEAM_HISTORY,
            "fail",
            True,
            True,
            id="both-kinds-fail",
        ),
    ],
)
def test_report_flags(
    changes: dict[str, Any],
    history: History,
    overall: str,
    blocking: bool,
    needs_reason: bool,
) -> None:
    report = run(history=history, **changes)
    assert report.overall == overall
    assert report.blocking is blocking
    assert report.needs_reason is needs_reason


def test_report_lists_every_criterion_in_order() -> None:
    report = run()
    assert [c.key for c in report.criteria] == [
        "specific",
        "measurable",
        "achievable",
        "relevant",
        "time_bound",
    ]
    assert all(c.message for c in report.criteria)


def test_report_get_unknown_key() -> None:
    with pytest.raises(KeyError):
        run().get("ambitious")


def test_empty_report_passes() -> None:
    report = SmartReport(criteria=())
    assert (report.overall, report.blocking, report.needs_reason) == ("pass", False, False)


def test_messages_are_translated_at_check_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import goals.smart

    monkeypatch.setattr(goals.smart, "gettext", lambda message: f"<{message}>")
    report = run(parent_kpi_name="Revenue", contribution="")
    assert report.get("relevant").message == (
        "<The KPIs differ; say how Conversion rate contributes to the parent's Revenue.>"
    )
