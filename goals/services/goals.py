"""Goals: create, edit (history keeps why a target or date moved), activate, close."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesops.models import Membership, Organization, User

from ..models import Goal, GoalLevel, GoalStatus
from ..selectors import baseline_suggestion, goal_values, smart_report_for

EDITABLE_FIELDS = (
    "title",
    "statement",
    "scope_channel",
    "scope_product",
    "scope_segment",
    "kpi",
    "baseline",
    "target",
    "start_date",
    "due_date",
    "level",
    "team",
    "owner",
    "parent",
    "weight",
    "contribution",
)
# A change to these needs a reason, kept in the goal's history.
TRACKED_FIELDS = ("target", "baseline", "start_date", "due_date")
CLOSED = (GoalStatus.ACHIEVED, GoalStatus.MISSED, GoalStatus.CANCELLED)


def _check_relations(*, org: Organization, goal: Goal) -> None:
    errors: dict[str, Any] = {}
    if goal.kpi_id and goal.kpi.org_id != org.pk:
        errors["kpi"] = _("Choose a KPI of this organisation.")
    elif goal.kpi_id and goal.kpi.archived_at and goal.status not in CLOSED:
        errors["kpi"] = _("This KPI is archived.")
    team = goal.team if goal.team_id else None
    if team is not None and team.org_id != org.pk:
        errors["team"] = _("Choose a team of this organisation.")
    elif team is not None and team.is_archived:
        errors["team"] = _("This team is archived.")
    if goal.level in (GoalLevel.TEAM, GoalLevel.INDIVIDUAL) and not goal.team_id:
        errors["team"] = _("A team or individual goal needs a team.")
    if (
        goal.owner_id
        and not Membership.objects.for_org(org).active().filter(user_id=goal.owner_id).exists()
    ):
        errors["owner"] = _("The owner must be an active member of this organisation.")
    parent = goal.parent if goal.parent_id else None
    if parent is not None:
        if parent.org_id != org.pk:
            errors["parent"] = _("Choose a goal of this organisation.")
        else:
            ancestor: Goal | None = parent
            while ancestor is not None:
                if goal.pk and ancestor.pk == goal.pk:
                    errors["parent"] = _(
                        "A goal cannot sit under itself or one of its own sub-goals."
                    )
                    break
                ancestor = ancestor.parent
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def goal_create(*, actor: User, org: Organization, **values: Any) -> Goal:
    goal = Goal(org=org, created_by=actor, status=GoalStatus.DRAFT)
    for field in EDITABLE_FIELDS:
        if field in values:
            setattr(goal, field, values[field])
    if goal.owner_id is None:
        goal.owner = actor
    _check_relations(org=org, goal=goal)
    if goal.baseline is None and goal.kpi_id:
        # Filled in from the last periods of measurements; the manager may type another.
        goal.baseline = baseline_suggestion(org=org, values=goal_values(goal))
    goal.full_clean()
    goal._change_reason = "created"  # type: ignore[attr-defined]
    goal.save()
    return goal


@transaction.atomic
def goal_update(*, actor: User, goal: Goal, reason: str = "", **values: Any) -> Goal:
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if goal.status in CLOSED:
        raise ValidationError(_("A closed goal cannot be edited."))
    changed = [
        field
        for field in TRACKED_FIELDS
        if field in values and _differs(getattr(goal, field), values[field])
    ]
    if changed and goal.status == GoalStatus.ACTIVE and not reason.strip():
        raise ValidationError(
            {"reason": _("Say why the target or dates change; the reason is kept.")}
        )
    for field in EDITABLE_FIELDS:
        if field in values:
            setattr(goal, field, values[field])
    _check_relations(org=goal.org, goal=goal)
    goal.full_clean()
    goal._change_reason = reason.strip()  # type: ignore[attr-defined]
    goal.save()
    return goal


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return (Decimal(old) if old is not None else None) != (
            Decimal(new) if new is not None else None
        )
    return bool(old != new)


@transaction.atomic
def goal_activate(*, actor: User, goal: Goal, reason: str = "", today: date | None = None) -> Goal:
    # Lock only the goal row: PostgreSQL cannot lock the nullable side of the team and parent joins.
    goal = (
        Goal.objects.select_for_update(of=("self",))
        .select_related("kpi", "team", "parent__kpi")
        .get(pk=goal.pk)
    )
    if goal.status != GoalStatus.DRAFT:
        raise ValidationError(_("Only a draft goal can be activated."))
    report = smart_report_for(
        org=goal.org, values=goal_values(goal), today=today or timezone.localdate()
    )
    if report.blocking:
        failing = [
            c.message
            for c in report.criteria
            if c.key in ("measurable", "time_bound") and c.level == "fail"
        ]
        raise ValidationError(_("Fix these first: %(problems)s") % {"problems": " ".join(failing)})
    if report.needs_reason and not reason.strip():
        raise ValidationError(
            {
                "reason": _(
                    "Some SMART checks fail. Write why this goal should start anyway; the reason is kept."
                )
            }
        )
    goal.status = GoalStatus.ACTIVE
    goal.activation_reason = reason.strip() if report.needs_reason else ""
    goal._change_reason = reason.strip() or "activated"  # type: ignore[attr-defined]
    goal.save()
    return goal


@transaction.atomic
def goal_close(*, actor: User, goal: Goal, status: str, reason: str = "") -> Goal:
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if status not in CLOSED:
        raise ValidationError({"status": _("Choose achieved, missed or cancelled.")})
    if goal.status in CLOSED:
        raise ValidationError(_("This goal is closed already."))
    if status != GoalStatus.CANCELLED and goal.status != GoalStatus.ACTIVE:
        raise ValidationError(_("Only an active goal can be achieved or missed."))
    goal.status = status
    goal._change_reason = reason.strip() or status  # type: ignore[attr-defined]
    goal.save()
    return goal
