"""Forms of the review pages: the meeting's notes, and a decision or follow-up action."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from actionplans.models import ActionPlan
from actionplans.selectors import people_of
from salesops.models import Organization, Team, User

from .models import ReviewItemKind
from .reviews import NOTES_MAX, TEXT_MAX, plans_for_review


def _person_label(user: User) -> str:
    return user.display_name


class ReviewNotesForm(forms.Form):
    notes = forms.CharField(
        label=_("Meeting notes"),
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class ReviewItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ReviewItemKind.choices)
    text = forms.CharField(
        label=_("Decision or action"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    plan = forms.ModelChoiceField(
        label=_("Action plan"),
        queryset=ActionPlan.objects.none(),
        required=False,
        help_text=_("Running plans; this team's first."),
    )

    def __init__(self, *args: Any, org: Organization, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = cast(forms.ModelChoiceField, self.fields["owner"])
        owner.queryset = people_of(org)
        owner.label_from_instance = _person_label  # type: ignore[method-assign,assignment]
        plan = cast(forms.ModelChoiceField, self.fields["plan"])
        plan.queryset = plans_for_review(org=org, team=team)

        def plan_label(choice: ActionPlan) -> str:
            # The team's own plans come first; another team's plan is named with its team.
            if choice.team_id == team.pk or choice.team is None:
                return choice.title
            return f"{choice.title} ({choice.team.name})"

        plan.label_from_instance = plan_label  # type: ignore[method-assign,assignment]
