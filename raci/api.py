"""API v1 for RACI matrices, their activities, participants and cells, with validation results."""

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from salesops.api import ERRORS, api_context
from salesops.permissions import require
from salesops.selectors import get_or_404

from . import disputes, selectors, services
from .models import Dispute, RaciActivity, RaciMatrix, RaciParticipant
from .serializers import (
    ActivitySerializer,
    ActivityStateSerializer,
    CellSerializer,
    DecisionSerializer,
    DisputeSerializer,
    MatrixDetailSerializer,
    MatrixSerializer,
    ParticipantSerializer,
)


def detail_data(matrix: RaciMatrix) -> dict[str, Any]:
    grid = selectors.grid_for(matrix=matrix)
    return {
        "id": matrix.pk,
        "title": matrix.title,
        "description": matrix.description,
        "goal": matrix.goal_id,
        "status": matrix.status,
        "published_at": matrix.published_at,
        "activities": [
            {"id": a.pk, "name": a.name, "phase": a.phase, "position": a.position, "state": a.state}
            for a in grid.activities
        ],
        "participants": [
            {
                "id": p.pk,
                "kind": p.kind,
                "name": p.name,
                "membership": p.membership_id,
                "team": p.team_id,
            }
            for p in grid.participants
        ],
        "cells": [
            {"activity": a, "participant": p, "letters": letters}
            for (a, p), letters in sorted(grid.cells.items())
        ],
        "validation": {
            "is_publishable": grid.report.is_publishable,
            "issues": [
                {
                    "level": str(issue.level),
                    "code": str(issue.code),
                    "message": issue.message,
                    "activity_id": issue.activity_id,
                    "participant_id": issue.participant_id,
                }
                for issue in grid.report.issues
            ],
        },
    }


@extend_schema_view(
    list=extend_schema(summary="RACI matrices you may see (drafts only for editors)"),
    retrieve=extend_schema(
        summary="A matrix with its activities, participants, cells and validation",
        responses={200: MatrixDetailSerializer, 404: ERRORS[404]},
    ),
    create=extend_schema(
        summary="Create a matrix, empty or from a template (managers, admins)",
        responses={201: MatrixDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
    partial_update=extend_schema(
        summary="Change title, description or goal",
        responses={200: MatrixDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
)
class MatrixViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = MatrixSerializer
    queryset = RaciMatrix.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return RaciMatrix.objects.none()
        _org, membership = api_context(self.request)
        return selectors.matrices_for(membership=membership)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(detail_data(self.get_object()))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, membership = api_context(request)
        require(membership, "raci.edit")
        payload = MatrixSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if data.get("blueprint"):
            matrix = services.matrix_create_from_blueprint(
                actor=request.user, org=org, key=data["blueprint"], title=data.get("title", "")
            )
        else:
            if not data.get("title", "").strip():
                raise serializers.ValidationError({"title": ["Give the matrix a title."]})
            matrix = services.matrix_create(
                actor=request.user,
                org=org,
                title=data["title"],
                description=data.get("description", ""),
                goal=data.get("goal"),
            )
        return Response(detail_data(matrix), status=201)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _org, membership = api_context(request)
        require(membership, "raci.edit")
        matrix = self.get_object()
        payload = MatrixSerializer(data=request.data, partial=True, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        services.matrix_update(
            actor=request.user,
            matrix=matrix,
            title=data.get("title") or matrix.title,
            description=data.get("description", matrix.description),
            goal=data.get("goal", matrix.goal),
        )
        return Response(detail_data(matrix))

    def _editable(self, request: Request) -> RaciMatrix:
        _org, membership = api_context(request)
        require(membership, "raci.edit")
        return self.get_object()

    @extend_schema(
        request=CellSerializer,
        summary="Set one cell; answers the whole matrix with its validation",
        responses={
            200: MatrixDetailSerializer,
            400: ERRORS[400],
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
    @action(detail=True, methods=["post"])
    def cells(self, request: Request, pk: str | None = None) -> Response:
        matrix = self._editable(request)
        payload = CellSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        activity = get_or_404(RaciActivity.objects.filter(matrix=matrix), pk=data["activity"])
        participant = get_or_404(
            RaciParticipant.objects.filter(matrix=matrix), pk=data["participant"]
        )
        services.cell_set(
            actor=request.user,
            matrix=matrix,
            activity=activity,
            participant=participant,
            letters=data["letters"],
        )
        return Response(detail_data(matrix))

    @extend_schema(
        request=ActivitySerializer,
        summary="Add an activity",
        responses={200: MatrixDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    @action(detail=True, methods=["post"])
    def activities(self, request: Request, pk: str | None = None) -> Response:
        matrix = self._editable(request)
        payload = ActivitySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.activity_add(actor=request.user, matrix=matrix, **payload.validated_data)
        return Response(detail_data(matrix))

    @extend_schema(
        request=ParticipantSerializer,
        summary="Add a person (membership id) or a team",
        responses={200: MatrixDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    @action(detail=True, methods=["post"])
    def participants(self, request: Request, pk: str | None = None) -> Response:
        matrix = self._editable(request)
        payload = ParticipantSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        services.participant_add(
            actor=request.user,
            matrix=matrix,
            membership=payload.validated_data.get("membership"),
            team=payload.validated_data.get("team"),
        )
        return Response(detail_data(matrix))

    @extend_schema(
        request=None,
        summary="Publish (refused with the reasons while the matrix has errors)",
        responses={200: MatrixDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        matrix = self._editable(request)
        matrix = services.matrix_publish(actor=request.user, matrix=matrix)
        return Response(detail_data(matrix))


@extend_schema_view(
    retrieve=extend_schema(
        summary="One activity", responses={200: ActivitySerializer, 404: ERRORS[404]}
    ),
    partial_update=extend_schema(
        summary="Rename an activity or change its phase",
        responses={200: ActivitySerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
    destroy=extend_schema(
        summary="Remove an activity", responses={204: None, 403: ERRORS[403], 404: ERRORS[404]}
    ),
)
class ActivityViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ActivitySerializer
    queryset = RaciActivity.objects.none()
    http_method_names = ["get", "patch", "delete", "post", "head", "options"]
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return RaciActivity.objects.none()
        _org, membership = api_context(self.request)
        return RaciActivity.objects.filter(
            matrix__in=selectors.matrices_for(membership=membership)
        ).select_related("matrix")

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _org, membership = api_context(request)
        require(membership, "raci.edit")
        activity = self.get_object()
        payload = ActivitySerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        activity = services.activity_update(
            actor=request.user,
            activity=activity,
            name=payload.validated_data.get("name", activity.name),
            phase=payload.validated_data.get("phase", activity.phase),
        )
        return Response(ActivitySerializer(activity).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _org, membership = api_context(request)
        require(membership, "raci.edit")
        services.activity_delete(actor=request.user, activity=self.get_object())
        return Response(status=204)

    @extend_schema(
        request=ActivityStateSerializer,
        summary="Mark an activity open, done or blocked (its A and I are told, its C asked)",
        responses={200: ActivitySerializer, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
    )
    @action(detail=True, methods=["post"])
    def state(self, request: Request, pk: str | None = None) -> Response:
        _org, membership = api_context(request)
        activity = self.get_object()
        require(membership, "raci.edit")
        payload = ActivityStateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        activity = services.activity_set_state(
            actor=request.user, activity=activity, **payload.validated_data
        )
        return Response(ActivitySerializer(activity).data)


@extend_schema_view(
    list=extend_schema(summary="Disputes you may see (as a party, the arbitrator or leadership)"),
    retrieve=extend_schema(
        summary="One dispute with its statements",
        responses={200: DisputeSerializer, 404: ERRORS[404]},
    ),
    create=extend_schema(
        summary="Raise a dispute between two teams",
        responses={201: DisputeSerializer, 400: ERRORS[400]},
    ),
)
class DisputeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = DisputeSerializer
    queryset = Dispute.objects.none()
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Dispute.objects.none()
        _org, membership = api_context(self.request)
        return disputes.disputes_for(membership=membership).prefetch_related(
            "statements__team", "statements__author"
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, _membership = api_context(request)
        payload = DisputeSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        dispute = disputes.dispute_raise(actor=request.user, org=org, **payload.validated_data)
        return Response(DisputeSerializer(dispute).data, status=201)

    @extend_schema(
        request=DecisionSerializer,
        summary="Decide (the arbitrator only); letter changes apply to the linked activity in the same step",
        responses={200: DisputeSerializer, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        _org, membership = api_context(request)
        dispute = self.get_object()
        if dispute.arbitrator_id != request.user.pk:
            disputes.refuse_not_arbitrator(membership)
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        changes = []
        if dispute.activity_id:
            for change in payload.validated_data["changes"]:
                participant = get_or_404(
                    RaciParticipant.objects.filter(matrix_id=dispute.activity.matrix_id),
                    pk=change["participant"],
                )
                changes.append((participant, change["letters"]))
        dispute = disputes.dispute_decide(
            actor=request.user,
            dispute=dispute,
            decision=payload.validated_data["decision"],
            changes=changes,
        )
        return Response(DisputeSerializer(dispute).data)
