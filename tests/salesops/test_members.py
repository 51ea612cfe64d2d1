"""People pages: list with filters, detail with history, role change, deactivation."""

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from salesops.models import Membership, Role, User
from salesops.services import tenancy

from ..conftest import client_for
from ..factories import MembershipFactory, TeamFactory, TeamMembershipFactory, UserFactory

# The member list may use at most this many queries, however many people the org has.
MEMBER_LIST_MAX_QUERIES = 12


def url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def listed(response) -> list[Membership]:
    return list(response.context["page"].object_list)


def member(org, name: str, role: str = Role.REP, **extra: object) -> Membership:
    user = UserFactory(display_name=name, email=f"{name.lower().replace(' ', '.')}@example.com")
    return MembershipFactory(org=org, user=user, role=role, **extra)


# --- list --------------------------------------------------------------------------------


def test_member_list_shows_active_people_of_this_org_only(world, clients):
    gone = member(world.org, "Gone Person", is_active=False)

    response = clients[Role.REP].get(url("member_list"))

    assert response.status_code == 200
    shown = {m.pk for m in listed(response)}
    assert shown == {m.pk for m in world.members.values()}
    assert gone.pk not in shown
    assert world.outsider.pk not in shown
    assert world.outsider.user.email not in response.content.decode()


def test_member_list_search_matches_name_or_email(world, clients):
    ada = member(world.org, "Ada Lovelace")
    grace = member(world.org, "Grace Hopper")
    grace.user.email = "admiral@navy.example"
    grace.user.save()

    by_name = clients[Role.REP].get(url("member_list"), {"q": "lovelace"})
    by_email = clients[Role.REP].get(url("member_list"), {"q": "ADMIRAL@"})
    nobody = clients[Role.REP].get(url("member_list"), {"q": "nobody-like-this"})

    assert [m.pk for m in listed(by_name)] == [ada.pk]
    assert [m.pk for m in listed(by_email)] == [grace.pk]
    assert listed(nobody) == []
    assert "Nobody matches these filters." in nobody.content.decode()


def test_member_list_search_does_not_find_people_of_another_org(world, clients):
    response = clients[Role.ADMIN].get(url("member_list"), {"q": world.outsider.user.email})

    assert listed(response) == []


def test_member_list_filters_by_role(world, clients):
    extra_manager = member(world.org, "Second Manager", role=Role.MANAGER)

    response = clients[Role.REP].get(url("member_list"), {"role": Role.MANAGER})

    assert {m.pk for m in listed(response)} == {world.members[Role.MANAGER].pk, extra_manager.pk}
    assert all(m.role == Role.MANAGER for m in listed(response))


def test_member_list_ignores_an_unknown_role(world, clients):
    response = clients[Role.REP].get(url("member_list"), {"role": "overlord"})

    assert response.status_code == 200
    assert len(listed(response)) == len(world.members)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("active", {"active"}),
        ("inactive", {"inactive"}),
        ("all", {"active", "inactive"}),
        ("bogus", {"active"}),
    ],
)
def test_member_list_filters_by_status(world, clients, status, expected):
    member(world.org, "Gone Person", is_active=False)

    response = clients[Role.ADMIN].get(url("member_list"), {"status": status})

    seen = {"active" if m.is_active else "inactive" for m in listed(response)}
    assert seen == expected


def test_member_list_is_paginated_by_25(world, clients):
    for number in range(30):
        member(world.org, f"Zed {number:02d}")

    first = clients[Role.ADMIN].get(url("member_list"))
    second = clients[Role.ADMIN].get(url("member_list"), {"page": 2})

    assert len(listed(first)) == 25
    assert len(listed(second)) == 35 - 25
    assert not {m.pk for m in listed(first)} & {m.pk for m in listed(second)}
    assert "Page 1 of 2" in first.content.decode()
    assert "page=2" in first.content.decode()


def test_member_list_pagination_keeps_the_filters(world, clients):
    for number in range(30):
        member(world.org, f"Zed {number:02d}")

    response = clients[Role.ADMIN].get(url("member_list"), {"q": "zed", "role": Role.REP})

    content = response.content.decode()
    assert "Page 1 of 2" in content
    assert "?q=zed&amp;role=rep&amp;status=active&page=2" in content


def test_member_list_with_htmx_returns_only_the_table(world, clients):
    response = clients[Role.REP].get(
        url("member_list"), {"q": "Person"}, headers={"HX-Request": "true"}
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="member-table">')
    assert "<html" not in content


def _grow(org, count: int, admin: User) -> None:
    """Add people in several teams each, and some open invitations to several teams."""
    teams = [TeamFactory(org=org) for _ in range(3)]
    for number in range(count):
        membership = member(org, f"Grown {number:03d} {org.slug}")
        for team in teams[: number % 3 + 1]:
            TeamMembershipFactory(team=team, membership=membership, is_lead=number % 2 == 0)
    for number in range(count // 5):
        tenancy.invitation_create(
            actor=admin, org=org, email=f"invitee{number}@example.com", role=Role.REP, teams=teams
        )


@pytest.mark.parametrize("extra_members", [5, 40])
def test_member_list_query_count_does_not_grow_with_members(
    world, clients, django_assert_max_num_queries, extra_members
):
    _grow(world.org, extra_members, world.user(Role.ADMIN))

    with django_assert_max_num_queries(MEMBER_LIST_MAX_QUERIES):
        response = clients[Role.ADMIN].get(url("member_list"), {"status": "all"})

    assert response.status_code == 200
    assert len(listed(response)) == min(25, len(world.members) + extra_members)
    assert len(response.context["invitations"]) == extra_members // 5


# --- detail ------------------------------------------------------------------------------

HISTORY_HEADER = '<div class="card-header">History</div>'


def history_entries(content: str) -> list[str]:
    """The text of each entry in the page's history card, newest first."""
    section = content.split(HISTORY_HEADER, 1)[1].split("</section>", 1)[0]
    items = section.split('<li class="list-group-item">')[1:]
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_member_detail_shows_teams_and_history_to_admin(world, clients):
    rep = world.members[Role.REP]
    clients[Role.ADMIN].post(url("member_role", pk=rep.pk), {"role": Role.MANAGER})

    response = clients[Role.ADMIN].get(url("member_detail", pk=rep.pk))

    assert response.status_code == 200
    content = response.content.decode()
    assert "East Sales" in content
    assert HISTORY_HEADER in content
    newest, oldest = history_entries(content)
    assert f"changed by {world.user(Role.ADMIN).display_name}" in newest
    assert "created by the system" in oldest


def test_member_history_lists_what_changed(world, clients):
    rep = world.members[Role.REP]
    clients[Role.ADMIN].post(url("member_role", pk=rep.pk), {"role": Role.MANAGER})

    response = clients[Role.ADMIN].get(url("member_detail", pk=rep.pk))

    (newest, _created) = history_entries(response.content.decode())
    assert re.search(r"\brole: (rep|Sales rep) → (manager|Manager)\b", newest, re.IGNORECASE)


def test_member_detail_hides_history_and_access_controls_from_a_rep(world, clients):
    response = clients[Role.REP].get(url("member_detail", pk=world.members[Role.MANAGER].pk))

    assert response.status_code == 200
    assert "history" not in response.context
    content = response.content.decode()
    assert HISTORY_HEADER not in content
    assert "Change role" not in content


def test_member_of_another_org_is_not_found(world, clients):
    response = clients[Role.ADMIN].get(url("member_detail", pk=world.outsider.pk))

    assert response.status_code == 404


# --- role change -------------------------------------------------------------------------


def test_admin_changes_a_members_role(world, clients):
    rep = world.members[Role.REP]

    response = clients[Role.ADMIN].post(url("member_role", pk=rep.pk), {"role": Role.LEADER})

    assert response.status_code == 302
    assert response.url == url("member_detail", pk=rep.pk)
    rep.refresh_from_db()
    assert rep.role == Role.LEADER
    assert "Role changed to Leader." in messages_of(response)


def test_the_last_active_admin_cannot_be_demoted(world, clients):
    admin = world.members[Role.ADMIN]

    response = clients[Role.ADMIN].post(url("member_role", pk=admin.pk), {"role": Role.REP})

    assert response.status_code == 302
    assert "An organisation needs at least one active admin." in messages_of(response)
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN


def test_an_admin_can_be_demoted_while_another_active_admin_remains(world, clients):
    second = member(world.org, "Second Admin", role=Role.ADMIN)

    clients[Role.ADMIN].post(url("member_role", pk=second.pk), {"role": Role.REP})

    second.refresh_from_db()
    assert second.role == Role.REP


def test_a_deactivated_admin_does_not_count_as_the_remaining_admin(world, clients):
    member(world.org, "Dormant Admin", role=Role.ADMIN, is_active=False)
    admin = world.members[Role.ADMIN]

    clients[Role.ADMIN].post(url("member_role", pk=admin.pk), {"role": Role.REP})

    admin.refresh_from_db()
    assert admin.role == Role.ADMIN


def test_an_invalid_role_is_refused(world, clients):
    rep = world.members[Role.REP]

    response = clients[Role.ADMIN].post(url("member_role", pk=rep.pk), {"role": "overlord"})

    assert "Choose a valid role." in messages_of(response)
    rep.refresh_from_db()
    assert rep.role == Role.REP


@pytest.mark.parametrize("role", [Role.LEADER, Role.MANAGER, Role.REP, Role.MEMBER])
def test_non_admin_cannot_change_roles(world, clients, role):
    target = world.members[Role.MEMBER]

    response = clients[role].post(url("member_role", pk=target.pk), {"role": Role.ADMIN})

    assert response.status_code == 403
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_admin_cannot_change_the_role_of_another_orgs_member(world, clients):
    response = clients[Role.ADMIN].post(
        url("member_role", pk=world.outsider.pk), {"role": Role.REP}
    )

    assert response.status_code == 404
    world.outsider.refresh_from_db()
    assert world.outsider.role == Role.ADMIN


# --- deactivation ------------------------------------------------------------------------


def test_admin_cannot_deactivate_themselves(world, clients):
    admin = world.members[Role.ADMIN]
    member(world.org, "Second Admin", role=Role.ADMIN)

    response = clients[Role.ADMIN].post(url("member_deactivate", pk=admin.pk))

    assert "You cannot deactivate yourself." in messages_of(response)
    admin.refresh_from_db()
    assert admin.is_active is True
    assert clients[Role.ADMIN].get(url("org_home")).status_code == 200


def test_deactivated_person_is_logged_out_of_their_open_session(world, clients):
    rep = world.members[Role.REP]
    rep_client = clients[Role.REP]
    assert rep_client.get(url("org_home")).status_code == 200

    response = clients[Role.ADMIN].post(url("member_deactivate", pk=rep.pk))

    assert response.status_code == 302
    assert any("deactivated and logged out everywhere" in m for m in messages_of(response))
    rep.refresh_from_db()
    assert rep.is_active is False
    assert rep.deactivated_at is not None
    assert rep.history.first().history_change_reason == "deactivated"
    again = rep_client.get(url("org_home"))
    assert again.status_code == 302
    assert again.url == f"{reverse('login')}?next={url('org_home')}"


def test_deactivated_person_cannot_open_the_org_after_logging_in_again(world, clients):
    rep = world.members[Role.REP]
    clients[Role.ADMIN].post(url("member_deactivate", pk=rep.pk))

    rep.user.refresh_from_db()
    fresh = client_for(rep.user)

    assert fresh.get(url("org_home")).status_code == 404


def test_deactivating_someone_does_not_log_out_the_admin(world, clients):
    clients[Role.ADMIN].post(url("member_deactivate", pk=world.members[Role.REP].pk))

    assert clients[Role.ADMIN].get(url("org_home")).status_code == 200


def test_deactivated_person_disappears_from_team_pages(world, clients):
    rep = world.members[Role.REP]
    clients[Role.ADMIN].post(url("member_deactivate", pk=rep.pk))

    response = clients[Role.ADMIN].get(url("team_detail", pk=world.team.pk))

    assert rep.pk not in [link.membership_id for link in response.context["members"]]


def test_admin_reactivates_a_deactivated_person(world, clients):
    rep = world.members[Role.REP]
    clients[Role.ADMIN].post(url("member_deactivate", pk=rep.pk))

    response = clients[Role.ADMIN].post(url("member_deactivate", pk=rep.pk), {"reactivate": "1"})

    assert response.status_code == 302
    assert f"{rep.user.display_name} can use SalesOps again." in messages_of(response)
    rep.refresh_from_db()
    assert rep.is_active is True
    assert rep.deactivated_at is None
    assert client_for(rep.user).get(url("org_home")).status_code == 200


@pytest.mark.parametrize("role", [Role.LEADER, Role.MANAGER, Role.REP])
def test_non_admin_cannot_deactivate_people(world, clients, role):
    target = world.members[Role.MEMBER]

    response = clients[role].post(url("member_deactivate", pk=target.pk))

    assert response.status_code == 403
    target.refresh_from_db()
    assert target.is_active is True


def test_admin_cannot_deactivate_another_orgs_member(world, clients):
    response = clients[Role.ADMIN].post(url("member_deactivate", pk=world.outsider.pk))

    assert response.status_code == 404
    world.outsider.refresh_from_db()
    assert world.outsider.is_active is True
    assert User.objects.get(pk=world.outsider.user_id).session_generation == 0


def test_anonymous_visitor_is_sent_to_login(world):
    response = Client().get(url("member_list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
