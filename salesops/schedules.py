"""Every periodic job, in one place.

`python manage.py sync_schedules` (run by `make run` and by the beat container)
creates the missing ones in django-celery-beat's tables. It never overwrites a
schedule that exists, so a time an admin changed in the admin site is kept.
Times are UTC; jobs that follow an organisation's local time check it themselves.
"""

from typing import TypedDict


class PeriodicJob(TypedDict):
    task: str
    crontab: dict[str, str]
    expires_seconds: int
    description: str


PERIODIC_JOBS: dict[str, PeriodicJob] = {
    "outbox-drain": {
        # Every minute: hand work that could not reach the broker to it now.
        "task": "salesops.tasks.outbox_drain",
        "crontab": {"minute": "*"},
        "expires_seconds": 50,
        "description": "Send queued work that could not reach the broker when it was created.",
    },
    "checkin-reminders": {
        # Hourly at :05: owners of active goals without this week's check-in are reminded
        # once, from Monday 09:00 in their organisation's time zone.
        "task": "goals.tasks.checkin_reminders_send",
        "crontab": {"minute": "5"},
        "expires_seconds": 3000,
        "description": "Weekly goal check-in reminders (Monday morning, organisation time).",
    },
    "dispute-escalation": {
        # Hourly at :20: open disputes past their decision date are escalated to leadership, once.
        "task": "raci.tasks.dispute_escalate_overdue",
        "crontab": {"minute": "20"},
        "expires_seconds": 3000,
        "description": "Escalate disputes that the arbitrator has not decided in time.",
    },
    "housekeeping": {
        # Nightly at 03:15 UTC: delete dispatched outbox rows and old sent webhook deliveries.
        "task": "salesops.tasks.housekeeping",
        "crontab": {"minute": "15", "hour": "3"},
        "expires_seconds": 3600,
        "description": "Delete old dispatched outbox rows and sent webhook deliveries.",
    },
}
