"""Team stand-ups: settings, posting an entry, the day's page, and the digest to the team channel.

Functions are keyword-only; writes are transactional and raise ValidationError, changing
nothing, when the input is wrong.

Which day a stand-up is
    Daily stand-ups happen Monday to Friday: today's stand-up is today's date, and on Saturday
    and Sunday there is none (nobody can post).
    A weekly stand-up is the configured weekday's date in the current week (Monday to Sunday).
    Whatever day someone posts in that week, the entry belongs to that week's stand-up: before
    the day to prepare it, after it to catch up.
    A team without settings stands up daily and sends no digest.

The digest
    On the stand-up's day, at the first run of the job (every five minutes) after the digest
    time in the organisation's time zone, the team's channels get one message: who posted what,
    who has not, and how many blockers are open. It is sent only when there is something to say
    (at least one entry or an open blocker); a quiet stand-up is looked at again at the next runs
    of that day, so it goes out once somebody posts. It is never sent on a later day.
    Sending claims the stand-up with a conditional UPDATE of `Standup.digest_sent_at` in the
    same transaction that writes the webhook deliveries: a rerun, or a second worker, finds the
    claim taken and sends nothing; a failure rolls the claim back.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from goals.selectors import team_ids_of
from goals.services.checkins import org_today
from salesops.models import Membership, Role, Team, TeamMembership, User
from salesops.services.notifications import team_broadcast

from .models import (
    Blocker,
    Milestone,
    Standup,
    StandupCadence,
    StandupEntry,
    StandupSettings,
)
from .selectors import team_open_blockers
from .services import blocker_raise

DEFAULT_DIGEST_TIME = time(10, 0)
LAST_WORKDAY = 4  # Friday: daily stand-ups are Monday to Friday
HISTORY_LENGTH = 7
DIGEST_TEXT_LIMIT = 300  # characters of each answer quoted in the channel message
DIGEST_EVENT = "standup.digest"


def team_standup_url(team: Team) -> str:
    return reverse("actionplans:team_standup", kwargs={"org_slug": team.org.slug, "pk": team.pk})


# --- settings and the day -----------------------------------------------------------------


def standup_settings_get(*, team: Team) -> StandupSettings | None:
    """The team's settings (from the cache when the team was loaded with them), or None."""
    try:
        return team.standup_settings
    except StandupSettings.DoesNotExist:
        return None


def standup_day_for(*, team: Team, settings: StandupSettings | None, today: date) -> date | None:
    """The date of the stand-up that `today` (the organisation's date) belongs to.

    Daily: today on Monday to Friday, None at the weekend. Weekly: the configured weekday's
    date in today's week (Monday to Sunday), whether that day is past, today or to come.
    """
    if settings is not None and settings.cadence == StandupCadence.WEEKLY:
        monday = today - timedelta(days=today.weekday())
        return monday + timedelta(days=settings.weekday)
    return today if today.weekday() <= LAST_WORKDAY else None


@transaction.atomic
def standup_settings_save(
    *,
    actor: User,
    team: Team,
    cadence: str,
    weekday: int,
    digest_time: time,
    digest_enabled: bool,
) -> StandupSettings:
    """Create or change a team's stand-up settings."""
    if team.archived_at is not None:
        raise ValidationError(_("This team is archived; its stand-ups are closed."))
    if cadence not in StandupCadence.values:
        raise ValidationError({"cadence": _("Choose daily or weekly.")})
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise ValidationError({"weekday": _("Choose a day of the week.")})
    if not isinstance(digest_time, time):
        raise ValidationError({"digest_time": _("Give the time of the digest, such as 10:00.")})
    settings = StandupSettings.objects.select_for_update().filter(team=team).first()
    if settings is None:
        settings = StandupSettings(team=team)
    settings.cadence = cadence
    settings.weekday = weekday
    settings.digest_time = digest_time.replace(second=0, microsecond=0, tzinfo=None)
    settings.digest_enabled = bool(digest_enabled)
    settings.full_clean()
    settings.save()
    return settings


# --- posting ------------------------------------------------------------------------------


def _is_member(team: Team, user: User) -> bool:
    return TeamMembership.objects.filter(
        team=team,
        membership__user=user,
        membership__org_id=team.org_id,
        membership__is_active=True,
    ).exists()


def _own_milestones(
    *, actor: User, team: Team, milestones: Iterable[Milestone | int]
) -> list[Milestone]:
    """The author's own live milestones of the team's organisation, in the order given.

    Ids are looked up again within that scope: anything else is refused, not dropped.
    """
    wanted: list[int] = []
    for item in milestones:
        raw = item.pk if isinstance(item, Milestone) else item
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            raise ValidationError({"milestones": _("Choose milestones from the list.")}) from None
        if pk not in wanted:
            wanted.append(pk)
    if not wanted:
        return []
    found = {
        milestone.pk: milestone
        for milestone in Milestone.objects.filter(
            pk__in=wanted, plan__org_id=team.org_id, owner=actor, is_dormant=False
        ).select_related("plan__org", "plan__owner", "raci_activity")
    }
    if len(found) != len(wanted):
        raise ValidationError(
            {"milestones": _("Link only your own live milestones of this organisation.")}
        )
    return [found[pk] for pk in wanted]


@transaction.atomic
def standup_post(
    *,
    actor: User,
    team: Team,
    yesterday: str,
    today: str,
    blockers: str,
    milestones: Iterable[Milestone | int] = (),
    now: datetime | None = None,
) -> StandupEntry:
    """Post (or, a second time, edit) the author's entry in the team's current stand-up.

    At least one of the three answers is needed. A blockers text that is new or changed raises
    a blocker, routed by `blocker_raise` (the first linked milestone's Accountable person or plan
    owner, else the team lead); an unchanged text raises nothing again. An edited text raises a
    new blocker and leaves the earlier one open for the person it went to; an emptied text
    unlinks it from the entry.
    """
    org = team.org
    if team.archived_at is not None:
        raise ValidationError(_("This team is archived; its stand-ups are closed."))
    if not _is_member(team, actor):
        raise ValidationError(_("Only members of the team post to its stand-up."))
    day = standup_day_for(
        team=team, settings=standup_settings_get(team=team), today=org_today(org, now).date()
    )
    if day is None:
        raise ValidationError(
            _("There is no stand-up today: daily stand-ups are from Monday to Friday.")
        )
    yesterday, today, blockers = (
        (yesterday or "").strip(),
        (today or "").strip(),
        (blockers or "").strip(),
    )
    if not (yesterday or today or blockers):
        raise ValidationError(
            _("Write what you did, what you will do, or what blocks you: at least one of them.")
        )
    linked = _own_milestones(actor=actor, team=team, milestones=milestones)

    # Django's get_or_create retries the read after an IntegrityError: two first posters
    # of the day share one stand-up. Locking it then serialises posts to it, so a
    # double-clicked first post edits the entry the first click created.
    standup_id = Standup.objects.get_or_create(team=team, day=day)[0].pk
    standup = Standup.objects.select_for_update().get(pk=standup_id)
    entry = (
        StandupEntry.objects.select_for_update().filter(standup=standup, author=actor).first()
    ) or StandupEntry(standup=standup, author=actor)
    blocker_changed = bool(blockers) and blockers != entry.blockers
    entry.yesterday, entry.today, entry.blockers = yesterday, today, blockers
    if not blockers:
        entry.blocker = None
    elif blocker_changed:
        try:
            entry.blocker = blocker_raise(
                actor=actor,
                description=blockers,
                milestone=linked[0] if linked else None,
                team=team,
                org=org,
            )
        except ValidationError as error:
            raise ValidationError({"blockers": error.messages}) from error
    entry.full_clean()
    entry.save()
    entry.milestones.set(linked)
    return entry


# --- reads --------------------------------------------------------------------------------


def _entries() -> QuerySet[StandupEntry]:
    return (
        StandupEntry.objects.select_related("author", "blocker")
        .prefetch_related(
            Prefetch(
                "milestones",
                queryset=Milestone.objects.select_related("plan").order_by("due_week", "pk"),
            )
        )
        .order_by("created_at", "pk")
    )


def _with_entries(standups: QuerySet[Standup]) -> QuerySet[Standup]:
    return standups.prefetch_related(Prefetch("entries", queryset=_entries(), to_attr="entry_list"))


def team_people(*, team: Team) -> QuerySet[TeamMembership]:
    """The team's active people, lead first."""
    return (
        TeamMembership.objects.filter(
            team=team, membership__is_active=True, membership__user__is_active=True
        )
        .select_related("membership__user")
        .order_by("-is_lead", "membership__user__display_name", "pk")
    )


@dataclass
class StandupReport:
    """A team's current stand-up: entries, who has posted and who has not, open blockers."""

    team: Team
    settings: StandupSettings | None
    day: date | None
    standup: Standup | None
    entries: list[StandupEntry]
    posted: list[TeamMembership]
    missing: list[TeamMembership]
    blockers: list[Blocker]

    @property
    def member_count(self) -> int:
        return len(self.posted) + len(self.missing)

    @property
    def has_news(self) -> bool:
        return bool(self.entries or self.blockers)

    def entry_of(self, user: User) -> StandupEntry | None:
        return next((entry for entry in self.entries if entry.author_id == user.pk), None)


def standup_today(*, team: Team, today: date) -> StandupReport:
    """Everything the stand-up page and the digest show, in six queries at most (five when
    the team came with its settings), however many people post."""
    settings = standup_settings_get(team=team)
    day = standup_day_for(team=team, settings=settings, today=today)
    standup = None
    if day is not None:
        standup = _with_entries(Standup.objects.filter(team=team, day=day)).first()
    entries: list[StandupEntry] = list(getattr(standup, "entry_list", []))
    authors = {entry.author_id for entry in entries}
    people = list(team_people(team=team))
    return StandupReport(
        team=team,
        settings=settings,
        day=day,
        standup=standup,
        entries=entries,
        posted=[link for link in people if link.membership.user_id in authors],
        missing=[link for link in people if link.membership.user_id not in authors],
        blockers=list(team_open_blockers(team=team)),
    )


def standup_recent(*, team: Team, before: date, limit: int = HISTORY_LENGTH) -> list[Standup]:
    """The team's last stand-ups before `before` that someone posted to, newest first."""
    standups = (
        Standup.objects.filter(team=team, day__lt=before)
        .annotate(entry_count=Count("entries"))
        .filter(entry_count__gt=0)
        .order_by("-day")
    )
    return list(_with_entries(standups)[:limit])


def standup_teams_for(*, membership: Membership) -> QuerySet[Team]:
    """Teams on the stand-ups page: admins and leaders see every active team, others their own."""
    teams = Team.objects.for_org(membership.org).active()
    if membership.role not in (Role.ADMIN, Role.LEADER):
        teams = teams.filter(pk__in=team_ids_of(membership))
    return (
        teams.select_related("standup_settings")
        .annotate(
            member_count=Count(
                "team_memberships",
                filter=Q(
                    team_memberships__membership__is_active=True,
                    team_memberships__membership__user__is_active=True,
                ),
                distinct=True,
            )
        )
        .order_by("name", "pk")
    )


@dataclass
class TeamStandupStatus:
    team: Team
    day: date | None
    cadence: str
    member_count: int
    entry_count: int
    is_member: bool
    posted: bool


def standup_statuses(
    *, teams: Sequence[Team], membership: Membership, today: date
) -> list[TeamStandupStatus]:
    """Today's posting status of each team (from `standup_teams_for`), in one more query."""
    days = {
        team.pk: standup_day_for(team=team, settings=standup_settings_get(team=team), today=today)
        for team in teams
    }
    counts: dict[tuple[int, date], tuple[int, int]] = {}
    wanted = {day for day in days.values() if day is not None}
    if wanted:
        rows = (
            Standup.objects.filter(team_id__in=list(days), day__in=wanted)
            .annotate(
                entry_count=Count("entries", distinct=True),
                mine=Count("entries", filter=Q(entries__author_id=membership.user_id)),
            )
            .values_list("team_id", "day", "entry_count", "mine")
        )
        counts = {(team_id, day): (n, mine) for team_id, day, n, mine in rows}
    mine_ids = team_ids_of(membership)
    statuses = []
    for team in teams:
        day = days[team.pk]
        entry_count, mine = counts.get((team.pk, day), (0, 0)) if day else (0, 0)
        settings = standup_settings_get(team=team)
        statuses.append(
            TeamStandupStatus(
                team=team,
                day=day,
                cadence=settings.cadence if settings else StandupCadence.DAILY,
                member_count=getattr(team, "member_count", 0),
                entry_count=entry_count,
                is_member=team.pk in mine_ids,
                posted=bool(mine),
            )
        )
    return statuses


# --- the digest ---------------------------------------------------------------------------


def _quote(text: str) -> str:
    return Truncator(" ".join(text.split())).chars(DIGEST_TEXT_LIMIT)


def _digest_message(report: StandupReport) -> tuple[str, str]:
    """Title and body in the current language (the caller picks the organisation's)."""
    assert report.day is not None
    title = gettext("Stand-up of %(team)s, %(day)s") % {
        "team": report.team.name,
        "day": report.day.isoformat(),
    }
    lines = [
        gettext("%(posted)s of %(total)s members posted.")
        % {"posted": len(report.posted), "total": report.member_count}
    ]
    for entry in report.entries:
        lines.append("")
        lines.append(f"• {entry.author.display_name}")
        if entry.yesterday:
            lines.append(gettext("Yesterday: %(text)s") % {"text": _quote(entry.yesterday)})
        if entry.today:
            lines.append(gettext("Today: %(text)s") % {"text": _quote(entry.today)})
        if entry.blockers:
            lines.append(gettext("Blockers: %(text)s") % {"text": _quote(entry.blockers)})
        titles = [milestone.title for milestone in entry.milestones.all()]
        if titles:
            lines.append(gettext("Milestones: %(titles)s") % {"titles": ", ".join(titles)})
    lines.append("")
    if report.missing:
        names = ", ".join(link.membership.user.display_name for link in report.missing)
        lines.append(gettext("Not posted yet: %(names)s") % {"names": names})
    else:
        lines.append(gettext("Everyone has posted."))
    lines.append(gettext("Open blockers: %(count)s") % {"count": len(report.blockers)})
    return title, "\n".join(lines)


def _digest_send(report: StandupReport, now: datetime) -> bool:
    """Claim the stand-up and post its digest; False when it was already claimed."""
    team, day = report.team, report.day
    assert day is not None
    standup = report.standup or Standup.objects.get_or_create(team=team, day=day)[0]
    with transaction.atomic():
        claimed = Standup.objects.filter(pk=standup.pk, digest_sent_at__isnull=True).update(
            digest_sent_at=now
        )
        if not claimed:
            return False  # sent by an earlier run or another worker
        with translation.override(team.org.language):
            title, body = _digest_message(report)
        team_broadcast(
            org=team.org,
            team=team,
            event=DIGEST_EVENT,
            title=title,
            body=body,
            url=team_standup_url(team),
        )
    return True


def standup_digests_send(*, now: datetime | None = None) -> int:
    """The periodic job: post each due stand-up's digest once. Returns how many were sent."""
    now = now or timezone.now()
    due: list[tuple[Team, date]] = []
    for settings in StandupSettings.objects.filter(
        digest_enabled=True, team__archived_at__isnull=True
    ).select_related("team__org"):
        team = settings.team
        local = org_today(team.org, now)
        day = standup_day_for(team=team, settings=settings, today=local.date())
        if day != local.date() or local.time() < settings.digest_time:
            continue
        due.append((team, day))
    if not due:
        return 0
    already = set(
        Standup.objects.filter(
            team_id__in=[team.pk for team, _day in due],
            day__in={day for _team, day in due},
            digest_sent_at__isnull=False,
        ).values_list("team_id", "day")
    )
    sent = 0
    for team, day in due:
        if (team.pk, day) in already:
            continue
        report = standup_today(team=team, today=day)
        if not report.has_news:
            continue  # nothing to say yet; the next run looks again
        if _digest_send(report, now):
            sent += 1
    return sent
