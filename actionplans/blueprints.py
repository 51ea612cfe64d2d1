"""Plans to start from, taken from real rollouts.

Weeks are counted from the plan's first week (week 1 is the week the plan starts).
A blueprint also suggests resources and a risk with its Plan B, whose milestones stay
dormant until the Plan B is activated.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class StepBlueprint:
    title: Promise
    deliverable: Promise
    first_week: int
    last_week: int
    depends_on: tuple[int, ...] = ()  # indexes of earlier steps


@dataclass(frozen=True)
class ResourceBlueprint:
    kind: str
    description: Promise
    planned: Decimal


@dataclass(frozen=True)
class RiskBlueprint:
    description: Promise
    likelihood: int
    impact: int
    contingency: Promise
    plan_b: tuple[StepBlueprint, ...] = ()


@dataclass(frozen=True)
class PlanBlueprint:
    key: str
    title: Promise
    description: Promise
    steps: tuple[StepBlueprint, ...]
    resources: tuple[ResourceBlueprint, ...] = ()
    risks: tuple[RiskBlueprint, ...] = field(default=())

    @property
    def weeks(self) -> int:
        return max(step.last_week for step in self.steps)


BLUEPRINTS: tuple[PlanBlueprint, ...] = (
    PlanBlueprint(
        key="premium_mix",
        # xgettext:no-python-format
        title=_("Premium products to 30% of sales"),
        description=_(
            "Train the team on the premium range, pilot it with selected customers, then roll it out to everyone."
        ),
        steps=(
            StepBlueprint(
                _("Product training on the premium range"),
                _("Every rep has passed the premium product quiz."),
                1,
                1,
            ),
            StepBlueprint(
                _("Pilot with selected customers"),
                _("Premium offers made to the pilot accounts, with their feedback recorded."),
                2,
                4,
                (0,),
            ),
            StepBlueprint(
                _("Full rollout"),
                _("Premium offers in every proposal; the pricing sheet updated."),
                5,
                5,
                (1,),
            ),
        ),
        resources=(
            ResourceBlueprint("training", _("Premium product training sessions"), Decimal(8000)),
            ResourceBlueprint("budget", _("Pilot incentives for customers"), Decimal(20000)),
        ),
        risks=(
            RiskBlueprint(
                _("Pilot customers do not take up the premium range."),
                3,
                4,
                _("Offer a premium bundle at an introductory price to the pilot accounts."),
                (
                    StepBlueprint(
                        _("Prepare an introductory premium bundle"),
                        _("Bundle price approved by finance."),
                        1,
                        1,
                    ),
                    StepBlueprint(
                        _("Offer the bundle to pilot accounts"),
                        _("Every pilot account has received the bundle offer."),
                        2,
                        3,
                        (0,),
                    ),
                ),
            ),
        ),
    ),
    PlanBlueprint(
        key="renewal",
        title=_("Raise subscription renewal"),
        description=_(
            "Understand why customers leave, write to each of them in person before renewal, and test follow-up calls."
        ),
        steps=(
            StepBlueprint(
                _("Analyse churn"),
                _("The top reasons for churn, by segment, from the last twelve months."),
                1,
                4,
            ),
            StepBlueprint(
                _("Personalised renewal emails"),
                _("Every customer due for renewal receives an email written for their situation."),
                5,
                8,
                (0,),
            ),
            StepBlueprint(
                _("A/B test follow-up calls"),
                _("Half the non-responders called, half not; renewal rates compared."),
                9,
                13,
                (1,),
            ),
        ),
        resources=(
            ResourceBlueprint("tools", _("Email automation licence"), Decimal(6000)),
            ResourceBlueprint("people", _("Analyst time for the churn study"), Decimal(15000)),
        ),
        risks=(
            RiskBlueprint(
                _("Renewal rate keeps falling while the study runs."),
                3,
                5,
                _("Call the largest accounts due for renewal this quarter in person."),
                (
                    StepBlueprint(
                        _("Call the twenty largest renewals"),
                        _("Each call logged with the customer's intention to renew."),
                        1,
                        2,
                    ),
                ),
            ),
        ),
    ),
    PlanBlueprint(
        key="omnichannel",
        title=_("Omnichannel selling"),
        description=_(
            "Two weeks of training with role play, then one shared follow-up process for customers across channels."
        ),
        steps=(
            StepBlueprint(
                _("Omnichannel training with role play"),
                _("Every rep has role-played a customer moving from online to store to phone."),
                1,
                2,
            ),
            StepBlueprint(
                _("Agree the shared customer follow-up process"),
                _("One written follow-up process, with owners per channel."),
                3,
                3,
                (0,),
            ),
            StepBlueprint(
                _("Run the shared follow-up process"),
                _("Every new lead followed up under the shared process."),
                4,
                8,
                (1,),
            ),
        ),
        resources=(
            ResourceBlueprint("training", _("Role-play workshops"), Decimal(10000)),
            ResourceBlueprint("tools", _("Shared customer follow-up board"), Decimal(3000)),
        ),
        risks=(
            RiskBlueprint(
                _("Channels keep their own customer lists and follow-ups are duplicated."),
                4,
                3,
                _("Name one owner per customer and hold a weekly cross-channel review."),
            ),
        ),
    ),
)


def blueprint_get(key: str) -> PlanBlueprint | None:
    return next((blueprint for blueprint in BLUEPRINTS if blueprint.key == key), None)
