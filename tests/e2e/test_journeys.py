"""What a person does in the browser, in the system's Chromium."""

import pytest
from django.utils import translation

from salesops.models import Role

from ..factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    TeamMembershipFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def chinese(text: str) -> str:
    with translation.override("zh-hans"):
        result = translation.gettext(text)
    assert result != text, f"no Chinese translation for {text!r}"
    return result


def test_log_in_see_org_home_switch_to_chinese(live_server, page):
    org = OrganizationFactory(slug="journey", name="Journey Co")
    membership = MembershipFactory(org=org, role=Role.MANAGER, user__display_name="Mia Manager")
    TeamMembershipFactory(
        team=TeamFactory(org=org, name="East Sales"), membership=membership, is_lead=True
    )

    page.goto(f"{live_server.url}/o/journey/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Email").fill(membership.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url(f"{live_server.url}/o/journey/")
    assert page.get_by_role("heading", name="Welcome, Mia Manager").is_visible()
    assert page.get_by_role("link", name="East Sales").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"

    page.get_by_test_id("language-switcher").get_by_role("button", name="中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("link", name=chinese("Teams"), exact=True).is_visible()
    assert page.get_by_text(chinese("Your teams")).is_visible()
    # The choice is saved: a new visit stays in Chinese.
    page.goto(f"{live_server.url}/o/journey/teams/")
    assert page.get_by_role("heading", name=chinese("Teams")).is_visible()
