"""Team stand-ups: posting and editing an entry, blockers, who has posted, the pages, the digest."""

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actionplans import standups
from actionplans.models import Blocker, Standup, StandupEntry, StandupSettings
from salesops.models import Notification, Role, WebhookDelivery

from ..conftest import client_for
from ..factories import (
    ActionPlanFactory,
    MembershipFactory,
    MilestoneFactory,
    TeamMembershipFactory,
    TeamWebhookFactory,
)

HTMX = {"HTTP_HX_REQUEST": "true"}

# The organisation runs on Asia/Shanghai (UTC+8). 2026-11-23 is a Monday.
MONDAY = date(2026, 11, 23)
MONDAY_0900 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
MONDAY_0929 = datetime(2026, 11, 23, 1, 29, tzinfo=UTC)
MONDAY_0931 = datetime(2026, 11, 23, 1, 31, tzinfo=UTC)
WEDNESDAY_0931 = datetime(2026, 11, 25, 1, 31, tzinfo=UTC)
SATURDAY_1000 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def _post(world, role=Role.REP, now=MONDAY_0900, **values):
    data = {"yesterday": "", "today": "", "blockers": "", "milestones": ()}
    data.update(values)
    return standups.standup_post(actor=world.user(role), team=world.team, now=now, **data)


@pytest.fixture
def daily(world):
    return StandupSettings.objects.create(
        team=world.team, cadence="daily", digest_time=time(9, 30), digest_enabled=True
    )


@pytest.fixture
def any_day(world):
    """Weekly on Monday: whatever today is, the team has a current stand-up to post to."""
    return StandupSettings.objects.create(
        team=world.team, cadence="weekly", weekday=0, digest_time=time(9, 30)
    )


@pytest.fixture
def channel(world):
    return TeamWebhookFactory(team=world.team)


def _own_milestone(world, role=Role.REP, **kwargs):
    user = world.user(role)
    plan = ActionPlanFactory(org=world.org, owner=world.user(Role.LEADER))
    return MilestoneFactory(plan=plan, owner=user, **kwargs)


def _url(name, world, team=None):
    return reverse(
        f"actionplans:{name}", kwargs={"org_slug": world.org.slug, "pk": (team or world.team).pk}
    )


# --- the day ------------------------------------------------------------------------------


def test_daily_stand_ups_are_on_weekdays(world, daily):
    day_for = standups.standup_day_for
    assert day_for(team=world.team, settings=daily, today=MONDAY) == MONDAY
    assert day_for(team=world.team, settings=daily, today=date(2026, 11, 27)) == date(2026, 11, 27)
    assert day_for(team=world.team, settings=daily, today=date(2026, 11, 28)) is None
    assert day_for(team=world.team, settings=None, today=date(2026, 11, 29)) is None


def test_weekly_stand_up_is_the_chosen_day_of_this_week(world, daily):
    daily.cadence, daily.weekday = "weekly", 2  # Wednesday
    for today in (MONDAY, date(2026, 11, 25), date(2026, 11, 29)):
        assert standups.standup_day_for(team=world.team, settings=daily, today=today) == date(
            2026, 11, 25
        )
    next_monday = date(2026, 11, 30)
    assert standups.standup_day_for(team=world.team, settings=daily, today=next_monday) == date(
        2026, 12, 2
    )


def test_weekly_entry_posted_early_joins_that_weeks_stand_up(world, daily):
    daily.cadence, daily.weekday = "weekly", 2
    daily.save()
    entry = _post(world, today="Prepare the Wednesday review")
    assert entry.standup.day == date(2026, 11, 25)


def test_nobody_posts_at_the_weekend_to_a_daily_stand_up(world, daily):
    with pytest.raises(ValidationError, match="Monday to Friday"):
        _post(world, now=SATURDAY_1000, today="Catch up")
    assert not Standup.objects.exists()


# --- posting ------------------------------------------------------------------------------


def test_first_post_creates_the_entry_and_a_second_edits_it(world, daily):
    milestone = _own_milestone(world)
    first = _post(world, yesterday="Called Contoso", today="Demo", milestones=[milestone.pk])
    assert first.standup.team == world.team and first.standup.day == MONDAY
    assert list(first.milestones.all()) == [milestone]

    second = _post(world, yesterday="Called Contoso and Fabrikam", today="Demo at 3")
    assert second.pk == first.pk
    assert StandupEntry.objects.count() == 1 and Standup.objects.count() == 1
    second.refresh_from_db()
    assert (second.yesterday, second.today) == ("Called Contoso and Fabrikam", "Demo at 3")
    assert not second.milestones.exists()


def test_an_empty_entry_is_refused(world, daily):
    with pytest.raises(ValidationError, match="at least one"):
        _post(world, yesterday="  ", today="\n", blockers="")
    assert not StandupEntry.objects.exists()


@pytest.mark.parametrize("whose", ["other_org", "colleague", "dormant"])
def test_only_my_own_live_milestones_of_this_organisation(world, daily, whose):
    if whose == "other_org":
        milestone = MilestoneFactory(plan=ActionPlanFactory(org=world.other_org))
    elif whose == "colleague":
        milestone = _own_milestone(world, role=Role.MANAGER)
    else:
        milestone = _own_milestone(world, is_dormant=True)
    with pytest.raises(ValidationError) as caught:
        _post(world, today="Work on it", milestones=[milestone.pk])
    assert "milestones" in caught.value.message_dict
    assert not StandupEntry.objects.exists()


def test_only_team_members_post(world, daily):
    with pytest.raises(ValidationError, match="Only members"):
        _post(world, role=Role.LEADER, today="Hello")


def test_a_blocker_goes_to_the_team_lead_once(world, daily):
    entry = _post(world, today="Quote", blockers="Pricing approval is stuck")
    blocker = entry.blocker
    assert blocker is not None
    assert blocker.routed_to == world.user(Role.MANAGER)
    assert blocker.team == world.team and blocker.milestone is None
    assert Notification.objects.filter(
        recipient=world.user(Role.MANAGER), kind="actionplans.blocker"
    ).exists()

    again = _post(world, today="Quote, second try", blockers="Pricing approval is stuck")
    assert again.blocker == blocker
    assert Blocker.objects.count() == 1

    changed = _post(world, today="Quote", blockers="Pricing approval and legal review")
    assert changed.blocker != blocker
    assert Blocker.objects.count() == 2


def test_a_blocker_on_a_milestone_goes_to_its_plan_owner(world, daily):
    milestone = _own_milestone(world)
    entry = _post(world, blockers="Customer data missing", milestones=[milestone.pk])
    assert entry.blocker.milestone == milestone
    assert entry.blocker.routed_to == world.user(Role.LEADER)  # the plan's owner


def test_a_failing_blocker_saves_nothing(world, daily):
    world.team.team_memberships.filter(is_lead=True).update(is_lead=False)
    with pytest.raises(ValidationError) as caught:
        _post(world, today="Quote", blockers="Stuck")
    assert "blockers" in caught.value.message_dict
    assert not StandupEntry.objects.exists() and not Blocker.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_first_post_makes_one_entry(transactional_db, world, daily):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    Standup.objects.create(team=world.team, day=MONDAY)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def click(text: str) -> None:
        try:
            barrier.wait(timeout=10)
            _post(world, today=text)
        except Exception as error:  # collected for the assertion
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(text,)) for text in ("Demo", "Demo!")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert StandupEntry.objects.count() == 1


def test_who_has_posted(world, daily):
    _post(world, today="Demo")
    report = standups.standup_today(team=world.team, today=MONDAY)
    assert [link.membership.user for link in report.posted] == [world.user(Role.REP)]
    assert [link.membership.user for link in report.missing] == [world.user(Role.MANAGER)]
    assert [entry.author for entry in report.entries] == [world.user(Role.REP)]


# --- the digest ---------------------------------------------------------------------------


def test_the_digest_waits_for_its_time(world, daily, channel):
    _post(world, today="Demo")
    assert standups.standup_digests_send(now=MONDAY_0929) == 0
    assert not WebhookDelivery.objects.exists()


def test_the_digest_is_sent_once(world, daily, channel):
    _post(world, yesterday="Called Contoso", today="Demo", blockers="Pricing stuck")
    assert standups.standup_digests_send(now=MONDAY_0931) == 1
    assert standups.standup_digests_send(now=MONDAY_0931) == 0  # rerun
    assert standups.standup_digests_send(now=datetime(2026, 11, 23, 9, 0, tzinfo=UTC)) == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "standup.digest" and delivery.webhook == channel
    text = str(delivery.payload)
    assert world.user(Role.REP).display_name in text and "Called Contoso" in text
    assert "Not posted yet" in text and world.user(Role.MANAGER).display_name in text
    assert "Open blockers: 1" in text
    assert Standup.objects.get().digest_sent_at == MONDAY_0931


def test_two_workers_with_the_same_reading_send_once(world, daily, channel):
    _post(world, today="Demo")
    report = standups.standup_today(team=world.team, today=MONDAY)
    first_worker = standups._digest_send(report, MONDAY_0931)
    second_worker = standups._digest_send(report, MONDAY_0931)
    assert (first_worker, second_worker) == (True, False)
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_moment_send_once(transactional_db, world, daily, channel):
    """Both read the stand-up as unsent, then race for the claim: one row UPDATE wins."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    _post(world, today="Demo")
    report = standups.standup_today(team=world.team, today=MONDAY)
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(standups._digest_send(report, MONDAY_0931))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, True]
    assert WebhookDelivery.objects.count() == 1


def test_a_claimed_stand_up_is_not_sent_again(world, daily, channel):
    entry = _post(world, today="Demo")
    Standup.objects.filter(pk=entry.standup_id).update(digest_sent_at=MONDAY_0900)
    assert standups.standup_digests_send(now=MONDAY_0931) == 0
    assert not WebhookDelivery.objects.exists()


def test_a_quiet_stand_up_sends_nothing_until_someone_posts(world, daily, channel):
    assert standups.standup_digests_send(now=MONDAY_0931) == 0
    assert not WebhookDelivery.objects.exists()
    _post(world, today="Demo", now=datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    assert standups.standup_digests_send(now=datetime(2026, 11, 23, 2, 5, tzinfo=UTC)) == 1


def test_an_open_blocker_alone_is_worth_a_digest(world, daily, channel):
    Blocker.objects.create(
        org=world.org,
        team=world.team,
        description="Legal review",
        raised_by=world.user(Role.REP),
        routed_to=world.user(Role.MANAGER),
    )
    assert standups.standup_digests_send(now=MONDAY_0931) == 1


def test_no_digest_when_disabled_or_at_the_weekend(world, daily, channel):
    _post(world, today="Demo")
    assert standups.standup_digests_send(now=datetime(2026, 11, 28, 3, 0, tzinfo=UTC)) == 0
    daily.digest_enabled = False
    daily.save()
    assert standups.standup_digests_send(now=MONDAY_0931) == 0
    assert not WebhookDelivery.objects.exists()


def test_a_weekly_digest_goes_out_on_its_day_only(world, daily, channel):
    daily.cadence, daily.weekday = "weekly", 2
    daily.save()
    _post(world, today="Prepare the review")
    assert standups.standup_digests_send(now=MONDAY_0931) == 0
    assert standups.standup_digests_send(now=WEDNESDAY_0931) == 1
    assert Standup.objects.get().day == date(2026, 11, 25)


# --- settings -----------------------------------------------------------------------------


def test_settings_are_created_then_changed(world):
    lead = world.user(Role.MANAGER)
    saved = standups.standup_settings_save(
        actor=lead,
        team=world.team,
        cadence="weekly",
        weekday=4,
        digest_time=time(16, 0),
        digest_enabled=True,
    )
    changed = standups.standup_settings_save(
        actor=lead,
        team=world.team,
        cadence="daily",
        weekday=4,
        digest_time=time(9, 15),
        digest_enabled=False,
    )
    assert changed.pk == saved.pk
    assert (changed.cadence, changed.digest_time, changed.digest_enabled) == (
        "daily",
        time(9, 15),
        False,
    )
    with pytest.raises(ValidationError):
        standups.standup_settings_save(
            actor=lead,
            team=world.team,
            cadence="hourly",
            weekday=9,
            digest_time=time(9, 0),
            digest_enabled=True,
        )


def test_settings_page_for_the_team_lead_only(world, clients):
    url = _url("standup_settings", world)
    assert clients[Role.REP].get(url).status_code == 403
    assert clients[Role.MANAGER].get(url).status_code == 200
    response = clients[Role.MANAGER].post(
        url, {"cadence": "weekly", "weekday": "3", "digest_time": "17:30", "digest_enabled": "on"}
    )
    assert response.status_code == 302
    settings = StandupSettings.objects.get(team=world.team)
    assert (settings.cadence, settings.weekday, settings.digest_time) == ("weekly", 3, time(17, 30))
    bad = clients[Role.ADMIN].post(url, {"cadence": "weekly", "weekday": "3", "digest_time": ""})
    assert bad.status_code == 400


# --- pages --------------------------------------------------------------------------------


def test_posting_through_the_page_redirects_with_a_message(world, clients, any_day):
    response = clients[Role.REP].post(
        _url("standup_post", world), {"yesterday": "Calls", "today": "Demo"}, follow=True
    )
    assert response.redirect_chain[-1][0] == _url("team_standup", world)
    assert "Your stand-up entry is saved." in response.content.decode()
    assert StandupEntry.objects.get().author == world.user(Role.REP)


def test_posting_with_htmx_answers_the_fragment(world, clients, any_day):
    response = clients[Role.REP].post(
        _url("standup_post", world), {"today": "Demo with Contoso"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="standup-today"' in html and "<html" not in html
    assert "Demo with Contoso" in html and 'hx-swap-oob="true"' in html
    assert 'data-testid="standup-posted"' in html


def test_an_empty_post_shows_the_reason_and_saves_nothing(world, clients, any_day):
    response = clients[Role.REP].post(_url("standup_post", world), {"today": " "})
    assert response.status_code == 400
    assert "at least one of them" in response.content.decode()
    assert not StandupEntry.objects.exists()
    htmx = clients[Role.REP].post(_url("standup_post", world), {"today": ""}, **HTMX)
    assert htmx.status_code == 200 and "at least one of them" in htmx.content.decode()


def test_a_foreign_milestone_id_is_refused_by_the_page(world, clients, any_day):
    foreign = MilestoneFactory(plan=ActionPlanFactory(org=world.other_org))
    response = clients[Role.REP].post(
        _url("standup_post", world), {"today": "Demo", "milestones": [str(foreign.pk)]}
    )
    assert response.status_code == 400
    assert not StandupEntry.objects.exists()


def test_a_non_member_of_the_team_cannot_post(world, clients, any_day):
    response = clients[Role.LEADER].post(_url("standup_post", world), {"today": "Hi"})
    assert response.status_code == 403
    assert not StandupEntry.objects.exists()


def test_another_organisation_sees_nothing(world, clients, any_day):
    assert clients["outsider"].get(_url("team_standup", world)).status_code == 404
    assert clients["outsider"].post(_url("standup_post", world), {"today": "Hi"}).status_code == 404
    foreign_team = reverse(
        "actionplans:team_standup", kwargs={"org_slug": world.org.slug, "pk": world.other_team.pk}
    )
    assert clients[Role.ADMIN].get(foreign_team).status_code == 404
    assert not StandupEntry.objects.exists()


def test_the_page_shows_my_entry_in_the_form_and_who_has_not_posted(world, clients, any_day):
    standups.standup_post(
        actor=world.user(Role.REP),
        team=world.team,
        yesterday="Called Contoso",
        today="Demo",
        blockers="",
        milestones=[],
    )
    html = clients[Role.REP].get(_url("team_standup", world)).content.decode()
    assert 'data-testid="standup-form"' in html
    assert "Called Contoso</textarea>" in html
    assert 'data-testid="standup-missing"' in html
    assert world.user(Role.MANAGER).display_name in html
    assert 'data-testid="standup-settings-link"' not in html
    lead_html = clients[Role.MANAGER].get(_url("team_standup", world)).content.decode()
    assert 'data-testid="standup-settings-link"' in lead_html
    leader_html = clients[Role.LEADER].get(_url("team_standup", world)).content.decode()
    assert 'data-testid="standup-form"' not in leader_html  # not in the team


def test_the_page_keeps_the_last_seven_stand_ups_folded(world, clients, any_day):
    current = standups.standup_post(
        actor=world.user(Role.REP), team=world.team, yesterday="", today="Now", blockers=""
    ).standup
    for weeks in range(1, 10):
        earlier = Standup.objects.create(team=world.team, day=current.day - timedelta(weeks=weeks))
        StandupEntry.objects.create(
            standup=earlier, author=world.user(Role.REP), today=f"Week minus {weeks}"
        )
    Standup.objects.create(team=world.team, day=current.day - timedelta(weeks=10))  # nobody posted
    html = clients[Role.REP].get(_url("team_standup", world)).content.decode()
    assert html.count('data-testid="standup-history-item"') == 7
    assert html.count("<details") == 7
    assert "Week minus 7" in html and "Week minus 8" not in html


def _crowd(world, count):
    """`count` more team members, each posting with a milestone and a blocker."""
    for number in range(count):
        membership = MembershipFactory(org=world.org, role=Role.REP)
        TeamMembershipFactory(team=world.team, membership=membership)
        plan = ActionPlanFactory(org=world.org, owner=membership.user)
        milestone = MilestoneFactory(plan=plan, owner=membership.user)
        standups.standup_post(
            actor=membership.user,
            team=world.team,
            yesterday=f"Call {number}",
            today="Demo",
            blockers=f"Blocker {number}",
            milestones=[milestone.pk],
        )


# Session, user, membership, team, settings, the stand-up, its entries and their milestones,
# the team's people, open blockers, my teams, the lead check, earlier stand-ups, the menu's
# organisations, my milestones for the form, and the session save (three statements).
STANDUP_PAGE_MAX_QUERIES = 18


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_stand_up_page_takes_the_same_queries_however_many_post(
    world, clients, any_day, django_assert_max_num_queries
):
    url = _url("team_standup", world)
    _crowd(world, 2)
    few = _queries(clients[Role.REP], url)
    _crowd(world, 8)
    many = _queries(clients[Role.REP], url)
    assert many == few
    with django_assert_max_num_queries(STANDUP_PAGE_MAX_QUERIES):
        clients[Role.MANAGER].get(url)


def test_the_overview_shows_my_teams_and_whether_i_posted(world, clients, any_day):
    url = reverse("actionplans:standup_index", kwargs={"org_slug": world.org.slug})
    html = clients[Role.REP].get(url).content.decode()
    assert "East Sales" in html and 'data-testid="standup-mine-missing"' in html
    clients[Role.REP].post(_url("standup_post", world), {"today": "Demo"})
    html = clients[Role.REP].get(url).content.decode()
    assert 'data-testid="standup-mine-posted"' in html
    member = MembershipFactory(org=world.org, role=Role.MEMBER)
    assert 'data-testid="standup-empty"' in client_for(member.user).get(url).content.decode()
    assert "East Sales" in clients[Role.LEADER].get(url).content.decode()


def test_the_team_page_links_to_its_stand_up(world, clients):
    html = (
        clients[Role.REP]
        .get(reverse("team_detail", kwargs={"org_slug": world.org.slug, "pk": world.team.pk}))
        .content.decode()
    )
    assert _url("team_standup", world) in html
