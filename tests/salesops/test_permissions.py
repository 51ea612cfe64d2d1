"""The role × action matrix: every grant and every denial written out, then checked."""

import pytest
from django.urls import reverse

from salesops.models import Role
from salesops.permissions import POLICY, can, require

from ..factories import MembershipFactory, TeamFactory, TeamMembershipFactory

A, L, M, R, E = Role.ADMIN, Role.LEADER, Role.MANAGER, Role.REP, Role.MEMBER
EVERYONE = {A, L, M, R, E}

# Roles that may take each action (object-free rules). Every other role is denied.
EXPECTED: dict[str, set[str]] = {
    "org.view": EVERYONE,
    "org.settings.edit": {A},
    "team.view": EVERYONE,
    "team.create": {A},
    "team.edit": {A},
    "team.archive": {A},
    "team.webhooks.manage": {A},
    "member.view": EVERYONE,
    "member.invite": {A},
    "member.role.change": {A},
    "member.deactivate": {A},
    "history.view": {A, L},
    "webhook.deliveries.view": {A},
    "apitoken.manage_own": EVERYONE,
    "kpi.manage": {A},
    "goal.create": {A, L, M},
    "goal.create_company": {A, L},
    "measurement.import": {A, L, M},
    "raci.view": EVERYONE,
    "raci.edit": {A, M},
    "raci.settings": {A},
    "plan.view": EVERYONE,
    "plan.create": {A, L, M},
    "survey.manage": {A, L},
    "suggestion.submit": EVERYONE,
    "suggestion.read": {A, L},
    "followup.manage": {A, L},
    "experiment.view": EVERYONE,
    "experiment.manage": {A, L, M},
    "dashboard.org": {A, L},
    "dashboard.own": EVERYONE,
    "kpi.breakdown": {A, L, M},
    "alert.view": EVERYONE,
    "alert.rule.manage": {A, L},
}
OBJECT_RULES = {
    "team.members.manage",
    "goal.edit",
    "goal.measure",
    "goal.checkin",
    "goal.comment",
    "plan.edit",
    "plan.activate_plan_b",
    "milestone.update",
    "blocker.resolve",
    "standup.post",
    "standup.settings",
    "survey.results",
    "survey.answer",
    "dashboard.team",
    "alert.handle",
    "review.view",
    "review.record",
}


def test_matrix_names_every_action_of_the_policy():
    assert set(EXPECTED) | OBJECT_RULES == set(POLICY)


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_role_action_matrix(action: str, role: str):
    membership = MembershipFactory(role=role)
    assert can(membership, action) is (role in EXPECTED[action])


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_deactivated_membership_may_do_nothing(action: str):
    membership = MembershipFactory(role=Role.ADMIN, is_active=False)
    assert can(membership, action) is False


def test_no_membership_may_do_nothing():
    assert all(can(None, action) is False for action in EXPECTED)


def test_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError):
        can(None, "goal.fly")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "is_lead", "expected"),
    [
        (A, False, True),  # sales ops manages every team
        (L, True, True),
        (L, False, False),
        (M, True, True),
        (M, False, False),
        (R, True, False),  # a lead flag does not raise a rep's role
        (E, True, False),
    ],
)
def test_team_people_are_managed_by_admins_and_leading_managers(
    role: str, is_lead: bool, expected: bool
):
    team = TeamFactory()
    membership = MembershipFactory(org=team.org, role=role)
    TeamMembershipFactory(team=team, membership=membership, is_lead=is_lead)
    assert can(membership, "team.members.manage", team) is expected


@pytest.mark.django_db
def test_manager_leading_one_team_cannot_manage_another():
    team, other = TeamFactory(), None
    other = TeamFactory(org=team.org)
    membership = MembershipFactory(org=team.org, role=M)
    TeamMembershipFactory(team=team, membership=membership, is_lead=True)
    assert can(membership, "team.members.manage", other) is False


@pytest.mark.django_db
def test_refusal_is_logged(caplog):
    from django.core.exceptions import PermissionDenied

    membership = MembershipFactory(role=R)
    with caplog.at_level("WARNING", logger="salesops.security"), pytest.raises(PermissionDenied):
        require(membership, "org.settings.edit")
    assert "permission denied: action=org.settings.edit" in caplog.text


# The pages ask the same policy: 200 for the roles above, a readable 403 for the rest.
PAGES = {
    "org_settings": "org.settings.edit",
    "member_invite": "member.invite",
    "team_create": "team.create",
    "webhook_deliveries": "webhook.deliveries.view",
    "team_list": "team.view",
    "member_list": "member.view",
    "api_tokens": "apitoken.manage_own",
}


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_pages_follow_the_matrix(clients, org, page: str, role: str):
    response = clients[role].get(reverse(page, kwargs={"org_slug": org.slug}))
    if role in EXPECTED[PAGES[page]]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "permission" in response.content.decode().lower()


@pytest.mark.parametrize("role", sorted(EVERYONE - {A}))
def test_navigation_hides_what_the_role_may_not_open(clients, org, role: str):
    html = clients[role].get(reverse("org_home", kwargs={"org_slug": org.slug})).content.decode()
    assert reverse("org_settings", kwargs={"org_slug": org.slug}) not in html
    assert reverse("webhook_deliveries", kwargs={"org_slug": org.slug}) not in html


def test_admin_navigation_shows_settings(clients, org):
    html = clients[A].get(reverse("org_home", kwargs={"org_slug": org.slug})).content.decode()
    assert reverse("org_settings", kwargs={"org_slug": org.slug}) in html
