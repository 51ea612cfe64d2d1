"""Strategy experiments (A/B tests): the list, the design form, the results page, results typed
in or imported from a CSV, and starting, finishing or reopening an experiment."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from salesops.permissions import can, require
from salesops.selectors import history_for
from salesops.views.helpers import apply_errors, paginate, render_page

from .. import experiments as service
from ..forms import ExperimentFilterForm, ExperimentForm, ImportForm, ResultsForm
from ..models import Experiment, ExperimentMetric, ExperimentStatus


def _detail_url(request: HttpRequest, experiment: Experiment, anchor: str = "") -> HttpResponse:
    response = redirect("dashboards:experiment_detail", org_slug=request.org.slug, pk=experiment.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _error_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


# --- the list -----------------------------------------------------------------------------


def experiment_list(request: HttpRequest) -> HttpResponse:
    require(request.membership, "experiment.view")
    form = ExperimentFilterForm(request.GET or None)
    experiments = (
        service.experiments_for(org=request.org)
        .annotate(variant_count=Count("variants"))
        .order_by("-created_at", "-pk")
    )
    if form.is_valid() and form.cleaned_data["status"]:
        experiments = experiments.filter(status=form.cleaned_data["status"])
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter_form": form,
        "page": paginate(request, experiments),
        "query": query.urlencode(),
        "may_manage": can(request.membership, "experiment.manage"),
    }
    return render_page(
        request, "dashboards/experiment_list.html", context, partial="experiment-table"
    )


# --- the design ---------------------------------------------------------------------------


def experiment_create(request: HttpRequest) -> HttpResponse:
    require(request.membership, "experiment.manage")
    form = ExperimentForm(
        request.POST or None,
        org=request.org,
        initial={"owner": request.user.pk, "alpha": "0.05", "power": "0.8"},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        variants = data.pop("variants")
        try:
            experiment = service.experiment_create(
                actor=request.user, org=request.org, variants=variants, **data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("Experiment created as a draft. Start it when the variants are live.")
            )
            return _detail_url(request, experiment)
    return render_page(
        request,
        "dashboards/experiment_form.html",
        {"form": form, "experiment": None},
        status=400 if form.errors else 200,
    )


def experiment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "experiment.manage")
    experiment = service.experiment_get(org=request.org, pk=pk)
    form = ExperimentForm(request.POST or None, instance=experiment, org=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            service.experiment_update(
                actor=request.user, experiment=experiment, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Experiment saved."))
            return _detail_url(request, experiment)
    # The form changed the instance while validating: show the stored experiment around it.
    experiment = service.experiment_get(org=request.org, pk=pk)
    return render_page(
        request,
        "dashboards/experiment_form.html",
        {"form": form, "experiment": experiment},
        status=400 if form.errors else 200,
    )


@require_POST
def experiment_status(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "experiment.manage")
    experiment = service.experiment_get(org=request.org, pk=pk)
    status = request.POST.get("status", "")
    try:
        service.experiment_set_status(
            actor=request.user, experiment=experiment, status=status, today=timezone.localdate()
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        done: dict[str, str] = {
            ExperimentStatus.RUNNING: _("The experiment is running; its design is now fixed."),
            ExperimentStatus.FINISHED: _("The experiment is finished."),
        }
        messages.success(request, done.get(status, _("Status changed.")))
    return _detail_url(request, experiment)


# --- the results page ---------------------------------------------------------------------


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100


def _rows(experiment: Experiment, results: list[service.VariantResult]) -> list[dict[str, Any]]:
    """Each variant as the page shows it: totals, progress towards the plan, and the test."""
    conversion = experiment.metric == ExperimentMetric.CONVERSION
    scale = 100 if conversion else 1  # differences of rates in percentage points
    planned = experiment.planned_per_variant
    rows = []
    for index, result in enumerate(results):
        analysis = result.analysis
        observed = result.observed
        rows.append(
            {
                "result": result,
                "variant": result.variant,
                "is_control": index == 0,
                "rate": _percent(result.rate),
                "sd": None if result.variance is None else result.variance**0.5,
                "observed": observed,
                "progress": min(100, round(observed / planned * 100)) if planned else None,
                "analysis": analysis,
                "difference": None if analysis is None else analysis.difference * scale,
                "ci_low": None if analysis is None else analysis.ci_low * scale,
                "ci_high": None if analysis is None else analysis.ci_high * scale,
                "verdict": result.verdict,
            }
        )
    return rows


def _detail(
    request: HttpRequest,
    experiment: Experiment,
    *,
    results_form: ResultsForm | None = None,
    import_form: ImportForm | None = None,
    import_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    manages = can(request.membership, "experiment.manage")
    results = service.results_for(experiment=experiment)
    variants = [result.variant for result in results]
    accepts_results = manages and experiment.status != ExperimentStatus.FINISHED
    conversion = experiment.metric == ExperimentMetric.CONVERSION
    if accepts_results or (manages and (results_form is not None or import_form is not None)):
        results_form = results_form or ResultsForm(experiment=experiment, variants=variants)
        import_form = import_form or ImportForm()
    else:
        results_form = import_form = None
    show_history = can(request.membership, "history.view")
    context = {
        "experiment": experiment,
        "conversion": conversion,
        "rows": _rows(experiment, results),
        "ci_level": f"{round((1 - float(experiment.alpha)) * 100, 6):g}",
        "manages": manages,
        "results_form": results_form,
        "import_form": import_form,
        "import_errors": import_errors or [],
        "csv_columns": "variant,trials,successes,external_id"
        if conversion
        else "variant,value,external_id",
        "csv_example": "Control,120,18,batch-1" if conversion else "Control,2450.00,deal-1",
        "history": history_for(experiment, limit=20) if show_history else [],
        "show_history": show_history,
    }
    return render_page(request, "dashboards/experiment_detail.html", context, status=status)


def experiment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "experiment.view")
    experiment = service.experiment_get(org=request.org, pk=pk)
    return _detail(request, experiment)


@require_POST
def results_add(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "experiment.manage")
    experiment = service.experiment_get(org=request.org, pk=pk)
    variants = list(experiment.variants.all())
    form = ResultsForm(request.POST, experiment=experiment, variants=variants)
    if form.is_valid():
        try:
            added = service.observations_add(
                actor=request.user, experiment=experiment, rows=form.cleaned_data["rows"]
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                ngettext("%(count)s result added.", "%(count)s results added.", added)
                % {"count": added},
            )
            return _detail_url(request, experiment, "results")
    return _detail(request, experiment, results_form=form, status=400)


@require_POST
def results_import(request: HttpRequest, pk: int) -> HttpResponse:
    """A CSV of results: every row is added, or — at the first problem — none."""
    require(request.membership, "experiment.manage")
    experiment = service.experiment_get(org=request.org, pk=pk)
    form = ImportForm(request.POST, request.FILES)
    errors: list[str] = []
    if form.is_valid():
        try:
            rows = service.parse_results_csv(
                experiment=experiment, content=form.cleaned_data["file"].read()
            )
            added = service.observations_add(actor=request.user, experiment=experiment, rows=rows)
        except ValidationError as error:
            errors = [str(message) for message in error.messages]
        else:
            text = ngettext("%(count)s result imported.", "%(count)s results imported.", added)
            text %= {"count": added}
            skipped = len(rows) - added
            if skipped:
                text += " " + ngettext(
                    "%(skipped)s row sent before was skipped.",
                    "%(skipped)s rows sent before were skipped.",
                    skipped,
                ) % {"skipped": skipped}
            messages.success(request, text)
            return _detail_url(request, experiment, "results")
    return _detail(request, experiment, import_form=form, import_errors=errors, status=400)
