"""One activity: its state (done, blocked) and the comment thread where its C give input."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops.permissions import can, require
from salesops.selectors import get_or_404, history_for
from salesops.views.helpers import render_page

from .. import selectors, services
from ..forms import ActivityStateForm, CommentForm
from ..models import RaciActivity, RaciAssignment


def _activity(request: HttpRequest, pk: int, activity_pk: int) -> RaciActivity:
    require(request.membership, "raci.view")
    matrix = selectors.matrix_get(membership=request.membership, pk=pk)
    return get_or_404(
        RaciActivity.objects.filter(matrix=matrix).select_related("matrix"), pk=activity_pk
    )


def _holds_a_role(request: HttpRequest, activity: RaciActivity) -> bool:
    membership = request.membership
    team_ids = membership.team_memberships.values_list("team_id", flat=True)
    return (
        RaciAssignment.objects.filter(activity=activity)
        .filter(participant__membership=membership)
        .exists()
        or RaciAssignment.objects.filter(
            activity=activity, participant__team_id__in=team_ids
        ).exists()
    )


def activity_detail(request: HttpRequest, pk: int, activity_pk: int) -> HttpResponse:
    activity = _activity(request, pk, activity_pk)
    grid = selectors.grid_for(matrix=activity.matrix)
    roles = [
        (participant, letters)
        for participant in grid.participants
        if (letters := grid.cells.get((activity.pk, participant.pk), ""))
    ]
    may_act = can(request.membership, "raci.edit") or _holds_a_role(request, activity)
    context = {
        "activity": activity,
        "matrix": activity.matrix,
        "roles": roles,
        "comments": selectors.comments_of(activity),
        "state_form": ActivityStateForm(initial={"state": activity.state}) if may_act else None,
        "comment_form": CommentForm() if may_act else None,
        "history": history_for(activity, limit=20),
    }
    return render_page(request, "raci/activity_detail.html", context)


@require_POST
def activity_state(request: HttpRequest, pk: int, activity_pk: int) -> HttpResponse:
    activity = _activity(request, pk, activity_pk)
    if not (can(request.membership, "raci.edit") or _holds_a_role(request, activity)):
        require(request.membership, "raci.edit")
    form = ActivityStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose open, done or blocked."))
    else:
        try:
            services.activity_set_state(actor=request.user, activity=activity, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Saved. Its Accountable and Informed people are told."))
    return redirect(
        "raci:activity_detail", org_slug=request.org.slug, pk=pk, activity_pk=activity_pk
    )


@require_POST
def activity_comment(request: HttpRequest, pk: int, activity_pk: int) -> HttpResponse:
    activity = _activity(request, pk, activity_pk)
    if not (can(request.membership, "raci.edit") or _holds_a_role(request, activity)):
        require(request.membership, "raci.edit")
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a comment first."))
    else:
        services.activity_comment(
            actor=request.user, activity=activity, body=form.cleaned_data["body"]
        )
        messages.success(request, _("Comment added."))
    return redirect(
        "raci:activity_detail", org_slug=request.org.slug, pk=pk, activity_pk=activity_pk
    )
