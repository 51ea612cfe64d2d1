"""Celery tasks: thin, idempotent, named after the service they call."""

from celery import shared_task
from django.core.mail import send_mail

from .services import housekeeping as housekeeping_service
from .services import notifications, outbox

TRANSIENT = (notifications.TransientDeliveryError,)


@shared_task(acks_late=True)
def outbox_drain() -> int:
    return outbox.outbox_drain()


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def notification_send_email(self, notification_id: int) -> bool:  # type: ignore[no-untyped-def]
    return notifications.notification_send_email(notification_id=notification_id)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=notifications.WEBHOOK_MAX_ATTEMPTS,
)
def webhook_deliver(self, delivery_id: int) -> bool:  # type: ignore[no-untyped-def]
    final = self.request.retries >= notifications.WEBHOOK_MAX_ATTEMPTS - 1
    return notifications.webhook_deliver(delivery_id=delivery_id, final_attempt=final)


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def email_send(to: list[str], subject: str, body: str) -> None:
    send_mail(subject=subject, message=body, from_email=None, recipient_list=to)


@shared_task(acks_late=True)
def housekeeping() -> dict[str, int]:
    return housekeeping_service.housekeeping_run()
