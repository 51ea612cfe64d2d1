"""Deviation-alert pages: who may open them (in English and Chinese), the list with its filters,
pagination and htmx partial in a constant number of queries, an alert's page with the data
behind it, acknowledging and resolving it (bad input changes nothing), and the rules: from a
template, created, edited and deleted, with bad input refused and nothing saved."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from dashboards.models import Alert, AlertRule, AlertState
from feedback.models import Question, Survey
from goals.periods import week_start
from salesops.models import Role

from ..factories import AlertFactory, AlertRuleFactory, GoalFactory, KpiFactory, TeamFactory
from ..languages import LANGUAGES, speak

EVERYONE = [Role.ADMIN, Role.LEADER, Role.MANAGER, Role.REP, Role.MEMBER]
RULE_MANAGERS = [Role.ADMIN, Role.LEADER]
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, **kwargs: object) -> str:
    return reverse(f"dashboards:{name}", kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def monday(weeks_ago: int = 0):
    from django.utils import timezone

    return week_start(timezone.localdate()) - timedelta(weeks=weeks_ago)


@pytest.fixture
def rule(world) -> AlertRule:
    return AlertRuleFactory(
        org=world.org,
        name="Overdue milestones above 3",
        action="Clear the blockers or re-plan the milestones",
        recipient_roles=["admin"],
        created_by=world.user(Role.ADMIN),
    )


def team_alert(world, rule: AlertRule, weeks_ago: int = 0, **fields: object) -> Alert:
    values: dict[str, object] = {
        "rule": rule,
        "team": world.team,
        "subject_key": f"team:{world.team.pk}",
        "subject_label": world.team.name,
        "period_start": monday(weeks_ago),
        "value": Decimal(5),
    }
    values.update(fields)
    return AlertFactory(**values)


@pytest.fixture
def alert(world, rule) -> Alert:
    """About East Sales: seen by admins and leaders, its manager (who handles it) and its rep
    (who does not); not by the member, whom nothing names."""
    return team_alert(
        world,
        rule,
        data={
            "unit": "count",
            "series": [
                {"label": "2025-W04", "period_start": "2025-01-20", "value": 2},
                {"label": "2025-W05", "period_start": "2025-01-27", "value": 4},
                {"label": "2025-W06", "period_start": "2025-02-03", "value": 5},
            ],
            "rows": [
                {
                    "milestone_id": 999999,
                    "title": "Pricing page live",
                    "owner": "Rita Rep",
                    "due_week": "2025-01-27",
                    "status": "blocked",
                }
            ],
            "explanation": "5 milestones are overdue in East Sales.",
        },
    )


# --- who may open which page ------------------------------------------------------------------

PAGES = {
    "alert_list": (lambda a: {}, EVERYONE),
    "alert_detail": (lambda a: {"pk": a.pk}, [Role.ADMIN, Role.LEADER, Role.MANAGER, Role.REP]),
    "rule_list": (lambda a: {}, RULE_MANAGERS),
    "rule_create": (lambda a: {}, RULE_MANAGERS),
    "rule_edit": (lambda a: {"pk": a.rule_id}, RULE_MANAGERS),
}
ALLOWED = [(page, role) for page, (_kw, roles) in PAGES.items() for role in roles]
REFUSED = [
    (page, role)
    for page, (_kw, roles) in PAGES.items()
    for role in EVERYONE
    if role not in roles and page != "alert_detail"
]


@pytest.mark.parametrize(("page", "role"), ALLOWED)
def test_page_renders_for_its_roles_in_english_and_chinese(world, clients, alert, page, role):
    kwargs = PAGES[page][0](alert)
    for language in LANGUAGES:
        speak(world, role, language)
        response = clients[role].get(url(page, **kwargs))
        assert response.status_code == 200, (page, role, language)
        assert f'<html lang="{language}">' in response.content.decode()


@pytest.mark.parametrize(("page", "role"), REFUSED)
def test_page_refuses_other_roles_with_a_readable_page(clients, alert, page, role):
    response = clients[role].get(url(page, **PAGES[page][0](alert)))
    assert response.status_code == 403
    assert b"<html" in response.content


def test_an_alert_not_meant_for_the_member_is_not_found(clients, alert):
    assert clients[Role.MEMBER].get(url("alert_detail", pk=alert.pk)).status_code == 404


def test_an_alert_whose_rule_names_the_members_role_is_shown_to_them(world, clients):
    rule = AlertRuleFactory(org=world.org, recipient_roles=["member"])
    alert = AlertFactory(rule=rule)
    assert clients[Role.MEMBER].get(url("alert_detail", pk=alert.pk)).status_code == 200


@pytest.mark.parametrize(
    "page", ["alert_list", "alert_detail", "rule_list", "rule_create", "rule_edit"]
)
def test_another_organisations_member_gets_not_found(clients, alert, page):
    assert clients["outsider"].get(url(page, **PAGES[page][0](alert))).status_code == 404


def test_another_organisations_alert_and_rule_are_not_found_by_id(world, clients):
    foreign_rule = AlertRuleFactory(org=world.other_org)
    foreign = AlertFactory(rule=foreign_rule)
    admin = clients[Role.ADMIN]
    assert admin.get(url("alert_detail", pk=foreign.pk)).status_code == 404
    assert admin.get(url("rule_edit", pk=foreign_rule.pk)).status_code == 404
    assert admin.post(url("alert_acknowledge", pk=foreign.pk)).status_code == 404
    assert admin.post(url("alert_resolve", pk=foreign.pk), {"note": "x"}).status_code == 404
    assert admin.post(url("rule_delete", pk=foreign_rule.pk)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.state == AlertState.OPEN
    assert AlertRule.objects.filter(pk=foreign_rule.pk).exists()


def test_handling_and_rule_writes_are_post_only(clients, alert):
    admin = clients[Role.ADMIN]
    for name, pk in [
        ("alert_acknowledge", alert.pk),
        ("alert_resolve", alert.pk),
        ("rule_delete", alert.rule_id),
    ]:
        assert admin.get(url(name, pk=pk)).status_code == 405


# --- the list --------------------------------------------------------------------------------


def rows_of(response) -> int:
    return response.content.decode().count('data-testid="alert-row"')


def test_list_shows_open_and_acknowledged_alerts_by_default(world, clients, rule, alert):
    acknowledged = team_alert(world, rule, weeks_ago=1, state=AlertState.ACKNOWLEDGED)
    resolved = team_alert(world, rule, weeks_ago=2, state=AlertState.RESOLVED)
    response = clients[Role.ADMIN].get(url("alert_list"))
    content = response.content.decode()
    assert rows_of(response) == 2
    assert url("alert_detail", pk=alert.pk) in content
    assert url("alert_detail", pk=acknowledged.pk) in content
    assert url("alert_detail", pk=resolved.pk) not in content
    assert "text-bg-warning" in content  # the severity badge
    assert "Overdue milestones above 3" in content


def test_list_filters_by_state_severity_team_and_rule(world, clients, rule, alert):
    other_rule = AlertRuleFactory(org=world.org, severity="critical")
    other_team = TeamFactory(org=world.org, name="West Sales")
    critical = AlertFactory(rule=other_rule, team=other_team, subject_key=f"team:{other_team.pk}")
    resolved = team_alert(world, rule, weeks_ago=3, state=AlertState.RESOLVED)
    admin = clients[Role.ADMIN]

    def shown(**params: object) -> set[int]:
        response = admin.get(url("alert_list"), params)
        assert response.status_code == 200
        return {a.pk for a in response.context["alerts"]}

    assert shown() == {alert.pk, critical.pk}
    assert shown(state="resolved") == {resolved.pk}
    assert shown(state="all") == {alert.pk, critical.pk, resolved.pk}
    assert shown(severity="critical") == {critical.pk}
    assert shown(team=world.team.pk) == {alert.pk}
    assert shown(rule=other_rule.pk) == {critical.pk}
    # A filter that does not validate is left out instead of emptying the list.
    assert shown(team=world.other_team.pk, state="bogus") == {alert.pk, critical.pk}


def test_list_is_narrowed_to_what_the_viewer_may_see(world, clients, rule, alert):
    other_team = TeamFactory(org=world.org, name="West Sales")
    elsewhere = AlertFactory(rule=rule, team=other_team, subject_key=f"team:{other_team.pk}")
    for role, expected in [
        (Role.LEADER, {alert.pk, elsewhere.pk}),
        (Role.MANAGER, {alert.pk}),
        (Role.REP, {alert.pk}),
        (Role.MEMBER, set()),
    ]:
        response = clients[role].get(url("alert_list"))
        assert {a.pk for a in response.context["alerts"]} == expected, role


def test_list_filter_answers_htmx_with_the_table_only(clients, alert):
    response = clients[Role.ADMIN].get(url("alert_list"), {"severity": "warning"}, **HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="alert-table">')
    assert "<html" not in content
    assert rows_of(response) == 1


def test_list_is_paginated(world, clients, rule):
    for weeks_ago in range(30):
        team_alert(world, rule, weeks_ago=weeks_ago)
    admin = clients[Role.ADMIN]
    first = admin.get(url("alert_list"))
    assert rows_of(first) == 25
    assert "page=2" in first.content.decode()
    second = admin.get(url("alert_list"), {"page": 2, "severity": "warning"})
    assert rows_of(second) == 5
    assert "?severity=warning&page=1" in second.content.decode()  # the filters are kept


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.REP])
def test_list_takes_the_same_number_of_queries_for_3_and_30_alerts(world, clients, rule, role):
    goal_rule = AlertRuleFactory(org=world.org, subject="goal_gap", recipient_roles=["rep"])

    def queries(count: int) -> int:
        Alert.objects.all().delete()
        for n in range(count):
            team_alert(world, rule, weeks_ago=n)
            goal = GoalFactory(org=world.org, team=world.team, owner=world.user(Role.REP))
            team_alert(world, goal_rule, weeks_ago=n, goal=goal, subject_key=f"goal:{goal.pk}")
        client = clients[role]
        client.get(url("alert_list"))  # warm the session and per-request caches alike
        with CaptureQueriesContext(connection) as context:
            response = client.get(url("alert_list"))
        assert rows_of(response) == min(2 * count, 25)
        return len(context.captured_queries)

    assert queries(3) == queries(30)


def test_empty_list_says_what_alerts_are_and_links_admins_to_the_rules(clients):
    admin = clients[Role.ADMIN].get(url("alert_list")).content.decode()
    assert 'data-testid="no-alerts"' in admin
    assert 'data-testid="empty-rules-link"' in admin
    assert url("rule_list") in admin
    rep = clients[Role.REP].get(url("alert_list")).content.decode()
    assert 'data-testid="no-alerts"' in rep
    assert url("rule_list") not in rep


def test_empty_filtered_list_offers_to_clear_the_filters(clients, alert):
    content = clients[Role.ADMIN].get(url("alert_list"), {"severity": "info"}).content.decode()
    assert "No alerts match these filters." in content


# --- one alert -------------------------------------------------------------------------------


def test_alert_page_shows_what_deviated_what_to_do_and_the_data(clients, alert):
    response = clients[Role.MANAGER].get(url("alert_detail", pk=alert.pk))
    content = response.content.decode()
    assert "Clear the blockers or re-plan the milestones" in content
    assert "5 milestones are overdue in East Sales." in content
    assert 'data-testid="series-table"' in content
    assert "2025-W05" in content
    assert 'id="alert-chart-data"' in content
    assert "js/alert_chart.js" in content
    assert 'data-testid="rows-table"' in content
    assert "Pricing page live" in content
    assert reverse("actionplans:milestone_detail", kwargs={"org_slug": "acme", "pk": 999999}) in (
        content
    )
    assert "Blocked" in content  # the milestone status, labelled
    assert "milestone_id" not in content
    assert 'data-testid="acknowledge-form"' in content
    assert 'data-testid="resolve-form"' in content
    chart = response.context["chart"]
    assert chart["values"] == [2.0, 4.0, 5.0]
    assert chart["threshold"] == 3.0


def test_alert_page_renders_without_data(world, clients, rule):
    bare = team_alert(world, rule, weeks_ago=4, data={"series": "garbage", "rows": [1, "x"]})
    response = clients[Role.ADMIN].get(url("alert_detail", pk=bare.pk))
    assert response.status_code == 200
    assert response.context["chart"] is None
    assert "No figures per period were recorded with this alert." in response.content.decode()


def test_alert_page_links_to_the_kpi_and_the_goal(world, clients):
    kpi = KpiFactory(org=world.org, name="Win rate")
    rule = AlertRuleFactory(org=world.org, subject="kpi", kpi=kpi, comparator="below")
    goal = GoalFactory(org=world.org, team=world.team, title="Grow mid-market")
    alert = AlertFactory(rule=rule, goal=goal, subject_key=f"goal:{goal.pk}")
    content = clients[Role.ADMIN].get(url("alert_detail", pk=alert.pk)).content.decode()
    assert url("kpi_insight", pk=kpi.pk) in content
    assert reverse("goals:goal_detail", kwargs={"org_slug": "acme", "pk": goal.pk}) in content


def test_a_rep_sees_the_alert_about_their_team_but_may_not_handle_it(clients, alert):
    content = clients[Role.REP].get(url("alert_detail", pk=alert.pk)).content.decode()
    assert 'data-testid="acknowledge-form"' not in content
    assert 'data-testid="resolve-form"' not in content
    assert clients[Role.REP].post(url("alert_acknowledge", pk=alert.pk)).status_code == 403
    response = clients[Role.REP].post(url("alert_resolve", pk=alert.pk), {"note": "done"})
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_acknowledging_without_javascript_redirects_with_a_message(world, clients, alert):
    response = clients[Role.MANAGER].post(url("alert_acknowledge", pk=alert.pk))
    assert response.status_code == 302
    assert response["Location"] == url("alert_detail", pk=alert.pk)
    assert any("acknowledged" in m for m in messages_of(response))
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    assert alert.acknowledged_by == world.user(Role.MANAGER)


def test_acknowledging_with_htmx_swaps_the_state_panel(clients, alert):
    response = clients[Role.MANAGER].post(url("alert_acknowledge", pk=alert.pk), **HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="alert-state"')
    assert "<html" not in content
    assert 'data-testid="acknowledge-form"' not in content  # done once
    assert 'data-testid="resolve-form"' in content
    assert 'hx-swap-oob="true"' in content  # the message comes along


def test_acknowledging_twice_answers_422_and_changes_nothing(world, clients, rule):
    done = team_alert(
        world,
        rule,
        weeks_ago=5,
        state=AlertState.ACKNOWLEDGED,
        acknowledged_by=world.user(Role.LEADER),
    )
    response = clients[Role.MANAGER].post(url("alert_acknowledge", pk=done.pk), **HTMX)
    assert response.status_code == 422
    assert "Only an open alert can be acknowledged." in response.content.decode()
    done.refresh_from_db()
    assert done.acknowledged_by == world.user(Role.LEADER)
    plain = clients[Role.MANAGER].post(url("alert_acknowledge", pk=done.pk))
    assert plain.status_code == 302
    assert "Only an open alert can be acknowledged." in messages_of(plain)


def test_resolving_needs_a_note_and_changes_nothing_without_one(clients, alert):
    response = clients[Role.MANAGER].post(url("alert_resolve", pk=alert.pk), {"note": "  "}, **HTMX)
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert "<html" not in response.content.decode()
    plain = clients[Role.MANAGER].post(url("alert_resolve", pk=alert.pk), {"note": ""})
    assert plain.status_code == 422
    assert "<html" in plain.content.decode()
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN
    assert alert.resolution_note == ""


def test_resolving_with_a_note_closes_the_alert_and_records_it(world, clients, alert):
    note = "Two milestones re-planned, the pricing blocker cleared."
    response = clients[Role.MANAGER].post(url("alert_resolve", pk=alert.pk), {"note": note})
    assert response.status_code == 302
    assert "Alert resolved." in messages_of(response)
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
    assert alert.resolution_note == note
    assert alert.resolved_by == world.user(Role.MANAGER)
    page = clients[Role.MANAGER].get(url("alert_detail", pk=alert.pk)).content.decode()
    assert escape(note) in page
    assert 'data-testid="resolve-form"' not in page
    assert page.count("list-group-item") >= 2  # created, then resolved, in the history


def test_resolving_a_resolved_alert_answers_422(world, clients, rule):
    closed = team_alert(world, rule, weeks_ago=6, state=AlertState.RESOLVED, resolution_note="x")
    response = clients[Role.ADMIN].post(url("alert_resolve", pk=closed.pk), {"note": "y"}, **HTMX)
    assert response.status_code == 422
    assert "This alert is already resolved." in response.content.decode()
    closed.refresh_from_db()
    assert closed.resolution_note == "x"


# --- rules -----------------------------------------------------------------------------------


def rule_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Milestone completion below 70%",
        "action": "Ask the plan owners what blocks them",
        "subject": "milestone_completion",
        "kpi": "",
        "question": "",
        "period_kind": "week",
        "comparator": "below",
        "threshold": "70",
        "scope": "org",
        "severity": "critical",
        "recipient_roles": ["leader", "manager"],
        "channels": ["in_app", "email"],
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_rule_list_shows_each_rule_with_its_open_alert_count(world, clients, rule, alert):
    team_alert(world, rule, weeks_ago=1, state=AlertState.ACKNOWLEDGED)
    team_alert(world, rule, weeks_ago=2, state=AlertState.RESOLVED)
    AlertRuleFactory(org=world.other_org, name="Rival rule")
    response = clients[Role.LEADER].get(url("rule_list"))
    content = response.content.decode()
    (shown,) = response.context["rules"]
    assert shown.open_alerts == 2
    assert 'data-testid="rule-open-alerts"' in content
    assert "Rival rule" not in content
    assert 'data-testid="template-goal_gap_above_10"' in content


def test_rule_list_takes_the_same_number_of_queries_for_3_and_30_rules(world, clients):
    def queries(count: int) -> int:
        AlertRule.objects.filter(org=world.org).delete()
        for _n in range(count):
            rule = AlertRuleFactory(
                org=world.org,
                scope="teams",
                teams=[world.team],
                recipient_teams=[world.team],
                recipient_people=[world.user(Role.MANAGER)],
            )
            AlertFactory(rule=rule)
        clients[Role.ADMIN].get(url("rule_list"))
        with CaptureQueriesContext(connection) as context:
            response = clients[Role.ADMIN].get(url("rule_list"))
        assert len(response.context["rules"]) == min(count, 25)
        return len(context.captured_queries)

    assert queries(3) == queries(30)


def test_a_template_adds_a_rule_and_opens_it_for_editing(world, clients):
    response = clients[Role.ADMIN].post(url("rule_create"), {"template": "goal_gap_above_10"})
    rule = AlertRule.objects.get(org=world.org)
    assert response.status_code == 302
    assert response["Location"] == url("rule_edit", pk=rule.pk)
    assert rule.subject == "goal_gap"
    assert rule.threshold == 10
    assert any("added from the template" in m for m in messages_of(response))


def test_an_unknown_template_adds_nothing(world, clients):
    response = clients[Role.ADMIN].post(url("rule_create"), {"template": "nope"})
    assert response.status_code == 302
    assert response["Location"] == url("rule_list")
    assert "Choose one of the rule templates." in messages_of(response)
    assert not AlertRule.objects.filter(org=world.org).exists()


def test_a_manager_may_not_add_a_rule_from_a_template(world, clients):
    response = clients[Role.MANAGER].post(url("rule_create"), {"template": "goal_gap_above_10"})
    assert response.status_code == 403
    assert not AlertRule.objects.exists()


def test_creating_a_rule(world, clients):
    data = rule_data(recipient_people=[world.user(Role.MANAGER).pk])
    response = clients[Role.LEADER].post(url("rule_create"), data)
    assert response.status_code == 302, response.content.decode()
    assert "Alert rule created." in messages_of(response)
    rule = AlertRule.objects.get(org=world.org)
    assert rule.subject == "milestone_completion"
    assert rule.threshold == Decimal(70)
    assert rule.recipient_roles == ["leader", "manager"]
    assert rule.channels == ["in_app", "email"]
    assert list(rule.recipient_people.all()) == [world.user(Role.MANAGER)]
    assert rule.created_by == world.user(Role.LEADER)


def test_a_kpi_rule_keeps_its_kpi_and_a_hidden_kpi_is_dropped(world, clients):
    kpi = KpiFactory(org=world.org)
    clients[Role.ADMIN].post(url("rule_create"), rule_data(name="K", subject="kpi", kpi=kpi.pk))
    clients[Role.ADMIN].post(url("rule_create"), rule_data(name="M", kpi=kpi.pk))
    assert AlertRule.objects.get(name="K").kpi == kpi
    assert AlertRule.objects.get(name="M").kpi is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"threshold": "lots"}, "threshold", "Enter a number."),
        ({"subject": "kpi"}, "kpi", "Choose a KPI of this organisation."),
        ({"subject": "pulse"}, "question", "Choose a question"),
        ({"scope": "teams"}, "teams", "Choose at least one team"),
        ({"channels": []}, "channels", "Choose at least one channel."),
        ({"threshold": "140"}, "threshold", "A completion rate is a percentage"),
        ({"recipient_roles": ["boss"]}, "recipient_roles", "Select a valid choice."),
    ],
)
def test_a_bad_rule_is_refused_field_by_field_and_nothing_is_saved(
    world, clients, changes, field, message
):
    response = clients[Role.ADMIN].post(url("rule_create"), rule_data(**changes))
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors, response.context["form"].errors
    assert "Nothing was saved." in response.content.decode()
    assert not AlertRule.objects.exists()


def test_the_pickers_offer_only_this_organisations_active_choices(world, clients):
    mine = KpiFactory(org=world.org, name="Active KPI")
    archived = KpiFactory(org=world.org, name="Old KPI")
    archived.archived_at = archived.created_at
    archived.save()
    foreign = KpiFactory(org=world.other_org, name="Rival KPI")
    survey = Survey.objects.create(
        org=world.org, title="Pulse", score_threshold=5, comment_threshold=5
    )
    scored = Question.objects.create(survey=survey, kind="scale", text="Teams help me")
    Question.objects.create(survey=survey, kind="text", text="Anything else?")
    form = clients[Role.ADMIN].get(url("rule_create")).context["form"]
    assert list(form.fields["kpi"].queryset) == [mine]
    assert list(form.fields["question"].queryset) == [scored]
    assert world.other_team not in form.fields["teams"].queryset
    assert world.outsider.user not in form.fields["recipient_people"].queryset
    response = clients[Role.ADMIN].post(
        url("rule_create"), rule_data(subject="kpi", kpi=foreign.pk)
    )
    assert response.status_code == 400
    assert "kpi" in response.context["form"].errors
    response = clients[Role.ADMIN].post(
        url("rule_create"), rule_data(scope="teams", teams=[world.other_team.pk])
    )
    assert response.status_code == 400
    assert "teams" in response.context["form"].errors
    assert not AlertRule.objects.exists()


def test_a_pulse_rule_watches_a_scored_question(world, clients):
    survey = Survey.objects.create(
        org=world.org, title="Pulse", score_threshold=5, comment_threshold=5
    )
    question = Question.objects.create(survey=survey, kind="scale", text="Teams help me")
    data = rule_data(subject="pulse", question=question.pk, threshold="3")
    response = clients[Role.ADMIN].post(url("rule_create"), data)
    assert response.status_code == 302
    assert AlertRule.objects.get().question == question


def test_editing_a_rule_saves_it_and_shows_its_history(world, clients, rule):
    page = clients[Role.ADMIN].get(url("rule_edit", pk=rule.pk))
    assert page.context["form"].initial["threshold"] == rule.threshold
    assert "js/alert_rule_form.js" in page.content.decode()
    data = rule_data(
        name=rule.name,
        subject="milestones_overdue",
        comparator="above",
        threshold="5",
        scope="teams",
        teams=[world.team.pk],
    )
    response = clients[Role.ADMIN].post(url("rule_edit", pk=rule.pk), data)
    assert response.status_code == 302
    assert "Alert rule saved." in messages_of(response)
    rule.refresh_from_db()
    assert rule.threshold == 5
    assert list(rule.teams.all()) == [world.team]
    content = clients[Role.ADMIN].get(url("rule_edit", pk=rule.pk)).content.decode()
    assert "Rule changed" in content


def test_a_bad_edit_changes_nothing(world, clients, rule):
    data = rule_data(name=rule.name, subject="milestones_overdue", threshold="-1", channels=[])
    response = clients[Role.ADMIN].post(url("rule_edit", pk=rule.pk), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "threshold" in errors and "channels" in errors
    stored = AlertRule.objects.get(pk=rule.pk)
    assert stored.threshold == 3
    assert stored.channels == ["in_app"]
    assert response.context["rule"].threshold == 3


def test_deleting_a_rule_removes_it_and_its_alerts(world, clients, rule, alert):
    assert clients[Role.MANAGER].post(url("rule_delete", pk=rule.pk)).status_code == 403
    response = clients[Role.ADMIN].post(url("rule_delete", pk=rule.pk))
    assert response.status_code == 302
    assert response["Location"] == url("rule_list")
    assert any("deleted" in m for m in messages_of(response))
    assert not AlertRule.objects.filter(pk=rule.pk).exists()
    assert not Alert.objects.filter(pk=alert.pk).exists()
