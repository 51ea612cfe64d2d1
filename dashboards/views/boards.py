"""Being written: every view here is replaced before this lands."""

from django.http import Http404


def _placeholder(request, **kwargs):
    raise Http404


leadership = my_dashboard = team_dashboard = kpi_insight = _placeholder
