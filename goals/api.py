"""API v1 for KPIs, goals, the SMART check, measurements (with an idempotent bulk upsert) and check-ins."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from salesops.api import ERRORS, api_context
from salesops.models import Membership, Team
from salesops.permissions import require

from . import selectors
from .models import CheckIn, Goal, GoalLevel, Kpi, Measurement, MeasurementSource
from .serializers import (
    ActivateSerializer,
    BulkResultSerializer,
    BulkSerializer,
    CheckInSerializer,
    CloseSerializer,
    GoalSerializer,
    KpiSerializer,
    MeasurementSerializer,
    SmartCheckSerializer,
    SmartReportSerializer,
)
from .services import checkins, goals, kpis, measurements


@extend_schema_view(
    list=extend_schema(summary="The KPI catalogue"),
    retrieve=extend_schema(summary="One KPI", responses={200: KpiSerializer, 404: ERRORS[404]}),
    create=extend_schema(
        summary="Add a custom KPI (admins)",
        responses={201: KpiSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
    partial_update=extend_schema(
        summary="Change a KPI (admins)",
        responses={200: KpiSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
)
class KpiViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = KpiSerializer
    queryset = Kpi.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["unit", "aggregation"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Kpi.objects.none()
        org, _membership = api_context(self.request)
        return selectors.kpis_for(
            org=org, include_archived=self.request.query_params.get("archived") == "1"
        )

    def perform_create(self, serializer: KpiSerializer) -> None:
        org, membership = api_context(self.request)
        require(membership, "kpi.manage")
        data = {k: v for k, v in serializer.validated_data.items() if k != "key"}
        serializer.instance = kpis.kpi_create(actor=self.request.user, org=org, **data)

    def perform_update(self, serializer: KpiSerializer) -> None:
        _org, membership = api_context(self.request)
        require(membership, "kpi.manage")
        kpi: Kpi = serializer.instance
        data = serializer.validated_data
        serializer.instance = kpis.kpi_update(
            actor=self.request.user,
            kpi=kpi,
            name=data.get("name", kpi.name),
            unit=data.get("unit", kpi.unit),
            direction=data.get("direction", kpi.direction),
            aggregation=data.get("aggregation", kpi.aggregation),
            description=data.get("description", kpi.description),
            numerator=data.get("numerator", kpi.numerator),
            denominator=data.get("denominator", kpi.denominator),
            owning_team=data.get("owning_team", kpi.owning_team),
        )


GOAL_FILTERS = [
    OpenApiParameter("team", int),
    OpenApiParameter("owner", int),
    OpenApiParameter("level", str, enum=[c[0] for c in GoalLevel.choices]),
    OpenApiParameter("status", str),
    OpenApiParameter("kpi", int),
    OpenApiParameter("search", str),
]


@extend_schema_view(
    list=extend_schema(summary="Goals you may see", parameters=GOAL_FILTERS),
    retrieve=extend_schema(
        summary="One goal with its progress", responses={200: GoalSerializer, 404: ERRORS[404]}
    ),
    create=extend_schema(
        summary="Create a draft goal",
        responses={201: GoalSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
    partial_update=extend_schema(
        summary="Change a goal (a reason is needed when an active goal's target or dates move)",
        responses={200: GoalSerializer, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
    ),
)
class GoalViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = GoalSerializer
    queryset = Goal.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Goal.objects.none()
        _org, membership = api_context(self.request)
        params = self.request.query_params

        def number(name: str) -> int | None:
            value = params.get(name, "")
            return int(value) if value.isdigit() else None

        filters = selectors.GoalFilters(
            team=number("team"),
            owner=number("owner"),
            level=params.get("level", ""),
            status=params.get("status", ""),
            kpi=number("kpi"),
            search=params.get("search", "")[:100],
        )
        return selectors.goals_for(membership=membership, filters=filters)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context.setdefault("metrics", {})
        return context

    def _with_metrics(self, goals_list: list[Goal]) -> dict[str, Any]:
        org, _membership = api_context(self.request)
        context = self.get_serializer_context()
        context["metrics"] = selectors.goal_metrics(
            goals=goals_list, org=org, today=timezone.localdate()
        )
        return context

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        items = list(page if page is not None else self.get_queryset())
        data = GoalSerializer(items, many=True, context=self._with_metrics(items)).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        goal = self.get_object()
        return Response(GoalSerializer(goal, context=self._with_metrics([goal])).data)

    def perform_create(self, serializer: GoalSerializer) -> None:
        org, membership = api_context(self.request)
        require(membership, "goal.create")
        data = dict(serializer.validated_data)
        data.pop("reason", None)
        if data.get("level") == GoalLevel.COMPANY:
            require(membership, "goal.create_company")
        serializer.instance = goals.goal_create(actor=self.request.user, org=org, **data)

    def perform_update(self, serializer: GoalSerializer) -> None:
        _org, membership = api_context(self.request)
        goal: Goal = serializer.instance
        require(membership, "goal.edit", goal)
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        if data.get("level") == GoalLevel.COMPANY and goal.level != GoalLevel.COMPANY:
            require(membership, "goal.create_company")
        serializer.instance = goals.goal_update(
            actor=self.request.user, goal=goal, reason=reason, **data
        )

    @extend_schema(
        request=ActivateSerializer,
        summary="Activate a draft goal (a reason is needed over Specific, Achievable or Relevant failures)",
        responses={200: GoalSerializer, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
    )
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        _org, membership = api_context(request)
        goal = self.get_object()
        require(membership, "goal.edit", goal)
        payload = ActivateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        goal = goals.goal_activate(
            actor=request.user, goal=goal, reason=payload.validated_data["reason"]
        )
        return Response(GoalSerializer(goal, context=self._with_metrics([goal])).data)

    @extend_schema(
        request=CloseSerializer,
        summary="Close a goal as achieved, missed or cancelled",
        responses={200: GoalSerializer, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        _org, membership = api_context(request)
        goal = self.get_object()
        require(membership, "goal.edit", goal)
        payload = CloseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        goal = goals.goal_close(actor=request.user, goal=goal, **payload.validated_data)
        return Response(GoalSerializer(goal, context=self._with_metrics([goal])).data)


class SmartCheckView(APIView):
    @extend_schema(
        request=SmartCheckSerializer,
        responses={200: SmartReportSerializer, 400: ERRORS[400], 401: ERRORS[401]},
        summary="Check a goal against the SMART criteria, with the team's own history",
    )
    def post(self, request: Request) -> Response:
        org, _membership = api_context(request)
        payload = SmartCheckSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        values = selectors.values_from(payload.validated_data)
        report = selectors.smart_report_for(org=org, values=values, today=timezone.localdate())
        suggestion = selectors.baseline_suggestion(org=org, values=values)
        data = {
            "criteria": [
                {"key": c.key, "level": str(c.level), "message": c.message} for c in report.criteria
            ],
            "blocking": report.blocking,
            "needs_reason": report.needs_reason,
            "baseline_suggestion": suggestion,
        }
        return Response(SmartReportSerializer(data).data)


@extend_schema_view(
    list=extend_schema(
        summary="Measurements",
        parameters=[
            OpenApiParameter("kpi", int),
            OpenApiParameter("team", int),
            OpenApiParameter("owner", int),
        ],
    ),
    create=extend_schema(
        summary="Record one value (replaces the same KPI, scope and period entered before)",
        responses={201: MeasurementSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
)
class MeasurementViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = MeasurementSerializer
    queryset = Measurement.objects.none()
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Measurement.objects.none()
        org, membership = api_context(self.request)
        rows = Measurement.objects.for_org(org).select_related("kpi")
        if membership.role not in ("admin", "leader"):
            rows = rows.filter(
                Q(team_id__in=selectors.team_ids_of(membership)) | Q(owner_id=membership.user_id)
            )
        for name in ("kpi", "team", "owner"):
            value = self.request.query_params.get(name, "")
            if value.isdigit():
                rows = rows.filter(**{f"{name}_id": int(value)})
        return rows.order_by("-period_start", "-pk")

    def perform_create(self, serializer: MeasurementSerializer) -> None:
        org, membership = api_context(self.request)
        data = serializer.validated_data
        _require_measure(membership, data.get("team"), data.get("owner"))
        serializer.instance = measurements.measurement_record(
            actor=self.request.user,
            org=org,
            kpi=data["kpi"],
            day=data["date"],
            value=data["value"],
            period_kind=data.get("period_kind", "month"),
            team=data.get("team"),
            owner=data.get("owner"),
        )

    @extend_schema(
        request=BulkSerializer,
        responses={200: BulkResultSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        summary="Upsert up to 5,000 values keyed by external_id; a repeated batch changes nothing",
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        org, membership = api_context(request)
        require(membership, "measurement.import")
        rows = request.data.get("rows") if isinstance(request.data, dict) else None
        if not isinstance(rows, list):
            raise ValidationError({"rows": ["Send a list of rows."]})
        if len(rows) > measurements.BULK_LIMIT:
            raise ValidationError(
                {"rows": [f"Send at most {measurements.BULK_LIMIT} rows per call."]}
            )
        parsed = _bulk_rows(org, rows)
        result = measurements.measurements_upsert(
            actor=request.user, org=org, rows=parsed, source=MeasurementSource.API
        )
        return Response(BulkResultSerializer(result.__dict__).data, status=status.HTTP_200_OK)


def _require_measure(membership: Membership, team: Team | None, owner: Any) -> None:
    """Admins, leaders and managers record for their teams; anyone records their own values."""
    if owner is not None and owner.pk == membership.user_id and team is None:
        return
    require(membership, "measurement.import")
    if (
        membership.role == "manager"
        and team is not None
        and team.pk not in selectors.team_ids_of(membership)
    ):
        require(membership, "kpi.manage")  # refuses with 403 and logs it


def _bulk_rows(org: Any, rows: list[Any]) -> list[measurements.BulkRow]:
    """Validate every row; report each bad one by its index and write none of the batch."""
    from .serializers import BulkRowSerializer

    lookups = measurements.lookups_for(org)
    kpis_by_id = {kpi.pk: kpi for kpi in Kpi.objects.for_org(org).active()}
    teams_by_id = {team.pk: team for team in Team.objects.for_org(org).active()}
    users = {
        m.user_id: m.user for m in Membership.objects.for_org(org).active().select_related("user")
    }
    errors: dict[str, Any] = {}
    parsed: list[measurements.BulkRow] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(rows):
        row = BulkRowSerializer(data=raw)
        if not row.is_valid():
            errors[str(index)] = row.errors
            continue
        data = row.validated_data
        problems: dict[str, list[str]] = {}
        kpi_ref = data["kpi"].strip()
        kpi_id = int(kpi_ref) if kpi_ref.isdigit() else lookups["kpis"].get(kpi_ref.lower())
        kpi = kpis_by_id.get(kpi_id) if kpi_id else None
        if kpi is None:
            problems["kpi"] = [f"Unknown KPI “{kpi_ref}”."]
        elif kpi.is_ratio:
            problems["kpi"] = [
                f"{kpi.display_name} is a ratio: send its numerator and denominator."
            ]
        team = None
        team_ref = (data.get("team") or "").strip()
        if team_ref:
            team_id = (
                int(team_ref) if team_ref.isdigit() else lookups["teams"].get(team_ref.lower())
            )
            team = teams_by_id.get(team_id) if team_id else None
            if team is None:
                problems["team"] = [f"Unknown team “{team_ref}”."]
        owner = None
        owner_ref = (data.get("owner") or "").strip()
        if owner_ref:
            owner_id = (
                int(owner_ref) if owner_ref.isdigit() else lookups["owners"].get(owner_ref.lower())
            )
            owner = users.get(owner_id) if owner_id else None
            if owner is None:
                problems["owner"] = [f"Unknown owner “{owner_ref}”."]
        if not team_ref and not owner_ref:
            problems["team"] = ["Give a team or an owner."]
        if data["external_id"] in seen:
            problems["external_id"] = [f"Duplicate of row {seen[data['external_id']]}."]
        seen.setdefault(data["external_id"], index)
        if problems:
            errors[str(index)] = problems
            continue
        assert kpi is not None
        parsed.append(
            measurements.BulkRow(
                external_id=data["external_id"],
                kpi=kpi,
                team=team,
                owner=owner,
                period_kind=data["period_kind"],
                day=data["date"],
                value=data["value"],
            )
        )
    if errors:
        raise serializers.ValidationError({"rows": errors})
    return parsed


@extend_schema_view(
    list=extend_schema(
        summary="Check-ins of goals you may see", parameters=[OpenApiParameter("goal", int)]
    ),
    create=extend_schema(
        summary="This week's check-in by the goal's owner (a second one this week replaces it)",
        responses={201: CheckInSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
)
class CheckInViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = CheckInSerializer
    queryset = CheckIn.objects.none()
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return CheckIn.objects.none()
        _org, membership = api_context(self.request)
        visible = selectors.visible_goals(membership=membership)
        rows = CheckIn.objects.filter(goal__in=visible).select_related("goal", "author")
        goal = self.request.query_params.get("goal", "")
        if goal.isdigit():
            rows = rows.filter(goal_id=int(goal))
        return rows.order_by("-week_start", "-pk")

    def perform_create(self, serializer: CheckInSerializer) -> None:
        _org, membership = api_context(self.request)
        data = serializer.validated_data
        goal = selectors.goal_get(membership=membership, pk=data["goal"].pk)
        require(membership, "goal.checkin", goal)
        serializer.instance = checkins.checkin_save(
            actor=self.request.user,
            goal=goal,
            confidence=data["confidence"],
            note=data.get("note", ""),
        )


__all__ = [
    "CheckInViewSet",
    "GoalViewSet",
    "KpiViewSet",
    "MeasurementViewSet",
    "OpenApiResponse",
    "SmartCheckView",
]
