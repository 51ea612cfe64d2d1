"""Rollups of KPI measurements and daily goal snapshots, computed by Celery so that dashboards
read small tables however much history an organisation has."""

from typing import Any

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


def _derived_reference(to: Any, **options: Any) -> Any:
    """A reference from derived data: deleted with what it refers to (by Django), with no
    database constraint or index of its own to maintain on every write."""
    return models.ForeignKey(
        to, on_delete=models.CASCADE, db_constraint=False, db_index=False, **options
    )


class KpiRollup(models.Model):
    """One KPI over one week, month or fiscal quarter, for a team × owner, a team, or the org.

    `total`/`count` aggregate the measurements whose period starts in the bucket; `last_day`/
    `last_value` serve "last value" KPIs; ratio KPIs carry their parts' sums in `numerator`
    and `denominator` (their value is always Σnumerator ÷ Σdenominator).

    Rollups are derived data, rebuilt from the measurements at any time, and written in bulk:
    their references carry no database constraint or index of their own (deleting an
    organisation, KPI, team or person still deletes their rollups, through Django), so that a
    write touches only the table, its key and the bucket index. On PostgreSQL the table keeps
    free space in each page (fill factor 70), so that recomputed rows are updated in place.
    """

    org = _derived_reference(Organization, related_name="+")
    kpi = _derived_reference("goals.Kpi", related_name="rollups")
    level = models.CharField(max_length=6, choices=RollupLevel.choices)
    team = _derived_reference(Team, null=True, blank=True, related_name="+")
    owner = _derived_reference("salesops.User", null=True, blank=True, related_name="+")
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
            # Bucket first: one bucket's rows are neighbours in the index (and, as the rollup
            # writes them in this order, in the table), so recomputing a bucket reads and
            # writes a few pages rather than one page per row.
            models.UniqueConstraint(
                "kpi",
                "period_kind",
                "period_start",
                "level",
                "team_key",
                "owner_key",
                name="one_rollup_per_bucket_and_scope",
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


# --- deviation alerts ---------------------------------------------------------------------


class AlertSubject(models.TextChoices):
    KPI = "kpi", _("A KPI's rollup")
    LEAD_RESPONSE = "lead_response", _("Lead response time")
    CROSS_DEPT = "cross_dept", _("Cross-department task completion rate")
    GOAL_GAP = "goal_gap", _("A goal's gap to its expected progress")
    MILESTONE_COMPLETION = "milestone_completion", _("Milestone completion rate")
    MILESTONES_OVERDUE = "milestones_overdue", _("Overdue milestones")
    PULSE = "pulse", _("A pulse-survey question")


class AlertComparator(models.TextChoices):
    BELOW = "below", _("below")
    ABOVE = "above", _("above")


class AlertScope(models.TextChoices):
    ORG = "org", _("The whole organisation")
    TEAMS = "teams", _("Chosen teams")


class AlertSeverity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class AlertChannel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Team chat webhooks")


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class AlertRule(models.Model):
    """What to watch, when it counts as a deviation, and whom to tell.

    The subject says what is measured (a KPI rollup, a goal's gap, milestones, a pulse question);
    `comparator` and `threshold` say when a value deviates; the scope says for which teams.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(_("name"), max_length=160)
    action = models.CharField(
        _("what to do"),
        max_length=300,
        blank=True,
        help_text=_("Shown with every alert of this rule, e.g. “investigate”."),
    )
    subject = models.CharField(_("watch"), max_length=24, choices=AlertSubject.choices)
    kpi = models.ForeignKey(
        "goals.Kpi",
        verbose_name=_("KPI"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_rules",
    )
    question = models.ForeignKey(
        "feedback.Question",
        verbose_name=_("survey question"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_rules",
    )
    period_kind = models.CharField(
        _("period"), max_length=7, choices=RollupPeriod.choices, default=RollupPeriod.WEEK
    )
    comparator = models.CharField(
        _("when the value is"), max_length=5, choices=AlertComparator.choices
    )
    threshold = models.DecimalField(_("threshold"), max_digits=16, decimal_places=4)
    scope = models.CharField(
        _("scope"), max_length=5, choices=AlertScope.choices, default=AlertScope.ORG
    )
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True, related_name="+")
    severity = models.CharField(
        _("severity"), max_length=8, choices=AlertSeverity.choices, default=AlertSeverity.WARNING
    )
    recipient_roles = models.JSONField(_("roles to tell"), default=list, blank=True)
    recipient_teams = models.ManyToManyField(
        Team, verbose_name=_("teams to tell"), blank=True, related_name="+"
    )
    recipient_people = models.ManyToManyField(
        "salesops.User", verbose_name=_("people to tell"), blank=True, related_name="+"
    )
    channels = models.JSONField(_("channels"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        "salesops.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(
        excluded_fields=["updated_at"], m2m_fields=[teams, recipient_teams, recipient_people]
    )
    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """One deviation: a rule's subject (the org, a team, a goal) outside its threshold in one
    period. Unique per (rule, subject, period), so a rerun, a retry or a second worker finds the
    row and neither creates it again nor notifies again."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="alerts")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    # "org", "team:<id>" or "goal:<id>"; see dashboards.deviation.subject_key.
    subject_key = models.CharField(max_length=40)
    subject_label = models.CharField(max_length=240)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    goal = models.ForeignKey(
        "goals.Goal", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    period_kind = models.CharField(max_length=7, choices=RollupPeriod.choices)
    period_start = models.DateField()
    severity = models.CharField(max_length=8, choices=AlertSeverity.choices)
    comparator = models.CharField(max_length=5, choices=AlertComparator.choices)
    threshold = models.DecimalField(max_digits=16, decimal_places=4)
    value = models.DecimalField(max_digits=20, decimal_places=4)
    last_value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=12, choices=AlertState.choices, default=AlertState.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        "salesops.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "salesops.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    auto_resolved = models.BooleanField(default=False)

    history = HistoricalRecords(excluded_fields=["data", "last_value"])
    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                "rule", "subject_key", "period_start", name="one_alert_per_rule_subject_period"
            ),
        ]
        indexes = [
            models.Index(fields=["org", "state", "severity"]),
            models.Index(fields=["org", "team", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.subject_key} {self.period_start}"


# --- review meetings and the leadership digest ---------------------------------------------


class ReviewPeriod(models.TextChoices):
    WEEK = "week", _("Weekly review")
    MONTH = "month", _("Monthly review")


class ReviewMeeting(models.Model):
    """A team's weekly or monthly review: the pack is assembled live; what the meeting decided
    is kept here."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="review_meetings")
    period_kind = models.CharField(max_length=5, choices=ReviewPeriod.choices)
    period_start = models.DateField()
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        "salesops.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("review meeting")
        verbose_name_plural = _("review meetings")
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.UniqueConstraint(
                "team", "period_kind", "period_start", name="one_review_per_team_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.period_kind} {self.period_start}"


class ReviewItemKind(models.TextChoices):
    DECISION = "decision", _("Decision")
    ACTION = "action", _("Follow-up action")


class ReviewItem(models.Model):
    """A decision the review meeting took, or a follow-up action with an owner and a due date,
    optionally linked to an action plan."""

    meeting = models.ForeignKey(ReviewMeeting, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=8, choices=ReviewItemKind.choices)
    text = models.TextField(_("text"))
    owner = models.ForeignKey(
        "salesops.User",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    plan = models.ForeignKey(
        "actionplans.ActionPlan",
        verbose_name=_("action plan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_items",
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "salesops.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class LeadershipDigest(models.Model):
    """The Monday digest of one organisation and week; the row is the claim that sends it once."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("org", "week_start", name="one_leadership_digest_a_week"),
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.week_start}"
