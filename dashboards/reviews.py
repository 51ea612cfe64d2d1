"""Review meetings: a team's weekly or monthly review pack, and what the meeting records.

The pack is assembled live from the period's deviations, goals at risk, overdue milestones,
open blockers and the latest pulse; only the meeting's notes, decisions and follow-up actions
are stored (`ReviewMeeting`, `ReviewItem`, both with history).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from actionplans.models import (
    ActionPlan,
    Blocker,
    BlockerStatus,
    Milestone,
    MilestoneStatus,
    PlanStatus,
)
from feedback.models import QuestionKind, Round, SurveyStatus
from feedback.selectors import results_for, with_ancestors, withheld_reason
from goals.models import Goal, GoalStatus
from goals.periods import add_months, period_end, period_start, week_start
from goals.progress import GoalHealth
from goals.selectors import GoalMetrics, goal_metrics, team_ids_of
from salesops.models import Membership, Organization, Role, Team, User
from salesops.permissions import can
from salesops.selectors import get_or_404, is_active_member
from salesops.services.notifications import notify

from .models import (
    Alert,
    AlertSeverity,
    AlertState,
    ReviewItem,
    ReviewItemKind,
    ReviewMeeting,
    ReviewPeriod,
)
from .selectors import alerts_for

TEXT_MAX = 4000
NOTES_MAX = 20000
RISK_HEALTH = (GoalHealth.AT_RISK, GoalHealth.OFF_TRACK)


# --- periods ------------------------------------------------------------------------------


def review_period(*, kind: str, start: date | None, today: date) -> tuple[date, date]:
    """First and last day of the week (from Monday) or month holding `start`, else `today`."""
    if kind not in ReviewPeriod.values:
        raise ValueError(f"unknown review period {kind!r}")
    first = period_start(start or today, kind)
    return first, period_end(first, kind)


def neighbour_periods(*, kind: str, start: date) -> tuple[date, date]:
    """The starts of the period before and the period after."""
    if kind == ReviewPeriod.WEEK:
        return start - timedelta(days=7), start + timedelta(days=7)
    return add_months(start, -1), add_months(start, 1)


def review_pack_url(*, team: Team, kind: str, start: date) -> str:
    path = reverse("dashboards:review_pack", kwargs={"org_slug": team.org.slug, "pk": team.pk})
    return f"{path}?{urlencode({'period': kind, 'start': start.isoformat()})}"


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


# --- the pack -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalAtRisk:
    goal: Goal
    metrics: GoalMetrics

    @property
    def gap(self) -> int | None:
        """Percentage points behind the time elapsed."""
        if self.metrics.progress_percent is None:
            return None
        return self.metrics.expected_percent - self.metrics.progress_percent


@dataclass(frozen=True)
class PulseLine:
    question: str
    kind: str
    headline: float | None
    delta: float | None


@dataclass
class TeamPulse:
    """The team's result in the latest pulse round, or why it is not shown."""

    survey_id: int
    survey_title: str
    round_number: int
    opens_on: date
    closes_on: date
    shown: bool
    reason: str = ""
    respondents: int | None = None  # only when shown
    may_open_results: bool = False
    lines: list[PulseLine] = field(default_factory=list)


@dataclass
class ReviewPack:
    team: Team
    kind: str
    start: date
    end: date
    as_of: date  # the period's end, or today while the period runs
    previous_start: date
    next_start: date
    alerts: list[Alert]
    goals_at_risk: list[GoalAtRisk]
    overdue_milestones: list[Milestone]
    blockers: list[Blocker]
    pulse: TeamPulse | None
    meeting: ReviewMeeting | None
    items: list[ReviewItem]
    open_actions: list[ReviewItem]  # from the team's other meetings, not done yet
    is_current: bool = False


def _severity_rank() -> Case:
    return Case(
        When(severity=AlertSeverity.CRITICAL, then=Value(0)),
        When(severity=AlertSeverity.WARNING, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def _team_alerts(membership: Membership, team: Team, start: date, end: date) -> list[Alert]:
    zone = ZoneInfo(team.org.time_zone)
    opened_in_period = Q(
        opened_at__gte=_local_midnight(start, zone),
        opened_at__lt=_local_midnight(end + timedelta(days=1), zone),
    )
    still_open = Q(state__in=(AlertState.OPEN, AlertState.ACKNOWLEDGED))
    return list(
        alerts_for(membership=membership)
        .filter(Q(team=team) | Q(goal__team=team))
        .filter(still_open | opened_in_period)
        .annotate(severity_rank=_severity_rank())
        .order_by("severity_rank", "-opened_at", "-pk")
    )


def _goals_at_risk(org: Organization, team: Team, as_of: date) -> list[GoalAtRisk]:
    goals = list(
        Goal.objects.for_org(org)
        .filter(team=team, status=GoalStatus.ACTIVE)
        .select_related("kpi", "owner", "team")
    )
    metrics = goal_metrics(goals=goals, org=org, today=as_of)
    found = [
        GoalAtRisk(goal=goal, metrics=metrics[goal.pk])
        for goal in goals
        if metrics[goal.pk].health in RISK_HEALTH
    ]
    return sorted(found, key=lambda item: (-(item.gap or 0), item.goal.title, item.goal.pk))


def _overdue_milestones(org: Organization, team: Team, as_of: date) -> list[Milestone]:
    """Not done after the Sunday of their due week (as `actionplans.timeline.is_overdue`)."""
    return list(
        Milestone.objects.filter(
            plan__org=org,
            plan__team=team,
            plan__status=PlanStatus.ACTIVE,
            is_dormant=False,
            due_week__lt=week_start(as_of),
        )
        .exclude(status=MilestoneStatus.DONE)
        .select_related("plan", "owner")
        .order_by("due_week", "plan__title", "pk")
    )


def _open_blockers(org: Organization, team: Team) -> list[Blocker]:
    return list(
        Blocker.objects.for_org(org)
        .filter(status=BlockerStatus.OPEN)
        .filter(Q(team=team) | Q(milestone__plan__team=team))
        .select_related("milestone__plan", "raised_by", "routed_to", "team")
        .order_by("created_at", "pk")
    )


def _team_pulse(membership: Membership, team: Team, as_of: date) -> TeamPulse | None:
    """The team's group in the latest round closed by `as_of` (else the latest that opened),
    through `results_for`, which applies the anonymity rules; a withheld group is reported with
    its reason only. A closed round comes first: an open one usually has too few answers yet."""
    org = team.org
    rounds = (
        Round.objects.filter(survey__org=org, opens_on__lte=as_of)
        .exclude(survey__status=SurveyStatus.DRAFT)
        .filter(
            Q(survey__audience_all=True)
            | Q(survey__audience_teams__in=with_ancestors(org, frozenset({team.pk})))
        )
        .select_related("survey__org")
        .order_by("-opens_on", "-number", "-pk")
    )
    round_ = rounds.filter(closed_at__date__lte=as_of).first() or rounds.first()
    if round_ is None:
        return None
    survey = round_.survey
    pulse = TeamPulse(
        survey_id=survey.pk,
        survey_title=survey.title,
        round_number=round_.number,
        opens_on=round_.opens_on,
        closes_on=round_.closes_on,
        shown=False,
    )
    if not can(membership, "survey.results", survey):
        pulse.reason = str(
            _("Survey results are shown to leaders, sales ops and the managers of the team.")
        )
        return pulse
    pulse.may_open_results = True
    results = results_for(membership=membership, survey=survey, round_=round_)
    group = next((g for g in results.groups if g.key == f"team:{team.pk}"), None)
    if group is None:
        pulse.reason = str(_("This team's results are not part of this survey's results."))
        return pulse
    if not group.verdict.shown:
        pulse.reason = withheld_reason(group.verdict.reason, results.score_threshold)
        return pulse
    pulse.shown = True
    pulse.respondents = group.shown_count
    for item in results.questions:
        if not item.question.is_scored:
            continue
        cell = item.cells[group.key]
        digits = 1 if item.question.kind == QuestionKind.ENPS else 2
        pulse.lines.append(
            PulseLine(
                question=item.question.text,
                kind=item.question.kind,
                headline=None if cell.headline is None else round(cell.headline, digits),
                delta=None if cell.delta is None else round(cell.delta, digits),
            )
        )
    return pulse


def meeting_items(meeting: ReviewMeeting | None) -> list[ReviewItem]:
    """The decisions and actions of one meeting, in the order they were recorded."""
    if meeting is None:
        return []
    return list(
        meeting.items.select_related("owner", "plan", "created_by").order_by("created_at", "pk")
    )


def _open_actions(
    org: Organization, team: Team, end: date, meeting: ReviewMeeting | None
) -> list[ReviewItem]:
    actions = (
        ReviewItem.objects.filter(
            meeting__org=org,
            meeting__team=team,
            meeting__period_start__lte=end,
            kind=ReviewItemKind.ACTION,
            done_at__isnull=True,
        )
        .select_related("meeting", "owner", "plan")
        .order_by(F("due_date").asc(nulls_last=True), "meeting__period_start", "pk")
    )
    if meeting is not None:
        actions = actions.exclude(meeting=meeting)
    return list(actions)


def review_meeting_find(*, team: Team, kind: str, start: date) -> ReviewMeeting | None:
    return (
        ReviewMeeting.objects.for_org(team.org)
        .filter(team=team, period_kind=kind, period_start=start)
        .select_related("created_by")
        .first()
    )


def review_pack_for(
    *, membership: Membership, team: Team, kind: str, start: date | None, today: date
) -> ReviewPack:
    """Everything the team's review of one period looks at, in a fixed number of queries."""
    org = membership.org
    first, last = review_period(kind=kind, start=start, today=today)
    as_of = min(last, today)
    previous_start, next_start = neighbour_periods(kind=kind, start=first)
    meeting = review_meeting_find(team=team, kind=kind, start=first)
    return ReviewPack(
        team=team,
        kind=kind,
        start=first,
        end=last,
        as_of=as_of,
        previous_start=previous_start,
        next_start=next_start,
        alerts=_team_alerts(membership, team, first, last),
        goals_at_risk=_goals_at_risk(org, team, as_of),
        overdue_milestones=_overdue_milestones(org, team, as_of),
        blockers=_open_blockers(org, team),
        pulse=_team_pulse(membership, team, as_of),
        meeting=meeting,
        items=meeting_items(meeting),
        open_actions=_open_actions(org, team, last, meeting),
        is_current=first <= today <= last,
    )


# --- other reads --------------------------------------------------------------------------


def review_teams_for(*, membership: Membership) -> QuerySet[Team]:
    """Teams whose reviews this person may open: every active team for leaders and admins,
    otherwise their own teams."""
    teams = Team.objects.for_org(membership.org).active().order_by("name", "pk")
    if membership.role in (Role.ADMIN, Role.LEADER):
        return teams
    return teams.filter(pk__in=team_ids_of(membership))


def review_meetings_for(*, membership: Membership) -> QuerySet[ReviewMeeting]:
    """Recorded meetings of the teams this person may review, with item counts from SQL."""
    meetings = ReviewMeeting.objects.for_org(membership.org)
    if membership.role not in (Role.ADMIN, Role.LEADER):
        meetings = meetings.filter(team_id__in=team_ids_of(membership))
    return (
        meetings.select_related("team")
        .annotate(
            decision_count=Count("items", filter=Q(items__kind=ReviewItemKind.DECISION)),
            action_count=Count("items", filter=Q(items__kind=ReviewItemKind.ACTION)),
            open_action_count=Count(
                "items",
                filter=Q(items__kind=ReviewItemKind.ACTION, items__done_at__isnull=True),
            ),
        )
        .order_by("-period_start", "team__name", "-pk")
    )


def review_team_get(*, org: Organization, pk: int) -> Team:
    return get_or_404(Team.objects.for_org(org).select_related("org"), pk=pk)  # type: ignore[no-any-return]


def review_meeting_get(*, org: Organization, pk: int) -> ReviewMeeting:
    return get_or_404(  # type: ignore[no-any-return]
        ReviewMeeting.objects.for_org(org).select_related("team__org", "org"), pk=pk
    )


def review_item_get(*, org: Organization, pk: int) -> ReviewItem:
    return get_or_404(  # type: ignore[no-any-return]
        ReviewItem.objects.filter(meeting__org=org).select_related(
            "meeting__team__org", "meeting__org"
        ),
        pk=pk,
    )


def plans_for_review(*, org: Organization, team: Team) -> QuerySet[ActionPlan]:
    """The organisation's running plans, the team's own first."""
    return (
        ActionPlan.objects.for_org(org)
        .filter(status=PlanStatus.ACTIVE)
        .select_related("team")
        .annotate(
            own_team=Case(
                When(team=team, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("own_team", "title", "pk")
    )


# --- writes -------------------------------------------------------------------------------


@transaction.atomic
def review_meeting_save(
    *, actor: User, org: Organization, team: Team, kind: str, start: date, notes: str
) -> ReviewMeeting:
    """The team's meeting record of the period holding `start`: created by the first write,
    updated by the next ones."""
    if team.org_id != org.pk:
        raise ValidationError(_("Choose a team of this organisation."))
    if kind not in ReviewPeriod.values:
        raise ValidationError({"period_kind": _("Choose a weekly or a monthly review.")})
    if len(notes) > NOTES_MAX:
        raise ValidationError(
            {"notes": _("Notes have at most %(max)d characters.") % {"max": NOTES_MAX}}
        )
    first = period_start(start, kind)
    lookup: dict[str, Any] = {"org": org, "team": team, "period_kind": kind, "period_start": first}
    meeting = ReviewMeeting.objects.select_for_update().filter(**lookup).first()
    if meeting is None:
        meeting = ReviewMeeting(**lookup, created_by=actor, notes=notes.strip())
        meeting.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                meeting.save()
            return meeting
        except IntegrityError:
            # Someone started the same record a moment ago: add to theirs.
            meeting = ReviewMeeting.objects.select_for_update().get(**lookup)
    meeting.notes = notes.strip()
    meeting.full_clean()
    meeting.save()
    return meeting


@transaction.atomic
def review_item_add(
    *,
    actor: User,
    org: Organization,
    meeting: ReviewMeeting,
    kind: str,
    text: str,
    owner: User | None = None,
    due_date: date | None = None,
    plan: ActionPlan | None = None,
) -> ReviewItem:
    """Record a decision or a follow-up action; the owner of an action is told (in the app and
    by email) with a link to the review pack."""
    if meeting.org_id != org.pk:
        raise ValidationError(_("This review meeting belongs to another organisation."))
    errors: dict[str, Any] = {}
    text = text.strip()
    if kind not in ReviewItemKind.values:
        errors["kind"] = _("Choose a decision or a follow-up action.")
    if not text:
        errors["text"] = _("Write down the decision or the action.")
    elif len(text) > TEXT_MAX:
        errors["text"] = _("Keep it under %(max)d characters.") % {"max": TEXT_MAX}
    if owner is not None and not is_active_member(org_id=org.pk, user_id=owner.pk):
        errors["owner"] = _("Choose an active member of this organisation.")
    if plan is not None and plan.org_id != org.pk:
        errors["plan"] = _("Choose an action plan of this organisation.")
    if due_date is not None and due_date < meeting.period_start:
        errors["due_date"] = _(
            "The due date cannot be before the review period starts (%(day)s)."
        ) % {"day": meeting.period_start.isoformat()}
    if errors:
        raise ValidationError(errors)
    item = ReviewItem(
        meeting=meeting,
        kind=kind,
        text=text,
        owner=owner,
        due_date=due_date,
        plan=plan,
        created_by=actor,
    )
    item.full_clean()
    item.save()
    if kind == ReviewItemKind.ACTION and owner is not None and owner.pk != actor.pk:
        team = meeting.team
        body = (
            format_lazy(_("{text}\n\nDue on {day}."), text=text, day=due_date.isoformat())
            if due_date is not None
            else text
        )
        notify(
            org=org,
            recipients=[owner],
            kind="review.action",
            title=format_lazy(
                _("A follow-up action for you from the review of {team}"), team=team.name
            ),
            body=body,
            url=review_pack_url(team=team, kind=meeting.period_kind, start=meeting.period_start),
            email=True,
        )
    return item


@transaction.atomic
def review_item_done(
    *, actor: User, org: Organization, item: ReviewItem, now: datetime | None = None
) -> ReviewItem:
    """Mark a follow-up action done, or open again when it already was."""
    locked = (
        ReviewItem.objects.select_for_update(of=("self",))
        .filter(pk=item.pk, meeting__org=org)
        .select_related("meeting")
        .first()
    )
    if locked is None:
        raise ValidationError(_("This review item belongs to another organisation."))
    if locked.kind != ReviewItemKind.ACTION:
        raise ValidationError(_("Only follow-up actions are marked done."))
    locked.done_at = None if locked.done_at is not None else (now or timezone.now())
    locked.full_clean()
    locked.save()
    return locked
