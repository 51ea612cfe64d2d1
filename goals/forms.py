from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from salesops.models import Membership, Team
from salesops.permissions import can

from .models import (
    Aggregation,
    Direction,
    Goal,
    GoalLevel,
    GoalPolicy,
    GoalStatus,
    Kpi,
    PeriodKind,
    Unit,
)
from .services.goals import EDITABLE_FIELDS

User = get_user_model()


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} <{obj.email}>"


class GoalForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("Reason for changing the target or dates"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Needed when an active goal's target, baseline or dates change; kept in its history."
        ),
    )

    class Meta:
        model = Goal
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "statement": forms.Textarea(attrs={"rows": 3}),
            "contribution": forms.Textarea(attrs={"rows": 2}),
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "due_date": forms.DateInput(attrs={"type": "date"}),
        }
        field_classes = {"owner": OwnerField}

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = membership.org
        self.fields["kpi"].queryset = Kpi.objects.for_org(org).active().order_by("name")
        self.fields["kpi"].label_from_instance = lambda kpi: kpi.display_name
        self.fields["team"].queryset = Team.objects.for_org(org).active().order_by("name")
        self.fields["owner"].queryset = User.objects.filter(
            memberships__org=org, memberships__is_active=True, is_active=True
        ).order_by("display_name")
        self.fields["owner"].required = False
        parents = Goal.objects.for_org(org).exclude(
            status__in=[GoalStatus.CANCELLED, GoalStatus.MISSED]
        )
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents.order_by("title")
        self.fields["target"].required = False  # the SMART check explains a missing target
        self.fields["start_date"].required = False
        self.fields["due_date"].required = False
        if not can(membership, "goal.create_company"):
            self.fields["level"].choices = [
                c for c in GoalLevel.choices if c[0] != GoalLevel.COMPANY
            ]
        if not self.instance.pk or self.instance.status == GoalStatus.DRAFT:
            del self.fields["reason"]


class GoalSaveForm(GoalForm):
    """The same form, with what a goal must have to be saved at all."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("target", "start_date", "due_date"):
            self.fields[name].required = True


class GoalFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"))
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, label=_("Team"))
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("Owner"))
    level = forms.ChoiceField(
        choices=[("", _("All levels")), *GoalLevel.choices], required=False, label=_("Level")
    )
    status = forms.ChoiceField(
        choices=[("", _("All statuses")), *GoalStatus.choices], required=False, label=_("Status")
    )
    kpi = forms.ModelChoiceField(queryset=Kpi.objects.none(), required=False, label=_("KPI"))
    period_start = forms.DateField(
        required=False, label=_("Due from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        required=False, label=_("Starts by"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = membership.org
        self.fields["team"].queryset = Team.objects.for_org(org).active().order_by("name")
        # Only people who own a goal: a list of everyone would slow the page and help nobody.
        self.fields["owner"].queryset = (
            User.objects.filter(owned_goals__org=org).distinct().order_by("display_name")
        )
        self.fields["kpi"].queryset = Kpi.objects.for_org(org).active().order_by("name")
        self.fields["kpi"].label_from_instance = lambda kpi: kpi.display_name
        self.fields["team"].empty_label = _("All teams")
        self.fields["owner"].empty_label = _("Everyone")
        self.fields["kpi"].empty_label = _("All KPIs")


class KpiForm(forms.ModelForm):
    class Meta:
        model = Kpi
        fields = [
            "name",
            "description",
            "unit",
            "direction",
            "aggregation",
            "numerator",
            "denominator",
            "owning_team",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, org: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parts = (
            Kpi.objects.for_org(org)
            .active()
            .exclude(aggregation=Aggregation.RATIO)
            .order_by("name")
        )
        if self.instance.pk:
            parts = parts.exclude(pk=self.instance.pk)
        for name in ("numerator", "denominator"):
            self.fields[name].queryset = parts
            self.fields[name].label_from_instance = lambda kpi: kpi.display_name
        self.fields["owning_team"].queryset = Team.objects.for_org(org).active().order_by("name")
        self.fields["unit"].choices = Unit.choices
        self.fields["direction"].choices = Direction.choices


class MeasurementForm(forms.Form):
    day = forms.DateField(
        label=_("Date in the period"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_kind = forms.ChoiceField(
        choices=PeriodKind.choices, initial=PeriodKind.MONTH, label=_("Period")
    )
    value = forms.DecimalField(label=_("Value"), max_digits=18, decimal_places=4)
    kpi = forms.ModelChoiceField(queryset=Kpi.objects.none(), label=_("KPI"))

    def __init__(self, *args: Any, goal: Goal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kpi = goal.kpi
        parts = [kpi.numerator_id, kpi.denominator_id] if kpi.is_ratio else [kpi.pk]
        self.fields["kpi"].queryset = Kpi.objects.filter(pk__in=parts)
        self.fields["kpi"].label_from_instance = lambda item: item.display_name
        if not kpi.is_ratio:
            self.fields["kpi"].initial = kpi.pk


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or Excel file (.csv, .xlsx)"))
    period_kind = forms.ChoiceField(
        choices=PeriodKind.choices, initial=PeriodKind.MONTH, label=_("Each row is a")
    )

    MAX_BYTES = 10 * 1024 * 1024

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return upload


class ImportMappingForm(forms.Form):
    kpi = forms.ChoiceField(label=_("KPI column"))
    value = forms.ChoiceField(label=_("Value column"))
    date = forms.ChoiceField(label=_("Date column"))
    team = forms.ChoiceField(label=_("Team column"), required=False)
    owner = forms.ChoiceField(label=_("Owner column (email or name)"), required=False)
    external_id = forms.ChoiceField(label=_("Record id column"), required=False)

    def __init__(self, *args: Any, headers: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *[(header, header) for header in headers]]
        for field in self.fields.values():
            field.choices = choices  # type: ignore[attr-defined]


class CheckInForm(forms.Form):
    confidence = forms.IntegerField(
        label=_("Confidence (0–10)"),
        min_value=0,
        max_value=10,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}))


class ActivateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CloseForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (s, label)
            for s, label in GoalStatus.choices
            if s in ("achieved", "missed", "cancelled")
        ],
        label=_("Close as"),
    )
    reason = forms.CharField(label=_("Note"), required=False)


class GoalPolicyForm(forms.ModelForm):
    class Meta:
        model = GoalPolicy
        fields = ["at_risk_gap", "off_track_gap", "planning_horizon_months"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        at_risk, off_track = data.get("at_risk_gap"), data.get("off_track_gap")
        if at_risk is not None and off_track is not None and off_track <= at_risk:
            self.add_error(
                "off_track_gap", _("“Off track” must start further behind than “at risk”.")
            )
        return data
