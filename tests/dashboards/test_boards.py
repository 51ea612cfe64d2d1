"""Dashboards: who sees which board, filters, tile values from rollups, goals furthest behind,
collaboration health under the anonymity rules, the KPI breakdown, and query counts that stay
the same however much data an organisation has."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actionplans.models import MilestoneStatus
from dashboards.board_forms import DashboardFilterForm
from dashboards.boards import (
    BoardFilters,
    combined_value,
    kpi_breakdown,
    leadership_board,
    my_board,
    resolve_period,
    team_board,
)
from dashboards.models import Alert, AlertRule, GoalSnapshot, KpiRollup
from dashboards.rollups import rollups_rebuild
from dashboards.snapshots import goal_snapshots_take
from feedback import services as feedback
from goals.periods import add_months, month_start, week_start
from goals.services.checkins import org_today
from goals.services.measurements import measurement_record
from salesops.models import Role

from ..conftest import client_for
from ..factories import (
    ActionPlanFactory,
    GoalFactory,
    KpiFactory,
    MembershipFactory,
    MilestoneFactory,
    ResourceFactory,
    TeamFactory,
    TeamMembershipFactory,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def today_of(org) -> date:
    return org_today(org).date()


def url(world, name: str, **kwargs) -> str:
    return reverse(f"dashboards:{name}", kwargs={"org_slug": world.org.slug, **kwargs})


def record(world, kpi, day: date, value, *, team=None, owner=None) -> None:
    measurement_record(
        actor=world.user(Role.ADMIN),
        org=world.org,
        kpi=kpi,
        day=day,
        value=Decimal(value),
        period_kind="month",
        team=team,
        owner=owner,
    )


def active_goal(world, kpi, **values):
    today = today_of(world.org)
    defaults = {
        "org": world.org,
        "kpi": kpi,
        "status": "active",
        "level": "company",
        "team": None,
        "owner": world.user(Role.LEADER),
        "target": 1000,
        "start_date": add_months(month_start(today), -2),
        "due_date": add_months(month_start(today), 4),
    }
    defaults.update(values)
    return GoalFactory(**defaults)


# --- periods, pure ------------------------------------------------------------------------


def test_quarter_follows_the_fiscal_year():
    period = resolve_period(
        filters=BoardFilters(period="quarter"), today=date(2026, 5, 15), fiscal_start_month=4
    )
    assert (period.start, period.end) == (date(2026, 4, 1), date(2026, 6, 30))
    assert period.previous == (date(2026, 1, 1),)
    assert len(period.spark) == 8 and period.spark[-1] == date(2026, 4, 1)
    assert period.label(date(2026, 4, 1)) == "Q1 2026-04"


def test_week_period_starts_on_monday_with_twelve_points():
    period = resolve_period(
        filters=BoardFilters(period="week"), today=date(2026, 5, 14), fiscal_start_month=1
    )
    assert period.start == date(2026, 5, 11) and period.end == date(2026, 5, 17)
    assert period.previous == (date(2026, 5, 4),)
    assert len(period.spark) == 12


def test_custom_range_covers_whole_months_and_compares_with_as_many_before():
    period = resolve_period(
        filters=BoardFilters(period="custom", start=date(2026, 1, 15), end=date(2026, 3, 2)),
        today=date(2026, 5, 14),
        fiscal_start_month=1,
    )
    assert (period.start, period.end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert period.buckets == (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1))
    assert period.previous == (date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1))
    assert period.spark[-1] == date(2026, 3, 1) and len(period.spark) == 12


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"period": "custom", "start": "2026-05-01", "end": "2026-01-01"}, "end"),
        ({"period": "custom", "start": "2023-01-01", "end": "2026-01-01"}, "end"),
        ({"period": "custom", "start": "2026-01-01"}, "end"),
        ({"period": "custom", "start": "not a day", "end": "2026-01-01"}, "start"),
        ({"period": "fortnight"}, "period"),
    ],
)
def test_filter_form_refuses_bad_ranges(data, field):
    form = DashboardFilterForm(data)
    assert not form.is_valid()
    assert field in form.errors
    assert form.filters() == BoardFilters()


def test_filter_form_refuses_a_team_the_viewer_may_not_pick(world):
    form = DashboardFilterForm({"period": "month", "team": world.other_team.pk}, teams=[world.team])
    assert not form.is_valid() and "team" in form.errors
    form = DashboardFilterForm({"period": "month", "team": world.team.pk}, teams=[world.team])
    assert form.is_valid() and form.filters().team == world.team


# --- who sees which board -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("leader", 200), ("manager", 403), ("rep", 403), ("member", 403)],
)
def test_only_leaders_and_admins_see_the_leadership_board(world, clients, role, status):
    assert clients[role].get(url(world, "leadership")).status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("leader", 200), ("manager", 200), ("rep", 403), ("member", 403)],
)
def test_team_board_for_leaders_and_the_teams_managers(world, clients, role, status):
    assert clients[role].get(url(world, "team_dashboard", pk=world.team.pk)).status_code == status


def test_manager_cannot_see_another_teams_board(world, clients):
    west = TeamFactory(org=world.org, name="West")
    assert clients["manager"].get(url(world, "team_dashboard", pk=west.pk)).status_code == 403


def test_another_organisations_team_is_not_found(world, clients):
    response = clients["leader"].get(url(world, "team_dashboard", pk=world.other_team.pk))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["admin", "leader", "manager", "rep", "member"])
def test_everyone_has_their_own_board(world, clients, role):
    assert clients[role].get(url(world, "my_dashboard")).status_code == 200


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("leader", 200), ("manager", 200), ("rep", 403), ("member", 403)],
)
def test_kpi_breakdown_is_for_managers_and_up(world, clients, role, status):
    kpi = KpiFactory(org=world.org)
    assert clients[role].get(url(world, "kpi_insight", pk=kpi.pk)).status_code == status


def test_another_organisations_kpi_is_not_found(world, clients):
    kpi = KpiFactory(org=world.other_org)
    assert clients["leader"].get(url(world, "kpi_insight", pk=kpi.pk)).status_code == 404


def test_empty_boards_say_so(world, clients):
    html = clients["leader"].get(url(world, "leadership")).content.decode()
    for testid in ("no-tiles", "no-goals", "no-alerts", "no-milestones", "no-budget", "pulse-none"):
        assert f'data-testid="{testid}"' in html
    html = clients["rep"].get(url(world, "my_dashboard")).content.decode()
    assert 'data-testid="no-tiles"' in html and 'data-testid="pulse-card"' not in html


# --- htmx and filters ---------------------------------------------------------------------


def test_htmx_request_gets_only_the_board(world, clients):
    response = clients["leader"].get(url(world, "leadership") + "?period=quarter", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="board"') and "<html" not in html
    assert 'id="board-chart-data"' in html


def test_htmx_breakdown_gets_only_its_fragment(world, clients):
    kpi = KpiFactory(org=world.org)
    response = clients["manager"].get(url(world, "kpi_insight", pk=kpi.pk), **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="insight"') and "<html" not in html


def test_bad_custom_range_shows_errors_not_a_failure(world, clients):
    address = url(world, "leadership") + "?period=custom&start=2026-05-01&end=2026-01-01"
    response = clients["leader"].get(address)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in html
    assert "The last day must not be before the first." in html
    response = clients["leader"].get(address, **HTMX)
    assert response.status_code == 200
    assert "The last day must not be before the first." in response.content.decode()


def test_leadership_team_filter_refuses_another_organisations_team(world, clients):
    address = url(world, "leadership") + f"?period=month&team={world.other_team.pk}"
    response = clients["leader"].get(address)
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in response.content.decode()


# --- tiles from rollups -------------------------------------------------------------------


@pytest.fixture
def kpis(world):
    org = world.org
    today = today_of(org)
    this_month, last_month = month_start(today), add_months(month_start(today), -1)
    west = TeamFactory(org=org, name="West")
    rep = world.user(Role.REP)
    revenue = KpiFactory(org=org, name="Revenue", unit="currency", aggregation="sum")
    won = KpiFactory(org=org, name="Won", aggregation="sum")
    leads = KpiFactory(org=org, name="Leads", aggregation="sum")
    conversion = KpiFactory(
        org=org,
        name="Conversion",
        unit="percent",
        aggregation="ratio",
        numerator=won,
        denominator=leads,
    )
    cycle = KpiFactory(org=org, name="Sales cycle", unit="days", direction="lower")
    for day, east, west_value in [(last_month, 60, 40), (this_month, 100, 50)]:
        record(world, revenue, day, east, team=world.team, owner=rep)
        record(world, revenue, day, west_value, team=west)
    # Conversion: 2/20 = 10% last month, 5/20 = 25% this month (East 4/10, West 1/10).
    record(world, won, last_month, 2, team=world.team)
    record(world, leads, last_month, 20, team=world.team)
    record(world, won, this_month, 4, team=world.team, owner=rep)
    record(world, leads, this_month, 10, team=world.team, owner=rep)
    record(world, won, this_month, 1, team=west)
    record(world, leads, this_month, 10, team=west)
    record(world, cycle, last_month, 30, team=world.team)
    record(world, cycle, this_month, 40, team=world.team)
    rollups_rebuild(org=org)
    return {
        "revenue": revenue,
        "conversion": conversion,
        "cycle": cycle,
        "west": west,
        "won": won,
        "leads": leads,
    }


def tiles_by_kpi(board) -> dict:
    return {tile.kpi.pk: tile for tile in board.tiles}


def test_leadership_tiles_add_other_goals_kpis_after_the_company_ones_without_a_target(world, kpis):
    company = active_goal(world, kpis["revenue"], target=2000)
    active_goal(world, kpis["cycle"], level="team", team=world.team, target=20)
    board = leadership_board(
        membership=world.members[Role.LEADER], filters=BoardFilters(), today=today_of(world.org)
    )
    assert [tile.kpi.pk for tile in board.tiles] == [kpis["revenue"].pk, kpis["cycle"].pk]
    revenue, cycle = board.tiles
    assert revenue.goal == company
    assert cycle.goal is None  # a team's target is not the organisation's
    assert cycle.value is not None


def test_leadership_tiles_are_the_company_goals_kpis_valued_from_org_rollups(world, kpis):
    goal = active_goal(world, kpis["revenue"], target=2000)
    active_goal(world, kpis["conversion"], target=30)
    active_goal(world, kpis["cycle"], target=20)
    board = leadership_board(
        membership=world.members[Role.LEADER], filters=BoardFilters(), today=today_of(world.org)
    )
    tiles = tiles_by_kpi(board)
    assert set(tiles) == {kpis["revenue"].pk, kpis["conversion"].pk, kpis["cycle"].pk}

    revenue = tiles[kpis["revenue"].pk]
    assert (revenue.value, revenue.previous) == (150.0, 100.0)
    assert revenue.improved is True and revenue.goal == goal
    assert revenue.change_display == "+50.0%"
    assert revenue.value_display == "CNY 150"
    assert revenue.spark[-2:] == [100.0, 150.0] and len(revenue.spark) == 12

    conversion = tiles[kpis["conversion"].pk]
    assert (conversion.value, conversion.previous) == (25.0, 10.0)
    assert conversion.change_display == "+15.0 pts" and conversion.value_display == "25%"

    cycle = tiles[kpis["cycle"].pk]  # lower is better: a longer cycle is bad news
    assert cycle.improved is False and cycle.value_display == "40 d"


def test_tiles_render_values_and_link_to_the_breakdown(world, clients, kpis):
    active_goal(world, kpis["revenue"])
    html = clients["leader"].get(url(world, "leadership")).content.decode()
    assert "CNY 150" in html
    assert url(world, "kpi_insight", pk=kpis["revenue"].pk) + "?period=month" in html


def test_quarter_and_custom_periods_combine_month_rollups(world, kpis):
    active_goal(world, kpis["conversion"])
    today = today_of(world.org)
    last_month = add_months(month_start(today), -1)
    custom = BoardFilters(period="custom", start=last_month, end=today)
    board = leadership_board(membership=world.members[Role.LEADER], filters=custom, today=today)
    # Σwon ÷ Σleads over both months: (2 + 5) ÷ (20 + 20).
    assert board.tiles[0].value == pytest.approx(17.5)


def test_team_board_values_come_from_the_teams_rollups(world, kpis):
    goal = active_goal(world, kpis["revenue"], level="team", team=world.team, target=300)
    board = team_board(
        membership=world.members[Role.MANAGER],
        team=world.team,
        filters=BoardFilters(),
        today=today_of(world.org),
    )
    (tile,) = board.tiles
    assert (tile.value, tile.previous, tile.goal) == (100.0, 60.0, goal)


def test_leadership_team_filter_narrows_to_the_teams_rollups(world, kpis):
    active_goal(world, kpis["revenue"])
    team_goal = active_goal(world, kpis["revenue"], level="team", team=kpis["west"], target=90)
    board = leadership_board(
        membership=world.members[Role.LEADER],
        filters=BoardFilters(team=kpis["west"]),
        today=today_of(world.org),
    )
    (tile,) = board.tiles
    assert (tile.value, tile.previous, tile.goal) == (50.0, 40.0, team_goal)


def test_my_board_values_are_what_was_recorded_for_me(world, kpis):
    rep = world.user(Role.REP)
    active_goal(world, kpis["conversion"], level="individual", owner=rep, team=world.team)
    board = my_board(
        membership=world.members[Role.REP], filters=BoardFilters(), today=today_of(world.org)
    )
    (tile,) = board.tiles
    assert tile.value == 40.0 and tile.previous is None


def test_without_company_goals_the_leadership_board_shows_kpis_with_rollups(world, kpis):
    board = leadership_board(
        membership=world.members[Role.LEADER], filters=BoardFilters(), today=today_of(world.org)
    )
    assert {t.kpi.pk for t in board.tiles} >= {kpis["revenue"].pk, kpis["conversion"].pk}
    assert all(t.goal is None for t in board.tiles)


def test_combined_last_value_keeps_the_latest_day(world):
    kpi = KpiFactory(org=world.org, aggregation="last")
    rows = [
        KpiRollup(kpi=kpi, total=0, count=1, last_day=date(2026, 1, 31), last_value=5),
        KpiRollup(kpi=kpi, total=0, count=1, last_day=date(2026, 2, 28), last_value=7),
        KpiRollup(kpi=kpi, total=0, count=1, last_day=date(2026, 2, 28), last_value=3),
    ]
    assert combined_value(kpi, rows) == 10.0


# --- goals, milestones, budget, alerts ----------------------------------------------------


def test_goals_most_behind_come_from_the_latest_snapshots(world, clients):
    kpi = KpiFactory(org=world.org, aggregation="sum")
    today = today_of(world.org)
    goals = []
    for name, actual in [("Behind most", 5), ("Behind less", 15), ("Least behind", 25)]:
        team = TeamFactory(org=world.org, name=f"Team {name}")
        goal = active_goal(world, kpi, title=name, level="team", team=team, target=100)
        record(world, kpi, month_start(today), actual, team=team)
        goals.append(goal)
    goal_snapshots_take()
    # An older snapshot that looked worse must not count: only each goal's latest does.
    GoalSnapshot.objects.create(
        org=world.org,
        goal=goals[2],
        day=today - timedelta(days=3),
        progress=0.0,
        expected=0.9,
        status="off_track",
    )
    board = leadership_board(
        membership=world.members[Role.LEADER], filters=BoardFilters(), today=today
    )
    assert [item.goal.title for item in board.goals.behind] == [
        "Behind most",
        "Behind less",
        "Least behind",
    ]
    assert board.goals.active == 3 and board.goals.snapshotted == 3
    html = clients["leader"].get(url(world, "leadership")).content.decode()
    assert reverse("goals:goal_detail", kwargs={"org_slug": "acme", "pk": goals[0].pk}) in html


def test_milestones_and_budget_of_running_plans(world):
    today = today_of(world.org)
    this_week = week_start(today)
    plan = ActionPlanFactory(org=world.org, team=world.team)
    MilestoneFactory(
        plan=plan,
        due_week=this_week - timedelta(days=14),
        start_week=this_week - timedelta(days=21),
    )
    MilestoneFactory(
        plan=plan,
        due_week=this_week - timedelta(days=7),
        start_week=this_week - timedelta(days=14),
        status=MilestoneStatus.DONE,
    )
    MilestoneFactory(plan=plan, due_week=this_week, start_week=this_week)  # not due yet
    ResourceFactory(plan=plan, planned=1000, actual=300)
    ResourceFactory(plan=plan, planned=1000, actual=0)
    stopped = ActionPlanFactory(org=world.org, team=world.team, status="on_hold")
    ResourceFactory(plan=stopped, planned=5000, actual=5000)
    board = team_board(
        membership=world.members[Role.MANAGER], team=world.team, filters=BoardFilters(), today=today
    )
    assert (board.milestones.due, board.milestones.overdue) == (2, 1)
    assert board.milestones.completion == 50.0
    assert [m.due_week for m in board.milestones.most_overdue] == [this_week - timedelta(days=14)]
    assert (board.budget.planned, board.budget.actual, board.budget.plans) == (2000, 300, 1)
    assert board.budget.used_percent == 15


def make_alert(world, *, team=None, severity="warning", state="open", n=0) -> Alert:
    rule = AlertRule.objects.create(
        org=world.org,
        name=f"Rule {n}",
        subject="goal_gap",
        comparator="above",
        threshold=10,
        severity=severity,
    )
    return Alert.objects.create(
        org=world.org,
        rule=rule,
        subject_key=f"team:{team.pk}" if team else "org",
        subject_label=team.name if team else "Acme",
        team=team,
        period_kind="week",
        period_start=week_start(today_of(world.org)),
        severity=severity,
        comparator="above",
        threshold=10,
        value=20,
        state=state,
    )


def test_open_alerts_by_severity_and_narrowed_to_the_team(world):
    west = TeamFactory(org=world.org, name="West")
    make_alert(world, team=world.team, severity="critical", n=1)
    make_alert(world, team=world.team, state="acknowledged", n=2)
    make_alert(world, team=world.team, state="resolved", n=3)
    make_alert(world, team=west, n=4)
    today = today_of(world.org)
    org_board = leadership_board(
        membership=world.members[Role.LEADER], filters=BoardFilters(), today=today
    )
    assert org_board.alerts.by_severity == {"critical": 1, "warning": 2}
    east = team_board(
        membership=world.members[Role.MANAGER], team=world.team, filters=BoardFilters(), today=today
    )
    assert east.alerts.total == 2 and {a.team_id for a in east.alerts.latest} == {world.team.pk}


# --- collaboration health -----------------------------------------------------------------


def pulse_round(world, *, team_answers: int, others: int = 0, close: bool = True):
    leader = world.user(Role.LEADER)
    survey = feedback.survey_create_from_template(
        actor=leader, org=world.org, key="collaboration_pulse"
    )
    survey = feedback.survey_update(
        actor=leader, survey=survey, score_threshold=3, comment_threshold=3
    )
    feedback.question_add(
        actor=leader,
        survey=survey,
        spec=feedback.QuestionSpec(kind="enps", text="Would you recommend working here?"),
    )
    round_ = feedback.round_open(actor=None, survey=survey, announce=False)
    west = TeamFactory(org=world.org, name="Pulse West")
    for team, count in [(world.team, team_answers), (west, others)]:
        for _ in range(count):
            member = MembershipFactory(org=world.org, role=Role.MEMBER)
            TeamMembershipFactory(team=team, membership=member)
            answers = {
                q.pk: {"scale": 4, "enps": 9, "single": 0, "multiple": [0], "text": ""}[q.kind]
                for q in survey.questions.all()
            }
            feedback.response_submit(actor=member.user, round_=round_, answers=answers, team=team)
    if close:
        feedback.round_close(actor=None, round_=round_)
    return survey


def test_pulse_withheld_under_the_threshold_says_why(world, clients):
    pulse_round(world, team_answers=2, others=4)
    html = clients["manager"].get(url(world, "team_dashboard", pk=world.team.pk)).content.decode()
    assert 'data-testid="pulse-withheld"' in html
    assert "Fewer than 3 responses" in html
    assert 'data-testid="pulse-respondents"' not in html
    board = team_board(
        membership=world.members[Role.MANAGER],
        team=world.team,
        filters=BoardFilters(),
        today=today_of(world.org),
    )
    assert board.pulse is not None and board.pulse.respondents is None and board.pulse.enps is None


def test_pulse_shown_at_the_threshold(world):
    pulse_round(world, team_answers=3, others=3)
    today = today_of(world.org)
    board = team_board(
        membership=world.members[Role.MANAGER], team=world.team, filters=BoardFilters(), today=today
    )
    assert board.pulse is not None and board.pulse.state == "shown"
    assert board.pulse.enps == 100.0 and board.pulse.average == 4.0
    assert board.pulse.respondents == 3 and board.pulse.response_rate is None
    org_board = leadership_board(
        membership=world.members[Role.LEADER], filters=BoardFilters(), today=today
    )
    assert org_board.pulse is not None and org_board.pulse.respondents == 6
    assert org_board.pulse.response_rate is not None


def test_an_open_round_is_not_shown_yet(world):
    pulse_round(world, team_answers=3, others=3, close=False)
    board = leadership_board(
        membership=world.members[Role.LEADER], filters=BoardFilters(), today=today_of(world.org)
    )
    assert board.pulse is not None and board.pulse.state == "none"


# --- the KPI breakdown --------------------------------------------------------------------


def test_breakdown_by_team_and_owner(world, kpis):
    breakdown = kpi_breakdown(
        membership=world.members[Role.LEADER],
        kpi=kpis["revenue"],
        filters=BoardFilters(),
        today=today_of(world.org),
    )
    assert [(row.label, row.value) for row in breakdown.teams] == [
        ("East Sales", 100.0),
        ("West", 50.0),
    ]
    assert breakdown.total.value == 150.0
    assert [(row.owner, row.value) for row in breakdown.owners] == [(world.user(Role.REP), 100.0)]
    assert [s.kind for s in breakdown.series] == ["team", "team", "total"]


def test_breakdown_of_a_ratio_combines_parts(world, kpis):
    breakdown = kpi_breakdown(
        membership=world.members[Role.LEADER],
        kpi=kpis["conversion"],
        filters=BoardFilters(),
        today=today_of(world.org),
    )
    assert {row.label: row.value for row in breakdown.teams} == {"East Sales": 40.0, "West": 10.0}
    assert breakdown.total.value == 25.0


def test_managers_see_only_their_teams_in_the_breakdown(world, clients, kpis):
    breakdown = kpi_breakdown(
        membership=world.members[Role.MANAGER],
        kpi=kpis["revenue"],
        filters=BoardFilters(),
        today=today_of(world.org),
    )
    assert breakdown.narrowed
    assert [row.label for row in breakdown.teams] == ["East Sales"]
    assert breakdown.total.value == 100.0  # their teams together, not the organisation
    html = clients["manager"].get(url(world, "kpi_insight", pk=kpis["revenue"].pk)).content.decode()
    assert "East Sales" in html and f'data-team="{kpis["west"].pk}"' not in html
    html = clients["leader"].get(url(world, "kpi_insight", pk=kpis["revenue"].pk)).content.decode()
    assert f'data-team="{kpis["west"].pk}"' in html


def test_many_teams_fold_into_others(world):
    kpi = KpiFactory(org=world.org)
    day = month_start(today_of(world.org))
    for index in range(7):
        record(world, kpi, day, 10 + index, team=TeamFactory(org=world.org, name=f"T{index}"))
    rollups_rebuild(org=world.org)
    breakdown = kpi_breakdown(
        membership=world.members[Role.LEADER], kpi=kpi, filters=BoardFilters(), today=day
    )
    kinds = [s.kind for s in breakdown.series]
    assert kinds == ["team"] * 5 + ["others", "total"]
    assert breakdown.series[5].values[-1] == 10.0 + 11.0
    assert len(breakdown.teams) == 7


# --- query counts -------------------------------------------------------------------------


class Grower:
    """Adds `count` more of everything a board reads: KPIs with goals on every level, teams,
    measurements in two months, milestones, resources and alerts."""

    def __init__(self, world) -> None:
        self.world = world
        self.index = 0
        self.today = today_of(world.org)
        self.plan = ActionPlanFactory(org=world.org, team=world.team, owner=world.user(Role.REP))

    def grow(self, count: int) -> None:
        world, org = self.world, self.world.org
        rep, this_month = world.user(Role.REP), month_start(self.today)
        this_week = week_start(self.today)
        for _ in range(count):
            self.index += 1
            n = self.index
            team = TeamFactory(org=org, name=f"Grown {n}")
            member = MembershipFactory(org=org, role=Role.REP)
            TeamMembershipFactory(team=team, membership=member)
            colleague = MembershipFactory(org=org, role=Role.REP)
            TeamMembershipFactory(team=world.team, membership=colleague)
            kpi = KpiFactory(org=org, name=f"Grown KPI {n}")
            active_goal(world, kpi, title=f"Company {n}")
            active_goal(world, kpi, title=f"Team {n}", level="team", team=world.team)
            active_goal(world, kpi, title=f"Mine {n}", level="individual", owner=rep)
            active_goal(world, kpi, title=f"Other {n}", level="team", team=team)
            for day in (add_months(this_month, -1), this_month):
                record(world, kpi, day, 10 + n, team=team, owner=member.user)
                record(world, kpi, day, 5 + n, team=world.team, owner=rep)
                record(world, self.kpi, day, 3 + n, team=team, owner=member.user)
                record(world, self.kpi, day, 2 + n, team=world.team, owner=colleague.user)
            MilestoneFactory(
                plan=self.plan,
                owner=rep,
                due_week=this_week - timedelta(days=14),
                start_week=this_week - timedelta(days=21),
            )
            MilestoneFactory(plan=self.plan, owner=rep, status=MilestoneStatus.DONE)
            ResourceFactory(plan=self.plan, planned=100 * n, actual=10 * n)
            make_alert(world, team=world.team, n=n)
        rollups_rebuild(org=org)
        goal_snapshots_take()

    def setup(self) -> None:
        self.kpi = KpiFactory(org=self.world.org, name="Insight KPI")
        self.grow(2)


def queries(client, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("role", "name", "team"),
    [
        ("leader", "leadership", False),
        ("leader", "leadership?team", True),
        ("manager", "team_dashboard", True),
        ("rep", "my_dashboard", False),
        ("manager", "my_dashboard", False),
    ],
)
def test_board_query_count_is_constant_in_data_size(world, role, name, team):
    pulse_round(world, team_answers=3, others=3)
    grower = Grower(world)
    grower.setup()
    client = client_for(world.user(role))
    if name == "leadership?team":
        address = url(world, "leadership") + f"?period=month&team={world.team.pk}"
    elif team:
        address = url(world, name, pk=world.team.pk)
    else:
        address = url(world, name)
    small = queries(client, address)
    grower.grow(8)
    large = queries(client, address)
    assert large == small, (small, large)
    assert small <= 40


@pytest.mark.parametrize("role", ["leader", "manager"])
def test_breakdown_query_count_is_constant_in_data_size(world, role):
    grower = Grower(world)
    grower.setup()
    client = client_for(world.user(role))
    address = url(world, "kpi_insight", pk=grower.kpi.pk) + "?period=quarter"
    small = queries(client, address)
    grower.grow(8)
    large = queries(client, address)
    assert large == small, (small, large)
    assert small <= 15
