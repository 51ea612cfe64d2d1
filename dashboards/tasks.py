"""Celery tasks of the dashboards app: thin, idempotent, each calls its service."""

from celery import shared_task

from . import rollups, snapshots


@shared_task(acks_late=True)
def rollups_update_all() -> int:
    return rollups.rollups_update_all()


@shared_task(acks_late=True)
def goal_snapshots_take() -> int:
    return snapshots.goal_snapshots_take()
