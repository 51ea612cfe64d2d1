"""The promises of action plans, at the service and selector layer: the dependency rule, the
update history, blocker routing, blueprints, Plan B, budgets, the jobs that trigger, remind and
flag (each idempotent), "This week", query counts and who may do what.

Every job gets a fixed, time-zone-aware `now`; the organisation's time zone is Asia/Shanghai.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actionplans import selectors, services
from actionplans.blueprints import BLUEPRINTS, blueprint_get
from actionplans.models import (
    ActionPlan,
    Blocker,
    BlockerStatus,
    Milestone,
    MilestoneReminder,
    MilestoneStatus,
    MilestoneUpdate,
    PlanStatus,
    Resource,
    Risk,
    RiskStatus,
    RiskTriggerEvent,
)
from goals.models import Goal, Kpi
from salesops.models import Membership, Notification, Role, Team, User
from salesops.permissions import can

from ..factories import (
    ActionPlanFactory,
    GoalFactory,
    KpiFactory,
    MeasurementFactory,
    MembershipFactory,
    MilestoneFactory,
    RaciActivityFactory,
    RaciAssignmentFactory,
    RaciMatrixFactory,
    RaciParticipantFactory,
    RiskFactory,
    TeamFactory,
    TeamMembershipFactory,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")

LAST_MONDAY = date(2025, 3, 3)
MONDAY = date(2025, 3, 10)
TODAY = date(2025, 3, 12)  # a Wednesday
NOW = datetime(2025, 3, 12, 10, 0, tzinfo=SHANGHAI)
FRIDAY_2PM = datetime(2025, 3, 14, 14, 0, tzinfo=SHANGHAI)


def weeks(count: int) -> date:
    """The Monday `count` weeks from this week's."""
    return MONDAY + timedelta(weeks=count)


def recipients(kind: str) -> list[User]:
    return sorted(
        (n.recipient for n in Notification.objects.filter(kind=kind)), key=lambda user: user.pk
    )


def new_member(world, role: str = Role.REP, **user: object) -> Membership:
    return MembershipFactory(org=world.org, role=role, **{f"user__{k}": v for k, v in user.items()})


@pytest.fixture
def plan(world) -> ActionPlan:
    """A running plan owned by the manager (lead of East Sales), for East Sales."""
    return ActionPlanFactory(
        org=world.org,
        title="Premium push",
        owner=world.user(Role.MANAGER),
        team=world.team,
        start_date=date(2025, 2, 3),
        end_date=date(2025, 5, 25),
        status=PlanStatus.ACTIVE,
    )


def add(
    plan: ActionPlan,
    title: str,
    *,
    owner: User | None = None,
    start: date = MONDAY,
    due: date | None = None,
    depends_on: tuple[Milestone, ...] = (),
    **extra: object,
) -> Milestone:
    return services.milestone_create(
        actor=plan.owner,
        plan=plan,
        title=title,
        owner=owner or plan.owner,
        start_week=start,
        due_week=due or start,
        depends_on=depends_on,
        **extra,
    )


def update(
    milestone: Milestone,
    *,
    actor: User | None = None,
    progress: int = 50,
    status: str = MilestoneStatus.IN_PROGRESS,
    note: str = "",
    blocker: str = "",
    now: datetime = NOW,
) -> MilestoneUpdate:
    return services.milestone_record_update(
        actor=actor or milestone.owner,
        milestone=milestone,
        progress=progress,
        status=status,
        note=note,
        blocker=blocker,
        now=now,
    )


# --- the dependency rule ----------------------------------------------------------------------


def test_a_milestone_cannot_be_done_before_what_it_depends_on(world, plan):
    training = add(plan, "Product training", start=LAST_MONDAY)
    pricing = add(plan, "Pricing sheet", start=LAST_MONDAY)
    pilot = add(plan, "Pilot", depends_on=(training, pricing))
    update(training, progress=100, status=MilestoneStatus.DONE)

    with pytest.raises(ValidationError) as error:
        update(pilot, progress=100, status=MilestoneStatus.DONE, note="All done")

    message = " ".join(error.value.message_dict["status"])
    assert "Pricing sheet" in message
    assert "Product training" not in message  # done already: not waited on
    pilot.refresh_from_db()
    assert (pilot.status, pilot.progress, pilot.completed_at) == (
        MilestoneStatus.NOT_STARTED,
        0,
        None,
    )
    assert not MilestoneUpdate.objects.filter(milestone=pilot).exists()


def test_every_unfinished_dependency_is_named(world, plan):
    first = add(plan, "Analyse churn", start=LAST_MONDAY)
    second = add(plan, "Write the emails", start=LAST_MONDAY)
    last = add(plan, "Send the emails", depends_on=(first, second))
    update(second, progress=60)  # started, not done

    with pytest.raises(ValidationError) as error:
        update(last, status=MilestoneStatus.DONE)

    message = " ".join(error.value.message_dict["status"])
    assert "Analyse churn" in message
    assert "Write the emails" in message
    assert MilestoneUpdate.objects.count() == 1


def test_once_its_dependencies_are_done_it_can_be_done_and_done_means_100(world, plan):
    training = add(plan, "Product training", start=LAST_MONDAY)
    pilot = add(plan, "Pilot", depends_on=(training,))

    update(training, progress=40, status=MilestoneStatus.DONE)
    recorded = update(pilot, progress=10, status=MilestoneStatus.DONE)

    for milestone in (training, pilot):
        milestone.refresh_from_db()
        assert milestone.status == MilestoneStatus.DONE
        assert milestone.progress == 100
        assert milestone.completed_at == NOW
    assert (recorded.progress_after, recorded.status_after) == (100, MilestoneStatus.DONE)


def test_dependencies_other_than_done_do_not_block_progress(world, plan):
    training = add(plan, "Product training", start=LAST_MONDAY)
    pilot = add(plan, "Pilot", depends_on=(training,))

    update(pilot, progress=30, status=MilestoneStatus.IN_PROGRESS)

    pilot.refresh_from_db()
    assert (pilot.status, pilot.progress) == (MilestoneStatus.IN_PROGRESS, 30)


def test_milestone_edit_accepts_earlier_milestones_of_the_same_plan(world, plan):
    first = add(plan, "First")
    second = add(plan, "Second")
    third = add(plan, "Third")

    services.milestone_edit(actor=plan.owner, milestone=third, depends_on=[first, second])

    assert set(third.depends_on.all()) == {first, second}


@pytest.mark.parametrize("which", ["later", "own", "other plan"])
def test_milestone_edit_refuses_dependencies_that_do_not_come_before(world, plan, which):
    first = add(plan, "First")
    second = add(plan, "Second", depends_on=(first,))
    other_plan = ActionPlanFactory(
        org=world.org,
        owner=plan.owner,
        start_date=date(2025, 2, 3),
        end_date=date(2025, 5, 25),
    )
    elsewhere = add(other_plan, "Elsewhere", start=LAST_MONDAY)
    target, dependency = {
        "later": (first, second),
        "own": (second, second),
        "other plan": (second, elsewhere),
    }[which]

    with pytest.raises(ValidationError) as error:
        services.milestone_edit(actor=plan.owner, milestone=target, depends_on=[dependency])

    assert "depends_on" in error.value.message_dict
    assert list(first.depends_on.all()) == []
    assert list(second.depends_on.all()) == [first]


def test_milestone_create_refuses_a_dependency_on_another_plan(world, plan):
    other_plan = ActionPlanFactory(
        org=world.org, owner=plan.owner, start_date=date(2025, 2, 3), end_date=date(2025, 5, 25)
    )
    elsewhere = add(other_plan, "Elsewhere")

    with pytest.raises(ValidationError) as error:
        add(plan, "Here", depends_on=(elsewhere,))

    assert "depends_on" in error.value.message_dict
    assert not plan.milestones.exists()


# --- the update history -----------------------------------------------------------------------


def test_each_update_is_kept_with_author_week_and_before_and_after(world, plan):
    rep = world.user(Role.REP)
    milestone = add(plan, "Pilot", owner=rep)

    first = update(milestone, progress=40, note="  Two pilot accounts signed.  ")
    second = update(
        milestone,
        actor=world.user(Role.MANAGER),
        progress=70,
        note="Third account agreed.",
        now=NOW + timedelta(days=7),
    )

    assert (
        first.author,
        first.week_start,
        first.progress_before,
        first.progress_after,
        first.status_before,
        first.status_after,
        first.note,
    ) == (
        rep,
        MONDAY,
        0,
        40,
        MilestoneStatus.NOT_STARTED,
        MilestoneStatus.IN_PROGRESS,
        "Two pilot accounts signed.",
    )
    assert (
        second.author,
        second.week_start,
        second.progress_before,
        second.progress_after,
        second.status_before,
        second.status_after,
    ) == (
        world.user(Role.MANAGER),
        weeks(1),
        40,
        70,
        MilestoneStatus.IN_PROGRESS,
        MilestoneStatus.IN_PROGRESS,
    )
    assert list(selectors.milestone_updates(milestone=milestone)) == [second, first]


def test_an_update_without_changes_is_still_kept(world, plan):
    milestone = add(plan, "Pilot")
    update(milestone, progress=40)

    again = update(milestone, progress=40, note="No movement this week.")

    assert (again.progress_before, again.progress_after) == (40, 40)
    assert MilestoneUpdate.objects.filter(milestone=milestone).count() == 2


def test_the_update_week_is_the_organisations_week(world, plan):
    milestone = add(plan, "Pilot")
    sunday_evening_utc = datetime(2025, 3, 9, 20, 0, tzinfo=UTC)  # Monday 04:00 in Shanghai

    assert update(milestone, now=sunday_evening_utc).week_start == MONDAY


def test_updates_are_recorded_in_the_milestone_history(world, plan):
    milestone = add(plan, "Pilot")
    before = milestone.history.count()

    update(milestone, progress=40, note="Two pilot accounts signed.")

    assert milestone.history.count() == before + 1
    latest = milestone.history.order_by("-history_date", "-history_id").first()
    assert (latest.progress, latest.status) == (40, MilestoneStatus.IN_PROGRESS)
    assert latest.history_change_reason == "Two pilot accounts signed."


@pytest.mark.parametrize("progress", [-1, 101])
def test_progress_outside_0_to_100_is_refused(world, plan, progress):
    milestone = add(plan, "Pilot")

    with pytest.raises(ValidationError) as error:
        update(milestone, progress=progress)

    assert "progress" in error.value.message_dict
    assert not MilestoneUpdate.objects.exists()


def test_a_closed_plan_takes_no_updates(world, plan):
    milestone = add(plan, "Pilot")
    ActionPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.COMPLETED)

    with pytest.raises(ValidationError):
        update(milestone)

    assert not MilestoneUpdate.objects.exists()


# --- blockers ---------------------------------------------------------------------------------


def activity_with_accountable(world, accountable, *, letters: str = "A"):
    """A RACI activity whose R (earlier in the matrix) must not get blockers; `accountable` is a
    membership (a person column) or a team (a team column)."""
    matrix = RaciMatrixFactory(org=world.org, status="published")
    activity = RaciActivityFactory(matrix=matrix, name="Run the pilot")
    RaciAssignmentFactory(
        activity=activity,
        participant=RaciParticipantFactory(
            matrix=matrix, membership=world.members[Role.MEMBER], position=0
        ),
        letters="R",
    )
    if isinstance(accountable, Team):
        participant = RaciParticipantFactory(
            matrix=matrix, kind="team", membership=None, team=accountable, position=1
        )
    else:
        participant = RaciParticipantFactory(matrix=matrix, membership=accountable, position=1)
    RaciAssignmentFactory(activity=activity, participant=participant, letters=letters)
    return activity


def test_a_blocker_blocks_the_milestone_and_goes_to_the_plan_owner(world, plan):
    rep = world.user(Role.REP)
    milestone = add(plan, "Pilot", owner=rep)

    recorded = update(milestone, progress=30, blocker="  Finance has not approved the prices. ")

    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.BLOCKED
    assert milestone.progress == 30
    blocker = Blocker.objects.get()
    assert (
        blocker.org,
        blocker.milestone,
        blocker.team,
        blocker.raised_by,
        blocker.routed_to,
        blocker.status,
        blocker.description,
    ) == (
        world.org,
        milestone,
        world.team,
        rep,
        world.user(Role.MANAGER),
        BlockerStatus.OPEN,
        "Finance has not approved the prices.",
    )
    assert recorded.blocker == blocker
    assert recorded.status_after == MilestoneStatus.BLOCKED
    assert recipients("actionplans.blocker") == [world.user(Role.MANAGER)]


def test_whoever_the_blocker_is_routed_to_is_not_told_of_their_own_blocker(world, plan):
    milestone = add(plan, "Pilot")  # owned by the plan owner

    update(milestone, blocker="Waiting on myself")

    assert Blocker.objects.get().routed_to == plan.owner
    assert not Notification.objects.filter(kind="actionplans.blocker").exists()


@pytest.mark.parametrize("letters", ["A", "A/R"])
def test_a_blocker_goes_to_the_accountable_person_of_the_raci_activity(world, plan, letters):
    leader = world.members[Role.LEADER]
    activity = activity_with_accountable(world, leader, letters=letters)
    milestone = add(plan, "Pilot", owner=world.user(Role.REP), raci_activity=activity)

    update(milestone, blocker="Pilot accounts not chosen")

    assert Blocker.objects.get().routed_to == leader.user
    assert recipients("actionplans.blocker") == [leader.user]


def test_a_blocker_goes_to_the_lead_of_an_accountable_team(world, plan):
    accounts = TeamFactory(org=world.org, name="Key Accounts")
    TeamMembershipFactory(team=accounts, membership=new_member(world, Role.REP))
    lead = new_member(world, Role.MANAGER, display_name="Kim Lead")
    TeamMembershipFactory(team=accounts, membership=lead, is_lead=True)
    activity = activity_with_accountable(world, accounts)
    milestone = add(plan, "Pilot", owner=world.user(Role.REP), raci_activity=activity)

    update(milestone, blocker="Key accounts unreachable")

    assert Blocker.objects.get().routed_to == lead.user
    assert recipients("actionplans.blocker") == [lead.user]


def test_without_an_accountable_person_the_plan_owner_gets_it(world, plan):
    matrix = RaciMatrixFactory(org=world.org)
    activity = RaciActivityFactory(matrix=matrix)
    RaciAssignmentFactory(
        activity=activity,
        participant=RaciParticipantFactory(matrix=matrix, membership=world.members[Role.LEADER]),
        letters="R",
    )
    milestone = add(plan, "Pilot", owner=world.user(Role.REP), raci_activity=activity)

    update(milestone, blocker="Stuck")

    assert Blocker.objects.get().routed_to == plan.owner


def test_an_inactive_accountable_person_is_passed_over_for_the_plan_owner(world, plan):
    gone = new_member(world, Role.LEADER)
    activity = activity_with_accountable(world, gone)
    Membership.objects.filter(pk=gone.pk).update(is_active=False)
    milestone = add(plan, "Pilot", owner=world.user(Role.REP), raci_activity=activity)

    update(milestone, blocker="Stuck")

    assert Blocker.objects.get().routed_to == plan.owner


def test_blocked_without_saying_what_blocks_it_is_refused(world, plan):
    milestone = add(plan, "Pilot")

    with pytest.raises(ValidationError) as error:
        update(milestone, status=MilestoneStatus.BLOCKED, blocker="   ")

    assert "blocker" in error.value.message_dict
    assert not Blocker.objects.exists()
    assert not MilestoneUpdate.objects.exists()


def test_resolving_the_blocker_returns_the_milestone_to_work_and_tells_the_raiser(world, plan):
    rep = world.user(Role.REP)
    manager = world.user(Role.MANAGER)
    milestone = add(plan, "Pilot", owner=rep)
    update(milestone, blocker="Prices not approved")
    blocker = Blocker.objects.get()

    resolved = services.blocker_resolve(
        actor=manager, blocker=blocker, resolution="  Approved by finance today. "
    )

    assert (resolved.status, resolved.resolution, resolved.resolved_by) == (
        BlockerStatus.RESOLVED,
        "Approved by finance today.",
        manager,
    )
    assert resolved.resolved_at is not None
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.IN_PROGRESS
    assert recipients("actionplans.blocker_resolved") == [rep]


def test_the_milestone_stays_blocked_while_another_blocker_is_open(world, plan):
    milestone = add(plan, "Pilot", owner=world.user(Role.REP))
    update(milestone, blocker="Prices not approved")
    update(milestone, blocker="No pilot accounts")
    first, second = Blocker.objects.order_by("pk")

    services.blocker_resolve(actor=plan.owner, blocker=first, resolution="Approved")
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.BLOCKED

    services.blocker_resolve(actor=plan.owner, blocker=second, resolution="Three chosen")
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.IN_PROGRESS


def test_a_blocked_milestone_with_an_open_blocker_may_be_updated_as_blocked(world, plan):
    milestone = add(plan, "Pilot")
    update(milestone, blocker="Prices not approved")

    again = update(milestone, progress=55, status=MilestoneStatus.BLOCKED, note="Still waiting")

    assert again.status_after == MilestoneStatus.BLOCKED
    assert Blocker.objects.count() == 1


def test_resolving_twice_is_refused(world, plan):
    milestone = add(plan, "Pilot", owner=world.user(Role.REP))
    update(milestone, blocker="Prices not approved")
    blocker = Blocker.objects.get()
    services.blocker_resolve(actor=plan.owner, blocker=blocker, resolution="Approved")

    with pytest.raises(ValidationError):
        services.blocker_resolve(actor=plan.owner, blocker=blocker, resolution="Again")

    blocker.refresh_from_db()
    assert blocker.resolution == "Approved"
    assert len(recipients("actionplans.blocker_resolved")) == 1


@pytest.mark.parametrize("resolution", ["", "   "])
def test_an_empty_resolution_is_refused(world, plan, resolution):
    milestone = add(plan, "Pilot", owner=world.user(Role.REP))
    update(milestone, blocker="Prices not approved")
    blocker = Blocker.objects.get()

    with pytest.raises(ValidationError) as error:
        services.blocker_resolve(actor=plan.owner, blocker=blocker, resolution=resolution)

    assert "resolution" in error.value.message_dict
    blocker.refresh_from_db()
    assert (blocker.status, blocker.resolved_by, blocker.resolved_at) == (
        BlockerStatus.OPEN,
        None,
        None,
    )
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.BLOCKED
    assert not recipients("actionplans.blocker_resolved")


# --- plans from blueprints ---------------------------------------------------------------------


def from_blueprint(world, key: str, **extra: object) -> ActionPlan:
    values = {
        "actor": world.user(Role.ADMIN),
        "org": world.org,
        "key": key,
        "owner": world.user(Role.MANAGER),
        "start_date": date(2025, 3, 5),  # a Wednesday: week 1 is the week of 3 March
        "team": world.team,
        "status": PlanStatus.ACTIVE,
        **extra,
    }
    return services.plan_create_from_blueprint(**values)


def test_the_premium_mix_blueprint(world):
    plan = from_blueprint(world, "premium_mix")

    assert plan.blueprint == "premium_mix"
    assert plan.title == "Premium products to 30% of sales"
    assert (plan.start_date, plan.end_date) == (date(2025, 3, 5), date(2025, 4, 6))
    main = list(plan.milestones.filter(contingency_for=None).order_by("position"))
    assert [(m.title, m.start_week, m.due_week) for m in main] == [
        ("Product training on the premium range", date(2025, 3, 3), date(2025, 3, 3)),
        ("Pilot with selected customers", date(2025, 3, 10), date(2025, 3, 24)),
        ("Full rollout", date(2025, 3, 31), date(2025, 3, 31)),
    ]
    training, pilot, rollout = main
    assert list(training.depends_on.all()) == []
    assert list(pilot.depends_on.all()) == [training]
    assert list(rollout.depends_on.all()) == [pilot]
    assert all(not m.is_dormant and m.owner == plan.owner for m in main)
    assert list(plan.resources.values_list("kind", "planned")) == [
        ("training", Decimal(8000)),
        ("budget", Decimal(20000)),
    ]
    risk = plan.risks.get()
    assert (risk.likelihood, risk.impact, risk.status, risk.owner) == (
        3,
        4,
        RiskStatus.WATCHING,
        plan.owner,
    )
    assert risk.contingency.startswith("Offer a premium bundle")
    plan_b = list(risk.contingency_milestones.order_by("position"))
    assert [(m.title, m.start_week, m.due_week, m.is_dormant) for m in plan_b] == [
        ("Prepare an introductory premium bundle", date(2025, 3, 3), date(2025, 3, 3), True),
        ("Offer the bundle to pilot accounts", date(2025, 3, 10), date(2025, 3, 17), True),
    ]
    assert list(plan_b[1].depends_on.all()) == [plan_b[0]]


@pytest.mark.parametrize("key", [blueprint.key for blueprint in BLUEPRINTS])
def test_every_blueprint_creates_its_milestones_resources_and_risks(world, key):
    blueprint = blueprint_get(key)
    first = date(2025, 3, 3)

    plan = from_blueprint(world, key, title="  Our own title ")

    assert plan.title == "Our own title"
    assert plan.end_date == first + timedelta(weeks=blueprint.weeks, days=-1)
    main = list(plan.milestones.filter(contingency_for=None).order_by("position"))
    assert [(m.title, m.start_week, m.due_week, m.is_dormant) for m in main] == [
        (
            str(step.title),
            first + timedelta(weeks=step.first_week - 1),
            first + timedelta(weeks=step.last_week - 1),
            False,
        )
        for step in blueprint.steps
    ]
    assert [[d.title for d in m.depends_on.all()] for m in main] == [
        [str(blueprint.steps[index].title) for index in step.depends_on] for step in blueprint.steps
    ]
    assert [(r.kind, r.description, r.planned, r.actual) for r in plan.resources.all()] == [
        (r.kind, str(r.description), r.planned, Decimal(0)) for r in blueprint.resources
    ]
    risks = list(plan.risks.order_by("pk"))
    assert len(risks) == len(blueprint.risks)
    for risk, spec in zip(risks, blueprint.risks, strict=True):
        assert (risk.description, risk.contingency, risk.trigger_kind) == (
            str(spec.description),
            str(spec.contingency),
            "manual",
        )
        dormant = list(risk.contingency_milestones.order_by("position"))
        assert [m.title for m in dormant] == [str(step.title) for step in spec.plan_b]
        assert all(m.is_dormant for m in dormant)
    assert plan.milestones.count() == len(blueprint.steps) + sum(
        len(spec.plan_b) for spec in blueprint.risks
    )


def test_an_unknown_blueprint_is_refused(world):
    with pytest.raises(ValidationError) as error:
        from_blueprint(world, "world_domination")

    assert "blueprint" in error.value.message_dict
    assert not ActionPlan.objects.exists()
    assert not Milestone.objects.exists()


# --- Plan B -----------------------------------------------------------------------------------


@pytest.fixture
def premium(world) -> ActionPlan:
    return from_blueprint(world, "premium_mix")


def test_dormant_plan_b_milestones_take_no_updates_and_stay_off_this_week(world, premium):
    dormant = Milestone.objects.filter(plan=premium, is_dormant=True)
    offer = dormant.get(title__startswith="Offer the bundle")  # due in the week of TODAY

    with pytest.raises(ValidationError):
        update(offer)

    assert not MilestoneUpdate.objects.exists()
    listed = set(selectors.this_week_milestones(org=world.org, today=TODAY))
    assert listed
    assert listed.isdisjoint(dormant)
    membership = world.members[Role.MANAGER]
    assert not {m.pk for m in selectors.this_week_for(membership=membership, today=TODAY)} & {
        m.pk for m in dormant
    }


def test_activating_plan_b_brings_its_milestones_to_life_from_this_week(world, premium):
    risk = premium.risks.get()
    sunday_evening_utc = datetime(2025, 4, 13, 17, 0, tzinfo=UTC)  # Monday 14 April in Shanghai

    services.risk_activate_plan_b(actor=world.user(Role.ADMIN), risk=risk, now=sunday_evening_utc)

    risk.refresh_from_db()
    assert risk.status == RiskStatus.PLAN_B_ACTIVE
    assert risk.plan_b_activated_by == world.user(Role.ADMIN)
    assert risk.plan_b_activated_at == sunday_evening_utc
    plan_b = list(risk.contingency_milestones.order_by("position"))
    assert [(m.start_week, m.due_week, m.is_dormant) for m in plan_b] == [
        (date(2025, 4, 14), date(2025, 4, 14), False),
        (date(2025, 4, 21), date(2025, 4, 28), False),  # one week after, as before
    ]
    main = premium.milestones.filter(contingency_for=None).order_by("position")
    assert [m.start_week for m in main] == [date(2025, 3, 3), date(2025, 3, 10), date(2025, 3, 31)]
    assert recipients("actionplans.plan_b") == [world.user(Role.MANAGER)]
    listed = selectors.this_week_milestones(org=world.org, today=date(2025, 4, 16))
    assert plan_b[0] in listed
    assert plan_b[1] not in listed  # starts next week
    recorded = update(plan_b[0], progress=20, now=datetime(2025, 4, 16, 9, 0, tzinfo=SHANGHAI))
    assert recorded.week_start == date(2025, 4, 14)


def test_plan_b_is_activated_only_once(world, premium):
    risk = premium.risks.get()
    first_now = datetime(2025, 4, 16, 9, 0, tzinfo=SHANGHAI)
    services.risk_activate_plan_b(actor=premium.owner, risk=risk, now=first_now)
    before = list(risk.contingency_milestones.values_list("start_week", "due_week"))

    with pytest.raises(ValidationError):
        services.risk_activate_plan_b(
            actor=premium.owner, risk=risk, now=first_now + timedelta(weeks=3)
        )

    assert list(risk.contingency_milestones.values_list("start_week", "due_week")) == before
    risk.refresh_from_db()
    assert risk.plan_b_activated_at == first_now
    assert not recipients("actionplans.plan_b")  # the owner activated their own Plan B


def test_a_triggered_risk_can_have_its_plan_b_activated(world, premium):
    risk = services.risk_trigger(actor=premium.owner, risk=premium.risks.get(), reason="No uptake")

    services.risk_activate_plan_b(actor=premium.owner, risk=risk, now=NOW)

    risk.refresh_from_db()
    assert risk.status == RiskStatus.PLAN_B_ACTIVE
    assert not risk.contingency_milestones.filter(is_dormant=True).exists()


# --- budget -----------------------------------------------------------------------------------


def save_resource(plan: ActionPlan, kind: str, planned: str, actual: str, **extra) -> Resource:
    return services.resource_save(
        actor=plan.owner,
        plan=plan,
        kind=kind,
        description=extra.pop("description", f"{kind} line"),
        planned=Decimal(planned),
        actual=Decimal(actual),
        **extra,
    )


def test_budget_totals_per_kind_and_in_total(world, plan):
    save_resource(plan, "budget", "1000", "1200.50")
    save_resource(plan, "budget", "500", "0")
    save_resource(plan, "training", "2000", "500")
    other = ActionPlanFactory(
        org=world.org, owner=plan.owner, start_date=date(2025, 1, 6), end_date=date(2025, 6, 29)
    )
    save_resource(other, "budget", "99999", "99999")

    totals = selectors.budget_totals(plan=plan)

    assert totals.planned == Decimal("3500")
    assert totals.actual == Decimal("1700.50")
    assert totals.remaining == Decimal("1799.50")
    assert totals.over is False
    assert totals.used_percent == 49  # 48.6 %
    assert [(row["kind"], row["planned"], row["actual"]) for row in totals.by_kind] == [
        ("budget", Decimal("1500"), Decimal("1200.50")),
        ("training", Decimal("2000"), Decimal("500")),
    ]


def test_budget_totals_when_spending_runs_over(world, plan):
    save_resource(plan, "tools", "100", "150")

    totals = selectors.budget_totals(plan=plan)

    assert (totals.remaining, totals.over, totals.used_percent) == (Decimal(-50), True, 150)


def test_budget_totals_of_a_plan_without_resources(world, plan):
    totals = selectors.budget_totals(plan=plan)

    assert (totals.planned, totals.actual, totals.remaining, totals.over) == (0, 0, 0, False)
    assert totals.used_percent is None
    assert totals.by_kind == []


def test_budget_used_percent_without_a_plan_is_none(world, plan):
    save_resource(plan, "people", "0", "300")

    totals = selectors.budget_totals(plan=plan)

    assert (totals.over, totals.used_percent) == (True, None)


@pytest.mark.parametrize(("planned", "actual"), [("-1", "0"), ("0", "-0.01")])
def test_resource_save_refuses_negative_costs(world, plan, planned, actual):
    with pytest.raises(ValidationError):
        save_resource(plan, "budget", planned, actual)

    assert not Resource.objects.exists()


def test_resource_save_refuses_an_empty_description(world, plan):
    with pytest.raises(ValidationError) as error:
        save_resource(plan, "budget", "10", "0", description="   ")

    assert "description" in error.value.message_dict
    assert not Resource.objects.exists()


def test_resource_save_updates_a_line_of_its_own_plan_only(world, plan):
    line = save_resource(plan, "budget", "10", "0")
    other = ActionPlanFactory(
        org=world.org, owner=plan.owner, start_date=date(2025, 1, 6), end_date=date(2025, 6, 29)
    )

    save_resource(plan, "budget", "10", "8", resource=line)
    with pytest.raises(ValidationError):
        save_resource(other, "budget", "10", "9", resource=line)

    line.refresh_from_db()
    assert (line.plan, line.actual) == (plan, Decimal(8))


# --- risk triggers ----------------------------------------------------------------------------


@pytest.fixture
def revenue(world) -> Goal:
    """A quarterly revenue goal of 120,000 for East Sales: 40,000 a month."""
    kpi = KpiFactory(org=world.org, name="Revenue", unit="currency", aggregation="sum")
    return GoalFactory(
        org=world.org,
        kpi=kpi,
        team=world.team,
        owner=world.user(Role.MANAGER),
        baseline=Decimal(90000),
        target=Decimal(120000),
        start_date=date(2025, 1, 1),
        due_date=date(2025, 3, 31),
        status="active",
    )


def kpi_risk(plan: ActionPlan, kpi: Kpi, **values: object) -> Risk:
    fields = {
        "description": "Revenue falls while the pilot runs",
        "likelihood": 3,
        "impact": 4,
        "owner": plan.owner,
        "contingency": "Offer the introductory bundle.",
        "trigger_kind": "kpi",
        "trigger_kpi": kpi,
        "comparator": "below",
        "trigger_period": "month",
        **values,
    }
    return services.risk_save(actor=plan.owner, plan=plan, **fields)


def measure(world, kpi: Kpi, start: date, value: str, *, team=None, kind: str = "month", **extra):
    return MeasurementFactory(
        org=world.org,
        kpi=kpi,
        team=world.team if team is None else team,
        period_kind=kind,
        period_start=start,
        value=Decimal(value),
        **extra,
    )


@pytest.fixture
def revenue_risk(world, plan, revenue) -> Risk:
    """Fires when last month's East Sales revenue is below 80% of the monthly share (32,000)."""
    return kpi_risk(
        plan,
        revenue.kpi,
        owner=world.user(Role.REP),
        trigger_team=world.team,
        trigger_goal=revenue,
        threshold=Decimal(80),
        threshold_basis="target_pct",
    )


def test_a_kpi_trigger_fires_once_for_last_month(world, plan, revenue, revenue_risk):
    kpi = revenue.kpi
    measure(world, kpi, date(2025, 2, 1), "20000")
    measure(world, kpi, date(2025, 2, 1), "10000", owner=world.user(Role.REP))
    measure(world, kpi, date(2025, 1, 1), "1000")  # the month before: not counted
    measure(world, kpi, date(2025, 3, 1), "500")  # this month: not over yet
    other_team = TeamFactory(org=world.org, name="West Sales")
    measure(world, kpi, date(2025, 2, 1), "90000", team=other_team)  # not the watched team

    assert services.risk_triggers_evaluate(now=NOW) == 1

    revenue_risk.refresh_from_db()
    assert revenue_risk.status == RiskStatus.TRIGGERED
    assert revenue_risk.triggered_at == NOW
    assert "Revenue" in revenue_risk.trigger_reason
    event = RiskTriggerEvent.objects.get()
    assert (event.risk, event.period_start, event.value, event.limit) == (
        revenue_risk,
        date(2025, 2, 1),
        Decimal("30000"),
        Decimal("32000"),
    )
    assert recipients("actionplans.risk_triggered") == sorted(
        [world.user(Role.REP), world.user(Role.MANAGER)], key=lambda user: user.pk
    )


def test_rerunning_the_trigger_job_changes_nothing(world, plan, revenue, revenue_risk):
    measure(world, revenue.kpi, date(2025, 2, 1), "30000")
    services.risk_triggers_evaluate(now=NOW)

    assert services.risk_triggers_evaluate(now=NOW) == 0
    assert services.risk_triggers_evaluate(now=NOW + timedelta(hours=1)) == 0

    assert RiskTriggerEvent.objects.count() == 1
    assert len(recipients("actionplans.risk_triggered")) == 2
    assert Notification.objects.filter(kind="actionplans.risk_triggered").count() == 2


def test_a_trigger_fires_at_most_once_per_period_even_when_watched_again(
    world, plan, revenue, revenue_risk
):
    measure(world, revenue.kpi, date(2025, 2, 1), "30000")
    measure(world, revenue.kpi, date(2025, 3, 1), "31000")
    services.risk_triggers_evaluate(now=NOW)
    Risk.objects.filter(pk=revenue_risk.pk).update(status=RiskStatus.WATCHING)

    assert services.risk_triggers_evaluate(now=NOW) == 0  # February has fired already
    assert Notification.objects.filter(kind="actionplans.risk_triggered").count() == 2

    april = datetime(2025, 4, 2, 9, 0, tzinfo=SHANGHAI)
    assert services.risk_triggers_evaluate(now=april) == 1  # March is a new period
    assert list(RiskTriggerEvent.objects.values_list("period_start", flat=True)) == [
        date(2025, 3, 1),
        date(2025, 2, 1),
    ]


def test_the_month_follows_the_organisations_time_zone(world, plan, revenue, revenue_risk):
    measure(world, revenue.kpi, date(2025, 2, 1), "30000")
    end_of_february_utc = datetime(2025, 2, 28, 17, 0, tzinfo=UTC)  # 1 March 01:00 in Shanghai

    assert services.risk_triggers_evaluate(now=end_of_february_utc) == 1
    assert RiskTriggerEvent.objects.get().period_start == date(2025, 2, 1)


@pytest.mark.parametrize(
    "rows",
    [
        [],  # no data at all
        [(date(2025, 1, 1), "100"), (date(2025, 3, 1), "100")],  # none for February
    ],
)
def test_missing_data_does_not_fire(world, plan, revenue, revenue_risk, rows):
    for start, value in rows:
        measure(world, revenue.kpi, start, value)

    assert services.risk_triggers_evaluate(now=NOW) == 0

    revenue_risk.refresh_from_db()
    assert revenue_risk.status == RiskStatus.WATCHING
    assert not RiskTriggerEvent.objects.exists()
    assert not Notification.objects.filter(kind="actionplans.risk_triggered").exists()


@pytest.mark.parametrize("value", ["32000", "35000"])
def test_at_or_above_the_limit_does_not_fire(world, plan, revenue, revenue_risk, value):
    measure(world, revenue.kpi, date(2025, 2, 1), value)

    assert services.risk_triggers_evaluate(now=NOW) == 0

    revenue_risk.refresh_from_db()
    assert revenue_risk.status == RiskStatus.WATCHING
    assert not RiskTriggerEvent.objects.exists()


def test_an_above_trigger_fires_when_the_value_rises_past_the_limit(world, plan):
    cost = KpiFactory(org=world.org, name="Discount given", unit="currency", aggregation="sum")
    risk = kpi_risk(plan, cost, comparator="above", threshold=Decimal(5000))
    measure(world, cost, date(2025, 2, 1), "5200")

    assert services.risk_triggers_evaluate(now=NOW) == 1
    risk.refresh_from_db()
    assert risk.status == RiskStatus.TRIGGERED


def test_a_weekly_trigger_checks_last_week_across_the_organisation(world, plan):
    calls = KpiFactory(org=world.org, name="Calls", unit="count", aggregation="sum")
    risk = kpi_risk(plan, calls, threshold=Decimal(10), trigger_period="week")
    west = TeamFactory(org=world.org, name="West Sales")
    measure(world, calls, LAST_MONDAY, "4", kind="week")
    measure(world, calls, LAST_MONDAY, "3", kind="week", team=west)
    measure(world, calls, MONDAY, "1", kind="week")  # this week: not over yet
    measure(world, calls, date(2025, 2, 24), "100", kind="week")  # the week before

    assert services.risk_triggers_evaluate(now=NOW) == 1

    event = RiskTriggerEvent.objects.get()
    assert (event.risk, event.period_start, event.value, event.limit) == (
        risk,
        LAST_MONDAY,
        Decimal(7),
        Decimal(10),
    )
    assert services.risk_triggers_evaluate(now=NOW + timedelta(days=2)) == 0


def test_a_weekly_target_pct_trigger_takes_one_weeks_share_of_the_target(world, plan, revenue):
    """13 weeks in the quarter: 80% of 120,000 / 13 is 7,384.6154 a week."""
    risk = kpi_risk(
        plan,
        revenue.kpi,
        trigger_team=world.team,
        trigger_goal=revenue,
        threshold=Decimal(80),
        threshold_basis="target_pct",
        trigger_period="week",
    )
    measure(world, revenue.kpi, LAST_MONDAY, "7384", kind="week")

    assert services.risk_triggers_evaluate(now=NOW) == 1

    event = RiskTriggerEvent.objects.get()
    assert (event.risk, event.period_start, event.limit) == (
        risk,
        LAST_MONDAY,
        Decimal("7384.6154"),
    )


def test_a_ratio_kpi_is_the_sum_of_numerators_over_the_sum_of_denominators(world, plan):
    won = KpiFactory(org=world.org, name="Deals won", unit="count", aggregation="sum")
    offered = KpiFactory(org=world.org, name="Opportunities", unit="count", aggregation="sum")
    win_rate = KpiFactory(
        org=world.org,
        name="Win rate",
        unit="percent",
        aggregation="ratio",
        numerator=won,
        denominator=offered,
    )
    risk = kpi_risk(plan, win_rate, threshold=Decimal(20))
    west = TeamFactory(org=world.org, name="West Sales")
    # East 10/20 = 50 %, West 5/80 = 6.25 %: the average of ratios (28.1 %) would not fire,
    # the ratio of sums (15/100 = 15 %) does.
    measure(world, won, date(2025, 2, 1), "10")
    measure(world, offered, date(2025, 2, 1), "20")
    measure(world, won, date(2025, 2, 1), "5", team=west)
    measure(world, offered, date(2025, 2, 1), "80", team=west)

    assert services.risk_triggers_evaluate(now=NOW) == 1

    event = RiskTriggerEvent.objects.get()
    assert (event.risk, event.value, event.limit) == (risk, Decimal(15), Decimal(20))


def test_a_level_kpi_compares_with_the_target_as_it_stands(world, plan):
    """80% of a 40% win-rate target is 32%, whatever the length of the goal."""
    rate = KpiFactory(org=world.org, name="Close rate", unit="percent", aggregation="average")
    goal = GoalFactory(
        org=world.org,
        kpi=rate,
        team=world.team,
        owner=world.user(Role.MANAGER),
        baseline=Decimal(25),
        target=Decimal(40),
        start_date=date(2025, 1, 1),
        due_date=date(2025, 6, 30),
        status="active",
    )
    risk = kpi_risk(
        plan, rate, threshold=Decimal(80), threshold_basis="target_pct", trigger_goal=goal
    )
    measure(world, rate, date(2025, 2, 1), "30")
    measure(world, rate, date(2025, 2, 1), "33", team=TeamFactory(org=world.org))

    assert services.risk_triggers_evaluate(now=NOW) == 1

    event = RiskTriggerEvent.objects.get()
    assert (event.risk, event.value, event.limit) == (risk, Decimal("31.5"), Decimal(32))


def test_only_watched_risks_of_open_plans_are_evaluated(world, plan, revenue, revenue_risk):
    measure(world, revenue.kpi, date(2025, 2, 1), "100")
    ActionPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.CANCELLED)

    assert services.risk_triggers_evaluate(now=NOW) == 0

    ActionPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.ACTIVE)
    services.risk_close(actor=plan.owner, risk=revenue_risk)
    assert services.risk_triggers_evaluate(now=NOW) == 0
    assert not RiskTriggerEvent.objects.exists()


def test_a_target_pct_trigger_needs_a_goal_of_the_same_kpi(world, plan, revenue):
    other_goal = GoalFactory(org=world.org, team=world.team, owner=world.user(Role.MANAGER))

    with pytest.raises(ValidationError) as missing:
        kpi_risk(plan, revenue.kpi, threshold=Decimal(80), threshold_basis="target_pct")
    with pytest.raises(ValidationError) as mismatched:
        kpi_risk(
            plan,
            revenue.kpi,
            threshold=Decimal(80),
            threshold_basis="target_pct",
            trigger_goal=other_goal,
        )

    assert "trigger_goal" in missing.value.message_dict
    assert "trigger_goal" in mismatched.value.message_dict
    assert not Risk.objects.exists()


def test_a_manual_trigger_tells_the_risk_owner_and_the_plan_owner(world, plan):
    risk = RiskFactory(plan=plan, owner=world.user(Role.REP))

    services.risk_trigger(actor=world.user(Role.LEADER), risk=risk, reason=" Pilot declined. ")

    risk.refresh_from_db()
    assert (risk.status, risk.trigger_reason) == (RiskStatus.TRIGGERED, "Pilot declined.")
    assert risk.triggered_at is not None
    assert recipients("actionplans.risk_triggered") == sorted(
        [world.user(Role.REP), world.user(Role.MANAGER)], key=lambda user: user.pk
    )
    with pytest.raises(ValidationError):
        services.risk_trigger(actor=world.user(Role.LEADER), risk=risk)
    assert Notification.objects.filter(kind="actionplans.risk_triggered").count() == 2


def test_a_kpi_risk_can_be_triggered_by_hand_and_the_job_then_leaves_it(
    world, plan, revenue, revenue_risk
):
    measure(world, revenue.kpi, date(2025, 2, 1), "100")
    services.risk_trigger(actor=plan.owner, risk=revenue_risk)

    assert services.risk_triggers_evaluate(now=NOW) == 0
    assert not RiskTriggerEvent.objects.exists()


# --- the Friday reminder ----------------------------------------------------------------------


@pytest.fixture
def week_owners(world, plan) -> dict[str, User]:
    """The rep has a milestone this week and no update; the member updated theirs on Wednesday;
    the leader's only milestone starts in a fortnight; the manager owns the plan, no milestone."""
    rep, member, leader = (world.user(role) for role in (Role.REP, Role.MEMBER, Role.LEADER))
    add(plan, "Pilot", owner=rep, start=MONDAY, due=weeks(1))
    updated = add(plan, "Training", owner=member, start=LAST_MONDAY, due=MONDAY)
    add(plan, "Rollout", owner=leader, start=weeks(2), due=weeks(3))
    update(updated, progress=60, now=NOW)
    return {"rep": rep, "member": member, "leader": leader}


def test_the_friday_reminder_goes_to_owners_who_have_not_updated(world, week_owners):
    assert services.milestone_reminders_send(now=FRIDAY_2PM) == 1

    assert recipients("actionplans.update_reminder") == [week_owners["rep"]]
    reminder = MilestoneReminder.objects.get()
    assert (reminder.org, reminder.user, reminder.week_start) == (
        world.org,
        week_owners["rep"],
        MONDAY,
    )


def test_the_friday_reminder_is_sent_once(world, week_owners):
    services.milestone_reminders_send(now=FRIDAY_2PM)

    assert services.milestone_reminders_send(now=FRIDAY_2PM) == 0
    assert services.milestone_reminders_send(now=FRIDAY_2PM + timedelta(hours=3)) == 0

    assert len(recipients("actionplans.update_reminder")) == 1


@pytest.mark.parametrize(
    "now",
    [
        datetime(2025, 3, 13, 15, 0, tzinfo=SHANGHAI),  # Thursday afternoon
        datetime(2025, 3, 14, 13, 59, tzinfo=SHANGHAI),  # Friday, before 14:00
        datetime(2025, 3, 14, 3, 0, tzinfo=UTC),  # Friday 11:00 in Shanghai
        datetime(2025, 3, 13, 14, 0, tzinfo=UTC),  # Thursday 22:00 in Shanghai
    ],
)
def test_no_reminder_before_friday_2pm_organisation_time(world, week_owners, now):
    assert services.milestone_reminders_send(now=now) == 0

    assert not Notification.objects.filter(kind="actionplans.update_reminder").exists()
    assert not MilestoneReminder.objects.exists()


def test_friday_2pm_is_in_the_organisations_time_zone(world, week_owners):
    assert services.milestone_reminders_send(now=datetime(2025, 3, 14, 6, 0, tzinfo=UTC)) == 1


def test_no_reminder_for_someone_who_updated_this_week(world, plan, week_owners):
    pilot = Milestone.objects.get(title="Pilot")
    update(pilot, progress=10, now=datetime(2025, 3, 14, 11, 0, tzinfo=SHANGHAI))

    assert services.milestone_reminders_send(now=FRIDAY_2PM) == 0


def test_an_update_last_week_does_not_count_for_this_week(world, plan, week_owners):
    pilot = Milestone.objects.get(title="Pilot")
    update(pilot, progress=10, now=NOW - timedelta(days=7))

    assert services.milestone_reminders_send(now=FRIDAY_2PM) == 1
    assert recipients("actionplans.update_reminder") == [week_owners["rep"]]


def test_the_next_friday_reminds_again(world, week_owners):
    services.milestone_reminders_send(now=FRIDAY_2PM)

    assert services.milestone_reminders_send(now=FRIDAY_2PM + timedelta(weeks=1)) >= 1
    assert recipients("actionplans.update_reminder").count(week_owners["rep"]) == 2


def test_no_reminder_for_milestones_of_closed_plans(world, plan, week_owners):
    ActionPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.COMPLETED)

    assert services.milestone_reminders_send(now=FRIDAY_2PM) == 0


def test_each_organisation_is_reminded_on_its_own_friday(world, week_owners):
    world.other_org.time_zone = "Europe/London"
    world.other_org.save(update_fields=["time_zone"])
    outsider = world.outsider.user
    rival_plan = ActionPlanFactory(
        org=world.other_org,
        owner=outsider,
        start_date=date(2025, 2, 3),
        end_date=date(2025, 5, 25),
    )
    add(rival_plan, "Rival pilot", owner=outsider, start=MONDAY)

    assert services.milestone_reminders_send(now=FRIDAY_2PM) == 1  # 06:00 in London
    assert recipients("actionplans.update_reminder") == [week_owners["rep"]]

    london_2pm = datetime(2025, 3, 14, 14, 0, tzinfo=ZoneInfo("Europe/London"))
    assert services.milestone_reminders_send(now=london_2pm) == 1
    reminded = Notification.objects.get(kind="actionplans.update_reminder", recipient=outsider)
    assert reminded.org == world.other_org


# --- overdue ----------------------------------------------------------------------------------


def test_an_overdue_milestone_is_flagged_to_its_owner_once(world, plan):
    rep = world.user(Role.REP)
    late = add(plan, "Pilot", owner=rep, start=date(2025, 2, 24), due=LAST_MONDAY)

    assert services.milestones_flag_overdue(now=NOW) == 1
    assert services.milestones_flag_overdue(now=NOW) == 0
    assert services.milestones_flag_overdue(now=NOW + timedelta(days=3)) == 0

    assert recipients("actionplans.overdue") == [rep]
    late.refresh_from_db()
    assert late.overdue_notified_week == LAST_MONDAY


def test_moving_the_due_week_arms_the_flag_again(world, plan):
    late = add(plan, "Pilot", owner=world.user(Role.REP), start=date(2025, 2, 24), due=LAST_MONDAY)
    services.milestones_flag_overdue(now=NOW)

    services.milestone_edit(actor=plan.owner, milestone=late, due_week=MONDAY, reason="Slipped")
    assert services.milestones_flag_overdue(now=NOW) == 0  # due this week: not late yet

    next_week = NOW + timedelta(days=7)
    assert services.milestones_flag_overdue(now=next_week) == 1
    assert services.milestones_flag_overdue(now=next_week) == 0
    assert Notification.objects.filter(kind="actionplans.overdue").count() == 2


def test_overdue_starts_after_the_sunday_of_the_due_week_in_organisation_time(world, plan):
    add(plan, "Pilot", start=LAST_MONDAY, due=LAST_MONDAY)
    sunday_2330_shanghai = datetime(2025, 3, 9, 15, 30, tzinfo=UTC)
    monday_0030_shanghai = datetime(2025, 3, 9, 16, 30, tzinfo=UTC)

    assert services.milestones_flag_overdue(now=sunday_2330_shanghai) == 0
    assert services.milestones_flag_overdue(now=monday_0030_shanghai) == 1


def test_done_and_dormant_milestones_are_never_overdue(world, plan):
    done = add(plan, "Done", start=date(2025, 2, 24), due=LAST_MONDAY)
    update(done, status=MilestoneStatus.DONE, now=NOW - timedelta(days=10))
    risk = RiskFactory(plan=plan)
    MilestoneFactory(
        plan=plan,
        title="Dormant",
        start_week=date(2025, 2, 24),
        due_week=LAST_MONDAY,
        contingency_for=risk,
        is_dormant=True,
    )

    assert services.milestones_flag_overdue(now=NOW) == 0
    assert not Notification.objects.filter(kind="actionplans.overdue").exists()


# --- "This week" ------------------------------------------------------------------------------


def test_this_week_holds_started_and_recently_due_milestones(world, plan):
    rep = world.user(Role.REP)
    started = add(plan, "Started", owner=rep, start=LAST_MONDAY, due=weeks(2))
    update(started, progress=20, now=NOW - timedelta(days=7))
    starting = add(plan, "Starts this week", owner=rep, start=MONDAY, due=weeks(1))
    overdue = add(plan, "Overdue", owner=rep, start=date(2025, 2, 3), due=date(2025, 2, 10))
    done_last_week = add(plan, "Done last week", owner=rep, start=LAST_MONDAY, due=LAST_MONDAY)
    update(done_last_week, status=MilestoneStatus.DONE, now=NOW - timedelta(days=6))
    done_this_week = add(plan, "Done this week", owner=rep, start=MONDAY, due=MONDAY)
    update(done_this_week, status=MilestoneStatus.DONE, now=NOW)
    done_long_ago = add(plan, "Done long ago", owner=rep, start=date(2025, 2, 3))
    update(done_long_ago, status=MilestoneStatus.DONE, now=NOW - timedelta(days=30))
    add(plan, "Future", owner=rep, start=weeks(1), due=weeks(2))
    others = add(plan, "Someone else's", owner=world.user(Role.MEMBER), start=MONDAY)
    closed = ActionPlanFactory(
        org=world.org,
        owner=plan.owner,
        start_date=date(2025, 2, 3),
        end_date=date(2025, 5, 25),
        status=PlanStatus.ACTIVE,
    )
    add(closed, "On a completed plan", owner=rep, start=MONDAY)
    ActionPlan.objects.filter(pk=closed.pk).update(status=PlanStatus.COMPLETED)

    mine = selectors.this_week_for(membership=world.members[Role.REP], today=TODAY)

    expected = {started, starting, overdue, done_last_week, done_this_week}
    assert {m.title for m in mine} == {m.title for m in expected}
    everyone = set(selectors.this_week_milestones(org=world.org, today=TODAY))
    assert everyone == expected | {others}
    assert set(selectors.this_week_milestones(org=world.org, today=TODAY, owner=rep)) == expected


@pytest.mark.parametrize("blocker", ["", "Waiting for the pilot list"])
def test_a_milestone_started_before_its_start_week_is_on_this_week(world, plan, blocker):
    """Started means started: an owner who began early (or is already blocked) keeps the row."""
    rep = world.user(Role.REP)
    early = add(plan, "Started early", owner=rep, start=weeks(2), due=weeks(4))
    add(plan, "Not started, later", owner=rep, start=weeks(2), due=weeks(4))
    update(early, progress=10, blocker=blocker)

    mine = selectors.this_week_for(membership=world.members[Role.REP], today=TODAY)

    assert [m.title for m in mine] == ["Started early"]
    assert [
        m.title for m in selectors.upcoming_for(membership=world.members[Role.REP], today=TODAY)
    ] == ["Not started, later"]


def test_this_week_rows_carry_what_they_wait_on_and_this_weeks_update(world, plan):
    rep = world.user(Role.REP)
    first = add(plan, "Training", start=LAST_MONDAY)
    done = add(plan, "Pricing", start=LAST_MONDAY)
    update(done, status=MilestoneStatus.DONE)
    pilot = add(plan, "Pilot", owner=rep, depends_on=(first, done))
    update(pilot, blocker="Prices not approved")
    update(pilot, blocker="No accounts chosen")
    add(plan, "Quiet", owner=rep)

    rows = {
        m.title: m for m in selectors.this_week_for(membership=world.members[Role.REP], today=TODAY)
    }

    assert [m.title for m in rows["Pilot"].waiting_on] == ["Training"]
    assert rows["Pilot"].updated_this_week == 2
    assert rows["Pilot"].open_blockers == 2
    assert (rows["Quiet"].updated_this_week, rows["Quiet"].open_blockers) == (0, 0)
    assert rows["Quiet"].waiting_on == []


def test_this_week_is_per_organisation(world, plan):
    add(plan, "Ours", start=MONDAY)
    rival_plan = ActionPlanFactory(
        org=world.other_org,
        owner=world.outsider.user,
        start_date=date(2025, 2, 3),
        end_date=date(2025, 5, 25),
    )
    add(rival_plan, "Theirs", start=MONDAY)

    assert [m.title for m in selectors.this_week_milestones(org=world.org, today=TODAY)] == ["Ours"]


# --- query counts -----------------------------------------------------------------------------


def build_plan(world, owner: Membership, count: int) -> ActionPlan:
    """`count` milestones of `owner` on "This week", each depending on the one before, with RACI
    activities, blockers and updates sprinkled in."""
    plan = ActionPlanFactory(
        org=world.org,
        owner=world.user(Role.MANAGER),
        team=world.team,
        start_date=date(2025, 2, 3),
        end_date=date(2025, 5, 25),
    )
    activity = RaciActivityFactory(matrix=RaciMatrixFactory(org=world.org))
    risk = RiskFactory(plan=plan)
    previous = None
    for index in range(count):
        milestone = MilestoneFactory(
            plan=plan,
            owner=owner.user,
            start_week=LAST_MONDAY,
            due_week=weeks(index % 3),
            position=index,
            raci_activity=activity if index % 2 else None,
            contingency_for=risk if index % 5 == 4 else None,
        )
        if previous is not None:
            milestone.depends_on.add(previous)
        if index % 3 == 0:
            MilestoneUpdate.objects.create(
                milestone=milestone,
                author=owner.user,
                week_start=MONDAY,
                progress_before=0,
                progress_after=10,
                status_before="not_started",
                status_after="in_progress",
            )
            Blocker.objects.create(
                org=world.org,
                milestone=milestone,
                description="Stuck",
                raised_by=owner.user,
                routed_to=plan.owner,
            )
        previous = milestone
    return plan


def queries_for(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_this_week_for_uses_the_same_queries_for_3_and_30_milestones(world):
    small = new_member(world)
    large = new_member(world)
    build_plan(world, small, 3)
    build_plan(world, large, 30)

    def read(membership: Membership) -> Callable[[], None]:
        def run() -> None:
            rows = selectors.this_week_for(membership=membership, today=TODAY)
            for row in rows:
                _ = (row.plan.title, row.raci_activity, row.updated_this_week, row.open_blockers)
                _ = [dependency.title for dependency in row.waiting_on]

        return run

    assert len(selectors.this_week_for(membership=large, today=TODAY)) == 30
    assert queries_for(read(small)) == queries_for(read(large))


def test_plan_milestones_uses_the_same_queries_for_3_and_30_milestones(world):
    small = build_plan(world, new_member(world), 3)
    large = build_plan(world, new_member(world), 30)

    def read(plan: ActionPlan) -> Callable[[], None]:
        def run() -> None:
            for milestone in selectors.plan_milestones(plan=plan):
                _ = (
                    milestone.owner.display_name,
                    milestone.raci_activity,
                    milestone.contingency_for,
                    milestone.open_blockers,
                )
                _ = [(d.title, d.status) for d in milestone.depends_on.all()]

        return run

    assert len(selectors.plan_milestones(plan=large)) == 30
    assert queries_for(read(small)) == queries_for(read(large))


# --- permissions ------------------------------------------------------------------------------


@pytest.fixture
def other_manager(world) -> Membership:
    """A manager who leads another team of the same organisation."""
    west = TeamFactory(org=world.org, name="West Sales")
    manager = new_member(world, Role.MANAGER)
    TeamMembershipFactory(team=west, membership=manager, is_lead=True)
    return manager


def east_plan(world, owner: User) -> ActionPlan:
    return ActionPlanFactory(
        org=world.org,
        owner=owner,
        team=world.team,
        start_date=date(2025, 2, 3),
        end_date=date(2025, 5, 25),
    )


def test_plan_edit(world, other_manager):
    led_by_leader = east_plan(world, world.user(Role.LEADER))
    owned_by_other_manager = east_plan(world, other_manager.user)
    no_team = ActionPlanFactory(
        org=world.org,
        owner=world.user(Role.LEADER),
        team=None,
        start_date=date(2025, 2, 3),
        end_date=date(2025, 5, 25),
    )
    members = world.members

    assert can(members[Role.ADMIN], "plan.edit", led_by_leader)
    assert can(members[Role.ADMIN], "plan.edit", no_team)
    assert can(members[Role.LEADER], "plan.edit", led_by_leader)  # the owner
    assert can(other_manager, "plan.edit", owned_by_other_manager)  # the owner, another team
    assert can(members[Role.MANAGER], "plan.edit", led_by_leader)  # manager of the plan's team
    assert not can(members[Role.MANAGER], "plan.edit", no_team)
    assert not can(other_manager, "plan.edit", led_by_leader)  # manager of another team
    assert not can(members[Role.LEADER], "plan.edit", owned_by_other_manager)  # not the owner
    assert not can(members[Role.REP], "plan.edit", led_by_leader)  # in the team, but a rep
    assert not can(members[Role.MEMBER], "plan.edit", led_by_leader)


def test_milestone_update(world, plan):
    milestone = add(plan, "Pilot", owner=world.user(Role.REP))
    other_rep = new_member(world, Role.REP)

    assert can(world.members[Role.REP], "milestone.update", milestone)
    assert not can(other_rep, "milestone.update", milestone)
    assert can(world.members[Role.MANAGER], "milestone.update", milestone)  # edits the plan
    assert not can(world.members[Role.MEMBER], "milestone.update", milestone)


def test_blocker_resolve(world, plan, other_manager):
    leader = world.members[Role.LEADER]
    activity = activity_with_accountable(world, leader)
    milestone = add(plan, "Pilot", owner=world.user(Role.REP), raci_activity=activity)
    update(milestone, blocker="Prices not approved")
    blocker = Blocker.objects.get()
    assert blocker.routed_to == leader.user

    assert can(leader, "blocker.resolve", blocker)  # routed to the leader
    assert can(world.members[Role.ADMIN], "blocker.resolve", blocker)
    assert not can(new_member(world, Role.REP), "blocker.resolve", blocker)
    assert not can(other_manager, "blocker.resolve", blocker)


def test_plan_activate_plan_b(world, other_manager):
    plan = east_plan(world, world.user(Role.LEADER))

    assert can(world.members[Role.LEADER], "plan.activate_plan_b", plan)  # the owner
    assert can(world.members[Role.ADMIN], "plan.activate_plan_b", plan)
    assert not can(other_manager, "plan.activate_plan_b", plan)
    assert not can(world.members[Role.REP], "plan.activate_plan_b", plan)


def test_an_inactive_membership_may_do_nothing(world, plan):
    admin = world.members[Role.ADMIN]
    admin.is_active = False

    assert not can(admin, "plan.edit", plan)
    assert not can(admin, "plan.activate_plan_b", plan)
