"""Forms of the experiment pages (design, results, CSV import) and of the deviation-alert pages."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from actionplans.selectors import people_of
from feedback.models import SCORED_KINDS, Question
from goals.models import Kpi
from salesops.models import Organization, Role, Team

from .experiments import MAX_VARIANTS, ResultRow
from .models import (
    AlertChannel,
    AlertComparator,
    AlertRule,
    AlertScope,
    AlertSeverity,
    AlertState,
    AlertSubject,
    Experiment,
    ExperimentMetric,
    ExperimentStatus,
    Variant,
)

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


# --- deviation alerts -----------------------------------------------------------------------


def _rule_field(name: str, **kwargs: Any) -> Any:
    """The form field of an AlertRule column, with the model's label and help text."""
    return AlertRule._meta.get_field(name).formfield(**kwargs)


class AlertRuleForm(forms.Form):
    """An alert rule: what is watched, when it deviates, for which teams, and whom to tell.

    A plain form rather than a ModelForm, so the rule is changed only by the service. The KPI
    and question pickers are shown for the subjects that use them; a value left in a hidden
    picker is dropped here, and the service checks what each subject needs.
    """

    name = _rule_field("name")
    action = _rule_field("action", widget=forms.Textarea(attrs={"rows": 2}))
    subject = _rule_field("subject")
    kpi = _rule_field("kpi")
    question = _rule_field("question")
    period_kind = _rule_field("period_kind")
    comparator = _rule_field("comparator")
    threshold = _rule_field("threshold")
    scope = _rule_field("scope")
    teams = _rule_field("teams", widget=forms.SelectMultiple(attrs={"size": 6}))
    severity = _rule_field("severity")
    recipient_roles = forms.MultipleChoiceField(
        label=_("Roles to tell"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    recipient_teams = _rule_field(
        "recipient_teams",
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Everyone in these teams is told."),
    )
    recipient_people = _rule_field(
        "recipient_people",
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several people."),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=AlertChannel.choices,
        required=False,
        initial=[AlertChannel.IN_APP],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    RELATIONS = ("teams", "recipient_teams", "recipient_people")

    def __init__(
        self, *args: Any, org: Organization, rule: AlertRule | None = None, **kwargs: Any
    ) -> None:
        if rule is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(rule)
        super().__init__(*args, **kwargs)
        self.rule = rule
        keep_kpi = rule.kpi_id if rule is not None and rule.kpi_id else 0
        keep_question = rule.question_id if rule is not None and rule.question_id else 0
        # An archived KPI or team the rule already uses stays choosable, so the form still saves.
        self.fields["kpi"].queryset = (
            Kpi.objects.for_org(org)
            .filter(Q(archived_at__isnull=True) | Q(pk=keep_kpi))
            .order_by("name")
        )
        self.fields["kpi"].label_from_instance = lambda kpi: kpi.display_name
        self.fields["question"].queryset = (
            Question.objects.filter(survey__org=org)
            .filter(Q(kind__in=SCORED_KINDS) | Q(pk=keep_question))
            .select_related("survey")
            .order_by("survey__title", "position", "pk")
        )
        self.fields["question"].label_from_instance = lambda question: (
            f"{question.survey.title} · {question.text}"
        )
        kept_teams: set[int] = set()
        if rule is not None:
            kept_teams = {team.pk for team in rule.teams.all()} | {
                team.pk for team in rule.recipient_teams.all()
            }
        teams = (
            Team.objects.for_org(org)
            .filter(Q(archived_at__isnull=True) | Q(pk__in=kept_teams))
            .order_by("name")
        )
        self.fields["teams"].queryset = teams
        self.fields["recipient_teams"].queryset = teams
        people = self.fields["recipient_people"]
        people.queryset = people_of(org)
        people.label_from_instance = lambda user: f"{user.display_name} <{user.email}>"
        self.fields["subject"].choices = list(AlertSubject.choices)
        self.fields["comparator"].choices = list(AlertComparator.choices)
        self.fields["threshold"].help_text = _(
            "In the subject's unit: a percentage as 80 for 80%, a gap in percentage points."
        )
        self.fields["teams"].help_text = _("Only when the scope is chosen teams.")
        self.fields["kpi"].help_text = _("Only when a KPI's rollup is watched.")
        self.fields["question"].help_text = _(
            "Only when a pulse-survey question is watched: its average score."
        )

    @staticmethod
    def initial_for(rule: AlertRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "action": rule.action,
            "subject": rule.subject,
            "kpi": rule.kpi_id,
            "question": rule.question_id,
            "period_kind": rule.period_kind,
            "comparator": rule.comparator,
            "threshold": rule.threshold,
            "scope": rule.scope,
            "teams": [team.pk for team in rule.teams.all()],
            "severity": rule.severity,
            "recipient_roles": list(rule.recipient_roles or []),
            "recipient_teams": [team.pk for team in rule.recipient_teams.all()],
            "recipient_people": [user.pk for user in rule.recipient_people.all()],
            "channels": list(rule.channels or []),
            "is_active": rule.is_active,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("subject") != AlertSubject.KPI:
            data["kpi"] = None
        if data.get("subject") != AlertSubject.PULSE:
            data["question"] = None
        if data.get("scope") != AlertScope.TEAMS and "teams" in data:
            data["teams"] = Team.objects.none()
        return data

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned data split as the services take it: relations apart, as lists."""
        fields = dict(self.cleaned_data)
        relations = {name: list(fields.pop(name) or []) for name in self.RELATIONS}
        return {**relations, **fields}


class AlertFilterForm(forms.Form):
    """Filters of the alert list. No state chosen means the alerts still being worked on."""

    ACTIVE, ALL = "", "all"

    state = forms.ChoiceField(label=_("State"), required=False)
    severity = forms.ChoiceField(label=_("Severity"), required=False)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("Any team")
    )
    rule = forms.ModelChoiceField(
        label=_("Rule"),
        queryset=AlertRule.objects.none(),
        required=False,
        empty_label=_("Any rule"),
    )

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [
            (self.ACTIVE, _("Open and acknowledged")),
            *AlertState.choices,
            (self.ALL, _("Any state")),
        ]
        self.fields["severity"].choices = [("", _("Any severity")), *AlertSeverity.choices]
        self.fields["team"].queryset = Team.objects.for_org(org).active().order_by("name")
        self.fields["rule"].queryset = AlertRule.objects.for_org(org).order_by("name", "pk")

    def filters(self) -> dict[str, Any]:
        """The valid filters; one that does not validate (another organisation's team, a
        made-up state) is left out rather than emptying the list."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "state": data.get("state") or self.ACTIVE,
            "severity": data.get("severity") or "",
            "team": data.get("team"),
            "rule": data.get("rule"),
        }


class AlertAcknowledgeForm(forms.Form):
    """Nothing to fill in: the button is the whole form."""


class AlertResolveForm(forms.Form):
    note = forms.CharField(
        label=_("Resolution note"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was found and what was done, for whoever reads the alert later."),
    )
