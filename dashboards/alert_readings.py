"""What each deviation-alert subject measures: one reading per subject of a rule, with the data
behind it (the shape of `Reading.data` is documented in `dashboards.alerts`).

Every reader runs a fixed number of queries per rule — GROUP BY in SQL, one query per kind of
data — however many goals, teams or milestones there are.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from actionplans.models import Milestone, MilestoneStatus, PlanStatus
from feedback.models import QuestionKind, Round
from feedback.selectors import results_for
from goals.models import Goal, GoalStatus
from goals.selectors import goal_metrics
from salesops.models import Membership, Organization, Role, Team

from . import deviation
from .models import (
    AlertComparator,
    AlertRule,
    AlertScope,
    AlertSubject,
    GoalSnapshot,
    KpiRollup,
    RollupLevel,
)
from .selectors import rollup_value

SERIES_LENGTH = 8
MAX_ROWS = 20


@dataclass
class Reading:
    """One subject of a rule with its value in the evaluated period (None: no data)."""

    key: str
    label: str
    value: float | None
    data: dict[str, Any] = field(default_factory=dict)
    team: Team | None = None
    goal: Goal | None = None


def in_org_language(org: Organization, message: Any) -> str:
    with translation.override(org.language):
        return str(message)


def _scope_teams(rule: AlertRule) -> list[Team] | None:
    """The chosen active teams, or None for an org-wide rule."""
    if rule.scope != AlertScope.TEAMS:
        return None
    return sorted(
        (team for team in rule.teams.all() if not team.is_archived),
        key=lambda team: (team.name, team.pk),
    )


def _subjects(org: Organization, teams: list[Team] | None) -> list[tuple[str, str, Team | None]]:
    if teams is None:
        return [(deviation.ORG_SUBJECT, org.name, None)]
    return [(deviation.subject_key("team", team.pk), team.name, team) for team in teams]


def _kpi_readings(rule: AlertRule, org: Organization, today: date) -> tuple[date, list[Reading]]:
    """The KPI's org or team rollup over the last complete period, with the periods before it."""
    kpi = rule.kpi
    fiscal = org.fiscal_year_start_month
    period = deviation.evaluated_period(
        subject=rule.subject, kind=rule.period_kind, today=today, fiscal_start_month=fiscal
    )
    if kpi is None:
        return period, []
    starts = deviation.recent_periods(
        last=period, kind=rule.period_kind, count=SERIES_LENGTH, fiscal_start_month=fiscal
    )
    teams = _scope_teams(rule)
    rows = KpiRollup.objects.for_org(org).filter(
        kpi=kpi, period_kind=rule.period_kind, period_start__in=starts
    )
    if teams is None:
        rows = rows.filter(level=RollupLevel.ORG)
    else:
        rows = rows.filter(level=RollupLevel.TEAM, team_id__in=[team.pk for team in teams])
    values: dict[int | None, dict[date, float | None]] = defaultdict(dict)
    for row in rows:
        values[row.team_id if teams is not None else None][row.period_start] = rollup_value(
            kpi=kpi, row=row
        )
    readings = []
    for key, label, team in _subjects(org, teams):
        mine = values.get(team.pk if team else None, {})
        value = mine.get(period)
        explanation = format_lazy(
            _(
                "{kpi} for {subject} was {value} in {period}; "
                "the rule alerts {comparator} {threshold}."
            ),
            kpi=kpi.display_name,
            subject=label,
            value=deviation.format_value(value),
            period=deviation.period_label(period, rule.period_kind),
            comparator=AlertComparator(rule.comparator).label,
            threshold=deviation.format_value(rule.threshold),
        )
        data = {
            "unit": kpi.unit,
            "kpi_id": kpi.pk,
            "level": RollupLevel.TEAM.value if team else RollupLevel.ORG.value,
            "series": [
                {
                    "label": deviation.period_label(start, rule.period_kind),
                    "period_start": start.isoformat(),
                    "value": deviation.as_number(mine.get(start)),
                }
                for start in starts
            ],
            "rows": [],
            "explanation": in_org_language(org, explanation),
        }
        readings.append(Reading(key, label, value, data, team=team))
    return period, readings


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else round(fraction * 100, 2)


def _goal_readings(rule: AlertRule, org: Organization, today: date) -> tuple[date, list[Reading]]:
    """Each active goal's gap to its expected progress today, in percentage points."""
    fiscal = org.fiscal_year_start_month
    period = deviation.period_start(today, rule.period_kind, fiscal)
    goals_qs = (
        Goal.objects.for_org(org)
        .filter(status=GoalStatus.ACTIVE)
        .select_related("kpi", "team", "owner")
        .order_by("pk")
    )
    teams = _scope_teams(rule)
    if teams is not None:
        goals_qs = goals_qs.filter(team_id__in=[team.pk for team in teams])
    goals = list(goals_qs)
    if not goals:
        return period, []
    metrics = goal_metrics(goals=goals, org=org, today=today)
    # Earlier periods from the daily snapshots, read on each period's last day.
    starts = deviation.recent_periods(
        last=period, kind=rule.period_kind, count=SERIES_LENGTH, fiscal_start_month=fiscal
    )
    ends = {deviation.period_last_day(start, rule.period_kind): start for start in starts[:-1]}
    earlier: dict[int, dict[date, float | None]] = defaultdict(dict)
    snapshots = GoalSnapshot.objects.for_org(org).filter(
        goal_id__in=[goal.pk for goal in goals], day__in=list(ends)
    )
    for goal_id, day, progress, expected in snapshots.values_list(
        "goal_id", "day", "progress", "expected"
    ):
        earlier[goal_id][ends[day]] = deviation.goal_gap_points(
            progress=progress, expected=expected
        )
    readings = []
    for goal in goals:
        goal_metric = metrics[goal.pk]
        gap = deviation.goal_gap_points(
            progress=goal_metric.progress, expected=goal_metric.expected
        )
        if gap is None:
            continue
        explanation = format_lazy(
            _(
                "{goal} is at {progress} of its target where {expected} was expected by now: "
                "{gap} points behind."
            ),
            goal=goal.title,
            progress=f"{deviation.format_value(_percent(goal_metric.progress))}%",
            expected=f"{deviation.format_value(_percent(goal_metric.expected))}%",
            gap=deviation.format_value(gap),
        )
        series = [
            {
                "label": deviation.period_label(start, rule.period_kind),
                "period_start": start.isoformat(),
                "value": gap if start == period else earlier[goal.pk].get(start),
            }
            for start in starts
        ]
        data = {
            "unit": "points",
            "series": series,
            "rows": [
                {
                    "goal_id": goal.pk,
                    "title": goal.title,
                    "owner": goal.owner.display_name,
                    "team": goal.team.name if goal.team else "",
                    "progress": _percent(goal_metric.progress),
                    "expected": _percent(goal_metric.expected),
                    "gap": gap,
                }
            ],
            "explanation": in_org_language(org, explanation),
        }
        readings.append(
            Reading(
                deviation.subject_key("goal", goal.pk),
                goal.title,
                gap,
                data,
                team=goal.team,
                goal=goal,
            )
        )
    return period, readings


def _milestone_rows(milestones: Any, by_team: bool) -> dict[int | None, list[dict[str, Any]]]:
    """At most MAX_ROWS milestones per subject, earliest due first, in one query."""
    ranked = milestones.annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("plan__team_id")] if by_team else None,
            order_by=[F("due_week").asc(), F("pk").asc()],
        )
    ).filter(rank__lte=MAX_ROWS)
    rows: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for row in ranked.order_by("due_week", "pk").values(
        "pk",
        "plan_id",
        "title",
        "plan__title",
        "owner__display_name",
        "due_week",
        "status",
        "plan__team_id",
    ):
        rows[row["plan__team_id"] if by_team else None].append(
            {
                "milestone_id": row["pk"],
                "plan_id": row["plan_id"],
                "title": row["title"],
                "plan": row["plan__title"],
                "owner": row["owner__display_name"],
                "due_week": row["due_week"].isoformat(),
                "status": row["status"],
            }
        )
    return rows


def _milestone_readings(
    rule: AlertRule, org: Organization, today: date
) -> tuple[date, list[Reading]]:
    """Completion (done ÷ due by this week) or the count overdue, over running plans' milestones
    that are not dormant Plan B steps."""
    period = deviation.period_start(today, rule.period_kind, org.fiscal_year_start_month)
    monday = deviation.period_start(today, "week")
    teams = _scope_teams(rule)
    milestones = Milestone.objects.filter(
        plan__org=org, plan__status=PlanStatus.ACTIVE, is_dormant=False
    )
    if teams is not None:
        milestones = milestones.filter(plan__team_id__in=[team.pk for team in teams])
    not_done = ~Q(status=MilestoneStatus.DONE)
    counts: dict[int | None, dict[str, int]] = {}
    if rule.subject == AlertSubject.MILESTONE_COMPLETION:
        relevant = milestones.filter(due_week__lte=monday)
        aggregates = {
            "due": Count("pk"),
            "done": Count("pk", filter=Q(status=MilestoneStatus.DONE)),
        }
        listed = relevant.filter(not_done)
    else:
        relevant = milestones.filter(not_done, due_week__lt=monday)
        aggregates = {"overdue": Count("pk")}
        listed = relevant
    if teams is None:
        counts[None] = relevant.aggregate(**aggregates)
    else:
        grouped = relevant.values("plan__team_id").annotate(**aggregates).order_by()
        for row in grouped:
            counts[row["plan__team_id"]] = {name: row[name] for name in aggregates}  # type: ignore[literal-required]
    rows = _milestone_rows(listed, by_team=teams is not None)
    readings = []
    for key, label, team in _subjects(org, teams):
        mine = counts.get(team.pk if team else None, {})
        data: dict[str, Any] = {"series": [], "rows": rows.get(team.pk if team else None, [])}
        if rule.subject == AlertSubject.MILESTONE_COMPLETION:
            done, due = mine.get("done") or 0, mine.get("due") or 0
            value = deviation.completion_percent(done=done, due=due)
            explanation = format_lazy(
                _("{done} of {due} milestones due by this week are done ({value})."),
                done=done,
                due=due,
                value=f"{deviation.format_value(value)}%",
            )
            data.update(unit="percent", done=done, due=due)
        else:
            overdue = mine.get("overdue") or 0
            value = float(overdue)
            explanation = format_lazy(
                ngettext_lazy(
                    "{count} milestone is past its due week and not done.",
                    "{count} milestones are past their due week and not done.",
                    overdue,
                ),
                count=overdue,
            )
            data.update(unit="count", overdue=overdue)
        data["explanation"] = in_org_language(org, explanation)
        readings.append(Reading(key, label, value, data, team=team))
    return period, readings


def _pulse_readings(
    rule: AlertRule, org: Organization, today: date
) -> tuple[date | None, list[Reading]]:
    """The question's score in the latest closed round, only where the results page shows it."""
    question = rule.question
    if question is None:
        return None, []
    survey = question.survey
    round_ = (
        Round.objects.filter(survey=survey)
        .filter(Q(closed_at__isnull=False) | Q(closes_on__lt=today))
        .order_by("-number")
        .first()
    )
    if round_ is None:
        return None, []
    # An admin's view sees every group; anonymity suppression applies to it all the same.
    viewer = Membership(org=org, role=Role.ADMIN)
    results = results_for(membership=viewer, survey=survey, round_=round_)
    cells = next((r.cells for r in results.questions if r.question.pk == question.pk), {})
    unit = "enps" if question.kind == QuestionKind.ENPS else "score"
    readings = []
    for key, label, team in _subjects(org, _scope_teams(rule)):
        cell = cells.get("all" if team is None else key)
        if cell is None or not cell.shown or cell.headline is None:
            # Withheld under the anonymity threshold (or nobody answered): no value, no trace.
            readings.append(Reading(key, label, None, team=team))
            continue
        value = float(cell.headline)
        series = []
        if cell.delta is not None and results.previous is not None:
            series.append(
                {
                    "label": f"#{results.previous.number}",
                    "period_start": results.previous.opens_on.isoformat(),
                    "value": round(value - cell.delta, 2),
                }
            )
        series.append(
            {
                "label": f"#{round_.number}",
                "period_start": round_.opens_on.isoformat(),
                "value": value,
            }
        )
        explanation = format_lazy(
            _("“{question}” scored {value} for {subject} in round {round} of “{survey}”."),
            question=question.text,
            value=deviation.format_value(value),
            subject=label,
            round=round_.number,
            survey=survey.title,
        )
        data = {
            "unit": unit,
            "series": series,
            "rows": [],
            "explanation": in_org_language(org, explanation),
        }
        readings.append(Reading(key, label, value, data, team=team))
    return round_.opens_on, readings


def readings_for(rule: AlertRule, today: date) -> tuple[date | None, list[Reading]]:
    org = rule.org
    if rule.subject in deviation.KPI_SUBJECTS:
        return _kpi_readings(rule, org, today)
    if rule.subject == AlertSubject.GOAL_GAP:
        return _goal_readings(rule, org, today)
    if rule.subject in (AlertSubject.MILESTONE_COMPLETION, AlertSubject.MILESTONES_OVERDUE):
        return _milestone_readings(rule, org, today)
    if rule.subject == AlertSubject.PULSE:
        return _pulse_readings(rule, org, today)
    raise ValueError(f"unknown alert subject {rule.subject!r}")
