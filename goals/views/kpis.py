"""The KPI catalogue: everyone reads it, admins add and change KPIs."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops.permissions import require
from salesops.views.helpers import apply_errors, render_page

from .. import selectors
from ..forms import GoalPolicyForm, KpiForm
from ..services import kpis


def kpi_list(request: HttpRequest) -> HttpResponse:
    require(request.membership, "org.view")
    show_archived = request.GET.get("archived") == "1"
    catalogue = selectors.kpis_for(org=request.org, include_archived=show_archived)
    return render_page(
        request, "goals/kpi_list.html", {"kpis": catalogue, "show_archived": show_archived}
    )


def kpi_create(request: HttpRequest) -> HttpResponse:
    require(request.membership, "kpi.manage")
    form = KpiForm(request.POST or None, org=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            kpi = kpis.kpi_create(actor=request.user, org=request.org, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("KPI “%(name)s” added.") % {"name": kpi.display_name})
            return redirect("goals:kpi_list", org_slug=request.org.slug)
    return render_page(
        request,
        "goals/kpi_form.html",
        {"form": form, "kpi": None},
        status=400 if form.errors else 200,
    )


def kpi_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "kpi.manage")
    kpi = selectors.kpi_get(org=request.org, pk=pk)
    form = KpiForm(request.POST or None, instance=kpi, org=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            kpis.kpi_update(
                actor=request.user,
                kpi=selectors.kpi_get(org=request.org, pk=pk),
                **form.cleaned_data,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("KPI saved."))
            return redirect("goals:kpi_list", org_slug=request.org.slug)
    kpi = selectors.kpi_get(org=request.org, pk=pk)
    return render_page(
        request,
        "goals/kpi_form.html",
        {"form": form, "kpi": kpi},
        status=400 if form.errors else 200,
    )


@require_POST
def kpi_archive(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "kpi.manage")
    kpi = selectors.kpi_get(org=request.org, pk=pk)
    try:
        kpis.kpi_archive(actor=request.user, kpi=kpi)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("KPI archived."))
    return redirect("goals:kpi_list", org_slug=request.org.slug)


def goal_policy_edit(request: HttpRequest) -> HttpResponse:
    """When a goal counts as at risk or off track, and how far ahead goals may be planned."""
    require(request.membership, "kpi.manage")
    policy = selectors.goal_policy(org=request.org)
    form = GoalPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            kpis.goal_policy_update(actor=request.user, org=request.org, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Goal settings saved."))
            return redirect("goals:goal_policy", org_slug=request.org.slug)
    return render_page(
        request, "goals/goal_policy.html", {"form": form}, status=400 if form.errors else 200
    )
