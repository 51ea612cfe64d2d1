"""Goal pages: create with the live SMART check, activate, edit with reasons, lists, visibility."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from goals.models import Goal, GoalLevel, GoalStatus, Kpi
from goals.services import kpis as kpi_services
from salesops.models import Role

from ..factories import GoalFactory, KpiFactory, MeasurementFactory, TeamFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
NAVBAR = '<nav class="navbar'


def url(name: str, **kwargs: object) -> str:
    return reverse(f"goals:{name}", kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def this_month():
    return timezone.localdate().replace(day=1)


@pytest.fixture
def builtin(world) -> dict[str, Kpi]:
    kpi_services.kpis_ensure_builtin(org=world.org)
    return {kpi.key: kpi for kpi in Kpi.objects.for_org(world.org).exclude(key="")}


def goal_data(kpi: Kpi, **overrides: object) -> dict[str, object]:
    start = this_month()
    data = {
        "title": "Win 30 mid-market deals in East China",
        "statement": "Close 30 mid-market deals through the direct channel.",
        "scope_channel": "Direct",
        "scope_product": "",
        "scope_segment": "Mid-market",
        "kpi": kpi.pk,
        "baseline": "20",
        "target": "30",
        "start_date": start.isoformat(),
        "due_date": (start + timedelta(days=89)).isoformat(),
        "level": GoalLevel.TEAM,
        "team": "",
        "owner": "",
        "parent": "",
        "weight": "1",
        "contribution": "",
    }
    data.update(overrides)
    return data


def edit_data(goal: Goal, **overrides: object) -> dict[str, object]:
    data = {
        "title": goal.title,
        "statement": goal.statement,
        "scope_channel": goal.scope_channel,
        "scope_product": goal.scope_product,
        "scope_segment": goal.scope_segment,
        "kpi": goal.kpi_id,
        "baseline": "" if goal.baseline is None else str(goal.baseline),
        "target": str(goal.target),
        "start_date": goal.start_date.isoformat(),
        "due_date": goal.due_date.isoformat(),
        "level": goal.level,
        "team": goal.team_id or "",
        "owner": goal.owner_id,
        "parent": goal.parent_id or "",
        "weight": str(goal.weight),
        "contribution": goal.contribution,
        "reason": "",
    }
    data.update(overrides)
    return data


def team_goal(world, **fields: object) -> Goal:
    manager = world.user(Role.MANAGER)
    defaults = {"org": world.org, "team": world.team, "owner": manager, "created_by": manager}
    defaults.update(fields)
    return GoalFactory(**defaults)


def criterion(content: str, key: str) -> str:
    match = re.search(rf'data-criterion="{key}" data-level="(\w+)"', content)
    assert match, f"no {key} criterion in the report"
    return match[1]


# --- create -------------------------------------------------------------------------------


def test_manager_creates_a_draft_goal_for_their_team(world, clients, builtin):
    response = clients[Role.MANAGER].post(
        url("goal_create"), goal_data(builtin["deals_won"], team=world.team.pk)
    )

    goal = Goal.objects.get(org=world.org)
    assert response.status_code == 302
    assert response["Location"] == url("goal_detail", pk=goal.pk)
    assert goal.status == GoalStatus.DRAFT
    assert goal.team == world.team
    assert goal.owner == world.user(Role.MANAGER)  # no owner chosen: the author
    assert goal.created_by == world.user(Role.MANAGER)
    assert goal.history.first().history_change_reason == "created"


def test_manager_may_not_create_a_company_goal(world, clients, builtin):
    response = clients[Role.MANAGER].post(
        url("goal_create"), goal_data(builtin["revenue"], level=GoalLevel.COMPANY)
    )

    assert response.status_code == 403
    assert not Goal.objects.exists()


def test_leader_creates_a_company_goal(world, clients, builtin):
    response = clients[Role.LEADER].post(
        url("goal_create"), goal_data(builtin["revenue"], level=GoalLevel.COMPANY)
    )

    assert response.status_code == 302
    goal = Goal.objects.get(org=world.org)
    assert goal.level == GoalLevel.COMPANY
    assert goal.team is None


def test_company_level_is_offered_only_to_those_who_may_create_it(world, clients, builtin):
    manager_levels = clients[Role.MANAGER].get(url("goal_create")).context["form"]["level"]
    leader_levels = clients[Role.LEADER].get(url("goal_create")).context["form"]["level"]

    assert GoalLevel.COMPANY not in [value for value, _label in manager_levels.field.choices]
    assert GoalLevel.COMPANY in [value for value, _label in leader_levels.field.choices]


@pytest.mark.parametrize("role", [Role.REP, Role.MEMBER])
def test_reps_and_members_may_not_create_goals(world, clients, builtin, role):
    assert clients[role].get(url("goal_create")).status_code == 403
    response = clients[role].post(
        url("goal_create"), goal_data(builtin["deals_won"], team=world.team.pk)
    )

    assert response.status_code == 403
    assert not Goal.objects.exists()


def test_goal_without_target_or_dates_is_not_saved(world, clients, builtin):
    response = clients[Role.MANAGER].post(
        url("goal_create"),
        goal_data(builtin["deals_won"], team=world.team.pk, target="", start_date="", due_date=""),
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"target", "start_date", "due_date"} <= set(errors)
    assert not Goal.objects.exists()


def test_goal_with_due_date_before_start_is_not_saved(world, clients, builtin):
    start = this_month()
    response = clients[Role.MANAGER].post(
        url("goal_create"),
        goal_data(
            builtin["deals_won"],
            team=world.team.pk,
            start_date=start.isoformat(),
            due_date=(start - timedelta(days=1)).isoformat(),
        ),
    )

    assert response.status_code == 400
    assert not Goal.objects.exists()


def test_team_goal_without_a_team_is_not_saved(world, clients, builtin):
    response = clients[Role.MANAGER].post(url("goal_create"), goal_data(builtin["deals_won"]))

    assert response.status_code == 400
    assert "team" in response.context["form"].errors
    assert not Goal.objects.exists()


def test_goal_with_a_kpi_of_another_org_is_not_saved(world, clients):
    foreign = KpiFactory(org=world.other_org)

    response = clients[Role.MANAGER].post(
        url("goal_create"), goal_data(foreign, team=world.team.pk)
    )

    assert response.status_code == 400
    assert "kpi" in response.context["form"].errors
    assert not Goal.objects.exists()


def test_new_goal_page_shows_the_smart_report(world, clients, builtin):
    response = clients[Role.MANAGER].get(url("goal_create"))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="smart-report"' in content
    assert criterion(content, "specific") == "fail"  # nothing chosen yet


# --- the live SMART check ---------------------------------------------------------------------


def smart_check(client, data: dict[str, object]):
    response = client.post(url("smart_check"), data, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_smart_check_returns_only_the_report_fragment(world, clients, builtin):
    content = smart_check(clients[Role.MANAGER], goal_data(builtin["deals_won"]))

    assert NAVBAR not in content
    assert "<html" not in content
    assert 'id="smart-report"' in content
    for key in ("specific", "measurable", "achievable", "relevant", "time_bound"):
        assert f'data-criterion="{key}"' in content


def test_smart_check_levels_change_as_the_goal_is_fixed(world, clients, builtin):
    client = clients[Role.MANAGER]
    vague = goal_data(
        builtin["revenue"],
        title="提升销售额",
        statement="",
        scope_channel="",
        scope_segment="",
        team=world.team.pk,
    )

    assert criterion(smart_check(client, vague), "specific") != "pass"

    scoped = {**vague, "scope_channel": "线上商城"}
    assert criterion(smart_check(client, scoped), "specific") == "warn"  # still vague wording

    fixed = {**scoped, "title": "线上商城销售额从 500 万提升到 600 万"}
    assert criterion(smart_check(client, fixed), "specific") == "pass"


def test_smart_check_fails_time_bound_without_dates_and_passes_with_them(world, clients, builtin):
    client = clients[Role.MANAGER]
    data = goal_data(builtin["deals_won"], team=world.team.pk)

    assert criterion(smart_check(client, {**data, "due_date": ""}), "time_bound") == "fail"
    assert criterion(smart_check(client, data), "time_bound") == "pass"


def test_smart_check_measurable_fails_for_a_percentage_over_100(world, clients, builtin):
    data = goal_data(builtin["renewal_rate"], team=world.team.pk, baseline="80", target="150")

    assert criterion(smart_check(clients[Role.MANAGER], data), "measurable") == "fail"


@pytest.mark.parametrize("role", [Role.REP, Role.MEMBER])
def test_smart_check_is_for_goal_authors_only(world, clients, builtin, role):
    response = clients[role].post(url("smart_check"), goal_data(builtin["deals_won"]), **HTMX)

    assert response.status_code == 403


def test_smart_check_accepts_only_post(world, clients):
    assert clients[Role.MANAGER].get(url("smart_check")).status_code == 405


# --- activate -----------------------------------------------------------------------------------


def test_activation_is_blocked_while_measurable_fails(world, clients, builtin):
    goal = team_goal(world, kpi=builtin["renewal_rate"], baseline=80, target=150)

    response = clients[Role.MANAGER].post(url("goal_activate", pk=goal.pk), {"reason": "Go"})

    assert response.status_code == 302
    assert any(m.startswith("Fix these first") for m in messages_of(response))
    goal.refresh_from_db()
    assert goal.status == GoalStatus.DRAFT
    assert goal.activation_reason == ""


def test_activation_is_blocked_while_time_bound_fails(world, clients, builtin):
    start = this_month()
    goal = team_goal(
        world, kpi=builtin["deals_won"], start_date=start, due_date=start + timedelta(days=5 * 365)
    )

    response = clients[Role.MANAGER].post(url("goal_activate", pk=goal.pk), {"reason": "Go"})

    assert any("planning horizon" in m for m in messages_of(response))
    goal.refresh_from_db()
    assert goal.status == GoalStatus.DRAFT


def test_activation_over_a_relevant_failure_needs_a_reason(world, clients, builtin):
    goal = team_goal(world, kpi=builtin["deals_won"], parent=None)  # a team goal with no parent

    response = clients[Role.MANAGER].post(url("goal_activate", pk=goal.pk), {"reason": "  "})

    assert response.status_code == 302
    assert any("Write why this goal should start anyway" in m for m in messages_of(response))
    goal.refresh_from_db()
    assert goal.status == GoalStatus.DRAFT


def test_activation_with_a_reason_keeps_the_reason(world, clients, builtin):
    goal = team_goal(world, kpi=builtin["deals_won"], parent=None)

    response = clients[Role.MANAGER].post(
        url("goal_activate", pk=goal.pk), {"reason": "Pilot for the new region"}
    )

    assert "Goal activated." in messages_of(response)
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE
    assert goal.activation_reason == "Pilot for the new region"
    assert goal.history.first().history_change_reason == "Pilot for the new region"
    page = clients[Role.MANAGER].get(url("goal_detail", pk=goal.pk)).content.decode()
    assert "Pilot for the new region" in page


def test_activation_of_a_sound_goal_needs_no_reason(world, clients, builtin):
    parent = GoalFactory(
        org=world.org,
        kpi=builtin["deals_won"],
        level=GoalLevel.COMPANY,
        team=None,
        owner=world.user(Role.LEADER),
        status=GoalStatus.ACTIVE,
    )
    goal = team_goal(world, kpi=builtin["deals_won"], parent=parent)

    clients[Role.MANAGER].post(url("goal_activate", pk=goal.pk), {"reason": ""})

    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE
    assert goal.activation_reason == ""
    assert goal.history.first().history_change_reason == "activated"


def test_only_a_draft_goal_can_be_activated(world, clients, builtin):
    goal = team_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACHIEVED)

    response = clients[Role.MANAGER].post(url("goal_activate", pk=goal.pk), {"reason": "Again"})

    assert "Only a draft goal can be activated." in messages_of(response)
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACHIEVED


@pytest.mark.parametrize("role", [Role.REP, Role.MEMBER])
def test_people_who_cannot_edit_the_goal_cannot_activate_it(world, clients, builtin, role):
    goal = team_goal(world, kpi=builtin["deals_won"])

    response = clients[role].post(url("goal_activate", pk=goal.pk), {"reason": "Go"})

    assert response.status_code in (403, 404)  # the member does not even see the team's goal
    goal.refresh_from_db()
    assert goal.status == GoalStatus.DRAFT


def test_manager_cannot_activate_another_teams_goal(world, clients, builtin):
    west = TeamFactory(org=world.org, name="West Sales")
    goal = team_goal(world, kpi=builtin["deals_won"], team=west, owner=world.user(Role.LEADER))

    response = clients[Role.MANAGER].post(url("goal_activate", pk=goal.pk), {"reason": "Go"})

    assert response.status_code == 404
    goal.refresh_from_db()
    assert goal.status == GoalStatus.DRAFT


# --- close ----------------------------------------------------------------------------------------


def test_manager_closes_an_active_goal_as_achieved(world, clients, builtin):
    goal = team_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE)

    response = clients[Role.MANAGER].post(
        url("goal_close", pk=goal.pk), {"status": "achieved", "reason": "Hit it early"}
    )

    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACHIEVED
    assert goal.history.first().history_change_reason == "Hit it early"


def test_closing_with_an_unknown_status_changes_nothing(world, clients, builtin):
    goal = team_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE)

    response = clients[Role.MANAGER].post(url("goal_close", pk=goal.pk), {"status": "active"})

    assert "Choose achieved, missed or cancelled." in messages_of(response)
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE


# --- edit ------------------------------------------------------------------------------------------


def test_changing_an_active_goals_target_without_a_reason_is_refused(world, clients, builtin):
    goal = team_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE, target=120)

    response = clients[Role.MANAGER].post(
        url("goal_edit", pk=goal.pk), edit_data(goal, target="150", reason="")
    )

    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    goal.refresh_from_db()
    assert goal.target == 120


def test_changing_an_active_goals_target_with_a_reason_is_kept_in_its_history(
    world, clients, builtin
):
    goal = team_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE, target=120)

    response = clients[Role.MANAGER].post(
        url("goal_edit", pk=goal.pk), edit_data(goal, target="150", reason="New product line")
    )

    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.target == 150
    page = clients[Role.MANAGER].get(url("goal_detail", pk=goal.pk)).content.decode()
    assert re.search(r"target: 120(\.0+)? → 150", page)
    assert "(New product line)" in page


def test_a_draft_goal_changes_without_a_reason(world, clients, builtin):
    goal = team_goal(world, kpi=builtin["deals_won"], target=120)

    response = clients[Role.MANAGER].post(
        url("goal_edit", pk=goal.pk), edit_data(goal, target="130")
    )

    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.target == 130


def test_an_active_goals_title_changes_without_a_reason(world, clients, builtin):
    goal = team_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE)

    response = clients[Role.MANAGER].post(
        url("goal_edit", pk=goal.pk), edit_data(goal, title="Win 12 more deals")
    )

    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.title == "Win 12 more deals"


def test_a_closed_goal_cannot_be_edited(world, clients, builtin):
    goal = team_goal(world, kpi=builtin["deals_won"], status=GoalStatus.MISSED, target=120)

    response = clients[Role.MANAGER].post(
        url("goal_edit", pk=goal.pk), edit_data(goal, target="90", reason="Too late")
    )

    assert response.status_code == 400
    goal.refresh_from_db()
    assert goal.target == 120


def test_a_goal_cannot_become_its_own_parent(world, clients, builtin):
    goal = team_goal(world, kpi=builtin["deals_won"])
    child = team_goal(world, kpi=builtin["deals_won"], parent=goal)

    response = clients[Role.MANAGER].post(
        url("goal_edit", pk=goal.pk), edit_data(goal, parent=child.pk)
    )

    assert response.status_code == 400
    assert "parent" in response.context["form"].errors
    goal.refresh_from_db()
    assert goal.parent is None


@pytest.mark.parametrize("role", [Role.REP, Role.MEMBER])
def test_people_who_cannot_edit_a_goal_get_403_on_its_edit_page(world, clients, builtin, role):
    goal = GoalFactory(
        org=world.org,
        kpi=builtin["deals_won"],
        level=GoalLevel.COMPANY,
        team=None,
        owner=world.user(Role.LEADER),
    )

    assert clients[role].get(url("goal_edit", pk=goal.pk)).status_code == 403
    response = clients[role].post(url("goal_edit", pk=goal.pk), edit_data(goal, title="Mine"))

    assert response.status_code == 403
    goal.refresh_from_db()
    assert goal.title != "Mine"


def test_manager_may_not_turn_a_team_goal_into_a_company_goal(world, clients, builtin):
    goal = team_goal(world, kpi=builtin["deals_won"])

    response = clients[Role.MANAGER].post(
        url("goal_edit", pk=goal.pk), edit_data(goal, level=GoalLevel.COMPANY, team="")
    )

    assert response.status_code == 403
    goal.refresh_from_db()
    assert (goal.level, goal.team) == (GoalLevel.TEAM, world.team)


def test_manager_may_not_edit_a_company_goal(world, clients, builtin):
    goal = GoalFactory(
        org=world.org,
        kpi=builtin["deals_won"],
        level=GoalLevel.COMPANY,
        team=None,
        owner=world.user(Role.LEADER),
    )

    response = clients[Role.MANAGER].post(
        url("goal_edit", pk=goal.pk), edit_data(goal, title="Mine")
    )

    assert response.status_code == 403
    goal.refresh_from_db()
    assert goal.title != "Mine"


# --- list, filters, my goals -----------------------------------------------------------------------


@pytest.fixture
def catalogue(world, builtin):
    """Goals that differ in one way each, to check the filters one at a time."""
    west = TeamFactory(org=world.org, name="West Sales")
    manager, rep, leader = world.user(Role.MANAGER), world.user(Role.REP), world.user(Role.LEADER)
    goals = {
        "company": GoalFactory(
            org=world.org,
            title="Company revenue",
            kpi=builtin["revenue"],
            level=GoalLevel.COMPANY,
            team=None,
            owner=leader,
            status=GoalStatus.ACTIVE,
        ),
        "east": GoalFactory(
            org=world.org,
            title="East deals",
            kpi=builtin["deals_won"],
            team=world.team,
            owner=manager,
        ),
        "west": GoalFactory(
            org=world.org,
            title="West leads",
            statement="Generate leads from trade fairs.",
            kpi=builtin["new_leads"],
            team=west,
            owner=leader,
            status=GoalStatus.ACTIVE,
        ),
        "rep": GoalFactory(
            org=world.org,
            title="Rep calls",
            kpi=builtin["deals_won"],
            level=GoalLevel.INDIVIDUAL,
            team=world.team,
            owner=rep,
        ),
    }
    goals["west_team"] = west
    return goals


def listed(response) -> set[str]:
    assert response.status_code == 200
    return {goal.title for goal in response.context["page"].object_list}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"Company revenue", "East deals", "West leads", "Rep calls"}),
        ({"level": "company"}, {"Company revenue"}),
        ({"level": "individual"}, {"Rep calls"}),
        ({"status": "active"}, {"Company revenue", "West leads"}),
        ({"q": "trade fair"}, {"West leads"}),
        ({"q": "east"}, {"East deals"}),
    ],
)
def test_goal_list_filters(world, clients, catalogue, params, expected):
    assert listed(clients[Role.LEADER].get(url("goal_list"), params)) == expected


def test_goal_list_filters_by_team_kpi_and_owner(world, clients, catalogue, builtin):
    client = clients[Role.LEADER]

    assert listed(client.get(url("goal_list"), {"team": world.team.pk})) == {
        "East deals",
        "Rep calls",
    }
    assert listed(client.get(url("goal_list"), {"kpi": builtin["deals_won"].pk})) == {
        "East deals",
        "Rep calls",
    }
    assert listed(client.get(url("goal_list"), {"owner": world.user(Role.REP).pk})) == {"Rep calls"}
    assert listed(client.get(url("goal_list"), {"team": world.team.pk, "level": "team"})) == {
        "East deals"
    }


def test_goal_list_htmx_request_gets_only_the_table(world, clients, catalogue):
    response = clients[Role.LEADER].get(url("goal_list"), {"level": "company"}, **HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="goal-table">')
    assert NAVBAR not in content
    assert "Company revenue" in content
    assert "East deals" not in content


def test_goal_list_full_page_has_navigation_and_filters(world, clients, catalogue):
    content = clients[Role.LEADER].get(url("goal_list")).content.decode()

    assert NAVBAR in content
    assert 'data-testid="goal-filters"' in content
    assert 'id="goal-table"' in content


def test_my_goals_lists_only_the_users_own_goals(world, clients, catalogue):
    assert listed(clients[Role.REP].get(url("my_goals"))) == {"Rep calls"}
    assert listed(clients[Role.MANAGER].get(url("my_goals"))) == {"East deals"}
    assert listed(clients[Role.MEMBER].get(url("my_goals"))) == set()


# --- visibility ----------------------------------------------------------------------------------


def test_rep_sees_company_goals_their_teams_goals_and_their_own(world, clients, catalogue):
    own_elsewhere = GoalFactory(
        org=world.org,
        title="Rep in the west",
        kpi=catalogue["rep"].kpi,
        level=GoalLevel.INDIVIDUAL,
        team=catalogue["west_team"],
        owner=world.user(Role.REP),
    )

    assert listed(clients[Role.REP].get(url("goal_list"))) == {
        "Company revenue",
        "East deals",
        "Rep calls",
        own_elsewhere.title,
    }


def test_rep_gets_404_on_another_teams_goal(world, clients, catalogue):
    west = catalogue["west"]

    assert clients[Role.REP].get(url("goal_detail", pk=west.pk)).status_code == 404
    assert clients[Role.REP].get(url("goal_detail", pk=catalogue["east"].pk)).status_code == 200
    assert clients[Role.REP].get(url("goal_detail", pk=catalogue["company"].pk)).status_code == 200


def test_member_without_a_team_sees_only_company_goals(world, clients, catalogue):
    assert listed(clients[Role.MEMBER].get(url("goal_list"))) == {"Company revenue"}


@pytest.mark.parametrize("role", [Role.LEADER, Role.ADMIN])
def test_leaders_and_admins_see_every_goal(world, clients, catalogue, role):
    assert len(listed(clients[role].get(url("goal_list")))) == 4
    assert clients[role].get(url("goal_detail", pk=catalogue["west"].pk)).status_code == 200


def test_goal_of_another_org_is_not_found(world, clients):
    foreign = GoalFactory(org=world.other_org, team=world.other_team, owner=world.outsider.user)

    assert clients[Role.ADMIN].get(url("goal_detail", pk=foreign.pk)).status_code == 404
    assert clients[Role.ADMIN].get(url("goal_edit", pk=foreign.pk)).status_code == 404
    assert clients[Role.ADMIN].post(url("goal_activate", pk=foreign.pk)).status_code == 404
    assert (
        clients[Role.ADMIN]
        .post(url("goal_close", pk=foreign.pk), {"status": "cancelled"})
        .status_code
        == 404
    )
    foreign.refresh_from_db()
    assert foreign.status == GoalStatus.DRAFT


def test_goal_pages_of_acme_are_not_found_for_an_outsider(world, clients, catalogue):
    assert clients["outsider"].get(url("goal_list")).status_code == 404
    assert clients["outsider"].get(url("goal_detail", pk=catalogue["east"].pk)).status_code == 404


# --- tree ----------------------------------------------------------------------------------------


def test_goal_tree_lists_parents_before_children_with_a_weighted_rollup(world, clients, builtin):
    start = this_month()
    company = GoalFactory(
        org=world.org,
        title="Company deals",
        kpi=builtin["deals_won"],
        level=GoalLevel.COMPANY,
        team=None,
        owner=world.user(Role.LEADER),
        status=GoalStatus.ACTIVE,
    )
    calls, visits = (
        KpiFactory(org=world.org, name="Calls"),
        KpiFactory(org=world.org, name="Visits"),
    )
    half = team_goal(world, title="Half way", kpi=calls, parent=company, target=100, weight=1)
    team_goal(world, title="All done", kpi=visits, parent=company, target=100, weight=2)
    MeasurementFactory(org=world.org, kpi=calls, team=world.team, period_start=start, value=50)
    MeasurementFactory(org=world.org, kpi=visits, team=world.team, period_start=start, value=100)
    leaf = GoalFactory(
        org=world.org,
        title="Rep part",
        kpi=calls,
        level=GoalLevel.INDIVIDUAL,
        team=world.team,
        owner=world.user(Role.REP),
        parent=half,
    )

    response = clients[Role.LEADER].get(url("goal_tree"))

    assert response.status_code == 200
    tree = [(node.goal.title, node.depth) for node in response.context["tree"]]
    assert tree == [("Company deals", 0), ("All done", 1), ("Half way", 1), ("Rep part", 2)]
    content = response.content.decode()
    assert content.index("Company deals") < content.index("Half way") < content.index(leaf.title)
    # (50% × 1 + 100% × 2) ÷ 3 = 83%
    assert "Sub-goals, weighted: 83%" in content
    assert [node.rollup_percent for node in response.context["tree"]] == [83, None, None, None]


def test_goal_tree_leaves_out_cancelled_goals_and_other_teams_for_a_rep(world, clients, catalogue):
    GoalFactory(
        org=world.org,
        title="Cancelled plan",
        kpi=catalogue["east"].kpi,
        team=world.team,
        owner=world.user(Role.MANAGER),
        status=GoalStatus.CANCELLED,
    )

    titles = {node.goal.title for node in clients[Role.REP].get(url("goal_tree")).context["tree"]}

    assert titles == {"Company revenue", "East deals", "Rep calls"}


# --- query counts ----------------------------------------------------------------------------------

# The same cap for 3 and for 30 goals: a page that loads something per goal would exceed it.
LIST_MAX_QUERIES = 20
TREE_MAX_QUERIES = 16
DETAIL_MAX_QUERIES = 25


@pytest.fixture
def many_goals(world, builtin, request):
    count = request.param
    start = this_month()
    manager = world.user(Role.MANAGER)
    parent = GoalFactory(
        org=world.org,
        title="Goal 00",
        kpi=builtin["revenue"],
        level=GoalLevel.COMPANY,
        team=None,
        owner=world.user(Role.LEADER),
        status=GoalStatus.ACTIVE,
    )
    teams = [world.team, *(TeamFactory(org=world.org) for _ in range(2))]
    kpis = [builtin["deals_won"], builtin["conversion_rate"], builtin["sales_cycle_days"]]
    goals = [parent]
    for index in range(1, count):
        team, kpi = teams[index % 3], kpis[index % 3]
        goals.append(
            GoalFactory(
                org=world.org,
                title=f"Goal {index:02d}",
                kpi=kpi,
                team=team,
                owner=UserFactory() if index % 2 else manager,
                parent=parent,
                status=GoalStatus.ACTIVE,
            )
        )
    for team in teams:
        for key in ("deals_won", "new_leads", "sales_cycle_days", "revenue"):
            for month in range(3):
                MeasurementFactory(
                    org=world.org,
                    kpi=builtin[key],
                    team=team,
                    period_start=(start - timedelta(days=31 * month)).replace(day=1),
                    value=10 + month,
                )
    for goal in goals[1:]:
        goal.owner.memberships.get_or_create(org=world.org, defaults={"role": Role.REP})
    return goals


@pytest.mark.parametrize("many_goals", [3, 30], indirect=True)
def test_goal_list_query_count_does_not_grow_with_goals(
    world, clients, many_goals, django_assert_max_num_queries
):
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        response = clients[Role.LEADER].get(url("goal_list"))

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(len(many_goals), 25)


@pytest.mark.parametrize("many_goals", [3, 30], indirect=True)
def test_goal_tree_query_count_does_not_grow_with_goals(
    world, clients, many_goals, django_assert_max_num_queries
):
    with django_assert_max_num_queries(TREE_MAX_QUERIES):
        response = clients[Role.LEADER].get(url("goal_tree"))

    assert response.status_code == 200
    assert len(response.context["tree"]) == len(many_goals)


@pytest.mark.parametrize("many_goals", [3, 30], indirect=True)
def test_goal_detail_query_count_does_not_grow_with_sub_goals(
    world, clients, many_goals, django_assert_max_num_queries
):
    parent = many_goals[0]

    with django_assert_max_num_queries(DETAIL_MAX_QUERIES):
        response = clients[Role.LEADER].get(url("goal_detail", pk=parent.pk))

    assert response.status_code == 200
    assert len(response.context["children"]) == len(many_goals) - 1
