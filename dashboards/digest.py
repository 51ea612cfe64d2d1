"""The Monday leadership digest: one email per organisation and week, from 08:00 org time.

Leadership means the organisation's active leaders; an organisation without leaders sends it
to its admins (sales ops) instead, so the summary always reaches someone who acts on it.

The job runs hourly. A `LeadershipDigest` row per organisation and week is the claim: it is
inserted before anything is sent, inside the same transaction as the notifications, so a rerun,
a retry or a second worker finds it and sends nothing more.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from actionplans.models import Milestone, MilestoneStatus, PlanStatus
from goals.models import Goal, GoalLevel, GoalStatus, Kpi
from goals.periods import week_start
from goals.progress import GoalHealth
from goals.services.checkins import org_today
from salesops.models import Organization, Role, User
from salesops.services.notifications import notify

from .models import (
    Alert,
    AlertSeverity,
    AlertState,
    GoalSnapshot,
    KpiRollup,
    LeadershipDigest,
    RollupLevel,
    RollupPeriod,
)
from .selectors import rollup_value

DIGEST_HOUR = 8  # Monday, 08:00 in the organisation's time zone
MOST_BEHIND = 5
LISTED_ALERTS = 10
SEVERITY_ORDER = (AlertSeverity.CRITICAL, AlertSeverity.WARNING, AlertSeverity.INFO)
OPEN_STATES = (AlertState.OPEN, AlertState.ACKNOWLEDGED)


@dataclass(frozen=True)
class BehindGoal:
    title: str
    status: str
    progress: float | None
    expected: float


@dataclass(frozen=True)
class KpiChange:
    name: str
    last_week: float | None
    week_before: float | None

    @property
    def change(self) -> float | None:
        if self.last_week is None or self.week_before is None:
            return None
        return self.last_week - self.week_before

    @property
    def change_percent(self) -> float | None:
        if self.change is None or not self.week_before:
            return None
        return self.change / abs(self.week_before) * 100


@dataclass
class DigestFacts:
    """What the digest says about one organisation's last week, in numbers and names only, so
    that each recipient's copy can be worded in their own language."""

    week: date  # the Monday the digest is sent
    open_alerts: dict[str, int] = field(default_factory=dict)  # severity → open or acknowledged
    new_alert_count: int = 0
    new_alerts: list[tuple[str, str, str]] = field(default_factory=list)  # severity, rule, subject
    goal_status_counts: dict[str, int] = field(default_factory=dict)
    most_behind: list[BehindGoal] = field(default_factory=list)
    overdue_milestones: int = 0
    kpi_changes: list[KpiChange] = field(default_factory=list)

    @property
    def last_week(self) -> date:
        return self.week - timedelta(days=7)

    @property
    def at_risk(self) -> int:
        return self.goal_status_counts.get(GoalHealth.AT_RISK, 0)

    @property
    def off_track(self) -> int:
        return self.goal_status_counts.get(GoalHealth.OFF_TRACK, 0)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def digest_recipients(org: Organization) -> list[User]:
    """Active leaders; the admins when the organisation has no leader."""
    people = User.objects.filter(
        is_active=True, memberships__org=org, memberships__is_active=True
    ).order_by("pk")
    leaders = list(people.filter(memberships__role=Role.LEADER).distinct())
    if leaders:
        return leaders
    return list(people.filter(memberships__role=Role.ADMIN).distinct())


def digest_facts(*, org: Organization, week: date, today: date) -> DigestFacts:
    """The figures of last week (Monday `week` − 7 to the Sunday before `week`), in a fixed
    number of queries however many alerts, goals or milestones the organisation has."""
    facts = DigestFacts(week=week)
    zone = ZoneInfo(org.time_zone)
    alerts = Alert.objects.for_org(org)
    facts.open_alerts = dict(
        alerts.filter(state__in=OPEN_STATES)
        .values("severity")
        .annotate(n=Count("id"))
        .values_list("severity", "n")
    )
    opened_last_week = alerts.filter(
        opened_at__gte=_local_midnight(facts.last_week, zone),
        opened_at__lt=_local_midnight(week, zone),
    )
    facts.new_alert_count = opened_last_week.count()
    facts.new_alerts = [
        (severity, rule_name, subject)
        for severity, rule_name, subject in opened_last_week.order_by(
            "-opened_at", "-pk"
        ).values_list("severity", "rule__name", "subject_label")[:LISTED_ALERTS]
    ]

    # Each active goal's latest snapshot: counted by status in SQL, the furthest behind listed.
    latest_day = (
        GoalSnapshot.objects.filter(goal=OuterRef("goal")).order_by("-day").values("day")[:1]
    )
    snapshots = GoalSnapshot.objects.for_org(org).filter(
        goal__status=GoalStatus.ACTIVE, day=Subquery(latest_day)
    )
    facts.goal_status_counts = dict(
        snapshots.values("status").annotate(n=Count("id")).values_list("status", "n")
    )
    behind = (
        snapshots.filter(
            status__in=(GoalHealth.AT_RISK, GoalHealth.OFF_TRACK), progress__isnull=False
        )
        .annotate(gap=F("expected") - F("progress"))
        .order_by("-gap", "goal_id")
        .values_list("goal__title", "status", "progress", "expected")[:MOST_BEHIND]
    )
    facts.most_behind = [
        BehindGoal(title=title, status=status, progress=progress, expected=expected)
        for title, status, progress, expected in behind
    ]

    facts.overdue_milestones = (
        Milestone.objects.filter(
            plan__org=org,
            plan__status=PlanStatus.ACTIVE,
            is_dormant=False,
            due_week__lt=week_start(today),
        )
        .exclude(status=MilestoneStatus.DONE)
        .count()
    )

    kpis = list(
        Kpi.objects.filter(
            pk__in=Goal.objects.for_org(org)
            .filter(level=GoalLevel.COMPANY, status=GoalStatus.ACTIVE)
            .values("kpi_id")
        ).order_by("name", "pk")
    )
    before = facts.last_week - timedelta(days=7)
    rows = {
        (row.kpi_id, row.period_start): row
        for row in KpiRollup.objects.for_org(org).filter(
            kpi__in=kpis,
            level=RollupLevel.ORG,
            period_kind=RollupPeriod.WEEK,
            period_start__in=(facts.last_week, before),
        )
    }

    def value(kpi: Kpi, start: date) -> float | None:
        row = rows.get((kpi.pk, start))
        return None if row is None else rollup_value(kpi=kpi, row=row)

    facts.kpi_changes = [
        KpiChange(
            name=kpi.name, last_week=value(kpi, facts.last_week), week_before=value(kpi, before)
        )
        for kpi in kpis
    ]
    return facts


def _number(value: float) -> str:
    return f"{round(value, 2):,.2f}".rstrip("0").rstrip(".")


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)}%"


def _kpi_line(change: KpiChange) -> str:
    if change.last_week is None:
        return _("%(kpi)s: no figures last week") % {"kpi": change.name}
    if change.change is None:
        return _("%(kpi)s: %(value)s (no figures the week before)") % {
            "kpi": change.name,
            "value": _number(change.last_week),
        }
    delta = _number(change.change)
    if change.change > 0:
        delta = f"+{delta}"
    if change.change_percent is not None:
        delta = f"{delta}, {change.change_percent:+.1f}%"
    return _("%(kpi)s: %(value)s (the week before %(before)s; %(change)s)") % {
        "kpi": change.name,
        "value": _number(change.last_week),
        "before": _number(change.week_before or 0),
        "change": delta,
    }


def digest_body(facts: DigestFacts) -> str:
    """The digest's text in the active language (called once per recipient)."""
    lines = [
        _("Last week, %(start)s to %(end)s:")
        % {
            "start": facts.last_week.isoformat(),
            "end": (facts.week - timedelta(days=1)).isoformat(),
        },
        "",
        _("Deviation alerts"),
    ]
    open_parts = [
        f"{AlertSeverity(severity).label}: {facts.open_alerts[severity]}"
        for severity in SEVERITY_ORDER
        if facts.open_alerts.get(severity)
    ]
    lines.append(
        _("Open: %(counts)s") % {"counts": ", ".join(open_parts)}
        if open_parts
        else _("No open alerts.")
    )
    lines.append(
        ngettext(
            "%(count)d alert opened last week.",
            "%(count)d alerts opened last week.",
            facts.new_alert_count,
        )
        % {"count": facts.new_alert_count}
    )
    for severity, rule_name, subject in facts.new_alerts:
        lines.append(f"- [{AlertSeverity(severity).label}] {rule_name} — {subject}")
    if facts.new_alert_count > len(facts.new_alerts):
        lines.append(
            _("… and %(count)d more.") % {"count": facts.new_alert_count - len(facts.new_alerts)}
        )

    lines += ["", _("Goals")]
    lines.append(
        _("%(at_risk)d at risk, %(off_track)d off track.")
        % {"at_risk": facts.at_risk, "off_track": facts.off_track}
    )
    if facts.most_behind:
        lines.append(_("Furthest behind:"))
        statuses: dict[str, str] = {
            GoalHealth.AT_RISK: _("at risk"),
            GoalHealth.OFF_TRACK: _("off track"),
        }
        for goal in facts.most_behind:
            lines.append(
                "- "
                + _("%(goal)s: %(progress)s done, %(expected)s expected (%(status)s)")
                % {
                    "goal": goal.title,
                    "progress": _percent(goal.progress),
                    "expected": _percent(goal.expected),
                    "status": statuses.get(goal.status, goal.status),
                }
            )

    lines += ["", _("Milestones")]
    lines.append(
        ngettext(
            "%(count)d milestone is overdue.",
            "%(count)d milestones are overdue.",
            facts.overdue_milestones,
        )
        % {"count": facts.overdue_milestones}
    )

    lines += ["", _("Company KPIs, last week against the week before")]
    if facts.kpi_changes:
        lines += [f"- {_kpi_line(change)}" for change in facts.kpi_changes]
    else:
        lines.append(_("No active company goals."))
    lines += ["", _("The leadership dashboard has the details:")]
    return "\n".join(lines)


def _already_sent(org: Organization, monday: date) -> bool:
    """A cheap look before the claim, so most hourly runs skip without a failing insert."""
    return LeadershipDigest.objects.filter(org=org, week_start=monday).exists()


def leadership_digest_send(*, now: datetime | None = None) -> int:
    """Send this week's digest to every organisation where it is Monday from 08:00 and the
    digest has not gone out yet; return how many digests (organisations) were sent."""
    now = now or timezone.now()
    sent = 0
    for org in Organization.objects.order_by("pk"):
        local = org_today(org, now)
        if local.weekday() != 0 or local.hour < DIGEST_HOUR:
            continue
        monday = local.date()
        if _already_sent(org, monday):
            continue
        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = LeadershipDigest.objects.create(org=org, week_start=monday)
            except IntegrityError:
                continue  # another worker has this week's digest
            facts = digest_facts(org=org, week=monday, today=monday)
            notifications = notify(
                org=org,
                recipients=digest_recipients(org),
                kind="leadership_digest",
                title=format_lazy(
                    gettext_lazy("Leadership digest for the week of {week}"),
                    week=monday.isoformat(),
                ),
                # Worded when each recipient's copy is written, in that person's language.
                body=lazy(digest_body, str)(facts),
                url=reverse("dashboards:leadership", kwargs={"org_slug": org.slug}),
                email=True,
            )
            claim.recipients = len(notifications)
            claim.save(update_fields=["recipients"])
        sent += 1
    return sent
