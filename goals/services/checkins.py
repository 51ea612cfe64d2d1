"""Weekly check-ins by a goal's owner, managers' comments, and the Monday reminder."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from salesops.models import Organization, User
from salesops.services.notifications import notify

from ..models import CheckIn, CheckInComment, CheckInReminder, Goal, GoalStatus
from ..periods import week_start

REMINDER_HOUR = 9  # Monday, 09:00 in the organisation's time zone


def org_today(org: Organization, now: datetime | None = None) -> "datetime":
    return (now or timezone.now()).astimezone(ZoneInfo(org.time_zone))


def goal_url(goal: Goal) -> str:
    return reverse("goals:goal_detail", kwargs={"org_slug": goal.org.slug, "pk": goal.pk})


@transaction.atomic
def checkin_save(
    *, actor: User, goal: Goal, confidence: int, note: str, now: datetime | None = None
) -> CheckIn:
    """This week's check-in: the first saves it, a second in the same week updates it."""
    if goal.status != GoalStatus.ACTIVE:
        raise ValidationError(_("Check-ins are for active goals."))
    if not 0 <= confidence <= 10:
        raise ValidationError({"confidence": _("Confidence is a number from 0 to 10.")})
    week = week_start(org_today(goal.org, now).date())
    checkin, _created = CheckIn.objects.select_for_update().get_or_create(
        goal=goal,
        week_start=week,
        defaults={"author": actor, "confidence": confidence, "note": note.strip()},
    )
    if not _created:
        checkin.author, checkin.confidence, checkin.note = actor, confidence, note.strip()
        checkin.full_clean()
        checkin.save()
    return checkin


@transaction.atomic
def checkin_comment(*, actor: User, checkin: CheckIn, body: str) -> CheckInComment:
    if not body.strip():
        raise ValidationError({"body": _("Write a comment first.")})
    comment = CheckInComment(checkin=checkin, author=actor, body=body.strip())
    comment.full_clean()
    comment.save()
    goal = checkin.goal
    if goal.owner_id != actor.pk:
        notify(
            org=goal.org,
            recipients=[goal.owner],
            kind="checkin.comment",
            title=format_lazy(
                _("{person} commented on your check-in for “{goal}”"),
                person=actor.display_name,
                goal=goal.title,
            ),
            body=comment.body,
            url=goal_url(goal),
        )
    return comment


def checkin_reminders_send(*, now: datetime | None = None) -> int:
    """Remind owners of active goals without a check-in this week: Monday from 09:00, org time.

    Runs hourly; the reminder row is unique per goal and week, so reruns and a second
    worker send nothing twice.
    """
    now = now or timezone.now()
    sent = 0
    for org in Organization.objects.filter(goals__status=GoalStatus.ACTIVE).distinct():
        local = org_today(org, now)
        if local.weekday() != 0 or local.hour < REMINDER_HOUR:
            continue
        monday = local.date()
        due = (
            Goal.objects.for_org(org)
            .filter(status=GoalStatus.ACTIVE, owner__is_active=True)
            .exclude(checkins__week_start=monday)
            .exclude(pk__in=CheckInReminder.objects.filter(week_start=monday).values("goal_id"))
            .select_related("owner", "org")
        )
        for goal in due:
            try:
                with transaction.atomic():
                    CheckInReminder.objects.create(goal=goal, week_start=monday)
                    notify(
                        org=org,
                        recipients=[goal.owner],
                        kind="checkin.reminder",
                        title=format_lazy(_("Weekly check-in due: “{goal}”"), goal=goal.title),
                        body=_(
                            "How confident are you this week? Give a number from 0 to 10 and a short note."
                        ),
                        url=goal_url(goal),
                    )
            except IntegrityError:
                continue  # another worker sent it
            sent += 1
    return sent
