"""A rep gives this week's update on three milestones in place, reports a blocker that goes to
the Accountable person of the linked RACI activity, and that leader resolves it."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from actionplans.models import Blocker, BlockerStatus, MilestoneStatus, MilestoneUpdate
from goals.services.checkins import org_today
from salesops.models import Notification, Role

from ..factories import (
    ActionPlanFactory,
    MembershipFactory,
    MilestoneFactory,
    OrganizationFactory,
    RaciActivityFactory,
    RaciAssignmentFactory,
    RaciMatrixFactory,
    RaciParticipantFactory,
)
from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "journey-plans"


def _monday(org, weeks: int = 0):
    """A Monday counted from this week in the organisation's time zone, as "This week" counts."""
    today = org_today(org).date()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks)


def test_rep_updates_the_week_in_place_and_the_accountable_leader_clears_the_blocker(
    live_server, browser, page
):
    org = OrganizationFactory(slug=SLUG, name="Journey Plans")
    manager = MembershipFactory(org=org, role=Role.MANAGER, user__display_name="Mia Manager")
    rep = MembershipFactory(org=org, role=Role.REP, user__display_name="Reza Rep")
    leader = MembershipFactory(org=org, role=Role.LEADER, user__display_name="Lena Leader")
    matrix = RaciMatrixFactory(org=org, title="Pricing decisions", status="published")
    activity = RaciActivityFactory(matrix=matrix, name="Approve pilot discounts")
    RaciAssignmentFactory(
        activity=activity,
        participant=RaciParticipantFactory(matrix=matrix, membership=leader),
        letters="A",
    )
    plan = ActionPlanFactory(
        org=org, owner=manager.user, title="Premium products to 30% of sales", status="active"
    )
    milestones = [
        MilestoneFactory(
            plan=plan,
            owner=rep.user,
            title=title,
            start_week=_monday(org, -1),
            due_week=_monday(org, due),
            raci_activity=activity if linked else None,
        )
        for title, due, linked in (
            ("Product training on the premium range", 0, False),
            ("Pilot with selected customers", 1, True),
            ("Update the pricing sheet", 2, False),
        )
    ]
    training, pilot, pricing = milestones

    # The rep opens "This week" from the navigation.
    log_in(page, live_server.url, rep.user.email, SLUG)
    page.get_by_role("button", name="Action plans").click()
    page.get_by_test_id("nav-this-week").click()
    page.wait_for_url(f"{live_server.url}/o/{SLUG}/this-week/")
    expect(page.get_by_role("heading", name="This week")).to_be_visible()
    expect(page.get_by_test_id("week-row")).to_have_count(3)
    expect(page.get_by_test_id("week-progress")).to_contain_text("0 of 3")
    # Saving a row must not reload the page: this marker would be lost.
    page.evaluate("window.__sameDocument = true")

    def save_row(milestone, progress: str, status: str, note: str, blocker: str = ""):
        row = page.locator(f"#row-{milestone.pk}")
        row.locator(f"#progress-{milestone.pk}").fill(progress)
        row.locator(f"#status-{milestone.pk}").select_option(status)
        row.locator(f"#note-{milestone.pk}").fill(note)
        if blocker:
            row.get_by_text("Report a blocker").click()
            row.get_by_test_id("blocker-input").fill(blocker)
        row.get_by_test_id("row-save").click()
        saved = page.locator(f"#row-{milestone.pk}").get_by_test_id("row-saved")
        expect(saved).to_be_visible()
        return saved

    expect(save_row(training, "100", "done", "Everyone passed the quiz.")).to_have_text("Saved.")
    expect(save_row(pricing, "20", "in_progress", "Draft prices sent to finance.")).to_have_text(
        "Saved."
    )
    saved = save_row(
        pilot,
        "40",
        "in_progress",
        "Three of six pilot accounts said yes.",
        blocker="Two accounts want the 8% pilot discount; it needs approval.",
    )
    expect(saved).to_have_text("Saved. The blocker went to Lena Leader.")
    expect(page.locator(f"#row-{pilot.pk}")).to_contain_text("1 open blocker")
    for milestone in milestones:
        expect(page.locator(f"#row-{milestone.pk}").get_by_test_id("updated-badge")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True

    updates = MilestoneUpdate.objects.filter(milestone__plan=plan)
    assert updates.count() == 3
    assert set(updates.values_list("author", flat=True)) == {rep.user.pk}
    assert {(u.milestone_id, u.progress_after, u.status_after, u.note) for u in updates} == {
        (training.pk, 100, MilestoneStatus.DONE, "Everyone passed the quiz."),
        (pricing.pk, 20, MilestoneStatus.IN_PROGRESS, "Draft prices sent to finance."),
        (pilot.pk, 40, MilestoneStatus.BLOCKED, "Three of six pilot accounts said yes."),
    }
    blocker = Blocker.objects.get(org=org)
    assert (blocker.milestone_id, blocker.raised_by_id, blocker.routed_to_id) == (
        pilot.pk,
        rep.user.pk,
        leader.user.pk,
    )
    assert blocker.status == BlockerStatus.OPEN
    assert updates.get(milestone=pilot).blocker_id == blocker.pk
    assert Notification.objects.filter(
        org=org, recipient=leader.user, kind="actionplans.blocker"
    ).exists()
    pilot.refresh_from_db()
    assert pilot.status == MilestoneStatus.BLOCKED

    # The leader, in a browser of her own, finds the blocker and resolves it.
    context = browser.new_context(locale="en-US")
    try:
        leader_page = context.new_page()
        leader_page.set_default_timeout(15000)
        log_in(leader_page, live_server.url, leader.user.email, SLUG)
        leader_page.goto(f"{live_server.url}/o/{SLUG}/blockers/")
        row = leader_page.get_by_test_id("blocker-row").filter(has_text="8% pilot discount")
        expect(row).to_contain_text("Pilot with selected customers")
        expect(row).to_contain_text("Reza Rep")
        row.get_by_label("How was it resolved?").fill("Approved for both accounts until March.")
        row.get_by_role("button", name="Mark resolved").click()
        expect(
            leader_page.get_by_text("Blocker resolved. Whoever reported it is told.")
        ).to_be_visible()
        expect(leader_page.get_by_test_id("blocker-row")).to_have_count(0)
    finally:
        context.close()

    blocker.refresh_from_db()
    assert blocker.status == BlockerStatus.RESOLVED
    assert blocker.resolved_by == leader.user
    assert blocker.resolution == "Approved for both accounts until March."
    pilot.refresh_from_db()
    assert pilot.status == MilestoneStatus.IN_PROGRESS
    assert Notification.objects.filter(
        org=org, recipient=rep.user, kind="actionplans.blocker_resolved"
    ).exists()
