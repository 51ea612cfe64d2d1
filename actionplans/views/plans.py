"""Plans: the list, creating one (empty or from a template), the plan page, editing, resources."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops.permissions import can, require
from salesops.selectors import get_or_404, history_for
from salesops.views.helpers import apply_errors, paginate, render_page

from .. import selectors, services
from ..forms import (
    ContingencyMilestoneForm,
    PlanCreateForm,
    PlanFilterForm,
    PlanForm,
    ResourceForm,
)
from ..models import Resource


def org_day(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Today in the organisation's time zone (the middleware activated it)."""
    return timezone.localdate()


def plan_list(request: HttpRequest) -> HttpResponse:
    require(request.membership, "plan.view")
    form = PlanFilterForm(request.GET or None, org=request.org)
    filters = selectors.PlanFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.PlanFilters(
            status=data["status"],
            team=data["team"].pk if data["team"] else None,
            search=data["q"].strip(),
            mine=data["mine"],
        )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter_form": form,
        "page": paginate(
            request, selectors.plans_for(membership=request.membership, filters=filters)
        ),
        "query": query.urlencode(),
    }
    return render_page(request, "actionplans/plan_list.html", context, partial="plan-table")


def plan_create(request: HttpRequest) -> HttpResponse:
    require(request.membership, "plan.create")
    initial = {
        "owner": request.user.pk,
        "start_date": org_day(request),
        "blueprint": request.GET.get("blueprint", ""),
    }
    form = PlanCreateForm(request.POST or None, org=request.org, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["blueprint"]:
                plan = services.plan_create_from_blueprint(
                    actor=request.user,
                    org=request.org,
                    key=data["blueprint"],
                    owner=data["owner"],
                    start_date=data["start_date"],
                    title=data["title"],
                    team=data["team"],
                    goals=list(data["goals"]),
                )
            else:
                plan = services.plan_create(
                    actor=request.user,
                    org=request.org,
                    goals=list(data["goals"]),
                    title=data["title"],
                    owner=data["owner"],
                    team=data["team"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("Plan created as a draft. Set it running when it is ready.")
            )
            return redirect("actionplans:plan_detail", org_slug=request.org.slug, pk=plan.pk)
    return render_page(
        request, "actionplans/plan_create.html", {"form": form}, status=400 if form.errors else 200
    )


def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "plan.view")
    plan = selectors.plan_get(org=request.org, pk=pk)
    today = org_day(request)
    milestones = list(selectors.plan_milestones(plan=plan))
    live = [m for m in milestones if not m.is_dormant]
    risks = list(selectors.plan_risks(plan=plan))
    may_edit = can(request.membership, "plan.edit", plan)
    done = sum(1 for m in live if m.is_done)
    context = {
        "plan": plan,
        "goals": list(plan.goals.select_related("kpi")),
        "milestones": live,
        "dormant": [m for m in milestones if m.is_dormant],
        "overdue": selectors.overdue_ids(live, today),
        "done_count": done,
        "done_percent": round(done / len(live) * 100) if live else None,
        "timeline": selectors.plan_timeline(plan=plan, milestones=milestones, today=today),
        "budget": selectors.budget_totals(plan=plan),
        "resources": list(plan.resources.all()),
        "risks": risks,
        "risk_matrix": selectors.plan_risk_matrix(risks),
        "open_blockers": list(selectors.plan_open_blockers(plan=plan)),
        "may_edit": may_edit,
        "may_activate": can(request.membership, "plan.activate_plan_b", plan),
        "resource_form": ResourceForm() if may_edit else None,
        "contingency_form": ContingencyMilestoneForm(plan=plan, initial={"owner": plan.owner_id})
        if may_edit
        else None,
        "history": history_for(plan, limit=20) if can(request.membership, "history.view") else [],
        "show_history": can(request.membership, "history.view"),
        "today": today,
    }
    return render_page(request, "actionplans/plan_detail.html", context)


def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(org=request.org, pk=pk)
    require(request.membership, "plan.edit", plan)
    form = PlanForm(request.POST or None, instance=plan, org=request.org)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        goals = list(data.pop("goals"))
        try:
            services.plan_update(actor=request.user, plan=plan, goals=goals, **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Plan saved."))
            return redirect("actionplans:plan_detail", org_slug=request.org.slug, pk=pk)
    plan = selectors.plan_get(org=request.org, pk=pk)
    return render_page(
        request,
        "actionplans/plan_form.html",
        {"form": form, "plan": plan},
        status=400 if form.errors else 200,
    )


# --- resources ----------------------------------------------------------------------------


def _editable_plan(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    plan = selectors.plan_get(org=request.org, pk=pk)
    require(request.membership, "plan.edit", plan)
    return plan


def _resource(plan: Model, resource_pk: int) -> Resource:
    return get_or_404(Resource.objects.filter(plan=plan), pk=resource_pk)


@require_POST
def resource_add(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _editable_plan(request, pk)
    return _resource_save(request, plan, None)


def resource_edit(request: HttpRequest, pk: int, resource_pk: int) -> HttpResponse:
    plan = _editable_plan(request, pk)
    resource = _resource(plan, resource_pk)
    if request.method == "POST":
        return _resource_save(request, plan, resource)
    form = ResourceForm(instance=resource)
    return render_page(
        request,
        "actionplans/resource_form.html",
        {"form": form, "plan": plan, "resource": resource},
    )


def _resource_save(request: HttpRequest, plan, resource: Resource | None) -> HttpResponse:  # type: ignore[no-untyped-def]
    form = ResourceForm(request.POST)
    if form.is_valid():
        try:
            services.resource_save(
                actor=request.user, plan=plan, resource=resource, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Resource saved."))
            return redirect(f"{services.plan_url(plan)}#resources")
    return render_page(
        request,
        "actionplans/resource_form.html",
        {"form": form, "plan": plan, "resource": resource},
        status=400,
    )


@require_POST
def resource_delete(request: HttpRequest, pk: int, resource_pk: int) -> HttpResponse:
    plan = _editable_plan(request, pk)
    services.resource_delete(actor=request.user, resource=_resource(plan, resource_pk))
    messages.success(request, _("Resource removed."))
    return redirect(f"{services.plan_url(plan)}#resources")
