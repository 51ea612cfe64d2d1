"""A leader opens the leadership dashboard, switches it from this month to this quarter, drills
into a KPI tile, and acknowledges the deviation alert waiting for them."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dashboards.models import Alert, AlertState
from dashboards.rollups import bucket_start, rollups_rebuild
from goals.services.checkins import org_today
from salesops.models import Role

from ..factories import (
    AlertFactory,
    AlertRuleFactory,
    GoalFactory,
    KpiFactory,
    MeasurementFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
)
from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "journey-monitoring"


def test_leader_reads_the_dashboard_drills_into_a_kpi_and_acknowledges_an_alert(
    live_server, browser, page
):
    org = OrganizationFactory(slug=SLUG, name="Journey Monitoring", language="en")
    leader = MembershipFactory(org=org, role=Role.LEADER, user__display_name="Lena Leader")
    east = TeamFactory(org=org, name="East Sales")
    revenue = KpiFactory(org=org, name="Signed revenue", unit="count", aggregation="sum")
    GoalFactory(
        org=org,
        kpi=revenue,
        level="company",
        team=None,
        owner=leader.user,
        title="Grow signed revenue",
        status="active",
    )
    MeasurementFactory(org=org, kpi=revenue, team=east, value=40)
    rollups_rebuild(org=org)
    rule = AlertRuleFactory(
        org=org,
        name="Overdue milestones above 3",
        recipient_roles=["leader"],
        action="Call the owners",
    )
    alert = AlertFactory(
        org=org,
        rule=rule,
        subject_label="Journey Monitoring",
        value=5,
        threshold=3,
        period_start=timezone.localdate(),
    )

    log_in(page, live_server.url, leader.user.email, SLUG)
    page.get_by_test_id("home-leadership").click()
    page.wait_for_url(f"{live_server.url}/o/{SLUG}/dashboard/")
    tile = page.get_by_test_id("tile").filter(has_text="Signed revenue")
    expect(tile).to_be_visible()
    expect(page.get_by_test_id("alerts-card")).to_contain_text("Overdue milestones above 3")

    # The period filter swaps the board in place (htmx) and keeps the choice in the address.
    page.get_by_label("Period").select_option("quarter")
    page.wait_for_url("**/dashboard/?*period=quarter*")
    quarter = bucket_start(org_today(org).date(), "quarter", org.fiscal_year_start_month)
    expect(page.get_by_test_id("board-period")).to_contain_text(quarter.isoformat())
    expect(tile).to_be_visible()

    tile.click()
    page.wait_for_url(f"**/dashboard/kpis/{revenue.pk}/**")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Signed revenue")
    expect(page.get_by_test_id("insight")).to_contain_text("East Sales")

    page.goto(f"{live_server.url}/o/{SLUG}/alerts/")
    page.get_by_test_id("alert-row").filter(has_text="Overdue milestones above 3").get_by_role(
        "link"
    ).first.click()
    page.wait_for_url(f"**/alerts/{alert.pk}/")
    expect(page.get_by_test_id("alert-action")).to_contain_text("Call the owners")
    page.get_by_test_id("acknowledge-form").get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_test_id("alert-state-badge")).to_contain_text("Acknowledged")
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    assert alert.acknowledged_by_id == leader.user.pk
    assert Alert.objects.filter(org=org).count() == 1
