"""Invitations: an admin invites by email; the link works once, for that address only."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from salesops.models import (
    Invitation,
    Membership,
    Notification,
    OutboxMessage,
    Role,
    TeamMembership,
    User,
)
from salesops.services import tenancy

from ..conftest import client_for
from ..factories import TeamFactory, UserFactory

NEW_EMAIL = "newcomer@example.com"
GOOD_PASSWORD = "velvet-otter-lantern-42"


def url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def invite(
    world, email: str = NEW_EMAIL, role: str = Role.REP, teams=None
) -> tuple[Invitation, str]:
    return tenancy.invitation_create(
        actor=world.user(Role.ADMIN), org=world.org, email=email, role=role, teams=teams or []
    )


def accept_url(token: str) -> str:
    return reverse("invitation_accept", kwargs={"token": token})


def signup(**overrides: str) -> dict[str, str]:
    data = {"display_name": "Nia Newcomer", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    data.update(overrides)
    return data


# --- inviting ----------------------------------------------------------------------------


def test_admin_invites_someone_and_an_email_is_queued(
    world, clients, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = clients[Role.ADMIN].post(
            url("member_invite"),
            {"email": " Newcomer@Example.com ", "role": Role.MANAGER, "teams": [world.team.pk]},
        )

    assert response.status_code == 302
    assert response.url == url("member_list")
    invitation = Invitation.objects.get(org=world.org)
    assert invitation.email == NEW_EMAIL
    assert invitation.role == Role.MANAGER
    assert list(invitation.teams.all()) == [world.team]
    assert invitation.invited_by == world.user(Role.ADMIN)
    assert invitation.expires_at > timezone.now() + timedelta(days=6)

    message = OutboxMessage.objects.get(task_name="salesops.tasks.email_send")
    assert message.kwargs["to"] == [NEW_EMAIL]
    assert "Acme" in message.kwargs["subject"]
    token = re.search(r"/invitations/([^/\s]+)/", message.kwargs["body"]).group(1)
    assert tenancy.hash_token(token) == invitation.token_hash
    assert token not in invitation.token_hash
    assert len(callbacks) == 1

    (success,) = messages_of(response)
    assert f"/invitations/{token}/" in success


def test_invitation_message_states_the_full_validity_period(world, clients):
    response = clients[Role.ADMIN].post(
        url("member_invite"), {"email": NEW_EMAIL, "role": Role.REP}
    )

    (success,) = messages_of(response)
    assert f"expires in {settings.INVITATION_TTL.days} days" in success


def test_invitation_link_from_the_email_lets_the_invitee_join(world, clients):
    clients[Role.ADMIN].post(url("member_invite"), {"email": NEW_EMAIL, "role": Role.REP})
    body = OutboxMessage.objects.get(task_name="salesops.tasks.email_send").kwargs["body"]
    path = re.search(r"https?://[^/]+(/invitations/[^/\s]+/)", body).group(1)

    response = Client().post(path, signup())

    assert response.status_code == 302
    assert Membership.objects.filter(org=world.org, user__email=NEW_EMAIL, role=Role.REP).exists()


def test_inviting_a_current_member_is_a_form_error(world, clients):
    rep_email = world.user(Role.REP).email.upper()

    response = clients[Role.ADMIN].post(
        url("member_invite"), {"email": rep_email, "role": Role.REP}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "This person is already a member of the organisation."
    ]
    assert not Invitation.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_inviting_a_member_of_another_org_is_allowed(world, clients):
    response = clients[Role.ADMIN].post(
        url("member_invite"), {"email": world.outsider.user.email, "role": Role.REP}
    )

    assert response.status_code == 302
    assert Invitation.objects.filter(org=world.org, email=world.outsider.user.email).exists()


def test_inviting_to_a_team_of_another_org_is_refused(world, clients):
    response = clients[Role.ADMIN].post(
        url("member_invite"), {"email": NEW_EMAIL, "role": Role.REP, "teams": [world.other_team.pk]}
    )

    assert response.status_code == 400
    assert "teams" in response.context["form"].errors
    assert not Invitation.objects.exists()


def test_a_new_invitation_replaces_the_open_one_for_the_same_address(world):
    first, first_token = invite(world)
    second, second_token = invite(world, email=NEW_EMAIL.upper())

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.revoked_at is None
    response = Client().get(accept_url(first_token))
    assert response.status_code == 410
    assert Client().get(accept_url(second_token)).status_code == 200


@pytest.mark.parametrize("role", [Role.LEADER, Role.MANAGER, Role.REP, Role.MEMBER])
def test_non_admin_cannot_invite(world, clients, role):
    assert clients[role].get(url("member_invite")).status_code == 403

    response = clients[role].post(url("member_invite"), {"email": NEW_EMAIL, "role": Role.ADMIN})

    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize("role", [Role.LEADER, Role.REP])
def test_non_admin_cannot_withdraw_an_invitation(world, clients, role):
    invitation, _token = invite(world)

    response = clients[role].post(url("invitation_revoke", pk=invitation.pk))

    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_admin_of_another_org_cannot_withdraw_an_acme_invitation(world, clients):
    invitation, _token = invite(world)

    response = clients["outsider"].post(
        reverse("invitation_revoke", kwargs={"org_slug": "rival", "pk": invitation.pk})
    )

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_open_invitations_are_listed_for_admins_only(world, clients):
    invite(world)

    admin_page = clients[Role.ADMIN].get(url("member_list")).content.decode()
    rep_page = clients[Role.REP].get(url("member_list")).content.decode()

    assert NEW_EMAIL in admin_page
    assert NEW_EMAIL not in rep_page


# --- accepting as a new person ------------------------------------------------------------


def test_accepting_as_a_new_person_creates_account_membership_and_team_places(world):
    west = TeamFactory(org=world.org, name="West")
    _invitation, token = invite(world, role=Role.MANAGER, teams=[world.team, west])
    client = Client()

    page = client.get(accept_url(token))
    response = client.post(accept_url(token), signup())

    assert page.status_code == 200
    assert "Create account and join" in page.content.decode()
    assert response.status_code == 302
    assert response.url == url("org_home")
    user = User.objects.get(email=NEW_EMAIL)
    assert user.display_name == "Nia Newcomer"
    assert user.check_password(GOOD_PASSWORD)
    membership = Membership.objects.get(org=world.org, user=user)
    assert membership.role == Role.MANAGER
    assert membership.is_active
    assert set(
        TeamMembership.objects.filter(membership=membership).values_list("team__name", flat=True)
    ) == {
        "East Sales",
        "West",
    }
    assert not Membership.objects.filter(org=world.other_org, user=user).exists()
    assert client.get(url("org_home")).status_code == 200
    assert int(client.session["_auth_user_id"]) == user.pk


def test_accepting_marks_the_invitation_used_and_tells_the_inviter(world):
    invitation, token = invite(world)

    Client().post(accept_url(token), signup())

    invitation.refresh_from_db()
    user = User.objects.get(email=NEW_EMAIL)
    assert invitation.accepted_at is not None
    assert invitation.accepted_by == user
    notification = Notification.objects.get(recipient=world.user(Role.ADMIN), kind="member.joined")
    assert notification.org == world.org
    assert notification.title == "Nia Newcomer joined Acme"
    membership = Membership.objects.get(org=world.org, user=user)
    assert notification.url == url("member_detail", pk=membership.pk)


def test_accepting_skips_teams_archived_since_the_invitation(world):
    west = TeamFactory(org=world.org, name="West")
    _invitation, token = invite(world, teams=[world.team, west])
    tenancy.team_archive(actor=world.user(Role.ADMIN), team=west)

    Client().post(accept_url(token), signup())

    membership = Membership.objects.get(org=world.org, user__email=NEW_EMAIL)
    assert list(
        TeamMembership.objects.filter(membership=membership).values_list("team", flat=True)
    ) == [world.team.pk]


def test_the_same_link_cannot_be_used_twice(world):
    _invitation, token = invite(world)
    Client().post(accept_url(token), signup())

    again = Client().get(accept_url(token))
    second_post = Client().post(accept_url(token), signup(display_name="Someone Else"))

    assert again.status_code == 410
    assert "This invitation has already been used. Log in instead." in again.content.decode()
    assert second_post.status_code == 410
    assert User.objects.filter(email=NEW_EMAIL).count() == 1
    assert Membership.objects.filter(org=world.org, user__email=NEW_EMAIL).count() == 1
    assert User.objects.get(email=NEW_EMAIL).display_name == "Nia Newcomer"


def test_an_expired_link_is_refused(world):
    invitation, token = invite(world)
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()

    page = Client().get(accept_url(token))
    post = Client().post(accept_url(token), signup())

    assert page.status_code == 410
    assert "This invitation has expired. Ask for a new invitation." in page.content.decode()
    assert post.status_code == 410
    assert not User.objects.filter(email=NEW_EMAIL).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_withdrawn_link_is_refused(world, clients):
    invitation, token = invite(world)

    withdrawn = clients[Role.ADMIN].post(url("invitation_revoke", pk=invitation.pk))
    page = Client().get(accept_url(token))
    post = Client().post(accept_url(token), signup())

    assert withdrawn.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert page.status_code == 410
    assert "This invitation was withdrawn. Ask for a new invitation." in page.content.decode()
    assert post.status_code == 410
    assert not User.objects.filter(email=NEW_EMAIL).exists()


def test_an_unknown_link_is_refused(world):
    response = Client().get(accept_url("not-a-real-token"))

    assert response.status_code == 410
    assert (
        "This invitation link is not valid. Ask for a new invitation." in response.content.decode()
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password1": "password", "password2": "password"}, "password1"),
        ({"password1": "12345678901", "password2": "12345678901"}, "password1"),
        ({"password1": "short1!", "password2": "short1!"}, "password1"),
        ({"password1": "newcomer-example", "password2": "newcomer-example"}, "password1"),
        ({"password2": GOOD_PASSWORD + "x"}, "password2"),
        ({"display_name": ""}, "display_name"),
    ],
)
def test_bad_signup_input_is_a_form_error_and_creates_nothing(world, overrides, field):
    invitation, token = invite(world)
    users_before = User.objects.count()
    client = Client()

    response = client.post(accept_url(token), signup(**overrides))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.count() == users_before
    assert not Membership.objects.filter(user__email=NEW_EMAIL).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert "_auth_user_id" not in client.session


def test_mismatched_passwords_show_the_message(world):
    _invitation, token = invite(world)

    response = Client().post(accept_url(token), signup(password2="something-else-entirely"))

    assert "The two passwords differ." in response.content.decode()


# --- accepting with an existing account ----------------------------------------------------


def test_logged_in_person_with_another_email_cannot_accept(world, clients):
    invitation, token = invite(world)
    outsider = clients["outsider"]

    page = outsider.get(accept_url(token))
    response = outsider.post(accept_url(token))

    assert page.status_code == 200
    assert page.context["wrong_account"] is True
    assert f"This invitation is for {NEW_EMAIL}" in page.content.decode()
    assert response.status_code == 410
    assert (
        f"This invitation is for {NEW_EMAIL}. Log out and open the link again."
        in response.content.decode()
    )
    assert not Membership.objects.filter(org=world.org, user=world.outsider.user).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert invitation.accepted_by is None


def test_existing_account_must_log_in_before_accepting(world):
    existing = UserFactory(email="known@example.com", display_name="Known Person")
    invitation, token = invite(world, email="known@example.com")
    client = Client()

    page = client.get(accept_url(token))
    response = client.post(accept_url(token), signup(display_name="Impostor"))

    assert page.status_code == 200
    assert page.context["existing_account"] is True
    assert f"{reverse('login')}?next={accept_url(token)}" in page.content.decode()
    assert response.status_code == 200
    assert not Membership.objects.filter(user=existing).exists()
    existing.refresh_from_db()
    assert existing.display_name == "Known Person"
    assert User.objects.filter(email="known@example.com").count() == 1
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_existing_account_accepts_once_logged_in(world):
    existing = UserFactory(email="known@example.com")
    invitation, token = invite(
        world, email="Known@Example.com", role=Role.LEADER, teams=[world.team]
    )
    client = client_for(existing)

    page = client.get(accept_url(token))
    response = client.post(accept_url(token))

    assert "Accept the invitation" in page.content.decode()
    assert response.status_code == 302
    assert response.url == url("org_home")
    membership = Membership.objects.get(org=world.org, user=existing)
    assert membership.role == Role.LEADER
    assert TeamMembership.objects.filter(team=world.team, membership=membership).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == existing


def test_member_of_another_org_joins_a_second_org_with_one_account(world, clients):
    _invitation, token = invite(world, email=world.outsider.user.email)

    response = clients["outsider"].post(accept_url(token))

    assert response.status_code == 302
    assert set(
        Membership.objects.filter(user=world.outsider.user).values_list("org__slug", flat=True)
    ) == {
        "acme",
        "rival",
    }
    assert clients["outsider"].get(url("org_home")).status_code == 200


def test_inviting_a_deactivated_member_says_to_reactivate_them(world, clients):
    rep = world.members[Role.REP]
    tenancy.membership_deactivate(actor=world.user(Role.ADMIN), membership=rep)
    response = clients[Role.ADMIN].post(
        url("member_invite"), {"email": rep.user.email, "role": Role.REP}
    )
    assert response.status_code == 400
    assert "Reactivate them" in response.content.decode()
    assert not Invitation.objects.filter(email=rep.user.email).exists()


def test_accepting_into_an_org_you_already_belong_to_is_refused(world):
    invitation, token = invite(world, email="twice@example.com")
    user = UserFactory(email="twice@example.com")
    Membership.objects.create(org=world.org, user=user, role=Role.MEMBER)
    with pytest.raises(tenancy.InvitationInvalid, match="already a member"):
        tenancy.invitation_accept(token=token, user=user)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert Membership.objects.get(org=world.org, user=user).role == Role.MEMBER
