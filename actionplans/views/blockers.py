"""Blockers: the ones routed to me (or everyone's, for sales ops and leaders), and resolving them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops.models import Role
from salesops.permissions import require
from salesops.views.helpers import flash_form_errors, paginate, render_page, safe_next

from .. import selectors, services
from ..forms import BlockerFilterForm, BlockerResolveForm
from ..models import BlockerStatus


def blocker_list(request: HttpRequest) -> HttpResponse:
    require(request.membership, "plan.view")
    sees_all = request.membership.role in (Role.ADMIN, Role.LEADER)
    form = BlockerFilterForm(request.GET or None, sees_all=sees_all)
    status, scope = BlockerStatus.OPEN, "mine"
    if form.is_valid():
        status = form.cleaned_data["status"] or BlockerStatus.OPEN
        scope = form.cleaned_data["scope"] or "mine"
    blockers = selectors.blockers_for(
        membership=request.membership, status="" if status == "all" else status, scope=scope
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter_form": form,
        "page": paginate(request, blockers),
        "query": query.urlencode(),
        "resolve_form": BlockerResolveForm(),
    }
    return render_page(request, "actionplans/blocker_list.html", context, partial="blocker-table")


@require_POST
def blocker_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "plan.view")
    blocker = selectors.blocker_get(org=request.org, pk=pk)
    require(request.membership, "blocker.resolve", blocker)
    form = BlockerResolveForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
    else:
        try:
            services.blocker_resolve(actor=request.user, blocker=blocker, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Blocker resolved. Whoever reported it is told."))
    return redirect(safe_next(request, services.blocker_url(blocker)))
