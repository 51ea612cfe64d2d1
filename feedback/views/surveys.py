"""Surveys: the list (with what is waiting for me), creating one, its page with questions and
rounds, settings, archiving, and opening and closing rounds."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from goals.services.checkins import org_today
from salesops.models import Role
from salesops.permissions import can, require
from salesops.selectors import get_or_404, history_for
from salesops.views.helpers import apply_errors, flash_form_errors, paginate, render_page

from .. import selectors, services
from ..forms import QuestionForm, ScheduleForm, SurveyCreateForm, SurveyForm
from ..models import Question, Round, Survey


def org_day(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Today in the organisation's time zone, exactly as the services count it."""
    return org_today(request.org).date()


def _detail(survey: Survey, anchor: str = ""):  # type: ignore[no-untyped-def]
    return redirect(services.survey_url(survey) + (f"#{anchor}" if anchor else ""))


def _error_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def _is_open(round_: Round, today) -> bool:  # type: ignore[no-untyped-def]
    return round_.closed_at is None and round_.opens_on <= today <= round_.closes_on


# --- the list -----------------------------------------------------------------------------


def survey_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    today = org_day(request)
    manages = can(membership, "survey.manage")
    # Only surveys addressed to me (admins and leaders see every survey, not only theirs).
    for_you = [
        (survey, round_, answered)
        for survey, round_, answered in selectors.my_open_rounds(membership=membership, today=today)
        if answered or services.in_audience(survey, request.user)
    ]
    page = None
    rows = []
    if manages or membership.role == Role.MANAGER:
        page = paginate(request, selectors.surveys_for(membership=membership))
        surveys = list(page.object_list)
        current: dict[int, Round] = {}
        open_rounds = (
            Round.objects.filter(
                survey__in=surveys,
                opens_on__lte=today,
                closes_on__gte=today,
                closed_at__isnull=True,
            )
            .annotate(respondents=Count("receipts", distinct=True))
            .order_by("number")
        )
        for open_one in open_rounds:
            current[open_one.survey_id] = open_one  # the latest open round wins
        for survey in surveys:
            shown = current.get(survey.pk)
            rate = None
            if shown is not None and shown.audience_size:
                rate = round(shown.respondents / shown.audience_size * 100)  # type: ignore[attr-defined]
            rows.append(
                {
                    "survey": survey,
                    "round": shown,
                    "rate": rate,
                    "results": can(membership, "survey.results", survey),
                }
            )
    context = {
        "for_you": for_you,
        "page": page,
        "rows": rows,
        "manages": manages,
        "query": "",
    }
    return render_page(request, "feedback/survey_list.html", context)


def survey_create(request: HttpRequest) -> HttpResponse:
    require(request.membership, "survey.manage")
    form = SurveyCreateForm(
        request.POST or None,
        org=request.org,
        initial={"template": request.GET.get("template", ""), "audience_all": True},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        teams = list(data["audience_teams"]) if not data["audience_all"] else []
        try:
            if data["template"]:
                survey = services.survey_create_from_template(
                    actor=request.user,
                    org=request.org,
                    key=data["template"],
                    title=data["title"],
                    audience_all=data["audience_all"],
                    audience_teams=teams,
                )
            else:
                survey = services.survey_create(
                    actor=request.user,
                    org=request.org,
                    title=data["title"],
                    audience_all=data["audience_all"],
                    audience_teams=teams,
                )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Survey created as a draft. Check its questions, then open a round."),
            )
            return _detail(survey)
    return render_page(
        request,
        "feedback/survey_create.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


# --- one survey ---------------------------------------------------------------------------


def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = request.membership
    survey = selectors.survey_get(membership=membership, pk=pk)
    manages = can(membership, "survey.manage")
    sees_results = can(membership, "survey.results", survey)
    today = org_day(request)
    if not manages and not sees_results:
        if not can(membership, "survey.answer", survey):
            require(membership, "survey.manage")  # 403, and the refusal is logged
        round_ = selectors.current_round(survey, today)
        if round_ is None:
            messages.info(request, _("No round of this survey is open at the moment."))
            return redirect("feedback:survey_list", org_slug=request.org.slug)
        return redirect(services.answer_url(round_))
    rounds = list(selectors.rounds_of(survey))
    current = selectors.current_round(survey, today)
    questions = selectors.questions_of(survey)
    locked = services.survey_is_locked(survey)
    context = {
        "survey": survey,
        "questions": questions,
        "rounds": rounds,
        "current": current,
        "open_ids": {r.pk for r in rounds if _is_open(r, today)},
        "locked": locked,
        "manages": manages,
        "sees_results": sees_results,
        "may_answer": current is not None and can(membership, "survey.answer", survey),
        "audience_teams": list(survey.audience_teams.order_by("name")),
        "question_form": QuestionForm() if manages and not locked else None,
        "schedule_form": ScheduleForm(initial={"opens_on": survey.first_round_on})
        if manages and not rounds
        else None,
        "actions": list(selectors.actions_for(org=request.org, survey=survey)),
        "may_follow_up": can(membership, "followup.manage"),
        "show_history": can(membership, "history.view"),
        "history": history_for(survey, limit=30) if can(membership, "history.view") else [],
        "today": today,
    }
    return render_page(request, "feedback/survey_detail.html", context)


def _managed_survey(request: HttpRequest, pk: int) -> Survey:
    require(request.membership, "survey.manage")
    return selectors.survey_get(membership=request.membership, pk=pk)


def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _managed_survey(request, pk)
    locked = services.survey_is_locked(survey)
    form = SurveyForm(request.POST or None, instance=survey, org=request.org, locked=locked)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        teams = list(data.pop("audience_teams"))
        try:
            services.survey_update(actor=request.user, survey=survey, audience_teams=teams, **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Survey saved."))
            return _detail(survey)
    return render_page(
        request,
        "feedback/survey_form.html",
        # The form may have changed the instance while validating: show what is stored.
        {
            "form": form,
            "survey": selectors.survey_get(membership=request.membership, pk=pk),
            "locked": locked,
        },
        status=400 if form.errors else 200,
    )


@require_POST
def survey_archive(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _managed_survey(request, pk)
    services.survey_archive(actor=request.user, survey=survey)
    messages.success(request, _("Survey archived. Its open round, if any, was closed."))
    return _detail(survey)


# --- questions ----------------------------------------------------------------------------


def _question(request: HttpRequest, pk: int) -> Question:
    require(request.membership, "survey.manage")
    return get_or_404(
        Question.objects.filter(survey__org=request.org).select_related("survey__org"), pk=pk
    )


def _locked_refusal(request: HttpRequest, survey: Survey) -> HttpResponse:
    messages.error(
        request,
        _("Questions are locked: this survey already has answers. Start a new survey instead."),
    )
    return _detail(survey, "questions")


def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _managed_survey(request, pk)
    if request.method != "POST" and services.survey_is_locked(survey):
        return _locked_refusal(request, survey)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_add(actor=request.user, survey=survey, spec=form.spec())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Question added."))
            return _detail(survey, "questions")
    return render_page(
        request,
        "feedback/question_form.html",
        {"form": form, "survey": survey, "question": None},
        status=400 if form.errors else 200,
    )


def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    survey = question.survey
    if request.method != "POST" and services.survey_is_locked(survey):
        return _locked_refusal(request, survey)
    form = QuestionForm(request.POST or None, initial=QuestionForm.initial_for(question))
    if request.method == "POST" and form.is_valid():
        try:
            services.question_update(actor=request.user, question=question, spec=form.spec())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Question saved."))
            return _detail(survey, "questions")
    return render_page(
        request,
        "feedback/question_form.html",
        {
            "form": form,
            "survey": survey,
            "question": Question.objects.get(pk=question.pk),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    try:
        services.question_delete(actor=request.user, question=question)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Question removed."))
    return _detail(question.survey, "questions")


@require_POST
def question_move(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    try:
        services.question_move(
            actor=request.user, question=question, direction=request.POST.get("direction", "")
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return _detail(question.survey, "questions")


# --- rounds -------------------------------------------------------------------------------


@require_POST
def round_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a round now, or — with a day chosen — schedule the first round for that day."""
    survey = _managed_survey(request, pk)
    if request.POST.get("opens_on"):
        return _schedule(request, survey)
    try:
        round_ = services.round_open(actor=request.user, survey=survey)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("Round %(number)s is open until %(day)s. Its audience has been notified.")
            % {"number": round_.number, "day": round_.closes_on.isoformat()},
        )
    return _detail(survey, "rounds")


def _schedule(request: HttpRequest, survey: Survey) -> HttpResponse:
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return _detail(survey, "rounds")
    try:
        services.survey_schedule(
            actor=request.user, survey=survey, opens_on=form.cleaned_data["opens_on"]
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("The first round opens on %(day)s; its audience is told that day.")
            % {"day": form.cleaned_data["opens_on"].isoformat()},
        )
    return _detail(survey, "rounds")


@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "survey.manage")
    round_ = selectors.round_get(membership=request.membership, pk=pk)
    try:
        services.round_close(actor=request.user, round_=round_)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Round %(number)s closed.") % {"number": round_.number})
    return _detail(round_.survey, "rounds")
