"""Deviation alerts: rules and their validation, every subject's value, one alert per deviation
(no second notification), automatic resolution, handling by hand, missing and withheld data,
tenancy, and a query count that does not grow with the data."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actionplans.models import PlanStatus
from dashboards import alert_readings, alerts
from dashboards.alert_templates import RULE_TEMPLATES
from dashboards.models import Alert, AlertRule, AlertState, KpiRollup
from feedback import services as feedback_services
from feedback.models import QuestionKind
from goals.services.kpis import kpis_ensure_builtin
from salesops.models import Membership, Notification, Organization, Role, WebhookDelivery

from ..factories import (
    ActionPlanFactory,
    AlertFactory,
    AlertRuleFactory,
    GoalFactory,
    KpiFactory,
    MeasurementFactory,
    MembershipFactory,
    MilestoneFactory,
    TeamFactory,
    TeamMembershipFactory,
    TeamWebhookFactory,
)

# A Wednesday: the last complete week began on 3 March, the current one on 10 March.
NOW = datetime(2025, 3, 12, 2, 0, tzinfo=UTC)
LAST_WEEK = date(2025, 3, 3)
THIS_WEEK = date(2025, 3, 10)
LAST_MONTH = date(2025, 2, 1)


def admin(world):
    return world.user(Role.ADMIN)


def rule_for(world, **fields) -> AlertRule:
    values = {
        "name": "Watch it",
        "action": "Investigate",
        "subject": "milestones_overdue",
        "comparator": "above",
        "threshold": Decimal(3),
        "period_kind": "week",
        "recipient_roles": [Role.ADMIN],
        "channels": ["in_app"],
    }
    values.update(fields)
    return alerts.alert_rule_create(actor=admin(world), org=world.org, **values)


def rollup(org, kpi, start, total, *, kind="week", team=None, count=1) -> KpiRollup:
    return KpiRollup.objects.create(
        org=org,
        kpi=kpi,
        level="team" if team else "org",
        team=team,
        team_key=team.pk if team else 0,
        period_kind=kind,
        period_start=start,
        total=Decimal(total),
        count=count,
    )


def percent_kpi(org, **extra):
    return KpiFactory(org=org, unit="percent", aggregation="average", **extra)


def overdue_milestones(org, n, *, team=None, done=0):
    plan = ActionPlanFactory(
        org=org,
        team=team,
        status=PlanStatus.ACTIVE,
        start_date=date(2025, 1, 6),
        end_date=date(2025, 6, 30),
    )
    for index in range(n):
        MilestoneFactory(
            plan=plan,
            start_week=date(2025, 1, 6),
            due_week=date(2025, 2, 24),
            status="done" if index < done else "in_progress",
        )
    return plan


def alert_notifications(kind="dashboards.alert"):
    return Notification.objects.filter(kind=kind)


# --- rules ----------------------------------------------------------------------------------


def test_a_rule_needs_a_name_recipients_and_a_channel(world):
    with pytest.raises(ValidationError) as caught:
        rule_for(world, name="  ", recipient_roles=[], channels=[])
    errors = caught.value.message_dict
    assert set(errors) >= {"name", "recipient_roles", "channels"}
    assert AlertRule.objects.count() == 0


def test_roles_and_channels_come_from_the_choices(world):
    with pytest.raises(ValidationError) as caught:
        rule_for(world, recipient_roles=["king"], channels=["pigeon"])
    assert set(caught.value.message_dict) >= {"recipient_roles", "channels"}


def test_repeated_roles_and_channels_are_kept_once(world):
    rule = rule_for(world, recipient_roles=["admin", "admin"], channels=["email", "email"])
    assert rule.recipient_roles == ["admin"]
    assert rule.channels == ["email"]


def test_a_kpi_rule_needs_a_kpi_of_the_organisation(world):
    with pytest.raises(ValidationError) as caught:
        rule_for(world, subject="kpi", kpi=None)
    assert "kpi" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        rule_for(world, subject="kpi", kpi=KpiFactory(org=world.other_org))
    assert "kpi" in caught.value.message_dict
    kpi = KpiFactory(org=world.org)
    assert rule_for(world, subject="kpi", kpi=kpi).kpi == kpi


@pytest.mark.parametrize(
    ("subject", "key"),
    [("lead_response", "lead_response_hours"), ("cross_dept", "cross_dept_completion_rate")],
)
def test_built_in_subjects_watch_the_organisations_built_in_kpi(world, subject, key):
    with pytest.raises(ValidationError) as caught:
        rule_for(world, subject=subject, threshold=Decimal(50))
    assert "subject" in caught.value.message_dict
    kpis_ensure_builtin(org=world.org)
    kpis_ensure_builtin(org=world.other_org)
    someone_elses = KpiFactory(org=world.org)
    rule = rule_for(world, subject=subject, threshold=Decimal(50), kpi=someone_elses)
    assert rule.kpi.key == key
    assert rule.kpi.org == world.org


def test_subjects_without_a_kpi_or_question_drop_them(world):
    rule = rule_for(world, subject="milestones_overdue", kpi=KpiFactory(org=world.org))
    assert rule.kpi is None
    assert rule.question is None


@pytest.mark.parametrize(
    ("subject", "threshold"),
    [
        ("goal_gap", 150),
        ("goal_gap", -1),
        ("milestone_completion", 101),
        ("milestone_completion", -5),
        ("milestones_overdue", -1),
        ("lead_response", -2),
    ],
)
def test_thresholds_must_fit_what_is_watched(world, subject, threshold):
    kpis_ensure_builtin(org=world.org)
    with pytest.raises(ValidationError) as caught:
        rule_for(world, subject=subject, threshold=Decimal(threshold))
    assert "threshold" in caught.value.message_dict


def test_a_cross_department_rate_is_a_percentage(world):
    kpis_ensure_builtin(org=world.org)
    with pytest.raises(ValidationError) as caught:
        rule_for(world, subject="cross_dept", comparator="below", threshold=Decimal(120))
    assert "threshold" in caught.value.message_dict


def test_a_rule_on_chosen_teams_needs_active_teams_of_the_organisation(world):
    with pytest.raises(ValidationError) as caught:
        rule_for(world, scope="teams")
    assert "teams" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        rule_for(world, scope="teams", teams=[world.other_team])
    assert "teams" in caught.value.message_dict
    rule = rule_for(world, scope="teams", teams=[world.team])
    assert list(rule.teams.all()) == [world.team]


def test_an_org_wide_rule_keeps_no_teams(world):
    rule = rule_for(world, scope="org", teams=[world.team])
    assert rule.teams.count() == 0


def test_recipients_must_be_active_members_and_teams_of_the_organisation(world):
    with pytest.raises(ValidationError) as caught:
        rule_for(world, recipient_people=[world.outsider.user])
    assert "recipient_people" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        rule_for(world, recipient_teams=[world.other_team])
    assert "recipient_teams" in caught.value.message_dict
    # A team or a person alone is enough of an audience.
    rule = rule_for(world, recipient_roles=[], recipient_people=[world.user(Role.REP)])
    assert list(rule.recipient_people.all()) == [world.user(Role.REP)]


def make_survey(world):
    survey = feedback_services.survey_create_from_template(
        actor=world.user(Role.LEADER), org=world.org, key="collaboration_pulse"
    )
    return feedback_services.survey_update(
        actor=world.user(Role.LEADER), survey=survey, score_threshold=5, comment_threshold=5
    )


def question_of(survey, kind):
    return survey.questions.filter(kind=kind).order_by("position").first()


def test_a_pulse_rule_needs_a_scored_question_of_the_organisation(world):
    survey = make_survey(world)
    with pytest.raises(ValidationError) as caught:
        rule_for(world, subject="pulse", question=None)
    assert "question" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        rule_for(world, subject="pulse", question=question_of(survey, QuestionKind.TEXT))
    assert "question" in caught.value.message_dict
    scale = question_of(survey, QuestionKind.SCALE)
    with pytest.raises(ValidationError) as caught:
        rule_for(world, subject="pulse", question=scale, comparator="below", threshold=Decimal(7))
    assert "threshold" in caught.value.message_dict
    rule = rule_for(world, subject="pulse", question=scale, comparator="below", threshold=3)
    assert rule.question == scale
    assert rule.kpi is None


def test_an_update_that_fails_changes_nothing(world):
    rule = rule_for(world, scope="teams", teams=[world.team])
    with pytest.raises(ValidationError):
        alerts.alert_rule_update(
            actor=admin(world), org=world.org, rule=rule, name="", recipient_roles=[]
        )
    rule.refresh_from_db()
    assert rule.name == "Watch it"
    assert rule.recipient_roles == [Role.ADMIN]


def test_an_update_leaves_relations_alone_unless_given(world):
    rule = rule_for(
        world, scope="teams", teams=[world.team], recipient_people=[world.user(Role.REP)]
    )
    rule = alerts.alert_rule_update(actor=admin(world), org=world.org, rule=rule, threshold=5)
    assert rule.threshold == 5
    assert list(rule.teams.all()) == [world.team]
    assert list(rule.recipient_people.all()) == [world.user(Role.REP)]
    second = TeamFactory(org=world.org)
    rule = alerts.alert_rule_update(
        actor=admin(world), org=world.org, rule=rule, teams=[second], recipient_people=[]
    )
    assert list(rule.teams.all()) == [second]
    assert rule.recipient_people.count() == 0
    assert rule.history.count() >= 2


def test_rules_of_another_organisation_are_refused(world):
    rule = rule_for(world)
    with pytest.raises(ValidationError):
        alerts.alert_rule_update(
            actor=world.outsider.user, org=world.other_org, rule=rule, name="x"
        )
    with pytest.raises(ValidationError):
        alerts.alert_rule_delete(actor=world.outsider.user, org=world.other_org, rule=rule)
    assert AlertRule.objects.filter(pk=rule.pk).exists()


def test_deleting_a_rule_keeps_its_history(world):
    rule = rule_for(world)
    pk = rule.pk
    alerts.alert_rule_delete(actor=admin(world), org=world.org, rule=rule)
    assert not AlertRule.objects.filter(pk=pk).exists()
    assert AlertRule.history.filter(id=pk, history_type="-").exists()


def test_every_template_makes_a_valid_rule(world):
    kpis_ensure_builtin(org=world.org)
    for template in RULE_TEMPLATES:
        rule = alerts.alert_rule_from_template(actor=admin(world), org=world.org, key=template.key)
        assert rule.subject == template.subject
        assert rule.name == str(template.name)
    cross = AlertRule.objects.get(subject="cross_dept")
    assert (cross.comparator, cross.threshold, cross.period_kind) == ("below", 80, "month")
    assert set(cross.recipient_roles) == {Role.LEADER, Role.ADMIN}
    assert set(cross.channels) == {"in_app", "email"}
    assert cross.kpi.key == "cross_dept_completion_rate"
    gap = AlertRule.objects.get(subject="goal_gap")
    assert (gap.comparator, gap.threshold, gap.period_kind) == ("above", 10, "week")


def test_an_unknown_template_is_refused(world):
    with pytest.raises(ValidationError):
        alerts.alert_rule_from_template(actor=admin(world), org=world.org, key="nope")


# --- every subject opens an alert -----------------------------------------------------------


def test_a_kpi_below_its_threshold_opens_one_alert_and_tells_the_recipients(world):
    kpi = percent_kpi(world.org)
    rollup(world.org, kpi, LAST_WEEK - timedelta(days=7), 90)
    rollup(world.org, kpi, LAST_WEEK, 70)
    rollup(world.org, kpi, THIS_WEEK, 10)  # the half-finished week is not judged
    rule = rule_for(
        world,
        subject="kpi",
        kpi=kpi,
        comparator="below",
        threshold=Decimal(80),
        recipient_roles=[Role.ADMIN, Role.LEADER],
    )

    result = alerts.alerts_evaluate(org=world.org, now=NOW)

    assert (result.opened, result.updated, result.resolved) == (1, 0, 0)
    alert = Alert.objects.get(rule=rule)
    assert alert.subject_key == "org"
    assert alert.subject_label == world.org.name
    assert alert.period_start == LAST_WEEK
    assert alert.value == Decimal(70)
    assert alert.state == AlertState.OPEN
    assert (alert.comparator, alert.threshold, alert.severity) == ("below", 80, "warning")
    assert alert.data["unit"] == "percent"
    assert len(alert.data["series"]) == 8
    assert alert.data["series"][-1] == {
        "label": "2025-W10",
        "period_start": "2025-03-03",
        "value": 70.0,
    }
    assert alert.data["series"][-2]["value"] == 90.0
    assert alert.data["series"][0]["value"] is None
    assert "70" in alert.data["explanation"]
    told = set(alert_notifications().values_list("recipient_id", flat=True))
    assert told == {world.user(Role.ADMIN).pk, world.user(Role.LEADER).pk}
    notification = alert_notifications().first()
    assert "Watch it" in notification.title
    assert f"/alerts/{alert.pk}/" in notification.url
    assert not notification.email_requested


def test_a_rerun_opens_nothing_and_tells_nobody_again(world):
    kpi = percent_kpi(world.org)
    rollup(world.org, kpi, LAST_WEEK, 70)
    rule_for(world, subject="kpi", kpi=kpi, comparator="below", threshold=Decimal(80))
    alerts.alerts_evaluate(org=world.org, now=NOW)
    notified = alert_notifications().count()

    again = alerts.alerts_evaluate(org=world.org, now=NOW + timedelta(hours=1))

    assert (again.opened, again.updated, again.resolved) == (0, 0, 0)
    assert Alert.objects.count() == 1
    assert alert_notifications().count() == notified == 1


def test_a_second_insert_of_the_same_period_does_nothing(world):
    """The unique row is the claim: a worker that loses the race neither opens nor tells."""
    kpi = percent_kpi(world.org)
    rollup(world.org, kpi, LAST_WEEK, 70)
    rule = rule_for(world, subject="kpi", kpi=kpi, comparator="below", threshold=Decimal(80))
    period, readings = alert_readings.readings_for(rule, NOW.date())

    first = alerts._open(rule, readings[0], period, alerts._Audience(rule))
    second = alerts._open(rule, readings[0], period, alerts._Audience(rule))

    assert first is not None
    assert second is None
    assert Alert.objects.count() == 1
    assert alert_notifications().count() == 1
    # The transaction is still usable after the failed insert, and a full run adds nothing.
    assert alerts.alerts_evaluate(org=world.org, now=NOW).opened == 0


def test_a_lasting_deviation_keeps_one_alert_and_refreshes_its_figures(world):
    kpi = percent_kpi(world.org)
    rollup(world.org, kpi, LAST_WEEK, 70)
    rule = rule_for(world, subject="kpi", kpi=kpi, comparator="below", threshold=Decimal(80))
    alerts.alerts_evaluate(org=world.org, now=NOW)
    rollup(world.org, kpi, THIS_WEEK, 60)

    result = alerts.alerts_evaluate(org=world.org, now=NOW + timedelta(days=7))

    assert (result.opened, result.updated) == (0, 1)
    alert = Alert.objects.get(rule=rule)
    assert alert.period_start == LAST_WEEK  # the alert of the week it started
    assert alert.value == 70
    assert alert.last_value == 60
    assert alert.data["series"][-1]["value"] == 60.0
    assert alert_notifications().count() == 1


def test_back_within_the_threshold_resolves_the_alert_once(world):
    kpi = percent_kpi(world.org)
    rollup(world.org, kpi, LAST_WEEK, 70)
    rule = rule_for(
        world, subject="kpi", kpi=kpi, comparator="below", threshold=Decimal(80), channels=["email"]
    )
    alerts.alerts_evaluate(org=world.org, now=NOW)
    alert = Alert.objects.get(rule=rule)
    alerts.alert_acknowledge(actor=admin(world), org=world.org, alert=alert, now=NOW)
    rollup(world.org, kpi, THIS_WEEK, 84)

    later = NOW + timedelta(days=7)
    result = alerts.alerts_evaluate(org=world.org, now=later)
    again = alerts.alerts_evaluate(org=world.org, now=later)

    assert (result.resolved, again.resolved) == (1, 0)
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
    assert alert.auto_resolved
    assert alert.resolved_at == later
    assert alert.resolution_note == "Back within the threshold: 84 (threshold 80)."
    assert alert.last_value == 84
    resolved = alert_notifications("dashboards.alert_resolved")
    assert resolved.count() == 1
    assert not resolved.get().email_requested  # told in the app only
    assert Alert.objects.count() == 1


def test_an_alert_resolved_by_hand_is_not_reopened_in_the_same_period(world):
    kpi = percent_kpi(world.org)
    rollup(world.org, kpi, LAST_WEEK, 70)
    rule = rule_for(world, subject="kpi", kpi=kpi, comparator="below", threshold=Decimal(80))
    alerts.alerts_evaluate(org=world.org, now=NOW)
    alert = Alert.objects.get(rule=rule)
    alerts.alert_resolve(
        actor=admin(world), org=world.org, alert=alert, note="Known data gap", now=NOW
    )

    assert alerts.alerts_evaluate(org=world.org, now=NOW + timedelta(hours=2)).opened == 0
    assert Alert.objects.count() == 1

    rollup(world.org, kpi, THIS_WEEK, 65)
    assert alerts.alerts_evaluate(org=world.org, now=NOW + timedelta(days=7)).opened == 1
    assert Alert.objects.filter(rule=rule, state=AlertState.OPEN).get().period_start == THIS_WEEK
    assert alert_notifications().count() == 2


def test_kpi_rules_on_chosen_teams_judge_each_team(world):
    kpi = KpiFactory(org=world.org, unit="count", aggregation="sum")
    south = TeamFactory(org=world.org, name="South Sales")
    rollup(world.org, kpi, LAST_MONTH, 12, kind="month", team=world.team)
    rollup(world.org, kpi, LAST_MONTH, 40, kind="month", team=south)
    rollup(world.org, kpi, LAST_MONTH, 52, kind="month")
    rule = rule_for(
        world,
        subject="kpi",
        kpi=kpi,
        comparator="below",
        threshold=Decimal(20),
        period_kind="month",
        scope="teams",
        teams=[world.team, south],
    )

    assert alerts.alerts_evaluate(org=world.org, now=NOW).opened == 1

    alert = Alert.objects.get(rule=rule)
    assert alert.subject_key == f"team:{world.team.pk}"
    assert alert.team == world.team
    assert alert.subject_label == "East Sales"
    assert alert.period_start == LAST_MONTH
    assert alert.value == 12
    assert alert.data["series"][-1] == {
        "label": "2025-02",
        "period_start": "2025-02-01",
        "value": 12.0,
    }


def test_lead_response_above_24_hours_opens_an_alert(world):
    kpis_ensure_builtin(org=world.org)
    rule = alerts.alert_rule_from_template(
        actor=admin(world), org=world.org, key="lead_response_above_24h"
    )
    rollup(world.org, rule.kpi, LAST_WEEK, 60, count=2)  # an average of 30 hours

    assert alerts.alerts_evaluate(org=world.org, now=NOW).opened == 1

    alert = Alert.objects.get(rule=rule)
    assert alert.value == 30
    assert alert.data["unit"] == "hours"
    # The template tells by email too.
    assert alert_notifications().filter(email_requested=True).exists()


def test_cross_department_completion_below_80_percent_opens_an_alert(world):
    kpis_ensure_builtin(org=world.org)
    rule = alerts.alert_rule_from_template(
        actor=admin(world), org=world.org, key="cross_dept_below_80"
    )
    rollup(world.org, rule.kpi, LAST_MONTH, 72, kind="month")
    rollup(world.org, rule.kpi, date(2025, 3, 1), 10, kind="month")  # this month: not judged

    assert alerts.alerts_evaluate(org=world.org, now=NOW).opened == 1
    alert = Alert.objects.get(rule=rule)
    assert (alert.value, alert.period_start, alert.period_kind) == (72, LAST_MONTH, "month")


def behind_goal(world, team, **extra):
    """90 days from 1 February; on 12 March 43% of the time has passed, 10% of 100 is done."""
    kpi = KpiFactory(org=world.org, aggregation="sum")
    goal = GoalFactory(
        org=world.org,
        kpi=kpi,
        team=team,
        owner=world.user(Role.MANAGER),
        status="active",
        baseline=None,
        target=100,
        start_date=date(2025, 2, 1),
        due_date=date(2025, 5, 2),
        **extra,
    )
    MeasurementFactory(org=world.org, kpi=kpi, team=team, period_start=date(2025, 2, 1), value=10)
    return goal


def test_a_goal_behind_its_expected_progress_opens_an_alert_about_that_goal(world):
    goal = behind_goal(world, world.team)
    rule = rule_for(world, subject="goal_gap", comparator="above", threshold=Decimal(10))

    assert alerts.alerts_evaluate(org=world.org, now=NOW).opened == 1

    alert = Alert.objects.get(rule=rule)
    assert alert.subject_key == f"goal:{goal.pk}"
    assert (alert.goal, alert.team) == (goal, world.team)
    assert alert.period_start == THIS_WEEK
    assert alert.value == Decimal("33.33")
    (row,) = alert.data["rows"]
    assert row["goal_id"] == goal.pk
    assert row["progress"] == 10.0
    assert row["expected"] == 43.33
    assert alert.data["unit"] == "points"


def test_goal_rules_on_chosen_teams_only_watch_those_teams_goals(world):
    south = TeamFactory(org=world.org)
    behind_goal(world, south)
    mine = behind_goal(world, world.team)
    rule_for(
        world,
        subject="goal_gap",
        comparator="above",
        threshold=Decimal(10),
        scope="teams",
        teams=[world.team],
    )
    alerts.alerts_evaluate(org=world.org, now=NOW)
    assert list(Alert.objects.values_list("goal_id", flat=True)) == [mine.pk]


def test_milestone_completion_below_the_threshold(world):
    overdue_milestones(world.org, 4, done=1, team=world.team)
    plan = ActionPlanFactory(org=world.org, status=PlanStatus.ACTIVE)
    MilestoneFactory(plan=plan, start_week=THIS_WEEK, due_week=date(2025, 4, 7))  # not yet due
    MilestoneFactory(  # a dormant Plan B step does not count
        plan=plan, start_week=date(2025, 1, 6), due_week=date(2025, 2, 3), is_dormant=True
    )
    rule = rule_for(
        world, subject="milestone_completion", comparator="below", threshold=Decimal(80)
    )

    assert alerts.alerts_evaluate(org=world.org, now=NOW).opened == 1

    alert = Alert.objects.get(rule=rule)
    assert alert.value == 25
    assert (alert.data["done"], alert.data["due"]) == (1, 4)
    assert len(alert.data["rows"]) == 3  # the three not done
    assert alert.period_start == THIS_WEEK


def test_more_than_three_overdue_milestones_opens_an_alert_listing_them(world):
    overdue_milestones(world.org, 25)
    overdue_milestones(world.org, 2, done=2)
    held = overdue_milestones(world.org, 3)
    held.status = PlanStatus.ON_HOLD  # only running plans count
    held.save()
    rule = rule_for(world, subject="milestones_overdue", threshold=Decimal(3))

    assert alerts.alerts_evaluate(org=world.org, now=NOW).opened == 1

    alert = Alert.objects.get(rule=rule)
    assert alert.value == 25
    assert alert.data["overdue"] == 25
    assert len(alert.data["rows"]) == 20
    first = alert.data["rows"][0]
    assert set(first) >= {"milestone_id", "title", "owner", "due_week", "plan"}
    assert first["due_week"] == "2025-02-24"


def test_overdue_milestones_per_team(world):
    south = TeamFactory(org=world.org)
    overdue_milestones(world.org, 5, team=world.team)
    overdue_milestones(world.org, 2, team=south)
    rule = rule_for(
        world,
        subject="milestones_overdue",
        threshold=Decimal(3),
        scope="teams",
        teams=[world.team, south],
    )
    alerts.alerts_evaluate(org=world.org, now=NOW)
    alert = Alert.objects.get(rule=rule)
    assert (alert.team, alert.value, len(alert.data["rows"])) == (world.team, 5, 5)


def pulse_round(world, team, scores):
    survey = make_survey(world)
    round_ = feedback_services.round_open(actor=None, survey=survey, announce=False)
    for score in scores:
        membership = MembershipFactory(org=world.org, role=Role.MEMBER)
        TeamMembershipFactory(team=team, membership=membership)
        answers = {
            q.pk: {"scale": score, "enps": 5, "single": 0, "multiple": [0], "text": ""}[q.kind]
            for q in survey.questions.all()
        }
        feedback_services.response_submit(actor=membership.user, round_=round_, answers=answers)
    feedback_services.round_close(actor=None, round_=round_)
    return survey, round_


def test_a_low_pulse_score_opens_an_alert(world):
    survey, round_ = pulse_round(world, world.team, [2, 2, 3, 2, 1])
    rule = rule_for(
        world,
        subject="pulse",
        question=question_of(survey, QuestionKind.SCALE),
        comparator="below",
        threshold=Decimal(3),
    )

    assert alerts.alerts_evaluate(org=world.org, now=NOW).opened == 1

    alert = Alert.objects.get(rule=rule)
    assert alert.value == Decimal("2")
    assert alert.period_start == round_.opens_on
    assert alert.period_kind == "week"
    assert alert.data["unit"] == "score"


def test_a_pulse_rule_never_fires_for_a_withheld_group(world):
    south = TeamFactory(org=world.org)
    survey, _round = pulse_round(world, south, [1, 1, 1])  # three answers, threshold five
    rule = rule_for(
        world,
        subject="pulse",
        question=question_of(survey, QuestionKind.SCALE),
        comparator="below",
        threshold=Decimal(3),
        scope="teams",
        teams=[south],
    )
    assert alerts.alerts_evaluate(org=world.org, now=NOW).opened == 0
    rule.scope = "org"
    rule.save()
    assert alerts.alerts_evaluate(org=world.org, now=NOW).opened == 0
    assert not Alert.objects.exists()


def test_a_pulse_rule_waits_for_a_closed_round(world):
    survey = make_survey(world)
    feedback_services.round_open(actor=None, survey=survey, announce=False)
    rule_for(
        world,
        subject="pulse",
        question=question_of(survey, QuestionKind.SCALE),
        comparator="below",
        threshold=Decimal(5),
    )
    assert alerts.alerts_evaluate(org=world.org, now=NOW).opened == 0


# --- no data, no alert; and nothing from elsewhere --------------------------------------------


def test_missing_data_neither_opens_nor_resolves(world):
    kpi = percent_kpi(world.org)
    rule = rule_for(world, subject="kpi", kpi=kpi, comparator="below", threshold=Decimal(80))
    rule_for(world, subject="milestone_completion", comparator="below", threshold=Decimal(80))
    goal_kpi = KpiFactory(org=world.org)
    GoalFactory(org=world.org, kpi=goal_kpi, team=world.team, status="active")  # no measurements
    rule_for(world, subject="goal_gap", threshold=Decimal(0))
    assert alerts.alerts_evaluate(org=world.org, now=NOW).opened == 0
    # An open alert stays open while its value is missing.
    open_alert = AlertFactory(rule=rule, period_start=date(2025, 2, 24), value=60)
    result = alerts.alerts_evaluate(org=world.org, now=NOW)
    assert (result.opened, result.updated, result.resolved) == (0, 0, 0)
    open_alert.refresh_from_db()
    assert open_alert.state == AlertState.OPEN


def test_another_organisations_data_is_never_counted(world):
    overdue_milestones(world.org, 2)
    overdue_milestones(world.other_org, 9)
    behind_goal_elsewhere = GoalFactory(org=world.other_org, status="active")
    MeasurementFactory(org=world.other_org, kpi=behind_goal_elsewhere.kpi, value=1)
    rule_for(world, subject="milestones_overdue", threshold=Decimal(3))
    rule_for(world, subject="goal_gap", threshold=Decimal(0))
    assert alerts.alerts_evaluate(org=world.org, now=NOW).opened == 0
    assert alerts.alerts_evaluate_all(now=NOW) == 0


# --- recipients and channels ------------------------------------------------------------------


def test_recipients_are_roles_teams_and_people_who_are_active_members(world):
    gone = MembershipFactory(org=world.org, role=Role.ADMIN, is_active=False)
    overdue_milestones(world.org, 5)
    rule_for(
        world,
        recipient_roles=[Role.ADMIN],
        recipient_teams=[world.team],
        recipient_people=[world.user(Role.MEMBER)],
        channels=["in_app", "email"],
    )
    alerts.alerts_evaluate(org=world.org, now=NOW)
    told = set(alert_notifications().values_list("recipient_id", flat=True))
    expected = {world.user(role).pk for role in (Role.ADMIN, Role.MANAGER, Role.REP, Role.MEMBER)}
    assert told == expected
    assert gone.user_id not in told
    assert all(alert_notifications().values_list("email_requested", flat=True))


def test_webhooks_go_to_the_alerts_team_or_the_recipient_teams(world):
    hook = TeamWebhookFactory(team=world.team)
    overdue_milestones(world.org, 5, team=world.team)
    rule_for(world, channels=["webhook"], recipient_roles=[], recipient_teams=[world.team])
    alerts.alerts_evaluate(org=world.org, now=NOW)
    assert WebhookDelivery.objects.filter(webhook=hook, event="alert.opened").count() == 1
    assert not alert_notifications().exists()


# --- handling an alert by hand ----------------------------------------------------------------


def test_acknowledge_then_resolve_with_a_note(world):
    alert = AlertFactory(rule=AlertRuleFactory(org=world.org))
    alert = alerts.alert_acknowledge(actor=admin(world), org=world.org, alert=alert, now=NOW)
    assert alert.state == AlertState.ACKNOWLEDGED
    assert (alert.acknowledged_by, alert.acknowledged_at) == (admin(world), NOW)
    with pytest.raises(ValidationError):
        alerts.alert_acknowledge(actor=admin(world), org=world.org, alert=alert)

    alert = alerts.alert_resolve(
        actor=admin(world), org=world.org, alert=alert, note=" Re-planned with the team. ", now=NOW
    )
    assert alert.state == AlertState.RESOLVED
    assert alert.resolution_note == "Re-planned with the team."
    assert (alert.resolved_by, alert.auto_resolved) == (admin(world), False)
    assert alert.history.count() == 3
    with pytest.raises(ValidationError):
        alerts.alert_resolve(actor=admin(world), org=world.org, alert=alert, note="again")
    with pytest.raises(ValidationError):
        alerts.alert_acknowledge(actor=admin(world), org=world.org, alert=alert)


def test_resolving_needs_a_note(world):
    alert = AlertFactory(rule=AlertRuleFactory(org=world.org))
    with pytest.raises(ValidationError) as caught:
        alerts.alert_resolve(actor=admin(world), org=world.org, alert=alert, note="   ")
    assert "resolution_note" in caught.value.message_dict
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_alerts_of_another_organisation_cannot_be_handled(world):
    alert = AlertFactory(rule=AlertRuleFactory(org=world.org))
    with pytest.raises(ValidationError):
        alerts.alert_acknowledge(actor=world.outsider.user, org=world.other_org, alert=alert)
    with pytest.raises(ValidationError):
        alerts.alert_resolve(
            actor=world.outsider.user, org=world.other_org, alert=alert, note="mine now"
        )


# --- the periodic job -----------------------------------------------------------------------


def test_the_job_evaluates_every_organisation_and_survives_a_failing_rule(world, monkeypatch):
    overdue_milestones(world.org, 5)
    broken = rule_for(world, name="Broken")
    rule_for(world, name="Fine")
    rival_admin = world.outsider.user
    overdue_milestones(world.other_org, 4)
    alerts.alert_rule_create(
        actor=rival_admin,
        org=world.other_org,
        name="Rival",
        subject="milestones_overdue",
        comparator="above",
        threshold=Decimal(3),
        recipient_roles=[Role.ADMIN],
        channels=["in_app"],
    )
    rule_for(world, name="Switched off", is_active=False)
    real = alert_readings.readings_for

    def failing(rule, today):
        if rule.pk == broken.pk:
            raise ValueError("broken data")
        return real(rule, today)

    monkeypatch.setattr(alert_readings, "readings_for", failing)

    assert alerts.alerts_evaluate_all(now=NOW) == 2
    assert set(Alert.objects.values_list("rule__name", flat=True)) == {"Fine", "Rival"}


# --- queries --------------------------------------------------------------------------------


def queries_of_a_settled_run(org) -> int:
    """Evaluate until nothing changes, then count the queries of one more run."""
    alerts.alerts_evaluate(org=org, now=NOW)
    with CaptureQueriesContext(connection) as captured:
        result = alerts.alerts_evaluate(org=org, now=NOW)
    assert (result.opened, result.updated, result.resolved) == (0, 0, 0)
    return len(captured)


@pytest.mark.parametrize("subject", ["goal_gap", "milestones_overdue", "kpi_teams"])
def test_queries_do_not_grow_with_goals_teams_or_milestones(world, subject):
    counts = []
    kpi = percent_kpi(world.org)
    teams = []
    rule = None
    for size in (2, 20):
        while len(teams) < size:
            team = TeamFactory(org=world.org)
            teams.append(team)
            if subject == "goal_gap":
                behind_goal(world, team)
            elif subject == "milestones_overdue":
                overdue_milestones(world.org, 1, team=team)
            else:
                rollup(world.org, kpi, LAST_WEEK, 50, team=team)
        if rule is None and subject == "kpi_teams":
            rule = rule_for(
                world,
                subject="kpi",
                kpi=kpi,
                comparator="below",
                threshold=Decimal(80),
                scope="teams",
                teams=teams,
            )
        elif rule is None:
            rule = rule_for(world, subject=subject, threshold=Decimal(1))
        elif subject == "kpi_teams":
            rule.teams.set(teams)
        counts.append(queries_of_a_settled_run(world.org))
    assert counts[0] == counts[1]
    assert Alert.objects.filter(rule=rule).count() == (1 if subject == "milestones_overdue" else 20)


def test_an_active_member_check_uses_membership_state(world):
    """A deactivated person named on a rule is not told."""
    rep = world.members[Role.REP]
    overdue_milestones(world.org, 5)
    rule_for(world, recipient_roles=[], recipient_people=[rep.user])
    Membership.objects.filter(pk=rep.pk).update(is_active=False)
    alerts.alerts_evaluate(org=world.org, now=NOW)
    assert Alert.objects.count() == 1
    assert not alert_notifications().exists()


# --- the demo -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_shows_open_acknowledged_and_resolved_alerts():
    call_command("seed_demo", stdout=StringIO())
    demo = Organization.objects.get(slug="demo")
    demo_alerts = Alert.objects.for_org(demo)
    assert demo_alerts.filter(state=AlertState.OPEN).count() >= 2
    assert demo_alerts.filter(state=AlertState.ACKNOWLEDGED).exists()
    by_hand = demo_alerts.filter(state=AlertState.RESOLVED, auto_resolved=False).get()
    assert by_hand.resolution_note
    assert demo_alerts.filter(state=AlertState.RESOLVED, auto_resolved=True).exists()
    assert AlertRule.objects.for_org(demo).count() == len(RULE_TEMPLATES) + 2
