import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation

from .selectors import membership_for

security_log = logging.getLogger("salesops.security")


class UserLanguageMiddleware:
    """Use the person's chosen language; without one, LocaleMiddleware's pick (browser) stays."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "preferred_language", "") if user and user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language:
            response.headers.setdefault("Content-Language", language)
        return response


class OrganizationMiddleware:
    """Resolve `request.org` and `request.membership` for every URL under /o/<org_slug>/.

    Anonymous visitors go to the login page; anyone who is not an active member of
    that organisation gets 404, the same answer as for an organisation that does
    not exist, so the page does not reveal which organisations exist.
    The `org_slug` keyword is consumed here; views read `request.org`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.org = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        slug = view_kwargs.pop("org_slug", None)
        if slug is None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        membership = membership_for(user=request.user, org_slug=slug)
        if membership is None:
            security_log.warning(
                "org access denied: user=%s org_slug=%s path=%s",
                request.user.pk,
                slug,
                request.path,
            )
            raise Http404("No such organisation")
        request.org = membership.org  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
        # Dates and times on the organisation's pages are shown in its own time zone.
        timezone.activate(ZoneInfo(membership.org.time_zone))
        return None
