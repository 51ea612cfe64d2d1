"""API v1 serializers for strategy experiments (A/B tests) and their results.

Ids in a body are looked up inside the token's organisation: another organisation's id is
refused exactly like one that does not exist.
"""

import math
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from actionplans.selectors import people_of
from actionplans.serializers import PERSON_ERRORS, ValueField
from goals.models import Kpi
from salesops.models import Team
from salesops.models import User as UserModel

from .experiments import MAX_ROWS, MAX_TRIALS, MAX_VARIANTS
from .models import Experiment, ExperimentMetric, ExperimentStatus


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
