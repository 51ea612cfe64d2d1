"""Milestones: "This week" (the weekly update, one row at a time by htmx), the milestone page,
adding, editing, reordering and removing."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops.permissions import can, require
from salesops.selectors import history_for
from salesops.views.helpers import apply_errors, paginate, render_page, safe_next

from .. import selectors, services
from ..forms import MilestoneForm, UpdateForm
from ..models import Milestone, MilestoneStatus
from .plans import org_day

THIS_WEEK_PAGE_SIZE = 50  # a rep has a handful; sales ops owning hundreds still gets a fast page


def this_week(request: HttpRequest) -> HttpResponse:
    """The page reps open every week: each of my current milestones, updated in place."""
    require(request.membership, "plan.view")
    today = org_day(request)
    milestones = selectors.this_week_for(membership=request.membership, today=today)
    page = paginate(request, milestones, per_page=THIS_WEEK_PAGE_SIZE)
    rows = list(page.object_list)
    context = {
        "rows": rows,
        "page": page,
        "query": "",
        "total": page.paginator.count,
        "overdue": selectors.overdue_ids(rows, today),
        "overdue_count": selectors.this_week_overdue_count(
            membership=request.membership, today=today
        ),
        "updated_count": selectors.this_week_updated_count(
            membership=request.membership, today=today
        ),
        "upcoming": selectors.upcoming_for(membership=request.membership, today=today),
        "my_blockers": list(
            selectors.blockers_for(membership=request.membership).filter(
                routed_to_id=request.user.pk
            )[:10]
        ),
        "statuses": MilestoneStatus.choices,
        "today": today,
    }
    return render_page(request, "actionplans/this_week.html", context)


def _milestone(request: HttpRequest, pk: int) -> Milestone:
    require(request.membership, "plan.view")
    return selectors.milestone_get(org=request.org, pk=pk)


@require_POST
def milestone_update(request: HttpRequest, pk: int) -> HttpResponse:
    """One row saved: progress, status, note, blocker. htmx gets the row back; others a redirect."""
    milestone = _milestone(request, pk)
    require(request.membership, "milestone.update", milestone)
    form = UpdateForm(request.POST)
    error_status = 0
    if form.is_valid():
        try:
            update = services.milestone_record_update(
                actor=request.user, milestone=milestone, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
            error_status = 422
        else:
            if update.blocker is not None:
                message = _("Saved. The blocker went to %(person)s.") % {
                    "person": update.blocker.routed_to.display_name
                }
            else:
                message = _("Saved.")
            if not request.htmx:
                messages.success(request, f"{milestone.title}: {message}")
                return redirect(safe_next(request, services.this_week_url(request.org)))
            return _row(request, pk, saved=message)
    else:
        error_status = 422
    if not request.htmx:
        for errors in form.errors.values():
            messages.error(request, f"{milestone.title}: {' '.join(errors)}")
        return redirect(safe_next(request, services.this_week_url(request.org)))
    return _row(request, pk, form=form, status=error_status)


def _row(
    request: HttpRequest,
    pk: int,
    form: UpdateForm | None = None,
    saved: str = "",
    status: int = 200,
) -> HttpResponse:
    today = org_day(request)
    row = selectors.this_week_row(org=request.org, pk=pk, today=today)
    context = {
        "m": row,
        "form": form,
        "saved": saved,
        "overdue": selectors.overdue_ids([row], today),
        "statuses": MilestoneStatus.choices,
        "today": today,
    }
    return render_page(request, "actionplans/this_week.html", context, partial="row", status=status)


def milestone_detail(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = _milestone(request, pk)
    today = org_day(request)
    may_update = can(request.membership, "milestone.update", milestone)
    context = {
        "milestone": milestone,
        "plan": milestone.plan,
        "depends_on": list(milestone.depends_on.order_by("position", "pk")),
        "dependents": list(milestone.dependents.order_by("position", "pk")),
        "updates": list(selectors.milestone_updates(milestone=milestone)[:100]),
        "blockers": list(
            milestone.blockers.select_related("raised_by", "routed_to", "resolved_by")
        ),
        "overdue": selectors.overdue_ids([milestone], today),
        "may_update": may_update and not milestone.is_dormant,
        "may_edit": can(request.membership, "plan.edit", milestone.plan),
        "statuses": MilestoneStatus.choices,
        "history": history_for(milestone, limit=30),
        "today": today,
    }
    return render_page(request, "actionplans/milestone_detail.html", context)


def milestone_create(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(org=request.org, pk=pk)
    require(request.membership, "plan.edit", plan)
    form = MilestoneForm(
        request.POST or None,
        plan=plan,
        dependency_choices=selectors.dependency_choices(plan=plan),
        initial={"owner": plan.owner_id},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.milestone_create(
                actor=request.user, plan=plan, depends_on=list(data.pop("depends_on")), **data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Milestone added."))
            return redirect(f"{services.plan_url(plan)}#milestones")
    return render_page(
        request,
        "actionplans/milestone_form.html",
        {"form": form, "plan": plan, "milestone": None},
        status=400 if form.errors else 200,
    )


def milestone_edit(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = _milestone(request, pk)
    plan = milestone.plan
    require(request.membership, "plan.edit", plan)
    form = MilestoneForm(
        request.POST or None,
        instance=milestone,
        plan=plan,
        dependency_choices=selectors.dependency_choices(plan=plan, milestone=milestone),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.milestone_edit(
                actor=request.user,
                milestone=milestone,
                depends_on=list(data.pop("depends_on")),
                **data,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Milestone saved."))
            return redirect("actionplans:milestone_detail", org_slug=request.org.slug, pk=pk)
    return render_page(
        request,
        "actionplans/milestone_form.html",
        {"form": form, "plan": plan, "milestone": selectors.milestone_get(org=request.org, pk=pk)},
        status=400 if form.errors else 200,
    )


@require_POST
def milestone_move(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = _milestone(request, pk)
    require(request.membership, "plan.edit", milestone.plan)
    try:
        services.milestone_move(
            actor=request.user, milestone=milestone, direction=request.POST.get("direction", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(f"{services.plan_url(milestone.plan)}#milestones")


@require_POST
def milestone_delete(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = _milestone(request, pk)
    plan = milestone.plan
    require(request.membership, "plan.edit", plan)
    try:
        services.milestone_delete(actor=request.user, milestone=milestone)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("actionplans:milestone_detail", org_slug=request.org.slug, pk=pk)
    messages.success(request, _("Milestone removed."))
    return redirect(f"{services.plan_url(plan)}#milestones")
