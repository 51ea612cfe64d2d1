from typing import Self

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

TIME_ZONE_VALIDATOR_MESSAGE = _("Enter a time zone such as Asia/Shanghai.")


class OrgScopedQuerySet(models.QuerySet):
    def for_org(self, org: "Organization") -> Self:
        return self.filter(org=org)


class Role(models.TextChoices):
    ADMIN = "admin", _("Sales ops (admin)")
    LEADER = "leader", _("Leader")
    MANAGER = "manager", _("Manager")
    REP = "rep", _("Sales rep")
    MEMBER = "member", _("Member")


class TeamKind(models.TextChoices):
    SALES = "sales", _("Sales")
    MARKETING = "marketing", _("Marketing")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    PRODUCT = "product", _("Product")
    PRODUCTION = "production", _("Production")
    OPERATIONS = "operations", _("Operations")
    LEADERSHIP = "leadership", _("Leadership")
    OTHER = "other", _("Other")


class Organization(models.Model):
    slug = models.SlugField(
        _("address"),
        max_length=50,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9-]*$", _("Use lower-case letters, digits and hyphens.")
            )
        ],
    )
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    language = models.CharField(
        _("default language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="zh-hans",
        help_text=_(
            "Used for team channel messages and for people who have not chosen a language."
        ),
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="CNY",
        validators=[
            RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO currency code such as CNY."))
        ],
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    anonymity_threshold = models.PositiveSmallIntegerField(
        _("anonymity threshold for results"),
        default=5,
        validators=[MinValueValidator(3), MaxValueValidator(10)],
        help_text=_(
            "Survey results for a group are shown only with at least this many respondents (3–10)."
        ),
    )
    comment_threshold = models.PositiveSmallIntegerField(
        _("anonymity threshold for comments"),
        default=5,
        validators=[MinValueValidator(3), MaxValueValidator(10)],
        help_text=_(
            "Free-text answers are shown only with at least this many respondents; "
            "never below the results threshold."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(comment_threshold__gte=models.F("anonymity_threshold")),
                name="org_comment_threshold_not_below_results",
            ),
            models.CheckConstraint(
                condition=Q(anonymity_threshold__gte=3) & Q(anonymity_threshold__lte=10),
                name="org_anonymity_threshold_range",
            ),
            models.CheckConstraint(
                condition=Q(fiscal_year_start_month__gte=1) & Q(fiscal_year_start_month__lte=12),
                name="org_fiscal_month_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from zoneinfo import available_timezones

        from django.core.exceptions import ValidationError

        errors = {}
        if self.time_zone not in available_timezones():
            errors["time_zone"] = TIME_ZONE_VALIDATOR_MESSAGE
        if (
            self.comment_threshold is not None
            and self.anonymity_threshold is not None
            and self.comment_threshold < self.anonymity_threshold
        ):
            errors["comment_threshold"] = _(
                "The comments threshold cannot be below the results threshold."
            )
        if errors:
            raise ValidationError(errors)


class TeamQuerySet(OrgScopedQuerySet):
    def active(self) -> Self:
        return self.filter(archived_at__isnull=True)


class Team(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=20, choices=TeamKind.choices, default=TeamKind.SALES
    )
    description = models.TextField(_("description"), blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "org",
                "name",
                condition=Q(archived_at__isnull=True),
                name="team_name_unique_among_active",
                violation_error_message=_("An active team with this name already exists."),
            ),
        ]
        indexes = [models.Index(fields=["org", "parent"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class MembershipQuerySet(OrgScopedQuerySet):
    def active(self) -> Self:
        return self.filter(is_active=True, user__is_active=True)


class Membership(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user__display_name"]
        constraints = [models.UniqueConstraint("org", "user", name="membership_unique_per_org")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.org} ({self.role})"


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="team_memberships")
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="team_memberships"
    )
    is_lead = models.BooleanField(_("team lead"), default=False)
    added_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [models.UniqueConstraint("team", "membership", name="team_membership_unique")]

    def __str__(self) -> str:
        return f"{self.membership.user} in {self.team}"


class Invitation(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    teams = models.ManyToManyField(Team, blank=True, verbose_name=_("teams"))
    # Only a hash of the token is stored; the link in the email carries the token itself.
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "org",
                "email",
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
                violation_error_message=_("This address already has an open invitation."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.org}"
