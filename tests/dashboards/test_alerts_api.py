"""API v1 for deviation alerts, their rules and KPI rollups: rules only for admins and leaders,
alerts narrowed to what the caller may see, acknowledging and resolving through the services,
rollup values (a ratio is Σnumerator ÷ Σdenominator) with managers narrowed to their teams,
ids that never cross organisations, and bad input answering 400 in the one error shape."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.models import Alert, AlertRule, AlertState, KpiRollup
from salesops.models import Role

from ..apiclient import api, error_of, patch, post
from ..factories import AlertFactory, AlertRuleFactory, KpiFactory, TeamFactory

RULES = "/api/v1/alert-rules/"
ALERTS = "/api/v1/alerts/"
ROLLUPS = "/api/v1/rollups/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rule(world) -> AlertRule:
    return AlertRuleFactory(
        org=world.org, name="Overdue milestones", created_by=world.user(Role.ADMIN)
    )


def team_alert(world, rule: AlertRule, weeks_ago: int = 0, **fields: object) -> Alert:
    values: dict[str, object] = {
        "rule": rule,
        "team": world.team,
        "subject_key": f"team:{world.team.pk}",
        "subject_label": world.team.name,
        "period_start": date(2025, 3, 3) - timedelta(weeks=weeks_ago),
    }
    values.update(fields)
    return AlertFactory(**values)


@pytest.fixture
def alert(world, rule) -> Alert:
    return team_alert(
        world,
        rule,
        data={
            "unit": "count",
            "series": [{"label": "2025-W10", "period_start": "2025-03-03", "value": 5}],
            "rows": [],
            "explanation": "5 milestones are overdue.",
        },
    )


def rule_body(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Completion below 70%",
        "subject": "milestone_completion",
        "comparator": "below",
        "threshold": "70",
        "period_kind": "week",
        "recipient_roles": ["leader"],
        "channels": ["in_app"],
    }
    data.update(changes)
    return data


# --- rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MANAGER, Role.REP, Role.MEMBER])
def test_only_admins_and_leaders_manage_rules(world, rule, role):
    client = api(world, role)
    assert error_of(client.get(RULES), 403)["code"] == "permission_denied"
    error_of(client.get(f"{RULES}{rule.pk}/"), 403)
    error_of(post(client, RULES, rule_body()), 403)
    error_of(patch(client, f"{RULES}{rule.pk}/", {"threshold": "9"}), 403)
    error_of(client.delete(f"{RULES}{rule.pk}/"), 403)
    error_of(post(client, f"{RULES}from-template/", {"template": "goal_gap_above_10"}), 403)
    assert AlertRule.objects.count() == 1
    assert AlertRule.objects.get().threshold == 3


def test_rule_list_shows_each_rule_with_its_open_alert_count(world, rule, alert):
    team_alert(world, rule, weeks_ago=1, state=AlertState.RESOLVED)
    AlertRuleFactory(org=world.other_org)
    body = api(world, Role.LEADER).get(RULES).json()
    assert body["count"] == 1
    (shown,) = body["results"]
    assert shown["id"] == rule.pk
    assert shown["open_alerts"] == 1
    assert shown["recipient_roles"] == ["admin"]
    assert shown["threshold"] == "3.0000"


def test_creating_a_rule_through_the_service(world):
    client = api(world, Role.ADMIN)
    body = rule_body(
        scope="teams",
        teams=[world.team.pk],
        recipient_people=[world.user(Role.MANAGER).pk],
        action="Ask the plan owners",
    )
    response = post(client, RULES, body)
    assert response.status_code == 201, response.content
    data = response.json()
    rule = AlertRule.objects.get(pk=data["id"])
    assert rule.created_by == world.user(Role.ADMIN)
    assert data["teams"] == [world.team.pk]
    assert data["recipient_people"] == [world.user(Role.MANAGER).pk]
    assert data["open_alerts"] == 0
    assert rule.history.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"threshold": "lots"}, "threshold"),
        ({"subject": "kpi"}, "kpi"),
        ({"subject": "weather"}, "subject"),
        ({"scope": "teams"}, "teams"),
        ({"channels": []}, "channels"),
        ({"channels": ["pigeon"]}, "channels"),
        ({"threshold": "140"}, "threshold"),
        ({"recipient_roles": [], "channels": ["email"]}, "recipient_roles"),
    ],
)
def test_a_bad_rule_answers_400_and_saves_nothing(world, changes, field):
    error = error_of(post(api(world, Role.ADMIN), RULES, rule_body(**changes)), 400)
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert not AlertRule.objects.exists()


def test_ids_of_another_organisation_are_refused(world, rule):
    client = api(world, Role.ADMIN)
    foreign_kpi = KpiFactory(org=world.other_org)
    error = error_of(post(client, RULES, rule_body(subject="kpi", kpi=foreign_kpi.pk)), 400)
    assert "kpi" in error["fields"]
    error = error_of(
        post(client, RULES, rule_body(scope="teams", teams=[world.other_team.pk])), 400
    )
    assert "teams" in error["fields"]
    error = error_of(post(client, RULES, rule_body(recipient_people=[world.outsider.user.pk])), 400)
    assert "recipient_people" in error["fields"]
    foreign = AlertRuleFactory(org=world.other_org)
    error_of(client.get(f"{RULES}{foreign.pk}/"), 404)
    error_of(patch(client, f"{RULES}{foreign.pk}/", {"threshold": "1"}), 404)
    error_of(client.delete(f"{RULES}{foreign.pk}/"), 404)
    assert AlertRule.objects.filter(org=world.org).count() == 1
    assert AlertRule.objects.filter(pk=foreign.pk).exists()


def test_changing_a_rule_keeps_what_is_not_sent(world, rule):
    rule.recipient_people.set([world.user(Role.MANAGER)])
    client = api(world, Role.LEADER)
    response = patch(client, f"{RULES}{rule.pk}/", {"threshold": "5", "severity": "critical"})
    assert response.status_code == 200, response.content
    rule.refresh_from_db()
    assert rule.threshold == 5
    assert rule.severity == "critical"
    assert rule.name == "Overdue milestones"
    assert list(rule.recipient_people.all()) == [world.user(Role.MANAGER)]
    assert response.json()["recipient_people"] == [world.user(Role.MANAGER).pk]


def test_a_bad_change_answers_400_and_changes_nothing(world, rule):
    client = api(world, Role.ADMIN)
    error = error_of(patch(client, f"{RULES}{rule.pk}/", {"threshold": "-2", "channels": []}), 400)
    assert {"threshold", "channels"} <= set(error["fields"])
    rule.refresh_from_db()
    assert rule.threshold == 3
    assert rule.channels == ["in_app"]


def test_deleting_a_rule(world, rule, alert):
    response = api(world, Role.ADMIN).delete(f"{RULES}{rule.pk}/")
    assert response.status_code == 204
    assert not AlertRule.objects.exists()
    assert not Alert.objects.exists()


def test_a_rule_from_a_template(world):
    client = api(world, Role.ADMIN)
    response = post(client, f"{RULES}from-template/", {"template": "milestones_overdue_above_3"})
    assert response.status_code == 201, response.content
    assert response.json()["subject"] == "milestones_overdue"
    error = error_of(post(client, f"{RULES}from-template/", {"template": "nope"}), 400)
    assert "template" in error["fields"]
    assert AlertRule.objects.count() == 1


# --- alerts ----------------------------------------------------------------------------------


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_alerts_are_narrowed_to_what_the_caller_may_see(world, rule, alert):
    other_team = TeamFactory(org=world.org)
    elsewhere = team_alert(world, rule, team=other_team, subject_key=f"team:{other_team.pk}")
    AlertFactory(rule=AlertRuleFactory(org=world.other_org))
    assert ids(api(world, Role.ADMIN).get(ALERTS)) == {alert.pk, elsewhere.pk}
    assert ids(api(world, Role.MANAGER).get(ALERTS)) == {alert.pk}
    assert ids(api(world, Role.REP).get(ALERTS)) == {alert.pk}
    assert ids(api(world, Role.MEMBER).get(ALERTS)) == set()
    error_of(api(world, Role.MEMBER).get(f"{ALERTS}{alert.pk}/"), 404)


def test_alert_filters(world, rule, alert):
    other_rule = AlertRuleFactory(org=world.org, severity="critical")
    critical = AlertFactory(rule=other_rule)
    resolved = team_alert(world, rule, weeks_ago=1, state=AlertState.RESOLVED)
    client = api(world, Role.ADMIN)
    assert ids(client.get(ALERTS)) == {alert.pk, critical.pk, resolved.pk}
    assert ids(client.get(ALERTS, {"state": "active"})) == {alert.pk, critical.pk}
    assert ids(client.get(ALERTS, {"state": "resolved"})) == {resolved.pk}
    assert ids(client.get(ALERTS, {"severity": "critical"})) == {critical.pk}
    assert ids(client.get(ALERTS, {"team": world.team.pk})) == {alert.pk, resolved.pk}
    assert ids(client.get(ALERTS, {"rule": other_rule.pk})) == {critical.pk}
    error = error_of(client.get(ALERTS, {"state": "bogus", "team": "x"}), 400)
    assert {"state", "team"} <= set(error["fields"])


def test_alert_list_takes_the_same_number_of_queries_for_3_and_30_alerts(world, rule):
    client = api(world, Role.MANAGER)

    def queries(count: int) -> int:
        Alert.objects.all().delete()
        for n in range(count):
            team_alert(world, rule, weeks_ago=n)
        client.get(ALERTS)  # the token's first use of the test is recorded once
        with CaptureQueriesContext(connection) as context:
            assert len(ids(client.get(ALERTS))) == count
        return len(context.captured_queries)

    assert queries(3) == queries(30)


def test_an_alert_with_its_data(world, alert):
    data = api(world, Role.REP).get(f"{ALERTS}{alert.pk}/").json()
    assert data["state"] == "open"
    assert data["rule_name"] == "Overdue milestones"
    assert data["team"] == world.team.pk
    assert data["period_start"] == "2025-03-03"
    assert data["period_end"] == "2025-03-09"
    assert data["unit"] == "count"
    assert data["action"] == "Investigate"
    assert data["data"]["series"][0]["value"] == 5
    assert data["data"]["explanation"] == "5 milestones are overdue."


def test_an_alert_without_data_still_has_its_documented_keys(world, rule):
    bare = team_alert(world, rule, weeks_ago=2, data={})
    data = api(world, Role.ADMIN).get(f"{ALERTS}{bare.pk}/").json()["data"]
    assert data == {"unit": "", "series": [], "rows": [], "explanation": ""}


def test_acknowledging_and_resolving(world, alert):
    client = api(world, Role.MANAGER)
    response = post(client, f"{ALERTS}{alert.pk}/acknowledge/")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "acknowledged"
    assert response.json()["acknowledged_by"] == world.user(Role.MANAGER).pk
    error = error_of(post(client, f"{ALERTS}{alert.pk}/acknowledge/"), 400)
    assert error["code"] == "validation_error"
    response = post(client, f"{ALERTS}{alert.pk}/resolve/", {"note": "Plans re-dated."})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "resolved"
    assert response.json()["resolution_note"] == "Plans re-dated."
    error_of(post(client, f"{ALERTS}{alert.pk}/resolve/", {"note": "Again."}), 400)
    alert.refresh_from_db()
    assert alert.resolution_note == "Plans re-dated."


@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": "   "}])
def test_resolving_without_a_note_answers_400_and_changes_nothing(world, alert, body):
    error = error_of(post(api(world, Role.ADMIN), f"{ALERTS}{alert.pk}/resolve/", body), 400)
    assert "note" in error["fields"]
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_handling_is_refused_to_those_the_policy_refuses(world, alert):
    rep = api(world, Role.REP)  # sees the alert about their team, is not named by the rule
    error_of(post(rep, f"{ALERTS}{alert.pk}/acknowledge/"), 403)
    error_of(post(rep, f"{ALERTS}{alert.pk}/resolve/", {"note": "x"}), 403)
    member = api(world, Role.MEMBER)  # does not see it at all
    error_of(post(member, f"{ALERTS}{alert.pk}/acknowledge/"), 404)
    outsider = api(world, "outsider")
    error_of(outsider.get(f"{ALERTS}{alert.pk}/"), 404)
    error_of(post(outsider, f"{ALERTS}{alert.pk}/acknowledge/"), 404)
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


# --- rollups ---------------------------------------------------------------------------------


@pytest.fixture
def conversion(world):
    """A ratio KPI in percent, with rollups for two teams, their team totals and the org."""
    won = KpiFactory(org=world.org, name="Deals won")
    leads = KpiFactory(org=world.org, name="Qualified leads")
    kpi = KpiFactory(
        org=world.org,
        name="Conversion",
        unit="percent",
        aggregation="ratio",
        numerator=won,
        denominator=leads,
    )
    west = TeamFactory(org=world.org, name="West Sales")
    rep, other = world.user(Role.REP), world.user(Role.MEMBER)
    march = date(2025, 3, 1)

    def row(level, team, owner, numerator, denominator, start=march):
        return KpiRollup.objects.create(
            org=world.org,
            kpi=kpi,
            level=level,
            team=team,
            owner=owner,
            team_key=team.pk if team else 0,
            owner_key=owner.pk if owner else 0,
            period_kind="month",
            period_start=start,
            numerator=Decimal(numerator),
            denominator=Decimal(denominator),
            count=2,
        )

    row("detail", world.team, rep, 3, 10)
    row("detail", west, other, 9, 30)
    row("team", world.team, None, 3, 10)
    row("team", west, None, 9, 30)
    row("org", None, None, 12, 40)
    row("org", None, None, 1, 4, start=date(2025, 2, 1))
    return kpi, west


def test_rollup_values_of_a_ratio_kpi(world, conversion):
    kpi, _west = conversion
    body = api(world, Role.ADMIN).get(ROLLUPS, {"kpi": kpi.pk}).json()
    assert body["count"] == 2
    february, march = body["results"]
    assert march["period_start"] == "2025-03-01"
    assert march["period_end"] == "2025-03-31"
    assert march["level"] == "org"
    assert march["value"] == pytest.approx(30.0)  # Σ12 ÷ Σ40 × 100, not the mean of 30% and 30%
    assert march["numerator"] == "12.0000"
    assert march["denominator"] == "40.0000"
    assert february["value"] == pytest.approx(25.0)
    only_march = api(world, Role.ADMIN).get(ROLLUPS, {"kpi": kpi.pk, "from": "2025-03-01"})
    assert [r["period_start"] for r in only_march.json()["results"]] == ["2025-03-01"]


def test_rollup_breakdown_for_admins_and_managers(world, conversion):
    kpi, west = conversion
    admin = api(world, Role.ADMIN).get(ROLLUPS, {"kpi": kpi.pk, "level": "team"}).json()
    assert {r["team"] for r in admin["results"]} == {world.team.pk, west.pk}
    manager = api(world, Role.MANAGER)
    teams = manager.get(ROLLUPS, {"kpi": kpi.pk, "level": "team"}).json()["results"]
    assert [(r["team"], r["value"]) for r in teams] == [(world.team.pk, pytest.approx(30.0))]
    detail = manager.get(ROLLUPS, {"kpi": kpi.pk, "level": "detail"}).json()["results"]
    assert [r["owner"] for r in detail] == [world.user(Role.REP).pk]
    assert detail[0]["team_name"] == "East Sales"
    other = manager.get(ROLLUPS, {"kpi": kpi.pk, "level": "team", "team": west.pk}).json()
    assert other["results"] == []


def test_reps_and_members_get_org_totals_and_their_own_rows(world, conversion):
    kpi, _west = conversion
    rep = api(world, Role.REP)
    assert rep.get(ROLLUPS, {"kpi": kpi.pk}).json()["count"] == 2
    own = rep.get(ROLLUPS, {"kpi": kpi.pk, "level": "detail"}).json()["results"]
    assert [r["owner"] for r in own] == [world.user(Role.REP).pk]
    error_of(rep.get(ROLLUPS, {"kpi": kpi.pk, "level": "team"}), 403)
    other_owner = world.user(Role.MEMBER).pk
    error_of(rep.get(ROLLUPS, {"kpi": kpi.pk, "level": "detail", "owner": other_owner}), 403)
    member = api(world, Role.MEMBER)
    mine = member.get(ROLLUPS, {"kpi": kpi.pk, "level": "detail"}).json()["results"]
    assert [r["owner"] for r in mine] == [other_owner]


def test_rollup_parameters_are_validated(world, conversion):
    kpi, _west = conversion
    client = api(world, Role.ADMIN)
    assert "kpi" in error_of(client.get(ROLLUPS), 400)["fields"]
    error = error_of(client.get(ROLLUPS, {"kpi": kpi.pk, "level": "galaxy"}), 400)
    assert "level" in error["fields"]
    error = error_of(
        client.get(ROLLUPS, {"kpi": kpi.pk, "from": "2025-04-01", "to": "2025-03-01"}), 400
    )
    assert "to" in error["fields"]
    assert "from" in error_of(client.get(ROLLUPS, {"kpi": kpi.pk, "from": "soon"}), 400)["fields"]
    foreign = KpiFactory(org=world.other_org)
    error_of(client.get(ROLLUPS, {"kpi": foreign.pk}), 404)
    error_of(api(world, "outsider").get(ROLLUPS, {"kpi": kpi.pk}), 404)


def test_rollups_take_the_same_number_of_queries_for_3_and_30_rows(world, conversion):
    kpi, _west = conversion
    client = api(world, Role.MANAGER)

    def queries(count: int) -> int:
        KpiRollup.objects.filter(level="detail").delete()
        for n in range(count):
            KpiRollup.objects.create(
                org=world.org,
                kpi=kpi,
                level="detail",
                team=world.team,
                owner=world.user(Role.REP),
                team_key=world.team.pk,
                owner_key=world.user(Role.REP).pk,
                period_kind="week",
                period_start=date(2024, 1, 1) + timedelta(weeks=n),
                numerator=Decimal(1),
                denominator=Decimal(2),
            )
        params = {"kpi": kpi.pk, "level": "detail", "period_kind": "week"}
        client.get(ROLLUPS, params)  # the token's first use of the test is recorded once
        with CaptureQueriesContext(connection) as context:
            response = client.get(ROLLUPS, params)
        assert response.json()["count"] == count
        return len(context.captured_queries)

    assert queries(3) == queries(30)
