"""The SMART check on the demo organisation's own history: 20% → 25% passes, 20% → 50% fails."""

import dataclasses
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from goals import selectors
from goals.models import Goal, GoalStatus, Measurement

TODAY = date(2026, 11, 28)


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=StringIO())
    return Goal.objects.get(org__slug="demo", title__contains="Conversion 20% → 25%")


def report(goal: Goal, target: str):
    values = dataclasses.replace(selectors.goal_values(goal), target=Decimal(target))
    with translation.override("en"):
        return selectors.smart_report_for(org=goal.org, values=values, today=TODAY)


def test_conversion_from_20_to_25_percent_passes_on_the_demo_history(demo):
    achievable = report(demo, "25").get("achievable")
    assert achievable.level == "pass"
    assert "+25%" in achievable.message and "+28%" in achievable.message


def test_conversion_from_20_to_50_percent_fails_with_the_numbers(demo):
    achievable = report(demo, "50").get("achievable")
    assert achievable.level == "fail"
    assert "+150%" in achievable.message and "+28%" in achievable.message


def test_demo_history_covers_two_years_and_seeding_again_adds_nothing(demo):
    months = Measurement.objects.filter(org=demo.org, kpi__key="new_leads", team=demo.team).count()
    assert months >= 24
    before = Measurement.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert Measurement.objects.count() == before


def test_demo_goals_cover_the_cases_and_statuses(demo):
    goals = Goal.objects.filter(org=demo.org)
    keys = set(goals.values_list("kpi__key", flat=True))
    assert {
        "sales_cycle_days",
        "revenue",
        "conversion_rate",
        "qualified_leads",
        "renewal_rate",
    } <= keys
    delivery = goals.get(kpi__key="on_time_delivery_rate")
    assert delivery.kpi.owning_team.name == "生产 / Production"
    assert delivery.team.name == "华东销售 / East Sales"
    assert set(goals.values_list("status", flat=True)) >= {
        GoalStatus.ACTIVE,
        GoalStatus.DRAFT,
        GoalStatus.ACHIEVED,
    }
    metrics = selectors.goal_metrics(
        goals=list(goals.select_related("kpi")), org=demo.org, today=TODAY
    )
    assert (
        metrics[delivery.pk].actual is not None
    )  # production's numbers count inside the sales goal
