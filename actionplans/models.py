"""Action plans: milestones and their weekly updates, blockers, resources, risks with a Plan B,
and team stand-ups."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from salesops.models import Organization, Team
from salesops.models.tenancy import OrgScopedQuerySet


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", pgettext_lazy("plan status", "Running")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_PLAN_STATUSES = (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.ON_HOLD)


class ActionPlan(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="action_plans")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    goals = models.ManyToManyField(
        "goals.Goal", verbose_name=_("goals"), related_name="action_plans", blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_plans",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_plans",
        help_text=_("Managers of this team may edit the plan."),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    raci_matrix = models.ForeignKey(
        "raci.RaciMatrix",
        verbose_name=_("RACI matrix"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_plans",
    )
    blueprint = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[goals])
    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")
        ordering = ["-start_date", "title", "pk"]
        indexes = [models.Index(fields=["org", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="plan_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MilestoneStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", pgettext_lazy("milestone status", "Done")
    BLOCKED = "blocked", pgettext_lazy("milestone status", "Blocked")


class Milestone(models.Model):
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    deliverable = models.TextField(_("deliverable"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_milestones",
    )
    start_week = models.DateField(_("start week"), help_text=_("Monday of the first week."))
    due_week = models.DateField(_("due week"), help_text=_("Monday of the week it is due."))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=MilestoneStatus.choices,
        default=MilestoneStatus.NOT_STARTED,
    )
    progress = models.PositiveSmallIntegerField(
        _("progress %"), default=0, validators=[MaxValueValidator(100)]
    )
    position = models.PositiveIntegerField(default=0)
    depends_on = models.ManyToManyField(
        "self",
        verbose_name=_("depends on"),
        symmetrical=False,
        related_name="dependents",
        blank=True,
    )
    raci_activity = models.ForeignKey(
        "raci.RaciActivity",
        verbose_name=_("RACI activity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="milestones",
        help_text=_("Blockers go to this activity's Accountable person."),
    )
    # A Plan B milestone waits, dormant, until its risk's contingency is activated.
    contingency_for = models.ForeignKey(
        "Risk",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contingency_milestones",
    )
    is_dormant = models.BooleanField(default=False)
    overdue_notified_week = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(
        excluded_fields=["updated_at", "overdue_notified_week"], m2m_fields=[depends_on]
    )

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["position", "due_week", "pk"]
        indexes = [
            models.Index(fields=["owner", "status", "due_week"]),
            models.Index(fields=["plan", "position"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="milestone_progress_pct"),
            models.CheckConstraint(
                condition=Q(due_week__gte=models.F("start_week")),
                name="milestone_weeks_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.status == MilestoneStatus.DONE


class MilestoneUpdate(models.Model):
    """One weekly update: who changed what on a milestone, and when."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    week_start = models.DateField()
    progress_before = models.PositiveSmallIntegerField()
    progress_after = models.PositiveSmallIntegerField()
    status_before = models.CharField(max_length=12, choices=MilestoneStatus.choices)
    status_after = models.CharField(max_length=12, choices=MilestoneStatus.choices)
    note = models.TextField(_("note"), blank=True)
    blocker = models.ForeignKey(
        "Blocker", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("milestone update")
        verbose_name_plural = _("milestone updates")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["author", "week_start"])]

    def __str__(self) -> str:
        return f"{self.milestone_id} @ {self.created_at:%Y-%m-%d}"


class BlockerStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("blocker status", "Open")
    RESOLVED = "resolved", _("Resolved")


class Blocker(models.Model):
    """Something that stops work, routed to the person who can clear it."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="blockers")
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="blockers"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="blockers"
    )
    description = models.TextField(_("blocker"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    routed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("routed to"),
        on_delete=models.PROTECT,
        related_name="routed_blockers",
    )
    status = models.CharField(
        max_length=10, choices=BlockerStatus.choices, default=BlockerStatus.OPEN
    )
    resolution = models.TextField(_("resolution note"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("blocker")
        verbose_name_plural = _("blockers")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["org", "status", "routed_to"]),
            models.Index(fields=["team", "status"]),
        ]

    def __str__(self) -> str:
        return self.description[:60]


class ResourceKind(models.TextChoices):
    BUDGET = "budget", _("Budget")
    PEOPLE = "people", _("People")
    TOOLS = "tools", _("Tools")
    TRAINING = "training", _("Training")
    OTHER = "other", _("Other")


class Resource(models.Model):
    """A line of the plan's resources, costed in the organisation's currency."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(_("kind"), max_length=10, choices=ResourceKind.choices)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("People, licences, sessions… optional."),
        validators=[MinValueValidator(Decimal(0))],
    )
    planned = models.DecimalField(
        _("planned cost"),
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    actual = models.DecimalField(
        _("actual cost"),
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    position = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned__gte=0) & Q(actual__gte=0), name="resource_costs_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def over_plan(self) -> bool:
        return self.actual > self.planned


class RiskStatus(models.TextChoices):
    WATCHING = "watching", _("Watching")
    TRIGGERED = "triggered", _("Triggered")
    PLAN_B_ACTIVE = "plan_b", _("Plan B active")
    CLOSED = "closed", pgettext_lazy("risk status", "Closed")


class TriggerKind(models.TextChoices):
    MANUAL = "manual", _("Manual")
    KPI = "kpi", _("KPI condition")


class Comparator(models.TextChoices):
    BELOW = "below", _("below")
    ABOVE = "above", _("above")


class ThresholdBasis(models.TextChoices):
    VALUE = "value", _("a value")
    # xgettext:no-python-format
    TARGET_PCT = "target_pct", _("% of the goal's target")


class TriggerPeriod(models.TextChoices):
    WEEK = "week", _("a week")
    MONTH = "month", _("a month")


class Risk(models.Model):
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="risks")
    description = models.TextField(_("risk"))
    likelihood = models.PositiveSmallIntegerField(
        _("likelihood"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    impact = models.PositiveSmallIntegerField(
        _("impact"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    contingency = models.TextField(_("Plan B"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RiskStatus.choices, default=RiskStatus.WATCHING
    )
    trigger_kind = models.CharField(
        _("trigger"), max_length=10, choices=TriggerKind.choices, default=TriggerKind.MANUAL
    )
    trigger_kpi = models.ForeignKey(
        "goals.Kpi",
        verbose_name=_("KPI"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    trigger_team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: the whole organisation."),
    )
    trigger_goal = models.ForeignKey(
        "goals.Goal",
        verbose_name=_("goal whose target is the yardstick"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comparator = models.CharField(
        _("comparator"), max_length=6, choices=Comparator.choices, default=Comparator.BELOW
    )
    threshold = models.DecimalField(
        _("threshold"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    threshold_basis = models.CharField(
        _("threshold is"),
        max_length=12,
        choices=ThresholdBasis.choices,
        default=ThresholdBasis.VALUE,
    )
    trigger_period = models.CharField(
        _("period"), max_length=6, choices=TriggerPeriod.choices, default=TriggerPeriod.MONTH
    )
    triggered_at = models.DateTimeField(null=True, blank=True)
    trigger_reason = models.TextField(blank=True)
    plan_b_activated_at = models.DateTimeField(null=True, blank=True)
    plan_b_activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ["-likelihood", "-impact", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(likelihood__gte=1, likelihood__lte=5, impact__gte=1, impact__lte=5),
                name="risk_scales_one_to_five",
            ),
            models.CheckConstraint(
                condition=Q(trigger_kind="manual")
                | (Q(trigger_kpi__isnull=False) & Q(threshold__isnull=False)),
                name="risk_kpi_trigger_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def band(self) -> str:
        from .timeline import risk_band

        return risk_band(self.score)


class RiskTriggerEvent(models.Model):
    """A KPI trigger that fired for one period: at most one per risk and period."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="trigger_events")
    period_start = models.DateField()
    value = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    limit = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint("risk", "period_start", name="risk_fires_once_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.risk_id} @ {self.period_start}"


class MilestoneReminder(models.Model):
    """The Friday reminder: at most one per person, organisation and week."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "org", "user", "week_start", name="milestone_reminder_once_a_week"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.week_start}"


class StandupCadence(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class StandupSettings(models.Model):
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="standup_settings")
    cadence = models.CharField(
        _("cadence"), max_length=8, choices=StandupCadence.choices, default=StandupCadence.DAILY
    )
    weekday = models.PositiveSmallIntegerField(
        _("day of a weekly stand-up"),
        default=0,
        validators=[MaxValueValidator(6)],
        help_text=_("0 is Monday."),
    )
    digest_time = models.TimeField(
        _("digest time"),
        help_text=_("When the digest goes to the team channel, organisation time."),
    )
    digest_enabled = models.BooleanField(_("send a digest"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stand-up settings")
        verbose_name_plural = _("stand-up settings")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="standup_weekday_valid"),
        ]

    def __str__(self) -> str:
        return f"stand-up of {self.team_id}"


class Standup(models.Model):
    """One team's stand-up on one day."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="standups")
    day = models.DateField()
    digest_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint("team", "day", name="one_standup_per_team_day")]

    def __str__(self) -> str:
        return f"{self.team_id} @ {self.day}"


class StandupEntry(models.Model):
    standup = models.ForeignKey(Standup, on_delete=models.CASCADE, related_name="entries")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    yesterday = models.TextField(_("yesterday"), blank=True)
    today = models.TextField(_("today"), blank=True)
    blockers = models.TextField(_("blockers"), blank=True)
    milestones = models.ManyToManyField(
        Milestone, verbose_name=_("milestones"), blank=True, related_name="standup_entries"
    )
    blocker = models.ForeignKey(
        Blocker, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stand-up entry")
        verbose_name_plural = _("stand-up entries")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint("standup", "author", name="one_entry_per_person_standup"),
        ]

    def __str__(self) -> str:
        return f"{self.author_id} @ {self.standup_id}"
