"""Writes for RACI matrices: build, edit cells, publish, activity states and comments."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from goals.models import Goal
from salesops.models import Membership, Organization, Team, TeamMembership, User
from salesops.services.notifications import notify

from . import selectors, validation
from .blueprints import BY_KEY
from .models import (
    ActivityComment,
    ActivityState,
    MatrixStatus,
    ParticipantKind,
    RaciActivity,
    RaciAssignment,
    RaciMatrix,
    RaciParticipant,
)


def _matrix_url(matrix: RaciMatrix) -> str:
    return reverse("raci:matrix_detail", kwargs={"org_slug": matrix.org.slug, "pk": matrix.pk})


def _activity_url(activity: RaciActivity) -> str:
    matrix = activity.matrix
    return reverse(
        "raci:activity_detail",
        kwargs={"org_slug": matrix.org.slug, "pk": matrix.pk, "activity_pk": activity.pk},
    )


def _check_goal(org: Organization, goal: Goal | None) -> None:
    if goal is not None and getattr(goal, "org_id", None) != org.pk:
        raise ValidationError({"goal": _("Choose a goal of this organisation.")})


@transaction.atomic
def matrix_create(
    *, actor: User, org: Organization, title: str, description: str = "", goal: Goal | None = None
) -> RaciMatrix:
    _check_goal(org, goal)
    matrix = RaciMatrix(
        org=org, title=title.strip(), description=description, goal=goal, created_by=actor
    )
    matrix.full_clean()
    matrix.save()
    return matrix


@transaction.atomic
def matrix_create_from_blueprint(
    *, actor: User, org: Organization, key: str, title: str = ""
) -> RaciMatrix:
    blueprint = BY_KEY.get(key)
    if blueprint is None:
        raise ValidationError({"blueprint": _("Choose one of the templates.")})
    matrix = matrix_create(
        actor=actor,
        org=org,
        title=title.strip() or str(blueprint.title),
        description=str(blueprint.description),
    )
    team_for_kind: dict[str, Team] = {}
    lead_for_kind: dict[str, Membership] = {}
    for kind in blueprint.columns:
        team = Team.objects.for_org(org).active().filter(kind=kind).order_by("name").first()
        if team is None:
            continue
        team_for_kind[kind] = team
        lead_link = (
            TeamMembership.objects.filter(team=team, is_lead=True, membership__is_active=True)
            .select_related("membership")
            .order_by("pk")
            .first()
        )
        if lead_link is not None:
            lead_for_kind[kind] = lead_link.membership
    team_participants = {
        kind: participant_add(actor=actor, matrix=matrix, team=team)
        for kind, team in team_for_kind.items()
    }
    # One column per person, even when one person leads teams of two kinds.
    person_participants: dict[int, RaciParticipant] = {}
    for position, row in enumerate(blueprint.rows):
        activity = RaciActivity.objects.create(
            matrix=matrix, name=str(row.name), phase=str(row.phase), position=position
        )
        for kind, letters in row.letters.items():
            if kind not in team_participants:
                continue
            lead = lead_for_kind.get(kind)
            if "A" in letters and lead is not None:
                # The A goes to the team's lead, a person; the team keeps the R if it had one.
                if lead.pk not in person_participants:
                    person_participants[lead.pk] = participant_add(
                        actor=actor, matrix=matrix, membership=lead
                    )
                RaciAssignment.objects.create(
                    activity=activity, participant=person_participants[lead.pk], letters="A"
                )
                if "R" in letters:
                    RaciAssignment.objects.create(
                        activity=activity, participant=team_participants[kind], letters="R"
                    )
            else:
                RaciAssignment.objects.create(
                    activity=activity, participant=team_participants[kind], letters=letters
                )
    return matrix


@transaction.atomic
def matrix_update(
    *, actor: User, matrix: RaciMatrix, title: str, description: str, goal: Goal | None = None
) -> RaciMatrix:
    _check_goal(matrix.org, goal)
    matrix.title, matrix.description, matrix.goal = title.strip(), description, goal
    matrix.full_clean()
    matrix.save()
    return matrix


@transaction.atomic
def activity_add(*, actor: User, matrix: RaciMatrix, name: str, phase: str = "") -> RaciActivity:
    position = (matrix.activities.aggregate(top=Max("position"))["top"] or 0) + 1
    activity = RaciActivity(
        matrix=matrix, name=name.strip(), phase=phase.strip(), position=position
    )
    activity.full_clean()
    activity.save()
    return activity


@transaction.atomic
def activity_update(*, actor: User, activity: RaciActivity, name: str, phase: str) -> RaciActivity:
    activity.name, activity.phase = name.strip(), phase.strip()
    activity.full_clean()
    activity.save()
    return activity


@transaction.atomic
def activity_move(*, actor: User, activity: RaciActivity, direction: str) -> RaciActivity:
    """Swap with the neighbour above or below; positions are renumbered 1..n first."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Move an activity up or down.")})
    siblings = list(
        RaciActivity.objects.select_for_update()
        .filter(matrix=activity.matrix)
        .order_by("position", "pk")
    )
    for index, sibling in enumerate(siblings, start=1):
        sibling.position = index
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == activity.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index].position, siblings[other].position = (
            siblings[other].position,
            siblings[index].position,
        )
    for sibling in siblings:
        sibling.save(update_fields=["position"])
    return next(s for s in siblings if s.pk == activity.pk)


@transaction.atomic
def activity_delete(*, actor: User, activity: RaciActivity) -> None:
    activity.delete()


@transaction.atomic
def participant_add(
    *,
    actor: User,
    matrix: RaciMatrix,
    membership: Membership | None = None,
    team: Team | None = None,
) -> RaciParticipant:
    if (membership is None) == (team is None):
        raise ValidationError(_("Choose a person or a team."))
    if membership is not None and (membership.org_id != matrix.org_id or not membership.is_active):
        raise ValidationError({"membership": _("Choose an active member of this organisation.")})
    if team is not None and (team.org_id != matrix.org_id or team.is_archived):
        raise ValidationError({"team": _("Choose an active team of this organisation.")})
    existing = (
        matrix.participants.filter(membership=membership)
        if membership
        else matrix.participants.filter(team=team)
    )
    if existing.exists():
        raise ValidationError(_("Already in this matrix."))
    position = (matrix.participants.aggregate(top=Max("position"))["top"] or 0) + 1
    participant = RaciParticipant(
        matrix=matrix,
        kind=ParticipantKind.PERSON if membership else ParticipantKind.TEAM,
        membership=membership,
        team=team,
        position=position,
    )
    participant.full_clean()
    participant.save()
    return participant


@transaction.atomic
def participant_remove(*, actor: User, participant: RaciParticipant) -> None:
    participant.delete()


@transaction.atomic
def cell_set(
    *,
    actor: User,
    matrix: RaciMatrix,
    activity: RaciActivity,
    participant: RaciParticipant,
    letters: str,
) -> str:
    """Set one cell; returns its label ("" when cleared). Refuses letters that are not R, A, C, I or A/R."""
    if activity.matrix_id != matrix.pk or participant.matrix_id != matrix.pk:
        raise ValidationError(_("That activity or participant is not in this matrix."))
    parsed = validation.parse_cell(letters)
    if parsed is None:
        raise ValidationError({"letters": _("Use R, A, C, I, or A and R together.")})
    label = validation.cell_label(parsed)
    assignment = (
        RaciAssignment.objects.select_for_update()
        .filter(activity=activity, participant=participant)
        .first()
    )
    if not label:
        if assignment is not None:
            assignment.delete()
        return ""
    if assignment is None:
        assignment = RaciAssignment(activity=activity, participant=participant, letters=label)
    elif assignment.letters == label:
        return label
    assignment.letters = label
    assignment.full_clean()
    assignment.save()
    return label


def _members_of(*, org: Organization, participants: QuerySet[RaciParticipant]) -> list[User]:
    """The people behind participants: persons themselves, and the members of teams."""
    members = (
        Membership.objects.filter(org=org, is_active=True, user__is_active=True)
        .filter(
            Q(pk__in=participants.filter(kind=ParticipantKind.PERSON).values("membership_id"))
            | Q(
                team_memberships__team_id__in=participants.filter(kind=ParticipantKind.TEAM).values(
                    "team_id"
                )
            )
        )
        .select_related("user")
        .distinct()
    )
    return [membership.user for membership in members]


@transaction.atomic
def matrix_publish(*, actor: User, matrix: RaciMatrix) -> RaciMatrix:
    """Publish when the matrix has no error; everyone with a role in it is told."""
    matrix = RaciMatrix.objects.select_for_update(of=("self",)).get(pk=matrix.pk)
    grid = selectors.grid_for(matrix=matrix)
    if not grid.activities:
        raise ValidationError(_("Add at least one activity before publishing."))
    if not grid.report.is_publishable:
        raise ValidationError([issue.message for issue in grid.report.errors])
    matrix.status = MatrixStatus.PUBLISHED
    matrix.published_at = timezone.now()
    matrix.published_by = actor
    matrix.published_cells = {f"{a}:{p}": letters for (a, p), letters in grid.cells.items()}
    matrix._change_reason = "published"  # type: ignore[attr-defined]
    matrix.save()
    notify(
        org=matrix.org,
        recipients=_members_of(
            org=matrix.org, participants=matrix.participants.filter(assignments__isnull=False)
        ),
        kind="raci.published",
        title=format_lazy(
            _("RACI matrix “{title}” was published: see what you do"), title=matrix.title
        ),
        url=_matrix_url(matrix),
    )
    return matrix


def _holders(activity: RaciActivity, letters: tuple[str, ...]) -> list[User]:
    participants = RaciParticipant.objects.filter(
        assignments__activity=activity, assignments__letters__in=letters
    )
    return _members_of(org=activity.matrix.org, participants=participants)


@transaction.atomic
def activity_set_state(
    *, actor: User, activity: RaciActivity, state: str, note: str = ""
) -> RaciActivity:
    """Done or blocked: its A and I are told, its C are asked for input on the activity's thread."""
    if state not in ActivityState.values:
        raise ValidationError({"state": _("Choose open, done or blocked.")})
    if activity.state == state:
        return activity
    activity.state = state
    activity._change_reason = note.strip() or state  # type: ignore[attr-defined]
    activity.save()
    if note.strip():
        ActivityComment.objects.create(activity=activity, author=actor, body=note.strip())
    if state == ActivityState.OPEN or not activity.matrix.is_published:
        # A draft is not yet anyone's job: nobody is told until the matrix is published.
        return activity
    label = ActivityState(state).label
    url = _activity_url(activity)
    notify(
        org=activity.matrix.org,
        recipients=[u for u in _holders(activity, ("A", "A/R", "I")) if u.pk != actor.pk],
        kind=f"raci.activity_{state}",
        title=format_lazy(_("“{activity}” is {state}"), activity=activity.name, state=label),
        body=note.strip(),
        url=url,
    )
    notify(
        org=activity.matrix.org,
        recipients=[u for u in _holders(activity, ("C",)) if u.pk != actor.pk],
        kind="raci.input_requested",
        title=format_lazy(
            _("Your input is asked on “{activity}” ({state})"), activity=activity.name, state=label
        ),
        body=note.strip(),
        url=url,
    )
    return activity


@transaction.atomic
def activity_comment(*, actor: User, activity: RaciActivity, body: str) -> ActivityComment:
    if not body.strip():
        raise ValidationError({"body": _("Write a comment first.")})
    comment = ActivityComment(activity=activity, author=actor, body=body.strip())
    comment.full_clean()
    comment.save()
    return comment


@transaction.atomic
def policy_update(
    *,
    actor: User,
    org: Organization,
    accountable_limit: int,
    consulted_limit: int,
    arbitrator: Membership | None = None,
    dispute_working_days: int = 3,
) -> object:
    if arbitrator is not None and arbitrator.org_id != org.pk:
        raise ValidationError({"arbitrator": _("Choose a member of this organisation.")})
    policy = selectors.raci_policy(org=org)
    policy.accountable_limit, policy.consulted_limit = accountable_limit, consulted_limit
    policy.arbitrator, policy.dispute_working_days = arbitrator, dispute_working_days
    policy.full_clean()
    policy.save()
    return policy
