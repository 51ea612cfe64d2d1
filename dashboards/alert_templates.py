"""Ready-made deviation rules an admin can add with one click, then adjust."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from salesops.models import Role

from .models import AlertChannel, AlertComparator, AlertSeverity, AlertSubject, RollupPeriod


@dataclass(frozen=True)
class RuleTemplate:
    key: str
    name: Promise
    action: Promise
    subject: str
    comparator: str
    threshold: Decimal
    period_kind: str
    recipient_roles: tuple[str, ...]
    channels: tuple[str, ...]
    severity: str = AlertSeverity.WARNING


RULE_TEMPLATES: tuple[RuleTemplate, ...] = (
    RuleTemplate(
        key="cross_dept_below_80",
        name=_("Cross-department task completion below 80%"),
        action=_("Investigate"),
        subject=AlertSubject.CROSS_DEPT,
        comparator=AlertComparator.BELOW,
        threshold=Decimal(80),
        period_kind=RollupPeriod.MONTH,
        recipient_roles=(Role.LEADER, Role.ADMIN),
        channels=(AlertChannel.IN_APP, AlertChannel.EMAIL),
    ),
    RuleTemplate(
        key="goal_gap_above_10",
        name=_("Goal more than 10 points behind expected progress"),
        action=_("Review the goal's action plan with its team"),
        subject=AlertSubject.GOAL_GAP,
        comparator=AlertComparator.ABOVE,
        threshold=Decimal(10),
        period_kind=RollupPeriod.WEEK,
        recipient_roles=(Role.MANAGER, Role.LEADER),
        channels=(AlertChannel.IN_APP,),
    ),
    RuleTemplate(
        key="milestones_overdue_above_3",
        name=_("Overdue milestones above 3"),
        action=_("Clear the blockers or re-plan the milestones"),
        subject=AlertSubject.MILESTONES_OVERDUE,
        comparator=AlertComparator.ABOVE,
        threshold=Decimal(3),
        period_kind=RollupPeriod.WEEK,
        recipient_roles=(Role.MANAGER, Role.ADMIN),
        channels=(AlertChannel.IN_APP,),
    ),
    RuleTemplate(
        key="lead_response_above_24h",
        name=_("Lead response time above 24 hours"),
        action=_("Check lead routing and who follows up"),
        subject=AlertSubject.LEAD_RESPONSE,
        comparator=AlertComparator.ABOVE,
        threshold=Decimal(24),
        period_kind=RollupPeriod.WEEK,
        recipient_roles=(Role.MANAGER, Role.ADMIN),
        channels=(AlertChannel.IN_APP, AlertChannel.EMAIL),
    ),
)

TEMPLATES_BY_KEY = {template.key: template for template in RULE_TEMPLATES}
