"""API v1 serializers for action plans, milestones and their weekly updates, resources, risks
and blockers.

Every id in a body is looked up inside the token's organisation: another organisation's id is
refused exactly like one that does not exist.
"""

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from goals.models import Goal, Kpi
from raci.models import RaciActivity, RaciMatrix
from salesops.models import Team

from .blueprints import BLUEPRINTS
from .models import (
    ActionPlan,
    Blocker,
    BlockerStatus,
    Comparator,
    Milestone,
    MilestoneStatus,
    MilestoneUpdate,
    PlanStatus,
    Resource,
    ResourceKind,
    Risk,
    RiskStatus,
    StandupEntry,
    ThresholdBasis,
    TriggerKind,
    TriggerPeriod,
)
from .selectors import people_of

User = get_user_model()


def _org(serializer: serializers.Field) -> Any:
    request = serializer.context.get("request")
    return getattr(getattr(request, "_request", None), "org", None)


def reason_field(help_text: Any) -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, max_length=2000, write_only=True, help_text=help_text
    )


@extend_schema_field(OpenApiTypes.STR)
class ValueField(serializers.ChoiceField):
    """A choice, documented as a string listing its values.

    Plain strings rather than named enums: status and kind choice sets of other apps already
    use these property names in the schema.
    """

    def __init__(self, choices: Any, **kwargs: Any) -> None:
        values = ", ".join(f"`{value}`" for value, _label in choices)
        kwargs.setdefault("help_text", format_lazy(_("One of {values}."), values=values))
        super().__init__(choices, **kwargs)


def _scope(fields: Any, querysets: dict[str, Any]) -> None:
    """Point each relation at the organisation's own objects."""
    for name, queryset in querysets.items():
        field = fields.get(name)
        if field is None:
            continue
        target = getattr(field, "child_relation", field)
        target.queryset = queryset


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def _date_field(**kwargs: Any) -> serializers.DateField:
    """A date within reach of week arithmetic (a template's weeks are added to it)."""
    message = _("Give a date between 1900 and 2999.")
    validators = [
        MinValueValidator(FIRST_DAY, message=message),
        MaxValueValidator(LAST_DAY, message=message),
    ]
    return serializers.DateField(validators=validators, **kwargs)


PERSON_ERRORS: dict[str, Any] = {
    "does_not_exist": _("Choose an active member of this organisation.")
}


# --- plans --------------------------------------------------------------------------------


class BudgetKindSerializer(serializers.Serializer):
    kind = ValueField(ResourceKind.choices)
    planned = serializers.DecimalField(max_digits=16, decimal_places=2)
    actual = serializers.DecimalField(max_digits=16, decimal_places=2)


class BudgetSerializer(serializers.Serializer):
    planned = serializers.DecimalField(max_digits=16, decimal_places=2)
    actual = serializers.DecimalField(max_digits=16, decimal_places=2)
    remaining = serializers.DecimalField(max_digits=16, decimal_places=2)
    over = serializers.BooleanField(help_text=_("More spent than planned."))
    used_percent = serializers.IntegerField(allow_null=True)
    by_kind = BudgetKindSerializer(many=True)


class PlanSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    goals = serializers.ManyRelatedField(
        child_relation=serializers.PrimaryKeyRelatedField(read_only=True), read_only=True
    )
    status = ValueField(PlanStatus.choices, read_only=True)
    blueprint = serializers.CharField(
        read_only=True, help_text=_("The template it was started from, if any.")
    )
    milestone_count = serializers.IntegerField(
        read_only=True, help_text=_("Live milestones (dormant Plan B ones not counted).")
    )
    done_count = serializers.IntegerField(read_only=True)
    open_blockers = serializers.IntegerField(read_only=True)

    class Meta:
        model = ActionPlan
        fields = [
            "id",
            "title",
            "description",
            "goals",
            "owner",
            "owner_name",
            "team",
            "start_date",
            "end_date",
            "status",
            "raci_matrix",
            "blueprint",
            "milestone_count",
            "done_count",
            "open_blockers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PlanWriteSerializer(serializers.Serializer):
    """Create (empty, or from a template with `blueprint`) and change a plan."""

    blueprint = ValueField(
        [(b.key, b.title) for b in BLUEPRINTS],
        required=False,
        allow_blank=True,
        default="",
        help_text=format_lazy(
            _(
                "Start from a template: its milestones, resources and risk come with it. "
                "One of {values}. Only when creating."
            ),
            values=", ".join(f"`{b.key}`" for b in BLUEPRINTS),
        ),
    )
    title = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=_("Needed for an empty plan; a template gives its own when left empty."),
    )
    description = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), error_messages=PERSON_ERRORS
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), required=False, allow_null=True
    )
    goals = serializers.PrimaryKeyRelatedField(
        queryset=Goal.objects.none(), many=True, required=False
    )
    raci_matrix = serializers.PrimaryKeyRelatedField(
        queryset=RaciMatrix.objects.none(), required=False, allow_null=True
    )
    start_date = _date_field()
    end_date = _date_field(
        required=False,
        allow_null=True,
        help_text=_("Needed for an empty plan; a template sets it from its length."),
    )
    status = ValueField(PlanStatus.choices, required=False)
    reason = reason_field(_("Why it changed, kept in the plan's history. Only when changing."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = _org(self)
        if org is not None:
            _scope(
                self.fields,
                {
                    "owner": people_of(org),
                    "team": Team.objects.for_org(org).active(),
                    "goals": Goal.objects.for_org(org).exclude(status="cancelled"),
                    "raci_matrix": RaciMatrix.objects.for_org(org),
                },
            )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.partial:
            if attrs.get("blueprint"):
                raise serializers.ValidationError(
                    {"blueprint": [_("A plan's template is chosen when it is created.")]}
                )
            attrs.pop("blueprint", None)
            return attrs
        if not attrs.get("blueprint"):
            errors: dict[str, list[Any]] = {}
            if not (attrs.get("title") or "").strip():
                errors["title"] = [_("Give the plan a title.")]
            if not attrs.get("end_date"):
                errors["end_date"] = [_("Give the end date.")]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


# --- milestones ---------------------------------------------------------------------------


class MilestoneSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    status = ValueField(MilestoneStatus.choices, read_only=True)
    depends_on = serializers.ManyRelatedField(
        child_relation=serializers.PrimaryKeyRelatedField(read_only=True), read_only=True
    )
    open_blockers = serializers.IntegerField(read_only=True)
    updated_this_week = serializers.BooleanField(
        read_only=True, help_text=_("Whether it has had its weekly update this week.")
    )

    class Meta:
        model = Milestone
        fields = [
            "id",
            "plan",
            "title",
            "deliverable",
            "owner",
            "owner_name",
            "start_week",
            "due_week",
            "status",
            "progress",
            "position",
            "depends_on",
            "raci_activity",
            "contingency_for",
            "is_dormant",
            "completed_at",
            "open_blockers",
            "updated_this_week",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MilestoneWriteSerializer(serializers.Serializer):
    """Add or change a milestone. Weeks may be any day; they are stored as that week's Monday."""

    plan = serializers.PrimaryKeyRelatedField(
        queryset=ActionPlan.objects.none(), help_text=_("Only when adding.")
    )
    title = serializers.CharField(max_length=200)
    deliverable = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), error_messages=PERSON_ERRORS
    )
    start_week = _date_field(required=False, allow_null=True, help_text=_("Empty: the due week."))
    due_week = _date_field()
    depends_on = serializers.PrimaryKeyRelatedField(
        queryset=Milestone.objects.none(),
        many=True,
        required=False,
        help_text=_("Milestones of the same plan that come before it."),
    )
    raci_activity = serializers.PrimaryKeyRelatedField(
        queryset=RaciActivity.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("Blockers go to this activity's Accountable person."),
    )
    reason = reason_field(_("Why it changed, kept in the milestone's history. Only when changing."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = _org(self)
        if org is not None:
            _scope(
                self.fields,
                {
                    "plan": ActionPlan.objects.for_org(org),
                    "owner": people_of(org),
                    "depends_on": Milestone.objects.filter(plan__org=org),
                    "raci_activity": RaciActivity.objects.filter(matrix__org=org),
                },
            )


class WeeklyUpdateSerializer(serializers.Serializer):
    """The weekly update, as on "This week"."""

    progress = serializers.IntegerField(min_value=0, max_value=100)
    status = ValueField(MilestoneStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    blocker = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        default="",
        help_text=_(
            "What blocks it: the milestone is marked blocked and the blocker goes to the "
            "Accountable person of its RACI activity, else the plan's owner."
        ),
    )


class MilestoneUpdateSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.display_name", read_only=True)
    status_before = ValueField(MilestoneStatus.choices, read_only=True)
    status_after = ValueField(MilestoneStatus.choices, read_only=True)

    class Meta:
        model = MilestoneUpdate
        fields = [
            "id",
            "milestone",
            "author",
            "author_name",
            "week_start",
            "progress_before",
            "progress_after",
            "status_before",
            "status_after",
            "note",
            "blocker",
            "created_at",
        ]
        read_only_fields = fields


# --- resources ----------------------------------------------------------------------------


class ResourceSerializer(serializers.ModelSerializer):
    plan = serializers.PrimaryKeyRelatedField(
        queryset=ActionPlan.objects.none(), help_text=_("Only when adding.")
    )
    kind = ValueField(ResourceKind.choices)
    over_plan = serializers.BooleanField(read_only=True)

    class Meta:
        model = Resource
        fields = [
            "id",
            "plan",
            "kind",
            "description",
            "quantity",
            "planned",
            "actual",
            "over_plan",
            "position",
        ]
        read_only_fields = ["id", "over_plan", "position"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = _org(self)
        if org is not None:
            _scope(self.fields, {"plan": ActionPlan.objects.for_org(org)})


# --- risks --------------------------------------------------------------------------------


class RiskSerializer(serializers.ModelSerializer):
    plan = serializers.PrimaryKeyRelatedField(
        queryset=ActionPlan.objects.none(), help_text=_("Only when adding.")
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), error_messages=PERSON_ERRORS
    )
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    status = ValueField(RiskStatus.choices, read_only=True)
    score = serializers.IntegerField(read_only=True, help_text=_("Likelihood × impact."))
    trigger_kind = serializers.ChoiceField(choices=TriggerKind.choices, required=False)
    trigger_kpi = serializers.PrimaryKeyRelatedField(
        queryset=Kpi.objects.none(), required=False, allow_null=True
    )
    trigger_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("Empty: the whole organisation."),
    )
    trigger_goal = serializers.PrimaryKeyRelatedField(
        queryset=Goal.objects.none(), required=False, allow_null=True
    )
    comparator = serializers.ChoiceField(choices=Comparator.choices, required=False)
    threshold_basis = serializers.ChoiceField(choices=ThresholdBasis.choices, required=False)
    trigger_period = serializers.ChoiceField(choices=TriggerPeriod.choices, required=False)
    contingency_count = serializers.IntegerField(read_only=True, help_text=_("Plan B milestones."))
    dormant_count = serializers.IntegerField(
        read_only=True, help_text=_("Plan B milestones still waiting for activation.")
    )

    class Meta:
        model = Risk
        fields = [
            "id",
            "plan",
            "description",
            "likelihood",
            "impact",
            "score",
            "owner",
            "owner_name",
            "contingency",
            "status",
            "trigger_kind",
            "trigger_kpi",
            "trigger_team",
            "trigger_goal",
            "comparator",
            "threshold",
            "threshold_basis",
            "trigger_period",
            "triggered_at",
            "trigger_reason",
            "plan_b_activated_at",
            "plan_b_activated_by",
            "contingency_count",
            "dormant_count",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "score",
            "owner_name",
            "status",
            "triggered_at",
            "trigger_reason",
            "plan_b_activated_at",
            "plan_b_activated_by",
            "contingency_count",
            "dormant_count",
            "created_at",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = _org(self)
        if org is not None:
            _scope(
                self.fields,
                {
                    "plan": ActionPlan.objects.for_org(org),
                    "owner": people_of(org),
                    "trigger_kpi": Kpi.objects.for_org(org).active(),
                    "trigger_team": Team.objects.for_org(org).active(),
                    "trigger_goal": Goal.objects.for_org(org),
                },
            )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class PlanDetailSerializer(PlanSerializer):
    milestones = MilestoneSerializer(
        many=True,
        read_only=True,
        source="detail_milestones",
        help_text=_("In plan order, dormant Plan B milestones included."),
    )
    budget = BudgetSerializer(read_only=True, source="detail_budget")
    risks = RiskSerializer(many=True, read_only=True, source="detail_risks")

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "milestones", "budget", "risks"]
        read_only_fields = fields


# --- blockers -----------------------------------------------------------------------------


class BlockerSerializer(serializers.ModelSerializer):
    plan = serializers.IntegerField(source="milestone.plan_id", read_only=True, allow_null=True)
    milestone_title = serializers.CharField(
        source="milestone.title", read_only=True, allow_null=True
    )
    raised_by_name = serializers.CharField(source="raised_by.display_name", read_only=True)
    routed_to_name = serializers.CharField(source="routed_to.display_name", read_only=True)
    status = ValueField(BlockerStatus.choices, read_only=True)

    class Meta:
        model = Blocker
        fields = [
            "id",
            "plan",
            "milestone",
            "milestone_title",
            "team",
            "description",
            "raised_by",
            "raised_by_name",
            "routed_to",
            "routed_to_name",
            "status",
            "resolution",
            "resolved_by",
            "resolved_at",
            "created_at",
        ]
        read_only_fields = fields


class WeeklyUpdateResultSerializer(serializers.Serializer):
    milestone = MilestoneSerializer()
    update = MilestoneUpdateSerializer()  # type: ignore[assignment]  # a field, popped by DRF
    blocker = BlockerSerializer(
        allow_null=True, help_text=_("The blocker it raised, with whom it was routed to.")
    )


class BlockerResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=2000, help_text=_("How it was resolved."))


# --- query parameters ---------------------------------------------------------------------

MAX_ID = 2**63 - 1  # ids are 64-bit: a larger number is refused, not sent to the database


def _id_param(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, **kwargs)


class PlanFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PlanStatus.choices, required=False)
    team = _id_param()
    owner = _id_param()
    mine = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Only plans I own or own a milestone of."),
    )
    search = serializers.CharField(required=False, max_length=100, allow_blank=True)


class MilestoneFilterSerializer(serializers.Serializer):
    plan = _id_param()
    owner = serializers.CharField(
        required=False, help_text=_("`me`, or a person's user id."), max_length=20
    )
    status = serializers.ChoiceField(choices=MilestoneStatus.choices, required=False)
    this_week = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_('My milestones on "This week", with whether each was updated this week.'),
    )

    def validate_owner(self, value: str) -> str:
        if value != "me" and not (value.isdigit() and 0 < int(value) <= MAX_ID):
            raise serializers.ValidationError(_("Give `me` or a user id."))
        return value


class PlanScopedFilterSerializer(serializers.Serializer):
    plan = _id_param()


class BlockerFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[*BlockerStatus.choices, ("all", _("Any status"))],
        required=False,
        default=BlockerStatus.OPEN,
    )
    scope = serializers.ChoiceField(
        choices=[("mine", _("Routed to me or raised by me")), ("all", _("Everyone's"))],
        required=False,
        default="mine",
        help_text=_("`all` is for sales ops (admins) and leaders."),
    )


# --- stand-ups ----------------------------------------------------------------------------


class StandupEntrySerializer(serializers.ModelSerializer):
    team = serializers.IntegerField(source="standup.team_id", read_only=True)
    day = serializers.DateField(source="standup.day", read_only=True)
    author_name = serializers.CharField(source="author.display_name", read_only=True)
    milestones = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = StandupEntry
        fields = [
            "id",
            "team",
            "day",
            "author",
            "author_name",
            "yesterday",
            "today",
            "blockers",
            "milestones",
            "blocker",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StandupPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="membership.user_id")
    name = serializers.CharField(source="membership.user.display_name")
    is_lead = serializers.BooleanField()


class StandupReportSerializer(serializers.Serializer):
    team = serializers.IntegerField(source="team.pk")
    day = serializers.DateField(
        allow_null=True, help_text="The stand-up's day; null when there is none today."
    )
    entries = StandupEntrySerializer(many=True)
    posted = StandupPersonSerializer(many=True)
    missing = StandupPersonSerializer(many=True)
    open_blockers = BlockerSerializer(many=True, source="blockers")


class StandupQuerySerializer(serializers.Serializer):
    team = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class StandupPostSerializer(serializers.Serializer):
    team = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    yesterday = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    today = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    blockers = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    milestones = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        max_length=50,
        help_text="Ids of your own milestones this entry is about.",
    )
