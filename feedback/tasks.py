"""Celery tasks of the feedback app: thin, idempotent, each calls its service."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def survey_rounds_run() -> dict[str, int]:
    return services.survey_rounds_run()
