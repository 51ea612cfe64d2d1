"""API authentication: `Authorization: Bearer <token>`; the token decides the organisation."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from .models import Membership
from .services.accounts import api_token_authenticate


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the header as “Authorization: Bearer <token>”.")
            )
        token = api_token_authenticate(secret=header[1].decode(errors="replace"))
        if token is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid or was revoked."))
        membership = (
            Membership.objects.select_related("org", "user")
            .filter(org=token.org, user=token.user, is_active=True)
            .first()
        )
        if membership is None:
            raise exceptions.AuthenticationFailed(_("This token's owner is no longer a member."))
        request._request.org = token.org  # type: ignore[attr-defined]
        request._request.membership = membership  # type: ignore[attr-defined]
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class HasOrgToken(permissions.BasePermission):
    """Every API call runs inside the organisation its token belongs to."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return getattr(request._request, "membership", None) is not None


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "salesops.api_auth.ApiTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from your profile.",
        }
