"""The dashboards: the leadership (organisation) board, a team's board, my board, and a KPI's
breakdown by team and owner. Filters arrive by GET (htmx swaps the board; without JavaScript
the same form reloads the page)."""

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from goals.selectors import kpi_get
from goals.services.checkins import org_today
from salesops.models import Team
from salesops.permissions import can, require
from salesops.views.helpers import render_page

from .. import boards
from ..board_forms import DashboardFilterForm


def _today(request: HttpRequest) -> date:
    return org_today(request.org).date()


def _other_teams(teams: list[Team]) -> list[Team]:
    """A team switcher is worth showing only when there is another team to switch to."""
    return teams if len(teams) > 1 else []


def _render(
    request: HttpRequest,
    *,
    board: boards.Board,
    form: DashboardFilterForm,
    filters: boards.BoardFilters,
    heading: str,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    context = {
        "board": board,
        "form": form,
        "heading": heading,
        "may_breakdown": can(request.membership, "kpi.breakdown"),
        "period_query": urlencode(filters.query()),
        **(extra or {}),
    }
    return render_page(request, "dashboards/dashboard.html", context, partial="board")


def leadership(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    require(membership, "dashboard.org")
    teams = boards.visible_teams(membership=membership)
    form = DashboardFilterForm(request.GET or None, teams=teams)
    filters = form.filters()
    board = boards.leadership_board(membership=membership, filters=filters, today=_today(request))
    return _render(
        request, board=board, form=form, filters=filters, heading=_("Leadership dashboard")
    )


def team_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    membership = request.membership
    team = boards.board_team_get(org=request.org, pk=pk)
    require(membership, "dashboard.team", team)
    form = DashboardFilterForm(request.GET or None)
    filters = form.filters()
    board = boards.team_board(
        membership=membership, team=team, filters=filters, today=_today(request)
    )
    return _render(
        request,
        board=board,
        form=form,
        filters=filters,
        heading=_("Team dashboard: %(team)s") % {"team": team.name},
        extra={"team_links": _other_teams(boards.visible_teams(membership=membership))},
    )


def my_dashboard(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    require(membership, "dashboard.own")
    form = DashboardFilterForm(request.GET or None)
    filters = form.filters()
    board = boards.my_board(membership=membership, filters=filters, today=_today(request))
    extra: dict[str, Any] = {}
    if can(membership, "kpi.breakdown"):
        # Leaders and managers: their teams' boards are one click away.
        extra["team_links"] = boards.visible_teams(membership=membership)
    return _render(
        request, board=board, form=form, filters=filters, heading=_("My dashboard"), extra=extra
    )


def kpi_insight(request: HttpRequest, pk: int) -> HttpResponse:
    membership = request.membership
    require(membership, "kpi.breakdown")
    kpi = kpi_get(org=request.org, pk=pk)
    form = DashboardFilterForm(request.GET or None)
    filters = form.filters()
    breakdown = boards.kpi_breakdown(
        membership=membership, kpi=kpi, filters=filters, today=_today(request)
    )
    context = {
        "kpi": kpi,
        "breakdown": breakdown,
        "form": form,
        "period_query": urlencode(filters.query()),
        "may_see_org": can(membership, "dashboard.org"),
    }
    return render_page(request, "dashboards/kpi_insight.html", context, partial="insight")
