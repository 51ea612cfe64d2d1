"""KPI rollups: measurements aggregated per KPI × team × owner, team and organisation, for
weeks, months and fiscal quarters.

Incremental: each run reads the periods touched since the last run (`MeasurementTouch`, written
with every measurement change), recomputes exactly those buckets with GROUP BY queries, and
replaces their rows. A full rebuild recomputes every bucket that has measurements through the
same code, so both paths give the same rows. Team, organisation and quarter rows are summed from
the detail and month aggregates — never from measurement rows in Python.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from goals.models import Kpi, Measurement, MeasurementTouch
from goals.periods import add_months, fiscal_quarter_start, month_start, week_start
from salesops.models import Organization

from .models import KpiRollup, RollupLevel, RollupPeriod, RollupState

Key = tuple[int, int | None, int | None, str, date]  # kpi, team, owner, period kind, start


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
            rows.append(_row(org, kpi, level, team, owner, kind, start, bucket))
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
    """Delete the wanted buckets' rows and write them again, in one transaction."""
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


def _state(org: Organization) -> RollupState | None:
    """Lock the organisation's rollup state; None when another worker holds it."""
    RollupState.objects.get_or_create(org=org)
    return RollupState.objects.select_for_update(skip_locked=True).filter(org=org).first()


def rollups_rebuild(*, org: Organization) -> int:
    """Recompute every bucket that has measurements (and drop all others)."""
    with transaction.atomic():
        state = _state(org)
        if state is None:
            return 0
        touches = list(MeasurementTouch.objects.filter(org=org).values_list("pk", flat=True))
        KpiRollup.objects.filter(org=org).delete()
        span = Measurement.objects.for_org(org).aggregate(
            first=Min("period_start"), last=Max("period_start")
        )
        written = 0
        if span["first"] is not None:
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
            written = _replace(org, _touched(org, pairs))
        MeasurementTouch.objects.filter(pk__in=touches).delete()
        state.built_at = state.updated_at = timezone.now()
        state.save()
    return written


def rollups_update(*, org: Organization) -> int:
    """Recompute the buckets touched since the last run. Two workers: one does it, the other
    finds the state locked and returns; a rerun finds nothing touched."""
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
        written = _replace(org, _touched(org, [(kpi, day) for _pk, kpi, day in touches]))
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
