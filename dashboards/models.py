"""Rollups of KPI measurements and daily goal snapshots, computed by Celery so that dashboards
read small tables however much history an organisation has."""

from django.db import models
from django.utils.translation import gettext_lazy as _

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
