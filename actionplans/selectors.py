"""Reads that the action plan pages and the API share: org-scoped, with the joins they need."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from goals.models import Kpi, Measurement
from goals.periods import week_start
from salesops.models import Membership, Organization, Team, User
from salesops.selectors import get_or_404

from .models import (
    OPEN_PLAN_STATUSES,
    ActionPlan,
    Blocker,
    BlockerStatus,
    Milestone,
    MilestoneStatus,
    MilestoneUpdate,
    PlanStatus,
    Resource,
    Risk,
)
from .timeline import (
    Timeline,
    TimelineItem,
    build_timeline,
    is_overdue,
    risk_band,
    risk_matrix,
)


def people_of(org: Organization) -> QuerySet[User]:
    """Active people of the organisation: owners are chosen among them."""
    return (
        User.objects.filter(memberships__org=org, memberships__is_active=True, is_active=True)
        .distinct()
        .order_by("display_name", "email")
    )


def plan_people(*, plan: ActionPlan) -> list[User]:
    """The people of a plan: its owner, its team, and whoever owns one of its milestones."""
    involved = Q(pk=plan.owner_id) | Q(owned_milestones__plan=plan)
    if plan.team_id:
        involved |= Q(memberships__team_memberships__team_id=plan.team_id)
    return list(people_of(plan.org).filter(involved).distinct())


# --- plans --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanFilters:
    status: str = ""
    team: int | None = None
    owner: int | None = None
    search: str = ""
    mine: bool = False


def plans_for(
    *, membership: Membership, filters: PlanFilters | None = None
) -> QuerySet[ActionPlan]:
    """Plans of the organisation with their milestone counts, in one query."""
    filters = filters or PlanFilters()
    plans = ActionPlan.objects.for_org(membership.org).select_related("owner", "team")
    if filters.status:
        plans = plans.filter(status=filters.status)
    if filters.team:
        plans = plans.filter(team_id=filters.team)
    if filters.owner:
        plans = plans.filter(owner_id=filters.owner)
    if filters.mine:
        # A subquery, not a join: a join on milestones here would narrow the counts below
        # to my milestones only.
        my_milestones = Milestone.objects.filter(owner_id=membership.user_id).values("plan_id")
        plans = plans.filter(Q(owner_id=membership.user_id) | Q(pk__in=my_milestones))
    if filters.search:
        plans = plans.filter(
            Q(title__icontains=filters.search) | Q(description__icontains=filters.search)
        )
    live = Q(milestones__is_dormant=False)
    return plans.annotate(
        milestone_count=Count("milestones", filter=live, distinct=True),
        done_count=Count(
            "milestones", filter=live & Q(milestones__status=MilestoneStatus.DONE), distinct=True
        ),
        open_blockers=Count(
            "milestones__blockers",
            filter=Q(milestones__blockers__status=BlockerStatus.OPEN),
            distinct=True,
        ),
    ).order_by("-start_date", "title", "pk")


def plan_get(*, org: Organization, pk: int) -> ActionPlan:
    return get_or_404(
        ActionPlan.objects.for_org(org).select_related("owner", "team", "raci_matrix", "org"),
        pk=pk,
    )


def plan_milestones(*, plan: ActionPlan) -> QuerySet[Milestone]:
    return (
        Milestone.objects.filter(plan=plan)
        .select_related("owner", "raci_activity", "contingency_for")
        .prefetch_related(
            Prefetch("depends_on", queryset=Milestone.objects.only("pk", "title", "status"))
        )
        .annotate(
            open_blockers=Count("blockers", filter=Q(blockers__status=BlockerStatus.OPEN)),
        )
        .order_by("position", "pk")
    )


@dataclass
class BudgetTotals:
    planned: Decimal = Decimal(0)
    actual: Decimal = Decimal(0)
    by_kind: list[dict[str, Any]] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.planned - self.actual

    @property
    def over(self) -> bool:
        return self.actual > self.planned

    @property
    def used_percent(self) -> int | None:
        if not self.planned:
            return None
        return round(self.actual / self.planned * 100)


def budget_totals(*, plan: ActionPlan) -> BudgetTotals:
    """Planned against actual per kind and in total, summed in SQL."""
    zero = Decimal(0)
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in Resource.objects.filter(plan=plan)
        .values("kind")
        .annotate(planned=Coalesce(Sum("planned"), zero), actual=Coalesce(Sum("actual"), zero))
        .order_by("kind")
    ]
    totals = BudgetTotals(by_kind=rows)
    for row in rows:
        totals.planned += row["planned"]
        totals.actual += row["actual"]
    return totals


def plan_risks(*, plan: ActionPlan) -> QuerySet[Risk]:
    return (
        Risk.objects.filter(plan=plan)
        .select_related("owner", "trigger_kpi", "trigger_team", "trigger_goal")
        .annotate(
            dormant_count=Count(
                "contingency_milestones", filter=Q(contingency_milestones__is_dormant=True)
            ),
            contingency_count=Count("contingency_milestones"),
        )
    )


def plan_timeline(*, plan: ActionPlan, milestones: list[Milestone], today: date) -> Timeline:
    items = [
        TimelineItem(
            key=m.pk,
            title=m.title,
            start_week=m.start_week,
            due_week=m.due_week,
            status=m.status,
            progress=m.progress,
            done=m.is_done,
        )
        for m in milestones
        if not m.is_dormant
    ]
    return build_timeline(items=items, first=plan.start_date, last=plan.end_date, today=today)


@dataclass(frozen=True)
class RiskCell:
    likelihood: int
    impact: int
    count: int
    band: str


def plan_risk_matrix(risks: list[Risk]) -> list[list[RiskCell]]:
    """Likelihood down (5 at the top), impact across; closed risks are left out."""
    counts = risk_matrix([(r.likelihood, r.impact) for r in risks if r.status != "closed"])
    return [
        [
            RiskCell(
                likelihood,
                impact,
                counts[5 - likelihood][impact - 1],
                risk_band(likelihood * impact),
            )
            for impact in range(1, 6)
        ]
        for likelihood in range(5, 0, -1)
    ]


def overdue_ids(milestones: list[Milestone], today: date) -> set[int]:
    return {
        m.pk
        for m in milestones
        if not m.is_dormant and is_overdue(due_week=m.due_week, done=m.is_done, today=today)
    }


# --- milestones ---------------------------------------------------------------------------


def milestone_get(*, org: Organization, pk: int) -> Milestone:
    return get_or_404(
        Milestone.objects.filter(plan__org=org).select_related(
            "plan__org", "plan__owner", "owner", "raci_activity__matrix", "contingency_for"
        ),
        pk=pk,
    )


def milestone_updates(*, milestone: Milestone) -> QuerySet[MilestoneUpdate]:
    return (
        MilestoneUpdate.objects.filter(milestone=milestone)
        .select_related("author", "blocker")
        .order_by("-created_at", "-pk")
    )


def this_week_milestones(
    *, org: Organization, today: date, owner: User | None = None
) -> QuerySet[Milestone]:
    """Milestones on "This week": open ones that have started (or should have), and any due
    this week or last week, however they stand — on live plans, not dormant Plan B ones."""
    monday = week_start(today)
    last_monday = monday - timedelta(days=7)
    started = ~Q(status=MilestoneStatus.NOT_STARTED) | Q(start_week__lte=monday)
    milestones = Milestone.objects.filter(
        plan__org=org, plan__status__in=OPEN_PLAN_STATUSES, is_dormant=False
    ).filter(
        (~Q(status=MilestoneStatus.DONE) & started)
        | Q(due_week__gte=last_monday, due_week__lte=monday)
    )
    if owner is not None:
        milestones = milestones.filter(owner=owner)
    return milestones


def _with_row_data(milestones: QuerySet[Milestone], monday: date) -> QuerySet[Milestone]:
    """What a row of "This week" shows: the plan, what it waits on, this week's update, blockers."""
    return (
        milestones.select_related("plan", "raci_activity")
        .prefetch_related(
            Prefetch(
                "depends_on",
                queryset=Milestone.objects.exclude(status=MilestoneStatus.DONE).only(
                    "pk", "title", "status"
                ),
                to_attr="waiting_on",
            )
        )
        .annotate(
            updated_this_week=Count("updates", filter=Q(updates__week_start=monday), distinct=True),
            open_blockers=Count(
                "blockers", filter=Q(blockers__status=BlockerStatus.OPEN), distinct=True
            ),
        )
    )


def this_week_for(*, membership: Membership, today: date) -> QuerySet[Milestone]:
    """My milestones for the weekly update, each with whether I updated it this week."""
    milestones = this_week_milestones(org=membership.org, today=today, owner=membership.user)
    return _with_row_data(milestones, week_start(today)).order_by(
        "due_week", "plan__title", "position", "pk"
    )


def this_week_updated_count(*, membership: Membership, today: date) -> int:
    monday = week_start(today)
    return (
        this_week_milestones(org=membership.org, today=today, owner=membership.user)
        .filter(updates__week_start=monday)
        .distinct()
        .count()
    )


def this_week_overdue_count(*, membership: Membership, today: date) -> int:
    """Not done after the Sunday of the due week (the same rule as `timeline.is_overdue`)."""
    return (
        this_week_milestones(org=membership.org, today=today, owner=membership.user)
        .exclude(status=MilestoneStatus.DONE)
        .filter(due_week__lt=week_start(today))
        .count()
    )


def this_week_row(*, org: Organization, pk: int, today: date) -> Milestone:
    """One row of "This week", after it was saved (it may have left the list, e.g. when done)."""
    milestones = Milestone.objects.filter(plan__org=org, pk=pk)
    return get_or_404(_with_row_data(milestones, week_start(today)), pk=pk)


def upcoming_for(*, membership: Membership, today: date, limit: int = 10) -> list[Milestone]:
    """My next milestones that have not started yet."""
    return list(
        Milestone.objects.filter(
            plan__org=membership.org,
            plan__status__in=OPEN_PLAN_STATUSES,
            owner_id=membership.user_id,
            is_dormant=False,
            start_week__gt=week_start(today),
            status=MilestoneStatus.NOT_STARTED,
        )
        .select_related("plan")
        .order_by("start_week", "pk")[:limit]
    )


def dependency_choices(
    *, plan: ActionPlan, milestone: Milestone | None = None
) -> QuerySet[Milestone]:
    """What a milestone may depend on: the milestones before it in its plan."""
    choices = Milestone.objects.filter(plan=plan).order_by("position", "pk")
    if milestone is not None and milestone.pk:
        choices = choices.filter(
            Q(position__lt=milestone.position) | Q(position=milestone.position, pk__lt=milestone.pk)
        )
    return choices


# --- blockers -----------------------------------------------------------------------------


def blockers_for(
    *, membership: Membership, status: str = BlockerStatus.OPEN, scope: str = "mine"
) -> QuerySet[Blocker]:
    """Blockers routed to me or raised by me; admins and leaders may ask for all."""
    blockers = Blocker.objects.for_org(membership.org).select_related(
        "milestone__plan", "team", "raised_by", "routed_to", "resolved_by"
    )
    if status:
        blockers = blockers.filter(status=status)
    if scope == "mine":
        blockers = blockers.filter(
            Q(routed_to_id=membership.user_id) | Q(raised_by_id=membership.user_id)
        )
    return blockers.order_by("-created_at", "-pk")


def blocker_get(*, org: Organization, pk: int) -> Blocker:
    return get_or_404(
        Blocker.objects.for_org(org).select_related(
            "milestone__plan", "team", "raised_by", "routed_to"
        ),
        pk=pk,
    )


def plan_open_blockers(*, plan: ActionPlan) -> QuerySet[Blocker]:
    return (
        Blocker.objects.filter(org_id=plan.org_id, status=BlockerStatus.OPEN, milestone__plan=plan)
        .select_related("milestone", "raised_by", "routed_to")
        .order_by("-created_at", "-pk")
    )


def team_open_blockers(*, team: Team) -> QuerySet[Blocker]:
    return (
        Blocker.objects.filter(org_id=team.org_id, status=BlockerStatus.OPEN)
        .filter(Q(team=team) | Q(milestone__plan__team=team))
        .select_related("milestone__plan", "raised_by", "routed_to")
        .order_by("-created_at", "-pk")
    )


# --- KPI values for risk triggers ---------------------------------------------------------


def is_cumulative_kpi(kpi: Kpi) -> bool:
    return kpi.aggregation == "sum"


def _aggregate(
    *, org: Organization, kpi_id: int, team: Team | None, start: date, end: date, how: str
) -> Decimal | None:
    rows = Measurement.objects.for_org(org).filter(
        kpi_id=kpi_id, period_start__gte=start, period_start__lte=end
    )
    if team is not None:
        rows = rows.filter(team=team)
    if how == "last":
        latest = (
            rows.order_by("-period_start", "-pk").values_list("period_start", flat=True).first()
        )
        if latest is None:
            return None
        return rows.filter(period_start=latest).aggregate(total=Sum("value"))["total"]
    result = rows.aggregate(total=Sum("value"), count=Count("id"))
    if not result["count"]:
        return None
    if how == "average":
        return Decimal(result["total"]) / result["count"]
    return Decimal(result["total"])


def kpi_value(
    *, org: Organization, kpi: Kpi, team: Team | None, start: date, end: date
) -> Decimal | None:
    """The KPI over [start, end] for a team (or the organisation), aggregated in SQL.

    Ratio KPIs are Σnumerator ÷ Σdenominator, in percent when the KPI is a percentage.
    """
    if kpi.is_ratio:
        if kpi.numerator_id is None or kpi.denominator_id is None:
            return None
        top = _aggregate(
            org=org, kpi_id=kpi.numerator_id, team=team, start=start, end=end, how="sum"
        )
        bottom = _aggregate(
            org=org, kpi_id=kpi.denominator_id, team=team, start=start, end=end, how="sum"
        )
        if top is None or not bottom:
            return None
        ratio = top / bottom
        return (ratio * 100 if kpi.unit == "percent" else ratio).quantize(Decimal("0.0001"))
    value = _aggregate(org=org, kpi_id=kpi.pk, team=team, start=start, end=end, how=kpi.aggregation)
    return None if value is None else value.quantize(Decimal("0.0001"))


def open_plans(*, org: Organization) -> QuerySet[ActionPlan]:
    return ActionPlan.objects.for_org(org).filter(status__in=OPEN_PLAN_STATUSES)


def running_plans_count(*, org: Organization) -> int:
    return ActionPlan.objects.for_org(org).filter(status=PlanStatus.ACTIVE).count()
