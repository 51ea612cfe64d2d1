"""Goal pages: list, my goals, tree, create/edit with the live SMART check, the goal page."""

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops.permissions import can, require
from salesops.selectors import history_for
from salesops.views.helpers import apply_errors, flash_form_errors, paginate, render_page

from .. import selectors
from ..forms import (
    ActivateForm,
    CheckInForm,
    CloseForm,
    CommentForm,
    GoalFilterForm,
    GoalForm,
    GoalSaveForm,
    MeasurementForm,
)
from ..models import GoalLevel, GoalStatus
from ..services import checkins, goals, measurements


def _filters(form: GoalFilterForm) -> selectors.GoalFilters:
    if not form.is_valid():
        return selectors.GoalFilters()
    data = form.cleaned_data
    return selectors.GoalFilters(
        team=data["team"].pk if data.get("team") else None,
        owner=data["owner"].pk if data.get("owner") else None,
        level=data.get("level") or "",
        status=data.get("status") or "",
        kpi=data["kpi"].pk if data.get("kpi") else None,
        period_start=data.get("period_start"),
        period_end=data.get("period_end"),
        search=(data.get("q") or "").strip()[:100],
    )


def _list_context(request: HttpRequest, filters: selectors.GoalFilters) -> dict[str, Any]:
    page = paginate(request, selectors.goals_for(membership=request.membership, filters=filters))
    metrics = selectors.goal_metrics(
        goals=list(page.object_list), org=request.org, today=timezone.localdate()
    )
    return {
        "page": page,
        "metrics": metrics,
        "query": request.GET.urlencode().replace("page=", "p="),
    }


def goal_list(request: HttpRequest) -> HttpResponse:
    form = GoalFilterForm(request.GET or None, membership=request.membership)
    context = {"filter_form": form, "mine": False, **_list_context(request, _filters(form))}
    return render_page(request, "goals/goal_list.html", context, partial="goal-table")


def my_goals(request: HttpRequest) -> HttpResponse:
    filters = selectors.GoalFilters(owner=request.user.pk)
    form = GoalFilterForm(membership=request.membership)
    context = {"filter_form": form, "mine": True, **_list_context(request, filters)}
    return render_page(request, "goals/goal_list.html", context, partial="goal-table")


def goal_tree(request: HttpRequest) -> HttpResponse:
    visible = list(
        selectors.goals_for(membership=request.membership).exclude(status=GoalStatus.CANCELLED)
    )
    metrics = selectors.goal_metrics(goals=visible, org=request.org, today=timezone.localdate())
    tree = selectors.goal_tree(goals=visible, metrics=metrics)
    return render_page(request, "goals/goal_tree.html", {"tree": tree, "metrics": metrics})


def _smart_context(request: HttpRequest, form: GoalForm) -> dict[str, Any]:
    """Run the SMART checker on whatever the form holds, valid or not."""
    form.is_valid()
    data = dict(getattr(form, "cleaned_data", {}))
    values = selectors.values_from(data)
    report = selectors.smart_report_for(org=request.org, values=values, today=timezone.localdate())
    suggestion = selectors.baseline_suggestion(org=request.org, values=values)
    return {"report": report, "baseline_suggestion": suggestion}


@require_POST
def smart_check(request: HttpRequest) -> HttpResponse:
    """The live SMART report: htmx posts the goal form here as the manager types."""
    require(request.membership, "goal.create")
    form = GoalForm(request.POST, membership=request.membership)
    return render_page(request, "goals/smart_report.html", _smart_context(request, form))


def goal_create(request: HttpRequest) -> HttpResponse:
    require(request.membership, "goal.create")
    initial = {"owner": request.user.pk, "start_date": timezone.localdate()}
    if request.GET.get("parent"):
        initial["parent"] = request.GET["parent"]
    if request.POST.get("level") == GoalLevel.COMPANY:
        require(request.membership, "goal.create_company")
    form = GoalSaveForm(request.POST or None, membership=request.membership, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            goal = goals.goal_create(actor=request.user, org=request.org, **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("Goal saved as a draft. Activate it when the SMART check is green.")
            )
            return redirect("goals:goal_detail", org_slug=request.org.slug, pk=goal.pk)
    context = {"form": form, "goal": None, **_smart_context(request, form)}
    return render_page(request, "goals/goal_form.html", context, status=400 if form.errors else 200)


def goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    goal = selectors.goal_get(membership=request.membership, pk=pk)
    require(request.membership, "goal.edit", goal)
    if request.POST.get("level") == GoalLevel.COMPANY and goal.level != GoalLevel.COMPANY:
        require(request.membership, "goal.create_company")
    form = GoalSaveForm(request.POST or None, instance=goal, membership=request.membership)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "")
        try:
            goals.goal_update(actor=request.user, goal=goal, reason=reason, **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Goal saved."))
            return redirect("goals:goal_detail", org_slug=request.org.slug, pk=pk)
    goal = selectors.goal_get(membership=request.membership, pk=pk)
    context = {"form": form, "goal": goal, **_smart_context(request, form)}
    return render_page(request, "goals/goal_form.html", context, status=400 if form.errors else 200)


def _chart(goal: Any, metrics: selectors.GoalMetrics) -> str:
    return json.dumps(
        {
            "labels": [month.strftime("%Y-%m") for month in metrics.months],
            "actual": metrics.actual_series,
            "expected": metrics.expected_series,
            "target": float(goal.target),
            "forecast": metrics.forecast,
            "names": {
                "actual": _("Actual"),
                "expected": _("Expected"),
                "target": _("Target"),
                "forecast": _("Forecast"),
            },
        }
    )


def goal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = request.membership
    goal = selectors.goal_get(membership=membership, pk=pk)
    today = timezone.localdate()
    children = list(selectors.goals_for(membership=membership).filter(parent=goal))
    all_metrics = selectors.goal_metrics(goals=[goal, *children], org=request.org, today=today)
    metrics = all_metrics[goal.pk]
    report = selectors.smart_report_for(
        org=request.org, values=selectors.goal_values(goal), today=today
    )
    context = {
        "goal": goal,
        "metrics": metrics,
        "chart": _chart(goal, metrics),
        "report": report,
        "children": [(child, all_metrics[child.pk]) for child in children],
        "checkins": selectors.checkins_for(goal=goal)[:12],
        "measurements": paginate(request, selectors.measurements_for(goal=goal), per_page=12),
        "history": history_for(goal, limit=30),
        "can_edit": can(membership, "goal.edit", goal),
        "can_measure": can(membership, "goal.measure", goal),
        "can_checkin": can(membership, "goal.checkin", goal) and goal.status == GoalStatus.ACTIVE,
        "can_comment": can(membership, "goal.comment", goal),
        "measurement_form": MeasurementForm(goal=goal, initial={"day": today}),
        "checkin_form": CheckInForm(),
        "comment_form": CommentForm(),
        "activate_form": ActivateForm(),
        "close_form": CloseForm(),
    }
    return render_page(request, "goals/goal_detail.html", context, partial="measurements")


@require_POST
def goal_activate(request: HttpRequest, pk: int) -> HttpResponse:
    goal = selectors.goal_get(membership=request.membership, pk=pk)
    require(request.membership, "goal.edit", goal)
    form = ActivateForm(request.POST)
    form.is_valid()
    try:
        goals.goal_activate(
            actor=request.user, goal=goal, reason=form.cleaned_data.get("reason", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Goal activated."))
    return redirect("goals:goal_detail", org_slug=request.org.slug, pk=pk)


@require_POST
def goal_close(request: HttpRequest, pk: int) -> HttpResponse:
    goal = selectors.goal_get(membership=request.membership, pk=pk)
    require(request.membership, "goal.edit", goal)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose achieved, missed or cancelled."))
    else:
        try:
            goals.goal_close(actor=request.user, goal=goal, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Goal closed as %(status)s.") % {"status": goal.get_status_display()}
            )
    return redirect("goals:goal_detail", org_slug=request.org.slug, pk=pk)


@require_POST
def measurement_add(request: HttpRequest, pk: int) -> HttpResponse:
    goal = selectors.goal_get(membership=request.membership, pk=pk)
    require(request.membership, "goal.measure", goal)
    form = MeasurementForm(request.POST, goal=goal)
    if form.is_valid():
        data = form.cleaned_data
        team, owner = selectors.measurement_scope_for(goal)
        try:
            measurements.measurement_record(
                actor=request.user,
                org=request.org,
                kpi=data["kpi"],
                day=data["day"],
                value=data["value"],
                period_kind=data["period_kind"],
                team=team,
                owner=owner,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Measurement saved."))
            return redirect("goals:goal_detail", org_slug=request.org.slug, pk=pk)
    flash_form_errors(request, form)
    return redirect("goals:goal_detail", org_slug=request.org.slug, pk=pk)


@require_POST
def measurement_delete(request: HttpRequest, pk: int, measurement_pk: int) -> HttpResponse:
    from salesops.selectors import get_or_404

    goal = selectors.goal_get(membership=request.membership, pk=pk)
    require(request.membership, "goal.measure", goal)
    measurement = get_or_404(selectors.measurements_for(goal=goal), pk=measurement_pk)
    measurements.measurement_delete(actor=request.user, measurement=measurement)
    messages.success(request, _("Measurement deleted."))
    return redirect("goals:goal_detail", org_slug=request.org.slug, pk=pk)


@require_POST
def checkin_save(request: HttpRequest, pk: int) -> HttpResponse:
    goal = selectors.goal_get(membership=request.membership, pk=pk)
    require(request.membership, "goal.checkin", goal)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Confidence is a number from 0 to 10."))
    else:
        try:
            checkins.checkin_save(actor=request.user, goal=goal, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Check-in saved."))
    return redirect("goals:goal_detail", org_slug=request.org.slug, pk=pk)


@require_POST
def checkin_comment(request: HttpRequest, pk: int, checkin_pk: int) -> HttpResponse:
    from salesops.selectors import get_or_404

    goal = selectors.goal_get(membership=request.membership, pk=pk)
    require(request.membership, "goal.comment", goal)
    checkin = get_or_404(selectors.checkins_for(goal=goal), pk=checkin_pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a comment first."))
    else:
        checkins.checkin_comment(
            actor=request.user, checkin=checkin, body=form.cleaned_data["body"]
        )
        messages.success(request, _("Comment added."))
    return redirect("goals:goal_detail", org_slug=request.org.slug, pk=pk)
