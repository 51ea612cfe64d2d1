from typing import Self

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from salesops.models import Organization, Team
from salesops.models.tenancy import OrgScopedQuerySet


class Unit(models.TextChoices):
    COUNT = "count", _("Count")
    CURRENCY = "currency", _("Currency")
    PERCENT = "percent", _("Percent")
    DAYS = "days", _("Days")
    HOURS = "hours", _("Hours")
    RATIO = "ratio", _("Ratio")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Aggregation(models.TextChoices):
    SUM = "sum", _("Sum")
    AVERAGE = "average", _("Average")
    LAST = "last", _("Last value")
    RATIO = "ratio", _("Ratio of two KPIs")


class KpiQuerySet(OrgScopedQuerySet):
    def active(self) -> Self:
        return self.filter(archived_at__isnull=True)


class Kpi(models.Model):
    """A measure the organisation tracks. Built-in KPIs carry a `key` and a translated name."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="kpis")
    key = models.SlugField(max_length=60, blank=True, help_text=_("Set for built-in KPIs."))
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    aggregation = models.CharField(
        _("aggregation"), max_length=10, choices=Aggregation.choices, default=Aggregation.SUM
    )
    numerator = models.ForeignKey(
        "self",
        verbose_name=_("numerator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    denominator = models.ForeignKey(
        "self",
        verbose_name=_("denominator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owning_team = models.ForeignKey(
        Team,
        verbose_name=_("owning team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_kpis",
        help_text=_("For cross-department KPIs, the team that delivers the number."),
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = KpiQuerySet.as_manager()

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "org", "key", condition=~Q(key=""), name="kpi_builtin_key_unique"
            ),
            models.UniqueConstraint(
                "org",
                "name",
                condition=Q(archived_at__isnull=True),
                name="kpi_name_unique_among_active",
                violation_error_message=_("A KPI with this name already exists."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(aggregation="ratio")
                    & Q(numerator__isnull=False)
                    & Q(denominator__isnull=False)
                )
                | (
                    ~Q(aggregation="ratio")
                    & Q(numerator__isnull=True)
                    & Q(denominator__isnull=True)
                ),
                name="kpi_ratio_has_both_parts",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        from .builtin import builtin_name

        return builtin_name(self.key) or self.name

    @property
    def is_ratio(self) -> bool:
        return self.aggregation == Aggregation.RATIO

    @property
    def lower_is_better(self) -> bool:
        return self.direction == Direction.LOWER


class GoalLevel(models.TextChoices):
    COMPANY = "company", _("Company")
    TEAM = "team", _("Team")
    INDIVIDUAL = "individual", _("Individual")


class GoalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", pgettext_lazy("goal status", "Active")
    ACHIEVED = "achieved", _("Achieved")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class GoalQuerySet(OrgScopedQuerySet):
    pass


class Goal(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(_("title"), max_length=200)
    statement = models.TextField(
        _("specific statement"),
        blank=True,
        help_text=_("What exactly changes, for whom, measured how."),
    )
    scope_channel = models.CharField(_("channel"), max_length=120, blank=True)
    scope_product = models.CharField(_("product"), max_length=120, blank=True)
    scope_segment = models.CharField(_("customer segment"), max_length=120, blank=True)
    kpi = models.ForeignKey(
        Kpi, verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="goals"
    )
    baseline = models.DecimalField(
        _("baseline"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=4)
    start_date = models.DateField(_("start date"))
    due_date = models.DateField(_("due date"))
    level = models.CharField(
        _("level"), max_length=12, choices=GoalLevel.choices, default=GoalLevel.TEAM
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="goals",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_goals",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent goal"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    weight = models.DecimalField(
        _("contribution weight"),
        max_digits=6,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
        help_text=_("How much this goal counts in its parent's roll-up."),
    )
    contribution = models.TextField(
        _("how it contributes"),
        blank=True,
        help_text=_("When the KPI differs from the parent goal's."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=GoalStatus.choices, default=GoalStatus.DRAFT
    )
    activation_reason = models.TextField(_("reason for activating over SMART warnings"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = GoalQuerySet.as_manager()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["due_date", "title"]
        indexes = [
            models.Index(fields=["org", "status"]),
            models.Index(fields=["org", "team"]),
            models.Index(fields=["org", "owner"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__gt=models.F("start_date")), name="goal_due_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MeasurementSource(models.TextChoices):
    MANUAL = "manual", _("Manual")
    IMPORT = "import", _("Import")
    API = "api", _("API")


class PeriodKind(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")


class Measurement(models.Model):
    """A KPI's value for a team and/or a person over one day, week or month."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="measurements")
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="measurements")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="measurements"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measurements",
    )
    period_kind = models.CharField(
        max_length=5, choices=PeriodKind.choices, default=PeriodKind.MONTH
    )
    period_start = models.DateField()
    value = models.DecimalField(max_digits=18, decimal_places=4)
    source = models.CharField(
        max_length=10, choices=MeasurementSource.choices, default=MeasurementSource.MANUAL
    )
    external_id = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "-pk"]
        indexes = [
            models.Index(fields=["org", "kpi", "period_start"]),
            models.Index(fields=["org", "updated_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                "org",
                "source",
                "external_id",
                condition=~Q(external_id=""),
                name="measurement_external_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(team__isnull=False) | Q(owner__isnull=False),
                name="measurement_has_team_or_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.period_start}: {self.value}"


class MeasurementTouch(models.Model):
    """A KPI period whose measurements changed and whose rollups must be recomputed.

    Written in the same transaction as the change (create, update, delete); the rollup job
    reads them, recomputes those periods and deletes exactly the rows it read.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["org", "id"])]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.period_start}"


class CheckIn(models.Model):
    """The owner's weekly word on a goal: how confident they are, and why."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="checkins")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    week_start = models.DateField(help_text="Monday of the week, in the organisation's time zone.")
    confidence = models.PositiveSmallIntegerField(
        _("confidence"), validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-week_start"]
        constraints = [
            models.UniqueConstraint("goal", "week_start", name="checkin_one_per_goal_week"),
            models.CheckConstraint(
                condition=Q(confidence__lte=10), name="checkin_confidence_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.goal_id} {self.week_start}: {self.confidence}"


class CheckInComment(models.Model):
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:40]


class CheckInReminder(models.Model):
    """Marks that a goal's owner was reminded for a week, so a rerun sends nothing twice."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("goal", "week_start", name="checkin_reminder_once_per_week")
        ]

    def __str__(self) -> str:
        return f"reminder {self.goal_id} {self.week_start}"


class GoalPolicy(models.Model):
    """Per-organisation thresholds for goal status and the planning horizon."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="goal_policy")
    at_risk_gap = models.PositiveSmallIntegerField(
        _("at risk when behind expected progress by (points)"),
        default=10,
        validators=[MaxValueValidator(100)],
    )
    off_track_gap = models.PositiveSmallIntegerField(
        _("off track when behind expected progress by (points)"),
        default=25,
        validators=[MaxValueValidator(100)],
    )
    planning_horizon_months = models.PositiveSmallIntegerField(
        _("planning horizon (months)"),
        default=18,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(off_track_gap__gt=models.F("at_risk_gap")), name="policy_gaps_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"goal policy of {self.org_id}"


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class MeasurementImport(models.Model):
    """An uploaded CRM export: mapped, previewed, then written all-or-nothing by a job."""

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="measurement_imports"
    )
    goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.CASCADE, related_name="imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    encoding = models.CharField(max_length=20, blank=True)
    period_kind = models.CharField(
        max_length=5, choices=PeriodKind.choices, default=PeriodKind.MONTH
    )
    mapping = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent_done(self) -> int:
        if not self.total_rows:
            return 100 if self.status == ImportStatus.DONE else 0
        return int(100 * self.processed_rows / self.total_rows)
