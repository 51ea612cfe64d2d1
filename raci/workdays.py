"""Working-day arithmetic for dispute service levels: Monday to Friday, no holiday calendar."""

from datetime import datetime, timedelta


def add_working_days(start: datetime, days: int) -> datetime:
    """The same time of day `days` working days later; a weekend start counts from Monday."""
    moment = start
    while moment.weekday() >= 5:
        moment = (moment + timedelta(days=1)).replace(hour=start.hour, minute=start.minute)
    added = 0
    while added < days:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            added += 1
    return moment


def working_days_between(start: datetime, end: datetime) -> int:
    """Whole working days from `start` to `end` (0 when `end` is not later)."""
    count, day = 0, start.date()
    while day < end.date():
        day += timedelta(days=1)
        if day.weekday() < 5 and day <= end.date():
            count += 1
    return count
