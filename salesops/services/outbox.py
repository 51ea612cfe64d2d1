"""Queue Celery work so that it survives a broker outage.

`enqueue` writes an OutboxMessage inside the caller's transaction and, once that
commits, hands it to the broker. If the broker is unreachable the request still
succeeds: the row stays pending and `outbox_drain` (every minute) sends it later.
Tasks fed this way must be idempotent, because a message may be sent again when
the broker accepted it but the dispatched mark could not be written.
"""

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import KombuError

from ..models import OutboxMessage

log = logging.getLogger(__name__)

# Leave fresh rows to the on-commit dispatch so the drain does not race it.
DRAIN_GRACE = timedelta(seconds=20)
DRAIN_BATCH = 500


def enqueue(*, task_name: str, kwargs: dict[str, Any] | None = None) -> OutboxMessage:
    message = OutboxMessage.objects.create(task_name=task_name, kwargs=kwargs or {})
    transaction.on_commit(lambda: outbox_dispatch(message_ids=[message.pk]))
    return message


def _publish(message: OutboxMessage) -> bool:
    from ..celery import app

    try:
        app.send_task(message.task_name, kwargs=message.kwargs, retry=False)
    except (KombuError, OSError) as exc:
        # OSError covers refused connections before kombu wraps them.
        log.warning("broker unreachable, outbox message %s kept: %s", message.pk, exc)
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=message.attempts + 1, last_error=str(exc)[:2000]
        )
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        dispatched_at=timezone.now(), attempts=message.attempts + 1, last_error=""
    )
    return True


def outbox_dispatch(*, message_ids: list[int]) -> int:
    sent = 0
    for message in OutboxMessage.objects.filter(pk__in=message_ids, dispatched_at__isnull=True):
        if not _publish(message):
            break
        sent += 1
    return sent


def outbox_drain(*, now: Any = None) -> int:
    """Send pending messages; safe on two workers at once (rows are locked, skip-locked)."""
    cutoff = (now or timezone.now()) - DRAIN_GRACE
    sent = 0
    with transaction.atomic():
        pending = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True, created_at__lte=cutoff)
            .order_by("pk")[:DRAIN_BATCH]
        )
        for message in pending:
            if not _publish(message):
                break
            sent += 1
    return sent


def outbox_pending_count() -> int:
    return OutboxMessage.objects.filter(dispatched_at__isnull=True).count()
