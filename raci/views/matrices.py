"""RACI pages: the list, the grid (cells edited in place by htmx), publishing, exports."""

import csv
from io import BytesIO
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops.permissions import can, require
from salesops.selectors import get_or_404, history_for
from salesops.spreadsheets import spreadsheet_safe
from salesops.views.helpers import apply_errors, render_page

from .. import selectors, services
from ..forms import ActivityForm, MatrixCreateForm, MatrixForm, ParticipantForm, RaciPolicyForm
from ..models import RaciActivity, RaciMatrix, RaciParticipant

LETTER_CHOICES = [("", "—"), ("R", "R"), ("A", "A"), ("C", "C"), ("I", "I"), ("A/R", "A/R")]


def matrix_list(request: HttpRequest) -> HttpResponse:
    require(request.membership, "raci.view")
    matrices = selectors.matrices_for(membership=request.membership)
    return render_page(request, "raci/matrix_list.html", {"matrices": matrices})


def matrix_create(request: HttpRequest) -> HttpResponse:
    require(request.membership, "raci.edit")
    form = MatrixCreateForm(request.POST or None, org=request.org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("blueprint"):
                matrix = services.matrix_create_from_blueprint(
                    actor=request.user,
                    org=request.org,
                    key=data["blueprint"],
                    title=data.get("title") or "",
                )
                if data.get("goal") or data.get("description"):
                    services.matrix_update(
                        actor=request.user,
                        matrix=matrix,
                        title=matrix.title,
                        description=data.get("description") or matrix.description,
                        goal=data.get("goal"),
                    )
            else:
                matrix = services.matrix_create(
                    actor=request.user,
                    org=request.org,
                    title=data["title"],
                    description=data.get("description", ""),
                    goal=data.get("goal"),
                )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Matrix created as a draft."))
            return redirect("raci:matrix_detail", org_slug=request.org.slug, pk=matrix.pk)
    return render_page(
        request,
        "raci/matrix_form.html",
        {"form": form, "matrix": None},
        status=400 if form.errors else 200,
    )


def _board_context(request: HttpRequest, matrix: RaciMatrix) -> dict[str, Any]:
    grid = selectors.grid_for(matrix=matrix)
    editable = can(request.membership, "raci.edit")
    return {
        "matrix": matrix,
        "grid": grid,
        "rows": grid.rows(),
        "editable": editable,
        "letter_choices": LETTER_CHOICES,
        "changes": selectors.changes_since_publication(grid),
        "activity_form": ActivityForm() if editable else None,
        "participant_form": ParticipantForm(matrix=matrix) if editable else None,
    }


def matrix_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "raci.view")
    matrix = selectors.matrix_get(membership=request.membership, pk=pk)
    context = _board_context(request, matrix)
    if can(request.membership, "history.view"):
        context["history"] = history_for(matrix, limit=20)
    return render_page(request, "raci/matrix_detail.html", context, partial="board")


def matrix_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "raci.edit")
    matrix = selectors.matrix_get(membership=request.membership, pk=pk)
    form = MatrixForm(request.POST or None, instance=matrix, org=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.matrix_update(
                actor=request.user,
                matrix=selectors.matrix_get(membership=request.membership, pk=pk),
                **form.cleaned_data,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Matrix saved."))
            return redirect("raci:matrix_detail", org_slug=request.org.slug, pk=pk)
    matrix = selectors.matrix_get(membership=request.membership, pk=pk)
    return render_page(
        request,
        "raci/matrix_form.html",
        {"form": form, "matrix": matrix},
        status=400 if form.errors else 200,
    )


def _editable(request: HttpRequest, pk: int) -> RaciMatrix:
    require(request.membership, "raci.edit")
    return selectors.matrix_get(membership=request.membership, pk=pk)


def _board(request: HttpRequest, matrix: RaciMatrix, status: int = 200) -> HttpResponse:
    """After a change: the board alone for htmx, the whole page otherwise."""
    if request.htmx:
        return render_page(
            request,
            "raci/matrix_detail.html",
            _board_context(request, matrix),
            partial="board",
            status=status,
        )
    return redirect("raci:matrix_detail", org_slug=request.org.slug, pk=matrix.pk)


@require_POST
def cell_set(request: HttpRequest, pk: int) -> HttpResponse:
    """One cell, from a click or a key press in the grid. Answers the cell and the validation panel."""
    matrix = _editable(request, pk)
    activity_id, participant_id = (
        request.POST.get("activity", ""),
        request.POST.get("participant", ""),
    )
    activity = get_or_404(
        RaciActivity.objects.filter(matrix=matrix),
        pk=int(activity_id) if activity_id.isdigit() else 0,
    )
    participant = get_or_404(
        RaciParticipant.objects.filter(matrix=matrix).select_related("membership__user", "team"),
        pk=int(participant_id) if participant_id.isdigit() else 0,
    )
    letters = request.POST.get("letters", "")
    try:
        label = services.cell_set(
            actor=request.user,
            matrix=matrix,
            activity=activity,
            participant=participant,
            letters=letters,
        )
    except ValidationError as error:
        if request.htmx:
            return HttpResponse(
                " ".join(error.messages), status=400, content_type="text/plain; charset=utf-8"
            )
        messages.error(request, " ".join(error.messages))
        return redirect("raci:matrix_detail", org_slug=request.org.slug, pk=pk)
    if not request.htmx:
        return redirect("raci:matrix_detail", org_slug=request.org.slug, pk=pk)
    context = _board_context(request, matrix)
    context.update({"activity": activity, "participant": participant, "letters": label})
    return render_page(request, "raci/cell_response.html", context)


@require_POST
def activity_add(request: HttpRequest, pk: int) -> HttpResponse:
    matrix = _editable(request, pk)
    form = ActivityForm(request.POST)
    if form.is_valid():
        services.activity_add(actor=request.user, matrix=matrix, **form.cleaned_data)
    else:
        messages.error(request, _("Give the activity a name."))
    return _board(request, matrix)


@require_POST
def activity_update(request: HttpRequest, pk: int, activity_pk: int) -> HttpResponse:
    matrix = _editable(request, pk)
    activity = get_or_404(RaciActivity.objects.filter(matrix=matrix), pk=activity_pk)
    if "direction" in request.POST:
        try:
            services.activity_move(
                actor=request.user, activity=activity, direction=request.POST["direction"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    elif request.POST.get("delete") == "1":
        services.activity_delete(actor=request.user, activity=activity)
    else:
        form = ActivityForm(request.POST)
        if form.is_valid():
            services.activity_update(actor=request.user, activity=activity, **form.cleaned_data)
        else:
            messages.error(request, _("Give the activity a name."))
    return _board(request, matrix)


@require_POST
def participant_add(request: HttpRequest, pk: int) -> HttpResponse:
    matrix = _editable(request, pk)
    form = ParticipantForm(request.POST, matrix=matrix)
    if form.is_valid():
        try:
            services.participant_add(
                actor=request.user,
                matrix=matrix,
                membership=form.cleaned_data.get("membership"),
                team=form.cleaned_data.get("team"),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("Choose a person or a team."))
    return _board(request, matrix)


@require_POST
def participant_remove(request: HttpRequest, pk: int, participant_pk: int) -> HttpResponse:
    matrix = _editable(request, pk)
    participant = get_or_404(RaciParticipant.objects.filter(matrix=matrix), pk=participant_pk)
    services.participant_remove(actor=request.user, participant=participant)
    return _board(request, matrix)


@require_POST
def matrix_publish(request: HttpRequest, pk: int) -> HttpResponse:
    matrix = _editable(request, pk)
    try:
        services.matrix_publish(actor=request.user, matrix=matrix)
    except ValidationError as error:
        messages.error(
            request,
            _("Not published. Fix these first: %(problems)s")
            % {"problems": " ".join(error.messages)},
        )
    else:
        messages.success(request, _("Published. Everyone with a role in it has been told."))
    return redirect("raci:matrix_detail", org_slug=request.org.slug, pk=pk)


def _table(matrix: RaciMatrix) -> tuple[list[str], list[list[str]]]:
    grid = selectors.grid_for(matrix=matrix)
    header = [
        _("Phase"),
        _("Activity"),
        *[spreadsheet_safe(participant.name) for participant in grid.participants],
    ]
    rows = [
        [
            spreadsheet_safe(activity.phase),
            spreadsheet_safe(activity.name),
            *[letters for _p, letters in cells],
        ]
        for activity, cells, _i in grid.rows()
    ]
    return header, rows


def matrix_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    require(request.membership, "raci.view")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    matrix = selectors.matrix_get(membership=request.membership, pk=pk)
    header, rows = _table(matrix)
    name = slugify(matrix.title) or f"raci-{matrix.pk}"
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        response.write("\ufeff")  # a BOM, so Excel opens the Chinese text correctly
        writer = csv.writer(response)
        writer.writerow(header)
        writer.writerows(rows)
        return response
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "RACI"
    sheet.append([spreadsheet_safe(matrix.title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def matrix_print(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.membership, "raci.view")
    matrix = selectors.matrix_get(membership=request.membership, pk=pk)
    grid = selectors.grid_for(matrix=matrix)
    return render_page(
        request, "raci/matrix_print.html", {"matrix": matrix, "grid": grid, "rows": grid.rows()}
    )


def my_responsibilities(request: HttpRequest) -> HttpResponse:
    require(request.membership, "raci.view")
    groups = selectors.responsibilities_of(membership=request.membership)
    return render_page(request, "raci/my_responsibilities.html", {"groups": groups})


def raci_settings(request: HttpRequest) -> HttpResponse:
    require(request.membership, "raci.settings")
    policy = selectors.raci_policy(org=request.org)
    form = RaciPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        services.policy_update(actor=request.user, org=request.org, **form.cleaned_data)
        messages.success(request, _("RACI settings saved."))
        return redirect("raci:raci_settings", org_slug=request.org.slug)
    return render_page(
        request, "raci/raci_settings.html", {"form": form}, status=400 if form.errors else 200
    )
