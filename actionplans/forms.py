from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from goals.models import Goal, Kpi
from goals.periods import week_start
from raci.models import RaciActivity, RaciMatrix
from salesops.models import Organization, Team, User

from .blueprints import BLUEPRINTS
from .models import (
    ActionPlan,
    BlockerStatus,
    Milestone,
    MilestoneStatus,
    PlanStatus,
    Resource,
    Risk,
    TriggerKind,
)
from .selectors import people_of, plan_people

DATE = forms.DateInput(attrs={"type": "date"})


def _person_field(field: forms.ModelChoiceField, org: Organization) -> None:
    field.queryset = people_of(org)
    field.label_from_instance = lambda user: user.display_name


class PlanForm(forms.ModelForm):
    class Meta:
        model = ActionPlan
        fields = [
            "title",
            "description",
            "goals",
            "owner",
            "team",
            "start_date",
            "end_date",
            "status",
            "raci_matrix",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "start_date": DATE,
            "end_date": DATE,
            "goals": forms.SelectMultiple(attrs={"size": 5}),
        }

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _person_field(self.fields["owner"], org)
        self.fields["goals"].queryset = (
            Goal.objects.for_org(org).exclude(status="cancelled").order_by("title")
        )
        self.fields["goals"].required = False
        self.fields["team"].queryset = Team.objects.for_org(org).active().order_by("name")
        self.fields["raci_matrix"].queryset = RaciMatrix.objects.for_org(org).order_by("title")
        self.fields["raci_matrix"].required = False

    def clean(self) -> dict[str, Any]:
        # Field errors here keep the model's constraint check from answering in database terms.
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date must not be before the start date."))
        return data


class PlanCreateForm(forms.Form):
    blueprint = forms.ChoiceField(label=_("Start from"), required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Owner"))
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label=_("Team"), required=False)
    goals = forms.ModelMultipleChoiceField(
        queryset=Goal.objects.none(),
        label=_("Goals"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    start_date = forms.DateField(label=_("Start date"), widget=DATE)
    end_date = forms.DateField(
        label=_("End date"),
        widget=DATE,
        required=False,
        help_text=_("Templates set it from their length."),
    )

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["blueprint"].choices = [("", _("An empty plan"))] + [
            (blueprint.key, f"{blueprint.title} — {blueprint.description}")
            for blueprint in BLUEPRINTS
        ]
        _person_field(self.fields["owner"], org)
        self.fields["team"].queryset = Team.objects.for_org(org).active().order_by("name")
        self.fields["goals"].queryset = (
            Goal.objects.for_org(org).exclude(status="cancelled").order_by("title")
        )
        self.fields["title"].help_text = _("Leave empty to use the template's name.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("blueprint"):
            if not (data.get("title") or "").strip():
                self.add_error("title", _("Give the plan a title."))
            if not data.get("end_date"):
                self.add_error("end_date", _("Give the end date."))
        return data


class PlanFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label=_("Team"), required=False)
    mine = forms.BooleanField(label=_("Only mine"), required=False)

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status"))] + list(PlanStatus.choices)
        self.fields["team"].queryset = Team.objects.for_org(org).active().order_by("name")
        self.fields["team"].empty_label = _("Any team")


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = [
            "title",
            "deliverable",
            "owner",
            "start_week",
            "due_week",
            "depends_on",
            "raci_activity",
        ]
        widgets = {
            "deliverable": forms.Textarea(attrs={"rows": 2}),
            "start_week": DATE,
            "due_week": DATE,
            "depends_on": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "start_week": _("Any day of the week; it is stored as that week's Monday."),
            "due_week": _("Any day of the week; it is stored as that week's Monday."),
        }

    def __init__(
        self, *args: Any, plan: ActionPlan, dependency_choices: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        org = plan.org
        _person_field(self.fields["owner"], org)
        self.fields["depends_on"].queryset = dependency_choices
        self.fields["depends_on"].required = False
        self.fields["start_week"].required = False
        activities = RaciActivity.objects.filter(matrix__org=org).select_related("matrix")
        if plan.raci_matrix_id:
            activities = activities.filter(matrix_id=plan.raci_matrix_id)
        self.fields["raci_activity"].queryset = activities.order_by("matrix__title", "position")
        self.fields["raci_activity"].label_from_instance = lambda a: f"{a.matrix.title} · {a.name}"
        self.fields["raci_activity"].required = False

    def clean_start_week(self) -> Any:
        value = self.cleaned_data.get("start_week")
        return week_start(value) if value else value

    def clean_due_week(self) -> Any:
        value = self.cleaned_data.get("due_week")
        return week_start(value) if value else value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, due = data.get("start_week"), data.get("due_week")
        if start and due and due < start:
            self.add_error("due_week", _("The due week must not be before the start week."))
        return data


class UpdateForm(forms.Form):
    """One row of "This week": progress, status, a note, a blocker."""

    progress = forms.IntegerField(label=_("Progress %"), min_value=0, max_value=100)
    status = forms.ChoiceField(label=_("Status"), choices=MilestoneStatus.choices)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 1})
    )
    blocker = forms.CharField(
        label=_("Blocker"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 1}),
    )


class BlockerResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("How was it resolved?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class BlockerFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    scope = forms.ChoiceField(label=_("Whose"), required=False)

    def __init__(self, *args: Any, sees_all: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [*BlockerStatus.choices, ("all", _("Any status"))]
        choices = [("mine", _("Routed to me or raised by me"))]
        if sees_all:
            choices.append(("all", _("Everyone's")))
        self.fields["scope"].choices = choices


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = ["kind", "description", "quantity", "planned", "actual"]


class RiskForm(forms.ModelForm):
    class Meta:
        model = Risk
        fields = [
            "description",
            "likelihood",
            "impact",
            "owner",
            "contingency",
            "trigger_kind",
            "trigger_kpi",
            "trigger_team",
            "comparator",
            "threshold",
            "threshold_basis",
            "trigger_goal",
            "trigger_period",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "contingency": forms.Textarea(attrs={"rows": 3}),
            "likelihood": forms.Select(choices=[(n, n) for n in range(1, 6)]),
            "impact": forms.Select(choices=[(n, n) for n in range(1, 6)]),
        }

    def __init__(self, *args: Any, plan: ActionPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = plan.org
        _person_field(self.fields["owner"], org)
        self.fields["trigger_kpi"].queryset = Kpi.objects.for_org(org).active().order_by("name")
        self.fields["trigger_team"].queryset = Team.objects.for_org(org).active().order_by("name")
        self.fields["trigger_team"].empty_label = _("The whole organisation")
        goals = Goal.objects.for_org(org).select_related("kpi").order_by("title")
        linked = plan.goals.values_list("pk", flat=True) if plan.pk else []
        self.fields["trigger_goal"].queryset = goals.filter(pk__in=linked) if linked else goals
        for name in ("trigger_kpi", "trigger_team", "trigger_goal", "threshold"):
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("trigger_kind") == TriggerKind.KPI:
            if not data.get("trigger_kpi"):
                self.add_error("trigger_kpi", _("Choose the KPI to watch."))
            if data.get("threshold") is None:
                self.add_error("threshold", _("Give the threshold."))
        return data


class ContingencyMilestoneForm(forms.Form):
    """A dormant Plan B milestone, added inline on the plan page under each risk.

    Its owner is one of the plan's people (owner, team, milestone owners): the choices are
    loaded once, so the form can be shown under every risk without a query each time.
    """

    title = forms.CharField(label=_("Title"), max_length=200)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    weeks = forms.IntegerField(
        label=_("Weeks it takes"),
        min_value=1,
        max_value=52,
        initial=1,
        help_text=_("Counted from the week Plan B is activated."),
    )

    def __init__(self, *args: Any, plan: ActionPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {user.pk: user for user in plan_people(plan=plan)}
        self.fields["owner"].choices = [(pk, u.display_name) for pk, u in self.people.items()]

    def clean_owner(self) -> User:
        return self.people[self.cleaned_data["owner"]]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


# --- stand-ups ---


class StandupEntryForm(forms.Form):
    """My entry in today's stand-up: three short answers and the milestones they are about."""

    yesterday = forms.CharField(
        label=_("What did you do since the last stand-up?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    today = forms.CharField(
        label=_("What will you do today?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    blockers = forms.CharField(
        label=_("What blocks you?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A blocker goes to the person who can clear it."),
    )
    milestones = forms.ModelMultipleChoiceField(
        queryset=Milestone.objects.none(),
        label=_("Milestones this is about"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(
        self, *args: Any, org: Organization, user: User, current: Any = (), **kwargs: Any
    ) -> None:
        """`current`: ids of the milestones the entry links now, kept even if their plan closed."""
        from django.db.models import Q

        from .models import OPEN_PLAN_STATUSES

        super().__init__(*args, **kwargs)
        field = self.fields["milestones"]
        field.queryset = (
            Milestone.objects.filter(plan__org=org, owner=user, is_dormant=False)
            .filter(Q(plan__status__in=OPEN_PLAN_STATUSES) | Q(pk__in=list(current)))
            .select_related("plan")
            .order_by("due_week", "pk")
        )
        field.label_from_instance = lambda milestone: f"{milestone.title} · {milestone.plan.title}"


class StandupSettingsForm(forms.Form):
    cadence = forms.ChoiceField(label=_("Cadence"))
    weekday = forms.TypedChoiceField(
        label=_("Day of a weekly stand-up"),
        coerce=int,
        help_text=_("Only for weekly stand-ups."),
    )
    digest_time = forms.TimeField(
        label=_("Digest time"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("When the digest goes to the team's channels, in the organisation's time."),
    )
    digest_enabled = forms.BooleanField(
        label=_("Send a digest to the team's channels"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.utils.dates import WEEKDAYS

        from .models import StandupCadence

        super().__init__(*args, **kwargs)
        self.fields["cadence"].choices = StandupCadence.choices
        self.fields["weekday"].choices = sorted(WEEKDAYS.items())
