"""Surveys to start from: the collaboration pulse and the pain-point diagnosis for planning."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class QuestionBlueprint:
    kind: str
    text: Promise
    dimension: Promise | str = ""
    options: tuple[Promise, ...] = ()


@dataclass(frozen=True)
class SurveyBlueprint:
    key: str
    title: Promise
    description: Promise
    questions: tuple[QuestionBlueprint, ...]
    monthly: bool = False


BLUEPRINTS: tuple[SurveyBlueprint, ...] = (
    SurveyBlueprint(
        key="collaboration_pulse",
        title=_("Collaboration pulse"),
        description=_(
            "A short monthly check on how well teams work together. Answers are anonymous."
        ),
        monthly=True,
        questions=(
            QuestionBlueprint(
                "scale",
                _("Communication with other teams is clear and timely."),
                _("Communication"),
            ),
            QuestionBlueprint(
                "scale",
                _("It is clear who owns what when work passes between teams."),
                _("Ownership"),
            ),
            QuestionBlueprint(
                "scale",
                _("Our goals are aligned with those of the departments we depend on."),
                _("Goal alignment"),
            ),
            QuestionBlueprint(
                "scale",
                _("Other departments share the information we need, when we need it."),
                _("Information sharing"),
            ),
            QuestionBlueprint(
                "scale",
                _("Leads from marketing are of good quality and arrive on time."),
                _("Lead quality"),
            ),
            QuestionBlueprint(
                "scale",
                _("I trust colleagues in other teams to keep their commitments."),
                _("Trust"),
            ),
            QuestionBlueprint("text", _("What is the biggest obstacle to hitting our target?")),
        ),
    ),
    SurveyBlueprint(
        key="pain_points",
        title=_("Pain-point diagnosis"),
        description=_(
            "Before planning: where deals stall and what slows the team down. Answers are anonymous."
        ),
        questions=(
            QuestionBlueprint(
                "single",
                _("Where do most of your deals stall?"),
                _("Sales stage"),
                (
                    _("Finding leads"),
                    _("Qualifying"),
                    _("Proposal"),
                    _("Negotiation"),
                    _("Closing"),
                    _("Renewal"),
                ),
            ),
            QuestionBlueprint(
                "multiple",
                _("What slows you down most? Choose all that apply."),
                _("Obstacles"),
                (
                    _("Unclear goals"),
                    _("Unclear ownership"),
                    _("Slow hand-offs between teams"),
                    _("Missing customer data"),
                    _("Too many meetings"),
                    _("Tools that get in the way"),
                ),
            ),
            QuestionBlueprint(
                "scale", _("Our sales goals are specific and measurable."), _("Goal clarity")
            ),
            QuestionBlueprint("scale", _("I know which KPI my work moves."), _("Goal clarity")),
            QuestionBlueprint(
                "enps",
                _("How likely are you to recommend working in this team to a friend?"),
                "eNPS",
            ),
            QuestionBlueprint("text", _("What one change would help you sell more?")),
        ),
    ),
)


def blueprint_get(key: str) -> SurveyBlueprint | None:
    return next((blueprint for blueprint in BLUEPRINTS if blueprint.key == key), None)
