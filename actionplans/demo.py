"""Three running demo plans, one per template, a few weeks into their schedule.

Used by `manage.py seed_demo`. Dates count back from the organisation's current week, so the
demo always looks current: the premium-mix plan is in its pilot, the renewal plan has done its
churn study, and the omnichannel plan has an overdue training. Each plan is created once and
found again by its template key; East Sales' stand-up is set up once, with its settings.

What it shows: "This week" for rep and rep2 with several weeks of updates behind it; an open
blocker on a milestone linked to a RACI activity, so it went to that activity's Accountable
person; resources with actual costs, one over plan; a KPI-triggered risk whose Plan B
milestones wait, dormant; one overdue milestone; East Sales' daily stand-up with entries.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from goals.models import Goal, Kpi
from goals.periods import week_start
from goals.services.checkins import org_today
from raci.models import MatrixStatus, RaciActivity
from salesops.models import Organization, Team, User

from . import selectors, services, standups, triggers
from .models import (
    ActionPlan,
    Blocker,
    Comparator,
    Milestone,
    MilestoneStatus,
    MilestoneUpdate,
    PlanStatus,
    Risk,
    RiskTriggerEvent,
    StandupCadence,
    StandupEntry,
    StandupSettings,
    ThresholdBasis,
    TriggerKind,
    TriggerPeriod,
)

EAST, SOUTH = "华东销售 / East Sales", "华南销售 / South Sales"
SERVICE = "客户服务 / Customer Service"
REP2_EMAIL = "rep2@demo.salesops.local"
# The RACI activity the pilot milestone follows; in the demo its Accountable person is the leader.
PILOT_ACTIVITY = "Collect feedback from customer calls"
RENEWAL_THRESHOLD = Decimal(70)  # % renewal rate below which the renewal plan's Plan B is due

IN_PROGRESS, DONE = MilestoneStatus.IN_PROGRESS, MilestoneStatus.DONE


@dataclass
class _Demo:
    org: Organization
    teams: dict[str, Team]
    people: dict[str, User]
    rep2: User
    now: datetime = field(default_factory=timezone.now)

    def __post_init__(self) -> None:
        self.zone = ZoneInfo(self.org.time_zone)
        self.today = org_today(self.org, self.now).date()
        self.monday = week_start(self.today)

    @property
    def manager(self) -> User:
        return self.people["manager"]

    @property
    def leader(self) -> User:
        return self.people["leader"]

    @property
    def rep(self) -> User:
        return self.people["rep"]

    def at(self, day: date, hour: int = 17) -> datetime:
        """A moment on `day` in the organisation's time zone, never after now."""
        return min(datetime.combine(day, time(hour), tzinfo=self.zone), self.now)

    def in_week(self, plan: ActionPlan, week: int, weekday: int = 3, hour: int = 17) -> datetime:
        """Week `week` of the plan (1 is its first week), on a weekday (0 is Monday)."""
        first = week_start(plan.start_date)
        return self.at(first + timedelta(weeks=week - 1, days=weekday), hour)

    def goals(self, *title_starts: str) -> list[Goal]:
        """The demo goals whose titles start so, those that exist."""
        found = (
            Goal.objects.for_org(self.org).filter(title__startswith=start).first()
            for start in title_starts
        )
        return [goal for goal in found if goal is not None]


def _steps(plan: ActionPlan) -> list[Milestone]:
    """The plan's own milestones in order, without the Plan B ones."""
    return list(plan.milestones.filter(contingency_for__isnull=True).order_by("position", "pk"))


def _plan_b(plan: ActionPlan) -> list[Milestone]:
    return list(plan.milestones.filter(contingency_for__isnull=False).order_by("position", "pk"))


def _hand_out(milestone: Milestone, owner: User, **values: object) -> Milestone:
    return services.milestone_edit(
        actor=milestone.plan.owner, milestone=milestone, owner=owner, reason="demo", **values
    )


def _update(
    milestone: Milestone,
    when: datetime,
    progress: int,
    status: str,
    note: str,
    blocker: str = "",
) -> MilestoneUpdate:
    """A weekly update by the milestone's owner, dated when it would have been made."""
    update = services.milestone_record_update(
        actor=milestone.owner,
        milestone=milestone,
        progress=progress,
        status=status,
        note=note,
        blocker=blocker,
        now=when,
    )
    MilestoneUpdate.objects.filter(pk=update.pk).update(created_at=when)
    if update.blocker_id:
        Blocker.objects.filter(pk=update.blocker_id).update(created_at=when)
    return update


def _actual_costs(plan: ActionPlan, actuals: list[Decimal]) -> None:
    for resource, actual in zip(plan.resources.order_by("position", "pk"), actuals, strict=False):
        services.resource_save(
            actor=plan.owner,
            plan=plan,
            resource=resource,
            kind=resource.kind,
            description=resource.description,
            quantity=resource.quantity,
            planned=resource.planned,
            actual=actual,
        )


def _pilot_activity(org: Organization) -> RaciActivity | None:
    return (
        RaciActivity.objects.filter(
            matrix__org=org,
            matrix__status=MatrixStatus.PUBLISHED,
            name__in={PILOT_ACTIVITY, gettext(PILOT_ACTIVITY)},
        )
        .select_related("matrix")
        .first()
    )


def _premium_mix(demo: _Demo) -> None:
    """Week 4 of 5: training done, the pilot blocked on a discount only the leader can approve."""
    activity = _pilot_activity(demo.org)
    plan = services.plan_create_from_blueprint(
        actor=demo.manager,
        org=demo.org,
        key="premium_mix",
        owner=demo.manager,
        start_date=demo.monday - timedelta(weeks=3),
        team=demo.teams[EAST],
        goals=demo.goals("2026 下半年营收增长", "转化率从 20% 提升到 25%"),
        raci_matrix=activity.matrix if activity is not None else None,
        status=PlanStatus.ACTIVE,
    )
    training, pilot, rollout = _steps(plan)
    training = _hand_out(training, demo.rep)
    pilot = _hand_out(pilot, demo.rep, raci_activity=activity)
    _hand_out(rollout, demo.rep)
    _bundle, offer = _plan_b(plan)  # the bundle stays with the manager
    _hand_out(offer, demo.rep)

    _update(training, demo.in_week(plan, 1, 1), 50, IN_PROGRESS, "Two of four sessions held.")
    _update(training, demo.in_week(plan, 1, 4), 100, DONE, "All eight reps passed the quiz.")
    _update(
        pilot,
        demo.in_week(plan, 2),
        20,
        IN_PROGRESS,
        "Six pilot accounts chosen with Li Ming; the first two offers sent.",
    )
    _update(
        pilot,
        demo.in_week(plan, 3),
        45,
        IN_PROGRESS,
        "Offers out to five accounts; Hangzhou Lianhua and Ningbo Haitian gave feedback.",
    )
    _update(
        pilot,
        demo.in_week(plan, 4, 1, 11),
        55,
        IN_PROGRESS,
        "Two accounts will sign only with the pilot discount.",
        blocker="The 8% pilot discount for the last two pilot accounts still needs approval; "
        "they will not sign the premium offer without it.",
    )
    _actual_costs(plan, [Decimal(8600), Decimal(6500)])  # the training ran ¥600 over


def _renewal(demo: _Demo) -> None:
    """Week 6 of 13: churn analysed, personalised emails going out, and the renewal rate has
    fallen below its trigger, so the Plan B (call the largest renewals) waits to be activated."""
    service = demo.teams[SERVICE]
    renewal_goals = demo.goals("订阅续订率")
    plan = services.plan_create_from_blueprint(
        actor=demo.leader,
        org=demo.org,
        key="renewal",
        owner=demo.leader,
        start_date=demo.monday - timedelta(weeks=5),
        team=service,
        goals=renewal_goals,
        status=PlanStatus.ACTIVE,
    )
    churn, emails, calls = _steps(plan)
    churn, emails = _hand_out(churn, demo.rep2), _hand_out(emails, demo.rep2)
    _hand_out(calls, demo.rep)
    for milestone in _plan_b(plan):
        _hand_out(milestone, demo.rep2)

    for week, progress, status, note in (
        (1, 15, IN_PROGRESS, "Cancellation reasons exported for the last twelve months."),
        (2, 40, IN_PROGRESS, "Reasons coded for small businesses; enterprise next."),
        (3, 75, IN_PROGRESS, "Price and onboarding explain 60% of small-business churn."),
        (4, 100, DONE, "Report shared: price, onboarding, and no contact in the last 90 days."),
    ):
        _update(churn, demo.in_week(plan, week), progress, status, note)
    _update(
        emails,
        demo.in_week(plan, 5),
        25,
        IN_PROGRESS,
        "Three templates, one per churn reason; the first 40 emails sent.",
    )
    _actual_costs(plan, [Decimal(6000), Decimal(11000)])

    kpi = Kpi.objects.for_org(demo.org).get(key="renewal_rate")
    risk = services.risk_save(
        actor=demo.leader,
        plan=plan,
        risk=plan.risks.get(),
        trigger_kind=TriggerKind.KPI,
        trigger_kpi=kpi,
        trigger_team=service,
        trigger_goal=renewal_goals[0] if renewal_goals else None,
        comparator=Comparator.BELOW,
        threshold=RENEWAL_THRESHOLD,
        threshold_basis=ThresholdBasis.VALUE,
        trigger_period=TriggerPeriod.MONTH,
    )
    _trigger(demo, risk, kpi)


def _trigger(demo: _Demo, risk: Risk, kpi: Kpi) -> None:
    """Fire the KPI trigger as the evaluation job would, on last month's value of the risk's
    team only; should the demo data not reach last month, its owner marks it as happened."""
    start, end = triggers.last_complete_period(demo.today, risk.trigger_period)
    value = selectors.kpi_value(org=demo.org, kpi=kpi, team=risk.trigger_team, start=start, end=end)
    if triggers.breached(value=value, comparator=risk.comparator, limit=risk.threshold):
        RiskTriggerEvent.objects.create(
            risk=risk, period_start=start, value=value, limit=risk.threshold
        )
        reason = str(
            format_lazy(
                _("{kpi} was {value} in the period from {start}, {comparator} {limit}."),
                kpi=kpi.name,
                value=value,
                start=start.isoformat(),
                comparator=risk.get_comparator_display(),
                limit=risk.threshold,
            )
        )
    else:
        reason = f"{kpi.name} has stayed below {RENEWAL_THRESHOLD}% for two months."
    services.risk_trigger(actor=risk.owner, risk=risk, reason=reason)


def _omnichannel(demo: _Demo) -> None:
    """Week 3 of 8: the role-play training was due last week and is not finished."""
    plan = services.plan_create_from_blueprint(
        actor=demo.manager,
        org=demo.org,
        key="omnichannel",
        owner=demo.manager,
        start_date=demo.monday - timedelta(weeks=2),
        team=demo.teams[SOUTH],
        goals=demo.goals("电商 Q4 营收提升 15%"),
        status=PlanStatus.ACTIVE,
    )
    training, agree, run = _steps(plan)
    training = _hand_out(training, demo.rep2)
    _hand_out(agree, demo.rep)
    _hand_out(run, demo.rep2)
    _update(
        training,
        demo.in_week(plan, 1),
        40,
        IN_PROGRESS,
        "Online-to-store role play done with the Guangzhou reps.",
    )
    _update(
        training,
        demo.in_week(plan, 2),
        80,
        IN_PROGRESS,
        "The phone follow-up session moved to next week: the trainer was ill.",
    )
    _actual_costs(plan, [Decimal(7200), Decimal(0)])


def _standup(demo: _Demo) -> None:
    """East Sales stands up daily; the manager and the rep have posted for the latest workday
    (today, or Friday at the weekend). Set up once: skipped when the team has settings."""
    east = demo.teams[EAST]
    if StandupSettings.objects.filter(team=east).exists():
        return
    standups.standup_settings_save(
        actor=demo.manager,
        team=east,
        cadence=StandupCadence.DAILY,
        weekday=0,
        digest_time=standups.DEFAULT_DIGEST_TIME,
        digest_enabled=True,
    )
    workday = demo.today - timedelta(days=max(0, demo.today.weekday() - standups.LAST_WORKDAY))
    when = demo.at(workday, 9)
    pilot = Milestone.objects.filter(
        plan__org=demo.org, plan__blueprint="premium_mix", owner=demo.rep, is_dormant=False
    ).filter(raci_activity__isnull=False)
    rep_entry = standups.standup_post(
        actor=demo.rep,
        team=east,
        yesterday="Pilot feedback call with Ningbo Haitian; notes are in the CRM.",
        today="Prepare the premium offers for the two accounts waiting on the discount.",
        blockers="",
        milestones=list(pilot[:1]),
        now=when,
    )
    manager_entry = standups.standup_post(
        actor=demo.manager,
        team=east,
        yesterday="Reviewed the pilot offers with the team.",
        today="Weekly pipeline review; ask Chen Wei again about the pilot discount.",
        blockers="",
        now=when,
    )
    StandupEntry.objects.filter(pk__in=[rep_entry.pk, manager_entry.pk]).update(
        created_at=when, updated_at=when
    )


SEEDS = {"premium_mix": _premium_mix, "renewal": _renewal, "omnichannel": _omnichannel}


@transaction.atomic
def seed_plans(*, org: Organization, teams: dict[str, Team], people: dict[str, User]) -> None:
    """The three template plans, each unless the organisation already has a plan from that
    template, and East Sales' stand-up unless it is set up."""
    rep2 = User.objects.filter(email=REP2_EMAIL).first() or people["rep"]
    demo = _Demo(org=org, teams=teams, people=people, rep2=rep2)
    existing = set(ActionPlan.objects.for_org(org).values_list("blueprint", flat=True))
    for key, seed in SEEDS.items():
        if key not in existing:
            seed(demo)
    _standup(demo)
