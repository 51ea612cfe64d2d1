"""API v1 serializers for anonymous feedback: surveys with their questions, answering a round,
results exactly as `selectors.results_for` builds them, and the suggestion box.

Nothing here can carry who answered what: answering and the suggestion box return only
`{"saved": true}`, and results are the `Results` object with suppression already applied — a
withheld cell or comment block keeps its verdict, never a value or a count.

Every id in a body is looked up inside the token's organisation: another organisation's id is
refused exactly like one that does not exist.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from salesops.models import Team

from . import services
from .anonymity import Reason
from .blueprints import BLUEPRINTS
from .models import Question, QuestionKind, Recurrence, Round, Survey, SurveyStatus
from .selectors import Cell, CommentBlock

MAX_ID = 2**63 - 1  # ids are 64-bit: a larger number is refused, not sent to the database
MAX_QUESTIONS = 100
MAX_OPTIONS = 50  # the service allows twelve and says so; this only bounds the request


@extend_schema_field(OpenApiTypes.STR)
class ValueField(serializers.ChoiceField):
    """A choice, documented as a string listing its values.

    Plain strings rather than named enums: `kind`, `status` and `reason` choice sets of other
    apps already use these property names in the schema.
    """

    def __init__(self, choices: Any, **kwargs: Any) -> None:
        values = ", ".join(f"`{value}`" for value, _label in choices)
        kwargs.setdefault("help_text", format_lazy(_("One of {values}."), values=values))
        super().__init__(choices, **kwargs)


REASONS = [
    (Reason.SHOWN.value, _("Shown")),
    (Reason.TOO_FEW.value, _("Fewer respondents than the threshold")),
    (Reason.REMAINDER.value, _("Would reveal a small group by subtraction")),
]
REASON_HELP = _(
    "`shown`; `too_few`: fewer respondents than the threshold; `remainder`: big enough alone, "
    "but subtracting it from the group above would reveal fewer people than the threshold."
)


def _org(serializer: serializers.Field) -> Any:
    request = serializer.context.get("request")
    return getattr(getattr(request, "_request", None), "org", None)


# --- surveys ------------------------------------------------------------------------------


class QuestionSerializer(serializers.ModelSerializer):
    kind = ValueField(QuestionKind.choices, read_only=True)
    options = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_(
            "For choice questions: answer with the option's index (0 for the first), a list of "
            "indexes for multiple choice."
        ),
    )

    class Meta:
        model = Question
        fields = ["id", "kind", "text", "dimension", "options"]
        read_only_fields = fields


class RoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Round
        fields = ["id", "number", "opens_on", "closes_on"]
        read_only_fields = fields


class SurveySerializer(serializers.ModelSerializer):
    status = ValueField(SurveyStatus.choices, read_only=True)
    recurrence = ValueField(Recurrence.choices, read_only=True)
    template = serializers.CharField(
        source="template_key",
        read_only=True,
        help_text=_("The template it was started from, if any."),
    )
    audience_teams = serializers.ManyRelatedField(
        child_relation=serializers.PrimaryKeyRelatedField(read_only=True),
        read_only=True,
        help_text=_("When not the whole organisation: these teams and their sub-teams."),
    )
    round_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Survey
        fields = [
            "id",
            "title",
            "description",
            "status",
            "template",
            "audience_all",
            "audience_teams",
            "recurrence",
            "days_open",
            "score_threshold",
            "comment_threshold",
            "round_count",
            "created_at",
        ]
        read_only_fields = fields


class SurveyDetailSerializer(SurveySerializer):
    questions = QuestionSerializer(many=True, read_only=True, source="detail_questions")
    current_round = RoundSerializer(
        read_only=True,
        allow_null=True,
        source="detail_round",
        help_text=_("The round open today; null when none is."),
    )
    answered = serializers.BooleanField(
        read_only=True,
        source="detail_answered",
        help_text=_("Whether you have answered the current round."),
    )
    in_audience = serializers.BooleanField(
        read_only=True,
        source="detail_in_audience",
        help_text=_("Whether the survey is addressed to you."),
    )

    class Meta(SurveySerializer.Meta):
        fields = [
            *SurveySerializer.Meta.fields,
            "questions",
            "current_round",
            "answered",
            "in_audience",
        ]
        read_only_fields = fields


class QuestionWriteSerializer(serializers.Serializer):
    kind = ValueField(QuestionKind.choices)
    text = serializers.CharField(max_length=300)
    dimension = serializers.CharField(
        max_length=80,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Groups scores in the heatmap, e.g. communication or trust."),
    )
    options = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        default=list,
        max_length=MAX_OPTIONS,
        help_text=_("For choice questions: two to twelve different options."),
    )

    def validate(self, attrs: dict[str, Any]) -> services.QuestionSpec:
        spec = services.QuestionSpec(
            kind=attrs["kind"],
            text=attrs["text"],
            dimension=attrs.get("dimension", ""),
            options=tuple(attrs.get("options", ())),
        )
        try:
            # The service's own rules, checked here too so an error names the question.
            services._check_question(spec)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return spec


TEMPLATE_ONLY = ("title", "audience_all", "audience_teams")


class SurveyWriteSerializer(serializers.Serializer):
    """Create a survey from a template (`template`), or with a title and its questions."""

    template = ValueField(
        [(b.key, b.title) for b in BLUEPRINTS],
        required=False,
        allow_blank=True,
        default="",
        help_text=format_lazy(
            _(
                "Start from a template: its questions, description and recurrence come with it, "
                "and only title and audience may be given. One of {values}."
            ),
            values=", ".join(f"`{b.key}`" for b in BLUEPRINTS),
        ),
    )
    title = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=_("Needed without a template; a template gives its own when left empty."),
    )
    description = serializers.CharField(required=False, allow_blank=True)
    audience_all = serializers.BooleanField(
        required=False,
        default=True,
        help_text=_("Otherwise, only the members of `audience_teams` (and their sub-teams)."),
    )
    audience_teams = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), many=True, required=False
    )
    recurrence = ValueField(Recurrence.choices, required=False)
    days_open = serializers.IntegerField(min_value=1, max_value=60, required=False)
    score_threshold = serializers.IntegerField(
        min_value=3,
        max_value=10,
        required=False,
        allow_null=True,
        help_text=_("Empty: the organisation's. Locked once the first answer arrives."),
    )
    comment_threshold = serializers.IntegerField(
        min_value=3,
        max_value=10,
        required=False,
        allow_null=True,
        help_text=_("Never below the results threshold. Empty: the organisation's."),
    )
    questions = QuestionWriteSerializer(many=True, required=False, max_length=MAX_QUESTIONS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = _org(self)
        if org is not None:
            self.fields["audience_teams"].child_relation.queryset = Team.objects.for_org(
                org
            ).active()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("template"):
            given = [name for name in self.initial_data if name in self.fields]
            extra = [name for name in given if name not in ("template", *TEMPLATE_ONLY)]
            if extra:
                message = _("A template sets this: leave it out, or start without a template.")
                raise serializers.ValidationError({name: [message] for name in extra})
            return attrs
        attrs.pop("template", None)
        if not attrs.get("questions"):
            raise serializers.ValidationError(
                {"questions": [_("Add at least one question, or start from a template.")]}
            )
        return attrs


# --- answering ----------------------------------------------------------------------------

CHOOSE_KINDS = (QuestionKind.SCALE, QuestionKind.ENPS, QuestionKind.SINGLE)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer"},
            {"type": "array", "items": {"type": "integer"}},
            {"type": "string"},
        ],
        "nullable": True,
    }
)
class AnswerValueField(serializers.Field):
    """A number, a list of numbers or a text: which one the question decides."""

    default_error_messages = {
        "invalid": _("Give a whole number, a list of whole numbers or a text."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        numbers = (
            isinstance(data, list) and len(data) <= MAX_OPTIONS and all(map(_is_integer, data))
        )
        if not (numbers or _is_integer(data) or isinstance(data, str)):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**15


class AnswerSerializer(serializers.Serializer):
    """One anonymous response to the survey's open round: every answer at once."""

    # context["questions"]: the survey's questions, to check each answer's type.

    answers = serializers.DictField(
        child=AnswerValueField(),
        help_text=_(
            "Keyed by question id. Scale 1–5 and eNPS 0–10: a number. Single choice: the "
            "option's index. Multiple choice: a list of indexes. Free text: a text, or null to "
            "leave it out. Every question but free text must be answered."
        ),
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "The team you answer for; needed only when you are in several teams of the audience."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = _org(self)
        if org is not None:
            self.fields["team"].queryset = Team.objects.for_org(org).active()

    def validate_answers(self, value: dict[str, Any]) -> dict[int, Any]:
        questions: dict[int, Question] = {q.pk: q for q in self.context.get("questions", [])}
        cleaned: dict[int, Any] = {}
        errors: dict[str, list[Any]] = {}
        for key, answer in value.items():
            question = questions.get(int(key)) if key.isascii() and key.isdigit() else None
            if question is None:
                errors[key] = [_("Not a question of this survey.")]
                continue
            problem = _wrong_type(question, answer)
            if problem is not None:
                errors[key] = [problem]
                continue
            cleaned[question.pk] = answer
        if errors:
            raise serializers.ValidationError(errors)
        return cleaned


def _wrong_type(question: Question, answer: Any) -> Any:
    """Why this answer cannot be one for this kind of question, or None."""
    if answer is None:
        return None
    if question.kind == QuestionKind.TEXT:
        return None if isinstance(answer, str) else _("Write a text.")
    if question.kind == QuestionKind.MULTIPLE:
        ok = isinstance(answer, list) or _is_integer(answer)
        return None if ok else _("Give the list of chosen option indexes.")
    if question.kind in CHOOSE_KINDS:
        return None if _is_integer(answer) else _("Give one whole number.")
    return _("Not a question of this survey.")


class SavedSerializer(serializers.Serializer):
    saved = serializers.BooleanField(
        help_text=_("Always true. Nothing that could lead back to you is returned.")
    )


class SuggestionSerializer(serializers.Serializer):
    body = serializers.CharField(
        allow_blank=True,
        help_text=_(
            "The suggestion: no author is kept, and it is dated only by its month. "
            "At most 2,000 characters; three a day."
        ),
    )


# --- results ------------------------------------------------------------------------------


class ResultsQuerySerializer(serializers.Serializer):
    round = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=_("The round's number; the latest round when left out."),
    )


class ResultShareSerializer(serializers.Serializer):
    label = serializers.CharField(
        help_text=_("The score, or the option's text for choice questions.")
    )
    count = serializers.IntegerField()
    percent = serializers.FloatField(
        help_text=_("Share of the answers; of the group's respondents for multiple choice.")
    )


class ResultCellSerializer(serializers.Serializer):
    """One group's result on one question. Withheld: verdict and count only, values null."""

    group = serializers.CharField(help_text=_("The group's key, as in `groups`."))
    shown = serializers.BooleanField()
    reason = ValueField(REASONS, help_text=REASON_HELP)
    count = serializers.IntegerField(
        allow_null=True, help_text=_("Respondents in the group; null when withheld.")
    )
    mean = serializers.FloatField(allow_null=True, help_text=_("Scale questions."))
    enps = serializers.FloatField(allow_null=True, help_text=_("eNPS questions."))
    distribution = ResultShareSerializer(many=True, allow_null=True)
    delta = serializers.FloatField(
        allow_null=True,
        help_text=_("Change of the mean (or eNPS) since the previous round, when both shown."),
    )

    def to_representation(self, instance: tuple[str, Cell]) -> dict[str, Any]:
        group, cell = instance
        data: dict[str, Any] = {
            "group": group,
            "shown": cell.shown,
            "reason": str(cell.reason),
            "count": cell.count if cell.shown else None,
            "mean": None,
            "enps": None,
            "distribution": None,
            "delta": None,
        }
        if cell.shown:
            data["mean"] = cell.mean
            data["enps"] = cell.enps
            data["delta"] = cell.delta
            data["distribution"] = [
                {"label": label, "count": count, "percent": percent}
                for label, count, percent in cell.distribution
            ]
        return data


class ResultQuestionSerializer(serializers.Serializer):
    question = QuestionSerializer()
    cells = serializers.SerializerMethodField(help_text=_("One per group, in `groups` order."))

    @extend_schema_field(ResultCellSerializer(many=True))
    def get_cells(self, result: Any) -> list[dict[str, Any]]:
        return [ResultCellSerializer(item).data for item in result.cells.items()]


class ResultGroupSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("`all` for the whole audience, else `team:<id>`."))
    label = serializers.CharField(help_text=_("The team's name; empty for `all`."))
    depth = serializers.IntegerField(help_text=_("0 for `all`, 1 for top teams, and so on."))
    shown = serializers.BooleanField(source="verdict.shown")
    reason = ValueField(REASONS, source="verdict.reason", help_text=REASON_HELP)
    count = serializers.IntegerField(
        source="shown_count",
        allow_null=True,
        help_text=_("Respondents in the group, its sub-teams included; null when withheld."),
    )


class ResultHeatmapRowSerializer(serializers.Serializer):
    group = serializers.CharField(source="group.key")
    label = serializers.CharField(source="group.label")
    values = serializers.ListField(
        child=serializers.FloatField(allow_null=True),
        help_text=_("One per dimension, in `dimensions` order; null when withheld."),
    )


class ResultCommentsSerializer(serializers.Serializer):
    question = serializers.IntegerField(source="question.pk")
    group_label = serializers.CharField(help_text=_("Empty for the whole audience."))
    shown = serializers.BooleanField()
    reason = ValueField(REASONS, help_text=REASON_HELP)
    texts = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("In random order; empty when withheld (the comments threshold)."),
    )

    def to_representation(self, instance: CommentBlock) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not instance.shown:
            data["texts"] = []
        return data


class ResultsSerializer(serializers.Serializer):
    """A round's results as this viewer may see them, anonymity applied."""

    survey = serializers.IntegerField(source="survey.pk")
    round = RoundSerializer(allow_null=True, help_text=_("Null while the survey has no round."))
    previous_round = RoundSerializer(
        source="previous", allow_null=True, help_text=_("What `delta` compares with.")
    )
    score_threshold = serializers.IntegerField()
    comment_threshold = serializers.IntegerField()
    respondents = serializers.IntegerField()
    audience_size = serializers.IntegerField(help_text=_("People invited when the round opened."))
    response_rate = serializers.IntegerField(allow_null=True, help_text=_("Percent."))
    groups = ResultGroupSerializer(
        many=True, help_text=_("The groups you may see, in tree order, each with its verdict.")
    )
    questions = ResultQuestionSerializer(many=True, help_text=_("Free-text questions excepted."))
    dimensions = serializers.ListField(child=serializers.CharField())
    heatmap = ResultHeatmapRowSerializer(many=True)
    comments = ResultCommentsSerializer(
        many=True,
        help_text=_("Free-text answers of the broadest groups you see, by question."),
    )
