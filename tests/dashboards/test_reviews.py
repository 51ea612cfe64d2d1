"""Review meetings: who may open a team's review pack, what the pack holds, reading its period,
recording notes, decisions and actions (and who may), and the query counts of the pages."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actionplans.models import Blocker
from dashboards import reviews
from dashboards.models import Alert, AlertRule, ReviewItem, ReviewMeeting
from feedback import services as feedback_services
from goals.periods import month_start, week_start
from goals.services.checkins import org_today
from salesops.models import Notification, Role

from ..conftest import client_for
from ..factories import (
    ActionPlanFactory,
    GoalFactory,
    KpiFactory,
    MeasurementFactory,
    MembershipFactory,
    MilestoneFactory,
    TeamFactory,
    TeamMembershipFactory,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def today_of(world) -> date:
    return org_today(world.org).date()


def pack_url(
    team, period: str = "", start: date | str | None = None, org_slug: str = "acme"
) -> str:
    address = reverse("dashboards:review_pack", kwargs={"org_slug": org_slug, "pk": team.pk})
    query = []
    if period:
        query.append(f"period={period}")
    if start is not None:
        query.append(f"start={start}")
    return f"{address}?{'&'.join(query)}" if query else address


def item_add_url(meeting) -> str:
    return reverse("dashboards:review_item_add", kwargs={"org_slug": "acme", "pk": meeting.pk})


def item_done_url(item) -> str:
    return reverse("dashboards:review_item_done", kwargs={"org_slug": "acme", "pk": item.pk})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def make_alert(world, subject_team, name: str, **fields) -> Alert:
    rule = AlertRule.objects.create(
        org=subject_team.org, name=name, subject="kpi", comparator="below", threshold=80
    )
    values = {
        "org": subject_team.org,
        "rule": rule,
        "subject_key": f"team:{subject_team.pk}",
        "subject_label": subject_team.name,
        "team": subject_team,
        "period_kind": "week",
        "period_start": week_start(today_of(world)),
        "severity": "warning",
        "comparator": "below",
        "threshold": 80,
        "value": 55,
    }
    values.update(fields)
    return Alert.objects.create(**values)


def off_track_goal(world, title: str, team=None):
    """Far behind: 10 of 600 after two thirds of its time."""
    today = today_of(world)
    start = month_start(today - timedelta(days=120))
    kpi = KpiFactory(org=world.org)
    goal = GoalFactory(
        org=world.org,
        kpi=kpi,
        team=team or world.team,
        title=title,
        target=600,
        start_date=start,
        due_date=today + timedelta(days=60),
        status="active",
        owner=world.user(Role.MANAGER),
    )
    MeasurementFactory(org=world.org, kpi=kpi, team=goal.team, period_start=start, value=10)
    return goal


def overdue_milestone(world, plan, title: str, **fields):
    monday = week_start(today_of(world))
    values = {
        "plan": plan,
        "title": title,
        "start_week": monday - timedelta(days=28),
        "due_week": monday - timedelta(days=14),
    }
    values.update(fields)
    return MilestoneFactory(**values)


def pulse_answers(world, team, count: int):
    """A collaboration pulse open today, answered by `count` people of the team."""
    leader = world.user(Role.LEADER)
    survey = feedback_services.survey_create_from_template(
        actor=leader, org=world.org, key="collaboration_pulse"
    )
    round_ = feedback_services.round_open(actor=None, survey=survey, announce=False)
    for _ in range(count):
        membership = MembershipFactory(org=world.org, role=Role.MEMBER)
        TeamMembershipFactory(team=team, membership=membership)
        answers = {
            q.pk: {"scale": 4, "enps": 9, "single": 0, "multiple": [0], "text": ""}[q.kind]
            for q in survey.questions.all()
        }
        feedback_services.response_submit(
            actor=membership.user, round_=round_, answers=answers, team=team
        )
    return survey


@pytest.fixture
def west(world):
    return TeamFactory(org=world.org, name="West Sales")


@pytest.fixture
def pack_data(world, west):
    """One thing of every kind for East Sales, and look-alikes that must stay out of its pack."""
    monday = week_start(today_of(world))
    make_alert(world, world.team, "East conversion below 20%", severity="critical")
    make_alert(world, west, "West conversion below 20%")
    make_alert(
        world,
        world.team,
        "Old resolved deviation",
        state="resolved",
        period_start=monday - timedelta(days=70),
    )
    Alert.objects.filter(rule__name="Old resolved deviation").update(
        opened_at=datetime.combine(monday - timedelta(days=70), time(9), tzinfo=ZoneInfo("UTC"))
    )
    off_track_goal(world, "East new logos")
    off_track_goal(world, "West new logos", team=west)
    plan = ActionPlanFactory(org=world.org, team=world.team, title="East outbound push")
    late = overdue_milestone(world, plan, "Call list cleaned")
    overdue_milestone(world, plan, "Already finished", status="done")
    overdue_milestone(world, plan, "Dormant Plan B step", is_dormant=True)
    overdue_milestone(
        world, plan, "Due next week", due_week=monday + timedelta(days=7), start_week=monday
    )
    west_plan = ActionPlanFactory(org=world.org, team=west)
    overdue_milestone(world, west_plan, "West late milestone")
    manager, rep = world.user(Role.MANAGER), world.user(Role.REP)
    Blocker.objects.create(
        org=world.org,
        milestone=late,
        description="CRM export is broken",
        raised_by=rep,
        routed_to=manager,
    )
    Blocker.objects.create(
        org=world.org,
        team=world.team,
        description="No demo account",
        raised_by=rep,
        routed_to=manager,
    )
    Blocker.objects.create(
        org=world.org,
        team=world.team,
        description="Solved long ago",
        raised_by=rep,
        routed_to=manager,
        status="resolved",
    )
    pulse_answers(world, world.team, 2)
    return plan


# --- periods ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "start", "expected"),
    [
        ("week", None, (date(2025, 3, 3), date(2025, 3, 9))),
        ("week", date(2025, 3, 12), (date(2025, 3, 10), date(2025, 3, 16))),
        ("week", date(2024, 12, 31), (date(2024, 12, 30), date(2025, 1, 5))),
        ("month", None, (date(2025, 3, 1), date(2025, 3, 31))),
        ("month", date(2024, 2, 14), (date(2024, 2, 1), date(2024, 2, 29))),
    ],
)
def test_review_periods_start_on_monday_or_the_first(kind, start, expected):
    assert reviews.review_period(kind=kind, start=start, today=date(2025, 3, 5)) == expected


def test_an_unknown_period_kind_is_refused():
    with pytest.raises(ValueError):
        reviews.review_period(kind="year", start=None, today=date(2025, 3, 5))


def test_a_given_start_is_shown_as_its_period(world, clients):
    response = clients["leader"].get(pack_url(world.team, "month", "2025-02-14"))

    assert response.status_code == 200
    assert response.context["pack"].start == date(2025, 2, 1)
    assert "2025-02-01 to 2025-02-28" in response.content.decode()
    html = response.content.decode()
    assert "start=2025-01-01" in html and "start=2025-03-01" in html  # previous and next


@pytest.mark.parametrize(
    "query",
    [
        {"period": "year"},
        {"period": "week", "start": "last tuesday"},
        {"period": "week", "start": "2025-02-30"},
        {"period": "month", "start": "0001-01-01"},
        {"period": "month", "start": "9999-12-31"},
    ],
    ids=["unknown-kind", "not-a-date", "impossible-date", "year-one", "year-9999"],
)
def test_a_period_that_cannot_be_read_shows_the_current_one_with_a_message(world, clients, query):
    response = clients["leader"].get(pack_url(world.team), query)

    assert response.status_code == 200
    pack = response.context["pack"]
    assert pack.start <= today_of(world) <= pack.end
    assert messages_of(response) == ["That period could not be read; here is the current one."]


# --- who may open a pack ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("leader", 200),
        ("manager", 200),  # East Sales' lead
        ("rep", 200),  # East Sales' member
        ("member", 403),  # not in East Sales
        ("outsider", 404),  # another organisation
    ],
)
def test_who_may_open_a_teams_pack(world, clients, role, status):
    assert clients[role].get(pack_url(world.team)).status_code == status


def test_leaders_and_admins_open_any_teams_pack_members_only_their_own(world, clients, west):
    assert clients["leader"].get(pack_url(west)).status_code == 200
    assert clients["admin"].get(pack_url(west)).status_code == 200
    assert clients["manager"].get(pack_url(west)).status_code == 403
    assert clients["rep"].get(pack_url(west)).status_code == 403


def test_another_organisations_team_is_not_found(world, clients):
    assert clients["leader"].get(pack_url(world.other_team)).status_code == 404


# --- what the pack holds ------------------------------------------------------------------


def test_the_pack_holds_this_teams_deviations_goals_milestones_and_blockers(
    world, clients, pack_data
):
    response = clients["leader"].get(pack_url(world.team, "week"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "East conversion below 20%" in html
    assert "West conversion below 20%" not in html
    assert "Old resolved deviation" not in html
    assert "East new logos" in html and "West new logos" not in html
    assert "Call list cleaned" in html
    for absent in ("Already finished", "Dormant Plan B step", "Due next week", "West late"):
        assert absent not in html
    assert "CRM export is broken" in html and "No demo account" in html
    assert "Solved long ago" not in html
    pack = response.context["pack"]
    assert [g.goal.title for g in pack.goals_at_risk] == ["East new logos"]
    assert pack.goals_at_risk[0].metrics.health == "off_track"


def test_a_resolved_alert_opened_in_the_period_is_still_shown(world, clients):
    make_alert(world, world.team, "Handled this week", state="resolved")

    html = clients["leader"].get(pack_url(world.team)).content.decode()

    assert "Handled this week" in html


def test_an_alert_about_a_team_goal_belongs_to_the_team(world, clients):
    goal = off_track_goal(world, "Goal with a gap")
    make_alert(world, world.team, "Goal gap", team=None, goal=goal, subject_key=f"goal:{goal.pk}")

    html = clients["leader"].get(pack_url(world.team)).content.decode()

    assert "Goal gap" in html


def test_the_pulse_below_the_threshold_is_withheld_with_the_reason(world, clients, pack_data):
    html = clients["leader"].get(pack_url(world.team)).content.decode()

    assert 'data-testid="pulse-withheld"' in html
    assert "Fewer than 5 responses" in html
    assert 'data-testid="pulse-table"' not in html
    assert "2 responses" not in html


def test_the_pulse_at_the_threshold_is_shown(world, clients):
    pulse_answers(world, world.team, 5)

    response = clients["manager"].get(pack_url(world.team))

    pulse = response.context["pack"].pulse
    assert pulse.shown and pulse.respondents == 5
    assert pulse.lines and all(line.headline is not None for line in pulse.lines)
    assert 'data-testid="pulse-table"' in response.content.decode()


def test_the_last_closed_round_comes_before_a_round_just_opened(world, clients):
    survey = pulse_answers(world, world.team, 5)
    first = survey.rounds.get()
    feedback_services.round_close(actor=None, round_=first)
    feedback_services.round_open(actor=None, survey=survey, announce=False)

    pulse = clients["manager"].get(pack_url(world.team)).context["pack"].pulse

    assert pulse.round_number == first.number
    assert pulse.shown and pulse.respondents == 5


def test_a_rep_is_told_who_sees_pulse_results(world, clients):
    pulse_answers(world, world.team, 5)

    response = clients["rep"].get(pack_url(world.team))

    pulse = response.context["pack"].pulse
    assert not pulse.shown and pulse.lines == []
    assert "shown to leaders, sales ops and the managers" in response.content.decode()


def test_empty_sections_say_so(world, clients):
    html = clients["leader"].get(pack_url(world.team)).content.decode()

    for empty in ("no-alerts", "no-goals", "no-milestones", "no-blockers", "no-pulse"):
        assert f'data-testid="{empty}"' in html
    assert 'data-testid="no-open-actions"' in html


def test_the_pack_prints_without_inline_script(world, clients):
    html = clients["leader"].get(pack_url(world.team)).content.decode()

    assert "js/print.js" in html
    assert "data-print" in html
    assert "onclick" not in html and "<script>" not in html


# --- recording the meeting ----------------------------------------------------------------


def test_saving_notes_starts_the_meeting_record_and_updates_it(world, clients):
    monday = week_start(today_of(world))
    data = {"period": "week", "start": monday.isoformat(), "notes": "Focus on renewals."}

    response = clients["manager"].post(pack_url(world.team), data)

    assert response.status_code == 302
    assert response["Location"] == pack_url(world.team, "week", monday) + "#decisions"
    meeting = ReviewMeeting.objects.get(team=world.team)
    assert (meeting.period_kind, meeting.period_start, meeting.notes) == (
        "week",
        monday,
        "Focus on renewals.",
    )
    clients["leader"].post(pack_url(world.team), {**data, "notes": "Renewals first."})
    meeting.refresh_from_db()
    assert meeting.notes == "Renewals first."
    assert ReviewMeeting.objects.count() == 1
    assert meeting.history.count() == 2


def test_notes_for_a_period_that_cannot_be_read_save_nothing(world, clients):
    response = clients["leader"].post(
        pack_url(world.team), {"period": "fortnight", "start": "2025-03-03", "notes": "x"}
    )

    assert response.status_code == 302
    assert not ReviewMeeting.objects.exists()
    assert messages_of(response) == ["That period could not be read; nothing was saved."]


def test_too_long_notes_save_nothing(world, clients):
    response = clients["leader"].post(
        pack_url(world.team),
        {"period": "week", "start": "2025-03-03", "notes": "x" * (reviews.NOTES_MAX + 1)},
    )

    assert response.status_code == 302
    assert not ReviewMeeting.objects.exists()
    assert messages_of(response)


@pytest.fixture
def meeting(world):
    monday = week_start(today_of(world))
    return reviews.review_meeting_save(
        actor=world.user(Role.LEADER),
        org=world.org,
        team=world.team,
        kind="week",
        start=monday,
        notes="",
    )


def test_the_add_form_appears_once_the_meeting_exists(world, clients, meeting):
    html = clients["manager"].get(pack_url(world.team)).content.decode()

    assert 'data-testid="item-form"' in html
    assert item_add_url(meeting) in html


def test_before_the_meeting_exists_the_pack_offers_to_start_it(world, clients):
    html = clients["manager"].get(pack_url(world.team)).content.decode()

    assert 'data-testid="notes-form"' in html
    assert 'data-testid="item-form"' not in html
    assert "Start the meeting record" in html


def test_adding_an_action_without_javascript_redirects_with_a_message(world, clients, meeting):
    rep = world.user(Role.REP)
    data = {
        "kind": "action",
        "text": "Clean the call list",
        "owner": rep.pk,
        "due_date": (meeting.period_start + timedelta(days=4)).isoformat(),
    }

    response = clients["manager"].post(item_add_url(meeting), data)

    assert response.status_code == 302
    assert response["Location"].endswith("#decisions")
    item = ReviewItem.objects.get()
    assert (item.kind, item.text, item.owner, item.created_by) == (
        "action",
        "Clean the call list",
        rep,
        world.user(Role.MANAGER),
    )
    assert messages_of(response) == ["Recorded."]


def test_the_owner_of_an_action_is_notified_with_a_link_to_the_pack(world, clients, meeting):
    rep = world.user(Role.REP)

    clients["manager"].post(
        item_add_url(meeting), {"kind": "action", "text": "Call the top ten", "owner": rep.pk}
    )

    (note,) = Notification.objects.filter(kind="review.action")
    assert note.recipient == rep
    assert note.email_requested
    assert note.url == pack_url(world.team, "week", meeting.period_start)
    assert "East Sales" in note.title
    assert "Call the top ten" in note.body


def test_nobody_is_notified_of_a_decision_or_of_their_own_action(world, clients, meeting):
    manager = world.user(Role.MANAGER)
    clients["manager"].post(
        item_add_url(meeting), {"kind": "decision", "text": "Pause cold calls", "owner": manager.pk}
    )
    clients["manager"].post(
        item_add_url(meeting), {"kind": "action", "text": "I will do it", "owner": manager.pk}
    )

    assert ReviewItem.objects.count() == 2
    assert not Notification.objects.filter(kind="review.action").exists()


def test_adding_with_htmx_swaps_the_items(world, clients, meeting):
    response = clients["manager"].post(
        item_add_url(meeting), {"kind": "decision", "text": "Pause cold calls"}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="review-items"')
    assert "Pause cold calls" in html
    assert "<nav" not in html


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "action", "text": "   "}, "text"),
        ({"kind": "memo", "text": "Something"}, "kind"),
        ({"kind": "action", "text": "Late", "due_date": "2000-01-03"}, "due_date"),
        ({"kind": "action", "text": "Who?", "owner": "outsider"}, "owner"),
        ({"kind": "action", "text": "Which plan?", "plan": "foreign"}, "plan"),
    ],
    ids=["blank-text", "unknown-kind", "due-before-period", "foreign-owner", "foreign-plan"],
)
def test_bad_input_answers_422_and_saves_nothing(world, clients, meeting, data, field):
    data = dict(data)
    if data.get("owner") == "outsider":
        data["owner"] = world.outsider.user_id
    if data.get("plan") == "foreign":
        data["plan"] = ActionPlanFactory(org=world.other_org).pk

    response = clients["manager"].post(item_add_url(meeting), data, **HTMX)

    assert response.status_code == 422
    assert response.context["item_form"].errors[field]
    assert not ReviewItem.objects.exists()
    assert not Notification.objects.filter(kind="review.action").exists()


def test_bad_input_without_javascript_redirects_with_the_error(world, clients, meeting):
    response = clients["manager"].post(item_add_url(meeting), {"kind": "action", "text": ""})

    assert response.status_code == 302
    assert not ReviewItem.objects.exists()
    assert any("required" in message for message in messages_of(response))


def test_the_service_checks_owner_plan_and_due_date(world, meeting):
    leader = world.user(Role.LEADER)
    former = MembershipFactory(org=world.org, role=Role.REP, is_active=False).user
    foreign_plan = ActionPlanFactory(org=world.other_org)

    with pytest.raises(ValidationError) as error:
        reviews.review_item_add(
            actor=leader,
            org=world.org,
            meeting=meeting,
            kind="action",
            text="Follow up",
            owner=former,
            plan=foreign_plan,
            due_date=meeting.period_start - timedelta(days=1),
        )

    assert set(error.value.message_dict) == {"owner", "plan", "due_date"}
    assert not ReviewItem.objects.exists()


def test_a_plan_of_the_organisation_may_be_linked(world, clients, meeting, west):
    own = ActionPlanFactory(org=world.org, team=world.team, title="East plan")
    other = ActionPlanFactory(org=world.org, team=west, title="West plan")
    ActionPlanFactory(org=world.org, team=world.team, title="Done plan", status="completed")

    html = clients["manager"].get(pack_url(world.team)).content.decode()
    assert html.index("East plan") < html.index("West plan (West Sales)")
    assert "Done plan" not in html
    clients["manager"].post(
        item_add_url(meeting), {"kind": "decision", "text": "Link it", "plan": other.pk}
    )

    assert ReviewItem.objects.get().plan == other
    assert own.pk != other.pk


@pytest.fixture
def action(world, meeting):
    return reviews.review_item_add(
        actor=world.user(Role.LEADER),
        org=world.org,
        meeting=meeting,
        kind="action",
        text="Clean the call list",
        owner=world.user(Role.REP),
    )


def test_an_action_is_marked_done_and_opened_again(world, clients, action):
    response = clients["manager"].post(item_done_url(action))

    assert response.status_code == 302
    action.refresh_from_db()
    assert action.done_at is not None
    clients["manager"].post(item_done_url(action))
    action.refresh_from_db()
    assert action.done_at is None
    assert action.history.count() == 3


def test_marking_done_with_htmx_swaps_the_items(world, clients, action):
    response = clients["manager"].post(item_done_url(action), **HTMX)

    assert response.status_code == 200
    assert 'data-testid="item-done"' in response.content.decode()


def test_a_decision_is_not_marked_done(world, clients, meeting):
    decision = reviews.review_item_add(
        actor=world.user(Role.LEADER), org=world.org, meeting=meeting, kind="decision", text="Go"
    )

    response = clients["manager"].post(item_done_url(decision))

    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.done_at is None
    assert messages_of(response) == ["Only follow-up actions are marked done."]


def test_open_actions_of_earlier_meetings_are_followed_up(world, clients, action):
    earlier = action.meeting.period_start - timedelta(days=7)
    later_pack = pack_url(world.team, "week", action.meeting.period_start + timedelta(days=7))
    done = reviews.review_item_add(
        actor=world.user(Role.LEADER),
        org=world.org,
        meeting=action.meeting,
        kind="action",
        text="Already handled",
    )
    reviews.review_item_done(actor=world.user(Role.LEADER), org=world.org, item=done)

    response = clients["leader"].get(later_pack)

    assert [item.text for item in response.context["pack"].open_actions] == ["Clean the call list"]
    # An earlier week's pack does not list actions decided after it.
    response = clients["leader"].get(pack_url(world.team, "week", earlier))
    assert response.context["pack"].open_actions == []


@pytest.mark.parametrize("role", ["rep", "member"])
def test_only_those_who_record_reviews_may_write(world, clients, meeting, action, role):
    client = clients[role]
    monday = meeting.period_start

    assert (
        client.post(
            pack_url(world.team), {"period": "week", "start": monday, "notes": "x"}
        ).status_code
        == 403
    )
    assert client.post(item_add_url(meeting), {"kind": "decision", "text": "x"}).status_code == 403
    assert client.post(item_done_url(action)).status_code == 403
    meeting.refresh_from_db()
    action.refresh_from_db()
    assert meeting.notes == "" and action.done_at is None
    assert ReviewItem.objects.count() == 1


def test_a_rep_sees_the_record_but_no_forms(world, clients, meeting, action):
    html = clients["rep"].get(pack_url(world.team)).content.decode()

    assert "Clean the call list" in html
    assert 'data-testid="notes-form"' not in html
    assert 'data-testid="item-form"' not in html
    assert 'data-testid="item-toggle"' not in html


def test_a_manager_who_does_not_lead_the_team_may_not_write(world, meeting):
    manager = MembershipFactory(org=world.org, role=Role.MANAGER)
    TeamMembershipFactory(team=world.team, membership=manager, is_lead=False)
    client = client_for(manager.user)

    assert client.get(pack_url(world.team)).status_code == 200
    assert client.post(item_add_url(meeting), {"kind": "decision", "text": "x"}).status_code == 403


def test_another_organisations_meeting_and_item_are_not_found(world, clients, action):
    outsider = clients["outsider"]
    rival_add = reverse(
        "dashboards:review_item_add", kwargs={"org_slug": "rival", "pk": action.meeting.pk}
    )
    rival_done = reverse(
        "dashboards:review_item_done", kwargs={"org_slug": "rival", "pk": action.pk}
    )

    assert outsider.post(rival_add, {"kind": "decision", "text": "x"}).status_code == 404
    assert outsider.post(rival_done).status_code == 404
    assert ReviewItem.objects.count() == 1


# --- the list -----------------------------------------------------------------------------


def list_url() -> str:
    return reverse("dashboards:review_list", kwargs={"org_slug": "acme"})


def test_leaders_list_every_active_team_members_their_own(world, clients, west):
    archived = TeamFactory(org=world.org, name="Closed Team")
    archived.archived_at = archived.created_at
    archived.save(update_fields=["archived_at"])

    leader_teams = [t.name for t in clients["leader"].get(list_url()).context["teams"]]
    rep_teams = [t.name for t in clients["rep"].get(list_url()).context["teams"]]
    member_page = clients["member"].get(list_url())

    assert leader_teams == ["East Sales", "West Sales"]
    assert rep_teams == ["East Sales"]
    assert member_page.status_code == 200
    assert 'data-testid="no-review-teams"' in member_page.content.decode()


def test_the_list_links_to_this_weeks_and_this_months_pack(world, clients):
    today = today_of(world)
    html = clients["manager"].get(list_url()).content.decode()

    assert f"period=week&amp;start={week_start(today).isoformat()}" in html
    assert f"period=month&amp;start={month_start(today).isoformat()}" in html


def test_recorded_meetings_are_listed_with_their_counts(world, clients, action, west):
    reviews.review_item_add(
        actor=world.user(Role.LEADER),
        org=world.org,
        meeting=action.meeting,
        kind="decision",
        text="Pause cold calls",
    )
    reviews.review_meeting_save(
        actor=world.user(Role.LEADER),
        org=world.org,
        team=west,
        kind="month",
        start=today_of(world),
        notes="",
    )

    leader_rows = list(clients["leader"].get(list_url()).context["page"].object_list)
    rep_rows = list(clients["rep"].get(list_url()).context["page"].object_list)

    east = next(m for m in leader_rows if m.team_id == world.team.pk)
    assert (east.decision_count, east.action_count, east.open_action_count) == (1, 1, 1)
    assert len(leader_rows) == 2
    assert [m.team_id for m in rep_rows] == [world.team.pk]


# --- query counts -------------------------------------------------------------------------


def add_team_data(world, plan, meeting, index: int) -> None:
    make_alert(world, world.team, f"Rule {index}", subject_key=f"team:{world.team.pk}:{index}")
    off_track_goal(world, f"Goal {index}")
    late = overdue_milestone(world, plan, f"Late {index}")
    Blocker.objects.create(
        org=world.org,
        milestone=late,
        description=f"Blocker {index}",
        raised_by=world.user(Role.REP),
        routed_to=world.user(Role.MANAGER),
    )
    reviews.review_item_add(
        actor=world.user(Role.LEADER),
        org=world.org,
        meeting=meeting,
        kind="action",
        text=f"Action {index}",
        owner=world.user(Role.REP),
        plan=plan,
    )


def test_the_pack_query_count_does_not_grow_with_its_contents(world, clients, pack_data, meeting):
    add_team_data(world, pack_data, meeting, 0)
    client = clients["manager"]
    client.get(pack_url(world.team))  # warm per-session look-ups
    with CaptureQueriesContext(connection) as few:
        assert client.get(pack_url(world.team)).status_code == 200

    for index in range(1, 6):
        add_team_data(world, pack_data, meeting, index)
    with CaptureQueriesContext(connection) as many:
        assert client.get(pack_url(world.team)).status_code == 200

    assert len(many) == len(few)


def test_the_list_query_count_does_not_grow_with_meetings(world, clients, west):
    leader = world.user(Role.LEADER)
    client = clients["leader"]

    def add_meeting(team, weeks_back: int) -> None:
        meeting = reviews.review_meeting_save(
            actor=leader,
            org=world.org,
            team=team,
            kind="week",
            start=today_of(world) - timedelta(weeks=weeks_back),
            notes="",
        )
        reviews.review_item_add(
            actor=leader, org=world.org, meeting=meeting, kind="decision", text="x"
        )

    add_meeting(world.team, 0)
    client.get(list_url())
    with CaptureQueriesContext(connection) as few:
        client.get(list_url())
    for weeks_back in range(1, 8):
        add_meeting(world.team, weeks_back)
        add_meeting(west, weeks_back)
        TeamFactory(org=world.org)
    with CaptureQueriesContext(connection) as many:
        client.get(list_url())

    assert len(many) == len(few)
