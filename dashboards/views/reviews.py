"""Review meetings: the teams one may review, a team's weekly or monthly pack, and the meeting's
notes, decisions and follow-up actions.

The pack is read live; the meeting record is created by its first write (the notes form posts to
the pack itself), after which decisions and actions are added to the meeting by its id.
"""

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from goals.periods import week_start
from goals.services.checkins import org_today
from salesops.models import Team
from salesops.permissions import can, require
from salesops.views.helpers import apply_errors, flash_form_errors, paginate, render_page, safe_next

from .. import reviews as service
from ..models import ReviewItemKind, ReviewMeeting, ReviewPeriod
from ..review_forms import ReviewItemForm, ReviewNotesForm

# Dates outside these years are typing mistakes; they would also overflow the period arithmetic.
FIRST_YEAR, LAST_YEAR = 2000, 2999
PACK_TEMPLATE = "dashboards/review_pack.html"


def _today(request: HttpRequest) -> date:
    return org_today(request.org).date()


def _period_from(query: QueryDict, today: date) -> tuple[str, date, bool]:
    """`period` and `start` from a query; falls back to the current week (or month) and says so."""
    kind = query.get("period", "").strip() or ReviewPeriod.WEEK
    readable = True
    if kind not in ReviewPeriod.values:
        kind, readable = ReviewPeriod.WEEK, False
    start: date | None = None
    raw = query.get("start", "").strip()
    if raw:
        try:
            start = date.fromisoformat(raw)
        except ValueError:
            readable = False
        else:
            if not FIRST_YEAR <= start.year <= LAST_YEAR:
                start, readable = None, False
    first, _last = service.review_period(kind=kind, start=start, today=today)
    return kind, first, readable


def _to_pack(team: Team, kind: str, start: date, anchor: str = "") -> HttpResponseRedirect:
    url = service.review_pack_url(team=team, kind=kind, start=start)
    return redirect(f"{url}#{anchor}" if anchor else url)


# --- the list -----------------------------------------------------------------------------


def review_list(request: HttpRequest) -> HttpResponse:
    """Every role may open the list; it holds only the teams whose reviews they may see."""
    membership = request.membership
    today = _today(request)
    teams = [
        team
        for team in service.review_teams_for(membership=membership)
        if can(membership, "review.view", team)
    ]
    context = {
        "teams": teams,
        "this_week": week_start(today),
        "this_month": today.replace(day=1),
        "page": paginate(request, service.review_meetings_for(membership=membership)),
    }
    return render_page(request, "dashboards/review_list.html", context, partial="meeting-table")


# --- the pack -----------------------------------------------------------------------------


def _items_context(
    request: HttpRequest,
    team: Team,
    meeting: ReviewMeeting | None,
    item_form: ReviewItemForm | None,
) -> dict[str, Any]:
    may_record = can(request.membership, "review.record", team)
    if may_record and meeting is not None and item_form is None:
        item_form = ReviewItemForm(
            org=request.org, team=team, initial={"kind": ReviewItemKind.ACTION}
        )
    return {
        "team": team,
        "meeting": meeting,
        "items": service.meeting_items(meeting),
        "may_record": may_record,
        "item_form": item_form if may_record else None,
        "item_kinds": ReviewItemKind,
    }


def review_pack(request: HttpRequest, pk: int) -> HttpResponse:
    team = service.review_team_get(org=request.org, pk=pk)
    require(request.membership, "review.view", team)
    today = _today(request)
    if request.method == "POST":
        return _save_notes(request, team, today)
    kind, start, readable = _period_from(request.GET, today)
    if not readable:
        messages.warning(request, _("That period could not be read; here is the current one."))
    pack = service.review_pack_for(
        membership=request.membership, team=team, kind=kind, start=start, today=today
    )
    context = {
        "pack": pack,
        "period_kinds": ReviewPeriod,
        "notes_form": ReviewNotesForm(
            initial={"notes": pack.meeting.notes if pack.meeting else ""}
        ),
        **_items_context(request, team, pack.meeting, None),
    }
    return render_page(request, PACK_TEMPLATE, context)


def _save_notes(request: HttpRequest, team: Team, today: date) -> HttpResponse:
    """The notes form: its first save starts the meeting record of the period."""
    require(request.membership, "review.record", team)
    kind, start, readable = _period_from(request.POST, today)
    if not readable:
        messages.error(request, _("That period could not be read; nothing was saved."))
        return _to_pack(team, kind, start)
    form = ReviewNotesForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return _to_pack(team, kind, start, "decisions")
    try:
        service.review_meeting_save(
            actor=request.user,
            org=request.org,
            team=team,
            kind=kind,
            start=start,
            notes=form.cleaned_data["notes"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Meeting notes saved."))
    return _to_pack(team, kind, start, "decisions")


@require_POST
def review_item_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = service.review_meeting_get(org=request.org, pk=pk)
    team = meeting.team
    require(request.membership, "review.record", team)
    form = ReviewItemForm(request.POST, org=request.org, team=team)
    saved = False
    if form.is_valid():
        try:
            service.review_item_add(
                actor=request.user, org=request.org, meeting=meeting, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            saved = True
    if request.htmx:
        context = _items_context(request, team, meeting, None if saved else form)
        return render_page(
            request, PACK_TEMPLATE, context, partial="review-items", status=200 if saved else 422
        )
    if saved:
        messages.success(request, _("Recorded."))
    else:
        flash_form_errors(request, form)
    return _to_pack(team, meeting.period_kind, meeting.period_start, "decisions")


@require_POST
def review_item_done(request: HttpRequest, pk: int) -> HttpResponse:
    item = service.review_item_get(org=request.org, pk=pk)
    meeting = item.meeting
    require(request.membership, "review.record", meeting.team)
    try:
        item = service.review_item_done(actor=request.user, org=request.org, item=item)
    except ValidationError as error:
        if request.htmx:
            return HttpResponse(" ".join(error.messages), status=400, content_type="text/plain")
        messages.error(request, " ".join(error.messages))
    else:
        if request.htmx:
            context = _items_context(request, meeting.team, meeting, None)
            return render_page(request, PACK_TEMPLATE, context, partial="review-items")
        messages.success(
            request, _("Marked done.") if item.done_at is not None else _("Opened again.")
        )
    default = service.review_pack_url(
        team=meeting.team, kind=meeting.period_kind, start=meeting.period_start
    )
    return redirect(safe_next(request, default + "#decisions"))
