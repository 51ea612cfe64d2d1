"""Disputes between teams: the list with their age, raising one, statements, the arbitrator's decision."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops.permissions import require
from salesops.selectors import history_for
from salesops.views.helpers import apply_errors, paginate, render_page

from .. import disputes, selectors
from ..forms import DecisionForm, DisputeForm, StatementForm
from ..models import Dispute, DisputeStatus


def dispute_list(request: HttpRequest) -> HttpResponse:
    require(request.membership, "raci.view")
    status = request.GET.get("status", "open")
    status = status if status in DisputeStatus.values else "open"
    page = paginate(
        request, disputes.disputes_for(membership=request.membership).filter(status=status)
    )
    return render_page(
        request, "raci/dispute_list.html", {"page": page, "status": status, "now": timezone.now()}
    )


def dispute_create(request: HttpRequest) -> HttpResponse:
    require(request.membership, "raci.view")
    initial = {}
    if request.GET.get("activity", "").isdigit():
        initial["activity"] = request.GET["activity"]
    form = DisputeForm(request.POST or None, org=request.org, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            dispute = disputes.dispute_raise(
                actor=request.user, org=request.org, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("Dispute raised. The arbitrator and both teams have been told.")
            )
            return redirect("raci:dispute_detail", org_slug=request.org.slug, pk=dispute.pk)
    return render_page(
        request, "raci/dispute_form.html", {"form": form}, status=400 if form.errors else 200
    )


def _decision_form(dispute: Dispute, data: object = None) -> tuple[DecisionForm, dict[int, str]]:
    """The decision, with the linked activity's letters to change in the same step."""
    if dispute.activity is None:
        return DecisionForm(data, participants=[], current={}), {}
    grid = selectors.grid_for(matrix=dispute.activity.matrix)
    current = {p.pk: grid.cells.get((dispute.activity_id, p.pk), "") for p in grid.participants}
    return DecisionForm(data, participants=grid.participants, current=current), current


def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = disputes.dispute_get(membership=request.membership, pk=pk)
    is_arbitrator = (
        dispute.arbitrator_id == request.user.pk and dispute.status == DisputeStatus.OPEN
    )
    decision_form = _decision_form(dispute)[0] if is_arbitrator else None
    context = {
        "dispute": dispute,
        "statements": dispute.statements.select_related("team", "author"),
        "speaks_for": disputes.may_state(request.membership, dispute)
        if dispute.status == DisputeStatus.OPEN
        else None,
        "statement_form": StatementForm(),
        "decision_form": decision_form,
        "now": timezone.now(),
        "history": history_for(dispute, limit=20),
    }
    return render_page(request, "raci/dispute_detail.html", context)


@require_POST
def dispute_statement(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = disputes.dispute_get(membership=request.membership, pk=pk)
    team = disputes.may_state(request.membership, dispute)
    if team is None:
        disputes.refuse_not_party(request.membership)
    form = StatementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the statement first."))
    else:
        try:
            disputes.dispute_add_statement(
                actor=request.user, dispute=dispute, team=team, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Statement added."))
    return redirect("raci:dispute_detail", org_slug=request.org.slug, pk=pk)


@require_POST
def dispute_decide(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = disputes.dispute_get(membership=request.membership, pk=pk)
    if dispute.arbitrator_id != request.user.pk:
        disputes.refuse_not_arbitrator(request.membership)
    form, current = _decision_form(dispute, request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the decision and its reasoning."))
    else:
        try:
            disputes.dispute_decide(
                actor=request.user,
                dispute=dispute,
                decision=form.cleaned_data["decision"],
                changes=form.changes(current),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Decision recorded. Both teams have been told."))
    return redirect("raci:dispute_detail", org_slug=request.org.slug, pk=pk)
