"""Create the demo organisation, its teams and one login per role. Safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction

from actionplans.demo import seed_plans
from dashboards.demo import seed_alerts, seed_experiments, seed_snapshots
from feedback.demo import seed_feedback
from goals.demo import seed_goals
from goals.services.kpis import kpis_ensure_builtin
from raci.demo import seed_disputes, seed_matrices
from salesops.models import Membership, Organization, Role, Team, TeamKind, TeamMembership, User

DEMO_PASSWORD = "salesops-demo"  # noqa: S105 - documented demo login, local use only

TEAMS = [
    # (name, kind, parent name)
    ("管理层 / Leadership", TeamKind.LEADERSHIP, None),
    ("销售运营 / Sales Ops", TeamKind.OPERATIONS, None),
    ("华东销售 / East Sales", TeamKind.SALES, None),
    ("华南销售 / South Sales", TeamKind.SALES, None),
    ("市场部 / Marketing", TeamKind.MARKETING, None),
    ("客户服务 / Customer Service", TeamKind.CUSTOMER_SERVICE, None),
    ("生产 / Production", TeamKind.PRODUCTION, None),
]

PEOPLE = [
    # (email, display name, role, team, team lead, language)
    (
        "ops@demo.salesops.local",
        "王芳 Wang Fang",
        Role.ADMIN,
        "销售运营 / Sales Ops",
        True,
        "zh-hans",
    ),
    ("leader@demo.salesops.local", "陈伟 Chen Wei", Role.LEADER, "管理层 / Leadership", True, ""),
    (
        "manager@demo.salesops.local",
        "李明 Li Ming",
        Role.MANAGER,
        "华东销售 / East Sales",
        True,
        "",
    ),
    ("rep@demo.salesops.local", "张伟 Zhang Wei", Role.REP, "华东销售 / East Sales", False, ""),
    (
        "rep2@demo.salesops.local",
        "刘洋 Liu Yang",
        Role.REP,
        "华南销售 / South Sales",
        False,
        "zh-hans",
    ),
    ("member@demo.salesops.local", "赵敏 Zhao Min", Role.MEMBER, "市场部 / Marketing", True, "en"),
    (
        "service@demo.salesops.local",
        "孙丽 Sun Li",
        Role.MEMBER,
        "客户服务 / Customer Service",
        True,
        "",
    ),
]


class Command(BaseCommand):
    help = "Seed the demo organisation 'demo' with teams and one user per role (idempotent)."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        org, _ = Organization.objects.get_or_create(
            slug="demo",
            defaults={"name": "演示公司 Demo Co.", "time_zone": "Asia/Shanghai", "currency": "CNY"},
        )
        teams = {}
        for name, kind, parent in TEAMS:
            teams[name], _ = Team.objects.get_or_create(
                org=org,
                name=name,
                archived_at=None,
                defaults={"kind": kind, "parent": teams.get(parent)},
            )
        people = {}
        for email, display_name, role, team_name, is_lead, language in PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email,
                    password=DEMO_PASSWORD,
                    display_name=display_name,
                    preferred_language=language,
                )
            if role == Role.ADMIN and not user.is_staff:
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
            membership, _ = Membership.objects.get_or_create(
                org=org, user=user, defaults={"role": role}
            )
            TeamMembership.objects.get_or_create(
                team=teams[team_name], membership=membership, defaults={"is_lead": is_lead}
            )
            people.setdefault(role, user)
            if email.startswith("service@"):
                people["service"] = user
        seed_goals(org=org, teams=teams, people=people)
        leader = Membership.objects.get(org=org, user=people[Role.LEADER])
        seed_matrices(org=org, actor=people[Role.ADMIN], fallback_accountable=leader)
        seed_disputes(org=org, teams=teams, people=people)
        seed_plans(org=org, teams=teams, people=people)
        seed_feedback(org=org, teams=teams, people=people)
        seed_experiments(org=org, teams=teams, people=people)
        seed_snapshots()
        seed_alerts(org=org, actor=people[Role.ADMIN])
        # A second organisation shows the org switcher: the sales ops admin also works there.
        other, _ = Organization.objects.get_or_create(
            slug="demo-intl",
            defaults={"name": "Demo International", "language": "en", "currency": "USD"},
        )
        ops = User.objects.get(email=PEOPLE[0][0])
        Membership.objects.get_or_create(org=other, user=ops, defaults={"role": Role.MANAGER})
        Team.objects.get_or_create(
            org=other, name="Export Sales", archived_at=None, defaults={"kind": TeamKind.SALES}
        )
        kpis_ensure_builtin(org=other)

        self.stdout.write(self.style.SUCCESS("Demo organisation ready: /o/demo/"))
        self.stdout.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        for email, display_name, role, team_name, _lead, _lang in PEOPLE:
            self.stdout.write(f"  {role:8} {email:32} {display_name} ({team_name})")
