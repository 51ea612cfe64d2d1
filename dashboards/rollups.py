"""KPI rollups: measurements aggregated per KPI × team × owner, team and organisation, for
weeks, months and fiscal quarters.

Incremental: each run reads the periods touched since the last run (`MeasurementTouch`, written
with every measurement change), recomputes exactly those buckets, and writes only the rows that
changed. A full rebuild recomputes every bucket that has measurements through the same code, so
both paths give the same rows.

On PostgreSQL one statement does all of it in the database: a GROUP BY with grouping sets gives
every level (detail, team, organisation) of weeks and months in one pass over the measurements;
"last value" KPIs take their value on the bucket's last day from a GROUP BY per day; ratio KPIs
sum their numerator and denominator rows; quarters are summed from their three months (when a
run touched only some months of a quarter, from the stored rows of the others). The result is
compared with the stored rows, and only new, changed and vanished rows are written. Other
databases (SQLite for local runs) take a portable path with the same results: GROUP BY queries
through the ORM, with team, organisation and quarter rows summed from the detail and month
aggregates.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from goals.models import Kpi, Measurement, MeasurementTouch
from goals.periods import add_months, fiscal_quarter_start, month_start, week_start
from salesops.models import Organization

from .models import KpiRollup, RollupLevel, RollupPeriod, RollupState

Key = tuple[int, int | None, int | None, str, date]  # kpi, team, owner, period kind, start

# The columns that make a rollup row what it is: two paths agree when these sets of rows do.
ROW_FIELDS = (
    "kpi_id",
    "level",
    "team_key",
    "owner_key",
    "period_kind",
    "period_start",
    "total",
    "count",
    "last_day",
    "last_value",
    "numerator",
    "denominator",
)


@dataclass
class Bucket:
    total: Decimal = Decimal(0)
    count: int = 0
    last_day: date | None = None
    last_value: Decimal | None = None

    def add(self, other: "Bucket") -> None:
        self.total += other.total
        self.count += other.count
        if other.last_day is not None and (self.last_day is None or other.last_day > self.last_day):
            self.last_day, self.last_value = other.last_day, other.last_value
        elif other.last_day is not None and other.last_day == self.last_day:
            self.last_value = (self.last_value or Decimal(0)) + (other.last_value or Decimal(0))


def bucket_start(day: date, kind: str, fiscal_start_month: int) -> date:
    if kind == RollupPeriod.WEEK:
        return week_start(day)
    if kind == RollupPeriod.MONTH:
        return month_start(day)
    return fiscal_quarter_start(day, fiscal_start_month)


def bucket_end(start: date, kind: str) -> date:
    if kind == RollupPeriod.WEEK:
        return start + timedelta(days=6)
    months = 1 if kind == RollupPeriod.MONTH else 3
    return add_months(start, months) - timedelta(days=1)


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value


def _detail(
    org: Organization, kpi_ids: set[int], kind: str, starts: set[date]
) -> dict[Key, Bucket]:
    """Week or month buckets per KPI × team × owner, for the given bucket starts only."""
    if not kpi_ids or not starts:
        return {}
    first, last = min(starts), bucket_end(max(starts), kind)
    trunc = TruncWeek("period_start") if kind == RollupPeriod.WEEK else TruncMonth("period_start")
    rows = (
        Measurement.objects.for_org(org)
        .filter(kpi_id__in=kpi_ids, period_start__gte=first, period_start__lte=last)
        .annotate(bucket=trunc)
        .values("kpi_id", "team_id", "owner_id", "bucket")
        .annotate(total=Sum("value"), count=Count("id"), last_day=Max("period_start"))
    )
    buckets: dict[Key, Bucket] = {}
    for row in rows:
        start = _as_date(row["bucket"])
        if start in starts:
            key = (row["kpi_id"], row["team_id"], row["owner_id"], kind, start)
            buckets[key] = Bucket(row["total"], row["count"], row["last_day"])
    # The value on each bucket's last day, for "last value" KPIs: one more GROUP BY.
    last_kpis = set(
        Kpi.objects.filter(pk__in=kpi_ids, aggregation="last").values_list("pk", flat=True)
    )
    if last_kpis:
        days = (
            Measurement.objects.for_org(org)
            .filter(kpi_id__in=last_kpis, period_start__gte=first, period_start__lte=last)
            .values("kpi_id", "team_id", "owner_id", "period_start")
            .annotate(total=Sum("value"))
        )
        for day_row in days:
            day = day_row["period_start"]
            start = week_start(day) if kind == RollupPeriod.WEEK else month_start(day)
            key = (day_row["kpi_id"], day_row["team_id"], day_row["owner_id"], kind, start)
            bucket = buckets.get(key)
            if bucket is not None and bucket.last_day == day:
                bucket.last_value = day_row["total"]
    return buckets


def _touched(
    org: Organization, touches: Iterable[tuple[int, date]]
) -> dict[str, set[tuple[int, date]]]:
    """(KPI, bucket start) pairs per period kind that the touched days fall in, with the ratio
    KPIs whose parts were touched."""
    fiscal = org.fiscal_year_start_month
    pairs = set(touches)
    kpi_ids = {kpi for kpi, _day in pairs}
    ratios = (
        Kpi.objects.for_org(org)
        .filter(aggregation="ratio")
        .values_list("pk", "numerator_id", "denominator_id")
    )
    for ratio, numerator, denominator in ratios:
        for part in (numerator, denominator):
            if part in kpi_ids:
                pairs |= {(ratio, day) for kpi, day in pairs if kpi == part}
    return {
        kind: {(kpi, bucket_start(day, kind, fiscal)) for kpi, day in pairs}
        for kind in RollupPeriod.values
    }


def _compute(org: Organization, wanted: dict[str, set[tuple[int, date]]]) -> list[KpiRollup]:
    """Every rollup row of the wanted buckets, built from aggregates."""
    kpis = {k.pk: k for k in Kpi.objects.for_org(org)}
    fiscal = org.fiscal_year_start_month
    base_ids = {
        kpi for kind in wanted.values() for kpi, _s in kind if kpis[kpi].aggregation != "ratio"
    }
    ratio_ids = {
        kpi for kind in wanted.values() for kpi, _s in kind if kpis[kpi].aggregation == "ratio"
    }
    needed = set(base_ids)
    for ratio in ratio_ids:
        needed |= {kpis[ratio].numerator_id, kpis[ratio].denominator_id} - {None}  # type: ignore[arg-type]

    detail: dict[Key, Bucket] = {}
    for period in (RollupPeriod.WEEK, RollupPeriod.MONTH):
        starts = {start for _kpi, start in wanted[period]}
        detail.update(_detail(org, needed, str(period), starts))
    # Quarters from the months they contain.
    quarter_starts = {start for _kpi, start in wanted[RollupPeriod.QUARTER]}
    months = {m for q in quarter_starts for m in (q, add_months(q, 1), add_months(q, 2))}
    month_rows = _detail(org, needed, RollupPeriod.MONTH, months)
    for (kpi, team, owner, _kind, start), bucket in month_rows.items():
        quarter = fiscal_quarter_start(start, fiscal)
        if quarter in quarter_starts:
            detail.setdefault((kpi, team, owner, RollupPeriod.QUARTER, quarter), Bucket()).add(
                bucket
            )

    # Team and organisation totals from the detail rows.
    levels: dict[tuple[str, Key], Bucket] = {}
    for (kpi, team, owner, kind, start), bucket in detail.items():
        levels[(RollupLevel.DETAIL, (kpi, team, owner, kind, start))] = bucket
        if team is not None:
            levels.setdefault((RollupLevel.TEAM, (kpi, team, None, kind, start)), Bucket()).add(
                bucket
            )
        levels.setdefault((RollupLevel.ORG, (kpi, None, None, kind, start)), Bucket()).add(bucket)

    rows: list[KpiRollup] = []
    wanted_keys = {(kpi, kind, start) for kind, pairs in wanted.items() for kpi, start in pairs}
    for (level, (kpi, team, owner, kind, start)), bucket in levels.items():
        if kpi in base_ids and (kpi, kind, start) in wanted_keys:
            row = _row(org, kpi, level, team, owner, kind, start, bucket)
            if kpis[kpi].aggregation != "last":
                row.last_value = None  # only "last value" KPIs have one
            rows.append(row)
    for ratio in ratio_ids:
        numerator, denominator = kpis[ratio].numerator_id, kpis[ratio].denominator_id
        scopes = {
            (level, team, owner, kind, start)
            for (level, (kpi, team, owner, kind, start)) in levels
            if kpi in (numerator, denominator) and (ratio, kind, start) in wanted_keys
        }
        for level, team, owner, kind, start in scopes:
            top = levels.get((level, (numerator, team, owner, kind, start)))  # type: ignore[arg-type]
            bottom = levels.get((level, (denominator, team, owner, kind, start)))  # type: ignore[arg-type]
            row = _row(org, ratio, level, team, owner, kind, start, Bucket())
            row.numerator = top.total if top else Decimal(0)
            row.denominator = bottom.total if bottom else Decimal(0)
            row.count = (top.count if top else 0) + (bottom.count if bottom else 0)
            rows.append(row)
    return rows


def _row(
    org: Organization,
    kpi: int,
    level: str,
    team: int | None,
    owner: int | None,
    kind: str,
    start: date,
    bucket: Bucket,
) -> KpiRollup:
    return KpiRollup(
        org=org,
        kpi_id=kpi,
        level=level,
        team_id=team,
        owner_id=owner,
        team_key=team or 0,
        owner_key=owner or 0,
        period_kind=kind,
        period_start=start,
        total=bucket.total,
        count=bucket.count,
        last_day=bucket.last_day,
        last_value=bucket.last_value,
    )


def _replace(org: Organization, wanted: dict[str, set[tuple[int, date]]]) -> int:
    """Portable path: delete the wanted buckets' rows and write them again."""
    rows = _compute(org, wanted)
    for kind, pairs in wanted.items():
        by_kpi: dict[int, set[date]] = defaultdict(set)
        for kpi, start in pairs:
            by_kpi[kpi].add(start)
        for kpi, starts in by_kpi.items():
            KpiRollup.objects.filter(
                org=org, kpi_id=kpi, period_kind=kind, period_start__in=starts
            ).delete()
    KpiRollup.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


# --- PostgreSQL: everything in one statement ------------------------------------------------

# Bucket starts, as `bucket_start` computes them: the Monday of the week and the first of the
# month; a fiscal quarter starts on the first month of its quarter (the `fiscal` parameter is
# the year's first month), here computed from the start of a month.
_WEEK_SQL = "ms.period_start - (EXTRACT(ISODOW FROM ms.period_start)::int - 1)"
_MONTH_SQL = "DATE_TRUNC('month', ms.period_start::timestamp)::date"
_QUARTER_OF_MONTH_SQL = (
    "(m.start - MAKE_INTERVAL(months => (EXTRACT(MONTH FROM m.start)::int + 12 - %(fiscal)s) %% 3))"
    "::date"
)

# `aggregates`: Σvalue, count and last day per week and month bucket for detail (KPI × team ×
# owner), team and organisation, told apart by GROUPING(team_id, owner_id): 0 detail, 1 team,
# 3 organisation. "Last value" KPIs take their own path (`last_measured`, below), and quarters
# are not read from the measurements at all: they are summed from their months.
# The whole organisation: one pass with six grouping sets (two sorts of the measurements).
_AGGREGATE_ALL = """
measured AS NOT MATERIALIZED (
    SELECT ms.kpi_id, ms.team_id, ms.owner_id, ms.value, ms.period_start,
           {week} AS week, {month} AS month
    FROM goals_measurement ms
    WHERE ms.org_id = %(org)s
),
aggregates AS (
    SELECT kpi_id, team_id, owner_id, GROUPING(team_id, owner_id) AS scope,
           CASE GROUPING(week) WHEN 0 THEN 'week' ELSE 'month' END AS kind,
           COALESCE(week, month) AS start,
           SUM(value) AS total, COUNT(*) AS count, MAX(period_start) AS last_day
    FROM measured
    WHERE kpi_id <> ALL(%(last_kpis)s::bigint[])
    GROUP BY GROUPING SETS (
        (kpi_id, team_id, owner_id, week), (kpi_id, team_id, week), (kpi_id, week),
        (kpi_id, team_id, owner_id, month), (kpi_id, team_id, month), (kpi_id, month)
    )
    -- Team totals are for teams: measurements of an owner alone count in the organisation only.
    HAVING GROUPING(team_id, owner_id) <> 1 OR team_id IS NOT NULL
),
last_measured AS (
    SELECT m.kpi_id, m.team_id, m.owner_id, m.value, m.period_start, k.kind,
           CASE k.kind WHEN 'week' THEN m.week ELSE m.month END AS start
    FROM measured m CROSS JOIN (VALUES ('week'), ('month')) AS k(kind)
    WHERE m.kpi_id = ANY(%(last_kpis)s::bigint[])
),"""

# A few buckets: only their measurements, read through the (org, kpi, period_start) index once
# per period kind (OFFSET 0 keeps the planner from scanning the whole table instead), and one
# sort with three grouping sets.
_AGGREGATE_WANTED = """
measured AS MATERIALIZED (
    SELECT ms.kpi_id, ms.team_id, ms.owner_id, ms.value, ms.period_start, k.kind,
           CASE k.kind WHEN 'week' THEN {week} ELSE {month} END AS start
    FROM UNNEST(
        %(range_kinds)s::text[], %(range_kpis)s::bigint[], %(range_firsts)s::date[],
        %(range_lasts)s::date[]
    ) AS k(kind, kpi_id, first_day, last_day)
    CROSS JOIN LATERAL (
        SELECT * FROM goals_measurement m
        WHERE m.org_id = %(org)s AND m.kpi_id = k.kpi_id
          AND m.period_start BETWEEN k.first_day AND k.last_day
        OFFSET 0
    ) AS ms
),
aggregates AS (
    SELECT kpi_id, team_id, owner_id, GROUPING(team_id, owner_id) AS scope, kind, start,
           SUM(value) AS total, COUNT(*) AS count, MAX(period_start) AS last_day
    FROM measured
    WHERE kpi_id <> ALL(%(last_kpis)s::bigint[])
    GROUP BY GROUPING SETS (
        (kpi_id, kind, start, team_id, owner_id), (kpi_id, kind, start, team_id),
        (kpi_id, kind, start)
    )
    HAVING GROUPING(team_id, owner_id) <> 1 OR team_id IS NOT NULL
),
last_measured AS (
    SELECT * FROM measured WHERE kpi_id = ANY(%(last_kpis)s::bigint[])
),"""

# "Last value" KPIs: sums per scope and day first, then per bucket the sum of all its days and
# the sum on its last day.
_LAST_VALUES = """
last_daily AS (
    SELECT kpi_id, team_id, owner_id, GROUPING(team_id, owner_id) AS scope, kind, start,
           period_start, SUM(value) AS total, COUNT(*) AS count
    FROM last_measured
    GROUP BY GROUPING SETS (
        (kpi_id, kind, start, team_id, owner_id, period_start),
        (kpi_id, kind, start, team_id, period_start), (kpi_id, kind, start, period_start)
    )
    HAVING GROUPING(team_id, owner_id) <> 1 OR team_id IS NOT NULL
),
last_aggregates AS (
    SELECT DISTINCT ON (kpi_id, scope, team_id, owner_id, kind, start)
           kpi_id, team_id, owner_id, scope, kind, start,
           SUM(total) OVER bucket AS total, SUM(count) OVER bucket AS count,
           period_start AS last_day, total AS last_value
    FROM last_daily
    WINDOW bucket AS (PARTITION BY kpi_id, scope, team_id, owner_id, kind, start)
    ORDER BY kpi_id, scope, team_id, owner_id, kind, start, period_start DESC
),
-- The totals of the KPIs that ratios are built from.
ratio_sources AS (
    SELECT kpi_id, team_id, owner_id, scope, kind, start, total, count
    FROM aggregates WHERE kpi_id = ANY(%(part_kpis)s::bigint[])
    UNION ALL
    SELECT kpi_id, team_id, owner_id, scope, kind, start, total, count
    FROM last_aggregates WHERE kpi_id = ANY(%(part_kpis)s::bigint[])
),"""

# One kind of bucket (week or month): plain KPIs, "last value" KPIs, and ratio KPIs with
# Σnumerator and Σdenominator over the same scope and bucket.
_COMPUTED = """
    SELECT a.kpi_id, a.scope, a.team_id, a.owner_id, a.kind, a.start, a.total, a.count,
           a.last_day, NULL::numeric AS last_value,
           NULL::numeric AS numerator, NULL::numeric AS denominator
    FROM aggregates a
    WHERE a.kind = '{kind}' AND a.kpi_id <> ALL(%(ratio_kpis)s::bigint[]) {wanted_aggregates}
    UNION ALL
    SELECT a.kpi_id, a.scope, a.team_id, a.owner_id, a.kind, a.start, a.total, a.count,
           a.last_day, a.last_value, NULL, NULL
    FROM last_aggregates a
    WHERE a.kind = '{kind}' {wanted_aggregates}
    UNION ALL
    SELECT p.ratio_id, a.scope, a.team_id, a.owner_id, a.kind, a.start, 0, SUM(a.count),
           NULL, NULL, SUM(a.total * p.is_numerator), SUM(a.total * p.is_denominator)
    FROM ratio_sources a JOIN ratio_parts p ON p.part_id = a.kpi_id
    WHERE a.kind = '{kind}' {wanted_ratios}
    GROUP BY p.ratio_id, a.scope, a.team_id, a.owner_id, a.kind, a.start
"""

_ROLLUP_SQL = """
WITH
{aggregation}
{last_values}
wanted AS (
    SELECT * FROM UNNEST(%(want_kpis)s::bigint[], %(want_kinds)s::text[], %(want_starts)s::date[])
        AS w(kpi_id, kind, start)
),
ratio_parts AS (
    SELECT id AS ratio_id, numerator_id AS part_id, 1 AS is_numerator, 0 AS is_denominator
    FROM goals_kpi WHERE org_id = %(org)s AND aggregation = 'ratio'
    UNION ALL
    SELECT id, denominator_id, 0, 1
    FROM goals_kpi WHERE org_id = %(org)s AND aggregation = 'ratio'
),
weeks AS ({computed_weeks}),
months AS MATERIALIZED ({computed_months}),
-- Quarters from their three months: the months computed here and, when only some months of a
-- quarter were touched, the stored rows of the others (`kept`).
quarter_months AS (
    SELECT m.*, {quarter} AS quarter,
           MAX(m.last_day) OVER (
               PARTITION BY m.kpi_id, m.scope, m.team_id, m.owner_id, {quarter}
           ) AS quarter_last_day
    FROM (
        SELECT kpi_id, scope, team_id, owner_id, start, total, count, last_day, last_value,
               numerator, denominator
        FROM months
        UNION ALL
        SELECT r.kpi_id, CASE r.level WHEN 'detail' THEN 0 WHEN 'team' THEN 1 ELSE 3 END,
               r.team_id, r.owner_id, r.period_start, r.total, r.count, r.last_day,
               r.last_value, r.numerator, r.denominator
        FROM UNNEST(%(kept_kpis)s::bigint[], %(kept_starts)s::date[]) AS x(kpi_id, start)
        JOIN dashboards_kpirollup r
          ON r.org_id = %(org)s AND r.kpi_id = x.kpi_id AND r.period_kind = 'month'
         AND r.period_start = x.start
    ) AS m
),
quarters AS (
    SELECT kpi_id, scope, team_id, owner_id, 'quarter' AS kind, quarter AS start,
           SUM(total) AS total, SUM(count) AS count, MAX(last_day) AS last_day,
           SUM(last_value) FILTER (WHERE last_day = quarter_last_day) AS last_value,
           SUM(numerator) AS numerator, SUM(denominator) AS denominator
    FROM quarter_months
    GROUP BY kpi_id, scope, team_id, owner_id, quarter
),
computed AS (
    SELECT * FROM weeks
    UNION ALL
    SELECT * FROM months
    UNION ALL
    SELECT * FROM quarters
),
fresh AS (
    SELECT kpi_id, CASE scope WHEN 0 THEN 'detail' WHEN 1 THEN 'team' ELSE 'org' END AS level,
           team_id, owner_id, COALESCE(team_id, 0) AS team_key, COALESCE(owner_id, 0) AS owner_key,
           kind, start, total, count, last_day, last_value, numerator, denominator
    FROM computed
),
stored AS NOT MATERIALIZED (
    SELECT r.id, r.kpi_id, r.level, r.team_key, r.owner_key, r.period_kind, r.period_start,
           r.total, r.count, r.last_day, r.last_value, r.numerator, r.denominator
    FROM dashboards_kpirollup r
    WHERE r.org_id = %(org)s {wanted_stored}
),
-- Only what differs is written: a rerun over unchanged measurements writes nothing.
changes AS MATERIALIZED (
    SELECT s.id AS stored_id, f.*
    FROM fresh f
    FULL JOIN stored s
      ON s.kpi_id = f.kpi_id AND s.level = f.level AND s.team_key = f.team_key
     AND s.owner_key = f.owner_key AND s.period_kind = f.kind AND s.period_start = f.start
    WHERE s.id IS NULL OR f.kpi_id IS NULL
       OR (s.total, s.count, s.last_day, s.last_value, s.numerator, s.denominator)
          IS DISTINCT FROM (f.total, f.count, f.last_day, f.last_value, f.numerator, f.denominator)
),
removed AS (
    DELETE FROM dashboards_kpirollup r USING changes c
    WHERE r.org_id = %(org)s {wanted_stored} AND r.id = c.stored_id AND c.kpi_id IS NULL
    RETURNING 1
),
updated AS (
    UPDATE dashboards_kpirollup r
    SET total = c.total, count = c.count, last_day = c.last_day, last_value = c.last_value,
        numerator = c.numerator, denominator = c.denominator
    FROM changes c
    WHERE r.org_id = %(org)s {wanted_stored} AND r.id = c.stored_id AND c.kpi_id IS NOT NULL
    RETURNING 1
),
added AS (
    INSERT INTO dashboards_kpirollup (
        org_id, kpi_id, level, team_id, owner_id, team_key, owner_key, period_kind,
        period_start, total, count, last_day, last_value, numerator, denominator
    )
    SELECT %(org)s, kpi_id, level, team_id, owner_id, team_key, owner_key, kind, start,
           total, count, last_day, last_value, numerator, denominator
    FROM changes
    WHERE stored_id IS NULL
    -- In key order: a bucket's rows land next to each other, in the table and in the index.
    ORDER BY kpi_id, kind, start, level, team_key, owner_key
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM removed) + (SELECT COUNT(*) FROM updated)
       + (SELECT COUNT(*) FROM added)
"""


# The kinds of bucket read from the measurements; quarters are summed from their months.
_READ_KINDS = (RollupPeriod.WEEK.value, RollupPeriod.MONTH.value)


def _ranges(
    wanted: dict[str, set[tuple[int, date]]], parts: dict[int, tuple[int, int]]
) -> list[tuple[str, int, date, date]]:
    """Per period kind, disjoint (KPI, first day, last day) spans covering exactly the wanted
    buckets of the KPI itself or, for a ratio, of its numerator and denominator."""
    spans: dict[tuple[str, int], set[date]] = defaultdict(set)
    for kind, pairs in wanted.items():
        for kpi, start in pairs:
            for part in parts.get(kpi, (kpi,)):
                spans[(kind, part)].add(start)
    merged: list[tuple[str, int, date, date]] = []
    for (kind, kpi), starts in spans.items():
        first: date | None = None
        last: date | None = None
        for start in sorted(starts):
            if first is not None and last is not None and start == last + timedelta(days=1):
                last = bucket_end(start, kind)
                continue
            if first is not None and last is not None:
                merged.append((kind, kpi, first, last))
            first, last = start, bucket_end(start, kind)
        if first is not None and last is not None:
            merged.append((kind, kpi, first, last))
    return merged


def _replace_in_database(org: Organization, wanted: dict[str, set[tuple[int, date]]] | None) -> int:
    """Recompute the wanted buckets (all of them when `wanted` is None) in one statement and
    write the differences; the number of rows written."""
    statement = _statement(org, wanted)
    if statement is None:
        return 0
    # The whole organisation: hash joins throughout (the planner cannot tell how large the
    # intermediate results are). A few buckets: compiling the plan (JIT) would take longer
    # than running it.
    setting, value = ("enable_nestloop", "off") if wanted is None else ("jit", "off")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting(%s), set_config(%s, %s, true)", [setting, setting, value]
        )
        (previous, _value) = cursor.fetchone()
        cursor.execute(*statement)
        (written,) = cursor.fetchone()
        cursor.execute("SELECT set_config(%s, %s, true)", [setting, previous])
    return int(written)


def _statement(
    org: Organization, wanted: dict[str, set[tuple[int, date]]] | None
) -> tuple[str, dict[str, Any]] | None:
    """The rollup statement and its parameters; None when no bucket is wanted."""
    kpis = list(
        Kpi.objects.for_org(org).values_list("pk", "aggregation", "numerator_id", "denominator_id")
    )
    parts = {pk: (top, bottom) for pk, aggregation, top, bottom in kpis if aggregation == "ratio"}
    params: dict[str, Any] = {
        "org": org.pk,
        "fiscal": org.fiscal_year_start_month,
        "ratio_kpis": list(parts),
        "part_kpis": sorted({part for pair in parts.values() for part in pair if part}),
        "last_kpis": [pk for pk, aggregation, _t, _b in kpis if aggregation == "last"],
        "want_kpis": [],
        "want_kinds": [],
        "want_starts": [],
        "kept_kpis": [],
        "kept_starts": [],
    }
    fragments = {
        "aggregation": _AGGREGATE_ALL,
        "wanted_aggregates": "",
        "wanted_ratios": "",
        "wanted_stored": "",
    }
    if wanted is not None:
        triples = [(kpi, kind, start) for kind, pairs in wanted.items() for kpi, start in pairs]
        if not triples:
            return None
        ranges = _ranges({kind: wanted.get(kind, set()) for kind in _READ_KINDS}, parts)
        months = wanted.get(RollupPeriod.MONTH, set())
        kept = sorted(
            {
                (kpi, add_months(quarter, offset))
                for kpi, quarter in wanted.get(RollupPeriod.QUARTER, set())
                for offset in range(3)
            }
            - months
        )
        params |= {
            "want_kpis": [kpi for kpi, _kind, _start in triples],
            "want_kinds": [kind for _kpi, kind, _start in triples],
            "want_starts": [start for _kpi, _kind, start in triples],
            "range_kinds": [kind for kind, _kpi, _first, _last in ranges],
            "range_kpis": [kpi for _kind, kpi, _first, _last in ranges],
            "range_firsts": [first for _kind, _kpi, first, _last in ranges],
            "range_lasts": [last for _kind, _kpi, _first, last in ranges],
            "kept_kpis": [kpi for kpi, _start in kept],
            "kept_starts": [start for _kpi, start in kept],
        }
        fragments |= {
            "aggregation": _AGGREGATE_WANTED,
            "wanted_aggregates": "AND (a.kpi_id, a.kind, a.start) IN (SELECT * FROM wanted)",
            "wanted_ratios": "AND (p.ratio_id, a.kind, a.start) IN (SELECT * FROM wanted)",
            "wanted_stored": (
                "AND (r.kpi_id, r.period_kind, r.period_start) IN (SELECT * FROM wanted)"
            ),
        }
    aggregation = fragments["aggregation"].format(week=_WEEK_SQL, month=_MONTH_SQL)
    computed = {
        f"computed_{kind}s": _COMPUTED.format(
            kind=kind,
            wanted_aggregates=fragments["wanted_aggregates"],
            wanted_ratios=fragments["wanted_ratios"],
        )
        for kind in _READ_KINDS
    }
    statement = _ROLLUP_SQL.format(
        aggregation=aggregation,
        last_values=_LAST_VALUES,
        quarter=_QUARTER_OF_MONTH_SQL,
        wanted_stored=fragments["wanted_stored"],
        **computed,
    )
    return statement, params


def _in_database() -> bool:
    return connection.vendor == "postgresql"


def _rebuild_portable(org: Organization) -> int:
    KpiRollup.objects.filter(org=org).delete()
    span = Measurement.objects.for_org(org).aggregate(
        first=Min("period_start"), last=Max("period_start")
    )
    if span["first"] is None:
        return 0
    days = (
        Measurement.objects.for_org(org)
        .annotate(month=TruncMonth("period_start"))
        .values_list("kpi_id", "month")
        .distinct()
    )
    pairs: set[tuple[int, date]] = set()
    for kpi, month in days:
        first = _as_date(month)
        # Every week that starts in or overlaps the month.
        day = first
        while day <= bucket_end(first, RollupPeriod.MONTH):
            pairs.add((kpi, day))
            day += timedelta(days=7)
        pairs.add((kpi, bucket_end(first, RollupPeriod.MONTH)))
    return _replace(org, _touched(org, pairs))


def _state(org: Organization) -> RollupState | None:
    """Lock the organisation's rollup state; None when another worker holds it."""
    RollupState.objects.get_or_create(org=org)
    return RollupState.objects.select_for_update(skip_locked=True).filter(org=org).first()


def rollups_rebuild(*, org: Organization) -> int:
    """Recompute every bucket that has measurements (and drop all others); the number of
    rollup rows written."""
    with transaction.atomic():
        state = _state(org)
        if state is None:
            return 0
        touches = list(MeasurementTouch.objects.filter(org=org).values_list("pk", flat=True))
        written = _replace_in_database(org, None) if _in_database() else _rebuild_portable(org)
        MeasurementTouch.objects.filter(pk__in=touches).delete()
        state.built_at = state.updated_at = timezone.now()
        state.save()
    return written


def rollups_update(*, org: Organization) -> int:
    """Recompute the buckets touched since the last run. Two workers: one does it, the other
    finds the state locked and returns; a rerun finds nothing touched. Returns the number of
    rollup rows written."""
    state = RollupState.objects.filter(org=org).first()
    if state is None or state.built_at is None:
        return rollups_rebuild(org=org)
    with transaction.atomic():
        state = _state(org)
        if state is None:
            return 0
        touches = list(
            MeasurementTouch.objects.filter(org=org).values_list("pk", "kpi_id", "period_start")
        )
        if not touches:
            return 0
        wanted = _touched(org, [(kpi, day) for _pk, kpi, day in touches])
        written = _replace_in_database(org, wanted) if _in_database() else _replace(org, wanted)
        MeasurementTouch.objects.filter(pk__in=[pk for pk, _k, _d in touches]).delete()
        state.updated_at = timezone.now()
        state.save(update_fields=["updated_at"])
    return written


def rollups_update_all() -> int:
    """The periodic job: every organisation with touched periods (or never built)."""
    written = 0
    touched = Q(pk__in=MeasurementTouch.objects.values("org_id"))
    never_built = ~Q(pk__in=RollupState.objects.filter(built_at__isnull=False).values("org_id"))
    for org in Organization.objects.filter(touched | never_built).order_by("pk"):
        written += rollups_update(org=org)
    return written
