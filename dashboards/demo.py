"""The demo organisation's strategy experiments (one finished, one running) and its deviation
alert rules with their alerts.

Used by `manage.py seed_demo`; each part is skipped when the organisation already has it.
Results are fixed numbers, so seeding again and tests see the same analysis.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from goals.models import Kpi
from goals.services.checkins import org_today
from salesops.models import Organization, Role, Team, User

from . import alerts, experiments, rollups, snapshots
from .alert_templates import RULE_TEMPLATES
from .models import (
    Alert,
    AlertChannel,
    AlertComparator,
    AlertRule,
    AlertScope,
    AlertSeverity,
    AlertState,
    AlertSubject,
    Experiment,
    ExperimentStatus,
    RollupPeriod,
)

PHONE_EMAIL = "电话跟进 vs 邮件跟进 / Follow-up by phone vs by email"
WORDING = "续订提醒措辞 / Renewal reminder wording"


def seed_experiments(*, org: Organization, teams: dict[str, Team], people: dict[str, User]) -> None:
    if Experiment.objects.for_org(org).filter(title__in=[PHONE_EMAIL, WORDING]).exists():
        return
    manager, leader = people[Role.MANAGER], people[Role.LEADER]
    today = org_today(org).date()
    east = next((team for name, team in teams.items() if "East" in name), None)
    conversion_kpi = Kpi.objects.for_org(org).filter(key="conversion_rate").first()

    finished = experiments.experiment_create(
        actor=manager,
        org=org,
        variants=["邮件 / Email (control)", "电话 / Phone"],
        title=PHONE_EMAIL,
        hypothesis=(
            "Calling a new lead within a day converts more leads into deals than an email. "
            "电话跟进比邮件跟进转化率更高。"
        ),
        metric="conversion",
        baseline=Decimal(20),
        minimum_effect=Decimal(3),
        alpha=Decimal("0.05"),
        power=Decimal("0.8"),
        owner=manager,
        kpi=conversion_kpi,
        team=east,
    )
    experiments.experiment_set_status(
        actor=manager, experiment=finished, status="running", today=today
    )
    experiments.observations_add(
        actor=manager,
        experiment=finished,
        rows=[
            experiments.ResultRow(
                "邮件 / Email (control)", trials=1200, successes=240, external_id="demo-email-1"
            ),
            experiments.ResultRow(
                "邮件 / Email (control)", trials=1200, successes=252, external_id="demo-email-2"
            ),
            experiments.ResultRow(
                "电话 / Phone", trials=1200, successes=288, external_id="demo-phone-1"
            ),
            experiments.ResultRow(
                "电话 / Phone", trials=1200, successes=300, external_id="demo-phone-2"
            ),
        ],
    )
    experiments.experiment_set_status(
        actor=manager, experiment=finished, status=ExperimentStatus.FINISHED, today=today
    )

    running = experiments.experiment_create(
        actor=leader,
        org=org,
        variants=["现有措辞 / Current wording", "强调节省 / Stress the savings"],
        title=WORDING,
        hypothesis="Stressing what the customer saves raises the value of renewed contracts.",
        metric="mean",
        baseline=Decimal(8000),
        minimum_effect=Decimal(1500),
        alpha=Decimal("0.05"),
        power=Decimal("0.8"),
        owner=leader,
    )
    experiments.experiment_set_status(
        actor=leader, experiment=running, status="running", today=today
    )
    current = [12000, 9800, 15400, 11200, 8700, 13900, 10100, 12600]
    savings = [13100, 11900, 14800, 12400, 9900, 15600, 12700]
    experiments.observations_add(
        actor=leader,
        experiment=running,
        rows=[
            *(
                experiments.ResultRow(
                    "现有措辞 / Current wording", value=Decimal(v), external_id=f"demo-c{i}"
                )
                for i, v in enumerate(current)
            ),
            *(
                experiments.ResultRow(
                    "强调节省 / Stress the savings", value=Decimal(v), external_id=f"demo-s{i}"
                )
                for i, v in enumerate(savings)
            ),
        ],
    )


# --- deviation alerts -----------------------------------------------------------------------

DEMO_RULE_NAMES = {
    "cross_dept_below_80": "跨部门任务完成率低于 80% / Cross-department task completion below 80%",
    "goal_gap_above_10": "目标落后预期进度 10 个百分点以上 / Goal more than 10 points behind",
    "milestones_overdue_above_3": "逾期里程碑超过 3 个 / Overdue milestones above 3",
    "lead_response_above_24h": "线索响应时间超过 24 小时 / Lead response time above 24 hours",
}
DELIVERY_RULE = "生产交期准确率低于 90% / Production on-time delivery below 90%"
RENEWAL_RULE = "续订率低于 70% / Renewal rate below 70%"


def _demo_day(org: Organization, day: date) -> datetime:
    """Ten in the morning, organisation time: the history below is replayed on fixed days so
    that the demo data (fixed months) gives the same alerts whenever it is seeded."""
    return datetime.combine(day, time(10), tzinfo=ZoneInfo(org.time_zone))


def _replay(rule: AlertRule, day: date) -> None:
    """Evaluate one rule as the job would have on that day; its new alerts carry that day."""
    when = _demo_day(rule.org, day)
    before = set(Alert.objects.filter(rule=rule).values_list("pk", flat=True))
    with transaction.atomic():
        alerts.alert_rule_evaluate(rule=rule, now=when)
    # Demo history only: the row's opening time is set by the database on insert.
    Alert.objects.filter(rule=rule).exclude(pk__in=before).update(opened_at=when)


def seed_snapshots(*, now: datetime | None = None, weeks: int = 12) -> None:
    """A snapshot a week for the last `weeks` weeks and today's, so the dashboards' goal
    sections and trend charts have history before the hourly job has run (an upsert: seeding
    again the same day changes nothing)."""
    now = now or timezone.now()
    for weeks_back in range(weeks, -1, -1):
        snapshots.goal_snapshots_take(now=now - timedelta(weeks=weeks_back))


def seed_alerts(*, org: Organization, actor: User, now: datetime | None = None) -> None:
    """Deviation rules from the templates plus two KPI rules, and their alerts: replayed on
    fixed past days (one alert resolved by hand, one acknowledged, one closed by itself when
    lead response came back under 24 hours), then evaluated today. Skipped when the
    organisation already has alert rules."""
    if AlertRule.objects.for_org(org).exists():
        return
    now = now or timezone.now()
    kpis = {kpi.key: kpi for kpi in Kpi.objects.for_org(org).exclude(key="")}
    if "on_time_delivery_rate" not in kpis or "renewal_rate" not in kpis:
        return
    production = Team.objects.for_org(org).active().filter(name__contains="Production").first()
    leadership = Team.objects.for_org(org).active().filter(name__contains="Leadership").first()
    # The KPI rules read rollups: bring them up to date with the demo measurements.
    rollups.rollups_update(org=org)

    for template in RULE_TEMPLATES:
        alerts.alert_rule_create(
            actor=actor,
            org=org,
            recipient_teams=[leadership] if leadership else [],
            name=DEMO_RULE_NAMES.get(template.key, str(template.name)),
            action=str(template.action),
            subject=template.subject,
            comparator=template.comparator,
            threshold=template.threshold,
            period_kind=template.period_kind,
            severity=template.severity,
            recipient_roles=list(template.recipient_roles),
            channels=list(template.channels),
        )
    delivery = alerts.alert_rule_create(
        actor=actor,
        org=org,
        teams=[production] if production else [],
        recipient_teams=[production] if production else [],
        name=DELIVERY_RULE,
        action="与生产部一起找出延误的订单 / Find the late orders with Production",
        subject=AlertSubject.KPI,
        kpi=kpis["on_time_delivery_rate"],
        comparator=AlertComparator.BELOW,
        threshold=Decimal(90),
        period_kind=RollupPeriod.MONTH,
        scope=AlertScope.TEAMS if production else AlertScope.ORG,
        severity=AlertSeverity.CRITICAL,
        recipient_roles=[Role.LEADER, Role.ADMIN],
        channels=[AlertChannel.IN_APP],
    )
    renewal = alerts.alert_rule_create(
        actor=actor,
        org=org,
        name=RENEWAL_RULE,
        action="复盘流失的续订 / Review the lost renewals with Customer Service",
        subject=AlertSubject.KPI,
        kpi=kpis["renewal_rate"],
        comparator=AlertComparator.BELOW,
        threshold=Decimal(70),
        period_kind=RollupPeriod.MONTH,
        severity=AlertSeverity.WARNING,
        recipient_roles=[Role.LEADER, Role.MANAGER],
        channels=[AlertChannel.IN_APP],
    )

    by_name = {rule.name: rule for rule in AlertRule.objects.for_org(org)}
    lead = by_name[DEMO_RULE_NAMES["lead_response_above_24h"]]
    goal_gap = by_name[DEMO_RULE_NAMES["goal_gap_above_10"]]
    # Lead response was above 24 hours at the start of 2025 and came back by October.
    _replay(lead, date(2025, 1, 8))
    _replay(lead, date(2025, 10, 8))
    # February 2026's late deliveries: handled and resolved by hand.
    _replay(delivery, date(2026, 3, 10))
    february = Alert.objects.for_org(org).filter(rule=delivery, state=AlertState.OPEN).first()
    if february is not None:
        alerts.alert_resolve(
            actor=actor,
            org=org,
            alert=february,
            note="生产部增加了周六班次 / Production added a Saturday shift; March is back on plan.",
            now=_demo_day(org, date(2026, 3, 12)),
        )
    # August 2026's: acknowledged, still being worked on.
    _replay(delivery, date(2026, 9, 9))
    august = Alert.objects.for_org(org).filter(rule=delivery, state=AlertState.OPEN).first()
    if august is not None:
        alerts.alert_acknowledge(
            actor=actor, org=org, alert=august, now=_demo_day(org, date(2026, 9, 10))
        )
    # Renewals and goals behind plan: still open.
    _replay(renewal, date(2026, 10, 8))
    _replay(goal_gap, date(2026, 11, 11))
    # And today, as the periodic job would.
    alerts.alerts_evaluate(org=org, now=now)
