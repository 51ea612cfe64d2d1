"""KPI rollups: the incremental path equals a full rebuild; ratio KPIs; reruns change nothing."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from dashboards.models import GoalSnapshot, KpiRollup
from dashboards.rollups import ROW_FIELDS, rollups_rebuild, rollups_update, rollups_update_all
from dashboards.snapshots import goal_snapshots_take
from goals.models import Measurement, MeasurementTouch
from goals.services.measurements import (
    BulkRow,
    measurement_delete,
    measurement_record,
    measurements_upsert,
)

from ..factories import GoalFactory, KpiFactory, MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db


def rows(org) -> set[tuple]:
    return set(KpiRollup.objects.filter(org=org).values_list(*ROW_FIELDS))


@pytest.fixture
def setup(world):
    org = world.org
    org.fiscal_year_start_month = 4
    org.save()
    east, west = world.team, TeamFactory(org=org, name="West")
    rep, rep2 = world.user("rep"), MembershipFactory(org=org, role="rep").user
    revenue = KpiFactory(org=org, name="Revenue", aggregation="sum")
    pipeline = KpiFactory(org=org, name="Pipeline", aggregation="last")
    won = KpiFactory(org=org, name="Won", aggregation="sum")
    leads = KpiFactory(org=org, name="Leads", aggregation="sum")
    conversion = KpiFactory(
        org=org,
        name="Conversion",
        aggregation="ratio",
        unit="percent",
        numerator=won,
        denominator=leads,
    )
    admin = world.user("admin")
    for day, value in [(date(2026, 3, 30), 10), (date(2026, 4, 2), 20), (date(2026, 6, 30), 5)]:
        measurement_record(
            actor=admin,
            org=org,
            kpi=revenue,
            day=day,
            value=Decimal(value),
            period_kind="day",
            team=east,
            owner=rep,
        )
        measurement_record(
            actor=admin,
            org=org,
            kpi=pipeline,
            day=day,
            value=Decimal(value * 3),
            period_kind="day",
            team=west,
        )
    measurements_upsert(
        actor=admin,
        org=org,
        rows=[
            BulkRow(f"w{i}", won, east, None, "month", date(2026, m, 1), Decimal(i + 1))
            for i, m in enumerate((3, 4, 5, 7))
        ]
        + [
            BulkRow(f"l{i}", leads, east, None, "month", date(2026, m, 1), Decimal(10 * (i + 1)))
            for i, m in enumerate((3, 4, 5, 7))
        ]
        + [BulkRow("r2", revenue, west, rep2, "week", date(2026, 4, 6), Decimal(7))],
    )
    return {
        "org": org,
        "admin": admin,
        "east": east,
        "west": west,
        "rep": rep,
        "rep2": rep2,
        "revenue": revenue,
        "pipeline": pipeline,
        "won": won,
        "leads": leads,
        "conversion": conversion,
    }


def test_incremental_rollups_equal_a_full_rebuild_after_writes_updates_and_deletes(setup):
    org, admin = setup["org"], setup["admin"]
    rollups_update(org=org)  # the first run builds everything
    assert not MeasurementTouch.objects.filter(org=org).exists()

    measurement_record(
        actor=admin,
        org=org,
        kpi=setup["revenue"],
        day=date(2026, 4, 2),
        value=Decimal(99),
        period_kind="day",
        team=setup["east"],
        owner=setup["rep"],
    )  # replaces a value
    measurement_delete(
        actor=admin,
        measurement=Measurement.objects.get(kpi=setup["pipeline"], period_start=date(2026, 6, 30)),
    )
    measurements_upsert(  # moves a value to another month, and a new one for the ratio
        actor=admin,
        org=org,
        rows=[
            BulkRow("w0", setup["won"], setup["east"], None, "month", date(2026, 8, 1), Decimal(4)),
            BulkRow(
                "l9", setup["leads"], setup["west"], None, "month", date(2026, 4, 1), Decimal(5)
            ),
        ],
    )
    assert rollups_update(org=org) > 0
    incremental = rows(org)
    rollups_rebuild(org=org)
    assert rows(org) == incremental
    assert incremental


def test_a_rerun_changes_nothing(setup):
    org = setup["org"]
    rollups_update(org=org)
    before = rows(org)
    assert rollups_update(org=org) == 0
    assert rollups_update_all() == 0
    assert rows(org) == before


def test_totals_levels_quarters_and_last_values(setup):
    org, revenue = setup["org"], setup["revenue"]
    rollups_update(org=org)
    april = KpiRollup.objects.get(
        kpi=revenue, level="org", period_kind="month", period_start=date(2026, 4, 1)
    )
    assert (april.total, april.count) == (Decimal(27), 2)  # 20 for East/rep + 7 for West/rep2
    east_team = KpiRollup.objects.get(
        kpi=revenue,
        level="team",
        team=setup["east"],
        period_kind="month",
        period_start=date(2026, 4, 1),
    )
    assert east_team.total == Decimal(20)
    # The fiscal year starts in April: 30 March is in the quarter that began in January.
    q1 = KpiRollup.objects.get(
        kpi=revenue, level="org", period_kind="quarter", period_start=date(2026, 1, 1)
    )
    q2 = KpiRollup.objects.get(
        kpi=revenue, level="org", period_kind="quarter", period_start=date(2026, 4, 1)
    )
    assert (q1.total, q2.total) == (Decimal(10), Decimal(32))
    pipeline_q2 = KpiRollup.objects.get(
        kpi=setup["pipeline"], level="org", period_kind="quarter", period_start=date(2026, 4, 1)
    )
    assert (pipeline_q2.last_day, pipeline_q2.last_value) == (date(2026, 6, 30), Decimal(15))
    week = KpiRollup.objects.get(
        kpi=revenue,
        level="detail",
        owner=setup["rep2"],
        period_kind="week",
        period_start=date(2026, 4, 6),
    )
    assert week.total == Decimal(7)


def test_ratio_kpis_are_the_sum_of_numerators_over_the_sum_of_denominators(setup):
    org = setup["org"]
    rollups_update(org=org)
    quarter = KpiRollup.objects.get(
        kpi=setup["conversion"], level="org", period_kind="quarter", period_start=date(2026, 4, 1)
    )
    # April and May: won 2 + 3, leads 20 + 30 — 10%, not the mean of 10% and 10%.
    assert (quarter.numerator, quarter.denominator) == (Decimal(5), Decimal(50))
    measurements_upsert(
        actor=setup["admin"],
        org=org,
        rows=[
            BulkRow(
                "l1", setup["leads"], setup["east"], None, "month", date(2026, 4, 1), Decimal(0)
            )
        ],
    )
    rollups_update(org=org)
    quarter = KpiRollup.objects.get(
        kpi=setup["conversion"], level="org", period_kind="quarter", period_start=date(2026, 4, 1)
    )
    assert (quarter.numerator, quarter.denominator) == (Decimal(5), Decimal(30))


def test_a_quarter_touched_in_one_month_keeps_the_other_months(setup):
    """Only June is touched: the quarter sums June again with April and May as stored."""
    org, admin, revenue, pipeline = (
        setup["org"],
        setup["admin"],
        setup["revenue"],
        setup["pipeline"],
    )
    rollups_update(org=org)
    measurement_record(
        actor=admin,
        org=org,
        kpi=revenue,
        day=date(2026, 6, 30),
        value=Decimal(8),
        period_kind="day",
        team=setup["east"],
        owner=setup["rep"],
    )  # 5 → 8
    measurement_delete(  # the pipeline's last day moves back from 30 June to 2 April
        actor=admin,
        measurement=Measurement.objects.get(kpi=pipeline, period_start=date(2026, 6, 30)),
    )
    rollups_update(org=org)

    def quarter(kpi, level: str, **scope) -> KpiRollup:  # type: ignore[no-untyped-def]
        return KpiRollup.objects.get(
            kpi=kpi, level=level, period_kind="quarter", period_start=date(2026, 4, 1), **scope
        )

    org_q2 = quarter(revenue, "org")
    assert (org_q2.total, org_q2.count) == (Decimal(35), 3)  # 20 + 8 for East/rep, 7 for West
    assert quarter(revenue, "team", team=setup["east"]).total == Decimal(28)
    assert quarter(revenue, "detail", team=setup["west"], owner=setup["rep2"]).total == Decimal(7)
    pipeline_q2 = quarter(pipeline, "org")
    assert (pipeline_q2.last_day, pipeline_q2.last_value) == (date(2026, 4, 2), Decimal(60))
    incremental = rows(org)
    rollups_rebuild(org=org)
    assert rows(org) == incremental


def test_goal_snapshots_are_one_row_per_goal_and_day(world):
    goal = GoalFactory(org=world.org, owner=world.user("manager"), status="active")
    now = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert goal_snapshots_take(now=now) == 1
    goal_snapshots_take(now=now)
    (snapshot,) = GoalSnapshot.objects.filter(goal=goal)
    assert snapshot.day == date(2026, 11, 27)
    assert snapshot.status


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_give_the_rows_of_one_run(transactional_db, setup):
    """Both start together: one holds the organisation's rollup lock, the other skips."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    org = setup["org"]
    rollups_update(org=org)
    measurement_record(
        actor=setup["admin"],
        org=org,
        kpi=setup["revenue"],
        day=date(2026, 5, 5),
        value=Decimal(3),
        period_kind="day",
        team=setup["east"],
        owner=setup["rep"],
    )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            rollups_update(org=org)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert not MeasurementTouch.objects.filter(org=org).exists()
    concurrent = rows(org)
    rollups_rebuild(org=org)
    assert rows(org) == concurrent


def test_the_rebuild_command_names_each_organisation(setup, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("rebuild_rollups", "--org", setup["org"].slug)
    assert f"{setup['org'].slug}:" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("rebuild_rollups", "--org", "no-such-org")


# --- the set-based path (PostgreSQL) and the portable path give the same rows ------------------


@pytest.fixture
def varied(setup):
    """More shapes of data: an owner without a team, a "last value" KPI with two owners on the
    same last day, a ratio whose numerator and denominator are one KPI, and a week that spans
    the end of a month and of a fiscal quarter."""
    org, admin, east = setup["org"], setup["admin"], setup["east"]
    manager = MembershipFactory(org=org, role="manager").user
    doubled = KpiFactory(
        org=org,
        name="Won per won",
        aggregation="ratio",
        numerator=setup["won"],
        denominator=setup["won"],
    )
    writes = [
        (setup["revenue"], date(2026, 6, 29), 11, None, manager),  # owner only
        (setup["revenue"], date(2026, 7, 1), 13, None, manager),  # same week, next quarter
        (setup["pipeline"], date(2026, 5, 20), 40, east, setup["rep"]),
        (setup["pipeline"], date(2026, 5, 20), 60, east, setup["rep2"]),
        (setup["pipeline"], date(2026, 5, 18), 99, east, manager),  # earlier: not the last
        (setup["won"], date(2026, 5, 19), 2, None, manager),
    ]
    for kpi, day, value, team, owner in writes:
        measurement_record(
            actor=admin,
            org=org,
            kpi=kpi,
            day=day,
            value=Decimal(value),
            period_kind="day",
            team=team,
            owner=owner,
        )
    return {**setup, "manager": manager, "doubled": doubled}


def test_last_value_kpis_sum_the_scope_on_its_last_day_and_others_have_none(varied):
    org, pipeline = varied["org"], varied["pipeline"]
    rollups_update(org=org)
    may = KpiRollup.objects.get(
        kpi=pipeline,
        level="team",
        team=varied["east"],
        period_kind="month",
        period_start=date(2026, 5, 1),
    )
    assert (may.last_day, may.last_value) == (date(2026, 5, 20), Decimal(100))
    assert not KpiRollup.objects.filter(org=org, last_value__isnull=False).exclude(kpi=pipeline)


def test_owners_without_a_team_count_in_the_organisation_total_only(varied):
    org, revenue = varied["org"], varied["revenue"]
    rollups_update(org=org)
    july = {
        row.level: row
        for row in KpiRollup.objects.filter(
            kpi=revenue, period_kind="month", period_start=date(2026, 7, 1)
        )
    }
    assert set(july) == {"detail", "org"}
    assert (july["detail"].team, july["detail"].owner) == (None, varied["manager"])
    assert july["org"].total == Decimal(13)
    # The week of 29 June spans two fiscal quarters; its rollup holds all three days.
    week = KpiRollup.objects.get(
        kpi=revenue, level="org", period_kind="week", period_start=date(2026, 6, 29)
    )
    assert (week.total, week.count) == (Decimal(29), 3)  # 11 + 5 (East) + 13


def test_a_ratio_of_one_kpi_to_itself_counts_it_on_both_sides(varied):
    org = varied["org"]
    rollups_update(org=org)
    may = KpiRollup.objects.get(
        kpi=varied["doubled"], level="org", period_kind="month", period_start=date(2026, 5, 1)
    )
    assert (may.numerator, may.denominator, may.count) == (Decimal(5), Decimal(5), 4)


def test_rollups_of_one_organisation_leave_the_others_alone(varied, world):
    other = KpiFactory(org=world.other_org, name="Rival revenue")
    measurement_record(
        actor=world.outsider.user,
        org=world.other_org,
        kpi=other,
        day=date(2026, 5, 5),
        value=Decimal(8),
        period_kind="day",
        team=world.other_team,
    )
    rollups_update(org=world.other_org)
    before = rows(world.other_org)
    rollups_update(org=varied["org"])
    rollups_rebuild(org=varied["org"])
    assert rows(world.other_org) == before
    assert before


@pytest.fixture
def postgresql_only(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("compares the PostgreSQL statement with the portable path")


def test_the_single_statement_gives_the_rows_of_the_portable_path(
    varied, postgresql_only, monkeypatch
):
    from dashboards import rollups

    org, admin = varied["org"], varied["admin"]
    rollups_rebuild(org=org)
    in_database = rows(org)
    monkeypatch.setattr(rollups, "_in_database", lambda: False)
    rollups_rebuild(org=org)
    assert rows(org) == in_database
    # And incrementally, after writes that move, replace and delete values.
    monkeypatch.undo()
    measurements_upsert(
        actor=admin,
        org=org,
        rows=[
            BulkRow("w2", varied["won"], None, varied["manager"], "month", date(2026, 9, 1), 7),
            BulkRow("l0", varied["leads"], varied["west"], None, "week", date(2026, 3, 30), 3),
        ],
    )
    measurement_delete(
        actor=admin,
        measurement=Measurement.objects.get(
            kpi=varied["pipeline"], owner=varied["rep2"], period_start=date(2026, 5, 20)
        ),
    )
    rollups_update(org=org)
    incremental = rows(org)
    monkeypatch.setattr(rollups, "_in_database", lambda: False)
    rollups_rebuild(org=org)
    assert rows(org) == incremental


def test_recomputing_unchanged_buckets_writes_nothing(varied, postgresql_only):
    from django.db import connection

    org = varied["org"]
    rollups_update(org=org)

    def versions() -> set[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, xmin::text FROM dashboards_kpirollup WHERE org_id = %s", [org.pk]
            )
            return set(cursor.fetchall())

    before = versions()
    measurement_record(  # the same value again: its periods are touched, nothing changes
        actor=varied["admin"],
        org=org,
        kpi=varied["revenue"],
        day=date(2026, 4, 2),
        value=Decimal(20),
        period_kind="day",
        team=varied["east"],
        owner=varied["rep"],
    )
    assert MeasurementTouch.objects.filter(org=org).exists()
    assert rollups_update(org=org) == 0  # the touched buckets were recomputed: no row written
    assert not MeasurementTouch.objects.filter(org=org).exists()
    assert rollups_rebuild(org=org) == 0
    assert versions() == before
