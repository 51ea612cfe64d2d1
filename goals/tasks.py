"""Celery tasks of the goals app: thin, idempotent, each calls its service."""

from celery import shared_task

from .services import checkins, measurements


@shared_task(acks_late=True)
def measurement_import_run(import_id: int) -> str:
    return measurements.import_run(import_id=import_id)


@shared_task(acks_late=True)
def checkin_reminders_send() -> int:
    return checkins.checkin_reminders_send()
