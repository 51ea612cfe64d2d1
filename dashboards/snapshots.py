"""Daily goal snapshots: progress, expected progress, forecast and status, for trend charts."""

from datetime import datetime

from django.utils import timezone

from goals.models import Goal, GoalStatus
from goals.selectors import goal_metrics
from goals.services.checkins import org_today
from salesops.models import Organization

from .models import GoalSnapshot


def goal_snapshots_take(*, now: datetime | None = None) -> int:
    """Today's snapshot (organisation time) of every active goal: one row per goal and day,
    written again with the latest figures when the job runs twice the same day."""
    now = now or timezone.now()
    written = 0
    for org in Organization.objects.filter(goals__status=GoalStatus.ACTIVE).distinct():
        today = org_today(org, now).date()
        goals = list(
            Goal.objects.for_org(org).filter(status=GoalStatus.ACTIVE).select_related("kpi")
        )
        metrics = goal_metrics(goals=goals, org=org, today=today)
        rows = [
            GoalSnapshot(
                org=org,
                goal=goal,
                day=today,
                actual=metrics[goal.pk].actual,
                progress=metrics[goal.pk].progress,
                expected=metrics[goal.pk].expected,
                forecast=metrics[goal.pk].forecast,
                status=str(metrics[goal.pk].health),
            )
            for goal in goals
        ]
        GoalSnapshot.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["goal", "day"],
            update_fields=["actual", "progress", "expected", "forecast", "status"],
            batch_size=1000,
        )
        written += len(rows)
    return written
