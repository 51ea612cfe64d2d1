"""Writes for organisations, teams, memberships and invitations."""

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ..models import (
    Invitation,
    Membership,
    Organization,
    Role,
    Team,
    TeamMembership,
    User,
)
from . import notifications, outbox

ORG_SETTING_FIELDS = (
    "name",
    "time_zone",
    "language",
    "currency",
    "fiscal_year_start_month",
    "anonymity_threshold",
    "comment_threshold",
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- organisation -----------------------------------------------------------------


@transaction.atomic
def org_update_settings(*, actor: User, org: Organization, **values: Any) -> Organization:
    for field in ORG_SETTING_FIELDS:
        if field in values:
            setattr(org, field, values[field])
    org.full_clean()
    org._change_reason = "settings updated"  # type: ignore[attr-defined]
    org.save()
    return org


@transaction.atomic
def org_create(*, actor: User, slug: str, name: str, **values: Any) -> Organization:
    org = Organization(slug=slug, name=name, **values)
    org.full_clean()
    org.save()
    membership = Membership(org=org, user=actor, role=Role.ADMIN)
    membership.full_clean()
    membership.save()
    organization_prepare(org=org)
    return org


def organization_prepare(*, org: Organization) -> None:
    """What every new organisation starts with: the built-in KPI catalogue."""
    from goals.services.kpis import kpis_ensure_builtin  # the goals app builds on this one

    kpis_ensure_builtin(org=org)


# --- teams ---------------------------------------------------------------------------


def _check_parent(*, org: Organization, team: Team | None, parent: Team | None) -> None:
    if parent is None:
        return
    if parent.org_id != org.pk:
        raise ValidationError({"parent": _("Choose a team of this organisation.")})
    if parent.is_archived:
        raise ValidationError({"parent": _("An archived team cannot have sub-teams.")})
    if team is None:
        return
    ancestor: Team | None = parent
    while ancestor is not None:
        if ancestor.pk == team.pk:
            raise ValidationError(
                {"parent": _("A team cannot be moved under itself or its own sub-team.")}
            )
        ancestor = ancestor.parent


@transaction.atomic
def team_create(
    *,
    actor: User,
    org: Organization,
    name: str,
    kind: str,
    parent: Team | None = None,
    description: str = "",
) -> Team:
    _check_parent(org=org, team=None, parent=parent)
    team = Team(org=org, name=name.strip(), kind=kind, parent=parent, description=description)
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_update(
    *,
    actor: User,
    team: Team,
    name: str,
    kind: str,
    parent: Team | None,
    description: str = "",
) -> Team:
    _check_parent(org=team.org, team=team, parent=parent)
    team.name, team.kind, team.parent, team.description = name.strip(), kind, parent, description
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_archive(*, actor: User, team: Team) -> Team:
    if team.children.filter(archived_at__isnull=True).exists():
        raise ValidationError(_("Archive or move this team's active sub-teams first."))
    team.archived_at = timezone.now()
    team._change_reason = "archived"  # type: ignore[attr-defined]
    team.save()
    return team


@transaction.atomic
def team_restore(*, actor: User, team: Team) -> Team:
    if team.parent is not None and team.parent.is_archived:
        raise ValidationError(_("Restore the parent team first, or move this team."))
    team.archived_at = None
    team.full_clean()
    team._change_reason = "restored"  # type: ignore[attr-defined]
    team.save()
    return team


def _check_team_open(team: Team) -> None:
    if team.is_archived:
        raise ValidationError(_("This team is archived. Restore it to change its people."))


@transaction.atomic
def team_member_add(
    *, actor: User, team: Team, membership: Membership, is_lead: bool = False
) -> TeamMembership:
    if membership.org_id != team.org_id:
        raise ValidationError(_("Choose a member of this organisation."))
    if not membership.is_active:
        raise ValidationError(_("This person has been deactivated."))
    _check_team_open(team)
    if TeamMembership.objects.filter(team=team, membership=membership).exists():
        raise ValidationError(
            _("%(name)s is already in this team.") % {"name": membership.user.display_name}
        )
    link = TeamMembership(team=team, membership=membership, is_lead=is_lead)
    link.full_clean()
    link.save()
    return link


@transaction.atomic
def team_member_set_lead(*, actor: User, link: TeamMembership, is_lead: bool) -> TeamMembership:
    _check_team_open(link.team)
    link.is_lead = is_lead
    link.save()
    return link


@transaction.atomic
def team_member_remove(*, actor: User, link: TeamMembership) -> None:
    _check_team_open(link.team)
    link.delete()


# --- memberships ----------------------------------------------------------------------


def _other_active_admins(membership: Membership) -> bool:
    return (
        Membership.objects.for_org(membership.org)
        .active()
        .filter(role=Role.ADMIN)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def membership_change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    if (
        membership.role == Role.ADMIN
        and role != Role.ADMIN
        and not _other_active_admins(membership)
    ):
        raise ValidationError({"role": _("An organisation needs at least one active admin.")})
    membership.role = role
    membership.save()
    return membership


def end_user_sessions(*, user: User) -> None:
    """Log the user out everywhere (their session hash no longer matches)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)


@transaction.atomic
def membership_deactivate(*, actor: User, membership: Membership) -> Membership:
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if membership.user_id == actor.pk:
        raise ValidationError(_("You cannot deactivate yourself."))
    if not membership.is_active:
        return membership
    if membership.role == Role.ADMIN and not _other_active_admins(membership):
        raise ValidationError(_("An organisation needs at least one active admin."))
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership._change_reason = "deactivated"  # type: ignore[attr-defined]
    membership.save()
    end_user_sessions(user=membership.user)
    return membership


@transaction.atomic
def membership_reactivate(*, actor: User, membership: Membership) -> Membership:
    membership.is_active = True
    membership.deactivated_at = None
    membership._change_reason = "reactivated"  # type: ignore[attr-defined]
    membership.save()
    return membership


# --- invitations -----------------------------------------------------------------------


class InvitationInvalid(Exception):
    """The link is unknown, expired, revoked or already used; the message says which."""


def invitation_url(token: str) -> str:
    return reverse("invitation_accept", kwargs={"token": token})


@transaction.atomic
def invitation_create(
    *, actor: User | None, org: Organization, email: str, role: str, teams: list[Team] | None = None
) -> tuple[Invitation, str]:
    """Invite an address; returns the invitation and the one-time token for its link.

    `actor` is None when an operator creates an organisation from the command line.
    """
    email = email.strip().lower()
    existing = Membership.objects.for_org(org).filter(user__email__iexact=email).first()
    if existing is not None and existing.is_active:
        raise ValidationError({"email": _("This person is already a member of the organisation.")})
    if existing is not None:
        raise ValidationError(
            {"email": _("This person was deactivated. Reactivate them from their page instead.")}
        )
    for team in teams or []:
        if team.org_id != org.pk or team.is_archived:
            raise ValidationError({"teams": _("Choose active teams of this organisation.")})
    # A new invitation replaces any earlier open one for the same address.
    Invitation.objects.for_org(org).filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        org=org,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=actor,
        expires_at=timezone.now() + settings.INVITATION_TTL,
    )
    invitation.full_clean()
    invitation.save()
    invitation.teams.set(teams or [])
    link = notifications.absolute_url(invitation_url(token))
    # The invitee has no account yet, so the organisation's language is used.
    with translation.override(org.language):
        subject = str(
            format_lazy(
                _("{person} invited you to {org} on SalesOps"),
                person=actor.display_name if actor else org.name,
                org=org.name,
            )
        )
        body = str(
            format_lazy(
                _("Open this link to join {org}: {link}\nIt works once and expires on {expires}."),
                org=org.name,
                link=link,
                expires=invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
            )
        )
    outbox.enqueue(
        task_name="salesops.tasks.email_send",
        kwargs={"to": [email], "subject": subject, "body": body},
    )
    return invitation, token


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_check(*, token: str, for_update: bool = False) -> Invitation:
    queryset = Invitation.objects.select_related("org", "invited_by")
    if for_update:
        # Lock only the invitation: PostgreSQL cannot lock the nullable side of the inviter join.
        queryset = queryset.select_for_update(of=("self",))
    invitation = queryset.filter(token_hash=hash_token(token)).first()
    if invitation is None:
        raise InvitationInvalid(_("This invitation link is not valid. Ask for a new invitation."))
    if invitation.accepted_at is not None:
        raise InvitationInvalid(_("This invitation has already been used. Log in instead."))
    if invitation.revoked_at is not None:
        raise InvitationInvalid(_("This invitation was withdrawn. Ask for a new invitation."))
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid(_("This invitation has expired. Ask for a new invitation."))
    return invitation


@transaction.atomic
def invitation_accept(
    *,
    token: str,
    user: User | None = None,
    display_name: str = "",
    password: str = "",
) -> Membership:
    """Join the organisation once: either as the logged-in `user`, or as a new account."""
    # Locking the invitation row makes a double submit wait, then see it used.
    invitation = invitation_check(token=token, for_update=True)
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise InvitationInvalid(_("An account with this email exists. Log in to accept."))
        user = User.objects.create_user(
            email=invitation.email, password=password, display_name=display_name.strip()
        )
    elif user.email.lower() != invitation.email.lower():
        raise InvitationInvalid(
            _("This invitation is for %(email)s. Log out and open the link again.")
            % {"email": invitation.email}
        )
    if Membership.objects.filter(org=invitation.org, user=user).exists():
        raise InvitationInvalid(_("You are already a member of this organisation."))
    membership = Membership(org=invitation.org, user=user, role=invitation.role)
    membership.full_clean()
    membership.save()
    for team in invitation.teams.filter(archived_at__isnull=True):
        TeamMembership.objects.get_or_create(team=team, membership=membership)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    if invitation.invited_by is not None:
        notifications.notify(
            org=invitation.org,
            recipients=[invitation.invited_by],
            kind="member.joined",
            title=format_lazy(
                _("{person} joined {org}"), person=user.display_name, org=invitation.org.name
            ),
            url=reverse(
                "member_detail", kwargs={"org_slug": invitation.org.slug, "pk": membership.pk}
            ),
            email=False,
        )
    return membership
