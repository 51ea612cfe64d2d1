"""Forms of the feedback pages. They check the shape of the input; the services decide."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from actionplans.selectors import people_of
from salesops.models import Organization, Team

from .blueprints import BLUEPRINTS
from .models import FollowUpAction, Question, QuestionKind, Survey
from .services import QuestionSpec

DATE = forms.DateInput(attrs={"type": "date"})
THRESHOLDS = ("score_threshold", "comment_threshold")
LOCKED_NOTE = _(
    "Locked: this survey already has answers, so its anonymity thresholds stay as they are."
)


def _org_teams(org: Organization) -> Any:
    return Team.objects.for_org(org).active().order_by("name")


def _check_audience(form: forms.Form, data: dict[str, Any]) -> None:
    """A field error here rather than the service's, so the person sees it next to the teams."""
    if not data.get("audience_all") and not data.get("audience_teams"):
        form.add_error("audience_teams", _("Choose at least one team, or the whole organisation."))


class SurveyForm(forms.ModelForm):
    """A survey's settings. Once answers exist the thresholds are shown but cannot be changed:
    the fields are disabled in the page, and a changed value sent anyway reaches the service,
    which refuses it."""

    class Meta:
        model = Survey
        fields = [
            "title",
            "description",
            "audience_all",
            "audience_teams",
            "recurrence",
            "days_open",
            "score_threshold",
            "comment_threshold",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "audience_teams": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, org: Organization, locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locked = locked
        self.fields["audience_teams"].queryset = _org_teams(org)
        self.fields["audience_teams"].required = False
        self.fields["audience_teams"].help_text = _(
            "Used when the survey is not for the whole organisation. Sub-teams are included."
        )
        if locked:
            for name in THRESHOLDS:
                field = self.fields[name]
                field.required = False
                field.widget.attrs["disabled"] = "disabled"
                field.help_text = LOCKED_NOTE

    def _threshold(self, name: str) -> Any:
        value = self.cleaned_data.get(name)
        if self.locked and value is None:
            return getattr(self.instance, name)
        return value

    def clean_score_threshold(self) -> Any:
        return self._threshold("score_threshold")

    def clean_comment_threshold(self) -> Any:
        return self._threshold("comment_threshold")

    def clean(self) -> dict[str, Any]:
        # Field errors here keep the model's constraint check from answering in database terms.
        data = super().clean() or {}
        score, comment = data.get("score_threshold"), data.get("comment_threshold")
        if score is not None and comment is not None and comment < score:
            self.add_error(
                "comment_threshold",
                _("The comments threshold cannot be below the results threshold."),
            )
        _check_audience(self, data)
        return data


class SurveyCreateForm(forms.Form):
    template = forms.ChoiceField(label=_("Start from"), required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    audience_all = forms.BooleanField(label=_("Whole organisation"), required=False, initial=True)
    audience_teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(),
        label=_("Teams"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Used when the survey is not for the whole organisation. Sub-teams are included."
        ),
    )

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", _("A blank survey"))] + [
            (blueprint.key, f"{blueprint.title} — {blueprint.description}")
            for blueprint in BLUEPRINTS
        ]
        self.fields["audience_teams"].queryset = _org_teams(org)
        self.fields["title"].help_text = _("Leave empty to use the template's name.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("template") and not (data.get("title") or "").strip():
            self.add_error("title", _("Give the survey a title."))
        _check_audience(self, data)
        return data


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("Question"), max_length=300)
    dimension = forms.CharField(
        label=_("Dimension"),
        max_length=80,
        required=False,
        help_text=_("Groups scores in the heatmap, e.g. communication or trust."),
    )
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For choice questions: one option per line."),
    )

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, Any]:
        return {
            "kind": question.kind,
            "text": question.text,
            "dimension": question.dimension,
            "options": "\n".join(question.options),
        }

    def spec(self) -> QuestionSpec:
        data = self.cleaned_data
        lines = (line.strip() for line in data["options"].splitlines())
        options = tuple(line for line in lines if line)
        if data["kind"] not in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            options = ()
        return QuestionSpec(
            kind=data["kind"], text=data["text"], dimension=data["dimension"], options=options
        )


class ActionForm(forms.ModelForm):
    class Meta:
        model = FollowUpAction
        fields = ["title", "description", "owner", "due_date", "status", "question"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "due_date": DATE}

    def __init__(self, *args: Any, org: Organization, survey: Survey | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        owner.queryset = people_of(org)
        owner.label_from_instance = lambda user: user.display_name
        if survey is None:
            del self.fields["question"]
        else:
            question = self.fields["question"]
            question.queryset = survey.questions.order_by("position", "pk")
            question.required = False
            question.empty_label = _("No particular question")


class SuggestionForm(forms.Form):
    body = forms.CharField(
        label=_("Your suggestion"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
    )


class ScheduleForm(forms.Form):
    opens_on = forms.DateField(
        label=_("Or open the first round on"), widget=forms.DateInput(attrs={"type": "date"})
    )
