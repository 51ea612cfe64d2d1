"""API v1 for action plans: the weekly update behaves exactly like the page, the policy holds,
ids never cross organisations, bad input answers 400 in the one error shape, and lists cost the
same number of queries however many rows they hold."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actionplans import services
from actionplans.models import (
    ActionPlan,
    Blocker,
    BlockerStatus,
    Milestone,
    MilestoneStatus,
    MilestoneUpdate,
    Resource,
    Risk,
    RiskStatus,
)
from salesops.models import Role
from salesops.services import accounts

from ..apiclient import api, error_of, patch, post
from ..factories import (
    ActionPlanFactory,
    GoalFactory,
    KpiFactory,
    MembershipFactory,
    MilestoneFactory,
    RaciActivityFactory,
    RaciAssignmentFactory,
    RaciMatrixFactory,
    RaciParticipantFactory,
    ResourceFactory,
    RiskFactory,
    _monday,
)


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def make_plan(world, **fields: object) -> ActionPlan:
    defaults = {"org": world.org, "owner": world.user(Role.MANAGER), "team": world.team}
    defaults.update(fields)
    return ActionPlanFactory(**defaults)


@pytest.fixture
def plan(world) -> ActionPlan:
    return make_plan(world, title="Premium push")


@pytest.fixture
def steps(world, plan) -> tuple[Milestone, Milestone]:
    """Two milestones of the rep's; the second depends on the first."""
    rep = world.user(Role.REP)
    first = MilestoneFactory(plan=plan, owner=rep, title="Training")
    second = MilestoneFactory(plan=plan, owner=rep, title="Pilot")
    second.depends_on.add(first)
    return first, second


def update_url(milestone: Milestone) -> str:
    return f"/api/v1/milestones/{milestone.pk}/updates/"


# --- the weekly update ------------------------------------------------------------------------


def test_weekly_update_through_the_api_is_the_pages_update(world, clients, plan):
    rep = world.user(Role.REP)
    on_page = MilestoneFactory(plan=plan, owner=rep, title="On the page")
    by_api = MilestoneFactory(plan=plan, owner=rep, title="By the API")
    form = {"progress": 40, "status": "in_progress", "note": "Half the team trained"}

    page = clients[Role.REP].post(
        reverse("actionplans:milestone_update", kwargs={"org_slug": "acme", "pk": on_page.pk}),
        form,
    )
    response = post(api(world, Role.REP), update_url(by_api), form)

    assert page.status_code == 302
    assert response.status_code == 201, response.content
    fields = [
        "author_id",
        "week_start",
        "progress_before",
        "progress_after",
        "status_before",
        "status_after",
        "note",
        "blocker_id",
    ]
    from_page = MilestoneUpdate.objects.filter(milestone=on_page).values(*fields).get()
    from_api = MilestoneUpdate.objects.filter(milestone=by_api).values(*fields).get()
    assert from_api == from_page
    on_page.refresh_from_db()
    by_api.refresh_from_db()
    assert (
        (by_api.progress, by_api.status)
        == (on_page.progress, on_page.status)
        == (40, "in_progress")
    )
    body = response.json()
    assert body["milestone"]["progress"] == 40
    assert body["milestone"]["updated_this_week"] is True
    assert body["update"]["progress_before"] == 0
    assert body["update"]["progress_after"] == 40
    assert body["update"]["author"] == rep.pk
    assert body["blocker"] is None


def test_done_is_refused_while_a_dependency_is_unfinished(world, steps):
    first, second = steps
    client = api(world, Role.REP)

    response = post(client, update_url(second), {"progress": 100, "status": "done"})

    error = error_of(response, 400)
    assert error["code"] == "validation_error"
    assert error["fields"]["status"] == ["It cannot be done before “Training”."]
    assert not MilestoneUpdate.objects.filter(milestone=second).exists()
    second.refresh_from_db()
    assert second.status == MilestoneStatus.NOT_STARTED

    assert post(client, update_url(first), {"progress": 100, "status": "done"}).status_code == 201
    done = post(client, update_url(second), {"progress": 80, "status": "done"})
    assert done.status_code == 201
    assert done.json()["milestone"]["progress"] == 100  # done means 100%


def test_a_blocker_goes_to_the_accountable_person_of_the_raci_activity(world, plan):
    leader = world.members[Role.LEADER]
    matrix = RaciMatrixFactory(org=world.org)
    activity = RaciActivityFactory(matrix=matrix)
    RaciAssignmentFactory(
        activity=activity,
        participant=RaciParticipantFactory(matrix=matrix, membership=leader),
        letters="A",
    )
    milestone = MilestoneFactory(plan=plan, owner=world.user(Role.REP), raci_activity=activity)

    response = post(
        api(world, Role.REP),
        update_url(milestone),
        {"progress": 30, "status": "in_progress", "blocker": "No pilot customers yet"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["milestone"]["status"] == MilestoneStatus.BLOCKED
    assert body["milestone"]["open_blockers"] == 1
    assert body["blocker"]["routed_to"] == leader.user_id
    assert body["blocker"]["routed_to_name"] == leader.user.display_name
    blocker = Blocker.objects.get()
    assert body["update"]["blocker"] == blocker.pk
    assert blocker.description == "No pilot customers yet"
    assert blocker.raised_by == world.user(Role.REP)


def test_update_history_lists_who_changed_what(world, steps):
    first, _second = steps
    client = api(world, Role.REP)
    post(client, update_url(first), {"progress": 20, "status": "in_progress"})
    post(client, update_url(first), {"progress": 60, "status": "in_progress", "note": "On track"})

    response = api(world, Role.LEADER).get(update_url(first))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["progress_before"], r["progress_after"]) for r in rows] == [(20, 60), (0, 20)]
    assert rows[0]["note"] == "On track"
    assert rows[0]["author"] == world.user(Role.REP).pk
    assert rows[1]["status_before"] == MilestoneStatus.NOT_STARTED


@pytest.mark.parametrize(
    "body, field",
    [
        ({"progress": 150, "status": "in_progress"}, "progress"),
        ({"progress": -1, "status": "in_progress"}, "progress"),
        ({"progress": "lots", "status": "in_progress"}, "progress"),
        ({"progress": 10, "status": "finished"}, "status"),
        ({"status": "in_progress"}, "progress"),
        ({"progress": 10, "status": "blocked"}, "blocker"),
    ],
)
def test_bad_updates_answer_400_and_change_nothing(world, steps, body, field):
    first, _second = steps

    error = error_of(post(api(world, Role.REP), update_url(first), body), 400)

    assert field in error["fields"]
    assert not MilestoneUpdate.objects.exists()


def test_dormant_plan_b_milestones_cannot_be_updated(world, plan):
    risk = RiskFactory(plan=plan)
    dormant = MilestoneFactory(
        plan=plan, owner=world.user(Role.REP), contingency_for=risk, is_dormant=True
    )

    error = error_of(
        post(api(world, Role.REP), update_url(dormant), {"progress": 10, "status": "in_progress"}),
        400,
    )

    assert "dormant" in error["fields"]["non_field_errors"][0]


# --- who may do what --------------------------------------------------------------------------


def test_a_rep_updates_their_own_milestone_but_not_someone_elses(world, plan):
    mine = MilestoneFactory(plan=plan, owner=world.user(Role.REP))
    theirs = MilestoneFactory(plan=plan, owner=world.user(Role.MANAGER))
    client = api(world, Role.REP)
    body = {"progress": 10, "status": "in_progress"}

    assert post(client, update_url(mine), body).status_code == 201
    assert error_of(post(client, update_url(theirs), body), 403)["code"] == "permission_denied"


def test_a_rep_cannot_edit_a_plan(world, plan, steps):
    client = api(world, Role.REP)

    assert patch(client, f"/api/v1/plans/{plan.pk}/", {"title": "Mine now"}).status_code == 403
    new_milestone = {"plan": plan.pk, "title": "X", "owner": world.user(Role.REP).pk}
    new_milestone["due_week"] = _monday(7).isoformat()
    assert post(client, "/api/v1/milestones/", new_milestone).status_code == 403
    assert patch(client, f"/api/v1/milestones/{steps[0].pk}/", {"title": "Y"}).status_code == 403
    assert client.delete(f"/api/v1/milestones/{steps[0].pk}/").status_code == 403
    plan_body = {"title": "P", "owner": world.user(Role.REP).pk, "start_date": "2025-01-06"}
    plan_body["end_date"] = "2025-03-31"
    assert post(client, "/api/v1/plans/", plan_body).status_code == 403
    plan.refresh_from_db()
    assert plan.title == "Premium push"


def test_a_leader_reads_plans_but_edits_only_their_own(world, plan, steps):
    client = api(world, Role.LEADER)

    listed = client.get("/api/v1/plans/")
    detail = client.get(f"/api/v1/plans/{plan.pk}/")

    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()["results"]] == [plan.pk]
    assert detail.status_code == 200
    assert [m["title"] for m in detail.json()["milestones"]] == ["Training", "Pilot"]
    assert patch(client, f"/api/v1/plans/{plan.pk}/", {"title": "Led"}).status_code == 403
    assert client.get(f"/api/v1/milestones/{steps[0].pk}/").status_code == 200
    assert client.get(update_url(steps[0])).status_code == 200


def test_the_team_manager_edits_the_plan_with_a_reason(world, plan):
    response = patch(
        api(world, Role.MANAGER),
        f"/api/v1/plans/{plan.pk}/",
        {"title": "Premium push, phase 2", "status": "on_hold", "reason": "Budget freeze"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "on_hold"
    plan.refresh_from_db()
    assert plan.title == "Premium push, phase 2"
    assert plan.history.first().history_change_reason == "Budget freeze"


# --- organisations never mix ------------------------------------------------------------------


def test_another_organisations_token_gets_404_everywhere(world, plan, steps):
    resource = ResourceFactory(plan=plan)
    risk = RiskFactory(plan=plan)
    blocker = services.blocker_raise(
        actor=world.user(Role.REP), milestone=steps[0], description="B"
    )
    client = api(world, "outsider")

    for url in (
        f"/api/v1/plans/{plan.pk}/",
        f"/api/v1/milestones/{steps[0].pk}/",
        update_url(steps[0]),
        f"/api/v1/resources/{resource.pk}/",
        f"/api/v1/risks/{risk.pk}/",
    ):
        assert error_of(client.get(url), 404)["code"] == "not_found", url
    assert patch(client, f"/api/v1/plans/{plan.pk}/", {"title": "Ours"}).status_code == 404
    body = {"progress": 50, "status": "in_progress"}
    assert post(client, update_url(steps[0]), body).status_code == 404
    assert client.delete(f"/api/v1/milestones/{steps[0].pk}/").status_code == 404
    assert post(client, f"/api/v1/risks/{risk.pk}/activate-plan-b/").status_code == 404
    assert (
        post(client, f"/api/v1/blockers/{blocker.pk}/resolve/", {"resolution": "x"}).status_code
        == 404
    )
    for url in ("/api/v1/plans/", "/api/v1/milestones/", "/api/v1/resources/", "/api/v1/risks/"):
        assert client.get(url).json()["results"] == [], url
    assert client.get("/api/v1/blockers/", {"scope": "all"}).json()["results"] == []
    assert not MilestoneUpdate.objects.exists()
    assert Blocker.objects.get().status == BlockerStatus.OPEN


def test_ids_of_another_organisation_are_refused_in_bodies(world, plan, steps):
    foreign_plan = ActionPlanFactory(org=world.other_org, owner=world.outsider.user)
    foreign_milestone = MilestoneFactory(plan=foreign_plan)
    foreign_activity = RaciActivityFactory(matrix=RaciMatrixFactory(org=world.other_org))
    foreign_goal = GoalFactory(org=world.other_org, owner=world.outsider.user)
    foreign_kpi = KpiFactory(org=world.other_org)
    client = api(world, Role.MANAGER)
    due = _monday(7).isoformat()
    milestone = {"plan": plan.pk, "title": "Roll out", "owner": world.user(Role.REP).pk}
    milestone["due_week"] = due
    before = Milestone.objects.count()

    cases = [
        ("/api/v1/milestones/", {**milestone, "plan": foreign_plan.pk}, "plan"),
        ("/api/v1/milestones/", {**milestone, "owner": world.outsider.user_id}, "owner"),
        ("/api/v1/milestones/", {**milestone, "depends_on": [foreign_milestone.pk]}, "depends_on"),
        (
            "/api/v1/milestones/",
            {**milestone, "raci_activity": foreign_activity.pk},
            "raci_activity",
        ),
        (
            "/api/v1/plans/",
            {
                "title": "T",
                "owner": world.user(Role.MANAGER).pk,
                "start_date": "2025-01-06",
                "end_date": "2025-03-31",
                "team": world.other_team.pk,
            },
            "team",
        ),
        (
            "/api/v1/plans/",
            {
                "title": "T",
                "owner": world.user(Role.MANAGER).pk,
                "start_date": "2025-01-06",
                "end_date": "2025-03-31",
                "goals": [foreign_goal.pk],
            },
            "goals",
        ),
        (
            "/api/v1/risks/",
            {
                "plan": plan.pk,
                "description": "KPI falls",
                "likelihood": 3,
                "impact": 3,
                "owner": world.user(Role.MANAGER).pk,
                "trigger_kind": "kpi",
                "trigger_kpi": foreign_kpi.pk,
                "threshold": "10",
            },
            "trigger_kpi",
        ),
        (
            "/api/v1/resources/",
            {"plan": foreign_plan.pk, "kind": "budget", "description": "X"},
            "plan",
        ),
    ]
    for url, body, field in cases:
        error = error_of(post(client, url, body), 400)
        assert field in error["fields"], (url, field, error)
    moved = patch(client, f"/api/v1/milestones/{steps[0].pk}/", {"plan": foreign_plan.pk})
    assert "plan" in error_of(moved, 400)["fields"]
    assert Milestone.objects.count() == before
    assert ActionPlan.objects.filter(org=world.org).count() == 1
    assert not Risk.objects.exists()


def test_a_milestone_depends_only_on_earlier_milestones_of_its_plan(world, plan, steps):
    first, second = steps
    other_plan = make_plan(world, title="Other")
    elsewhere = MilestoneFactory(plan=other_plan)
    client = api(world, Role.MANAGER)

    across = patch(client, f"/api/v1/milestones/{second.pk}/", {"depends_on": [elsewhere.pk]})
    backwards = patch(client, f"/api/v1/milestones/{first.pk}/", {"depends_on": [second.pk]})

    assert error_of(across, 400)["fields"]["depends_on"]
    assert error_of(backwards, 400)["fields"]["depends_on"]
    assert list(second.depends_on.all()) == [first]


# --- plans, milestones, resources -------------------------------------------------------------


def test_a_plan_from_a_template_comes_with_milestones_resources_and_a_plan_b(world):
    client = api(world, Role.MANAGER)

    response = post(
        client,
        "/api/v1/plans/",
        {
            "blueprint": "premium_mix",
            "start_date": "2025-03-12",
            "owner": world.user(Role.REP).pk,
            "team": world.team.pk,
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Premium products to 30% of sales"
    assert body["blueprint"] == "premium_mix"
    assert body["status"] == "draft"
    assert body["start_date"] == "2025-03-12"
    assert body["end_date"] == "2025-04-13"  # five weeks from the Monday of the first
    assert body["milestone_count"] == 3
    assert [m["is_dormant"] for m in body["milestones"]] == [False, False, False, True, True]
    assert body["milestones"][1]["depends_on"] == [body["milestones"][0]["id"]]
    assert all(m["owner"] == world.user(Role.REP).pk for m in body["milestones"])
    assert body["budget"]["planned"] == "28000.00"
    assert body["budget"]["remaining"] == "28000.00"
    assert body["budget"]["over"] is False
    assert [r["dormant_count"] for r in body["risks"]] == [2]


def test_an_empty_plan_needs_a_title_and_an_end_date(world):
    client = api(world, Role.MANAGER)
    owner = world.user(Role.MANAGER).pk

    missing = post(client, "/api/v1/plans/", {"owner": owner, "start_date": "2025-01-06"})
    unknown = post(
        client,
        "/api/v1/plans/",
        {"blueprint": "nope", "owner": owner, "start_date": "2025-01-06"},
    )
    backwards = post(
        client,
        "/api/v1/plans/",
        {"title": "T", "owner": owner, "start_date": "2025-03-01", "end_date": "2025-01-01"},
    )
    created = post(
        client,
        "/api/v1/plans/",
        {
            "title": " Q3 push ",
            "owner": owner,
            "start_date": "2025-07-01",
            "end_date": "2025-09-30",
        },
    )

    assert set(error_of(missing, 400)["fields"]) == {"title", "end_date"}
    assert "blueprint" in error_of(unknown, 400)["fields"]
    assert "end_date" in error_of(backwards, 400)["fields"]
    assert created.status_code == 201, created.content
    assert created.json()["milestones"] == []
    assert created.json()["budget"]["used_percent"] is None


def test_plan_list_filters(world, plan, steps):
    mine = make_plan(world, title="Mine", owner=world.user(Role.ADMIN), team=None)
    MilestoneFactory(plan=mine, owner=world.user(Role.ADMIN))
    MilestoneFactory(plan=mine, owner=world.user(Role.REP))
    make_plan(world, title="Draft", status="draft", team=None)
    client = api(world, Role.REP)

    def titles(**params):
        response = client.get("/api/v1/plans/", params)
        assert response.status_code == 200, response.content
        return {p["title"]: p["milestone_count"] for p in response.json()["results"]}

    assert titles(mine=1) == {"Premium push": 2, "Mine": 2}
    assert titles(status="draft") == {"Draft": 0}
    assert titles(team=world.team.pk) == {"Premium push": 2}
    assert "status" in error_of(client.get("/api/v1/plans/", {"status": "zzz"}), 400)["fields"]
    assert "team" in error_of(client.get("/api/v1/plans/", {"team": "x"}), 400)["fields"]


def test_milestones_crud_and_filters(world, plan, steps):
    first, second = steps
    client = api(world, Role.MANAGER)
    due = _monday(14)

    created = post(
        client,
        "/api/v1/milestones/",
        {
            "plan": plan.pk,
            "title": "Rollout",
            "owner": world.user(Role.MANAGER).pk,
            "due_week": (due + timedelta(days=2)).isoformat(),
            "depends_on": [second.pk],
        },
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["due_week"] == body["start_week"] == due.isoformat()  # stored as the Monday
    assert body["depends_on"] == [second.pk]
    changed = patch(
        client, f"/api/v1/milestones/{body['id']}/", {"title": "Full rollout", "depends_on": []}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["depends_on"] == []
    refused = client.delete(f"/api/v1/milestones/{first.pk}/")
    assert "Pilot" in error_of(refused, 400)["fields"]["non_field_errors"][0]
    assert client.delete(f"/api/v1/milestones/{body['id']}/").status_code == 204

    rep = api(world, Role.REP)
    mine = rep.get("/api/v1/milestones/", {"owner": "me"}).json()["results"]
    assert [m["id"] for m in mine] == [first.pk, second.pk]
    assert rep.get("/api/v1/milestones/", {"plan": plan.pk, "status": "done"}).json()["count"] == 0
    this_week = rep.get("/api/v1/milestones/", {"this_week": 1})
    assert this_week.status_code == 200
    assert {m["id"] for m in this_week.json()["results"]} == {first.pk, second.pk}
    assert all(m["updated_this_week"] is False for m in this_week.json()["results"])
    assert "owner" in error_of(rep.get("/api/v1/milestones/", {"owner": "you"}), 400)["fields"]


def test_resources_and_the_plan_budget(world, plan):
    client = api(world, Role.MANAGER)

    created = post(
        client,
        "/api/v1/resources/",
        {"plan": plan.pk, "kind": "training", "description": "Workshops", "planned": "1000"},
    )
    assert created.status_code == 201, created.content
    resource_id = created.json()["id"]
    over = patch(client, f"/api/v1/resources/{resource_id}/", {"actual": "1500.50"})
    assert over.status_code == 200, over.content
    assert over.json()["over_plan"] is True
    budget = client.get(f"/api/v1/plans/{plan.pk}/").json()["budget"]
    assert budget["planned"] == "1000.00"
    assert budget["actual"] == "1500.50"
    assert budget["remaining"] == "-500.50"
    assert budget["over"] is True
    assert budget["by_kind"] == [{"kind": "training", "planned": "1000.00", "actual": "1500.50"}]

    negative = patch(client, f"/api/v1/resources/{resource_id}/", {"planned": "-1"})
    bad_kind = post(
        client, "/api/v1/resources/", {"plan": plan.pk, "kind": "gold", "description": "X"}
    )
    assert "planned" in error_of(negative, 400)["fields"]
    assert "kind" in error_of(bad_kind, 400)["fields"]
    assert api(world, Role.REP).delete(f"/api/v1/resources/{resource_id}/").status_code == 403
    assert client.get("/api/v1/resources/", {"plan": plan.pk}).json()["count"] == 1
    assert client.delete(f"/api/v1/resources/{resource_id}/").status_code == 204
    assert not Resource.objects.exists()


# --- risks and Plan B -------------------------------------------------------------------------


@pytest.fixture
def template_plan(world) -> ActionPlan:
    return services.plan_create_from_blueprint(
        actor=world.user(Role.MANAGER),
        org=world.org,
        key="premium_mix",
        owner=world.user(Role.MANAGER),
        start_date=_monday(-14),
        team=world.team,
        status="active",
    )


def test_activating_plan_b_wakes_its_milestones_this_week(world, template_plan):
    risk = template_plan.risks.get()
    url = f"/api/v1/risks/{risk.pk}/activate-plan-b/"

    assert post(api(world, Role.REP), url).status_code == 403
    assert post(api(world, Role.LEADER), url).status_code == 403
    response = post(api(world, Role.MANAGER), url)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == RiskStatus.PLAN_B_ACTIVE
    assert response.json()["dormant_count"] == 0
    assert response.json()["plan_b_activated_by"] == world.user(Role.MANAGER).pk
    plan_b = list(risk.contingency_milestones.order_by("position"))
    assert [m.is_dormant for m in plan_b] == [False, False]
    assert plan_b[0].start_week == _monday()
    again = post(api(world, Role.ADMIN), url)
    assert error_of(again, 400)["fields"]["non_field_errors"] == ["Plan B is already active."]


def test_risks_are_added_triggered_and_closed(world, plan):
    client = api(world, Role.MANAGER)
    kpi = KpiFactory(org=world.org)

    created = post(
        client,
        "/api/v1/risks/",
        {
            "plan": plan.pk,
            "description": "Pilot customers say no",
            "likelihood": 4,
            "impact": 5,
            "owner": world.user(Role.REP).pk,
            "contingency": "Offer a bundle",
        },
    )
    assert created.status_code == 201, created.content
    risk = created.json()
    assert (risk["score"], risk["status"], risk["trigger_kind"]) == (20, "watching", "manual")
    url = f"/api/v1/risks/{risk['id']}/"

    incomplete = patch(client, url, {"trigger_kind": "kpi"})
    assert set(error_of(incomplete, 400)["fields"]) >= {"trigger_kpi", "threshold"}
    out_of_scale = patch(client, url, {"likelihood": 9})
    assert "likelihood" in error_of(out_of_scale, 400)["fields"]
    kpi_trigger = patch(
        client, url, {"trigger_kind": "kpi", "trigger_kpi": kpi.pk, "threshold": "5"}
    )
    assert kpi_trigger.status_code == 200, kpi_trigger.content
    assert kpi_trigger.json()["trigger_kpi"] == kpi.pk

    assert post(api(world, Role.REP), f"{url}trigger/").status_code == 403
    triggered = post(client, f"{url}trigger/", {"reason": "Three pilots declined"})
    assert triggered.status_code == 200
    assert triggered.json()["status"] == RiskStatus.TRIGGERED
    assert triggered.json()["trigger_reason"] == "Three pilots declined"
    assert error_of(post(client, f"{url}trigger/"), 400)["code"] == "validation_error"
    closed = post(client, f"{url}close/", {"reason": "Pilot over"})
    assert closed.json()["status"] == RiskStatus.CLOSED
    assert client.get("/api/v1/risks/", {"plan": plan.pk}).json()["count"] == 1


# --- blockers ---------------------------------------------------------------------------------


def test_the_person_a_blocker_went_to_resolves_it(world, plan, steps):
    first, _second = steps
    rep = api(world, Role.REP)
    raised = post(
        rep, update_url(first), {"progress": 10, "status": "in_progress", "blocker": "No samples"}
    )
    blocker_id = raised.json()["blocker"]["id"]
    url = f"/api/v1/blockers/{blocker_id}/resolve/"
    manager = api(world, Role.MANAGER)

    assert raised.json()["blocker"]["routed_to"] == plan.owner_id  # no RACI activity: the owner
    assert [b["id"] for b in manager.get("/api/v1/blockers/").json()["results"]] == [blocker_id]
    assert [b["id"] for b in rep.get("/api/v1/blockers/").json()["results"]] == [blocker_id]
    assert post(rep, url, {"resolution": "Found some"}).status_code == 403
    assert "resolution" in error_of(post(manager, url, {"resolution": ""}), 400)["fields"]
    resolved = post(manager, url, {"resolution": "Samples ordered"})

    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["status"] == BlockerStatus.RESOLVED
    assert resolved.json()["resolved_by"] == world.user(Role.MANAGER).pk
    first.refresh_from_db()
    assert first.status == MilestoneStatus.IN_PROGRESS  # no open blocker left
    assert error_of(post(manager, url, {"resolution": "Again"}), 400)
    assert manager.get("/api/v1/blockers/").json()["results"] == []
    assert manager.get("/api/v1/blockers/", {"status": "resolved"}).json()["count"] == 1
    assert manager.get("/api/v1/blockers/", {"status": "all"}).json()["count"] == 1


def test_only_admins_and_leaders_see_everyones_blockers(world, steps):
    services.blocker_raise(actor=world.user(Role.REP), milestone=steps[0], description="B")

    assert error_of(api(world, Role.MANAGER).get("/api/v1/blockers/", {"scope": "all"}), 403)
    assert api(world, Role.MEMBER).get("/api/v1/blockers/").json()["results"] == []
    assert api(world, Role.LEADER).get("/api/v1/blockers/", {"scope": "all"}).json()["count"] == 1
    bad = api(world, Role.ADMIN).get("/api/v1/blockers/", {"status": "stuck"})
    assert "status" in error_of(bad, 400)["fields"]


# --- malformed requests -----------------------------------------------------------------------


def test_malformed_requests_never_answer_500(world, plan, steps):
    client = api(world, Role.MANAGER)
    huge = 10**30

    assert error_of(client.get(f"/api/v1/plans/{huge}/"), 404)
    assert error_of(client.get("/api/v1/plans/abc/"), 404)
    assert error_of(client.get("/api/v1/plans/", {"team": huge}), 400)
    not_json = client.post("/api/v1/plans/", "{", content_type="application/json")
    assert error_of(not_json, 400)["code"] == "parse_error"
    as_list = post(client, update_url(steps[0]), [1, 2])
    assert error_of(as_list, 400)["code"] == "validation_error"
    huge_owner = patch(client, f"/api/v1/milestones/{steps[0].pk}/", {"owner": huge})
    assert "owner" in error_of(huge_owner, 400)["fields"]
    long_title = patch(client, f"/api/v1/plans/{plan.pk}/", {"title": "x" * 201})
    assert "title" in error_of(long_title, 400)["fields"]
    no_owner = patch(client, f"/api/v1/plans/{plan.pk}/", {"owner": None})
    assert "owner" in error_of(no_owner, 400)["fields"]


# --- query counts -----------------------------------------------------------------------------


def _grow(world, plan, rep, round_: int) -> None:
    """More plans, milestones, dependencies, updates, blockers, resources and risks."""
    other = make_plan(world, title=f"Plan {round_}")
    other.goals.add(GoalFactory(org=world.org, owner=world.user(Role.MANAGER)))
    for target in (plan, other):
        earlier = MilestoneFactory(plan=target, owner=rep)
        later = MilestoneFactory(plan=target, owner=rep)
        later.depends_on.add(earlier)
        services.milestone_record_update(
            actor=rep, milestone=earlier, progress=10, status="in_progress", blocker="Stuck"
        )
        ResourceFactory(plan=target, planned=Decimal(100))
        RiskFactory(plan=target)


@pytest.mark.parametrize(
    "url, params",
    [
        ("/api/v1/plans/", {}),
        ("/api/v1/plans/", {"mine": 1}),
        ("/api/v1/milestones/", {}),
        ("/api/v1/milestones/", {"this_week": 1}),
        ("/api/v1/resources/", {}),
        ("/api/v1/risks/", {}),
        ("/api/v1/blockers/", {"scope": "all", "status": "all"}),
        ("plan-detail", {}),
        ("updates", {}),
    ],
)
def test_list_queries_do_not_grow_with_rows(world, plan, url, params):
    rep = world.user(Role.REP)
    first = MilestoneFactory(plan=plan, owner=rep)
    client = api(world, Role.LEADER if "blockers" in url else Role.REP)
    if url == "plan-detail":
        url = f"/api/v1/plans/{plan.pk}/"
    elif url == "updates":
        url = update_url(first)

    client.get(url, params)  # the token's first use of the minute records it; measure after

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        assert response.status_code == 200, response.content
        body = response.json()
        return len(queries), body.get("count", len(body.get("milestones", [])))

    _grow(world, plan, rep, 1)
    for _ in range(3):
        services.milestone_record_update(
            actor=rep, milestone=first, progress=5, status="in_progress"
        )
    small, small_rows = count()
    for round_ in range(2, 6):
        _grow(world, plan, rep, round_)
    for _ in range(3):
        services.milestone_record_update(
            actor=rep, milestone=first, progress=6, status="in_progress"
        )
    large, large_rows = count()

    assert large_rows > small_rows
    assert large == small, f"{url}: {small} queries for {small_rows} rows, {large} for {large_rows}"


def test_a_plan_of_another_role_is_still_readable_by_members(world, plan):
    members = [Role.ADMIN, Role.LEADER, Role.MANAGER, Role.REP, Role.MEMBER]
    for role in members:
        assert api(world, role).get(f"/api/v1/plans/{plan.pk}/").status_code == 200, role
    newcomer = MembershipFactory(org=world.org, role=Role.MEMBER)
    _token, secret = accounts.api_token_create(user=newcomer.user, org=world.org, name="t")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get("/api/v1/plans/").json()["count"] == 1


# --- stand-ups ----------------------------------------------------------------------------


def _weekly_standup_today(world) -> None:
    """A weekly stand-up on today's weekday, so these tests pass on any day, weekends included."""
    from datetime import time

    from actionplans.standups import standup_settings_save
    from goals.services.checkins import org_today

    standup_settings_save(
        actor=world.user("manager"),
        team=world.team,
        cadence="weekly",
        weekday=org_today(world.org).weekday(),
        digest_time=time(10, 0),
        digest_enabled=False,
    )


def test_standup_post_through_the_api_then_read_it(world):
    _weekly_standup_today(world)
    rep = api(world, "rep")
    response = post(
        rep,
        "/api/v1/standups/",
        {"team": world.team.pk, "yesterday": "Called 5 accounts", "today": "Pilot demo"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["yesterday"] == "Called 5 accounts"
    report = api(world, "manager").get(f"/api/v1/standups/?team={world.team.pk}").json()
    assert [entry["author"] for entry in report["entries"]] == [world.user("rep").pk]
    assert world.user("manager").pk in [person["id"] for person in report["missing"]]


def test_standup_blocker_through_the_api_reaches_the_team_lead(world):
    _weekly_standup_today(world)
    response = post(
        api(world, "rep"),
        "/api/v1/standups/",
        {"team": world.team.pk, "blockers": "CRM export is broken"},
    )
    assert response.status_code == 201
    assert Blocker.objects.get().routed_to == world.user("manager")


def test_standup_post_refuses_non_members_empty_entries_and_other_orgs_teams(world):
    _weekly_standup_today(world)
    leader = api(world, "leader")  # not in the team
    assert (
        post(leader, "/api/v1/standups/", {"team": world.team.pk, "today": "x"}).status_code == 403
    )
    error_of(post(api(world, "rep"), "/api/v1/standups/", {"team": world.team.pk}), 400)
    foreign = post(
        api(world, "rep"), "/api/v1/standups/", {"team": world.other_team.pk, "today": "x"}
    )
    assert foreign.status_code == 404
    assert api(world, "rep").get(f"/api/v1/standups/?team={world.other_team.pk}").status_code == 404
    assert api(world, "rep").get("/api/v1/standups/").status_code == 400
