"""The dashboards: the leadership (organisation), team and personal boards, and a KPI's breakdown.

Every figure is read from small tables that Celery keeps current — KPI rollups and each goal's
latest snapshot — or from SQL aggregates over plans, milestones, resources and alerts, so a
board costs the same handful of queries whether the organisation has ten goals or ten thousand.

Periods. Week, month and fiscal quarter are the rollup buckets that contain today in the
organisation's time zone (the current period is therefore "so far"); the change is against the
bucket before. A custom range is widened to whole calendar months — the rollups' month buckets —
so its value is those months' rollups combined, and its previous period is the same number of
months just before it.

Scope. The leadership board covers the organisation; its team filter narrows every section to
that team — the team's rollups, goals, plans, alerts and pulse results, the same figures as the
team's own board — while its tiles stay the company's KPIs, with the team's goal on the KPI (if
any) as the target. The team board shows the team's goals' KPIs; the personal board the KPIs of
the viewer's individual goals, from the rollups of what was recorded for them.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.db.models.query import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actionplans.models import Milestone, MilestoneStatus, PlanStatus, Resource
from feedback.models import QuestionKind, Round, SurveyStatus
from feedback.selectors import ALL, results_for, with_ancestors, withheld_reason
from goals.models import Goal, GoalLevel, GoalStatus, Kpi, Unit
from goals.periods import add_months, month_start, months_in, week_start
from goals.progress import GoalHealth
from goals.selectors import team_ids_of
from salesops.models import Membership, Organization, Role, Team, User
from salesops.permissions import can
from salesops.selectors import get_or_404

from .models import (
    Alert,
    AlertSeverity,
    AlertState,
    GoalSnapshot,
    KpiRollup,
    RollupLevel,
    RollupPeriod,
)
from .rollups import bucket_end, bucket_start
from .selectors import alerts_for, rollup_value

MAX_TILES = 8
GOALS_FOR_TILES = 200  # active goals read to pick the tiles' KPIs and targets
MOST_BEHIND = 5
LATEST_ALERTS = 5
MOST_OVERDUE = 5
INSIGHT_TOP_TEAMS = 5
CUSTOM_MAX_MONTHS = 24
SPARK_POINTS = {RollupPeriod.WEEK: 12, RollupPeriod.MONTH: 12, RollupPeriod.QUARTER: 8}
PULSE_TEMPLATE = "collaboration_pulse"
OPEN_ALERT_STATES = (AlertState.OPEN, AlertState.ACKNOWLEDGED)

CUSTOM = "custom"
PERIOD_CHOICES = [
    (RollupPeriod.WEEK.value, gettext_lazy("This week")),
    (RollupPeriod.MONTH.value, gettext_lazy("This month")),
    (RollupPeriod.QUARTER.value, gettext_lazy("This quarter")),
    (CUSTOM, gettext_lazy("Custom range (whole months)")),
]


# --- filters and periods ------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFilters:
    period: str = RollupPeriod.MONTH
    start: date | None = None  # custom range only
    end: date | None = None
    team: Team | None = None  # the leadership board's team filter

    @property
    def is_custom(self) -> bool:
        return self.period == CUSTOM and self.start is not None and self.end is not None

    def query(self) -> dict[str, str]:
        """The period as GET parameters, for links that keep it (a tile to its KPI's page)."""
        params = {"period": self.period}
        if self.is_custom:
            assert self.start is not None and self.end is not None
            params.update(start=self.start.isoformat(), end=self.end.isoformat())
        return params


@dataclass(frozen=True)
class Period:
    choice: str  # week | month | quarter | custom
    kind: str  # the rollup bucket: week | month | quarter (month for custom)
    start: date
    end: date
    buckets: tuple[date, ...]  # bucket starts inside the period
    previous: tuple[date, ...]  # bucket starts of the period before, as many
    spark: tuple[date, ...]  # bucket starts for trend lines, oldest first, ending the period
    fiscal_start_month: int = 1

    @property
    def first(self) -> date:
        return min(self.spark[0], self.previous[0])

    @property
    def last(self) -> date:
        return self.buckets[-1]

    def label(self, start: date) -> str:
        if self.kind == RollupPeriod.WEEK:
            return start.isoformat()
        if self.kind == RollupPeriod.MONTH:
            return start.strftime("%Y-%m")
        number = (start.month - self.fiscal_start_month) % 12 // 3 + 1
        return _("Q%(number)s %(month)s") % {"number": number, "month": start.strftime("%Y-%m")}

    @property
    def spark_labels(self) -> list[str]:
        return [self.label(start) for start in self.spark]


def _before(start: date, kind: str, fiscal: int) -> date:
    return bucket_start(start - timedelta(days=1), kind, fiscal)


def resolve_period(*, filters: BoardFilters, today: date, fiscal_start_month: int) -> Period:
    """The period a board shows: the bucket containing `today`, or a custom range of months."""
    if filters.is_custom:
        assert filters.start is not None and filters.end is not None
        first, last = month_start(filters.start), month_start(filters.end)
        buckets = tuple(months_in(first, last))
        count = len(buckets)
        spark_first = min(first, add_months(last, 1 - SPARK_POINTS[RollupPeriod.MONTH]))
        return Period(
            choice=CUSTOM,
            kind=RollupPeriod.MONTH,
            start=first,
            end=bucket_end(last, RollupPeriod.MONTH),
            buckets=buckets,
            previous=tuple(add_months(first, index - count) for index in range(count)),
            spark=tuple(months_in(spark_first, last)),
            fiscal_start_month=fiscal_start_month,
        )
    kind = filters.period if filters.period in RollupPeriod.values else RollupPeriod.MONTH
    current = bucket_start(today, kind, fiscal_start_month)
    spark = [current]
    while len(spark) < SPARK_POINTS[RollupPeriod(kind)]:
        spark.insert(0, _before(spark[0], kind, fiscal_start_month))
    return Period(
        choice=kind,
        kind=kind,
        start=current,
        end=bucket_end(current, kind),
        buckets=(current,),
        previous=(spark[-2],),
        spark=tuple(spark),
        fiscal_start_month=fiscal_start_month,
    )


# --- values and their display -------------------------------------------------------------


def combined_value(kpi: Kpi, rows: Iterable[KpiRollup]) -> float | None:
    """The KPI over several rollup rows (months of a range, teams of a group) taken together:
    sums and counts add, ratios add their parts, "last value" keeps the latest day's value
    (summed over rows that end on that same day) — as the rollup job combines buckets."""
    rows = list(rows)
    if not rows:
        return None
    if len(rows) == 1:
        return rollup_value(kpi=kpi, row=rows[0])
    total, count = Decimal(0), 0
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    last_day: date | None = None
    last_value: Decimal | None = None
    for row in rows:
        total += Decimal(row.total)
        count += row.count
        if row.numerator is not None:
            numerator = (numerator or Decimal(0)) + Decimal(row.numerator)
        if row.denominator is not None:
            denominator = (denominator or Decimal(0)) + Decimal(row.denominator)
        if row.last_day is not None:
            if last_day is None or row.last_day > last_day:
                last_day, last_value = row.last_day, row.last_value
            elif row.last_day == last_day and row.last_value is not None:
                last_value = (last_value or Decimal(0)) + Decimal(row.last_value)
    combined = KpiRollup(
        kpi=kpi,
        total=total,
        count=count,
        numerator=numerator,
        denominator=denominator,
        last_day=last_day,
        last_value=last_value,
    )
    return rollup_value(kpi=kpi, row=combined)


def format_value(value: float | Decimal | None, unit: str, currency: str) -> str:
    """A KPI value with its unit: 25.3%, CNY 12,500, 3.5 d, 1,204."""
    if value is None:
        return "—"
    number = float(value)
    if unit == Unit.RATIO:
        decimals = 2
    elif abs(number) >= 100 or number.is_integer():
        decimals = 0
    else:
        decimals = 1
    text = number_format(round(number, decimals), decimal_pos=decimals, force_grouping=True)
    if unit == Unit.PERCENT:
        return f"{text}%"
    if unit == Unit.CURRENCY:
        return _("%(currency)s %(amount)s") % {"currency": currency, "amount": text}
    if unit == Unit.DAYS:
        return _("%(value)s d") % {"value": text}
    if unit == Unit.HOURS:
        return _("%(value)s h") % {"value": text}
    return text


def _signed(text: str, negative: bool) -> str:
    return f"−{text}" if negative else f"+{text}"


@dataclass
class Change:
    """A value against the period before, and whether that is good news for this KPI."""

    kpi: Kpi
    value: float | None
    previous: float | None
    currency: str

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def improved(self) -> bool | None:
        """True when the change goes the KPI's way (up for higher-is-better); None when flat."""
        delta = self.delta
        if delta is None or abs(delta) < 1e-9:
            return None
        return delta < 0 if self.kpi.lower_is_better else delta > 0

    @property
    def value_display(self) -> str:
        return format_value(self.value, self.kpi.unit, self.currency)

    @property
    def previous_display(self) -> str:
        return format_value(self.previous, self.kpi.unit, self.currency)

    @property
    def change_display(self) -> str:
        """Percentages change in points; other units by their relative change, or absolutely
        when the previous value was zero."""
        delta = self.delta
        if delta is None or self.previous is None:
            return ""
        size = abs(delta)
        if size < 1e-9:
            return _("no change")
        if self.kpi.unit == Unit.PERCENT:
            points = number_format(round(size, 1), decimal_pos=1)
            return _signed(_("%(value)s pts") % {"value": points}, delta < 0)
        if self.previous:
            relative = size / abs(self.previous) * 100
            return _signed(f"{number_format(round(relative, 1), decimal_pos=1)}%", delta < 0)
        return _signed(format_value(size, self.kpi.unit, self.currency), delta < 0)


@dataclass
class Tile(Change):
    goal: Goal | None = None  # whose target the tile shows
    spark: list[float | None] = field(default_factory=list)

    @property
    def target_display(self) -> str:
        return (
            ""
            if self.goal is None
            else format_value(self.goal.target, self.kpi.unit, self.currency)
        )

    @property
    def chart_id(self) -> str:
        return f"spark-{self.kpi.pk}"


# --- the sections of a board --------------------------------------------------------------


@dataclass
class BehindGoal:
    goal: Goal
    status: str
    progress: float  # fractions, as in the snapshot
    expected: float

    @property
    def progress_percent(self) -> int:
        return round(self.progress * 100)

    @property
    def expected_percent(self) -> int:
        return round(self.expected * 100)

    @property
    def gap_points(self) -> int:
        return round((self.expected - self.progress) * 100)


@dataclass
class GoalSummary:
    by_health: dict[str, int]  # on_track / at_risk / off_track / unknown, active goals' snapshots
    by_status: dict[str, int]  # draft / active / achieved / missed / cancelled
    behind: list[BehindGoal]

    @property
    def active(self) -> int:
        return self.by_status.get(GoalStatus.ACTIVE, 0)

    @property
    def snapshotted(self) -> int:
        return sum(self.by_health.values())

    @property
    def not_snapshotted(self) -> int:
        """Active goals without a snapshot yet (activated since the nightly job last ran)."""
        return max(0, self.active - self.snapshotted)

    @property
    def health_rows(self) -> list[tuple[str, str, int]]:
        labels = [
            (GoalHealth.ON_TRACK, _("On track")),
            (GoalHealth.AT_RISK, _("At risk")),
            (GoalHealth.OFF_TRACK, _("Off track")),
            (GoalHealth.UNKNOWN, _("No data yet")),
        ]
        return [(str(key), label, self.by_health.get(key, 0)) for key, label in labels]

    def share(self, key: str) -> int:
        total = self.snapshotted
        return round(self.by_health.get(key, 0) / total * 100) if total else 0


@dataclass
class AlertSummary:
    by_severity: dict[str, int]
    latest: list[Alert]

    @property
    def total(self) -> int:
        return sum(self.by_severity.values())

    @property
    def severity_rows(self) -> list[tuple[str, str, int]]:
        return [
            (str(value), str(label), self.by_severity.get(value, 0))
            for value, label in reversed(AlertSeverity.choices)
        ]


@dataclass
class MilestoneSummary:
    total: int
    due: int  # due weeks that are over
    done_due: int
    overdue: int
    most_overdue: list[Milestone]

    @property
    def completion(self) -> float | None:
        return round(self.done_due / self.due * 100, 1) if self.due else None

    @property
    def completion_display(self) -> str:
        return format_value(self.completion, Unit.PERCENT, "")


@dataclass
class BudgetSummary:
    planned: Decimal
    actual: Decimal
    plans: int
    currency: str

    @property
    def used_percent(self) -> int | None:
        return round(self.actual / self.planned * 100) if self.planned else None

    @property
    def over(self) -> bool:
        return self.actual > self.planned

    @property
    def planned_display(self) -> str:
        return format_value(self.planned, Unit.CURRENCY, self.currency)

    @property
    def actual_display(self) -> str:
        return format_value(self.actual, Unit.CURRENCY, self.currency)


@dataclass
class PulseSummary:
    """The latest closed pulse round for the board's scope, as far as the anonymity rules allow."""

    state: str  # none | not_in_audience | withheld | shown
    survey_id: int | None = None
    survey_title: str = ""
    round_number: int | None = None
    closes_on: date | None = None
    reason: str = ""
    threshold: int | None = None
    enps: float | None = None
    enps_delta: float | None = None
    average: float | None = None
    respondents: int | None = None
    response_rate: int | None = None  # the whole survey's; the organisation board only


@dataclass
class Board:
    kind: str  # org | team | my
    period: Period
    team: Team | None
    tiles: list[Tile]
    goals: GoalSummary
    alerts: AlertSummary
    milestones: MilestoneSummary
    budget: BudgetSummary
    pulse: PulseSummary | None
    currency: str

    @property
    def chart_data(self) -> dict[str, Any]:
        return {
            "labels": self.period.spark_labels,
            "tiles": [
                {"id": tile.chart_id, "values": tile.spark, "lower": tile.kpi.lower_is_better}
                for tile in self.tiles
            ],
        }


# --- scopes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """What a board covers: the organisation, one team, or one person."""

    team: Team | None = None
    owner_id: int | None = None

    def goals(self, prefix: str = "") -> Q:
        if self.team is not None:
            return Q(**{f"{prefix}team_id": self.team.pk})
        if self.owner_id is not None:
            return Q(**{f"{prefix}owner_id": self.owner_id})
        return Q()

    def plans(self, prefix: str = "plan__") -> Q:
        if self.team is not None:
            return Q(**{f"{prefix}team_id": self.team.pk})
        if self.owner_id is not None:
            return Q(**{f"{prefix}owner_id": self.owner_id})
        return Q()


def visible_teams(*, membership: Membership) -> list[Team]:
    """Teams whose numbers this person may look at: every active team for leaders and
    admins, their own teams for everyone else."""
    teams = Team.objects.for_org(membership.org).active()
    if membership.role not in (Role.ADMIN, Role.LEADER):
        teams = teams.filter(pk__in=team_ids_of(membership))
    return list(teams.order_by("name", "pk"))


def board_team_get(*, org: Organization, pk: int) -> Team:
    return get_or_404(Team.objects.for_org(org), pk=pk)


# --- KPI tiles ----------------------------------------------------------------------------


def _first_goal_per_kpi(goals: Iterable[Goal]) -> dict[int, Goal]:
    chosen: dict[int, Goal] = {}
    for goal in goals:
        chosen.setdefault(goal.kpi_id, goal)
    return chosen


def _fallback_kpis(org: Organization) -> list[Kpi]:
    with_rollups = KpiRollup.objects.for_org(org).filter(level=RollupLevel.ORG).values("kpi_id")
    return list(
        Kpi.objects.for_org(org)
        .active()
        .filter(pk__in=with_rollups)
        .order_by("name", "pk")[:MAX_TILES]
    )


def _tiles(
    *,
    org: Organization,
    kpis: Sequence[Kpi],
    targets: dict[int, Goal],
    period: Period,
    rollups: QuerySet[KpiRollup],
    row_key: Callable[[Kpi, KpiRollup], bool],
) -> list[Tile]:
    """Tiles from ONE query over the rollups of all their KPIs; `row_key(kpi)` says which
    rows of a KPI count (e.g. the team's), rows of a bucket are combined."""
    kpis = list(kpis)[:MAX_TILES]
    by_kpi = {kpi.pk: kpi for kpi in kpis}
    cells: dict[tuple[int, date], list[KpiRollup]] = defaultdict(list)
    if kpis:
        for row in rollups.filter(
            kpi_id__in=list(by_kpi),
            period_kind=period.kind,
            period_start__gte=period.first,
            period_start__lte=period.last,
        ):
            if row_key(by_kpi[row.kpi_id], row):
                cells[(row.kpi_id, row.period_start)].append(row)

    def value(kpi: Kpi, starts: Iterable[date]) -> float | None:
        return combined_value(kpi, [row for start in starts for row in cells[(kpi.pk, start)]])

    return [
        Tile(
            kpi=kpi,
            value=value(kpi, period.buckets),
            previous=value(kpi, period.previous),
            currency=org.currency,
            goal=targets.get(kpi.pk),
            spark=[value(kpi, [start]) for start in period.spark],
        )
        for kpi in kpis
    ]


def _org_tiles(*, org: Organization, team: Team | None, period: Period) -> list[Tile]:
    """The company goals' KPIs, then those of the other active goals (or, without goals, KPIs
    that have rollups), valued for the organisation — or for the filtered team, with the team's
    own goal as the target."""
    active = Goal.objects.for_org(org).filter(status=GoalStatus.ACTIVE).select_related("kpi")
    wanted = Q(level=GoalLevel.COMPANY)
    if team is not None:
        wanted |= Q(team_id=team.pk)
    goals = list(active.filter(wanted).order_by("due_date", "pk")[:GOALS_FOR_TILES])
    company = _first_goal_per_kpi(g for g in goals if g.level == GoalLevel.COMPANY)
    kpis = [goal.kpi for goal in company.values()]
    # Then the KPIs the rest of the organisation's active goals work on, valued for the
    # organisation; a team's target is not the organisation's, so those tiles have none.
    # (Always one query, so the count does not depend on how many company KPIs there are.)
    others = (
        Kpi.objects.for_org(org)
        .active()
        .filter(pk__in=active.values("kpi_id"))
        .exclude(pk__in=[kpi.pk for kpi in kpis])
        .order_by("name", "pk")[:MAX_TILES]
    )
    kpis = (kpis + list(others))[:MAX_TILES] or _fallback_kpis(org)
    rollups = KpiRollup.objects.for_org(org)
    if team is None:
        return _tiles(
            org=org,
            kpis=kpis,
            targets=company,
            period=period,
            rollups=rollups.filter(level=RollupLevel.ORG),
            row_key=lambda kpi, row: True,
        )
    own = _first_goal_per_kpi(
        sorted((g for g in goals if g.team_id == team.pk), key=lambda g: g.level != GoalLevel.TEAM)
    )
    return _tiles(
        org=org,
        kpis=kpis,
        targets=own,
        period=period,
        rollups=rollups.filter(level=RollupLevel.TEAM, team_key=team.pk),
        row_key=lambda kpi, row: True,
    )


def _team_tiles(*, org: Organization, team: Team, period: Period) -> list[Tile]:
    """The team's active goals' KPIs (team goals first), valued by the team's rollups — for a
    cross-department KPI, by the rollups of the team that delivers it, as its goals are."""
    goals = list(
        Goal.objects.for_org(org)
        .filter(status=GoalStatus.ACTIVE, team_id=team.pk)
        .select_related("kpi")
        .order_by("due_date", "pk")[:GOALS_FOR_TILES]
    )
    goals.sort(key=lambda goal: goal.level != GoalLevel.TEAM)
    targets = _first_goal_per_kpi(goals)
    kpis = [goal.kpi for goal in targets.values()]

    def measured_by(kpi: Kpi) -> int:
        return kpi.owning_team_id or team.pk

    keys = {measured_by(kpi) for kpi in kpis} or {team.pk}
    return _tiles(
        org=org,
        kpis=kpis,
        targets=targets,
        period=period,
        rollups=KpiRollup.objects.for_org(org).filter(level=RollupLevel.TEAM, team_key__in=keys),
        row_key=lambda kpi, row: row.team_key == measured_by(kpi),
    )


def _my_tiles(*, org: Organization, user_id: int, period: Period) -> list[Tile]:
    """My individual goals' KPIs, from what was recorded for me in any team."""
    goals = list(
        Goal.objects.for_org(org)
        .filter(status=GoalStatus.ACTIVE, level=GoalLevel.INDIVIDUAL, owner_id=user_id)
        .select_related("kpi")
        .order_by("due_date", "pk")[:GOALS_FOR_TILES]
    )
    targets = _first_goal_per_kpi(goals)
    return _tiles(
        org=org,
        kpis=[goal.kpi for goal in targets.values()],
        targets=targets,
        period=period,
        rollups=KpiRollup.objects.for_org(org).filter(level=RollupLevel.DETAIL, owner_key=user_id),
        row_key=lambda kpi, row: True,
    )


# --- goals, alerts, milestones, budget ----------------------------------------------------


def _goal_summary(*, org: Organization, scope: _Scope, today: date) -> GoalSummary:
    """Counts by status and the goals furthest behind, from each active goal's latest
    snapshot (one aggregate and one top-N query, however many goals)."""
    latest_day = (
        GoalSnapshot.objects.filter(goal=OuterRef("goal"), day__lte=today)
        .order_by("-day")
        .values("day")[:1]
    )
    snapshots = GoalSnapshot.objects.for_org(org).filter(
        Q(goal__status=GoalStatus.ACTIVE),
        scope.goals("goal__"),
        day=Subquery(latest_day),
    )
    by_health = dict(
        snapshots.values("status").annotate(n=Count("id")).order_by().values_list("status", "n")
    )
    behind = [
        BehindGoal(
            goal=snapshot.goal,
            status=snapshot.status,
            progress=snapshot.progress or 0.0,
            expected=snapshot.expected,
        )
        for snapshot in snapshots.filter(progress__isnull=False)
        .annotate(gap=F("expected") - F("progress"))
        .filter(gap__gt=0)
        .select_related("goal__kpi", "goal__team", "goal__owner")
        .order_by("-gap", "goal_id")[:MOST_BEHIND]
    ]
    by_status = dict(
        Goal.objects.for_org(org)
        .filter(scope.goals())
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("status", "n")
    )
    return GoalSummary(by_health=by_health, by_status=by_status, behind=behind)


def _alert_summary(*, membership: Membership, team: Team | None, mine: bool) -> AlertSummary:
    alerts = alerts_for(membership=membership).filter(state__in=OPEN_ALERT_STATES)
    if team is not None:
        alerts = alerts.filter(team_id=team.pk)
    if mine:
        user = membership.user_id
        alerts = alerts.filter(
            Q(goal__owner_id=user)
            | Q(team_id__in=team_ids_of(membership))
            | Q(rule__recipient_people=user)
        ).distinct()
    by_severity = dict(
        Alert.objects.filter(pk__in=alerts.values("pk"))
        .values("severity")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("severity", "n")
    )
    latest = list(alerts.order_by("-opened_at", "-pk")[:LATEST_ALERTS])
    return AlertSummary(by_severity=by_severity, latest=latest)


def _milestone_summary(*, org: Organization, scope: _Scope, today: date) -> MilestoneSummary:
    """Live milestones of running plans. "Due" means its due week is over (the rule of
    `timeline.is_overdue`), so completion and overdue always add up to what is due."""
    this_week = week_start(today)
    milestones = Milestone.objects.filter(
        plan__org=org, plan__status=PlanStatus.ACTIVE, is_dormant=False
    )
    if scope.owner_id is not None:
        milestones = milestones.filter(owner_id=scope.owner_id)
    else:
        milestones = milestones.filter(scope.plans())
    past_due = Q(due_week__lt=this_week)
    done = Q(status=MilestoneStatus.DONE)
    counts = milestones.aggregate(
        total=Count("id"),
        due=Count("id", filter=past_due),
        done_due=Count("id", filter=past_due & done),
    )
    overdue = milestones.filter(past_due).exclude(done)
    return MilestoneSummary(
        total=counts["total"],
        due=counts["due"],
        done_due=counts["done_due"],
        overdue=counts["due"] - counts["done_due"],
        most_overdue=list(
            overdue.select_related("plan", "owner").order_by("due_week", "pk")[:MOST_OVERDUE]
        ),
    )


def _budget_summary(*, org: Organization, scope: _Scope) -> BudgetSummary:
    zero = Decimal(0)
    totals = Resource.objects.filter(
        scope.plans(), plan__org=org, plan__status=PlanStatus.ACTIVE
    ).aggregate(
        planned=Coalesce(Sum("planned"), zero),
        actual=Coalesce(Sum("actual"), zero),
        plans=Count("plan", distinct=True),
    )
    return BudgetSummary(
        planned=totals["planned"],
        actual=totals["actual"],
        plans=totals["plans"],
        currency=org.currency,
    )


# --- collaboration health -----------------------------------------------------------------


def _pulse_summary(*, membership: Membership, team: Team | None, today: date) -> PulseSummary:
    """The latest closed round — of the collaboration pulse when there is one, else of any
    survey — whose audience covers the scope; the figures are those `results_for` shows this
    viewer, and a withheld group shows only why."""
    org = membership.org
    rounds = Round.objects.filter(survey__org=org).exclude(survey__status=SurveyStatus.DRAFT)
    rounds = rounds.filter(Q(closed_at__isnull=False) | Q(closes_on__lt=today))
    if team is not None:
        rounds = rounds.filter(
            Q(survey__audience_all=True)
            | Q(survey__audience_teams__in=with_ancestors(org, frozenset({team.pk})))
        )
    round_ = (
        Round.objects.filter(pk__in=rounds.values("pk"))
        .select_related("survey__org")
        .annotate(
            not_pulse=Case(
                When(survey__template_key=PULSE_TEMPLATE, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("not_pulse", "-closes_on", "-number", "-pk")
        .first()
    )
    if round_ is None or not can(membership, "survey.results", round_.survey):
        return PulseSummary(state="none")
    survey = round_.survey
    summary = PulseSummary(
        state="none",
        survey_id=survey.pk,
        survey_title=survey.title,
        round_number=round_.number,
        closes_on=round_.closes_on,
        threshold=survey.score_threshold,
    )
    results = results_for(membership=membership, survey=survey, round_=round_)
    key = ALL if team is None else f"team:{team.pk}"
    group = next((g for g in results.groups if g.key == key), None)
    if group is None:
        summary.state = "not_in_audience"
        return summary
    if not group.verdict.shown:
        summary.state = "withheld"
        summary.reason = withheld_reason(group.verdict.reason, survey.score_threshold)
        return summary
    summary.state = "shown"
    summary.respondents = group.shown_count
    if team is None:
        summary.response_rate = results.response_rate
    means: list[float] = []
    for item in results.questions:
        cell = item.cells.get(key)
        if cell is None or not cell.shown:
            continue
        if item.question.kind == QuestionKind.ENPS and summary.enps is None:
            summary.enps, summary.enps_delta = cell.enps, cell.delta
        elif item.question.kind == QuestionKind.SCALE and cell.mean is not None:
            means.append(cell.mean)
    summary.average = round(sum(means) / len(means), 2) if means else None
    return summary


# --- the boards ---------------------------------------------------------------------------


def _board(
    *,
    kind: str,
    membership: Membership,
    scope: _Scope,
    period: Period,
    tiles: list[Tile],
    today: date,
    pulse: bool,
) -> Board:
    org = membership.org
    return Board(
        kind=kind,
        period=period,
        team=scope.team,
        tiles=tiles,
        goals=_goal_summary(org=org, scope=scope, today=today),
        alerts=_alert_summary(membership=membership, team=scope.team, mine=kind == "my"),
        milestones=_milestone_summary(org=org, scope=scope, today=today),
        budget=_budget_summary(org=org, scope=scope),
        pulse=_pulse_summary(membership=membership, team=scope.team, today=today)
        if pulse
        else None,
        currency=org.currency,
    )


def _period(membership: Membership, filters: BoardFilters, today: date) -> Period:
    return resolve_period(
        filters=filters, today=today, fiscal_start_month=membership.org.fiscal_year_start_month
    )


def leadership_board(*, membership: Membership, filters: BoardFilters, today: date) -> Board:
    """The organisation's board; with a team filter, every section narrows to that team."""
    period = _period(membership, filters, today)
    team = filters.team
    tiles = _org_tiles(org=membership.org, team=team, period=period)
    return _board(
        kind="org",
        membership=membership,
        scope=_Scope(team=team),
        period=period,
        tiles=tiles,
        today=today,
        pulse=True,
    )


def team_board(*, membership: Membership, team: Team, filters: BoardFilters, today: date) -> Board:
    period = _period(membership, filters, today)
    tiles = _team_tiles(org=membership.org, team=team, period=period)
    return _board(
        kind="team",
        membership=membership,
        scope=_Scope(team=team),
        period=period,
        tiles=tiles,
        today=today,
        pulse=True,
    )


def my_board(*, membership: Membership, filters: BoardFilters, today: date) -> Board:
    """My individual goals' KPIs, my goals, my milestones, the budget of plans I own and the
    alerts about my goals and teams. No pulse: survey results are read per group, not per
    person."""
    period = _period(membership, filters, today)
    tiles = _my_tiles(org=membership.org, user_id=membership.user_id, period=period)
    return _board(
        kind="my",
        membership=membership,
        scope=_Scope(owner_id=membership.user_id),
        period=period,
        tiles=tiles,
        today=today,
        pulse=False,
    )


# --- a KPI's breakdown --------------------------------------------------------------------


@dataclass
class BreakdownRow(Change):
    label: str = ""
    team: Team | None = None
    owner: User | None = None
    teams: list[str] = field(default_factory=list)  # an owner's teams


@dataclass
class Series:
    label: str
    kind: str  # team | others | total
    values: list[float | None]


@dataclass
class KpiBreakdown:
    kpi: Kpi
    period: Period
    narrowed: bool  # a manager: their teams only
    total: Change  # the organisation (or, narrowed, the viewer's teams together)
    series: list[Series]
    teams: list[BreakdownRow]
    owners: list[BreakdownRow]
    goals: list[Goal]

    @property
    def chart_data(self) -> dict[str, Any]:
        return {
            "labels": self.period.spark_labels,
            "series": [{"label": s.label, "kind": s.kind, "values": s.values} for s in self.series],
        }


def _rank_key(row: Change) -> tuple[bool, float]:
    return (row.value is None, -(row.value or 0.0))


def kpi_breakdown(
    *, membership: Membership, kpi: Kpi, filters: BoardFilters, today: date
) -> KpiBreakdown:
    """The KPI by team over time (the top teams, the rest as "others", and the total) and by
    team and by owner over the chosen period — from two rollup queries. Managers see only
    their own teams' rows, and their teams' total instead of the organisation's."""
    org = membership.org
    period = _period(membership, filters, today)
    narrowed = membership.role not in (Role.ADMIN, Role.LEADER)
    mine = team_ids_of(membership)
    rollups = KpiRollup.objects.for_org(org).filter(kpi=kpi, period_kind=period.kind)
    over_time = rollups.filter(
        period_start__gte=period.first,
        period_start__lte=period.last,
        level__in=[RollupLevel.TEAM] if narrowed else [RollupLevel.TEAM, RollupLevel.ORG],
    ).select_related("team")
    in_period = rollups.filter(
        level=RollupLevel.DETAIL, period_start__in=[*period.buckets, *period.previous]
    ).select_related("team", "owner")
    if narrowed:
        over_time = over_time.filter(team_key__in=mine)
        in_period = in_period.filter(team_key__in=mine)

    team_cells: dict[int, dict[date, list[KpiRollup]]] = defaultdict(lambda: defaultdict(list))
    org_cells: dict[date, list[KpiRollup]] = defaultdict(list)
    teams: dict[int, Team] = {}
    for row in over_time:
        if row.level == RollupLevel.ORG:
            org_cells[row.period_start].append(row)
        elif row.team is not None:
            teams[row.team.pk] = row.team
            team_cells[row.team.pk][row.period_start].append(row)

    def over(cells: dict[date, list[KpiRollup]], starts: Iterable[date]) -> float | None:
        return combined_value(kpi, [row for start in starts for row in cells.get(start, [])])

    team_rows = sorted(
        (
            BreakdownRow(
                kpi=kpi,
                value=over(team_cells[pk], period.buckets),
                previous=over(team_cells[pk], period.previous),
                currency=org.currency,
                label=team.name,
                team=team,
            )
            for pk, team in teams.items()
        ),
        key=lambda row: (*_rank_key(row), row.label),
    )
    if narrowed:
        # The viewer's teams taken together, from the same team rows.
        every: dict[date, list[KpiRollup]] = defaultdict(list)
        for cells in team_cells.values():
            for start, rows in cells.items():
                every[start].extend(rows)
        total_cells = every
    else:
        total_cells = org_cells
    total = Change(
        kpi=kpi,
        value=over(total_cells, period.buckets),
        previous=over(total_cells, period.previous),
        currency=org.currency,
    )

    top = [row for row in team_rows if row.team is not None][:INSIGHT_TOP_TEAMS]
    top_ids = {row.team.pk for row in top if row.team is not None}
    series = [
        Series(
            label=row.label,
            kind="team",
            values=[over(team_cells[row.team.pk], [start]) for start in period.spark],
        )
        for row in top
        if row.team is not None
    ]
    others = [pk for pk in teams if pk not in top_ids]
    if others:
        rest: dict[date, list[KpiRollup]] = defaultdict(list)
        for pk in others:
            for start, rows in team_cells[pk].items():
                rest[start].extend(rows)
        series.append(
            Series(
                label=_("Other teams"),
                kind="others",
                values=[over(rest, [start]) for start in period.spark],
            )
        )
    series.append(
        Series(
            label=_("Your teams") if narrowed else _("Organisation"),
            kind="total",
            values=[over(total_cells, [start]) for start in period.spark],
        )
    )

    # By owner, over the period: the detail rows of each person, combined across teams.
    owner_cells: dict[int, dict[date, list[KpiRollup]]] = defaultdict(lambda: defaultdict(list))
    owners: dict[int, User] = {}
    owner_teams: dict[int, set[str]] = defaultdict(set)
    for row in in_period:
        if row.owner is None:
            continue
        owners[row.owner.pk] = row.owner
        owner_cells[row.owner.pk][row.period_start].append(row)
        if row.team is not None and row.period_start in period.buckets:
            owner_teams[row.owner.pk].add(row.team.name)
    owner_rows = sorted(
        (
            BreakdownRow(
                kpi=kpi,
                value=over(owner_cells[pk], period.buckets),
                previous=over(owner_cells[pk], period.previous),
                currency=org.currency,
                label=owner.display_name,
                owner=owner,
                teams=sorted(owner_teams[pk]),
            )
            for pk, owner in owners.items()
        ),
        key=lambda row: (*_rank_key(row), row.label),
    )

    goals = Goal.objects.for_org(org).filter(kpi=kpi, status=GoalStatus.ACTIVE)
    if narrowed:
        goals = goals.filter(Q(level=GoalLevel.COMPANY) | Q(team_id__in=mine))
    return KpiBreakdown(
        kpi=kpi,
        period=period,
        narrowed=narrowed,
        total=total,
        series=series,
        teams=team_rows,
        owners=owner_rows,
        goals=list(
            goals.exclude(level=GoalLevel.INDIVIDUAL)
            .select_related("team")
            .order_by("due_date", "pk")[:10]
        ),
    )
