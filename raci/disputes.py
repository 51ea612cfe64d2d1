"""The conflict protocol: raise a dispute, each side states its case, a neutral arbitrator decides.

A decision that changes who does what is applied to the linked RACI activity in the same
transaction. Past the service level, leadership is alerted once (`dispute_escalate_overdue`).
"""

import logging
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from salesops.models import Membership, Organization, Role, Team, User
from salesops.selectors import get_or_404
from salesops.services.notifications import notify

from . import selectors, services
from .models import Dispute, DisputeStatement, DisputeStatus, RaciActivity, RaciParticipant
from .workdays import add_working_days

security_log = logging.getLogger("salesops.security")


def _url(dispute: Dispute) -> str:
    return reverse("raci:dispute_detail", kwargs={"org_slug": dispute.org.slug, "pk": dispute.pk})


def arbitrator_for(org: Organization) -> User:
    policy = selectors.raci_policy(org=org)
    if policy.arbitrator is not None and policy.arbitrator.is_active:
        return policy.arbitrator.user
    admin = (
        Membership.objects.for_org(org)
        .active()
        .filter(role=Role.ADMIN)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if admin is None:
        raise ValidationError(
            _("This organisation has no arbitrator: name one in the RACI settings.")
        )
    return admin.user


def party_members(dispute: Dispute) -> list[User]:
    members = (
        Membership.objects.filter(org=dispute.org, is_active=True, user__is_active=True)
        .filter(team_memberships__team_id__in=[dispute.party_a_id, dispute.party_b_id])
        .select_related("user")
        .distinct()
    )
    return [membership.user for membership in members]


def _everyone(dispute: Dispute) -> list[User]:
    return [*party_members(dispute), dispute.raised_by, dispute.arbitrator]


# --- reads ------------------------------------------------------------------------------


def disputes_for(*, membership: Membership) -> QuerySet[Dispute]:
    """Parties (members of either team), the raiser, the arbitrator, leadership and sales ops see a dispute."""
    disputes = Dispute.objects.for_org(membership.org).select_related(
        "party_a", "party_b", "activity__matrix", "raised_by", "arbitrator"
    )
    if membership.role in (Role.ADMIN, Role.LEADER):
        return disputes
    team_ids = list(membership.team_memberships.values_list("team_id", flat=True))
    return disputes.filter(
        Q(party_a_id__in=team_ids)
        | Q(party_b_id__in=team_ids)
        | Q(raised_by_id=membership.user_id)
        | Q(arbitrator_id=membership.user_id)
    )


def dispute_get(*, membership: Membership, pk: int) -> Dispute:
    return get_or_404(disputes_for(membership=membership), pk=pk)


def may_state(membership: Membership, dispute: Dispute) -> Team | None:
    """The party team this person speaks for, if any."""
    team_ids = set(membership.team_memberships.values_list("team_id", flat=True))
    for team in (dispute.party_a, dispute.party_b):
        if team.pk in team_ids:
            return team
    return None


def refuse_not_party(membership: Membership) -> None:
    security_log.warning(
        "dispute statement refused: user=%s org=%s", membership.user_id, membership.org_id
    )
    raise PermissionDenied("dispute.statement")


def refuse_not_arbitrator(membership: Membership) -> None:
    security_log.warning(
        "dispute decision refused: user=%s org=%s", membership.user_id, membership.org_id
    )
    raise PermissionDenied("dispute.decide")


# --- writes -----------------------------------------------------------------------------


@transaction.atomic
def dispute_raise(
    *,
    actor: User,
    org: Organization,
    subject: str,
    party_a: Team,
    party_b: Team,
    statement: str,
    activity: RaciActivity | None = None,
    now: datetime | None = None,
) -> Dispute:
    errors = {}
    for field, team in (("party_a", party_a), ("party_b", party_b)):
        if team.org_id != org.pk or team.is_archived:
            errors[field] = _("Choose an active team of this organisation.")
    if party_a == party_b:
        errors["party_b"] = _("A dispute is between two different teams.")
    if activity is not None and activity.matrix.org_id != org.pk:
        errors["activity"] = _("Choose an activity of this organisation.")
    if not statement.strip():
        errors["statement"] = _("Say what the disagreement is about from your side.")
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    local = now.astimezone(ZoneInfo(org.time_zone))
    policy = selectors.raci_policy(org=org)
    dispute = Dispute(
        org=org,
        subject=subject.strip(),
        party_a=party_a,
        party_b=party_b,
        activity=activity,
        raised_by=actor,
        arbitrator=arbitrator_for(org),
        due_at=add_working_days(local, policy.dispute_working_days),
    )
    dispute.full_clean()
    dispute.save()
    member_of = set(
        Membership.objects.filter(org=org, user=actor).values_list(
            "team_memberships__team_id", flat=True
        )
    )
    speaking_for = (
        party_a if party_a.pk in member_of else party_b if party_b.pk in member_of else party_a
    )
    DisputeStatement.objects.create(
        dispute=dispute, team=speaking_for, author=actor, body=statement.strip()
    )
    notify(
        org=org,
        recipients=_everyone(dispute),
        kind="dispute.raised",
        title=format_lazy(
            _("Dispute raised: “{subject}” ({a} / {b})"),
            subject=dispute.subject,
            a=party_a.name,
            b=party_b.name,
        ),
        body=statement.strip(),
        url=_url(dispute),
    )
    return dispute


@transaction.atomic
def dispute_add_statement(
    *, actor: User, dispute: Dispute, team: Team, body: str
) -> DisputeStatement:
    if dispute.status != DisputeStatus.OPEN:
        raise ValidationError(_("This dispute has been decided."))
    if team.pk not in (dispute.party_a_id, dispute.party_b_id):
        raise ValidationError(_("Only the two parties make statements."))
    if not body.strip():
        raise ValidationError({"body": _("Write the statement first.")})
    statement = DisputeStatement.objects.create(
        dispute=dispute, team=team, author=actor, body=body.strip()
    )
    notify(
        org=dispute.org,
        recipients=[u for u in _everyone(dispute) if u.pk != actor.pk],
        kind="dispute.statement",
        title=format_lazy(
            _("{team} stated its side in “{subject}”"), team=team.name, subject=dispute.subject
        ),
        body=body.strip(),
        url=_url(dispute),
    )
    return statement


@transaction.atomic
def dispute_decide(
    *,
    actor: User,
    dispute: Dispute,
    decision: str,
    changes: Iterable[tuple[RaciParticipant, str]] = (),
) -> Dispute:
    """Record the decision; letter changes go to the linked activity in the same step."""
    dispute = (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("activity__matrix", "org")
        .get(pk=dispute.pk)
    )
    if dispute.arbitrator_id != actor.pk:
        raise ValidationError(_("Only the arbitrator decides this dispute."))
    if dispute.status != DisputeStatus.OPEN:
        raise ValidationError(_("This dispute has been decided."))
    if not decision.strip():
        raise ValidationError({"decision": _("Write the decision and its reasoning.")})
    changes = list(changes)
    activity = dispute.activity
    if changes and activity is None:
        raise ValidationError(_("This dispute is not linked to a RACI activity."))
    for participant, letters in changes:
        assert activity is not None
        services.cell_set(
            actor=actor,
            matrix=activity.matrix,
            activity=activity,
            participant=participant,
            letters=letters,
        )
    dispute.status = DisputeStatus.DECIDED
    dispute.decision = decision.strip()
    dispute.decided_at = timezone.now()
    dispute._change_reason = "decided"  # type: ignore[attr-defined]
    dispute.save()
    notify(
        org=dispute.org,
        recipients=[u for u in _everyone(dispute) if u.pk != actor.pk],
        kind="dispute.decided",
        title=format_lazy(_("Decision on “{subject}”"), subject=dispute.subject),
        body=dispute.decision,
        url=_url(dispute),
    )
    return dispute


def dispute_escalate_overdue(*, now: datetime | None = None) -> int:
    """Alert leadership about open disputes past their service level — once per dispute."""
    now = now or timezone.now()
    escalated = 0
    overdue = Dispute.objects.filter(
        status=DisputeStatus.OPEN, escalated_at__isnull=True, due_at__lt=now
    )
    for dispute_id in overdue.values_list("pk", flat=True):
        with transaction.atomic():
            # The conditional update claims the dispute: a rerun or a second worker finds it taken.
            claimed = Dispute.objects.filter(pk=dispute_id, escalated_at__isnull=True).update(
                escalated_at=now
            )
            if not claimed:
                continue
            dispute = Dispute.objects.select_related("org", "party_a", "party_b").get(pk=dispute_id)
            leaders = (
                Membership.objects.for_org(dispute.org)
                .active()
                .filter(role=Role.LEADER)
                .select_related("user")
            )
            notify(
                org=dispute.org,
                recipients=[membership.user for membership in leaders],
                kind="dispute.escalated",
                title=format_lazy(
                    _("Dispute “{subject}” is past its decision date"), subject=dispute.subject
                ),
                body=format_lazy(
                    _("{a} and {b} are still waiting for the arbitrator's decision."),
                    a=dispute.party_a.name,
                    b=dispute.party_b.name,
                ),
                url=_url(dispute),
            )
            escalated += 1
    return escalated
