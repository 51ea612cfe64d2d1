"""Reads the monitoring pages and APIs share: rollup values, alerts a person may see."""

from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from goals.models import Kpi
from goals.selectors import team_ids_of
from salesops.models import Membership, Organization, Role, Team, User

from .models import Alert, AlertRule, AlertState, KpiRollup


def rollup_value(*, kpi: Kpi, row: KpiRollup) -> float | None:
    """The KPI's value over the row's period: Σ for sums, the mean for averages, the last day's
    value for "last value" KPIs, and Σnumerator ÷ Σdenominator (× 100 for percentages) for ratios."""
    if kpi.aggregation == "ratio":
        if row.numerator is None or not row.denominator:
            return None
        ratio = Decimal(row.numerator) / Decimal(row.denominator)
        return float(ratio * 100 if kpi.unit == "percent" else ratio)
    if kpi.aggregation == "sum":
        return float(row.total) if row.count else None
    if kpi.aggregation == "average":
        return float(Decimal(row.total) / row.count) if row.count else None
    if kpi.aggregation == "last":
        return None if row.last_value is None else float(row.last_value)
    raise ValueError(kpi.aggregation)


def is_alert_recipient(membership: Membership, alert: Alert) -> bool:
    """Whether the alert's rule names this person, their role, or one of their teams."""
    rule = alert.rule
    if membership.role in (rule.recipient_roles or []):
        return True
    if rule.recipient_people.filter(pk=membership.user_id).exists():
        return True
    return rule.recipient_teams.filter(pk__in=team_ids_of(membership)).exists()


def alerts_for(*, membership: Membership) -> QuerySet[Alert]:
    """Alerts this person may see: all for leaders and admins; otherwise those about their
    teams and those whose rule names them, their role or one of their teams."""
    alerts = Alert.objects.for_org(membership.org).select_related("rule", "team", "goal")
    if membership.role in (Role.ADMIN, Role.LEADER):
        return alerts
    teams = team_ids_of(membership)
    # Roles are a short JSON list on few rules; JSON containment is not portable to SQLite.
    rules_for_role = [
        pk
        for pk, roles in AlertRule.objects.for_org(membership.org).values_list(
            "pk", "recipient_roles"
        )
        if membership.role in (roles or [])
    ]
    return alerts.filter(
        Q(team_id__in=teams)
        | Q(rule_id__in=rules_for_role)
        | Q(rule__recipient_people=membership.user_id)
        | Q(rule__recipient_teams__in=teams)
    ).distinct()


def rules_for(*, org: Organization) -> QuerySet[AlertRule]:
    """The organisation's alert rules with their teams, recipients and count of open alerts,
    in a fixed number of queries (the rules page and the API list)."""
    return (
        AlertRule.objects.for_org(org)
        .select_related("kpi", "question__survey")
        .prefetch_related(
            Prefetch("teams", queryset=Team.objects.order_by("name")),
            Prefetch("recipient_teams", queryset=Team.objects.order_by("name")),
            Prefetch("recipient_people", queryset=User.objects.order_by("display_name")),
        )
        .annotate(
            open_alerts=Count(
                "alerts",
                filter=Q(alerts__state__in=[AlertState.OPEN, AlertState.ACKNOWLEDGED]),
            )
        )
        .order_by("name", "pk")
    )
