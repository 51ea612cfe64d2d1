"""Action plan pages: who may open them (in English and Chinese), creating plans empty and from
templates, milestones, resources, risks with their Plan B, blockers and the weekly update."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from actionplans import services
from actionplans.blueprints import BLUEPRINTS
from actionplans.models import (
    ActionPlan,
    Blocker,
    Milestone,
    MilestoneUpdate,
    Resource,
    Risk,
    RiskTriggerEvent,
)
from goals.periods import week_start
from goals.services.checkins import org_today
from salesops.models import Role

from ..conftest import client_for
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
)
from ..languages import LANGUAGES, speak

HTMX = {"HTTP_HX_REQUEST": "true"}
NAVBAR = '<nav class="navbar'


def url(name: str, **kwargs: object) -> str:
    return reverse(f"actionplans:{name}", kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def monday(weeks: int = 0) -> date:
    today = timezone.localdate()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks)


@dataclass
class Data:
    plan: ActionPlan
    first: Milestone  # owned by the rep, with an update and a RACI activity
    second: Milestone  # owned by the rep, depends on `first`, with an open blocker
    resource: Resource
    risk: Risk
    plan_b: Milestone  # dormant, the risk's Plan B
    blocker: Blocker


@pytest.fixture
def data(world) -> Data:
    """A running plan of East Sales owned by its manager, with milestones of the rep."""
    manager, rep, leader = world.user("manager"), world.user("rep"), world.user("leader")
    plan = ActionPlanFactory(
        org=world.org, owner=manager, team=world.team, title="Premium push", description="Go."
    )
    activity = RaciActivityFactory(matrix=RaciMatrixFactory(org=world.org), name="Price approval")
    RaciAssignmentFactory(
        activity=activity,
        participant=RaciParticipantFactory(
            matrix=activity.matrix, membership=world.members["leader"]
        ),
        letters="A",
    )
    first = MilestoneFactory(
        plan=plan,
        owner=rep,
        title="Train the team",
        deliverable="Everyone passed the quiz.",
        raci_activity=activity,
        position=0,
    )
    second = MilestoneFactory(plan=plan, owner=rep, title="Pilot with customers", position=1)
    second.depends_on.set([first])
    services.milestone_record_update(
        actor=rep, milestone=first, progress=40, status="in_progress", note="Half done."
    )
    blocker = services.blocker_raise(
        actor=rep, milestone=second, description="The pricing sheet is missing."
    )
    risk = RiskFactory(plan=plan, owner=manager, description="Customers say no.")
    plan_b = MilestoneFactory(
        plan=plan,
        owner=rep,
        title="Offer a bundle",
        contingency_for=risk,
        is_dormant=True,
        position=2,
        start_week=monday(2),
        due_week=monday(3),
    )
    RiskTriggerEvent.objects.create(
        risk=risk, period_start=monday(-4), value=Decimal(5), limit=Decimal(8)
    )
    resource = ResourceFactory(plan=plan, description="Training sessions", planned=800)
    assert blocker.routed_to == manager and leader != manager
    return Data(plan, first, second, resource, risk, plan_b, blocker)


# --- who may open which page -------------------------------------------------------------

EVERYONE = [Role.ADMIN, Role.LEADER, Role.MANAGER, Role.REP, Role.MEMBER]
CREATORS = [Role.ADMIN, Role.LEADER, Role.MANAGER]
EDITORS = [Role.ADMIN, Role.MANAGER]  # sales ops, and the plan's owner (the team's manager)
NOT_EDITORS = [Role.LEADER, Role.REP, Role.MEMBER]

PAGES = {
    "plan_list": (lambda d: {}, EVERYONE),
    "plan_detail": (lambda d: {"pk": d.plan.pk}, EVERYONE),
    "this_week": (lambda d: {}, EVERYONE),
    "blocker_list": (lambda d: {}, EVERYONE),
    "milestone_detail": (lambda d: {"pk": d.second.pk}, EVERYONE),
    "plan_create": (lambda d: {}, CREATORS),
    "plan_edit": (lambda d: {"pk": d.plan.pk}, EDITORS),
    "milestone_create": (lambda d: {"pk": d.plan.pk}, EDITORS),
    "milestone_edit": (lambda d: {"pk": d.second.pk}, EDITORS),
    "resource_edit": (lambda d: {"pk": d.plan.pk, "resource_pk": d.resource.pk}, EDITORS),
    "risk_create": (lambda d: {"pk": d.plan.pk}, EDITORS),
    "risk_edit": (lambda d: {"pk": d.risk.pk}, EDITORS),
}
ALLOWED = [(page, role) for page, (_kw, roles) in PAGES.items() for role in roles]
REFUSED = [
    (page, role) for page, (_kw, roles) in PAGES.items() for role in EVERYONE if role not in roles
]


@pytest.mark.parametrize(("page", "role"), ALLOWED)
def test_page_renders_for_its_roles_in_english_and_chinese(world, clients, data, page, role):
    kwargs = PAGES[page][0](data)
    for language in LANGUAGES:
        speak(world, role, language)
        response = clients[role].get(url(page, **kwargs))
        assert response.status_code == 200, (page, role, language)
        assert f'<html lang="{language}">' in response.content.decode()


@pytest.mark.parametrize(("page", "role"), REFUSED)
def test_page_refuses_other_roles(clients, data, page, role):
    response = clients[role].get(url(page, **PAGES[page][0](data)))
    assert response.status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_page_is_not_found_for_another_organisation(clients, data, page):
    response = clients["outsider"].get(url(page, **PAGES[page][0](data)))
    assert response.status_code == 404


def test_objects_of_another_organisation_are_not_found(world, clients):
    foreign = ActionPlanFactory(org=world.other_org, owner=world.outsider.user)
    milestone = MilestoneFactory(plan=foreign)
    risk = RiskFactory(plan=foreign)
    admin = clients["admin"]
    assert admin.get(url("plan_detail", pk=foreign.pk)).status_code == 404
    assert admin.get(url("plan_edit", pk=foreign.pk)).status_code == 404
    assert admin.get(url("milestone_detail", pk=milestone.pk)).status_code == 404
    assert admin.get(url("risk_edit", pk=risk.pk)).status_code == 404
    assert admin.post(url("milestone_delete", pk=milestone.pk)).status_code == 404
    assert Milestone.objects.filter(pk=milestone.pk).exists()


# --- what the pages show -------------------------------------------------------------------


def test_milestone_page_shows_facts_dependencies_updates_blockers_and_history(world, clients, data):
    page = clients["manager"].get(url("milestone_detail", pk=data.first.pk)).content.decode()
    assert "Everyone passed the quiz." in page
    assert 'data-testid="milestone-raci-link"' in page
    assert (
        reverse(
            "raci:activity_detail",
            kwargs={
                "org_slug": "acme",
                "pk": data.first.raci_activity.matrix_id,
                "activity_pk": data.first.raci_activity_id,
            },
        )
        in page
    )
    assert "0% → 40%, Not started → In progress" in page
    assert "Half done." in page
    assert "Pilot with customers" in page  # needed by
    assert 'data-testid="milestone-update-form"' in page
    assert f'name="next" value="{url("milestone_detail", pk=data.first.pk)}"' in page
    assert 'data-testid="milestone-edit"' in page
    assert "History" in page

    second = clients["manager"].get(url("milestone_detail", pk=data.second.pk)).content.decode()
    assert "The pricing sheet is missing." in second
    assert 'data-testid="blocker-resolve-form"' in second  # routed to the manager
    assert "Train the team" in second  # depends on


def test_milestone_page_for_a_member_has_no_update_or_edit_forms(clients, data):
    page = clients["member"].get(url("milestone_detail", pk=data.second.pk)).content.decode()
    assert 'data-testid="milestone-update-form"' not in page
    assert 'data-testid="milestone-edit"' not in page
    assert 'data-testid="blocker-resolve-form"' not in page


def test_overdue_milestone_is_flagged(clients, data):
    Milestone.objects.filter(pk=data.first.pk).update(start_week=monday(-6), due_week=monday(-3))
    page = clients["rep"].get(url("milestone_detail", pk=data.first.pk)).content.decode()
    assert 'data-testid="milestone-overdue"' in page


def test_risk_edit_page_shows_plan_b_milestones_and_trigger_events(clients, data):
    page = clients["manager"].get(url("risk_edit", pk=data.risk.pk)).content.decode()
    assert "Offer a bundle" in page
    assert 'data-testid="risk-event"' in page
    assert monday(-4).isoformat() in page
    assert "Trigger" in page and "fires at most once per period" in page


def test_first_milestone_form_says_there_is_nothing_to_depend_on(world, clients):
    plan = ActionPlanFactory(org=world.org, owner=world.user("manager"))
    page = clients["manager"].get(url("milestone_create", pk=plan.pk)).content.decode()
    assert "No earlier milestones to depend on." in page


def test_plan_create_page_offers_the_templates(clients):
    page = clients["manager"].get(url("plan_create")).content.decode()
    assert 'data-testid="blueprint-empty"' in page
    for blueprint in BLUEPRINTS:
        assert f'data-testid="blueprint-{blueprint.key}"' in page
        assert str(blueprint.title) in page


# --- plans -----------------------------------------------------------------------------------


def plan_create_data(world, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "blueprint": "",
        "title": "Grow the premium mix",
        "owner": world.user("manager").pk,
        "team": world.team.pk,
        "goals": [],
        "start_date": monday().isoformat(),
        "end_date": monday(12).isoformat(),
    }
    values.update(overrides)
    return values


def test_manager_creates_an_empty_plan(world, clients):
    response = clients["manager"].post(url("plan_create"), plan_create_data(world))
    plan = ActionPlan.objects.get(org=world.org, title="Grow the premium mix")
    assert response.status_code == 302
    assert response["Location"] == url("plan_detail", pk=plan.pk)
    assert plan.status == "draft" and plan.team == world.team
    assert not plan.milestones.exists()
    assert messages_of(response)


@pytest.mark.parametrize("blueprint", BLUEPRINTS, ids=lambda blueprint: blueprint.key)
def test_plan_from_each_template_gets_its_milestones(world, clients, blueprint):
    response = clients["leader"].post(
        url("plan_create"),
        plan_create_data(world, blueprint=blueprint.key, title="", end_date=""),
    )
    assert response.status_code == 302
    plan = ActionPlan.objects.get(org=world.org, blueprint=blueprint.key)
    assert response["Location"] == url("plan_detail", pk=plan.pk)
    assert plan.title == str(blueprint.title)
    assert plan.end_date == monday(blueprint.weeks) - timedelta(days=1)
    live = list(plan.milestones.filter(is_dormant=False).order_by("position"))
    assert [m.title for m in live] == [str(step.title) for step in blueprint.steps]
    assert all(m.owner_id == world.user("manager").pk for m in live)
    assert list(live[1].depends_on.all()) == [live[0]]
    dormant = sum(len(risk.plan_b) for risk in blueprint.risks)
    assert plan.milestones.filter(is_dormant=True).count() == dormant
    assert plan.resources.count() == len(blueprint.resources)
    assert plan.risks.count() == len(blueprint.risks)
    # and the plan page shows it
    assert clients["leader"].get(url("plan_detail", pk=plan.pk)).status_code == 200


def test_template_plan_keeps_a_given_title(world, clients):
    clients["manager"].post(
        url("plan_create"), plan_create_data(world, blueprint="renewal", title="Renewals East")
    )
    assert ActionPlan.objects.filter(org=world.org, title="Renewals East").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"end_date": (monday() - timedelta(days=1)).isoformat()},
            "The end date must not be before the start date.",
        ),
        ({"title": "  "}, "Give the plan a title."),
        ({"end_date": ""}, "Give the end date."),
        ({"blueprint": "no_such_template"}, "Select a valid choice."),
    ],
)
def test_plan_create_with_bad_input_saves_nothing(world, clients, overrides, message):
    response = clients["manager"].post(url("plan_create"), plan_create_data(world, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ActionPlan.objects.filter(org=world.org).exists()
    assert not Milestone.objects.exists()


def test_rep_cannot_create_a_plan(world, clients):
    response = clients["rep"].post(url("plan_create"), plan_create_data(world))
    assert response.status_code == 403
    assert not ActionPlan.objects.exists()


def plan_edit_data(plan: ActionPlan, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "title": plan.title,
        "description": plan.description,
        "goals": [],
        "owner": plan.owner_id,
        "team": plan.team_id or "",
        "start_date": plan.start_date.isoformat(),
        "end_date": plan.end_date.isoformat(),
        "status": plan.status,
        "raci_matrix": plan.raci_matrix_id or "",
    }
    values.update(overrides)
    return values


def test_owner_edits_the_plan(world, clients, data):
    goal = GoalFactory(org=world.org, team=world.team)
    response = clients["manager"].post(
        url("plan_edit", pk=data.plan.pk),
        plan_edit_data(data.plan, title="Premium push, phase 2", status="on_hold", goals=[goal.pk]),
    )
    assert response.status_code == 302
    assert response["Location"] == url("plan_detail", pk=data.plan.pk)
    data.plan.refresh_from_db()
    assert data.plan.title == "Premium push, phase 2" and data.plan.status == "on_hold"
    assert list(data.plan.goals.all()) == [goal]
    # the plan page, with the goals change in its history, still renders
    assert clients["admin"].get(url("plan_detail", pk=data.plan.pk)).status_code == 200


def test_plan_edit_with_end_before_start_saves_nothing(clients, data):
    before = data.plan.end_date
    response = clients["admin"].post(
        url("plan_edit", pk=data.plan.pk),
        plan_edit_data(
            data.plan,
            title="Changed",
            end_date=(data.plan.start_date - timedelta(days=1)).isoformat(),
        ),
    )
    assert response.status_code == 400
    assert "The end date must not be before the start date." in response.content.decode()
    data.plan.refresh_from_db()
    assert data.plan.title == "Premium push" and data.plan.end_date == before


@pytest.mark.parametrize("role", [Role.REP, Role.LEADER])
def test_non_editors_cannot_edit_the_plan(clients, data, role):
    response = clients[role].post(
        url("plan_edit", pk=data.plan.pk), plan_edit_data(data.plan, title="Mine now")
    )
    assert response.status_code == 403
    data.plan.refresh_from_db()
    assert data.plan.title == "Premium push"


# --- milestones --------------------------------------------------------------------------


def milestone_data(world, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "title": "Full rollout",
        "deliverable": "Premium in every proposal.",
        "owner": world.user("rep").pk,
        "start_week": (monday(3) + timedelta(days=2)).isoformat(),  # a Wednesday
        "due_week": (monday(5) + timedelta(days=4)).isoformat(),  # a Friday
        "depends_on": [],
        "raci_activity": "",
    }
    values.update(overrides)
    return values


def test_owner_adds_a_milestone_stored_by_monday(world, clients, data):
    response = clients["manager"].post(
        url("milestone_create", pk=data.plan.pk),
        milestone_data(world, depends_on=[data.first.pk, data.second.pk]),
    )
    assert response.status_code == 302
    assert response["Location"] == url("plan_detail", pk=data.plan.pk) + "#milestones"
    milestone = Milestone.objects.get(plan=data.plan, title="Full rollout")
    assert (milestone.start_week, milestone.due_week) == (monday(3), monday(5))
    assert set(milestone.depends_on.all()) == {data.first, data.second}
    assert milestone.position > data.plan_b.position


def test_milestone_due_before_its_start_week_saves_nothing(world, clients, data):
    count = Milestone.objects.count()
    response = clients["manager"].post(
        url("milestone_create", pk=data.plan.pk),
        milestone_data(world, start_week=monday(5).isoformat(), due_week=monday(3).isoformat()),
    )
    assert response.status_code == 400
    assert "The due week must not be before the start week." in response.content.decode()
    assert Milestone.objects.count() == count


def test_milestone_due_in_the_week_it_starts_is_accepted(world, clients, data):
    """Any day of the week stands for its Monday: due on Monday, start on Wednesday, same week."""
    response = clients["manager"].post(
        url("milestone_create", pk=data.plan.pk),
        milestone_data(
            world,
            start_week=(monday(3) + timedelta(days=2)).isoformat(),
            due_week=monday(3).isoformat(),
        ),
    )
    assert response.status_code == 302
    milestone = Milestone.objects.get(plan=data.plan, title="Full rollout")
    assert milestone.start_week == milestone.due_week == monday(3)


def test_milestone_cannot_depend_on_a_later_one(world, clients, data):
    response = clients["manager"].post(
        url("milestone_edit", pk=data.first.pk),
        milestone_data(world, title="Renamed", depends_on=[data.second.pk]),
    )
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    data.first.refresh_from_db()
    assert data.first.title == "Train the team"
    assert not data.first.depends_on.exists()


def test_milestone_edit_saves_and_returns_to_its_page(world, clients, data):
    response = clients["admin"].post(
        url("milestone_edit", pk=data.second.pk),
        milestone_data(
            world,
            title="Pilot with ten customers",
            start_week=monday().isoformat(),
            due_week=monday(4).isoformat(),
            depends_on=[],
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == url("milestone_detail", pk=data.second.pk)
    data.second.refresh_from_db()
    assert data.second.title == "Pilot with ten customers"
    assert data.second.due_week == monday(4)
    assert not data.second.depends_on.exists()
    # its page, history with the dependency change included, still renders
    assert clients["admin"].get(url("milestone_detail", pk=data.second.pk)).status_code == 200


def test_rep_cannot_edit_a_milestone_even_their_own(world, clients, data):
    response = clients["rep"].post(
        url("milestone_edit", pk=data.first.pk), milestone_data(world, title="Mine")
    )
    assert response.status_code == 403
    data.first.refresh_from_db()
    assert data.first.title == "Train the team"


def test_milestone_moves_but_never_above_what_it_depends_on(world, clients, data):
    response = clients["manager"].post(
        url("milestone_move", pk=data.second.pk), {"direction": "up"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("plan_detail", pk=data.plan.pk) + "#milestones"
    assert any("must stay after it" in m for m in messages_of(response))
    order = list(data.plan.milestones.order_by("position", "pk").values_list("pk", flat=True))
    assert order[:2] == [data.first.pk, data.second.pk]

    response = clients["manager"].post(
        url("milestone_move", pk=data.plan_b.pk), {"direction": "up"}
    )
    assert response.status_code == 302
    order = list(data.plan.milestones.order_by("position", "pk").values_list("pk", flat=True))
    assert order == [data.first.pk, data.plan_b.pk, data.second.pk]


def test_rep_cannot_move_a_milestone(clients, data):
    response = clients["rep"].post(url("milestone_move", pk=data.plan_b.pk), {"direction": "up"})
    assert response.status_code == 403


def test_milestone_others_depend_on_cannot_be_deleted(clients, data):
    response = clients["manager"].post(url("milestone_delete", pk=data.first.pk))
    assert response.status_code == 302
    assert response["Location"] == url("milestone_detail", pk=data.first.pk)
    assert any("Pilot with customers" in m for m in messages_of(response))
    assert Milestone.objects.filter(pk=data.first.pk).exists()


def test_milestone_delete(clients, data):
    response = clients["manager"].post(url("milestone_delete", pk=data.second.pk))
    assert response.status_code == 302
    assert response["Location"] == url("plan_detail", pk=data.plan.pk) + "#milestones"
    assert not Milestone.objects.filter(pk=data.second.pk).exists()


def test_rep_cannot_delete_a_milestone(clients, data):
    assert clients["rep"].post(url("milestone_delete", pk=data.second.pk)).status_code == 403
    assert Milestone.objects.filter(pk=data.second.pk).exists()


def test_milestone_delete_needs_post(clients, data):
    assert clients["manager"].get(url("milestone_delete", pk=data.second.pk)).status_code == 405


# --- resources ---------------------------------------------------------------------------


def resource_data(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "kind": "tools",
        "description": "Email automation licence",
        "quantity": "3",
        "planned": "6000",
        "actual": "0",
    }
    values.update(overrides)
    return values


def test_owner_adds_a_resource(clients, data):
    response = clients["manager"].post(url("resource_add", pk=data.plan.pk), resource_data())
    assert response.status_code == 302
    assert response["Location"] == url("plan_detail", pk=data.plan.pk) + "#resources"
    resource = data.plan.resources.get(description="Email automation licence")
    assert resource.planned == Decimal(6000) and resource.quantity == Decimal(3)


@pytest.mark.parametrize("field", ["planned", "actual", "quantity"])
def test_negative_resource_numbers_save_nothing(clients, data, field):
    response = clients["manager"].post(
        url("resource_add", pk=data.plan.pk), resource_data(**{field: "-1"})
    )
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 0" in response.content.decode()
    assert data.plan.resources.count() == 1


def test_resource_edit_and_delete(clients, data):
    edit = url("resource_edit", pk=data.plan.pk, resource_pk=data.resource.pk)
    response = clients["manager"].post(edit, resource_data(description="Trainer", actual="900"))
    assert response.status_code == 302
    data.resource.refresh_from_db()
    assert data.resource.description == "Trainer" and data.resource.actual == Decimal(900)

    response = clients["manager"].post(edit, resource_data(actual="-5"))
    assert response.status_code == 400
    data.resource.refresh_from_db()
    assert data.resource.actual == Decimal(900)

    response = clients["manager"].post(
        url("resource_delete", pk=data.plan.pk, resource_pk=data.resource.pk)
    )
    assert response.status_code == 302
    assert not Resource.objects.filter(pk=data.resource.pk).exists()


def test_rep_cannot_touch_resources(clients, data):
    rep = clients["rep"]
    assert rep.post(url("resource_add", pk=data.plan.pk), resource_data()).status_code == 403
    edit = url("resource_edit", pk=data.plan.pk, resource_pk=data.resource.pk)
    assert rep.post(edit, resource_data(description="x")).status_code == 403
    delete = url("resource_delete", pk=data.plan.pk, resource_pk=data.resource.pk)
    assert rep.post(delete).status_code == 403
    assert data.plan.resources.count() == 1


def test_resource_of_another_plan_is_not_found(world, clients, data):
    other = ResourceFactory(plan=ActionPlanFactory(org=world.org, owner=world.user("manager")))
    edit = url("resource_edit", pk=data.plan.pk, resource_pk=other.pk)
    assert clients["manager"].get(edit).status_code == 404


# --- risks -------------------------------------------------------------------------------


def risk_data(world, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "description": "Pilot customers do not buy premium.",
        "likelihood": "3",
        "impact": "4",
        "owner": world.user("manager").pk,
        "contingency": "Offer a bundle.",
        "trigger_kind": "manual",
        "trigger_kpi": "",
        "trigger_team": "",
        "comparator": "below",
        "threshold": "",
        "threshold_basis": "value",
        "trigger_goal": "",
        "trigger_period": "month",
    }
    values.update(overrides)
    return values


def test_owner_adds_a_manual_risk(world, clients, data):
    response = clients["manager"].post(url("risk_create", pk=data.plan.pk), risk_data(world))
    assert response.status_code == 302
    assert response["Location"] == url("plan_detail", pk=data.plan.pk) + "#risks"
    risk = data.plan.risks.get(description="Pilot customers do not buy premium.")
    assert risk.score == 12 and risk.status == "watching"


def test_owner_adds_a_kpi_risk(world, clients, data):
    kpi = KpiFactory(org=world.org)
    response = clients["admin"].post(
        url("risk_create", pk=data.plan.pk),
        risk_data(
            world,
            trigger_kind="kpi",
            trigger_kpi=kpi.pk,
            threshold="20",
            trigger_team=world.team.pk,
        ),
    )
    assert response.status_code == 302
    risk = data.plan.risks.get(description="Pilot customers do not buy premium.")
    assert risk.trigger_kpi == kpi and risk.threshold == Decimal(20)


@pytest.mark.parametrize(
    ("overrides", "messages"),
    [
        ({"trigger_kind": "kpi"}, ["Choose the KPI to watch.", "Give the threshold."]),
        ({"trigger_kind": "kpi", "threshold": "5"}, ["Choose the KPI to watch."]),
        ({"likelihood": "6"}, ["Ensure this value is less than or equal to 5."]),
        ({"description": ""}, ["This field is required."]),
    ],
)
def test_risk_with_bad_input_saves_nothing(world, clients, data, overrides, messages):
    response = clients["manager"].post(
        url("risk_create", pk=data.plan.pk), risk_data(world, **overrides)
    )
    assert response.status_code == 400
    page = response.content.decode()
    for message in messages:
        assert message in page
    assert data.plan.risks.count() == 1


def test_kpi_risk_against_target_needs_a_goal(world, clients, data):
    kpi = KpiFactory(org=world.org)
    response = clients["manager"].post(
        url("risk_create", pk=data.plan.pk),
        risk_data(
            world,
            trigger_kind="kpi",
            trigger_kpi=kpi.pk,
            threshold="80",
            threshold_basis="target_pct",
        ),
    )
    assert response.status_code == 400
    assert "Choose the goal whose target is the yardstick." in response.content.decode()
    assert data.plan.risks.count() == 1


@pytest.mark.parametrize("role", [Role.MEMBER, Role.REP, Role.LEADER])
def test_non_editors_cannot_add_a_risk(world, clients, data, role):
    response = clients[role].post(url("risk_create", pk=data.plan.pk), risk_data(world))
    assert response.status_code == 403
    assert data.plan.risks.count() == 1


def test_risk_edit(world, clients, data):
    response = clients["manager"].post(
        url("risk_edit", pk=data.risk.pk), risk_data(world, description="Customers hesitate.")
    )
    assert response.status_code == 302
    data.risk.refresh_from_db()
    assert data.risk.description == "Customers hesitate." and data.risk.impact == 4

    response = clients["manager"].post(
        url("risk_edit", pk=data.risk.pk), risk_data(world, trigger_kind="kpi")
    )
    assert response.status_code == 400
    assert "Offer a bundle" in response.content.decode()  # the Plan B list still shows
    data.risk.refresh_from_db()
    assert data.risk.trigger_kind == "manual"


def test_member_cannot_edit_a_risk(world, clients, data):
    response = clients["member"].post(
        url("risk_edit", pk=data.risk.pk), risk_data(world, description="x")
    )
    assert response.status_code == 403


def test_risk_trigger_plan_b_and_close(world, clients, data):
    manager = clients["manager"]
    response = manager.post(url("risk_trigger", pk=data.risk.pk), {"reason": "Two pilots said no."})
    assert response.status_code == 302
    assert response["Location"] == url("plan_detail", pk=data.plan.pk) + "#risks"
    data.risk.refresh_from_db()
    assert data.risk.status == "triggered" and data.risk.trigger_reason == "Two pilots said no."

    again = manager.post(url("risk_trigger", pk=data.risk.pk), {"reason": ""})
    assert "Only a risk being watched can be triggered." in messages_of(again)

    response = manager.post(url("risk_activate_plan_b", pk=data.risk.pk))
    assert response.status_code == 302
    data.risk.refresh_from_db()
    data.plan_b.refresh_from_db()
    assert data.risk.status == "plan_b"
    assert not data.plan_b.is_dormant
    this_week = week_start(org_today(world.org).date())
    assert (data.plan_b.start_week, data.plan_b.due_week) == (
        this_week,
        this_week + timedelta(weeks=1),
    )

    response = manager.post(url("risk_close", pk=data.risk.pk), {"reason": "Bundle worked."})
    assert response.status_code == 302
    data.risk.refresh_from_db()
    assert data.risk.status == "closed"
    assert "This risk is already closed." in messages_of(
        manager.post(url("risk_close", pk=data.risk.pk))
    )


def test_only_the_plan_owner_or_sales_ops_activates_plan_b(world, clients, data):
    assert clients["rep"].post(url("risk_activate_plan_b", pk=data.risk.pk)).status_code == 403
    assert clients["leader"].post(url("risk_activate_plan_b", pk=data.risk.pk)).status_code == 403
    data.risk.refresh_from_db()
    assert data.risk.status == "watching"
    assert clients["admin"].post(url("risk_activate_plan_b", pk=data.risk.pk)).status_code == 302
    data.risk.refresh_from_db()
    assert data.risk.status == "plan_b"


def test_rep_cannot_trigger_or_close_a_risk(clients, data):
    assert clients["rep"].post(url("risk_trigger", pk=data.risk.pk)).status_code == 403
    assert clients["rep"].post(url("risk_close", pk=data.risk.pk)).status_code == 403
    data.risk.refresh_from_db()
    assert data.risk.status == "watching"


def test_plan_b_milestone_is_added_dormant(world, clients, data):
    response = clients["manager"].post(
        url("contingency_add", pk=data.risk.pk),
        {"title": "Call the largest accounts", "owner": world.user("rep").pk, "weeks": "2"},
    )
    assert response.status_code == 302
    milestone = Milestone.objects.get(title="Call the largest accounts")
    assert milestone.contingency_for == data.risk and milestone.is_dormant
    assert (milestone.due_week - milestone.start_week).days == 7

    response = clients["manager"].post(
        url("contingency_add", pk=data.risk.pk),
        {"title": "", "owner": world.user("rep").pk, "weeks": "0"},
    )
    assert response.status_code == 302
    flashed = messages_of(response)
    assert "Title: This field is required." in flashed
    assert any(m.startswith("Weeks it takes:") for m in flashed)
    assert data.risk.contingency_milestones.count() == 2


def test_risk_delete_is_refused_while_plan_b_runs(clients, data):
    services.risk_activate_plan_b(actor=data.plan.owner, risk=data.risk)
    response = clients["manager"].post(url("risk_delete", pk=data.risk.pk))
    assert "Its Plan B is running; close the risk instead." in messages_of(response)
    assert Risk.objects.filter(pk=data.risk.pk).exists()


# --- blockers ------------------------------------------------------------------------------


def test_blocker_is_resolved_by_the_person_it_was_routed_to(clients, data):
    next_url = url("milestone_detail", pk=data.second.pk)
    response = clients["manager"].post(
        url("blocker_resolve", pk=data.blocker.pk),
        {"resolution": "Sheet sent by finance.", "next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == next_url
    data.blocker.refresh_from_db()
    assert data.blocker.status == "resolved"
    assert data.blocker.resolution == "Sheet sent by finance."
    assert "Blocker resolved. Whoever reported it is told." in messages_of(response)


def test_blocker_routed_by_raci_goes_to_the_accountable_person(world, clients, data):
    blocker = services.blocker_raise(
        actor=world.user("rep"), milestone=data.first, description="Approval stuck."
    )
    assert blocker.routed_to == world.user("leader")
    page = clients["leader"].get(url("blocker_list")).content.decode()
    assert "Approval stuck." in page and 'data-testid="blocker-resolve-form"' in page
    response = clients["leader"].post(
        url("blocker_resolve", pk=blocker.pk), {"resolution": "Approved."}
    )
    assert response.status_code == 302
    assert response["Location"] == url("blocker_list")
    blocker.refresh_from_db()
    assert blocker.status == "resolved"


def test_unrelated_rep_cannot_resolve_a_blocker(world, clients, data):
    stranger = client_for(MembershipFactory(org=world.org, role=Role.REP).user)
    response = stranger.post(url("blocker_resolve", pk=data.blocker.pk), {"resolution": "Done."})
    assert response.status_code == 403
    # nor may the rep who raised it
    response = clients["rep"].post(url("blocker_resolve", pk=data.blocker.pk), {"resolution": "x"})
    assert response.status_code == 403
    data.blocker.refresh_from_db()
    assert data.blocker.status == "open"


def test_blocker_resolve_needs_a_resolution_and_stays_open(clients, data):
    response = clients["manager"].post(
        url("blocker_resolve", pk=data.blocker.pk), {"resolution": ""}
    )
    assert response.status_code == 302
    assert messages_of(response)
    data.blocker.refresh_from_db()
    assert data.blocker.status == "open"


def test_blocker_resolve_ignores_a_foreign_next(clients, data):
    response = clients["manager"].post(
        url("blocker_resolve", pk=data.blocker.pk),
        {"resolution": "Fixed.", "next": "https://evil.example.com/"},
    )
    assert response["Location"] == url("blocker_list")


def test_blocker_list_shows_the_resolve_form_only_to_whoever_may_resolve(clients, data):
    manager = clients["manager"].get(url("blocker_list")).content.decode()
    assert "The pricing sheet is missing." in manager
    assert 'data-testid="blocker-resolve-form"' in manager
    rep = clients["rep"].get(url("blocker_list")).content.decode()  # raised it
    assert "The pricing sheet is missing." in rep
    assert 'data-testid="blocker-resolve-form"' not in rep
    member = clients["member"].get(url("blocker_list")).content.decode()
    assert "The pricing sheet is missing." not in member
    assert 'data-testid="no-blockers"' in member


def test_blocker_list_filters_with_htmx_partial(clients, data):
    services.blocker_resolve(
        actor=data.plan.owner, blocker=data.blocker, resolution="Sheet arrived."
    )
    response = clients["admin"].get(url("blocker_list"), {"status": "resolved", "scope": "all"})
    page = response.content.decode()
    assert "Sheet arrived." in page and NAVBAR in page

    partial = clients["admin"].get(
        url("blocker_list"), {"status": "resolved", "scope": "all"}, **HTMX
    )
    assert partial.status_code == 200
    html = partial.content.decode()
    assert NAVBAR not in html
    assert html.strip().startswith('<div id="blocker-table">')
    assert "Sheet arrived." in html

    open_only = clients["admin"].get(url("blocker_list"), {"scope": "all"}, **HTMX)
    assert "Sheet arrived." not in open_only.content.decode()


def test_blocker_list_everyone_scope_is_only_for_leaders_and_admins(clients, data):
    # a member asking for everyone's gets their own (none)
    page = clients["member"].get(url("blocker_list"), {"scope": "all"}).content.decode()
    assert "The pricing sheet is missing." not in page
    page = clients["leader"].get(url("blocker_list"), {"scope": "all"}).content.decode()
    assert "The pricing sheet is missing." in page


# --- the weekly update -------------------------------------------------------------------


def update_data(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "progress": "60",
        "status": "in_progress",
        "note": "",
        "blocker": "",
    }
    values.update(overrides)
    return values


def test_this_week_lists_my_milestones(clients, data):
    page = clients["rep"].get(url("this_week")).content.decode()
    assert "Train the team" in page and "Pilot with customers" in page
    assert "Offer a bundle" not in page  # dormant Plan B
    manager = clients["manager"].get(url("this_week")).content.decode()
    assert "Train the team" not in manager


def test_weekly_update_without_htmx_redirects_with_a_message(clients, data):
    response = clients["rep"].post(
        url("milestone_update", pk=data.first.pk), update_data(note="Two sessions left.")
    )
    assert response.status_code == 302
    assert response["Location"] == url("this_week")
    assert any(m.startswith("Train the team:") for m in messages_of(response))
    data.first.refresh_from_db()
    assert data.first.progress == 60
    update = data.first.updates.first()
    assert (update.progress_before, update.progress_after) == (40, 60)
    assert update.note == "Two sessions left."


def test_weekly_update_from_the_milestone_page_returns_there(clients, data):
    page = url("milestone_detail", pk=data.first.pk)
    response = clients["rep"].post(
        url("milestone_update", pk=data.first.pk), update_data(progress="70", next=page)
    )
    assert response["Location"] == page
    followed = clients["rep"].get(page).content.decode()
    assert "40% → 70%" in followed


def test_weekly_update_with_htmx_returns_the_row(clients, data):
    response = clients["rep"].post(
        url("milestone_update", pk=data.first.pk), update_data(progress="80"), **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert NAVBAR not in html
    assert f'id="row-{data.first.pk}"' in html
    assert "Saved." in html
    data.first.refresh_from_db()
    assert data.first.progress == 80


def test_weekly_update_with_a_blocker_routes_it(world, clients, data):
    response = clients["rep"].post(
        url("milestone_update", pk=data.first.pk),
        update_data(blocker="Finance has not approved the price."),
        **HTMX,
    )
    assert response.status_code == 200
    leader = world.user("leader")
    assert f"The blocker went to {leader.display_name}." in response.content.decode()
    data.first.refresh_from_db()
    assert data.first.status == "blocked"
    blocker = Blocker.objects.get(description="Finance has not approved the price.")
    assert blocker.routed_to == leader and blocker.milestone == data.first


def test_marking_done_with_unfinished_dependencies_is_refused_with_htmx(clients, data):
    updates = MilestoneUpdate.objects.count()
    response = clients["rep"].post(
        url("milestone_update", pk=data.second.pk),
        update_data(progress="100", status="done"),
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "It cannot be done before “Train the team”." in html
    assert f'id="row-{data.second.pk}"' in html
    assert MilestoneUpdate.objects.count() == updates
    data.second.refresh_from_db()
    assert data.second.status == "not_started" and data.second.progress == 0


def test_marking_done_with_unfinished_dependencies_is_refused_without_htmx(clients, data):
    updates = MilestoneUpdate.objects.count()
    response = clients["rep"].post(
        url("milestone_update", pk=data.second.pk), update_data(progress="100", status="done")
    )
    assert response.status_code == 302
    assert any("It cannot be done before" in m for m in messages_of(response))
    assert MilestoneUpdate.objects.count() == updates


def test_invalid_progress_is_refused_with_htmx(clients, data):
    response = clients["rep"].post(
        url("milestone_update", pk=data.first.pk), update_data(progress="150"), **HTMX
    )
    assert response.status_code == 422
    data.first.refresh_from_db()
    assert data.first.progress == 40


def test_done_after_dependencies_are_done_sets_full_progress(clients, data):
    services.milestone_record_update(
        actor=data.first.owner, milestone=data.first, progress=100, status="done"
    )
    response = clients["rep"].post(
        url("milestone_update", pk=data.second.pk),
        update_data(progress="50", status="done"),
        **HTMX,
    )
    assert response.status_code == 200
    data.second.refresh_from_db()
    assert data.second.status == "done" and data.second.progress == 100


@pytest.mark.parametrize("role", [Role.MEMBER, Role.LEADER])
def test_others_cannot_update_a_milestone(clients, data, role):
    response = clients[role].post(url("milestone_update", pk=data.first.pk), update_data())
    assert response.status_code == 403
    data.first.refresh_from_db()
    assert data.first.progress == 40


def test_dormant_plan_b_milestone_cannot_be_updated(clients, data):
    response = clients["rep"].post(
        url("milestone_update", pk=data.plan_b.pk), update_data(), **HTMX
    )
    assert response.status_code == 422
    assert "dormant" in response.content.decode()
