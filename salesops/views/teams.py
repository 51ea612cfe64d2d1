"""Teams: tree, create, edit (including move), archive, people, webhooks."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors
from ..forms import TeamForm, TeamMemberAddForm, WebhookForm
from ..models import Team, TeamMembership, TeamWebhook
from ..permissions import can, require
from ..services import notifications, tenancy
from .helpers import apply_errors, flash_form_errors, render_page


def team_list(request: HttpRequest) -> HttpResponse:
    require(request.membership, "team.view")
    show_archived = request.GET.get("archived") == "1"
    tree = selectors.team_tree(org=request.org, include_archived=show_archived)
    return render_page(
        request,
        "salesops/team_list.html",
        {"tree": tree, "show_archived": show_archived},
        partial="team-tree",
    )


def team_create(request: HttpRequest) -> HttpResponse:
    require(request.membership, "team.create")
    org = request.org
    form = TeamForm(request.POST or None, org=org, initial={"parent": request.GET.get("parent")})
    if request.method == "POST" and form.is_valid():
        try:
            team = tenancy.team_create(actor=request.user, org=org, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Team “%(name)s” created.") % {"name": team.name})
            return redirect("team_detail", org_slug=org.slug, pk=team.pk)
    return render_page(request, "salesops/team_form.html", {"form": form, "team": None})


def _team_context(
    request: HttpRequest, team: Team, add_form: TeamMemberAddForm | None = None
) -> dict:  # type: ignore[type-arg]
    org, membership = request.org, request.membership
    can_manage_people = can(membership, "team.members.manage", team) and not team.is_archived
    context = {
        "team": team,
        "members": selectors.team_members(team=team),
        "children": selectors.teams_for(org=org, include_archived=True).filter(parent=team),
        "can_manage_people": can_manage_people,
        "add_form": (add_form or TeamMemberAddForm(team=team)) if can_manage_people else None,
        "may_see_dashboard": can(membership, "dashboard.team", team),
        "may_review": can(membership, "review.view", team),
    }
    if can(membership, "team.webhooks.manage"):
        context["webhooks"] = selectors.team_webhooks(org=org, team=team)
        context["webhook_form"] = WebhookForm()
    if can(membership, "history.view"):
        context["history"] = selectors.history_for(team, limit=20)
    return context


def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "team.view")
    team = selectors.team_get(org=request.org, pk=pk)
    return render_page(
        request, "salesops/team_detail.html", _team_context(request, team), partial="team-members"
    )


def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = request.org
    team = selectors.team_get(org=org, pk=pk)
    require(request.membership, "team.edit", team)
    form = TeamForm(request.POST or None, instance=team, org=org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tenancy.team_update(actor=request.user, team=selectors.team_get(org=org, pk=pk), **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Team saved."))
            return redirect("team_detail", org_slug=org.slug, pk=pk)
    return render_page(
        request,
        "salesops/team_form.html",
        {"form": form, "team": selectors.team_get(org=org, pk=pk)},
    )


@require_POST
def team_archive(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get(org=request.org, pk=pk)
    require(request.membership, "team.archive", team)
    restore = request.POST.get("restore") == "1"
    try:
        if restore:
            tenancy.team_restore(actor=request.user, team=team)
            messages.success(request, _("Team restored."))
        else:
            tenancy.team_archive(actor=request.user, team=team)
            messages.success(request, _("Team archived. Its history is kept."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("team_detail", org_slug=request.org.slug, pk=pk)


@require_POST
def team_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get(org=request.org, pk=pk)
    require(request.membership, "team.members.manage", team)
    form = TeamMemberAddForm(request.POST, team=team)
    if form.is_valid():
        try:
            tenancy.team_member_add(actor=request.user, team=team, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            name = form.cleaned_data["membership"].user.display_name
            messages.success(request, _("%(name)s added to the team.") % {"name": name})
            if not request.htmx:
                return redirect("team_detail", org_slug=request.org.slug, pk=pk)
            form = TeamMemberAddForm(team=team)
    # htmx swaps only 2xx answers, so the fragment with errors comes back as 200.
    status = 200 if request.htmx or not form.errors else 400
    return render_page(
        request,
        "salesops/team_detail.html",
        _team_context(request, team, form),
        partial="team-members",
        status=status,
    )


def _team_link(request: HttpRequest, pk: int, link_pk: int) -> TeamMembership:
    team = selectors.team_get(org=request.org, pk=pk)
    require(request.membership, "team.members.manage", team)
    return selectors.get_or_404(
        TeamMembership.objects.select_related("membership__user", "team"), team=team, pk=link_pk
    )


@require_POST
def team_member_remove(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    link = _team_link(request, pk, link_pk)
    try:
        tenancy.team_member_remove(actor=request.user, link=link)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        name = link.membership.user.display_name
        messages.success(request, _("%(name)s removed from the team.") % {"name": name})
    return redirect("team_detail", org_slug=request.org.slug, pk=pk)


@require_POST
def team_member_lead(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    link = _team_link(request, pk, link_pk)
    try:
        tenancy.team_member_set_lead(
            actor=request.user, link=link, is_lead=request.POST.get("is_lead") == "1"
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Team lead updated."))
    return redirect("team_detail", org_slug=request.org.slug, pk=pk)


# --- webhooks --------------------------------------------------------------------------


@require_POST
def webhook_create(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get(org=request.org, pk=pk)
    require(request.membership, "team.webhooks.manage", team)
    form = WebhookForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            notifications.webhook_create(
                org=request.org, team=team, name=data["name"], kind=data["kind"], url=data["url"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Webhook added. Send a test message to check it."))
    else:
        flash_form_errors(request, form)
    return redirect("team_detail", org_slug=request.org.slug, pk=pk)


def _webhook(request: HttpRequest, pk: int, webhook_pk: int) -> TeamWebhook:
    team = selectors.team_get(org=request.org, pk=pk)
    require(request.membership, "team.webhooks.manage", team)
    return selectors.get_or_404(selectors.team_webhooks(org=request.org, team=team), pk=webhook_pk)


def webhook_edit(request: HttpRequest, pk: int, webhook_pk: int) -> HttpResponse:
    webhook = _webhook(request, pk, webhook_pk)
    form = WebhookForm(
        request.POST or None,
        initial={
            "name": webhook.name,
            "kind": webhook.kind,
            "url": webhook.url,
            "is_active": webhook.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            notifications.webhook_update(webhook=webhook, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("team_detail", org_slug=request.org.slug, pk=pk)
    return render_page(
        request,
        "salesops/webhook_form.html",
        {"form": form, "webhook": webhook, "team": webhook.team},
    )


@require_POST
def webhook_delete(request: HttpRequest, pk: int, webhook_pk: int) -> HttpResponse:
    webhook = _webhook(request, pk, webhook_pk)
    notifications.webhook_delete(webhook=webhook)
    messages.success(request, _("Webhook removed."))
    return redirect("team_detail", org_slug=request.org.slug, pk=pk)


@require_POST
def webhook_test(request: HttpRequest, pk: int, webhook_pk: int) -> HttpResponse:
    webhook = _webhook(request, pk, webhook_pk)
    notifications.webhook_send_test(webhook=webhook, actor=request.user)
    messages.success(request, _("Test message queued. Its result appears in the delivery log."))
    return redirect("team_detail", org_slug=request.org.slug, pk=pk)
