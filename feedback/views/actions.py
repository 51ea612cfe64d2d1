""" "You said, we did": follow-up actions on survey results and on suggestions."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from salesops.permissions import can, require
from salesops.selectors import get_or_404
from salesops.views.helpers import apply_errors, paginate, render_page, safe_next

from .. import selectors, services
from ..forms import ActionForm
from ..models import FollowUpAction, Suggestion, Survey
from .surveys import org_day


def _list_url(request: HttpRequest) -> str:
    return reverse("feedback:action_list", kwargs={"org_slug": request.org.slug})


def action_list(request: HttpRequest) -> HttpResponse:
    actions = selectors.visible_actions(membership=request.membership).order_by(
        F("survey__created_at").desc(nulls_last=True), "survey_id", "status", "due_date", "pk"
    )
    context = {
        "page": paginate(request, actions),
        "query": "",
        "may_manage": can(request.membership, "followup.manage"),
        "today": org_day(request),
    }
    return render_page(request, "feedback/action_list.html", context)


def _render_form(
    request: HttpRequest,
    form: ActionForm,
    *,
    survey: Survey | None,
    action: FollowUpAction | None = None,
    suggestion: Suggestion | None = None,
) -> HttpResponse:
    context = {
        "form": form,
        "survey": survey,
        "action": action,
        "suggestion": suggestion,
        "next": safe_next(request, ""),
    }
    return render_page(
        request, "feedback/action_form.html", context, status=400 if form.errors else 200
    )


def action_create(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "followup.manage")
    survey = selectors.survey_get(membership=request.membership, pk=pk)
    require(request.membership, "survey.manage")
    initial = {"owner": request.user.pk, "due_date": org_day(request)}
    wanted = request.GET.get("question", "")
    if wanted.isdigit() and survey.questions.filter(pk=int(wanted)).exists():
        initial["question"] = int(wanted)
    form = ActionForm(request.POST or None, org=request.org, survey=survey, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_save(
                actor=request.user, org=request.org, survey=survey, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("Action saved. Everyone asked in this survey can follow it.")
            )
            return redirect(safe_next(request, services.survey_url(survey) + "#actions"))
    return _render_form(request, form, survey=survey)


def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "followup.manage")
    action = get_or_404(selectors.actions_for(org=request.org), pk=pk)
    form = ActionForm(request.POST or None, instance=action, org=request.org, survey=action.survey)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_save(
                actor=request.user, org=request.org, action=action, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Action saved."))
            return redirect(safe_next(request, _list_url(request)))
        action = get_or_404(selectors.actions_for(org=request.org), pk=pk)
    return _render_form(request, form, survey=action.survey, action=action)


def suggestion_action(request: HttpRequest, pk: str) -> HttpResponse:
    require(request.membership, "followup.manage")
    require(request.membership, "suggestion.read")
    suggestion = get_or_404(Suggestion.objects.for_org(request.org), pk=pk)
    # Only a suggestion its readers may see: one of a month in which enough people wrote.
    visible = services.suggestion_months_visible(
        org=request.org, threshold=request.org.comment_threshold
    )
    if suggestion.month not in visible:
        raise Http404
    form = ActionForm(
        request.POST or None,
        org=request.org,
        survey=None,
        initial={"owner": request.user.pk, "due_date": org_day(request)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.action_save(
                actor=request.user, org=request.org, suggestion=suggestion, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("Action saved. Everyone can follow it on “You said, we did”.")
            )
            return redirect(_list_url(request))
    return _render_form(request, form, survey=None, suggestion=suggestion)
