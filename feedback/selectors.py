"""Reads of anonymous feedback that pages, exports and the API share.

`results_for` is the only way to results: it aggregates in SQL (counts per question × team ×
answer value), decides visibility for every group once with `anonymity.suppress` on the
whole team tree, and only then narrows to what the viewer may see — so a manager's view and a
leader's view withhold exactly the same groups.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from goals.selectors import team_ids_of
from salesops.models import Membership, Organization, Role, Team
from salesops.selectors import get_or_404

from . import anonymity
from .models import (
    Answer,
    FollowUpAction,
    Question,
    QuestionKind,
    Receipt,
    Response,
    Round,
    Suggestion,
    Survey,
    SurveyStatus,
)
from .services import (
    audience_team_ids,
    open_round,
    suggestion_months_visible,
    team_subtree_ids,
)

ALL = "all"


def sees_all_results(membership: Membership) -> bool:
    return membership.role in (Role.ADMIN, Role.LEADER)


# --- surveys ------------------------------------------------------------------------------


def _addressed_to(membership: Membership) -> QuerySet[Survey]:
    """Surveys whose audience includes this person (drafts are addressed to nobody yet)."""
    mine = team_ids_of(membership)
    return (
        Survey.objects.for_org(membership.org)
        .filter(Q(audience_all=True) | Q(audience_teams__in=with_ancestors(membership.org, mine)))
        .exclude(status=SurveyStatus.DRAFT)
        .distinct()
    )


def surveys_for(*, membership: Membership) -> QuerySet[Survey]:
    """Admins and leaders see every survey; others the surveys addressed to them."""
    surveys = Survey.objects.for_org(membership.org)
    if not sees_all_results(membership):
        surveys = surveys.filter(pk__in=_addressed_to(membership).values("pk"))
    return surveys.annotate(round_count=Count("rounds", distinct=True)).order_by(
        "-created_at", "-pk"
    )


def with_ancestors(org: Organization, team_ids: frozenset[int]) -> set[int]:
    """The teams and every team above them: a survey for a parent team reaches the members of
    its sub-teams."""
    parents = dict(Team.objects.for_org(org).values_list("pk", "parent_id"))
    found: set[int] = set()
    for pk in team_ids:
        current: int | None = pk
        while current is not None and current not in found:
            found.add(current)
            current = parents.get(current)
    return found


def survey_get(*, membership: Membership, pk: int) -> Survey:
    return get_or_404(surveys_for(membership=membership).select_related("org", "created_by"), pk=pk)


def round_get(*, membership: Membership, pk: int) -> Round:
    return get_or_404(
        Round.objects.filter(survey__in=surveys_for(membership=membership)).select_related(
            "survey__org"
        ),
        pk=pk,
    )


def questions_of(survey: Survey) -> list[Question]:
    return list(survey.questions.order_by("position", "pk"))


def rounds_of(survey: Survey) -> QuerySet[Round]:
    return survey.rounds.annotate(
        respondents=Count("receipts", distinct=True),
    ).order_by("-number")


def my_open_rounds(*, membership: Membership, today: date) -> list[tuple[Survey, Round, bool]]:
    """Surveys with an open round for me, and whether I have answered it."""
    result: list[tuple[Survey, Round, bool]] = []
    surveys = _addressed_to(membership).filter(status=SurveyStatus.ACTIVE)
    answered = Receipt.objects.filter(round=OuterRef("pk"), user_id=membership.user_id)
    open_rounds = (
        Round.objects.filter(
            survey__in=surveys, opens_on__lte=today, closes_on__gte=today, closed_at__isnull=True
        )
        .select_related("survey")
        .annotate(answered=Exists(answered))
        .order_by("closes_on", "pk")
    )
    for round_ in open_rounds:
        result.append((round_.survey, round_, bool(round_.answered)))  # type: ignore[attr-defined]
    return result


def current_round(survey: Survey, today: date) -> Round | None:
    return open_round(survey, today)


# --- results ------------------------------------------------------------------------------


@dataclass
class Cell:
    """One group's result on one question, or why it is withheld."""

    shown: bool
    reason: str
    count: int
    mean: float | None = None
    enps: float | None = None
    distribution: list[tuple[str, int, float]] = field(default_factory=list)
    delta: float | None = None  # change of the mean (or eNPS) since the previous round

    @property
    def headline(self) -> float | None:
        return self.enps if self.enps is not None else self.mean


@dataclass
class GroupRow:
    key: str
    label: str
    depth: int
    verdict: anonymity.Verdict

    @property
    def shown_count(self) -> int | None:
        """How many answered — only where the results themselves are shown."""
        return self.verdict.count if self.verdict.shown else None


@dataclass
class QuestionResult:
    question: Question
    cells: dict[str, Cell]  # group key → cell


@dataclass
class CommentBlock:
    question: Question
    group_label: str
    shown: bool
    reason: str
    texts: list[str]


@dataclass
class HeatmapRow:
    group: GroupRow
    values: list[float | None]  # one per dimension; None when withheld


@dataclass
class Results:
    survey: Survey
    round: Round | None
    previous: Round | None
    score_threshold: int
    comment_threshold: int
    respondents: int
    audience_size: int
    groups: list[GroupRow]  # the groups this viewer may see, tree order
    questions: list[QuestionResult]
    dimensions: list[str]
    heatmap: list[HeatmapRow]
    comments: list[CommentBlock]

    @property
    def response_rate(self) -> int | None:
        if not self.audience_size:
            return None
        return round(self.respondents / self.audience_size * 100)


@dataclass
class _Tree:
    labels: dict[str, str]
    parents: dict[str, str | None]
    order: list[tuple[str, int]]  # (key, depth) depth-first, by name
    subtree_teams: dict[str, set[int | None]]  # which response.team values each group covers


def _tree(org: Organization, survey: Survey) -> _Tree:
    """Groups: everyone, and every team of the audience with its sub-teams."""
    teams: list[dict[str, Any]] = [
        dict(row) for row in Team.objects.for_org(org).values("pk", "parent_id", "name")
    ]
    audience = audience_team_ids(survey)
    children: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for team in sorted(teams, key=lambda t: t["name"]):
        children[team["parent_id"]].append(team)
    in_scope = {t["pk"] for t in teams} if audience is None else audience
    labels: dict[str, str] = {ALL: ""}
    parents: dict[str, str | None] = {ALL: None}
    order: list[tuple[str, int]] = [(ALL, 0)]
    subtree: dict[str, set[int | None]] = {}

    def walk(parent_pk: int | None, parent_key: str, depth: int) -> set[int]:
        covered: set[int] = set()
        for team in children.get(parent_pk, []):
            key = f"team:{team['pk']}"
            if team["pk"] in in_scope:
                labels[key] = team["name"]
                parents[key] = parent_key
                order.append((key, depth))
                below = walk(team["pk"], key, depth + 1)
                subtree[key] = {team["pk"], *below}
                covered |= subtree[key]  # type: ignore[arg-type]
            else:
                covered |= walk(team["pk"], parent_key, depth)
        return covered

    walk(None, ALL, 1)
    subtree[ALL] = {t["pk"] for t in teams} | {None}
    return _Tree(labels=labels, parents=parents, order=order, subtree_teams=subtree)


def _counts(round_: Round) -> dict[int | None, int]:
    return dict(
        Response.objects.filter(round=round_)
        .values("team_id")
        .annotate(n=Count("id"))
        .values_list("team_id", "n")
    )


def _verdicts(tree: _Tree, direct: dict[int | None, int], threshold: int) -> dict[str, Any]:
    groups = [
        anonymity.Group(
            key=key,
            parent=tree.parents[key],
            count=sum(direct.get(team, 0) for team in tree.subtree_teams[key]),
        )
        for key, _depth in tree.order
    ]
    return anonymity.suppress(groups, threshold)


Aggregates = dict[int, dict[int | None, dict[int, int]]]  # question → team → value → answers


def _aggregates(round_: Round) -> Aggregates:
    """Answer counts per question × respondent's team × value: one GROUP BY."""
    rows = (
        Answer.objects.filter(response__round=round_, number__isnull=False)
        .values("question_id", "response__team_id", "number")
        .annotate(n=Count("id"))
        .values_list("question_id", "response__team_id", "number", "n")
    )
    index: Aggregates = defaultdict(lambda: defaultdict(dict))
    for question_id, team, number, n in rows:
        if number is not None:
            index[question_id][team][number] = n
    return index


def _cell(
    question: Question,
    verdict: anonymity.Verdict,
    teams: set[int | None],
    aggregates: Aggregates,
) -> Cell:
    cell = Cell(shown=verdict.shown, reason=str(verdict.reason), count=verdict.count)
    if not verdict.shown:
        return cell
    counts: dict[int, int] = defaultdict(int)
    by_team = aggregates.get(question.pk, {})
    for team in teams:
        for number, n in by_team.get(team, {}).items():
            counts[number] += n
    if question.kind == QuestionKind.SCALE:
        values = list(range(1, 6))
        total = sum(number * n for number, n in counts.items())
        cell.mean = anonymity.mean(total, sum(counts.values()))
        labels = [str(v) for v in values]
    elif question.kind == QuestionKind.ENPS:
        values = list(range(11))
        cell.enps = anonymity.enps_of_counts(counts)
        labels = [str(v) for v in values]
    else:
        values = list(range(len(question.options)))
        labels = list(question.options)
    # Multiple choice: each option's share of the group's respondents (they add up past 100%).
    dist = anonymity.distribution({v: n for v, n in counts.items() if v in values}, values)
    if question.kind == QuestionKind.MULTIPLE and verdict.count:
        dist = [(v, n, round(n / verdict.count * 100, 1)) for v, n, _pct in dist]
    cell.distribution = [(labels[i], n, pct) for i, (_v, n, pct) in enumerate(dist)]
    return cell


def _viewer_groups(membership: Membership, tree: _Tree, verdicts: dict[str, Any]) -> list[GroupRow]:
    if sees_all_results(membership):
        keys = [(key, depth) for key, depth in tree.order]
    else:
        mine = {f"team:{pk}" for pk in team_ids_of(membership)}
        # My teams and everything under them.
        allowed: set[str] = set()
        for key, _depth in tree.order:
            current: str | None = key
            while current is not None:
                if current in mine:
                    allowed.add(key)
                    break
                current = tree.parents.get(current)
        keys = [(key, depth) for key, depth in tree.order if key in allowed]
    return [
        GroupRow(key=key, label=tree.labels[key], depth=depth, verdict=verdicts[key])
        for key, depth in keys
    ]


def withheld_reason(code: str, threshold: int) -> str:
    """Why a group's results (or comments) are withheld, in words — the same on every page."""
    if code == anonymity.Reason.REMAINDER:
        return _("Withheld so that a smaller group cannot be worked out by subtraction")
    return ngettext("Fewer than %(n)d response", "Fewer than %(n)d responses", threshold) % {
        "n": threshold
    }


def may_see_results(membership: Membership, survey: Survey) -> bool:
    if sees_all_results(membership):
        return True
    if membership.role != Role.MANAGER:
        return False
    audience = audience_team_ids(survey)
    mine = team_subtree_ids(org=survey.org, roots=team_ids_of(membership))
    return bool(mine) and (audience is None or bool(audience & mine))


def results_for(*, membership: Membership, survey: Survey, round_: Round | None) -> Results:
    """Every number of a round's results that this viewer may see, with anonymity applied."""
    org = survey.org
    questions = questions_of(survey)
    tree = _tree(org, survey)
    previous = (
        survey.rounds.filter(number__lt=round_.number).order_by("-number").first()
        if round_ is not None
        else None
    )
    direct = _counts(round_) if round_ is not None else {}
    verdicts = _verdicts(tree, direct, survey.score_threshold)
    comment_verdicts = _verdicts(tree, direct, survey.comment_threshold)
    aggregates = _aggregates(round_) if round_ is not None else {}
    before: Aggregates = {}
    before_verdicts: dict[str, Any] = {}
    if previous is not None:
        before = _aggregates(previous)
        before_verdicts = _verdicts(tree, _counts(previous), survey.score_threshold)
    groups = _viewer_groups(membership, tree, verdicts)

    results: list[QuestionResult] = []
    for question in questions:
        if question.kind == QuestionKind.TEXT:
            continue
        cells = {}
        for group in groups:
            teams = tree.subtree_teams[group.key]
            cell = _cell(question, group.verdict, teams, aggregates)
            if previous is not None and cell.headline is not None:
                earlier = _cell(question, before_verdicts[group.key], teams, before)
                if earlier.headline is not None:
                    cell.delta = round(cell.headline - earlier.headline, 2)
            cells[group.key] = cell
        results.append(QuestionResult(question=question, cells=cells))

    dimensions = sorted({q.dimension for q in questions if q.is_scored and q.dimension})
    heatmap = []
    for group in groups:
        values: list[float | None] = []
        for dimension in dimensions:
            headlines = [
                r.cells[group.key].headline
                for r in results
                if r.question.is_scored and r.question.dimension == dimension
            ]
            known = [h for h in headlines if h is not None]
            values.append(round(sum(known) / len(known), 2) if known else None)
        heatmap.append(HeatmapRow(group=group, values=values))

    comments = _comments(round_, questions, groups, tree, comment_verdicts)
    respondents = sum(direct.values())
    return Results(
        survey=survey,
        round=round_,
        previous=previous,
        score_threshold=survey.score_threshold,
        comment_threshold=survey.comment_threshold,
        respondents=respondents,
        audience_size=round_.audience_size if round_ is not None else 0,
        groups=groups,
        questions=results,
        dimensions=dimensions,
        heatmap=heatmap,
        comments=comments,
    )


def _comments(
    round_: Round | None,
    questions: list[Question],
    groups: list[GroupRow],
    tree: _Tree,
    verdicts: dict[str, Any],
) -> list[CommentBlock]:
    """Free text of the broadest group this viewer sees, in random order, above the comment
    threshold only. Texts carry no date but their round."""
    text_questions = [q for q in questions if q.kind == QuestionKind.TEXT]
    if round_ is None or not text_questions or not groups:
        return []
    top = [g for g in groups if tree.parents.get(g.key) not in {x.key for x in groups}]
    rows = list(
        Answer.objects.filter(response__round=round_, question__in=text_questions)
        .exclude(text="")
        .values_list("question_id", "response__team_id", "text")
    )
    blocks = []
    for question in text_questions:
        for group in top:
            verdict = verdicts[group.key]
            teams = tree.subtree_teams[group.key]
            texts = [text for q, team, text in rows if q == question.pk and team in teams]
            random.shuffle(texts)
            blocks.append(
                CommentBlock(
                    question=question,
                    group_label=group.label,
                    shown=verdict.shown,
                    reason=str(verdict.reason),
                    texts=texts if verdict.shown else [],
                )
            )
    return blocks


# --- suggestions and follow-up actions ----------------------------------------------------


@dataclass
class SuggestionMonth:
    month: date
    shown: bool
    suggestions: list[Suggestion]
    withheld: int


def suggestion_months(*, org: Organization) -> list[SuggestionMonth]:
    """Suggestions by month, in random order, for months with enough different writers."""
    visible = suggestion_months_visible(org=org, threshold=org.comment_threshold)
    months: dict[date, list[Suggestion]] = defaultdict(list)
    for suggestion in Suggestion.objects.for_org(org).order_by("month"):
        months[suggestion.month].append(suggestion)
    result = []
    for month in sorted(months, reverse=True):
        items = months[month]
        shown = month in visible
        if shown:
            random.shuffle(items)
        result.append(
            SuggestionMonth(
                month=month,
                shown=shown,
                suggestions=items if shown else [],
                withheld=0 if shown else len(items),
            )
        )
    return result


def actions_for(*, org: Organization, survey: Survey | None = None) -> QuerySet[FollowUpAction]:
    actions = FollowUpAction.objects.for_org(org).select_related("owner", "survey", "question")
    if survey is not None:
        actions = actions.filter(survey=survey)
    return actions.order_by("status", "due_date", "pk")


def visible_actions(*, membership: Membership) -> QuerySet[FollowUpAction]:
    """ "You said, we did": actions of the surveys addressed to me, and of the suggestion box."""
    surveys = surveys_for(membership=membership)
    return actions_for(org=membership.org).filter(Q(survey__in=surveys) | Q(survey__isnull=True))
