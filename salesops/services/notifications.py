"""Notifications: in-app rows, email, and team chat webhooks.

`notify` writes everything inside the caller's transaction; delivery happens in
Celery tasks queued through the outbox. A failing email or webhook never breaks
the request that caused it: it is retried with backoff and shown to admins.
"""

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import webhook_formats
from ..models import (
    Notification,
    Organization,
    Team,
    TeamWebhook,
    User,
    WebhookDelivery,
)
from ..models.notifications import DeliveryStatus
from . import outbox

log = logging.getLogger(__name__)

CLAIM_SECONDS = 60
WEBHOOK_TIMEOUT_SECONDS = 10
WEBHOOK_MAX_ATTEMPTS = 6


class TransientDeliveryError(Exception):
    """A delivery failed in a way worth retrying (network, timeout, 5xx, 429)."""


def absolute_url(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}{path}"


def _language_for(user: User, org: Organization) -> str:
    return user.preferred_language or org.language


def notify(
    *,
    org: Organization,
    recipients: Iterable[User],
    kind: str,
    title: Any,
    body: Any = "",
    url: str = "",
    email: bool = True,
) -> list[Notification]:
    """Create one notification per recipient, each rendered in that person's language.

    `title` and `body` may be lazy translations (gettext_lazy / format_lazy).
    """
    created = []
    unique = {user.pk: user for user in recipients if user.is_active}
    for user in unique.values():
        with translation.override(_language_for(user, org)):
            notification = Notification(
                org=org,
                recipient=user,
                kind=kind,
                title=str(title)[:300],
                body=str(body),
                url=url,
                email_requested=email,
            )
        notification.full_clean()
        notification.save()
        created.append(notification)
        if email:
            outbox.enqueue(
                task_name="salesops.tasks.notification_send_email",
                kwargs={"notification_id": notification.pk},
            )
    return created


def _claim(model: type[Notification] | type[WebhookDelivery], pk: int, *extra: Q) -> bool:
    """Take a short claim on a row; False when another worker holds it or it is done."""
    now = timezone.now()
    claimed = model.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), *extra, pk=pk
    ).update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    return claimed == 1


def notification_send_email(*, notification_id: int) -> bool:
    """Email one notification once. Returns True when an email was sent by this call."""
    if not _claim(Notification, notification_id, Q(emailed_at__isnull=True, email_requested=True)):
        return False
    notification = Notification.objects.select_related("recipient", "org").get(pk=notification_id)
    with translation.override(_language_for(notification.recipient, notification.org)):
        body = notification.body
        if notification.url:
            body = f"{body}\n\n{absolute_url(notification.url)}".strip()
        body += "\n\n— " + _("SalesOps, %(org)s") % {"org": notification.org.name}
        try:
            send_mail(
                subject=notification.title,
                message=body,
                from_email=None,
                recipient_list=[notification.recipient.email],
            )
        except OSError as exc:
            Notification.objects.filter(pk=notification_id).update(
                email_error=str(exc)[:2000], claimed_until=None
            )
            raise TransientDeliveryError(str(exc)) from exc
    Notification.objects.filter(pk=notification_id).update(
        emailed_at=timezone.now(), email_error="", claimed_until=None
    )
    return True


def team_broadcast(
    *, org: Organization, team: Team, event: str, title: Any, body: Any = "", url: str = ""
) -> list[WebhookDelivery]:
    """Post a message to every active webhook of a team, in the organisation's language."""
    deliveries = []
    with translation.override(org.language):
        message = webhook_formats.WebhookMessage(
            event=event,
            title=str(title),
            body=str(body),
            url=absolute_url(url),
            org=org.name,
            team=team.name,
            link_label=_("Open in SalesOps"),
        )
    for webhook in TeamWebhook.objects.for_org(org).filter(team=team, is_active=True):
        delivery = WebhookDelivery.objects.create(
            org=org,
            webhook=webhook,
            event=event,
            payload=webhook_formats.build_payload(webhook.kind, message),
        )
        outbox.enqueue(
            task_name="salesops.tasks.webhook_deliver", kwargs={"delivery_id": delivery.pk}
        )
        deliveries.append(delivery)
    return deliveries


def _post_json(url: str, payload: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(  # noqa: S310 - admins configure http(s) URLs only (URLField)
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "SalesOps-Webhook/1",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            status, raw = response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read(65536)
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        body = None
    return status, body


def webhook_deliver(*, delivery_id: int, final_attempt: bool = False) -> bool:
    """Send one webhook delivery once; True when it was sent by this call.

    Raises TransientDeliveryError so the task retries with backoff; the last
    attempt (or a permanent error such as a 4xx) marks the delivery failed.
    """
    if not _claim(WebhookDelivery, delivery_id, Q(status=DeliveryStatus.PENDING)):
        return False
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    now = timezone.now()
    attempts = delivery.attempts + 1
    transient = False
    try:
        status, body = _post_json(webhook.url, delivery.payload)
        error = webhook_formats.response_error(webhook.kind, status, body)
        transient = bool(error) and webhook_formats.is_transient_status(status)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        status, error, transient = None, f"{type(exc).__name__}: {exc}", True

    if not error:
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.SENT,
            attempts=attempts,
            response_status=status,
            last_error="",
            sent_at=now,
            claimed_until=None,
        )
        TeamWebhook.objects.filter(pk=webhook.pk).update(
            last_success_at=now, consecutive_failures=0
        )
        return True

    give_up = final_attempt or not transient or attempts >= WEBHOOK_MAX_ATTEMPTS
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING,
        attempts=attempts,
        response_status=status,
        last_error=error[:2000],
        claimed_until=None,
    )
    TeamWebhook.objects.filter(pk=webhook.pk).update(
        last_failure_at=now,
        last_error=error[:2000],
        consecutive_failures=F("consecutive_failures") + 1,
    )
    log.warning("webhook delivery %s failed (%s), attempt %s", delivery_id, error, attempts)
    if not give_up:
        raise TransientDeliveryError(error)
    return False


def webhook_create(*, org: Organization, team: Team, name: str, kind: str, url: str) -> TeamWebhook:
    webhook = TeamWebhook(org=org, team=team, name=name, kind=kind, url=url)
    webhook.full_clean()
    webhook.save()
    return webhook


@transaction.atomic
def webhook_update(
    *, webhook: TeamWebhook, name: str, kind: str, url: str, is_active: bool
) -> TeamWebhook:
    webhook.name, webhook.kind, webhook.url, webhook.is_active = name, kind, url, is_active
    webhook.full_clean()
    webhook.save()
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: TeamWebhook) -> None:
    webhook.delete()


@transaction.atomic
def webhook_send_test(*, webhook: TeamWebhook, actor: User) -> WebhookDelivery:
    org = webhook.org
    with translation.override(org.language):
        message = webhook_formats.WebhookMessage(
            event="webhook.test",
            title=_("Test message from SalesOps"),
            body=_("%(person)s checked that this channel receives SalesOps notifications.")
            % {"person": actor.display_name},
            url=absolute_url(f"/o/{org.slug}/teams/{webhook.team_id}/"),
            org=org.name,
            team=webhook.team.name,
            link_label=_("Open in SalesOps"),
        )
    delivery = WebhookDelivery.objects.create(
        org=org,
        webhook=webhook,
        event="webhook.test",
        payload=webhook_formats.build_payload(webhook.kind, message),
    )
    outbox.enqueue(task_name="salesops.tasks.webhook_deliver", kwargs={"delivery_id": delivery.pk})
    return delivery


@transaction.atomic
def webhook_delivery_retry(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Give a failed delivery a fresh set of attempts (an admin's "retry" button)."""
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, attempts=0, claimed_until=None
    )
    outbox.enqueue(task_name="salesops.tasks.webhook_deliver", kwargs={"delivery_id": delivery.pk})
    delivery.refresh_from_db()
    return delivery


def notification_mark_read(*, user: User, org: Organization, notification_id: int) -> int:
    return (
        Notification.objects.for_org(org)
        .filter(recipient=user, pk=notification_id, read_at__isnull=True)
        .update(read_at=timezone.now())
    )


def notification_mark_all_read(*, user: User, org: Organization) -> int:
    return (
        Notification.objects.for_org(org)
        .filter(recipient=user, read_at__isnull=True)
        .update(read_at=timezone.now())
    )
