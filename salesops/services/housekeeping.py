"""Nightly clean-up; each step selects by state, so a rerun deletes nothing new."""

from datetime import timedelta

from django.utils import timezone

from ..models import OutboxMessage, WebhookDelivery
from ..models.notifications import DeliveryStatus

OUTBOX_RETENTION = timedelta(days=7)
DELIVERY_RETENTION = timedelta(days=90)


def housekeeping_run() -> dict[str, int]:
    now = timezone.now()
    outbox_deleted, _ = OutboxMessage.objects.filter(
        dispatched_at__isnull=False, dispatched_at__lt=now - OUTBOX_RETENTION
    ).delete()
    deliveries_deleted, _ = WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENT, created_at__lt=now - DELIVERY_RETENTION
    ).delete()
    return {"outbox": outbox_deleted, "deliveries": deliveries_deleted}
