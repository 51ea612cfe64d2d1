"""Importing measurements from a CRM export: upload, map columns, preview, commit, progress."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops.permissions import require
from salesops.selectors import get_or_404
from salesops.views.helpers import apply_errors, render_page

from .. import importing, selectors
from ..forms import ImportMappingForm, ImportUploadForm
from ..models import ImportStatus, MeasurementImport
from ..services import measurements

PREVIEW_ROWS = 20
ERRORS_SHOWN = 200


def _import(request: HttpRequest, pk: int) -> MeasurementImport:
    require(request.membership, "measurement.import")
    return get_or_404(
        MeasurementImport.objects.for_org(request.org).select_related("goal", "created_by"), pk=pk
    )


def import_start(request: HttpRequest) -> HttpResponse:
    require(request.membership, "measurement.import")
    goal = None
    goal_id = request.GET.get("goal") or request.POST.get("goal")
    if goal_id and str(goal_id).isdigit():
        goal = selectors.goal_get(membership=request.membership, pk=int(goal_id))
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = measurements.import_create(
                actor=request.user,
                org=request.org,
                filename=upload.name,
                content=upload.read(),
                goal=goal,
                period_kind=form.cleaned_data["period_kind"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect("goals:import_detail", org_slug=request.org.slug, pk=job.pk)
    recent = MeasurementImport.objects.for_org(request.org).select_related("goal", "created_by")[
        :10
    ]
    return render_page(
        request,
        "goals/import_start.html",
        {"form": form, "goal": goal, "recent": recent},
        status=400 if form.errors else 200,
    )


def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Column mapping and the preview with every bad row; the commit button once all is well."""
    job = _import(request, pk)
    try:
        table = measurements.import_table(job)
    except importing.ImportFileError as error:
        messages.error(request, str(error))
        return redirect("goals:import_start", org_slug=request.org.slug)
    form = ImportMappingForm(request.POST or None, headers=table.headers, initial=job.mapping)
    if request.method == "POST" and job.status == ImportStatus.UPLOADED and form.is_valid():
        try:
            measurements.import_set_mapping(actor=request.user, job=job, mapping=form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect("goals:import_detail", org_slug=request.org.slug, pk=pk)
    parsed, errors, problems = (
        measurements.import_check(job) if job.status == ImportStatus.UPLOADED else ([], [], [])
    )
    context = {
        "job": job,
        "form": form,
        "headers": table.headers,
        "sample": table.rows[:PREVIEW_ROWS],
        "good_count": len(parsed),
        "errors": errors[:ERRORS_SHOWN],
        "error_count": len(errors),
        "problems": problems,
    }
    return render_page(request, "goals/import_detail.html", context)


@require_POST
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    job = _import(request, pk)
    try:
        measurements.import_commit(actor=request.user, job=job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Import queued. You can leave this page; it goes on in the background.")
        )
    return redirect("goals:import_detail", org_slug=request.org.slug, pk=pk)


def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by htmx every second while the job runs."""
    job = _import(request, pk)
    return render_page(request, "goals/import_detail.html", {"job": job}, partial="import-progress")
