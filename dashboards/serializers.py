"""API v1 serializers for strategy experiments (A/B tests) and their results, deviation alerts
and their rules, and KPI rollups.

Ids in a body are looked up inside the token's organisation: another organisation's id is
refused exactly like one that does not exist.
"""

import math
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from actionplans.selectors import people_of
from actionplans.serializers import MAX_ID, PERSON_ERRORS, ValueField
from feedback.models import Question
from goals.models import Kpi
from salesops.models import Role, Team
from salesops.models import User as UserModel

from .alert_templates import RULE_TEMPLATES
from .experiments import MAX_ROWS, MAX_TRIALS, MAX_VARIANTS
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
    ExperimentMetric,
    ExperimentStatus,
    KpiRollup,
    RollupLevel,
    RollupPeriod,
)
from .rollups import bucket_end
from .selectors import rollup_value


def _org(serializer: serializers.Field) -> Any:
    request = serializer.context.get("request")
    return getattr(getattr(request, "_request", None), "org", None)


class ExperimentSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    metric = ValueField(ExperimentMetric.choices, read_only=True)
    status = ValueField(ExperimentStatus.choices, read_only=True)
    planned_per_variant = serializers.IntegerField(
        read_only=True,
        help_text=_("Observations (trials for a conversion) each variant needs, from the design."),
    )

    class Meta:
        model = Experiment
        fields = [
            "id",
            "title",
            "hypothesis",
            "kpi",
            "team",
            "owner",
            "owner_name",
            "metric",
            "baseline",
            "minimum_effect",
            "alpha",
            "power",
            "planned_per_variant",
            "status",
            "started_on",
            "finished_on",
            "created_at",
        ]
        read_only_fields = fields


class ExperimentAnalysisSerializer(serializers.Serializer):
    """The variant's test against the control."""

    difference = serializers.FloatField(
        help_text=_(
            "Variant minus control: a difference of rates as a fraction (0.02 = two points) "
            "for a conversion, in the value's unit for a mean."
        )
    )
    ci_low = serializers.FloatField(help_text=_("Confidence interval of the difference, at 1 − α."))
    ci_high = serializers.FloatField()
    p_value = serializers.FloatField(help_text=_("Two-sided."))
    significant = serializers.BooleanField(help_text=_("p-value below α."))
    statistic = serializers.SerializerMethodField(
        help_text=_(
            "z (conversion) or Welch's t (mean); null when infinite (a certain difference)."
        )
    )
    df = serializers.FloatField(
        allow_null=True, help_text=_("Welch degrees of freedom; null for a conversion.")
    )
    more_needed_per_variant = serializers.IntegerField(
        allow_null=True,
        help_text=_(
            "When not significant: about how many more observations each variant needs to "
            "detect the smallest effect; null when that cannot be worked out."
        ),
    )

    def get_statistic(self, analysis: Any) -> float | None:
        return analysis.statistic if math.isfinite(analysis.statistic) else None


class ExperimentVariantSerializer(serializers.Serializer):
    """A variant with its totals; `analysis` is null for the control and while results lack."""

    id = serializers.IntegerField(source="variant.pk")
    name = serializers.CharField(source="variant.name")
    position = serializers.IntegerField(source="variant.position")
    is_control = serializers.BooleanField()
    trials = serializers.IntegerField(help_text=_("Conversion: trials so far."))
    successes = serializers.IntegerField(help_text=_("Conversion: successes so far."))
    rate = serializers.FloatField(
        allow_null=True, help_text=_("Conversion: successes ÷ trials, as a fraction.")
    )
    n = serializers.IntegerField(help_text=_("Mean: values so far."))
    mean = serializers.FloatField(allow_null=True)
    sd = serializers.FloatField(allow_null=True, help_text=_("Mean: sample standard deviation."))
    analysis = ExperimentAnalysisSerializer(allow_null=True)
    verdict = serializers.CharField(help_text=_("The result in words; empty for the control."))


class ExperimentDetailSerializer(ExperimentSerializer):
    variants = ExperimentVariantSerializer(many=True, source="detail_variants", read_only=True)

    class Meta(ExperimentSerializer.Meta):
        fields = [*ExperimentSerializer.Meta.fields, "variants"]
        read_only_fields = fields


class ExperimentWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    hypothesis = serializers.CharField()
    variants = serializers.ListField(
        child=serializers.CharField(max_length=80),
        max_length=MAX_VARIANTS,
        help_text=_("Two to six names, the control first."),
    )
    kpi = serializers.PrimaryKeyRelatedField(
        queryset=Kpi.objects.none(), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), required=False, allow_null=True
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=UserModel.objects.none(),
        required=False,
        error_messages=PERSON_ERRORS,
        help_text=_("The caller when left out."),
    )
    metric = ValueField(ExperimentMetric.choices)
    baseline = serializers.DecimalField(
        max_digits=14,
        decimal_places=4,
        help_text=_("Today's conversion rate in % (e.g. 20), or today's standard deviation."),
    )
    minimum_effect = serializers.DecimalField(
        max_digits=14,
        decimal_places=4,
        help_text=_("In percentage points for a conversion, in the value's unit for a mean."),
    )
    alpha = serializers.DecimalField(max_digits=4, decimal_places=3, required=False)
    power = serializers.DecimalField(max_digits=4, decimal_places=3, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = _org(self)
        if org is not None:
            self.fields["owner"].queryset = people_of(org)
            self.fields["team"].queryset = Team.objects.for_org(org).active()
            self.fields["kpi"].queryset = Kpi.objects.for_org(org).active()


class ExperimentFilterSerializer(serializers.Serializer):
    status = ValueField(ExperimentStatus.choices, required=False)


class ExperimentResultRowSerializer(serializers.Serializer):
    """One row: `trials` and `successes` for a conversion, `value` for a mean."""

    variant = serializers.CharField(max_length=80, help_text=_("The variant's name."))
    trials = serializers.IntegerField(required=False, min_value=1, max_value=MAX_TRIALS)
    successes = serializers.IntegerField(required=False, min_value=0, max_value=MAX_TRIALS)
    value = serializers.DecimalField(
        max_digits=18, decimal_places=4, required=False, allow_null=True
    )
    external_id = serializers.CharField(
        max_length=120,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Your id of the row: a row sent again with the same id is skipped."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        counts = "trials" in attrs or "successes" in attrs
        value = attrs.get("value") is not None
        if counts and value:
            raise serializers.ValidationError(
                _("Give trials and successes (conversion) or a value (mean), not both.")
            )
        if counts and not ("trials" in attrs and "successes" in attrs):
            raise serializers.ValidationError(_("Give both trials and successes."))
        if not counts and not value:
            raise serializers.ValidationError(
                _("Give trials and successes (conversion) or a value (mean).")
            )
        if counts and attrs["successes"] > attrs["trials"]:
            raise serializers.ValidationError(
                {"successes": [_("There cannot be more successes than trials.")]}
            )
        return attrs


class ExperimentResultsSerializer(serializers.Serializer):
    rows = ExperimentResultRowSerializer(many=True, allow_empty=False, max_length=MAX_ROWS)


class ExperimentResultsSavedSerializer(serializers.Serializer):
    added = serializers.IntegerField(help_text=_("Rows added."))
    skipped = serializers.IntegerField(help_text=_("Rows whose external id was already sent."))
    experiment = ExperimentDetailSerializer()


# --- deviation alerts -----------------------------------------------------------------------


class AlertRuleSerializer(serializers.ModelSerializer):
    subject = ValueField(AlertSubject.choices, read_only=True)
    period_kind = ValueField(RollupPeriod.choices, read_only=True)
    comparator = ValueField(AlertComparator.choices, read_only=True)
    scope = ValueField(AlertScope.choices, read_only=True)
    severity = ValueField(AlertSeverity.choices, read_only=True)
    recipient_roles = serializers.ListField(child=ValueField(Role.choices), read_only=True)
    channels = serializers.ListField(child=ValueField(AlertChannel.choices), read_only=True)
    teams = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    recipient_teams = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    recipient_people = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    open_alerts = serializers.IntegerField(
        read_only=True, help_text=_("Alerts of this rule still open or acknowledged.")
    )

    class Meta:
        model = AlertRule
        fields = [
            "id",
            "name",
            "action",
            "subject",
            "kpi",
            "question",
            "period_kind",
            "comparator",
            "threshold",
            "scope",
            "teams",
            "severity",
            "recipient_roles",
            "recipient_teams",
            "recipient_people",
            "channels",
            "is_active",
            "open_alerts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AlertRuleWriteSerializer(serializers.Serializer):
    """A rule as sent: the service checks what each subject needs (a KPI for `kpi`, a scored
    question for `pulse`, teams for the `teams` scope, at least one channel and recipient)."""

    name = serializers.CharField(max_length=160)
    action = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text=_("What to do, shown with every alert."),
    )
    subject = ValueField(AlertSubject.choices)
    kpi = serializers.PrimaryKeyRelatedField(
        queryset=Kpi.objects.none(), required=False, allow_null=True
    )
    question = serializers.PrimaryKeyRelatedField(
        queryset=Question.objects.none(), required=False, allow_null=True
    )
    period_kind = ValueField(RollupPeriod.choices, required=False)
    comparator = ValueField(AlertComparator.choices)
    threshold = serializers.DecimalField(max_digits=16, decimal_places=4)
    scope = ValueField(AlertScope.choices, required=False)
    teams = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), many=True, required=False
    )
    severity = ValueField(AlertSeverity.choices, required=False)
    recipient_roles = serializers.ListField(
        child=ValueField(Role.choices), required=False, max_length=len(Role.choices)
    )
    recipient_teams = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), many=True, required=False
    )
    recipient_people = serializers.PrimaryKeyRelatedField(
        queryset=UserModel.objects.none(),
        many=True,
        required=False,
        error_messages=PERSON_ERRORS,
    )
    channels = serializers.ListField(
        child=ValueField(AlertChannel.choices), required=False, max_length=len(AlertChannel.choices)
    )
    is_active = serializers.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = _org(self)
        if org is not None:
            self.fields["kpi"].queryset = Kpi.objects.for_org(org)
            self.fields["question"].queryset = Question.objects.filter(survey__org=org)
            teams = Team.objects.for_org(org)
            self.fields["teams"].child_relation.queryset = teams
            self.fields["recipient_teams"].child_relation.queryset = teams
            self.fields["recipient_people"].child_relation.queryset = people_of(org)


class AlertRuleTemplateSerializer(serializers.Serializer):
    template = serializers.ChoiceField(
        choices=[(template.key, template.name) for template in RULE_TEMPLATES],
        help_text=_("Create the rule from a ready-made template instead of the fields."),
    )


class AlertSeriesPointSerializer(serializers.Serializer):
    label = serializers.CharField()
    period_start = serializers.CharField(help_text=_("YYYY-MM-DD"))
    value = serializers.FloatField(allow_null=True)


class AlertDataSerializer(serializers.Serializer):
    """What lies behind an alert, as its evaluation recorded it. Some subjects add keys of
    their own (milestones: `done` and `due` or `overdue`; KPIs: `kpi_id` and `level`)."""

    unit = serializers.CharField(
        help_text=_(
            "A KPI's unit (count, currency, percent, days, hours, ratio), or points (goal gap), "
            "score or enps (pulse)."
        )
    )
    series = AlertSeriesPointSerializer(many=True, help_text=_("Recent periods, oldest first."))
    rows = serializers.ListField(
        child=serializers.DictField(), help_text=_("The goals or milestones behind the value.")
    )
    explanation = serializers.CharField()


@extend_schema_field(AlertDataSerializer)
class AlertDataField(serializers.JSONField):
    """The alert's data as stored, always an object with at least the documented keys."""

    def to_representation(self, value: Any) -> Any:
        data = dict(value) if isinstance(value, dict) else {}
        data.setdefault("unit", "")
        data.setdefault("series", [])
        data.setdefault("rows", [])
        data.setdefault("explanation", "")
        return data


class AlertSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True)
    period_kind = ValueField(RollupPeriod.choices, read_only=True)
    period_end = serializers.SerializerMethodField()
    severity = ValueField(AlertSeverity.choices, read_only=True)
    comparator = ValueField(AlertComparator.choices, read_only=True)
    state = ValueField(AlertState.choices, read_only=True)
    unit = serializers.SerializerMethodField()
    value = serializers.DecimalField(
        max_digits=20,
        decimal_places=4,
        read_only=True,
        help_text=_("The value when the alert was opened."),
    )
    last_value = serializers.DecimalField(
        max_digits=20,
        decimal_places=4,
        read_only=True,
        allow_null=True,
        help_text=_("The latest value while the deviation lasts."),
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "rule_name",
            "subject_key",
            "subject_label",
            "team",
            "team_name",
            "goal",
            "period_kind",
            "period_start",
            "period_end",
            "severity",
            "comparator",
            "threshold",
            "value",
            "last_value",
            "unit",
            "state",
            "opened_at",
            "acknowledged_by",
            "acknowledged_at",
            "resolved_by",
            "resolved_at",
            "resolution_note",
            "auto_resolved",
        ]
        read_only_fields = fields

    def get_period_end(self, alert: Alert) -> date:
        return bucket_end(alert.period_start, alert.period_kind)

    def get_unit(self, alert: Alert) -> str:
        data = alert.data if isinstance(alert.data, dict) else {}
        return str(data.get("unit") or "")


class AlertDetailSerializer(AlertSerializer):
    action = serializers.CharField(
        source="rule.action", read_only=True, help_text=_("The rule's “what to do”.")
    )
    data = AlertDataField(read_only=True)

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "action", "data"]
        read_only_fields = fields


class AlertFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[*AlertState.choices, ("active", _("Open or acknowledged"))],
        required=False,
        help_text=_("`active`: open or acknowledged. All states when left out."),
    )
    severity = ValueField(AlertSeverity.choices, required=False)
    team = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    rule = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class AlertResolveSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=4000, help_text=_("What was found and what was done (required).")
    )


# --- KPI rollups ----------------------------------------------------------------------------


class RollupFilterSerializer(serializers.Serializer):
    kpi = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text=_("The KPI (required).")
    )
    level = ValueField(RollupLevel.choices, required=False, default=RollupLevel.ORG)
    team = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    owner = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    period_kind = ValueField(RollupPeriod.choices, required=False, default=RollupPeriod.MONTH)
    from_ = serializers.DateField(
        required=False, help_text=_("Periods starting on or after this day.")
    )
    to = serializers.DateField(
        required=False, help_text=_("Periods starting on or before this day.")
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # "from" is a Python keyword: declared as from_, sent and read as "from".
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        first, last = attrs.get("from"), attrs.get("to")
        if first is not None and last is not None and first > last:
            raise serializers.ValidationError({"to": [_("The end is before the start.")]})
        return attrs


class RollupSerializer(serializers.Serializer):
    period_kind = ValueField(RollupPeriod.choices)
    period_start = serializers.DateField()
    period_end = serializers.SerializerMethodField()
    level = ValueField(RollupLevel.choices)
    team = serializers.IntegerField(source="team_id", allow_null=True)
    team_name = serializers.CharField(source="team.name", allow_null=True, default=None)
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    owner_name = serializers.CharField(source="owner.display_name", allow_null=True, default=None)
    value = serializers.SerializerMethodField(
        help_text=_(
            "The KPI over the period: the sum, the mean, the last value, or Σnumerator ÷ "
            "Σdenominator (× 100 for percentages) for a ratio. Null without data."
        )
    )
    total = serializers.DecimalField(max_digits=20, decimal_places=4)
    count = serializers.IntegerField(help_text=_("Measurements in the period."))
    numerator = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    denominator = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)

    def get_period_end(self, row: KpiRollup) -> date:
        return bucket_end(row.period_start, row.period_kind)

    def get_value(self, row: KpiRollup) -> float | None:
        return rollup_value(kpi=self.context["kpi"], row=row)
