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
    return admin.email, secret


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
            f"SalesOps benchmark on {connection.vendor}: {TEAMS} teams, {MEMBERS} members, {GOALS} goals"
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
        ]
        for label, who, url in cases:
            median, p90, queries = measure(who, url)
            print(f"{label:44} {median:10.1f} {p90:8.1f} {queries:8d}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
