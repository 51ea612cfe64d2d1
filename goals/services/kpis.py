from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesops.models import Organization, Team, User

from ..builtin import BUILTIN_KPIS
from ..models import Aggregation, GoalPolicy, Kpi


@transaction.atomic
def kpis_ensure_builtin(*, org: Organization) -> int:
    """Create the built-in KPIs this organisation lacks; running it again creates nothing."""
    existing = {kpi.key: kpi for kpi in Kpi.objects.for_org(org).exclude(key="")}
    created = 0
    for spec in sorted(BUILTIN_KPIS, key=lambda item: bool(item.numerator)):  # parts before ratios
        if spec.key in existing:
            continue
        kpi = Kpi(
            org=org,
            key=spec.key,
            name=str(spec.name),
            unit=spec.unit,
            direction=spec.direction,
            aggregation=spec.aggregation,
            numerator=existing.get(spec.numerator),
            denominator=existing.get(spec.denominator),
        )
        kpi.save()
        existing[spec.key] = kpi
        created += 1
    return created


def _check_parts(
    *,
    org: Organization,
    aggregation: str,
    numerator: Kpi | None,
    denominator: Kpi | None,
    kpi: Kpi | None,
) -> None:
    if aggregation != Aggregation.RATIO:
        return
    errors = {}
    for field, part in (("numerator", numerator), ("denominator", denominator)):
        if part is None:
            errors[field] = _("A ratio needs both a numerator and a denominator KPI.")
        elif part.org_id != org.pk:
            errors[field] = _("Choose a KPI of this organisation.")
        elif part.is_ratio:
            errors[field] = _("A ratio is built from KPIs that are not ratios themselves.")
        elif kpi is not None and part.pk == kpi.pk:
            errors[field] = _("A KPI cannot be a part of itself.")
    if not errors and numerator == denominator:
        errors["denominator"] = _("Numerator and denominator must differ.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def kpi_create(
    *,
    actor: User,
    org: Organization,
    name: str,
    unit: str,
    direction: str,
    aggregation: str,
    description: str = "",
    numerator: Kpi | None = None,
    denominator: Kpi | None = None,
    owning_team: Team | None = None,
) -> Kpi:
    _check_parts(
        org=org, aggregation=aggregation, numerator=numerator, denominator=denominator, kpi=None
    )
    if owning_team is not None and owning_team.org_id != org.pk:
        raise ValidationError({"owning_team": _("Choose a team of this organisation.")})
    is_ratio = aggregation == Aggregation.RATIO
    kpi = Kpi(
        org=org,
        name=name.strip(),
        unit=unit,
        direction=direction,
        aggregation=aggregation,
        description=description,
        numerator=numerator if is_ratio else None,
        denominator=denominator if is_ratio else None,
        owning_team=owning_team,
    )
    kpi.full_clean()
    kpi.save()
    return kpi


@transaction.atomic
def kpi_update(
    *,
    actor: User,
    kpi: Kpi,
    name: str,
    unit: str,
    direction: str,
    aggregation: str,
    description: str = "",
    numerator: Kpi | None = None,
    denominator: Kpi | None = None,
    owning_team: Team | None = None,
) -> Kpi:
    if kpi.key and (aggregation != kpi.aggregation or unit != kpi.unit):
        raise ValidationError(_("The unit and aggregation of a built-in KPI cannot change."))
    if aggregation != kpi.aggregation and kpi.measurements.exists():
        raise ValidationError(
            {"aggregation": _("This KPI has measurements; its aggregation cannot change.")}
        )
    _check_parts(
        org=kpi.org, aggregation=aggregation, numerator=numerator, denominator=denominator, kpi=kpi
    )
    if owning_team is not None and owning_team.org_id != kpi.org_id:
        raise ValidationError({"owning_team": _("Choose a team of this organisation.")})
    is_ratio = aggregation == Aggregation.RATIO
    kpi.name, kpi.unit, kpi.direction, kpi.aggregation = name.strip(), unit, direction, aggregation
    kpi.description, kpi.owning_team = description, owning_team
    kpi.numerator, kpi.denominator = (numerator, denominator) if is_ratio else (None, None)
    kpi.full_clean()
    kpi.save()
    return kpi


@transaction.atomic
def kpi_archive(*, actor: User, kpi: Kpi) -> Kpi:
    if kpi.goals.filter(status__in=["draft", "active"]).exists():
        raise ValidationError(_("Goals that are open use this KPI. Close or change them first."))
    kpi.archived_at = timezone.now()
    kpi.save()
    return kpi


@transaction.atomic
def goal_policy_update(
    *,
    actor: User,
    org: Organization,
    at_risk_gap: int,
    off_track_gap: int,
    planning_horizon_months: int,
) -> GoalPolicy:

    policy, _created = GoalPolicy.objects.select_for_update().get_or_create(org=org)
    policy.at_risk_gap, policy.off_track_gap = at_risk_gap, off_track_gap
    policy.planning_horizon_months = planning_horizon_months
    policy.full_clean()
    policy.save()
    return policy
