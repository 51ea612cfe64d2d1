"""Reads for RACI pages and the API: org-scoped, with the joins the grid needs."""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from salesops.models import Membership, Role
from salesops.permissions import can
from salesops.selectors import get_or_404

from . import validation
from .models import (
    ActivityComment,
    MatrixStatus,
    RaciActivity,
    RaciAssignment,
    RaciMatrix,
    RaciParticipant,
    RaciPolicy,
)


def raci_policy(*, org: Any) -> RaciPolicy:
    policy, _created = RaciPolicy.objects.get_or_create(org=org)
    return policy


def matrices_for(*, membership: Membership) -> QuerySet[RaciMatrix]:
    """Editors see drafts too; everyone else reads published matrices."""
    matrices = RaciMatrix.objects.for_org(membership.org).select_related("goal")
    if not can(membership, "raci.edit"):
        matrices = matrices.filter(status=MatrixStatus.PUBLISHED)
    return matrices.annotate(
        activity_count=Count("activities", distinct=True),
        participant_count=Count("participants", distinct=True),
    ).order_by("title", "pk")


def matrix_get(*, membership: Membership, pk: int) -> RaciMatrix:
    return get_or_404(matrices_for(membership=membership), pk=pk)


def participants_of(matrix: RaciMatrix) -> list[RaciParticipant]:
    return list(
        matrix.participants.select_related("membership__user", "team").order_by("position", "pk")
    )


def activities_of(matrix: RaciMatrix) -> list[RaciActivity]:
    return list(matrix.activities.order_by("position", "pk"))


def cells_of(matrix: RaciMatrix) -> dict[tuple[int, int], str]:
    return {
        (activity_id, participant_id): letters
        for activity_id, participant_id, letters in RaciAssignment.objects.filter(
            activity__matrix=matrix
        ).values_list("activity_id", "participant_id", "letters")
    }


def accountable_elsewhere(*, matrix: RaciMatrix) -> dict[int, int]:
    """How many activities each person is Accountable for in the org's other published matrices."""
    rows = (
        RaciAssignment.objects.filter(
            activity__matrix__org=matrix.org,
            activity__matrix__status=MatrixStatus.PUBLISHED,
            participant__kind="person",
            letters__in=["A", "A/R"],
        )
        .exclude(activity__matrix=matrix)
        .values("participant__membership__user_id")
        .annotate(count=Count("id"))
    )
    return {row["participant__membership__user_id"]: row["count"] for row in rows}


@dataclass
class Grid:
    matrix: RaciMatrix
    activities: list[RaciActivity]
    participants: list[RaciParticipant]
    cells: dict[tuple[int, int], str]
    report: validation.Report

    def rows(
        self,
    ) -> list[tuple[RaciActivity, list[tuple[RaciParticipant, str]], tuple[validation.Issue, ...]]]:
        return [
            (
                activity,
                [
                    (participant, self.cells.get((activity.pk, participant.pk), ""))
                    for participant in self.participants
                ],
                self.report.for_activity(activity.pk),
            )
            for activity in self.activities
        ]


def validation_report(
    *,
    matrix: RaciMatrix,
    activities: list[RaciActivity],
    participants: list[RaciParticipant],
    cells: dict[tuple[int, int], str],
) -> validation.Report:
    policy = raci_policy(org=matrix.org)
    data = validation.Matrix(
        activities=tuple(
            validation.Activity(id=a.pk, name=a.name, phase=a.phase) for a in activities
        ),
        participants=tuple(
            validation.Participant(id=p.pk, kind=p.kind, name=p.name, user_id=p.user_id)
            for p in participants
        ),
        cells={
            key: validation.parse_cell(letters) or frozenset() for key, letters in cells.items()
        },
    )
    return validation.validate(
        matrix=data,
        accountable_elsewhere=accountable_elsewhere(matrix=matrix),
        overload_limit=policy.accountable_limit,
        many_consulted=policy.consulted_limit,
    )


def grid_for(*, matrix: RaciMatrix) -> Grid:
    activities, participants, cells = (
        activities_of(matrix),
        participants_of(matrix),
        cells_of(matrix),
    )
    report = validation_report(
        matrix=matrix, activities=activities, participants=participants, cells=cells
    )
    return Grid(
        matrix=matrix, activities=activities, participants=participants, cells=cells, report=report
    )


@dataclass(frozen=True)
class CellChange:
    activity: str
    participant: str
    before: str
    after: str


def changes_since_publication(grid: Grid) -> list[CellChange]:
    """What differs from the published version, cell by cell."""
    matrix = grid.matrix
    if not matrix.published_at:
        return []
    names_a = {a.pk: a.name for a in grid.activities}
    names_p = {p.pk: p.name for p in grid.participants}
    published: dict[tuple[int, int], str] = {}
    for key, value in matrix.published_cells.items():
        activity_part, participant_part = key.split(":")
        published[(int(activity_part), int(participant_part))] = value
    changes = []
    for key in sorted(set(published) | set(grid.cells)):
        before, after = published.get(key, ""), grid.cells.get(key, "")
        if before != after:
            activity_id, participant_id = key
            changes.append(
                CellChange(
                    activity=names_a.get(activity_id, "—"),
                    participant=names_p.get(participant_id, "—"),
                    before=before,
                    after=after,
                )
            )
    return changes


@dataclass(frozen=True)
class Responsibility:
    letters: str
    activity: RaciActivity
    matrix: RaciMatrix
    via_team: str


def responsibilities_of(*, membership: Membership) -> dict[str, list[Responsibility]]:
    """Every activity of a published matrix where I, or a team I am in, hold a letter, by role."""
    team_ids = list(membership.team_memberships.values_list("team_id", flat=True))
    assignments = (
        RaciAssignment.objects.filter(
            activity__matrix__org=membership.org, activity__matrix__status=MatrixStatus.PUBLISHED
        )
        .filter(Q(participant__membership=membership) | Q(participant__team_id__in=team_ids))
        .select_related("activity__matrix", "participant__team")
        .order_by("activity__matrix__title", "activity__position", "activity__pk")
    )
    grouped: dict[str, list[Responsibility]] = defaultdict(list)
    for assignment in assignments:
        team = assignment.participant.team
        via = team.name if team is not None else ""
        for letter in ("A", "R") if assignment.letters == "A/R" else (assignment.letters,):
            grouped[letter].append(
                Responsibility(
                    letters=letter,
                    activity=assignment.activity,
                    matrix=assignment.activity.matrix,
                    via_team=via,
                )
            )
    return {letter: grouped[letter] for letter in ("R", "A", "C", "I") if grouped.get(letter)}


def comments_of(activity: RaciActivity) -> QuerySet[ActivityComment]:
    return activity.comments.select_related("author")


def is_editor_role(membership: Membership) -> bool:
    return membership.role in (Role.ADMIN, Role.MANAGER)
