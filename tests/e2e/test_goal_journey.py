"""A manager writes a vague goal, watches the SMART check change as it is fixed, and activates it."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from goals.models import Goal, GoalLevel, GoalStatus, Kpi
from goals.services.kpis import kpis_ensure_builtin
from salesops.models import Role

from ..factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    TeamMembershipFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_fixes_a_vague_goal_and_activates_it(live_server, page):
    org = OrganizationFactory(slug="journey-goals", name="Journey Goals")
    kpis_ensure_builtin(org=org)
    manager = MembershipFactory(org=org, role=Role.MANAGER, user__display_name="Mia Manager")
    leader = MembershipFactory(org=org, role=Role.LEADER)
    team = TeamFactory(org=org, name="East Sales")
    TeamMembershipFactory(team=team, membership=manager, is_lead=True)
    revenue = Kpi.objects.get(org=org, key="revenue")
    today = date.today()
    company = Goal.objects.create(
        org=org,
        title="Grow revenue 12% this half-year",
        scope_channel="All",
        kpi=revenue,
        baseline=100,
        target=112,
        start_date=today,
        due_date=today + timedelta(days=180),
        level=GoalLevel.COMPANY,
        owner=leader.user,
        status=GoalStatus.ACTIVE,
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(manager.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/journey-goals/")

    page.goto(f"{live_server.url}/o/journey-goals/goals/new/")
    specific = page.locator('[data-criterion="specific"]')
    relevant = page.locator('[data-criterion="relevant"]')
    measurable = page.locator('[data-criterion="measurable"]')

    # The vague version: no number, no scope.
    page.get_by_label("Title").fill("提升销售额")
    page.get_by_label("KPI").select_option(label="Conversion rate")
    expect(specific).to_have_attribute("data-level", "fail")
    expect(measurable).to_have_attribute("data-level", "fail")

    # Fixing it, field by field: the check follows as the manager types.
    page.get_by_label("Channel").fill("Direct sales")
    page.get_by_label("Title").fill("Conversion from 20% to 25% this quarter")
    expect(specific).to_have_attribute("data-level", "pass")
    page.get_by_label("Baseline").fill("20")
    page.get_by_label("Target").fill("25")
    page.get_by_label("Due date").fill((today + timedelta(days=90)).isoformat())
    expect(measurable).to_have_attribute("data-level", "pass")
    page.get_by_label("Team", exact=True).select_option(label="East Sales")
    expect(relevant).to_have_attribute("data-level", "fail")
    page.get_by_label("Parent goal").select_option(label=company.title)
    page.get_by_label("How it contributes").fill("More leads become deals, so revenue grows.")
    expect(relevant).to_have_attribute("data-level", "pass")

    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_role("heading", name="Conversion from 20% to 25% this quarter")
    ).to_be_visible()
    goal = Goal.objects.get(title="Conversion from 20% to 25% this quarter")
    assert goal.status == GoalStatus.DRAFT

    page.get_by_role("button", name="Activate goal").click()
    expect(page.get_by_text("Goal activated.")).to_be_visible()
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE
    assert goal.parent == company
