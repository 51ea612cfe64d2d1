"""Organisation settings: admins only, validated, with their history."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from salesops.models import Organization, Role

URL = reverse("org_settings", kwargs={"org_slug": "acme"})
HISTORY_HEADER = '<div class="card-header">History</div>'


def history_entries(content: str) -> list[str]:
    """The text of each entry in the page's history card, newest first."""
    section = content.split(HISTORY_HEADER, 1)[1].split("</section>", 1)[0]
    items = section.split('<li class="list-group-item">')[1:]
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def settings_data(**overrides: object) -> dict[str, object]:
    data = {
        "name": "Acme Trading",
        "time_zone": "Europe/Berlin",
        "language": "zh-hans",
        "currency": "EUR",
        "fiscal_year_start_month": 4,
        "anonymity_threshold": 4,
        "comment_threshold": 6,
    }
    data.update(overrides)
    return data


def snapshot(org: Organization) -> tuple:
    org = Organization.objects.get(pk=org.pk)
    return (
        org.name,
        org.time_zone,
        org.language,
        org.currency,
        org.fiscal_year_start_month,
        org.anonymity_threshold,
        org.comment_threshold,
    )


def test_admin_sees_the_settings_form(world, clients):
    response = clients[Role.ADMIN].get(URL)

    assert response.status_code == 200
    assert response.context["form"].instance == world.org
    assert 'value="Acme"' in response.content.decode()


def test_admin_saves_settings(world, clients):
    response = clients[Role.ADMIN].post(URL, settings_data())

    assert response.status_code == 302
    assert response.url == URL
    assert "Settings saved." in [str(m) for m in get_messages(response.wsgi_request)]
    assert snapshot(world.org) == ("Acme Trading", "Europe/Berlin", "zh-hans", "EUR", 4, 4, 6)


def test_saving_settings_leaves_the_other_org_alone(world, clients):
    before = snapshot(world.other_org)

    clients[Role.ADMIN].post(URL, settings_data())

    assert snapshot(world.other_org) == before


def test_comment_threshold_equal_to_results_threshold_is_allowed(world, clients):
    response = clients[Role.ADMIN].post(
        URL, settings_data(anonymity_threshold=7, comment_threshold=7)
    )

    assert response.status_code == 302
    assert snapshot(world.org)[5:] == (7, 7)


def test_comment_threshold_below_results_threshold_is_refused_and_nothing_saved(world, clients):
    before = snapshot(world.org)

    response = clients[Role.ADMIN].post(
        URL, settings_data(anonymity_threshold=6, comment_threshold=5)
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["comment_threshold"] == [
        "The comments threshold cannot be below the results threshold."
    ]
    assert (
        "The comments threshold cannot be below the results threshold." in response.content.decode()
    )
    assert snapshot(world.org) == before
    assert world.org.history.count() == 1


def test_failed_save_shows_the_saved_name_in_the_navbar(world, clients):
    response = clients[Role.ADMIN].post(URL, settings_data(name="Half Saved", comment_threshold=3))

    assert response.status_code == 200
    assert "· Acme</span>" in response.content.decode()
    assert Organization.objects.get(pk=world.org.pk).name == "Acme"


@pytest.mark.parametrize("time_zone", ["Mars/Olympus", "", "utc+8"])
def test_invalid_time_zone_is_refused(world, clients, time_zone):
    before = snapshot(world.org)

    response = clients[Role.ADMIN].post(URL, settings_data(time_zone=time_zone))

    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    assert snapshot(world.org) == before


def test_invalid_time_zone_shows_the_hint(world, clients):
    response = clients[Role.ADMIN].post(URL, settings_data(time_zone="Mars/Olympus"))

    assert response.context["form"].errors["time_zone"] == [
        "Enter a time zone such as Asia/Shanghai."
    ]


@pytest.mark.parametrize("field", ["anonymity_threshold", "comment_threshold"])
@pytest.mark.parametrize("value", [2, 11])
def test_thresholds_outside_3_to_10_are_refused(world, clients, field, value):
    before = snapshot(world.org)
    data = settings_data(anonymity_threshold=5, comment_threshold=5)
    data[field] = value
    if field == "anonymity_threshold" and value == 2:
        data["comment_threshold"] = 3
    if field == "comment_threshold" and value == 11:
        data["anonymity_threshold"] = 10

    response = clients[Role.ADMIN].post(URL, data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert snapshot(world.org) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("currency", "euro"),
        ("currency", "eur"),
        ("fiscal_year_start_month", 13),
        ("language", "fr"),
        ("name", ""),
    ],
)
def test_other_invalid_settings_are_refused(world, clients, field, value):
    before = snapshot(world.org)

    response = clients[Role.ADMIN].post(URL, settings_data(**{field: value}))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert snapshot(world.org) == before


@pytest.mark.parametrize("role", [Role.LEADER, Role.MANAGER, Role.REP, Role.MEMBER])
def test_non_admin_cannot_see_or_change_settings(world, clients, role):
    before = snapshot(world.org)

    assert clients[role].get(URL).status_code == 403
    response = clients[role].post(URL, settings_data())

    assert response.status_code == 403
    assert snapshot(world.org) == before


def test_admin_of_another_org_cannot_reach_these_settings(world, clients):
    before = snapshot(world.org)

    response = clients["outsider"].post(URL, settings_data())

    assert response.status_code == 404
    assert snapshot(world.org) == before


def test_settings_history_lists_each_change_with_who_made_it(world, clients):
    clients[Role.ADMIN].post(URL, settings_data())

    response = clients[Role.ADMIN].get(URL)

    latest = world.org.history.order_by("-history_id").first()
    assert latest.history_user == world.user(Role.ADMIN)
    assert latest.history_change_reason == "settings updated"
    newest, oldest = history_entries(response.content.decode())
    assert f"changed by {world.user(Role.ADMIN).display_name} (settings updated)" in newest
    assert "created by the system" in oldest


def test_settings_history_shows_what_changed(world, clients):
    clients[Role.ADMIN].post(URL, settings_data())

    (newest, _created) = history_entries(clients[Role.ADMIN].get(URL).content.decode())

    assert "currency: CNY → EUR" in newest
    assert re.search(r"(comment_threshold|anonymity threshold for comments): 5 → 6", newest)
