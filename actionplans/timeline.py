"""The plan timeline — weeks across, milestones down — computed without the database."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

MAX_WEEKS = 78  # a timeline wider than a year and a half is cut, with a note


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def is_overdue(*, due_week: date, done: bool, today: date) -> bool:
    """Not done after the Sunday of its due week."""
    return not done and today > due_week + timedelta(days=6)


@dataclass(frozen=True)
class TimelineItem:
    key: int
    title: str
    start_week: date
    due_week: date
    status: str
    progress: int
    done: bool


@dataclass(frozen=True)
class TimelineRow:
    item: TimelineItem
    cells: tuple[str, ...]  # per week: "" | "span" | "due" | "span today" …
    overdue: bool


@dataclass(frozen=True)
class Timeline:
    weeks: tuple[date, ...]
    today_index: int | None
    rows: tuple[TimelineRow, ...]
    truncated: bool


def build_timeline(
    *, items: Sequence[TimelineItem], first: date, last: date, today: date
) -> Timeline:
    """Columns from the week of `first` to the week of `last`, widened to hold every item."""
    start = week_of(min([first, *(item.start_week for item in items)]))
    end = week_of(max([last, *(item.due_week for item in items)]))
    count = (end - start).days // 7 + 1
    truncated = count > MAX_WEEKS
    count = min(count, MAX_WEEKS)
    weeks = tuple(start + timedelta(weeks=index) for index in range(count))
    this_week = week_of(today)
    today_index = weeks.index(this_week) if this_week in weeks else None
    rows = []
    for item in items:
        overdue = is_overdue(due_week=item.due_week, done=item.done, today=today)
        cells = []
        for index, week in enumerate(weeks):
            classes = []
            if item.start_week <= week <= item.due_week:
                classes.append("due" if week == item.due_week else "span")
            if index == today_index:
                classes.append("today")
            cells.append(" ".join(classes))
        rows.append(TimelineRow(item=item, cells=tuple(cells), overdue=overdue))
    return Timeline(weeks=weeks, today_index=today_index, rows=tuple(rows), truncated=truncated)


def risk_matrix(scores: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Counts of risks per (likelihood, impact): rows from likelihood 5 down to 1, impact 1 to 5."""
    counts = {(likelihood, impact): 0 for likelihood in range(1, 6) for impact in range(1, 6)}
    for likelihood, impact in scores:
        counts[(likelihood, impact)] += 1
    return [
        [counts[(likelihood, impact)] for impact in range(1, 6)] for likelihood in range(5, 0, -1)
    ]


def risk_band(score: int) -> str:
    """low (1–4), medium (5–9), high (10–16), critical (20–25)."""
    if score >= 20:
        return "critical"
    if score >= 10:
        return "high"
    if score >= 5:
        return "medium"
    return "low"
