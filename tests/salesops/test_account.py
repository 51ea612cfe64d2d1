"""A person's own pages: profile, password, API tokens and notifications."""

import hashlib

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from salesops.models import ApiToken, Notification, Role, User
from salesops.services import accounts

from ..conftest import client_for
from ..factories import PASSWORD, MembershipFactory, NotificationFactory

# The notification list may use at most this many queries, however many notifications there are.
NOTIFICATION_LIST_MAX_QUERIES = 10


def url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- profile -----------------------------------------------------------------------------


def test_profile_saves_display_name_and_language(world, clients):
    response = clients[Role.REP].post(
        url("profile"), {"display_name": "  Rita Rep  ", "preferred_language": "zh-hans"}
    )

    assert response.status_code == 302
    assert response.url == url("profile")
    user = User.objects.get(pk=world.user(Role.REP).pk)
    assert user.display_name == "Rita Rep"
    assert user.preferred_language == "zh-hans"
    page = clients[Role.REP].get(url("profile"))
    assert page["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in page.content.decode()


def test_profile_language_can_be_left_to_the_browser(world, clients):
    user = world.user(Role.REP)
    user.preferred_language = "zh-hans"
    user.save()

    clients[Role.REP].post(
        url("profile"), {"display_name": user.display_name, "preferred_language": ""}
    )

    user.refresh_from_db()
    assert user.preferred_language == ""


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"display_name": "", "preferred_language": "en"}, "display_name"),
        ({"display_name": "   ", "preferred_language": "en"}, "display_name"),
        ({"display_name": "Rita", "preferred_language": "klingon"}, "preferred_language"),
    ],
)
def test_profile_refuses_bad_input_and_saves_nothing(world, clients, data, field):
    user = world.user(Role.REP)
    before = (user.display_name, user.preferred_language)

    response = clients[Role.REP].post(url("profile"), data)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    user.refresh_from_db()
    assert (user.display_name, user.preferred_language) == before
    assert f">{before[0]}</a>" in response.content.decode()


# --- password ----------------------------------------------------------------------------

NEW_PASSWORD = "sunlit-quarry-marble-77"


def test_password_change_keeps_this_session_and_ends_the_others(world, clients):
    user = world.user(Role.REP)
    other_device = client_for(user)

    response = clients[Role.REP].post(
        url("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == url("profile")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert clients[Role.REP].get(url("org_home")).status_code == 200
    assert other_device.get(url("org_home")).status_code == 302


@pytest.mark.parametrize(
    "data",
    [
        {
            "old_password": "wrong-password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD + "x",
        },
        {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"},
    ],
)
def test_password_change_refuses_bad_input(world, clients, data):
    response = clients[Role.REP].post(url("password_change"), data)

    assert response.status_code == 400
    assert response.context["form"].errors
    user = User.objects.get(pk=world.user(Role.REP).pk)
    assert user.check_password(PASSWORD)


# --- API tokens --------------------------------------------------------------------------


def test_creating_a_token_shows_the_secret_once_and_stores_only_its_hash(world, clients):
    client = clients[Role.REP]

    response = client.post(url("api_tokens"), {"name": "  CRM sync  "})

    assert response.status_code == 200
    secret = response.context["new_secret"]
    assert secret.startswith("sop_")
    assert f'data-testid="new-token">{secret}</div>' in response.content.decode()
    token = ApiToken.objects.get(user=world.user(Role.REP))
    assert token.name == "CRM sync"
    assert token.org == world.org
    assert token.token_hash != secret
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[: len(token.prefix)]
    assert len(token.prefix) == len("sop_") + 6
    assert secret not in {token.name, token.prefix, token.token_hash}

    again = client.get(url("api_tokens"))
    assert secret not in again.content.decode()
    assert f"{token.prefix}…" in again.content.decode()
    assert again.context["new_secret"] is None


def test_token_with_a_blank_name_is_refused(world, clients):
    response = clients[Role.REP].post(url("api_tokens"), {"name": "  "})

    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert response.context["new_secret"] is None
    assert not ApiToken.objects.exists()


def test_token_page_lists_only_my_tokens_of_this_org(world, clients):
    rep = world.user(Role.REP)
    MembershipFactory(org=world.other_org, user=rep)
    mine, _ = accounts.api_token_create(user=rep, org=world.org, name="Mine here")
    accounts.api_token_create(user=rep, org=world.other_org, name="Mine elsewhere")
    accounts.api_token_create(user=world.user(Role.ADMIN), org=world.org, name="Admin's")

    response = clients[Role.REP].get(url("api_tokens"))

    assert list(response.context["tokens"]) == [mine]


def test_revoking_a_token_stops_it(world, clients):
    token, secret = accounts.api_token_create(user=world.user(Role.REP), org=world.org, name="CI")

    response = clients[Role.REP].post(url("api_token_revoke", pk=token.pk))

    assert response.status_code == 302
    assert response.url == url("api_tokens")
    assert "Token “CI” revoked." in messages_of(response)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert accounts.api_token_authenticate(secret=secret) is None


def test_cannot_revoke_another_users_token(world, clients):
    token, secret = accounts.api_token_create(
        user=world.user(Role.ADMIN), org=world.org, name="Admin CI"
    )

    response = clients[Role.REP].post(url("api_token_revoke", pk=token.pk))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert accounts.api_token_authenticate(secret=secret) == token


def test_cannot_revoke_my_token_of_another_org_from_this_org(world, clients):
    rep = world.user(Role.REP)
    MembershipFactory(org=world.other_org, user=rep)
    token, _secret = accounts.api_token_create(user=rep, org=world.other_org, name="Elsewhere")

    response = clients[Role.REP].post(url("api_token_revoke", pk=token.pk))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_revoke_needs_post(world, clients):
    token, _secret = accounts.api_token_create(user=world.user(Role.REP), org=world.org, name="CI")

    response = clients[Role.REP].get(url("api_token_revoke", pk=token.pk))

    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


# --- notifications -----------------------------------------------------------------------


def notify(world, role: str = Role.REP, **extra: object) -> Notification:
    return NotificationFactory(org=world.org, recipient=world.user(role), **extra)


def test_notification_list_shows_my_notifications_of_this_org_only(world, clients):
    mine = [notify(world, title=f"Mine {n}") for n in range(3)]
    NotificationFactory(org=world.org, recipient=world.user(Role.ADMIN), title="For the admin")
    NotificationFactory(
        org=world.other_org, recipient=world.user(Role.REP), title="From the rival org"
    )

    response = clients[Role.REP].get(url("notification_list"))

    assert response.status_code == 200
    assert {n.pk for n in response.context["page"].object_list} == {n.pk for n in mine}
    content = response.content.decode()
    assert "Mine 0" in content
    assert "For the admin" not in content
    assert "From the rival org" not in content


def test_notification_menu_is_a_fragment_with_my_unread_count(world, clients):
    notify(world, title="Unread one")
    notify(world, title="Unread two")
    notify(world, title="Already read", read_at="2024-01-01T00:00:00Z")
    NotificationFactory(org=world.org, recipient=world.user(Role.ADMIN))
    NotificationFactory(org=world.other_org, recipient=world.user(Role.REP))

    response = clients[Role.REP].get(url("notification_menu"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.context["unread"] == 2
    content = response.content.decode()
    assert '<span class="badge rounded-pill text-bg-danger">2</span>' in content
    assert "Unread one" in content
    assert "Already read" in content
    assert "<html" not in content
    assert "<body" not in content


def test_notification_menu_shows_no_badge_when_all_is_read(world, clients):
    notify(world, read_at="2024-01-01T00:00:00Z")

    response = clients[Role.REP].get(url("notification_menu"))

    assert response.context["unread"] == 0
    assert "text-bg-danger" not in response.content.decode()


def test_notification_menu_shows_the_eight_newest(world, clients):
    for _ in range(10):
        notify(world)

    response = clients[Role.REP].get(url("notification_menu"))

    assert len(response.context["items"]) == 8
    assert response.context["unread"] == 10


def test_opening_a_notification_marks_it_read_and_follows_its_link(world, clients):
    notification = notify(world, url=url("team_detail", pk=world.team.pk))
    other = notify(world)

    response = clients[Role.REP].post(url("notification_open", pk=notification.pk))

    assert response.status_code == 302
    assert response.url == url("team_detail", pk=world.team.pk)
    notification.refresh_from_db()
    other.refresh_from_db()
    assert notification.read_at is not None
    assert other.read_at is None


def test_opening_a_notification_without_a_link_goes_to_the_list(world, clients):
    notification = notify(world, url="")

    response = clients[Role.REP].post(url("notification_open", pk=notification.pk))

    assert response.url == url("notification_list")
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_a_notification_never_redirects_off_site(world, clients):
    notification = notify(world, url="https://evil.example.com/phish")

    response = clients[Role.REP].post(url("notification_open", pk=notification.pk))

    assert response.url == url("notification_list")


@pytest.mark.parametrize("whose", ["other_user", "other_org"])
def test_cannot_open_a_notification_that_is_not_mine_here(world, clients, whose):
    if whose == "other_user":
        notification = NotificationFactory(org=world.org, recipient=world.user(Role.ADMIN))
    else:
        notification = NotificationFactory(org=world.other_org, recipient=world.user(Role.REP))

    response = clients[Role.REP].post(url("notification_open", pk=notification.pk))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_touches_only_my_notifications_of_this_org(world, clients):
    mine = [notify(world) for _ in range(3)]
    admins = NotificationFactory(org=world.org, recipient=world.user(Role.ADMIN))
    elsewhere = NotificationFactory(org=world.other_org, recipient=world.user(Role.REP))

    response = clients[Role.REP].post(url("notification_read_all"))

    assert response.status_code == 302
    assert response.url == url("notification_list")
    assert "3 notifications marked as read." in messages_of(response)
    assert (
        Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).count() == 0
    )
    admins.refresh_from_db()
    elsewhere.refresh_from_db()
    assert admins.read_at is None
    assert elsewhere.read_at is None


def test_notification_actions_need_post(world, clients):
    notification = notify(world)

    assert clients[Role.REP].get(url("notification_open", pk=notification.pk)).status_code == 405
    assert clients[Role.REP].get(url("notification_read_all")).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


@pytest.mark.parametrize("count", [3, 30])
def test_notification_list_query_count_does_not_grow(
    world, clients, django_assert_max_num_queries, count
):
    for number in range(count):
        notify(
            world,
            body=f"Body {number}",
            url="/o/acme/",
            read_at=None if number % 2 else "2024-01-01T00:00:00Z",
        )

    with django_assert_max_num_queries(NOTIFICATION_LIST_MAX_QUERIES):
        response = clients[Role.REP].get(url("notification_list"))

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(count, 25)
