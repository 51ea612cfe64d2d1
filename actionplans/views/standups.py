"""Team stand-ups: the overview of my teams, a team's stand-up with my entry, and its settings."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from goals.services.checkins import org_today
from salesops.models import Team
from salesops.permissions import can, require
from salesops.selectors import team_get, team_webhooks
from salesops.views.helpers import apply_errors, paginate, render_page

from .. import standups
from ..forms import StandupEntryForm, StandupSettingsForm


def standup_index(request: HttpRequest) -> HttpResponse:
    require(request.membership, "team.view")
    today = org_today(request.org).date()
    page = paginate(request, standups.standup_teams_for(membership=request.membership))
    statuses = standups.standup_statuses(
        teams=list(page.object_list), membership=request.membership, today=today
    )
    return render_page(
        request, "actionplans/standup_index.html", {"page": page, "statuses": statuses}
    )


def _entry_form(request: HttpRequest, report: standups.StandupReport) -> StandupEntryForm:
    mine = report.entry_of(request.user)
    if mine is None:
        return StandupEntryForm(org=request.org, user=request.user)
    linked = [milestone.pk for milestone in mine.milestones.all()]
    return StandupEntryForm(
        org=request.org,
        user=request.user,
        current=linked,
        initial={
            "yesterday": mine.yesterday,
            "today": mine.today,
            "blockers": mine.blockers,
            "milestones": linked,
        },
    )


def _standup_context(
    request: HttpRequest, team: Team, form: StandupEntryForm | None = None
) -> dict[str, Any]:
    """`form`: the posted form when it has errors, shown even where posting is closed."""
    membership = request.membership
    today = org_today(request.org).date()
    report = standups.standup_today(team=team, today=today)
    is_member = can(membership, "standup.post", team)
    if form is None and is_member and report.day is not None and not team.is_archived:
        form = _entry_form(request, report)
    return {
        "team": team,
        "report": report,
        "my_entry": report.entry_of(request.user),
        "form": form,
        "is_member": is_member,
        "can_configure": can(membership, "standup.settings", team) and not team.is_archived,
        "recent": standups.standup_recent(team=team, before=report.day or today),
    }


def team_standup(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "team.view")
    team = team_get(org=request.org, pk=pk)
    return render_page(
        request,
        "actionplans/team_standup.html",
        _standup_context(request, team),
        partial="standup-today",
    )


@require_POST
def standup_post(request: HttpRequest, pk: int) -> HttpResponse:
    team = team_get(org=request.org, pk=pk)
    require(request.membership, "standup.post", team)
    # Milestones the entry links may sit on plans closed since; they stay valid choices.
    posted_ids = [value for value in request.POST.getlist("milestones") if value.isdigit()]
    form = StandupEntryForm(request.POST, org=request.org, user=request.user, current=posted_ids)
    saved = False
    if form.is_valid():
        try:
            standups.standup_post(actor=request.user, team=team, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your stand-up entry is saved."))
            if not request.htmx:
                return redirect("actionplans:team_standup", org_slug=request.org.slug, pk=pk)
            saved = True
    # htmx swaps only 2xx answers, so the fragment with errors comes back as 200.
    return render_page(
        request,
        "actionplans/team_standup.html",
        _standup_context(request, team, None if saved else form),
        partial="standup-today",
        status=200 if request.htmx else 400,
    )


def standup_settings(request: HttpRequest, pk: int) -> HttpResponse:
    team = team_get(org=request.org, pk=pk)
    require(request.membership, "standup.settings", team)
    current = standups.standup_settings_get(team=team)
    initial = {
        "cadence": current.cadence if current else "daily",
        "weekday": current.weekday if current else 0,
        "digest_time": current.digest_time if current else standups.DEFAULT_DIGEST_TIME,
        "digest_enabled": current.digest_enabled if current else True,
    }
    form = StandupSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            standups.standup_settings_save(actor=request.user, team=team, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Stand-up settings saved."))
            return redirect("actionplans:team_standup", org_slug=request.org.slug, pk=pk)
    context = {
        "team": team,
        "form": form,
        "has_channel": team_webhooks(org=request.org, team=team).filter(is_active=True).exists(),
    }
    return render_page(
        request,
        "actionplans/standup_settings.html",
        context,
        status=400 if form.errors else 200,
    )
