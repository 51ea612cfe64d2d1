"""Rollups of KPI measurements and daily goal snapshots, computed by Celery so that dashboards
read small tables however much history an organisation has."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.models import Organization, Team
from salesops.models.tenancy import OrgScopedQuerySet


class RollupLevel(models.TextChoices):
    DETAIL = "detail", _("Team and owner")
    TEAM = "team", _("Team total")
    ORG = "org", _("Organisation total")


class RollupPeriod(models.TextChoices):
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class KpiRollup(models.Model):
    """One KPI over one week, month or fiscal quarter, for a team × owner, a team, or the org.

    `total`/`count` aggregate the measurements whose period starts in the bucket; `last_day`/
    `last_value` serve "last value" KPIs; ratio KPIs carry their parts' sums in `numerator`
    and `denominator` (their value is always Σnumerator ÷ Σdenominator).
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kpi = models.ForeignKey("goals.Kpi", on_delete=models.CASCADE, related_name="rollups")
    level = models.CharField(max_length=6, choices=RollupLevel.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    owner = models.ForeignKey(
        "salesops.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The team and owner again as plain numbers (0 for none), so the key is unique on every
    # database: a NULL never equals another NULL in a unique index.
    team_key = models.BigIntegerField(default=0)
    owner_key = models.BigIntegerField(default=0)
    period_kind = models.CharField(max_length=7, choices=RollupPeriod.choices)
    period_start = models.DateField()
    total = models.DecimalField(max_digits=20, decimal_places=4, default=0)
    count = models.PositiveIntegerField(default=0)
    last_day = models.DateField(null=True, blank=True)
    last_value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    numerator = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    denominator = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("KPI rollup")
        verbose_name_plural = _("KPI rollups")
        constraints = [
            models.UniqueConstraint(
                "kpi",
                "level",
                "team_key",
                "owner_key",
                "period_kind",
                "period_start",
                name="one_rollup_per_kpi_scope_period",
            ),
        ]
        indexes = [models.Index(fields=["org", "kpi", "period_kind", "level", "period_start"])]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.level} {self.period_kind} {self.period_start}"


class RollupState(models.Model):
    """Per organisation: whether rollups were ever built, and the row the job locks."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    built_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rollups of {self.org_id}"


class GoalSnapshot(models.Model):
    """A goal's progress, expected progress, forecast and status on one day, for trend charts."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    goal = models.ForeignKey("goals.Goal", on_delete=models.CASCADE, related_name="snapshots")
    day = models.DateField()
    actual = models.FloatField(null=True)
    progress = models.FloatField(null=True)
    expected = models.FloatField()
    forecast = models.FloatField(null=True)
    status = models.CharField(max_length=12)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint("goal", "day", name="one_goal_snapshot_a_day"),
        ]
        indexes = [models.Index(fields=["org", "day"])]

    def __str__(self) -> str:
        return f"{self.goal_id} @ {self.day}"


class ExperimentMetric(models.TextChoices):
    CONVERSION = "conversion", _("Conversion (successes ÷ trials)")
    MEAN = "mean", _("Mean value")


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")


class Experiment(models.Model):
    """A strategy A/B test: variants compared on a conversion or a mean value."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="experiments")
    title = models.CharField(_("title"), max_length=200)
    hypothesis = models.TextField(_("hypothesis"))
    kpi = models.ForeignKey(
        "goals.Kpi",
        verbose_name=_("KPI"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner = models.ForeignKey(
        "salesops.User", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    metric = models.CharField(_("measured as"), max_length=12, choices=ExperimentMetric.choices)
    baseline = models.DecimalField(
        _("baseline"),
        max_digits=14,
        decimal_places=4,
        help_text=_("Today's conversion rate in % (e.g. 20), or today's standard deviation."),
    )
    minimum_effect = models.DecimalField(
        _("smallest effect worth detecting"),
        max_digits=14,
        decimal_places=4,
        help_text=_("In percentage points for a conversion, in the value's unit for a mean."),
    )
    alpha = models.DecimalField(
        _("significance level"), max_digits=4, decimal_places=3, default=0.05
    )
    power = models.DecimalField(_("power"), max_digits=4, decimal_places=3, default=0.8)
    planned_per_variant = models.PositiveIntegerField(_("planned sample per variant"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=ExperimentStatus.choices, default=ExperimentStatus.DRAFT
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    finished_on = models.DateField(_("finished on"), null=True, blank=True)
    created_by = models.ForeignKey(
        "salesops.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("experiment")
        verbose_name_plural = _("experiments")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class Variant(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(_("variant"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint("experiment", "name", name="variant_names_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Observation(models.Model):
    """Results for a variant: a batch of trials with its successes, or one measured value."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="observations")
    trials = models.PositiveIntegerField(default=0)
    successes = models.PositiveIntegerField(default=0)
    value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    external_id = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        "salesops.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(successes__lte=models.F("trials")), name="successes_within_trials"
            ),
            models.UniqueConstraint(
                "variant",
                "external_id",
                condition=~Q(external_id=""),
                name="observation_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}: {self.trials}/{self.successes}/{self.value}"
