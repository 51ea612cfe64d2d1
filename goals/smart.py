"""The SMART checker: judges a goal draft criterion by criterion and says what to change."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext


class Level(StrEnum):
    PASS = "pass"  # noqa: S105 - a SMART level, not a secret
    WARN = "warn"
    FAIL = "fail"


class Key(StrEnum):
    SPECIFIC = "specific"
    MEASURABLE = "measurable"
    ACHIEVABLE = "achievable"
    RELEVANT = "relevant"
    TIME_BOUND = "time_bound"


class Unit(StrEnum):
    COUNT = "count"
    CURRENCY = "currency"
    PERCENT = "percent"
    DAYS = "days"
    HOURS = "hours"
    RATIO = "ratio"


class HistorySource(StrEnum):
    TEAM = "team"
    COMPARABLE = "comparable"
    NONE = "none"


COMPANY_LEVEL = "company"

_SEVERITY = {Level.PASS: 0, Level.WARN: 1, Level.FAIL: 2}
_NON_NEGATIVE_UNITS = frozenset({Unit.COUNT, Unit.CURRENCY, Unit.DAYS, Unit.HOURS})
# A stretch target may need up to this multiple of the best past change before it fails.
_STRETCH_FACTOR = 1.5
# Targets are Decimals and history is float; the slack keeps a target that exactly equals a
# past change (or 1.5 times it) on the side of the boundary a person would expect.
_TOLERANCE = 1e-9

_VAGUE_ENGLISH = re.compile(
    r"\b(?:"
    r"increas(?:e|es|ed|ing)|improv(?:e|es|ed|ing|ement|ements)|grow(?:s|n|th|ing)?|grew"
    r"|boost(?:s|ed|ing)?|more|better|enhanc(?:e|es|ed|ing|ement)"
    r"|maximi[sz](?:e|es|ed|ing)|optimi[sz](?:e|es|ed|ing)"
    r")\b",
    re.IGNORECASE,
)
# Chinese has no word boundaries, so these are matched as plain substrings.
_VAGUE_CHINESE = ("提升", "提高", "增加", "增长", "改善", "加强", "扩大", "优化")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class KpiInfo:
    name: str
    unit: str
    lower_is_better: bool


@dataclass(frozen=True)
class GoalDraft:
    title: str
    statement: str
    scope_channel: str
    scope_product: str
    scope_segment: str
    kpi: KpiInfo | None
    baseline: Decimal | None
    target: Decimal | None
    start: date | None
    due: date | None
    level: str
    parent_kpi_name: str | None
    contribution: str


@dataclass(frozen=True)
class History:
    changes: tuple[float, ...]
    period_label: str
    source: str


@dataclass(frozen=True)
class Criterion:
    key: str
    level: Level
    message: str


@dataclass(frozen=True)
class SmartReport:
    criteria: tuple[Criterion, ...]

    def get(self, key: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.key == key:
                return criterion
        raise KeyError(key)

    @property
    def blocking(self) -> bool:
        """A failed measurable or time-bound criterion stops the goal from being activated."""
        return self._fails(Key.MEASURABLE, Key.TIME_BOUND)

    @property
    def needs_reason(self) -> bool:
        """Activating over these failures is allowed, but only with a written reason."""
        return self._fails(Key.SPECIFIC, Key.ACHIEVABLE, Key.RELEVANT)

    @property
    def overall(self) -> Level:
        return max((c.level for c in self.criteria), key=_SEVERITY.__getitem__, default=Level.PASS)

    def _fails(self, *keys: str) -> bool:
        return any(c.level == Level.FAIL for c in self.criteria if c.key in keys)


def check(*, draft: GoalDraft, history: History, today: date, horizon_months: int) -> SmartReport:
    return SmartReport(
        criteria=(
            _specific(draft=draft),
            _measurable(draft=draft),
            _achievable(draft=draft, history=history),
            _relevant(draft=draft),
            _time_bound(draft=draft, today=today, horizon_months=horizon_months),
        )
    )


def signed_percent(fraction: float) -> str:
    """A relative change as a signed whole percent: 1.5 -> "+150%", -1/3 -> "-33%"."""
    # Round half away from zero (not Python's half-to-even) after trimming float noise.
    scaled = round(abs(fraction) * 100, 6)
    whole = int(scaled + 0.5)
    if whole == 0:
        return "0%"
    return f"+{whole}%" if fraction > 0 else f"-{whole}%"


def format_value(*, value: Decimal, unit: str) -> str:
    """A KPI value in its unit, e.g. "25%", "60 days", "1,200"."""
    number = number_format(value.normalize(), force_grouping=True)
    if unit == Unit.PERCENT:
        return gettext("%(number)s%%") % {"number": number}
    if unit == Unit.DAYS:
        return ngettext("%(number)s day", "%(number)s days", _plural_count(value)) % {
            "number": number
        }
    if unit == Unit.HOURS:
        return ngettext("%(number)s hour", "%(number)s hours", _plural_count(value)) % {
            "number": number
        }
    return number


def add_months(*, day: date, months: int) -> date:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _plural_count(value: Decimal) -> int:
    # gettext plural rules take integers; a fractional amount reads like the plural "other" form.
    if value == value.to_integral_value():
        return abs(int(value))
    return 2


def _specific(*, draft: GoalDraft) -> Criterion:
    def result(level: Level, message: str) -> Criterion:
        return Criterion(key=Key.SPECIFIC, level=level, message=message)

    if draft.kpi is None:
        return result(
            Level.FAIL, gettext("No KPI is chosen; pick the KPI this goal is meant to move.")
        )
    scope = [
        part.strip()
        for part in (draft.scope_channel, draft.scope_product, draft.scope_segment)
        if part.strip()
    ]
    if not scope:
        return result(
            Level.FAIL,
            gettext(
                "The goal covers everything; say which channel, product or customer segment "
                "it is about."
            ),
        )
    wording = f"{draft.title}\n{draft.statement}"
    if not _DIGIT.search(wording) and _is_vague(wording):
        return result(
            Level.WARN,
            gettext(
                "The wording is vague; add a number and say exactly what changes, "
                "from what to what."
            ),
        )
    return result(
        Level.PASS,
        gettext("Names the KPI %(kpi)s and the scope %(scope)s.")
        % {"kpi": draft.kpi.name, "scope": " / ".join(scope)},
    )


def _is_vague(text: str) -> bool:
    return bool(_VAGUE_ENGLISH.search(text)) or any(word in text for word in _VAGUE_CHINESE)


def _measurable(*, draft: GoalDraft) -> Criterion:
    def result(level: Level, message: str) -> Criterion:
        return Criterion(key=Key.MEASURABLE, level=level, message=message)

    kpi = draft.kpi
    if kpi is None:
        return result(Level.FAIL, gettext("No KPI is chosen, so nothing can be measured."))
    if draft.target is None:
        return result(
            Level.FAIL,
            gettext("No target is set; set the value %(kpi)s should reach.") % {"kpi": kpi.name},
        )
    target = format_value(value=draft.target, unit=kpi.unit)
    if kpi.unit == Unit.PERCENT and not (0 <= draft.target <= 100):
        return result(
            Level.FAIL,
            gettext(
                "%(kpi)s is a percentage, so the target must be between 0%% and 100%%; "
                "it is %(target)s."
            )
            % {"kpi": kpi.name, "target": target},
        )
    if kpi.unit in _NON_NEGATIVE_UNITS and draft.target < 0:
        return result(
            Level.FAIL,
            gettext("%(kpi)s cannot be negative; the target is %(target)s.")
            % {"kpi": kpi.name, "target": target},
        )
    if draft.baseline is None:
        return result(
            Level.WARN,
            gettext(
                "The baseline of %(kpi)s is unknown; record measurements for it or type the "
                "starting value, so progress towards %(target)s can be shown."
            )
            % {"kpi": kpi.name, "target": target},
        )
    return result(
        Level.PASS,
        gettext("Measured by %(kpi)s, from %(baseline)s to %(target)s.")
        % {
            "kpi": kpi.name,
            "baseline": format_value(value=draft.baseline, unit=kpi.unit),
            "target": target,
        },
    )


def _achievable(*, draft: GoalDraft, history: History) -> Criterion:
    def result(level: Level, message: str) -> Criterion:
        return Criterion(key=Key.ACHIEVABLE, level=level, message=message)

    kpi = draft.kpi
    if kpi is None:
        return result(
            Level.WARN, gettext("Cannot judge whether the goal is realistic without a KPI.")
        )
    if draft.baseline is None:
        return result(
            Level.WARN,
            gettext(
                "Cannot judge whether the target is realistic without a baseline; "
                "record measurements or type the starting value."
            ),
        )
    if draft.target is None:
        return result(
            Level.WARN,
            gettext("Cannot judge whether the goal is realistic without a target; set one."),
        )
    if draft.baseline == 0:
        return result(
            Level.WARN,
            gettext(
                "The baseline is 0, so no relative change can be computed; compare the target "
                "with past results yourself."
            ),
        )
    change = float((draft.target - draft.baseline) / abs(draft.baseline))
    direction = -1.0 if kpi.lower_is_better else 1.0
    required = change * direction
    numbers = {
        "kpi": kpi.name,
        "needed": signed_percent(change),
        "baseline": format_value(value=draft.baseline, unit=kpi.unit),
        "target": format_value(value=draft.target, unit=kpi.unit),
        "period": history.period_label,
        "count": len(history.changes),
    }
    if required <= 0:
        return result(
            Level.WARN,
            gettext(
                "The target %(target)s is not better than the baseline %(baseline)s; "
                "set a target that improves %(kpi)s."
            )
            % numbers,
        )
    if history.source == HistorySource.NONE or len(history.changes) < 2:
        return result(
            Level.WARN,
            gettext(
                "Needs %(needed)s, but there is no history for this KPI and team; "
                "cannot say whether it is realistic."
            )
            % numbers,
        )
    # The best past change in the KPI's own direction, shown as it was measured (e.g. -35%).
    best_raw = min(history.changes) if kpi.lower_is_better else max(history.changes)
    best = best_raw * direction
    numbers["best"] = signed_percent(best_raw)
    comparable = history.source == HistorySource.COMPARABLE
    if best <= 0:
        message = (
            gettext(
                "Needs %(needed)s, but comparable teams never improved %(kpi)s: the best "
                "%(period)s in the last %(count)s was %(best)s. Lower the target or change "
                "the approach."
            )
            if comparable
            else gettext(
                "Needs %(needed)s, but %(kpi)s never improved: the best %(period)s in the last "
                "%(count)s was %(best)s. Lower the target or change the approach."
            )
        )
        return result(Level.FAIL, message % numbers)
    if required <= best + _TOLERANCE:
        message = (
            gettext("Needs %(needed)s; comparable teams have done %(best)s in a %(period)s before.")
            if comparable
            else gettext("Needs %(needed)s; the team has done %(best)s in a %(period)s before.")
        )
        return result(Level.PASS, message % numbers)
    if required <= _STRETCH_FACTOR * best + _TOLERANCE:
        message = (
            gettext(
                "Needs %(needed)s; the best %(period)s of comparable teams in the last %(count)s "
                "was %(best)s. This is a stretch; make sure the plan explains how."
            )
            if comparable
            else gettext(
                "Needs %(needed)s; the best %(period)s in the last %(count)s was %(best)s. "
                "This is a stretch; make sure the plan explains how."
            )
        )
        return result(Level.WARN, message % numbers)
    message = (
        gettext(
            "Needs %(needed)s; the best %(period)s of comparable teams in the last %(count)s "
            "was %(best)s. Lower the target or allow more time."
        )
        if comparable
        else gettext(
            "Needs %(needed)s; the best %(period)s in the last %(count)s was %(best)s. "
            "Lower the target or allow more time."
        )
    )
    return result(Level.FAIL, message % numbers)


def _relevant(*, draft: GoalDraft) -> Criterion:
    def result(level: Level, message: str) -> Criterion:
        return Criterion(key=Key.RELEVANT, level=level, message=message)

    if draft.level == COMPANY_LEVEL:
        return result(
            Level.PASS, gettext("A company goal sets the direction; it needs no parent goal.")
        )
    parent = draft.parent_kpi_name
    if parent is None:
        return result(
            Level.FAIL,
            gettext(
                "The goal supports no other goal; link it to a parent goal or mark it as a "
                "company goal."
            ),
        )
    kpi = draft.kpi.name if draft.kpi is not None else None
    if kpi is not None and kpi.strip().casefold() == parent.strip().casefold():
        return result(
            Level.PASS,
            gettext("Moves the same KPI as its parent goal, %(kpi)s.") % {"kpi": kpi},
        )
    contribution = draft.contribution.strip()
    if kpi is None:
        if contribution:
            return result(
                Level.PASS,
                gettext("Contributes to the parent's %(parent)s: %(contribution)s")
                % {"parent": parent, "contribution": contribution},
            )
        return result(
            Level.WARN,
            gettext("Say how this goal contributes to the parent's %(parent)s.")
            % {"parent": parent},
        )
    numbers = {"kpi": kpi, "parent": parent, "contribution": contribution}
    if contribution:
        return result(
            Level.PASS,
            gettext("Contributes to the parent's %(parent)s through %(kpi)s: %(contribution)s")
            % numbers,
        )
    return result(
        Level.WARN,
        gettext("The KPIs differ; say how %(kpi)s contributes to the parent's %(parent)s.")
        % numbers,
    )


def _time_bound(*, draft: GoalDraft, today: date, horizon_months: int) -> Criterion:
    def result(level: Level, message: str) -> Criterion:
        return Criterion(key=Key.TIME_BOUND, level=level, message=message)

    start, due = draft.start, draft.due
    if start is None or due is None:
        return result(Level.FAIL, gettext("Set both a start date and a due date."))
    numbers = {"start": start.isoformat(), "due": due.isoformat(), "months": horizon_months}
    if due <= start:
        return result(
            Level.FAIL,
            gettext("The due date %(due)s is not after the start date %(start)s; move it later.")
            % numbers,
        )
    if due > add_months(day=today, months=horizon_months):
        return result(
            Level.FAIL,
            ngettext(
                "The due date %(due)s is beyond the planning horizon of %(months)s month; "
                "pick an earlier date or split the goal.",
                "The due date %(due)s is beyond the planning horizon of %(months)s months; "
                "pick an earlier date or split the goal.",
                horizon_months,
            )
            % numbers,
        )
    if due < today:
        return result(
            Level.WARN,
            gettext("The due date %(due)s has passed; move it or close the goal.") % numbers,
        )
    return result(
        Level.PASS,
        gettext("Runs for %(duration)s, due %(due)s.")
        % {**numbers, "duration": _duration(due - start)},
    )


def _duration(span: timedelta) -> str:
    days = span.days
    # Whole weeks read better for sprints; anything else is exact in days.
    if days >= 14 and days % 7 == 0:
        weeks = days // 7
        return ngettext("%(count)s week", "%(count)s weeks", weeks) % {"count": weeks}
    return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
