"""The dashboards' filter: period (week, month, quarter or a custom range) and team."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from goals.periods import month_start, months_in
from salesops.models import Team

from .boards import CUSTOM, CUSTOM_MAX_MONTHS, PERIOD_CHOICES, BoardFilters
from .models import RollupPeriod

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DashboardFilterForm(forms.Form):
    """Read from GET. `teams` are the teams the viewer may pick (None: no team filter); any
    other id is refused like an unknown choice."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    end = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, teams: Sequence[Team] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"period": RollupPeriod.MONTH.value})
        super().__init__(*args, **kwargs)
        self._teams = {team.pk: team for team in teams or []}
        if teams is None:
            del self.fields["team"]
        else:
            self.fields["team"].choices = [  # type: ignore[attr-defined]
                ("", _("All teams")),
                *((team.pk, team.name) for team in teams),
            ]

    @property
    def has_team(self) -> bool:
        return "team" in self.fields

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        period = data.get("period") or RollupPeriod.MONTH.value
        data["period"] = period
        if period != CUSTOM:
            data["start"] = data["end"] = None
            return data
        start, end = data.get("start"), data.get("end")
        if start is None and "start" not in self.errors:
            self.add_error("start", _("A custom range needs a first day."))
        if end is None and "end" not in self.errors:
            self.add_error("end", _("A custom range needs a last day."))
        if start is not None and end is not None:
            if start > end:
                self.add_error("end", _("The last day must not be before the first."))
            elif len(months_in(month_start(start), end)) > CUSTOM_MAX_MONTHS:
                self.add_error(
                    "end",
                    _("A custom range may cover at most %(months)d months.")
                    % {"months": CUSTOM_MAX_MONTHS},
                )
        return data

    def filters(self) -> BoardFilters:
        """The chosen filters; the defaults (this month, every team) when the form is unbound
        or invalid — the page then shows the errors above the default figures."""
        if not self.is_bound or not self.is_valid():
            return BoardFilters()
        data = self.cleaned_data
        team_pk = data.get("team")
        return BoardFilters(
            period=data["period"],
            start=data.get("start"),
            end=data.get("end"),
            team=self._teams.get(team_pk) if team_pk is not None else None,
        )
