"""Reads for goal pages and the API: org-scoped, role-aware, aggregated in SQL."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salesops.models import Membership, Organization, Role, Team
from salesops.selectors import get_or_404

from . import progress as progress_math
from .metrics import Cube, KpiSpec, MonthCell, Scope, window_changes
from .models import (
    CheckIn,
    CheckInComment,
    Goal,
    GoalLevel,
    GoalPolicy,
    GoalStatus,
    Kpi,
    Measurement,
)
from .periods import add_months, month_start, months_between, months_in
from .smart import History

HISTORY_WINDOWS = 9  # windows before the goal: 8 changes, about two years for a quarter
MIN_OWN_CHANGES = 3  # with fewer, compare with teams of the same kind


# --- who sees what ----------------------------------------------------------------------


def team_ids_of(membership: Membership) -> frozenset[int]:
    """The teams a member belongs to, loaded once per request."""
    cached = getattr(membership, "_team_ids", None)
    if cached is None:
        cached = frozenset(
            membership.team_memberships.filter(team__archived_at__isnull=True).values_list(
                "team_id", flat=True
            )
        )
        membership._team_ids = cached  # type: ignore[attr-defined]
    return cached


def sees_all_goals(membership: Membership) -> bool:
    return membership.role in (Role.ADMIN, Role.LEADER)


def visible_goals(*, membership: Membership) -> QuerySet[Goal]:
    goals = Goal.objects.for_org(membership.org)
    if sees_all_goals(membership):
        return goals
    return goals.filter(
        Q(level=GoalLevel.COMPANY)
        | Q(team_id__in=team_ids_of(membership))
        | Q(owner_id=membership.user_id)
    )


@dataclass(frozen=True)
class GoalFilters:
    team: int | None = None
    owner: int | None = None
    level: str = ""
    status: str = ""
    kpi: int | None = None
    period_start: date | None = None
    period_end: date | None = None
    search: str = ""


def goals_for(*, membership: Membership, filters: GoalFilters | None = None) -> QuerySet[Goal]:
    filters = filters or GoalFilters()
    goals = visible_goals(membership=membership).select_related("kpi", "team", "owner", "parent")
    if filters.team:
        goals = goals.filter(team_id=filters.team)
    if filters.owner:
        goals = goals.filter(owner_id=filters.owner)
    if filters.level:
        goals = goals.filter(level=filters.level)
    if filters.status:
        goals = goals.filter(status=filters.status)
    if filters.kpi:
        goals = goals.filter(kpi_id=filters.kpi)
    if filters.period_start:
        goals = goals.filter(due_date__gte=filters.period_start)
    if filters.period_end:
        goals = goals.filter(start_date__lte=filters.period_end)
    if filters.search:
        goals = goals.filter(
            Q(title__icontains=filters.search) | Q(statement__icontains=filters.search)
        )
    return goals.order_by("due_date", "title", "pk")


def goal_get(*, membership: Membership, pk: int) -> Goal:
    return get_or_404(
        visible_goals(membership=membership).select_related("kpi", "team", "owner", "parent"), pk=pk
    )


def kpis_for(*, org: Organization, include_archived: bool = False) -> QuerySet[Kpi]:
    kpis = Kpi.objects.for_org(org).select_related("numerator", "denominator", "owning_team")
    return kpis if include_archived else kpis.active()


def kpi_get(*, org: Organization, pk: int) -> Kpi:
    return get_or_404(kpis_for(org=org, include_archived=True), pk=pk)


def goal_policy(*, org: Organization) -> GoalPolicy:
    policy, _created = GoalPolicy.objects.get_or_create(org=org)
    return policy


def checkins_for(*, goal: Goal) -> QuerySet[CheckIn]:
    return goal.checkins.select_related("author").prefetch_related(
        Prefetch("comments", queryset=CheckInComment.objects.select_related("author"))
    )


def measurements_for(*, goal: Goal) -> QuerySet[Measurement]:
    kpi = goal.kpi
    parts = [kpi.numerator_id, kpi.denominator_id] if kpi.is_ratio else [kpi.pk]
    kpi_ids = [pk for pk in parts if pk is not None]
    measurements = Measurement.objects.for_org(goal.org).filter(
        kpi_id__in=kpi_ids,
        period_start__gte=month_start(goal.start_date),
        period_start__lte=goal.due_date,
    )
    scope = scope_of(goal)
    if scope.team_ids is not None:
        measurements = measurements.filter(team_id__in=scope.team_ids)
    if scope.owner_id is not None:
        measurements = measurements.filter(owner_id=scope.owner_id)
    return measurements.select_related("kpi", "team", "owner", "created_by")


# --- KPI values ---------------------------------------------------------------------------


def spec_of(kpi: Kpi) -> KpiSpec:
    return KpiSpec(
        id=kpi.pk,
        aggregation=kpi.aggregation,
        unit=kpi.unit,
        numerator_id=kpi.numerator_id,
        denominator_id=kpi.denominator_id,
    )


def scope_for(*, kpi: Kpi, level: str, team_id: int | None, owner_id: int | None) -> Scope:
    """Which measurements count for a goal.

    A cross-department KPI (one with an owning team, such as on-time delivery owned by
    production) is measured by that team, even inside another team's goal.
    """
    if level == GoalLevel.INDIVIDUAL:
        return Scope(owner_id=owner_id)
    if level == GoalLevel.TEAM and kpi.owning_team_id:
        return Scope(team_ids=frozenset({kpi.owning_team_id}))
    if level == GoalLevel.TEAM and team_id:
        return Scope(team_ids=frozenset({team_id}))
    return Scope()


def scope_of(goal: Goal) -> Scope:
    return scope_for(kpi=goal.kpi, level=goal.level, team_id=goal.team_id, owner_id=goal.owner_id)


def load_cube(*, org: Organization, kpis: Iterable[Kpi], start: date, end: date) -> Cube:
    """Monthly aggregates of these KPIs (and the parts of ratio KPIs) in one query."""
    ids: set[int] = set()
    last_ids: set[int] = set()
    for kpi in kpis:
        if kpi.is_ratio:
            ids.update(pk for pk in (kpi.numerator_id, kpi.denominator_id) if pk)
        else:
            ids.add(kpi.pk)
            if kpi.aggregation == "last":
                last_ids.add(kpi.pk)
    if not ids:
        return Cube({})
    rows = (
        Measurement.objects.for_org(org)
        .filter(kpi_id__in=ids, period_start__gte=month_start(start), period_start__lte=end)
        .annotate(month=TruncMonth("period_start"))
        .values("kpi_id", "team_id", "owner_id", "month")
        .annotate(total=Sum("value"), count=Count("id"), last_day=Max("period_start"))
    )
    cells: dict[Any, MonthCell] = {}
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        key = (row["kpi_id"], row["team_id"], row["owner_id"], month)
        cells[key] = MonthCell(row["total"], row["count"], row["last_day"], row["total"])
    if last_ids:
        # "Last value" KPIs need the value on each month's last day: one more query.
        latest = Measurement.objects.for_org(org).filter(
            kpi_id__in=last_ids, period_start__gte=month_start(start), period_start__lte=end
        )
        for kpi_id, team_id, owner_id, day, value in latest.order_by(
            "period_start", "pk"
        ).values_list("kpi_id", "team_id", "owner_id", "period_start", "value"):
            key = (kpi_id, team_id, owner_id, month_start(day))
            cell = cells.get(key)
            if cell is not None and day == cell.last_day:
                cells[key] = MonthCell(cell.total, cell.count, cell.last_day, value)
    return Cube(cells)


def is_cumulative(kpi: Kpi) -> bool:
    """Sum KPIs accumulate over a goal (500 leads in Q3); the others are levels (25% conversion)."""
    return kpi.aggregation == "sum"


@dataclass
class GoalMetrics:
    actual: float | None = None
    baseline_suggested: float | None = None
    progress: float | None = None
    expected: float = 0.0
    forecast: float | None = None
    health: str = "unknown"
    months: list[date] = field(default_factory=list)
    actual_series: list[float | None] = field(default_factory=list)
    expected_series: list[float | None] = field(default_factory=list)

    @property
    def progress_percent(self) -> int | None:
        return None if self.progress is None else round(self.progress * 100)

    @property
    def expected_percent(self) -> int:
        return round(self.expected * 100)


def suggested_baseline(
    *, cube: Cube, kpi: Kpi, scope: Scope, start: date, due: date
) -> float | None:
    """The KPI over the window of the same length just before the goal starts."""
    length = months_between(start, due)
    before = months_in(
        add_months(month_start(start), -length), month_start(start) - timedelta(days=1)
    )
    return cube.value(spec_of(kpi), scope, before)


def _metrics(goal: Goal, cube: Cube, policy: GoalPolicy, today: date) -> GoalMetrics:
    kpi, scope, spec = goal.kpi, scope_of(goal), spec_of(goal.kpi)
    months = months_in(goal.start_date, goal.due_date)
    elapsed = [m for m in months if m <= today]
    metrics = GoalMetrics(months=months)
    metrics.expected = progress_math.expected_progress(
        start=goal.start_date, due=goal.due_date, today=today
    )
    metrics.baseline_suggested = suggested_baseline(
        cube=cube, kpi=kpi, scope=scope, start=goal.start_date, due=goal.due_date
    )
    baseline = float(goal.baseline) if goal.baseline is not None else metrics.baseline_suggested
    target = float(goal.target)
    points: list[tuple[date, float]] = []
    if is_cumulative(kpi):
        running = 0.0
        seen = False
        for month in months:
            value = cube.value(spec, scope, [month]) if month <= today else None
            if value is not None:
                running += value
                seen = True
            metrics.actual_series.append(running if month <= today and seen else None)
            if month <= today and seen:
                points.append((min(month + timedelta(days=27), goal.due_date), running))
        metrics.actual = running if seen else None
        # A cumulative goal starts from zero, whatever the previous period's total was.
        progress_base = 0.0
    else:
        for month, value in cube.monthly(spec, scope, months):
            shown = value if month <= today else None
            metrics.actual_series.append(shown)
            if shown is not None:
                points.append((month + timedelta(days=14), shown))
        # The KPI over the goal's period so far: a ratio is Σ numerator ÷ Σ denominator over
        # all elapsed months, an average averages all their measurements, "last" takes the latest.
        metrics.actual = cube.value(spec, scope, elapsed) if elapsed else None
        progress_base = baseline if baseline is not None else 0.0
    metrics.progress = progress_math.progress(
        baseline=progress_base, target=target, actual=metrics.actual
    )
    metrics.forecast = progress_math.forecast(points=points, due=goal.due_date)
    for month in months:
        fraction = progress_math.expected_progress(
            start=goal.start_date,
            due=goal.due_date,
            today=min(month + timedelta(days=27), goal.due_date),
        )
        metrics.expected_series.append(progress_base + (target - progress_base) * fraction)
    if goal.status == GoalStatus.ACTIVE and elapsed:
        metrics.health = progress_math.health(
            progress=metrics.progress,
            expected=metrics.expected,
            at_risk_gap=policy.at_risk_gap,
            off_track_gap=policy.off_track_gap,
        )
    return metrics


def goal_metrics(*, goals: list[Goal], org: Organization, today: date) -> dict[int, GoalMetrics]:
    """Progress, expected progress, forecast and health for many goals in two or three queries."""
    if not goals:
        return {}
    start = min(
        add_months(goal.start_date, -months_between(goal.start_date, goal.due_date))
        for goal in goals
    )
    end = max(goal.due_date for goal in goals)
    kpis = {goal.kpi_id: goal.kpi for goal in goals}
    cube = load_cube(org=org, kpis=kpis.values(), start=start, end=end)
    policy = goal_policy(org=org)
    return {goal.pk: _metrics(goal, cube, policy, today) for goal in goals}


# --- history for the Achievable check -------------------------------------------------------


def period_label(months: int) -> str:
    if months == 1:
        return _("month")
    if months == 3:
        return _("quarter")
    if months == 6:
        return _("half-year")
    if months == 12:
        return _("year")
    return ngettext("%(count)s-month period", "%(count)s-month period", months) % {"count": months}


def achievable_history(
    *,
    org: Organization,
    kpi: Kpi,
    level: str,
    team: Team | None,
    owner_id: int | None,
    start: date,
    due: date,
) -> History:
    """Changes of the KPI over windows as long as the goal, before it starts.

    The goal's own scope first; with too little history, the pooled changes of teams of
    the same kind (or, for an individual goal, of the owner's teams).
    """
    length = months_between(start, due)
    first = add_months(month_start(start), -length * HISTORY_WINDOWS)
    cube = load_cube(org=org, kpis=[kpi], start=first, end=month_start(start) - timedelta(days=1))
    spec = spec_of(kpi)
    windows = [
        months_in(
            add_months(first, length * index),
            add_months(first, length * (index + 1)) - timedelta(days=1),
        )
        for index in range(HISTORY_WINDOWS)
    ]
    own = scope_for(kpi=kpi, level=level, team_id=team.pk if team else None, owner_id=owner_id)
    label = period_label(length)
    changes = window_changes([cube.value(spec, own, window) for window in windows])
    if len(changes) >= MIN_OWN_CHANGES:
        return History(changes=changes, period_label=label, source="team")
    comparable_ids = cube.teams_with_data(spec)
    if team is not None:
        same_kind = set(
            Team.objects.for_org(org).filter(kind=team.kind).values_list("pk", flat=True)
        )
        comparable_ids = (comparable_ids & same_kind) - {team.pk}
    pooled: list[float] = []
    for team_id in sorted(comparable_ids):
        scope = Scope(team_ids=frozenset({team_id}))
        pooled.extend(window_changes([cube.value(spec, scope, window) for window in windows]))
    if len(pooled) >= MIN_OWN_CHANGES:
        return History(changes=tuple(pooled), period_label=label, source="comparable")
    return History(changes=changes, period_label=label, source="none" if not changes else "team")


def suggest_baseline_for(
    *,
    org: Organization,
    kpi: Kpi,
    level: str,
    team: Team | None,
    owner_id: int | None,
    start: date,
    due: date,
) -> Decimal | None:
    length = months_between(start, due)
    cube = load_cube(
        org=org,
        kpis=[kpi],
        start=add_months(month_start(start), -length),
        end=month_start(start) - timedelta(days=1),
    )
    scope = scope_for(kpi=kpi, level=level, team_id=team.pk if team else None, owner_id=owner_id)
    value = suggested_baseline(cube=cube, kpi=kpi, scope=scope, start=start, due=due)
    return None if value is None else Decimal(str(round(value, 2)))


# --- the SMART report ----------------------------------------------------------------------


@dataclass(frozen=True)
class GoalValues:
    """What a goal form or API payload holds, already scoped to the organisation."""

    title: str = ""
    statement: str = ""
    scope_channel: str = ""
    scope_product: str = ""
    scope_segment: str = ""
    kpi: Kpi | None = None
    baseline: Decimal | None = None
    target: Decimal | None = None
    start_date: date | None = None
    due_date: date | None = None
    level: str = GoalLevel.TEAM
    team: Team | None = None
    owner_id: int | None = None
    parent: Goal | None = None
    contribution: str = ""


def smart_report_for(*, org: Organization, values: GoalValues, today: date) -> Any:
    from .smart import GoalDraft, KpiInfo, check

    kpi = values.kpi
    if (
        kpi is not None
        and values.start_date
        and values.due_date
        and values.due_date > values.start_date
    ):
        history = achievable_history(
            org=org,
            kpi=kpi,
            level=values.level,
            team=values.team,
            owner_id=values.owner_id,
            start=values.start_date,
            due=values.due_date,
        )
    else:
        history = History(changes=(), period_label=period_label(3), source="none")
    draft = GoalDraft(
        title=values.title,
        statement=values.statement,
        scope_channel=values.scope_channel,
        scope_product=values.scope_product,
        scope_segment=values.scope_segment,
        kpi=KpiInfo(name=kpi.display_name, unit=kpi.unit, lower_is_better=kpi.lower_is_better)
        if kpi
        else None,
        baseline=values.baseline,
        target=values.target,
        start=values.start_date,
        due=values.due_date,
        level=values.level,
        parent_kpi_name=values.parent.kpi.display_name if values.parent is not None else None,
        contribution=values.contribution,
    )
    return check(
        draft=draft,
        history=history,
        today=today,
        horizon_months=goal_policy(org=org).planning_horizon_months,
    )


def values_from(data: dict[str, Any]) -> GoalValues:
    """GoalValues from cleaned form or serializer data (objects already scoped to the org)."""
    owner = data.get("owner")
    return GoalValues(
        title=data.get("title") or "",
        statement=data.get("statement") or "",
        scope_channel=data.get("scope_channel") or "",
        scope_product=data.get("scope_product") or "",
        scope_segment=data.get("scope_segment") or "",
        kpi=data.get("kpi"),
        baseline=data.get("baseline"),
        target=data.get("target"),
        start_date=data.get("start_date"),
        due_date=data.get("due_date"),
        level=data.get("level") or GoalLevel.TEAM,
        team=data.get("team"),
        owner_id=owner.pk if owner is not None else None,
        parent=data.get("parent"),
        contribution=data.get("contribution") or "",
    )


def baseline_suggestion(*, org: Organization, values: GoalValues) -> Decimal | None:
    """The baseline the KPI's history gives for this goal, once it has a KPI and valid dates."""
    if (
        values.kpi is None
        or not values.start_date
        or not values.due_date
        or values.due_date <= values.start_date
    ):
        return None
    return suggest_baseline_for(
        org=org,
        kpi=values.kpi,
        level=values.level,
        team=values.team,
        owner_id=values.owner_id,
        start=values.start_date,
        due=values.due_date,
    )


def goal_values(goal: Goal) -> GoalValues:
    return GoalValues(
        title=goal.title,
        statement=goal.statement,
        scope_channel=goal.scope_channel,
        scope_product=goal.scope_product,
        scope_segment=goal.scope_segment,
        kpi=goal.kpi,
        baseline=goal.baseline,
        target=goal.target,
        start_date=goal.start_date,
        due_date=goal.due_date,
        level=goal.level,
        team=goal.team,
        owner_id=goal.owner_id,
        parent=goal.parent,
        contribution=goal.contribution,
    )


def measurement_scope_for(goal: Goal) -> tuple[Team | None, Any]:
    """Where a value entered on a goal's page is recorded: the finest level the goal names."""
    if goal.level == GoalLevel.INDIVIDUAL:
        return None, goal.owner
    if goal.level == GoalLevel.TEAM and goal.kpi.owning_team_id:
        return goal.kpi.owning_team, None
    if goal.team_id:
        return goal.team, None
    return None, goal.owner


@dataclass
class TreeNode:
    goal: Goal
    metrics: GoalMetrics
    depth: int
    rollup: float | None  # weighted progress of its children, when it has any

    @property
    def rollup_percent(self) -> int | None:
        return None if self.rollup is None else round(self.rollup * 100)


def goal_tree(*, goals: list[Goal], metrics: dict[int, GoalMetrics]) -> list[TreeNode]:
    """Goals in cascade order (company → team → individual) with each parent's weighted roll-up."""
    ids = {goal.pk for goal in goals}
    children: dict[int | None, list[Goal]] = {}
    for goal in goals:
        parent = goal.parent_id if goal.parent_id in ids else None
        children.setdefault(parent, []).append(goal)
    order: dict[str, int] = {GoalLevel.COMPANY: 0, GoalLevel.TEAM: 1, GoalLevel.INDIVIDUAL: 2}
    for siblings in children.values():
        siblings.sort(key=lambda g: (order.get(g.level, 3), g.title))

    def own_or_rollup(goal: Goal) -> float | None:
        kids = children.get(goal.pk, [])
        if not kids:
            return metrics[goal.pk].progress
        rolled = progress_math.weighted_rollup(
            [(own_or_rollup(kid), float(kid.weight)) for kid in kids]
        )
        return rolled if rolled is not None else metrics[goal.pk].progress

    nodes: list[TreeNode] = []

    def walk(parent: int | None, depth: int) -> None:
        for goal in children.get(parent, []):
            kids = children.get(goal.pk, [])
            rollup = (
                progress_math.weighted_rollup(
                    [(own_or_rollup(kid), float(kid.weight)) for kid in kids]
                )
                if kids
                else None
            )
            nodes.append(TreeNode(goal=goal, metrics=metrics[goal.pk], depth=depth, rollup=rollup))
            walk(goal.pk, depth + 1)

    walk(None, 0)
    return nodes
