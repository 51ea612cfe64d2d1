"""API v1 for action plans: plans, milestones and their weekly updates, resources, risks with
a Plan B, and blockers. Same services, selectors and policy as the pages."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from goals.models import Goal
from goals.periods import week_start
from goals.services.checkins import org_today
from salesops.api import ERRORS, api_context, query_params
from salesops.models import Membership, Role, Team
from salesops.permissions import require
from salesops.selectors import get_or_404

from . import selectors, services, standups
from .models import (
    ActionPlan,
    Blocker,
    BlockerStatus,
    Milestone,
    MilestoneUpdate,
    Resource,
    Risk,
)
from .serializers import (
    BlockerFilterSerializer,
    BlockerResolveSerializer,
    BlockerSerializer,
    MilestoneFilterSerializer,
    MilestoneSerializer,
    MilestoneUpdateSerializer,
    MilestoneWriteSerializer,
    PlanDetailSerializer,
    PlanFilterSerializer,
    PlanScopedFilterSerializer,
    PlanSerializer,
    PlanWriteSerializer,
    ReasonSerializer,
    ResourceSerializer,
    RiskSerializer,
    StandupEntrySerializer,
    StandupPostSerializer,
    StandupQuerySerializer,
    StandupReportSerializer,
    WeeklyUpdateResultSerializer,
    WeeklyUpdateSerializer,
)


def _same_plan(data: dict[str, Any], plan_id: int, message: Any) -> None:
    """The plan is given when adding; when changing it may be repeated, not changed."""
    plan = data.pop("plan", None)
    if plan is not None and plan.pk != plan_id:
        raise serializers.ValidationError({"plan": [message]})


def _updated_this_week(today: date) -> Exists:
    return Exists(
        MilestoneUpdate.objects.filter(milestone=OuterRef("pk"), week_start=week_start(today))
    )


def _milestones(org: Any, today: date) -> QuerySet[Milestone]:
    """Milestones of the organisation with what the API shows of each, in one query
    (plus one for all their dependencies)."""
    return (
        Milestone.objects.filter(plan__org=org)
        .select_related("owner")
        .prefetch_related(Prefetch("depends_on", queryset=Milestone.objects.only("pk")))
        .annotate(
            open_blockers=Count(
                "blockers", filter=Q(blockers__status=BlockerStatus.OPEN), distinct=True
            ),
            updated_this_week=_updated_this_week(today),
        )
    )


# --- plans --------------------------------------------------------------------------------


def plan_detail(plan: ActionPlan, today: date) -> dict[str, Any]:
    """The plan with its milestones, budget totals and risks, as the plan page shows them."""
    milestones = list(
        selectors.plan_milestones(plan=plan).annotate(updated_this_week=_updated_this_week(today))
    )
    live = [m for m in milestones if not m.is_dormant]
    plan.milestone_count = len(live)  # type: ignore[attr-defined]
    plan.done_count = sum(1 for m in live if m.is_done)  # type: ignore[attr-defined]
    plan.open_blockers = sum(m.open_blockers for m in milestones)  # type: ignore[attr-defined]
    budget = selectors.budget_totals(plan=plan)
    plan.detail_milestones = milestones  # type: ignore[attr-defined]
    plan.detail_budget = {  # type: ignore[attr-defined]
        "planned": budget.planned,
        "actual": budget.actual,
        "remaining": budget.remaining,
        "over": budget.over,
        "used_percent": budget.used_percent,
        "by_kind": budget.by_kind,
    }
    plan.detail_risks = list(selectors.plan_risks(plan=plan))  # type: ignore[attr-defined]
    return PlanDetailSerializer(plan).data


@extend_schema_view(
    list=extend_schema(
        summary="Action plans of the organisation",
        parameters=[PlanFilterSerializer],
        responses={200: PlanSerializer(many=True), 400: ERRORS[400], 401: ERRORS[401]},
    ),
    retrieve=extend_schema(
        summary="A plan with its milestones, budget totals and risks",
        responses={200: PlanDetailSerializer, 404: ERRORS[404]},
    ),
    create=extend_schema(
        summary="Create a plan, empty or from a template (managers, leaders, admins)",
        request=PlanWriteSerializer,
        responses={201: PlanDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
    partial_update=extend_schema(
        summary="Change a plan (its owner, its team's managers, admins)",
        request=PlanWriteSerializer,
        responses={
            200: PlanDetailSerializer,
            400: ERRORS[400],
            403: ERRORS[403],
            404: ERRORS[404],
        },
    ),
)
class PlanViewSet(viewsets.GenericViewSet):
    serializer_class = PlanSerializer
    queryset = ActionPlan.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return ActionPlan.objects.none()
        org, membership = api_context(self.request)
        if self.action != "list":
            return ActionPlan.objects.for_org(org).select_related("owner", "team", "org")
        params = query_params(PlanFilterSerializer, self.request)
        filters = selectors.PlanFilters(
            status=params.get("status", ""),
            team=params.get("team"),
            owner=params.get("owner"),
            search=params.get("search", "").strip(),
            mine=params.get("mine", False),
        )
        return selectors.plans_for(membership=membership, filters=filters).prefetch_related(
            Prefetch("goals", queryset=Goal.objects.only("pk"))
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PlanSerializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, _membership = api_context(request)
        return Response(plan_detail(self.get_object(), org_today(org).date()))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, membership = api_context(request)
        require(membership, "plan.create")
        payload = PlanWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        data.pop("reason", None)
        goals = list(data.pop("goals", []))
        key = data.pop("blueprint", "")
        if key:
            extra = {name: data[name] for name in ("team", "raci_matrix", "status") if name in data}
            plan = services.plan_create_from_blueprint(
                actor=request.user,
                org=org,
                key=key,
                owner=data["owner"],
                start_date=data["start_date"],
                title=data.get("title", ""),
                goals=goals,
                **extra,
            )
        else:
            plan = services.plan_create(actor=request.user, org=org, goals=goals, **data)
        plan = selectors.plan_get(org=org, pk=plan.pk)
        return Response(plan_detail(plan, org_today(org).date()), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, membership = api_context(request)
        plan = self.get_object()
        require(membership, "plan.edit", plan)
        payload = PlanWriteSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        goals = data.pop("goals", None)
        services.plan_update(
            actor=request.user, plan=plan, goals=None if goals is None else list(goals), **data
        )
        plan = selectors.plan_get(org=org, pk=plan.pk)
        return Response(plan_detail(plan, org_today(org).date()))


# --- milestones ---------------------------------------------------------------------------


def _this_week(
    membership: Membership, today: date, params: dict[str, Any], owner_id: int | None
) -> list[Milestone]:
    """My milestones on "This week" (the page's list), narrowed by the other filters."""
    if owner_id is not None and owner_id != membership.user_id:
        return []
    milestones = selectors.this_week_for(membership=membership, today=today)
    if params.get("plan"):
        milestones = milestones.filter(plan_id=params["plan"])
    if params.get("status"):
        milestones = milestones.filter(status=params["status"])
    rows = list(milestones)
    for milestone in rows:
        milestone.owner = membership.user  # all mine: no query per row
    prefetch_related_objects(rows, Prefetch("depends_on", queryset=Milestone.objects.only("pk")))
    return rows


@extend_schema_view(
    list=extend_schema(
        summary="Milestones of the organisation's plans",
        parameters=[MilestoneFilterSerializer],
        responses={200: MilestoneSerializer(many=True), 400: ERRORS[400], 401: ERRORS[401]},
    ),
    retrieve=extend_schema(
        summary="One milestone", responses={200: MilestoneSerializer, 404: ERRORS[404]}
    ),
    create=extend_schema(
        summary="Add a milestone to a plan (whoever edits the plan)",
        request=MilestoneWriteSerializer,
        responses={201: MilestoneSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
    partial_update=extend_schema(
        summary="Change a milestone: title, deliverable, owner, weeks, dependencies, RACI activity",
        request=MilestoneWriteSerializer,
        responses={
            200: MilestoneSerializer,
            400: ERRORS[400],
            403: ERRORS[403],
            404: ERRORS[404],
        },
    ),
    destroy=extend_schema(
        summary="Remove a milestone (refused while others depend on it)",
        responses={204: None, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
    ),
)
class MilestoneViewSet(viewsets.GenericViewSet):
    serializer_class = MilestoneSerializer
    queryset = Milestone.objects.none()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Milestone.objects.none()
        org, _membership = api_context(self.request)
        return _milestones(org, org_today(org).date()).select_related("plan")

    def _filters(self) -> dict[str, Any]:
        return query_params(MilestoneFilterSerializer, self.request)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, membership = api_context(request)
        params = self._filters()
        owner = params.get("owner")
        owner_id = membership.user_id if owner == "me" else int(owner) if owner else None
        if params.get("this_week"):
            rows: Any = _this_week(membership, org_today(org).date(), params, owner_id)
        else:
            rows = _milestones(org, org_today(org).date()).order_by("plan_id", "position", "pk")
            if params.get("plan"):
                rows = rows.filter(plan_id=params["plan"])
            if owner_id is not None:
                rows = rows.filter(owner_id=owner_id)
            if params.get("status"):
                rows = rows.filter(status=params["status"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(MilestoneSerializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(MilestoneSerializer(self.get_object()).data)

    def _fresh(self, milestone: Milestone) -> dict[str, Any]:
        return MilestoneSerializer(self.get_queryset().get(pk=milestone.pk)).data

    @staticmethod
    def _check_activity(plan: ActionPlan, data: dict[str, Any]) -> None:
        """As on the page: with a RACI matrix on the plan, only its activities may be linked."""
        activity = data.get("raci_activity")
        if (
            activity is not None
            and plan.raci_matrix_id
            and activity.matrix_id != plan.raci_matrix_id
        ):
            raise serializers.ValidationError(
                {"raci_activity": [_("Choose an activity of the plan's RACI matrix.")]}
            )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _org, membership = api_context(request)
        payload = MilestoneWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        plan = data.pop("plan")
        require(membership, "plan.edit", plan)
        self._check_activity(plan, data)
        data.pop("reason", None)
        milestone = services.milestone_create(
            actor=request.user,
            plan=plan,
            depends_on=list(data.pop("depends_on", [])),
            **data,
        )
        return Response(self._fresh(milestone), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _org, membership = api_context(request)
        milestone = self.get_object()
        require(membership, "plan.edit", milestone.plan)
        payload = MilestoneWriteSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        _same_plan(data, milestone.plan_id, _("A milestone stays in its plan."))
        self._check_activity(milestone.plan, data)
        depends_on = data.pop("depends_on", None)
        services.milestone_edit(
            actor=request.user,
            milestone=milestone,
            depends_on=None if depends_on is None else list(depends_on),
            **data,
        )
        return Response(self._fresh(milestone))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _org, membership = api_context(request)
        milestone = self.get_object()
        require(membership, "plan.edit", milestone.plan)
        services.milestone_delete(actor=request.user, milestone=milestone)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        summary="The milestone's weekly updates, newest first (who, when, before and after)",
        request=None,
        responses={200: MilestoneUpdateSerializer(many=True), 404: ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        summary="The weekly update: progress, status, a note and perhaps a blocker "
        "(the milestone's owner, or whoever edits the plan)",
        request=WeeklyUpdateSerializer,
        responses={
            201: WeeklyUpdateResultSerializer,
            400: ERRORS[400],
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
    @action(detail=True, methods=["get", "post"])
    def updates(self, request: Request, pk: str | None = None) -> Response:
        org, membership = api_context(request)
        milestone = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.milestone_updates(milestone=milestone))
            return self.get_paginated_response(MilestoneUpdateSerializer(page, many=True).data)
        require(membership, "milestone.update", milestone)
        payload = WeeklyUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        update = services.milestone_record_update(
            actor=request.user, milestone=milestone, **payload.validated_data
        )
        blocker = (
            selectors.blocker_get(org=org, pk=update.blocker_id) if update.blocker_id else None
        )
        data = {
            "milestone": self.get_queryset().get(pk=milestone.pk),
            "update": update,
            "blocker": blocker,
        }
        return Response(WeeklyUpdateResultSerializer(data).data, status=status.HTTP_201_CREATED)


# --- resources ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Resources of the organisation's plans",
        parameters=[PlanScopedFilterSerializer],
        responses={200: ResourceSerializer(many=True), 400: ERRORS[400], 401: ERRORS[401]},
    ),
    retrieve=extend_schema(
        summary="One resource", responses={200: ResourceSerializer, 404: ERRORS[404]}
    ),
    create=extend_schema(
        summary="Add a resource to a plan (whoever edits the plan)",
        responses={201: ResourceSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
    partial_update=extend_schema(
        summary="Change a resource",
        responses={
            200: ResourceSerializer,
            400: ERRORS[400],
            403: ERRORS[403],
            404: ERRORS[404],
        },
    ),
    destroy=extend_schema(
        summary="Remove a resource",
        responses={204: None, 403: ERRORS[403], 404: ERRORS[404]},
    ),
)
class ResourceViewSet(viewsets.GenericViewSet):
    serializer_class = ResourceSerializer
    queryset = Resource.objects.none()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Resource.objects.none()
        org, _membership = api_context(self.request)
        rows = Resource.objects.filter(plan__org=org).select_related("plan")
        if self.action == "list":
            params = query_params(PlanScopedFilterSerializer, self.request)
            if params.get("plan"):
                rows = rows.filter(plan_id=params["plan"])
        return rows.order_by("plan_id", "position", "pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ResourceSerializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(ResourceSerializer(self.get_object()).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _org, membership = api_context(request)
        payload = ResourceSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        plan = data.pop("plan")
        require(membership, "plan.edit", plan)
        resource = services.resource_save(
            actor=request.user,
            plan=plan,
            kind=data["kind"],
            description=data["description"],
            planned=data.get("planned", Decimal(0)),
            actual=data.get("actual", Decimal(0)),
            quantity=data.get("quantity"),
        )
        return Response(ResourceSerializer(resource).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _org, membership = api_context(request)
        resource = self.get_object()
        require(membership, "plan.edit", resource.plan)
        payload = ResourceSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        _same_plan(data, resource.plan_id, _("A resource stays in its plan."))
        resource = services.resource_save(
            actor=request.user,
            plan=resource.plan,
            resource=resource,
            kind=data.get("kind", resource.kind),
            description=data.get("description", resource.description),
            planned=data.get("planned", resource.planned),
            actual=data.get("actual", resource.actual),
            quantity=data.get("quantity", resource.quantity),
        )
        return Response(ResourceSerializer(resource).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _org, membership = api_context(request)
        resource = self.get_object()
        require(membership, "plan.edit", resource.plan)
        services.resource_delete(actor=request.user, resource=resource)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- risks --------------------------------------------------------------------------------

RISK_ACTION_ERRORS = {400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]}


@extend_schema_view(
    list=extend_schema(
        summary="Risks of the organisation's plans, most serious first",
        parameters=[PlanScopedFilterSerializer],
        responses={200: RiskSerializer(many=True), 400: ERRORS[400], 401: ERRORS[401]},
    ),
    retrieve=extend_schema(summary="One risk", responses={200: RiskSerializer, 404: ERRORS[404]}),
    create=extend_schema(
        summary="Add a risk, with its Plan B and an optional KPI trigger (whoever edits the plan)",
        responses={201: RiskSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
    partial_update=extend_schema(
        summary="Change a risk", responses={200: RiskSerializer, **RISK_ACTION_ERRORS}
    ),
    destroy=extend_schema(
        summary="Remove a risk (refused while its Plan B runs; close it instead)",
        responses={204: None, **RISK_ACTION_ERRORS},
    ),
)
class RiskViewSet(viewsets.GenericViewSet):
    serializer_class = RiskSerializer
    queryset = Risk.objects.none()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Risk.objects.none()
        org, _membership = api_context(self.request)
        rows = (
            Risk.objects.filter(plan__org=org)
            .select_related("plan", "owner")
            .annotate(
                dormant_count=Count(
                    "contingency_milestones",
                    filter=Q(contingency_milestones__is_dormant=True),
                ),
                contingency_count=Count("contingency_milestones"),
            )
        )
        if self.action == "list":
            params = query_params(PlanScopedFilterSerializer, self.request)
            if params.get("plan"):
                rows = rows.filter(plan_id=params["plan"])
        return rows.order_by("-likelihood", "-impact", "pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RiskSerializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(RiskSerializer(self.get_object()).data)

    def _fresh(self, risk: Risk) -> dict[str, Any]:
        return RiskSerializer(self.get_queryset().get(pk=risk.pk)).data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _org, membership = api_context(request)
        payload = RiskSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        plan = data.pop("plan")
        require(membership, "plan.edit", plan)
        risk = services.risk_save(actor=request.user, plan=plan, **data)
        return Response(self._fresh(risk), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _org, membership = api_context(request)
        risk = self.get_object()
        require(membership, "plan.edit", risk.plan)
        payload = RiskSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        _same_plan(data, risk.plan_id, _("A risk stays in its plan."))
        services.risk_save(actor=request.user, plan=risk.plan, risk=risk, **data)
        return Response(self._fresh(risk))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _org, membership = api_context(request)
        risk = self.get_object()
        require(membership, "plan.edit", risk.plan)
        services.risk_delete(actor=request.user, risk=risk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=ReasonSerializer,
        summary="Mark the risk as happened: its owner and the plan's owner are told",
        responses={200: RiskSerializer, **RISK_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def trigger(self, request: Request, pk: str | None = None) -> Response:
        return self._with_reason(request, services.risk_trigger)

    def _with_reason(self, request: Request, change: Any) -> Response:
        """Trigger or close: whoever edits the plan, with an optional reason kept in history."""
        _org, membership = api_context(request)
        risk = self.get_object()
        require(membership, "plan.edit", risk.plan)
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        change(actor=request.user, risk=risk, **payload.validated_data)
        return Response(self._fresh(risk))

    @extend_schema(
        request=None,
        summary="Activate Plan B: its dormant milestones start this week (the plan's owner, admins)",
        responses={200: RiskSerializer, **RISK_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="activate-plan-b")
    def activate_plan_b(self, request: Request, pk: str | None = None) -> Response:
        _org, membership = api_context(request)
        risk = self.get_object()
        require(membership, "plan.activate_plan_b", risk.plan)
        services.risk_activate_plan_b(actor=request.user, risk=risk)
        return Response(self._fresh(risk))

    @extend_schema(
        request=ReasonSerializer,
        summary="Close the risk",
        responses={200: RiskSerializer, **RISK_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._with_reason(request, services.risk_close)


# --- blockers -----------------------------------------------------------------------------


def _sees_all_blockers(membership: Membership) -> bool:
    return membership.role in (Role.ADMIN, Role.LEADER)


@extend_schema_view(
    list=extend_schema(
        summary="Blockers routed to me or raised by me (everyone's for admins and leaders)",
        parameters=[BlockerFilterSerializer],
        responses={
            200: BlockerSerializer(many=True),
            400: ERRORS[400],
            401: ERRORS[401],
            403: ERRORS[403],
        },
    ),
)
class BlockerViewSet(viewsets.GenericViewSet):
    serializer_class = BlockerSerializer
    queryset = Blocker.objects.none()
    http_method_names = ["get", "post", "head", "options"]
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Blocker.objects.none()
        org, membership = api_context(self.request)
        if self.action != "list":
            return Blocker.objects.for_org(org).select_related(
                "milestone__plan", "team", "raised_by", "routed_to", "resolved_by"
            )
        params = query_params(BlockerFilterSerializer, self.request)
        if params["scope"] == "all" and not _sees_all_blockers(membership):
            raise PermissionDenied(_("Only sales ops and leaders see everyone's blockers."))
        return selectors.blockers_for(
            membership=membership,
            status="" if params["status"] == "all" else params["status"],
            scope=params["scope"],
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(BlockerSerializer(page, many=True).data)

    @extend_schema(
        request=BlockerResolveSerializer,
        summary="Resolve a blocker (whoever it was routed to, the plan's editors, the team's "
        "lead); whoever raised it is told",
        responses={200: BlockerSerializer, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        org, membership = api_context(request)
        blocker = self.get_object()
        require(membership, "blocker.resolve", blocker)
        payload = BlockerResolveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.blocker_resolve(actor=request.user, blocker=blocker, **payload.validated_data)
        return Response(BlockerSerializer(self.get_queryset().get(pk=blocker.pk)).data)


# --- stand-ups ----------------------------------------------------------------------------


def _team(org: Any, pk: int) -> Team:
    return get_or_404(Team.objects.for_org(org).select_related("org"), pk=pk)


class StandupViewSet(viewsets.GenericViewSet):
    """A team's current stand-up: read it, or post (and re-post to edit) my entry."""

    serializer_class = StandupReportSerializer
    queryset = Team.objects.none()
    http_method_names = ["get", "post", "head", "options"]
    filter_backends: list[Any] = []
    pagination_class = None

    @extend_schema(
        summary="A team's stand-up today: entries, who has posted, who has not, open blockers",
        parameters=[StandupQuerySerializer],
        responses={200: StandupReportSerializer, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, membership = api_context(request)
        require(membership, "team.view")
        team = _team(org, query_params(StandupQuerySerializer, request)["team"])
        report = standups.standup_today(team=team, today=org_today(org).date())
        return Response(StandupReportSerializer(report).data)

    @extend_schema(
        summary="Post my entry to a team's stand-up (a second post edits it); a blockers text "
        "raises a blocker routed like a milestone's",
        request=StandupPostSerializer,
        responses={
            201: StandupEntrySerializer,
            400: ERRORS[400],
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, membership = api_context(request)
        payload = StandupPostSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        team = _team(org, data.pop("team"))
        require(membership, "standup.post", team)
        entry = standups.standup_post(actor=request.user, team=team, **data)
        return Response(StandupEntrySerializer(entry).data, status=201)
