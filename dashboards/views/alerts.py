"""Deviation alerts: the alerts a person may see, one alert with the data behind it (and
acknowledging or resolving it), and the rules that raise them (admins and leaders)."""

from decimal import Decimal
from numbers import Number
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from actionplans.models import MilestoneStatus
from salesops.models import Role
from salesops.permissions import can, require
from salesops.selectors import get_or_404, history_for
from salesops.views.helpers import apply_errors, paginate, render_page

from .. import alerts as engine
from ..alert_templates import RULE_TEMPLATES
from ..forms import AlertFilterForm, AlertResolveForm, AlertRuleForm
from ..models import Alert, AlertChannel, AlertRule, AlertState, AlertSubject
from ..rollups import bucket_end
from ..selectors import alerts_for, rules_for

CHART_POINTS = 60  # the engine sends a few recent periods; more would not be readable anyway
TABLE_ROWS = 200

SEVERITY_BADGES = {
    "critical": "text-bg-danger",
    "warning": "text-bg-warning",
    "info": "text-bg-info",
}
STATE_BADGES = {
    AlertState.OPEN: "text-bg-primary",
    AlertState.ACKNOWLEDGED: "text-bg-secondary",
    AlertState.RESOLVED: "text-bg-success",
}


def _decorated(alerts: list[Alert], org: Any) -> list[Alert]:
    """What the list and the page show of each alert beyond its columns (no queries)."""
    for alert in alerts:
        data = alert.data if isinstance(alert.data, dict) else {}
        alert.unit = unit_suffix(str(data.get("unit") or ""), org)  # type: ignore[attr-defined]
        alert.period_end = bucket_end(alert.period_start, alert.period_kind)  # type: ignore[attr-defined]
        alert.severity_badge = SEVERITY_BADGES.get(alert.severity, "text-bg-light")  # type: ignore[attr-defined]
        alert.state_badge = STATE_BADGES.get(alert.state, "text-bg-light")  # type: ignore[attr-defined]
    return alerts


# --- the list -----------------------------------------------------------------------------


def alert_list(request: HttpRequest) -> HttpResponse:
    require(request.membership, "alert.view")
    form = AlertFilterForm(request.GET, org=request.org)
    filters = form.filters()
    alerts = alerts_for(membership=request.membership)
    state = filters["state"]
    if state == AlertFilterForm.ACTIVE:
        alerts = alerts.filter(state__in=[AlertState.OPEN, AlertState.ACKNOWLEDGED])
    elif state != AlertFilterForm.ALL:
        alerts = alerts.filter(state=state)
    if filters["severity"]:
        alerts = alerts.filter(severity=filters["severity"])
    if filters["team"] is not None:
        alerts = alerts.filter(team=filters["team"])
    if filters["rule"] is not None:
        alerts = alerts.filter(rule=filters["rule"])
    page = paginate(request, alerts.order_by("-opened_at", "-pk"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter_form": form,
        "page": page,
        "alerts": _decorated(list(page.object_list), request.org),
        "query": query.urlencode(),
        "filtered": any(value for name, value in filters.items() if name != "state")
        or state != AlertFilterForm.ACTIVE,
        "may_manage_rules": can(request.membership, "alert.rule.manage"),
    }
    return render_page(request, "dashboards/alert_list.html", context, partial="alert-table")


# --- one alert ------------------------------------------------------------------------------


def _visible_alert(request: HttpRequest, pk: int) -> Alert:
    """The alert if this person may see it; another organisation's or one not meant for them
    answers 404 like a missing one."""
    require(request.membership, "alert.view")
    alerts = alerts_for(membership=request.membership).select_related(
        "rule__kpi", "rule__question__survey", "acknowledged_by", "resolved_by"
    )
    return get_or_404(alerts, pk=pk)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Number):
        return float(value)  # type: ignore[arg-type]
    try:
        return float(str(value))
    except ValueError:
        return None


def unit_suffix(unit: str, org: Any) -> str:
    """What follows a number of this unit on the page ("%", "days", the currency code)."""
    suffixes = {
        "percent": "%",
        "days": _("days"),
        "hours": _("hours"),
        "points": _("points"),
        "currency": getattr(org, "currency", "") or "",
    }
    return str(suffixes.get(unit, ""))


def _column_labels() -> dict[str, str]:
    return {
        "title": _("Title"),
        "owner": _("Owner"),
        "team": _("Team"),
        "plan": _("Action plan"),
        "progress": _("Progress"),
        "expected": _("Expected progress"),
        "gap": _("Gap (points)"),
        "due_week": _("Due week"),
        "status": _("Status"),
        "value": _("Value"),
    }


def _cell(key: str, value: Any, row: dict[str, Any], org_slug: str) -> dict[str, str]:
    """One cell's text and, for what has a page of its own, its link."""
    url = ""
    if key == "title" and _id(row.get("goal_id")):
        url = reverse("goals:goal_detail", kwargs={"org_slug": org_slug, "pk": row["goal_id"]})
    elif key == "title" and _id(row.get("milestone_id")):
        url = reverse(
            "actionplans:milestone_detail",
            kwargs={"org_slug": org_slug, "pk": row["milestone_id"]},
        )
    elif key == "plan" and _id(row.get("plan_id")):
        url = reverse(
            "actionplans:plan_detail", kwargs={"org_slug": org_slug, "pk": row["plan_id"]}
        )
    if key == "status" and value in MilestoneStatus.values:
        text = str(MilestoneStatus(value).label)
    elif isinstance(value, float | int | Decimal) and not isinstance(value, bool):
        text = floatformat(value, "-2")
    else:
        text = "—" if value is None or value == "" else str(value)
    return {"text": text, "url": url}


def _id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def alert_display_data(alert: Alert, org: Any) -> dict[str, Any]:
    """`alert.data` as the page shows it, whatever the engine left out: the unit, the series
    (label, period start, value), the rows as labelled columns of cells, the explanation."""
    data = alert.data if isinstance(alert.data, dict) else {}
    series = []
    for point in data.get("series") or []:
        if not isinstance(point, dict):
            continue
        series.append(
            {
                "label": str(point.get("label") or point.get("period_start") or ""),
                "period_start": str(point.get("period_start") or ""),
                "value": _number(point.get("value")),
            }
        )
    rows = [row for row in (data.get("rows") or []) if isinstance(row, dict)]
    keys: list[str] = []
    for row in rows[:TABLE_ROWS]:
        keys.extend(str(key) for key in row if str(key) not in keys)
    keys = [key for key in keys if not key.endswith("_id")]
    labels = _column_labels()
    return {
        "unit": unit_suffix(str(data.get("unit") or ""), org),
        "series": series[-CHART_POINTS:],
        "header": [labels.get(key, key.replace("_", " ").capitalize()) for key in keys],
        "rows": [
            [_cell(key, row.get(key), row, org.slug) for key in keys] for row in rows[:TABLE_ROWS]
        ],
        "more_rows": max(0, len(rows) - TABLE_ROWS),
        "explanation": str(data.get("explanation") or ""),
    }


def _chart(alert: Alert, shown: dict[str, Any]) -> dict[str, Any] | None:
    series = shown["series"]
    if not any(point["value"] is not None for point in series):
        return None
    unit = shown["unit"]
    return {
        "kind": "line" if len(series) > 2 else "bar",
        "labels": [point["label"] for point in series],
        "values": [point["value"] for point in series],
        "threshold": float(alert.threshold),
        "names": {
            "value": f"{alert.subject_label} ({unit})" if unit else alert.subject_label,
            "threshold": _("Threshold"),
        },
    }


def _links(request: HttpRequest, alert: Alert) -> dict[str, Any]:
    """Where to look next: the KPI's insight page, the goal, the team's dashboard."""
    rule = alert.rule
    return {
        "kpi": rule.kpi if rule.subject == AlertSubject.KPI and rule.kpi_id else None,
        "goal": alert.goal,
        "team": alert.team
        if alert.team is not None and can(request.membership, "dashboard.team", alert.team)
        else None,
    }


def _detail_context(
    request: HttpRequest, alert: Alert, resolve_form: AlertResolveForm | None = None
) -> dict[str, Any]:
    _decorated([alert], request.org)
    shown = alert_display_data(alert, request.org)
    handles = can(request.membership, "alert.handle", alert)
    return {
        "alert": alert,
        "rule": alert.rule,
        "shown": shown,
        "chart": _chart(alert, shown),
        "links": _links(request, alert),
        "may_handle": handles and alert.state != AlertState.RESOLVED,
        "may_acknowledge": handles and alert.state == AlertState.OPEN,
        "resolve_form": resolve_form or AlertResolveForm(),
        "may_manage_rules": can(request.membership, "alert.rule.manage"),
        # State changes are not sensitive: whoever sees the alert sees who handled it.
        "history": history_for(alert, limit=30),
    }


def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _visible_alert(request, pk)
    return render_page(request, "dashboards/alert_detail.html", _detail_context(request, alert))


def _answer(
    request: HttpRequest,
    pk: int,
    *,
    error: ValidationError | None = None,
    resolve_form: AlertResolveForm | None = None,
) -> HttpResponse:
    """After acknowledging or resolving. htmx gets the state panel (422 with the message on bad
    input); without JavaScript a redirect with the message, except for a resolution whose note
    did not pass: that page comes back (422) with the note as typed and its error."""
    if error is not None:
        about_note = hasattr(error, "error_dict") and "resolution_note" in error.error_dict
        if resolve_form is not None and about_note:
            apply_errors(
                resolve_form, ValidationError({"note": error.error_dict["resolution_note"]})
            )
        else:  # about the alert's state: the form may be gone, the message says it
            messages.error(request, " ".join(error.messages))
    failed = error is not None or (resolve_form is not None and bool(resolve_form.errors))
    if not request.htmx and not (failed and resolve_form is not None):
        return redirect("dashboards:alert_detail", org_slug=request.org.slug, pk=pk)
    alert = _visible_alert(request, pk)
    context = _detail_context(request, alert, resolve_form if failed else None)
    return render_page(
        request,
        "dashboards/alert_detail.html",
        context,
        partial="state-panel",
        status=422 if failed else 200,
    )


@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _visible_alert(request, pk)
    require(request.membership, "alert.handle", alert)
    try:
        engine.alert_acknowledge(actor=request.user, org=request.org, alert=alert)
    except ValidationError as error:
        return _answer(request, pk, error=error)
    messages.success(request, _("Alert acknowledged: the others know someone is on it."))
    return _answer(request, pk)


@require_POST
def alert_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _visible_alert(request, pk)
    require(request.membership, "alert.handle", alert)
    form = AlertResolveForm(request.POST)
    if not form.is_valid():
        return _answer(request, pk, resolve_form=form)
    try:
        engine.alert_resolve(
            actor=request.user, org=request.org, alert=alert, note=form.cleaned_data["note"]
        )
    except ValidationError as error:
        return _answer(request, pk, error=error, resolve_form=form)
    messages.success(request, _("Alert resolved."))
    return _answer(request, pk)


# --- rules ----------------------------------------------------------------------------------


def _rule(request: HttpRequest, pk: int) -> AlertRule:
    require(request.membership, "alert.rule.manage")
    return get_or_404(rules_for(org=request.org), pk=pk)


def _labelled(rules: list[AlertRule]) -> list[AlertRule]:
    roles, channels = dict(Role.choices), dict(AlertChannel.choices)
    for rule in rules:
        rule.role_labels = [roles.get(r, r) for r in rule.recipient_roles or []]  # type: ignore[attr-defined]
        rule.channel_labels = [channels.get(c, c) for c in rule.channels or []]  # type: ignore[attr-defined]
        rule.severity_badge = SEVERITY_BADGES.get(rule.severity, "text-bg-light")  # type: ignore[attr-defined]
    return rules


def rule_list(request: HttpRequest) -> HttpResponse:
    require(request.membership, "alert.rule.manage")
    page = paginate(request, rules_for(org=request.org))
    context = {
        "page": page,
        "rules": _labelled(list(page.object_list)),
        "query": "",
        "templates": RULE_TEMPLATES,
    }
    return render_page(request, "dashboards/rule_list.html", context)


def _edit_url(request: HttpRequest, rule: AlertRule) -> HttpResponse:
    return redirect("dashboards:rule_edit", org_slug=request.org.slug, pk=rule.pk)


def _from_template(request: HttpRequest, key: str) -> HttpResponse:
    try:
        rule = engine.alert_rule_from_template(actor=request.user, org=request.org, key=key)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("dashboards:rule_list", org_slug=request.org.slug)
    messages.success(
        request,
        _("Rule “%(name)s” added from the template. Adjust it to your teams and save.")
        % {"name": rule.name},
    )
    return _edit_url(request, rule)


def rule_create(request: HttpRequest) -> HttpResponse:
    require(request.membership, "alert.rule.manage")
    if request.method == "POST" and "template" in request.POST:
        return _from_template(request, request.POST["template"])
    form = AlertRuleForm(request.POST or None, org=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            engine.alert_rule_create(
                actor=request.user, org=request.org, **form.service_arguments()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Alert rule created."))
            return redirect("dashboards:rule_list", org_slug=request.org.slug)
    return render_page(
        request,
        "dashboards/rule_form.html",
        {"form": form, "rule": None, "history": []},
        status=400 if form.errors else 200,
    )


def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _rule(request, pk)
    form = AlertRuleForm(request.POST or None, org=request.org, rule=rule)
    if request.method == "POST" and form.is_valid():
        try:
            engine.alert_rule_update(
                actor=request.user, org=request.org, rule=rule, **form.service_arguments()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Alert rule saved."))
            return redirect("dashboards:rule_list", org_slug=request.org.slug)
    rule = _rule(request, pk)  # as stored, whatever the failed save left in memory
    context = {"form": form, "rule": rule, "history": history_for(rule, limit=30)}
    return render_page(
        request, "dashboards/rule_form.html", context, status=400 if form.errors else 200
    )


@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _rule(request, pk)
    name = rule.name
    try:
        engine.alert_rule_delete(actor=request.user, org=request.org, rule=rule)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _edit_url(request, rule)
    messages.success(request, _("Alert rule “%(name)s” deleted, with its alerts.") % {"name": name})
    return redirect("dashboards:rule_list", org_slug=request.org.slug)
