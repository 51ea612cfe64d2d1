"""Every URL of the project, walked: another organisation's member always gets 404.

A URL pattern added later with no entry in one of the tables below fails
`test_every_url_pattern_is_covered`, so new pages cannot skip this sweep.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from salesops.models import Notification, TeamMembership
from salesops.services import accounts, tenancy

from .conftest import World, client_for
from .factories import NotificationFactory, TeamWebhookFactory

Sample = Callable[[World], dict[str, Any]]


def _team(world: World) -> dict[str, Any]:
    return {"pk": world.team.pk}


def _team_link(world: World) -> dict[str, Any]:
    return {
        "pk": world.team.pk,
        "link_pk": TeamMembership.objects.filter(team=world.team).first().pk,
    }


def _webhook(world: World) -> dict[str, Any]:
    hook = TeamWebhookFactory(team=world.team)
    return {"pk": world.team.pk, "webhook_pk": hook.pk}


def _member(world: World) -> dict[str, Any]:
    return {"pk": world.members["rep"].pk}


def _invitation(world: World) -> dict[str, Any]:
    invitation, _token = tenancy.invitation_create(
        actor=world.user("admin"), org=world.org, email="new@example.com", role="rep"
    )
    return {"pk": invitation.pk}


def _token(world: World) -> dict[str, Any]:
    token, _secret = accounts.api_token_create(user=world.user("admin"), org=world.org, name="ci")
    return {"pk": token.pk}


def _notification(world: World) -> dict[str, Any]:
    notification: Notification = NotificationFactory(org=world.org, recipient=world.user("admin"))
    return {"pk": notification.pk}


def _delivery(world: World) -> dict[str, Any]:
    from salesops.models import WebhookDelivery

    hook = TeamWebhookFactory(team=world.team)
    delivery = WebhookDelivery.objects.create(org=world.org, webhook=hook, event="x", payload={})
    return {"pk": delivery.pk}


def _none(world: World) -> dict[str, Any]:
    return {}


def _goal(world: World) -> dict[str, Any]:
    from .factories import GoalFactory

    return {"pk": GoalFactory(org=world.org, team=world.team, owner=world.user("manager")).pk}


def _goal_measurement(world: World) -> dict[str, Any]:
    from .factories import GoalFactory, MeasurementFactory

    goal = GoalFactory(org=world.org, team=world.team, owner=world.user("manager"))
    measurement = MeasurementFactory(
        org=world.org, kpi=goal.kpi, team=world.team, period_start=goal.start_date
    )
    return {"pk": goal.pk, "measurement_pk": measurement.pk}


def _goal_checkin(world: World) -> dict[str, Any]:
    from goals.models import CheckIn

    from .factories import GoalFactory

    goal = GoalFactory(org=world.org, team=world.team, owner=world.user("manager"), status="active")
    checkin = CheckIn.objects.create(
        goal=goal, author=world.user("manager"), week_start=goal.start_date, confidence=5
    )
    return {"pk": goal.pk, "checkin_pk": checkin.pk}


def _matrix(world: World) -> dict[str, Any]:
    from raci.services import matrix_create

    return {"pk": matrix_create(actor=world.user("admin"), org=world.org, title="Hand-off").pk}


def _matrix_activity(world: World) -> dict[str, Any]:
    from raci.services import activity_add, matrix_create

    matrix = matrix_create(actor=world.user("admin"), org=world.org, title="Hand-off")
    return {
        "pk": matrix.pk,
        "activity_pk": activity_add(actor=world.user("admin"), matrix=matrix, name="Call").pk,
    }


def _matrix_participant(world: World) -> dict[str, Any]:
    from raci.services import matrix_create, participant_add

    matrix = matrix_create(actor=world.user("admin"), org=world.org, title="Hand-off")
    participant = participant_add(actor=world.user("admin"), matrix=matrix, team=world.team)
    return {"pk": matrix.pk, "participant_pk": participant.pk}


def _matrix_export(world: World) -> dict[str, Any]:
    return {**_matrix(world), "fmt": "csv"}


def _dispute(world: World) -> dict[str, Any]:
    from raci.disputes import dispute_raise

    from .factories import TeamFactory

    other = TeamFactory(org=world.org, name="Marketing")
    dispute = dispute_raise(
        actor=world.user("manager"),
        org=world.org,
        subject="Who owns it",
        party_a=world.team,
        party_b=other,
        statement="Us",
    )
    return {"pk": dispute.pk}


def _kpi(world: World) -> dict[str, Any]:
    from .factories import KpiFactory

    return {"pk": KpiFactory(org=world.org).pk}


def _import(world: World) -> dict[str, Any]:
    from goals.models import MeasurementImport

    job = MeasurementImport.objects.create(
        org=world.org, created_by=world.user("admin"), filename="x.csv", content=b"KPI,Date,Value\n"
    )
    return {"pk": job.pk}


def _plan(world: World) -> dict[str, Any]:
    from .factories import ActionPlanFactory

    return {"pk": ActionPlanFactory(org=world.org, owner=world.user("manager")).pk}


def _milestone(world: World) -> dict[str, Any]:
    from .factories import ActionPlanFactory, MilestoneFactory

    plan = ActionPlanFactory(org=world.org, owner=world.user("manager"))
    return {"pk": MilestoneFactory(plan=plan, owner=world.user("rep")).pk}


def _plan_resource(world: World) -> dict[str, Any]:
    from .factories import ActionPlanFactory, ResourceFactory

    plan = ActionPlanFactory(org=world.org, owner=world.user("manager"))
    return {"pk": plan.pk, "resource_pk": ResourceFactory(plan=plan).pk}


def _risk(world: World) -> dict[str, Any]:
    from .factories import ActionPlanFactory, RiskFactory

    plan = ActionPlanFactory(org=world.org, owner=world.user("manager"))
    return {"pk": RiskFactory(plan=plan).pk}


def _blocker(world: World) -> dict[str, Any]:
    from actionplans.services import blocker_raise

    blocker = blocker_raise(actor=world.user("rep"), description="Stuck", **_milestone_obj(world))
    return {"pk": blocker.pk}


def _milestone_obj(world: World) -> dict[str, Any]:
    from actionplans.models import Milestone

    return {"milestone": Milestone.objects.get(pk=_milestone(world)["pk"])}


def _survey(world: World) -> dict[str, Any]:
    from feedback.services import survey_create_from_template

    survey = survey_create_from_template(
        actor=world.user("admin"), org=world.org, key="collaboration_pulse"
    )
    return {"pk": survey.pk}


def _survey_question(world: World) -> dict[str, Any]:
    from feedback.models import Question

    survey_pk = _survey(world)["pk"]
    return {"pk": Question.objects.filter(survey_id=survey_pk).first().pk}


def _survey_round(world: World) -> dict[str, Any]:
    from feedback.models import Survey
    from feedback.services import round_open

    survey = Survey.objects.get(pk=_survey(world)["pk"])
    return {"pk": round_open(actor=world.user("admin"), survey=survey).pk}


def _follow_up(world: World) -> dict[str, Any]:
    from datetime import date

    from feedback.models import Survey
    from feedback.services import action_save

    survey = Survey.objects.get(pk=_survey(world)["pk"])
    action = action_save(
        actor=world.user("admin"),
        org=world.org,
        survey=survey,
        title="Weekly hand-off review",
        owner=world.user("leader"),
        due_date=date(2030, 1, 1),
    )
    return {"pk": action.pk}


def _suggestion(world: World) -> dict[str, Any]:
    from feedback.services import suggestion_submit

    return {"pk": suggestion_submit(actor=world.user("rep"), org=world.org, body="More demos").pk}


def _api_survey(world: World) -> dict[str, Any]:
    """A live survey of `world.org` with an open round, so answering it would be possible."""
    from feedback.services import QuestionSpec, round_open, survey_create

    survey = survey_create(
        actor=world.user("admin"),
        org=world.org,
        title="Pulse",
        questions=[QuestionSpec(kind="scale", text="Clear hand-offs?")],
    )
    round_open(actor=world.user("admin"), survey=survey, announce=False)
    return {"pk": survey.pk}


def _experiment(world: World) -> dict[str, Any]:
    from dashboards.experiments import experiment_create

    experiment = experiment_create(
        actor=world.user("admin"),
        org=world.org,
        variants=["Control", "Bundle"],
        title="Bundle offer",
        hypothesis="A bundle converts better.",
        owner=world.user("manager"),
        metric="conversion",
        baseline=20,
        minimum_effect=5,
        alpha="0.05",
        power="0.8",
    )
    return {"pk": experiment.pk}


def _alert_rule(world: World) -> dict[str, Any]:
    from dashboards.models import AlertRule

    rule = AlertRule.objects.create(
        org=world.org,
        name="Goals behind",
        subject="goal_gap",
        comparator="above",
        threshold=10,
        recipient_roles=["leader"],
        channels=["in_app"],
    )
    return {"pk": rule.pk}


def _alert(world: World) -> dict[str, Any]:
    import datetime

    from dashboards.models import Alert, AlertRule

    rule = AlertRule.objects.get(pk=_alert_rule(world)["pk"])
    alert = Alert.objects.create(
        org=world.org,
        rule=rule,
        subject_key=f"team:{world.team.pk}",
        subject_label=world.team.name,
        team=world.team,
        period_kind="week",
        period_start=datetime.date(2026, 11, 23),
        severity="warning",
        comparator="above",
        threshold=10,
        value=15,
    )
    return {"pk": alert.pk}


def _review_meeting(world: World) -> dict[str, Any]:
    import datetime

    from dashboards.models import ReviewMeeting

    meeting = ReviewMeeting.objects.create(
        org=world.org, team=world.team, period_kind="week", period_start=datetime.date(2026, 11, 23)
    )
    return {"pk": meeting.pk}


def _review_item(world: World) -> dict[str, Any]:
    from dashboards.models import ReviewItem, ReviewMeeting

    meeting = ReviewMeeting.objects.get(pk=_review_meeting(world)["pk"])
    item = ReviewItem.objects.create(meeting=meeting, kind="action", text="Call the top ten")
    return {"pk": item.pk}


# Pages under /o/<org_slug>/: sample arguments that name objects of `world.org`.
ORG_URLS: dict[str, Sample] = {
    "org_home": _none,
    "org_settings": _none,
    "webhook_deliveries": _none,
    "webhook_delivery_retry": _delivery,
    "team_list": _none,
    "team_create": _none,
    "team_detail": _team,
    "team_edit": _team,
    "team_archive": _team,
    "team_member_add": _team,
    "team_member_remove": _team_link,
    "team_member_lead": _team_link,
    "webhook_create": _team,
    "webhook_edit": _webhook,
    "webhook_delete": _webhook,
    "webhook_test": _webhook,
    "member_list": _none,
    "member_invite": _none,
    "invitation_revoke": _invitation,
    "member_detail": _member,
    "member_role": _member,
    "member_deactivate": _member,
    "profile": _none,
    "password_change": _none,
    "api_tokens": _none,
    "api_token_revoke": _token,
    "notification_list": _none,
    "notification_menu": _none,
    "notification_read_all": _none,
    "notification_open": _notification,
    "raci:matrix_list": _none,
    "raci:dispute_list": _none,
    "raci:dispute_create": _none,
    "raci:dispute_detail": _dispute,
    "raci:dispute_statement": _dispute,
    "raci:dispute_decide": _dispute,
    "raci:my_responsibilities": _none,
    "raci:raci_settings": _none,
    "raci:matrix_create": _none,
    "raci:matrix_detail": _matrix,
    "raci:matrix_edit": _matrix,
    "raci:cell_set": _matrix,
    "raci:activity_add": _matrix,
    "raci:activity_update": _matrix_activity,
    "raci:participant_add": _matrix,
    "raci:participant_remove": _matrix_participant,
    "raci:matrix_publish": _matrix,
    "raci:matrix_export": _matrix_export,
    "raci:matrix_print": _matrix,
    "raci:activity_detail": _matrix_activity,
    "raci:activity_state": _matrix_activity,
    "raci:activity_comment": _matrix_activity,
    "goals:goal_list": _none,
    "goals:my_goals": _none,
    "goals:goal_tree": _none,
    "goals:goal_create": _none,
    "goals:smart_check": _none,
    "goals:goal_detail": _goal,
    "goals:goal_edit": _goal,
    "goals:goal_activate": _goal,
    "goals:goal_close": _goal,
    "goals:measurement_add": _goal,
    "goals:measurement_delete": _goal_measurement,
    "goals:checkin_save": _goal,
    "goals:checkin_comment": _goal_checkin,
    "goals:goal_policy": _none,
    "goals:kpi_list": _none,
    "goals:kpi_create": _none,
    "goals:kpi_edit": _kpi,
    "goals:kpi_archive": _kpi,
    "goals:import_start": _none,
    "goals:import_detail": _import,
    "goals:import_commit": _import,
    "goals:import_progress": _import,
    "actionplans:this_week": _none,
    "actionplans:plan_list": _none,
    "actionplans:plan_create": _none,
    "actionplans:plan_detail": _plan,
    "actionplans:plan_edit": _plan,
    "actionplans:milestone_create": _plan,
    "actionplans:resource_add": _plan,
    "actionplans:resource_edit": _plan_resource,
    "actionplans:resource_delete": _plan_resource,
    "actionplans:risk_create": _plan,
    "actionplans:milestone_detail": _milestone,
    "actionplans:milestone_edit": _milestone,
    "actionplans:milestone_update": _milestone,
    "actionplans:milestone_move": _milestone,
    "actionplans:milestone_delete": _milestone,
    "actionplans:risk_edit": _risk,
    "actionplans:risk_trigger": _risk,
    "actionplans:risk_activate_plan_b": _risk,
    "actionplans:risk_close": _risk,
    "actionplans:risk_delete": _risk,
    "actionplans:contingency_add": _risk,
    "actionplans:blocker_list": _none,
    "actionplans:blocker_resolve": _blocker,
    "actionplans:standup_index": _none,
    "actionplans:team_standup": _team,
    "actionplans:standup_post": _team,
    "actionplans:standup_settings": _team,
    "feedback:survey_list": _none,
    "feedback:survey_create": _none,
    "feedback:survey_detail": _survey,
    "feedback:survey_edit": _survey,
    "feedback:survey_archive": _survey,
    "feedback:question_add": _survey,
    "feedback:round_open": _survey,
    "feedback:survey_results": _survey,
    "feedback:survey_export": _survey,
    "feedback:action_create": _survey,
    "feedback:question_edit": _survey_question,
    "feedback:question_delete": _survey_question,
    "feedback:question_move": _survey_question,
    "feedback:round_answer": _survey_round,
    "feedback:round_close": _survey_round,
    "feedback:action_list": _none,
    "feedback:action_edit": _follow_up,
    "feedback:suggestion_box": _none,
    "feedback:suggestion_action": _suggestion,
    "dashboards:leadership": _none,
    "dashboards:my_dashboard": _none,
    "dashboards:team_dashboard": _team,
    "dashboards:kpi_insight": _kpi,
    "dashboards:alert_list": _none,
    "dashboards:alert_detail": _alert,
    "dashboards:alert_acknowledge": _alert,
    "dashboards:alert_resolve": _alert,
    "dashboards:rule_list": _none,
    "dashboards:rule_create": _none,
    "dashboards:rule_edit": _alert_rule,
    "dashboards:rule_delete": _alert_rule,
    "dashboards:review_list": _none,
    "dashboards:review_pack": _team,
    "dashboards:review_item_add": _review_meeting,
    "dashboards:review_item_done": _review_item,
    "dashboards:experiment_list": _none,
    "dashboards:experiment_create": _none,
    "dashboards:experiment_detail": _experiment,
    "dashboards:experiment_edit": _experiment,
    "dashboards:experiment_status": _experiment,
    "dashboards:results_add": _experiment,
    "dashboards:results_import": _experiment,
}

# API routes that name one object: a token of another organisation gets 404.
API_DETAIL_URLS: dict[str, Sample] = {
    "api-team-detail": _team,
    "api-team-archive": _team,
    "api-member-detail": _member,
    "api-kpi-detail": _kpi,
    "api-goal-detail": _goal,
    "api-goal-activate": _goal,
    "api-goal-close": _goal,
    "api-dispute-detail": _dispute,
    "api-dispute-decide": _dispute,
    "api-raci-matrix-detail": _matrix,
    "api-raci-matrix-cells": _matrix,
    "api-raci-matrix-activities": _matrix,
    "api-raci-matrix-participants": _matrix,
    "api-raci-matrix-publish": _matrix,
    "api-raci-activity-detail": lambda world: {"pk": _matrix_activity(world)["activity_pk"]},
    "api-raci-activity-state": lambda world: {"pk": _matrix_activity(world)["activity_pk"]},
    "api-plan-detail": _plan,
    "api-milestone-detail": _milestone,
    "api-milestone-updates": _milestone,
    "api-resource-detail": lambda world: {"pk": _plan_resource(world)["resource_pk"]},
    "api-risk-detail": _risk,
    "api-risk-trigger": _risk,
    "api-risk-activate-plan-b": _risk,
    "api-risk-close": _risk,
    "api-blocker-resolve": _blocker,
    "api-survey-detail": _api_survey,
    "api-survey-responses": _api_survey,
    "api-survey-results": _api_survey,
    "api-experiment-detail": _experiment,
    "api-experiment-results": _experiment,
    "api-alert-rule-detail": _alert_rule,
    "api-alert-detail": _alert,
    "api-alert-acknowledge": _alert,
    "api-alert-resolve": _alert,
}

# Routes outside any organisation, each with the reason it needs no org check.
EXEMPT: dict[str, str] = {
    "api-alert-rule-list": "lists and creates in the token's organisation only "
    "(tests/dashboards/test_alerts_api.py)",
    "api-alert-rule-from-template": "creates in the token's organisation only "
    "(tests/dashboards/test_alerts_api.py)",
    "api-alert-list": "narrowed to the alerts the token's member may see "
    "(tests/dashboards/test_alerts_api.py)",
    "api-rollup-list": "the KPI is looked up in the token's organisation; another's is 404 "
    "(tests/dashboards/test_alerts_api.py)",
    "home": "redirects to the visitor's own organisation",
    "org_choose": "lists only the visitor's own memberships",
    "language_set": "changes only the visitor's language",
    "healthz": "service status, no organisation data",
    "invitation_accept": "addressed by a secret single-use token",
    "login": "authentication",
    "logout": "authentication",
    "logout_everywhere": "authentication",
    "password_reset": "authentication",
    "password_reset_done": "authentication",
    "password_reset_confirm": "authentication, secret token",
    "password_reset_complete": "authentication",
    "api-me": "answers for the token's own organisation only",
    "api-team-list": "lists the token's organisation only (tested in tests/salesops/test_api.py)",
    "api-member-list": "lists the token's organisation only (tested in tests/salesops/test_api.py)",
    "api-kpi-list": "lists the token's organisation only (tested in tests/goals/test_api.py)",
    "api-goal-list": "lists the token's organisation only (tested in tests/goals/test_api.py)",
    "api-measurement-list": "lists the token's organisation only (tested in tests/goals/test_api.py)",
    "api-measurement-bulk": "writes into the token's organisation only (tested in tests/goals/test_api.py)",
    "api-checkin-list": "lists the token's organisation only (tested in tests/goals/test_api.py)",
    "api-smart-check": "checks against the token's organisation only (tested in tests/goals/test_api.py)",
    "api-raci-matrix-list": "lists the token's organisation only",
    "api-dispute-list": "lists the token's organisation only (tests/raci/test_disputes.py)",
    "api-plan-list": "lists the token's organisation only (tests/actionplans/test_api.py)",
    "api-milestone-list": "lists the token's organisation only (tests/actionplans/test_api.py)",
    "api-resource-list": "lists the token's organisation only (tests/actionplans/test_api.py)",
    "api-risk-list": "lists the token's organisation only (tests/actionplans/test_api.py)",
    "api-blocker-list": "lists the token's organisation only (tests/actionplans/test_api.py)",
    "api-standup-list": "names the team in the query or body; another organisation's team is "
    "not found (tests/actionplans/test_api.py)",
    "api-survey-list": "lists and creates in the token's organisation only "
    "(tests/feedback/test_api.py)",
    "api-suggestion-list": "writes into the token's organisation's suggestion box only "
    "(tests/feedback/test_api.py)",
    "api-experiment-list": "lists and creates in the token's organisation only "
    "(tests/dashboards/test_experiments_api.py)",
    "api-schema": "public API description, no data",
    "api-docs": "public API description, no data",
}
EXEMPT_NAMESPACES = {"admin": "Django admin: staff only, not a tenant page"}


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, str]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name or "", namespace


def all_routes() -> list[tuple[str, str, str]]:
    return list(_walk(get_resolver().url_patterns))


def test_every_url_pattern_is_covered():
    missing = []
    for route, name, namespace in all_routes():
        if namespace in EXEMPT_NAMESPACES:
            continue
        name = f"{namespace}:{name}" if namespace else name
        covered = name in ORG_URLS or name in API_DETAIL_URLS or name in EXEMPT
        if not covered:
            missing.append(f"{route} (name={name!r})")
        if name in ORG_URLS:
            assert route.startswith("o/<slug:org_slug>/"), (
                f"{name} is listed as an org page but is not under /o/"
            )
        elif route.startswith("o/<slug:org_slug>/"):
            missing.append(f"{route} is under /o/ but not in ORG_URLS")
    assert not missing, "URL patterns with no tenancy entry: " + ", ".join(missing)


@pytest.mark.parametrize("name", sorted(ORG_URLS))
def test_other_orgs_member_gets_404_on_every_org_page(world: World, name: str):
    url = reverse(name, kwargs={"org_slug": world.org.slug, **ORG_URLS[name](world)})
    outsider = client_for(world.outsider.user)
    assert outsider.get(url).status_code == 404, f"GET {url}"
    assert outsider.post(url, {}).status_code == 404, f"POST {url}"


@pytest.mark.parametrize("name", sorted(ORG_URLS))
def test_anonymous_visitor_is_sent_to_login_on_every_org_page(world: World, name: str):
    url = reverse(name, kwargs={"org_slug": world.org.slug, **ORG_URLS[name](world)})
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", sorted(n for n, sample in ORG_URLS.items() if sample is not _none))
def test_objects_of_one_org_are_not_found_through_another(world: World, name: str):
    """An admin of the other org, on their own org's URL, asking for this org's object ids."""
    kwargs = ORG_URLS[name](world)
    url = reverse(name, kwargs={"org_slug": world.other_org.slug, **kwargs})
    outsider_admin = client_for(world.outsider.user)
    get_status = outsider_admin.get(url).status_code
    assert get_status in (404, 405), f"GET {url} answered {get_status}"
    assert outsider_admin.post(url, {}).status_code == 404, f"POST {url}"


def test_nonexistent_org_is_indistinguishable_from_a_foreign_one(world: World):
    outsider = client_for(world.outsider.user)
    assert outsider.get("/o/no-such-org/").status_code == 404
    assert outsider.get(f"/o/{world.org.slug}/").status_code == 404


@pytest.mark.parametrize("name", sorted(API_DETAIL_URLS))
def test_api_token_of_another_org_gets_404(world: World, name: str):
    kwargs = API_DETAIL_URLS[name](world)
    _token, secret = accounts.api_token_create(
        user=world.outsider.user, org=world.other_org, name="x"
    )
    url = reverse(name, kwargs=kwargs)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    posts = (
        "archive",
        "activate",
        "close",
        "cells",
        "activities",
        "participants",
        "publish",
        "state",
        "decide",
        "updates",
        "trigger",
        "activate-plan-b",
        "resolve",
        "responses",
        "experiment-results",
        "acknowledge",
    )
    method = client.post if name.endswith(posts) else client.get
    response = method(url)
    assert response.status_code == 404, f"{url}: {response.status_code}"
    assert response.json()["error"]["code"] == "not_found"
