"""Print how fast the main pages answer on a large organisation.

`make bench` runs this against a throw-away test database (PostgreSQL when
DATABASE_URL is set, else SQLite). It prints figures; it asserts nothing.
"""

import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesops.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

TEAMS = 200
MEMBERS = 2000
GOALS = 300
PLANS = 200
MILESTONES_PER_PLAN = 12
RUNS = 15


def populate() -> tuple[str, str]:
    from salesops.models import Membership, Organization, Role, Team, TeamMembership, User
    from salesops.services.accounts import api_token_create

    org = Organization.objects.create(slug="bench", name="Bench Co")
    parents: list[Team] = []
    teams = []
    for index in range(TEAMS):
        parent = parents[index % len(parents)] if parents and index % 4 else None
        team = Team.objects.create(org=org, name=f"Team {index:03d}", parent=parent)
        teams.append(team)
        if index < 20:
            parents.append(team)
    users = User.objects.bulk_create(
        User(email=f"bench{index}@example.com", display_name=f"Person {index:04d}")
        for index in range(MEMBERS)
    )
    roles = [Role.REP, Role.REP, Role.REP, Role.MANAGER, Role.MEMBER]
    memberships = Membership.objects.bulk_create(
        Membership(org=org, user=user, role=roles[index % len(roles)])
        for index, user in enumerate(users)
    )
    TeamMembership.objects.bulk_create(
        TeamMembership(team=teams[index % TEAMS], membership=membership)
        for index, membership in enumerate(memberships)
    )
    admin = User.objects.create_user(
        email="admin@bench.example.com", password="bench-pass-123", display_name="Admin"
    )
    Membership.objects.create(org=org, user=admin, role=Role.ADMIN)
    _token, secret = api_token_create(user=admin, org=org, name="bench")
    populate_goals(org, teams, admin)
    populate_plans(org, teams, admin)
    return admin.email, secret


def populate_plans(org, teams, admin) -> None:  # type: ignore[no-untyped-def]
    """200 running plans of 12 milestones each, with weekly updates. Reps own the milestones;
    the admin owns every milestone of the first five plans (60, 40 of them on "This week")."""
    from datetime import timedelta

    from django.utils import timezone

    from actionplans.models import ActionPlan, Milestone, MilestoneUpdate, Resource, Risk
    from salesops.models import User

    reps = list(User.objects.filter(memberships__org=org, memberships__role="rep")[:500])

    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    plans = ActionPlan.objects.bulk_create(
        ActionPlan(
            org=org,
            title=f"Plan {index:03d}",
            owner=admin,
            team=teams[index % 20],
            start_date=monday - timedelta(weeks=6),
            end_date=monday + timedelta(weeks=6),
            status="active",
        )
        for index in range(PLANS)
    )
    milestones = Milestone.objects.bulk_create(
        Milestone(
            plan=plan,
            title=f"Milestone {number}",
            owner=admin if plan_index < 5 else reps[(plan_index * 12 + number) % len(reps)],
            start_week=monday + timedelta(weeks=number - 7),
            due_week=monday + timedelta(weeks=number - 6),
            status="in_progress" if number < 8 else "not_started",
            progress=min(100, number * 8),
            position=number,
        )
        for plan_index, plan in enumerate(plans)
        for number in range(MILESTONES_PER_PLAN)
    )
    MilestoneUpdate.objects.bulk_create(
        MilestoneUpdate(
            milestone=milestone,
            author_id=milestone.owner_id,
            week_start=monday - timedelta(weeks=weeks),
            progress_before=0,
            progress_after=milestone.progress,
            status_before="not_started",
            status_after=milestone.status,
        )
        for milestone in milestones[::3]
        for weeks in range(3)
    )
    Resource.objects.bulk_create(
        Resource(plan=plan, kind="budget", description="Budget", planned=1000, actual=900)
        for plan in plans
    )
    Risk.objects.bulk_create(
        Risk(plan=plan, description="Risk", likelihood=3, impact=4, owner=admin) for plan in plans
    )


def populate_goals(org, teams, admin) -> None:  # type: ignore[no-untyped-def]
    """300 goals on 20 teams and two years of monthly measurements of three KPIs per team."""
    from datetime import date
    from decimal import Decimal

    from goals.models import Goal, Kpi, Measurement
    from goals.periods import add_months
    from goals.services.kpis import kpis_ensure_builtin

    kpis_ensure_builtin(org=org)
    kpis = {kpi.key: kpi for kpi in Kpi.objects.for_org(org).exclude(key="")}
    months = [add_months(date(2024, 12, 1), index) for index in range(24)]
    Measurement.objects.bulk_create(
        Measurement(
            org=org,
            kpi=kpis[key],
            team=team,
            period_kind="month",
            period_start=month,
            value=Decimal(100 + index + team_index),
        )
        for team_index, team in enumerate(teams[:20])
        for index, month in enumerate(months)
        for key in ("new_leads", "deals_won", "revenue")
    )
    choices = ["new_leads", "conversion_rate", "revenue"]
    Goal.objects.bulk_create(
        Goal(
            org=org,
            title=f"Goal {index:03d}: +10% {choices[index % 3]}",
            scope_segment="Mid-market",
            kpi=kpis[choices[index % 3]],
            baseline=Decimal(100),
            target=Decimal(110),
            start_date=date(2026, 10, 1),
            due_date=date(2026, 12, 31),
            level="team",
            team=teams[index % 20],
            owner=admin,
            status="active",
        )
        for index in range(GOALS)
    )


def measure(client: Client, url: str, **headers: str) -> tuple[float, float, int]:
    timings = []
    queries = 0
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, **headers)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.9) - 1], queries


def first_goal() -> int:
    from goals.models import Goal

    return Goal.objects.order_by("pk").values_list("pk", flat=True).first() or 0


def first_plan() -> int:
    from actionplans.models import ActionPlan

    return ActionPlan.objects.order_by("pk").values_list("pk", flat=True).first() or 0


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from salesops.models import User

        email, secret = populate()
        client = Client()
        client.force_login(User.objects.get(email=email))
        api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        print(
            f"SalesOps benchmark on {connection.vendor}: {TEAMS} teams, {MEMBERS} members, "
            f"{GOALS} goals, {PLANS} plans of {MILESTONES_PER_PLAN} milestones"
        )
        print(f"each page requested {RUNS} times")
        print(f"{'page':44} {'median ms':>10} {'p90 ms':>8} {'queries':>8}")
        cases = [
            ("org home", client, "/o/bench/"),
            ("team tree", client, "/o/bench/teams/"),
            ("member list, page 1", client, "/o/bench/members/"),
            ("member list, search", client, "/o/bench/members/?q=Person%2019"),
            ("member list, last page", client, "/o/bench/members/?page=81"),
            ("API members, page 1", api, "/api/v1/members/"),
            ("API teams, page 1", api, "/api/v1/teams/"),
            ("goal list, page 1 (with progress)", client, "/o/bench/goals/"),
            ("goal tree (all 300 goals)", client, "/o/bench/goals/tree/"),
            ("goal page", client, f"/o/bench/goals/{first_goal()}/"),
            ("API goals, page 1 (with progress)", api, "/api/v1/goals/"),
            ("plan list, page 1", client, "/o/bench/plans/"),
            ("plan page (12 milestones, timeline)", client, f"/o/bench/plans/{first_plan()}/"),
            ("This week (60 milestones of the admin's)", client, "/o/bench/this-week/"),
            ("API milestones, this week", api, "/api/v1/milestones/?this_week=1"),
        ]
        for label, who, url in cases:
            median, p90, queries = measure(who, url)
            print(f"{label:44} {median:10.1f} {p90:8.1f} {queries:8d}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
