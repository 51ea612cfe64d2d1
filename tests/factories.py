import factory
from django.utils import timezone

from salesops.models import (
    Membership,
    Notification,
    Organization,
    Role,
    Team,
    TeamKind,
    TeamMembership,
    TeamWebhook,
    User,
)

PASSWORD = "correct-horse-battery"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    language = "en"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    preferred_language = "en"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    org = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    kind = TeamKind.SALES


class TeamMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    membership = factory.SubFactory(MembershipFactory, org=factory.SelfAttribute("..team.org"))
    is_lead = False


class TeamWebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamWebhook

    team = factory.SubFactory(TeamFactory)
    org = factory.SelfAttribute("team.org")
    name = factory.Sequence(lambda n: f"Channel {n}")
    kind = "generic"
    url = "https://hooks.example.com/incoming"


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    org = factory.SubFactory(OrganizationFactory)
    recipient = factory.SubFactory(UserFactory)
    kind = "test"
    title = factory.Sequence(lambda n: f"Notification {n}")
    created_at = factory.LazyFunction(timezone.now)


# --- goals ---------------------------------------------------------------------------------


class KpiFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "goals.Kpi"

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"KPI {n}")
    unit = "count"
    direction = "higher"
    aggregation = "sum"


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "goals.Goal"

    org = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Win 10 more deals, goal {n}")
    statement = "Close 10 more mid-market deals this quarter."
    scope_segment = "Mid-market"
    kpi = factory.SubFactory(KpiFactory, org=factory.SelfAttribute("..org"))
    baseline = 100
    target = 120
    start_date = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    due_date = factory.LazyAttribute(lambda goal: goal.start_date + timezone.timedelta(days=89))
    level = "team"
    team = factory.SubFactory(TeamFactory, org=factory.SelfAttribute("..org"))
    owner = factory.SubFactory(UserFactory)
    status = "draft"


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "goals.Measurement"

    org = factory.SubFactory(OrganizationFactory)
    kpi = factory.SubFactory(KpiFactory, org=factory.SelfAttribute("..org"))
    team = factory.SubFactory(TeamFactory, org=factory.SelfAttribute("..org"))
    period_kind = "month"
    period_start = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    value = 10


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "goals.CheckIn"

    goal = factory.SubFactory(GoalFactory)
    author = factory.SelfAttribute("goal.owner")
    week_start = factory.LazyFunction(
        lambda: timezone.localdate() - timezone.timedelta(days=timezone.localdate().weekday())
    )
    confidence = 7


# --- RACI ----------------------------------------------------------------------------------


class RaciMatrixFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "raci.RaciMatrix"

    org = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Hand-off matrix {n}")
    status = "draft"


class RaciActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "raci.RaciActivity"

    matrix = factory.SubFactory(RaciMatrixFactory)
    name = factory.Sequence(lambda n: f"Activity {n}")
    phase = ""
    position = factory.Sequence(lambda n: n + 1)


class RaciParticipantFactory(factory.django.DjangoModelFactory):
    """A person column by default; pass kind="team", team=..., membership=None for a team."""

    class Meta:
        model = "raci.RaciParticipant"

    matrix = factory.SubFactory(RaciMatrixFactory)
    kind = "person"
    membership = factory.SubFactory(MembershipFactory, org=factory.SelfAttribute("..matrix.org"))
    team = None
    position = factory.Sequence(lambda n: n + 1)


class RaciAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "raci.RaciAssignment"

    activity = factory.SubFactory(RaciActivityFactory)
    participant = factory.SubFactory(
        RaciParticipantFactory, matrix=factory.SelfAttribute("..activity.matrix")
    )
    letters = "R"


def _monday(days: int = 0):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    today = timezone.localdate() + timedelta(days=days)
    return today - timedelta(days=today.weekday())


class ActionPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "actionplans.ActionPlan"

    org = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Plan {n}")
    owner = factory.LazyAttribute(lambda plan: MembershipFactory(org=plan.org, role="manager").user)
    team = None
    start_date = factory.LazyFunction(lambda: _monday(-28))
    end_date = factory.LazyFunction(lambda: _monday(56))
    status = "active"


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "actionplans.Milestone"

    plan = factory.SubFactory(ActionPlanFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    owner = factory.SelfAttribute("plan.owner")
    start_week = factory.LazyFunction(lambda: _monday(-7))
    due_week = factory.LazyFunction(lambda: _monday(7))
    status = "not_started"
    progress = 0
    position = factory.Sequence(lambda n: n)


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "actionplans.Resource"

    plan = factory.SubFactory(ActionPlanFactory)
    kind = "budget"
    description = factory.Sequence(lambda n: f"Resource {n}")
    planned = 1000
    actual = 0


class RiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "actionplans.Risk"

    plan = factory.SubFactory(ActionPlanFactory)
    description = factory.Sequence(lambda n: f"Risk {n}")
    likelihood = 3
    impact = 3
    owner = factory.SelfAttribute("plan.owner")
    contingency = "Plan B"


# --- deviation alerts ----------------------------------------------------------------------


class AlertRuleFactory(factory.django.DjangoModelFactory):
    """An org-wide rule on overdue milestones, told to admins in the app; override as needed.
    M2M fields (teams, recipient_teams, recipient_people) take lists after creation."""

    class Meta:
        model = "dashboards.AlertRule"
        skip_postgeneration_save = True

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Alert rule {n}")
    action = "Investigate"
    subject = "milestones_overdue"
    period_kind = "week"
    comparator = "above"
    threshold = 3
    scope = "org"
    severity = "warning"
    recipient_roles = factory.LazyFunction(lambda: ["admin"])
    channels = factory.LazyFunction(lambda: ["in_app"])
    is_active = True

    @factory.post_generation
    def teams(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.teams.set(extracted)

    @factory.post_generation
    def recipient_teams(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.recipient_teams.set(extracted)

    @factory.post_generation
    def recipient_people(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.recipient_people.set(extracted)


class AlertFactory(factory.django.DjangoModelFactory):
    """An open org-wide alert of its rule for this week."""

    class Meta:
        model = "dashboards.Alert"

    rule = factory.SubFactory(AlertRuleFactory)
    org = factory.SelfAttribute("rule.org")
    subject_key = "org"
    subject_label = factory.LazyAttribute(lambda alert: alert.org.name)
    team = None
    goal = None
    period_kind = factory.SelfAttribute("rule.period_kind")
    period_start = factory.LazyFunction(lambda: _monday())
    severity = factory.SelfAttribute("rule.severity")
    comparator = factory.SelfAttribute("rule.comparator")
    threshold = factory.SelfAttribute("rule.threshold")
    value = 5
    last_value = None
    data = factory.LazyFunction(dict)
    state = "open"
