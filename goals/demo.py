"""Demo goals drawn from real cases, with about two and a half years of monthly history.

Used by `manage.py seed_demo`. Values are computed, not random, so the SMART check says
the same thing on every machine: a conversion goal of 20% → 25% in a quarter passes
(East Sales once gained 28% in a quarter) while 20% → 50% fails.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction

from salesops.models import Organization, Team, User

from .models import CheckIn, Goal, GoalLevel, GoalStatus, Kpi, MeasurementSource
from .periods import add_months
from .services.kpis import kpis_ensure_builtin
from .services.measurements import BulkRow, measurements_upsert

FIRST_MONTH = date(2024, 4, 1)
LAST_MONTH = date(2026, 11, 1)

# East Sales conversion by quarter (Q2 2024 … Q4 2026): one +28% quarter, then steady near 20%.
EAST_CONVERSION = [0.150, 0.152, 0.155, 0.150, 0.192, 0.185, 0.190, 0.195, 0.200, 0.218, 0.222]
# South Sales (e-commerce) revenue by quarter, in CNY: quarters of +18% and +12% happen.
SOUTH_REVENUE = [2.4e6, 2.5e6, 2.95e6, 2.7e6, 2.8e6, 3.1e6, 3.3e6, 3.2e6, 3.4e6, 3.5e6, 3.9e6]


def _months() -> list[date]:
    months, current = [], FIRST_MONTH
    while current <= LAST_MONTH:
        months.append(current)
        current = add_months(current, 1)
    return months


def _quarter_index(month: date) -> int:
    return ((month.year - FIRST_MONTH.year) * 12 + month.month - FIRST_MONTH.month) // 3


def _history(
    org: Organization, teams: dict[str, Team], kpis: dict[str, Kpi], actor: User, rep: User
) -> None:
    east, south = teams["华东销售 / East Sales"], teams["华南销售 / South Sales"]
    marketing, service = teams["市场部 / Marketing"], teams["客户服务 / Customer Service"]
    production = teams["生产 / Production"]
    rows: list[BulkRow] = []

    def add(
        kpi: str, team: Team | None, month: date, value: float, owner: User | None = None
    ) -> None:
        scope = team.pk if team else f"u{owner.pk if owner else 0}"
        rows.append(
            BulkRow(
                external_id=f"demo:{kpi}:{scope}:{month:%Y-%m}",
                kpi=kpis[kpi],
                team=team,
                owner=owner,
                period_kind="month",
                day=month,
                value=Decimal(str(round(value, 2))),
            )
        )

    for index, month in enumerate(_months()):
        quarter = _quarter_index(month)
        leads = 200 + 4 * index + (index % 3) * 5
        add("new_leads", east, month, leads)
        add("deals_won", east, month, round(leads * EAST_CONVERSION[quarter]))
        add("sales_cycle_days", east, month, 112 - 0.8 * index + (index % 4))
        add("revenue", south, month, SOUTH_REVENUE[quarter] / 3 + (index % 3) * 10_000)
        south_leads = 350 + 6 * index
        add("new_leads", south, month, south_leads)
        add("deals_won", south, month, round(south_leads * 0.12))
        add("renewal_rate", service, month, 60 + (index % 12) * 0.4 + index * 0.12)
        add("on_time_delivery_rate", production, month, 82 + (index % 5) + index * 0.1)
        add("lead_response_hours", marketing, month, 30 - index * 0.4)
        # Marketing's digital leads: 400 in Q2 2026, 520 in Q3 2026.
        digital = {date(2026, 4, 1): 130, date(2026, 5, 1): 135, date(2026, 6, 1): 135}
        digital.update({date(2026, 7, 1): 160, date(2026, 8, 1): 175, date(2026, 9, 1): 185})
        add("qualified_leads", marketing, month, digital.get(month, 110 + index))
        if month >= date(2026, 10, 1):
            add("deals_won", None, month, 5 if month.month == 10 else 4, owner=rep)
    measurements_upsert(actor=actor, org=org, rows=rows, source=MeasurementSource.IMPORT)


def _goal(org: Organization, title: str, **fields: object) -> Goal:
    goal = Goal.objects.for_org(org).filter(title=title).first()
    if goal is None:
        goal = Goal(org=org, title=title, **fields)
        goal.full_clean()
        goal._change_reason = "demo"  # type: ignore[attr-defined]
        goal.save()
    return goal


@transaction.atomic
def seed_goals(*, org: Organization, teams: dict[str, Team], people: dict[str, User]) -> None:
    kpis_ensure_builtin(org=org)
    kpis = {kpi.key: kpi for kpi in Kpi.objects.for_org(org).exclude(key="")}
    delivery = kpis["on_time_delivery_rate"]
    if delivery.owning_team_id is None:
        delivery.owning_team = teams["生产 / Production"]
        delivery.save()
    ops, leader, manager, rep = people["admin"], people["leader"], people["manager"], people["rep"]
    _history(org, teams, kpis, ops, rep)
    east, south = teams["华东销售 / East Sales"], teams["华南销售 / South Sales"]

    company = _goal(
        org,
        "2026 下半年营收增长 / Grow H2 2026 revenue 12%",
        statement="Grow revenue across both sales regions from ¥5.9M in H1 2026 to ¥6.6M in H2 2026.",
        scope_channel="All channels",
        kpi=kpis["revenue"],
        baseline=Decimal("5900000"),
        target=Decimal("6600000"),
        start_date=date(2026, 7, 1),
        due_date=date(2026, 12, 31),
        level=GoalLevel.COMPANY,
        owner=leader,
        status=GoalStatus.ACTIVE,
        created_by=leader,
    )
    _goal(
        org,
        "电商 Q4 营收提升 15% / E-commerce Q4 revenue +15% through pricing",
        statement="Raise Q4 online revenue 15% over Q3 with tiered pricing and bundles.",
        scope_channel="Online store",
        scope_segment="Consumers",
        kpi=kpis["revenue"],
        baseline=Decimal("3500000"),
        target=Decimal("4025000"),
        start_date=date(2026, 10, 1),
        due_date=date(2026, 12, 31),
        level=GoalLevel.TEAM,
        team=south,
        owner=manager,
        parent=company,
        weight=Decimal("2"),
        status=GoalStatus.ACTIVE,
        created_by=manager,
    )
    conversion = _goal(
        org,
        "转化率从 20% 提升到 25% / Conversion 20% → 25% in Q4",
        statement="Raise East Sales' lead-to-deal conversion from 20% to 25% this quarter "
        "with a 24-hour follow-up rule.",
        scope_channel="Direct sales",
        scope_segment="Mid-market",
        kpi=kpis["conversion_rate"],
        baseline=Decimal("20"),
        target=Decimal("25"),
        start_date=date(2026, 10, 1),
        due_date=date(2026, 12, 31),
        level=GoalLevel.TEAM,
        team=east,
        owner=manager,
        parent=company,
        contribution="More of the same leads become deals, so revenue grows without more marketing spend.",
        status=GoalStatus.ACTIVE,
        created_by=manager,
    )
    _goal(
        org,
        "销售周期从 90 天缩短到 60 天 / Cut the B2B sales cycle from 90 to 60 days",
        statement="Shorten the average sales cycle of our B2B software deals from 90 to 60 days by June 2027.",
        scope_product="B2B software",
        scope_segment="Enterprise",
        kpi=kpis["sales_cycle_days"],
        baseline=Decimal("90"),
        target=Decimal("60"),
        start_date=date(2026, 10, 1),
        due_date=date(2027, 3, 31),
        level=GoalLevel.TEAM,
        team=east,
        owner=manager,
        parent=company,
        contribution="Faster cycles close more deals inside the half-year.",
        status=GoalStatus.DRAFT,
        created_by=manager,
    )
    _goal(
        org,
        "Q3 数字渠道新增 500 条线索 / 500 new digital leads in Q3",
        statement="Generate 500 marketing-qualified leads from digital channels in Q3 2026.",
        scope_channel="Digital (search, social, webinars)",
        kpi=kpis["qualified_leads"],
        baseline=Decimal("400"),
        target=Decimal("500"),
        start_date=date(2026, 7, 1),
        due_date=date(2026, 9, 30),
        level=GoalLevel.TEAM,
        team=teams["市场部 / Marketing"],
        owner=people["member"],
        parent=company,
        contribution="Qualified leads feed both sales regions' pipelines.",
        status=GoalStatus.ACHIEVED,
        created_by=leader,
    )
    _goal(
        org,
        "订阅续订率从 65% 提升到 82% / Subscription renewal 65% → 82%",
        statement="Lift the renewal rate of annual subscriptions from 65% to 82% within a year.",
        scope_product="Annual subscriptions",
        kpi=kpis["renewal_rate"],
        baseline=Decimal("65"),
        target=Decimal("82"),
        start_date=date(2026, 7, 1),
        due_date=date(2027, 6, 30),
        level=GoalLevel.TEAM,
        team=teams["客户服务 / Customer Service"],
        owner=people["service"],
        parent=company,
        contribution="Renewals are recurring revenue.",
        status=GoalStatus.ACTIVE,
        activation_reason="Board priority for 2027; the renewal playbook and personalised emails start in month 2.",
        created_by=leader,
    )
    _goal(
        org,
        "重点客户交期准确率 95% / On-time delivery 95% for key accounts",
        statement="Key-account orders delivered on the promised date, from 88% to 95%; production owns the number.",
        scope_segment="Key accounts",
        kpi=delivery,
        baseline=Decimal("88"),
        target=Decimal("95"),
        start_date=date(2026, 10, 1),
        due_date=date(2027, 3, 31),
        level=GoalLevel.TEAM,
        team=east,
        owner=manager,
        parent=company,
        contribution="Late deliveries cost renewals and referrals from key accounts.",
        status=GoalStatus.ACTIVE,
        created_by=manager,
    )
    individual = _goal(
        org,
        "Q4 成交 12 单 / Close 12 deals in Q4",
        statement="Close 12 mid-market deals in Q4 2026.",
        scope_segment="Mid-market",
        kpi=kpis["deals_won"],
        baseline=Decimal("9"),
        target=Decimal("12"),
        start_date=date(2026, 10, 1),
        due_date=date(2026, 12, 31),
        level=GoalLevel.INDIVIDUAL,
        team=east,
        owner=rep,
        parent=conversion,
        contribution="My closed deals are part of the team's conversion.",
        status=GoalStatus.ACTIVE,
        created_by=manager,
    )
    mondays = [date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
    notes = [(6, "Two proposals out."), (7, "One signed."), (7, "Pricing call on Friday.")]
    for monday, (confidence, note) in zip(mondays, notes, strict=True):
        CheckIn.objects.get_or_create(
            goal=individual,
            week_start=monday,
            defaults={"author": rep, "confidence": confidence, "note": note},
        )
    for monday, confidence in zip(mondays[1:], (6, 7), strict=True):
        CheckIn.objects.get_or_create(
            goal=conversion,
            week_start=monday,
            defaults={
                "author": manager,
                "confidence": confidence,
                "note": "Follow-up rule adopted by 8 of 10 reps.",
            },
        )
