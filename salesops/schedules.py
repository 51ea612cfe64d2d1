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
    "milestone-reminders": {
        # Hourly at :10: owners with milestones on "This week" and no update yet are reminded
        # once, from Friday 14:00 in their organisation's time zone.
        "task": "actionplans.tasks.milestone_reminders_send",
        "crontab": {"minute": "10"},
        "expires_seconds": 3000,
        "description": "Weekly milestone update reminders (Friday afternoon, organisation time).",
    },
    "milestones-overdue": {
        # Hourly at :40: owners are told once when a milestone passes its due week unfinished.
        "task": "actionplans.tasks.milestones_flag_overdue",
        "crontab": {"minute": "40"},
        "expires_seconds": 3000,
        "description": "Flag overdue milestones and tell their owners, once per due week.",
    },
    "risk-triggers": {
        # Hourly at :30: KPI triggers are checked against the last whole week or month;
        # each fires at most once per period.
        "task": "actionplans.tasks.risk_triggers_evaluate",
        "crontab": {"minute": "30"},
        "expires_seconds": 3000,
        "description": "Evaluate the KPI triggers of risks and announce the ones that fire.",
    },
    "standup-digests": {
        # Every 5 minutes: teams whose digest time has come get today's stand-up in their channel.
        "task": "actionplans.tasks.standup_digests_send",
        "crontab": {"minute": "*/5"},
        "expires_seconds": 240,
        "description": "Post each team's stand-up digest to its channel at the team's set time.",
    },
    "survey-rounds": {
        # Every 15 minutes: close survey rounds past their date, remind those who have not
        # answered two days before closing (once), and open the next monthly round.
        "task": "feedback.tasks.survey_rounds_run",
        "crontab": {"minute": "*/15"},
        "expires_seconds": 840,
        "description": "Open, remind and close anonymous survey rounds.",
    },
    "kpi-rollups": {
        # Every 10 minutes: recompute the week, month and quarter rollups of the KPI periods
        # whose measurements changed since the last run (all of them the first time).
        "task": "dashboards.tasks.rollups_update_all",
        "crontab": {"minute": "*/10"},
        "expires_seconds": 540,
        "description": "Incremental KPI rollups (week, month, fiscal quarter).",
    },
    "goal-snapshots": {
        # Hourly at :50: today's snapshot of every active goal (organisation time), replaced
        # with the latest figures through the day.
        "task": "dashboards.tasks.goal_snapshots_take",
        "crontab": {"minute": "50"},
        "expires_seconds": 3000,
        "description": "Daily goal snapshots for trend charts.",
    },
    "deviation-alerts": {
        # Every 10 minutes, offset from the rollups: evaluate every active alert rule. An alert
        # is unique per (rule, subject, period), so reruns and parallel workers add nothing.
        "task": "dashboards.tasks.alerts_evaluate_all",
        "crontab": {"minute": "5-59/10"},
        "expires_seconds": 540,
        "description": "Evaluate deviation alert rules; open, update and auto-resolve alerts.",
    },
    "leadership-digest": {
        # Hourly at :25: from Monday 08:00 in each organisation's time zone, leaders get the
        # week's digest by email once (one row per organisation and week is the claim).
        "task": "dashboards.tasks.leadership_digest_send",
        "crontab": {"minute": "25"},
        "expires_seconds": 3000,
        "description": "Monday leadership digest email (organisation time), once a week.",
    },
    "housekeeping": {
        # Nightly at 03:15 UTC: delete dispatched outbox rows and old sent webhook deliveries.
        "task": "salesops.tasks.housekeeping",
        "crontab": {"minute": "15", "hour": "3"},
        "expires_seconds": 3600,
        "description": "Delete old dispatched outbox rows and sent webhook deliveries.",
    },
}
