"""API v1: me, teams, members. Same services, selectors and policy as the pages."""

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .api_errors import ErrorSerializer
from .models import Membership, Role, Team
from .permissions import require
from .serializers import MembershipSerializer, MeSerializer, TeamSerializer
from .services import tenancy

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input"),
    401: OpenApiResponse(ErrorSerializer, description="Missing or invalid token"),
    403: OpenApiResponse(ErrorSerializer, description="Your role may not do this"),
    404: OpenApiResponse(ErrorSerializer, description="Not found in your organisation"),
}


def api_context(request: Request) -> tuple[Any, Membership]:
    """The organisation and membership the token resolved to (see `api_auth`)."""
    return request._request.org, request._request.membership  # type: ignore[attr-defined]


def query_params(
    serializer_class: type[serializers.Serializer], request: Request
) -> dict[str, Any]:
    """Query parameters, validated: a bad filter answers 400 rather than being ignored."""
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return dict(params.validated_data)


class MeView(APIView):
    @extend_schema(
        responses={200: MeSerializer, 401: ERRORS[401]}, summary="Who the token belongs to"
    )
    def get(self, request: Request) -> Response:
        org, membership = api_context(request)
        teams = [
            {"id": link.team_id, "name": link.team.name, "is_lead": link.is_lead}
            for link in membership.team_memberships.select_related("team").filter(
                team__archived_at__isnull=True
            )
        ]
        data = {"user": request.user, "organization": org, "role": membership.role, "teams": teams}
        return Response(MeSerializer(data).data)


@extend_schema_view(
    list=extend_schema(
        summary="Teams of the organisation",
        responses={200: TeamSerializer(many=True), 401: ERRORS[401]},
    ),
    retrieve=extend_schema(summary="One team", responses={200: TeamSerializer, 404: ERRORS[404]}),
    create=extend_schema(
        summary="Create a team (admins)",
        responses={201: TeamSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    ),
    partial_update=extend_schema(
        summary="Rename or move a team (admins)",
        responses={200: TeamSerializer, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
    ),
)
class TeamViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TeamSerializer
    queryset = Team.objects.none()  # for the schema; requests use get_queryset
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["kind", "parent"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Team.objects.none()
        org, _membership = api_context(self.request)
        include_archived = self.request.query_params.get("archived") == "1"
        return selectors.teams_for(org=org, include_archived=include_archived)

    def perform_create(self, serializer: TeamSerializer) -> None:
        org, membership = api_context(self.request)
        require(membership, "team.create")
        team = tenancy.team_create(actor=self.request.user, org=org, **serializer.validated_data)
        serializer.instance = selectors.teams_for(org=org).get(pk=team.pk)

    def perform_update(self, serializer: TeamSerializer) -> None:
        org, membership = api_context(self.request)
        team: Team = serializer.instance
        require(membership, "team.edit", team)
        data = serializer.validated_data
        tenancy.team_update(
            actor=self.request.user,
            team=team,
            name=data.get("name", team.name),
            kind=data.get("kind", team.kind),
            parent=data.get("parent", team.parent),
            description=data.get("description", team.description),
        )
        serializer.instance = selectors.teams_for(org=org, include_archived=True).get(pk=team.pk)

    @extend_schema(
        request=None,
        summary="Archive a team (admins)",
        responses={200: TeamSerializer, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
    )
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, pk: str | None = None) -> Response:
        org, membership = api_context(request)
        team = self.get_object()
        require(membership, "team.archive", team)
        tenancy.team_archive(actor=request.user, team=team)
        team = selectors.teams_for(org=org, include_archived=True).get(pk=team.pk)
        return Response(
            TeamSerializer(team, context={"request": request}).data, status=status.HTTP_200_OK
        )


class MemberFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    team = django_filters.NumberFilter(field_name="team_memberships__team_id")
    is_active = django_filters.BooleanFilter()
    search = django_filters.CharFilter(method="filter_search", label="Name or email contains")

    class Meta:
        model = Membership
        fields = ["role", "team", "is_active"]

    def filter_search(self, queryset: Any, name: str, value: str) -> Any:
        from django.db.models import Q

        return queryset.filter(
            Q(user__display_name__icontains=value) | Q(user__email__icontains=value)
        )


@extend_schema_view(
    list=extend_schema(
        summary="Members of the organisation", responses={200: MembershipSerializer(many=True)}
    ),
    retrieve=extend_schema(
        summary="One member", responses={200: MembershipSerializer, 404: ERRORS[404]}
    ),
)
class MemberViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MembershipSerializer
    filterset_class = MemberFilter
    queryset = Membership.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        org, membership = api_context(self.request)
        require(membership, "member.view")
        return selectors.members_for(org=org, status="all").distinct()
