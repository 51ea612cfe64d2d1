"""Deviation alerts: rules (writes), handling an alert (acknowledge, resolve) and the periodic
evaluation that opens, refreshes and closes alerts.

Evaluation, per rule and in its own transaction:

* the rule's subjects get a reading each (one query per rule and kind of data, whatever the
  number of goals, teams or milestones): the org or each chosen team for KPIs, milestones and
  pulse questions; every active goal (of the chosen teams) for goal gaps;
* a breached subject with no open or acknowledged alert gets a new one — the unique
  (rule, subject, period) row is the claim, so of two workers only the one that inserted it
  notifies; a subject with an alert still open only has the alert's latest figures refreshed;
* a subject back within the threshold has its open alerts closed automatically, each under a
  row lock so two workers close (and tell) it once; a subject without a value changes nothing.

`Alert.data`, which the alert page renders, is small JSON of this shape::

    {
        "unit": "count" | "currency" | "percent" | "days" | "hours" | "ratio"  # a KPI's unit
                | "points" (goal gap) | "score" (pulse scale 1–5) | "enps",
        "series": [  # oldest first; up to 8 periods for KPI subjects and goal gaps
            {"label": "2025-W05" | "2025-03" | "2025-01 – 2025-03" | "#3",
             "period_start": "YYYY-MM-DD", "value": float | null},
        ],
        "rows": [  # what lies behind the value, at most 20
            # goal_gap: {"goal_id", "title", "owner", "team", "progress", "expected", "gap"}
            # milestones: {"milestone_id", "plan_id", "title", "plan", "owner",
            #              "due_week": "YYYY-MM-DD", "status"}
        ],
        "explanation": "one sentence in the organisation's language",
        # milestone subjects also carry "done" and "due" (completion) or "overdue" (counts);
        # KPI subjects carry "kpi_id" and "level" ("org" or "team").
    }

Pulse readings take the question's score only where `feedback.selectors.results_for` shows
the group; a withheld group gives no value and nothing about it is stored.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from feedback.models import SCORED_KINDS, QuestionKind
from goals.models import Kpi
from goals.services.checkins import org_today
from salesops.models import Membership, Organization, Role, Team, User
from salesops.services.notifications import notify, team_broadcast

from . import alert_readings, deviation
from .alert_templates import TEMPLATES_BY_KEY
from .models import (
    Alert,
    AlertChannel,
    AlertComparator,
    AlertRule,
    AlertScope,
    AlertState,
    AlertSubject,
    RollupPeriod,
)

log = logging.getLogger(__name__)

RULE_FIELDS = (
    "name",
    "action",
    "subject",
    "kpi",
    "question",
    "period_kind",
    "comparator",
    "threshold",
    "scope",
    "severity",
    "recipient_roles",
    "channels",
    "is_active",
)
OPEN_STATES = (AlertState.OPEN, AlertState.ACKNOWLEDGED)
OPENED_KIND = "dashboards.alert"
RESOLVED_KIND = "dashboards.alert_resolved"
WEBHOOK_EVENT = "alert.opened"


# --- rules ----------------------------------------------------------------------------------


def _threshold_error(rule: AlertRule) -> Any:
    """A message when the threshold does not fit what the rule watches, else None."""
    threshold = rule.threshold
    subject = rule.subject
    if subject == AlertSubject.GOAL_GAP and not 0 <= threshold <= 100:
        return _("A goal's gap is measured in percentage points: choose 0 to 100.")
    if subject in deviation.PERCENT_SUBJECTS and not 0 <= threshold <= 100:
        return _("A completion rate is a percentage: choose 0 to 100.")
    if subject == AlertSubject.MILESTONES_OVERDUE and threshold < 0:
        return _("A number of overdue milestones cannot be negative.")
    if subject == AlertSubject.LEAD_RESPONSE and threshold < 0:
        return _("A response time cannot be negative.")
    if subject == AlertSubject.PULSE and rule.question is not None:
        if rule.question.kind == QuestionKind.SCALE and not 1 <= threshold <= 5:
            return _("Scores on this question run from 1 to 5.")
        if rule.question.kind == QuestionKind.ENPS and not -100 <= threshold <= 100:
            return _("eNPS runs from −100 to 100.")
    return None


def _clean_choices(values: Any, allowed: Iterable[str]) -> list[str] | None:
    """The values in their given order without repeats, or None when one is not allowed."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        return None
    allowed_set = set(allowed)
    cleaned: list[str] = []
    for value in values:
        if value not in allowed_set:
            return None
        if value not in cleaned:
            cleaned.append(str(value))
    return cleaned


def _check(
    *,
    org: Organization,
    rule: AlertRule,
    teams: list[Team],
    recipient_teams: list[Team],
    recipient_people: list[User],
) -> None:
    """Validate and normalise the rule in place; raise every problem at once, field by field."""
    errors: dict[str, Any] = {}
    rule.name = (rule.name or "").strip()
    rule.action = (rule.action or "").strip()
    if not rule.name:
        errors["name"] = _("Give the rule a name.")
    if rule.subject not in AlertSubject.values:
        errors["subject"] = _("Choose what the rule watches.")
    if rule.period_kind not in RollupPeriod.values:
        errors["period_kind"] = _("Choose a week, a month or a quarter.")
    if rule.comparator not in AlertComparator.values:
        errors["comparator"] = _("Choose whether the alert fires below or above the threshold.")

    if rule.subject == AlertSubject.KPI:
        if rule.kpi is None or rule.kpi.org_id != org.pk:
            errors["kpi"] = _("Choose a KPI of this organisation.")
    elif rule.subject in deviation.BUILTIN_KPI_OF_SUBJECT:
        key = deviation.BUILTIN_KPI_OF_SUBJECT[rule.subject]
        rule.kpi = Kpi.objects.for_org(org).filter(key=key).first()
        if rule.kpi is None:
            errors["subject"] = format_lazy(
                _("This organisation has no “{kpi}” KPI to watch; add the built-in KPIs first."),
                kpi=AlertSubject(rule.subject).label,
            )
    else:
        rule.kpi = None
    if rule.subject == AlertSubject.PULSE:
        question = rule.question
        if question is None or question.survey.org_id != org.pk:
            errors["question"] = _("Choose a question of one of this organisation's surveys.")
        elif question.kind not in SCORED_KINDS:
            errors["question"] = _("Choose a question with a score (a 1–5 scale or eNPS).")
    else:
        rule.question = None

    if rule.threshold is None or rule.threshold == "":
        errors["threshold"] = _("Give a threshold.")
    else:
        try:
            rule.threshold = Decimal(str(rule.threshold))
        except InvalidOperation:
            errors["threshold"] = _("The threshold must be a number.")
        else:
            if not rule.threshold.is_finite():
                errors["threshold"] = _("The threshold must be a number.")
            elif "subject" not in errors and (message := _threshold_error(rule)):
                errors["threshold"] = message

    if rule.scope == AlertScope.TEAMS:
        if not teams:
            errors["teams"] = _("Choose at least one team, or watch the whole organisation.")
        elif any(team.org_id != org.pk or team.is_archived for team in teams):
            errors["teams"] = _("Choose active teams of this organisation.")
    elif rule.scope != AlertScope.ORG:
        errors["scope"] = _("Choose the whole organisation or chosen teams.")

    roles = _clean_choices(rule.recipient_roles or [], Role.values)
    if roles is None:
        errors["recipient_roles"] = _("Choose roles from the list.")
    else:
        rule.recipient_roles = roles
    channels = _clean_choices(rule.channels or [], AlertChannel.values)
    if channels is None:
        errors["channels"] = _("Choose channels from the list.")
    elif not channels:
        errors["channels"] = _("Choose at least one channel.")
    else:
        rule.channels = channels
    if any(team.org_id != org.pk or team.is_archived for team in recipient_teams):
        errors["recipient_teams"] = _("Choose active teams of this organisation.")
    people_ids = {person.pk for person in recipient_people}
    if people_ids:
        members = set(
            Membership.objects.for_org(org)
            .active()
            .filter(user_id__in=people_ids)
            .values_list("user_id", flat=True)
        )
        if members != people_ids:
            errors["recipient_people"] = _("Choose active members of this organisation.")
    if roles is not None and not roles and not recipient_teams and not people_ids:
        errors["recipient_roles"] = _("Tell at least one role, team or person.")

    try:
        rule.full_clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)


def _apply(rule: AlertRule, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"not alert rule fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(rule, name, value)


def _same_org(org: Organization, obj: AlertRule | Alert) -> None:
    if obj.org_id != org.pk:
        raise ValidationError(_("This belongs to another organisation."))


@transaction.atomic
def alert_rule_create(
    *,
    actor: User,
    org: Organization,
    teams: Iterable[Team] = (),
    recipient_teams: Iterable[Team] = (),
    recipient_people: Iterable[User] = (),
    **fields: Any,
) -> AlertRule:
    rule = AlertRule(org=org, created_by=actor)
    _apply(rule, fields)
    team_list, recipient_team_list = list(teams), list(recipient_teams)
    people = list(recipient_people)
    _check(
        org=org,
        rule=rule,
        teams=team_list,
        recipient_teams=recipient_team_list,
        recipient_people=people,
    )
    rule._change_reason = gettext("Rule created")  # type: ignore[attr-defined]
    rule.save()
    rule.teams.set(team_list if rule.scope == AlertScope.TEAMS else [])
    rule.recipient_teams.set(recipient_team_list)
    rule.recipient_people.set(people)
    return rule


@transaction.atomic
def alert_rule_update(
    *,
    actor: User,
    org: Organization,
    rule: AlertRule,
    teams: Iterable[Team] | None = None,
    recipient_teams: Iterable[Team] | None = None,
    recipient_people: Iterable[User] | None = None,
    **fields: Any,
) -> AlertRule:
    """Change a rule; M2M arguments left as None keep their current value. Alerts already
    opened keep the threshold they were opened with."""
    _same_org(org, rule)
    rule = AlertRule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
    _apply(rule, fields)
    team_list = list(rule.teams.all() if teams is None else teams)
    recipient_team_list = list(
        rule.recipient_teams.all() if recipient_teams is None else recipient_teams
    )
    people = list(rule.recipient_people.all() if recipient_people is None else recipient_people)
    _check(
        org=org,
        rule=rule,
        teams=team_list,
        recipient_teams=recipient_team_list,
        recipient_people=people,
    )
    rule._change_reason = gettext("Rule changed")  # type: ignore[attr-defined]
    rule.save()
    if teams is not None or rule.scope != AlertScope.TEAMS:
        rule.teams.set(team_list if rule.scope == AlertScope.TEAMS else [])
    if recipient_teams is not None:
        rule.recipient_teams.set(recipient_team_list)
    if recipient_people is not None:
        rule.recipient_people.set(people)
    return rule


@transaction.atomic
def alert_rule_delete(*, actor: User, org: Organization, rule: AlertRule) -> None:
    """Delete a rule and its alerts (the history keeps the rule)."""
    _same_org(org, rule)
    rule._change_reason = gettext("Rule deleted")  # type: ignore[attr-defined]
    rule.delete()


def alert_rule_from_template(*, actor: User, org: Organization, key: str) -> AlertRule:
    template = TEMPLATES_BY_KEY.get(key)
    if template is None:
        raise ValidationError({"template": _("Choose one of the rule templates.")})
    return alert_rule_create(
        actor=actor,
        org=org,
        name=str(template.name),
        action=str(template.action),
        subject=template.subject,
        comparator=template.comparator,
        threshold=template.threshold,
        period_kind=template.period_kind,
        scope=AlertScope.ORG,
        severity=template.severity,
        recipient_roles=list(template.recipient_roles),
        channels=list(template.channels),
    )


# --- handling an alert ----------------------------------------------------------------------


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update(of=("self",)).get(pk=alert.pk)


@transaction.atomic
def alert_acknowledge(
    *, actor: User, org: Organization, alert: Alert, now: datetime | None = None
) -> Alert:
    """Someone is on it: the alert stays until resolved, but stops looking unattended."""
    _same_org(org, alert)
    alert = _locked(alert)
    if alert.state != AlertState.OPEN:
        raise ValidationError(_("Only an open alert can be acknowledged."))
    alert.state = AlertState.ACKNOWLEDGED
    alert.acknowledged_by = actor
    alert.acknowledged_at = now or timezone.now()
    alert._change_reason = gettext("Acknowledged")  # type: ignore[attr-defined]
    alert.full_clean(validate_unique=False, validate_constraints=False)
    alert.save()
    return alert


@transaction.atomic
def alert_resolve(
    *, actor: User, org: Organization, alert: Alert, note: str, now: datetime | None = None
) -> Alert:
    """Close an alert by hand, saying what was done; it is not reopened in the same period."""
    _same_org(org, alert)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"resolution_note": _("Say what was done about it.")})
    alert = _locked(alert)
    if alert.state not in OPEN_STATES:
        raise ValidationError(_("This alert is already resolved."))
    alert.state = AlertState.RESOLVED
    alert.resolved_by = actor
    alert.resolved_at = now or timezone.now()
    alert.resolution_note = note
    alert.auto_resolved = False
    alert._change_reason = note[:100]  # type: ignore[attr-defined]
    alert.full_clean(validate_unique=False, validate_constraints=False)
    alert.save()
    return alert


# --- evaluation -----------------------------------------------------------------------------


@dataclass
class EvaluationResult:
    opened: int = 0
    updated: int = 0
    resolved: int = 0

    def add(self, other: "EvaluationResult") -> None:
        self.opened += other.opened
        self.updated += other.updated
        self.resolved += other.resolved


class _Audience:
    """Whom a rule tells, looked up once per evaluation and only when someone must be told."""

    def __init__(self, rule: AlertRule) -> None:
        self.rule = rule
        self._users: list[User] | None = None

    @property
    def users(self) -> list[User]:
        if self._users is None:
            rule = self.rule
            team_ids = [team.pk for team in rule.recipient_teams.all()]
            people_ids = [person.pk for person in rule.recipient_people.all()]
            memberships = (
                Membership.objects.for_org(rule.org)
                .active()
                .filter(
                    Q(role__in=list(rule.recipient_roles or []))
                    | Q(team_memberships__team_id__in=team_ids)
                    | Q(user_id__in=people_ids)
                )
                .select_related("user")
                .order_by("pk")
                .distinct()
            )
            self._users = [membership.user for membership in memberships]
        return self._users


def alert_url(alert: Alert) -> str:
    return reverse("dashboards:alert_detail", kwargs={"org_slug": alert.org.slug, "pk": alert.pk})


def _as_decimal(value: float) -> Decimal:
    return Decimal(str(round(value, 4)))


def _announce(alert: Alert, rule: AlertRule, audience: _Audience) -> None:
    """Tell the rule's recipients about a new alert, in the same transaction as the alert."""
    org = alert.org
    url = alert_url(alert)
    title = format_lazy(
        _("Deviation: {rule} — {subject}"), rule=rule.name, subject=alert.subject_label
    )
    sentence = format_lazy(
        _("The value is {value}, {comparator} the threshold of {threshold}."),
        value=deviation.format_value(alert.value),
        comparator=AlertComparator(rule.comparator).label,
        threshold=deviation.format_value(rule.threshold),
    )
    body = format_lazy("{}\n{}", sentence, rule.action) if rule.action else sentence
    channels = set(rule.channels or [])
    if channels & {AlertChannel.IN_APP, AlertChannel.EMAIL}:
        notify(
            org=org,
            recipients=audience.users,
            kind=OPENED_KIND,
            title=title,
            body=body,
            url=url,
            email=AlertChannel.EMAIL in channels,
        )
    if AlertChannel.WEBHOOK in channels:
        teams = [alert.team] if alert.team is not None else list(rule.recipient_teams.all())
        for team in teams:
            team_broadcast(org=org, team=team, event=WEBHOOK_EVENT, title=title, body=body, url=url)


def _open(
    rule: AlertRule, reading: alert_readings.Reading, period: date, audience: _Audience
) -> Alert | None:
    """Insert the period's alert; None when the row exists already (another worker, a rerun,
    or an alert resolved by hand earlier in this period)."""
    assert reading.value is not None
    value = _as_decimal(reading.value)
    alert = Alert(
        org=rule.org,
        rule=rule,
        subject_key=reading.key,
        subject_label=reading.label[:240],
        team=reading.team,
        goal=reading.goal,
        period_kind=rule.period_kind,
        period_start=period,
        severity=rule.severity,
        comparator=rule.comparator,
        threshold=rule.threshold,
        value=value,
        last_value=value,
        data=reading.data,
    )
    # The related rows were just read; the unique constraint is checked by the insert itself.
    alert.full_clean(
        exclude=["org", "rule", "team", "goal"], validate_unique=False, validate_constraints=False
    )
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:
        return None
    _announce(alert, rule, audience)
    return alert


def _refresh(alert: Alert, reading: alert_readings.Reading) -> bool:
    """Keep one alert open while the deviation lasts; only its latest figures change."""
    assert reading.value is not None
    if not deviation.has_changed(
        old_value=alert.last_value,
        new_value=reading.value,
        old_data=alert.data,
        new_data=reading.data,
    ):
        return False
    # Both columns are left out of the alert's history, so a plain UPDATE loses nothing there.
    return bool(
        Alert.objects.filter(pk=alert.pk, state__in=OPEN_STATES).update(
            last_value=_as_decimal(reading.value), data=reading.data
        )
    )


def _auto_resolve(
    alert: Alert,
    rule: AlertRule,
    reading: alert_readings.Reading,
    now: datetime,
    audience: _Audience,
) -> bool:
    """Close an alert whose subject is back within the threshold, once across workers."""
    assert reading.value is not None
    locked = (
        Alert.objects.select_for_update(of=("self",))
        .filter(pk=alert.pk, state__in=OPEN_STATES)
        .select_related("org")
        .first()
    )
    if locked is None:
        return False  # closed meanwhile, by hand or by another worker
    message = format_lazy(
        _("Back within the threshold: {value} (threshold {threshold})."),
        value=deviation.format_value(reading.value),
        threshold=deviation.format_value(rule.threshold),
    )
    locked.state = AlertState.RESOLVED
    locked.auto_resolved = True
    locked.resolved_at = now
    locked.resolution_note = alert_readings.in_org_language(locked.org, message)
    locked.last_value = _as_decimal(reading.value)
    locked.data = reading.data
    locked._change_reason = locked.resolution_note  # type: ignore[attr-defined]
    locked.save()
    notify(
        org=locked.org,
        recipients=audience.users,
        kind=RESOLVED_KIND,
        title=format_lazy(
            _("Back to normal: {rule} — {subject}"), rule=rule.name, subject=locked.subject_label
        ),
        body=message,
        url=alert_url(locked),
        email=False,
    )
    return True


def alert_rule_evaluate(*, rule: AlertRule, now: datetime | None = None) -> EvaluationResult:
    """Evaluate one rule; call inside a transaction (the alerts' row locks live until commit)."""
    now = now or timezone.now()
    result = EvaluationResult()
    today = org_today(rule.org, now).date()
    period, readings = alert_readings.readings_for(rule, today)
    if period is None or not readings:
        return result
    open_alerts: dict[str, list[Alert]] = defaultdict(list)
    taken: set[str] = set()
    existing = Alert.objects.filter(rule=rule).filter(
        Q(state__in=OPEN_STATES) | Q(period_start=period)
    )
    for alert in existing.order_by("pk"):
        if alert.state in OPEN_STATES:
            open_alerts[alert.subject_key].append(alert)
        if alert.period_start == period:
            taken.add(alert.subject_key)
    audience = _Audience(rule)
    threshold = float(rule.threshold)
    for reading in readings:
        breached = deviation.is_breached(
            comparator=rule.comparator, value=reading.value, threshold=threshold
        )
        current = open_alerts.get(reading.key, [])
        action = deviation.decide(breached=breached, has_open_alert=bool(current))
        if action is deviation.Action.OPEN and reading.key not in taken:
            if _open(rule, reading, period, audience) is not None:
                result.opened += 1
        elif action is deviation.Action.UPDATE:
            result.updated += sum(_refresh(alert, reading) for alert in current)
        elif action is deviation.Action.RESOLVE:
            result.resolved += sum(
                _auto_resolve(alert, rule, reading, now, audience) for alert in current
            )
    return result


def _active_rules(org: Organization) -> list[AlertRule]:
    return list(
        AlertRule.objects.for_org(org)
        .filter(is_active=True)
        .select_related("org", "kpi", "question__survey")
        .prefetch_related("teams", "recipient_teams", "recipient_people")
        .order_by("pk")
    )


def alerts_evaluate(*, org: Organization, now: datetime | None = None) -> EvaluationResult:
    """Evaluate every active rule of the organisation, each in its own transaction."""
    now = now or timezone.now()
    total = EvaluationResult()
    for rule in _active_rules(org):
        with transaction.atomic():
            total.add(alert_rule_evaluate(rule=rule, now=now))
    return total


def alerts_evaluate_all(*, now: datetime | None = None) -> int:
    """The periodic job: every organisation with active rules. A rule that fails is logged and
    skipped; the others still run. Returns the number of alerts opened."""
    now = now or timezone.now()
    opened = 0
    orgs = Organization.objects.filter(alert_rules__is_active=True).distinct().order_by("pk")
    for org in orgs:
        for rule in _active_rules(org):
            try:
                with transaction.atomic():
                    opened += alert_rule_evaluate(rule=rule, now=now).opened
            except (ValidationError, ValueError, OperationalError):
                log.exception("Alert rule %s of organisation %s failed", rule.pk, org.pk)
    return opened
