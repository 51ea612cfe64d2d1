"""A manager starts a RACI matrix from a template, fixes the team that was made Accountable
with the keyboard, watches the checks clear, and publishes it."""

import pytest
from playwright.sync_api import expect

from raci.models import MatrixStatus, RaciActivity, RaciAssignment, RaciMatrix, RaciParticipant
from salesops.models import Notification, Role, TeamKind

from ..factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    TeamMembershipFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_fixes_a_team_accountable_with_the_keyboard_and_publishes(live_server, page):
    org = OrganizationFactory(slug="journey-raci", name="Journey RACI")
    manager = MembershipFactory(org=org, role=Role.MANAGER, user__display_name="Mia Manager")
    marketer = MembershipFactory(org=org, role=Role.REP, user__display_name="Mark Marketer")
    carer = MembershipFactory(org=org, role=Role.REP, user__display_name="Cora Care")
    # Marketing has no lead, so the template leaves its A/R on the team: an error to fix.
    marketing = TeamFactory(org=org, name="Demand Marketing", kind=TeamKind.MARKETING)
    TeamMembershipFactory(team=marketing, membership=marketer)
    sales = TeamFactory(org=org, name="Field Sales", kind=TeamKind.SALES)
    TeamMembershipFactory(team=sales, membership=manager, is_lead=True)
    care = TeamFactory(org=org, name="Customer Care", kind=TeamKind.CUSTOMER_SERVICE)
    TeamMembershipFactory(team=care, membership=carer, is_lead=True)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(manager.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/journey-raci/")

    # From the template, with the template's name.
    page.goto(f"{live_server.url}/o/journey-raci/raci/")
    page.get_by_role("link", name="New matrix").click()
    page.get_by_label("Start from").select_option("lead_handoff")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Lead hand-off")).to_be_visible()
    expect(page.get_by_text("Matrix created as a draft.")).to_be_visible()
    matrix = RaciMatrix.objects.get(org=org)
    assert matrix.status == MatrixStatus.DRAFT

    panel = page.get_by_test_id("raci-validation")
    expect(panel.locator('[data-code="team_accountable"]')).to_have_count(2)
    expect(panel).to_contain_text(
        "Accountable must be one person, not a team: the team “Demand Marketing” is "
        "Accountable for “Agree the MQL standard”."
    )

    # A person from marketing joins the matrix.
    page.get_by_label("Person", exact=True).select_option(label="Mark Marketer")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#raci-grid thead")).to_contain_text("Mark Marketer")
    mark = RaciParticipant.objects.get(matrix=matrix, membership=marketer)
    team = RaciParticipant.objects.get(matrix=matrix, team=marketing)
    agree = RaciActivity.objects.get(matrix=matrix, name="Agree the MQL standard")
    generate = RaciActivity.objects.get(matrix=matrix, name="Generate leads to the MQL standard")

    def cell(activity: RaciActivity, participant: RaciParticipant):
        return page.get_by_test_id(f"cell-{activity.pk}-{participant.pk}")

    # Agreeing the standard: the team's A/R is cleared, Mark takes A, then R on top (A/R).
    expect(cell(agree, team)).to_have_value("A/R")
    cell(agree, team).press("Delete")
    expect(panel).to_contain_text("Nobody is Accountable for “Agree the MQL standard”")
    expect(cell(agree, team)).to_have_value("")
    cell(agree, mark).press("a")
    expect(panel).not_to_contain_text("Nobody is Accountable for “Agree the MQL standard”")
    expect(panel).to_contain_text("Nobody is Responsible for “Agree the MQL standard”")
    expect(cell(agree, mark)).to_have_value("A")
    expect(cell(agree, mark)).to_be_focused()
    cell(agree, mark).press("r")
    expect(panel).not_to_contain_text("Nobody is Responsible for “Agree the MQL standard”")
    expect(cell(agree, mark)).to_have_value("A/R")

    # Generating leads: Mark takes A (two Accountable for a moment), the team keeps only R.
    cell(generate, mark).press("a")
    expect(panel).to_contain_text("“Generate leads to the MQL standard” has 2 Accountable")
    cell(generate, team).select_option("R")
    expect(panel).not_to_contain_text("has 2 Accountable")
    expect(panel.locator("li.text-danger")).to_have_count(0)
    expect(panel).to_contain_text("No problems")

    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text("Published. Everyone with a role in it has been told.")).to_be_visible()
    expect(page.get_by_role("heading", name="Lead hand-off")).to_contain_text("Published")
    expect(page.get_by_role("button", name="Publish changes")).to_be_visible()

    matrix.refresh_from_db()
    assert matrix.status == MatrixStatus.PUBLISHED
    assert matrix.published_by == manager.user
    cells = {
        (a.activity_id, a.participant_id): a.letters
        for a in RaciAssignment.objects.filter(activity__matrix=matrix)
    }
    assert cells[(agree.pk, mark.pk)] == "A/R"
    assert (agree.pk, team.pk) not in cells
    assert cells[(generate.pk, mark.pk)] == "A"
    assert cells[(generate.pk, team.pk)] == "R"
    assert matrix.published_cells == {f"{a}:{p}": letters for (a, p), letters in cells.items()}
    assert Notification.objects.filter(
        kind="raci.published", recipient=marketer.user, org=org
    ).exists()


def test_a_slow_answer_does_not_pull_the_focus_back_to_its_cell(live_server, page):
    """The user sets a letter and moves on before the server answers: the answer updates the
    first cell, and the keyboard stays on the cell the user moved to."""
    org = OrganizationFactory(slug="journey-raci-focus", name="Journey RACI focus")
    manager = MembershipFactory(org=org, role=Role.MANAGER, user__display_name="Mia Manager")
    sales = TeamFactory(org=org, name="Field Sales", kind=TeamKind.SALES)
    TeamMembershipFactory(team=sales, membership=manager, is_lead=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(manager.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/o/journey-raci-focus/")
    page.goto(f"{live_server.url}/o/journey-raci-focus/raci/")
    page.get_by_role("link", name="New matrix").click()
    page.get_by_label("Start from").select_option("lead_handoff")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Matrix created as a draft.")).to_be_visible()
    matrix = RaciMatrix.objects.get(org=org)
    first, second = RaciActivity.objects.filter(matrix=matrix).order_by("position", "pk")[:2]
    participant = RaciParticipant.objects.filter(matrix=matrix).order_by("pk").first()

    def cell(activity: RaciActivity):
        return page.get_by_test_id(f"cell-{activity.pk}-{participant.pk}")

    letter = "C" if cell(first).input_value() == "I" else "I"
    held = []

    def hold(route) -> None:  # type: ignore[no-untyped-def]
        held.append(route)

    page.route("**/raci/*/cells/", hold)
    cell(first).press(letter.lower())
    for _attempt in range(100):  # until the request reaches the route (at most 5 s)
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    cell(second).focus()
    # Known once the answer is in place (this listener runs after the page's own).
    page.evaluate(
        "() => document.addEventListener('htmx:afterSettle', () => { window.settled = true; })"
    )
    with page.expect_response("**/raci/*/cells/"):
        held[0].continue_()
    page.wait_for_function("() => window.settled === true")
    expect(cell(first)).to_have_value(letter)
    expect(cell(second)).to_be_focused()
    assert RaciAssignment.objects.filter(
        activity=first, participant=participant, letters=letter
    ).exists()
