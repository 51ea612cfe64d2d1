"""Celery tasks of the dashboards app: thin, idempotent, each calls its service."""

from celery import shared_task

from . import alerts, digest, rollups, snapshots


@shared_task(acks_late=True)
def rollups_update_all() -> int:
    return rollups.rollups_update_all()


@shared_task(acks_late=True)
def goal_snapshots_take() -> int:
    return snapshots.goal_snapshots_take()


@shared_task(acks_late=True)
def alerts_evaluate_all() -> int:
    return alerts.alerts_evaluate_all()


@shared_task(acks_late=True)
def leadership_digest_send() -> int:
    return digest.leadership_digest_send()
