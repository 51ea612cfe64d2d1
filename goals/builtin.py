"""The KPIs every organisation starts with. Names are translated; custom KPIs keep their own name."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class BuiltinKpi:
    key: str
    name: Promise
    unit: str
    direction: str
    aggregation: str
    description: Promise
    numerator: str = ""
    denominator: str = ""


BUILTIN_KPIS: tuple[BuiltinKpi, ...] = (
    BuiltinKpi(
        "new_leads", _("New leads"), "count", "higher", "sum", _("Leads created in the period.")
    ),
    BuiltinKpi(
        "qualified_leads",
        _("Qualified leads (MQL)"),
        "count",
        "higher",
        "sum",
        _("Leads that meet the agreed marketing-qualified standard."),
    ),
    BuiltinKpi("deals_won", _("Deals won"), "count", "higher", "sum", _("Deals closed as won.")),
    BuiltinKpi(
        "revenue",
        _("Revenue"),
        "currency",
        "higher",
        "sum",
        _("Revenue booked, in the organisation's currency."),
    ),
    BuiltinKpi(
        "conversion_rate",
        _("Conversion rate"),
        "percent",
        "higher",
        "ratio",
        _("Deals won ÷ new leads, over the whole period."),
        numerator="deals_won",
        denominator="new_leads",
    ),
    BuiltinKpi(
        "average_transaction_value",
        _("Average transaction value"),
        "currency",
        "higher",
        "ratio",
        _("Revenue ÷ deals won, over the whole period."),
        numerator="revenue",
        denominator="deals_won",
    ),
    BuiltinKpi(
        "customer_acquisition_cost",
        _("Customer acquisition cost (CAC)"),
        "currency",
        "lower",
        "average",
        _("Sales and marketing cost per new customer."),
    ),
    BuiltinKpi(
        "sales_cycle_days",
        _("Sales cycle length"),
        "days",
        "lower",
        "average",
        _("Days from first contact to won deal."),
    ),
    BuiltinKpi(
        "renewal_rate",
        _("Renewal rate"),
        "percent",
        "higher",
        "average",
        _("Share of subscriptions renewed."),
    ),
    BuiltinKpi(
        "premium_share",
        _("Premium-product share of revenue"),
        "percent",
        "higher",
        "average",
        _("Share of revenue from premium products."),
    ),
    BuiltinKpi(
        "on_time_delivery_rate",
        _("On-time delivery rate"),
        "percent",
        "higher",
        "average",
        _("Orders delivered on the promised date; a cross-department KPI owned by production."),
    ),
    BuiltinKpi(
        "lead_response_hours",
        _("Lead response time"),
        "hours",
        "lower",
        "average",
        _("Hours from a lead's arrival to the first contact."),
    ),
    BuiltinKpi(
        "cross_dept_completion_rate",
        _("Cross-department task completion rate"),
        "percent",
        "higher",
        "average",
        _("Share of cross-department tasks completed on time."),
    ),
)

_BY_KEY = {kpi.key: kpi for kpi in BUILTIN_KPIS}


def builtin_name(key: str) -> str:
    kpi = _BY_KEY.get(key)
    return str(kpi.name) if kpi else ""


def builtin_description(key: str) -> str:
    kpi = _BY_KEY.get(key)
    return str(kpi.description) if kpi else ""
