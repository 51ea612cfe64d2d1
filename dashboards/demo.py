"""The demo organisation's strategy experiments: one finished, one running.

Used by `manage.py seed_demo`; skipped when the organisation already has them (found by title).
Results are fixed numbers, so seeding again and tests see the same analysis.
"""

from decimal import Decimal

from goals.models import Kpi
from goals.services.checkins import org_today
from salesops.models import Organization, Role, Team, User

from . import experiments
from .models import Experiment, ExperimentStatus

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
