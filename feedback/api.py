"""API v1 for anonymous feedback: surveys, answering their current round, results and the
suggestion box. Same services, selectors and policy as the pages.

Anonymity holds here by construction: answering and the suggestion box answer `{"saved": true}`
and nothing else, and results are `selectors.results_for` serialized as built — this module
never reads answers itself.
"""

import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from goals.services.checkins import org_today
from salesops.api import ERRORS, api_context, query_params
from salesops.models import Membership, Team
from salesops.permissions import require
from salesops.selectors import get_or_404

from . import selectors, services
from .models import Suggestion, Survey
from .serializers import (
    AnswerSerializer,
    ResultsQuerySerializer,
    ResultsSerializer,
    SavedSerializer,
    SuggestionSerializer,
    SurveyDetailSerializer,
    SurveySerializer,
    SurveyWriteSerializer,
)

SAVED = {"saved": True}
ANSWER_KEY = re.compile(r"q(\d+)")


def survey_detail(survey: Survey, membership: Membership, today: date) -> dict[str, Any]:
    """The survey with its questions, today's round and whether the caller has answered it."""
    round_ = selectors.current_round(survey, today)
    survey.detail_questions = selectors.questions_of(survey)  # type: ignore[attr-defined]
    survey.detail_round = round_  # type: ignore[attr-defined]
    survey.detail_answered = round_ is not None and services.has_answered(  # type: ignore[attr-defined]
        round_, membership.user
    )
    survey.detail_in_audience = services.in_audience(survey, membership.user)  # type: ignore[attr-defined]
    return SurveyDetailSerializer(survey).data


def _answer_errors(error: DjangoValidationError) -> Exception:
    """The service names a question's error `q<id>`; the API puts it under `answers.<id>`,
    where the request gave that answer."""
    if not hasattr(error, "error_dict"):
        return error
    fields: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    for name, messages in error.message_dict.items():
        match = ANSWER_KEY.fullmatch(name)
        if match:
            answers[match.group(1)] = messages
        else:
            fields[name] = messages
    if answers:
        fields["answers"] = answers
    return serializers.ValidationError(fields)


SURVEY_ERRORS = {400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]}


@extend_schema_view(
    list=extend_schema(
        summary="Surveys: all of them for admins and leaders, else those addressed to me",
        responses={200: SurveySerializer(many=True), 401: ERRORS[401]},
    ),
    retrieve=extend_schema(
        summary="A survey with its questions, its open round and whether I have answered it",
        responses={200: SurveyDetailSerializer, 404: ERRORS[404]},
    ),
    create=extend_schema(
        summary="Create a survey, from a template or with its questions (admins, leaders); "
        "it starts as a draft",
        request=SurveyWriteSerializer,
        responses={201: SurveyDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
)
class SurveyViewSet(viewsets.GenericViewSet):
    serializer_class = SurveySerializer
    queryset = Survey.objects.none()
    http_method_names = ["get", "post", "head", "options"]
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Survey.objects.none()
        _org, membership = api_context(self.request)
        return selectors.surveys_for(membership=membership).prefetch_related(
            Prefetch("audience_teams", queryset=Team.objects.only("pk"))
        )

    def get_object(self) -> Survey:
        """The survey named in the URL, among those this member may see: else 404."""
        _org, membership = api_context(self.request)
        pk = str(self.kwargs.get("pk", ""))
        if not (pk.isascii() and pk.isdigit()):
            raise Http404
        return selectors.survey_get(membership=membership, pk=int(pk))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SurveySerializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, membership = api_context(request)
        return Response(survey_detail(self.get_object(), membership, org_today(org).date()))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, membership = api_context(request)
        require(membership, "survey.manage")
        payload = SurveyWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        teams = list(data.pop("audience_teams", []))
        key = data.pop("template", "")
        title = data.pop("title", "")
        if key:
            survey = services.survey_create_from_template(
                actor=request.user,
                org=org,
                key=key,
                title=title,
                audience_all=data.get("audience_all", True),
                audience_teams=teams,
            )
        else:
            survey = services.survey_create(
                actor=request.user, org=org, title=title, audience_teams=teams, **data
            )
        survey = selectors.survey_get(membership=membership, pk=survey.pk)
        return Response(
            survey_detail(survey, membership, org_today(org).date()), status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=AnswerSerializer,
        summary="Answer the survey's open round, anonymously and once (those it is addressed "
        "to). Only a receipt that you answered is kept with your name; nothing identifying "
        "is returned.",
        responses={201: SavedSerializer, **SURVEY_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def responses(self, request: Request, pk: str | None = None) -> Response:
        org, membership = api_context(request)
        survey = self.get_object()
        require(membership, "survey.answer", survey)
        payload = AnswerSerializer(
            data=request.data,
            context={**self.get_serializer_context(), "questions": selectors.questions_of(survey)},
        )
        payload.is_valid(raise_exception=True)
        round_ = selectors.current_round(survey, org_today(org).date())
        if round_ is None:
            raise serializers.ValidationError(
                {"non_field_errors": [_("This survey has no open round.")]}
            )
        try:
            services.response_submit(
                actor=request.user,
                round_=round_,
                answers=payload.validated_data["answers"],
                team=payload.validated_data["team"],
            )
        except DjangoValidationError as error:
            raise _answer_errors(error) from None
        return Response(SAVED, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="A round's results as you may see them: groups below the anonymity threshold, "
        "or that would reveal a small group by subtraction, are withheld (admins, leaders; "
        "managers for their own teams)",
        parameters=[ResultsQuerySerializer],
        responses={200: ResultsSerializer, **SURVEY_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def results(self, request: Request, pk: str | None = None) -> Response:
        _org, membership = api_context(request)
        survey = self.get_object()
        require(membership, "survey.results", survey)
        number = query_params(ResultsQuerySerializer, request).get("round")
        rounds = selectors.rounds_of(survey)
        round_ = rounds.first() if number is None else get_or_404(rounds, number=number)
        results = selectors.results_for(membership=membership, survey=survey, round_=round_)
        return Response(ResultsSerializer(results).data)


@extend_schema_view(
    create=extend_schema(
        summary="Leave an anonymous note in the suggestion box (three a day)",
        request=SuggestionSerializer,
        responses={201: SavedSerializer, 400: ERRORS[400], 401: ERRORS[401]},
    ),
)
class SuggestionViewSet(viewsets.GenericViewSet):
    serializer_class = SuggestionSerializer
    queryset = Suggestion.objects.none()
    http_method_names = ["post", "options"]
    filter_backends: list[Any] = []
    pagination_class = None

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, membership = api_context(request)
        require(membership, "suggestion.submit")
        payload = SuggestionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.suggestion_submit(actor=request.user, org=org, body=payload.validated_data["body"])
        return Response(SAVED, status=status.HTTP_201_CREATED)
