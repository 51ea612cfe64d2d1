"""Logging in, lockout, password reset, session endings, language choice."""

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from salesops.models import Role
from salesops.services import tenancy

from ..conftest import client_for
from ..factories import PASSWORD, MembershipFactory, UserFactory

LOGIN = "/accounts/login/"


def _login(client: Client, email: str, password: str):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR="10.1.2.3")


@pytest.mark.django_db
def test_member_logs_in_with_email_and_lands_on_their_org():
    membership = MembershipFactory(role=Role.REP)
    client = Client()
    response = _login(client, membership.user.email, PASSWORD)
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert follow.status_code == 302
    assert follow["Location"] == reverse("org_home", kwargs={"org_slug": membership.org.slug})


@pytest.mark.django_db
def test_wrong_password_shows_a_clear_message_and_is_logged(caplog):
    user = UserFactory()
    with caplog.at_level("WARNING"):
        response = _login(Client(), user.email, "not-the-password")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "AXES" in caplog.text or "failed" in caplog.text.lower()


@pytest.mark.django_db
def test_account_is_locked_after_repeated_failures_even_with_the_right_password():
    user = UserFactory()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user.email, "wrong")
    response = _login(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_lockout_does_not_affect_another_account():
    victim, other = UserFactory(), UserFactory()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, victim.email, "wrong")
    assert _login(client, other.email, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_password_reset_sends_a_link_that_sets_a_new_password():
    user = UserFactory(email="reset@example.com")
    client = Client()
    response = client.post(reverse("password_reset"), {"email": "reset@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(
        line for line in mail.outbox[0].body.splitlines() if "/accounts/password-reset/" in line
    )
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "a-brand-new-secret-9", "new_password2": "a-brand-new-secret-9"}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-brand-new-secret-9")


@pytest.mark.django_db
def test_password_reset_for_unknown_address_reveals_nothing():
    response = Client().post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_sessions_expire_when_idle():
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert 0 < settings.SESSION_COOKIE_AGE <= 8 * 3600


@pytest.mark.django_db
def test_deactivation_ends_every_session_of_that_person(world):
    rep = world.members[Role.REP]
    laptop, phone = client_for(rep.user), client_for(rep.user)
    home = reverse("org_home", kwargs={"org_slug": world.org.slug})
    assert laptop.get(home).status_code == 200
    tenancy.membership_deactivate(actor=world.user(Role.ADMIN), membership=rep)
    for client in (laptop, phone):
        response = client.get(home)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_log_out_everywhere_ends_other_sessions(world):
    user = world.user(Role.REP)
    laptop, phone = client_for(user), client_for(user)
    laptop.post(reverse("logout_everywhere"))
    response = phone.get(reverse("org_home", kwargs={"org_slug": world.org.slug}))
    assert response.status_code == 302


@pytest.mark.django_db
def test_language_follows_the_browser_when_no_preference_is_saved(world):
    user = world.user(Role.REP)
    user.preferred_language = ""
    user.save()
    client = client_for(user)
    response = client.get(
        reverse("org_home", kwargs={"org_slug": world.org.slug}),
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9",
    )
    assert '<html lang="zh-hans">' in response.content.decode()


@pytest.mark.django_db
def test_saved_preference_wins_over_the_browser(world):
    user = world.user(Role.REP)
    user.preferred_language = "en"
    user.save()
    response = client_for(user).get(
        reverse("org_home", kwargs={"org_slug": world.org.slug}), HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.django_db
def test_language_switch_is_saved_on_the_profile(world):
    user = world.user(Role.REP)
    client = client_for(user)
    response = client.post(reverse("language_set"), {"language": "zh-hans", "next": "/o/acme/"})
    assert response.status_code == 302
    assert response["Location"] == "/o/acme/"
    user.refresh_from_db()
    assert user.preferred_language == "zh-hans"
    page = client.get("/o/acme/").content.decode()
    assert "首页" in page


@pytest.mark.django_db
def test_language_switch_refuses_unknown_language_and_foreign_redirects(world):
    user = world.user(Role.REP)
    client = client_for(user)
    response = client.post(
        reverse("language_set"), {"language": "xx", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == "/"
    user.refresh_from_db()
    assert user.preferred_language == "en"


@pytest.mark.django_db
def test_anonymous_visitor_can_switch_language_by_cookie():
    client = Client()
    client.post(reverse("language_set"), {"language": "zh-hans", "next": LOGIN})
    assert "登录" in client.get(LOGIN).content.decode()
