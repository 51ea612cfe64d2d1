from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from goals.models import Goal
from salesops.models import Membership, Team

from .blueprints import BLUEPRINTS
from .models import ActivityState, RaciActivity, RaciMatrix, RaciPolicy


class MatrixForm(forms.ModelForm):
    class Meta:
        model = RaciMatrix
        fields = ["title", "description", "goal"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, org: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = (
            Goal.objects.for_org(org).exclude(status="cancelled").order_by("title")
        )
        self.fields["goal"].required = False


class MatrixCreateForm(MatrixForm):
    blueprint = forms.ChoiceField(label=_("Start from"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["blueprint"].choices = [("", _("An empty matrix"))] + [
            (blueprint.key, f"{blueprint.title} — {blueprint.description}")
            for blueprint in BLUEPRINTS
        ]
        self.fields["title"].required = False
        self.fields["title"].help_text = _("Leave empty to use the template's name.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("blueprint") and not (data.get("title") or "").strip():
            self.add_error("title", _("Give the matrix a title."))
        return data


class ActivityForm(forms.Form):
    name = forms.CharField(label=_("Activity"), max_length=200)
    phase = forms.CharField(label=_("Phase"), max_length=120, required=False)


class ParticipantForm(forms.Form):
    membership = forms.ModelChoiceField(
        queryset=Membership.objects.none(), required=False, label=_("Person")
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, label=_("Team"))

    def __init__(self, *args: Any, matrix: RaciMatrix, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = matrix.org
        taken = matrix.participants.values_list
        self.fields["membership"].queryset = (
            Membership.objects.for_org(org)
            .active()
            .exclude(pk__in=taken("membership_id", flat=True).exclude(membership_id=None))
            .select_related("user")
            .order_by("user__display_name")
        )
        self.fields["membership"].label_from_instance = lambda m: m.user.display_name
        self.fields["membership"].empty_label = _("Choose a person…")
        self.fields["team"].empty_label = _("…or a team")
        self.fields["team"].queryset = (
            Team.objects.for_org(org)
            .active()
            .exclude(pk__in=taken("team_id", flat=True).exclude(team_id=None))
        ).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("membership")) == bool(data.get("team")):
            raise forms.ValidationError(_("Choose a person or a team."))
        return data


class ActivityStateForm(forms.Form):
    state = forms.ChoiceField(choices=ActivityState.choices, label=_("State"))
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}))


class RaciPolicyForm(forms.ModelForm):
    class Meta:
        model = RaciPolicy
        fields = ["accountable_limit", "consulted_limit", "arbitrator", "dispute_working_days"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = self.instance.org
        self.fields["arbitrator"].queryset = (
            Membership.objects.for_org(org)
            .active()
            .select_related("user")
            .order_by("user__display_name")
        )
        self.fields["arbitrator"].label_from_instance = lambda m: m.user.display_name


class DisputeForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"), max_length=200, help_text=_("E.g. “Who calls an unhappy customer?”")
    )
    party_a = forms.ModelChoiceField(queryset=Team.objects.none(), label=_("One party"))
    party_b = forms.ModelChoiceField(queryset=Team.objects.none(), label=_("The other party"))
    activity = forms.ModelChoiceField(
        queryset=RaciActivity.objects.none(), required=False, label=_("RACI activity")
    )
    statement = forms.CharField(label=_("Your side"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, org: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.for_org(org).active().order_by("name")
        self.fields["party_a"].queryset = teams
        self.fields["party_b"].queryset = teams
        self.fields["activity"].queryset = (
            RaciActivity.objects.filter(matrix__org=org)
            .select_related("matrix")
            .order_by("matrix__title", "position")
        )
        self.fields["activity"].label_from_instance = lambda a: f"{a.matrix.title} · {a.name}"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("party_a") and data.get("party_a") == data.get("party_b"):
            self.add_error("party_b", _("A dispute is between two different teams."))
        return data


class StatementForm(forms.Form):
    body = forms.CharField(label=_("Statement"), widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    decision = forms.CharField(
        label=_("Decision and reasoning"), widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(
        self, *args: Any, participants: list[Any], current: dict[int, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.participants = participants
        for participant in participants:
            self.fields[f"letters_{participant.pk}"] = forms.ChoiceField(
                label=participant.name,
                choices=[("", "—"), ("R", "R"), ("A", "A"), ("C", "C"), ("I", "I"), ("A/R", "A/R")],
                required=False,
                initial=current.get(participant.pk, ""),
            )

    def letter_fields(self) -> list[Any]:
        return [self[f"letters_{participant.pk}"] for participant in self.participants]

    def changes(self, current: dict[int, str]) -> list[tuple[Any, str]]:
        result = []
        for participant in self.participants:
            value = self.cleaned_data.get(f"letters_{participant.pk}", "")
            if value != current.get(participant.pk, ""):
                result.append((participant, value))
        return result
