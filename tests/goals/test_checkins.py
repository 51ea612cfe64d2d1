"""Weekly check-ins: the owner's confidence, managers' comments, and the Monday reminder."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from goals.models import CheckIn, CheckInComment, Goal, GoalLevel, GoalStatus
from goals.services import checkins as checkin_services
from salesops.models import Notification, Role

from ..factories import (
    CheckInFactory,
    GoalFactory,
    MembershipFactory,
    TeamMembershipFactory,
    UserFactory,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2025, 3, 3)
MONDAY_10AM = datetime(2025, 3, 3, 10, 0, tzinfo=SHANGHAI)


def url(name: str, **kwargs: object) -> str:
    return reverse(f"goals:{name}", kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def make_goal(world, **fields: object) -> Goal:
    manager = world.user(Role.MANAGER)
    defaults = {
        "org": world.org,
        "team": world.team,
        "owner": manager,
        "created_by": manager,
        "status": GoalStatus.ACTIVE,
    }
    defaults.update(fields)
    return GoalFactory(**defaults)


@pytest.fixture
def rep_goal(world) -> Goal:
    return make_goal(world, level=GoalLevel.INDIVIDUAL, owner=world.user(Role.REP))


def check_in(world, goal: Goal, confidence: int, now: datetime = MONDAY_10AM, note: str = ""):
    return checkin_services.checkin_save(
        actor=goal.owner, goal=goal, confidence=confidence, note=note, now=now
    )


# --- the owner checks in ------------------------------------------------------------------------


def test_owner_checks_in_on_the_goal_page(world, clients, rep_goal):
    response = clients[Role.REP].post(
        url("checkin_save", pk=rep_goal.pk), {"confidence": "7", "note": " Two deals slipped. "}
    )

    assert response.status_code == 302
    assert "Check-in saved." in messages_of(response)
    checkin = CheckIn.objects.get()
    assert (checkin.goal, checkin.author, checkin.confidence) == (
        rep_goal,
        world.user(Role.REP),
        7,
    )
    assert checkin.note == "Two deals slipped."
    assert checkin.week_start.weekday() == 0
    page = clients[Role.REP].get(url("goal_detail", pk=rep_goal.pk)).content.decode()
    assert "confidence 7/10" in page


@pytest.mark.parametrize("confidence", ["11", "-1", "seven", ""])
def test_confidence_outside_0_to_10_is_refused(world, clients, rep_goal, confidence):
    response = clients[Role.REP].post(
        url("checkin_save", pk=rep_goal.pk), {"confidence": confidence, "note": "Hm"}
    )

    assert "Confidence is a number from 0 to 10." in messages_of(response)
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("confidence", [0, 10])
def test_confidence_of_0_and_10_is_accepted(world, rep_goal, confidence):
    assert check_in(world, rep_goal, confidence).confidence == confidence


@pytest.mark.parametrize("confidence", [-1, 11])
def test_checkin_save_refuses_confidence_outside_the_range(world, rep_goal, confidence):
    with pytest.raises(ValidationError) as error:
        check_in(world, rep_goal, confidence)

    assert "confidence" in error.value.message_dict
    assert not CheckIn.objects.exists()


def test_second_checkin_in_the_same_week_updates_the_first(world, rep_goal):
    first = check_in(world, rep_goal, 4, note="Slow start")
    friday = MONDAY_10AM + timedelta(days=4, hours=8)

    second = check_in(world, rep_goal, 8, now=friday, note="Big deal closed")

    assert second.pk == first.pk
    checkin = CheckIn.objects.get()
    assert (checkin.week_start, checkin.confidence, checkin.note) == (MONDAY, 8, "Big deal closed")


def test_the_next_week_gets_its_own_checkin(world, rep_goal):
    check_in(world, rep_goal, 4)
    check_in(world, rep_goal, 6, now=MONDAY_10AM + timedelta(days=7))

    assert list(CheckIn.objects.values_list("week_start", "confidence")) == [
        (MONDAY + timedelta(days=7), 6),
        (MONDAY, 4),
    ]


def test_the_week_follows_the_organisations_time_zone(world, rep_goal):
    sunday_evening_utc = datetime(2025, 3, 2, 20, 0, tzinfo=ZoneInfo("UTC"))  # Monday in Shanghai

    assert check_in(world, rep_goal, 5, now=sunday_evening_utc).week_start == MONDAY


def test_second_checkin_on_the_page_in_the_same_week_updates_the_first(
    world, clients, rep_goal, monkeypatch
):
    class FrozenClock:
        @staticmethod
        def now() -> datetime:
            return MONDAY_10AM

    monkeypatch.setattr(checkin_services, "timezone", FrozenClock)
    client = clients[Role.REP]

    client.post(url("checkin_save", pk=rep_goal.pk), {"confidence": "3"})
    client.post(url("checkin_save", pk=rep_goal.pk), {"confidence": "9", "note": "Better"})

    checkin = CheckIn.objects.get()
    assert (checkin.week_start, checkin.confidence, checkin.note) == (MONDAY, 9, "Better")


@pytest.mark.parametrize("role", [Role.MANAGER, Role.LEADER, Role.ADMIN])
def test_only_the_owner_may_check_in(world, clients, rep_goal, role):
    response = clients[role].post(url("checkin_save", pk=rep_goal.pk), {"confidence": "5"})

    assert response.status_code == 403
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    "status", [GoalStatus.DRAFT, GoalStatus.ACHIEVED, GoalStatus.MISSED, GoalStatus.CANCELLED]
)
def test_only_active_goals_take_checkins(world, clients, status):
    goal = make_goal(world, level=GoalLevel.INDIVIDUAL, owner=world.user(Role.REP), status=status)

    response = clients[Role.REP].post(url("checkin_save", pk=goal.pk), {"confidence": "5"})

    assert "Check-ins are for active goals." in messages_of(response)
    assert not CheckIn.objects.exists()
    assert not clients[Role.REP].get(url("goal_detail", pk=goal.pk)).context["can_checkin"]


def test_checkin_on_a_goal_of_another_org_is_not_found(world, clients):
    foreign = GoalFactory(
        org=world.other_org, team=world.other_team, owner=world.outsider.user, status="active"
    )

    response = clients[Role.ADMIN].post(url("checkin_save", pk=foreign.pk), {"confidence": "5"})

    assert response.status_code == 404
    assert not CheckIn.objects.exists()


# --- comments -----------------------------------------------------------------------------------------


def test_manager_comments_and_the_owner_is_notified(world, clients, rep_goal):
    checkin = CheckInFactory(goal=rep_goal, week_start=MONDAY, confidence=3)
    manager = world.user(Role.MANAGER)

    response = clients[Role.MANAGER].post(
        url("checkin_comment", pk=rep_goal.pk, checkin_pk=checkin.pk),
        {"body": "  Let's review the pipeline on Thursday.  "},
    )

    assert response.status_code == 302
    comment = CheckInComment.objects.get()
    assert (comment.checkin, comment.author) == (checkin, manager)
    assert comment.body == "Let's review the pipeline on Thursday."
    notification = Notification.objects.get(kind="checkin.comment")
    assert notification.recipient == world.user(Role.REP)
    assert notification.org == world.org
    assert manager.display_name in notification.title
    assert rep_goal.title in notification.title
    assert notification.body == comment.body
    assert notification.url == url("goal_detail", pk=rep_goal.pk)


def test_owner_replying_on_their_own_checkin_notifies_nobody(world, clients, rep_goal):
    checkin = CheckInFactory(goal=rep_goal, week_start=MONDAY)

    clients[Role.REP].post(
        url("checkin_comment", pk=rep_goal.pk, checkin_pk=checkin.pk), {"body": "Noted."}
    )

    assert CheckInComment.objects.count() == 1
    assert not Notification.objects.filter(kind="checkin.comment").exists()


def test_a_teammate_who_neither_owns_nor_leads_may_not_comment(world, clients, rep_goal):
    checkin = CheckInFactory(goal=rep_goal, week_start=MONDAY)
    teammate = MembershipFactory(org=world.org, role=Role.REP)
    TeamMembershipFactory(team=world.team, membership=teammate)
    client = Client()
    client.force_login(teammate.user)

    response = client.post(
        url("checkin_comment", pk=rep_goal.pk, checkin_pk=checkin.pk), {"body": "Nice"}
    )

    assert response.status_code == 403
    assert not CheckInComment.objects.exists()
    assert not Notification.objects.exists()


def test_an_empty_comment_is_refused(world, clients, rep_goal):
    checkin = CheckInFactory(goal=rep_goal, week_start=MONDAY)

    response = clients[Role.MANAGER].post(
        url("checkin_comment", pk=rep_goal.pk, checkin_pk=checkin.pk), {"body": "   "}
    )

    assert "Write a comment first." in messages_of(response)
    assert not CheckInComment.objects.exists()
    assert not Notification.objects.exists()


def test_a_checkin_of_another_goal_cannot_be_commented_through_this_one(world, clients, rep_goal):
    other_goal = make_goal(world)
    other_checkin = CheckInFactory(goal=other_goal, week_start=MONDAY)

    response = clients[Role.MANAGER].post(
        url("checkin_comment", pk=rep_goal.pk, checkin_pk=other_checkin.pk), {"body": "Hi"}
    )

    assert response.status_code == 404
    assert not CheckInComment.objects.exists()


# --- the Monday reminder --------------------------------------------------------------------------


@pytest.fixture
def active_goals(world) -> dict[str, Goal]:
    rep = world.user(Role.REP)
    goals = {
        "rep": make_goal(world, title="Rep goal", level=GoalLevel.INDIVIDUAL, owner=rep),
        "team": make_goal(world, title="Team goal"),
        "checked_in": make_goal(world, title="Checked in"),
        "last_week": make_goal(world, title="Checked in last week"),
    }
    CheckInFactory(goal=goals["checked_in"], week_start=MONDAY)
    CheckInFactory(goal=goals["last_week"], week_start=MONDAY - timedelta(days=7))
    make_goal(world, title="Still a draft", status=GoalStatus.DRAFT)
    make_goal(world, title="Already won", status=GoalStatus.ACHIEVED)
    return goals


def reminders() -> list[Notification]:
    return list(Notification.objects.filter(kind="checkin.reminder").order_by("pk"))


def test_monday_reminder_goes_to_each_active_goal_without_a_checkin(world, active_goals):
    sent = checkin_services.checkin_reminders_send(now=MONDAY_10AM)

    assert sent == 3
    notified = {(n.recipient_id, n.url) for n in reminders()}
    assert notified == {
        (goal.owner_id, url("goal_detail", pk=goal.pk))
        for key, goal in active_goals.items()
        if key != "checked_in"
    }
    assert any("Rep goal" in n.title for n in reminders())


def test_a_second_run_on_the_same_monday_sends_nothing(world, active_goals):
    checkin_services.checkin_reminders_send(now=MONDAY_10AM)

    assert checkin_services.checkin_reminders_send(now=MONDAY_10AM + timedelta(hours=1)) == 0
    assert len(reminders()) == 3


def test_the_next_monday_reminds_again(world, active_goals):
    checkin_services.checkin_reminders_send(now=MONDAY_10AM)

    assert checkin_services.checkin_reminders_send(now=MONDAY_10AM + timedelta(days=7)) == 4


@pytest.mark.parametrize(
    "now",
    [
        datetime(2025, 3, 2, 10, 0, tzinfo=SHANGHAI),  # Sunday
        datetime(2025, 3, 4, 10, 0, tzinfo=SHANGHAI),  # Tuesday
        datetime(2025, 3, 3, 8, 59, tzinfo=SHANGHAI),  # Monday, before nine
    ],
    ids=["sunday", "tuesday", "monday-early"],
)
def test_no_reminder_outside_monday_from_nine(world, active_goals, now):
    assert checkin_services.checkin_reminders_send(now=now) == 0
    assert reminders() == []


def test_reminder_time_follows_each_organisations_time_zone(world, active_goals):
    world.org.time_zone = "America/Los_Angeles"  # still Sunday evening there
    world.org.save()

    assert checkin_services.checkin_reminders_send(now=MONDAY_10AM) == 0


def test_owners_whose_account_is_disabled_are_not_reminded(world, active_goals):
    ghost = UserFactory(is_active=False)
    MembershipFactory(org=world.org, user=ghost, role=Role.REP)
    make_goal(world, title="Ghost goal", level=GoalLevel.INDIVIDUAL, owner=ghost)

    assert checkin_services.checkin_reminders_send(now=MONDAY_10AM) == 3
    assert all(n.recipient_id != ghost.pk for n in reminders())


def test_other_organisations_get_their_own_reminders(world, active_goals):
    foreign = GoalFactory(
        org=world.other_org, team=world.other_team, owner=world.outsider.user, status="active"
    )

    assert checkin_services.checkin_reminders_send(now=MONDAY_10AM) == 4
    outsider_reminder = Notification.objects.get(
        kind="checkin.reminder", recipient=world.outsider.user
    )
    assert outsider_reminder.org == world.other_org
    assert outsider_reminder.url == reverse(
        "goals:goal_detail", kwargs={"org_slug": "rival", "pk": foreign.pk}
    )
