"""The two pages people open most: "This week" and the plan page — behaviour and query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actionplans import services
from actionplans.models import Blocker, MilestoneUpdate

from ..factories import (
    ActionPlanFactory,
    MilestoneFactory,
    RaciActivityFactory,
    RaciAssignmentFactory,
    RaciMatrixFactory,
    RaciParticipantFactory,
    ResourceFactory,
    RiskFactory,
)

pytestmark = pytest.mark.django_db


def monday(weeks: int = 0):
    today = timezone.localdate()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks)


def _url(name: str, **kwargs) -> str:
    return reverse(f"actionplans:{name}", kwargs={"org_slug": "acme", **kwargs})


def _plan_with(world, count: int):
    plan = ActionPlanFactory(org=world.org, owner=world.user("manager"), team=world.team)
    milestones = []
    for index in range(count):
        milestone = MilestoneFactory(
            plan=plan, owner=world.user("rep"), start_week=monday(-2), due_week=monday(index % 3)
        )
        if milestones:
            milestone.depends_on.add(milestones[-1])
        milestones.append(milestone)
        services.milestone_record_update(
            actor=world.user("rep"), milestone=milestone, progress=10, status="in_progress"
        )
    ResourceFactory(plan=plan, planned=100, actual=150 if count > 3 else 50)
    RiskFactory(plan=plan)
    return plan, milestones


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_this_week_query_count_does_not_grow_with_milestones(world, clients):
    _plan_with(world, 3)
    small = _queries(clients["rep"], _url("this_week"))
    _plan_with(world, 12)
    assert _queries(clients["rep"], _url("this_week")) == small


def test_plan_page_query_count_does_not_grow_with_milestones(world, clients):
    small_plan, _ = _plan_with(world, 3)
    large_plan, _ = _plan_with(world, 15)
    for _index in range(4):  # each risk shows an inline Plan B form
        RiskFactory(plan=large_plan)
    small = _queries(clients["manager"], _url("plan_detail", pk=small_plan.pk))
    assert _queries(clients["manager"], _url("plan_detail", pk=large_plan.pk)) == small


def test_this_week_lists_my_current_milestones_only(world, clients):
    plan = ActionPlanFactory(org=world.org, owner=world.user("manager"))
    mine = MilestoneFactory(plan=plan, owner=world.user("rep"), title="Call the pilot accounts")
    MilestoneFactory(plan=plan, owner=world.user("manager"), title="Someone else's")
    MilestoneFactory(
        plan=plan,
        owner=world.user("rep"),
        title="Far future",
        start_week=monday(6),
        due_week=monday(8),
    )
    response = clients["rep"].get(_url("this_week"))
    body = response.content.decode()
    assert mine.title in body
    assert "Someone else&#x27;s" not in body and "Someone else's" not in body
    assert body.count('data-testid="week-row"') == 1
    assert "Far future" in body  # listed under "Coming up", not as a row


def test_row_update_by_htmx_saves_and_answers_the_row(world, clients):
    milestone = MilestoneFactory(
        plan=ActionPlanFactory(org=world.org, owner=world.user("manager")),
        owner=world.user("rep"),
    )
    response = clients["rep"].post(
        _url("milestone_update", pk=milestone.pk),
        {"progress": "60", "status": "in_progress", "note": "Two of five pilots signed"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="row-saved"' in body and "<html" not in body
    milestone.refresh_from_db()
    assert milestone.progress == 60
    update = MilestoneUpdate.objects.get(milestone=milestone)
    assert (update.progress_before, update.progress_after, update.note) == (
        0,
        60,
        "Two of five pilots signed",
    )


def test_row_refuses_done_before_dependencies_and_saves_nothing(world, clients):
    plan = ActionPlanFactory(org=world.org, owner=world.user("manager"))
    first = MilestoneFactory(plan=plan, owner=world.user("rep"), title="Product training")
    second = MilestoneFactory(plan=plan, owner=world.user("rep"))
    second.depends_on.add(first)
    response = clients["rep"].post(
        _url("milestone_update", pk=second.pk),
        {"progress": "100", "status": "done"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Product training" in response.content.decode()
    second.refresh_from_db()
    assert second.status == "not_started" and not MilestoneUpdate.objects.exists()


def test_blocker_from_this_week_reaches_the_accountable_person(world, clients):
    matrix = RaciMatrixFactory(org=world.org)
    activity = RaciActivityFactory(matrix=matrix)
    leader = world.members["leader"]
    RaciAssignmentFactory(
        activity=activity,
        participant=RaciParticipantFactory(matrix=matrix, membership=leader),
        letters="A",
    )
    milestone = MilestoneFactory(
        plan=ActionPlanFactory(org=world.org, owner=world.user("manager")),
        owner=world.user("rep"),
        raci_activity=activity,
    )
    response = clients["rep"].post(
        _url("milestone_update", pk=milestone.pk),
        {"progress": "20", "status": "in_progress", "blocker": "No pricing sheet yet"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    blocker = Blocker.objects.get()
    assert blocker.routed_to == leader.user
    assert leader.user.display_name in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.status == "blocked"


def test_someone_elses_milestone_cannot_be_updated(world, clients):
    milestone = MilestoneFactory(
        plan=ActionPlanFactory(org=world.org, owner=world.user("manager")),
        owner=world.user("manager"),
    )
    response = clients["rep"].post(
        _url("milestone_update", pk=milestone.pk), {"progress": "50", "status": "in_progress"}
    )
    assert response.status_code == 403
    assert not MilestoneUpdate.objects.exists()


def test_plan_page_shows_timeline_budget_warning_and_risk_matrix(world, clients):
    plan, _ = _plan_with(world, 4)
    body = clients["leader"].get(_url("plan_detail", pk=plan.pk)).content.decode()
    for marker in ("timeline", "budget-over", "risk-matrix", "milestone-table", "budget-totals"):
        assert f'data-testid="{marker}"' in body


def test_this_week_is_paginated_for_people_who_own_very_many(world, clients):
    plan = ActionPlanFactory(org=world.org, owner=world.user("manager"))
    for _ in range(55):
        MilestoneFactory(plan=plan, owner=world.user("rep"))
    first = clients["rep"].get(_url("this_week")).content.decode()
    assert first.count('data-testid="week-row"') == 50
    assert "0 of 55 milestones updated this week" in first
    second = clients["rep"].get(_url("this_week") + "?page=2").content.decode()
    assert second.count('data-testid="week-row"') == 5
