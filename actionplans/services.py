"""Every write on action plans that has a rule: plans, milestones and their weekly updates,
blockers, resources, risks with a Plan B, and the jobs that remind, flag and trigger.

Functions are keyword-only and transactional; bad input raises ValidationError and
changes nothing.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from goals.models import Goal, Kpi
from goals.periods import week_start
from goals.services.checkins import org_today
from raci.models import ParticipantKind, RaciActivity, RaciAssignment, RaciMatrix
from salesops.models import Organization, Team, User
from salesops.selectors import is_active_member
from salesops.services.notifications import notify

from . import selectors, triggers
from .blueprints import blueprint_get
from .models import (
    OPEN_PLAN_STATUSES,
    ActionPlan,
    Blocker,
    BlockerStatus,
    Milestone,
    MilestoneReminder,
    MilestoneStatus,
    MilestoneUpdate,
    PlanStatus,
    Resource,
    ResourceKind,
    Risk,
    RiskStatus,
    RiskTriggerEvent,
    ThresholdBasis,
    TriggerKind,
)
from .timeline import is_overdue

REMINDER_WEEKDAY = 4  # Friday
REMINDER_HOUR = 14  # 14:00 in the organisation's time zone


# --- URLs for notifications ---------------------------------------------------------------


def plan_url(plan: ActionPlan) -> str:
    return reverse("actionplans:plan_detail", kwargs={"org_slug": plan.org.slug, "pk": plan.pk})


def milestone_url(milestone: Milestone) -> str:
    return reverse(
        "actionplans:milestone_detail",
        kwargs={"org_slug": milestone.plan.org.slug, "pk": milestone.pk},
    )


def this_week_url(org: Organization) -> str:
    return reverse("actionplans:this_week", kwargs={"org_slug": org.slug})


def blocker_url(blocker: Blocker) -> str:
    return reverse("actionplans:blocker_list", kwargs={"org_slug": blocker.org.slug})


# --- plans --------------------------------------------------------------------------------

PLAN_FIELDS = ("title", "description", "owner", "team", "start_date", "end_date", "status")


def _active_member(org: Organization, user: User | None, field: str) -> None:
    if user is None:
        raise ValidationError({field: _("Choose a person.")})
    if not is_active_member(org_id=org.pk, user_id=user.pk):
        raise ValidationError({field: _("Choose an active member of this organisation.")})


def _check_plan(*, org: Organization, plan: ActionPlan, goals: Iterable[Goal] | None) -> None:
    if not plan.title.strip():
        raise ValidationError({"title": _("Give the plan a title.")})
    _active_member(org, plan.owner if plan.owner_id else None, "owner")
    if plan.team is not None and (plan.team.org_id != org.pk or plan.team.archived_at):
        raise ValidationError({"team": _("Choose an active team of this organisation.")})
    if plan.raci_matrix is not None and plan.raci_matrix.org_id != org.pk:
        raise ValidationError({"raci_matrix": _("Choose a RACI matrix of this organisation.")})
    if plan.start_date and plan.end_date and plan.end_date < plan.start_date:
        raise ValidationError({"end_date": _("The end date must not be before the start date.")})
    if goals is not None and any(goal.org_id != org.pk for goal in goals):
        raise ValidationError({"goals": _("Choose goals of this organisation.")})
    if plan.status not in PlanStatus.values:
        raise ValidationError({"status": _("Choose a valid status.")})


@transaction.atomic
def plan_create(
    *, actor: User, org: Organization, goals: Sequence[Goal] = (), **values: Any
) -> ActionPlan:
    plan = ActionPlan(org=org, created_by=actor)
    for name in PLAN_FIELDS:
        if name in values:
            setattr(plan, name, values[name])
    plan.raci_matrix = values.get("raci_matrix")
    plan.blueprint = values.get("blueprint", "")
    _check_plan(org=org, plan=plan, goals=goals)
    plan.full_clean(exclude=["goals"])
    plan.save()
    plan.goals.set(goals)
    return plan


@transaction.atomic
def plan_update(
    *, actor: User, plan: ActionPlan, goals: Sequence[Goal] | None = None, **values: Any
) -> ActionPlan:
    plan = ActionPlan.objects.select_for_update(of=("self",)).get(pk=plan.pk)
    for name in (*PLAN_FIELDS, "raci_matrix"):
        if name in values:
            setattr(plan, name, values[name])
    _check_plan(org=plan.org, plan=plan, goals=goals)
    plan.full_clean(exclude=["goals"])
    plan._change_reason = values.get("reason", "")  # type: ignore[attr-defined]
    plan.save()
    if goals is not None:
        plan.goals.set(goals)
    return plan


@transaction.atomic
def plan_create_from_blueprint(
    *,
    actor: User,
    org: Organization,
    key: str,
    owner: User,
    start_date: date,
    title: str = "",
    team: Team | None = None,
    goals: Sequence[Goal] = (),
    raci_matrix: RaciMatrix | None = None,
    status: str = PlanStatus.DRAFT,
) -> ActionPlan:
    """A plan with the blueprint's milestones (all owned by the plan's owner, to hand out),
    its suggested resources, and its risk with a dormant Plan B."""
    blueprint = blueprint_get(key)
    if blueprint is None:
        raise ValidationError({"blueprint": _("Choose one of the templates.")})
    first = week_start(start_date)
    plan = plan_create(
        actor=actor,
        org=org,
        goals=goals,
        title=title.strip() or str(blueprint.title),
        description=str(blueprint.description),
        owner=owner,
        team=team,
        start_date=start_date,
        end_date=first + timedelta(weeks=blueprint.weeks, days=-1),
        status=status,
        raci_matrix=raci_matrix,
        blueprint=key,
    )

    def add_steps(steps: Sequence[Any], risk: Risk | None = None) -> None:
        created: list[Milestone] = []
        for step in steps:
            milestone = milestone_create(
                actor=actor,
                plan=plan,
                title=str(step.title),
                deliverable=str(step.deliverable),
                owner=owner,
                start_week=first + timedelta(weeks=step.first_week - 1),
                due_week=first + timedelta(weeks=step.last_week - 1),
                depends_on=[created[index] for index in step.depends_on],
                contingency_for=risk,
            )
            created.append(milestone)

    add_steps(blueprint.steps)
    for position, resource in enumerate(blueprint.resources):
        Resource.objects.create(
            plan=plan,
            kind=resource.kind,
            description=str(resource.description),
            planned=resource.planned,
            position=position,
        )
    for risk_blueprint in blueprint.risks:
        risk = risk_save(
            actor=actor,
            plan=plan,
            description=str(risk_blueprint.description),
            likelihood=risk_blueprint.likelihood,
            impact=risk_blueprint.impact,
            owner=owner,
            contingency=str(risk_blueprint.contingency),
        )
        add_steps(risk_blueprint.plan_b, risk=risk)
    return plan


# --- milestones ---------------------------------------------------------------------------


def _check_milestone(milestone: Milestone, depends_on: Sequence[Milestone] | None) -> None:
    plan = milestone.plan
    if not milestone.title.strip():
        raise ValidationError({"title": _("Give the milestone a title.")})
    _active_member(plan.org, milestone.owner if milestone.owner_id else None, "owner")
    if milestone.start_week and milestone.due_week and milestone.due_week < milestone.start_week:
        raise ValidationError({"due_week": _("The due week must not be before the start week.")})
    if milestone.raci_activity is not None and milestone.raci_activity.matrix.org_id != plan.org_id:
        raise ValidationError({"raci_activity": _("Choose a RACI activity of this organisation.")})
    if depends_on is None:
        return
    for other in depends_on:
        if other.plan_id != plan.pk:
            raise ValidationError(
                {"depends_on": _("A milestone depends only on milestones of its plan.")}
            )
        if milestone.pk and other.pk == milestone.pk:
            raise ValidationError({"depends_on": _("A milestone cannot depend on itself.")})
        if milestone.pk and (other.position, other.pk) >= (milestone.position, milestone.pk):
            raise ValidationError(
                {"depends_on": _("A milestone depends only on milestones that come before it.")}
            )


def _normalise_weeks(values: dict[str, Any]) -> None:
    for name in ("start_week", "due_week"):
        if values.get(name):
            values[name] = week_start(values[name])


@transaction.atomic
def milestone_create(
    *,
    actor: User,
    plan: ActionPlan,
    title: str,
    owner: User,
    due_week: date,
    start_week: date | None = None,
    deliverable: str = "",
    depends_on: Sequence[Milestone] = (),
    raci_activity: RaciActivity | None = None,
    contingency_for: Risk | None = None,
) -> Milestone:
    values: dict[str, Any] = {"start_week": start_week or due_week, "due_week": due_week}
    _normalise_weeks(values)
    last = plan.milestones.aggregate(last=Max("position"))["last"]
    milestone = Milestone(
        plan=plan,
        title=title.strip(),
        deliverable=deliverable.strip(),
        owner=owner,
        raci_activity=raci_activity,
        contingency_for=contingency_for,
        is_dormant=contingency_for is not None
        and contingency_for.status != RiskStatus.PLAN_B_ACTIVE,
        position=0 if last is None else last + 1,
        **values,
    )
    _check_milestone(milestone, depends_on)
    milestone.full_clean()
    milestone.save()
    milestone.depends_on.set(depends_on)
    return milestone


MILESTONE_FIELDS = ("title", "deliverable", "owner", "start_week", "due_week", "raci_activity")


@transaction.atomic
def milestone_edit(
    *,
    actor: User,
    milestone: Milestone,
    depends_on: Sequence[Milestone] | None = None,
    reason: str = "",
    **values: Any,
) -> Milestone:
    milestone = Milestone.objects.select_for_update(of=("self",)).get(pk=milestone.pk)
    _normalise_weeks(values)
    for name in MILESTONE_FIELDS:
        if name in values:
            setattr(milestone, name, values[name])
    if isinstance(milestone.title, str):
        milestone.title = milestone.title.strip()
    _check_milestone(milestone, depends_on)
    milestone.full_clean()
    milestone._change_reason = reason  # type: ignore[attr-defined]
    milestone.save()
    if depends_on is not None:
        milestone.depends_on.set(depends_on)
    return milestone


@transaction.atomic
def milestone_move(*, actor: User, milestone: Milestone, direction: str) -> Milestone:
    """Swap with the neighbour above or below. A milestone never moves above what it depends on."""
    if direction not in ("up", "down"):
        raise ValidationError(_("Move a milestone up or down."))
    siblings = list(
        Milestone.objects.select_for_update()
        .filter(plan_id=milestone.plan_id)
        .order_by("position", "pk")
    )
    index = next(i for i, m in enumerate(siblings) if m.pk == milestone.pk)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(siblings):
        return siblings[index]
    upper, lower = sorted(
        (siblings[index], siblings[other_index]), key=lambda m: (m.position, m.pk)
    )
    if lower.depends_on.filter(pk=upper.pk).exists():
        raise ValidationError(
            format_lazy(
                _("“{later}” depends on “{earlier}” and must stay after it."),
                later=lower.title,
                earlier=upper.title,
            )
        )
    siblings[index], siblings[other_index] = siblings[other_index], siblings[index]
    for position, item in enumerate(siblings):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])
    return next(m for m in siblings if m.pk == milestone.pk)


@transaction.atomic
def milestone_delete(*, actor: User, milestone: Milestone) -> None:
    if milestone.dependents.exists():
        names = ", ".join(milestone.dependents.values_list("title", flat=True))
        raise ValidationError(
            format_lazy(_("Other milestones depend on this one: {names}."), names=names)
        )
    milestone.delete()


def unfinished_dependencies(milestone: Milestone) -> list[Milestone]:
    return list(milestone.depends_on.exclude(status=MilestoneStatus.DONE).order_by("position"))


@transaction.atomic
def milestone_record_update(
    *,
    actor: User,
    milestone: Milestone,
    progress: int,
    status: str,
    note: str = "",
    blocker: str = "",
    now: datetime | None = None,
) -> MilestoneUpdate:
    """The weekly update: progress, status, a note and perhaps a blocker, kept as history.

    Done needs every milestone it depends on done first; done means 100%. Reporting a
    blocker marks the milestone blocked (unless it is done) and routes the blocker.
    """
    milestone = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("plan__org", "raci_activity")
        .get(pk=milestone.pk)
    )
    if milestone.is_dormant:
        raise ValidationError(_("This Plan B milestone is dormant until its Plan B is activated."))
    if milestone.plan.status not in OPEN_PLAN_STATUSES:
        raise ValidationError(_("The plan is closed; its milestones can no longer be updated."))
    if status not in MilestoneStatus.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    if not isinstance(progress, int) or not 0 <= progress <= 100:
        raise ValidationError({"progress": _("Progress is a whole number from 0 to 100.")})
    note, blocker = note.strip(), blocker.strip()
    if status == MilestoneStatus.DONE:
        waiting = unfinished_dependencies(milestone)
        if waiting:
            raise ValidationError(
                {
                    "status": format_lazy(
                        _("It cannot be done before {names}."),
                        names=", ".join(f"“{m.title}”" for m in waiting),
                    )
                }
            )
        progress = 100
    if blocker and status != MilestoneStatus.DONE:
        status = MilestoneStatus.BLOCKED
    if (
        status == MilestoneStatus.BLOCKED
        and not blocker
        and not milestone.blockers.filter(status=BlockerStatus.OPEN).exists()
    ):
        raise ValidationError({"blocker": _("Say what blocks it, so someone can clear it.")})
    now = now or timezone.now()
    update = MilestoneUpdate(
        milestone=milestone,
        author=actor,
        week_start=week_start(org_today(milestone.plan.org, now).date()),
        progress_before=milestone.progress,
        progress_after=progress,
        status_before=milestone.status,
        status_after=status,
        note=note,
    )
    if blocker:
        update.blocker = blocker_raise(actor=actor, milestone=milestone, description=blocker)
    update.save()
    changed = milestone.progress != progress or milestone.status != status
    if changed:
        milestone.progress, milestone.status = progress, status
        milestone.completed_at = now if status == MilestoneStatus.DONE else None
        milestone._change_reason = note  # type: ignore[attr-defined]
        milestone.save()
    return update


# --- blockers -----------------------------------------------------------------------------


def _accountable_for(activity: RaciActivity) -> User | None:
    """The person who is Accountable: a person participant, else the lead of a team participant."""
    assignments = (
        RaciAssignment.objects.filter(activity=activity, letters__in=("A", "A/R"))
        .select_related("participant__membership__user", "participant__team")
        .order_by("participant__position", "pk")
    )
    for assignment in assignments:
        participant = assignment.participant
        if participant.kind == ParticipantKind.PERSON and participant.membership is not None:
            if participant.membership.is_active and participant.membership.user.is_active:
                return participant.membership.user
        elif participant.team is not None:
            lead = (
                participant.team.team_memberships.filter(
                    is_lead=True, membership__is_active=True, membership__user__is_active=True
                )
                .select_related("membership__user")
                .first()
            )
            if lead is not None:
                return lead.membership.user
    return None


def blocker_route(*, milestone: Milestone | None, team: Team | None = None) -> User | None:
    """The Accountable person of the linked RACI activity, else the plan's owner;
    for a team's stand-up blocker without a milestone, the team's lead."""
    if milestone is not None:
        if milestone.raci_activity is not None:
            accountable = _accountable_for(milestone.raci_activity)
            if accountable is not None:
                return accountable
        return milestone.plan.owner
    if team is not None:
        lead = (
            team.team_memberships.filter(is_lead=True, membership__is_active=True)
            .select_related("membership__user")
            .first()
        )
        if lead is not None:
            return lead.membership.user
    return None


@transaction.atomic
def blocker_raise(
    *,
    actor: User,
    description: str,
    milestone: Milestone | None = None,
    team: Team | None = None,
    org: Organization | None = None,
) -> Blocker:
    description = description.strip()
    if not description:
        raise ValidationError({"blocker": _("Say what blocks it, so someone can clear it.")})
    org = milestone.plan.org if milestone is not None else org
    if org is None:
        raise ValueError("a blocker needs a milestone or an organisation")
    routed_to = blocker_route(milestone=milestone, team=team)
    if routed_to is None:
        raise ValidationError(_("Nobody can take this blocker: the team has no lead."))
    blocker = Blocker.objects.create(
        org=org,
        milestone=milestone,
        team=team if team is not None else (milestone.plan.team if milestone else None),
        description=description,
        raised_by=actor,
        routed_to=routed_to,
    )
    if routed_to.pk != actor.pk:
        subject = milestone.title if milestone is not None else (team.name if team else "")
        notify(
            org=org,
            recipients=[routed_to],
            kind="actionplans.blocker",
            title=format_lazy(
                _("{person} is blocked on “{subject}”"), person=actor.display_name, subject=subject
            ),
            body=description,
            url=blocker_url(blocker),
        )
    return blocker


@transaction.atomic
def blocker_resolve(*, actor: User, blocker: Blocker, resolution: str) -> Blocker:
    blocker = Blocker.objects.select_for_update(of=("self",)).get(pk=blocker.pk)
    if blocker.status == BlockerStatus.RESOLVED:
        raise ValidationError(_("This blocker is already resolved."))
    if not resolution.strip():
        raise ValidationError({"resolution": _("Say how it was resolved.")})
    blocker.status = BlockerStatus.RESOLVED
    blocker.resolution = resolution.strip()
    blocker.resolved_by = actor
    blocker.resolved_at = timezone.now()
    blocker.save()
    milestone = blocker.milestone
    if (
        milestone is not None
        and milestone.status == MilestoneStatus.BLOCKED
        and not milestone.blockers.filter(status=BlockerStatus.OPEN).exists()
    ):
        milestone.status = MilestoneStatus.IN_PROGRESS
        milestone._change_reason = blocker.resolution  # type: ignore[attr-defined]
        milestone.save()
    if blocker.raised_by_id != actor.pk:
        notify(
            org=blocker.org,
            recipients=[blocker.raised_by],
            kind="actionplans.blocker_resolved",
            title=format_lazy(_("{person} resolved your blocker"), person=actor.display_name),
            body=f"{blocker.description}\n\n{blocker.resolution}",
            url=milestone_url(milestone) if milestone is not None else blocker_url(blocker),
        )
    return blocker


# --- resources ----------------------------------------------------------------------------


@transaction.atomic
def resource_save(
    *,
    actor: User,
    plan: ActionPlan,
    kind: str,
    description: str,
    planned: Decimal,
    actual: Decimal,
    quantity: Decimal | None = None,
    resource: Resource | None = None,
) -> Resource:
    if kind not in ResourceKind.values:
        raise ValidationError({"kind": _("Choose a valid kind.")})
    if resource is None:
        last = plan.resources.aggregate(last=Max("position"))["last"]
        resource = Resource(plan=plan, position=0 if last is None else last + 1)
    elif resource.plan_id != plan.pk:
        raise ValidationError(_("This resource belongs to another plan."))
    resource.kind, resource.description = kind, description.strip()
    resource.planned, resource.actual, resource.quantity = planned, actual, quantity
    if not resource.description:
        raise ValidationError({"description": _("Describe the resource.")})
    resource.full_clean()
    resource.save()
    return resource


@transaction.atomic
def resource_delete(*, actor: User, resource: Resource) -> None:
    resource.delete()


# --- risks and Plan B ---------------------------------------------------------------------

RISK_FIELDS = (
    "description",
    "likelihood",
    "impact",
    "owner",
    "contingency",
    "trigger_kind",
    "trigger_kpi",
    "trigger_team",
    "trigger_goal",
    "comparator",
    "threshold",
    "threshold_basis",
    "trigger_period",
)


def _check_risk(risk: Risk) -> None:
    org = risk.plan.org
    if not risk.description.strip():
        raise ValidationError({"description": _("Describe the risk.")})
    _active_member(org, risk.owner if risk.owner_id else None, "owner")
    if risk.trigger_kind == TriggerKind.MANUAL:
        return
    errors: dict[str, Any] = {}
    if risk.trigger_kpi is None:
        errors["trigger_kpi"] = _("Choose the KPI to watch.")
    elif risk.trigger_kpi.org_id != org.pk:
        errors["trigger_kpi"] = _("Choose a KPI of this organisation.")
    if risk.threshold is None:
        errors["threshold"] = _("Give the threshold.")
    if risk.trigger_team is not None and risk.trigger_team.org_id != org.pk:
        errors["trigger_team"] = _("Choose a team of this organisation.")
    if risk.threshold_basis == ThresholdBasis.TARGET_PCT:
        if risk.trigger_goal is None:
            errors["trigger_goal"] = _("Choose the goal whose target is the yardstick.")
        elif risk.trigger_goal.org_id != org.pk:
            errors["trigger_goal"] = _("Choose a goal of this organisation.")
        elif risk.trigger_kpi is not None and risk.trigger_goal.kpi_id != risk.trigger_kpi.pk:
            errors["trigger_goal"] = _("Choose a goal measured by the same KPI.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def risk_save(*, actor: User, plan: ActionPlan, risk: Risk | None = None, **values: Any) -> Risk:
    if risk is not None:
        risk = Risk.objects.select_for_update(of=("self",)).get(pk=risk.pk)
    risk = risk or Risk(plan=plan)
    for name in RISK_FIELDS:
        if name in values:
            setattr(risk, name, values[name])
    if risk.trigger_kind == TriggerKind.MANUAL:
        risk.trigger_kpi = risk.trigger_team = risk.trigger_goal = None
        risk.threshold = None
    _check_risk(risk)
    risk.full_clean()
    risk.save()
    return risk


def _announce_trigger(risk: Risk, reason: str) -> None:
    plan = risk.plan
    notify(
        org=plan.org,
        recipients=[risk.owner, plan.owner],
        kind="actionplans.risk_triggered",
        title=format_lazy(_("Risk triggered on “{plan}”"), plan=plan.title),
        body=format_lazy(
            "{risk}\n\n{reason}\n\n{planb}",
            risk=risk.description,
            reason=reason,
            planb=format_lazy(_("Plan B: {text}"), text=risk.contingency or "—"),
        ),
        url=plan_url(plan),
    )


@transaction.atomic
def risk_trigger(*, actor: User, risk: Risk, reason: str = "") -> Risk:
    """Someone saw it happen: mark the risk triggered and tell its owner and the plan's owner."""
    risk = Risk.objects.select_for_update(of=("self",)).select_related("plan__org").get(pk=risk.pk)
    if risk.status != RiskStatus.WATCHING:
        raise ValidationError(_("Only a risk being watched can be triggered."))
    risk.status = RiskStatus.TRIGGERED
    risk.triggered_at = timezone.now()
    risk.trigger_reason = reason.strip() or str(
        format_lazy(_("Marked as happened by {person}."), person=actor.display_name)
    )
    risk._change_reason = risk.trigger_reason  # type: ignore[attr-defined]
    risk.save()
    _announce_trigger(risk, risk.trigger_reason)
    return risk


@transaction.atomic
def risk_activate_plan_b(*, actor: User, risk: Risk, now: datetime | None = None) -> Risk:
    """One click: the dormant Plan B milestones go live from this week, keeping their lengths
    and spacing."""
    risk = Risk.objects.select_for_update(of=("self",)).select_related("plan__org").get(pk=risk.pk)
    if risk.status == RiskStatus.PLAN_B_ACTIVE:
        raise ValidationError(_("Plan B is already active."))
    if risk.status == RiskStatus.CLOSED:
        raise ValidationError(_("This risk is closed."))
    now = now or timezone.now()
    this_week = week_start(org_today(risk.plan.org, now).date())
    dormant = list(risk.contingency_milestones.filter(is_dormant=True).select_related("owner"))
    if dormant:
        first = min(m.start_week for m in dormant)
        for milestone in dormant:
            shift = this_week - first
            milestone.start_week += shift
            milestone.due_week += shift
            milestone.is_dormant = False
            milestone._change_reason = str(_("Plan B activated"))  # type: ignore[attr-defined]
            milestone.save()
    risk.status = RiskStatus.PLAN_B_ACTIVE
    risk.plan_b_activated_at = now
    risk.plan_b_activated_by = actor
    risk._change_reason = str(_("Plan B activated"))  # type: ignore[attr-defined]
    risk.save()
    owners = {m.owner_id: m.owner for m in dormant if m.owner_id != actor.pk}
    if owners:
        notify(
            org=risk.plan.org,
            recipients=owners.values(),
            kind="actionplans.plan_b",
            title=format_lazy(_("Plan B is live on “{plan}”"), plan=risk.plan.title),
            body=risk.contingency,
            url=this_week_url(risk.plan.org),
        )
    return risk


@transaction.atomic
def risk_close(*, actor: User, risk: Risk, reason: str = "") -> Risk:
    risk = Risk.objects.select_for_update(of=("self",)).get(pk=risk.pk)
    if risk.status == RiskStatus.CLOSED:
        raise ValidationError(_("This risk is already closed."))
    risk.status = RiskStatus.CLOSED
    risk._change_reason = reason.strip()  # type: ignore[attr-defined]
    risk.save()
    return risk


@transaction.atomic
def risk_delete(*, actor: User, risk: Risk) -> None:
    if risk.status == RiskStatus.PLAN_B_ACTIVE:
        raise ValidationError(_("Its Plan B is running; close the risk instead."))
    risk.delete()


def _periods_in_goal(goal: Goal, period: str) -> int:
    days = (goal.due_date - goal.start_date).days + 1
    return max(1, round(days / 7)) if period == "week" else max(1, round(days / 30.4375))


def risk_triggers_evaluate(*, now: datetime | None = None) -> int:
    """Check every watched KPI trigger against the last whole week or month.

    A trigger fires at most once per period: the event row is unique per risk and period,
    so reruns and a second worker change nothing.
    """
    now = now or timezone.now()
    fired = 0
    risks = (
        Risk.objects.filter(
            trigger_kind=TriggerKind.KPI,
            status=RiskStatus.WATCHING,
            plan__status__in=OPEN_PLAN_STATUSES,
        )
        .select_related(
            "plan__org", "plan__owner", "owner", "trigger_kpi", "trigger_team", "trigger_goal"
        )
        .order_by("pk")
    )
    for risk in risks:
        kpi = risk.trigger_kpi
        if kpi is None or risk.threshold is None:
            continue
        start, end = triggers.last_complete_period(
            org_today(risk.plan.org, now).date(), risk.trigger_period
        )
        if RiskTriggerEvent.objects.filter(risk=risk, period_start=start).exists():
            continue
        goal = risk.trigger_goal
        limit = triggers.limit_for(
            threshold=risk.threshold,
            basis=risk.threshold_basis,
            target=goal.target if goal is not None else None,
            cumulative=selectors.is_cumulative_kpi(kpi),
            periods_in_goal=_periods_in_goal(goal, risk.trigger_period) if goal else 1,
        )
        value = selectors.kpi_value(
            org=risk.plan.org, kpi=kpi, team=risk.trigger_team, start=start, end=end
        )
        if not triggers.breached(value=value, comparator=risk.comparator, limit=limit):
            continue
        if _fire(risk, start, value, limit, kpi, now):
            fired += 1
    return fired


def _fire(
    risk: Risk,
    start: date,
    value: Decimal | None,
    limit: Decimal | None,
    kpi: Kpi,
    now: datetime,
) -> bool:
    try:
        with transaction.atomic():
            RiskTriggerEvent.objects.create(risk=risk, period_start=start, value=value, limit=limit)
            locked = Risk.objects.select_for_update(of=("self",)).get(pk=risk.pk)
            if locked.status != RiskStatus.WATCHING:
                transaction.set_rollback(True)
                return False
            reason = str(
                format_lazy(
                    _("{kpi} was {value} in the period from {start}, {comparator} {limit}."),
                    kpi=kpi.name,
                    value=value,
                    start=start.isoformat(),
                    comparator=locked.get_comparator_display(),
                    limit=limit,
                )
            )
            locked.status = RiskStatus.TRIGGERED
            locked.triggered_at = now
            locked.trigger_reason = reason
            locked._change_reason = reason  # type: ignore[attr-defined]
            locked.save()
            _announce_trigger(locked, reason)
    except IntegrityError:
        return False  # another worker fired it for this period
    return True


# --- reminders and overdue flags ----------------------------------------------------------


def milestone_reminders_send(*, now: datetime | None = None) -> int:
    """Friday from 14:00 (organisation time): owners with milestones on "This week" who have
    not updated any this week are reminded, once per person and week."""
    now = now or timezone.now()
    sent = 0
    orgs = Organization.objects.filter(action_plans__status__in=OPEN_PLAN_STATUSES).distinct()
    for org in orgs:
        local = org_today(org, now)
        if local.weekday() != REMINDER_WEEKDAY or local.hour < REMINDER_HOUR:
            continue
        today = local.date()
        monday = week_start(today)
        owners = (
            selectors.this_week_milestones(org=org, today=today)
            .exclude(status=MilestoneStatus.DONE)
            .exclude(updates__week_start=monday)
            .values_list("owner_id", flat=True)
            .distinct()
        )
        updated = MilestoneUpdate.objects.filter(
            milestone__plan__org=org, week_start=monday
        ).values("author_id")
        already = MilestoneReminder.objects.filter(org=org, week_start=monday).values("user_id")
        due = User.objects.filter(pk__in=owners, is_active=True).exclude(
            Q(pk__in=updated) | Q(pk__in=already)
        )
        for user in due:
            try:
                with transaction.atomic():
                    MilestoneReminder.objects.create(org=org, user=user, week_start=monday)
                    notify(
                        org=org,
                        recipients=[user],
                        kind="actionplans.update_reminder",
                        title=_("Your weekly milestone update is due"),
                        body=_(
                            "Open “This week” and give each milestone its progress, status and any blocker."
                        ),
                        url=this_week_url(org),
                    )
            except IntegrityError:
                continue  # another worker sent it
            sent += 1
    return sent


def milestones_flag_overdue(*, now: datetime | None = None) -> int:
    """Tell owners once when a milestone passes its due week unfinished.

    The flag records the due week it was sent for: a rerun, or a second worker, finds it
    set and sends nothing; moving the due week arms it again.
    """
    now = now or timezone.now()
    flagged = 0
    for org in Organization.objects.filter(action_plans__status=PlanStatus.ACTIVE).distinct():
        today = org_today(org, now).date()
        candidates = (
            Milestone.objects.filter(
                plan__org=org,
                plan__status=PlanStatus.ACTIVE,
                is_dormant=False,
                due_week__lt=week_start(today),
            )
            .exclude(status=MilestoneStatus.DONE)
            .exclude(overdue_notified_week=F("due_week"))
            .select_related("owner", "plan__org")
        )
        for milestone in candidates:
            if not is_overdue(due_week=milestone.due_week, done=False, today=today):
                continue
            with transaction.atomic():
                claimed = (
                    Milestone.objects.filter(pk=milestone.pk)
                    .exclude(overdue_notified_week=milestone.due_week)
                    .update(overdue_notified_week=milestone.due_week)
                )
                if not claimed:
                    continue
                notify(
                    org=org,
                    recipients=[milestone.owner],
                    kind="actionplans.overdue",
                    title=format_lazy(_("Milestone overdue: “{title}”"), title=milestone.title),
                    body=format_lazy(
                        _("It was due in the week of {week} on “{plan}”."),
                        week=milestone.due_week.isoformat(),
                        plan=milestone.plan.title,
                    ),
                    url=milestone_url(milestone),
                )
            flagged += 1
    return flagged
