from typing import Any

from rest_framework import serializers

from goals.models import Goal
from salesops.models import Membership, Team

from .blueprints import BLUEPRINTS
from .models import ActivityState, RaciActivity, RaciMatrix


def _org(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return getattr(getattr(request, "_request", None), "org", None)


class IssueSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["error", "warning"])
    code = serializers.CharField()
    message = serializers.CharField()
    activity_id = serializers.IntegerField(allow_null=True)
    participant_id = serializers.IntegerField(allow_null=True)


class ValidationSerializer(serializers.Serializer):
    is_publishable = serializers.BooleanField()
    issues = IssueSerializer(many=True)


class ActivitySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    phase = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    position = serializers.IntegerField(read_only=True)
    state = serializers.CharField(read_only=True)


class ParticipantSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    membership = serializers.PrimaryKeyRelatedField(
        queryset=Membership.objects.none(), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), required=False, allow_null=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = _org(self)
        if org is not None:
            self.fields["membership"].queryset = Membership.objects.for_org(org).active()
            self.fields["team"].queryset = Team.objects.for_org(org).active()


class CellSerializer(serializers.Serializer):
    activity = serializers.IntegerField()
    participant = serializers.IntegerField()
    letters = serializers.CharField(
        allow_blank=True, help_text="R, A, C, I, A/R, or empty to clear."
    )


class MatrixSerializer(serializers.ModelSerializer):
    goal = serializers.PrimaryKeyRelatedField(
        queryset=Goal.objects.none(), required=False, allow_null=True
    )
    blueprint = serializers.ChoiceField(
        choices=[b.key for b in BLUEPRINTS],
        required=False,
        write_only=True,
        help_text="Start from a template.",
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class Meta:
        model = RaciMatrix
        fields = ["id", "title", "description", "goal", "status", "published_at", "blueprint"]
        read_only_fields = ["id", "status", "published_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = _org(self)
        if org is not None:
            self.fields["goal"].queryset = Goal.objects.for_org(org)


class MatrixDetailSerializer(MatrixSerializer):
    activities = ActivitySerializer(many=True, read_only=True)
    participants = ParticipantSerializer(many=True, read_only=True)
    cells = serializers.ListField(child=CellSerializer(), read_only=True)
    validation = ValidationSerializer(read_only=True)

    class Meta(MatrixSerializer.Meta):
        fields = [
            *MatrixSerializer.Meta.fields,
            "activities",
            "participants",
            "cells",
            "validation",
        ]


class ActivityStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ActivityState.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class StatementSerializer(serializers.Serializer):
    team = serializers.CharField(source="team.name", read_only=True)
    author = serializers.CharField(source="author.display_name", read_only=True)
    body = serializers.CharField()
    created_at = serializers.DateTimeField(read_only=True)


class DisputeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    subject = serializers.CharField(max_length=200)
    party_a = serializers.PrimaryKeyRelatedField(queryset=Team.objects.none())
    party_b = serializers.PrimaryKeyRelatedField(queryset=Team.objects.none())
    activity = serializers.PrimaryKeyRelatedField(
        queryset=RaciActivity.objects.none(), required=False, allow_null=True
    )
    statement = serializers.CharField(write_only=True)
    status = serializers.CharField(read_only=True)
    arbitrator = serializers.CharField(source="arbitrator.display_name", read_only=True)
    due_at = serializers.DateTimeField(read_only=True)
    escalated_at = serializers.DateTimeField(read_only=True)
    decision = serializers.CharField(read_only=True)
    decided_at = serializers.DateTimeField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    statements = StatementSerializer(many=True, read_only=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = _org(self)
        if org is not None:
            self.fields["party_a"].queryset = Team.objects.for_org(org).active()
            self.fields["party_b"].queryset = Team.objects.for_org(org).active()
            self.fields["activity"].queryset = RaciActivity.objects.filter(matrix__org=org)


class DecisionChangeSerializer(serializers.Serializer):
    participant = serializers.IntegerField()
    letters = serializers.CharField(allow_blank=True)


class DecisionSerializer(serializers.Serializer):
    decision = serializers.CharField()
    changes = DecisionChangeSerializer(many=True, required=False, default=list)
