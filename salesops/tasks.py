"""Celery tasks: thin, idempotent, named after the service they call."""

from celery import shared_task
from django.core.mail import send_mail

from .services import housekeeping as housekeeping_service
from .services import notifications, outbox

# Deliveries retry only on transient failures (network, timeouts, 5xx, 429), with
# exponential backoff from 30 s up to an hour; the services make a rerun harmless.
DELIVERY_RETRY = {
    "acks_late": True,
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
}


@shared_task(acks_late=True)
def outbox_drain() -> int:
    return outbox.outbox_drain()


@shared_task(autoretry_for=(notifications.TransientDeliveryError,), max_retries=8, **DELIVERY_RETRY)
def notification_send_email(notification_id: int) -> bool:
    return notifications.notification_send_email(notification_id=notification_id)


@shared_task(
    bind=True,
    autoretry_for=(notifications.TransientDeliveryError,),
    max_retries=notifications.WEBHOOK_MAX_ATTEMPTS,
    **DELIVERY_RETRY,
)
def webhook_deliver(self, delivery_id: int) -> bool:  # type: ignore[no-untyped-def]
    # On the last retry the service marks the delivery failed instead of raising again.
    final = self.request.retries >= notifications.WEBHOOK_MAX_ATTEMPTS - 1
    return notifications.webhook_deliver(delivery_id=delivery_id, final_attempt=final)


@shared_task(autoretry_for=(OSError,), max_retries=8, **DELIVERY_RETRY)
def email_send(to: list[str], subject: str, body: str) -> None:
    send_mail(subject=subject, message=body, from_email=None, recipient_list=to)


@shared_task(acks_late=True)
def housekeeping() -> dict[str, int]:
    return housekeeping_service.housekeeping_run()
