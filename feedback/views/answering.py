"""The answer page: one round of a survey, answered anonymously.

Nothing here writes or logs who answered what: the view hands the answers to
`services.response_submit`, which stores the response without the person and the receipt
without the answers.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from salesops.models import Team
from salesops.permissions import require
from salesops.views.helpers import render_page

from .. import selectors, services
from ..models import Question, QuestionKind, Round
from .surveys import org_day

SCALE_LABELS = {
    1: gettext_lazy("Strongly disagree"),
    2: gettext_lazy("Disagree"),
    3: gettext_lazy("Neither agree nor disagree"),
    4: gettext_lazy("Agree"),
    5: gettext_lazy("Strongly agree"),
}


@dataclass
class AnswerField:
    """One question as the page shows it, with what the person chose and what went wrong."""

    question: Question
    name: str
    choices: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    chosen: list[str] = field(default_factory=list)
    text: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.question.kind

    @property
    def required(self) -> bool:
        return self.question.kind != QuestionKind.TEXT


def _choices(question: Question) -> list[tuple[str, str]]:
    if question.kind == QuestionKind.SCALE:
        return [(str(n), str(SCALE_LABELS[n])) for n in range(1, 6)]
    if question.kind == QuestionKind.ENPS:
        return [(str(n), str(n)) for n in range(11)]
    if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        return [(str(i), option) for i, option in enumerate(question.options)]
    return []


def _fields(questions: list[Question], data=None) -> list[AnswerField]:  # type: ignore[no-untyped-def]
    fields = []
    for question in questions:
        name = f"q{question.pk}"
        item = AnswerField(question=question, name=name, choices=_choices(question))
        if data is not None:
            if question.kind == QuestionKind.TEXT:
                item.text = data.get(name, "")
            else:
                item.chosen = [v for v in data.getlist(name) if v != ""]
        fields.append(item)
    return fields


def _answers(fields: list[AnswerField]) -> dict[int, object]:
    answers: dict[int, object] = {}
    for item in fields:
        if item.kind == QuestionKind.TEXT:
            answers[item.question.pk] = item.text
        elif item.kind == QuestionKind.MULTIPLE:
            answers[item.question.pk] = item.chosen
        else:
            # Several values for a one-answer question reach the service, which refuses them.
            answers[item.question.pk] = (
                item.chosen if len(item.chosen) > 1 else next(iter(item.chosen), None)
            )
    return answers


@never_cache  # the page holds what the person chose: no copy in any cache
def round_answer(request: HttpRequest, pk: int) -> HttpResponse:
    round_: Round = selectors.round_get(membership=request.membership, pk=pk)
    survey = round_.survey
    require(request.membership, "survey.answer", survey)
    base = {"survey": survey, "round": round_}
    if services.has_answered(round_, request.user):
        return render_page(request, "feedback/answered.html", base)
    today = org_day(request)
    if round_.closed_at is not None or not round_.opens_on <= today <= round_.closes_on:
        return render_page(
            request,
            "feedback/answer.html",
            {**base, "closed": True},
            status=400 if request.method == "POST" else 200,
        )
    teams = services.answering_teams(survey, request.user)
    questions = selectors.questions_of(survey)
    data = request.POST if request.method == "POST" else None
    fields = _fields(questions, data)
    chosen_team = data.get("team", "") if data is not None else ""
    general: list[str] = []
    team_errors: list[str] = []
    if data is not None:
        team: Team | None = None
        if len(teams) > 1 and chosen_team:
            team = next((t for t in teams if str(t.pk) == chosen_team), None)
            if team is None:
                team_errors.append(_("Choose one of your teams."))
        if not team_errors:
            try:
                services.response_submit(
                    actor=request.user, round_=round_, answers=_answers(fields), team=team
                )
            except ValidationError as error:
                if services.has_answered(round_, request.user):
                    return render_page(request, "feedback/answered.html", base)
                if hasattr(error, "error_dict"):
                    by_name = {item.name: item for item in fields}
                    for key, texts in error.message_dict.items():
                        if key in by_name:
                            by_name[key].errors.extend(texts)
                        elif key == "team":
                            team_errors.extend(texts)
                        else:
                            general.extend(texts)
                else:
                    general.extend(error.messages)
            else:
                messages.success(request, _("Thank you — your answers were saved anonymously."))
                return redirect("feedback:survey_list", org_slug=request.org.slug)
    context = {
        **base,
        "closed": False,
        "fields": fields,
        "teams": teams,
        "chosen_team": chosen_team,
        "team_errors": team_errors,
        "general_errors": general,
        "has_errors": bool(general or team_errors or any(item.errors for item in fields)),
        "scale_labels": SCALE_LABELS,
    }
    return render_page(
        request, "feedback/answer.html", context, status=400 if context["has_errors"] else 200
    )
