"""Goal services and the numbers behind a goal: relations, transitions, progress and forecast."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from goals import selectors
from goals.models import Goal, GoalLevel, GoalStatus, Kpi
from goals.services import goals as goal_services
from goals.services import kpis as kpi_services
from salesops.models import Role

from ..factories import (
    GoalFactory,
    KpiFactory,
    MeasurementFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)

JAN, FEB, MAR, APR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)
HALF_YEAR = {"start_date": JAN, "due_date": date(2025, 6, 30)}


@pytest.fixture
def builtin(world) -> dict[str, Kpi]:
    kpi_services.kpis_ensure_builtin(org=world.org)
    return {kpi.key: kpi for kpi in Kpi.objects.for_org(world.org).exclude(key="")}


def make_goal(world, **fields: object) -> Goal:
    manager = world.user(Role.MANAGER)
    defaults = {"org": world.org, "team": world.team, "owner": manager, "created_by": manager}
    defaults.update(fields)
    return GoalFactory(**defaults)


def create(world, **values: object) -> Goal:
    base = {
        "title": "Win 30 deals",
        "statement": "Close 30 mid-market deals.",
        "scope_segment": "Mid-market",
        "baseline": Decimal(20),
        "target": Decimal(30),
        "start_date": JAN,
        "due_date": MAR.replace(day=31),
        "level": GoalLevel.TEAM,
        "team": world.team,
    }
    base.update(values)
    return goal_services.goal_create(actor=world.user(Role.MANAGER), org=world.org, **base)


def metrics_of(goal: Goal, today: date) -> selectors.GoalMetrics:
    goal = Goal.objects.select_related("kpi").get(pk=goal.pk)
    return selectors.goal_metrics(goals=[goal], org=goal.org, today=today)[goal.pk]


def measure(world, kpi: Kpi, month: date, value: object, team=None, owner=None) -> None:
    MeasurementFactory(
        org=world.org,
        kpi=kpi,
        team=team if team is not None or owner is not None else world.team,
        owner=owner,
        period_start=month,
        value=value,
    )


# --- goal_create: relations ------------------------------------------------------------------


def test_goal_create_saves_a_draft_owned_by_the_author(world, builtin):
    goal = create(world, kpi=builtin["deals_won"])

    assert goal.status == GoalStatus.DRAFT
    assert goal.owner == world.user(Role.MANAGER)
    assert goal.created_by == world.user(Role.MANAGER)
    assert goal.history.count() == 1


def test_goal_create_refuses_a_team_of_another_org(world, builtin):
    with pytest.raises(ValidationError) as error:
        create(world, kpi=builtin["deals_won"], team=world.other_team)

    assert "team" in error.value.message_dict
    assert not Goal.objects.exists()


def test_goal_create_refuses_an_archived_team(world, builtin):
    archived = TeamFactory(org=world.org, name="Old team", archived_at=timezone.now())

    with pytest.raises(ValidationError) as error:
        create(world, kpi=builtin["deals_won"], team=archived)

    assert error.value.message_dict["team"] == ["This team is archived."]
    assert not Goal.objects.exists()


def test_goal_create_refuses_an_owner_who_is_not_a_member(world, builtin):
    stranger = UserFactory()

    with pytest.raises(ValidationError) as error:
        create(world, kpi=builtin["deals_won"], owner=stranger)

    assert "owner" in error.value.message_dict
    assert not Goal.objects.exists()


def test_goal_create_refuses_an_owner_whose_membership_ended(world, builtin):
    former = MembershipFactory(org=world.org, role=Role.REP, is_active=False).user

    with pytest.raises(ValidationError) as error:
        create(world, kpi=builtin["deals_won"], owner=former)

    assert "owner" in error.value.message_dict
    assert not Goal.objects.exists()


def test_goal_create_refuses_an_owner_of_only_another_org(world, builtin):
    with pytest.raises(ValidationError) as error:
        create(world, kpi=builtin["deals_won"], owner=world.outsider.user)

    assert "owner" in error.value.message_dict
    assert not Goal.objects.exists()


def test_goal_create_refuses_a_kpi_of_another_org(world):
    foreign = KpiFactory(org=world.other_org)

    with pytest.raises(ValidationError) as error:
        create(world, kpi=foreign)

    assert "kpi" in error.value.message_dict
    assert not Goal.objects.exists()


def test_goal_create_refuses_an_archived_kpi(world):
    archived = KpiFactory(org=world.org, archived_at=timezone.now())

    with pytest.raises(ValidationError) as error:
        create(world, kpi=archived)

    assert error.value.message_dict["kpi"] == ["This KPI is archived."]
    assert not Goal.objects.exists()


def test_goal_create_refuses_a_parent_of_another_org(world, builtin):
    foreign = GoalFactory(org=world.other_org, team=world.other_team, owner=world.outsider.user)

    with pytest.raises(ValidationError) as error:
        create(world, kpi=builtin["deals_won"], parent=foreign)

    assert "parent" in error.value.message_dict
    assert Goal.objects.for_org(world.org).count() == 0


@pytest.mark.parametrize("level", [GoalLevel.TEAM, GoalLevel.INDIVIDUAL])
def test_team_and_individual_goals_need_a_team(world, builtin, level):
    with pytest.raises(ValidationError) as error:
        create(world, kpi=builtin["deals_won"], level=level, team=None)

    assert "team" in error.value.message_dict
    assert not Goal.objects.exists()


def test_goal_create_refuses_a_due_date_before_the_start(world, builtin):
    with pytest.raises(ValidationError):
        create(world, kpi=builtin["deals_won"], start_date=MAR, due_date=FEB)

    assert not Goal.objects.exists()


def test_goal_create_accepts_a_parent_of_the_same_org(world, builtin):
    parent = make_goal(world, kpi=builtin["deals_won"], level=GoalLevel.COMPANY, team=None)

    child = create(world, kpi=builtin["deals_won"], parent=parent)

    assert child.parent == parent
    assert list(parent.children.all()) == [child]


# --- goal_update: cycles and reasons ----------------------------------------------------------


def test_a_goal_cannot_move_under_its_own_sub_goal(world, builtin):
    top = make_goal(world, title="Top", kpi=builtin["deals_won"])
    middle = make_goal(world, title="Middle", kpi=builtin["deals_won"], parent=top)
    bottom = make_goal(world, title="Bottom", kpi=builtin["deals_won"], parent=middle)

    with pytest.raises(ValidationError) as error:
        goal_services.goal_update(actor=world.user(Role.MANAGER), goal=top, parent=bottom)

    assert "parent" in error.value.message_dict
    top.refresh_from_db()
    assert top.parent is None


def test_a_goal_cannot_be_its_own_parent(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"])

    with pytest.raises(ValidationError) as error:
        goal_services.goal_update(actor=world.user(Role.MANAGER), goal=goal, parent=goal)

    assert "parent" in error.value.message_dict
    goal.refresh_from_db()
    assert goal.parent is None


def test_a_goal_may_move_under_a_sibling(world, builtin):
    top = make_goal(world, title="Top", kpi=builtin["deals_won"])
    one = make_goal(world, title="One", kpi=builtin["deals_won"], parent=top)
    two = make_goal(world, title="Two", kpi=builtin["deals_won"], parent=top)

    goal_services.goal_update(actor=world.user(Role.MANAGER), goal=two, parent=one)

    two.refresh_from_db()
    assert two.parent == one


def test_an_active_goals_dates_move_only_with_a_reason(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE, **HALF_YEAR)
    later = date(2025, 9, 30)

    with pytest.raises(ValidationError) as error:
        goal_services.goal_update(actor=world.user(Role.MANAGER), goal=goal, due_date=later)

    assert "reason" in error.value.message_dict
    goal.refresh_from_db()
    assert goal.due_date == date(2025, 6, 30)

    goal_services.goal_update(
        actor=world.user(Role.MANAGER), goal=goal, due_date=later, reason="Launch slipped"
    )

    goal.refresh_from_db()
    assert goal.due_date == later
    assert goal.history.first().history_change_reason == "Launch slipped"


def test_setting_the_same_target_again_needs_no_reason(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE, target=120)

    goal_services.goal_update(
        actor=world.user(Role.MANAGER), goal=goal, target=Decimal("120.0000"), title="Renamed"
    )

    goal.refresh_from_db()
    assert goal.title == "Renamed"


# --- goal_close and goal_activate -----------------------------------------------------------------


@pytest.mark.parametrize("status", [GoalStatus.ACHIEVED, GoalStatus.MISSED, GoalStatus.CANCELLED])
def test_an_active_goal_closes_as_achieved_missed_or_cancelled(world, builtin, status):
    goal = make_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE)

    goal_services.goal_close(actor=world.user(Role.MANAGER), goal=goal, status=status)

    goal.refresh_from_db()
    assert goal.status == status
    assert goal.history.first().history_change_reason == status


def test_a_draft_goal_may_only_be_cancelled(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"])

    for status in (GoalStatus.ACHIEVED, GoalStatus.MISSED):
        with pytest.raises(ValidationError):
            goal_services.goal_close(actor=world.user(Role.MANAGER), goal=goal, status=status)
        goal.refresh_from_db()
        assert goal.status == GoalStatus.DRAFT

    goal_services.goal_close(actor=world.user(Role.MANAGER), goal=goal, status=GoalStatus.CANCELLED)
    goal.refresh_from_db()
    assert goal.status == GoalStatus.CANCELLED


@pytest.mark.parametrize("closed", [GoalStatus.ACHIEVED, GoalStatus.MISSED, GoalStatus.CANCELLED])
def test_a_closed_goal_stays_closed(world, builtin, closed):
    goal = make_goal(world, kpi=builtin["deals_won"], status=closed)

    with pytest.raises(ValidationError):
        goal_services.goal_close(
            actor=world.user(Role.MANAGER), goal=goal, status=GoalStatus.CANCELLED
        )
    with pytest.raises(ValidationError):
        goal_services.goal_update(actor=world.user(Role.MANAGER), goal=goal, title="Reopened")
    with pytest.raises(ValidationError):
        goal_services.goal_activate(actor=world.user(Role.MANAGER), goal=goal, reason="Again")

    goal.refresh_from_db()
    assert goal.status == closed
    assert goal.title != "Reopened"


@pytest.mark.parametrize("status", ["active", "draft", "done", ""])
def test_goal_close_refuses_a_status_that_does_not_close(world, builtin, status):
    goal = make_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE)

    with pytest.raises(ValidationError) as error:
        goal_services.goal_close(actor=world.user(Role.MANAGER), goal=goal, status=status)

    assert "status" in error.value.message_dict
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE


def test_goal_activate_refuses_a_goal_with_a_negative_target(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"], baseline=None, target=-5)

    with pytest.raises(ValidationError) as error:
        goal_services.goal_activate(actor=world.user(Role.MANAGER), goal=goal, reason="Please")

    assert "cannot be negative" in " ".join(error.value.messages)
    goal.refresh_from_db()
    assert goal.status == GoalStatus.DRAFT


def test_goal_activate_keeps_no_reason_when_none_was_needed(world, builtin):
    parent = make_goal(world, kpi=builtin["deals_won"], level=GoalLevel.COMPANY, team=None)
    goal = make_goal(world, kpi=builtin["deals_won"], parent=parent)

    goal_services.goal_activate(
        actor=world.user(Role.MANAGER), goal=goal, reason="Not needed", today=goal.start_date
    )

    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE
    assert goal.activation_reason == ""


# --- progress and forecast ---------------------------------------------------------------------


def test_sum_kpi_progress_is_cumulative_over_the_goal(world, builtin):
    won = builtin["deals_won"]
    goal = make_goal(
        world, kpi=won, baseline=None, target=600, status=GoalStatus.ACTIVE, **HALF_YEAR
    )
    for month in (JAN, FEB, MAR):
        measure(world, won, month, 100)
    measure(world, won, date(2024, 12, 1), 50)  # before the goal: only the suggested baseline
    measure(world, won, FEB, 999, team=TeamFactory(org=world.org))  # another team's deals

    metrics = metrics_of(goal, today=date(2025, 3, 31))

    assert metrics.actual == 300
    assert metrics.progress == pytest.approx(0.5)
    assert metrics.progress_percent == 50
    assert metrics.actual_series == [100, 200, 300, None, None, None]
    assert metrics.expected == pytest.approx(89 / 180)
    assert metrics.health == "on_track"
    assert metrics.baseline_suggested == 50
    # 100 more each month: the straight line reaches about 600 at the end of June.
    assert metrics.forecast == pytest.approx(600, rel=0.05)


def test_cumulative_goal_without_measurements_has_no_progress(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE, **HALF_YEAR)

    metrics = metrics_of(goal, today=date(2025, 3, 31))

    assert (metrics.actual, metrics.progress, metrics.forecast) == (None, None, None)
    assert metrics.health == "unknown"


def test_progress_of_a_goal_that_has_not_started_expects_nothing(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE, **HALF_YEAR)

    metrics = metrics_of(goal, today=date(2024, 12, 15))

    assert metrics.expected == 0
    assert metrics.health == "unknown"


def test_ratio_kpi_progress_is_total_won_over_total_leads(world, builtin):
    goal = make_goal(
        world,
        kpi=builtin["conversion_rate"],
        baseline=2,
        target=6,
        status=GoalStatus.ACTIVE,
        start_date=JAN,
        due_date=MAR.replace(day=31),
    )
    measure(world, builtin["deals_won"], JAN, 10)
    measure(world, builtin["new_leads"], JAN, 100)
    measure(world, builtin["deals_won"], FEB, 10)
    measure(world, builtin["new_leads"], FEB, 400)

    metrics = metrics_of(goal, today=date(2025, 2, 28))

    # (10 + 10) ÷ (100 + 400) = 4%; the average of the monthly ratios would be 6.25%.
    assert metrics.actual == pytest.approx(4.0)
    assert metrics.progress == pytest.approx(0.5)


def test_ratio_kpi_monthly_series_is_each_months_own_ratio(world, builtin):
    goal = make_goal(
        world,
        kpi=builtin["conversion_rate"],
        baseline=2,
        target=6,
        start_date=JAN,
        due_date=MAR.replace(day=31),
    )
    measure(world, builtin["deals_won"], JAN, 10)
    measure(world, builtin["new_leads"], JAN, 100)
    measure(world, builtin["deals_won"], FEB, 10)
    measure(world, builtin["new_leads"], FEB, 400)

    metrics = metrics_of(goal, today=date(2025, 2, 28))

    assert metrics.actual_series == [pytest.approx(10.0), pytest.approx(2.5), None]


def test_ratio_kpi_without_leads_has_no_value(world, builtin):
    goal = make_goal(world, kpi=builtin["conversion_rate"], baseline=2, target=6, **HALF_YEAR)
    measure(world, builtin["deals_won"], JAN, 10)

    assert metrics_of(goal, today=date(2025, 1, 31)).actual is None


@pytest.mark.parametrize(("actual", "progress"), [(90, 0.5), (80, 1.0), (110, -0.5)])
def test_lower_is_better_progress_counts_a_fall_as_progress(world, builtin, actual, progress):
    cycle = builtin["sales_cycle_days"]
    assert cycle.lower_is_better
    goal = make_goal(
        world, kpi=cycle, baseline=100, target=80, status=GoalStatus.ACTIVE, **HALF_YEAR
    )
    measure(world, cycle, JAN, actual)

    metrics = metrics_of(goal, today=date(2025, 1, 31))

    assert metrics.actual == actual
    assert metrics.progress == pytest.approx(progress)


def test_average_kpi_uses_the_mean_of_the_months_values(world, builtin):
    cycle = builtin["sales_cycle_days"]
    goal = make_goal(world, kpi=cycle, baseline=100, target=80, **HALF_YEAR)
    for day in (date(2025, 1, 6), date(2025, 1, 13), date(2025, 1, 20)):
        MeasurementFactory(
            org=world.org,
            kpi=cycle,
            team=world.team,
            period_kind="week",
            period_start=day,
            value=90,
        )
    MeasurementFactory(
        org=world.org,
        kpi=cycle,
        team=world.team,
        period_kind="week",
        period_start=date(2025, 1, 27),
        value=70,
    )

    assert metrics_of(goal, today=date(2025, 1, 31)).actual == pytest.approx(85)


def test_cross_department_kpi_counts_the_owning_teams_measurements(world, builtin):
    production = TeamFactory(org=world.org, name="Production", kind="production")
    delivery = builtin["on_time_delivery_rate"]
    delivery.owning_team = production
    delivery.save()
    goal = make_goal(world, kpi=delivery, baseline=80, target=100, **HALF_YEAR)
    measure(world, delivery, JAN, 90, team=production)
    measure(world, delivery, JAN, 10, team=world.team)  # not East Sales' number to give

    metrics = metrics_of(goal, today=date(2025, 1, 31))

    assert metrics.actual == 90
    assert metrics.progress == pytest.approx(0.5)
    goal = Goal.objects.select_related("kpi").get(pk=goal.pk)
    assert [m.team for m in selectors.measurements_for(goal=goal)] == [production]
    assert selectors.measurement_scope_for(goal) == (production, None)


def test_individual_goal_counts_only_the_owners_measurements(world, builtin):
    rep = world.user(Role.REP)
    won = builtin["deals_won"]
    goal = make_goal(world, kpi=won, level=GoalLevel.INDIVIDUAL, owner=rep, target=10, **HALF_YEAR)
    measure(world, won, JAN, 4, owner=rep)
    measure(world, won, JAN, 100)  # the whole team's deals

    assert metrics_of(goal, today=date(2025, 1, 31)).actual == 4


def test_company_goal_counts_every_teams_measurements(world, builtin):
    won = builtin["deals_won"]
    goal = make_goal(world, kpi=won, level=GoalLevel.COMPANY, team=None, target=100, **HALF_YEAR)
    measure(world, won, JAN, 10)
    measure(world, won, JAN, 15, team=TeamFactory(org=world.org))

    assert metrics_of(goal, today=date(2025, 1, 31)).actual == 25


def test_health_is_off_track_when_far_behind_the_calendar(world, builtin):
    won = builtin["deals_won"]
    goal = make_goal(world, kpi=won, target=600, status=GoalStatus.ACTIVE, **HALF_YEAR)
    measure(world, won, JAN, 10)

    metrics = metrics_of(goal, today=date(2025, 5, 31))

    assert metrics.health == "off_track"


def test_metrics_of_many_goals_come_from_a_fixed_number_of_queries(
    world, builtin, django_assert_max_num_queries
):
    selectors.goal_policy(org=world.org)
    goals = [
        make_goal(world, kpi=builtin[key], team=TeamFactory(org=world.org), **HALF_YEAR)
        for key in ("deals_won", "conversion_rate", "sales_cycle_days", "revenue") * 5
    ]
    goals = list(Goal.objects.filter(pk__in=[g.pk for g in goals]).select_related("kpi"))

    with django_assert_max_num_queries(2):
        metrics = selectors.goal_metrics(goals=goals, org=world.org, today=date(2025, 3, 31))

    assert set(metrics) == {goal.pk for goal in goals}
