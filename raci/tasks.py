"""Celery tasks of the RACI app: thin, idempotent, each calls its service."""

from celery import shared_task

from . import disputes


@shared_task(acks_late=True)
def dispute_escalate_overdue() -> int:
    return disputes.dispute_escalate_overdue()
