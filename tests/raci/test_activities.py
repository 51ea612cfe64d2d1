"""One activity of a published matrix: done or blocked tells its A and I and asks its C, and the
comment thread where the Consulted give their input."""

from dataclasses import dataclass

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from raci.models import ActivityComment, ActivityState, RaciActivity, RaciMatrix
from salesops.models import Membership, Notification, Role, TeamKind, User

from ..conftest import client_for
from ..factories import (
    MembershipFactory,
    RaciActivityFactory,
    RaciAssignmentFactory,
    RaciMatrixFactory,
    RaciParticipantFactory,
    TeamFactory,
    TeamMembershipFactory,
)


def url(name: str, **kwargs: object) -> str:
    return reverse(f"raci:{name}", kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def told(kind: str) -> set[User]:
    return {n.recipient for n in Notification.objects.filter(kind=kind)}


@dataclass
class Scene:
    matrix: RaciMatrix
    activity: RaciActivity
    marketer: Membership  # in the Growth Marketing team, which is Informed

    def state_url(self) -> str:
        return url("activity_state", pk=self.matrix.pk, activity_pk=self.activity.pk)

    def comment_url(self) -> str:
        return url("activity_comment", pk=self.matrix.pk, activity_pk=self.activity.pk)

    def detail_url(self) -> str:
        return url("activity_detail", pk=self.matrix.pk, activity_pk=self.activity.pk)


@pytest.fixture
def scene(world) -> Scene:
    """The admin is A, the rep R, the member C and the marketing team I; the leader has no role
    and the manager has none either but may edit."""
    matrix = RaciMatrixFactory(org=world.org, title="Lead hand-off", status="published")
    activity = RaciActivityFactory(matrix=matrix, name="Qualify the lead", phase="Qualify")
    other = RaciActivityFactory(matrix=matrix, name="Hand over")
    marketing = TeamFactory(org=world.org, name="Growth Marketing", kind=TeamKind.MARKETING)
    marketer = MembershipFactory(org=world.org, role=Role.REP, user__display_name="Mo Marketer")
    TeamMembershipFactory(team=marketing, membership=marketer)
    letters = {
        RaciParticipantFactory(matrix=matrix, membership=world.members[Role.ADMIN]): "A",
        RaciParticipantFactory(matrix=matrix, membership=world.members[Role.REP]): "R",
        RaciParticipantFactory(matrix=matrix, membership=world.members[Role.MEMBER]): "C",
        RaciParticipantFactory(matrix=matrix, kind="team", membership=None, team=marketing): "I",
    }
    for participant, letter in letters.items():
        RaciAssignmentFactory(activity=activity, participant=participant, letters=letter)
    # The leader holds a letter on another activity only: no role on this one.
    RaciAssignmentFactory(
        activity=other,
        participant=RaciParticipantFactory(matrix=matrix, membership=world.members[Role.LEADER]),
        letters="A/R",
    )
    return Scene(matrix, activity, marketer)


# --- done and blocked -----------------------------------------------------------------------


def test_a_role_holder_marks_done_and_the_a_and_i_are_told_and_the_c_asked(world, clients, scene):
    response = clients[Role.REP].post(scene.state_url(), {"state": "done", "note": ""})

    scene.activity.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == scene.detail_url()
    assert messages_of(response) == ["Saved. Its Accountable and Informed people are told."]
    assert scene.activity.state == ActivityState.DONE
    assert told("raci.activity_done") == {world.user(Role.ADMIN), scene.marketer.user}
    assert told("raci.input_requested") == {world.user(Role.MEMBER)}
    assert not Notification.objects.filter(recipient=world.user(Role.REP)).exists()
    for notification in Notification.objects.all():
        assert notification.org == world.org
        assert notification.url == scene.detail_url()
        assert "Qualify the lead" in notification.title
    assert "Done" in Notification.objects.get(recipient=world.user(Role.ADMIN)).title


def test_an_editor_without_a_role_marks_blocked_with_a_note(world, clients, scene):
    response = clients[Role.MANAGER].post(
        scene.state_url(), {"state": "blocked", "note": "  Waiting for legal.  "}
    )

    scene.activity.refresh_from_db()
    assert response.status_code == 302
    assert scene.activity.state == ActivityState.BLOCKED
    assert told("raci.activity_blocked") == {world.user(Role.ADMIN), scene.marketer.user}
    assert told("raci.input_requested") == {world.user(Role.MEMBER)}
    assert not Notification.objects.filter(kind="raci.activity_done").exists()
    assert {n.body for n in Notification.objects.all()} == {"Waiting for legal."}
    comment = ActivityComment.objects.get(activity=scene.activity)
    assert (comment.author, comment.body) == (world.user(Role.MANAGER), "Waiting for legal.")
    assert scene.activity.history.first().history_change_reason == "Waiting for legal."


def test_the_actor_is_not_told_of_their_own_change(world, clients, scene):
    clients[Role.ADMIN].post(scene.state_url(), {"state": "done", "note": ""})

    assert told("raci.activity_done") == {scene.marketer.user}
    assert told("raci.input_requested") == {world.user(Role.MEMBER)}


def test_a_consulted_person_acting_is_not_asked_for_input(world, clients, scene):
    response = clients[Role.MEMBER].post(scene.state_url(), {"state": "blocked", "note": ""})

    assert response.status_code == 302
    assert told("raci.activity_blocked") == {world.user(Role.ADMIN), scene.marketer.user}
    assert not Notification.objects.filter(kind="raci.input_requested").exists()


def test_a_member_of_a_team_with_a_letter_may_act(world, scene):
    response = client_for(scene.marketer.user).post(
        scene.state_url(), {"state": "done", "note": ""}
    )

    scene.activity.refresh_from_db()
    assert response.status_code == 302
    assert scene.activity.state == ActivityState.DONE
    assert told("raci.activity_done") == {world.user(Role.ADMIN)}
    assert told("raci.input_requested") == {world.user(Role.MEMBER)}


def test_marking_the_same_state_twice_tells_once(world, clients, scene):
    clients[Role.REP].post(scene.state_url(), {"state": "done", "note": ""})
    clients[Role.REP].post(scene.state_url(), {"state": "done", "note": ""})

    assert Notification.objects.filter(kind="raci.activity_done").count() == 2  # admin, Mo


def test_reopening_tells_nobody(world, clients, scene):
    clients[Role.REP].post(scene.state_url(), {"state": "blocked", "note": ""})
    before = Notification.objects.count()

    clients[Role.REP].post(scene.state_url(), {"state": "open", "note": ""})

    scene.activity.refresh_from_db()
    assert scene.activity.state == ActivityState.OPEN
    assert Notification.objects.count() == before


@pytest.mark.parametrize("state", ["archived", "", "DONE", "closed"])
def test_an_invalid_state_is_refused(world, clients, scene, state):
    response = clients[Role.REP].post(scene.state_url(), {"state": state, "note": "Hmm"})

    scene.activity.refresh_from_db()
    assert response.status_code == 302
    assert messages_of(response) == ["Choose open, done or blocked."]
    assert scene.activity.state == ActivityState.OPEN
    assert not Notification.objects.exists()
    assert not ActivityComment.objects.exists()


def test_someone_without_a_role_or_the_right_to_edit_may_not_act(world, clients, scene):
    client = clients[Role.LEADER]

    response = client.post(scene.state_url(), {"state": "done", "note": "Done by me"})
    assert response.status_code == 403
    response = client.post(scene.comment_url(), {"body": "Me too"})
    assert response.status_code == 403

    scene.activity.refresh_from_db()
    assert scene.activity.state == ActivityState.OPEN
    assert not Notification.objects.exists()
    assert not ActivityComment.objects.exists()


def test_an_outsider_of_the_activity_still_reads_it_without_the_forms(world, clients, scene):
    response = clients[Role.LEADER].get(scene.detail_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert response.context["state_form"] is None
    assert response.context["comment_form"] is None
    assert scene.state_url() not in content
    assert scene.comment_url() not in content


def test_the_activity_page_shows_who_does_what(world, clients, scene):
    response = clients[Role.REP].get(scene.detail_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert [(p.name, letters) for p, letters in response.context["roles"]] == [
        (world.user(Role.ADMIN).display_name, "A"),
        (world.user(Role.REP).display_name, "R"),
        (world.user(Role.MEMBER).display_name, "C"),
        ("Growth Marketing", "I"),
    ]
    assert response.context["state_form"] is not None
    assert scene.state_url() in content
    assert world.user(Role.LEADER).display_name not in content


def test_state_and_comments_are_changed_by_post_only(world, clients, scene):
    assert clients[Role.MANAGER].get(scene.state_url(), {"state": "done"}).status_code == 405
    assert clients[Role.MANAGER].get(scene.comment_url(), {"body": "x"}).status_code == 405
    scene.activity.refresh_from_db()
    assert scene.activity.state == ActivityState.OPEN


# --- comments -------------------------------------------------------------------------------


def test_role_holders_and_editors_discuss_an_activity_in_a_thread(world, clients, scene):
    clients[Role.MEMBER].post(scene.comment_url(), {"body": "  Ask about the budget first. "})
    response = clients[Role.MANAGER].post(scene.comment_url(), {"body": "Done, budget is fine."})

    assert response.status_code == 302
    assert response["Location"] == scene.detail_url()
    assert messages_of(response) == ["Comment added."]
    assert [
        (c.author, c.body) for c in ActivityComment.objects.filter(activity=scene.activity)
    ] == [
        (world.user(Role.MEMBER), "Ask about the budget first."),
        (world.user(Role.MANAGER), "Done, budget is fine."),
    ]
    content = clients[Role.REP].get(scene.detail_url()).content.decode()
    first = content.index("Ask about the budget first.")
    assert first < content.index("Done, budget is fine.")
    assert world.user(Role.MEMBER).display_name in content


@pytest.mark.parametrize("body", ["", "   "])
def test_an_empty_comment_is_refused(world, clients, scene, body):
    response = clients[Role.REP].post(scene.comment_url(), {"body": body})

    assert response.status_code == 302
    assert messages_of(response) == ["Write a comment first."]
    assert not ActivityComment.objects.exists()


def test_a_comment_is_shown_escaped(world, clients, scene):
    clients[Role.REP].post(scene.comment_url(), {"body": "<script>alert(1)</script>"})

    content = clients[Role.REP].get(scene.detail_url()).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


# --- reach ----------------------------------------------------------------------------------


def test_an_activity_of_another_matrix_is_not_found_through_this_one(world, clients, scene):
    sibling = RaciMatrixFactory(org=world.org, title="Other", status="published")
    foreign_activity = RaciActivityFactory(matrix=sibling, name="Other activity")
    urls = [
        url(name, pk=scene.matrix.pk, activity_pk=foreign_activity.pk)
        for name in ("activity_detail", "activity_state", "activity_comment")
    ]

    assert clients[Role.MANAGER].get(urls[0]).status_code == 404
    assert clients[Role.MANAGER].post(urls[1], {"state": "done"}).status_code == 404
    assert clients[Role.MANAGER].post(urls[2], {"body": "Hi"}).status_code == 404

    foreign_activity.refresh_from_db()
    assert foreign_activity.state == ActivityState.OPEN
    assert not ActivityComment.objects.exists()


def test_an_activity_of_a_draft_is_not_found_for_a_role_holder_who_may_not_edit(
    world, clients, scene
):
    scene.matrix.status = "draft"
    scene.matrix.save()

    assert clients[Role.REP].get(scene.detail_url()).status_code == 404
    assert clients[Role.REP].post(scene.state_url(), {"state": "done"}).status_code == 404
    scene.activity.refresh_from_db()
    assert scene.activity.state == ActivityState.OPEN
    assert clients[Role.MANAGER].get(scene.detail_url()).status_code == 200


def test_another_orgs_member_cannot_act_on_the_activity(world, clients, scene):
    response = clients["outsider"].post(scene.state_url(), {"state": "done"})

    scene.activity.refresh_from_db()
    assert response.status_code == 404
    assert scene.activity.state == ActivityState.OPEN
