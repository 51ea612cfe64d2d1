"""The Monday leadership digest: once per organisation and week, from 08:00 organisation time,
to the leaders in their own language, with alerts, goals, milestones and company KPIs."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from dashboards import digest
from dashboards.models import Alert, AlertRule, GoalSnapshot, KpiRollup, LeadershipDigest
from salesops.models import Notification, Role

from ..factories import (
    ActionPlanFactory,
    GoalFactory,
    KpiFactory,
    MembershipFactory,
    MilestoneFactory,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
MONDAY = date(2025, 3, 3)
LAST_WEEK = MONDAY - timedelta(days=7)
WEEK_BEFORE = MONDAY - timedelta(days=14)
MONDAY_9AM = datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI)


def digests(org=None) -> list[Notification]:
    found = Notification.objects.filter(kind="leadership_digest")
    if org is not None:
        found = found.filter(org=org)
    return list(found.order_by("pk"))


def make_alert(world, *, severity: str = "warning", name: str = "Conversion watch", **fields):
    rule = AlertRule.objects.create(
        org=world.org,
        name=name,
        subject="kpi",
        comparator="below",
        threshold=80,
        severity=severity,
    )
    values = {
        "org": world.org,
        "rule": rule,
        "subject_key": f"team:{world.team.pk}",
        "subject_label": world.team.name,
        "team": world.team,
        "period_kind": "week",
        "period_start": LAST_WEEK,
        "severity": severity,
        "comparator": "below",
        "threshold": 80,
        "value": 60,
    }
    values.update(fields)
    opened_at = values.pop("opened_at", None)
    alert = Alert.objects.create(**values)
    if opened_at is not None:
        Alert.objects.filter(pk=alert.pk).update(opened_at=opened_at)
    return alert


def behind_goal(world, title: str, *, status: str = "off_track", progress: float = 0.1):
    goal = GoalFactory(org=world.org, team=world.team, title=title, status="active")
    GoalSnapshot.objects.create(
        org=world.org,
        goal=goal,
        day=MONDAY - timedelta(days=1),
        progress=progress,
        expected=0.6,
        status=status,
    )
    return goal


# --- when and to whom -----------------------------------------------------------------------


def test_sent_once_per_organisation_and_week_to_its_leaders(world):
    sent = digest.leadership_digest_send(now=MONDAY_9AM)

    assert sent == 2  # both organisations are on Shanghai time
    mine = digests(world.org)
    assert [n.recipient_id for n in mine] == [world.user(Role.LEADER).pk]
    assert mine[0].email_requested
    assert mine[0].url == reverse("dashboards:leadership", kwargs={"org_slug": world.org.slug})
    claim = LeadershipDigest.objects.get(org=world.org)
    assert (claim.week_start, claim.recipients) == (MONDAY, 1)


def test_an_organisation_without_leaders_sends_it_to_its_admins(world):
    digest.leadership_digest_send(now=MONDAY_9AM)

    assert [n.recipient_id for n in digests(world.other_org)] == [world.outsider.user_id]


def test_inactive_leaders_get_nothing(world):
    MembershipFactory(org=world.org, role=Role.LEADER, is_active=False)

    digest.leadership_digest_send(now=MONDAY_9AM)

    assert LeadershipDigest.objects.get(org=world.org).recipients == 1


def test_a_rerun_the_same_week_sends_nothing_more(world):
    digest.leadership_digest_send(now=MONDAY_9AM)

    assert digest.leadership_digest_send(now=MONDAY_9AM + timedelta(hours=1)) == 0
    assert digest.leadership_digest_send(now=MONDAY_9AM + timedelta(hours=14)) == 0
    assert len(digests()) == 2


def test_a_second_worker_that_missed_the_claim_sends_nothing(world, monkeypatch):
    digest.leadership_digest_send(now=MONDAY_9AM)
    # The second worker looked before the first one's claim was committed.
    monkeypatch.setattr(digest, "_already_sent", lambda org, monday: False)

    assert digest.leadership_digest_send(now=MONDAY_9AM) == 0
    assert len(digests()) == 2
    assert LeadershipDigest.objects.count() == 2


def test_the_next_monday_sends_again(world):
    digest.leadership_digest_send(now=MONDAY_9AM)

    assert digest.leadership_digest_send(now=MONDAY_9AM + timedelta(days=7)) == 2
    assert len(digests(world.org)) == 2


@pytest.mark.parametrize(
    "now",
    [
        datetime(2025, 3, 3, 7, 59, tzinfo=SHANGHAI),  # Monday, before eight
        datetime(2025, 3, 2, 9, 0, tzinfo=SHANGHAI),  # Sunday
        datetime(2025, 3, 4, 9, 0, tzinfo=SHANGHAI),  # Tuesday
    ],
    ids=["monday-early", "sunday", "tuesday"],
)
def test_nothing_outside_monday_from_eight_organisation_time(world, now):
    assert digest.leadership_digest_send(now=now) == 0
    assert digests() == []
    assert not LeadershipDigest.objects.exists()


def test_each_organisation_gets_it_at_its_own_monday_eight(world):
    world.other_org.time_zone = "Europe/London"
    world.other_org.save(update_fields=["time_zone"])

    # 08:30 in Shanghai is 00:30 in London: only Acme is due.
    assert digest.leadership_digest_send(now=datetime(2025, 3, 3, 8, 30, tzinfo=SHANGHAI)) == 1
    assert digests(world.other_org) == []
    # 07:59 in London is not yet time there.
    assert digest.leadership_digest_send(now=datetime(2025, 3, 3, 7, 59, tzinfo=LONDON)) == 0
    # 08:30 in London: Rival's turn; Acme has had this week's already.
    assert digest.leadership_digest_send(now=datetime(2025, 3, 3, 8, 30, tzinfo=LONDON)) == 1
    assert len(digests(world.other_org)) == 1
    assert len(digests(world.org)) == 1


# --- what it says -------------------------------------------------------------------------


def test_the_digest_reports_alerts_goals_milestones_and_company_kpis(world):
    make_alert(world, severity="critical", name="Lead response too slow")
    make_alert(
        world,
        severity="warning",
        name="Old news",
        opened_at=datetime(2025, 1, 6, 9, 0, tzinfo=SHANGHAI),
    )
    make_alert(
        world,
        severity="info",
        name="Resolved and gone",
        state="resolved",
        opened_at=datetime(2025, 1, 6, 9, 0, tzinfo=SHANGHAI),
    )
    Alert.objects.filter(rule__name="Lead response too slow").update(
        opened_at=datetime(2025, 2, 25, 10, 0, tzinfo=SHANGHAI)
    )
    behind_goal(world, "Win the north", progress=0.05)
    behind_goal(world, "Grow renewals", status="at_risk", progress=0.45)
    behind_goal(world, "On course", status="on_track", progress=0.6)
    plan = ActionPlanFactory(org=world.org, team=world.team, status="active")
    MilestoneFactory(plan=plan, start_week=WEEK_BEFORE, due_week=WEEK_BEFORE)  # overdue
    MilestoneFactory(plan=plan, start_week=WEEK_BEFORE, due_week=WEEK_BEFORE, status="done")
    MilestoneFactory(plan=plan, start_week=MONDAY, due_week=MONDAY + timedelta(days=7))
    revenue = KpiFactory(org=world.org, name="Signed revenue")
    GoalFactory(org=world.org, kpi=revenue, level="company", team=None, status="active")
    for start, total in ((LAST_WEEK, 120), (WEEK_BEFORE, 100)):
        KpiRollup.objects.create(
            org=world.org,
            kpi=revenue,
            level="org",
            period_kind="week",
            period_start=start,
            total=total,
            count=3,
        )

    digest.leadership_digest_send(now=MONDAY_9AM)

    (note,) = digests(world.org)
    body = note.body
    assert "2025-03-03" in note.title
    assert "2025-02-24 to 2025-03-02" in body
    assert "Critical: 1" in body and "Warning: 1" in body
    assert "Information" not in body  # the resolved alert is not open
    assert "1 alert opened last week." in body
    assert "Lead response too slow" in body and "Old news" not in body
    assert "1 at risk, 1 off track." in body
    assert body.index("Win the north") < body.index("Grow renewals")
    assert "Win the north: 5% done, 60% expected (off track)" in body
    assert "On course" not in body
    assert "1 milestone is overdue." in body
    assert "Signed revenue: 120 (the week before 100; +20, +20.0%)" in body


def test_a_quiet_week_says_so(world):
    digest.leadership_digest_send(now=MONDAY_9AM)

    body = digests(world.org)[0].body
    assert "No open alerts." in body
    assert "0 alerts opened last week." in body
    assert "0 at risk, 0 off track." in body
    assert "No active company goals." in body


def test_each_recipient_gets_the_digest_worded_in_their_language(world, monkeypatch):
    chinese = MembershipFactory(org=world.org, role=Role.LEADER).user
    chinese.preferred_language = "zh-hans"
    chinese.save(update_fields=["preferred_language"])
    worded_in: dict[int, str] = {}
    original = digest.digest_body

    def recording(facts):
        text = original(facts)
        worded_in[len(worded_in)] = translation.get_language()
        return text

    monkeypatch.setattr(digest, "digest_body", recording)

    digest.leadership_digest_send(now=MONDAY_9AM)

    # Worded once per recipient, each time in that person's language.
    assert sorted(worded_in.values()) == ["en", "en", "zh-hans"]  # Acme ×2, Rival's admin
    assert len(digests(world.org)) == 2


def test_the_query_count_does_not_grow_with_goals_or_alerts(world):
    behind_goal(world, "One goal")
    make_alert(world)
    with CaptureQueriesContext(connection) as few:
        digest.leadership_digest_send(now=MONDAY_9AM)

    for index in range(8):
        behind_goal(world, f"Goal {index}")
        make_alert(world, name=f"Rule {index}", subject_key=f"goal:{index}")
    with CaptureQueriesContext(connection) as many:
        digest.leadership_digest_send(now=MONDAY_9AM + timedelta(days=7))

    assert len(many) == len(few)
