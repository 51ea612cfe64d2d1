"""A person's own pages inside an organisation: profile, password, API tokens, notifications."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors
from ..forms import ApiTokenForm, ProfileForm
from ..permissions import require
from ..services import accounts, notifications
from .helpers import apply_errors, paginate, render_page


def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.user_update_profile(user=user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if user.preferred_language:
                translation.activate(user.preferred_language)
            messages.success(request, _("Profile saved."))
            return redirect("profile", org_slug=request.org.slug)
    if request.method == "POST":
        user.refresh_from_db()
    return render_page(
        request, "salesops/profile.html", {"form": form}, status=400 if form.errors else 200
    )


def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, _("Password changed. Other sessions were logged out."))
        return redirect("profile", org_slug=request.org.slug)
    return render_page(
        request, "salesops/password_change.html", {"form": form}, status=400 if form.errors else 200
    )


def api_tokens(request: HttpRequest) -> HttpResponse:
    require(request.membership, "apitoken.manage_own")
    form = ApiTokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_secret = accounts.api_token_create(
                user=request.user, org=request.org, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            form = ApiTokenForm()
    tokens = selectors.api_tokens_for(user=request.user, org=request.org)
    return render_page(
        request,
        "salesops/api_tokens.html",
        {"form": form, "tokens": tokens, "new_secret": new_secret},
        status=400 if form.errors else 200,
    )


@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "apitoken.manage_own")
    token = selectors.get_or_404(
        selectors.api_tokens_for(user=request.user, org=request.org), pk=pk
    )
    accounts.api_token_revoke(user=request.user, token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api_tokens", org_slug=request.org.slug)


def notification_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.notifications_for(user=request.user, org=request.org))
    return render_page(request, "salesops/notification_list.html", {"page": page})


def notification_menu(request: HttpRequest) -> HttpResponse:
    """The navbar bell: polled by htmx, so it shows new notifications without a reload."""
    items = selectors.notifications_for(user=request.user, org=request.org)[:8]
    unread = selectors.unread_count(user=request.user, org=request.org)
    return render_page(
        request, "salesops/notification_menu.html", {"items": items, "unread": unread}
    )


@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = selectors.get_or_404(
        selectors.notifications_for(user=request.user, org=request.org), pk=pk
    )
    notifications.notification_mark_read(
        user=request.user, org=request.org, notification_id=notification.pk
    )
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return redirect(target)
    return redirect("notification_list", org_slug=request.org.slug)


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications.notification_mark_all_read(user=request.user, org=request.org)
    messages.success(request, _("%(count)s notifications marked as read.") % {"count": count})
    return redirect("notification_list", org_slug=request.org.slug)
