"""Reads shared by pages and the API; every queryset starts from an organisation."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from .models import (
    ApiToken,
    Invitation,
    Membership,
    Notification,
    Organization,
    Team,
    TeamMembership,
    TeamWebhook,
    User,
    WebhookDelivery,
)


def membership_for(*, user: User, org_slug: str) -> Membership | None:
    return (
        Membership.objects.select_related("org", "user")
        .filter(user=user, org__slug=org_slug, is_active=True, user__is_active=True)
        .first()
    )


def is_active_member(*, org_id: int, user_id: int | None) -> bool:
    """Whether a person may be named in this organisation (an owner, an assignee…)."""
    return (
        user_id is not None
        and Membership.objects.filter(org_id=org_id, user_id=user_id, is_active=True).exists()
    )


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.select_related("org")
        .filter(user=user, is_active=True)
        .order_by("org__name")
    )


def get_or_404(queryset: QuerySet, **lookup: object):  # type: ignore[no-untyped-def]
    """The one way to fetch an object named in a URL: missing and foreign both answer 404."""
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj


# --- teams ----------------------------------------------------------------------------


def teams_for(*, org: Organization, include_archived: bool = False) -> QuerySet[Team]:
    queryset = Team.objects.for_org(org).select_related("parent")
    if not include_archived:
        queryset = queryset.active()
    return queryset.annotate(
        member_count=Count(
            "team_memberships",
            filter=Q(team_memberships__membership__is_active=True),
            distinct=True,
        )
    ).order_by("name")


def team_tree(*, org: Organization, include_archived: bool = False) -> list[tuple[Team, int]]:
    """Teams in tree order with their depth, from one query."""
    teams = list(teams_for(org=org, include_archived=include_archived))
    by_parent: dict[int | None, list[Team]] = {}
    ids = {team.pk for team in teams}
    for team in teams:
        parent_id = team.parent_id if team.parent_id in ids else None
        by_parent.setdefault(parent_id, []).append(team)
    ordered: list[tuple[Team, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for child in by_parent.get(parent_id, []):
            ordered.append((child, depth))
            walk(child.pk, depth + 1)

    walk(None, 0)
    return ordered


def team_get(*, org: Organization, pk: int) -> Team:
    return get_or_404(Team.objects.for_org(org).select_related("parent"), pk=pk)


def team_members(*, team: Team) -> QuerySet[TeamMembership]:
    return (
        TeamMembership.objects.filter(team=team, membership__is_active=True)
        .select_related("membership__user")
        .order_by("-is_lead", "membership__user__display_name")
    )


def team_webhooks(*, org: Organization, team: Team) -> QuerySet[TeamWebhook]:
    return TeamWebhook.objects.for_org(org).filter(team=team).order_by("name")


# --- members ---------------------------------------------------------------------------


def members_for(
    *,
    org: Organization,
    search: str = "",
    role: str = "",
    status: str = "active",
    team_id: int | None = None,
) -> QuerySet[Membership]:
    queryset = Membership.objects.for_org(org).select_related("user")
    if status == "active":
        queryset = queryset.filter(is_active=True)
    elif status == "inactive":
        queryset = queryset.filter(is_active=False)
    if search:
        queryset = queryset.filter(
            Q(user__display_name__icontains=search) | Q(user__email__icontains=search)
        )
    if role:
        queryset = queryset.filter(role=role)
    if team_id:
        queryset = queryset.filter(team_memberships__team_id=team_id)
    return queryset.prefetch_related(
        Prefetch(
            "team_memberships",
            queryset=TeamMembership.objects.select_related("team").filter(
                team__archived_at__isnull=True
            ),
        )
    ).order_by("user__display_name", "pk")


def member_get(*, org: Organization, pk: int) -> Membership:
    return get_or_404(Membership.objects.for_org(org).select_related("user"), pk=pk)


def open_invitations(*, org: Organization) -> QuerySet[Invitation]:
    return (
        Invitation.objects.for_org(org)
        .filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .prefetch_related("teams")
    )


# --- notifications, webhooks, tokens ---------------------------------------------------


def notifications_for(*, user: User, org: Organization) -> QuerySet[Notification]:
    return Notification.objects.for_org(org).filter(recipient=user)


def unread_count(*, user: User, org: Organization) -> int:
    return notifications_for(user=user, org=org).filter(read_at__isnull=True).count()


def webhook_deliveries_for(*, org: Organization, status: str = "") -> QuerySet[WebhookDelivery]:
    queryset = WebhookDelivery.objects.for_org(org).select_related("webhook__team")
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def failing_webhooks(*, org: Organization) -> QuerySet[TeamWebhook]:
    return (
        TeamWebhook.objects.for_org(org).filter(consecutive_failures__gt=0).select_related("team")
    )


def api_tokens_for(*, user: User, org: Organization) -> QuerySet[ApiToken]:
    return ApiToken.objects.for_org(org).filter(user=user)


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: object
    new: object


@dataclass(frozen=True)
class HistoryEntry:
    record: Any
    changes: list[FieldChange]


def _m2m_ids(field: Any, value: object) -> list[Any]:
    """simple-history gives a many-to-many value as rows of the through table."""
    target = field.m2m_reverse_field_name()
    return [row.get(target) for row in value or [] if isinstance(row, dict)]  # type: ignore[attr-defined]


def _display(field: Any, value: object, related: dict[Any, dict[Any, Any]]) -> object:
    if field.many_to_many:
        names = [str(related.get(field, {}).get(pk, pk)) for pk in _m2m_ids(field, value)]
        return ", ".join(names) or "—"
    if value in (None, ""):
        return "—"
    if field.is_relation:
        return related.get(field, {}).get(value, value)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value


def history_for(obj: Any, limit: int = 50) -> list[HistoryEntry]:
    """Recent changes of an object, newest first: who, when, and each field's old → new value.

    One query for the records, one per related model named in them (e.g. parent team).
    """
    records = list(
        obj.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    deltas = [
        newer.diff_against(older).changes if older is not None else []
        for newer, older in zip(records, [*records[1:], None], strict=False)
    ][:limit]
    meta = obj._meta
    wanted: dict[Any, set[Any]] = {}
    for changes in deltas:
        for change in changes:
            field = meta.get_field(change.field)
            if field.many_to_many:
                wanted.setdefault(field, set()).update(
                    _m2m_ids(field, change.old) + _m2m_ids(field, change.new)
                )
            elif field.is_relation:
                wanted.setdefault(field, set()).update(
                    v for v in (change.old, change.new) if v is not None
                )
    related = {
        field: {
            pk: str(item)
            for pk, item in field.related_model._base_manager.in_bulk(list(ids)).items()
        }
        for field, ids in wanted.items()
    }
    entries = []
    for record, changes in zip(records, deltas, strict=False):
        shown = []
        for change in changes:
            field = meta.get_field(change.field)
            shown.append(
                FieldChange(
                    label=str(field.verbose_name),
                    old=_display(field, change.old, related),
                    new=_display(field, change.new, related),
                )
            )
        entries.append(HistoryEntry(record=record, changes=shown))
    return entries
