from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from salesops.models import Team

from .models import CheckIn, Goal, GoalLevel, Kpi, Measurement, PeriodKind
from .services.goals import EDITABLE_FIELDS

User = get_user_model()


def _org(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return getattr(getattr(request, "_request", None), "org", None)


class KpiSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)
    numerator = serializers.PrimaryKeyRelatedField(
        queryset=Kpi.objects.none(), allow_null=True, required=False
    )
    denominator = serializers.PrimaryKeyRelatedField(
        queryset=Kpi.objects.none(), allow_null=True, required=False
    )
    owning_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), allow_null=True, required=False
    )

    class Meta:
        model = Kpi
        fields = [
            "id",
            "key",
            "name",
            "display_name",
            "description",
            "unit",
            "direction",
            "aggregation",
            "numerator",
            "denominator",
            "owning_team",
            "archived_at",
        ]
        read_only_fields = ["id", "key", "display_name", "archived_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = _org(self)
        if org is not None:
            self.fields["numerator"].queryset = Kpi.objects.for_org(org).active()
            self.fields["denominator"].queryset = Kpi.objects.for_org(org).active()
            self.fields["owning_team"].queryset = Team.objects.for_org(org).active()


class GoalFieldsMixin(serializers.Serializer):
    """Org-scoped relations of a goal; a foreign id is refused like a missing one."""

    def scope_fields(self) -> None:
        org = _org(self)
        if org is None:
            return
        self.fields["kpi"].queryset = Kpi.objects.for_org(org).active()
        self.fields["team"].queryset = Team.objects.for_org(org).active()
        self.fields["owner"].queryset = User.objects.filter(
            memberships__org=org, memberships__is_active=True
        )
        self.fields["parent"].queryset = Goal.objects.for_org(org)


class GoalMetricsSerializer(serializers.Serializer):
    actual = serializers.FloatField(allow_null=True)
    progress = serializers.FloatField(allow_null=True)
    expected = serializers.FloatField()
    forecast = serializers.FloatField(allow_null=True)
    health = serializers.CharField()


class GoalSerializer(GoalFieldsMixin, serializers.ModelSerializer):
    kpi = serializers.PrimaryKeyRelatedField(queryset=Kpi.objects.none())
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), allow_null=True, required=False
    )
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), required=False)
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Goal.objects.none(), allow_null=True, required=False
    )
    metrics = serializers.SerializerMethodField()
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True)

    class Meta:
        model = Goal
        fields = [
            "id",
            *EDITABLE_FIELDS,
            "status",
            "activation_reason",
            "created_at",
            "metrics",
            "reason",
        ]
        read_only_fields = ["id", "status", "activation_reason", "created_at", "metrics"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope_fields()

    @extend_schema_field(GoalMetricsSerializer(allow_null=True))
    def get_metrics(self, goal: Goal) -> dict[str, Any] | None:
        metrics = self.context.get("metrics", {}).get(goal.pk)
        if metrics is None:
            return None
        return {
            "actual": metrics.actual,
            "progress": metrics.progress,
            "expected": metrics.expected,
            "forecast": metrics.forecast,
            "health": metrics.health,
        }


class SmartCheckSerializer(GoalFieldsMixin, serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, default="")
    statement = serializers.CharField(required=False, allow_blank=True, default="")
    scope_channel = serializers.CharField(required=False, allow_blank=True, default="")
    scope_product = serializers.CharField(required=False, allow_blank=True, default="")
    scope_segment = serializers.CharField(required=False, allow_blank=True, default="")
    kpi = serializers.PrimaryKeyRelatedField(
        queryset=Kpi.objects.none(), required=False, allow_null=True
    )
    baseline = serializers.DecimalField(
        max_digits=16, decimal_places=4, required=False, allow_null=True
    )
    target = serializers.DecimalField(
        max_digits=16, decimal_places=4, required=False, allow_null=True
    )
    start_date = serializers.DateField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    level = serializers.ChoiceField(
        choices=GoalLevel.choices, required=False, default=GoalLevel.TEAM
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), required=False, allow_null=True
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, allow_null=True
    )
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Goal.objects.none(), required=False, allow_null=True
    )
    contribution = serializers.CharField(required=False, allow_blank=True, default="")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope_fields()


class CriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    level = serializers.ChoiceField(choices=["pass", "warn", "fail"])
    message = serializers.CharField()


class SmartReportSerializer(serializers.Serializer):
    criteria = CriterionSerializer(many=True)
    blocking = serializers.BooleanField()
    needs_reason = serializers.BooleanField()
    baseline_suggestion = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)


class ActivateSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CloseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["achieved", "missed", "cancelled"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class MeasurementSerializer(serializers.ModelSerializer):
    kpi = serializers.PrimaryKeyRelatedField(queryset=Kpi.objects.none())
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), allow_null=True, required=False
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), allow_null=True, required=False
    )
    date = serializers.DateField(
        write_only=True, help_text="Any day in the period; stored as the period's start."
    )

    class Meta:
        model = Measurement
        fields = [
            "id",
            "kpi",
            "team",
            "owner",
            "period_kind",
            "period_start",
            "date",
            "value",
            "source",
            "external_id",
            "updated_at",
        ]
        read_only_fields = ["id", "period_start", "source", "external_id", "updated_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = _org(self)
        if org is not None:
            self.fields["kpi"].queryset = Kpi.objects.for_org(org).active()
            self.fields["team"].queryset = Team.objects.for_org(org).active()
            self.fields["owner"].queryset = User.objects.filter(
                memberships__org=org, memberships__is_active=True
            )


class BulkRowSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=120)
    kpi = serializers.CharField(help_text="KPI id, built-in key (e.g. new_leads) or name.")
    team = serializers.CharField(required=False, allow_blank=True, help_text="Team id or name.")
    owner = serializers.CharField(
        required=False, allow_blank=True, help_text="Owner's email or user id."
    )
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices, default=PeriodKind.MONTH)
    date = serializers.DateField()
    value = serializers.DecimalField(max_digits=18, decimal_places=4)


class BulkSerializer(serializers.Serializer):
    rows = BulkRowSerializer(many=True, help_text="At most 5,000 rows.")


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class CheckInSerializer(serializers.ModelSerializer):
    goal = serializers.PrimaryKeyRelatedField(queryset=Goal.objects.none())
    author = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = CheckIn
        fields = ["id", "goal", "week_start", "confidence", "note", "author", "created_at"]
        read_only_fields = ["id", "week_start", "author", "created_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = _org(self)
        if org is not None:
            self.fields["goal"].queryset = Goal.objects.for_org(org)
