"""Anonymous feedback: surveys and their rounds, responses that cannot be traced to anyone,
receipts of who has answered, the suggestion box, and follow-up actions.

The anonymity rules are structural, not a matter of care:
- `Response`, `Answer` and `Suggestion` have random primary keys and no column that can hold a
  user, an IP address, a user agent, a session key or a time finer than the day (a response is
  dated only by its round; a suggestion by its month). No history is kept on them.
- Who has answered lives apart, in `Receipt` (round × person) and `SuggestionReceipt`
  (person × day, for the daily cap), with random keys so their order says nothing either.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from salesops.models import Organization, Team
from salesops.models.tenancy import OrgScopedQuerySet


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", pgettext_lazy("survey status", "Active")
    ARCHIVED = "archived", _("Archived")


class Recurrence(models.TextChoices):
    NONE = "none", _("One round")
    MONTHLY = "monthly", _("A new round every month")


class Survey(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="surveys")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    template_key = models.CharField(max_length=40, blank=True)
    audience_all = models.BooleanField(
        _("whole organisation"),
        default=True,
        help_text=_("Otherwise, only the members of the chosen teams (and their sub-teams)."),
    )
    audience_teams = models.ManyToManyField(
        Team, verbose_name=_("teams"), blank=True, related_name="surveys"
    )
    recurrence = models.CharField(
        _("recurrence"), max_length=10, choices=Recurrence.choices, default=Recurrence.NONE
    )
    days_open = models.PositiveSmallIntegerField(
        _("days each round stays open"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    first_round_on = models.DateField(
        _("first round opens on"),
        null=True,
        blank=True,
        help_text=_("Schedule the first round; it closes after the days it stays open."),
    )
    score_threshold = models.PositiveSmallIntegerField(
        _("anonymity threshold for results"),
        validators=[MinValueValidator(3), MaxValueValidator(10)],
        help_text=_("Locked once the first answer arrives."),
    )
    comment_threshold = models.PositiveSmallIntegerField(
        _("anonymity threshold for comments"),
        validators=[MinValueValidator(3), MaxValueValidator(10)],
        help_text=_("Never below the results threshold. Locked once the first answer arrives."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[audience_teams])
    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(comment_threshold__gte=models.F("score_threshold")),
                name="survey_comment_threshold_not_below_results",
            ),
            models.CheckConstraint(
                condition=Q(score_threshold__gte=3, score_threshold__lte=10),
                name="survey_threshold_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    SCALE = "scale", _("Scale 1–5")
    ENPS = "enps", _("eNPS 0–10")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Free text")


SCORED_KINDS = (QuestionKind.SCALE, QuestionKind.ENPS)


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=300)
    dimension = models.CharField(
        _("dimension"),
        max_length=80,
        blank=True,
        help_text=_("Groups scores in the heatmap, e.g. communication or trust."),
    )
    options = models.JSONField(
        _("options"), default=list, blank=True, help_text=_("For choice questions.")
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def is_scored(self) -> bool:
        return self.kind in SCORED_KINDS


class Round(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveIntegerField()
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    audience_size = models.PositiveIntegerField(default=0)
    announced_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint("survey", "number", name="one_round_number_per_survey"),
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="round_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} #{self.number}"


def _random_key() -> uuid.UUID:
    return uuid.uuid4()


class Response(models.Model):
    """One person's answers to one round — with nothing that leads back to the person."""

    id = models.UUIDField(primary_key=True, default=_random_key, editable=False)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="responses")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [models.Index(fields=["round", "team"])]

    def __str__(self) -> str:
        return str(self.pk)


class Answer(models.Model):
    id = models.UUIDField(primary_key=True, default=_random_key, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    # A score (scale, eNPS) or an option index (single choice); a multiple-choice answer is one
    # row per option chosen, so every distribution is a GROUP BY.
    number = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["question", "number"])]

    def __str__(self) -> str:
        return str(self.pk)


class Receipt(models.Model):
    """That this person has answered this round — never what, never when."""

    id = models.UUIDField(primary_key=True, default=_random_key, editable=False)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint("round", "user", name="one_answer_per_person_and_round"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}: {self.user_id}"


class Suggestion(models.Model):
    """A note in the suggestion box: no author, dated only by its month."""

    id = models.UUIDField(primary_key=True, default=_random_key, editable=False)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the month it was written in.")
    body = models.TextField(_("suggestion"))

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        indexes = [models.Index(fields=["org", "month"])]

    def __str__(self) -> str:
        return str(self.pk)


class SuggestionReceipt(models.Model):
    """How many notes a person put in the box on a day: for the daily cap, and to know how many
    different people wrote in a month. Never linked to the notes."""

    id = models.UUIDField(primary_key=True, default=_random_key, editable=False)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint("org", "user", "day", name="one_suggestion_receipt_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.day}"


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", pgettext_lazy("follow-up status", "Done")


class FollowUpAction(models.Model):
    """ "You said, we did": what leadership does about a result or a suggestion."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(
        Survey, null=True, blank=True, on_delete=models.CASCADE, related_name="actions"
    )
    question = models.ForeignKey(
        Question,
        verbose_name=_("about the question"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    suggestion = models.ForeignKey(
        Suggestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("what we will do"), max_length=200)
    description = models.TextField(_("details"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up action")
        verbose_name_plural = _("follow-up actions")
        ordering = ["status", "due_date", "pk"]

    def __str__(self) -> str:
        return self.title
