from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from salesops.models import Membership, Organization, Team
from salesops.models.tenancy import OrgScopedQuerySet


class MatrixStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class RaciMatrix(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="raci_matrices")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    goal = models.ForeignKey(
        "goals.Goal",
        verbose_name=_("goal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        max_length=10, choices=MatrixStatus.choices, default=MatrixStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who held which letter when it was last published: {"<activity>:<participant>": "A/R"}.
    published_cells = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "published_cells"])
    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("RACI matrix")
        verbose_name_plural = _("RACI matrices")
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == MatrixStatus.PUBLISHED


class ActivityState(models.TextChoices):
    OPEN = "open", pgettext_lazy("activity state", "Open")
    DONE = "done", _("Done")
    BLOCKED = "blocked", _("Blocked")


class RaciActivity(models.Model):
    matrix = models.ForeignKey(RaciMatrix, on_delete=models.CASCADE, related_name="activities")
    name = models.CharField(_("activity"), max_length=200)
    phase = models.CharField(_("phase"), max_length=120, blank=True)
    position = models.PositiveIntegerField(default=0)
    state = models.CharField(
        _("state"), max_length=10, choices=ActivityState.choices, default=ActivityState.OPEN
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class ParticipantKind(models.TextChoices):
    PERSON = "person", _("Person")
    TEAM = "team", _("Team")


class RaciParticipant(models.Model):
    matrix = models.ForeignKey(RaciMatrix, on_delete=models.CASCADE, related_name="participants")
    kind = models.CharField(max_length=10, choices=ParticipantKind.choices)
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="person") & Q(membership__isnull=False) & Q(team__isnull=True))
                | (Q(kind="team") & Q(team__isnull=False) & Q(membership__isnull=True)),
                name="raci_participant_person_or_team",
            ),
            models.UniqueConstraint(
                "matrix",
                "membership",
                condition=Q(membership__isnull=False),
                name="raci_person_once_per_matrix",
            ),
            models.UniqueConstraint(
                "matrix", "team", condition=Q(team__isnull=False), name="raci_team_once_per_matrix"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if self.kind == ParticipantKind.PERSON and self.membership is not None:
            return self.membership.user.display_name
        return self.team.name if self.team is not None else "?"

    @property
    def user_id(self) -> int | None:
        return self.membership.user_id if self.membership is not None else None


class RaciAssignment(models.Model):
    """The letters one participant holds on one activity: R, A, C, I, or A and R together."""

    activity = models.ForeignKey(RaciActivity, on_delete=models.CASCADE, related_name="assignments")
    participant = models.ForeignKey(
        RaciParticipant, on_delete=models.CASCADE, related_name="assignments"
    )
    letters = models.CharField(max_length=3)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint("activity", "participant", name="raci_one_cell_per_pair"),
            models.CheckConstraint(
                condition=Q(letters__in=["R", "A", "C", "I", "A/R"]), name="raci_letters_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}×{self.participant_id}: {self.letters}"


class ActivityComment(models.Model):
    activity = models.ForeignKey(RaciActivity, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:40]


class RaciPolicy(models.Model):
    """Per-organisation limits for RACI warnings, and who arbitrates disputes."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="raci_policy")
    accountable_limit = models.PositiveSmallIntegerField(
        _("most activities one person may be Accountable for"),
        default=8,
        help_text=_("Across all published matrices; more gives an overload warning."),
    )
    consulted_limit = models.PositiveSmallIntegerField(
        _("Consulted on one activity before decisions slow down"), default=5
    )
    arbitrator = models.ForeignKey(
        Membership,
        verbose_name=_("dispute arbitrator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A neutral person who decides disputes. Empty: the first sales ops admin."),
    )
    dispute_working_days = models.PositiveSmallIntegerField(
        _("working days to decide a dispute"),
        default=3,
        help_text=_("Past it, leadership is alerted once."),
    )

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"RACI policy of {self.org_id}"


class DisputeStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("dispute status", "Open")
    DECIDED = "decided", _("Decided")


class Dispute(models.Model):
    """A disagreement between two teams, decided by a neutral arbitrator within a service level."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="disputes")
    subject = models.CharField(_("subject"), max_length=200)
    party_a = models.ForeignKey(
        Team, verbose_name=_("one party"), on_delete=models.PROTECT, related_name="+"
    )
    party_b = models.ForeignKey(
        Team, verbose_name=_("the other party"), on_delete=models.PROTECT, related_name="+"
    )
    activity = models.ForeignKey(
        RaciActivity,
        verbose_name=_("RACI activity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="disputes",
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    arbitrator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("arbitrator"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    due_at = models.DateTimeField(_("decision due"))
    escalated_at = models.DateTimeField(null=True, blank=True)
    decision = models.TextField(_("decision and reasoning"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["org", "status", "due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(party_a=models.F("party_b")), name="dispute_two_parties"
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class DisputeStatement(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="statements")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("statement"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:40]
