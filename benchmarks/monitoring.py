"""Monitoring benchmark: KPI rollups and the leadership dashboard on a large organisation.

`python -m benchmarks.monitoring` (PostgreSQL only: set DATABASE_URL=postgres://…) builds a
throw-away test database with one organisation of 1,000 people, 100 teams (ten regions with
nine teams each), the built-in KPIs plus one "last value" KPI, 5,000 goals and 2,000,000
measurements over three years, then prints:

* the full rollup (`rollups_rebuild`) against the equivalent single SQL `GROUP BY`, and their
  ratio (target ≤ 1.5);
* the incremental rollup (`rollups_update`) after 10,000 new measurements written through
  `measurements_upsert`, as a CRM import of the current week would write them (target < 1 s;
  the median of three rounds), checked against a rebuild of the same buckets;
* the server time of the leadership dashboard (p50/p95 over 50 requests) against a minimal
  organisation page through the same middleware, and the queries each dashboard page makes.

"Equivalent GROUP BY" means one statement over the same measurements that computes the same
aggregates the rollup table holds for every level and period: Σvalue, count and last day per
KPI × team × owner, KPI × team and KPI, for weeks, months and fiscal quarters (nine grouping
sets), with every group computed and returned to the client. It does not compute the extras the
rollup also produces (the value on the last day for "last value" KPIs, the numerator and
denominator rows of ratio KPIs) and writes nothing, so it is a floor for the rollup.

Pass --keepdb to keep the test database between runs (a second run reuses the organisation).
"""

import os
import platform
import sys
import time
from datetime import date, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesops.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

SLUG = "monitoring"
PEOPLE = 1000
LEADERS = 9
MANAGERS = 100
MEMBERS = 10
REPS = PEOPLE - 1 - LEADERS - MANAGERS - MEMBERS  # 880, after the admin
REGIONS = 10
TEAMS = 100
GOALS = 5000
MEASUREMENTS = 2_000_000
WEEKS = 156  # three years
NEW_MEASUREMENTS = 10_000
INCREMENTAL_ROUNDS = 3
REQUESTS = 50
FISCAL_START = 4  # April: quarters do not follow the calendar year

# Typical size of one week's (or month's) value per KPI, for plausible numbers.
SCALE = {
    "new_leads": 40,
    "qualified_leads": 15,
    "deals_won": 6,
    "revenue": 60000,
    "customer_acquisition_cost": 900,
    "sales_cycle_days": 45,
    "renewal_rate": 100,
    "premium_share": 100,
    "on_time_delivery_rate": 100,
    "lead_response_hours": 24,
    "cross_dept_completion_rate": 100,
    "open_pipeline": 250000,
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            names = [
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            ]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            total_kb = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
        memory = f", {total_kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (server,) = cursor.fetchone()
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; PostgreSQL {server}; "
        f"Python {platform.python_version()} on {platform.system()}"
    )


def current_monday() -> date:
    today = date.today()
    return today - timedelta(days=today.weekday())


# --- the organisation ---------------------------------------------------------------------------


def populate() -> dict[str, int]:
    """People, teams, KPIs and goals through the ORM in bulk; measurements in one statement."""
    from goals.models import Kpi
    from goals.services.kpis import kpis_ensure_builtin
    from salesops.models import Membership, Organization, Role, Team, TeamMembership, User

    org = Organization.objects.create(
        slug=SLUG, name="Monitoring Bench Co", fiscal_year_start_month=FISCAL_START
    )
    regions = Team.objects.bulk_create(
        Team(org=org, name=f"Region {index:02d}") for index in range(REGIONS)
    )
    teams = regions + Team.objects.bulk_create(
        Team(org=org, name=f"Team {index:03d}", parent=regions[index % REGIONS])
        for index in range(TEAMS - REGIONS)
    )
    roles = (
        [Role.ADMIN]
        + [Role.LEADER] * LEADERS
        + [Role.MANAGER] * MANAGERS
        + [Role.REP] * REPS
        + [Role.MEMBER] * MEMBERS
    )
    users = User.objects.bulk_create(
        User(
            email=f"person{index:04d}@monitoring.example.com",
            display_name=f"Person {index:04d}",
            password="!",  # unusable; the benchmark logs in with force_login
        )
        for index in range(PEOPLE)
    )
    memberships = Membership.objects.bulk_create(
        Membership(org=org, user=user, role=role) for user, role in zip(users, roles, strict=True)
    )
    TeamMembership.objects.bulk_create(
        TeamMembership(
            team=teams[index % TEAMS],
            membership=membership,
            is_lead=membership.role == Role.MANAGER,
        )
        for index, membership in enumerate(memberships)
        if membership.role in (Role.MANAGER, Role.REP, Role.MEMBER)
    )

    kpis_ensure_builtin(org=org)
    Kpi.objects.create(
        org=org,
        key="",
        name="Open pipeline",
        unit="currency",
        aggregation="last",
    )
    populate_measurements(org.pk)
    populate_goals(org, teams, memberships)
    return {"org": org.pk, "leader": users[1].pk}


def populate_measurements(org_id: int) -> None:
    """2,000,000 rows in one INSERT … SELECT: weekly per rep and team, monthly per team and per
    manager (no team), and daily CRM counts per team to make up the total."""
    monday = current_monday()
    first_week = monday - timedelta(weeks=WEEKS)
    first_month = date(monday.year - 3, monday.month, 1)
    parts = """
        WITH k AS (
            SELECT kpi.id, s.key, s.scale
            FROM goals_kpi kpi
            JOIN UNNEST(%(keys)s::text[], %(scales)s::numeric[]) AS s(key, scale)
              ON s.key = COALESCE(NULLIF(kpi.key, ''), 'open_pipeline')
            WHERE kpi.org_id = %(org)s AND kpi.aggregation <> 'ratio'
        ),
        people AS (
            SELECT m.user_id, m.role, tm.team_id
            FROM salesops_membership m
            LEFT JOIN salesops_teammembership tm ON tm.membership_id = m.id
            WHERE m.org_id = %(org)s
        ),
        teams AS (SELECT id FROM salesops_team WHERE org_id = %(org)s),
        weeks AS (
            SELECT d::date AS day FROM generate_series(
                %(first_week)s::date, %(last_week)s::date, interval '7 days') AS d
        ),
        months AS (
            SELECT d::date AS day FROM generate_series(
                %(first_month)s::date, %(last_month)s::date, interval '1 month') AS d
        ),
        days AS (
            SELECT d::date AS day FROM generate_series(
                %(last_day)s::date, %(first_week)s::date, interval '-1 day') AS d
        ),
        rows AS (
            SELECT 1 AS part, k.id AS kpi, p.team_id AS team, p.user_id AS owner,
                   'week' AS kind, w.day, k.scale
            FROM people p CROSS JOIN k CROSS JOIN weeks w WHERE p.role = 'rep'
            UNION ALL
            SELECT 2, k.id, t.id, NULL, 'week', w.day, k.scale * 8
            FROM teams t CROSS JOIN k CROSS JOIN weeks w
            UNION ALL
            SELECT 3, k.id, t.id, NULL, 'month', mo.day, k.scale * 30
            FROM teams t CROSS JOIN k CROSS JOIN months mo
            UNION ALL
            SELECT 4, k.id, NULL, p.user_id, 'month', mo.day, k.scale * 4
            FROM people p CROSS JOIN k CROSS JOIN months mo WHERE p.role = 'manager'
            UNION ALL
            SELECT 5, k.id, t.id, NULL, 'day', d.day, k.scale / 5.0
            FROM days d CROSS JOIN teams t
            JOIN k ON k.key IN ('new_leads', 'deals_won')
        )
        INSERT INTO goals_measurement (
            org_id, kpi_id, team_id, owner_id, period_kind, period_start, value, source,
            external_id, created_by_id, created_at, updated_at
        )
        SELECT %(org)s, kpi, team, owner, kind, day, round((random() * scale)::numeric, 2),
               CASE WHEN part = 5 THEN 'import' ELSE 'manual' END,
               CASE WHEN part = 5 THEN 'crm-' || kpi || '-' || team || '-' || day ELSE '' END,
               NULL, now(), now()
        FROM (SELECT * FROM rows ORDER BY part, day DESC, kpi, team, owner LIMIT %(total)s) AS r
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            parts,
            {
                "org": org_id,
                "first_week": first_week,
                "last_week": monday - timedelta(weeks=1),
                "first_month": first_month,
                "last_month": date(monday.year, monday.month, 1) - timedelta(days=1),
                "last_day": monday - timedelta(days=1),
                "total": MEASUREMENTS,
                "keys": list(SCALE),
                "scales": list(SCALE.values()),
            },
        )
        cursor.execute("ANALYZE goals_measurement")


def populate_goals(org, teams, memberships) -> None:  # type: ignore[no-untyped-def]
    """5,000 active goals this fiscal year: a few company goals, one per team and KPI family,
    and the rest individual goals of reps."""
    from decimal import Decimal

    from goals.models import Goal, Kpi
    from salesops.models import Role

    kpis = list(Kpi.objects.for_org(org).order_by("pk"))
    leaders = [m for m in memberships if m.role == Role.LEADER]
    managers = [m for m in memberships if m.role == Role.MANAGER]
    reps = [(index, m) for index, m in enumerate(memberships) if m.role == Role.REP]
    today = date.today()
    year = today.year if today.month >= FISCAL_START else today.year - 1
    start, due = date(year, FISCAL_START, 1), date(year + 1, FISCAL_START, 1) - timedelta(days=1)
    goals = []
    for index in range(GOALS):
        kpi = kpis[index % len(kpis)]
        if index < 50:
            level, team, owner = "company", None, leaders[index % len(leaders)].user_id
        elif index < 1000:
            team = teams[index % TEAMS]
            level, owner = "team", managers[index % len(managers)].user_id
        else:
            position, rep = reps[index % len(reps)]
            level, team, owner = "individual", teams[position % TEAMS], rep.user_id
        goals.append(
            Goal(
                org=org,
                title=f"Goal {index:04d}: {kpi.name}",
                kpi=kpi,
                baseline=Decimal(100),
                target=Decimal(120),
                start_date=start,
                due_date=due,
                level=level,
                team=team,
                owner_id=owner,
                status="active",
            )
        )
    Goal.objects.bulk_create(goals, batch_size=1000)


# --- rollups ----------------------------------------------------------------------------------

# The yardstick: one GROUP BY over the organisation's measurements giving Σvalue, count and last
# day for every level and period kind (what the rollup table holds, less its extras), every
# group computed on the server and the result discarded there.
GROUP_BY_SQL = """
SELECT COUNT(*), SUM(total), SUM(n), MAX(last_day) FROM (
    SELECT GROUPING(team_id, owner_id) AS scope, kpi_id, team_id, owner_id,
           COALESCE(week, month, quarter) AS start,
           SUM(value) AS total, COUNT(*) AS n, MAX(period_start) AS last_day
    FROM (
        SELECT kpi_id, team_id, owner_id, value, period_start,
               period_start - (EXTRACT(ISODOW FROM period_start)::int - 1) AS week,
               DATE_TRUNC('month', period_start::timestamp)::date AS month,
               (DATE_TRUNC('month', period_start::timestamp) - MAKE_INTERVAL(
                   months => (EXTRACT(MONTH FROM period_start)::int + 12 - %(fiscal)s) %% 3
               ))::date AS quarter
        FROM goals_measurement
        WHERE org_id = %(org)s
    ) AS m
    GROUP BY GROUPING SETS (
        (kpi_id, team_id, owner_id, week), (kpi_id, team_id, week), (kpi_id, week),
        (kpi_id, team_id, owner_id, month), (kpi_id, team_id, month), (kpi_id, month),
        (kpi_id, team_id, owner_id, quarter), (kpi_id, team_id, quarter), (kpi_id, quarter)
    )
) AS groups
"""


def timed(action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def group_by_seconds(org) -> float:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        seconds, _none = timed(
            lambda: cursor.execute(
                GROUP_BY_SQL, {"org": org.pk, "fiscal": org.fiscal_year_start_month}
            )
        )
        cursor.fetchone()
    return seconds


def rollup_rows(org, buckets=None) -> set[tuple]:  # type: ignore[no-untyped-def]
    from django.db.models import Q

    from dashboards.models import KpiRollup
    from dashboards.rollups import ROW_FIELDS

    rows = KpiRollup.objects.filter(org=org)
    if buckets is not None:
        condition = Q(pk__in=[])
        for kind, start in buckets:
            condition |= Q(period_kind=kind, period_start=start)
        rows = rows.filter(condition)
    return set(rows.values_list(*ROW_FIELDS))


def analyze(*tables: str) -> None:
    """What autovacuum would do after large writes, so the planner knows the new sizes."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def full_rollups(org, figures: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    from dashboards.rollups import rollups_rebuild

    group_by = [group_by_seconds(org)]
    first, written = timed(lambda: rollups_rebuild(org=org))
    analyze("dashboards_kpirollup")
    again, _written = timed(lambda: rollups_rebuild(org=org))
    group_by.append(group_by_seconds(org))
    baseline = min(group_by)
    figures["rollup rows"] = f"{written:,}"
    figures["GROUP BY (raw SQL, best of 2)"] = f"{baseline:.1f} s"
    figures["full rollup, into an empty table"] = (
        f"{first:.1f} s  ({first / baseline:.2f}× the GROUP BY)"
    )
    figures["full rollup, over current rollups"] = (
        f"{again:.1f} s  ({again / baseline:.2f}× the GROUP BY; target ≤ 1.5)"
    )


def new_week_rows(org):  # type: ignore[no-untyped-def]
    """The current week's values of every rep and KPI, as a CRM import sends them."""
    from decimal import Decimal

    from goals.models import Kpi
    from goals.services.measurements import BulkRow
    from salesops.models import Membership, Role, TeamMembership

    kpis = [kpi for kpi in Kpi.objects.for_org(org).order_by("pk") if not kpi.is_ratio]
    team_of = dict(
        TeamMembership.objects.filter(membership__org=org).values_list(
            "membership__user_id", "team_id"
        )
    )
    teams = {team.pk: team for team in org.teams.all()}
    reps = [
        membership.user
        for membership in Membership.objects.for_org(org)
        .filter(role=Role.REP)
        .select_related("user")
        .order_by("pk")
    ]
    monday = current_monday()
    rows = [
        BulkRow(
            external_id=f"crm-{rep.pk}-{kpi.pk}-{monday}",
            kpi=kpi,
            team=teams[team_of[rep.pk]],
            owner=rep,
            period_kind="week",
            day=monday,
            value=Decimal(SCALE[kpi.key or "open_pipeline"]) / 2,
        )
        for rep in reps
        for kpi in kpis
    ]
    return rows[:NEW_MEASUREMENTS]


def import_week(org, admin, rows) -> int:  # type: ignore[no-untyped-def]
    """The current week's rows through `measurements_upsert`; the touches it wrote."""
    from goals.models import MeasurementSource, MeasurementTouch
    from goals.services.measurements import BULK_LIMIT, measurements_upsert

    for first in range(0, len(rows), BULK_LIMIT):
        measurements_upsert(
            actor=admin,
            org=org,
            rows=rows[first : first + BULK_LIMIT],
            source=MeasurementSource.IMPORT,
        )
    return MeasurementTouch.objects.filter(org=org).count()


def remove_week(org) -> None:  # type: ignore[no-untyped-def]
    """Take the imported week out again, and its rollups with it (not timed)."""
    from dashboards.rollups import rollups_update
    from goals.services.measurements import measurements_touch

    week = org.measurements.filter(period_start=current_monday(), source="import")
    measurements_touch(org=org, periods=week.values_list("kpi_id", "period_start"))
    week.delete()
    rollups_update(org=org)
    analyze("dashboards_kpirollup")


def incremental_rollups(org, admin, figures: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """The median of three rounds: import the week, time the rollup job; then take the week out
    again for the next round. The last round stays, and is checked against a rebuild."""
    from dashboards.rollups import bucket_start, rollups_rebuild, rollups_update

    rows = new_week_rows(org)
    timings = []
    for round_ in range(INCREMENTAL_ROUNDS):
        if round_:
            remove_week(org)
        touches = import_week(org, admin, rows)
        seconds, written = timed(lambda: rollups_update(org=org))
        timings.append(seconds)
    monday = current_monday()
    buckets = [
        (kind, bucket_start(monday, kind, org.fiscal_year_start_month))
        for kind in ("week", "month", "quarter")
    ]
    incremental = rollup_rows(org, buckets)
    everything = len(rollup_rows(org))
    rollups_rebuild(org=org)
    rebuilt = rollup_rows(org, buckets)
    same = incremental == rebuilt and everything == len(rollup_rows(org))
    listed = ", ".join(f"{seconds:.2f}" for seconds in timings)
    figures["incremental rollup, 10,000 new measurements"] = (
        f"{percentile(sorted(timings), 0.5):.2f} s, median of {listed} s  ({len(rows):,} rows in "
        f"{touches} touches, {written:,} rollup rows written; target < 1 s)"
    )
    figures["incremental equals a rebuild"] = (
        f"{'yes' if same else 'NO'} ({len(incremental):,} rows in this week, month and quarter; "
        f"{everything:,} rows in all)"
    )


# --- dashboards -------------------------------------------------------------------------------


def server_times(client: Client, url: str) -> list[float]:
    """Milliseconds per request, after one request that warms caches and templates."""
    assert client.get(url).status_code == 200, url
    timings = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return sorted(timings)


def percentile(timings: list[float], share: float) -> float:
    return timings[min(len(timings) - 1, round(share * (len(timings) - 1)))]


def query_count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


def dashboards(org, figures: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    from dashboards.snapshots import goal_snapshots_take
    from goals.models import Goal, Kpi
    from salesops.models import Membership, Role

    seconds, snapshots = timed(goal_snapshots_take)
    figures["goal snapshots (not a target)"] = f"{seconds:.1f} s for {snapshots:,} goals"
    analyze("dashboards_goalsnapshot")
    leader = Membership.objects.for_org(org).filter(role=Role.LEADER).order_by("pk")[0].user
    rep_goal = Goal.objects.for_org(org).filter(level="individual").order_by("pk")[0]
    team = org.teams.order_by("pk")[REGIONS]  # a team, not a region
    revenue = Kpi.objects.for_org(org).get(key="revenue")
    client = Client()
    client.force_login(leader)
    rep = Client()
    rep.force_login(rep_goal.owner)
    board = f"/o/{SLUG}/dashboard/"
    # The lightest page of an organisation: the same middleware, login, organisation and
    # membership look-up and base layout as every page, and an empty list.
    minimal = f"/o/{SLUG}/notifications/"
    board_times = server_times(client, board)
    minimal_times = server_times(client, minimal)
    board_p50, board_p95 = percentile(board_times, 0.5), percentile(board_times, 0.95)
    minimal_p50, minimal_p95 = percentile(minimal_times, 0.5), percentile(minimal_times, 0.95)
    figures[f"leadership dashboard, {REQUESTS} requests"] = (
        f"p50 {board_p50:.0f} ms, p95 {board_p95:.0f} ms"
    )
    figures["minimal page (the leader's empty notification list)"] = (
        f"p50 {minimal_p50:.0f} ms, p95 {minimal_p95:.0f} ms"
    )
    figures["dashboard ÷ minimal page"] = (
        f"p50 {board_p50 / minimal_p50:.1f}×, p95 {board_p95 / minimal_p95:.1f}×"
    )
    counts = [
        ("leadership", client, board),
        ("team", client, f"/o/{SLUG}/dashboard/teams/{team.pk}/"),
        ("my (a rep)", rep, f"/o/{SLUG}/dashboard/me/"),
        ("KPI insight (revenue)", client, f"/o/{SLUG}/dashboard/kpis/{revenue.pk}/"),
        ("minimal page", client, minimal),
    ]
    figures["queries per page"] = ", ".join(
        f"{label} {query_count(who, url)}" for label, who, url in counts
    )


# --- running it ---------------------------------------------------------------------------------


def main() -> None:
    if connection.vendor != "postgresql":
        print(
            "The monitoring benchmark needs PostgreSQL: point DATABASE_URL at a server, e.g. "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/salesops make bench "
            "(it creates and drops its own test database)."
        )
        return
    keep = "--keepdb" in sys.argv
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=keep)
    try:
        from salesops.models import Organization, User

        figures: dict[str, str] = {}
        org = Organization.objects.filter(slug=SLUG).first()
        if org is None:
            seconds, _ids = timed(populate)
            org = Organization.objects.get(slug=SLUG)
            figures["building the organisation (not a target)"] = f"{seconds:.0f} s"
        else:
            figures["building the organisation"] = "reused (--keepdb)"
            # The current week's values come from the incremental step: a rerun adds them again;
            # and the first full rollup starts from an empty table.
            from dashboards.models import KpiRollup, RollupState

            org.measurements.filter(period_start=current_monday(), source="import").delete()
            KpiRollup.objects.filter(org=org).delete()
            RollupState.objects.filter(org=org).delete()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE dashboards_kpirollup")
        print(f"built: {figures[next(iter(figures))]}", flush=True)
        admin = User.objects.get(email="person0000@monitoring.example.com")
        full_rollups(org, figures)
        print("full rollups timed", flush=True)
        incremental_rollups(org, admin, figures)
        print("incremental rollup timed", flush=True)
        dashboards(org, figures)
        print()
        print(
            f"Monitoring benchmark: {PEOPLE:,} people, {TEAMS} teams, {GOALS:,} goals, "
            f"{MEASUREMENTS:,} measurements over three years"
        )
        print(f"machine: {machine()}")
        width = max(len(label) for label in figures)
        for label, value in figures.items():
            print(f"  {label:{width}}  {value}")
    finally:
        if not keep:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
