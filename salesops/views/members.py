"""People: list, detail with history, role change, deactivation, invitations."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors
from ..forms import InvitationForm, RoleForm
from ..models import Role
from ..permissions import can, require
from ..services import notifications, tenancy
from .helpers import apply_errors, paginate, render_page


def member_list(request: HttpRequest) -> HttpResponse:
    require(request.membership, "member.view")
    org = request.org
    search = request.GET.get("q", "").strip()[:100]
    role = request.GET.get("role", "")
    role = role if role in Role.values else ""
    status = request.GET.get("status", "active")
    status = status if status in ("active", "inactive", "all") else "active"
    page = paginate(
        request, selectors.members_for(org=org, search=search, role=role, status=status)
    )
    context = {"page": page, "q": search, "role": role, "status": status, "roles": Role.choices}
    if can(request.membership, "member.invite"):
        context["invitations"] = selectors.open_invitations(org=org)
        context["now"] = timezone.now()
    return render_page(request, "salesops/member_list.html", context, partial="member-table")


def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "member.view")
    member = selectors.member_get(org=request.org, pk=pk)
    context = {
        "member": member,
        "teams": member.team_memberships.select_related("team").order_by("team__name"),
        "role_form": RoleForm(initial={"role": member.role}),
    }
    if can(request.membership, "history.view"):
        context["history"] = selectors.history_for(member, limit=30)
    return render_page(request, "salesops/member_detail.html", context)


@require_POST
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(org=request.org, pk=pk)
    require(request.membership, "member.role.change", member)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
    else:
        try:
            member = tenancy.membership_change_role(
                actor=request.user, membership=member, role=form.cleaned_data["role"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Role changed to %(role)s.") % {"role": member.get_role_display()}
            )
    return redirect("member_detail", org_slug=request.org.slug, pk=pk)


@require_POST
def member_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(org=request.org, pk=pk)
    require(request.membership, "member.deactivate", member)
    reactivate = request.POST.get("reactivate") == "1"
    try:
        if reactivate:
            tenancy.membership_reactivate(actor=request.user, membership=member)
            messages.success(
                request, _("%(name)s can use SalesOps again.") % {"name": member.user.display_name}
            )
        else:
            tenancy.membership_deactivate(actor=request.user, membership=member)
            messages.success(
                request,
                _("%(name)s was deactivated and logged out everywhere.")
                % {"name": member.user.display_name},
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("member_detail", org_slug=request.org.slug, pk=pk)


def member_invite(request: HttpRequest) -> HttpResponse:
    require(request.membership, "member.invite")
    org = request.org
    form = InvitationForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation, token = tenancy.invitation_create(
                actor=request.user,
                org=org,
                email=data["email"],
                role=data["role"],
                teams=list(data["teams"]),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            link = notifications.absolute_url(reverse("invitation_accept", kwargs={"token": token}))
            messages.success(
                request,
                _(
                    "Invitation sent to %(email)s. "
                    "The link works once and expires in %(days)s days: %(link)s"
                )
                % {
                    "email": invitation.email,
                    "days": settings.INVITATION_TTL.days,
                    "link": link,
                },
            )
            return redirect("member_list", org_slug=org.slug)
    status = 400 if form.errors else 200
    return render_page(request, "salesops/member_invite.html", {"form": form}, status=status)


@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "member.invite")
    invitation = selectors.get_or_404(selectors.open_invitations(org=request.org), pk=pk)
    tenancy.invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, _("Invitation to %(email)s withdrawn.") % {"email": invitation.email})
    return redirect("member_list", org_slug=request.org.slug)
