"""Notifications: one per person in their language, email once, webhooks retried and visible."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.urls import reverse

from salesops.models import Notification, OutboxMessage, Role, TeamWebhook, WebhookDelivery
from salesops.models.notifications import DeliveryStatus
from salesops.services import notifications
from salesops.services.notifications import TransientDeliveryError

from ..factories import TeamWebhookFactory, UserFactory


class Endpoint(BaseHTTPRequestHandler):
    status = 200
    body = b"{}"
    received: list = []

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        Endpoint.received.append(json.loads(self.rfile.read(length)))
        self.send_response(Endpoint.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(Endpoint.body)

    def log_message(self, *args):
        return


@pytest.fixture
def endpoint():
    Endpoint.status, Endpoint.body, Endpoint.received = 200, b"{}", []
    server = HTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def _delivery(world, url, kind="generic"):
    hook = TeamWebhookFactory(team=world.team, url=url, kind=kind)
    (delivery,) = notifications.team_broadcast(
        org=world.org,
        team=world.team,
        event="test.event",
        title="Title",
        body="Body",
        url="/o/acme/",
    )
    return hook, delivery


def test_notify_creates_one_row_per_active_person_and_queues_email(world):
    rep, manager = world.user(Role.REP), world.user(Role.MANAGER)
    inactive = UserFactory(is_active=False)
    created = notifications.notify(
        org=world.org,
        recipients=[rep, manager, rep, inactive],
        kind="k",
        title="Hello",
        url="/o/acme/",
    )
    assert {n.recipient for n in created} == {rep, manager}
    assert (
        OutboxMessage.objects.filter(task_name="salesops.tasks.notification_send_email").count()
        == 2
    )


def test_notification_is_written_in_each_recipients_language(world):
    from django.utils.translation import gettext_lazy as _

    rep, manager = world.user(Role.REP), world.user(Role.MANAGER)
    rep.preferred_language = "zh-hans"
    rep.save()
    notifications.notify(
        org=world.org, recipients=[rep, manager], kind="k", title=_("Test message from SalesOps")
    )
    assert Notification.objects.get(recipient=manager).title == "Test message from SalesOps"
    from django.utils import translation

    with translation.override("zh-hans"):
        chinese = translation.gettext("Test message from SalesOps")
    assert chinese != "Test message from SalesOps", "the catalogue has no Chinese for this message"
    assert Notification.objects.get(recipient=rep).title == chinese


def test_email_is_sent_once_however_often_the_task_runs(world):
    (notification,) = notifications.notify(
        org=world.org, recipients=[world.user(Role.REP)], kind="k", title="Hi"
    )
    assert notifications.notification_send_email(notification_id=notification.pk) is True
    assert notifications.notification_send_email(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [world.user(Role.REP).email]


def test_in_app_only_notification_sends_no_email(world):
    (notification,) = notifications.notify(
        org=world.org, recipients=[world.user(Role.REP)], kind="k", title="Hi", email=False
    )
    assert notifications.notification_send_email(notification_id=notification.pk) is False
    assert mail.outbox == []


def test_webhook_delivered_once_and_marked_sent(world, endpoint):
    hook, delivery = _delivery(world, endpoint)
    assert notifications.webhook_deliver(delivery_id=delivery.pk) is True
    assert notifications.webhook_deliver(delivery_id=delivery.pk) is False
    assert len(Endpoint.received) == 1
    assert Endpoint.received[0]["title"] == "Title"
    assert Endpoint.received[0]["url"].endswith("/o/acme/")
    delivery.refresh_from_db()
    hook.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert hook.last_success_at is not None and hook.consecutive_failures == 0


def test_server_error_is_retried_and_shown_to_admins(world, endpoint, clients):
    Endpoint.status = 503
    hook, delivery = _delivery(world, endpoint)
    with pytest.raises(TransientDeliveryError):
        notifications.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    hook.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert hook.consecutive_failures == 1 and "HTTP 503" in hook.last_error
    home = (
        clients[Role.ADMIN].get(reverse("org_home", kwargs={"org_slug": "acme"})).content.decode()
    )
    assert "HTTP 503" in home
    rep_home = (
        clients[Role.REP].get(reverse("org_home", kwargs={"org_slug": "acme"})).content.decode()
    )
    assert "HTTP 503" not in rep_home


def test_final_attempt_marks_the_delivery_failed(world, endpoint):
    Endpoint.status = 500
    _hook, delivery = _delivery(world, endpoint)
    assert notifications.webhook_deliver(delivery_id=delivery.pk, final_attempt=True) is False
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_client_error_fails_at_once_without_retry(world, endpoint):
    Endpoint.status = 404
    _hook, delivery = _delivery(world, endpoint)
    assert notifications.webhook_deliver(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.response_status == 404


def test_dingtalk_error_code_in_a_200_answer_is_a_failure(world, endpoint):
    Endpoint.body = b'{"errcode": 310000, "errmsg": "sign not match"}'
    hook, delivery = _delivery(world, endpoint, kind="dingtalk")
    notifications.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "310000" in delivery.last_error


def test_unreachable_endpoint_is_transient(world):
    _hook, delivery = _delivery(world, "http://127.0.0.1:1/hook")
    with pytest.raises(TransientDeliveryError):
        notifications.webhook_deliver(delivery_id=delivery.pk)


def test_admin_can_retry_a_failed_delivery(
    world, clients, endpoint, django_capture_on_commit_callbacks
):
    Endpoint.status = 404
    _hook, delivery = _delivery(world, endpoint)
    notifications.webhook_deliver(delivery_id=delivery.pk)
    url = reverse("webhook_delivery_retry", kwargs={"org_slug": "acme", "pk": delivery.pk})
    assert clients[Role.REP].post(url).status_code == 403
    response = clients[Role.ADMIN].post(url)
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0


def test_paused_webhook_receives_nothing(world):
    TeamWebhookFactory(team=world.team, is_active=False)
    assert notifications.team_broadcast(org=world.org, team=world.team, event="e", title="t") == []


def test_admin_adds_webhook_and_bad_url_is_refused(world, clients):
    url = reverse("webhook_create", kwargs={"org_slug": "acme", "pk": world.team.pk})
    response = clients[Role.ADMIN].post(
        url, {"name": "Sales chat", "kind": "feishu", "url": "not a url"}, follow=True
    )
    assert TeamWebhook.objects.count() == 0
    assert "URL" in response.content.decode()
    clients[Role.ADMIN].post(
        url, {"name": "Sales chat", "kind": "feishu", "url": "https://open.feishu.cn/hook/x"}
    )
    assert TeamWebhook.objects.get().kind == "feishu"
    assert (
        clients[Role.MANAGER]
        .post(url, {"name": "x", "kind": "slack", "url": "https://x.test/"})
        .status_code
        == 403
    )


def test_delivery_log_lists_deliveries_with_constant_queries(
    world, clients, django_assert_max_num_queries
):
    hook = TeamWebhookFactory(team=world.team)
    url = reverse("webhook_deliveries", kwargs={"org_slug": "acme"})
    for count in (3, 30):
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(org=world.org, webhook=hook, event="e", payload={})
            for _ in range(count)
        )
        with django_assert_max_num_queries(12):
            assert clients[Role.ADMIN].get(url).status_code == 200
    htmx = clients[Role.ADMIN].get(url + "?status=failed", HTTP_HX_REQUEST="true").content.decode()
    assert '<nav class="navbar' not in htmx and 'id="delivery-list"' in htmx
