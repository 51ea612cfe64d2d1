"""Matrices to start from, taken from common sales hand-offs.

Columns are team kinds; when a matrix is created from a blueprint, each column becomes the
organisation's first active team of that kind, and an Accountable letter goes to that
team's lead (a person) — where a team has no lead, the A stays on the team and the
validation says to pick a person.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class BlueprintRow:
    phase: Promise
    name: Promise
    letters: dict[str, str]  # team kind → "R" | "A" | "C" | "I" | "A/R"


@dataclass(frozen=True)
class Blueprint:
    key: str
    title: Promise
    description: Promise
    columns: tuple[str, ...]
    rows: tuple[BlueprintRow, ...]


BLUEPRINTS: tuple[Blueprint, ...] = (
    Blueprint(
        key="lead_handoff",
        title=_("Lead hand-off"),
        description=_(
            "Marketing generates leads to an agreed MQL standard, sales follows up, customer service onboards."
        ),
        columns=("marketing", "sales", "customer_service", "leadership"),
        rows=(
            BlueprintRow(
                _("Generate"),
                _("Agree the MQL standard"),
                {"marketing": "A/R", "sales": "C", "leadership": "I"},
            ),
            BlueprintRow(
                _("Generate"),
                _("Generate leads to the MQL standard"),
                {"marketing": "A/R", "sales": "I"},
            ),
            BlueprintRow(
                _("Hand off"),
                _("Pass qualified leads to sales within 24 hours"),
                {"marketing": "R", "sales": "A", "customer_service": "I"},
            ),
            BlueprintRow(
                _("Follow up"),
                _("First contact and qualification call"),
                {"sales": "A/R", "marketing": "I"},
            ),
            BlueprintRow(
                _("Onboard"),
                _("Onboard the new customer"),
                {"customer_service": "A/R", "sales": "C", "marketing": "I"},
            ),
        ),
    ),
    Blueprint(
        key="customer_follow_up",
        title=_("Customer follow-up"),
        description=_(
            "Sales is responsible, the sales supervisor accountable, marketing consulted, service informed."
        ),
        columns=("sales", "marketing", "customer_service"),
        rows=(
            BlueprintRow(
                _("Follow up"),
                _("Weekly follow-up of open opportunities"),
                {"sales": "A/R", "marketing": "C", "customer_service": "I"},
            ),
            BlueprintRow(
                _("Follow up"),
                _("Send tailored material to the customer"),
                {"sales": "A/R", "marketing": "C", "customer_service": "I"},
            ),
            BlueprintRow(
                _("Escalate"),
                _("Escalate an unhappy customer"),
                {"sales": "A/R", "customer_service": "C", "marketing": "I"},
            ),
        ),
    ),
    Blueprint(
        key="product_feedback",
        title=_("Product feedback loop"),
        description=_(
            "Sales collects customer feedback, product prioritises it, everyone hears what changed."
        ),
        columns=("sales", "product", "customer_service", "marketing"),
        rows=(
            BlueprintRow(
                _("Collect"),
                _("Collect feedback from customer calls"),
                {"sales": "R", "customer_service": "R", "product": "A"},
            ),
            BlueprintRow(
                _("Decide"),
                _("Prioritise feedback for the roadmap"),
                {"product": "A/R", "sales": "C"},
            ),
            BlueprintRow(
                _("Close the loop"),
                _("Tell customers and teams what changed"),
                {"product": "A", "marketing": "R", "sales": "I", "customer_service": "I"},
            ),
        ),
    ),
)

BY_KEY = {blueprint.key: blueprint for blueprint in BLUEPRINTS}
