"""Celery tasks of the action plans app: thin, idempotent, each calls its service."""

from celery import shared_task

from . import services, standups


@shared_task(acks_late=True)
def milestone_reminders_send() -> int:
    return services.milestone_reminders_send()


@shared_task(acks_late=True)
def milestones_flag_overdue() -> int:
    return services.milestones_flag_overdue()


@shared_task(acks_late=True)
def risk_triggers_evaluate() -> int:
    return services.risk_triggers_evaluate()


@shared_task(acks_late=True)
def standup_digests_send() -> int:
    return standups.standup_digests_send()
