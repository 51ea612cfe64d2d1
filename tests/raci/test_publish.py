"""Publishing a RACI matrix: refused while it has errors, a snapshot when it succeeds, who is told,
what changed since, the overload warning, and everyone's own responsibilities."""

from dataclasses import dataclass

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from raci.models import MatrixStatus, RaciActivity, RaciMatrix, RaciParticipant, RaciPolicy
from salesops.models import Notification, Role, User

from ..factories import (
    MembershipFactory,
    RaciActivityFactory,
    RaciAssignmentFactory,
    RaciMatrixFactory,
    RaciParticipantFactory,
    TeamMembershipFactory,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, org_slug: str = "acme", **kwargs: object) -> str:
    return reverse(f"raci:{name}", kwargs={"org_slug": org_slug, **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def published_to(matrix: RaciMatrix) -> set[User]:
    return {
        notification.recipient
        for notification in Notification.objects.filter(kind="raci.published", org=matrix.org)
    }


@dataclass
class Ready:
    """A matrix with no error: the leader decides, East Sales does the work, the member is told."""

    matrix: RaciMatrix
    qualify: RaciActivity
    hand_over: RaciActivity
    leader: RaciParticipant
    sales: RaciParticipant
    member: RaciParticipant
    idle: RaciParticipant


@pytest.fixture
def ready(world) -> Ready:
    matrix = RaciMatrixFactory(org=world.org, title="Lead hand-off")
    qualify = RaciActivityFactory(matrix=matrix, name="Qualify the lead", phase="Qualify")
    hand_over = RaciActivityFactory(matrix=matrix, name="Hand over", phase="Hand off")
    leader = RaciParticipantFactory(matrix=matrix, membership=world.members[Role.LEADER])
    sales = RaciParticipantFactory(matrix=matrix, kind="team", membership=None, team=world.team)
    member = RaciParticipantFactory(matrix=matrix, membership=world.members[Role.MEMBER])
    idle = RaciParticipantFactory(
        matrix=matrix,
        membership=MembershipFactory(org=world.org, role=Role.REP, user__display_name="Ivy Idle"),
    )
    for activity in (qualify, hand_over):
        RaciAssignmentFactory(activity=activity, participant=leader, letters="A")
        RaciAssignmentFactory(activity=activity, participant=sales, letters="R")
    RaciAssignmentFactory(activity=qualify, participant=member, letters="I")
    return Ready(matrix, qualify, hand_over, leader, sales, member, idle)


def publish(client, matrix: RaciMatrix):
    return client.post(url("matrix_publish", pk=matrix.pk))


# --- refused --------------------------------------------------------------------------------


def test_publishing_is_refused_with_the_reasons_while_errors_exist(world, clients, ready):
    RaciAssignmentFactory(activity=ready.hand_over, participant=ready.member, letters="A")

    response = publish(clients[Role.MANAGER], ready.matrix)

    ready.matrix.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == url("matrix_detail", pk=ready.matrix.pk)
    [message] = messages_of(response)
    assert message.startswith("Not published. Fix these first: ")
    assert "“Hand over” has 2 Accountable" in message
    assert ready.matrix.status == MatrixStatus.DRAFT
    assert ready.matrix.published_at is None
    assert ready.matrix.published_by is None
    assert ready.matrix.published_cells == {}
    assert not Notification.objects.exists()


def test_publishing_lists_every_problem(world, clients, ready):
    ready.hand_over.assignments.all().delete()
    ready.qualify.assignments.filter(participant=ready.sales).update(letters="A/R")
    ready.qualify.assignments.filter(participant=ready.leader).delete()

    response = publish(clients[Role.ADMIN], ready.matrix)

    [message] = messages_of(response)
    assert "Nobody is Accountable for “Hand over”" in message
    assert "Nobody is Responsible for “Hand over”" in message
    assert "not a team: the team “East Sales” is Accountable for “Qualify the lead”" in message
    assert "Ivy Idle" not in message  # warnings do not block
    ready.matrix.refresh_from_db()
    assert ready.matrix.status == MatrixStatus.DRAFT


def test_the_refusal_is_shown_on_the_page(world, clients, ready):
    ready.hand_over.assignments.filter(participant=ready.leader).delete()

    response = clients[Role.MANAGER].post(url("matrix_publish", pk=ready.matrix.pk), follow=True)

    content = response.content.decode()
    assert "Not published. Fix these first: Nobody is Accountable for “Hand over”." in content
    assert "badge text-bg-secondary" in content and ">Draft<" in content


def test_a_matrix_without_activities_is_not_published(world, clients):
    matrix = RaciMatrixFactory(org=world.org, title="Empty")
    RaciParticipantFactory(matrix=matrix, membership=world.members[Role.REP])

    response = publish(clients[Role.MANAGER], matrix)

    matrix.refresh_from_db()
    assert messages_of(response) == [
        "Not published. Fix these first: Add at least one activity before publishing."
    ]
    assert matrix.status == MatrixStatus.DRAFT
    assert matrix.published_at is None
    assert not Notification.objects.exists()


@pytest.mark.parametrize("role", [Role.LEADER, Role.REP, Role.MEMBER])
def test_non_editors_may_not_publish(world, clients, ready, role):
    response = publish(clients[role], ready.matrix)

    ready.matrix.refresh_from_db()
    assert response.status_code in (403, 404)  # a draft is not even theirs to read
    assert ready.matrix.status == MatrixStatus.DRAFT
    assert not Notification.objects.exists()


@pytest.mark.parametrize("role", [Role.LEADER, Role.REP, Role.MEMBER])
def test_non_editors_may_not_publish_changes_of_a_published_matrix(world, clients, ready, role):
    publish(clients[Role.ADMIN], ready.matrix)
    ready.matrix.refresh_from_db()
    snapshot = dict(ready.matrix.published_cells)
    RaciAssignmentFactory(activity=ready.hand_over, participant=ready.member, letters="C")

    response = publish(clients[role], ready.matrix)

    ready.matrix.refresh_from_db()
    assert response.status_code == 403
    assert ready.matrix.published_cells == snapshot


# --- published ------------------------------------------------------------------------------


def test_a_valid_matrix_is_published_with_a_snapshot_of_its_cells(world, clients, ready):
    response = publish(clients[Role.ADMIN], ready.matrix)

    ready.matrix.refresh_from_db()
    assert response.status_code == 302
    assert messages_of(response) == ["Published. Everyone with a role in it has been told."]
    assert ready.matrix.status == MatrixStatus.PUBLISHED
    assert ready.matrix.published_at is not None
    assert ready.matrix.published_by == world.user(Role.ADMIN)
    assert ready.matrix.published_cells == {
        f"{ready.qualify.pk}:{ready.leader.pk}": "A",
        f"{ready.qualify.pk}:{ready.sales.pk}": "R",
        f"{ready.qualify.pk}:{ready.member.pk}": "I",
        f"{ready.hand_over.pk}:{ready.leader.pk}": "A",
        f"{ready.hand_over.pk}:{ready.sales.pk}": "R",
    }
    page = clients[Role.REP].get(url("matrix_detail", pk=ready.matrix.pk)).content.decode()
    assert "Published" in page
    assert "Changed since publication" not in page


def test_publishing_tells_everyone_with_a_role_and_the_members_of_its_teams(world, clients, ready):
    gone = MembershipFactory(org=world.org, role=Role.REP, is_active=False)
    TeamMembershipFactory(team=world.team, membership=gone)

    publish(clients[Role.ADMIN], ready.matrix)

    # The leader (A), the member (I), and East Sales' manager and rep (R through the team).
    # Not the idle column, not the publisher who has no role, not a deactivated member.
    assert published_to(ready.matrix) == {
        world.user(Role.LEADER),
        world.user(Role.MEMBER),
        world.user(Role.MANAGER),
        world.user(Role.REP),
    }
    for notification in Notification.objects.filter(kind="raci.published"):
        assert notification.org == world.org
        assert "Lead hand-off" in notification.title
        assert notification.url == url("matrix_detail", pk=ready.matrix.pk)
    assert Notification.objects.filter(kind="raci.published").count() == 4


def test_editing_after_publication_shows_what_changed(world, clients, ready):
    client = clients[Role.MANAGER]
    publish(client, ready.matrix)
    member, idle = ready.member.name, ready.idle.name

    client.post(
        url("cell_set", pk=ready.matrix.pk),
        {"activity": ready.qualify.pk, "participant": ready.member.pk, "letters": "C"},
        **HTMX,
    )
    client.post(
        url("cell_set", pk=ready.matrix.pk),
        {"activity": ready.hand_over.pk, "participant": ready.idle.pk, "letters": "i"},
        **HTMX,
    )

    ready.matrix.refresh_from_db()
    content = client.get(url("matrix_detail", pk=ready.matrix.pk)).content.decode()
    assert ready.matrix.status == MatrixStatus.PUBLISHED
    assert "Changed since publication:" in content
    assert f"Qualify the lead · {member}: I → C" in content
    assert f"Hand over · {idle}: — → I" in content
    assert "Publish changes" in content


def test_clearing_a_cell_after_publication_shows_it_as_gone(world, clients, ready):
    client = clients[Role.MANAGER]
    publish(client, ready.matrix)

    client.post(
        url("cell_set", pk=ready.matrix.pk),
        {"activity": ready.qualify.pk, "participant": ready.member.pk, "letters": ""},
        **HTMX,
    )

    content = client.get(url("matrix_detail", pk=ready.matrix.pk)).content.decode()
    assert f"Qualify the lead · {ready.member.name}: I → —" in content


def test_publishing_again_updates_the_snapshot(world, clients, ready):
    client = clients[Role.MANAGER]
    publish(client, ready.matrix)
    ready.matrix.refresh_from_db()
    first_published_at = ready.matrix.published_at
    client.post(
        url("cell_set", pk=ready.matrix.pk),
        {"activity": ready.hand_over.pk, "participant": ready.idle.pk, "letters": "C"},
        **HTMX,
    )

    response = publish(client, ready.matrix)

    ready.matrix.refresh_from_db()
    # The messages of both publications are waiting: the page was not shown in between.
    assert messages_of(response)[-1] == "Published. Everyone with a role in it has been told."
    assert ready.matrix.published_at >= first_published_at
    assert ready.matrix.published_cells[f"{ready.hand_over.pk}:{ready.idle.pk}"] == "C"
    assert len(ready.matrix.published_cells) == 6
    content = client.get(url("matrix_detail", pk=ready.matrix.pk)).content.decode()
    assert "Changed since publication" not in content
    # Now that Ivy holds a C she is told too.
    assert Notification.objects.filter(kind="raci.published", recipient=ready.idle.membership.user)


def test_publishing_changes_that_add_an_error_is_refused_and_keeps_the_old_snapshot(
    world, clients, ready
):
    client = clients[Role.MANAGER]
    publish(client, ready.matrix)
    ready.matrix.refresh_from_db()
    snapshot = dict(ready.matrix.published_cells)
    client.post(
        url("cell_set", pk=ready.matrix.pk),
        {"activity": ready.hand_over.pk, "participant": ready.leader.pk, "letters": ""},
        **HTMX,
    )

    response = publish(client, ready.matrix)

    ready.matrix.refresh_from_db()
    assert "Nobody is Accountable for “Hand over”" in messages_of(response)[-1]
    assert ready.matrix.published_cells == snapshot


# --- overload -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "warned"),
    [("published here", True), ("draft here", False), ("published in another org", False)],
)
def test_the_overload_warning_counts_other_published_matrices(world, clients, ready, where, warned):
    RaciPolicy.objects.create(org=world.org, accountable_limit=2)
    leader = world.members[Role.LEADER]
    if where == "published in another org":
        org = world.other_org
        membership = MembershipFactory(org=org, user=leader.user, role=Role.LEADER)
    else:
        org, membership = world.org, leader
    status = MatrixStatus.DRAFT if where == "draft here" else MatrixStatus.PUBLISHED
    other = RaciMatrixFactory(org=org, title="Renewals", status=status)
    person = RaciParticipantFactory(matrix=other, membership=membership)
    for name in ("Renew", "Upsell"):
        RaciAssignmentFactory(
            activity=RaciActivityFactory(matrix=other, name=name), participant=person, letters="A/R"
        )

    content = clients[Role.MANAGER].get(url("matrix_detail", pk=ready.matrix.pk)).content.decode()

    message = (
        f"“{ready.leader.name}” would be Accountable for 4 activities (2 here, 2 in other "
        "published matrices), more than the limit of 2."
    )
    assert (message in content) is warned
    assert ('data-code="overloaded_accountable"' in content) is warned


def test_an_overload_warning_does_not_stop_publication(world, clients, ready):
    RaciPolicy.objects.create(org=world.org, accountable_limit=1)

    content = clients[Role.MANAGER].get(url("matrix_detail", pk=ready.matrix.pk)).content.decode()
    response = publish(clients[Role.MANAGER], ready.matrix)

    ready.matrix.refresh_from_db()
    assert "would be Accountable for 2 activities (2 here, 0 in other" in content
    assert messages_of(response) == ["Published. Everyone with a role in it has been told."]
    assert ready.matrix.status == MatrixStatus.PUBLISHED


# --- my responsibilities --------------------------------------------------------------------


@pytest.fixture
def responsibilities(world):
    rep = world.members[Role.REP]
    published = RaciMatrixFactory(org=world.org, title="Lead hand-off", status="published")
    person = RaciParticipantFactory(matrix=published, membership=rep)
    sales = RaciParticipantFactory(matrix=published, kind="team", membership=None, team=world.team)
    member = RaciParticipantFactory(matrix=published, membership=world.members[Role.MEMBER])
    names = ["Call new leads", "Agree the MQL standard", "Close the deal", "Onboard", "Unrelated"]
    call, agree, close, onboard, unrelated = (
        RaciActivityFactory(matrix=published, name=name, position=index)
        for index, name in enumerate(names, start=1)
    )
    RaciAssignmentFactory(activity=call, participant=person, letters="R")
    RaciAssignmentFactory(activity=agree, participant=sales, letters="C")
    RaciAssignmentFactory(activity=close, participant=person, letters="A/R")
    RaciAssignmentFactory(activity=onboard, participant=person, letters="I")
    RaciAssignmentFactory(activity=unrelated, participant=member, letters="R")
    onboard.state = "blocked"
    onboard.save()

    draft = RaciMatrixFactory(org=world.org, title="Secret draft")
    RaciAssignmentFactory(
        activity=RaciActivityFactory(matrix=draft, name="Draft-only task"),
        participant=RaciParticipantFactory(matrix=draft, membership=rep),
        letters="A",
    )
    RaciAssignmentFactory(
        activity=RaciActivityFactory(matrix=draft, name="Draft team task"),
        participant=RaciParticipantFactory(
            matrix=draft, kind="team", membership=None, team=world.team
        ),
        letters="R",
    )

    rival_membership = MembershipFactory(org=world.other_org, user=rep.user, role=Role.REP)
    rival = RaciMatrixFactory(org=world.other_org, title="Rival matrix", status="published")
    RaciAssignmentFactory(
        activity=RaciActivityFactory(matrix=rival, name="Rival task"),
        participant=RaciParticipantFactory(matrix=rival, membership=rival_membership),
        letters="R",
    )
    return published


def _grouped(response) -> dict[str, list[str]]:
    return {
        letter: [item.activity.name for item in items]
        for letter, items in response.context["groups"].items()
    }


def test_my_responsibilities_lists_my_letters_and_my_teams_grouped_r_a_c_i(
    world, clients, responsibilities
):
    response = clients[Role.REP].get(url("my_responsibilities"))

    content = response.content.decode()
    assert response.status_code == 200
    assert _grouped(response) == {
        "R": ["Call new leads", "Close the deal"],
        "A": ["Close the deal"],
        "C": ["Agree the MQL standard"],
        "I": ["Onboard"],
    }
    assert list(response.context["groups"]) == ["R", "A", "C", "I"]
    positions = [content.index(f'data-letter="{letter}"') for letter in "RACI"]
    assert positions == sorted(positions)
    assert "through East Sales" in content
    assert "Blocked" in content
    for absent in ("Draft-only task", "Draft team task", "Rival task", "Unrelated"):
        assert absent not in content


def test_my_responsibilities_in_the_other_org_lists_only_that_org(world, clients, responsibilities):
    response = clients[Role.REP].get(url("my_responsibilities", org_slug="rival"))

    assert response.status_code == 200
    assert _grouped(response) == {"R": ["Rival task"]}


def test_my_responsibilities_of_someone_without_a_role(world, clients, responsibilities):
    response = clients[Role.LEADER].get(url("my_responsibilities"))

    assert response.context["groups"] == {}
    assert "You hold no role in a published matrix yet." in response.content.decode()


def test_the_manager_sees_their_teams_letters(world, clients, responsibilities):
    response = clients[Role.MANAGER].get(url("my_responsibilities"))

    assert _grouped(response) == {"C": ["Agree the MQL standard"]}
