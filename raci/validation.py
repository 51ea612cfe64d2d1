"""The RACI check: reads a matrix cell by cell and says what stops it being published.

Pure Python on frozen dataclasses, so the grid, the API and the publish service can all ask the
same questions without the database. Messages are translated when a matrix is validated, in the
language that is active then.
"""

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from django.utils.text import get_text_list
from django.utils.translation import gettext, ngettext

LETTERS = ("R", "A", "C", "I")


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Kind(StrEnum):
    PERSON = "person"
    TEAM = "team"


class Code(StrEnum):
    NO_ACCOUNTABLE = "no_accountable"
    MANY_ACCOUNTABLE = "many_accountable"
    NO_RESPONSIBLE = "no_responsible"
    TEAM_ACCOUNTABLE = "team_accountable"
    DIFFUSED_RESPONSIBILITY = "diffused_responsibility"
    OVERLOADED_ACCOUNTABLE = "overloaded_accountable"
    SLOW_DECISIONS = "slow_decisions"
    IDLE_PARTICIPANT = "idle_participant"


_ACCOUNTABLE_RESPONSIBLE = frozenset({"A", "R"})
_LABELS: Mapping[frozenset[str], str] = MappingProxyType(
    {
        frozenset(): "",
        frozenset({"R"}): "R",
        frozenset({"A"}): "A",
        frozenset({"C"}): "C",
        frozenset({"I"}): "I",
        _ACCOUNTABLE_RESPONSIBLE: "A/R",
    }
)
# Typed between letters and ignored; "、" is the Chinese enumeration comma. Full-width forms
# (Ａ, ，, ／) are folded to these by NFKC first.
_SEPARATORS = frozenset(",/、")
_LETTER_CHARACTERS = frozenset("RACIraci")
_LETTER_SET = frozenset(LETTERS)
_NOTHING_ELSEWHERE: Mapping[int, int] = MappingProxyType({})
_LEVEL_ORDER = (Level.ERROR, Level.WARNING)
_CODE_ORDER = tuple(Code)


def parse_cell(value: str) -> frozenset[str] | None:
    """The letters typed in a cell, or None when they are not a valid RACI combination.

    Case, spaces, commas and slashes do not matter and a repeated letter counts once, so
    "a/r", "R, A" and "RA" all mean Accountable and Responsible. Blank means an empty cell.
    """
    letters: set[str] = set()
    for character in unicodedata.normalize("NFKC", value):
        if character.isspace() or character in _SEPARATORS:
            continue
        if unicodedata.category(character) == "Cf":  # zero-width space, byte order mark
            continue
        if character not in _LETTER_CHARACTERS:
            return None
        letters.add(character.upper())
    found = frozenset(letters)
    return found if found in _LABELS else None


def cell_label(letters: frozenset[str]) -> str:
    """How a cell is shown and stored: "", "R", "A", "C", "I" or "A/R"."""
    label = _LABELS.get(frozenset(letters))
    if label is None:
        raise ValueError(f"Not a valid RACI cell: {sorted(letters)!r}")
    return label


@dataclass(frozen=True)
class Participant:
    id: int
    kind: str  # Kind.PERSON or Kind.TEAM
    name: str
    user_id: int | None = None


@dataclass(frozen=True)
class Activity:
    id: int
    name: str
    phase: str = ""


@dataclass(frozen=True)
class Matrix:
    activities: tuple[Activity, ...]
    participants: tuple[Participant, ...]
    cells: Mapping[tuple[int, int], frozenset[str]]  # (activity id, participant id) → letters


@dataclass(frozen=True)
class Issue:
    level: str  # Level.ERROR or Level.WARNING
    code: str  # a Code
    message: str
    activity_id: int | None = None
    participant_id: int | None = None


@dataclass(frozen=True)
class Report:
    issues: tuple[Issue, ...]

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.level == Level.ERROR)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.level == Level.WARNING)

    @property
    def is_publishable(self) -> bool:
        """Errors block publication; warnings are advice."""
        return not self.errors

    def for_activity(self, activity_id: int) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.activity_id == activity_id)

    def for_participant(self, participant_id: int) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.participant_id == participant_id)


def validate(
    *,
    matrix: Matrix,
    accountable_elsewhere: Mapping[int, int] = _NOTHING_ELSEWHERE,
    overload_limit: int = 8,
    many_consulted: int = 5,
    many_responsible: int = 3,
) -> Report:
    """Every error and warning of a matrix: errors first, then warnings, in grid order.

    accountable_elsewhere maps a user id to the number of activities that person is
    Accountable for in the organisation's other published matrices.
    """
    activities = _unique(matrix.activities)
    participants = _unique(matrix.participants)
    issues = [
        *_activity_issues(
            activities=activities,
            participants=participants,
            cells=matrix.cells,
            many_consulted=many_consulted,
            many_responsible=many_responsible,
        ),
        *_overload_issues(
            activities=activities,
            participants=participants,
            cells=matrix.cells,
            accountable_elsewhere=accountable_elsewhere,
            overload_limit=overload_limit,
        ),
        *_idle_issues(activities=activities, participants=participants, cells=matrix.cells),
    ]
    activity_position = {activity.id: index for index, activity in enumerate(activities)}
    participant_position = {participant.id: index for index, participant in enumerate(participants)}

    def order(issue: Issue) -> tuple[int, int, int, int]:
        # An activity's own issues come before its cells' issues; issues about a participant
        # as a whole (overload, idle) come after every activity.
        activity = (
            len(activities) if issue.activity_id is None else activity_position[issue.activity_id]
        )
        participant = (
            -1 if issue.participant_id is None else participant_position[issue.participant_id]
        )
        return (
            _LEVEL_ORDER.index(Level(issue.level)),
            activity,
            participant,
            _CODE_ORDER.index(Code(issue.code)),
        )

    return Report(issues=tuple(sorted(issues, key=order)))


_Item = TypeVar("_Item", Activity, Participant)


def _unique(items: tuple[_Item, ...]) -> tuple[_Item, ...]:
    """Items in order, keeping the first of any that repeat an id."""
    seen: set[int] = set()
    kept: list[_Item] = []
    for item in items:
        if item.id not in seen:
            seen.add(item.id)
            kept.append(item)
    return tuple(kept)


def _cell(
    *,
    cells: Mapping[tuple[int, int], frozenset[str]],
    activity: Activity,
    participant: Participant,
) -> frozenset[str]:
    return cells.get((activity.id, participant.id), frozenset())


def _activity_issues(
    *,
    activities: tuple[Activity, ...],
    participants: tuple[Participant, ...],
    cells: Mapping[tuple[int, int], frozenset[str]],
    many_consulted: int,
    many_responsible: int,
) -> list[Issue]:
    issues: list[Issue] = []
    for activity in activities:
        holders: dict[str, list[Participant]] = {letter: [] for letter in LETTERS}
        for participant in participants:
            for letter in _cell(cells=cells, activity=activity, participant=participant):
                if letter in holders:
                    holders[letter].append(participant)
        accountable, responsible, consulted = holders["A"], holders["R"], holders["C"]
        name = activity.name
        if not accountable:
            message = gettext(
                "Nobody is Accountable for “%(activity)s”. "
                "Give “%(activity)s” exactly one Accountable person."
            ) % {"activity": name}
            issues.append(
                _on(activity=activity, level=Level.ERROR, code=Code.NO_ACCOUNTABLE, message=message)
            )
        elif len(accountable) > 1:
            message = gettext(
                "“%(activity)s” has %(count)s Accountable: %(names)s. Keep exactly one "
                "Accountable person and make the others Responsible or Consulted."
            ) % {
                "activity": name,
                "count": len(accountable),
                "names": get_text_list([f"“{p.name}”" for p in accountable], gettext("and")),
            }
            issues.append(
                _on(
                    activity=activity,
                    level=Level.ERROR,
                    code=Code.MANY_ACCOUNTABLE,
                    message=message,
                )
            )
        if not responsible:
            message = gettext(
                "Nobody is Responsible for “%(activity)s”. "
                "Mark who does the work with R (a person or a team)."
            ) % {"activity": name}
            issues.append(
                _on(activity=activity, level=Level.ERROR, code=Code.NO_RESPONSIBLE, message=message)
            )
        for participant in accountable:
            if participant.kind == Kind.TEAM:
                message = gettext(
                    "Accountable must be one person, not a team: the team “%(team)s” is "
                    "Accountable for “%(activity)s”. Make one person Accountable instead; "
                    "the team can stay Responsible."
                ) % {"team": participant.name, "activity": name}
                issues.append(
                    _on(
                        activity=activity,
                        level=Level.ERROR,
                        code=Code.TEAM_ACCOUNTABLE,
                        message=message,
                        participant=participant,
                    )
                )
        if len(responsible) > many_responsible:
            message = gettext(
                "“%(activity)s” has %(count)s Responsible, more than %(limit)s, so nobody may "
                "feel it is theirs. Keep those who do the work and make the others Consulted "
                "or Informed."
            ) % {"activity": name, "count": len(responsible), "limit": many_responsible}
            issues.append(
                _on(
                    activity=activity,
                    level=Level.WARNING,
                    code=Code.DIFFUSED_RESPONSIBILITY,
                    message=message,
                )
            )
        if len(consulted) >= many_consulted:
            message = gettext(
                "“%(activity)s” has %(count)s Consulted; with %(limit)s or more, decisions slow "
                "down. Consult only those whose input is needed and make the others Informed."
            ) % {"activity": name, "count": len(consulted), "limit": many_consulted}
            issues.append(
                _on(
                    activity=activity,
                    level=Level.WARNING,
                    code=Code.SLOW_DECISIONS,
                    message=message,
                )
            )
    return issues


def _on(
    *,
    activity: Activity,
    level: Level,
    code: Code,
    message: str,
    participant: Participant | None = None,
) -> Issue:
    return Issue(
        level=level,
        code=code,
        message=message,
        activity_id=activity.id,
        participant_id=None if participant is None else participant.id,
    )


def _overload_issues(
    *,
    activities: tuple[Activity, ...],
    participants: tuple[Participant, ...],
    cells: Mapping[tuple[int, int], frozenset[str]],
    accountable_elsewhere: Mapping[int, int],
    overload_limit: int,
) -> list[Issue]:
    # A person is known by their user id; one without a user is counted on their own, with
    # nothing elsewhere. The first column of a person carries the warning.
    first: dict[tuple[str, int], Participant] = {}
    accountable_here: dict[tuple[str, int], set[int]] = {}
    for participant in participants:
        if participant.kind != Kind.PERSON:
            continue
        key = (
            ("participant", participant.id)
            if participant.user_id is None
            else ("user", participant.user_id)
        )
        first.setdefault(key, participant)
        here = accountable_here.setdefault(key, set())
        for activity in activities:
            if "A" in _cell(cells=cells, activity=activity, participant=participant):
                here.add(activity.id)
    issues: list[Issue] = []
    for key, participant in first.items():
        here_count = len(accountable_here[key])
        if not here_count:
            continue  # this matrix adds nothing to their load
        kind, key_id = key
        elsewhere = accountable_elsewhere.get(key_id, 0) if kind == "user" else 0
        total = here_count + elsewhere
        if total > overload_limit:
            issues.append(
                Issue(
                    level=Level.WARNING,
                    code=Code.OVERLOADED_ACCOUNTABLE,
                    message=ngettext(
                        "“%(person)s” would be Accountable for %(count)s activity (%(here)s "
                        "here, %(elsewhere)s in other published matrices), more than the limit "
                        "of %(limit)s. Hand some of them to someone else.",
                        "“%(person)s” would be Accountable for %(count)s activities (%(here)s "
                        "here, %(elsewhere)s in other published matrices), more than the limit "
                        "of %(limit)s. Hand some of them to someone else.",
                        total,
                    )
                    % {
                        "person": participant.name,
                        "count": total,
                        "here": here_count,
                        "elsewhere": elsewhere,
                        "limit": overload_limit,
                    },
                    participant_id=participant.id,
                )
            )
    return issues


def _idle_issues(
    *,
    activities: tuple[Activity, ...],
    participants: tuple[Participant, ...],
    cells: Mapping[tuple[int, int], frozenset[str]],
) -> list[Issue]:
    return [
        Issue(
            level=Level.WARNING,
            code=Code.IDLE_PARTICIPANT,
            message=gettext(
                "“%(participant)s” has no letter on any activity. "
                "Give them a role or remove them from the matrix."
            )
            % {"participant": participant.name},
            participant_id=participant.id,
        )
        for participant in participants
        if not any(
            _cell(cells=cells, activity=activity, participant=participant) & _LETTER_SET
            for activity in activities
        )
    ]
