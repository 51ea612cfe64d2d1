"""Organisation home, settings and the webhook delivery log."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors
from ..forms import OrgSettingsForm
from ..models import Membership
from ..models.notifications import DeliveryStatus
from ..permissions import can, require
from ..services import notifications, tenancy
from .helpers import apply_errors, paginate, render_page


def org_home(request: HttpRequest) -> HttpResponse:
    org, membership = request.org, request.membership
    my_teams = [
        link.team
        for link in membership.team_memberships.select_related("team").filter(
            team__archived_at__isnull=True
        )
    ]
    context = {
        "my_teams": my_teams,
        "member_count": Membership.objects.for_org(org).active().count(),
        "team_count": selectors.teams_for(org=org).count(),
        "recent_notifications": selectors.notifications_for(user=request.user, org=org)[:5],
    }
    if can(membership, "member.invite"):
        context["open_invitations"] = selectors.open_invitations(org=org).count()
    if can(membership, "webhook.deliveries.view"):
        context["failing_webhooks"] = list(selectors.failing_webhooks(org=org))
    return render_page(request, "salesops/org_home.html", context)


def org_settings(request: HttpRequest) -> HttpResponse:
    require(request.membership, "org.settings.edit")
    org = request.org
    form = OrgSettingsForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        try:
            tenancy.org_update_settings(actor=request.user, org=org, **form.cleaned_data)
        except ValidationError as error:
            org.refresh_from_db()
            apply_errors(form, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("org_settings", org_slug=org.slug)
    if request.method == "POST":
        org.refresh_from_db()
    history = selectors.history_for(org, limit=20)
    return render_page(request, "salesops/org_settings.html", {"form": form, "history": history})


def webhook_deliveries(request: HttpRequest) -> HttpResponse:
    require(request.membership, "webhook.deliveries.view")
    status = request.GET.get("status", "")
    if status not in DeliveryStatus.values:
        status = ""
    page = paginate(request, selectors.webhook_deliveries_for(org=request.org, status=status))
    return render_page(
        request,
        "salesops/webhook_deliveries.html",
        {"page": page, "status": status, "statuses": DeliveryStatus.choices},
        partial="delivery-list",
    )


@require_POST
def webhook_delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "webhook.deliveries.view")
    delivery = selectors.get_or_404(selectors.webhook_deliveries_for(org=request.org), pk=pk)
    if delivery.status != DeliveryStatus.FAILED:
        messages.info(request, _("Only failed deliveries can be retried."))
    else:
        notifications.webhook_delivery_retry(delivery=delivery)
        messages.success(request, _("The delivery will be tried again."))
    return redirect("webhook_deliveries", org_slug=request.org.slug)
