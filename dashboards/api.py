"""API v1 for strategy experiments (A/B tests): the list, creating one with its variants, the
results with the analysis against the control, and adding results in batches; deviation alerts
and their rules; KPI rollups. Same services, reads and policy as the pages."""

import math
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from goals.models import Kpi
from goals.selectors import team_ids_of
from salesops.api import ERRORS, api_context, query_params
from salesops.models import Role
from salesops.permissions import can, require
from salesops.selectors import get_or_404

from . import alerts as alert_engine
from . import experiments as service
from .models import (
    Alert,
    AlertRule,
    AlertState,
    Experiment,
    ExperimentMetric,
    KpiRollup,
    RollupLevel,
)
from .selectors import alerts_for, rules_for
from .serializers import (
    AlertDetailSerializer,
    AlertFilterSerializer,
    AlertResolveSerializer,
    AlertRuleSerializer,
    AlertRuleTemplateSerializer,
    AlertRuleWriteSerializer,
    AlertSerializer,
    ExperimentDetailSerializer,
    ExperimentFilterSerializer,
    ExperimentResultsSavedSerializer,
    ExperimentResultsSerializer,
    ExperimentSerializer,
    ExperimentWriteSerializer,
    RollupFilterSerializer,
    RollupSerializer,
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


# --- deviation alerts -------------------------------------------------------------------------


def _rule_arguments(data: dict[str, Any]) -> dict[str, Any]:
    """Validated fields as the services take them: relations as lists, only those sent."""
    arguments = dict(data)
    for name in ("teams", "recipient_teams", "recipient_people"):
        if name in arguments:
            arguments[name] = list(arguments[name])
    return arguments


RULE_ERRORS = {400: ERRORS[400], 403: ERRORS[403]}


@extend_schema_view(
    list=extend_schema(
        summary="Alert rules of the organisation (admins, leaders)",
        responses={200: AlertRuleSerializer(many=True), **RULE_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One alert rule (admins, leaders)",
        responses={200: AlertRuleSerializer, 403: ERRORS[403], 404: ERRORS[404]},
    ),
    create=extend_schema(
        summary="Create an alert rule (admins, leaders)",
        request=AlertRuleWriteSerializer,
        responses={201: AlertRuleSerializer, **RULE_ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change an alert rule; fields left out keep their value (admins, leaders). "
        "Alerts already opened keep the threshold they were opened with.",
        request=AlertRuleWriteSerializer,
        responses={200: AlertRuleSerializer, **RULE_ERRORS, 404: ERRORS[404]},
    ),
    destroy=extend_schema(
        summary="Delete an alert rule with its alerts (admins, leaders)",
        responses={204: None, 403: ERRORS[403], 404: ERRORS[404]},
    ),
)
class AlertRuleViewSet(viewsets.GenericViewSet):
    """Rules are managed by sales ops (admins) and leaders: every action needs
    `alert.rule.manage`; other roles get 403, also for reading."""

    serializer_class = AlertRuleSerializer
    queryset = AlertRule.objects.none()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return AlertRule.objects.none()
        org, membership = api_context(self.request)
        require(membership, "alert.rule.manage")
        return rules_for(org=org)

    def _fresh(self, rule: AlertRule) -> dict[str, Any]:
        org, _membership = api_context(self.request)
        return AlertRuleSerializer(rules_for(org=org).get(pk=rule.pk)).data

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AlertRuleSerializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(AlertRuleSerializer(self.get_object()).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, membership = api_context(request)
        require(membership, "alert.rule.manage")
        payload = AlertRuleWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        rule = alert_engine.alert_rule_create(
            actor=request.user, org=org, **_rule_arguments(payload.validated_data)
        )
        return Response(self._fresh(rule), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, _membership = api_context(request)
        rule = self.get_object()
        payload = AlertRuleWriteSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        alert_engine.alert_rule_update(
            actor=request.user, org=org, rule=rule, **_rule_arguments(payload.validated_data)
        )
        return Response(self._fresh(rule))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, _membership = api_context(request)
        alert_engine.alert_rule_delete(actor=request.user, org=org, rule=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Create an alert rule from a ready-made template (admins, leaders)",
        request=AlertRuleTemplateSerializer,
        responses={201: AlertRuleSerializer, **RULE_ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="from-template")
    def from_template(self, request: Request) -> Response:
        org, membership = api_context(request)
        require(membership, "alert.rule.manage")
        payload = AlertRuleTemplateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rule = alert_engine.alert_rule_from_template(
            actor=request.user, org=org, key=payload.validated_data["template"]
        )
        return Response(self._fresh(rule), status=status.HTTP_201_CREATED)


ALERT_ERRORS = {403: ERRORS[403], 404: ERRORS[404]}


@extend_schema_view(
    list=extend_schema(
        summary="Deviation alerts the caller may see, newest first: all for leaders and "
        "admins; for others those about their teams or whose rule names them",
        parameters=[AlertFilterSerializer],
        responses={200: AlertSerializer(many=True), 400: ERRORS[400], 401: ERRORS[401]},
    ),
    retrieve=extend_schema(
        summary="One alert with the data behind it",
        responses={200: AlertDetailSerializer, 404: ERRORS[404]},
    ),
)
class AlertViewSet(viewsets.GenericViewSet):
    """Alerts outside what `alerts_for` shows the caller answer 404, like missing ones."""

    serializer_class = AlertSerializer
    queryset = Alert.objects.none()
    http_method_names = ["get", "post", "head", "options"]
    filter_backends: list[Any] = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Alert.objects.none()
        _org, membership = api_context(self.request)
        require(membership, "alert.view")
        return alerts_for(membership=membership).select_related("acknowledged_by", "resolved_by")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = query_params(AlertFilterSerializer, request)
        alerts = self.get_queryset()
        state = params.get("state")
        if state == "active":
            alerts = alerts.filter(state__in=[AlertState.OPEN, AlertState.ACKNOWLEDGED])
        elif state:
            alerts = alerts.filter(state=state)
        if params.get("severity"):
            alerts = alerts.filter(severity=params["severity"])
        if params.get("team"):
            alerts = alerts.filter(team_id=params["team"])
        if params.get("rule"):
            alerts = alerts.filter(rule_id=params["rule"])
        page = self.paginate_queryset(alerts.order_by("-opened_at", "-pk"))
        return self.get_paginated_response(AlertSerializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(AlertDetailSerializer(self.get_object()).data)

    def _handled(self, alert: Alert) -> Response:
        return Response(AlertDetailSerializer(self.get_queryset().get(pk=alert.pk)).data)

    @extend_schema(
        summary="Acknowledge an open alert: someone is on it",
        request=None,
        responses={200: AlertDetailSerializer, 400: ERRORS[400], **ALERT_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        org, membership = api_context(request)
        alert = self.get_object()
        require(membership, "alert.handle", alert)
        alert_engine.alert_acknowledge(actor=request.user, org=org, alert=alert)
        return self._handled(alert)

    @extend_schema(
        summary="Resolve an open or acknowledged alert with a note saying what was done",
        request=AlertResolveSerializer,
        responses={200: AlertDetailSerializer, 400: ERRORS[400], **ALERT_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        org, membership = api_context(request)
        alert = self.get_object()
        require(membership, "alert.handle", alert)
        payload = AlertResolveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            alert_engine.alert_resolve(
                actor=request.user, org=org, alert=alert, note=payload.validated_data["note"]
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "resolution_note" in error.error_dict:
                raise ValidationError({"note": error.error_dict["resolution_note"]}) from error
            raise
        return self._handled(alert)


# --- KPI rollups ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="A KPI's rollups per week, month or fiscal quarter, for the organisation, "
        "its teams, or team × owner",
        parameters=[RollupFilterSerializer],
        responses={
            200: RollupSerializer(many=True),
            400: ERRORS[400],
            401: ERRORS[401],
            403: ERRORS[403],
            404: ERRORS[404],
        },
    ),
)
class RollupViewSet(viewsets.GenericViewSet):
    """Read-only rollups of one KPI, oldest period first.

    Who sees what: everyone sees organisation totals (`level=org`). Team and team × owner rows
    are a breakdown (`kpi.breakdown`): admins and leaders see all of them, managers those of
    their own teams. Reps and members may ask for `level=detail` and get their own rows (as
    owner) only; asking for a team level or for someone else's rows answers 403. A KPI of
    another organisation answers 404.
    """

    serializer_class = RollupSerializer
    queryset = KpiRollup.objects.none()
    http_method_names = ["get", "head", "options"]
    filter_backends: list[Any] = []

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org, membership = api_context(request)
        params = query_params(RollupFilterSerializer, request)
        kpi = get_or_404(Kpi.objects.for_org(org), pk=params["kpi"])
        level = params["level"]
        rows = KpiRollup.objects.for_org(org).filter(
            kpi=kpi, level=level, period_kind=params["period_kind"]
        )
        if level != RollupLevel.ORG:
            if can(membership, "kpi.breakdown"):
                if membership.role == Role.MANAGER:
                    rows = rows.filter(team_id__in=team_ids_of(membership))
            elif level == RollupLevel.DETAIL and params.get("owner", membership.user_id) == (
                membership.user_id
            ):
                rows = rows.filter(owner_id=membership.user_id)
            else:
                raise PermissionDenied
        if params.get("team"):
            rows = rows.filter(team_id=params["team"])
        if params.get("owner"):
            rows = rows.filter(owner_id=params["owner"])
        if params.get("from"):
            rows = rows.filter(period_start__gte=params["from"])
        if params.get("to"):
            rows = rows.filter(period_start__lte=params["to"])
        rows = rows.select_related("team", "owner").order_by(
            "period_start", "team_key", "owner_key"
        )
        page = self.paginate_queryset(rows)
        data = RollupSerializer(page, many=True, context={"kpi": kpi}).data
        return self.get_paginated_response(data)
