"""Team pages: tree, create, edit and move, archive and restore, people, permissions."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from salesops.models import Role, Team, TeamKind, TeamMembership

from ..factories import MembershipFactory, TeamFactory, TeamMembershipFactory


def url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def team_data(**overrides: object) -> dict[str, object]:
    data = {"name": "West Sales", "kind": TeamKind.SALES, "parent": "", "description": ""}
    data.update(overrides)
    return data


# --- tree --------------------------------------------------------------------------------


def test_team_tree_lists_sub_teams_under_their_parent(world, clients):
    child = TeamFactory(org=world.org, name="East Key Accounts", parent=world.team)
    grandchild = TeamFactory(org=world.org, name="Alpha Squad", parent=child)
    TeamFactory(org=world.org, name="Archived Crew", archived_at="2024-01-01T00:00:00Z")

    response = clients[Role.REP].get(url("team_list"))

    assert response.status_code == 200
    tree = [(team.name, depth) for team, depth in response.context["tree"]]
    assert tree == [("East Sales", 0), ("East Key Accounts", 1), ("Alpha Squad", 2)]
    content = response.content.decode()
    assert (
        content.index("East Sales")
        < content.index("East Key Accounts")
        < content.index(grandchild.name)
    )
    assert "Rival Sales" not in content
    assert "Archived Crew" not in content


def test_team_tree_shows_archived_teams_only_when_asked(world, clients):
    TeamFactory(org=world.org, name="Archived Crew", archived_at="2024-01-01T00:00:00Z")

    response = clients[Role.REP].get(url("team_list"), {"archived": "1"})

    assert response.status_code == 200
    assert "Archived Crew" in response.content.decode()


def test_team_tree_counts_only_active_people(world, clients):
    gone = MembershipFactory(org=world.org, role=Role.REP, is_active=False)
    TeamMembershipFactory(team=world.team, membership=gone)

    response = clients[Role.ADMIN].get(url("team_list"))

    ((team, _depth),) = response.context["tree"]
    assert team.member_count == 2


# --- create ------------------------------------------------------------------------------


def test_admin_creates_a_team_under_a_parent(world, clients):
    response = clients[Role.ADMIN].post(
        url("team_create"), team_data(parent=world.team.pk, description="Coastal accounts")
    )

    team = Team.objects.get(org=world.org, name="West Sales")
    assert response.status_code == 302
    assert response.url == url("team_detail", pk=team.pk)
    assert team.parent == world.team
    assert team.description == "Coastal accounts"
    assert team.history.count() == 1


def test_team_create_with_blank_name_shows_an_error_and_saves_nothing(world, clients):
    before = Team.objects.count()

    response = clients[Role.ADMIN].post(url("team_create"), team_data(name="   "))

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert Team.objects.count() == before


def test_team_create_with_a_duplicate_active_name_shows_a_form_error_and_saves_nothing(
    world, clients
):
    before = Team.objects.count()

    response = clients[Role.ADMIN].post(url("team_create"), team_data(name="East Sales"))

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors
    assert "An active team with this name already exists." in str(form.errors)
    assert Team.objects.count() == before
    assert Team.objects.filter(org=world.org, name="East Sales").count() == 1


def test_team_name_of_an_archived_team_can_be_reused(world, clients):
    TeamFactory(org=world.org, name="Old Guard", archived_at="2024-01-01T00:00:00Z")

    response = clients[Role.ADMIN].post(url("team_create"), team_data(name="Old Guard"))

    assert response.status_code == 302
    assert Team.objects.filter(org=world.org, name="Old Guard").count() == 2


def test_team_name_of_another_org_does_not_block_creation(world, clients):
    response = clients[Role.ADMIN].post(url("team_create"), team_data(name="Rival Sales"))

    assert response.status_code == 302
    assert Team.objects.filter(org=world.org, name="Rival Sales").exists()


def test_team_create_refuses_a_parent_from_another_org(world, clients):
    response = clients[Role.ADMIN].post(url("team_create"), team_data(parent=world.other_team.pk))

    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    assert not Team.objects.filter(name="West Sales").exists()


# --- edit and move -----------------------------------------------------------------------


def test_admin_renames_and_moves_a_team(world, clients):
    north = TeamFactory(org=world.org, name="North")
    team = TeamFactory(org=world.org, name="Inside Sales")

    response = clients[Role.ADMIN].post(
        url("team_edit", pk=team.pk),
        team_data(name="Inside Sales North", kind=TeamKind.MARKETING, parent=north.pk),
    )

    assert response.status_code == 302
    assert response.url == url("team_detail", pk=team.pk)
    team.refresh_from_db()
    assert (team.name, team.kind, team.parent_id) == (
        "Inside Sales North",
        TeamKind.MARKETING,
        north.pk,
    )
    assert "Team saved." in messages_of(response)


def test_moving_a_team_under_its_own_descendant_is_refused_and_changes_nothing(world, clients):
    child = TeamFactory(org=world.org, name="East Child", parent=world.team)
    grandchild = TeamFactory(org=world.org, name="East Grandchild", parent=child)

    response = clients[Role.ADMIN].post(
        url("team_edit", pk=world.team.pk),
        team_data(name="East Renamed", kind=TeamKind.MARKETING, parent=grandchild.pk),
    )

    assert response.status_code == 200
    assert "A team cannot be moved under itself or its own sub-team." in str(
        response.context["form"].errors["parent"]
    )
    assert "A team cannot be moved under itself or its own sub-team." in response.content.decode()
    world.team.refresh_from_db()
    assert world.team.parent_id is None
    assert world.team.name == "East Sales"
    assert world.team.kind == TeamKind.SALES
    assert world.team.history.count() == 1


def test_team_edit_with_a_duplicate_name_is_refused(world, clients):
    other = TeamFactory(org=world.org, name="West")

    response = clients[Role.ADMIN].post(url("team_edit", pk=other.pk), team_data(name="East Sales"))

    assert response.status_code == 200
    assert response.context["form"].errors
    other.refresh_from_db()
    assert other.name == "West"


# --- archive and restore -----------------------------------------------------------------


def test_admin_archives_a_team_and_its_history_records_why(world, clients):
    response = clients[Role.ADMIN].post(url("team_archive", pk=world.team.pk))

    assert response.status_code == 302
    world.team.refresh_from_db()
    assert world.team.is_archived
    assert world.team.history.first().history_change_reason == "archived"
    assert world.team.history.first().history_user == world.user(Role.ADMIN)


def test_archiving_a_team_with_active_sub_teams_is_refused(world, clients):
    TeamFactory(org=world.org, name="East Child", parent=world.team)

    response = clients[Role.ADMIN].post(url("team_archive", pk=world.team.pk))

    assert response.status_code == 302
    assert "Archive or move this team's active sub-teams first." in messages_of(response)
    world.team.refresh_from_db()
    assert world.team.archived_at is None


def test_archiving_is_allowed_once_sub_teams_are_archived(world, clients):
    TeamFactory(
        org=world.org, name="East Child", parent=world.team, archived_at="2024-01-01T00:00:00Z"
    )

    clients[Role.ADMIN].post(url("team_archive", pk=world.team.pk))

    world.team.refresh_from_db()
    assert world.team.is_archived


def test_admin_restores_an_archived_team(world, clients):
    team = TeamFactory(org=world.org, name="Dormant", archived_at="2024-01-01T00:00:00Z")

    response = clients[Role.ADMIN].post(url("team_archive", pk=team.pk), {"restore": "1"})

    assert response.status_code == 302
    assert "Team restored." in messages_of(response)
    team.refresh_from_db()
    assert team.archived_at is None
    assert team.history.first().history_change_reason == "restored"


def test_restoring_a_team_whose_name_is_taken_again_is_refused(world, clients):
    team = TeamFactory(org=world.org, name="East Sales", archived_at="2024-01-01T00:00:00Z")

    response = clients[Role.ADMIN].post(url("team_archive", pk=team.pk), {"restore": "1"})

    assert response.status_code == 302
    assert "An active team with this name already exists." in " ".join(messages_of(response))
    team.refresh_from_db()
    assert team.is_archived


def test_restoring_a_team_under_an_archived_parent_is_refused(world, clients):
    parent = TeamFactory(org=world.org, name="Old Parent", archived_at="2024-01-01T00:00:00Z")
    team = TeamFactory(
        org=world.org, name="Old Child", parent=parent, archived_at="2024-01-01T00:00:00Z"
    )

    response = clients[Role.ADMIN].post(url("team_archive", pk=team.pk), {"restore": "1"})

    assert "Restore the parent team first, or move this team." in messages_of(response)
    team.refresh_from_db()
    assert team.is_archived


# --- people ------------------------------------------------------------------------------


def test_adding_a_member_with_a_full_post_redirects_to_the_team(world, clients):
    newcomer = MembershipFactory(org=world.org, role=Role.REP)

    response = clients[Role.ADMIN].post(
        url("team_member_add", pk=world.team.pk), {"membership": newcomer.pk}
    )

    assert response.status_code == 302
    assert response.url == url("team_detail", pk=world.team.pk)
    link = TeamMembership.objects.get(team=world.team, membership=newcomer)
    assert link.is_lead is False


def test_adding_a_member_with_htmx_returns_only_the_team_members_fragment(world, clients):
    newcomer = MembershipFactory(org=world.org, role=Role.REP)

    response = clients[Role.ADMIN].post(
        url("team_member_add", pk=world.team.pk),
        {"membership": newcomer.pk, "is_lead": "on"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<section class="card mb-4" id="team-members">')
    assert "<html" not in content
    assert "navbar" not in content
    assert newcomer.user.display_name in content
    assert TeamMembership.objects.get(team=world.team, membership=newcomer).is_lead is True


def test_adding_a_member_twice_with_htmx_shows_the_error_in_the_fragment(world, clients):
    rep = world.members[Role.REP]

    response = clients[Role.ADMIN].post(
        url("team_member_add", pk=world.team.pk),
        {"membership": rep.pk},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert "invalid-feedback" in response.content.decode()
    assert TeamMembership.objects.filter(team=world.team, membership=rep).count() == 1


def test_adding_a_member_of_another_org_is_refused(world, clients):
    response = clients[Role.ADMIN].post(
        url("team_member_add", pk=world.team.pk), {"membership": world.outsider.pk}
    )

    assert response.status_code == 400
    assert not TeamMembership.objects.filter(team=world.team, membership=world.outsider).exists()


def test_admin_sets_and_clears_a_team_lead(world, clients):
    link = TeamMembership.objects.get(team=world.team, membership=world.members[Role.REP])

    response = clients[Role.ADMIN].post(
        url("team_member_lead", pk=world.team.pk, link_pk=link.pk), {"is_lead": "1"}
    )

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.is_lead is True

    clients[Role.ADMIN].post(
        url("team_member_lead", pk=world.team.pk, link_pk=link.pk), {"is_lead": "0"}
    )
    link.refresh_from_db()
    assert link.is_lead is False


def test_admin_removes_a_person_from_a_team(world, clients):
    link = TeamMembership.objects.get(team=world.team, membership=world.members[Role.REP])

    response = clients[Role.ADMIN].post(
        url("team_member_remove", pk=world.team.pk, link_pk=link.pk)
    )

    assert response.status_code == 302
    assert not TeamMembership.objects.filter(pk=link.pk).exists()
    assert world.members[Role.REP].user.display_name + " removed from the team." in messages_of(
        response
    )


def test_a_link_of_another_team_cannot_be_reached_through_this_team(world, clients):
    west = TeamFactory(org=world.org, name="West")
    foreign_link = TeamMembershipFactory(team=west, membership=world.members[Role.MEMBER])

    response = clients[Role.ADMIN].post(
        url("team_member_remove", pk=world.team.pk, link_pk=foreign_link.pk)
    )

    assert response.status_code == 404
    assert TeamMembership.objects.filter(pk=foreign_link.pk).exists()


def test_manager_who_leads_the_team_manages_its_people(world, clients):
    newcomer = MembershipFactory(org=world.org, role=Role.REP)
    rep_link = TeamMembership.objects.get(team=world.team, membership=world.members[Role.REP])
    manager = clients[Role.MANAGER]

    added = manager.post(url("team_member_add", pk=world.team.pk), {"membership": newcomer.pk})
    lead = manager.post(
        url("team_member_lead", pk=world.team.pk, link_pk=rep_link.pk), {"is_lead": "1"}
    )
    new_link = TeamMembership.objects.get(team=world.team, membership=newcomer)
    removed = manager.post(url("team_member_remove", pk=world.team.pk, link_pk=new_link.pk))

    assert (added.status_code, lead.status_code, removed.status_code) == (302, 302, 302)
    rep_link.refresh_from_db()
    assert rep_link.is_lead is True
    assert not TeamMembership.objects.filter(pk=new_link.pk).exists()


def test_team_page_offers_people_controls_to_its_leading_manager(world, clients):
    response = clients[Role.MANAGER].get(url("team_detail", pk=world.team.pk))

    assert response.context["can_manage_people"] is True
    assert response.context["add_form"] is not None


def test_manager_cannot_manage_another_teams_people(world, clients):
    west = TeamFactory(org=world.org, name="West")
    west_link = TeamMembershipFactory(team=west, membership=world.members[Role.MEMBER])
    newcomer = MembershipFactory(org=world.org, role=Role.REP)
    manager = clients[Role.MANAGER]

    added = manager.post(url("team_member_add", pk=west.pk), {"membership": newcomer.pk})
    lead = manager.post(url("team_member_lead", pk=west.pk, link_pk=west_link.pk), {"is_lead": "1"})
    removed = manager.post(url("team_member_remove", pk=west.pk, link_pk=west_link.pk))

    assert (added.status_code, lead.status_code, removed.status_code) == (403, 403, 403)
    assert not TeamMembership.objects.filter(team=west, membership=newcomer).exists()
    west_link.refresh_from_db()
    assert west_link.is_lead is False


def test_manager_who_is_only_a_plain_member_of_the_team_cannot_manage_it(world, clients):
    west = TeamFactory(org=world.org, name="West")
    TeamMembershipFactory(team=west, membership=world.members[Role.MANAGER], is_lead=False)
    newcomer = MembershipFactory(org=world.org, role=Role.REP)

    response = clients[Role.MANAGER].post(
        url("team_member_add", pk=west.pk), {"membership": newcomer.pk}
    )

    assert response.status_code == 403
    assert not TeamMembership.objects.filter(team=west, membership=newcomer).exists()


def test_rep_cannot_manage_their_own_teams_people(world, clients):
    newcomer = MembershipFactory(org=world.org, role=Role.REP)
    link = TeamMembership.objects.get(team=world.team, membership=world.members[Role.MANAGER])

    added = clients[Role.REP].post(
        url("team_member_add", pk=world.team.pk), {"membership": newcomer.pk}
    )
    removed = clients[Role.REP].post(url("team_member_remove", pk=world.team.pk, link_pk=link.pk))

    assert (added.status_code, removed.status_code) == (403, 403)
    assert TeamMembership.objects.filter(pk=link.pk).exists()
    assert not TeamMembership.objects.filter(membership=newcomer).exists()


# --- permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.REP, Role.MEMBER, Role.MANAGER, Role.LEADER])
def test_non_admin_cannot_create_teams(world, clients, role):
    assert clients[role].get(url("team_create")).status_code == 403
    response = clients[role].post(url("team_create"), team_data())
    assert response.status_code == 403
    assert not Team.objects.filter(name="West Sales").exists()


def test_rep_cannot_edit_a_team(world, clients):
    assert clients[Role.REP].get(url("team_edit", pk=world.team.pk)).status_code == 403
    response = clients[Role.REP].post(
        url("team_edit", pk=world.team.pk), team_data(name="Hijacked")
    )

    assert response.status_code == 403
    world.team.refresh_from_db()
    assert world.team.name == "East Sales"


def test_team_leading_manager_cannot_edit_or_archive_the_team(world, clients):
    edit = clients[Role.MANAGER].post(url("team_edit", pk=world.team.pk), team_data(name="Renamed"))
    archive = clients[Role.MANAGER].post(url("team_archive", pk=world.team.pk))

    assert (edit.status_code, archive.status_code) == (403, 403)
    world.team.refresh_from_db()
    assert world.team.name == "East Sales"
    assert world.team.archived_at is None


def test_rep_cannot_archive_or_restore_a_team(world, clients):
    dormant = TeamFactory(org=world.org, name="Dormant", archived_at="2024-01-01T00:00:00Z")

    archive = clients[Role.REP].post(url("team_archive", pk=world.team.pk))
    restore = clients[Role.REP].post(url("team_archive", pk=dormant.pk), {"restore": "1"})

    assert (archive.status_code, restore.status_code) == (403, 403)
    world.team.refresh_from_db()
    dormant.refresh_from_db()
    assert world.team.archived_at is None
    assert dormant.is_archived


@pytest.mark.parametrize(
    "name",
    ["team_detail", "team_edit", "team_archive", "team_member_add"],
)
def test_other_orgs_team_is_not_found_under_acme(world, clients, name):
    path = url(name, pk=world.other_team.pk)
    method = (
        clients[Role.ADMIN].get
        if name in ("team_detail", "team_edit")
        else clients[Role.ADMIN].post
    )

    response = method(path)

    assert response.status_code == 404
    world.other_team.refresh_from_db()
    assert world.other_team.archived_at is None


def test_other_orgs_team_link_cannot_be_removed_under_acme(world, clients):
    link = TeamMembership.objects.get(team=world.other_team)

    response = clients[Role.ADMIN].post(
        url("team_member_remove", pk=world.other_team.pk, link_pk=link.pk)
    )

    assert response.status_code == 404
    assert TeamMembership.objects.filter(pk=link.pk).exists()


# --- history -----------------------------------------------------------------------------

HISTORY_HEADER = '<div class="card-header">History</div>'


def history_entries(content: str) -> list[str]:
    """The text of each entry in the page's history card, newest first."""
    section = content.split(HISTORY_HEADER, 1)[1].split("</section>", 1)[0]
    items = section.split('<li class="list-group-item">')[1:]
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.LEADER])
def test_team_history_is_shown_to_admins_and_leaders(world, clients, role):
    clients[Role.ADMIN].post(url("team_archive", pk=world.team.pk))

    response = clients[role].get(url("team_detail", pk=world.team.pk))

    assert response.status_code == 200
    content = response.content.decode()
    assert HISTORY_HEADER in content
    newest, oldest = history_entries(content)
    assert f"changed by {world.user(Role.ADMIN).display_name} (archived)" in newest
    assert "created by the system" in oldest


def test_team_history_lists_what_changed(world, clients):
    clients[Role.ADMIN].post(url("team_edit", pk=world.team.pk), team_data(name="East Renamed"))

    response = clients[Role.ADMIN].get(url("team_detail", pk=world.team.pk))

    (newest, _created) = history_entries(response.content.decode())
    assert "name: East Sales → East Renamed" in newest


@pytest.mark.parametrize("role", [Role.MANAGER, Role.REP, Role.MEMBER])
def test_team_history_is_hidden_from_other_roles(world, clients, role):
    response = clients[role].get(url("team_detail", pk=world.team.pk))

    assert response.status_code == 200
    assert "history" not in response.context
    assert HISTORY_HEADER not in response.content.decode()


def test_people_of_an_archived_team_cannot_be_changed(world, clients):
    link = TeamMembership.objects.get(team=world.team, membership=world.members[Role.REP])
    world.team.archived_at = "2024-01-01T00:00:00Z"
    world.team.save()
    admin = clients[Role.ADMIN]

    response = admin.post(
        url("team_member_lead", pk=world.team.pk, link_pk=link.pk), {"is_lead": "1"}
    )
    assert any("archived" in message for message in messages_of(response))
    link.refresh_from_db()
    assert link.is_lead is False

    response = admin.post(url("team_member_remove", pk=world.team.pk, link_pk=link.pk))
    assert any("archived" in message for message in messages_of(response))
    assert TeamMembership.objects.filter(pk=link.pk).exists()
