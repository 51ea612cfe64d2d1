"""Risks: adding and editing them with their trigger, triggering by hand, Plan B, closing."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops.permissions import require
from salesops.selectors import get_or_404, history_for
from salesops.views.helpers import apply_errors, flash_form_errors, render_page

from .. import selectors, services
from ..forms import ContingencyMilestoneForm, ReasonForm, RiskForm
from ..models import Risk
from .plans import org_day


def _risk(request: HttpRequest, pk: int) -> Risk:
    require(request.membership, "plan.view")
    return get_or_404(
        Risk.objects.filter(plan__org=request.org).select_related("plan__org", "plan__owner"),
        pk=pk,
    )


def _back(risk: Risk) -> HttpResponse:
    return redirect(f"{services.plan_url(risk.plan)}#risks")


def risk_create(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(org=request.org, pk=pk)
    require(request.membership, "plan.edit", plan)
    form = RiskForm(request.POST or None, plan=plan, initial={"owner": plan.owner_id})
    if request.method == "POST" and form.is_valid():
        try:
            risk = services.risk_save(actor=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Risk added."))
            return _back(risk)
    return render_page(
        request,
        "actionplans/risk_form.html",
        {"form": form, "plan": plan, "risk": None},
        status=400 if form.errors else 200,
    )


def risk_edit(request: HttpRequest, pk: int) -> HttpResponse:
    risk = _risk(request, pk)
    plan = risk.plan
    require(request.membership, "plan.edit", plan)
    form = RiskForm(request.POST or None, instance=risk, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.risk_save(actor=request.user, plan=plan, risk=risk, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Risk saved."))
            return _back(risk)
    risk = _risk(request, pk)
    context = {
        "form": form,
        "plan": plan,
        "risk": risk,
        "contingency": list(risk.contingency_milestones.select_related("owner")),
        "events": list(risk.trigger_events.all()[:24]),
        "history": history_for(risk, limit=20),
    }
    return render_page(
        request, "actionplans/risk_form.html", context, status=400 if form.errors else 200
    )


@require_POST
def risk_trigger(request: HttpRequest, pk: int) -> HttpResponse:
    risk = _risk(request, pk)
    require(request.membership, "plan.edit", risk.plan)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.risk_trigger(actor=request.user, risk=risk, reason=reason)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.warning(
            request, _("Risk marked as triggered. Its owner and the plan's owner are told.")
        )
    return _back(risk)


@require_POST
def risk_activate_plan_b(request: HttpRequest, pk: int) -> HttpResponse:
    risk = _risk(request, pk)
    require(request.membership, "plan.activate_plan_b", risk.plan)
    try:
        services.risk_activate_plan_b(actor=request.user, risk=risk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Plan B is live: its milestones start this week."))
    return _back(risk)


@require_POST
def risk_close(request: HttpRequest, pk: int) -> HttpResponse:
    risk = _risk(request, pk)
    require(request.membership, "plan.edit", risk.plan)
    form = ReasonForm(request.POST)
    try:
        services.risk_close(
            actor=request.user,
            risk=risk,
            reason=form.cleaned_data["reason"] if form.is_valid() else "",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Risk closed."))
    return _back(risk)


@require_POST
def risk_delete(request: HttpRequest, pk: int) -> HttpResponse:
    risk = _risk(request, pk)
    require(request.membership, "plan.edit", risk.plan)
    try:
        services.risk_delete(actor=request.user, risk=risk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Risk removed."))
    return _back(risk)


@require_POST
def contingency_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A Plan B milestone: dormant until the Plan B is activated, then it starts that week."""
    risk = _risk(request, pk)
    require(request.membership, "plan.edit", risk.plan)
    form = ContingencyMilestoneForm(request.POST, plan=risk.plan)
    if not form.is_valid():
        flash_form_errors(request, form)
        return _back(risk)
    data = form.cleaned_data
    start = max(risk.plan.start_date, org_day(request))
    start -= timedelta(days=start.weekday())
    try:
        services.milestone_create(
            actor=request.user,
            plan=risk.plan,
            title=data["title"],
            owner=data["owner"],
            start_week=start,
            due_week=start + timedelta(weeks=data["weeks"] - 1),
            contingency_for=risk,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Plan B milestone added."))
    return _back(risk)
