"""Forms of the experiment pages: the design, results typed in per variant, a CSV import."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from actionplans.selectors import people_of
from goals.models import Kpi
from salesops.models import Organization, Team

from .experiments import MAX_VARIANTS, ResultRow
from .models import Experiment, ExperimentMetric, ExperimentStatus, Variant

MAX_VALUE = Decimal(10) ** 14  # Observation.value: 18 digits, 4 of them decimals
FOUR_PLACES = Decimal("0.0001")


class ExperimentForm(forms.ModelForm):
    """The experiment's design. On creation also its variants, one per line, the control first."""

    variants = forms.CharField(
        label=_("Variants, one per line, the control first"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Two to six variants. The first one is the control the others are compared with."
        ),
    )

    class Meta:
        model = Experiment
        fields = [
            "title",
            "hypothesis",
            "kpi",
            "team",
            "owner",
            "metric",
            "baseline",
            "minimum_effect",
            "alpha",
            "power",
        ]
        widgets = {"hypothesis": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "alpha": _("The chance of calling a difference that is not there; usually 0.05."),
            "power": _("The chance of finding a difference of the smallest effect; usually 0.8."),
        }

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        creating = self.instance.pk is None
        if not creating:
            del self.fields["variants"]
        owner = self.fields["owner"]
        owner.queryset = people_of(org)
        owner.label_from_instance = lambda user: user.display_name
        kpis = Kpi.objects.for_org(org)
        teams = Team.objects.for_org(org)
        # An archived KPI or team already chosen stays choosable, so the form still saves.
        self.fields["kpi"].queryset = kpis.filter(
            Q(archived_at__isnull=True) | Q(pk=self.instance.kpi_id or 0)
        ).order_by("name")
        self.fields["team"].queryset = teams.filter(
            Q(archived_at__isnull=True) | Q(pk=self.instance.team_id or 0)
        ).order_by("name")
        self.fields["metric"].choices = list(ExperimentMetric.choices)
        if creating and not self.is_bound:
            self.fields["metric"].initial = ExperimentMetric.CONVERSION
        self.design_fixed = not creating and self.instance.status != ExperimentStatus.DRAFT

    def clean_variants(self) -> list[str]:
        names = [line.strip() for line in self.cleaned_data["variants"].splitlines()]
        names = [name for name in names if name]
        if any(len(name) > 80 for name in names):
            raise forms.ValidationError(_("A variant's name has at most 80 characters."))
        if len(names) > MAX_VARIANTS:
            raise forms.ValidationError(_("Compare at most six variants."))
        return names


class ExperimentFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status")), *ExperimentStatus.choices]


def _number(text: str) -> Decimal | None:
    """A finite number within what an observation stores (4 decimals), or None."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value) >= MAX_VALUE:
        return None
    return value.quantize(FOUR_PLACES)


class ResultsForm(forms.Form):
    """Results typed in per variant: trials and successes for a conversion, values one per line
    for a mean. Variants left empty get nothing; at least one variant must get something."""

    MAX_TRIALS = 1_000_000_000

    def __init__(self, *args: Any, experiment: Experiment, variants: list[Variant], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.experiment = experiment
        self.variants = variants
        self.conversion = experiment.metric == ExperimentMetric.CONVERSION
        for variant in variants:
            if self.conversion:
                self.fields[f"trials_{variant.pk}"] = forms.IntegerField(
                    label=_("Trials"), required=False, min_value=1, max_value=self.MAX_TRIALS
                )
                self.fields[f"successes_{variant.pk}"] = forms.IntegerField(
                    label=_("Successes"), required=False, min_value=0, max_value=self.MAX_TRIALS
                )
            else:
                self.fields[f"values_{variant.pk}"] = forms.CharField(
                    label=_("Values, one per line"),
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )

    def rows_by_variant(self) -> list[dict[str, Any]]:
        """For the template: each variant with its bound fields."""
        result = []
        for variant in self.variants:
            if self.conversion:
                fields = [self[f"trials_{variant.pk}"], self[f"successes_{variant.pk}"]]
            else:
                fields = [self[f"values_{variant.pk}"]]
            result.append({"variant": variant, "fields": fields})
        return result

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rows: list[ResultRow] = []
        for variant in self.variants:
            if self.conversion:
                rows.extend(self._conversion_row(data, variant))
            else:
                rows.extend(self._mean_rows(data, variant))
        if not rows and not self.errors:
            raise forms.ValidationError(_("Enter results for at least one variant."))
        data["rows"] = rows
        return data

    def _conversion_row(self, data: dict[str, Any], variant: Variant) -> list[ResultRow]:
        trials_name, successes_name = f"trials_{variant.pk}", f"successes_{variant.pk}"
        if trials_name in self.errors or successes_name in self.errors:
            return []
        trials, successes = data.get(trials_name), data.get(successes_name)
        if trials is None and successes is None:
            return []
        if trials is None:
            self.add_error(trials_name, _("Give the trials as well."))
            return []
        if successes is None:
            self.add_error(successes_name, _("Give the successes as well (0 if none)."))
            return []
        if successes > trials:
            self.add_error(successes_name, _("There cannot be more successes than trials."))
            return []
        return [ResultRow(variant.name, trials=trials, successes=successes)]

    def _mean_rows(self, data: dict[str, Any], variant: Variant) -> list[ResultRow]:
        name = f"values_{variant.pk}"
        rows, bad = [], []
        for number, line in enumerate((data.get(name) or "").splitlines(), start=1):
            if not line.strip():
                continue
            value = _number(line)
            if value is None:
                bad.append(number)
            else:
                rows.append(ResultRow(variant.name, value=value))
        if bad:
            self.add_error(
                name,
                _("These lines are not numbers: %(lines)s")
                % {"lines": ", ".join(str(n) for n in bad[:20])},
            )
            return []
        return rows


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))

    MAX_BYTES = 5 * 1024 * 1024

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(_("Upload a .csv file."))
        return upload
