"""Calendar arithmetic for KPI periods: weeks start on Monday, quarters follow the fiscal year."""

from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def month_start(day: date) -> date:
    return day.replace(day=1)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_start(day: date, kind: str) -> date:
    if kind == "day":
        return day
    if kind == "week":
        return week_start(day)
    if kind == "month":
        return month_start(day)
    raise ValueError(f"unknown period kind {kind!r}")


def period_end(start: date, kind: str) -> date:
    """The last day of the period that begins on `start`."""
    if kind == "day":
        return start
    if kind == "week":
        return start + timedelta(days=6)
    if kind == "month":
        return add_months(start, 1) - timedelta(days=1)
    raise ValueError(f"unknown period kind {kind!r}")


def fiscal_quarter_start(day: date, fiscal_start_month: int) -> date:
    offset = (day.month - fiscal_start_month) % 3
    return add_months(month_start(day), -offset)


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end`, rounded to the nearest month, at least 1."""
    days = (end - start).days + 1
    return max(1, round(days / 30.4375))


def months_in(start: date, end: date) -> list[date]:
    """First days of every month that overlaps [start, end]."""
    months = []
    current = month_start(start)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months
