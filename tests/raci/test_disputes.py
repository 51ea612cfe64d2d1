"""The conflict protocol: raise, state each side, the arbitrator decides, overdue ones escalate once."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from raci import disputes, services
from raci.models import Dispute, DisputeStatus, RaciAssignment
from raci.workdays import add_working_days, working_days_between
from salesops.models import Notification, Role

from ..conftest import client_for
from ..factories import MembershipFactory, TeamFactory, TeamMembershipFactory

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (datetime(2026, 11, 23, 10), 3, datetime(2026, 11, 26, 10)),  # Monday → Thursday
        (datetime(2026, 11, 26, 10), 3, datetime(2026, 12, 1, 10)),  # Thursday → next Tuesday
        (datetime(2026, 11, 28, 10), 3, datetime(2026, 12, 3, 10)),  # Saturday counts from Monday
        (datetime(2026, 11, 27, 18), 1, datetime(2026, 11, 30, 18)),  # Friday → Monday
    ],
)
def test_service_level_counts_working_days(start, days, expected):
    assert add_working_days(start, days) == expected


def test_working_days_between_skips_weekends():
    assert working_days_between(datetime(2026, 11, 27), datetime(2026, 12, 1)) == 2


@pytest.fixture
def setup(world):
    marketing = TeamFactory(org=world.org, name="Marketing")
    marketer = MembershipFactory(org=world.org, role=Role.MEMBER)
    TeamMembershipFactory(team=marketing, membership=marketer)
    matrix = services.matrix_create(
        actor=world.user(Role.ADMIN), org=world.org, title="Lead hand-off"
    )
    activity = services.activity_add(
        actor=world.user(Role.ADMIN), matrix=matrix, name="Call new leads"
    )
    sales = services.participant_add(actor=world.user(Role.ADMIN), matrix=matrix, team=world.team)
    mkt = services.participant_add(actor=world.user(Role.ADMIN), matrix=matrix, team=marketing)
    services.cell_set(
        actor=world.user(Role.ADMIN), matrix=matrix, activity=activity, participant=mkt, letters="R"
    )
    dispute = disputes.dispute_raise(
        actor=world.user(Role.REP),
        org=world.org,
        subject="Who calls a new lead first?",
        party_a=world.team,
        party_b=marketing,
        activity=activity,
        statement="Sales should call: we own the relationship.",
        now=MONDAY_10,
    )
    return {
        "marketing": marketing,
        "marketer": marketer,
        "activity": activity,
        "sales": sales,
        "mkt": mkt,
        "dispute": dispute,
    }


def test_raising_a_dispute_names_the_admin_arbitrator_and_a_due_date(world, setup):
    dispute = setup["dispute"]
    assert dispute.arbitrator == world.user(Role.ADMIN)
    assert (
        dispute.due_at.date().isoformat() == "2026-11-26"
    )  # three working days, organisation time
    assert dispute.statements.get().team == world.team
    told = set(
        Notification.objects.filter(kind="dispute.raised").values_list("recipient_id", flat=True)
    )
    assert {
        world.user(Role.ADMIN).pk,
        setup["marketer"].user_id,
        world.user(Role.MANAGER).pk,
    } <= told


def test_the_other_side_states_its_case_but_outsiders_cannot(world, setup, clients):
    url = reverse("raci:dispute_statement", kwargs={"org_slug": "acme", "pk": setup["dispute"].pk})
    marketer = client_for(setup["marketer"].user)
    assert marketer.post(url, {"body": "Marketing qualified it; we call first."}).status_code == 302
    assert setup["dispute"].statements.filter(team=setup["marketing"]).exists()
    assert clients[Role.LEADER].post(url, {"body": "I have an opinion"}).status_code == 403
    assert setup["dispute"].statements.count() == 2


def test_only_the_arbitrator_decides_and_the_change_reaches_the_activity(world, setup, clients):
    dispute, activity = setup["dispute"], setup["activity"]
    url = reverse("raci:dispute_decide", kwargs={"org_slug": "acme", "pk": dispute.pk})
    data = {
        "decision": "Sales calls within 24 hours; marketing is informed.",
        f"letters_{setup['sales'].pk}": "A/R",
        f"letters_{setup['mkt'].pk}": "I",
    }
    assert clients[Role.MANAGER].post(url, data).status_code == 403
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN

    assert clients[Role.ADMIN].post(url, data).status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.DECIDED and "24 hours" in dispute.decision
    letters = dict(
        RaciAssignment.objects.filter(activity=activity).values_list("participant_id", "letters")
    )
    assert letters == {setup["sales"].pk: "A/R", setup["mkt"].pk: "I"}
    assert Notification.objects.filter(
        kind="dispute.decided", recipient=setup["marketer"].user
    ).exists()


def test_a_decision_needs_reasoning_and_changes_nothing_without_it(world, setup):
    with pytest.raises(disputes.ValidationError):
        disputes.dispute_decide(
            actor=world.user(Role.ADMIN), dispute=setup["dispute"], decision=" "
        )
    setup["dispute"].refresh_from_db()
    assert setup["dispute"].status == DisputeStatus.OPEN


def test_overdue_dispute_escalates_to_leadership_once(world, setup):
    later = MONDAY_10 + timedelta(days=5)
    assert disputes.dispute_escalate_overdue(now=MONDAY_10) == 0
    assert disputes.dispute_escalate_overdue(now=later) == 1
    assert disputes.dispute_escalate_overdue(now=later) == 0
    assert disputes.dispute_escalate_overdue(now=later + timedelta(days=1)) == 0
    escalations = Notification.objects.filter(kind="dispute.escalated")
    assert list(escalations.values_list("recipient_id", flat=True)) == [world.user(Role.LEADER).pk]


def test_decided_disputes_do_not_escalate(world, setup):
    disputes.dispute_decide(
        actor=world.user(Role.ADMIN), dispute=setup["dispute"], decision="Sales calls."
    )
    assert disputes.dispute_escalate_overdue(now=MONDAY_10 + timedelta(days=30)) == 0


def test_parties_and_leadership_see_a_dispute_others_do_not(world, setup, clients):
    url = reverse("raci:dispute_detail", kwargs={"org_slug": "acme", "pk": setup["dispute"].pk})
    for role in (Role.ADMIN, Role.LEADER, Role.MANAGER, Role.REP):
        assert clients[role].get(url).status_code == 200, role
    assert clients[Role.MEMBER].get(url).status_code == 404
    assert clients["outsider"].get(url).status_code == 404
    listing = clients[Role.MEMBER].get(reverse("raci:dispute_list", kwargs={"org_slug": "acme"}))
    assert "Who calls a new lead first?" not in listing.content.decode()


def test_raising_a_dispute_between_one_team_and_itself_is_refused(world, clients):
    response = clients[Role.REP].post(
        reverse("raci:dispute_create", kwargs={"org_slug": "acme"}),
        {"subject": "X", "party_a": world.team.pk, "party_b": world.team.pk, "statement": "Y"},
    )
    assert response.status_code == 400
    assert not Dispute.objects.exists()


def test_the_named_arbitrator_replaces_the_admin(world, setup):
    from raci.selectors import raci_policy

    policy = raci_policy(org=world.org)
    policy.arbitrator = world.members[Role.LEADER]
    policy.save()
    dispute = disputes.dispute_raise(
        actor=world.user(Role.REP),
        org=world.org,
        subject="Second",
        party_a=world.team,
        party_b=setup["marketing"],
        statement="Ours",
    )
    assert dispute.arbitrator == world.user(Role.LEADER)


def test_disputes_through_the_api(world, setup):
    from django.test import Client

    from salesops.services.accounts import api_token_create

    def api(role: str) -> Client:
        _token, secret = api_token_create(user=world.user(role), org=world.org, name="t")
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    dispute = setup["dispute"]
    listed = api(Role.LEADER).get("/api/v1/disputes/").json()["results"]
    assert [d["id"] for d in listed] == [dispute.pk]
    assert api(Role.MEMBER).get("/api/v1/disputes/").json()["results"] == []
    url = f"/api/v1/disputes/{dispute.pk}/decide/"
    body = {
        "decision": "Sales calls.",
        "changes": [{"participant": setup["sales"].pk, "letters": "A/R"}],
    }
    assert api(Role.MANAGER).post(url, body, content_type="application/json").status_code == 403
    response = api(Role.ADMIN).post(url, body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "decided"
    assert (
        RaciAssignment.objects.get(activity=setup["activity"], participant=setup["sales"]).letters
        == "A/R"
    )
    raised = api(Role.REP).post(
        "/api/v1/disputes/",
        {
            "subject": "Again",
            "party_a": world.team.pk,
            "party_b": setup["marketing"].pk,
            "statement": "Ours",
        },
        content_type="application/json",
    )
    assert raised.status_code == 201
    same = api(Role.REP).post(
        "/api/v1/disputes/",
        {"subject": "Bad", "party_a": world.team.pk, "party_b": world.team.pk, "statement": "x"},
        content_type="application/json",
    )
    assert same.status_code == 400
