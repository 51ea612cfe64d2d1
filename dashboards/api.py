"""API v1 for strategy experiments (A/B tests): the list, creating one with its variants, the
results with the analysis against the control, and adding results in batches. Same services,
reads and policy as the pages."""

import math
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from salesops.api import ERRORS, api_context
from salesops.permissions import require

from . import experiments as service
from .models import Experiment, ExperimentMetric
from .serializers import (
    ExperimentDetailSerializer,
    ExperimentFilterSerializer,
    ExperimentResultsSavedSerializer,
    ExperimentResultsSerializer,
    ExperimentSerializer,
    ExperimentWriteSerializer,
)


def experiment_detail(experiment: Experiment) -> dict[str, Any]:
    """The experiment with each variant's totals and its test against the control, exactly as
    `results_for` (and so the page) works them out."""
    results = service.results_for(experiment=experiment)
    experiment.detail_variants = [  # type: ignore[attr-defined]
        {
            "variant": result.variant,
            "is_control": index == 0,
            "trials": result.trials,
            "successes": result.successes,
            "rate": result.rate,
            "n": result.n,
            "mean": result.mean,
            "sd": None if result.variance is None else math.sqrt(result.variance),
            "analysis": result.analysis,
            "verdict": result.verdict,
        }
        for index, result in enumerate(results)
    ]
    return ExperimentDetailSerializer(experiment).data


@extend_schema_view(
    list=extend_schema(
        summary="Experiments (A/B tests) of the organisation, newest first",
        parameters=[ExperimentFilterSerializer],
        responses={200: ExperimentSerializer(many=True), 400: ERRORS[400], 401: ERRORS[401]},
    ),
    retrieve=extend_schema(
        summary="An experiment with each variant's totals and its analysis against the control",
        responses={200: ExperimentDetailSerializer, 404: ERRORS[404]},
    ),
    create=extend_schema(
        summary="Design an experiment with its variants, the control first "
        "(managers, leaders, admins); it starts as a draft",
        request=ExperimentWriteSerializer,
        responses={201: ExperimentDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
)
class ExperimentViewSet(viewsets.GenericViewSet):
    serializer_class = ExperimentSerializer
    queryset = Experiment.objects.none()
    http_method_names = ["get", "post", "head", "options"]
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Experiment.objects.none()
        org, _membership = api_context(self.request)
        return service.experiments_for(org=org)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = ExperimentFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = self.get_queryset()
        if params.validated_data.get("status"):
            rows = rows.filter(status=params.validated_data["status"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ExperimentSerializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(experiment_detail(self.get_object()))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, membership = api_context(request)
        require(membership, "experiment.manage")
        payload = ExperimentWriteSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        variants = data.pop("variants")
        data.setdefault("owner", request.user)
        experiment = service.experiment_create(
            actor=request.user, org=org, variants=variants, **data
        )
        experiment = service.experiment_get(org=org, pk=experiment.pk)
        return Response(experiment_detail(experiment), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add results in one batch: all rows or none (managers, leaders, admins). "
        "Rows whose external_id was already sent are skipped, so a repeated batch adds nothing.",
        request=ExperimentResultsSerializer,
        responses={
            200: ExperimentResultsSavedSerializer,
            201: ExperimentResultsSavedSerializer,
            400: ERRORS[400],
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
    @action(detail=True, methods=["post"])
    def results(self, request: Request, pk: str | None = None) -> Response:
        org, membership = api_context(request)
        experiment = self.get_object()
        require(membership, "experiment.manage")
        payload = ExperimentResultsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        conversion = experiment.metric == ExperimentMetric.CONVERSION
        rows: list[service.ResultRow] = []
        for data in payload.validated_data["rows"]:
            if conversion != ("trials" in data):
                raise ValidationError(
                    {
                        "rows": _(
                            "This experiment measures a conversion: send trials and successes."
                        )
                        if conversion
                        else _("This experiment measures a mean: send a value per row.")
                    }
                )
            rows.append(
                service.ResultRow(
                    variant=data["variant"],
                    trials=data.get("trials", 0),
                    successes=data.get("successes", 0),
                    value=data.get("value"),
                    external_id=data.get("external_id", ""),
                )
            )
        added = service.observations_add(actor=request.user, experiment=experiment, rows=rows)
        body = {
            "added": added,
            "skipped": len(rows) - added,
            "experiment": experiment_detail(service.experiment_get(org=org, pk=experiment.pk)),
        }
        return Response(body, status=status.HTTP_201_CREATED if added else status.HTTP_200_OK)
