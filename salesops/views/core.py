"""Pages outside any organisation: home, health, language, invitations, errors."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .. import selectors
from ..api_errors import error_body
from ..forms import AcceptInvitationForm
from ..services import tenancy
from .helpers import safe_next

log = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    memberships = list(selectors.memberships_of(user=request.user))
    if len(memberships) == 1:
        return redirect("org_home", org_slug=memberships[0].org.slug)
    return render(request, "salesops/org_choose.html", {"memberships": memberships})


@login_required
def org_choose(request: HttpRequest) -> HttpResponse:
    memberships = selectors.memberships_of(user=request.user)
    return render(request, "salesops/org_choose.html", {"memberships": memberships})


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch language; a logged-in person's choice is saved on their profile."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("Choose English or Simplified Chinese."))
        return redirect(safe_next(request, "/"))
    if request.user.is_authenticated:
        request.user.preferred_language = language
        request.user.save(update_fields=["preferred_language"])
    translation.activate(language)
    response = redirect(safe_next(request, "/"))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
    )
    return response


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker status for load balancers and docker health checks."""
    from ..celery import app

    status = {"database": "ok", "broker": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "down", reported, not raised
        log.error("healthz: database down: %s", exc)
        status["database"] = "down"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:  # noqa: BLE001
        log.error("healthz: broker down: %s", exc)
        status["broker"] = "down"
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse(
        {"status": "ok" if healthy else "down", **status}, status=200 if healthy else 503
    )


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = tenancy.invitation_check(token=token)
    except tenancy.InvitationInvalid as problem:
        return render(
            request, "salesops/invitation_invalid.html", {"problem": str(problem)}, status=410
        )

    existing_account = (
        not request.user.is_authenticated
        and tenancy.User.objects.filter(email__iexact=invitation.email).exists()
    )
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and not existing_account:
        try:
            if request.user.is_authenticated:
                membership = tenancy.invitation_accept(token=token, user=request.user)
            elif form.is_valid():
                membership = tenancy.invitation_accept(
                    token=token,
                    display_name=form.cleaned_data["display_name"],
                    password=form.cleaned_data["password1"],
                )
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            else:
                membership = None
        except tenancy.InvitationInvalid as problem:
            return render(
                request, "salesops/invitation_invalid.html", {"problem": str(problem)}, status=410
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
            membership = None
        if membership is not None:
            messages.success(request, _("Welcome to %(org)s.") % {"org": membership.org.name})
            return redirect("org_home", org_slug=membership.org.slug)
    wrong_account = (
        request.user.is_authenticated and request.user.email.lower() != invitation.email.lower()
    )
    return render(
        request,
        "salesops/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "existing_account": existing_account,
            "wrong_account": wrong_account,
            "login_url": f"{reverse('login')}?next={request.path}",
        },
    )


@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        tenancy.end_user_sessions(user=request.user)
    logout(request)
    return redirect("login")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("permission_denied", _("Your role may not do this.")), status=403
        )
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("server_error", _("Something went wrong on our side.")), status=500
        )
    return render(request, "500.html", status=500)
